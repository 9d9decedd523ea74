//! ZMTP (RFC 23 / RFC 37, with RFC 13 and RFC 15 peers) as a sans-I/O state machine: bytes in,
//! events and bytes out.
//!
//! [`Connection`] owns one peer's protocol state: the greeting exchange, the mechanism
//! handshake, framing, heartbeat replies, the 3.0/3.1 subscription translation and, for a RADIO,
//! passing its DISH peers' JOIN/LEAVE commands up as they are (`group_command`). It never
//! touches a socket, a thread or a clock; the engine that drives it reads and writes the bytes,
//! runs the timers (handshake, heartbeat) and decides what a failure means for the socket.
//!
//! ZMTP 3.x is spoken with the NULL, PLAIN and CURVE mechanisms. Older peers are detected from
//! their first bytes as libzmq does (`greeting`) and served without security, as libzmq serves
//! them: an unversioned or versioned ZMTP/1.0 peer with ZMTP 1.0 framing (`v1`), a ZMTP/2.0 peer
//! with the ZMTP 3 framing; both sides send an identity frame first instead of a handshake, and
//! a PUB/XPUB subscribes an unversioned peer to everything. With a mechanism other than NULL or
//! a ZAP domain set they are refused ([`ProtocolError::LegacyPeerRefused`]). `FrameDecoder`
//! and the `version` checks in `send` are the only places where the framing is chosen.
//!
//! When a mechanism needs a ZAP verdict, the connection raises
//! [`Event::ZapRequest`] and waits for [`Connection::zap_reply`]; asking the handler is the
//! engine's job. The verdict's User-Id and metadata join the peer's properties in
//! [`Event::Ready`]. Encrypting mechanisms wrap every frame after the handshake.

use std::collections::VecDeque;
use std::ffi::c_int;
use std::mem::MaybeUninit;

use crate::msg::Msg;

pub mod command;
pub mod decoder;
pub mod encoder;
mod error;
pub mod greeting;
pub mod group_command;
pub mod mechanism;
pub mod metadata;
pub mod socket_type;
pub mod v1;
pub mod zap;

#[cfg(test)]
mod legacy_tests;
#[cfg(test)]
mod security_tests;
#[cfg(test)]
mod tests;

pub use error::ProtocolError;
pub use greeting::Version;

use decoder::Decoder;
use greeting::{GreetingExchange, Progress};
use mechanism::curve::{CurveClient, CurveServer};
use mechanism::null::NullMechanism;
use mechanism::plain::{PlainClient, PlainServer};
use mechanism::{Mechanism, OwnProperties, Status};

/// ZMTP frame flag bits, as `Mechanism::encode_frame` / `decode_frame` see them.
const FLAG_MORE: u8 = 1;
const FLAG_COMMAND: u8 = 4;

fn frame_flags(more: bool, command: bool) -> u8 {
    (if more { FLAG_MORE } else { 0 }) | (if command { FLAG_COMMAND } else { 0 })
}

/// Which mechanism a connection runs, in which role, with what secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Security {
    /// NULL; `zap`: ask the ZAP handler before READY (a ZAP domain is set and a handler is
    /// bound, or ZMQ_ZAP_ENFORCE_DOMAIN is on).
    Null {
        zap: bool,
    },
    PlainClient {
        username: Vec<u8>,
        password: Vec<u8>,
    },
    PlainServer,
    /// CURVE client: ZMQ_CURVE_SERVERKEY and our key pair.
    CurveClient {
        server_key: CurveKey,
        public_key: CurveKey,
        secret_key: CurveKey,
    },
    /// CURVE server; `zap`: ask the ZAP handler about the client's key (a handler is bound, or
    /// ZMQ_ZAP_ENFORCE_DOMAIN is on).
    CurveServer {
        zap: bool,
        public_key: CurveKey,
        secret_key: CurveKey,
    },
}

/// A 32-byte CURVE key on its way to the mechanism: wiped on drop, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct CurveKey(pub [u8; 32]);

impl Drop for CurveKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl std::fmt::Debug for CurveKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CurveKey(..)")
    }
}

impl Default for Security {
    fn default() -> Self {
        Security::Null { zap: false }
    }
}

