//! A session: one connection's life in an I/O thread. It joins the socket's pipe to a stream
//! through the ZMTP state machine (`zmtp::Connection`): messages the socket queued go out in
//! batches, messages that arrive go into the pipe whole (all frames of a multipart message at
//! once), and the pipe's high-water mark stops reading from the network until the socket makes
//! room. A connecting session also owns the reconnect cycle (with ZMQ_RECONNECT_STOP's rules
//! for giving up, and ZMQ_HICCUP_MSG for its socket when a connection is lost); an accepted
//! one ends with its connection. Runs only on its I/O thread; it talks to the socket only through the pipe and
//! commands.
//!
//! Security: the mechanism (NULL, PLAIN, CURVE) is chosen per connection from the socket's options
//! (`SecurityConfig`). When the mechanism needs a ZAP verdict, the session asks the handler
//! through `io::zap` and feeds the reply back (validated by `zmtp::zap`); it also raises
//! libzmq's handshake monitor events (`_PROTOCOL` with the protocol error code, `_AUTH` with
//! the ZAP status, `_NO_DETAIL` with an errno for a connection lost mid-handshake). As in
//! libzmq, a connecting session whose handshake fails on a protocol error does not reconnect.
//!
//! Raw mode (ZMQ_STREAM sockets): no ZMTP at all, see [`Wire::Raw`]. The session then speaks
//! bytes: each read from the network goes into the pipe as one single-frame message, each
//! message from the pipe is written out as it is. It adds only what the socket cannot see
//! itself: an empty message into the pipe when the connection is made and when it is lost (the
//! STREAM socket turns them into its connect/disconnect notifications, or drops them when
//! ZMQ_STREAM_NOTIFY is off), and an empty message from the pipe asks it to close the
//! connection (once what was queued before it is written). Routing ids are the socket's
//! business: the pipe carries none.

use std::ffi::c_int;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use mio::event::Source;
use mio::{Interest, Registry, Token};

use crate::command::Command;
use crate::constants::*;
use crate::ctx::Ctx;
use crate::io::read_blocks::{ReadBlocks, BLOCK};
use crate::io::stream::Stream;
use crate::io::zap::{ZapClient, ZapPoll};
use crate::mailbox::Mailbox;
use crate::msg::{Metadata, Msg};
use crate::pipe::{PipeEnd, PipeId, Readiness};
use crate::socket::monitor::{EndpointPair, MonitorSlot};
use crate::socket::options::{paces_sends, Mechanism, Options};
use crate::sys;
use crate::transport::socks::SocksClient;
use crate::transport::tcp::{self, TcpTuning};
use crate::ypipe::{CATCH_UP_PAUSES, STREAMING};
use crate::zmtp;

/// The most queued for writing before the session stops taking messages from the pipe, and the
/// most read in one go unless large frames are arriving (see `read_once`).
const WRITE_BATCH: usize = 64 * 1024;
const READ_BATCH: usize = 64 * 1024;
/// A frame of this many bytes (header included) that a read cut is held back until the rest of it
/// arrives behind it in the same block, so that it too is decoded whole, as a slice (see
/// `zmtp::Connection::whole_frames_len`). A larger one is gathered in its own message, its rest
/// read straight into it (`CHAIN_MIN`); a smaller one is copied once, which costs less than
/// keeping a whole block for its connection (many connections, each with a small frame cut,
/// would each pin one).
const HOLD: std::ops::RangeInclusive<usize> = 16 * 1024..=CHAIN_MIN + CHAIN_TAIL - 1;
/// Bodies from this size on are written from the message itself (`writev` of the output and the
/// body) instead of being copied into the output.
const ZERO_COPY_MIN: usize = 8 * 1024;
/// The most bodies written from their messages in one `writev`, and the most bytes (output and
/// bodies) queued for it: a few large messages per system call.
const GATHER_BODIES: usize = 32;
const GATHER_BATCH: usize = 1024 * 1024;
/// The most bytes one `writev` carries. Over tcp loopback a single write of a little more than
/// 1 MiB took twice as long as one just below (Linux 6.18; both sides then switched contexts
/// twice as often): a request-reply of 1 MiB messages took 1.6x libzmq's time (whose writes
/// stay below 1 MiB for such messages: a first 8 KiB, then the rest). Writing at most 960 KiB
/// at a time, the median round trip of 1 MiB messages went from 410-580 to 300-370 us (libzmq
/// 237-302) and of 2 MiB from 860-930 to 563-581 (libzmq 785-805); throughput of large
/// messages did not drop (gathered writes had exceeded 1 MiB too); 256 KiB or 512 KiB caps
/// were slower.
const WRITE_MAX: usize = 960 * 1024;
/// A body of at least this many bytes that a read cut has its rest read straight into its
/// message, and the read that completes it takes the next frame's header too (`CHAIN_TAIL`
/// bytes, a long frame's header): a stream of such frames is read one frame per system call,
/// each body into its own (pooled) message, instead of being cut at the ends of read blocks,
/// whose cut frames had to be copied into the next block. Smaller bodies go through the read
/// blocks (a system call per frame would cost more than the copies it saves).
const CHAIN_MIN: usize = 32 * 1024;
const CHAIN_TAIL: usize = 9;
/// A batch that has taken `STREAMING` messages from the pipe is streaming: the socket writes
/// into the pipe while the session takes from it. Having caught up, the session then idles
/// `CATCH_UP_PAUSES` spin-loop hints before it looks at the pipe again (see `ypipe`). Looking
/// at once took the pipe's shared count from the socket's thread after nearly every message
/// when the two ran on different CPUs: the socket's flush then waited for that cache line (72 %
/// of its send in a profile), and a 1-byte stream ran at ~6M msg/s instead of 15-18M with both
/// on one CPU.
/// Bytes read between two flushes of the pipe to the socket while the stream has more.
const FLUSH_BATCH: usize = 256 * 1024;
/// The most a large body's rest may wait to arrive before its stream is read (see
/// `Connection::set_read_threshold`).
const READ_THRESHOLD_MAX: usize = 1024 * 1024;

/// A network pipe's limit: this side's HWM alone (0: none).
pub fn own_limit(hwm: c_int) -> u64 {
    hwm.max(0) as u64
}

/// The pipe between a socket and one of its sessions, as (the socket's end, the session's
/// end): each direction limited by the socket's own high-water marks, the socket's end paced
/// when its type paces its sends (`options::paces_sends`).
pub fn socket_pipe(sndhwm: c_int, rcvhwm: c_int, socket_type: c_int) -> (PipeEnd, PipeEnd) {
    let (mut socket_end, session_end) = PipeEnd::pair(own_limit(sndhwm), own_limit(rcvhwm));
    if paces_sends(socket_type) {
        socket_end.set_paced();
    }
    (socket_end, session_end)
}

/// What a session needs from its socket's options, fixed when the bind or connect was made.
pub struct SessionConfig {
    pub socket_mailbox: Arc<Mailbox>,
    /// Where connection events go (shared with the socket).
    pub monitor: Arc<MonitorSlot>,
    /// The endpoint events name: the connect endpoint, or the listener's resolved one.
    pub endpoint: String,
    pub socket_type: c_int,
    pub routing_id: Vec<u8>,
    pub sndhwm: c_int,
    pub rcvhwm: c_int,
    pub maxmsgsize: i64,
    pub linger: c_int,
    pub reconnect_ivl: c_int,
    pub reconnect_ivl_max: c_int,
    /// ZMQ_RECONNECT_STOP bits (draft).
    pub reconnect_stop: c_int,
    /// Set by the socket at its first zmq_disconnect when ZMQ_RECONNECT_STOP_AFTER_DISCONNECT
    /// is on; shared by all its sessions, as libzmq's flag is socket-wide.
    pub disconnected: Arc<std::sync::atomic::AtomicBool>,
    /// ZMQ_HELLO_MSG (draft), sent first on each connection once its handshake is done.
    pub hello_msg: Option<bytes::Bytes>,
    /// ZMQ_HICCUP_MSG (draft, for the socket types that take it): a connecter puts it into the
    /// pipe for its own socket when a connection whose handshake was done is lost.
    pub hiccup_msg: Option<bytes::Bytes>,
    pub immediate: bool,
    pub metadata: Vec<(String, Vec<u8>)>,
    /// ZMQ_HANDSHAKE_IVL in ms (0: no limit).
    pub handshake_ivl: c_int,
    /// ZMQ_CONNECT_TIMEOUT in ms (0: the kernel's own): how long a tcp connect may take.
    pub connect_timeout: c_int,
    /// ZMQ_HEARTBEAT_IVL in ms (0: no heartbeats), _TTL in deciseconds, _TIMEOUT in ms (-1: IVL).
    pub heartbeat_ivl: c_int,
    pub heartbeat_ttl: c_int,
    pub heartbeat_timeout: c_int,
    /// Kernel options for each tcp connection.
    pub tcp: TcpTuning,
    pub security: SecurityConfig,
    /// The context, for the ZAP handler's inproc endpoint (weak: sessions must not keep a
    /// terminated context alive).
    pub ctx: Weak<Ctx>,
}

/// The security options a session needs (libzmq's mechanism options, fixed at bind/connect).
#[derive(Debug, Clone)]
pub struct SecurityConfig {
    pub mechanism: Mechanism,
    pub as_server: bool,
    pub plain_username: Vec<u8>,
    pub plain_password: Vec<u8>,
    pub zap_domain: Vec<u8>,
    pub zap_enforce_domain: bool,
    pub curve_public_key: zmtp::CurveKey,
    pub curve_secret_key: zmtp::CurveKey,
    pub curve_server_key: zmtp::CurveKey,
}

impl Drop for SecurityConfig {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.plain_password);
    }
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self::from_options(&Options::new(ZMQ_PAIR))
    }
}

impl SecurityConfig {
    pub fn from_options(options: &Options) -> Self {
        Self {
            mechanism: options.mechanism,
            as_server: options.as_server,
            plain_username: options.plain_username.clone(),
            plain_password: options.plain_password.clone(),
            zap_domain: options.zap_domain.clone(),
            zap_enforce_domain: options.zap_enforce_domain,
            curve_public_key: zmtp::CurveKey(options.curve_public_key),
            curve_secret_key: zmtp::CurveKey(options.curve_secret_key),
            curve_server_key: zmtp::CurveKey(options.curve_server_key),
        }
    }
}

