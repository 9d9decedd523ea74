//! Security mechanisms: the handshake that runs after the greeting.
//!
//! A mechanism sees only command bodies and answers with command bodies; framing, greeting and
//! I/O belong to the connection. NULL lives in `null`; PLAIN (`plain`) and CURVE (`curve`) sit
//! behind the same trait.
//!
//! ZAP (RFC 27) is asked by the engine, not by the mechanism: a server-side mechanism that needs
//! a verdict hands its credentials out through [`Mechanism::zap_request`] and waits (its
//! `next_handshake_command` returns `None`) until the engine feeds [`Mechanism::zap_reply`].
//! Mechanisms that encrypt (CURVE) wrap every frame after the handshake through
//! [`Mechanism::encode_frame`] / [`Mechanism::decode_frame`].

use std::ffi::c_int;

use super::{command, metadata, socket_type, ProtocolError};

pub mod curve;
pub mod null;
pub mod plain;

/// Where a mechanism's handshake stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Handshaking,
    /// Both sides have agreed: messages may flow.
    Ready,
    /// The handshake failed and that was already said (an ERROR sent after a ZAP refusal, or a
    /// ZAP 300 that closes silently). As in libzmq, the connection is not torn down at once:
    /// the engine drops it at the next command from the peer, or when the peer leaves, without
    /// a further monitor event.
    Error,
}

/// What the handshake learnt about the peer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerInfo {
    /// The peer's Socket-Type, -1 when its READY had none (libzmq accepts that).
    pub socket_type: c_int,
    /// The peer's Identity property, when it sent one.
    pub routing_id: Option<Vec<u8>>,
    /// Every property in wire order, Socket-Type and Identity included; for a repeated name only
    /// the first value is kept (as libzmq's property map does).
    pub properties: Vec<(String, Vec<u8>)>,
}

pub trait Mechanism: Send + std::fmt::Debug {
    /// The name in our greeting's mechanism field ("NULL", "PLAIN", "CURVE").
    fn name(&self) -> &'static str;

    /// The next handshake command body to send, if one is due now. Returning `None` while the
    /// handshake is still running means "waiting" (for the peer, or later for a ZAP reply).
    fn next_handshake_command(&mut self) -> Option<Vec<u8>>;

    /// Handles one handshake command body from the peer.
    fn process_handshake_command(&mut self, body: &[u8]) -> Result<(), ProtocolError>;

    fn status(&self) -> Status;

    /// The peer's identity and properties; valid once the status is `Ready`.
    fn take_peer_info(&mut self) -> PeerInfo;

    /// Server side: Some(credentials frames) once the handshake needs a ZAP verdict before going on;
    /// returned once. The session sends the ZAP request (mechanism name = self.name()).
    /// While the verdict is awaited, `next_handshake_command` returns `None`.
    fn zap_request(&mut self) -> Option<Vec<Vec<u8>>> {
        None
    }

    /// Feeds the ZAP reply: status code ("200", "300", "400", "500"), user id, metadata properties.
    /// Err for a malformed/denied outcome as libzmq handles it.
    fn zap_reply(
        &mut self,
        _status: &[u8],
        _user_id: &[u8],
        _metadata: Vec<(String, Vec<u8>)>,
    ) -> Result<(), ProtocolError> {
        Ok(())
    }

    /// True once messages must go through encode_frame/decode_frame (CURVE after its handshake).
    fn encrypts(&self) -> bool {
        false
    }

    /// Wraps one outgoing frame (flags: ZMTP flag bits MORE=1, COMMAND=4) into the outer frame to
    /// send: appends the outer body to `out` and returns the outer flags; on `Err`, `out` is left
    /// as it was. Appending lets the connection have the body written (encrypted) straight into
    /// its output buffer, after room for the frame header.
    fn encode_frame(&mut self, flags: u8, body: &[u8], out: &mut Vec<u8>) -> Result<u8, ProtocolError> {
        out.extend_from_slice(body);
        Ok(flags)
    }

