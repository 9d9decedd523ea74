//! CurveZMQ's MESSAGE command: how every frame travels once the handshake is done, as libzmq 4.3
//! encodes it.
//!
//! Wire layout of the outer frame body: `\x07MESSAGE`, an 8-byte big-endian short nonce, then
//! Box [payload](C'->S' or S'->C') with the precomputed connection key. The full nonce is
//! "CurveZMQMESSAGEC" (client to server) or "CurveZMQMESSAGES" (server to client) + the short
//! nonce. The payload is one flags byte (bit 0 MORE, bit 1 COMMAND: libzmq's message flags, not
//! the ZMTP frame flags) followed by the frame body. The outer frame itself carries no flags:
//! libzmq sends it as a plain final data frame, whatever the inner frame was.
//!
//! Owns the per-direction nonce counters: each side's counter goes on from the handshake (the
//! client's HELLO and INITIATE used 1 and 2, so its first MESSAGE is 3; the server's READY used 1),
//! and every received short nonce must be above the last one seen (the peer's last handshake
//! nonce at first), so replayed or reordered frames are refused. Must not see handshake commands.

use super::crypto::{BoxKey, PrefixKey, MAC_LEN};
use super::failure;
use crate::zmtp::ProtocolError;

/// ZMTP frame flag bits as the connection passes them.
pub(super) const ZMTP_MORE: u8 = 0x01;
pub(super) const ZMTP_COMMAND: u8 = 0x04;
/// The payload flags byte's bits (libzmq's `msg_t::more` and `msg_t::command`).
const PAYLOAD_MORE: u8 = 0x01;
const PAYLOAD_COMMAND: u8 = 0x02;

const MESSAGE_NAME: &[u8] = b"\x07MESSAGE";
const SHORT_NONCE_LEN: usize = 8;
const HEADER_LEN: usize = MESSAGE_NAME.len() + SHORT_NONCE_LEN;
/// The shortest valid MESSAGE: header, MAC and the flags byte.
const MIN_LEN: usize = HEADER_LEN + MAC_LEN + 1;

pub(super) const CLIENT_PREFIX: &[u8; 16] = b"CurveZMQMESSAGEC";
pub(super) const SERVER_PREFIX: &[u8; 16] = b"CurveZMQMESSAGES";

/// Encrypts and decrypts the frames of one connection after its handshake.
#[derive(Debug)]
pub(super) struct MessageCodec {
    /// The connection key bound to each direction's nonce prefix.
    send_key: PrefixKey,
    receive_key: PrefixKey,
    /// The short nonce of our next MESSAGE.
    next_nonce: u64,
    /// The highest short nonce received so far.
    peer_nonce: u64,
}

impl MessageCodec {
    /// `next_nonce`: our next short nonce; `peer_nonce`: the peer's last one (from its handshake).
    pub fn new(key: BoxKey, is_client: bool, next_nonce: u64, peer_nonce: u64) -> Self {
        let (send_prefix, receive_prefix) =
            if is_client { (CLIENT_PREFIX, SERVER_PREFIX) } else { (SERVER_PREFIX, CLIENT_PREFIX) };
        Self {
            send_key: key.for_nonce_prefix(send_prefix),
            receive_key: key.for_nonce_prefix(receive_prefix),
            next_nonce,
            peer_nonce,
        }
    }

    /// One frame (ZMTP flags, body) as the outer frame to send: its body appended to `out`
    /// (`MIN_LEN` + `body.len()` bytes, encrypted as they are written), its flags returned. On
    /// `Err`, `out` is untouched.
    pub fn encode(&mut self, flags: u8, body: &[u8], out: &mut Vec<u8>) -> Result<u8, ProtocolError> {
        let short_nonce = self.next_nonce;
        // 2^64 frames cannot be sent in practice, but a wrapped counter would reuse nonces.
        self.next_nonce = short_nonce.checked_add(1).ok_or(failure::INVALID_SEQUENCE)?;
        let mut payload_flags = 0;
        if flags & ZMTP_MORE != 0 {
            payload_flags |= PAYLOAD_MORE;
        }
        if flags & ZMTP_COMMAND != 0 {
            payload_flags |= PAYLOAD_COMMAND;
        }
        out.reserve(MIN_LEN + body.len());
        out.extend_from_slice(MESSAGE_NAME);
        out.extend_from_slice(&short_nonce.to_be_bytes());
        self.send_key.seal_pieces_into(&short_nonce.to_be_bytes(), &[&[payload_flags], body], out);
        Ok(0)
    }

