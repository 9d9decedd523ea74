//! Whole CURVE conversations between our client and server, in memory, byte by byte.

use super::crypto::tests::{hex, secret_a, HELLO_BOX, PUBLIC_A, PUBLIC_B};
use super::crypto::{self, BoxKey, KeyPair};
use super::failure;
use super::wire;
use super::{CurveClient, CurveServer};
use crate::constants::{ZMQ_DEALER, ZMQ_PUB, ZMQ_ROUTER};
use crate::zmtp::mechanism::{Mechanism, OwnProperties, Status};
use crate::zmtp::ProtocolError;

const MORE: u8 = 0x01;
const COMMAND: u8 = 0x04;

struct Keys {
    client: KeyPair,
    server: KeyPair,
}

/// `mechanism.encode_frame` into a fresh buffer: (outer flags, outer body).
fn encode(mechanism: &mut impl Mechanism, flags: u8, body: &[u8]) -> Result<(u8, Vec<u8>), ProtocolError> {
    let mut out = Vec::new();
    let outer_flags = mechanism.encode_frame(flags, body, &mut out)?;
    Ok((outer_flags, out))
}

fn keys() -> Keys {
    Keys { client: KeyPair::generate().unwrap(), server: KeyPair::generate().unwrap() }
}

fn own(socket_type: std::ffi::c_int, routing_id: &[u8], metadata: Vec<(String, Vec<u8>)>) -> OwnProperties {
    OwnProperties { socket_type, routing_id: routing_id.to_vec(), metadata }
}

fn client_for(keys: &Keys, server_key: [u8; 32]) -> CurveClient {
    CurveClient::new(
        own(ZMQ_DEALER, b"client-id", vec![("X-Client".into(), b"c".to_vec())]),
        keys.client.public,
        keys.client.secret.to_bytes(),
        server_key,
    )
}

fn server_for(keys: &Keys) -> CurveServer {
    CurveServer::new(
        own(ZMQ_ROUTER, b"", vec![("X-Server".into(), b"s".to_vec())]),
        true,
        keys.server.public,
        keys.server.secret.to_bytes(),
    )
}

/// Runs HELLO, WELCOME, INITIATE; returns the INITIATE body (already processed by the server).
fn up_to_initiate(client: &mut CurveClient, server: &mut CurveServer) -> Vec<u8> {
    let hello = client.next_handshake_command().unwrap();
    assert_eq!(client.next_handshake_command(), None);
    server.process_handshake_command(&hello).unwrap();
    let welcome = server.next_handshake_command().unwrap();
    assert_eq!(server.next_handshake_command(), None);
    client.process_handshake_command(&welcome).unwrap();
    let initiate = client.next_handshake_command().unwrap();
    assert_eq!(client.next_handshake_command(), None);
    server.process_handshake_command(&initiate).unwrap();
    initiate
}

/// A full handshake with the ZAP verdict "200".
fn connected(keys: &Keys) -> (CurveClient, CurveServer) {
    let mut client = client_for(keys, keys.server.public);
    let mut server = server_for(keys);
    up_to_initiate(&mut client, &mut server);
    assert_eq!(server.zap_request(), Some(vec![keys.client.public.to_vec()]));
    server.zap_reply(b"200", b"", vec![]).unwrap();
    let ready = server.next_handshake_command().unwrap();
    client.process_handshake_command(&ready).unwrap();
    (client, server)
}