    /// Unwraps one incoming outer frame into (flags, body).
    fn decode_frame(&mut self, outer_flags: u8, outer_body: &[u8]) -> Result<(u8, Vec<u8>), ProtocolError> {
        Ok((outer_flags, outer_body.to_vec()))
    }
}

/// Records a property unless one of that name was already seen (first wins, as in libzmq).
pub(crate) fn insert_property(properties: &mut Vec<(String, Vec<u8>)>, name: String, value: Vec<u8>) {
    if !properties.iter().any(|(existing, _)| *existing == name) {
        properties.push((name, value));
    }
}

const SOCKET_TYPE_PROPERTY: &str = "Socket-Type";
const IDENTITY_PROPERTY: &str = "Identity";

/// What every mechanism says about our socket in READY (or PLAIN's INITIATE): Socket-Type,
/// Identity for the types libzmq sends it for (even when empty), then the application metadata,
/// in that order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnProperties {
    pub socket_type: c_int,
    pub routing_id: Vec<u8>,
    pub metadata: Vec<(String, Vec<u8>)>,
}

impl OwnProperties {
    /// A command body: `name` then the properties.
    pub fn command(&self, name: &[u8]) -> Vec<u8> {
        let type_name = socket_type::name(self.socket_type).expect("Connection checked the socket type");
        let mut body = command::body(name, &[]);
        metadata::write_property(&mut body, SOCKET_TYPE_PROPERTY, type_name.as_bytes());
        if socket_type::sends_identity(self.socket_type) {
            metadata::write_property(&mut body, IDENTITY_PROPERTY, &self.routing_id);
        }
        for (name, value) in &self.metadata {
            metadata::write_property(&mut body, name, value);
        }
        body
    }
}

/// Why a peer's property list was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BadProperties {
    Malformed,
    IncompatibleSocketType(Vec<u8>),
}

/// Reads the peer's property list into `peer`: its Socket-Type must be compatible with
/// `own_socket_type`; the first Socket-Type and Identity count.
pub(crate) fn read_peer_properties(
    peer: &mut PeerInfo,
    own_socket_type: c_int,
    data: &[u8],
) -> Result<(), BadProperties> {
    let properties = metadata::parse(data).map_err(|_| BadProperties::Malformed)?;
    for (name, value) in properties {
        if name == SOCKET_TYPE_PROPERTY {
            let peer_type = socket_type::from_name(&value)
                .filter(|&peer_type| socket_type::compatible(own_socket_type, peer_type))
                .ok_or_else(|| BadProperties::IncompatibleSocketType(value.clone()))?;
            if peer.socket_type < 0 {
                peer.socket_type = peer_type;
            }
        } else if name == IDENTITY_PROPERTY && peer.routing_id.is_none() {
            peer.routing_id = Some(value.clone());
        }
        insert_property(&mut peer.properties, name, value);
    }
    Ok(())
}

/// Length of ERROR's fixed part: name length byte, "ERROR", reason length byte.
const ERROR_PREFIX_LEN: usize = 7;

/// The reason of an ERROR command body (whose name the caller checked). Bytes after the reason
/// are ignored, as libzmq does; a reason running past the end is `MalformedError`.
pub(crate) fn error_reason(body: &[u8]) -> ProtocolError {
    let Some(&reason_len) = body.get(ERROR_PREFIX_LEN - 1) else { return ProtocolError::MalformedError };
    match body.get(ERROR_PREFIX_LEN..ERROR_PREFIX_LEN + usize::from(reason_len)) {
        Some(reason) => ProtocolError::PeerError { reason: String::from_utf8_lossy(reason).into_owned() },
        None => ProtocolError::MalformedError,
    }
}

/// Whether `body` starts with the command name `name` (libzmq matches names as prefixes).
pub(crate) fn is_command(body: &[u8], name: &[u8]) -> bool {
    body.first() == Some(&(name.len() as u8)) && body.get(1..1 + name.len()) == Some(name)
}
