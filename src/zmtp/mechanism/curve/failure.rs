//! How each CURVE failure is reported: as `ProtocolError::Handshake` with the
//! `ZMQ_PROTOCOL_ERROR_ZMTP_*` code libzmq 4.3's monitor gives for it, so a monitor cannot tell
//! our CURVE from libzmq's. Owns the mapping only; which check yields which failure is decided
//! where the check is made.

use crate::constants::{
    ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC, ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA,
    ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE, ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE,
    ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO, ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE,
    ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE, ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY,
    ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED, ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED,
};
use crate::zmtp::ProtocolError;

const fn handshake(code: i32) -> ProtocolError {
    ProtocolError::Handshake { code }
}

/// A command that is empty, only a name length byte, or whose name runs past its end.
pub(super) const MALFORMED_STRUCTURE: ProtocolError =
    handshake(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED);
/// A HELLO that is not 200 bytes or not version 1.0.
pub(super) const MALFORMED_HELLO: ProtocolError = handshake(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO);
/// An INITIATE shorter than 257 bytes.
pub(super) const MALFORMED_INITIATE: ProtocolError =
    handshake(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE);
/// A READY shorter than 30 bytes.
pub(super) const MALFORMED_READY: ProtocolError = handshake(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY);
/// A MESSAGE shorter than 33 bytes.
pub(super) const MALFORMED_MESSAGE: ProtocolError =
    handshake(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE);
/// A box, cookie or vouch that does not open (wrong key, altered bytes), a WELCOME of the wrong
/// size, or a peer key of small order.
pub(super) const CRYPTOGRAPHIC: ProtocolError = handshake(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC);
/// A MESSAGE whose nonce is not above the last one received (replayed or reordered).
pub(super) const INVALID_SEQUENCE: ProtocolError = handshake(ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE);
/// The client's vouch names another short-term key than its HELLO.
pub(super) const KEY_EXCHANGE: ProtocolError = handshake(ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE);
/// The properties in the server's READY are malformed or name an incompatible socket type.
pub(super) const INVALID_METADATA: ProtocolError = handshake(ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA);
/// A command (or ZAP reply) while the server expects none.
pub(super) const OUT_OF_SEQUENCE: ProtocolError = handshake(ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED);