    /// One received outer frame as the inner (ZMTP flags, body). Allocates exactly the body.
    ///
    /// The checks and their order are libzmq's, so monitors see the same protocol error codes.
    pub fn decode(&mut self, outer_flags: u8, outer: &[u8]) -> Result<(u8, Vec<u8>), ProtocolError> {
        if outer.len() <= 1 || outer.len() <= usize::from(outer[0]) {
            return Err(failure::MALFORMED_STRUCTURE);
        }
        if !outer.starts_with(MESSAGE_NAME) {
            return Err(ProtocolError::UnexpectedCommand);
        }
        if outer.len() < MIN_LEN {
            return Err(failure::MALFORMED_MESSAGE);
        }
        let short_nonce =
            u64::from_be_bytes(outer[MESSAGE_NAME.len()..HEADER_LEN].try_into().expect("8 bytes"));
        if short_nonce <= self.peer_nonce {
            return Err(failure::INVALID_SEQUENCE);
        }
        let mac: &[u8; MAC_LEN] = outer[HEADER_LEN..HEADER_LEN + MAC_LEN].try_into().expect("16 bytes");
        // The body comes out in a buffer of its exact size, ready to become the message.
        let (payload_flags, body) = self
            .receive_key
            .open_after_first(&short_nonce.to_be_bytes(), &outer[HEADER_LEN + MAC_LEN..], mac)
            .map_err(|_| failure::CRYPTOGRAPHIC)?;
        self.peer_nonce = short_nonce;
        // libzmq adds the payload's flags to those of the outer frame.
        let mut flags = outer_flags & (ZMTP_MORE | ZMTP_COMMAND);
        if payload_flags & PAYLOAD_MORE != 0 {
            flags |= ZMTP_MORE;
        }
        if payload_flags & PAYLOAD_COMMAND != 0 {
            flags |= ZMTP_COMMAND;
        }
        Ok((flags, body))
    }
}

#[cfg(test)]
mod tests {
    use super::super::crypto::tests::{hex, secret_a, secret_b, MESSAGE_BOX};
    use super::super::crypto::KeyPair;
    use super::*;

    /// `codec.encode` into a fresh buffer: (outer flags, outer body).
    fn encode(codec: &mut MessageCodec, flags: u8, body: &[u8]) -> Result<(u8, Vec<u8>), ProtocolError> {
        let mut out = Vec::new();
        let outer_flags = codec.encode(flags, body, &mut out)?;
        Ok((outer_flags, out))
    }

    /// A client codec (keys a -> b) and the server codec facing it (b -> a).
    fn pair() -> (MessageCodec, MessageCodec) {
        let a = KeyPair::from_secret(&secret_a());
        let b = KeyPair::from_secret(&secret_b());
        let client = MessageCodec::new(BoxKey::agree(&a.secret, &b.public).unwrap(), true, 3, 1);
        let server = MessageCodec::new(BoxKey::agree(&b.secret, &a.public).unwrap(), false, 2, 2);
        (client, server)
    }

    #[test]
    fn encode_matches_libsodium_known_answer() {
        let (mut client, _) = pair();
        let (flags, body) = encode(&mut client, ZMTP_MORE, b"hello").unwrap();
        assert_eq!(flags, 0);
        let mut expected = b"\x07MESSAGE\x00\x00\x00\x00\x00\x00\x00\x03".to_vec();
        expected.extend_from_slice(&hex(MESSAGE_BOX));
        assert_eq!(body, expected);
    }

    #[test]
    fn round_trip_both_ways_with_flags() {
        let (mut client, mut server) = pair();
        for (flags, body) in
            [(0, &b""[..]), (ZMTP_MORE, b"a"), (ZMTP_COMMAND, b"\x04PING\x00\x0a"), (0, &[9; 1000][..])]
        {
            let (_, wire) = encode(&mut client, flags, body).unwrap();
            assert_eq!(server.decode(0, &wire).unwrap(), (flags, body.to_vec()));
            let (_, wire) = encode(&mut server, flags, body).unwrap();
            assert_eq!(client.decode(0, &wire).unwrap(), (flags, body.to_vec()));
        }
    }

    #[test]
    fn decoded_body_is_exactly_sized() {
        // So turning it into a message neither moves nor reallocates it.
        let (mut client, mut server) = pair();
        let (_, wire) = encode(&mut client, 0, &[3; 300]).unwrap();
        let (_, body) = server.decode(0, &wire).unwrap();
        assert_eq!(body.capacity(), body.len());
    }

    #[test]
    fn encode_appends_and_leaves_the_buffer_alone_on_error() {
        let (mut client, mut server) = pair();
        let mut out = b"header".to_vec();
        assert_eq!(client.encode(0, b"body", &mut out), Ok(0));
        assert_eq!(&out[..6], b"header");
        assert_eq!(out.len(), 6 + MIN_LEN + 4);
        assert_eq!(server.decode(0, &out[6..]).unwrap(), (0, b"body".to_vec()));
        client.next_nonce = u64::MAX;
        let before = out.clone();
        assert_eq!(client.encode(0, b"more", &mut out), Err(failure::INVALID_SEQUENCE));
        assert_eq!(out, before);
    }