/// What the connection needs to know about our socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Our ZMQ_* socket type.
    pub socket_type: c_int,
    /// Our ZMQ_ROUTING_ID: sent as READY's Identity by REQ, DEALER and ROUTER (even when empty,
    /// as libzmq does), and its length goes into the greeting's padding.
    pub routing_id: Vec<u8>,
    /// Our role for mechanisms that have one (PLAIN/CURVE). The greeting's as-server byte is
    /// always written as 0, which is what libzmq 4.3 puts on the wire whatever the mechanism.
    pub as_server: bool,
    /// ZMQ_MAXMSGSIZE: -1 means unlimited; a frame announcing more is a protocol error.
    pub maxmsgsize: i64,
    /// ZMQ_METADATA properties ("X-..."), added to READY after Socket-Type and Identity.
    pub metadata: Vec<(String, Vec<u8>)>,
    pub security: Security,
    /// ZMQ_ZAP_DOMAIN is set. With it (or any mechanism but NULL), libzmq refuses ZMTP 1.0/2.0
    /// peers, which could not be authenticated.
    pub zap_domain_set: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            socket_type: 0,
            routing_id: Vec::new(),
            as_server: false,
            maxmsgsize: -1,
            metadata: Vec::new(),
            security: Security::default(),
            zap_domain_set: false,
        }
    }
}

/// Something the engine must act on, in the order it happened on the wire.
#[derive(Debug)]
pub enum Event {
    /// Handshake complete. The peer's properties from READY (all of them, Socket-Type and
    /// Identity included); `peer_socket_type` is -1 if READY had no Socket-Type.
    /// After a ZAP verdict, its User-Id and metadata properties come first (a property the peer
    /// also sent keeps the ZAP value, as in libzmq).
    Ready {
        peer_socket_type: c_int,
        peer_routing_id: Option<Vec<u8>>,
        properties: Vec<(String, Vec<u8>)>,
    },
    /// The mechanism needs a ZAP verdict on these credentials (RFC 27 frames after the mechanism
    /// name). The handshake waits until the engine calls [`Connection::zap_reply`].
    ZapRequest {
        mechanism: &'static str,
        credentials: Vec<Vec<u8>>,
    },
    /// One frame of a message (MORE flag in the Msg), or a SUBSCRIBE/CANCEL command turned into
    /// a message whose first byte is 1/0, or (to a RADIO) a JOIN/LEAVE command frame as it is
    /// (see `group_command`).
    Message(Msg),
    /// The peer sent ERROR during the handshake; `receive` also returned
    /// [`ProtocolError::PeerError`], and the connection is finished.
    PeerError(String),
    /// The peer sent PING. The PONG is already queued; the event is for the engine's TTL timer
    /// (a non-zero TTL means: close if nothing arrives within that many deciseconds).
    Ping {
        ttl_deciseconds: u16,
        context: Vec<u8>,
    },
    Pong,
}

#[derive(Debug)]
enum Phase {
    Greeting(GreetingExchange),
    Handshake,
    /// ZMTP 1.0/2.0: our identity frame is queued and the peer's, its first frame, is awaited.
    /// `peer_socket_type` is from a versioned greeting; `subscribe_all` is set for a PUB/XPUB
    /// talking to an unversioned peer (see [`Connection::start_legacy`]).
    PeerIdentity {
        peer_socket_type: Option<u8>,
        subscribe_all: bool,
    },
    Ready,
    Failed(ProtocolError),
}

/// How the peer's bytes are cut into frames: ZMTP 2.0 and 3.x share one framing, ZMTP 1.0 has
/// its own. The single point where the framing is chosen.
#[derive(Debug)]
enum FrameDecoder {
    Zmtp(Decoder),
    Zmtp1(v1::Decoder),
}

impl FrameDecoder {
    /// `shared`, when given, is the buffer `input` ends: the ZMTP decoder keeps bodies as
    /// slices of it. ZMTP 1.0 peers are rare enough to be copied.
    fn decode(
        &mut self,
        input: &[u8],
        shared: Option<&bytes::Bytes>,
    ) -> Result<(usize, Option<Msg>), ProtocolError> {
        match self {
            FrameDecoder::Zmtp(decoder) => decoder.decode(input, shared),
            FrameDecoder::Zmtp1(decoder) => decoder.decode(input),
        }
    }

    /// As `decode`, into a pipe's slot (see `Decoder::decode_into`).
    #[inline(always)]
    fn decode_into<'s>(
        &mut self,
        input: &[u8],
        shared: Option<&bytes::Bytes>,
        slot: &'s mut MaybeUninit<Msg>,
    ) -> Result<(usize, Option<&'s mut Msg>), ProtocolError> {
        match self {
            FrameDecoder::Zmtp(decoder) => decoder.decode_into(input, shared, slot),
            FrameDecoder::Zmtp1(decoder) => {
                let (n, frame) = decoder.decode(input)?;
                Ok((n, frame.map(|frame| slot.write(frame))))
            }
        }
    }

    /// Direct reads into a large body: the ZMTP 2.0/3.x decoder only.
    fn body_space(&mut self, min: usize, max: usize) -> Option<&mut [u8]> {
        match self {
            FrameDecoder::Zmtp(decoder) => decoder.body_space(min, max),
            FrameDecoder::Zmtp1(_) => None,
        }
    }

    /// Only after `body_space` gave room, which a ZMTP 1.0 decoder never does.
    fn body_filled(&mut self, n: usize) -> Option<Msg> {
        match self {
            FrameDecoder::Zmtp(decoder) => decoder.body_filled(n),
            FrameDecoder::Zmtp1(_) => None,
        }
    }
}

