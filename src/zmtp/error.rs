//! Why a ZMTP connection failed, and how libzmq would report each failure to a socket monitor.
//!
//! Owns only the error type; deciding to close the connection, emitting monitor events and
//! reconnecting belong to the engine that drives [`super::Connection`].

use crate::constants::{
    ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE, ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC,
    ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA, ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE,
    ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE, ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR,
    ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO, ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE,
    ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE, ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY,
    ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED, ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH,
    ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND, ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED,
};

/// A protocol violation (or a resource failure caused by the peer's input). Once `receive` has
/// returned one, the connection is dead: the engine must close it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    /// The peer's first byte is not 0xFF, or the low bit of its tenth byte is clear: libzmq takes
    /// such a peer for an unversioned ZMTP 1.0 one. ZMTP 1.0 is not implemented.
    BadSignature,
    /// The peer announced ZMTP 1.0 (revision 0) or 2.0 (revision 1) in a versioned greeting.
    /// libzmq would fall back to those protocols; this implementation does not (yet).
    UnsupportedVersion { revision: u8 },
    /// The peer's greeting names another security mechanism than ours.
    MechanismMismatch { peer_mechanism: Vec<u8> },
    /// A message frame arrived before the handshake was complete.
    MessageDuringHandshake,
    /// A handshake command the mechanism does not expect at this point (unknown name, or any
    /// command once READY/ERROR was received).
    UnexpectedCommand,
    /// A command frame after the handshake whose name length runs past its end, or a PING
    /// without its 2-byte TTL.
    MalformedCommand,
    /// An ERROR command whose reason runs past its end.
    MalformedError,
    /// A READY command whose property list is truncated or has trailing bytes.
    MalformedReady,
    /// The peer's Socket-Type may not talk to ours (or is no socket type at all).
    IncompatibleSocketType { peer_socket_type: Vec<u8> },
    /// The peer sent ERROR during the handshake; the reason is also reported as
    /// [`super::Event::PeerError`].
    PeerError { reason: String },
    /// A frame announced more bytes than ZMQ_MAXMSGSIZE allows (or than fit in memory
    /// addressing).
    MessageTooLarge { size: u64 },
    /// A frame's announced size could not be allocated.
    OutOfMemory { size: u64 },

    // CURVE (mechanism/curve/). Each maps to the protocol error code libzmq reports for it.
    /// A CURVE handshake command or encrypted frame that is empty, only a name length byte, or
    /// whose name runs past its end.
    MalformedCommandStructure,
    /// A HELLO that is not 200 bytes or not version 1.0.
    MalformedHello,
    /// An INITIATE shorter than 257 bytes.
    MalformedInitiate,
    /// A CURVE READY shorter than 30 bytes.
    MalformedCurveReady,
    /// A MESSAGE shorter than 33 bytes.
    MalformedMessage,
    /// A box, cookie or vouch that does not open (wrong key, altered bytes), a WELCOME of the
    /// wrong size, or a peer key of small order.
    Cryptographic,
    /// A MESSAGE whose nonce is not above the last one received (replayed or reordered).
    InvalidSequence,
    /// The client's vouch names another short-term key than its HELLO.
    KeyExchange,
    /// The properties in the server's READY are malformed or name an incompatible socket type.
    InvalidMetadata,
    /// A handshake command while the CURVE server expects none (libzmq's "unspecified").
    CommandOutOfSequence,
    /// The ZAP handler denied the peer: 300 (temporary, nothing sent), 400 or 500 (an ERROR with
    /// that code goes to the peer first).
    AuthFailed { status_code: u16 },
    /// A ZAP status code other than 200, 300, 400 or 500.
    InvalidZapStatus,
}

