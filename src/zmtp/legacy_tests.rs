//! ZMTP 1.0/2.0 peers (RFC 13, RFC 15, RFC 23 "Backwards Interoperability"), on byte vectors:
//! detection, the identity exchange, framing both ways, and refusal under security. Touches
//! nothing but `Connection` and the byte layouts it produces.

use std::ffi::c_int;

use super::*;
use crate::constants::*;

fn connection(socket_type: c_int, routing_id: &[u8]) -> Connection {
    Connection::new(Config { socket_type, routing_id: routing_id.to_vec(), ..Config::default() })
}

fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

/// Everything written so far, marked as written.
fn take_output(conn: &mut Connection) -> Vec<u8> {
    let out = conn.output().to_vec();
    conn.consume_output(out.len());
    out
}

/// Message bodies with their MORE flags.
type Frames = Vec<(Vec<u8>, bool)>;

/// The peer routing id of the Ready event, and the Message events.
fn summary(events: &[Event]) -> (Option<Vec<u8>>, Frames) {
    let mut ready = None;
    let mut messages = Vec::new();
    for event in events {
        match event {
            Event::Ready { peer_routing_id, .. } => {
                assert!(ready.is_none(), "one Ready");
                assert!(messages.is_empty(), "Ready comes first");
                ready = peer_routing_id.clone();
            }
            Event::Message(msg) => messages.push((msg.data().to_vec(), msg.more())),
            other => panic!("unexpected event {other:?}"),
        }
    }
    (ready, messages)
}

fn msg(body: &[u8], more: bool) -> Msg {
    let mut msg = Msg::from_slice(body).unwrap();
    msg.set_more(more);
    msg
}

fn v2_frame(more: bool, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encoder::encode_parts(more, false, &[body], &mut out);
    out
}

fn v1_frame(more: bool, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    v1::encode(more, body, &mut out);
    out
}

/// What a peer of each kind sends: its greeting (if any), its identity "peer", then a two-part
/// message "hello" + 300 bytes of 7, then "bye".
struct Peer {
    name: &'static str,
    stream: Vec<u8>,
    /// Our expected output for a PAIR with routing id "me".
    our_output: Vec<u8>,
}

fn big() -> Vec<u8> {
    vec![7; 300]
}

fn peers() -> Vec<Peer> {
    let sig = greeting::signature(2).to_vec();
    let frames = |frame: fn(bool, &[u8]) -> Vec<u8>| {
        [frame(false, b"peer"), frame(true, b"hello"), frame(false, &big()), frame(false, b"bye")].concat()
    };
    let versioned = |revision: u8, frame: fn(bool, &[u8]) -> Vec<u8>| {
        let mut stream = greeting::signature(4).to_vec();
        stream.extend_from_slice(&[revision, ZMQ_PAIR as u8]);
        stream.extend(frames(frame));
        stream
    };
    vec![
        Peer {
            name: "unversioned 1.0",
            stream: frames(v1_frame),
            // Our signature doubles as the header of our identity frame: only "me" follows.
            our_output: [&sig[..], b"me"].concat(),
        },
        Peer {
            name: "versioned 1.0",
            stream: versioned(0, v1_frame),
            our_output: [&sig[..], &[3, ZMQ_PAIR as u8], &v1_frame(false, b"me")].concat(),
        },
        Peer {
            name: "2.0",
            stream: versioned(1, v2_frame),
            our_output: [&sig[..], &[3, ZMQ_PAIR as u8], &v2_frame(false, b"me")].concat(),
        },
    ]
}

fn expected_messages() -> Frames {
    vec![(b"hello".to_vec(), true), (big(), false), (b"bye".to_vec(), false)]
}

#[test]
fn old_peers_are_served_whatever_the_split() {
    for peer in peers() {
        for split in 0..=peer.stream.len() {
            let mut conn = connection(ZMQ_PAIR, b"me");
            conn.receive(&peer.stream[..split]).unwrap();
            conn.receive(&peer.stream[split..]).unwrap();
            assert!(conn.is_ready(), "{} split {split}", peer.name);
            assert_eq!(take_output(&mut conn), peer.our_output, "{} split {split}", peer.name);
            let (routing_id, messages) = summary(&events(&mut conn));
            assert_eq!(routing_id.as_deref(), Some(&b"peer"[..]), "{} split {split}", peer.name);
            assert_eq!(messages, expected_messages(), "{} split {split}", peer.name);
        }
    }
}