/// Why a connection ended, which decides the monitor event and whether to reconnect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// The stream failed or closed (errno; EPIPE for an orderly close).
    Connection(i32),
    /// The peer broke the protocol or the handshake was refused (already reported).
    Protocol,
}

impl SessionConfig {
    /// ZMQ_STREAM sessions speak raw bytes instead of ZMTP.
    fn is_raw(&self) -> bool {
        self.socket_type == ZMQ_STREAM
    }

    fn event(&self, endpoints: &EndpointPair, event: c_int, value: u64) {
        self.monitor.event(event, value, endpoints);
    }

    fn zmtp_config(&self) -> zmtp::Config {
        let security = &self.security;
        let handler_bound = || self.ctx.upgrade().is_some_and(|ctx| ZapClient::handler_bound(&ctx));
        let mechanism = match security.mechanism {
            // libzmq's CURVE server asks ZAP when a handler is bound; without one it accepts any
            // client that completes the handshake, unless ZMQ_ZAP_ENFORCE_DOMAIN is on.
            Mechanism::Curve if security.as_server => zmtp::Security::CurveServer {
                zap: security.zap_enforce_domain || handler_bound(),
                public_key: security.curve_public_key.clone(),
                secret_key: security.curve_secret_key.clone(),
            },
            Mechanism::Curve => zmtp::Security::CurveClient {
                server_key: security.curve_server_key.clone(),
                public_key: security.curve_public_key.clone(),
                secret_key: security.curve_secret_key.clone(),
            },
            Mechanism::Plain if security.as_server => zmtp::Security::PlainServer,
            Mechanism::Plain => zmtp::Security::PlainClient {
                username: security.plain_username.clone(),
                password: security.plain_password.clone(),
            },
            // NULL asks ZAP when a domain is set and a handler is there to ask (or the domain
            // is enforced, and then a missing handler fails the handshake).
            _ => zmtp::Security::Null {
                zap: !security.zap_domain.is_empty() && (security.zap_enforce_domain || handler_bound()),
            },
        };
        zmtp::Config {
            socket_type: self.socket_type,
            routing_id: self.routing_id.clone(),
            as_server: security.as_server,
            maxmsgsize: self.maxmsgsize,
            metadata: self.metadata.clone(),
            security: mechanism,
            zap_domain_set: !security.zap_domain.is_empty(),
        }
    }

    fn stops_on(&self, flag: c_int) -> bool {
        self.reconnect_stop & flag != 0
    }