#[test]
fn handshake_then_messages_both_ways() {
    let keys = keys();
    let mut client = client_for(&keys, keys.server.public);
    let mut server = server_for(&keys);
    assert_eq!(client.name(), "CURVE");
    assert_eq!(server.name(), "CURVE");

    let hello = client.next_handshake_command().unwrap();
    assert_eq!(hello.len(), 200);
    assert_eq!(&hello[..8], b"\x05HELLO\x01\x00");
    assert!(hello[8..80].iter().all(|&b| b == 0));
    assert_eq!(hello[112..120], 1u64.to_be_bytes());
    server.process_handshake_command(&hello).unwrap();

    let welcome = server.next_handshake_command().unwrap();
    assert_eq!(welcome.len(), 168);
    assert_eq!(&welcome[..8], b"\x07WELCOME");
    client.process_handshake_command(&welcome).unwrap();

    let initiate = client.next_handshake_command().unwrap();
    assert_eq!(&initiate[..9], b"\x08INITIATE");
    assert_eq!(initiate[105..113], 2u64.to_be_bytes());
    // Cookie + short nonce + box of C, vouch and the properties.
    let properties_len = (1 + 11 + 4 + 6) + (1 + 8 + 4 + 9) + (1 + 8 + 4 + 1);
    assert_eq!(initiate.len(), 257 + properties_len);
    server.process_handshake_command(&initiate).unwrap();

    // READY waits for the ZAP verdict.
    assert_eq!(server.next_handshake_command(), None);
    assert_eq!(server.status(), Status::Handshaking);
    assert_eq!(server.zap_request(), Some(vec![keys.client.public.to_vec()]));
    assert_eq!(server.zap_request(), None);
    assert_eq!(server.next_handshake_command(), None);
    // The engine keeps the user id and ZAP metadata: the mechanism only takes the verdict.
    server.zap_reply(b"200", b"alice", vec![("X-Zap".into(), b"z".to_vec())]).unwrap();

    let ready = server.next_handshake_command().unwrap();
    assert_eq!(&ready[..6], b"\x05READY");
    assert_eq!(ready[6..14], 1u64.to_be_bytes());
    assert_eq!(server.next_handshake_command(), None);
    assert_eq!(server.status(), Status::Ready);
    assert!(!client.encrypts());
    client.process_handshake_command(&ready).unwrap();
    assert_eq!(client.status(), Status::Ready);
    assert!(client.encrypts() && server.encrypts());

    let client_view = client.take_peer_info();
    assert_eq!(client_view.socket_type, ZMQ_ROUTER);
    assert_eq!(client_view.properties[2], ("X-Server".to_string(), b"s".to_vec()));
    let server_view = server.take_peer_info();
    assert_eq!(server_view.socket_type, ZMQ_DEALER);
    assert_eq!(server_view.routing_id.as_deref(), Some(&b"client-id"[..]));
    let names: Vec<&str> = server_view.properties.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["Socket-Type", "Identity", "X-Client"]);

    // Messages, multipart and commands, both ways.
    let (outer_flags, wire) = encode(&mut client, MORE, b"part one").unwrap();
    assert_eq!(outer_flags, 0);
    assert_eq!(&wire[..16], b"\x07MESSAGE\x00\x00\x00\x00\x00\x00\x00\x03");
    assert_eq!(server.decode_frame(outer_flags, &wire).unwrap(), (MORE, b"part one".to_vec()));
    let (outer_flags, wire) = encode(&mut client, 0, b"part two").unwrap();
    assert_eq!(server.decode_frame(outer_flags, &wire).unwrap(), (0, b"part two".to_vec()));
    let (outer_flags, wire) = encode(&mut server, COMMAND, b"\x04PING\x00\x00").unwrap();
    assert_eq!(&wire[8..16], 2u64.to_be_bytes());
    assert_eq!(client.decode_frame(outer_flags, &wire).unwrap(), (COMMAND, b"\x04PING\x00\x00".to_vec()));
    let big = vec![0x5a; 100_000];
    let (outer_flags, wire) = encode(&mut server, 0, &big).unwrap();
    assert_eq!(wire.len(), 33 + big.len());
    assert_eq!(client.decode_frame(outer_flags, &wire).unwrap(), (0, big));
}

#[test]
fn hello_matches_libsodium_known_answer() {
    // Client short-term secret a, server public key b: the HELLO box libsodium computed.
    let keys = keys();
    let server_public: [u8; 32] = hex(PUBLIC_B).try_into().unwrap();
    let mut client = client_for(&keys, server_public).with_short_term_secret(secret_a());
    let hello = client.next_handshake_command().unwrap();
    let mut expected = b"\x05HELLO\x01\x00".to_vec();
    expected.resize(80, 0);
    expected.extend_from_slice(&hex(PUBLIC_A));
    expected.extend_from_slice(&1u64.to_be_bytes());
    expected.extend_from_slice(&hex(HELLO_BOX));
    assert_eq!(hello, expected);
}

