//! Why a ZMTP connection failed, and how libzmq would report each failure to a socket monitor.
//!
//! Owns only the error type; deciding to close the connection, emitting monitor events and
//! reconnecting belong to the engine that drives [`super::Connection`].

use crate::constants::{
    ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR, ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH,
    ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND,
};

/// A protocol violation (or a resource failure caused by the peer's input). Once `receive` has
/// returned one, the connection is dead: the engine must close it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    /// A ZMTP 1.0 or 2.0 peer (`revision` 0 or 1, `None` for an unversioned ZMTP 1.0 one) while a
    /// security mechanism or a ZAP domain is configured: those protocols have no handshake, so
    /// libzmq refuses them (a protocol error with no handshake-failed event).
    LegacyPeerRefused { revision: Option<u8> },
    /// A ZMTP 1.0 frame whose length field is 0 (it must count the flags byte).
    MalformedFrame,
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
    /// A mechanism's handshake failure that libzmq reports as
    /// `ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL` with `code` (a `ZMQ_PROTOCOL_ERROR_ZMTP_*` or
    /// `ZMQ_PROTOCOL_ERROR_ZAP_*` value): malformed PLAIN/CURVE commands, bad metadata,
    /// cryptographic failures, malformed ZAP replies.
    Handshake { code: i32 },
    /// The handshake was refused and already reported (a ZAP status other than 200, an ERROR
    /// sent): libzmq drops such a connection with no further monitor event.
    Refused,
    /// A PLAIN INITIATE whose metadata is malformed or names an incompatible socket type;
    /// libzmq's PLAIN server drops the connection without a monitor event.
    BadInitiateMetadata,
    /// A ZAP verdict is needed but no handler is bound at `inproc://zeromq.zap.01` (libzmq:
    /// `ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL` with EFAULT).
    ZapUnavailable,
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
            Self::Handshake { code } => Some(*code),
            _ => None,
        }
    }

    /// The errno libzmq's engine holds when it drops the connection for this reason.
    pub fn errno(&self) -> i32 {
        match self {
            Self::MessageTooLarge { .. } => libc::EMSGSIZE,
            Self::OutOfMemory { .. } => libc::ENOMEM,
            Self::ZapUnavailable => libc::EFAULT,
            _ => libc::EPROTO,
        }
    }

    /// Whether the engine reports this failure with `ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL` (and
    /// [`errno`](Self::errno)) when it has no protocol error code. `Refused` was reported when it
    /// happened.
    pub fn reports_no_detail(&self) -> bool {
        self.protocol_error_code().is_none()
            && !matches!(
                self,
                Self::Refused
                    | Self::PeerError { .. }
                    | Self::BadInitiateMetadata
                    | Self::LegacyPeerRefused { .. }
                    | Self::MalformedFrame
            )
    }

    /// For an ERROR whose reason is a ZAP status code (300, 400 or 500): that code. libzmq then
    /// emits `ZMQ_EVENT_HANDSHAKE_FAILED_AUTH` with it; other reasons produce no event.
    pub fn auth_status_code(&self) -> Option<i32> {
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
            Self::LegacyPeerRefused { revision: None } => {
                write!(f, "unversioned ZMTP 1.0 peer refused: security is configured")
            }
            Self::LegacyPeerRefused { revision: Some(revision) } => {
                write!(f, "ZMTP revision {revision} peer refused: security is configured")
            }
            Self::MalformedFrame => write!(f, "ZMTP 1.0 frame with a zero length"),
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
            Self::Handshake { code } => write!(f, "handshake failed (protocol error {code:#x})"),
            Self::Refused => write!(f, "handshake refused"),
            Self::BadInitiateMetadata => write!(f, "malformed INITIATE metadata"),
            Self::ZapUnavailable => write!(f, "no ZAP handler at inproc://zeromq.zap.01"),
        }
    }
}

impl std::error::Error for ProtocolError {}