#[test]
fn old_peers_byte_by_byte() {
    for peer in peers() {
        let mut conn = connection(ZMQ_PAIR, b"me");
        for byte in &peer.stream {
            conn.receive(std::slice::from_ref(byte)).unwrap();
        }
        assert_eq!(take_output(&mut conn), peer.our_output, "{}", peer.name);
        let (routing_id, messages) = summary(&events(&mut conn));
        assert_eq!(routing_id.as_deref(), Some(&b"peer"[..]));
        assert_eq!(messages, expected_messages(), "{}", peer.name);
    }
}

#[test]
fn versions_are_reported() {
    let expected = [Version::V1_0, Version::V1_0, Version::V2_0];
    for (peer, version) in peers().iter().zip(expected) {
        let mut conn = connection(ZMQ_PAIR, b"");
        conn.receive(&peer.stream).unwrap();
        assert_eq!(conn.version(), Some(version), "{}", peer.name);
    }
}

#[test]
fn nothing_is_ready_before_the_peer_identity() {
    let peer = &peers()[2];
    let mut conn = connection(ZMQ_PAIR, b"me");
    conn.receive(&peer.stream[..12]).unwrap();
    assert!(!conn.is_ready());
    assert_eq!(take_output(&mut conn), peer.our_output, "our identity goes out at once");
    assert!(events(&mut conn).is_empty());
}

#[test]
fn versioned_peer_socket_type_is_reported() {
    let peer = &peers()[1];
    let mut conn = connection(ZMQ_PAIR, b"");
    conn.receive(&peer.stream).unwrap();
    assert!(matches!(events(&mut conn)[0], Event::Ready { peer_socket_type: ZMQ_PAIR, .. }));
    let mut conn = connection(ZMQ_PAIR, b"");
    conn.receive(&peers()[0].stream).unwrap();
    assert!(matches!(events(&mut conn)[0], Event::Ready { peer_socket_type: -1, .. }));
}

#[test]
fn sending_uses_the_peer_framing() {
    let parts = [msg(b"a", true), msg(&[9; 253], true), msg(&[9; 254], true), msg(&big(), false)];
    for (peer, frame) in peers().iter().zip([v1_frame as fn(bool, &[u8]) -> Vec<u8>, v1_frame, v2_frame]) {
        let mut conn = connection(ZMQ_PAIR, b"me");
        conn.receive(&peer.stream).unwrap();
        take_output(&mut conn);
        let mut expected = Vec::new();
        for part in &parts {
            conn.send(part);
            expected.extend(frame(part.more(), part.data()));
        }
        assert_eq!(take_output(&mut conn), expected, "{}", peer.name);
        // Header-only sends produce the same bytes.
        for part in &parts {
            if conn.send_header_only(part) {
                conn.push_output(|out| out.extend_from_slice(part.data()));
            } else {
                conn.send(part);
            }
        }
        assert_eq!(take_output(&mut conn), expected, "{} (header only)", peer.name);
    }
}

#[test]
fn long_unversioned_identity_is_detected_by_its_flags_byte() {
    // A 300-byte identity: 0xFF first, so only the 10th byte (flags, bit 0 clear) tells.
    let identity = vec![b'i'; 300];
    let stream = [v1_frame(false, &identity), v1_frame(false, b"x")].concat();
    assert_eq!(stream[0], 0xFF);
    let mut conn = connection(ZMQ_DEALER, &[b'o'; 260]);
    conn.receive(&stream).unwrap();
    // Our signature announced 261 bytes (260 + flags) as a long length: the body follows.
    let out = take_output(&mut conn);
    assert_eq!(out[..10], [0xFF, 0, 0, 0, 0, 0, 0, 1, 5, 0x7F]);
    assert_eq!(out[10..], [b'o'; 260]);
    let (routing_id, messages) = summary(&events(&mut conn));
    assert_eq!(routing_id, Some(identity));
    assert_eq!(messages, [(b"x".to_vec(), false)]);
}

