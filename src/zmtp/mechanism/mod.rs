//! Security mechanisms: the handshake that runs after the greeting.
//!
//! A mechanism sees only command bodies and answers with command bodies; framing, greeting and
//! I/O belong to the connection. NULL lives in `null`; PLAIN and CURVE will join it behind the
//! same trait (CURVE will also need per-frame encode/decode hooks once the handshake is done,
//! to be added to the trait then).

use std::ffi::c_int;

use super::ProtocolError;

pub mod null;

/// Where a mechanism's handshake stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Handshaking,
    /// Both sides have agreed: messages may flow.
    Ready,
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
}

/// Records a property unless one of that name was already seen (first wins, as in libzmq).
pub(crate) fn insert_property(properties: &mut Vec<(String, Vec<u8>)>, name: String, value: Vec<u8>) {
    if !properties.iter().any(|(existing, _)| *existing == name) {
        properties.push((name, value));
    }
}