/// One ZMTP connection's protocol state. See the module doc for what it does and does not do.
#[derive(Debug)]
pub struct Connection {
    phase: Phase,
    socket_type: c_int,
    version: Option<Version>,
    mechanism: Box<dyn Mechanism>,
    decoder: FrameDecoder,
    /// Our routing id, sent as the identity frame to ZMTP 1.0/2.0 peers.
    routing_id: Vec<u8>,
    maxmsgsize: i64,
    /// NULL mechanism and no ZAP domain: ZMTP 1.0/2.0 peers are served (libzmq's
    /// `!zap_enabled()`).
    legacy_allowed: bool,
    /// Bytes for the peer; `out[out_pos..]` is still unwritten.
    out: Vec<u8>,
    out_pos: usize,
    events: VecDeque<Event>,
    /// Bytes received after the handshake and not decoded yet (see
    /// [`receive_shared`](Connection::receive_shared)): frames are decoded as events are polled.
    held_input: bytes::Bytes,
    /// Whether the last frame we sent had MORE (so the next one continues a message).
    sending_more: bool,
    /// User-Id and metadata from the ZAP verdict, for the Ready event.
    zap_properties: Vec<(String, Vec<u8>)>,
}

// The engine moves connections to its I/O thread.
const _: () = {
    const fn assert_send<T: Send>() {}
    assert_send::<Connection>();
};

/// Output already written is dropped from the buffer's front only when it is at least this big
/// and at least half the buffer, so compaction stays amortised linear.
const COMPACT_THRESHOLD: usize = 64 * 1024;

impl Connection {
    /// A connection for a freshly opened stream; our greeting's first part is queued at once.
    ///
    /// Panics if `config.socket_type` is no socket type (a caller bug, not peer input).
    pub fn new(config: Config) -> Self {
        assert!(
            socket_type::name(config.socket_type).is_some(),
            "invalid socket type {}",
            config.socket_type
        );
        let own = OwnProperties {
            socket_type: config.socket_type,
            routing_id: config.routing_id.clone(),
            metadata: config.metadata,
        };
        let legacy_allowed = matches!(config.security, Security::Null { .. }) && !config.zap_domain_set;
        let mechanism: Box<dyn Mechanism> = match config.security {
            Security::Null { zap } => Box::new(NullMechanism::new(own, zap)),
            Security::PlainClient { username, password } => {
                Box::new(PlainClient::new(own, username, password))
            }
            Security::PlainServer => Box::new(PlainServer::new(own)),
            Security::CurveClient { server_key, public_key, secret_key } => {
                Box::new(CurveClient::new(own, public_key.0, secret_key.0, server_key.0))
            }
            Security::CurveServer { zap, public_key, secret_key } => {
                Box::new(CurveServer::new(own, zap, public_key.0, secret_key.0))
            }
        };
        let mut connection =
            Self::with_mechanism(config.socket_type, config.routing_id, config.maxmsgsize, mechanism);
        connection.legacy_allowed = legacy_allowed;
        connection
    }

    /// A connection running `mechanism` (which already knows our properties). ZMTP 1.0/2.0
    /// peers are refused.
    pub(crate) fn with_mechanism(
        socket_type: c_int,
        routing_id: Vec<u8>,
        maxmsgsize: i64,
        mechanism: Box<dyn Mechanism>,
    ) -> Self {
        // Socket types are 0..=18: the ZMTP 1.0/2.0 greeting carries ours in one byte.
        let exchange = GreetingExchange::new(greeting::mechanism_field(mechanism.name()), socket_type as u8);
        Self {
            phase: Phase::Greeting(exchange),
            socket_type,
            version: None,
            mechanism,
            decoder: FrameDecoder::Zmtp(Decoder::new(maxmsgsize)),
            out: greeting::signature(routing_id.len()).to_vec(),
            routing_id,
            maxmsgsize,
            legacy_allowed: false,
            out_pos: 0,
            events: VecDeque::new(),
            held_input: bytes::Bytes::new(),
            sending_more: false,
            zap_properties: Vec::new(),
        }
    }

    /// Feeds bytes read from the peer. All of `data` is consumed; output and events are queued.
    /// After an error the connection is dead: later calls return the same error and ignore the
    /// bytes, and events queued before the failure can still be polled.
    pub fn receive(&mut self, data: &[u8]) -> Result<(), ProtocolError> {
        let result = self.receive_inner(data, None);
        self.note_failure(result)
    }

