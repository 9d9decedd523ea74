//! The generic socket options: every option libzmq keeps for all socket types alike (its
//! `options_t`), with libzmq 4.3.5's defaults, validation and buffer rules. This file owns the
//! values and their C-facing encoding only; what the options *do* belongs to the socket, the
//! engines and the transports that read them.
//!
//! Values arrive as the raw bytes C passed. An empty value stands for C's `(NULL, 0)`, the
//! documented way to reset the options that allow it (see [`Options::set_nullable`] for the one
//! case where NULL and a zero-length non-NULL value differ in libzmq).
//!
//! Buffer rules on `get`, as libzmq (callers rely on each of them):
//! - int options need a buffer of exactly `size_of::<c_int>()` bytes, else EINVAL;
//!   ZMQ_AFFINITY (u64) and ZMQ_MAXMSGSIZE (i64) exactly 8 bytes;
//! - string options are written with a terminating NUL and need room for it; a larger buffer
//!   is accepted, its tail zero-filled, and the length written (NUL included) is returned;
//! - ZMQ_ROUTING_ID is binary: no NUL, any buffer at least as long, tail zero-filled;
//! - ZMQ_THREAD_SAFE, although an int, takes any buffer of at least an int (tail zero-filled),
//!   as libzmq answers it outside `options_t`;
//! - CURVE keys: exactly 32 bytes gives the binary key, exactly 41 its Z85 text with NUL.
//!
//! Options that are NOT generic: `set` answers `Ok(false)` and `get` `Ok(None)`; the socket type
//! handles them, or, when no type does, the socket fails with EINVAL as libzmq does.
//!
//! | option                              | who handles it in libzmq                           |
//! |-------------------------------------|----------------------------------------------------|
//! | ZMQ_RCVMORE, ZMQ_FD, ZMQ_EVENTS     | the socket itself (state, get only; any buffer >= size, tail zeroed; ZMQ_FD is EINVAL on thread-safe sockets) |
//! | ZMQ_SUBSCRIBE, ZMQ_UNSUBSCRIBE      | SUB, XSUB; XPUB in manual mode (set only)          |
//! | ZMQ_CONNECT_ROUTING_ID              | ROUTER, STREAM only, set only, non-empty: use [`Options::set_connect_routing_id`] |
//! | ZMQ_ROUTER_MANDATORY, ZMQ_ROUTER_RAW, ZMQ_ROUTER_HANDOVER | ROUTER (set only)          |
//! | ZMQ_ROUTER_NOTIFY (draft)           | ROUTER sets `router_notify`; get is generic here   |
//! | ZMQ_PROBE_ROUTER                    | ROUTER, DEALER, REQ (set only)                     |
//! | ZMQ_REQ_CORRELATE, ZMQ_REQ_RELAXED  | REQ (set only)                                     |
//! | ZMQ_XPUB_VERBOSE, _VERBOSER, _NODROP, _MANUAL, _WELCOME_MSG, _MANUAL_LAST_VALUE | XPUB (set only); RADIO takes ZMQ_XPUB_NODROP |
//! | ZMQ_ONLY_FIRST_SUBSCRIBE (draft)    | XPUB, XSUB (set only)                              |
//! | ZMQ_XSUB_VERBOSE_UNSUBSCRIBE (draft)| XSUB                                               |
//! | ZMQ_TOPICS_COUNT (draft)            | XPUB, XSUB (get only)                              |
//! | ZMQ_STREAM_NOTIFY                   | STREAM (set only)                                  |
//! | ZMQ_WSS_*, ZMQ_NORM_*, ZMQ_VMCI_*   | transports this build does not have: EINVAL        |
//!
//! Generic but one-way: ZMQ_TYPE, ZMQ_MECHANISM, ZMQ_LAST_ENDPOINT, ZMQ_THREAD_SAFE are get-only
//! (set is EINVAL); ZMQ_TCP_ACCEPT_FILTER, ZMQ_IPC_FILTER_*, ZMQ_METADATA, ZMQ_HELLO_MSG,
//! ZMQ_DISCONNECT_MSG, ZMQ_HICCUP_MSG are set-only (get is EINVAL); ZMQ_BUSY_POLL reads as EINVAL
//! (libzmq 4.3.5 writes the value, then reports failure).

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::c_int;
use std::net::IpAddr;

use crate::constants::*;
use crate::error::{Errno, Result};
use crate::util::z85;

/// CURVE is built in (`zmq_has("curve")`); libzmq built without it answers EINVAL to every
/// ZMQ_CURVE_* option, which is what turning this off reproduces.
const CURVE_AVAILABLE: bool = true;

const INT_SIZE: usize = std::mem::size_of::<c_int>();
/// Binary CURVE key length, and its Z85 text length (without NUL).
const CURVE_KEY_SIZE: usize = 32;
const CURVE_KEY_Z85_SIZE: usize = 40;
/// Longest routing id, PLAIN credential, ZAP domain, SOCKS credential, accept filter, metadata
/// key: each travels in a one-byte length field somewhere, so 255 (UCHAR_MAX).
const SHORT_STRING_MAX: usize = 255;
/// Longest ZMQ_BINDTODEVICE: a Linux interface name buffer (IFNAMSIZ).
const BINDTODEVICE_MAX: usize = 16;
/// ZMQ_HEARTBEAT_TTL is kept in deciseconds (ZMTP's PING carries it so) in 16 bits.
const MS_PER_DECISECOND: c_int = 100;
const HEARTBEAT_TTL_MAX_DS: c_int = u16::MAX as c_int;

/// The security mechanism, as ZMQ_MECHANISM reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mechanism {
    #[default]
    Null,
    Plain,
    Curve,
    Gssapi,
}

impl Mechanism {
    /// The ZMQ_NULL / ZMQ_PLAIN / ZMQ_CURVE / ZMQ_GSSAPI number.
    pub fn as_c_int(self) -> c_int {
        match self {
            Mechanism::Null => ZMQ_NULL,
            Mechanism::Plain => ZMQ_PLAIN,
            Mechanism::Curve => ZMQ_CURVE,
            Mechanism::Gssapi => ZMQ_GSSAPI,
        }
    }
}

/// One ZMQ_TCP_ACCEPT_FILTER entry: a network in CIDR form. Only peers inside one of the
/// networks may connect (an empty list accepts everyone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpAcceptFilter {
    pub address: IpAddr,
    /// Prefix length in bits: 0..=32 for IPv4, 0..=128 for IPv6.
    pub mask: u8,
}

impl TcpAcceptFilter {
    /// Whether `peer` lies inside this network. An IPv4 peer on an IPv6 filter is compared as
    /// its IPv4-mapped address, which is how it arrives on a dual-stack listener.
    pub fn matches(&self, peer: IpAddr) -> bool {
        let (net, peer, bits) = match (self.address, peer) {
            (IpAddr::V4(net), IpAddr::V4(peer)) => (u32::from(net) as u128, u32::from(peer) as u128, 32),
            (IpAddr::V6(net), IpAddr::V6(peer)) => (u128::from(net), u128::from(peer), 128),
            (IpAddr::V6(net), IpAddr::V4(peer)) => (u128::from(net), u128::from(peer.to_ipv6_mapped()), 128),
            (IpAddr::V4(_), IpAddr::V6(_)) => return false,
        };
        let mask = u32::from(self.mask);
        if mask == 0 {
            return true;
        }
        let shift = bits - mask;
        (net >> shift) == (peer >> shift)
    }
}

/// The generic options of one socket. Strings set by the application are kept as bytes:
/// libzmq stores whatever bytes it was given, embedded NULs and non-UTF-8 included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// ZMQ_TYPE (get only).
    pub socket_type: c_int,
    pub sndhwm: c_int,
    pub rcvhwm: c_int,
    pub affinity: u64,
    /// ZMQ_ROUTING_ID: 0 (unset) to 255 bytes.
    pub routing_id: Vec<u8>,
    pub rate: c_int,
    pub recovery_ivl: c_int,
    pub multicast_hops: c_int,
    pub multicast_maxtpdu: c_int,
    pub multicast_loop: bool,
    pub sndbuf: c_int,
    pub rcvbuf: c_int,
    pub tos: c_int,
    pub priority: c_int,
    pub linger: c_int,
    pub connect_timeout: c_int,
    pub tcp_maxrt: c_int,
    /// Bits of ZMQ_RECONNECT_STOP_*; any int is accepted.
    pub reconnect_stop: c_int,
    pub reconnect_ivl: c_int,
    pub reconnect_ivl_max: c_int,
    pub backlog: c_int,
    pub maxmsgsize: i64,
    pub rcvtimeo: c_int,
    pub sndtimeo: c_int,
    /// Starts false; the socket copies the context's ZMQ_IPV6 into it when it is created.
    pub ipv6: bool,
    pub immediate: bool,
    pub invert_matching: bool,
    pub socks_proxy: Vec<u8>,
    pub socks_username: Vec<u8>,
    pub socks_password: Vec<u8>,
    pub tcp_keepalive: c_int,
    pub tcp_keepalive_cnt: c_int,
    pub tcp_keepalive_idle: c_int,
    pub tcp_keepalive_intvl: c_int,
    pub tcp_accept_filters: Vec<TcpAcceptFilter>,
    pub ipc_filter_pids: BTreeSet<i32>,
    pub ipc_filter_uids: BTreeSet<u32>,
    pub ipc_filter_gids: BTreeSet<u32>,
    pub mechanism: Mechanism,
    /// Server side of PLAIN / CURVE / GSSAPI (ZMQ_PLAIN_SERVER reads it only under PLAIN).
    pub as_server: bool,
    pub zap_domain: Vec<u8>,
    pub zap_enforce_domain: bool,
    pub plain_username: Vec<u8>,
    pub plain_password: Vec<u8>,
    pub curve_public_key: [u8; CURVE_KEY_SIZE],
    pub curve_secret_key: [u8; CURVE_KEY_SIZE],
    pub curve_server_key: [u8; CURVE_KEY_SIZE],
    /// As set; it only takes effect on the types [`Options::effective_conflate`] names.
    pub conflate: bool,
    pub handshake_ivl: c_int,
    pub heartbeat_ivl: c_int,
    /// In deciseconds (0..=65535), as ZMTP's PING carries it; ZMQ_HEARTBEAT_TTL speaks ms.
    pub heartbeat_ttl: c_int,
    pub heartbeat_timeout: c_int,
    pub use_fd: c_int,
    pub bindtodevice: Vec<u8>,
    pub loopback_fastpath: bool,
    pub in_batch_size: c_int,
    pub out_batch_size: c_int,
    /// ZMQ_NOTIFY_* bits; ROUTER sets it, any socket can read it.
    pub router_notify: c_int,
    /// ZMQ_METADATA properties, key ("X-...") to value; the first value set for a key stays.
    pub metadata: BTreeMap<Vec<u8>, Vec<u8>>,
    pub hello_msg: Vec<u8>,
    pub disconnect_msg: Vec<u8>,
    pub hiccup_msg: Vec<u8>,
    pub busy_poll: c_int,
    /// ZMQ_LAST_ENDPOINT (get only): the socket writes it after each bind/connect.
    pub last_endpoint: String,
    /// ZMQ_THREAD_SAFE (get only): true for the draft thread-safe types.
    pub thread_safe: bool,
    /// ZMQ_CONNECT_ROUTING_ID, for ROUTER and STREAM only (not generic: see the table above).
    pub connect_routing_id: Vec<u8>,
}