    /// ZMQ_RECONNECT_STOP_AFTER_DISCONNECT: after the socket's zmq_disconnect, an ipc dial
    /// that is refused is not retried (libzmq's ipc connecter; tcp keeps retrying).
    fn stops_after_disconnect(&self) -> bool {
        self.stops_on(draft::ZMQ_RECONNECT_STOP_AFTER_DISCONNECT)
            && self.disconnected.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Where a connecting session dials.
pub enum Destination {
    /// A tcp peer, dialled from `source` when the endpoint named one (`tcp://source;peer`).
    Tcp {
        address: SocketAddr,
        source: Option<SocketAddr>,
    },
    Ipc(std::os::unix::net::SocketAddr),
    /// A tcp endpoint reached through a SOCKS5 proxy (ZMQ_SOCKS_PROXY): the session dials the
    /// proxy and asks it to CONNECT to `target` (`host:port`, resolved by the proxy).
    Socks {
        proxy: SocketAddr,
        target: String,
        username: Vec<u8>,
        password: Vec<u8>,
    },
}

impl Destination {
    /// The socket a dial uses, made and tuned but not connected; a failure leaves none behind.
    fn open(&self, tuning: &TcpTuning) -> io::Result<OwnedFd> {
        match self {
            Destination::Tcp { address, source } => tcp::open(*address, *source, tuning),
            Destination::Socks { proxy, .. } => tcp::open(*proxy, None, tuning),
            Destination::Ipc(_) => crate::sys::socket::unix_socket(),
        }
    }

    /// Starts connecting a socket from [`Self::open`] (a unix connect completes at once).
    fn connect(&self, socket: &OwnedFd, tuning: &TcpTuning) -> io::Result<()> {
        match self {
            Destination::Tcp { address, .. } => tcp::connect(socket, *address, tuning),
            Destination::Socks { proxy, .. } => tcp::connect(socket, *proxy, tuning),
            Destination::Ipc(address) => crate::sys::socket::unix_connect(socket.as_raw_fd(), address),
        }
    }

    fn stream(&self, socket: OwnedFd) -> Stream {
        match self {
            Destination::Ipc(_) => {
                Stream::Unix(mio::net::UnixStream::from_std(std::os::unix::net::UnixStream::from(socket)))
            }
            _ => Stream::Tcp(mio::net::TcpStream::from_std(std::net::TcpStream::from(socket))),
        }
    }
}

enum Role {
    /// Made by zmq_connect: reconnects when the connection drops.
    Connecter { destination: Destination, interval: Duration },
    /// Made by a listener: ends with its connection.
    Accepted,
}

/// What a connection speaks.
enum Wire {
    // Boxed: the ZMTP state is large, the raw one small.
    Zmtp(Box<zmtp::Connection>),
    /// ZMQ_STREAM: bytes as they come, with the same interface as ZMTP so the session's pumps
    /// serve both. It is "ready" from the start (there is no handshake) and reports that once,
    /// as ZMTP does after its handshake, so the pipe is set up on the same path.
    Raw(RawWire),
}

#[derive(Default)]
struct RawWire {
    /// Bytes for the peer; `out[out_pos..]` is still unwritten.
    out: Vec<u8>,
    out_pos: usize,
    events: std::collections::VecDeque<zmtp::Event>,
}

impl Wire {
    fn raw() -> Self {
        let mut raw = RawWire::default();
        raw.events.push_back(zmtp::Event::Ready {
            peer_socket_type: -1,
            peer_routing_id: None,
            properties: Vec::new(),
        });
        Wire::Raw(raw)
    }

    fn is_raw(&self) -> bool {
        matches!(self, Wire::Raw(_))
    }

    /// A ZMTP 1.0/2.0 peer: no handshake to report, no heartbeats (as in libzmq).
    fn is_legacy(&self) -> bool {
        matches!(self, Wire::Zmtp(zmtp) if zmtp.version().is_some_and(zmtp::Version::is_legacy))
    }

    fn receive(&mut self, data: &Bytes) -> Result<(), zmtp::ProtocolError> {
        match self {
            Wire::Zmtp(zmtp) => zmtp.receive_shared(data),
            Wire::Raw(raw) => {
                // One read, one message: STREAM has no framing to restore.
                raw.events.push_back(zmtp::Event::Message(Msg::from_bytes(data.clone())));
                Ok(())
            }
        }
    }

    /// See [`zmtp::Connection::whole_frames_len`]; raw bytes have no frames to keep whole.
    fn whole_frames_len(&self, data: &[u8], hold: std::ops::RangeInclusive<usize>) -> (usize, usize) {
        match self {
            Wire::Zmtp(zmtp) => zmtp.whole_frames_len(data, hold),
            Wire::Raw(_) => (data.len(), 0),
        }
    }

    /// See [`zmtp::Connection::read_space`]; raw bytes have no frames to read into.
    fn read_space(&mut self, min: usize, max: usize) -> Option<&mut [u8]> {
        match self {
            Wire::Zmtp(zmtp) => zmtp.read_space(min, max),
            Wire::Raw(_) => None,
        }
    }

    fn read_filled(&mut self, n: usize) -> Result<(), zmtp::ProtocolError> {
        match self {
            Wire::Zmtp(zmtp) => zmtp.read_filled(n),
            Wire::Raw(_) => unreachable!("raw wires offer no read space"),
        }
    }

    fn poll_event(&mut self) -> Option<zmtp::Event> {
        match self {
            Wire::Zmtp(zmtp) => zmtp.poll_event(),
            Wire::Raw(raw) => raw.events.pop_front(),
        }
    }

    fn is_ready(&self) -> bool {
        match self {
            Wire::Zmtp(zmtp) => zmtp.is_ready(),
            Wire::Raw(_) => true,
        }
    }

    /// Still handshaking, and not yet refused: a lost connection is then worth a
    /// HANDSHAKE_FAILED_NO_DETAIL event.
    fn is_handshaking(&self) -> bool {
        match self {
            Wire::Zmtp(zmtp) => !zmtp.is_ready() && !zmtp.handshake_refused() && zmtp.failure().is_none(),
            Wire::Raw(_) => false,
        }
    }

    /// A failure found while sending (an encrypting mechanism's encode) or while decoding frames
    /// held from a read (see `zmtp::Connection::receive_shared`).
    fn failed(&self) -> bool {
        matches!(self, Wire::Zmtp(zmtp) if zmtp.failure().is_some())
    }

    fn send(&mut self, msg: &Msg) {
        match self {
            Wire::Zmtp(zmtp) => zmtp.send(msg),
            Wire::Raw(raw) => {
                // Drop what is written from the front once that is worth a copy (as ZMTP's
                // output does), so a peer that keeps the socket half-full cannot grow it.
                if raw.out_pos >= WRITE_BATCH && raw.out_pos * 2 >= raw.out.len() {
                    raw.out.drain(..raw.out_pos);
                    raw.out_pos = 0;
                }
                raw.out.extend_from_slice(msg.data());
            }
        }
    }

    /// See [`zmtp::Connection::send_header_only`]; raw bytes have no header, so they always go
    /// through `send` (`false`).
    fn send_header_only(&mut self, msg: &Msg) -> bool {
        match self {
            Wire::Zmtp(zmtp) => zmtp.send_header_only(msg),
            Wire::Raw(_) => false,
        }
    }

    /// Heartbeats are ZMTP commands; raw connections never get them scheduled.
    fn send_ping(&mut self, ttl_deciseconds: u16, context: &[u8]) {
        if let Wire::Zmtp(zmtp) = self {
            zmtp.send_ping(ttl_deciseconds, context);
        }
    }

    fn output(&self) -> &[u8] {
        match self {
            Wire::Zmtp(zmtp) => zmtp.output(),
            Wire::Raw(raw) => &raw.out[raw.out_pos..],
        }
    }

    fn consume_output(&mut self, n: usize) {
        match self {
            Wire::Zmtp(zmtp) => zmtp.consume_output(n),
            Wire::Raw(raw) => {
                raw.out_pos += n;
                if raw.out_pos == raw.out.len() {
                    raw.out.clear();
                    raw.out_pos = 0;
                }
            }
        }
    }
}

struct Connection {
    stream: Stream,
    wire: Wire,
    /// Raw mode: the socket asked to close this connection (an empty message); no more is taken
    /// from the pipe, and the connection ends once the output is written.
    close_requested: bool,
    /// A non-blocking connect is in progress.
    connecting: bool,
    /// A tcp connect still in progress then has failed (ZMQ_CONNECT_TIMEOUT).
    connect_deadline: Option<Instant>,
    /// The stream had nothing more to read last time (mio is edge-triggered: read until then).
    read_drained: bool,
    /// The last write found the stream full; nothing more is taken from the pipe until the
    /// poller reports the stream again. Taking messages then would only grow the output, and
    /// each one would find this reader asleep and cost the socket a wake-up of this thread
    /// (libzmq's engine, too, pulls from the pipe only when its output went out).
    write_blocked: bool,
    /// The poller reported the peer's end of stream (or an error). Its edge may have come with
    /// data that a short read consumed, and no later edge will announce the end: read on until
    /// the end of stream instead of taking a short read for "drained".
    read_closed: bool,
    /// The handshake must be done by then (ZMQ_HANDSHAKE_IVL).
    handshake_deadline: Option<Instant>,
    /// When to send the next PING (ZMQ_HEARTBEAT_IVL).
    next_ping: Option<Instant>,
    /// Something must arrive by then, after a PING (ZMQ_HEARTBEAT_TIMEOUT) or within the TTL
    /// the peer announced in its PING.
    silence_deadline: Option<Instant>,
    /// The TTL the peer's last PING carried.
    peer_ttl: Option<Duration>,
    /// The line to the ZAP handler while a verdict is awaited.
    zap: Option<ZapClient>,
    /// The SOCKS exchange with the proxy, until it has connected us to the endpoint.
    socks: Option<SocksClient>,
    /// Bytes of the peer that arrived together with the proxy's last reply.
    early_input: Vec<u8>,
    /// Large messages whose bodies go out straight from the messages (no copy into the output),
    /// oldest first.
    bodies: std::collections::VecDeque<PendingBody>,
    /// The start of a frame cut by the last read, held back for the next read to complete
    /// behind it (with the rest of the read block, so that read needs no new one).
    held: BytesMut,
    /// How many more bytes the held frame needs at least.
    held_missing: usize,
    /// The last read went into a large body (see `CHAIN_MIN`): the next read into a block
    /// takes only a header.
    after_large_body: bool,
    /// The SO_RCVLOWAT last given to a tcp stream (1, the kernel's default, until then).
    read_threshold: usize,
    /// The read that completed the last large body brought the next frame's first bytes too:
    /// the peer is streaming, and the read threshold applies (see `set_read_threshold`).
    back_to_back: bool,
}

/// A body written from its message: it goes on the wire after the first `before` bytes of the
/// output (those end with its header), behind the bodies queued before it; output queued later
/// (the next frames, a PONG, a PING) follows it.
struct PendingBody {
    msg: Msg,
    before: usize,
    /// How much of the body is written already.
    offset: usize,
}

impl PendingBody {
    fn rest(&self) -> &[u8] {
        &self.msg.data()[self.offset..]
    }
}

impl Connection {
    /// Bytes queued for the wire: the output and the unwritten bodies.
    fn queued(&self) -> usize {
        self.wire.output().len() + self.bodies.iter().map(|body| body.rest().len()).sum::<usize>()
    }

    /// Writes the queued bytes in wire order with one `writev` of at most [`WRITE_MAX`] bytes:
    /// output up to the first body, that body, output up to the next, ... A lone message too
    /// large for one write goes out with its last write a full one (for 1 MiB: 64 KiB, then
    /// 960 KiB): the peer, woken by the first bytes, is still reading when the last arrive. With
    /// the small write last, it had emptied the socket and slept before the tail came, and a
    /// request-reply of 1 MiB messages took 265-270 us instead of 235-240 at the 10th
    /// percentile (libzmq 228-232; BENCHMARKS.md has the medians).
    fn write_gathered(&mut self) -> io::Result<usize> {
        let output = self.wire.output();
        let mut pieces: [&[u8]; 2 * GATHER_BODIES + 1] = [&[]; 2 * GATHER_BODIES + 1];
        let (mut count, mut from) = (0, 0);
        for body in &self.bodies {
            if body.before > from {
                pieces[count] = &output[from..body.before];
                count += 1;
            }
            pieces[count] = body.rest();
            count += 1;
            from = body.before;
        }
        if output.len() > from {
            pieces[count] = &output[from..];
            count += 1;
        }
        let queued = self.queued();
        let limit = if self.bodies.len() == 1 && queued > WRITE_MAX {
            // (At least 8 KiB, as libzmq's first write: not a few bytes for a message just
            // above the limit.)
            (queued - WRITE_MAX).clamp(ZERO_COPY_MIN, WRITE_MAX)
        } else {
            WRITE_MAX
        };
        let mut slices = [io::IoSlice::new(&[]); 2 * GATHER_BODIES + 1];
        let (mut used, mut room) = (0, limit);
        for piece in &pieces[..count] {
            let piece = &piece[..piece.len().min(room)];
            slices[used] = io::IoSlice::new(piece);
            used += 1;
            room -= piece.len();
            if room == 0 {
                break;
            }
        }
        self.stream.write_vectored(&slices[..used])
    }

    /// Before waiting for more input: while the rest of a large body is still to come, tcp need
    /// not report the stream readable before that much has arrived (SO_RCVLOWAT, at most
    /// [`READ_THRESHOLD_MAX`]), instead of at every segment. A 1 MiB body arriving over loopback
    /// woke the reading thread two to four times, each wake-up paid by the sending thread (the
    /// kernel delivers the segments in the sender's context) and on a virtual machine an
    /// interrupt between CPUs; with the threshold, 1 MiB messages ran 1.2-1.7x as fast. The body
    /// being incomplete, nothing is delayed that could be used earlier, and the kernel caps the
    /// threshold by the receive buffer and reports the stream anyway when its window closes, so
    /// a sender can always fill it. Only while the peer streams (the last large body ended
    /// with the next frame behind it): a body sent alone, a request's or a reply's, is read as it
    /// arrives, its copy out of the kernel overlapping its transfer (with the threshold, a
    /// request-reply of 1 MiB messages took ~25 % longer). Not while anything must be noticed
    /// in time (a handshake deadline, heartbeats, the peer's TTL): a large body trickling in
    /// over a slow link is traffic that a heartbeat timeout must see.
    fn set_read_threshold(&mut self) {
        let Stream::Tcp(_) = self.stream else { return };
        let timed = self.handshake_deadline.is_some()
            || self.next_ping.is_some()
            || self.silence_deadline.is_some()
            || self.peer_ttl.is_some();
        let want = match self.wire.read_space(CHAIN_MIN, READ_THRESHOLD_MAX) {
            Some(space) if self.back_to_back && !timed => space.len(),
            _ => 1,
        };
        if want != self.read_threshold {
            // Only a bad descriptor makes this fail, and then the next read ends the connection.
            if sys::socket::set_int_option(
                self.stream.raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVLOWAT,
                want as c_int,
            )
            .is_ok()
            {
                self.read_threshold = want;
            }
        }
    }

    /// The first `n` gathered bytes were written.
    fn consume(&mut self, mut n: usize) {
        loop {
            let from_output = n.min(self.bodies.front().map_or(usize::MAX, |body| body.before));
            if from_output > 0 {
                self.wire.consume_output(from_output);
                for body in &mut self.bodies {
                    body.before -= from_output;
                }
                n -= from_output;
            }
            let Some(body) = self.bodies.front_mut().filter(|_| n > 0) else { return };
            let take = n.min(body.rest().len());
            body.offset += take;
            n -= take;
            if body.rest().is_empty() {
                self.bodies.pop_front();
            }
        }
    }
}

impl Connection {
    /// The connection's timers: only the connect timeout while connecting, the handshake and
    /// heartbeat ones after.
    fn deadlines(&self) -> impl Iterator<Item = Instant> {
        let timers = if self.connecting {
            [self.connect_deadline, None, None]
        } else {
            [self.handshake_deadline, self.next_ping, self.silence_deadline]
        };
        timers.into_iter().flatten()
    }
}

pub struct Session {
    config: Arc<SessionConfig>,
    role: Role,
    /// The listener (by token) that accepted this session, so unbinding can close it.
    pub listener: Option<Token>,
    pipe: Option<PipeEnd>,
    connection: Option<Connection>,
    /// Frames of an incoming multipart message, written to the pipe when the last one arrives.
    incoming: Vec<Msg>,
    /// A complete incoming message waiting for room in the pipe.
    blocked: bool,
    /// How many times an incoming message has found the pipe full (see `room_wait`).
    room_waits: u64,
    metadata: Option<Arc<Metadata>>,
    /// The addresses this session's events name: the connection's once it is made, the
    /// connect endpoint alone before.
    endpoints: EndpointPair,
    reconnect_at: Option<Instant>,
    /// The socket closed its end: send what is left, then finish.
    closing: bool,
    /// The socket's ZMQ_LINGER at close (-1: no limit).
    linger: c_int,
    linger_deadline: Option<Instant>,
    done: bool,
}

impl Session {
    /// A session for zmq_connect. `pipe` is the session's end (None with ZMQ_IMMEDIATE: the pipe
    /// is made once the handshake succeeds).
    pub fn connecter(config: Arc<SessionConfig>, destination: Destination, pipe: Option<PipeEnd>) -> Self {
        let interval = Duration::from_millis(config.reconnect_ivl.max(0) as u64);
        Self::new(config, Role::Connecter { destination, interval }, pipe, None)
    }

    /// A session for a connection a listener accepted.
    pub fn accepted(config: Arc<SessionConfig>, stream: Stream, listener: Token) -> Self {
        let mut session = Self::new(config, Role::Accepted, None, Some(listener));
        session.endpoints = EndpointPair {
            local: session.config.endpoint.clone(),
            remote: stream.remote_endpoint(),
            bound: true,
        };
        session.config.event(&session.endpoints, ZMQ_EVENT_ACCEPTED, stream.raw_fd() as u64);
        session.connection = Some(session.new_connection(stream, false));
        session
    }

    fn new(config: Arc<SessionConfig>, role: Role, pipe: Option<PipeEnd>, listener: Option<Token>) -> Self {
        let linger = config.linger;
        let endpoints = EndpointPair::connecting(&config.endpoint);
        Self {
            endpoints,
            config,
            role,
            listener,
            pipe,
            connection: None,
            incoming: Vec::new(),
            blocked: false,
            room_waits: 0,
            metadata: None,
            reconnect_at: None,
            closing: false,
            linger,
            linger_deadline: None,
            done: false,
        }
    }

    fn new_connection(&self, stream: Stream, connecting: bool) -> Connection {
        let raw = self.config.is_raw();
        // Raw connections have no handshake to time.
        let handshake_deadline = (self.config.handshake_ivl > 0 && !raw)
            .then(|| Instant::now() + Duration::from_millis(self.config.handshake_ivl as u64));
        Connection {
            stream,
            wire: if raw {
                Wire::raw()
            } else {
                Wire::Zmtp(Box::new(zmtp::Connection::new(self.config.zmtp_config())))
            },
            close_requested: false,
            connecting,
            connect_deadline: None,
            read_drained: false,
            write_blocked: false,
            read_closed: false,
            handshake_deadline,
            next_ping: None,
            silence_deadline: None,
            peer_ttl: None,
            zap: None,
            socks: None,
            early_input: Vec::new(),
            bodies: std::collections::VecDeque::new(),
            held: BytesMut::new(),
            held_missing: 0,
            after_large_body: false,
            read_threshold: 1,
            back_to_back: false,
        }
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    pub fn pipe_id(&self) -> Option<PipeId> {
        self.pipe.as_ref().map(PipeEnd::id)
    }

    /// When `on_timer` wants to run next.
    pub fn next_timer(&self) -> Option<Instant> {
        [self.reconnect_at, self.linger_deadline]
            .into_iter()
            .flatten()
            .chain(self.connection.iter().flat_map(Connection::deadlines))
            .min()
    }

    /// Starts the session: a connecter dials, an accepted session registers its stream.
    pub fn start(&mut self, registry: &Registry, token: Token, io_mailbox: &Arc<Mailbox>) {
        if let Some(pipe) = &self.pipe {
            pipe.attach(io_mailbox, None);
        }
        match &self.role {
            Role::Connecter { .. } => self.dial(registry, token),
            Role::Accepted => {
                if let Some(connection) = &mut self.connection {
                    if connection
                        .stream
                        .register(registry, token, Interest::READABLE | Interest::WRITABLE)
                        .is_err()
                    {
                        self.done = true;
                        return;
                    }
                }
                self.flush(registry, token, io_mailbox);
            }
        }
    }

    fn dial(&mut self, registry: &Registry, token: Token) {
        let Role::Connecter { destination, .. } = &self.role else { return };
        let Ok(socket) = destination.open(&self.config.tcp) else {
            return self.schedule_reconnect();
        };
        match destination.connect(&socket, &self.config.tcp) {
            Ok(()) => {
                let mut stream = destination.stream(socket);
                if stream.register(registry, token, Interest::READABLE | Interest::WRITABLE).is_ok() {
                    // A tcp connect is still in progress here (EINPROGRESS); a unix socket
                    // connect has completed, and libzmq reports no delay for it.
                    if !matches!(destination, Destination::Ipc(_)) {
                        self.config.event(
                            &self.endpoints,
                            ZMQ_EVENT_CONNECT_DELAYED,
                            libc::EINPROGRESS as u64,
                        );
                    }
                    let socks = match destination {
                        Destination::Socks { target, username, password, .. } => {
                            SocksClient::new(target, username, password).ok()
                        }
                        _ => None,
                    };
                    let mut connection = self.new_connection(stream, true);
                    connection.socks = socks;
                    // libzmq's tcp connecter alone has the connect timer.
                    if matches!(destination, Destination::Tcp { .. }) && self.config.connect_timeout > 0 {
                        let timeout = Duration::from_millis(self.config.connect_timeout as u64);
                        connection.connect_deadline = Some(Instant::now() + timeout);
                    }
                    self.connection = Some(connection);
                    return;
                }
                self.schedule_reconnect();
            }
            Err(error)
                if matches!(destination, Destination::Ipc(_))
                    && error.raw_os_error() == Some(libc::ECONNREFUSED)
                    && self.config.stops_after_disconnect() =>
            {
                // As libzmq: no event, no retry. A closing session has nothing left it could
                // deliver; any other stays attached, idle, as libzmq's session does.
                if self.closing {
                    self.finish();
                }
            }
            Err(_) => {
                // As libzmq: the socket made for the attempt is closed (CLOSED), then retried.
                self.config.event(&self.endpoints, ZMQ_EVENT_CLOSED, socket.as_raw_fd() as u64);
                drop(socket);
                self.schedule_reconnect();
            }
        }
    }

    fn schedule_reconnect(&mut self) {
        let give_up = self.closing && !self.lingering_with_messages();
        let Role::Connecter { interval, .. } = &mut self.role else {
            self.finish();
            return;
        };
        if self.config.reconnect_ivl < 0 || give_up {
            self.finish();
            return;
        }
        // As libzmq: each wait is the current interval plus a random jitter below
        // ZMQ_RECONNECT_IVL, so peers that lost a server together do not return in lockstep.
        let ivl = self.config.reconnect_ivl.max(1) as u64;
        let wait = *interval + Duration::from_millis(u64::from(crate::util::random::random_u32()) % ivl);
        self.reconnect_at = Some(Instant::now() + wait);
        self.endpoints = EndpointPair::connecting(&self.config.endpoint);
        self.config.event(&self.endpoints, ZMQ_EVENT_CONNECT_RETRIED, wait.as_millis() as u64);
        // Exponential back-off up to ZMQ_RECONNECT_IVL_MAX, when that is set above the interval.
        let max = Duration::from_millis(self.config.reconnect_ivl_max.max(0) as u64);
        if max > *interval {
            *interval = (*interval * 2).min(max);
        }
    }

    /// The poller saw the peer's end of stream or an error on this session's stream (see
    /// `read_closed`); `on_ready` follows.
    pub fn note_read_closed(&mut self) {
        if let Some(connection) = &mut self.connection {
            connection.read_closed = true;
        }
    }

    /// While a complete incoming message waits for room in the pipe (reading has stopped): which
    /// such wait this is, so that one ending and the next starting within a step tell apart.
    pub fn room_wait(&self) -> Option<u64> {
        self.blocked.then_some(self.room_waits)
    }

    fn wait_for_room(&mut self) {
        self.blocked = true;
        self.room_waits += 1;
    }

    /// The stream is readable and/or writable.
    pub fn on_ready(&mut self, registry: &Registry, token: Token, io_mailbox: &Arc<Mailbox>) {
        let Some(connection) = &mut self.connection else { return };
        if connection.connecting {
            match connection.stream.connect_finished() {
                Ok(true) => {
                    connection.connecting = false;
                    self.endpoints.local = connection.stream.local_endpoint();
                    self.config.event(
                        &self.endpoints,
                        ZMQ_EVENT_CONNECTED,
                        connection.stream.raw_fd() as u64,
                    );
                }
                Ok(false) => return,
                Err(error) => {
                    let errno = error.raw_os_error().unwrap_or(libc::ECONNREFUSED);
                    return self.connect_failed(registry, errno);
                }
            }
        }
        connection.read_drained = false;
        connection.write_blocked = false;
        self.flush(registry, token, io_mailbox);
    }

    /// A tcp connect attempt failed (refused, unreachable, or ZMQ_CONNECT_TIMEOUT ran out). As
    /// libzmq's tcp connecter: its socket is closed, reported as CLOSED, then the connecter
    /// retries, unless ZMQ_RECONNECT_STOP_CONN_REFUSED ends it here.
    fn connect_failed(&mut self, registry: &Registry, errno: i32) {
        let Some(connection) = &mut self.connection else { return };
        self.config.event(&self.endpoints, ZMQ_EVENT_CLOSED, connection.stream.raw_fd() as u64);
        if errno == libc::ECONNREFUSED && self.config.stops_on(draft::ZMQ_RECONNECT_STOP_CONN_REFUSED) {
            let _ = Source::deregister(&mut connection.stream, registry);
            return self.finish();
        }
        self.disconnected(registry, Failure::Connection(errno));
    }

    /// Pipe commands from the socket.
    pub fn on_command(
        &mut self,
        command: Command,
        registry: &Registry,
        token: Token,
        io_mailbox: &Arc<Mailbox>,
    ) {
        let pipe = match command {
            Command::ActivateRead(pipe) | Command::ActivateWrite(pipe) | Command::PipeTerm(pipe) => pipe,
            _ => return,
        };
        // Commands for a pipe this session no longer holds (ended on a disconnect) are stale.
        if self.pipe_id() != Some(pipe) {
            return;
        }
        if let Command::PipeTerm(_) = command {
            self.begin_closing();
        }
        self.flush(registry, token, io_mailbox);
    }

    /// The socket closed its end: send what is left within the ZMQ_LINGER it closed with.
    fn begin_closing(&mut self) {
        self.closing = true;
        if let Some(pipe) = &self.pipe {
            self.linger = pipe.peer_linger();
        }
        if self.linger > 0 {
            self.linger_deadline = Some(Instant::now() + Duration::from_millis(self.linger as u64));
        }
    }

    /// Ends the session from the I/O side (zmq_unbind of its listener): the socket stops using
    /// the pipe, what is already encoded is still sent within ZMQ_LINGER, then it finishes.
    pub fn close(&mut self, registry: &Registry, token: Token, io_mailbox: &Arc<Mailbox>) {
        self.begin_closing();
        if let Some(pipe) = self.pipe.take() {
            pipe.terminate(true);
        }
        self.flush(registry, token, io_mailbox);
    }

    pub fn on_timer(&mut self, registry: &Registry, token: Token, io_mailbox: &Arc<Mailbox>) {
        let now = Instant::now();
        if self.linger_deadline.is_some_and(|deadline| deadline <= now) {
            return self.finish();
        }
        if self.reconnect_at.is_some_and(|at| at <= now) {
            self.reconnect_at = None;
            self.dial(registry, token);
            self.flush(registry, token, io_mailbox);
        }
        let connect_expired = |c: &Connection| c.connecting && c.connect_deadline.is_some_and(|at| at <= now);
        if self.connection.as_ref().is_some_and(connect_expired) {
            return self.connect_failed(registry, libc::ETIMEDOUT);
        }
        let Some(connection) = self.connection.as_mut().filter(|c| !c.connecting) else { return };
        if connection.handshake_deadline.is_some_and(|at| at <= now) {
            if connection.wire.is_handshaking() {
                self.config.event(
                    &self.endpoints,
                    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
                    libc::ETIMEDOUT as u64,
                );
            }
            return self.disconnected(registry, Failure::Connection(0));
        }
        if connection.silence_deadline.is_some_and(|at| at <= now) {
            // The peer went quiet past the heartbeat timeout or its TTL.
            return self.disconnected(registry, Failure::Connection(0));
        }
        if connection.next_ping.is_some_and(|at| at <= now) {
            let ttl = (self.config.heartbeat_ttl.max(0) as u32).min(u16::MAX as u32) as u16;
            connection.wire.send_ping(ttl, &[]);
            let interval = Duration::from_millis(self.config.heartbeat_ivl as u64);
            connection.next_ping = Some(now + interval);
            if connection.silence_deadline.is_none() {
                let timeout = match self.config.heartbeat_timeout {
                    t if t >= 0 => Duration::from_millis(t as u64),
                    _ => interval,
                };
                connection.silence_deadline = Some(now + timeout);
            }
            self.flush(registry, token, io_mailbox);
        }
    }

    /// Moves everything that can move: incoming bytes to the pipe, pipe messages to the wire.
    fn flush(&mut self, registry: &Registry, token: Token, io_mailbox: &Arc<Mailbox>) {
        if self.done {
            return;
        }
        if self.connection.as_ref().is_some_and(|c| !c.connecting) {
            match self.pump_socks() {
                Ok(true) => {}
                Ok(false) => return self.check_closing(),
                Err(failure) => return self.disconnected(registry, failure),
            }
            if let Err(failure) = self.pump_zap(registry) {
                return self.disconnected(registry, failure);
            }
            if let Err(failure) = self.pump_in(registry, token, io_mailbox) {
                return self.disconnected(registry, failure);
            }
            if let Err(failure) = self.pump_out() {
                return self.disconnected(registry, failure);
            }
        }
        self.check_closing();
    }

    /// Talks SOCKS with the proxy while that exchange runs; true once the stream leads to the
    /// endpoint (ZMTP may start). A refusal drops the connection; the connecter retries later.
    fn pump_socks(&mut self) -> Result<bool, Failure> {
        let Some(connection) = &mut self.connection else { return Ok(false) };
        let Some(socks) = &mut connection.socks else { return Ok(true) };
        loop {
            while !socks.output().is_empty() {
                match connection.stream.write(socks.output()) {
                    Ok(0) => return Err(Failure::Connection(libc::EPIPE)),
                    Ok(n) => socks.consume_output(n),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(Failure::Connection(e.raw_os_error().unwrap_or(libc::EIO))),
                }
            }
            let mut buffer = [0u8; 512];
            match connection.stream.read(&mut buffer) {
                Ok(0) => return Err(Failure::Connection(libc::EPIPE)),
                Ok(n) => {
                    let rest = socks.receive(&buffer[..n]).map_err(|errno| Failure::Connection(errno.0))?;
                    if socks.is_done() {
                        connection.socks = None;
                        connection.early_input = rest;
                        return Ok(true);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Failure::Connection(e.raw_os_error().unwrap_or(libc::EIO))),
            }
        }
    }

    /// Takes the ZAP handler's reply, if one came, and feeds the verdict to the handshake.
    fn pump_zap(&mut self, registry: &Registry) -> Result<(), Failure> {
        let Some(connection) = &mut self.connection else { return Ok(()) };
        let Some(zap) = &mut connection.zap else { return Ok(()) };
        let frames = match zap.poll() {
            ZapPoll::Pending => return Ok(()),
            ZapPoll::Reply(frames) => frames,
            // The handler left without answering: the handshake waits until the peer gives up
            // or the handshake times out, as in libzmq.
            ZapPoll::Closed => {
                if let Some(zap) = connection.zap.take() {
                    zap.close(Some(registry));
                }
                return Ok(());
            }
        };
        if let Some(zap) = connection.zap.take() {
            zap.close(Some(registry));
        }
        let reply = match zmtp::zap::parse_reply(&frames) {
            Ok(reply) => reply,
            Err(code) => {
                self.config.event(&self.endpoints, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, code as u64);
                return Err(Failure::Protocol);
            }
        };
        if let Some(status) = zmtp::zap::failure_status(&reply.status) {
            self.config.event(&self.endpoints, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, status);
        }
        let Wire::Zmtp(zmtp) = &mut connection.wire else { return Ok(()) };
        if let Err(error) = zmtp.zap_reply(&reply.status, &reply.user_id, reply.metadata) {
            self.report_handshake_error(&error);
            return Err(Failure::Protocol);
        }
        Ok(())
    }

    /// Sends a mechanism's ZAP request to the handler bound at `inproc://zeromq.zap.01`.
    fn request_zap(
        &mut self,
        registry: &Registry,
        token: Token,
        mechanism: &str,
        credentials: &[Vec<u8>],
    ) -> Result<(), Failure> {
        let client = self.config.ctx.upgrade().and_then(|ctx| ZapClient::connect(&ctx));
        let Some(connection) = &mut self.connection else { return Ok(()) };
        let Some(mut client) = client else {
            // The handler went away since the connection started. NULL and CURVE then go on
            // without ZAP unless the domain is enforced; otherwise fail closed.
            if mechanism != "PLAIN" && !self.config.security.zap_enforce_domain {
                if let Wire::Zmtp(zmtp) = &mut connection.wire {
                    if let Err(error) = zmtp.zap_skipped() {
                        self.report_handshake_error(&error);
                        return Err(Failure::Protocol);
                    }
                }
                return Ok(());
            }
            self.report_handshake_error(&zmtp::ProtocolError::ZapUnavailable);
            return Err(Failure::Protocol);
        };
        let context = zmtp::zap::RequestContext {
            domain: self.config.security.zap_domain.clone(),
            address: connection.stream.peer_address().into_bytes(),
            routing_id: self.config.routing_id.clone(),
        };
        client.register(registry, token);
        client.send(zmtp::zap::request(&context, mechanism, credentials));
        connection.zap = Some(client);
        // Reading the empty pipe once arms the wake-up (and takes a reply that beat us to it).
        self.pump_zap(registry)
    }

    /// The monitor events libzmq raises for a handshake that failed on `error`.
    fn report_handshake_error(&self, error: &zmtp::ProtocolError) {
        if let Some(status) = error.auth_status_code() {
            // The peer's ERROR carried a ZAP status code.
            self.config.event(&self.endpoints, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, status as u64);
        } else if let Some(code) = error.protocol_error_code() {
            self.config.event(&self.endpoints, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, code as u64);
        } else if error.reports_no_detail() {
            self.config.event(&self.endpoints, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, error.errno() as u64);
        }
    }

    /// Reads from the stream into the state machine and delivers what it decoded.
    fn pump_in(
        &mut self,
        registry: &Registry,
        token: Token,
        io_mailbox: &Arc<Mailbox>,
    ) -> Result<(), Failure> {
        // The read blocks are the I/O thread's, shared by its connections (see `read_blocks`):
        // blocks per connection would cost memory per idle connection.
        thread_local! {
            static BLOCKS: std::cell::RefCell<ReadBlocks> = std::cell::RefCell::new(ReadBlocks::default());
        }
        let result =
            BLOCKS.with(|blocks| self.pump_in_with(registry, token, io_mailbox, &mut blocks.borrow_mut()));
        // Whatever `pump_in_with` handed on since its last flush (see there).
        if let Some(pipe) = &mut self.pipe {
            pipe.flush();
        }
        result
    }

    fn pump_in_with(
        &mut self,
        registry: &Registry,
        token: Token,
        io_mailbox: &Arc<Mailbox>,
        blocks: &mut ReadBlocks,
    ) -> Result<(), Failure> {
        // Messages are handed on as they are decoded, and the pipe flushed every FLUSH_BATCH
        // bytes read (the caller flushes the rest): one wake-up of the socket per batch, not
        // per read, when large frames come one per read.
        let mut unflushed = 0;
        loop {
            self.deliver_events(registry, token, io_mailbox)?;
            if unflushed >= FLUSH_BATCH {
                if let Some(pipe) = &mut self.pipe {
                    pipe.flush();
                }
                unflushed = 0;
            }
            if self.blocked {
                return Ok(());
            }
            let Some(connection) = &mut self.connection else { return Ok(()) };
            if connection.read_drained && connection.early_input.is_empty() {
                connection.set_read_threshold();
                return Ok(());
            }
            let was_ready = connection.wire.is_ready();
            let received = match Self::read_once(connection, blocks) {
                Ok(Some((n, received))) => {
                    unflushed += n;
                    received
                }
                Ok(None) => {
                    connection.read_drained = true;
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Failure::Connection(e.raw_os_error().unwrap_or(libc::EIO))),
            };
            // Any traffic (an end of stream aside) proves the peer alive.
            connection.silence_deadline = connection.peer_ttl.map(|ttl| Instant::now() + ttl);
            if let Err(error) = received {
                if !was_ready && !connection.wire.is_ready() {
                    self.report_handshake_error(&error);
                }
                return Err(Failure::Protocol);
            }
        }
    }

    /// One read from the stream, fed to the wire: `Ok(None)` when there was nothing to read,
    /// else the wire's verdict on the bytes. A read that did not fill the space it was given
    /// emptied the socket: no second read just to see EAGAIN (epoll, edge-triggered, reports
    /// every later arrival anew). The rest of a large body (`CHAIN_MIN`) is read straight into
    /// its message, the read running on into the next frame's header; anything else goes
    /// through `shared` (see `pump_in`), or behind the held start of a frame that the last read
    /// cut.
    fn read_once(
        connection: &mut Connection,
        blocks: &mut ReadBlocks,
    ) -> io::Result<Option<(usize, Result<(), zmtp::ProtocolError>)>> {
        if !connection.early_input.is_empty() {
            // What the proxy passed on with its reply (never more than its 512-byte read).
            let early = Bytes::from(std::mem::take(&mut connection.early_input));
            return Ok(Some((early.len(), connection.wire.receive(&early))));
        }
        // The current block is empty between reads: everything read was split off, or taken
        // by the connection whose frame the read cut, which then reads on into that.
        let holding = !connection.held.is_empty();
        let mut shared = std::mem::take(&mut blocks.current);
        let buffer = if holding { &mut connection.held } else { &mut shared };
        let fd = connection.stream.raw_fd();
        let (read, body_room, room) = if let Some(space) = connection.wire.read_space(CHAIN_MIN, BLOCK * 4) {
            // A large body (nothing is held then: the decoder is inside a frame). Its rest goes
            // straight into it, and the next frame's header into the block behind it: when
            // that announces another large frame, its body is read the same way, so a stream
            // of large frames costs one read per frame and no copy but the kernel's.
            debug_assert!(!holding, "a frame is held only between frames");
            blocks.make_room(buffer, CHAIN_TAIL);
            let body_room = space.len();
            (sys::read_into_spare(fd, space, buffer, CHAIN_TAIL), body_room, body_room + CHAIN_TAIL)
        } else {
            blocks.make_room(buffer, connection.held_missing);
            // A stream of large frames (one is held) reads all the block offers, several frames at
            // once. Right after a large body the read takes no more than a header, so that the
            // next large frame's body is not cut into the block (see above). Any other read stays
            // at libzmq-like batches, so a reader blocked at its high-water mark has at most one
            // batch of small messages decoded beyond it.
            let max = if holding {
                usize::MAX
            } else if std::mem::take(&mut connection.after_large_body) {
                CHAIN_TAIL
            } else {
                READ_BATCH
            };
            let room = (buffer.capacity() - buffer.len()).min(max);
            (sys::read_into_spare(fd, &mut [], buffer, max), 0, room)
        };
        let result = match read {
            Ok(0) => Err(io::Error::from_raw_os_error(libc::EPIPE)),
            Ok(n) => {
                connection.read_drained = n < room && !connection.read_closed;
                let mut verdict = Ok(());
                if body_room > 0 {
                    connection.after_large_body = true;
                    if n >= body_room {
                        connection.back_to_back = n > body_room;
                    }
                    verdict = connection.wire.read_filled(n.min(body_room));
                }
                if n > body_room && verdict.is_ok() {
                    let (now, missing) = connection.wire.whole_frames_len(buffer, HOLD);
                    connection.held_missing = missing;
                    let ready = buffer.split_to(now).freeze();
                    if !ready.is_empty() {
                        verdict = connection.wire.receive(&ready);
                    }
                }
                Ok(Some((n, verdict)))
            }
            Err(e) => {
                if body_room > 0 {
                    connection.wire.read_filled(0).expect("an empty fill completes nothing");
                }
                if e.kind() == io::ErrorKind::WouldBlock {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        };
        if !holding && !shared.is_empty() {
            // The cut frame stays with its connection, the rest of the block with it.
            connection.held = shared;
        } else if holding && connection.held.is_empty() && shared.capacity() < connection.held.capacity() {
            // Completed: the block goes back to be shared (an idle connection keeps none).
            blocks.current = std::mem::take(&mut connection.held);
        } else {
            if holding && connection.held.is_empty() {
                connection.held = BytesMut::new();
            }
            blocks.current = shared;
        }
        result
    }

    /// Hands decoded events on: the handshake result, and messages into the pipe, unflushed (the
    /// caller flushes once for many: one wake-up of the socket per batch, not per message).
    fn deliver_events(
        &mut self,
        registry: &Registry,
        token: Token,
        io_mailbox: &Arc<Mailbox>,
    ) -> Result<(), Failure> {
        if self.blocked && !self.write_incoming() {
            return Ok(());
        }
        loop {
            let Some(connection) = &mut self.connection else { return Ok(()) };
            if let (true, Some(pipe), Wire::Zmtp(zmtp)) =
                (self.incoming.is_empty(), &mut self.pipe, &mut connection.wire)
            {
                // A single-frame message (the common case) is decoded straight into the pipe.
                if zmtp.can_decode_in_place()
                    && pipe.check_write()
                    && pipe.write_in_place_with_metadata(self.metadata.as_ref(), |slot| {
                        zmtp.decode_message_into(slot)
                    })
                {
                    continue;
                }
            }
            let Some(event) = connection.wire.poll_event() else {
                // Frames are decoded as they are polled: a malformed one ends the events.
                return if connection.wire.failed() { Err(Failure::Protocol) } else { Ok(()) };
            };
            match event {
                zmtp::Event::Ready { peer_routing_id, properties, .. } => {
                    let peer_address = connection.stream.peer_address();
                    let fd = connection.stream.raw_fd();
                    let raw = connection.wire.is_raw();
                    self.handshake_done(io_mailbox, peer_routing_id, properties, peer_address, fd);
                    if raw {
                        // The connect notification: an empty message (see the module doc).
                        self.incoming.push(self.raw_notification());
                        if !self.write_incoming() {
                            self.wait_for_room();
                            return Ok(());
                        }
                    }
                }
                zmtp::Event::Message(msg) => {
                    let last = !msg.more();
                    if last && self.incoming.is_empty() {
                        // A single-frame message (the common case) skips the frame list.
                        if let Some(pipe) = &mut self.pipe {
                            if pipe.check_write() {
                                pipe.write_with_metadata(msg, self.metadata.as_ref());
                                continue;
                            }
                        }
                    }
                    self.incoming.push(msg);
                    if last && !self.write_incoming() {
                        self.wait_for_room();
                        return Ok(());
                    }
                }
                zmtp::Event::PeerError(_) => return Err(Failure::Protocol),
                zmtp::Event::ZapRequest { mechanism, credentials } => {
                    self.request_zap(registry, token, mechanism, &credentials)?;
                }
                zmtp::Event::Ping { ttl_deciseconds, .. } => {
                    if ttl_deciseconds > 0 {
                        let ttl = Duration::from_millis(ttl_deciseconds as u64 * 100);
                        connection.peer_ttl = Some(ttl);
                        connection.silence_deadline = Some(Instant::now() + ttl);
                    }
                }
                zmtp::Event::Pong => {}
            }
        }
    }

    /// Writes the complete incoming message to the pipe if it has room (unflushed: see
    /// `deliver_events`).
    fn write_incoming(&mut self) -> bool {
        let Some(pipe) = &mut self.pipe else {
            // No pipe (the socket went away): nobody wants the message.
            self.incoming.clear();
            self.blocked = false;
            return true;
        };
        if !pipe.check_write() {
            return false;
        }
        // Frames get the connection's metadata (a raw notification keeps its own).
        for frame in self.incoming.drain(..) {
            pipe.write_with_metadata(frame, self.metadata.as_ref());
        }
        self.blocked = false;
        true
    }

    fn handshake_done(
        &mut self,
        io_mailbox: &Arc<Mailbox>,
        peer_routing_id: Option<Vec<u8>>,
        properties: Vec<(String, Vec<u8>)>,
        peer_address: String,
        fd: i32,
    ) {
        // Peer-Address first: a property of that name from the peer or ZAP does not override
        // it (the first of a name wins, as in libzmq's property map).
        let mut entries: Vec<(String, Box<std::ffi::CStr>)> = Vec::with_capacity(properties.len() + 1);
        if let Ok(address) = std::ffi::CString::new(peer_address) {
            entries.push(("Peer-Address".to_owned(), address.into_boxed_c_str()));
        }
        // A value with a NUL inside is cut there, as C sees it.
        entries.extend(properties.into_iter().map(|(name, mut value)| {
            if let Some(end) = value.iter().position(|&b| b == 0) {
                value.truncate(end);
            }
            (name, std::ffi::CString::new(value).expect("NUL removed").into_boxed_c_str())
        }));
        self.metadata = Some(Arc::new(Metadata::new(fd, entries)));
        // Raw connections and ZMTP 1.0/2.0 peers had no handshake to succeed, and cannot carry
        // heartbeats.
        let no_handshake =
            self.config.is_raw() || self.connection.as_ref().is_some_and(|c| c.wire.is_legacy());
        if !no_handshake {
            self.config.event(&self.endpoints, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0);
        }
        if let Some(connection) = &mut self.connection {
            connection.handshake_deadline = None;
            if self.config.heartbeat_ivl > 0 && !no_handshake {
                connection.next_ping =
                    Some(Instant::now() + Duration::from_millis(self.config.heartbeat_ivl as u64));
            }
        }
        if self.pipe.is_none() {
            // Accepted (or ZMQ_IMMEDIATE) connections join the socket only now.
            let (mut socket_end, session_end) =
                socket_pipe(self.config.sndhwm, self.config.rcvhwm, self.config.socket_type);
            socket_end.set_peer_hwms(0, 0);
            socket_end.attach(&self.config.socket_mailbox, None);
            session_end.attach(io_mailbox, peer_routing_id.map(bytes::Bytes::from));
            self.pipe = Some(session_end);
            self.config.socket_mailbox.send(Command::Attach { end: socket_end });
        }
        if let Some(pipe) = &self.pipe {
            pipe.set_addresses(&self.endpoints.local, &self.endpoints.remote);
        }
        if let (Some(Ok(hello)), Some(connection)) =
            (self.config.hello_msg.as_deref().map(Msg::from_slice), &mut self.connection)
        {
            connection.wire.send(&hello);
        }
    }

    /// Raw mode: an empty message with this connection's metadata, which tells the STREAM
    /// socket that the connection was made or lost.
    fn raw_notification(&self) -> Msg {
        let mut msg = Msg::new();
        if let Some(metadata) = &self.metadata {
            msg.set_metadata(Arc::clone(metadata));
        }
        msg
    }

    /// Encodes queued messages and writes them out until the stream or the pipe runs dry.
    /// Small messages are batched into the output (up to WRITE_BATCH, one write for many); large
    /// bodies are written from their messages between the output's pieces, in the same
    /// `writev` (up to GATHER_BODIES of them, no more than the pipe's high-water mark, and
    /// GATHER_BATCH bytes in all).
    fn pump_out(&mut self) -> Result<(), Failure> {
        // Large bodies waiting for the kernel are messages beyond the socket's high-water mark:
        // no more of them than the mark itself, as libzmq's engine holds one at a time.
        let gather = match self.pipe.as_ref().map_or(0, PipeEnd::in_hwm) {
            0 => GATHER_BODIES,
            hwm => GATHER_BODIES.min(usize::try_from(hwm).unwrap_or(GATHER_BODIES)),
        };
        let room = |connection: &Connection| {
            connection.wire.output().len() < WRITE_BATCH
                && connection.bodies.len() < gather
                && connection.queued() < GATHER_BATCH
        };
        loop {
            let Some(connection) = &mut self.connection else { return Ok(()) };
            if connection.write_blocked {
                return Ok(());
            }
            if connection.wire.is_ready() && room(connection) && !connection.close_requested {
                if let Some(pipe) = &mut self.pipe {
                    // Read in place (each read releases the previous frame): moving frames
                    // through return values cost more than encoding them.
                    // Taking messages leaves the reader awake: it looks again after the write
                    // below, and only then, with nothing left to write, marks itself asleep
                    // (further down). Messages the socket sends meanwhile then cost it no
                    // wake-up of this thread, and they go out with the next write.
                    // Once a batch is long (the socket is streaming into the pipe as we take
                    // from it), each look at the pipe after catching up waits a little first
                    // (see `CATCH_UP_PAUSES`); a short batch, a request's, never waits.
                    let mut msg = Msg::new();
                    let mut taken = 0u64;
                    let pauses = |taken| if taken >= STREAMING { CATCH_UP_PAUSES } else { 0 };
                    while room(connection)
                        && pipe.read_into_awake(&mut msg, pauses(taken)) == Readiness::Ready
                    {
                        taken += 1;
                        if msg.size() == 0 && connection.wire.is_raw() {
                            // Raw mode: the socket closes this connection (see the module doc).
                            connection.close_requested = true;
                            break;
                        }
                        if msg.size() >= ZERO_COPY_MIN && connection.wire.send_header_only(&msg) {
                            let before = connection.wire.output().len();
                            connection.bodies.push_back(PendingBody {
                                msg: std::mem::take(&mut msg),
                                before,
                                offset: 0,
                            });
                        } else {
                            connection.wire.send(&msg);
                        }
                    }
                    if connection.wire.failed() {
                        return Err(Failure::Protocol);
                    }
                }
            }
            let output = connection.wire.output();
            let written = if connection.bodies.is_empty() {
                if output.is_empty() {
                    let taking = connection.wire.is_ready() && !connection.close_requested;
                    if let Some(pipe) = self.pipe.as_mut().filter(|_| taking) {
                        // Nothing to write: a last look that marks the reader asleep if the
                        // pipe is still empty, so the socket's next message wakes this thread.
                        if pipe.check_read() == Readiness::Ready {
                            continue;
                        }
                    }
                    if connection.close_requested {
                        // Everything before the close request is written: end the session without
                        // reconnecting and without a disconnect notification (the socket knows).
                        self.finish();
                    }
                    return Ok(());
                }
                connection.stream.write(output)
            } else {
                connection.write_gathered()
            };
            match written {
                Ok(0) => return Err(Failure::Connection(libc::EPIPE)),
                Ok(n) => connection.consume(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    connection.write_blocked = true;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Failure::Connection(e.raw_os_error().unwrap_or(libc::EIO))),
            }
        }
    }

    /// Whether the socket closed with messages still to deliver and ZMQ_LINGER time for them: a
    /// connecter then keeps reconnecting until they are sent or the linger runs out, as
    /// libzmq's does.
    fn lingering_with_messages(&mut self) -> bool {
        self.linger != 0 && self.pipe.as_mut().is_some_and(|pipe| pipe.check_read() != Readiness::Closed)
    }

    /// After the socket closed its end: finish once everything it sent is on the wire.
    fn check_closing(&mut self) {
        if !self.closing || self.done {
            return;
        }
        let pipe_drained = match &mut self.pipe {
            Some(pipe) => pipe.check_read() == Readiness::Closed,
            None => true,
        };
        let output_empty = self
            .connection
            .as_ref()
            .is_none_or(|c| (c.wire.output().is_empty() && c.bodies.is_empty()) || !c.wire.is_ready());
        if self.linger == 0 || (pipe_drained && output_empty) {
            self.finish();
        }
    }

    /// The connection ended (error, EOF, protocol error).
    fn disconnected(&mut self, registry: &Registry, failure: Failure) {
        let mut notify = false;
        let mut handshaked = false;
        let mut protocol_error = failure == Failure::Protocol;
        if let Some(mut connection) = self.connection.take() {
            handshaked = connection.wire.is_ready();
            let _ = mio::event::Source::deregister(&mut connection.stream, registry);
            if let Some(zap) = connection.zap.take() {
                zap.close(Some(registry));
            }
            if let Failure::Connection(errno) = failure {
                let handshaking = !connection.connecting && connection.wire.is_handshaking();
                // A connection lost mid-handshake (libzmq: an engine error while handshaking).
                if handshaking && errno != 0 {
                    self.config.event(&self.endpoints, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, errno as u64);
                }
                // ZMQ_RECONNECT_STOP_HANDSHAKE_FAILED: a peer that drops the connection or never
                // completes the handshake (errno 0: ZMQ_HANDSHAKE_IVL ran out) counts as a
                // protocol error, which ends a connecter (libzmq: not a ZMTP peer).
                if handshaking && self.config.stops_on(draft::ZMQ_RECONNECT_STOP_HANDSHAKE_FAILED) {
                    protocol_error = true;
                }
            }
            if !connection.connecting {
                self.config.event(&self.endpoints, ZMQ_EVENT_DISCONNECTED, connection.stream.raw_fd() as u64);
                notify = connection.wire.is_raw();
            }
            connection.stream.shutdown();
        }
        self.incoming.clear();
        self.blocked = false;
        if notify && !self.closing {
            // Raw mode's disconnect notification (see the module doc). It is the last message
            // of this connection, so it goes in even past the high-water mark.
            let notification = self.raw_notification();
            if let Some(pipe) = &mut self.pipe {
                pipe.write(notification);
                pipe.flush();
            }
        }
        if handshaked && !self.closing && matches!(self.role, Role::Connecter { .. }) {
            // ZMQ_HICCUP_MSG, like raw mode's notification, goes in even past the high-water mark.
            if let (Some(hiccup), Some(pipe)) = (&self.config.hiccup_msg, &mut self.pipe) {
                pipe.write(Msg::from_bytes(hiccup.clone()));
                pipe.flush();
            }
        }
        let retry = !self.closing || self.lingering_with_messages();
        match self.role {
            // libzmq's connecter gives up after a protocol error (the session terminates).
            Role::Connecter { .. } if retry && !protocol_error => {
                if self.config.immediate {
                    // With ZMQ_IMMEDIATE the pipe exists only while connected; what arrived
                    // through it stays readable for the socket.
                    if let Some(pipe) = self.pipe.take() {
                        pipe.terminate(true);
                    }
                }
                self.schedule_reconnect();
            }
            _ => self.finish(),
        }
    }

    /// Ends the session: the pipe is closed towards the socket (which still reads every message
    /// that arrived before), the stream is dropped.
    pub fn finish(&mut self) {
        if let Some(pipe) = self.pipe.take() {
            pipe.terminate(true);
        }
        if let Some(mut connection) = self.connection.take() {
            if let Some(zap) = connection.zap.take() {
                // The eventfd leaves the poller when the mailbox closes it.
                zap.close(None);
            }
            connection.stream.shutdown();
        }
        self.reconnect_at = None;
        self.linger_deadline = None;
        self.done = true;
    }

    /// Deregisters the stream before the session is dropped.
    pub fn deregister(&mut self, registry: &Registry) {
        if let Some(connection) = &mut self.connection {
            let _ = mio::event::Source::deregister(&mut connection.stream, registry);
        }
    }
}

/// Raw mode end to end: a STREAM socket against plain TCP sockets.
#[cfg(test)]
mod raw_tests {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::Arc;

    use crate::constants::*;
    use crate::ctx::Ctx;
    use crate::msg::Msg;
    use crate::socket::base::Socket;

    fn stream_socket(ctx: &Arc<Ctx>) -> Socket {
        let mut socket = Socket::new(Arc::clone(ctx), ZMQ_STREAM).unwrap();
        socket.set_option(ZMQ_RCVTIMEO, &5000i32.to_ne_bytes()).unwrap();
        socket.set_option(ZMQ_LINGER, &0i32.to_ne_bytes()).unwrap();
        socket
    }

    /// The next `[id][data]` message.
    fn recv(socket: &mut Socket) -> (Msg, Vec<u8>) {
        let id = socket.recv(0).unwrap();
        assert!(id.more());
        let data = socket.recv(0).unwrap();
        assert!(!data.more());
        (id, data.data().to_vec())
    }

    fn send(socket: &mut Socket, id: &[u8], data: &[u8]) {
        socket.send(Msg::from_slice(id).unwrap(), ZMQ_SNDMORE).unwrap();
        socket.send(Msg::from_slice(data).unwrap(), 0).unwrap();
    }

    fn last_endpoint(socket: &mut Socket) -> String {
        let mut out = [0u8; 256];
        let n = socket.get_option(ZMQ_LAST_ENDPOINT, &mut out).unwrap();
        String::from_utf8(out[..n - 1].to_vec()).unwrap()
    }

    #[test]
    fn accepted_connection_speaks_raw_bytes_with_notifications() {
        let ctx = Arc::new(Ctx::new());
        let mut server = stream_socket(&ctx);
        server.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = last_endpoint(&mut server);
        let mut client = TcpStream::connect(endpoint.trim_start_matches("tcp://")).unwrap();

        let (id, data) = recv(&mut server);
        assert!(data.is_empty(), "connect notification");
        assert_eq!(id.metadata().and_then(|m| m.get("Peer-Address")).unwrap().to_bytes(), b"127.0.0.1");

        // No greeting: the first bytes on the wire are the client's own.
        client.write_all(b"GET /\r\n").unwrap();
        let (same, data) = recv(&mut server);
        assert_eq!((same.data(), &data[..]), (id.data(), &b"GET /\r\n"[..]));

        send(&mut server, id.data(), b"HTTP/1.0 200 OK\r\n");
        send(&mut server, id.data(), b"");
        let mut reply = Vec::new();
        client.read_to_end(&mut reply).unwrap();
        assert_eq!(reply, b"HTTP/1.0 200 OK\r\n", "written whole, then closed");
    }

    #[test]
    fn peer_closing_is_notified() {
        let ctx = Arc::new(Ctx::new());
        let mut server = stream_socket(&ctx);
        server.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = last_endpoint(&mut server);
        let client = TcpStream::connect(endpoint.trim_start_matches("tcp://")).unwrap();
        let (id, _) = recv(&mut server);
        drop(client);
        let (same, data) = recv(&mut server);
        assert_eq!((same.data(), data.len()), (id.data(), 0), "disconnect notification");
        // Once the socket has seen the pipe close (the notification was its last message), the
        // id is unknown.
        // (The session ends the pipe right after the notification: allow for that moment.)
        for _ in 0..500 {
            assert_eq!(server.recv(ZMQ_DONTWAIT).unwrap_err().0, libc::EAGAIN);
            match server.send(Msg::from_slice(id.data()).unwrap(), ZMQ_SNDMORE) {
                Err(error) => return assert_eq!(error.0 .0, libc::EHOSTUNREACH),
                Ok(()) => server.send(Msg::from_slice(b"x").unwrap(), 0).unwrap(),
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("the id outlived its connection");
    }

    #[test]
    fn connected_socket_uses_connect_routing_id_and_sends_before_the_connection_is_up() {
        let ctx = Arc::new(Ctx::new());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = stream_socket(&ctx);
        client.set_option(ZMQ_STREAM_NOTIFY, &0i32.to_ne_bytes()).unwrap();
        client.set_option(ZMQ_CONNECT_ROUTING_ID, b"conn1").unwrap();
        client.connect(&format!("tcp://{}", listener.local_addr().unwrap())).unwrap();
        send(&mut client, b"conn1", b"hello");
        let (mut peer, _) = listener.accept().unwrap();
        let mut buffer = [0u8; 5];
        peer.read_exact(&mut buffer).unwrap();
        assert_eq!(&buffer, b"hello");
        peer.write_all(b"back").unwrap();
        let (id, data) = recv(&mut client);
        assert_eq!((id.data(), &data[..]), (&b"conn1"[..], &b"back"[..]));
    }

    #[test]
    fn unknown_id_is_ehostunreach() {
        let ctx = Arc::new(Ctx::new());
        let mut socket = stream_socket(&ctx);
        let error = socket.send(Msg::from_slice(b"nobody").unwrap(), ZMQ_SNDMORE).unwrap_err();
        assert_eq!(error.0 .0, libc::EHOSTUNREACH);
    }
}

#[cfg(test)]
mod data_pump_tests {
    use std::sync::Arc;

    use crate::constants::*;
    use crate::ctx::Ctx;
    use crate::msg::Msg;
    use crate::socket::base::Socket;

    fn socket(ctx: &Arc<Ctx>, kind: i32) -> Socket {
        let mut socket = Socket::new(Arc::clone(ctx), kind).unwrap();
        socket.set_option(ZMQ_RCVTIMEO, &5000i32.to_ne_bytes()).unwrap();
        socket.set_option(ZMQ_SNDTIMEO, &5000i32.to_ne_bytes()).unwrap();
        socket.set_option(ZMQ_LINGER, &0i32.to_ne_bytes()).unwrap();
        // PINGs every millisecond (and the PONGs they draw) land between and inside the large
        // frames' writes and reads.
        socket.set_option(ZMQ_HEARTBEAT_IVL, &1i32.to_ne_bytes()).unwrap();
        // Not the default timeout (one interval): a busy machine must not drop the connection.
        socket.set_option(ZMQ_HEARTBEAT_TIMEOUT, &30_000i32.to_ne_bytes()).unwrap();
        socket
    }

    fn body(size: usize, seed: usize) -> Vec<u8> {
        (0..size).map(|i| (i.wrapping_mul(7) ^ seed) as u8).collect()
    }

    /// Sizes around every threshold of the pumps: inline, batched, written from the message
    /// (ZERO_COPY_MIN), held whole in a read block (HOLD), read straight into the message one
    /// after another (CHAIN_MIN), larger than the socket buffers, and multipart (every fourth
    /// from the second has MORE).
    fn exchange(endpoint: &str, curve: bool) {
        let ctx = Arc::new(Ctx::new());
        let mut receiver = socket(&ctx, ZMQ_PAIR);
        let mut sender = socket(&ctx, ZMQ_PAIR);
        if curve {
            // Encrypted frames cannot be written from the message: they take the copying path.
            let server = crate::curve_keys::generate_keypair().unwrap();
            let client = crate::curve_keys::generate_keypair().unwrap();
            receiver.set_option(ZMQ_CURVE_SERVER, &1i32.to_ne_bytes()).unwrap();
            receiver.set_option(ZMQ_CURVE_SECRETKEY, &server.secret).unwrap();
            sender.set_option(ZMQ_CURVE_SERVERKEY, &server.public).unwrap();
            sender.set_option(ZMQ_CURVE_PUBLICKEY, &client.public).unwrap();
            sender.set_option(ZMQ_CURVE_SECRETKEY, &client.secret).unwrap();
        }
        receiver.bind(endpoint).unwrap();
        let mut out = [0u8; 256];
        let n = receiver.get_option(ZMQ_LAST_ENDPOINT, &mut out).unwrap();
        let endpoint = String::from_utf8(out[..n - 1].to_vec()).unwrap();
        sender.connect(&endpoint).unwrap();

        let sizes = [
            1,
            64,
            8191,
            8192,
            16 * 1024,
            16 * 1024 + 1,
            32 * 1024 - 1,
            32 * 1024,
            65_536,
            65_536,
            70_000,
            5,
            3 << 20,
            300,
            1 << 20,
            40_000,
            // A large body, an empty frame with MORE (REQ/REP's delimiter), a large body: a
            // header read after the first ends inside the second's header.
            1 << 20,
            0,
            (1 << 20) + 3,
            0,
        ];
        let mut expected = Vec::new();
        for round in 0..3 {
            for (i, &size) in sizes.iter().enumerate() {
                let data = body(size, round * 100 + i);
                let more = i % 4 == 1;
                sender.send(Msg::from_slice(&data).unwrap(), if more { ZMQ_SNDMORE } else { 0 }).unwrap();
                expected.push((data, more));
            }
            // Let some heartbeats pass while the writes are still blocked.
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        for (i, (data, more)) in expected.iter().enumerate() {
            let msg = receiver.recv(0).unwrap();
            assert_eq!(msg.size(), data.len(), "message {i}");
            assert!(msg.data() == &data[..], "message {i}: body differs");
            assert_eq!(msg.more(), *more, "message {i}");
        }
        assert_eq!(receiver.recv(ZMQ_DONTWAIT).unwrap_err().0, libc::EAGAIN);
    }

    #[test]
    fn every_size_arrives_intact_over_tcp() {
        exchange("tcp://127.0.0.1:*", false);
    }

    #[test]
    fn every_size_arrives_intact_over_ipc() {
        exchange("ipc://*", false);
    }

    #[test]
    fn every_size_arrives_once_and_intact_under_curve() {
        exchange("tcp://127.0.0.1:*", true);
    }

    /// Several connections on one I/O thread, each with frames that reads cut (held back with
    /// the read block, or gathered), interleaved: every message arrives intact and in its
    /// sender's order.
    #[test]
    fn connections_sharing_read_blocks_keep_their_frames_apart() {
        let ctx = Arc::new(Ctx::new());
        let mut receiver = socket(&ctx, ZMQ_PULL);
        receiver.bind("tcp://127.0.0.1:*").unwrap();
        let mut out = [0u8; 256];
        let n = receiver.get_option(ZMQ_LAST_ENDPOINT, &mut out).unwrap();
        let endpoint = String::from_utf8(out[..n - 1].to_vec()).unwrap();
        let sizes = [20_000, 65_536, 100, 131_000, 16_384, 140_000, 9_000];
        let senders: Vec<_> = (0..3u8)
            .map(|id| {
                let mut sender = socket(&ctx, ZMQ_PUSH);
                sender.connect(&endpoint).unwrap();
                std::thread::spawn(move || {
                    for round in 0..4 {
                        for (i, &size) in sizes.iter().enumerate() {
                            let mut data = body(size, round * 10 + i);
                            data[0] = id;
                            data[1] = (round * sizes.len() + i) as u8;
                            sender.send(Msg::from_slice(&data).unwrap(), 0).unwrap();
                        }
                    }
                    sender
                })
            })
            .collect();
        let mut next = [0u8; 3];
        for _ in 0..3 * 4 * sizes.len() {
            let msg = receiver.recv(0).unwrap();
            let (id, seq) = (msg.data()[0], msg.data()[1]);
            let (round, i) = (usize::from(seq) / sizes.len(), usize::from(seq) % sizes.len());
            assert_eq!(seq, next[usize::from(id)], "sender {id}: out of order");
            next[usize::from(id)] += 1;
            let mut expected = body(sizes[i], round * 10 + i);
            expected[..2].copy_from_slice(&[id, seq]);
            assert!(msg.data() == &expected[..], "sender {id}, message {seq}: body differs");
        }
        for sender in senders {
            drop(sender.join().unwrap());
        }
    }
}