    /// [`receive`](Self::receive) for bytes in a shared read buffer: message bodies above the
    /// inline size that are whole in `data` become slices of it instead of copies.
    ///
    /// Once the handshake is done, the frames are not decoded here but one by one as
    /// [`poll_event`](Self::poll_event) asks for them, so each message goes from the read buffer
    /// to its destination while both are in cache (a 64 KiB read of 1-byte messages would
    /// otherwise become a queue of 20 000 events). A malformed frame then surfaces there:
    /// `poll_event` answers `None` and [`failure`](Self::failure) says why. All events must be
    /// polled before more bytes are received (`whole_frames_len` looks at the decoder's state
    /// after all of them).
    pub fn receive_shared(&mut self, data: &bytes::Bytes) -> Result<(), ProtocolError> {
        debug_assert!(self.held_input.is_empty(), "bytes received before the last ones were polled");
        let result = if self.held_input.is_empty() {
            self.receive_inner(data, Some(data))
        } else {
            // (A caller bug; kept correct at the price of a copy.)
            let joined = [&self.held_input[..], &data[..]].concat();
            self.held_input = bytes::Bytes::new();
            let joined = bytes::Bytes::from(joined);
            self.receive_inner(&joined, Some(&joined))
        };
        self.note_failure(result)
    }

    /// How much of `data` (bytes read after everything received so far) to
    /// [`receive`](Self::receive) now, and how many more bytes the held rest waits for: see
    /// [`Decoder::whole_frames_len`]. Everything goes in at once until the greeting is done
    /// and with a ZMTP 1.0 peer.
    pub fn whole_frames_len(&self, data: &[u8], hold: std::ops::RangeInclusive<usize>) -> (usize, usize) {
        match (&self.phase, &self.decoder) {
            (Phase::Handshake | Phase::PeerIdentity { .. } | Phase::Ready, FrameDecoder::Zmtp(decoder)) => {
                decoder.whole_frames_len(data, hold)
            }
            _ => (data.len(), 0),
        }
    }

    /// Room to read the rest of a large frame's body straight into (at most `max` bytes), so it
    /// is not copied from a read buffer; `None` unless a large body of at least `min` bytes is
    /// being received. Report what was written with
    /// [`read_filled`](Self::read_filled) before anything else.
    pub fn read_space(&mut self, min: usize, max: usize) -> Option<&mut [u8]> {
        match self.phase {
            Phase::Handshake | Phase::PeerIdentity { .. } | Phase::Ready => self.decoder.body_space(min, max),
            Phase::Greeting(_) | Phase::Failed(_) => None,
        }
    }

    /// `n` bytes were read into the last [`read_space`](Self::read_space); like `receive`
    /// otherwise.
    pub fn read_filled(&mut self, n: usize) -> Result<(), ProtocolError> {
        let result = match self.decoder.body_filled(n) {
            Some(frame) => self.process_frame(frame),
            None => Ok(()),
        };
        self.note_failure(result)
    }

    /// After an error the connection is dead (see `receive`).
    fn note_failure(&mut self, result: Result<(), ProtocolError>) -> Result<(), ProtocolError> {
        if let Err(error) = &result {
            if let ProtocolError::PeerError { reason } = error {
                if !matches!(self.phase, Phase::Failed(_)) {
                    self.events.push_back(Event::PeerError(reason.clone()));
                }
            }
            self.phase = Phase::Failed(error.clone());
        }
        result
    }

    fn receive_inner(&mut self, mut data: &[u8], shared: Option<&bytes::Bytes>) -> Result<(), ProtocolError> {
        while !data.is_empty() {
            match &mut self.phase {
                Phase::Failed(error) => return Err(error.clone()),
                Phase::Greeting(exchange) => {
                    let (n, progress) = exchange.receive(data, &mut self.out);
                    data = &data[n..];
                    match progress {
                        Progress::NeedMore => {}
                        Progress::Complete { version, mechanism } => {
                            self.greeting_complete(version, mechanism)?;
                        }
                        Progress::Unversioned => {
                            // What looked like a greeting is the peer's identity frame.
                            let stream = exchange.received().to_vec();
                            self.start_legacy(Version::V1_0, None)?;
                            self.receive_inner(&stream, None)?;
                        }
                        Progress::Legacy { version, peer_socket_type } => {
                            self.start_legacy(version, Some(peer_socket_type))?;
                        }
                    }
                }
                Phase::Ready if shared.is_some() => {
                    // Decoded as polled (see `receive_shared`); `data` ends `shared`.
                    let shared = shared.expect("checked");
                    self.held_input = shared.slice(shared.len() - data.len()..);
                    return Ok(());
                }
                Phase::Handshake | Phase::PeerIdentity { .. } | Phase::Ready => {
                    let n = self.decode_frame(data, shared)?;
                    data = &data[n..];
                }
            }
        }
        if let Phase::Failed(error) = &self.phase {
            return Err(error.clone());
        }
        Ok(())
    }