impl Options {
    /// libzmq's defaults for a socket of this type.
    pub fn new(socket_type: c_int) -> Self {
        Self {
            socket_type,
            sndhwm: 1000,
            rcvhwm: 1000,
            affinity: 0,
            routing_id: Vec::new(),
            rate: 100,
            recovery_ivl: 10000,
            multicast_hops: 1,
            multicast_maxtpdu: 1500,
            multicast_loop: true,
            sndbuf: -1,
            rcvbuf: -1,
            tos: 0,
            priority: 0,
            // SUB and XSUB never wait for unsent subscriptions when closing (libzmq's choice).
            linger: if socket_type == ZMQ_SUB || socket_type == ZMQ_XSUB { 0 } else { -1 },
            connect_timeout: 0,
            tcp_maxrt: 0,
            reconnect_stop: 0,
            reconnect_ivl: 100,
            reconnect_ivl_max: 0,
            backlog: 100,
            maxmsgsize: -1,
            rcvtimeo: -1,
            sndtimeo: -1,
            ipv6: false,
            immediate: false,
            invert_matching: false,
            socks_proxy: Vec::new(),
            socks_username: Vec::new(),
            socks_password: Vec::new(),
            tcp_keepalive: -1,
            tcp_keepalive_cnt: -1,
            tcp_keepalive_idle: -1,
            tcp_keepalive_intvl: -1,
            tcp_accept_filters: Vec::new(),
            ipc_filter_pids: BTreeSet::new(),
            ipc_filter_uids: BTreeSet::new(),
            ipc_filter_gids: BTreeSet::new(),
            mechanism: Mechanism::Null,
            as_server: false,
            zap_domain: Vec::new(),
            zap_enforce_domain: false,
            plain_username: Vec::new(),
            plain_password: Vec::new(),
            curve_public_key: [0; CURVE_KEY_SIZE],
            curve_secret_key: [0; CURVE_KEY_SIZE],
            curve_server_key: [0; CURVE_KEY_SIZE],
            conflate: false,
            handshake_ivl: 30000,
            heartbeat_ivl: 0,
            heartbeat_ttl: 0,
            heartbeat_timeout: -1,
            use_fd: -1,
            bindtodevice: Vec::new(),
            loopback_fastpath: false,
            in_batch_size: 8192,
            out_batch_size: 8192,
            router_notify: 0,
            metadata: BTreeMap::new(),
            hello_msg: Vec::new(),
            disconnect_msg: Vec::new(),
            hiccup_msg: Vec::new(),
            busy_poll: 0,
            last_endpoint: String::new(),
            thread_safe: is_thread_safe_type(socket_type),
            connect_routing_id: Vec::new(),
        }
    }

    /// ZMQ_CONFLATE only acts on DEALER, PULL, PUSH, PUB and SUB; elsewhere it is stored and
    /// read back but ignored.
    pub fn effective_conflate(&self) -> bool {
        self.conflate && matches!(self.socket_type, ZMQ_DEALER | ZMQ_PULL | ZMQ_PUSH | ZMQ_PUB | ZMQ_SUB)
    }

    /// Ok(true) if this option is a generic one and was applied; Ok(false) if it is not one of
    /// the generic options (the socket type may handle it, e.g. ZMQ_SUBSCRIBE, ZMQ_ROUTER_MANDATORY,
    /// ZMQ_REQ_CORRELATE, ZMQ_XPUB_*, ZMQ_STREAM_NOTIFY, ZMQ_PROBE_ROUTER...); Err(EINVAL) for a bad
    /// length/value. An empty `value` counts as C's `(NULL, 0)`.
    pub fn set(&mut self, option: c_int, value: &[u8]) -> Result<bool> {
        self.set_nullable(option, (!value.is_empty()).then_some(value))
    }