#[test]
fn publisher_subscribes_unversioned_peers_to_everything() {
    for (peer, subscribed) in peers().iter().zip([true, false, false]) {
        for socket_type in [ZMQ_PUB, ZMQ_XPUB] {
            let mut conn = connection(socket_type, b"");
            conn.receive(&peer.stream[..identity_end(peer)]).unwrap();
            let (_, messages) = summary(&events(&mut conn));
            let expected: &[(Vec<u8>, bool)] = if subscribed { &[(vec![1], false)] } else { &[] };
            assert_eq!(messages, expected, "{} to socket type {socket_type}", peer.name);
        }
    }
    // Other socket types get no such message.
    let mut conn = connection(ZMQ_SUB, b"");
    conn.receive(&peers()[0].stream[..identity_end(&peers()[0])]).unwrap();
    assert_eq!(summary(&events(&mut conn)).1, []);
}

/// Where the peer's identity frame ends in its stream.
fn identity_end(peer: &Peer) -> usize {
    let frames_len =
        [v1_frame(true, b"hello"), v1_frame(false, &big()), v1_frame(false, b"bye")].concat().len();
    let v2_len = [v2_frame(true, b"hello"), v2_frame(false, &big()), v2_frame(false, b"bye")].concat().len();
    peer.stream.len() - if peer.name == "2.0" { v2_len } else { frames_len }
}

#[test]
fn subscriptions_to_old_peers_stay_messages() {
    for peer in &peers()[1..] {
        let mut conn = connection(ZMQ_SUB, b"");
        conn.receive(&peer.stream[..identity_end(peer)]).unwrap();
        take_output(&mut conn);
        conn.send(&msg(b"\x01topic", false));
        let frame =
            if peer.name == "2.0" { v2_frame(false, b"\x01topic") } else { v1_frame(false, b"\x01topic") };
        assert_eq!(take_output(&mut conn), frame, "{}", peer.name);
    }
}

#[test]
fn old_peers_are_refused_under_security() {
    let securities = [
        (Security::PlainServer, false),
        (Security::PlainClient { username: b"u".to_vec(), password: b"p".to_vec() }, false),
        (Security::Null { zap: false }, true),
    ];
    for (security, zap_domain_set) in securities {
        for (peer, revision) in peers().iter().zip([None, Some(0), Some(1)]) {
            let mut conn = Connection::new(Config {
                socket_type: ZMQ_PAIR,
                security: security.clone(),
                zap_domain_set,
                ..Config::default()
            });
            let e = conn.receive(&peer.stream).unwrap_err();
            assert_eq!(e, ProtocolError::LegacyPeerRefused { revision }, "{} {security:?}", peer.name);
            // libzmq drops them with a bare disconnect.
            assert!(!e.reports_no_detail() && e.protocol_error_code().is_none());
            assert!(events(&mut conn).is_empty());
        }
    }
}

#[test]
fn zero_length_v1_frame_is_a_protocol_error() {
    for peer in &peers()[..2] {
        let mut conn = connection(ZMQ_PAIR, b"");
        let mut stream = peer.stream[..identity_end(peer)].to_vec();
        stream.extend_from_slice(&[0, 0]);
        assert_eq!(conn.receive(&stream), Err(ProtocolError::MalformedFrame), "{}", peer.name);
    }
    // Even as the very first byte (an unversioned identity of length 0).
    assert_eq!(connection(ZMQ_PAIR, b"").receive(&[0]), Err(ProtocolError::MalformedFrame));
}

#[test]
fn maxmsgsize_applies_to_old_peers() {
    for peer in peers() {
        let mut conn =
            Connection::new(Config { socket_type: ZMQ_PAIR, maxmsgsize: 299, ..Config::default() });
        let e = conn.receive(&peer.stream).unwrap_err();
        assert_eq!(e, ProtocolError::MessageTooLarge { size: 300 }, "{}", peer.name);
        let (_, messages) = summary(&events(&mut conn));
        assert_eq!(messages, [(b"hello".to_vec(), true)], "frames before the big one arrive");
        let mut conn =
            Connection::new(Config { socket_type: ZMQ_PAIR, maxmsgsize: 300, ..Config::default() });
        conn.receive(&peer.stream).unwrap();
    }
    // The identity frame is bounded too.
    let mut conn = Connection::new(Config { socket_type: ZMQ_PAIR, maxmsgsize: 3, ..Config::default() });
    assert_eq!(conn.receive(&peers()[0].stream), Err(ProtocolError::MessageTooLarge { size: 4 }));
}