    /// Decodes (at most) one frame from `data` and acts on it; returns the bytes consumed.
    fn decode_frame(&mut self, data: &[u8], shared: Option<&bytes::Bytes>) -> Result<usize, ProtocolError> {
        let (n, frame) = self.decoder.decode(data, shared)?;
        if let Some(frame) = frame {
            self.process_frame(frame)?;
        }
        Ok(n)
    }

    /// A ZMTP 1.0 (`V1_0`, versioned when `peer_socket_type` is known) or 2.0 peer: these
    /// protocols have no mechanism, so it is served only without security. The identity frames
    /// replace the handshake: ours is queued now, the peer's is its first frame.
    fn start_legacy(&mut self, version: Version, peer_socket_type: Option<u8>) -> Result<(), ProtocolError> {
        if !self.legacy_allowed {
            let revision = peer_socket_type.map(|_| if version == Version::V1_0 { 0 } else { 1 });
            return Err(ProtocolError::LegacyPeerRefused { revision });
        }
        self.version = Some(version);
        let unversioned = peer_socket_type.is_none();
        if version == Version::V1_0 {
            self.decoder = FrameDecoder::Zmtp1(v1::Decoder::new(self.maxmsgsize));
        }
        let routing_id = std::mem::take(&mut self.routing_id);
        match version {
            // Our signature was the header of this frame (a long length, routing id length
            // plus one): only the body is left to send.
            Version::V1_0 if unversioned => self.out.extend_from_slice(&routing_id),
            Version::V1_0 => v1::encode(false, &routing_id, &mut self.out),
            _ => encoder::encode_parts(false, false, &[&routing_id], &mut self.out),
        }
        // libzmq's unversioned peers (2.x) filter on their side and send no subscriptions: a
        // publisher subscribes them to everything on their behalf.
        let subscribe_all = unversioned && socket_type::is_publisher(self.socket_type);
        self.phase = Phase::PeerIdentity { peer_socket_type, subscribe_all };
        Ok(())
    }

    fn greeting_complete(
        &mut self,
        version: Version,
        mechanism: [u8; greeting::MECHANISM_SIZE],
    ) -> Result<(), ProtocolError> {
        if mechanism != greeting::mechanism_field(self.mechanism.name()) {
            let end = mechanism.iter().position(|&b| b == 0).unwrap_or(mechanism.len());
            return Err(ProtocolError::MechanismMismatch { peer_mechanism: mechanism[..end].to_vec() });
        }
        self.version = Some(version);
        self.phase = Phase::Handshake;
        self.advance_handshake();
        Ok(())
    }

    /// Sends what the mechanism has to say, raises its ZAP request, and notices its success.
    fn advance_handshake(&mut self) {
        while let Some(body) = self.mechanism.next_handshake_command() {
            self.push_output(|out| encoder::encode_parts(false, true, &[&body], out));
        }
        if let Some(credentials) = self.mechanism.zap_request() {
            self.events.push_back(Event::ZapRequest { mechanism: self.mechanism.name(), credentials });
        }
        if self.mechanism.status() == Status::Ready && matches!(self.phase, Phase::Handshake) {
            self.phase = Phase::Ready;
            let peer = self.mechanism.take_peer_info();
            let mut properties = std::mem::take(&mut self.zap_properties);
            for (name, value) in peer.properties {
                mechanism::insert_property(&mut properties, name, value);
            }
            self.events.push_back(Event::Ready {
                peer_socket_type: peer.socket_type,
                peer_routing_id: peer.routing_id,
                properties,
            });
        }
    }

    /// Feeds the ZAP handler's verdict (already validated by the engine: status 200, 300, 400
    /// or 500, metadata parsed). Output and events are queued as by `receive`.
    pub fn zap_reply(
        &mut self,
        status: &[u8],
        user_id: &[u8],
        metadata: Vec<(String, Vec<u8>)>,
    ) -> Result<(), ProtocolError> {
        if let Phase::Failed(error) = &self.phase {
            return Err(error.clone());
        }
        // libzmq records the user id (even empty) and the ZAP properties whatever the status.
        mechanism::insert_property(&mut self.zap_properties, "User-Id".to_owned(), user_id.to_vec());
        for (name, value) in &metadata {
            mechanism::insert_property(&mut self.zap_properties, name.clone(), value.clone());
        }
        if let Err(error) = self.mechanism.zap_reply(status, user_id, metadata) {
            self.phase = Phase::Failed(error.clone());
            return Err(error);
        }
        self.advance_handshake();
        Ok(())
    }