    /// [`Options::set`] keeping C's distinction between a NULL value (`None`, length 0) and a
    /// non-NULL one. It matters only for zero-length values: libzmq resets ZMQ_SOCKS_PROXY,
    /// ZMQ_BINDTODEVICE, ZMQ_TCP_ACCEPT_FILTER, ZMQ_IPC_FILTER_* and ZMQ_PLAIN_USERNAME/PASSWORD
    /// on `(NULL, 0)` but rejects a non-NULL pointer with length 0.
    pub fn set_nullable(&mut self, option: c_int, value: Option<&[u8]>) -> Result<bool> {
        let null = value.is_none();
        let value = value.unwrap_or(&[]);
        match option {
            ZMQ_SNDHWM => self.sndhwm = int_at_least(value, 0)?,
            ZMQ_RCVHWM => self.rcvhwm = int_at_least(value, 0)?,
            ZMQ_AFFINITY => self.affinity = u64::from_ne_bytes(exact(value)?),
            ZMQ_ROUTING_ID => {
                // Any 1..=255 bytes; a leading zero byte is accepted (libzmq 2.x/3.x refused it).
                if value.is_empty() || value.len() > SHORT_STRING_MAX {
                    return Err(Errno::EINVAL);
                }
                self.routing_id = value.to_vec();
            }
            ZMQ_RATE => self.rate = int_at_least(value, 1)?,
            ZMQ_RECOVERY_IVL => self.recovery_ivl = int_at_least(value, 0)?,
            ZMQ_SNDBUF => self.sndbuf = int_at_least(value, -1)?,
            ZMQ_RCVBUF => self.rcvbuf = int_at_least(value, -1)?,
            ZMQ_TOS => self.tos = int_at_least(value, 0)?,
            ZMQ_LINGER => self.linger = int_at_least(value, -1)?,
            ZMQ_CONNECT_TIMEOUT => self.connect_timeout = int_at_least(value, 0)?,
            ZMQ_TCP_MAXRT => self.tcp_maxrt = int_at_least(value, 0)?,
            #[cfg(zmq_draft)]
            draft::ZMQ_RECONNECT_STOP => self.reconnect_stop = int(value)?,
            ZMQ_RECONNECT_IVL => self.reconnect_ivl = int_at_least(value, -1)?,
            ZMQ_RECONNECT_IVL_MAX => self.reconnect_ivl_max = int_at_least(value, 0)?,
            ZMQ_BACKLOG => self.backlog = int_at_least(value, 0)?,
            ZMQ_MAXMSGSIZE => self.maxmsgsize = i64::from_ne_bytes(exact(value)?),
            ZMQ_MULTICAST_HOPS => self.multicast_hops = int_at_least(value, 1)?,
            ZMQ_MULTICAST_MAXTPDU => self.multicast_maxtpdu = int_at_least(value, 1)?,
            ZMQ_RCVTIMEO => self.rcvtimeo = int_at_least(value, -1)?,
            ZMQ_SNDTIMEO => self.sndtimeo = int_at_least(value, -1)?,
            ZMQ_IPV4ONLY => self.ipv6 = !strict_bool(value)?,
            ZMQ_IPV6 => self.ipv6 = strict_bool(value)?,
            ZMQ_SOCKS_PROXY => self.socks_proxy = resettable_string(value, null, usize::MAX)?,
            #[cfg(zmq_draft)]
            draft::ZMQ_SOCKS_USERNAME => self.socks_username = short_string_or_empty(value)?,
            #[cfg(zmq_draft)]
            draft::ZMQ_SOCKS_PASSWORD => self.socks_password = short_string_or_empty(value)?,
            ZMQ_TCP_KEEPALIVE => {
                self.tcp_keepalive = int(value).and_then(|v| in_range(v, -1, 1))?;
            }
            ZMQ_TCP_KEEPALIVE_CNT => self.tcp_keepalive_cnt = int_at_least(value, -1)?,
            ZMQ_TCP_KEEPALIVE_IDLE => self.tcp_keepalive_idle = int_at_least(value, -1)?,
            ZMQ_TCP_KEEPALIVE_INTVL => self.tcp_keepalive_intvl = int_at_least(value, -1)?,
            ZMQ_IMMEDIATE => self.immediate = strict_bool(value)?,
            ZMQ_TCP_ACCEPT_FILTER => {
                let text = resettable_string(value, null, SHORT_STRING_MAX)?;
                if text.is_empty() {
                    self.tcp_accept_filters.clear();
                } else {
                    let filter = parse_accept_filter(&text, self.ipv6)?;
                    self.tcp_accept_filters.push(filter);
                }
            }
            ZMQ_IPC_FILTER_PID => set_filter(&mut self.ipc_filter_pids, value, null, i32::from_ne_bytes)?,
            ZMQ_IPC_FILTER_UID => set_filter(&mut self.ipc_filter_uids, value, null, u32::from_ne_bytes)?,
            ZMQ_IPC_FILTER_GID => set_filter(&mut self.ipc_filter_gids, value, null, u32::from_ne_bytes)?,
            ZMQ_PLAIN_SERVER => {
                self.as_server = strict_bool(value)?;
                self.mechanism = if self.as_server { Mechanism::Plain } else { Mechanism::Null };
            }
            ZMQ_PLAIN_USERNAME | ZMQ_PLAIN_PASSWORD => {
                if value.is_empty() && null {
                    // Back to NULL, keeping the stored credential.
                    self.mechanism = Mechanism::Null;
                    return Ok(true);
                }
                if value.is_empty() || value.len() > SHORT_STRING_MAX {
                    return Err(Errno::EINVAL);
                }
                if option == ZMQ_PLAIN_USERNAME {
                    self.plain_username = value.to_vec();
                } else {
                    self.plain_password = value.to_vec();
                }
                self.as_server = false;
                self.mechanism = Mechanism::Plain;
            }
            ZMQ_ZAP_DOMAIN => {
                // Unlike most strings, it cannot be reset to empty once set.
                if value.is_empty() || value.len() > SHORT_STRING_MAX {
                    return Err(Errno::EINVAL);
                }
                self.zap_domain = value.to_vec();
            }
            ZMQ_CURVE_SERVER | ZMQ_CURVE_PUBLICKEY | ZMQ_CURVE_SECRETKEY | ZMQ_CURVE_SERVERKEY => {
                if !CURVE_AVAILABLE {
                    return Err(Errno::EINVAL);
                }
                self.set_curve(option, value)?;
            }
            ZMQ_CONFLATE => self.conflate = strict_bool(value)?,
            ZMQ_GSSAPI_SERVER
            | ZMQ_GSSAPI_PRINCIPAL
            | ZMQ_GSSAPI_SERVICE_PRINCIPAL
            | ZMQ_GSSAPI_PLAINTEXT
            | ZMQ_GSSAPI_PRINCIPAL_NAMETYPE
            | ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE => {
                // No GSSAPI in this build: EINVAL, as libzmq built without libgssapi_krb5.
                return Err(Errno::EINVAL);
            }
            ZMQ_HANDSHAKE_IVL => self.handshake_ivl = int_at_least(value, 0)?,
            ZMQ_INVERT_MATCHING => self.invert_matching = relaxed_bool(value)?,
            ZMQ_HEARTBEAT_IVL => self.heartbeat_ivl = int_at_least(value, 0)?,
            ZMQ_HEARTBEAT_TTL => {
                // Truncated to deciseconds first, so -99..=-1 ms pass as 0 and the ceiling
                // is 6553599 ms, exactly as libzmq.
                let deciseconds = int(value)? / MS_PER_DECISECOND;
                self.heartbeat_ttl = in_range(deciseconds, 0, HEARTBEAT_TTL_MAX_DS)?;
            }
            ZMQ_HEARTBEAT_TIMEOUT => self.heartbeat_timeout = int_at_least(value, 0)?,
            ZMQ_USE_FD => self.use_fd = int_at_least(value, -1)?,
            ZMQ_BINDTODEVICE => {
                self.bindtodevice = resettable_string(value, null, BINDTODEVICE_MAX)?;
            }
            #[cfg(zmq_draft)]
            draft::ZMQ_ZAP_ENFORCE_DOMAIN => self.zap_enforce_domain = relaxed_bool(value)?,
            #[cfg(zmq_draft)]
            draft::ZMQ_LOOPBACK_FASTPATH => self.loopback_fastpath = relaxed_bool(value)?,
            #[cfg(zmq_draft)]
            draft::ZMQ_METADATA => {
                let (key, val) = parse_metadata(value)?;
                // The first value given for a key wins; later ones are accepted and dropped.
                self.metadata.entry(key).or_insert(val);
            }
            #[cfg(zmq_draft)]
            draft::ZMQ_MULTICAST_LOOP => self.multicast_loop = relaxed_bool(value)?,
            #[cfg(zmq_draft)]
            draft::ZMQ_IN_BATCH_SIZE => self.in_batch_size = int_at_least(value, 1)?,
            #[cfg(zmq_draft)]
            draft::ZMQ_OUT_BATCH_SIZE => self.out_batch_size = int_at_least(value, 1)?,
            #[cfg(zmq_draft)]
            draft::ZMQ_BUSY_POLL => self.busy_poll = int(value)?,
            #[cfg(zmq_draft)]
            draft::ZMQ_HELLO_MSG => self.hello_msg = value.to_vec(),
            #[cfg(zmq_draft)]
            draft::ZMQ_DISCONNECT_MSG => self.disconnect_msg = value.to_vec(),
            #[cfg(zmq_draft)]
            draft::ZMQ_HICCUP_MSG => self.hiccup_msg = value.to_vec(),
            #[cfg(zmq_draft)]
            draft::ZMQ_PRIORITY => self.priority = int_at_least(value, 0)?,
            // Generic, but read-only.
            ZMQ_TYPE | ZMQ_MECHANISM | ZMQ_LAST_ENDPOINT | ZMQ_THREAD_SAFE => return Err(Errno::EINVAL),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Writes the value into `out` (the caller's buffer, its length the caller's *optvallen) and
    /// returns the number of bytes written (what *optvallen becomes). Ok(None) if not a generic option.
    pub fn get(&self, option: c_int, out: &mut [u8]) -> Result<Option<usize>> {
        let value = match option {
            ZMQ_SNDHWM => self.sndhwm,
            ZMQ_RCVHWM => self.rcvhwm,
            ZMQ_AFFINITY => return put_exact(out, &self.affinity.to_ne_bytes()),
            ZMQ_ROUTING_ID => return put_bytes(out, &self.routing_id),
            ZMQ_RATE => self.rate,
            ZMQ_RECOVERY_IVL => self.recovery_ivl,
            ZMQ_SNDBUF => self.sndbuf,
            ZMQ_RCVBUF => self.rcvbuf,
            ZMQ_TOS => self.tos,
            ZMQ_TYPE => self.socket_type,
            ZMQ_LINGER => self.linger,
            ZMQ_CONNECT_TIMEOUT => self.connect_timeout,
            ZMQ_TCP_MAXRT => self.tcp_maxrt,
            #[cfg(zmq_draft)]
            draft::ZMQ_RECONNECT_STOP => self.reconnect_stop,
            ZMQ_RECONNECT_IVL => self.reconnect_ivl,
            ZMQ_RECONNECT_IVL_MAX => self.reconnect_ivl_max,
            ZMQ_BACKLOG => self.backlog,
            ZMQ_MAXMSGSIZE => return put_exact(out, &self.maxmsgsize.to_ne_bytes()),
            ZMQ_MULTICAST_HOPS => self.multicast_hops,
            ZMQ_MULTICAST_MAXTPDU => self.multicast_maxtpdu,
            ZMQ_RCVTIMEO => self.rcvtimeo,
            ZMQ_SNDTIMEO => self.sndtimeo,
            ZMQ_IPV4ONLY => c_int::from(!self.ipv6),
            ZMQ_IPV6 => c_int::from(self.ipv6),
            ZMQ_IMMEDIATE => c_int::from(self.immediate),
            ZMQ_SOCKS_PROXY => return put_string(out, &self.socks_proxy),
            #[cfg(zmq_draft)]
            draft::ZMQ_SOCKS_USERNAME => return put_string(out, &self.socks_username),
            #[cfg(zmq_draft)]
            draft::ZMQ_SOCKS_PASSWORD => return put_string(out, &self.socks_password),
            ZMQ_TCP_KEEPALIVE => self.tcp_keepalive,
            ZMQ_TCP_KEEPALIVE_CNT => self.tcp_keepalive_cnt,
            ZMQ_TCP_KEEPALIVE_IDLE => self.tcp_keepalive_idle,
            ZMQ_TCP_KEEPALIVE_INTVL => self.tcp_keepalive_intvl,
            ZMQ_MECHANISM => self.mechanism.as_c_int(),
            ZMQ_PLAIN_SERVER => c_int::from(self.as_server && self.mechanism == Mechanism::Plain),
            ZMQ_PLAIN_USERNAME => return put_string(out, &self.plain_username),
            ZMQ_PLAIN_PASSWORD => return put_string(out, &self.plain_password),
            ZMQ_ZAP_DOMAIN => return put_string(out, &self.zap_domain),
            ZMQ_CURVE_SERVER | ZMQ_CURVE_PUBLICKEY | ZMQ_CURVE_SECRETKEY | ZMQ_CURVE_SERVERKEY => {
                if !CURVE_AVAILABLE {
                    return Err(Errno::EINVAL);
                }
                return self.get_curve(option, out).map(Some);
            }
            ZMQ_CONFLATE => c_int::from(self.conflate),
            ZMQ_GSSAPI_SERVER
            | ZMQ_GSSAPI_PRINCIPAL
            | ZMQ_GSSAPI_SERVICE_PRINCIPAL
            | ZMQ_GSSAPI_PLAINTEXT
            | ZMQ_GSSAPI_PRINCIPAL_NAMETYPE
            | ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE => return Err(Errno::EINVAL),
            ZMQ_HANDSHAKE_IVL => self.handshake_ivl,
            ZMQ_INVERT_MATCHING => c_int::from(self.invert_matching),
            ZMQ_HEARTBEAT_IVL => self.heartbeat_ivl,
            ZMQ_HEARTBEAT_TTL => self.heartbeat_ttl * MS_PER_DECISECOND,
            ZMQ_HEARTBEAT_TIMEOUT => self.heartbeat_timeout,
            ZMQ_USE_FD => self.use_fd,
            ZMQ_BINDTODEVICE => return put_string(out, &self.bindtodevice),
            #[cfg(zmq_draft)]
            draft::ZMQ_ZAP_ENFORCE_DOMAIN => c_int::from(self.zap_enforce_domain),
            #[cfg(zmq_draft)]
            draft::ZMQ_LOOPBACK_FASTPATH => c_int::from(self.loopback_fastpath),
            #[cfg(zmq_draft)]
            draft::ZMQ_MULTICAST_LOOP => c_int::from(self.multicast_loop),
            #[cfg(zmq_draft)]
            draft::ZMQ_ROUTER_NOTIFY => self.router_notify,
            #[cfg(zmq_draft)]
            draft::ZMQ_IN_BATCH_SIZE => self.in_batch_size,
            #[cfg(zmq_draft)]
            draft::ZMQ_OUT_BATCH_SIZE => self.out_batch_size,
            #[cfg(zmq_draft)]
            draft::ZMQ_PRIORITY => self.priority,
            #[cfg(zmq_draft)]
            draft::ZMQ_BUSY_POLL => {
                // libzmq 4.3.5 stores the value, then falls through to its EINVAL exit.
                put_int(out, self.busy_poll)?;
                return Err(Errno::EINVAL);
            }
            ZMQ_LAST_ENDPOINT => return put_string(out, self.last_endpoint.as_bytes()),
            ZMQ_THREAD_SAFE => {
                // Answered outside libzmq's options_t, with the lenient buffer rule.
                return put_bytes(out, &c_int::from(self.thread_safe).to_ne_bytes());
            }
            // Generic but write-only.
            ZMQ_TCP_ACCEPT_FILTER | ZMQ_IPC_FILTER_PID | ZMQ_IPC_FILTER_UID | ZMQ_IPC_FILTER_GID => {
                return Err(Errno::EINVAL)
            }
            #[cfg(zmq_draft)]
            draft::ZMQ_METADATA
            | draft::ZMQ_HELLO_MSG
            | draft::ZMQ_DISCONNECT_MSG
            | draft::ZMQ_HICCUP_MSG => return Err(Errno::EINVAL),
            _ => return Ok(None),
        };
        put_int(out, value)
    }

    /// ZMQ_CONNECT_ROUTING_ID, which libzmq accepts on ROUTER and STREAM only (any other type:
    /// EINVAL), set-only, and non-empty but otherwise unbounded. The socket takes it (and clears
    /// it) at its next connect.
    pub fn set_connect_routing_id(&mut self, value: &[u8]) -> Result<()> {
        if value.is_empty() {
            return Err(Errno::EINVAL);
        }
        self.connect_routing_id = value.to_vec();
        Ok(())
    }

    /// The CURVE options, once CURVE is available. A key is 32 bytes, or 40 Z85 characters
    /// (41 with a NUL); setting one selects CURVE, and the server key makes this a client.
    fn set_curve(&mut self, option: c_int, value: &[u8]) -> Result<()> {
        match option {
            ZMQ_CURVE_SERVER => {
                self.as_server = strict_bool(value)?;
                self.mechanism = if self.as_server { Mechanism::Curve } else { Mechanism::Null };
                return Ok(());
            }
            ZMQ_CURVE_PUBLICKEY => self.curve_public_key = curve_key_from_option(value)?,
            ZMQ_CURVE_SECRETKEY => self.curve_secret_key = curve_key_from_option(value)?,
            ZMQ_CURVE_SERVERKEY => {
                self.curve_server_key = curve_key_from_option(value)?;
                self.as_server = false;
            }
            _ => return Err(Errno::EINVAL),
        }
        self.mechanism = Mechanism::Curve;
        Ok(())
    }

    fn get_curve(&self, option: c_int, out: &mut [u8]) -> Result<usize> {
        let key = match option {
            ZMQ_CURVE_SERVER => {
                let server = self.as_server && self.mechanism == Mechanism::Curve;
                return put_int(out, c_int::from(server)).map(|n| n.unwrap_or(0));
            }
            ZMQ_CURVE_PUBLICKEY => &self.curve_public_key,
            ZMQ_CURVE_SECRETKEY => &self.curve_secret_key,
            ZMQ_CURVE_SERVERKEY => &self.curve_server_key,
            _ => return Err(Errno::EINVAL),
        };
        curve_key_to_option(key, out)
    }
}

/// Secrets do not outlive the socket: the CURVE secret key and the PLAIN password are wiped.
impl Drop for Options {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.curve_secret_key.zeroize();
        self.plain_password.zeroize();
    }
}

/// Whether a socket of this type paces its blocking sends to a session (see `Socket::pace`):
/// the types whose send blocks at the high-water mark. Types that drop there (PUB, ROUTER...)
/// must not let a slow peer slow the sender. (The thread-safe types that block, CLIENT and
/// SCATTER, never reach the core with a blocking send: the C API waits for them with the lock
/// released.)
pub fn paces_sends(socket_type: c_int) -> bool {
    matches!(socket_type, ZMQ_PAIR | ZMQ_PUSH | ZMQ_DEALER | ZMQ_REQ)
}

/// The draft types that libzmq builds thread-safe (no ZMQ_FD, internal locking).
fn is_thread_safe_type(socket_type: c_int) -> bool {
    #[cfg(zmq_draft)]
    {
        use draft::*;
        matches!(
            socket_type,
            ZMQ_SERVER
                | ZMQ_CLIENT
                | ZMQ_RADIO
                | ZMQ_DISH
                | ZMQ_GATHER
                | ZMQ_SCATTER
                | ZMQ_PEER
                | ZMQ_CHANNEL
        )
    }
    #[cfg(not(zmq_draft))]
    {
        let _ = socket_type;
        false
    }
}

// ---- Value decoding (set) ----

/// A fixed-size value, when the caller passed exactly that many bytes.
fn exact<const N: usize>(value: &[u8]) -> Result<[u8; N]> {
    value.try_into().map_err(|_| Errno::EINVAL)
}

fn int(value: &[u8]) -> Result<c_int> {
    exact::<INT_SIZE>(value).map(c_int::from_ne_bytes)
}

fn in_range(value: c_int, min: c_int, max: c_int) -> Result<c_int> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(Errno::EINVAL)
    }
}