#[test]
fn without_zap_ready_follows_initiate() {
    let keys = keys();
    let mut client = client_for(&keys, keys.server.public);
    let mut server = CurveServer::new(
        own(ZMQ_ROUTER, b"", vec![]),
        false,
        keys.server.public,
        keys.server.secret.to_bytes(),
    );
    up_to_initiate(&mut client, &mut server);
    assert_eq!(server.zap_request(), None);
    let ready = server.next_handshake_command().unwrap();
    assert_eq!(server.status(), Status::Ready);
    client.process_handshake_command(&ready).unwrap();
    assert_eq!(server.zap_reply(b"200", b"", vec![]), Err(failure::OUT_OF_SEQUENCE));
    let (flags, wire) = encode(&mut client, 0, b"hi").unwrap();
    assert_eq!(server.decode_frame(flags, &wire).unwrap(), (0, b"hi".to_vec()));
}

#[test]
fn no_zap_handler_mode_proceeds_with_200() {
    let keys = keys();
    let (mut client, mut server) = connected(&keys);
    assert_eq!(server.status(), Status::Ready);
    let (flags, wire) = encode(&mut server, 0, b"hi").unwrap();
    assert_eq!(client.decode_frame(flags, &wire).unwrap(), (0, b"hi".to_vec()));
}

#[test]
fn wrong_server_key_is_refused_at_hello() {
    let keys = keys();
    let other = KeyPair::generate().unwrap();
    let mut client = client_for(&keys, other.public);
    let mut server = server_for(&keys);
    let hello = client.next_handshake_command().unwrap();
    assert_eq!(server.process_handshake_command(&hello), Err(failure::CRYPTOGRAPHIC));
    assert_eq!(server.next_handshake_command(), None);
}

#[test]
fn zap_denial_400_sends_error_then_nothing() {
    let keys = keys();
    let mut client = client_for(&keys, keys.server.public);
    let mut server = server_for(&keys);
    up_to_initiate(&mut client, &mut server);
    server.zap_request().unwrap();
    server.zap_reply(b"400", b"", vec![]).unwrap();
    assert_eq!(server.status(), Status::Handshaking);
    let error = server.next_handshake_command().unwrap();
    assert_eq!(error, b"\x05ERROR\x03400");
    assert_eq!(server.next_handshake_command(), None);
    assert_eq!(server.status(), Status::Error);
    let refused = client.process_handshake_command(&error).unwrap_err();
    assert_eq!(refused, ProtocolError::PeerError { reason: "400".into() });
    assert_eq!(refused.auth_status_code(), Some(400));
    assert_eq!(client.status(), Status::Error);
}

#[test]
fn zap_denial_500_and_300() {
    let keys = keys();
    let mut client = client_for(&keys, keys.server.public);
    let mut server = server_for(&keys);
    up_to_initiate(&mut client, &mut server);
    server.zap_reply(b"500", b"", vec![]).unwrap();
    assert_eq!(server.next_handshake_command().unwrap(), b"\x05ERROR\x03500");
    assert_eq!(server.status(), Status::Error);

    let mut client = client_for(&keys, keys.server.public);
    let mut server = server_for(&keys);
    up_to_initiate(&mut client, &mut server);
    server.zap_reply(b"300", b"", vec![]).unwrap();
    // A temporary failure: refused without a word.
    assert_eq!(server.status(), Status::Error);
    assert_eq!(server.next_handshake_command(), None);
}

#[test]
fn invalid_zap_status_and_early_reply_are_errors() {
    let keys = keys();
    let mut server = server_for(&keys);
    assert_eq!(server.zap_request(), None);
    assert_eq!(server.zap_reply(b"200", b"", vec![]), Err(failure::OUT_OF_SEQUENCE));
    let mut client = client_for(&keys, keys.server.public);
    let mut server = server_for(&keys);
    up_to_initiate(&mut client, &mut server);
    // The engine validates statuses; a malformed one still cannot produce a bad ERROR.
    assert_eq!(server.zap_reply(b"4000", b"", vec![]), Err(ProtocolError::Refused));
    assert_eq!(server.next_handshake_command(), None);
    assert_eq!(server.zap_reply(b"200", b"", vec![]), Err(failure::OUT_OF_SEQUENCE));
}