    /// The engine found nobody to ask (no handler bound) where libzmq then goes on without ZAP
    /// (NULL and CURVE without ZMQ_ZAP_ENFORCE_DOMAIN): the handshake proceeds as after a 200
    /// verdict, but without a User-Id.
    pub fn zap_skipped(&mut self) -> Result<(), ProtocolError> {
        if let Phase::Failed(error) = &self.phase {
            return Err(error.clone());
        }
        if let Err(error) = self.mechanism.zap_reply(b"200", b"", Vec::new()) {
            self.phase = Phase::Failed(error.clone());
            return Err(error);
        }
        self.advance_handshake();
        Ok(())
    }

    /// The handshake failed and the peer was told so (or dropped silently, ZAP 300): the engine
    /// keeps the connection until the peer's next command or its leaving, and then reports
    /// nothing more.
    pub fn handshake_refused(&self) -> bool {
        matches!(self.phase, Phase::Handshake) && self.mechanism.status() == Status::Error
    }

    fn process_frame(&mut self, frame: Msg) -> Result<(), ProtocolError> {
        if let Phase::PeerIdentity { peer_socket_type, subscribe_all } = self.phase {
            self.phase = Phase::Ready;
            self.events.push_back(Event::Ready {
                peer_socket_type: peer_socket_type.map_or(-1, c_int::from),
                peer_routing_id: Some(frame.data().to_vec()),
                properties: Vec::new(),
            });
            if subscribe_all {
                let subscription = Msg::from_slice(&[1]).expect("inline bodies need no allocation");
                self.events.push_back(Event::Message(subscription));
            }
            return Ok(());
        }
        if matches!(self.phase, Phase::Handshake) {
            if !frame.is_command() {
                return Err(ProtocolError::MessageDuringHandshake);
            }
            self.mechanism.process_handshake_command(frame.data())?;
            if self.mechanism.status() == Status::Error {
                return Err(ProtocolError::Refused);
            }
            self.advance_handshake();
            return Ok(());
        }
        let frame = if self.mechanism.encrypts() {
            let outer_flags = frame_flags(frame.more(), frame.is_command());
            let (flags, body) = self.mechanism.decode_frame(outer_flags, frame.data())?;
            let mut inner = Msg::from_bytes(bytes::Bytes::from(body));
            inner.set_more(flags & FLAG_MORE != 0);
            if flags & FLAG_COMMAND != 0 {
                inner.set_command();
            }
            inner
        } else {
            frame
        };
        if !frame.is_command() {
            self.events.push_back(Event::Message(frame));
            return Ok(());
        }
        let cmd = command::parse(frame.data()).map_err(|_| ProtocolError::MalformedCommand)?;
        match cmd.name {
            command::PING => {
                let (ttl, context) = command::parse_ping(cmd.data).ok_or(ProtocolError::MalformedCommand)?;
                let context = context.to_vec();
                self.write_command(command::PONG, &[&context]);
                self.events.push_back(Event::Ping { ttl_deciseconds: ttl, context: context.to_vec() });
            }
            command::PONG => self.events.push_back(Event::Pong),
            command::SUBSCRIBE | command::CANCEL => {
                let mut msg = Msg::with_size(1 + cmd.data.len())
                    .map_err(|_| ProtocolError::OutOfMemory { size: frame.size() as u64 })?;
                let body = msg.data_mut();
                body[0] = u8::from(cmd.name == command::SUBSCRIBE);
                body[1..].copy_from_slice(cmd.data);
                self.events.push_back(Event::Message(msg));
            }
            // A DISH's JOIN/LEAVE: a RADIO filters by them, so it gets the command as it is.
            name if self.socket_type == crate::constants::draft::ZMQ_RADIO
                && group_command::is_group_command(name) =>
            {
                self.events.push_back(Event::Message(frame))
            }
            // libzmq drops any other command once the handshake is done (READY, ERROR and
            // unknown names alike).
            _ => {}
        }
        Ok(())
    }

    /// Next event, oldest first. `None` also when a held frame turned out malformed (see
    /// [`receive_shared`](Self::receive_shared)).
    pub fn poll_event(&mut self) -> Option<Event> {
        match self.events.pop_front() {
            None if !self.held_input.is_empty() => self.decode_held(),
            event => event,
        }
    }

    /// Decodes held frames until one makes an event (a PONG to send makes none). An ordinary
    /// message frame (the per-message path) is handed back as it is, not queued.
    fn decode_held(&mut self) -> Option<Event> {
        use bytes::Buf;
        let mut input = std::mem::take(&mut self.held_input);
        let plain = !self.mechanism.encrypts();
        while !input.is_empty() {
            let frame = match self.decoder.decode(&input, Some(&input)) {
                Ok((n, frame)) => {
                    input.advance(n);
                    frame
                }
                Err(error) => {
                    let _ = self.note_failure(Err(error));
                    return None;
                }
            };
            match frame {
                Some(frame) if plain && !frame.is_command() => {
                    self.hold(input);
                    return Some(Event::Message(frame));
                }
                Some(frame) => {
                    if let Err(error) = self.process_frame(frame) {
                        let _ = self.note_failure(Err(error));
                        return None;
                    }
                }
                None => {}
            }
            if let Some(event) = self.events.pop_front() {
                self.hold(input);
                return Some(event);
            }
        }
        None
    }