fn int_at_least(value: &[u8], min: c_int) -> Result<c_int> {
    in_range(int(value)?, min, c_int::MAX)
}

/// Boolean options that insist on 0 or 1.
fn strict_bool(value: &[u8]) -> Result<bool> {
    Ok(in_range(int(value)?, 0, 1)? == 1)
}

/// Boolean options that take any int, non-zero meaning true.
fn relaxed_bool(value: &[u8]) -> Result<bool> {
    Ok(int(value)? != 0)
}

/// A string that `(NULL, 0)` resets to empty; otherwise 1..=max bytes.
fn resettable_string(value: &[u8], null: bool, max: usize) -> Result<Vec<u8>> {
    match value.len() {
        0 if null => Ok(Vec::new()),
        len if len > 0 && len <= max => Ok(value.to_vec()),
        _ => Err(Errno::EINVAL),
    }
}

/// The SOCKS credentials: empty (NULL or not) resets, otherwise up to 255 bytes.
fn short_string_or_empty(value: &[u8]) -> Result<Vec<u8>> {
    if value.len() > SHORT_STRING_MAX {
        return Err(Errno::EINVAL);
    }
    Ok(value.to_vec())
}

/// The IPC peer filters: `(NULL, 0)` clears the set, a 4-byte id adds to it.
fn set_filter<T: Ord>(
    set: &mut BTreeSet<T>,
    value: &[u8],
    null: bool,
    decode: fn([u8; 4]) -> T,
) -> Result<()> {
    if value.is_empty() && null {
        set.clear();
    } else {
        set.insert(decode(exact(value)?));
    }
    Ok(())
}

/// A ZMQ_METADATA property, "X-key:value". The key is everything before the first colon,
/// starts with "X-" (case matters) and fits in 255 bytes; the value is not empty. A 4-byte
/// value is rejected even when well formed: libzmq first takes it for an int.
fn parse_metadata(value: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
    if value.is_empty() || value.len() == INT_SIZE {
        return Err(Errno::EINVAL);
    }
    let colon = value.iter().position(|&b| b == b':').ok_or(Errno::EINVAL)?;
    if colon == 0 || colon == value.len() - 1 {
        return Err(Errno::EINVAL);
    }
    let (key, val) = (&value[..colon], &value[colon + 1..]);
    if !key.starts_with(b"X-") || key.len() > SHORT_STRING_MAX {
        return Err(Errno::EINVAL);
    }
    Ok((key.to_vec(), val.to_vec()))
}

/// A ZMQ_TCP_ACCEPT_FILTER entry: a numeric address (no DNS, no interface names), optionally
/// bracketed if IPv6, then optionally "/bits". A missing mask means the full width; "a/" is
/// invalid. Without ZMQ_IPV6 only IPv4 addresses parse; with it, IPv4 ones become IPv4-mapped
/// IPv6 networks (as the socket's own addresses are then IPv6).
fn parse_accept_filter(text: &[u8], ipv6: bool) -> Result<TcpAcceptFilter> {
    // libzmq reads the value as a C string: anything after a NUL is ignored.
    let text = text.split(|&b| b == 0).next().unwrap_or_default();
    let text = std::str::from_utf8(text).map_err(|_| Errno::EINVAL)?;
    let (addr, mask) = match text.rfind('/') {
        Some(slash) => (&text[..slash], Some(&text[slash + 1..])),
        None => (text, None),
    };
    let bare = addr.strip_prefix('[').and_then(|a| a.strip_suffix(']')).unwrap_or(addr);
    let address = match bare.parse::<IpAddr>().map_err(|_| Errno::EINVAL)? {
        IpAddr::V4(v4) if ipv6 => IpAddr::V6(v4.to_ipv6_mapped()),
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) if ipv6 => IpAddr::V6(v6),
        IpAddr::V6(_) => return Err(Errno::EINVAL),
    };
    let full: c_int = if address.is_ipv6() { 128 } else { 32 };
    let mask = match mask {
        None => full,
        Some("") => return Err(Errno::EINVAL),
        Some("0") => 0,
        Some(bits) => in_range(leading_int(bits), 1, full)?,
    };
    Ok(TcpAcceptFilter { address, mask: mask as u8 })
}

/// The number a text starts with (after spaces and a sign), 0 when none, saturated: C's strtol
/// as far as a mask can tell.
fn leading_int(text: &str) -> c_int {
    let text = text.trim_start();
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let magnitude = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |n, d| (n * 10 + i64::from(d - b'0')).min(i64::from(c_int::MAX) + 1));
    let signed = if negative { -magnitude } else { magnitude };
    signed.clamp(i64::from(c_int::MIN), i64::from(c_int::MAX)) as c_int
}

// ---- Value encoding (get) ----

fn put_int(out: &mut [u8], value: c_int) -> Result<Option<usize>> {
    put_exact(out, &value.to_ne_bytes())
}

/// Fixed-size values need a buffer of exactly their size.
fn put_exact(out: &mut [u8], value: &[u8]) -> Result<Option<usize>> {
    if out.len() != value.len() {
        return Err(Errno::EINVAL);
    }
    out.copy_from_slice(value);
    Ok(Some(value.len()))
}

/// Variable-size values: any buffer at least as long; the rest is zeroed.
fn put_bytes(out: &mut [u8], value: &[u8]) -> Result<Option<usize>> {
    if out.len() < value.len() {
        return Err(Errno::EINVAL);
    }
    let (head, tail) = out.split_at_mut(value.len());
    head.copy_from_slice(value);
    tail.fill(0);
    Ok(Some(value.len()))
}

/// Strings: as bytes with a terminating NUL, counted in the length.
fn put_string(out: &mut [u8], value: &[u8]) -> Result<Option<usize>> {
    if out.len() < value.len() + 1 {
        return Err(Errno::EINVAL);
    }
    let (head, tail) = out.split_at_mut(value.len());
    head.copy_from_slice(value);
    tail.fill(0);
    Ok(Some(value.len() + 1))
}

// ---- CURVE keys ----