impl ProtocolError {
    /// The `ZMQ_PROTOCOL_ERROR_ZMTP_*` value libzmq 4.3 passes with
    /// `ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL` for this failure, or `None` where libzmq emits no
    /// such event (it then only reports `ZMQ_EVENT_DISCONNECTED`). Under NULL, libzmq reports
    /// malformed READY metadata and incompatible socket types without a protocol-error event,
    /// and oversized frames as a plain disconnect (errno EMSGSIZE internally).
    pub fn protocol_error_code(&self) -> Option<i32> {
        match self {
            Self::MechanismMismatch { .. } => Some(ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH),
            Self::MessageDuringHandshake | Self::UnexpectedCommand => {
                Some(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND)
            }
            Self::MalformedError => Some(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR),
            Self::MalformedCommandStructure => Some(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED),
            Self::MalformedHello => Some(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO),
            Self::MalformedInitiate => Some(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE),
            Self::MalformedCurveReady => Some(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY),
            Self::MalformedMessage => Some(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE),
            Self::Cryptographic => Some(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC),
            Self::InvalidSequence => Some(ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE),
            Self::KeyExchange => Some(ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE),
            Self::InvalidMetadata => Some(ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA),
            Self::CommandOutOfSequence => Some(ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED),
            Self::InvalidZapStatus => Some(ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE),
            _ => None,
        }
    }

    /// The errno libzmq's engine holds when it drops the connection for this reason.
    pub fn errno(&self) -> i32 {
        match self {
            Self::MessageTooLarge { .. } => libc::EMSGSIZE,
            Self::OutOfMemory { .. } => libc::ENOMEM,
            _ => libc::EPROTO,
        }
    }

    /// For an ERROR whose reason is a ZAP status code (300, 400 or 500), or a ZAP denial on our
    /// side: that code. libzmq then emits `ZMQ_EVENT_HANDSHAKE_FAILED_AUTH` with it; other
    /// reasons produce no event.
    pub fn auth_status_code(&self) -> Option<i32> {
        if let Self::AuthFailed { status_code } = self {
            return Some(i32::from(*status_code));
        }
        let Self::PeerError { reason } = self else { return None };
        match reason.as_str() {
            "300" => Some(300),
            "400" => Some(400),
            "500" => Some(500),
            _ => None,
        }
    }
}

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadSignature => write!(f, "peer greeting has no ZMTP 3 signature"),
            Self::UnsupportedVersion { revision } => write!(f, "unsupported ZMTP revision {revision}"),
            Self::MechanismMismatch { peer_mechanism } => {
                write!(f, "mechanism mismatch (peer: {:?})", String::from_utf8_lossy(peer_mechanism))
            }
            Self::MessageDuringHandshake => write!(f, "message frame during the handshake"),
            Self::UnexpectedCommand => write!(f, "unexpected handshake command"),
            Self::MalformedCommand => write!(f, "malformed command"),
            Self::MalformedError => write!(f, "malformed ERROR command"),
            Self::MalformedReady => write!(f, "malformed READY command"),
            Self::IncompatibleSocketType { peer_socket_type } => {
                write!(f, "incompatible peer socket type {:?}", String::from_utf8_lossy(peer_socket_type))
            }
            Self::PeerError { reason } => write!(f, "peer sent ERROR: {reason}"),
            Self::MessageTooLarge { size } => write!(f, "frame of {size} bytes exceeds the limit"),
            Self::OutOfMemory { size } => write!(f, "cannot allocate a frame of {size} bytes"),
            Self::MalformedCommandStructure => write!(f, "malformed command"),
            Self::MalformedHello => write!(f, "malformed HELLO command"),
            Self::MalformedInitiate => write!(f, "malformed INITIATE command"),
            Self::MalformedCurveReady => write!(f, "malformed CURVE READY command"),
            Self::MalformedMessage => write!(f, "malformed MESSAGE command"),
            Self::Cryptographic => write!(f, "CURVE box cannot be opened"),
            Self::InvalidSequence => write!(f, "CURVE nonce out of sequence"),
            Self::KeyExchange => write!(f, "CURVE vouch does not match the short-term key"),
            Self::InvalidMetadata => write!(f, "invalid metadata in CURVE READY"),
            Self::CommandOutOfSequence => write!(f, "handshake command out of sequence"),
            Self::AuthFailed { status_code } => write!(f, "ZAP handler denied the peer ({status_code})"),
            Self::InvalidZapStatus => write!(f, "invalid ZAP status code"),
        }
    }
}

impl std::error::Error for ProtocolError {}