#[test]
fn messages_before_ready_are_refused() {
    let keys = keys();
    let mut client = client_for(&keys, keys.server.public);
    let mut server = server_for(&keys);
    assert_eq!(encode(&mut client, 0, b"x").map(|_| ()), Err(ProtocolError::MessageDuringHandshake));
    up_to_initiate(&mut client, &mut server);
    assert_eq!(encode(&mut server, 0, b"x").map(|_| ()), Err(ProtocolError::MessageDuringHandshake));
    assert_eq!(
        server.decode_frame(0, b"\x07MESSAGE").map(|_| ()),
        Err(ProtocolError::MessageDuringHandshake)
    );
}

#[test]
fn replayed_and_reordered_messages_are_refused() {
    let keys = keys();
    let (mut client, mut server) = connected(&keys);
    let (_, first) = encode(&mut client, 0, b"1").unwrap();
    let (_, second) = encode(&mut client, 0, b"2").unwrap();
    server.decode_frame(0, &second).unwrap();
    assert_eq!(server.decode_frame(0, &first), Err(failure::INVALID_SEQUENCE));
    assert_eq!(server.decode_frame(0, &second), Err(failure::INVALID_SEQUENCE));
    assert_eq!(
        failure::INVALID_SEQUENCE.protocol_error_code(),
        Some(crate::constants::ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE)
    );
}

#[test]
fn corrupted_and_short_messages_are_refused() {
    let keys = keys();
    let (mut client, mut server) = connected(&keys);
    let (_, wire) = encode(&mut client, 0, b"payload").unwrap();
    let mut altered = wire.clone();
    *altered.last_mut().unwrap() ^= 0x80;
    assert_eq!(server.decode_frame(0, &altered), Err(failure::CRYPTOGRAPHIC));
    assert_eq!(server.decode_frame(0, &wire[..32]), Err(failure::MALFORMED_MESSAGE));
    assert_eq!(server.decode_frame(0, b""), Err(failure::MALFORMED_STRUCTURE));
    assert_eq!(server.decode_frame(0, b"\x05READY\x00"), Err(ProtocolError::UnexpectedCommand));
    // A frame from another connection (other keys) does not open.
    let (mut other_client, _) = connected(&keys);
    let (_, foreign) = encode(&mut other_client, 0, b"x").unwrap();
    assert_eq!(server.decode_frame(0, &foreign), Err(failure::CRYPTOGRAPHIC));
}

fn hello_with(mutate: impl FnOnce(&mut Vec<u8>)) -> Result<(), ProtocolError> {
    let keys = keys();
    let mut client = client_for(&keys, keys.server.public);
    let mut hello = client.next_handshake_command().unwrap();
    mutate(&mut hello);
    server_for(&keys).process_handshake_command(&hello)
}

#[test]
fn bad_hello_gets_libzmq_codes() {
    assert_eq!(hello_with(|_| ()), Ok(()));
    assert_eq!(hello_with(|h| h.truncate(199)), Err(failure::MALFORMED_HELLO));
    assert_eq!(hello_with(|h| h.push(0)), Err(failure::MALFORMED_HELLO));
    assert_eq!(hello_with(|h| h[6] = 2), Err(failure::MALFORMED_HELLO));
    assert_eq!(hello_with(|h| h[7] = 1), Err(failure::MALFORMED_HELLO));
    assert_eq!(hello_with(|h| h[150] ^= 1), Err(failure::CRYPTOGRAPHIC));
    assert_eq!(hello_with(|h| h[119] ^= 1), Err(failure::CRYPTOGRAPHIC));
    assert_eq!(hello_with(|h| h[80] ^= 1), Err(failure::CRYPTOGRAPHIC));
    // A small-order C' cannot make a box the server opens.
    assert_eq!(hello_with(|h| h[80..112].fill(0)), Err(failure::CRYPTOGRAPHIC));
    assert_eq!(hello_with(|h| h.truncate(5)), Err(failure::MALFORMED_STRUCTURE));
    assert_eq!(hello_with(|h| h[1] = b'J'), Err(ProtocolError::UnexpectedCommand));
    assert_eq!(hello_with(|h| *h = b"\x05READY".to_vec()), Err(ProtocolError::UnexpectedCommand));
    assert_eq!(
        failure::MALFORMED_HELLO.protocol_error_code(),
        Some(crate::constants::ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO)
    );
}

fn initiate_with(mutate: impl FnOnce(&mut Vec<u8>)) -> Result<(), ProtocolError> {
    let keys = keys();
    let mut client = client_for(&keys, keys.server.public);
    let mut server = server_for(&keys);
    server.process_handshake_command(&client.next_handshake_command().unwrap()).unwrap();
    client.process_handshake_command(&server.next_handshake_command().unwrap()).unwrap();
    let mut initiate = client.next_handshake_command().unwrap();
    mutate(&mut initiate);
    server.process_handshake_command(&initiate)
}