/// A key as ZMQ_CURVE_*KEY takes it: 32 binary bytes, 40 Z85 characters, or 40 Z85 characters
/// and a NUL.
fn curve_key_from_option(value: &[u8]) -> Result<[u8; CURVE_KEY_SIZE]> {
    match value.len() {
        CURVE_KEY_SIZE => exact(value),
        CURVE_KEY_Z85_SIZE => z85_key_decode(value).ok_or(Errno::EINVAL),
        n if n == CURVE_KEY_Z85_SIZE + 1 && value[CURVE_KEY_Z85_SIZE] == 0 => {
            z85_key_decode(&value[..CURVE_KEY_Z85_SIZE]).ok_or(Errno::EINVAL)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// A key as ZMQ_CURVE_*KEY gives it: binary into exactly 32 bytes, Z85 text and NUL into
/// exactly 41; the length is reported unchanged.
fn curve_key_to_option(key: &[u8; CURVE_KEY_SIZE], out: &mut [u8]) -> Result<usize> {
    match out.len() {
        CURVE_KEY_SIZE => out.copy_from_slice(key),
        n if n == CURVE_KEY_Z85_SIZE + 1 => {
            out[..CURVE_KEY_Z85_SIZE].copy_from_slice(&z85_key_encode(key));
            out[CURVE_KEY_Z85_SIZE] = 0;
        }
        _ => return Err(Errno::EINVAL),
    }
    Ok(out.len())
}

fn z85_key_encode(key: &[u8; CURVE_KEY_SIZE]) -> [u8; CURVE_KEY_Z85_SIZE] {
    let mut text = [0u8; CURVE_KEY_Z85_SIZE];
    z85::encode_into(key, &mut text).expect("32 bytes encode to 40 characters");
    text
}

/// None for a wrong length, a character outside the alphabet, or a group above 2^32 - 1.
fn z85_key_decode(text: &[u8]) -> Option<[u8; CURVE_KEY_SIZE]> {
    let mut key = [0u8; CURVE_KEY_SIZE];
    z85::decode_into(text, &mut key).ok()?;
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn int(value: c_int) -> [u8; 4] {
        value.to_ne_bytes()
    }

    fn get_int(options: &Options, option: c_int) -> Result<c_int> {
        let mut out = [0u8; 4];
        assert_eq!(options.get(option, &mut out)?, Some(4));
        Ok(c_int::from_ne_bytes(out))
    }

    fn get_bytes(options: &Options, option: c_int) -> Result<Vec<u8>> {
        let mut out = [0xAAu8; 300];
        let len = options.get(option, &mut out)?.expect("a generic option");
        Ok(out[..len].to_vec())
    }

    fn set_int(options: &mut Options, option: c_int, value: c_int) -> Result<bool> {
        options.set(option, &int(value))
    }

    /// Every int option, its libzmq default, and a valid non-default value.
    fn int_options() -> Vec<(c_int, c_int, c_int)> {
        #[allow(unused_mut)]
        let mut list = vec![
            (ZMQ_SNDHWM, 1000, 0),
            (ZMQ_RCVHWM, 1000, 5),
            (ZMQ_RATE, 100, 1),
            (ZMQ_RECOVERY_IVL, 10000, 0),
            (ZMQ_SNDBUF, -1, 16384),
            (ZMQ_RCVBUF, -1, 16384),
            (ZMQ_TOS, 0, 0x28),
            (ZMQ_LINGER, -1, 0),
            (ZMQ_CONNECT_TIMEOUT, 0, 250),
            (ZMQ_TCP_MAXRT, 0, 1000),
            (ZMQ_RECONNECT_IVL, 100, -1),
            (ZMQ_RECONNECT_IVL_MAX, 0, 5000),
            (ZMQ_BACKLOG, 100, 0),
            (ZMQ_MULTICAST_HOPS, 1, 7),
            (ZMQ_MULTICAST_MAXTPDU, 1500, 9000),
            (ZMQ_RCVTIMEO, -1, 0),
            (ZMQ_SNDTIMEO, -1, 10),
            (ZMQ_IPV6, 0, 1),
            (ZMQ_IMMEDIATE, 0, 1),
            (ZMQ_TCP_KEEPALIVE, -1, 1),
            (ZMQ_TCP_KEEPALIVE_CNT, -1, 0),
            (ZMQ_TCP_KEEPALIVE_IDLE, -1, 60),
            (ZMQ_TCP_KEEPALIVE_INTVL, -1, 5),
            (ZMQ_CONFLATE, 0, 1),
            (ZMQ_HANDSHAKE_IVL, 30000, 0),
            (ZMQ_INVERT_MATCHING, 0, 1),
            (ZMQ_HEARTBEAT_IVL, 0, 100),
            (ZMQ_HEARTBEAT_TTL, 0, 2000),
            (ZMQ_HEARTBEAT_TIMEOUT, -1, 0),
            (ZMQ_USE_FD, -1, 3),
        ];
        #[cfg(zmq_draft)]
        list.extend([
            (draft::ZMQ_RECONNECT_STOP, 0, draft::ZMQ_RECONNECT_STOP_CONN_REFUSED),
            (draft::ZMQ_ZAP_ENFORCE_DOMAIN, 0, 1),
            (draft::ZMQ_LOOPBACK_FASTPATH, 0, 1),
            (draft::ZMQ_MULTICAST_LOOP, 1, 0),
            (draft::ZMQ_IN_BATCH_SIZE, 8192, 1),
            (draft::ZMQ_OUT_BATCH_SIZE, 8192, 65536),
            (draft::ZMQ_PRIORITY, 0, 3),
        ]);
        list
    }

    #[test]
    fn int_options_have_libzmqs_defaults() {
        let options = Options::new(ZMQ_PUSH);
        for (option, default, _) in int_options() {
            assert_eq!(get_int(&options, option), Ok(default), "option {option}");
        }
    }

    #[test]
    fn other_options_have_libzmqs_defaults() {
        let options = Options::new(ZMQ_DEALER);
        assert_eq!(get_int(&options, ZMQ_TYPE), Ok(ZMQ_DEALER));
        assert_eq!(get_int(&options, ZMQ_MECHANISM), Ok(ZMQ_NULL));
        assert_eq!(get_int(&options, ZMQ_PLAIN_SERVER), Ok(0));
        assert_eq!(get_int(&options, ZMQ_IPV4ONLY), Ok(1));
        assert_eq!(get_int(&options, ZMQ_THREAD_SAFE), Ok(0));
        let mut eight = [0xFFu8; 8];
        assert_eq!(options.get(ZMQ_AFFINITY, &mut eight), Ok(Some(8)));
        assert_eq!(u64::from_ne_bytes(eight), 0);
        assert_eq!(options.get(ZMQ_MAXMSGSIZE, &mut eight), Ok(Some(8)));
        assert_eq!(i64::from_ne_bytes(eight), -1);
        assert_eq!(get_bytes(&options, ZMQ_ROUTING_ID), Ok(vec![]));
        for option in [
            ZMQ_LAST_ENDPOINT,
            ZMQ_SOCKS_PROXY,
            ZMQ_PLAIN_USERNAME,
            ZMQ_PLAIN_PASSWORD,
            ZMQ_ZAP_DOMAIN,
            ZMQ_BINDTODEVICE,
        ] {
            assert_eq!(get_bytes(&options, option), Ok(vec![0]), "option {option}");
        }
        assert_eq!(options.hello_msg, b"");
        assert!(options.metadata.is_empty() && options.tcp_accept_filters.is_empty());
        assert_eq!(options.curve_server_key, [0; 32]);
    }

    #[cfg(zmq_draft)]
    #[test]
    fn draft_defaults_are_libzmqs() {
        let options = Options::new(ZMQ_ROUTER);
        assert_eq!(get_int(&options, draft::ZMQ_ROUTER_NOTIFY), Ok(0));
        assert_eq!(get_bytes(&options, draft::ZMQ_SOCKS_USERNAME), Ok(vec![0]));
        assert_eq!(get_bytes(&options, draft::ZMQ_SOCKS_PASSWORD), Ok(vec![0]));
        assert_eq!(options.busy_poll, 0);
    }

    #[test]
    fn every_int_option_round_trips() {
        let mut options = Options::new(ZMQ_PUSH);
        for (option, _, value) in int_options() {
            assert_eq!(set_int(&mut options, option, value), Ok(true), "option {option}");
            assert_eq!(get_int(&options, option), Ok(value), "option {option}");
        }
    }

    #[test]
    fn int_options_need_exactly_an_int_to_set_and_get() {
        let mut options = Options::new(ZMQ_PUSH);
        for (option, _, value) in int_options() {
            let eight = i64::from(value).to_ne_bytes();
            assert_eq!(options.set(option, &eight), Err(Errno::EINVAL), "option {option}");
            assert_eq!(options.set(option, &[1, 0]), Err(Errno::EINVAL), "option {option}");
            assert_eq!(options.get(option, &mut [0u8; 8]), Err(Errno::EINVAL), "option {option}");
            assert_eq!(options.get(option, &mut [0u8; 2]), Err(Errno::EINVAL), "option {option}");
        }
    }

    #[test]
    fn int_options_reject_values_below_their_minimum() {
        let mut options = Options::new(ZMQ_PUSH);
        let too_low = [
            (ZMQ_SNDHWM, -1),
            (ZMQ_RCVHWM, -1),
            (ZMQ_RATE, 0),
            (ZMQ_RECOVERY_IVL, -1),
            (ZMQ_SNDBUF, -2),
            (ZMQ_RCVBUF, -2),
            (ZMQ_TOS, -1),
            (ZMQ_LINGER, -2),
            (ZMQ_CONNECT_TIMEOUT, -1),
            (ZMQ_TCP_MAXRT, -1),
            (ZMQ_RECONNECT_IVL, -2),
            (ZMQ_RECONNECT_IVL_MAX, -1),
            (ZMQ_BACKLOG, -1),
            (ZMQ_MULTICAST_HOPS, 0),
            (ZMQ_MULTICAST_MAXTPDU, 0),
            (ZMQ_RCVTIMEO, -2),
            (ZMQ_SNDTIMEO, -2),
            (ZMQ_TCP_KEEPALIVE, -2),
            (ZMQ_TCP_KEEPALIVE_CNT, -2),
            (ZMQ_TCP_KEEPALIVE_IDLE, -2),
            (ZMQ_TCP_KEEPALIVE_INTVL, -2),
            (ZMQ_HANDSHAKE_IVL, -1),
            (ZMQ_HEARTBEAT_IVL, -1),
            (ZMQ_HEARTBEAT_TIMEOUT, -1),
            (ZMQ_USE_FD, -2),
        ];
        for (option, value) in too_low {
            assert_eq!(set_int(&mut options, option, value), Err(Errno::EINVAL), "option {option}");
        }
        assert_eq!(options, Options::new(ZMQ_PUSH), "a rejected value changes nothing");
    }

    #[cfg(zmq_draft)]
    #[test]
    fn draft_int_options_reject_values_below_their_minimum() {
        let mut options = Options::new(ZMQ_PUSH);
        for (option, value) in
            [(draft::ZMQ_IN_BATCH_SIZE, 0), (draft::ZMQ_OUT_BATCH_SIZE, 0), (draft::ZMQ_PRIORITY, -1)]
        {
            assert_eq!(set_int(&mut options, option, value), Err(Errno::EINVAL), "option {option}");
        }
    }

    #[test]
    fn strict_booleans_take_only_zero_or_one() {
        let mut options = Options::new(ZMQ_PUSH);
        for option in [ZMQ_IPV6, ZMQ_IPV4ONLY, ZMQ_IMMEDIATE, ZMQ_CONFLATE, ZMQ_PLAIN_SERVER] {
            assert_eq!(set_int(&mut options, option, 2), Err(Errno::EINVAL), "option {option}");
            assert_eq!(set_int(&mut options, option, -1), Err(Errno::EINVAL), "option {option}");
        }
        assert_eq!(set_int(&mut options, ZMQ_TCP_KEEPALIVE, 2), Err(Errno::EINVAL));
    }

    #[test]
    fn relaxed_booleans_take_any_int_as_true() {
        let mut options = Options::new(ZMQ_XPUB);
        set_int(&mut options, ZMQ_INVERT_MATCHING, 42).unwrap();
        assert_eq!(get_int(&options, ZMQ_INVERT_MATCHING), Ok(1));
        #[cfg(zmq_draft)]
        for option in [draft::ZMQ_ZAP_ENFORCE_DOMAIN, draft::ZMQ_LOOPBACK_FASTPATH, draft::ZMQ_MULTICAST_LOOP]
        {
            set_int(&mut options, option, -7).unwrap();
            assert_eq!(get_int(&options, option), Ok(1), "option {option}");
        }
    }

    #[test]
    fn ipv4only_is_the_inverse_of_ipv6() {
        let mut options = Options::new(ZMQ_PUB);
        set_int(&mut options, ZMQ_IPV4ONLY, 0).unwrap();
        assert!(options.ipv6);
        assert_eq!(get_int(&options, ZMQ_IPV4ONLY), Ok(0));
        set_int(&mut options, ZMQ_IPV6, 0).unwrap();
        assert_eq!(get_int(&options, ZMQ_IPV4ONLY), Ok(1));
    }

    #[test]
    fn affinity_and_maxmsgsize_are_64_bit() {
        let mut options = Options::new(ZMQ_PUB);
        options.set(ZMQ_AFFINITY, &u64::MAX.to_ne_bytes()).unwrap();
        options.set(ZMQ_MAXMSGSIZE, &(1i64 << 40).to_ne_bytes()).unwrap();
        let mut out = [0u8; 8];
        options.get(ZMQ_AFFINITY, &mut out).unwrap();
        assert_eq!(u64::from_ne_bytes(out), u64::MAX);
        options.get(ZMQ_MAXMSGSIZE, &mut out).unwrap();
        assert_eq!(i64::from_ne_bytes(out), 1 << 40);
        assert_eq!(options.set(ZMQ_AFFINITY, &int(1)), Err(Errno::EINVAL));
        assert_eq!(options.set(ZMQ_MAXMSGSIZE, &int(1)), Err(Errno::EINVAL));
        assert_eq!(options.get(ZMQ_AFFINITY, &mut [0u8; 4]), Err(Errno::EINVAL));
        assert_eq!(options.get(ZMQ_MAXMSGSIZE, &mut [0u8; 16]), Err(Errno::EINVAL));
    }

    #[test]
    fn maxmsgsize_accepts_any_negative_value() {
        let mut options = Options::new(ZMQ_PULL);
        options.set(ZMQ_MAXMSGSIZE, &(-5i64).to_ne_bytes()).unwrap();
        assert_eq!(options.maxmsgsize, -5);
    }

    #[test]
    fn heartbeat_ttl_is_kept_in_deciseconds() {
        let mut options = Options::new(ZMQ_DEALER);
        set_int(&mut options, ZMQ_HEARTBEAT_TTL, 1234).unwrap();
        assert_eq!(options.heartbeat_ttl, 12);
        assert_eq!(get_int(&options, ZMQ_HEARTBEAT_TTL), Ok(1200));
    }

    #[test]
    fn heartbeat_ttl_is_limited_to_6553599_ms() {
        let mut options = Options::new(ZMQ_DEALER);
        assert_eq!(set_int(&mut options, ZMQ_HEARTBEAT_TTL, 6_553_599), Ok(true));
        assert_eq!(get_int(&options, ZMQ_HEARTBEAT_TTL), Ok(6_553_500));
        assert_eq!(set_int(&mut options, ZMQ_HEARTBEAT_TTL, 6_553_600), Err(Errno::EINVAL));
    }

    #[test]
    fn heartbeat_ttl_accepts_small_negatives_as_zero() {
        // The division to deciseconds comes before the range check, as in libzmq.
        let mut options = Options::new(ZMQ_DEALER);
        set_int(&mut options, ZMQ_HEARTBEAT_TTL, 5000).unwrap();
        assert_eq!(set_int(&mut options, ZMQ_HEARTBEAT_TTL, -99), Ok(true));
        assert_eq!(options.heartbeat_ttl, 0);
        assert_eq!(set_int(&mut options, ZMQ_HEARTBEAT_TTL, -100), Err(Errno::EINVAL));
    }

    #[test]
    fn routing_id_is_1_to_255_bytes_and_may_start_with_zero() {
        let mut options = Options::new(ZMQ_DEALER);
        assert_eq!(options.set(ZMQ_ROUTING_ID, &[0, 1, 2]), Ok(true));
        assert_eq!(get_bytes(&options, ZMQ_ROUTING_ID), Ok(vec![0, 1, 2]));
        assert_eq!(options.set(ZMQ_ROUTING_ID, &[7; 255]), Ok(true));
        assert_eq!(options.set(ZMQ_ROUTING_ID, &[7; 256]), Err(Errno::EINVAL));
        assert_eq!(options.set(ZMQ_ROUTING_ID, &[]), Err(Errno::EINVAL));
        assert_eq!(options.routing_id, vec![7; 255]);
    }

    #[test]
    fn routing_id_reads_without_terminator_into_a_large_enough_buffer() {
        let mut options = Options::new(ZMQ_DEALER);
        options.set(ZMQ_ROUTING_ID, b"abc").unwrap();
        let mut out = [0xFFu8; 5];
        assert_eq!(options.get(ZMQ_ROUTING_ID, &mut out), Ok(Some(3)));
        assert_eq!(out, *b"abc\0\0", "the unused tail is zeroed");
        assert_eq!(options.get(ZMQ_ROUTING_ID, &mut [0u8; 3]), Ok(Some(3)));
        assert_eq!(options.get(ZMQ_ROUTING_ID, &mut [0u8; 2]), Err(Errno::EINVAL));
    }

    #[test]
    fn strings_read_with_a_terminating_nul_that_needs_room() {
        let mut options = Options::new(ZMQ_PUSH);
        options.set(ZMQ_BINDTODEVICE, b"testdev").unwrap();
        let mut out = [0xFFu8; 16];
        assert_eq!(options.get(ZMQ_BINDTODEVICE, &mut out), Ok(Some(8)));
        assert_eq!(&out[..8], b"testdev\0");
        assert!(out[8..].iter().all(|&b| b == 0), "the unused tail is zeroed");
        assert_eq!(options.get(ZMQ_BINDTODEVICE, &mut [0u8; 8]), Ok(Some(8)));
        assert_eq!(options.get(ZMQ_BINDTODEVICE, &mut [0u8; 7]), Err(Errno::EINVAL));
        assert_eq!(Options::new(ZMQ_PUSH).get(ZMQ_BINDTODEVICE, &mut []), Err(Errno::EINVAL));
    }

    #[test]
    fn last_endpoint_is_get_only_and_read_as_a_string() {
        let mut options = Options::new(ZMQ_PUSH);
        options.last_endpoint = "tcp://127.0.0.1:5555".into();
        assert_eq!(get_bytes(&options, ZMQ_LAST_ENDPOINT), Ok(b"tcp://127.0.0.1:5555\0".to_vec()));
        assert_eq!(options.set(ZMQ_LAST_ENDPOINT, b"tcp://x:1"), Err(Errno::EINVAL));
    }

    #[test]
    fn get_only_options_reject_set() {
        let mut options = Options::new(ZMQ_PUSH);
        for option in [ZMQ_TYPE, ZMQ_MECHANISM, ZMQ_LAST_ENDPOINT, ZMQ_THREAD_SAFE] {
            assert_eq!(set_int(&mut options, option, 1), Err(Errno::EINVAL), "option {option}");
        }
    }

    #[test]
    fn thread_safe_reads_into_any_buffer_of_at_least_an_int() {
        let options = Options::new(ZMQ_PUSH);
        let mut out = [0xFFu8; 8];
        assert_eq!(options.get(ZMQ_THREAD_SAFE, &mut out), Ok(Some(4)));
        assert_eq!(out, [0; 8]);
        assert_eq!(options.get(ZMQ_THREAD_SAFE, &mut [0u8; 2]), Err(Errno::EINVAL));
    }

    #[cfg(zmq_draft)]
    #[test]
    fn draft_thread_safe_types_say_so() {
        for socket_type in [draft::ZMQ_SERVER, draft::ZMQ_CLIENT, draft::ZMQ_RADIO, draft::ZMQ_DISH] {
            assert_eq!(get_int(&Options::new(socket_type), ZMQ_THREAD_SAFE), Ok(1));
        }
        assert!(!Options::new(draft::ZMQ_DGRAM).thread_safe);
        assert!(!Options::new(ZMQ_ROUTER).thread_safe);
    }

    #[test]
    fn socket_state_options_are_not_generic() {
        let mut options = Options::new(ZMQ_SUB);
        for option in [ZMQ_RCVMORE, ZMQ_FD, ZMQ_EVENTS] {
            assert_eq!(options.get(option, &mut [0u8; 8]), Ok(None), "option {option}");
            assert_eq!(set_int(&mut options, option, 1), Ok(false), "option {option}");
        }
    }

    #[test]
    fn socket_type_options_are_left_to_the_socket_type() {
        let mut options = Options::new(ZMQ_ROUTER);
        for option in [
            ZMQ_SUBSCRIBE,
            ZMQ_UNSUBSCRIBE,
            ZMQ_ROUTER_MANDATORY,
            ZMQ_ROUTER_RAW,
            ZMQ_ROUTER_HANDOVER,
            ZMQ_PROBE_ROUTER,
            ZMQ_REQ_CORRELATE,
            ZMQ_REQ_RELAXED,
            ZMQ_XPUB_VERBOSE,
            ZMQ_XPUB_VERBOSER,
            ZMQ_XPUB_NODROP,
            ZMQ_XPUB_MANUAL,
            ZMQ_XPUB_WELCOME_MSG,
            ZMQ_STREAM_NOTIFY,
            ZMQ_CONNECT_ROUTING_ID,
            ZMQ_VMCI_BUFFER_SIZE,
        ] {
            assert_eq!(set_int(&mut options, option, 1), Ok(false), "option {option}");
            assert_eq!(options.get(option, &mut [0u8; 4]), Ok(None), "option {option}");
        }
        assert_eq!(options, Options::new(ZMQ_ROUTER));
    }

    #[cfg(zmq_draft)]
    #[test]
    fn draft_socket_type_options_are_left_to_the_socket_type() {
        let mut options = Options::new(ZMQ_XSUB);
        for option in [
            draft::ZMQ_ONLY_FIRST_SUBSCRIBE,
            draft::ZMQ_XSUB_VERBOSE_UNSUBSCRIBE,
            draft::ZMQ_XPUB_MANUAL_LAST_VALUE,
            draft::ZMQ_ROUTER_NOTIFY,
            draft::ZMQ_NORM_MODE,
            draft::ZMQ_WSS_HOSTNAME,
        ] {
            assert_eq!(set_int(&mut options, option, 1), Ok(false), "option {option}");
        }
        assert_eq!(options.get(draft::ZMQ_TOPICS_COUNT, &mut [0u8; 4]), Ok(None));
    }

    #[test]
    fn unknown_options_are_not_generic() {
        let mut options = Options::new(ZMQ_PAIR);
        assert_eq!(set_int(&mut options, 10_000, 1), Ok(false));
        assert_eq!(options.get(10_000, &mut [0u8; 4]), Ok(None));
    }

    #[test]
    fn connect_routing_id_is_non_empty_and_unbounded() {
        let mut options = Options::new(ZMQ_ROUTER);
        assert_eq!(options.set_connect_routing_id(b""), Err(Errno::EINVAL));
        options.set_connect_routing_id(&[1; 300]).unwrap();
        assert_eq!(options.connect_routing_id.len(), 300);
    }

    #[test]
    fn plain_username_selects_plain_as_client() {
        let mut options = Options::new(ZMQ_DEALER);
        set_int(&mut options, ZMQ_PLAIN_SERVER, 1).unwrap();
        options.set(ZMQ_PLAIN_USERNAME, b"admin").unwrap();
        assert_eq!(options.mechanism, Mechanism::Plain);
        assert!(!options.as_server);
        assert_eq!(get_int(&options, ZMQ_MECHANISM), Ok(ZMQ_PLAIN));
        assert_eq!(get_bytes(&options, ZMQ_PLAIN_USERNAME), Ok(b"admin\0".to_vec()));
    }

    #[test]
    fn plain_password_round_trips_and_selects_plain() {
        let mut options = Options::new(ZMQ_DEALER);
        options.set(ZMQ_PLAIN_PASSWORD, b"password").unwrap();
        assert_eq!(options.mechanism, Mechanism::Plain);
        assert_eq!(get_bytes(&options, ZMQ_PLAIN_PASSWORD), Ok(b"password\0".to_vec()));
    }

    #[test]
    fn plain_credentials_are_1_to_255_bytes() {
        let mut options = Options::new(ZMQ_DEALER);
        for option in [ZMQ_PLAIN_USERNAME, ZMQ_PLAIN_PASSWORD] {
            assert_eq!(options.set(option, &[b'a'; 255]), Ok(true), "option {option}");
            assert_eq!(options.set(option, &[b'a'; 256]), Err(Errno::EINVAL), "option {option}");
        }
    }

    #[test]
    fn empty_plain_username_switches_back_to_null_but_keeps_it() {
        let mut options = Options::new(ZMQ_DEALER);
        options.set(ZMQ_PLAIN_USERNAME, b"admin").unwrap();
        assert_eq!(options.set(ZMQ_PLAIN_USERNAME, &[]), Ok(true));
        assert_eq!(options.mechanism, Mechanism::Null);
        assert_eq!(options.plain_username, b"admin");
    }

    #[test]
    fn non_null_zero_length_plain_username_is_invalid() {
        let mut options = Options::new(ZMQ_DEALER);
        assert_eq!(options.set_nullable(ZMQ_PLAIN_USERNAME, Some(&[])), Err(Errno::EINVAL));
        assert_eq!(options.set_nullable(ZMQ_PLAIN_USERNAME, None), Ok(true));
    }

    #[test]
    fn plain_server_selects_plain_and_reads_back_only_under_plain() {
        let mut options = Options::new(ZMQ_ROUTER);
        set_int(&mut options, ZMQ_PLAIN_SERVER, 1).unwrap();
        assert_eq!(options.mechanism, Mechanism::Plain);
        assert_eq!(get_int(&options, ZMQ_PLAIN_SERVER), Ok(1));
        set_int(&mut options, ZMQ_PLAIN_SERVER, 0).unwrap();
        assert_eq!(options.mechanism, Mechanism::Null);
        assert_eq!(get_int(&options, ZMQ_PLAIN_SERVER), Ok(0));
    }

    #[test]
    fn zap_domain_is_1_to_255_bytes_and_cannot_be_emptied() {
        let mut options = Options::new(ZMQ_ROUTER);
        options.set(ZMQ_ZAP_DOMAIN, b"global").unwrap();
        assert_eq!(get_bytes(&options, ZMQ_ZAP_DOMAIN), Ok(b"global\0".to_vec()));
        assert_eq!(options.set(ZMQ_ZAP_DOMAIN, &[]), Err(Errno::EINVAL));
        assert_eq!(options.set(ZMQ_ZAP_DOMAIN, &[b'd'; 256]), Err(Errno::EINVAL));
        assert_eq!(options.zap_domain, b"global");
    }

    #[test]
    fn curve_server_option_selects_curve_and_bad_keys_are_einval() {
        let mut options = Options::new(ZMQ_DEALER);
        set_int(&mut options, ZMQ_CURVE_SERVER, 1).unwrap();
        assert_eq!((options.mechanism, options.as_server), (Mechanism::Curve, true));
        assert_eq!(get_int(&options, ZMQ_CURVE_SERVER), Ok(1));
        assert_eq!(get_int(&options, ZMQ_MECHANISM), Ok(ZMQ_CURVE));
        assert_eq!(set_int(&mut options, ZMQ_CURVE_SERVER, 2), Err(Errno::EINVAL));
        for option in [ZMQ_CURVE_PUBLICKEY, ZMQ_CURVE_SECRETKEY, ZMQ_CURVE_SERVERKEY] {
            assert_eq!(options.set(option, &[1; 31]), Err(Errno::EINVAL), "option {option}");
            // '~' is not in the Z85 alphabet.
            assert_eq!(options.set(option, &[b'~'; 40]), Err(Errno::EINVAL), "option {option}");
        }
        set_int(&mut options, ZMQ_CURVE_SERVER, 0).unwrap();
        assert_eq!(options.mechanism, Mechanism::Null);
    }

    #[test]
    fn gssapi_options_are_invalid_without_gssapi() {
        let mut options = Options::new(ZMQ_DEALER);
        for option in [
            ZMQ_GSSAPI_SERVER,
            ZMQ_GSSAPI_PRINCIPAL,
            ZMQ_GSSAPI_SERVICE_PRINCIPAL,
            ZMQ_GSSAPI_PLAINTEXT,
            ZMQ_GSSAPI_PRINCIPAL_NAMETYPE,
            ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE,
        ] {
            assert_eq!(set_int(&mut options, option, 0), Err(Errno::EINVAL), "option {option}");
            assert_eq!(options.get(option, &mut [0u8; 4]), Err(Errno::EINVAL), "option {option}");
        }
    }

    // The CURVE key handling, exercised directly while CURVE_AVAILABLE is false.

    /// Z85's reference vector ("HelloWorld" encodes these 8 bytes), four times over.
    const HELLO_KEY: [u8; 32] = {
        let group = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];
        let mut key = [0; 32];
        let mut i = 0;
        while i < 32 {
            key[i] = group[i % 8];
            i += 1;
        }
        key
    };
    const HELLO_Z85: &[u8; 40] = b"HelloWorldHelloWorldHelloWorldHelloWorld";

    #[test]
    fn z85_key_codec_matches_the_reference_vector() {
        assert_eq!(&z85_key_encode(&HELLO_KEY), HELLO_Z85);
        assert_eq!(z85_key_decode(HELLO_Z85), Some(HELLO_KEY));
    }

    #[test]
    fn z85_key_decode_rejects_bad_text() {
        let mut bad = *HELLO_Z85;
        bad[3] = b' ';
        assert_eq!(z85_key_decode(&bad), None, "character outside the alphabet");
        let mut overflow = *HELLO_Z85;
        overflow[..5].copy_from_slice(b"#####");
        assert_eq!(z85_key_decode(&overflow), None, "group above 2^32 - 1");
        assert_eq!(z85_key_decode(&HELLO_Z85[..35]), None, "wrong length");
    }

    #[test]
    fn curve_keys_are_accepted_as_binary_or_z85_with_or_without_nul() {
        assert_eq!(curve_key_from_option(&HELLO_KEY), Ok(HELLO_KEY));
        assert_eq!(curve_key_from_option(HELLO_Z85), Ok(HELLO_KEY));
        let mut with_nul = HELLO_Z85.to_vec();
        with_nul.push(0);
        assert_eq!(curve_key_from_option(&with_nul), Ok(HELLO_KEY));
        with_nul[40] = b'x';
        assert_eq!(curve_key_from_option(&with_nul), Err(Errno::EINVAL));
        assert_eq!(curve_key_from_option(&[0; 31]), Err(Errno::EINVAL));
    }

    #[test]
    fn curve_keys_read_as_binary_into_32_bytes_and_z85_into_41() {
        let mut binary = [0u8; 32];
        assert_eq!(curve_key_to_option(&HELLO_KEY, &mut binary), Ok(32));
        assert_eq!(binary, HELLO_KEY);
        let mut text = [0xFFu8; 41];
        assert_eq!(curve_key_to_option(&HELLO_KEY, &mut text), Ok(41));
        assert_eq!(&text[..40], HELLO_Z85);
        assert_eq!(text[40], 0);
        assert_eq!(curve_key_to_option(&HELLO_KEY, &mut [0u8; 40]), Err(Errno::EINVAL));
        assert_eq!(curve_key_to_option(&HELLO_KEY, &mut [0u8; 64]), Err(Errno::EINVAL));
    }

    #[test]
    fn curve_server_key_selects_curve_as_client() {
        let mut options = Options::new(ZMQ_DEALER);
        options.set_curve(ZMQ_CURVE_SERVER, &int(1)).unwrap();
        assert!(options.as_server);
        options.set_curve(ZMQ_CURVE_SERVERKEY, HELLO_Z85).unwrap();
        assert_eq!(options.mechanism, Mechanism::Curve);
        assert!(!options.as_server);
        assert_eq!(options.curve_server_key, HELLO_KEY);
        let mut out = [0u8; 4];
        assert_eq!(options.get_curve(ZMQ_CURVE_SERVER, &mut out), Ok(4));
        assert_eq!(c_int::from_ne_bytes(out), 0);
    }

    #[test]
    fn socks_proxy_resets_on_null_only() {
        let mut options = Options::new(ZMQ_DEALER);
        options.set(ZMQ_SOCKS_PROXY, b"127.0.0.1:1080").unwrap();
        assert_eq!(get_bytes(&options, ZMQ_SOCKS_PROXY), Ok(b"127.0.0.1:1080\0".to_vec()));
        assert_eq!(options.set_nullable(ZMQ_SOCKS_PROXY, Some(&[])), Err(Errno::EINVAL));
        assert_eq!(options.set(ZMQ_SOCKS_PROXY, &[]), Ok(true));
        assert!(options.socks_proxy.is_empty());
    }

    #[cfg(zmq_draft)]
    #[test]
    fn socks_credentials_are_up_to_255_bytes_and_empty_resets() {
        let mut options = Options::new(ZMQ_DEALER);
        for option in [draft::ZMQ_SOCKS_USERNAME, draft::ZMQ_SOCKS_PASSWORD] {
            options.set(option, b"user").unwrap();
            assert_eq!(get_bytes(&options, option), Ok(b"user\0".to_vec()));
            assert_eq!(options.set(option, &[b'u'; 256]), Err(Errno::EINVAL));
            assert_eq!(options.set_nullable(option, Some(&[])), Ok(true));
            assert_eq!(get_bytes(&options, option), Ok(vec![0]));
        }
    }

    #[test]
    fn bindtodevice_is_at_most_16_bytes() {
        let mut options = Options::new(ZMQ_PUSH);
        assert_eq!(options.set(ZMQ_BINDTODEVICE, &[b'e'; 16]), Ok(true));
        assert_eq!(options.set(ZMQ_BINDTODEVICE, &[b'e'; 17]), Err(Errno::EINVAL));
        assert_eq!(options.set(ZMQ_BINDTODEVICE, &[]), Ok(true));
        assert!(options.bindtodevice.is_empty());
    }

    #[test]
    fn tcp_accept_filters_accumulate_and_reset_on_null() {
        let mut options = Options::new(ZMQ_ROUTER);
        options.set(ZMQ_TCP_ACCEPT_FILTER, b"127.0.0.1").unwrap();
        options.set(ZMQ_TCP_ACCEPT_FILTER, b"10.0.0.0/8").unwrap();
        assert_eq!(
            options.tcp_accept_filters,
            [
                TcpAcceptFilter { address: IpAddr::V4(Ipv4Addr::LOCALHOST), mask: 32 },
                TcpAcceptFilter { address: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 0)), mask: 8 },
            ]
        );
        assert_eq!(options.get(ZMQ_TCP_ACCEPT_FILTER, &mut [0u8; 64]), Err(Errno::EINVAL));
        assert_eq!(options.set_nullable(ZMQ_TCP_ACCEPT_FILTER, Some(&[])), Err(Errno::EINVAL));
        options.set(ZMQ_TCP_ACCEPT_FILTER, &[]).unwrap();
        assert!(options.tcp_accept_filters.is_empty());
    }

    #[test]
    fn tcp_accept_filters_reject_names_bad_masks_and_ipv6_without_ipv6() {
        let mut options = Options::new(ZMQ_ROUTER);
        for bad in [&b"localhost"[..], b"10.0.0.0/", b"10.0.0.0/33", b"10.0.0.0/-1", b"::1", b"eth0"] {
            let text = String::from_utf8_lossy(bad);
            assert_eq!(options.set(ZMQ_TCP_ACCEPT_FILTER, bad), Err(Errno::EINVAL), "{text}");
        }
        assert_eq!(options.set(ZMQ_TCP_ACCEPT_FILTER, &[b'1'; 256]), Err(Errno::EINVAL));
        assert!(options.tcp_accept_filters.is_empty());
    }

    #[test]
    fn tcp_accept_filters_take_ipv6_and_map_ipv4_when_ipv6_is_on() {
        let mut options = Options::new(ZMQ_ROUTER);
        set_int(&mut options, ZMQ_IPV6, 1).unwrap();
        options.set(ZMQ_TCP_ACCEPT_FILTER, b"[::1]").unwrap();
        options.set(ZMQ_TCP_ACCEPT_FILTER, b"fe80::/10").unwrap();
        options.set(ZMQ_TCP_ACCEPT_FILTER, b"192.168.1.0/0").unwrap();
        let [loopback, link_local, mapped] = options.tcp_accept_filters[..] else { panic!() };
        assert_eq!(loopback, TcpAcceptFilter { address: IpAddr::V6(Ipv6Addr::LOCALHOST), mask: 128 });
        assert_eq!(link_local.mask, 10);
        assert_eq!(mapped.address, IpAddr::V6(Ipv4Addr::new(192, 168, 1, 0).to_ipv6_mapped()));
        assert_eq!(mapped.mask, 0);
    }

    #[test]
    fn tcp_accept_filter_matches_its_network() {
        let filter = parse_accept_filter(b"10.1.0.0/16", false).unwrap();
        assert!(filter.matches(IpAddr::V4(Ipv4Addr::new(10, 1, 200, 3))));
        assert!(!filter.matches(IpAddr::V4(Ipv4Addr::new(10, 2, 0, 1))));
        let mapped = parse_accept_filter(b"10.1.0.0/120", true).unwrap();
        assert!(mapped.matches(IpAddr::V4(Ipv4Addr::new(10, 1, 0, 9))));
        assert!(parse_accept_filter(b"0.0.0.0/0", false).unwrap().matches(IpAddr::V4(Ipv4Addr::BROADCAST)));
    }

    #[test]
    fn ipc_filters_add_ids_and_reset_on_null() {
        let mut options = Options::new(ZMQ_PULL);
        options.set(ZMQ_IPC_FILTER_UID, &1000u32.to_ne_bytes()).unwrap();
        options.set(ZMQ_IPC_FILTER_UID, &0u32.to_ne_bytes()).unwrap();
        options.set(ZMQ_IPC_FILTER_GID, &100u32.to_ne_bytes()).unwrap();
        options.set(ZMQ_IPC_FILTER_PID, &4242i32.to_ne_bytes()).unwrap();
        assert_eq!(options.ipc_filter_uids, BTreeSet::from([0, 1000]));
        assert_eq!(options.ipc_filter_gids, BTreeSet::from([100]));
        assert_eq!(options.ipc_filter_pids, BTreeSet::from([4242]));
        options.set(ZMQ_IPC_FILTER_UID, &[]).unwrap();
        assert!(options.ipc_filter_uids.is_empty());
        for option in [ZMQ_IPC_FILTER_PID, ZMQ_IPC_FILTER_UID, ZMQ_IPC_FILTER_GID] {
            assert_eq!(options.set(option, &[0; 8]), Err(Errno::EINVAL), "option {option}");
            assert_eq!(options.set_nullable(option, Some(&[])), Err(Errno::EINVAL));
            assert_eq!(options.get(option, &mut [0u8; 4]), Err(Errno::EINVAL), "option {option}");
        }
    }

    #[cfg(zmq_draft)]
    #[test]
    fn metadata_takes_x_properties_and_keeps_the_first_value() {
        let mut options = Options::new(ZMQ_DEALER);
        options.set(draft::ZMQ_METADATA, b"X-color:red:ish").unwrap();
        options.set(draft::ZMQ_METADATA, b"X-color:blue").unwrap();
        assert_eq!(options.metadata.get(&b"X-color"[..]), Some(&b"red:ish".to_vec()));
        assert_eq!(options.get(draft::ZMQ_METADATA, &mut [0u8; 64]), Err(Errno::EINVAL));
    }

    #[cfg(zmq_draft)]
    #[test]
    fn metadata_rejects_malformed_properties() {
        let mut options = Options::new(ZMQ_DEALER);
        let long_key = [&b"X-"[..], &[b'k'; 254], b":v"].concat();
        for bad in [&b""[..], b"X-a:", b":value", b"Y-a:b", b"x-a:b", b"X-ab", b"X-:b", &long_key] {
            let text = String::from_utf8_lossy(bad);
            assert_eq!(options.set(draft::ZMQ_METADATA, bad), Err(Errno::EINVAL), "{text}");
        }
        assert!(options.metadata.is_empty());
    }

    #[cfg(zmq_draft)]
    #[test]
    fn hello_disconnect_and_hiccup_messages_are_set_only_bytes() {
        let mut options = Options::new(ZMQ_ROUTER);
        for option in [draft::ZMQ_HELLO_MSG, draft::ZMQ_DISCONNECT_MSG, draft::ZMQ_HICCUP_MSG] {
            assert_eq!(options.set(option, b"\0hi"), Ok(true));
            assert_eq!(options.get(option, &mut [0u8; 16]), Err(Errno::EINVAL));
        }
        assert_eq!(
            (options.hello_msg.as_slice(), options.hiccup_msg.as_slice()),
            (&b"\0hi"[..], &b"\0hi"[..])
        );
        options.set(draft::ZMQ_DISCONNECT_MSG, &[]).unwrap();
        assert!(options.disconnect_msg.is_empty());
    }

    #[cfg(zmq_draft)]
    #[test]
    fn busy_poll_takes_any_int_but_reads_as_einval_as_in_libzmq_4_3_5() {
        let mut options = Options::new(ZMQ_PAIR);
        set_int(&mut options, draft::ZMQ_BUSY_POLL, -3).unwrap();
        assert_eq!(options.busy_poll, -3);
        let mut out = [0u8; 4];
        assert_eq!(options.get(draft::ZMQ_BUSY_POLL, &mut out), Err(Errno::EINVAL));
        assert_eq!(c_int::from_ne_bytes(out), -3, "the value is written all the same");
    }

    #[cfg(zmq_draft)]
    #[test]
    fn reconnect_stop_takes_any_int() {
        let mut options = Options::new(ZMQ_DEALER);
        set_int(&mut options, draft::ZMQ_RECONNECT_STOP, -1).unwrap();
        assert_eq!(get_int(&options, draft::ZMQ_RECONNECT_STOP), Ok(-1));
    }

    #[test]
    fn conflate_acts_only_on_some_types() {
        for (socket_type, effective) in [(ZMQ_DEALER, true), (ZMQ_SUB, true), (ZMQ_ROUTER, false)] {
            let mut options = Options::new(socket_type);
            set_int(&mut options, ZMQ_CONFLATE, 1).unwrap();
            assert_eq!(options.effective_conflate(), effective, "type {socket_type}");
            assert_eq!(get_int(&options, ZMQ_CONFLATE), Ok(1));
        }
    }
}
