//! The CurveZMQ handshake commands' fixed layouts (RFC 26), shared by the client, which writes
//! HELLO and INITIATE and reads WELCOME and READY, and the server, which does the opposite.
//!
//! Owns names, offsets, lengths and nonce prefixes only; the state machines live in `client` and
//! `server`, MESSAGE in `message`.

use zeroize::Zeroizing;

use super::failure;
use crate::zmtp::mechanism::OwnProperties;
use crate::zmtp::ProtocolError;

pub(super) const HELLO: &[u8] = b"\x05HELLO";
pub(super) const WELCOME: &[u8] = b"\x07WELCOME";
pub(super) const INITIATE: &[u8] = b"\x08INITIATE";
pub(super) const READY: &[u8] = b"\x05READY";
pub(super) const ERROR: &[u8] = b"\x05ERROR";

/// HELLO: name, version 1.0, 72 zero bytes of anti-amplification padding, C', short nonce, then
/// Box [64 zeros](C'->S).
pub(super) const HELLO_LEN: usize = 200;
pub(super) const HELLO_VERSION: [u8; 2] = [1, 0];
pub(super) const HELLO_VERSION_AT: usize = 6;
pub(super) const HELLO_PADDING_LEN: usize = 72;
pub(super) const HELLO_CLIENT_KEY_AT: usize = 80;
pub(super) const HELLO_NONCE_AT: usize = 112;
pub(super) const HELLO_BOX_AT: usize = 120;
pub(super) const HELLO_SIGNATURE_LEN: usize = 64;
pub(super) const HELLO_NONCE_PREFIX: &[u8] = b"CurveZMQHELLO---";

/// WELCOME: name, 16-byte long nonce, Box [S' + cookie](S->C') (32 + 96 bytes inside).
pub(super) const WELCOME_LEN: usize = 168;
pub(super) const WELCOME_NONCE_AT: usize = 8;
pub(super) const WELCOME_BOX_AT: usize = 24;
pub(super) const WELCOME_NONCE_PREFIX: &[u8] = b"WELCOME-";

/// A cookie: 16-byte long nonce, then secretbox [C' + s'](K) (80 bytes).
pub(super) const COOKIE_LEN: usize = 96;
pub(super) const COOKIE_NONCE_PREFIX: &[u8] = b"COOKIE--";

/// INITIATE: name, cookie, short nonce, Box [C + vouch + metadata](C'->S'); at least 257 bytes.
pub(super) const INITIATE_COOKIE_AT: usize = 9;
pub(super) const INITIATE_NONCE_AT: usize = 105;
pub(super) const INITIATE_BOX_AT: usize = 113;
pub(super) const INITIATE_MIN_LEN: usize = 257;
pub(super) const INITIATE_NONCE_PREFIX: &[u8] = b"CurveZMQINITIATE";
/// Inside INITIATE's box: C, the vouch's 16-byte long nonce, the vouch box, then metadata.
pub(super) const VOUCH_NONCE_AT: usize = 32;
pub(super) const VOUCH_BOX_AT: usize = 48;
pub(super) const INITIATE_METADATA_AT: usize = 128;
/// The vouch: Box [C' + S](C->S').
pub(super) const VOUCH_NONCE_PREFIX: &[u8] = b"VOUCH---";

/// READY: name, short nonce, Box [metadata](S'->C'); at least 30 bytes.
pub(super) const READY_NONCE_AT: usize = 6;
pub(super) const READY_BOX_AT: usize = 14;
pub(super) const READY_MIN_LEN: usize = 30;
pub(super) const READY_NONCE_PREFIX: &[u8] = b"CurveZMQREADY---";

/// Length of a short (counter) nonce and of the random tail of a long nonce.
pub(super) const SHORT_NONCE_LEN: usize = 8;
pub(super) const LONG_NONCE_LEN: usize = 16;

/// libzmq's first check on a command it parses strictly: more than the name length byte, and the
/// name does not run past the end.
pub(super) fn check_structure(body: &[u8]) -> Result<(), ProtocolError> {
    match body.first() {
        Some(&name_len) if body.len() > 1 && body.len() > usize::from(name_len) => Ok(()),
        _ => Err(failure::MALFORMED_STRUCTURE),
    }
}

/// The 8-byte big-endian short nonce at `at` (the caller checked the length).
pub(super) fn short_nonce(body: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(body[at..at + SHORT_NONCE_LEN].try_into().expect("8 bytes"))
}

/// Our property list as CURVE carries it inside INITIATE's and READY's boxes: what NULL's READY
/// carries after its name (libzmq writes the same properties for every mechanism). Wiped on drop
/// with the rest of the plaintext.
pub(super) fn properties(own: &OwnProperties) -> Zeroizing<Vec<u8>> {
    // The shared writer makes a whole command; a command with an empty name is its one name
    // length byte followed by the properties.
    let mut command = Zeroizing::new(own.command(b""));
    command.remove(0);
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_add_up() {
        assert_eq!(HELLO.len() + 2 + HELLO_PADDING_LEN, HELLO_CLIENT_KEY_AT);
        assert_eq!(HELLO_BOX_AT + HELLO_SIGNATURE_LEN + 16, HELLO_LEN);
        assert_eq!(WELCOME_BOX_AT + 32 + COOKIE_LEN + 16, WELCOME_LEN);
        assert_eq!(INITIATE_BOX_AT + INITIATE_METADATA_AT + 16, INITIATE_MIN_LEN);
        assert_eq!(READY_BOX_AT + 16, READY_MIN_LEN);
    }

    #[test]
    fn structure_check() {
        assert_eq!(check_structure(b""), Err(failure::MALFORMED_STRUCTURE));
        assert_eq!(check_structure(b"\x00"), Err(failure::MALFORMED_STRUCTURE));
        assert_eq!(check_structure(b"\x05HELL"), Err(failure::MALFORMED_STRUCTURE));
        assert_eq!(check_structure(b"\x05HELLO"), Ok(()));
    }

    #[test]
    fn properties_have_null_ready_layout() {
        use crate::constants::{ZMQ_DEALER, ZMQ_PUB};
        let metadata = vec![("X-Foo".into(), b"bar".to_vec())];
        let own = OwnProperties { socket_type: ZMQ_DEALER, routing_id: b"id".to_vec(), metadata };
        assert_eq!(
            &properties(&own)[..],
            b"\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x02id\x05X-Foo\x00\x00\x00\x03bar"
        );
        let own = OwnProperties { socket_type: ZMQ_PUB, routing_id: b"id".to_vec(), metadata: vec![] };
        assert_eq!(&properties(&own)[..], b"\x0bSocket-Type\x00\x00\x00\x03PUB");
    }
}