#[test]
fn bad_initiate_gets_libzmq_codes() {
    assert_eq!(initiate_with(|_| ()), Ok(()));
    assert_eq!(initiate_with(|i| i.truncate(256)), Err(failure::MALFORMED_INITIATE));
    // Truncated metadata breaks the box's MAC.
    assert_eq!(initiate_with(|i| i.truncate(300)), Err(failure::CRYPTOGRAPHIC));
    // Cookie, short nonce, box.
    assert_eq!(initiate_with(|i| i[20] ^= 1), Err(failure::CRYPTOGRAPHIC));
    assert_eq!(initiate_with(|i| i[60] ^= 1), Err(failure::CRYPTOGRAPHIC));
    assert_eq!(initiate_with(|i| i[110] ^= 1), Err(failure::CRYPTOGRAPHIC));
    assert_eq!(initiate_with(|i| i[200] ^= 1), Err(failure::CRYPTOGRAPHIC));
    assert_eq!(initiate_with(|i| i[8] = b'X'), Err(ProtocolError::UnexpectedCommand));
    assert_eq!(initiate_with(|i| i.truncate(1)), Err(failure::MALFORMED_STRUCTURE));
}

/// Builds an INITIATE from the client's real keys and cookie, but with a vouch of our making.
fn initiate_with_vouch(
    vouch_for: impl FnOnce(&Keys, [u8; 32], [u8; 32]) -> Vec<u8>,
) -> Result<(), ProtocolError> {
    let keys = keys();
    let short_term = KeyPair::generate().unwrap();
    let mut server = server_for(&keys);
    // HELLO from `short_term` to S.
    let hello_key = BoxKey::agree(&short_term.secret, &keys.server.public).unwrap();
    let mut hello = b"\x05HELLO\x01\x00".to_vec();
    hello.resize(80, 0);
    hello.extend_from_slice(&short_term.public);
    hello.extend_from_slice(&1u64.to_be_bytes());
    hello_key.seal_into(&crypto::nonce(wire::HELLO_NONCE_PREFIX, &1u64.to_be_bytes()), &[0; 64], &mut hello);
    server.process_handshake_command(&hello).unwrap();
    let welcome = server.next_handshake_command().unwrap();
    let plaintext =
        hello_key.open(&crypto::nonce(wire::WELCOME_NONCE_PREFIX, &welcome[8..24]), &welcome[24..]).unwrap();
    let server_short_term: [u8; 32] = plaintext[..32].try_into().unwrap();
    let cookie = &plaintext[32..];

    let vouch = vouch_for(&keys, short_term.public, server_short_term);
    let mut inner = keys.client.public.to_vec();
    inner.extend_from_slice(&vouch);
    inner.extend_from_slice(b"\x0bSocket-Type\x00\x00\x00\x06DEALER");
    let mut initiate = b"\x08INITIATE".to_vec();
    initiate.extend_from_slice(cookie);
    initiate.extend_from_slice(&2u64.to_be_bytes());
    BoxKey::agree(&short_term.secret, &server_short_term).unwrap().seal_into(
        &crypto::nonce(wire::INITIATE_NONCE_PREFIX, &2u64.to_be_bytes()),
        &inner,
        &mut initiate,
    );
    server.process_handshake_command(&initiate)
}

/// A vouch (16-byte nonce tail, then the box) of `content` from `from` to S'.
fn vouch(from: &KeyPair, server_short_term: [u8; 32], content: &[u8]) -> Vec<u8> {
    let tail = [7u8; 16];
    let mut out = tail.to_vec();
    BoxKey::agree(&from.secret, &server_short_term).unwrap().seal_into(
        &crypto::nonce(wire::VOUCH_NONCE_PREFIX, &tail),
        content,
        &mut out,
    );
    out
}