    /// Whether [`decode_message_into`](Self::decode_message_into) has a frame to decode.
    #[inline(always)]
    pub fn can_decode_in_place(&self) -> bool {
        !self.held_input.is_empty() && self.events.is_empty() && !self.mechanism.encrypts()
    }

    /// The per-message path of [`poll_event`](Self::poll_event) for a reader with room for a
    /// message: decodes the next held frame into `slot` (the pipe's next one) and hands it back
    /// there when it is a whole single-frame message, so it is built where it stays. `None`
    /// when there was no such frame: then anything decoded (a frame with MORE, a command, a
    /// failure) is queued as `poll_event` would report it, so call that next. Only while no
    /// event is queued (order) and on a plain mechanism (encrypted frames are decrypted into a
    /// new message anyway).
    #[inline(always)]
    pub fn decode_message_into<'s>(&mut self, slot: &'s mut MaybeUninit<Msg>) -> Option<&'s mut Msg> {
        use bytes::Buf;
        if !self.can_decode_in_place() {
            return None;
        }
        let input = &self.held_input;
        let frame = match self.decoder.decode_into(input, Some(input), slot) {
            Ok((n, frame)) => {
                self.held_input.advance(n);
                if self.held_input.is_empty() {
                    // Free the read block for reuse (see `hold`).
                    self.held_input = bytes::Bytes::new();
                }
                frame?
            }
            Err(error) => {
                self.held_input = bytes::Bytes::new();
                let _ = self.note_failure(Err(error));
                return None;
            }
        };
        if !frame.is_command() && !frame.more() {
            return Some(frame);
        }
        // Not for the pipe as it is: out of the slot (which is then left unused).
        let frame = std::mem::take(frame);
        if !frame.is_command() {
            self.events.push_back(Event::Message(frame));
        } else if let Err(error) = self.process_frame(frame) {
            self.held_input = bytes::Bytes::new();
            let _ = self.note_failure(Err(error));
        }
        None
    }

    /// Keeps the rest of the held input; an empty rest is dropped at once, so that the read
    /// block it came from is free for reuse (a held empty slice would still pin it).
    fn hold(&mut self, input: bytes::Bytes) {
        if !input.is_empty() {
            self.held_input = input;
        }
    }

    /// Handshake done: messages may be sent.
    pub fn is_ready(&self) -> bool {
        matches!(self.phase, Phase::Ready)
    }

    /// The error that killed the connection, if any.
    pub fn failure(&self) -> Option<&ProtocolError> {
        match &self.phase {
            Phase::Failed(error) => Some(error),
            _ => None,
        }
    }

    /// The protocol agreed with the peer, once its greeting is in.
    pub fn version(&self) -> Option<Version> {
        self.version
    }

    /// Queues one frame. From a SUB/XSUB socket, a single-frame message starting with 1 or 0 is
    /// a subscription: to a ZMTP 3.1 peer it becomes a SUBSCRIBE/CANCEL command (the rest of the
    /// body is the topic); a 3.0 peer gets it as the message it is.
    ///
    /// Panics unless [`is_ready`](Self::is_ready): nothing may precede the handshake.
    pub fn send(&mut self, msg: &Msg) {
        assert!(self.is_ready(), "ZMTP send before the handshake completed");
        if let Some((name, topic)) = self.subscription_command(msg) {
            self.write_command(name, &[topic]);
        } else if self.version == Some(Version::V1_0) {
            self.push_output(|out| v1::encode(msg.more(), msg.data(), out));
        } else if self.mechanism.encrypts() {
            self.write_encrypted(msg.more(), msg.is_command(), &[msg.data()]);
        } else {
            self.push_output(|out| encoder::encode(msg, out));
        }
        self.sending_more = msg.more();
    }

    /// Queues a command frame after the handshake (wrapped when the mechanism encrypts).
    fn write_command(&mut self, name: &[u8], data: &[&[u8]]) {
        if self.mechanism.encrypts() {
            let name_len = [name.len() as u8];
            let mut parts: Vec<&[u8]> = vec![&name_len, name];
            parts.extend_from_slice(data);
            self.write_encrypted(false, true, &parts);
        } else {
            self.push_output(|out| command::write_frame(name, data, out));
        }
    }

    /// Queues one frame through the mechanism's `encode_frame`. A failure there (e.g. nonces
    /// exhausted) kills the connection: the engine sees it in [`failure`](Self::failure).
    fn write_encrypted(&mut self, more: bool, command: bool, parts: &[&[u8]]) {
        let flags = frame_flags(more, command);
        // Messages come as one part: no copy before the mechanism's own.
        let joined;
        let body = match parts {
            [single] => *single,
            _ => {
                joined = parts.concat();
                &joined
            }
        };
        // The outer body is written straight into the output, after room for the longest
        // header: a long body then gets its 9-byte header in that room, a short one (at most
        // 255 bytes) moves up to follow its 2-byte header.
        self.compact_output();
        let at = self.out.len();
        self.out.extend_from_slice(&[0; encoder::MAX_HEADER_SIZE]);
        match self.mechanism.encode_frame(flags, body, &mut self.out) {
            Ok(outer_flags) => {
                let body_at = at + encoder::MAX_HEADER_SIZE;
                let mut head = [0; encoder::MAX_HEADER_SIZE];
                let more = outer_flags & FLAG_MORE != 0;
                let n = encoder::header(
                    more,
                    outer_flags & FLAG_COMMAND != 0,
                    self.out.len() - body_at,
                    &mut head,
                );
                if n < encoder::MAX_HEADER_SIZE {
                    self.out.copy_within(body_at.., at + n);
                    self.out.truncate(self.out.len() - (encoder::MAX_HEADER_SIZE - n));
                }
                self.out[at..at + n].copy_from_slice(&head[..n]);
            }
            Err(error) => {
                self.out.truncate(at);
                self.phase = Phase::Failed(error);
            }
        }
    }

    /// For a frame that can go out verbatim, queues only its header and returns `true`: the
    /// caller must then write all of `output()` followed by `msg.data()` (e.g. with one
    /// `writev`) before queuing anything else. Returns `false`, queuing nothing, when the frame
    /// must be transformed (encrypted, or turned into a SUBSCRIBE/CANCEL command): the caller
    /// then queues it with [`send`](Self::send). Meant for large bodies, to avoid copying them.
    pub fn send_header_only(&mut self, msg: &Msg) -> bool {
        assert!(self.is_ready(), "ZMTP send before the handshake completed");
        if self.subscription_command(msg).is_some() || self.mechanism.encrypts() {
            return false;
        }
        if self.version == Some(Version::V1_0) {
            let mut head = [0; v1::MAX_HEADER_SIZE];
            let n = v1::header(msg.more(), msg.size(), &mut head);
            self.push_output(|out| out.extend_from_slice(&head[..n]));
        } else {
            let mut head = [0; encoder::MAX_HEADER_SIZE];
            let n = encoder::frame_header(msg, &mut head);
            self.push_output(|out| out.extend_from_slice(&head[..n]));
        }
        self.sending_more = msg.more();
        true
    }

    /// Name and topic when `msg` must travel as a SUBSCRIBE/CANCEL command.
    fn subscription_command<'m>(&self, msg: &'m Msg) -> Option<(&'static [u8], &'m [u8])> {
        if self.version != Some(Version::V3_1)
            || !socket_type::is_subscriber(self.socket_type)
            || self.sending_more
            || msg.more()
            || msg.is_command()
        {
            return None;
        }
        match msg.data().split_first() {
            Some((1, topic)) => Some((command::SUBSCRIBE, topic)),
            Some((0, topic)) => Some((command::CANCEL, topic)),
            _ => None,
        }
    }

    /// Queues a PING (heartbeat). `context` is cut to 16 bytes. libzmq's own PINGs carry no
    /// context. Panics unless ready.
    pub fn send_ping(&mut self, ttl_deciseconds: u16, context: &[u8]) {
        assert!(self.is_ready(), "ZMTP PING before the handshake completed");
        let context = &context[..context.len().min(command::MAX_PING_CONTEXT)];
        self.write_command(command::PING, &[&ttl_deciseconds.to_be_bytes(), context]);
    }

    /// Bytes waiting to be written to the peer.
    pub fn output(&self) -> &[u8] {
        &self.out[self.out_pos..]
    }

    /// Marks the first `n` bytes of [`output`](Self::output) as written.
    pub fn consume_output(&mut self, n: usize) {
        assert!(n <= self.out.len() - self.out_pos, "consumed more output than there is");
        self.out_pos += n;
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
        }
    }

    fn push_output(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        self.compact_output();
        write(&mut self.out);
    }

    /// Drops the bytes already written from the front of the output once they are many.
    fn compact_output(&mut self) {
        if self.out_pos >= COMPACT_THRESHOLD && self.out_pos * 2 >= self.out.len() {
            self.out.drain(..self.out_pos);
            self.out_pos = 0;
        }
    }
}