    #[test]
    fn outer_flags_add_to_payload_flags() {
        let (mut client, mut server) = pair();
        let (_, wire) = encode(&mut client, 0, b"x").unwrap();
        assert_eq!(server.decode(ZMTP_MORE | 0x02, &wire).unwrap(), (ZMTP_MORE, b"x".to_vec()));
    }

    #[test]
    fn nonces_count_up_from_the_handshake() {
        let (mut client, _) = pair();
        let (_, first) = encode(&mut client, 0, b"").unwrap();
        let (_, second) = encode(&mut client, 0, b"").unwrap();
        assert_eq!(first[8..16], 3u64.to_be_bytes());
        assert_eq!(second[8..16], 4u64.to_be_bytes());
    }

    #[test]
    fn replayed_frame_is_refused() {
        let (mut client, mut server) = pair();
        let (_, wire) = encode(&mut client, 0, b"once").unwrap();
        server.decode(0, &wire).unwrap();
        assert_eq!(server.decode(0, &wire), Err(failure::INVALID_SEQUENCE));
    }

    #[test]
    fn reordered_frames_are_refused() {
        let (mut client, mut server) = pair();
        let (_, first) = encode(&mut client, 0, b"1").unwrap();
        let (_, second) = encode(&mut client, 0, b"2").unwrap();
        server.decode(0, &second).unwrap();
        assert_eq!(server.decode(0, &first), Err(failure::INVALID_SEQUENCE));
    }

    #[test]
    fn nonce_not_above_the_handshake_is_refused() {
        // The server saw INITIATE with nonce 2: a MESSAGE reusing 2 is a replay.
        let (mut client, mut server) = pair();
        client.next_nonce = 2;
        let (_, wire) = encode(&mut client, 0, b"").unwrap();
        assert_eq!(server.decode(0, &wire), Err(failure::INVALID_SEQUENCE));
    }

    #[test]
    fn corrupted_box_is_refused() {
        let (mut client, mut server) = pair();
        let (_, wire) = encode(&mut client, 0, b"payload").unwrap();
        for i in HEADER_LEN..wire.len() {
            let mut altered = wire.clone();
            altered[i] ^= 1;
            assert_eq!(server.decode(0, &altered), Err(failure::CRYPTOGRAPHIC), "byte {i}");
        }
        // A failed frame does not advance the sequence: the genuine one still opens.
        assert_eq!(server.decode(0, &wire).unwrap(), (0, b"payload".to_vec()));
    }

    #[test]
    fn altered_nonce_is_refused() {
        let (mut client, mut server) = pair();
        let (_, mut wire) = encode(&mut client, 0, b"payload").unwrap();
        wire[15] += 1;
        assert_eq!(server.decode(0, &wire), Err(failure::CRYPTOGRAPHIC));
    }

    #[test]
    fn direction_prefixes_differ() {
        // A frame the client sent, reflected back to it, must not open.
        let (mut client, _) = pair();
        let (_, wire) = encode(&mut client, 0, b"mirror").unwrap();
        let a = KeyPair::from_secret(&secret_a());
        let b = KeyPair::from_secret(&secret_b());
        let mut reflected = MessageCodec::new(BoxKey::agree(&a.secret, &b.public).unwrap(), true, 3, 1);
        assert_eq!(reflected.decode(0, &wire), Err(failure::CRYPTOGRAPHIC));
    }

    #[test]
    fn malformed_frames_get_libzmq_codes() {
        let (mut client, mut server) = pair();
        let (_, wire) = encode(&mut client, 0, b"").unwrap();
        assert_eq!(wire.len(), MIN_LEN);
        assert_eq!(server.decode(0, b""), Err(failure::MALFORMED_STRUCTURE));
        assert_eq!(server.decode(0, b"\x07"), Err(failure::MALFORMED_STRUCTURE));
        assert_eq!(server.decode(0, b"\x07MESSAG"), Err(failure::MALFORMED_STRUCTURE));
        assert_eq!(server.decode(0, b"\x04PING\x00\x00"), Err(ProtocolError::UnexpectedCommand));
        assert_eq!(server.decode(0, &wire[..MIN_LEN - 1]), Err(failure::MALFORMED_MESSAGE));
        assert_eq!(server.decode(0, &wire[..HEADER_LEN]), Err(failure::MALFORMED_MESSAGE));
        assert_eq!(server.decode(0, &wire).unwrap(), (0, vec![]));
    }

    #[test]
    fn exhausted_counter_is_an_error() {
        let (mut client, _) = pair();
        client.next_nonce = u64::MAX;
        assert_eq!(encode(&mut client, 0, b"").map(|_| ()), Err(failure::INVALID_SEQUENCE));
    }
}