#[test]
fn bad_vouch_is_refused() {
    let genuine = |keys: &Keys, short_term: [u8; 32], server_short_term| {
        vouch(&keys.client, server_short_term, &[short_term, keys.server.public].concat())
    };
    assert_eq!(initiate_with_vouch(genuine), Ok(()));
    // Another short-term key vouched for: the key exchange does not match.
    let wrong_key = |keys: &Keys, _short_term, server_short_term| {
        vouch(&keys.client, server_short_term, &[[9; 32], keys.server.public].concat())
    };
    assert_eq!(initiate_with_vouch(wrong_key), Err(failure::KEY_EXCHANGE));
    // Signed by someone who does not hold c.
    let impostor = |keys: &Keys, short_term: [u8; 32], server_short_term| {
        vouch(&KeyPair::generate().unwrap(), server_short_term, &[short_term, keys.server.public].concat())
    };
    assert_eq!(initiate_with_vouch(impostor), Err(failure::CRYPTOGRAPHIC));
    // Altered.
    let altered = |keys: &Keys, short_term: [u8; 32], server_short_term| {
        let mut v = vouch(&keys.client, server_short_term, &[short_term, keys.server.public].concat());
        v[40] ^= 1;
        v
    };
    assert_eq!(initiate_with_vouch(altered), Err(failure::CRYPTOGRAPHIC));
}

#[test]
fn incompatible_or_malformed_client_metadata_is_refused() {
    let keys = keys();
    let mut client = CurveClient::new(
        own(ZMQ_PUB, b"", vec![]),
        keys.client.public,
        keys.client.secret.to_bytes(),
        keys.server.public,
    );
    let mut server = server_for(&keys);
    server.process_handshake_command(&client.next_handshake_command().unwrap()).unwrap();
    client.process_handshake_command(&server.next_handshake_command().unwrap()).unwrap();
    let refused = server.process_handshake_command(&client.next_handshake_command().unwrap()).unwrap_err();
    // libzmq's server reports no protocol error for it.
    assert_eq!(refused, ProtocolError::BadInitiateMetadata);
    assert_eq!(refused.protocol_error_code(), None);
}

#[test]
fn bad_welcome_and_ready_get_libzmq_codes() {
    let keys = keys();
    let mut client = client_for(&keys, keys.server.public);
    let mut server = server_for(&keys);
    server.process_handshake_command(&client.next_handshake_command().unwrap()).unwrap();
    let welcome = server.next_handshake_command().unwrap();
    // Wrong size and altered box are both "cryptographic" in libzmq.
    let fresh = || {
        let mut c = client_for(&keys, keys.server.public);
        c.next_handshake_command();
        c
    };
    assert_eq!(fresh().process_handshake_command(&welcome[..167]), Err(failure::CRYPTOGRAPHIC));
    let mut altered = welcome.clone();
    altered[100] ^= 1;
    assert_eq!(fresh().process_handshake_command(&altered), Err(failure::CRYPTOGRAPHIC));
    // WELCOME for another client's HELLO.
    assert_eq!(fresh().process_handshake_command(&welcome), Err(failure::CRYPTOGRAPHIC));
    // READY before WELCOME, unknown commands.
    assert_eq!(fresh().process_handshake_command(b"\x05READY"), Err(ProtocolError::UnexpectedCommand));
    assert_eq!(fresh().process_handshake_command(b"\x04PING"), Err(ProtocolError::UnexpectedCommand));
    assert_eq!(fresh().process_handshake_command(b""), Err(ProtocolError::UnexpectedCommand));
    assert_eq!(fresh().process_handshake_command(b"\x05ERROR"), Err(ProtocolError::MalformedError));

    client.process_handshake_command(&welcome).unwrap();
    assert_eq!(client.process_handshake_command(&welcome), Err(ProtocolError::UnexpectedCommand));
    let mut client = client_for(&keys, keys.server.public);
    let mut server = server_for(&keys);
    up_to_initiate(&mut client, &mut server);
    server.zap_reply(b"200", b"", vec![]).unwrap();
    let ready = server.next_handshake_command().unwrap();
    assert_eq!(client.process_handshake_command(&ready[..29]), Err(failure::MALFORMED_READY));
}

#[test]
fn ready_with_altered_box_or_bad_metadata() {
    let keys = keys();
    let ready_for = |metadata: Vec<(String, Vec<u8>)>, alter: bool| {
        let mut client = client_for(&keys, keys.server.public);
        let mut server = CurveServer::new(
            own(ZMQ_ROUTER, b"", metadata),
            true,
            keys.server.public,
            keys.server.secret.to_bytes(),
        );
        up_to_initiate(&mut client, &mut server);
        server.zap_reply(b"200", b"", vec![]).unwrap();
        let mut ready = server.next_handshake_command().unwrap();
        if alter {
            ready[20] ^= 1;
        }
        client.process_handshake_command(&ready)
    };
    assert_eq!(ready_for(vec![], false), Ok(()));
    assert_eq!(ready_for(vec![], true), Err(failure::CRYPTOGRAPHIC));
    // A second Socket-Type that a DEALER may not talk to (only a forged READY carries one).
    let refused = ready_for(vec![("Socket-Type".into(), b"PUB".to_vec())], false);
    assert_eq!(refused, Err(failure::INVALID_METADATA));
    assert_eq!(
        refused.unwrap_err().protocol_error_code(),
        Some(crate::constants::ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA)
    );
}

#[test]
fn server_refuses_commands_out_of_sequence() {
    let keys = keys();
    let mut client = client_for(&keys, keys.server.public);
    let mut server = server_for(&keys);
    let hello = client.next_handshake_command().unwrap();
    server.process_handshake_command(&hello).unwrap();
    // WELCOME not sent yet: nothing is expected.
    assert_eq!(server.process_handshake_command(&hello), Err(failure::OUT_OF_SEQUENCE));
    let mut server = server_for(&keys);
    let (_, _) = (up_to_initiate(&mut client_for(&keys, keys.server.public), &mut server), ());
    assert_eq!(server.process_handshake_command(&hello), Err(failure::OUT_OF_SEQUENCE));
}

#[test]
fn replayed_initiate_cookie_is_refused() {
    // A second connection cannot reuse the first one's INITIATE: its cookie key is fresh.
    let keys = keys();
    let mut first_client = client_for(&keys, keys.server.public);
    let initiate = up_to_initiate(&mut first_client, &mut server_for(&keys));
    let mut server = server_for(&keys);
    let mut client = client_for(&keys, keys.server.public);
    server.process_handshake_command(&client.next_handshake_command().unwrap()).unwrap();
    server.next_handshake_command().unwrap();
    assert_eq!(server.process_handshake_command(&initiate), Err(failure::CRYPTOGRAPHIC));
}

/// Deterministic pseudo-random bytes (xorshift), so a failure reproduces.
fn noise(seed: &mut u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            *seed as u8
        })
        .collect()
}

#[test]
fn garbage_never_panics_and_is_always_refused() {
    let keys = keys();
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    let prefixes: [&[u8]; 7] =
        [b"", b"\x05HELLO", b"\x07WELCOME", b"\x08INITIATE", b"\x05READY", b"\x05ERROR", b"\x07MESSAGE"];
    // Around every boundary the parsers check (sizes are of the noise after the prefix).
    let lengths = [
        0, 1, 2, 5, 7, 8, 9, 15, 16, 17, 22, 23, 24, 25, 29, 96, 104, 105, 112, 113, 120, 159, 160, 161, 191,
        192, 193, 194, 248, 249, 250, 300, 1024,
    ];
    // Failed frames change nothing, so one connected pair serves every frame.
    let (mut connected_client, mut connected_server) = connected(&keys);
    for len in lengths {
        for prefix in prefixes {
            let mut body = prefix.to_vec();
            body.extend(noise(&mut seed, len));
            // Handshake commands at every stage of both sides.
            let mut server = server_for(&keys);
            assert!(server.process_handshake_command(&body).is_err());
            let mut client = client_for(&keys, keys.server.public);
            client.next_handshake_command();
            // A well-formed ERROR is the peer's refusal: an error too.
            assert!(client.process_handshake_command(&body).is_err());
            let (mut client, mut server) = (client_for(&keys, keys.server.public), server_for(&keys));
            up_to_initiate(&mut client, &mut server);
            assert!(client.process_handshake_command(&body).is_err());
            assert!(server.process_handshake_command(&body).is_err());
            // Frames after the handshake.
            assert!(connected_server.decode_frame(0, &body).is_err());
            assert!(connected_client.decode_frame(0, &body).is_err());
        }
    }
    let (_, wire) = encode(&mut connected_client, 0, b"still fine").unwrap();
    assert_eq!(connected_server.decode_frame(0, &wire).unwrap(), (0, b"still fine".to_vec()));
}
