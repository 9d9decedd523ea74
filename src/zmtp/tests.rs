//! Connection-level tests on byte vectors and between pairs of connections. Touches nothing but
//! `Connection` and the byte layouts it produces.

use std::ffi::c_int;

use super::*;
use crate::constants::*;

fn config(socket_type: c_int) -> Config {
    Config { socket_type, ..Config::default() }
}

/// Moves output between two connections until neither has anything left to say.
fn pump(a: &mut Connection, b: &mut Connection) -> (Result<(), ProtocolError>, Result<(), ProtocolError>) {
    let (mut ra, mut rb) = (Ok(()), Ok(()));
    loop {
        let (oa, ob) = (a.output().to_vec(), b.output().to_vec());
        if oa.is_empty() && ob.is_empty() {
            return (ra, rb);
        }
        a.consume_output(oa.len());
        b.consume_output(ob.len());
        if !oa.is_empty() && rb.is_ok() {
            rb = b.receive(&oa);
        }
        if !ob.is_empty() && ra.is_ok() {
            ra = a.receive(&ob);
        }
        if ra.is_err() && rb.is_err() {
            return (ra, rb);
        }
    }
}

fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

fn connected(ta: c_int, tb: c_int) -> (Connection, Connection) {
    let (mut a, mut b) = (Connection::new(config(ta)), Connection::new(config(tb)));
    let (ra, rb) = pump(&mut a, &mut b);
    ra.unwrap();
    rb.unwrap();
    assert!(a.is_ready() && b.is_ready());
    assert!(matches!(events(&mut a)[..], [Event::Ready { peer_socket_type, .. }] if peer_socket_type == tb));
    assert!(matches!(events(&mut b)[..], [Event::Ready { peer_socket_type, .. }] if peer_socket_type == ta));
    (a, b)
}

/// A fake peer's complete greeting.
fn peer_greeting(revision: u8, minor: u8, mechanism: &str) -> Vec<u8> {
    let mut g = greeting::signature(0).to_vec();
    g.push(revision);
    g.push(minor);
    g.extend_from_slice(&greeting::mechanism_field(mechanism));
    g.extend_from_slice(&[0; 32]);
    g
}

fn ready_frame(socket_type: &str, extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = command::body(command::READY, &[]);
    metadata::write_property(&mut body, "Socket-Type", socket_type.as_bytes());
    for (name, value) in extra {
        metadata::write_property(&mut body, name, value);
    }
    let mut out = Vec::new();
    encoder::encode_parts(false, true, &[&body], &mut out);
    out
}

/// A connection that has completed a handshake with a hand-written peer of `peer_type`.
fn with_fake_peer(ours: c_int, peer_type: &str, minor: u8) -> Connection {
    configured_with_fake_peer(config(ours), peer_type, minor)
}

/// [`with_fake_peer`] for a connection with options of its own.
fn configured_with_fake_peer(config: Config, peer_type: &str, minor: u8) -> Connection {
    let mut conn = Connection::new(config);
    let mut input = peer_greeting(3, minor, "NULL");
    input.extend(ready_frame(peer_type, &[]));
    conn.receive(&input).unwrap();
    assert!(conn.is_ready());
    let out = conn.output().len();
    conn.consume_output(out);
    assert!(matches!(events(&mut conn)[..], [Event::Ready { .. }]));
    conn
}

#[test]
fn greeting_and_ready_bytes() {
    let mut conn =
        Connection::new(Config { socket_type: ZMQ_DEALER, routing_id: b"abc".to_vec(), ..Config::default() });
    assert_eq!(conn.output(), [0xFF, 0, 0, 0, 0, 0, 0, 0, 4, 0x7F]);
    conn.receive(&peer_greeting(3, 1, "NULL")[..10]).unwrap();
    assert_eq!(conn.output().len(), 11);
    conn.receive(&peer_greeting(3, 1, "NULL")[10..]).unwrap();
    let out = conn.output().to_vec();
    assert_eq!(out.len(), 64 + 2 + 6 + 22 + 16);
    assert_eq!(&out[10..16], b"\x03\x01NULL");
    assert!(out[16..64].iter().all(|&b| b == 0));
    assert_eq!(
        &out[64..],
        b"\x04\x2c\x05READY\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x03abc"
    );
    assert!(!conn.is_ready());
    conn.receive(&ready_frame("ROUTER", &[("X-Hello", b"world")])).unwrap();
    assert!(conn.is_ready());
    match &events(&mut conn)[..] {
        [Event::Ready { peer_socket_type, peer_routing_id, properties }] => {
            assert_eq!(*peer_socket_type, ZMQ_ROUTER);
            assert_eq!(*peer_routing_id, None);
            assert_eq!(properties[1], ("X-Hello".to_string(), b"world".to_vec()));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn identity_only_for_req_dealer_router_and_metadata_is_sent() {
    for socket_type in 0..=20 {
        if socket_type == ZMQ_STREAM {
            continue;
        }
        let mut conn = Connection::new(Config {
            socket_type,
            routing_id: b"me".to_vec(),
            metadata: vec![("X-Key".into(), b"v".to_vec())],
            ..Config::default()
        });
        conn.receive(&peer_greeting(3, 1, "NULL")).unwrap();
        let ready = &conn.output()[64..];
        let has_identity = ready.windows(8).any(|w| w == b"Identity");
        assert_eq!(
            has_identity,
            matches!(socket_type, ZMQ_REQ | ZMQ_DEALER | ZMQ_ROUTER),
            "type {socket_type}"
        );
        assert!(ready.ends_with(b"\x05X-Key\x00\x00\x00\x01v"));
    }
}

#[test]
fn every_compatible_pair_handshakes_and_others_fail() {
    for ta in 0..=20 {
        for tb in 0..=20 {
            let (mut a, mut b) = (Connection::new(config(ta)), Connection::new(config(tb)));
            let (ra, rb) = pump(&mut a, &mut b);
            if socket_type::compatible(ta, tb) {
                assert!(ra.is_ok() && rb.is_ok() && a.is_ready() && b.is_ready(), "{ta} {tb}");
            } else {
                assert!(matches!(ra, Err(ProtocolError::IncompatibleSocketType { .. })), "{ta} {tb} {ra:?}");
                assert!(matches!(rb, Err(ProtocolError::IncompatibleSocketType { .. })), "{ta} {tb} {rb:?}");
                assert_eq!(ra.unwrap_err().protocol_error_code(), None);
            }
        }
    }
}

#[test]
fn handshake_one_byte_at_a_time() {
    let mut a =
        Connection::new(Config { socket_type: ZMQ_REQ, routing_id: b"req-1".to_vec(), ..Config::default() });
    let mut b = Connection::new(config(ZMQ_ROUTER));
    for _ in 0..200 {
        if let Some(&byte) = a.output().first() {
            a.consume_output(1);
            b.receive(&[byte]).unwrap();
        }
        if let Some(&byte) = b.output().first() {
            b.consume_output(1);
            a.receive(&[byte]).unwrap();
        }
    }
    assert!(a.is_ready() && b.is_ready());
    match &events(&mut b)[..] {
        [Event::Ready { peer_routing_id, .. }] => assert_eq!(peer_routing_id.as_deref(), Some(&b"req-1"[..])),
        other => panic!("{other:?}"),
    }
}

#[test]
fn greeting_is_released_in_libzmq_order() {
    let mut conn = Connection::new(config(ZMQ_PAIR));
    assert_eq!(conn.output().len(), 10);
    let peer = peer_greeting(3, 1, "NULL");
    conn.receive(&peer[..9]).unwrap();
    assert_eq!(conn.output().len(), 10);
    conn.receive(&peer[9..10]).unwrap();
    assert_eq!(conn.output().len(), 11);
    conn.receive(&peer[10..63]).unwrap();
    assert_eq!(conn.output().len(), 64);
    conn.receive(&peer[63..]).unwrap();
    assert!(conn.output().len() > 64, "READY follows the complete greeting");
}

/// Pseudo-random read sizes (1..=97 bytes), deterministic.
fn random_sizes(seed: &mut u64) -> impl Iterator<Item = usize> + '_ {
    std::iter::from_fn(move || {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        Some((*seed >> 33) as usize % 97 + 1)
    })
}

#[test]
fn multipart_messages_of_all_sizes_in_any_split() {
    let (mut a, mut b) = connected(ZMQ_DEALER, ZMQ_ROUTER);
    let sizes = [0usize, 1, 33, 34, 255, 256, 65_536, 1 << 20];
    let mut sent = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        let mut msg = Msg::from_slice(&(0..size).map(|j| (i + j) as u8).collect::<Vec<_>>()).unwrap();
        msg.set_more(i + 1 < sizes.len());
        a.send(&msg);
        sent.push(msg);
    }
    let wire = a.output().to_vec();
    a.consume_output(wire.len());
    // Whole, then in pseudo-random small pieces.
    let mut seed = 7;
    for round in 0..2 {
        if round == 0 {
            b.receive(&wire).unwrap();
        } else {
            let mut rest = &wire[..];
            for len in random_sizes(&mut seed) {
                if rest.is_empty() {
                    break;
                }
                let len = len.min(rest.len());
                b.receive(&rest[..len]).unwrap();
                rest = &rest[len..];
            }
        }
        let got = events(&mut b);
        assert_eq!(got.len(), sizes.len());
        for (event, expected) in got.iter().zip(&sent) {
            let Event::Message(msg) = event else { panic!("{event:?}") };
            assert_eq!(msg.data(), expected.data());
            assert_eq!(msg.more(), expected.more());
        }
    }
}

#[test]
fn hundreds_of_frames_in_one_read_and_byte_by_byte() {
    let (mut a, mut b) = connected(ZMQ_PUSH, ZMQ_PULL);
    for i in 0..500u32 {
        a.send(&Msg::from_slice(&i.to_be_bytes()).unwrap());
    }
    let wire = a.output().to_vec();
    a.consume_output(wire.len());
    b.receive(&wire).unwrap();
    assert_eq!(events(&mut b).len(), 500);
    for byte in &wire {
        b.receive(std::slice::from_ref(byte)).unwrap();
    }
    let got = events(&mut b);
    assert_eq!(got.len(), 500);
    assert!(matches!(&got[499], Event::Message(m) if m.data() == 499u32.to_be_bytes()));
}

#[test]
fn header_only_send_matches_full_send() {
    let (mut a, mut b) = connected(ZMQ_PAIR, ZMQ_PAIR);
    let big = Msg::from_slice(&[5; 100_000]).unwrap();
    assert!(a.send_header_only(&big));
    let mut wire = a.output().to_vec();
    assert_eq!(wire.len(), 9);
    a.consume_output(9);
    wire.extend_from_slice(big.data());
    b.receive(&wire).unwrap();
    assert!(matches!(&events(&mut b)[..], [Event::Message(m)] if m.size() == 100_000));
}

#[test]
fn header_only_send_declines_a_subscription_and_queues_nothing() {
    // A 3.1 subscription becomes a SUBSCRIBE command: it cannot go out verbatim.
    let (mut sub, _) = connected(ZMQ_SUB, ZMQ_PUB);
    let mut topic = vec![1];
    topic.extend_from_slice(&[b't'; 10_000]);
    assert!(!sub.send_header_only(&Msg::from_slice(&topic).unwrap()));
    assert!(sub.output().is_empty());
}

fn subscribe_round_trip(sub_type: c_int, pub_type: c_int) {
    let (mut sub, mut publ) = connected(sub_type, pub_type);
    sub.send(&Msg::from_slice(b"\x01topic").unwrap());
    sub.send(&Msg::from_slice(b"\x00topic").unwrap());
    sub.send(&Msg::from_slice(b"\x01").unwrap());
    assert_eq!(
        sub.output(),
        b"\x04\x0f\x09SUBSCRIBEtopic\x04\x0c\x06CANCELtopic\x04\x0a\x09SUBSCRIBE".as_slice()
    );
    let _ = pump(&mut sub, &mut publ);
    let got: Vec<Vec<u8>> = events(&mut publ)
        .into_iter()
        .map(|e| match e {
            Event::Message(m) => m.data().to_vec(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(got, [b"\x01topic".to_vec(), b"\x00topic".to_vec(), b"\x01".to_vec()]);
}

#[test]
fn subscriptions_become_commands_with_3_1_peers() {
    subscribe_round_trip(ZMQ_SUB, ZMQ_PUB);
    subscribe_round_trip(ZMQ_XSUB, ZMQ_XPUB);
    // Only single-frame messages from subscriber sockets are translated.
    let (mut xsub, _) = connected(ZMQ_XSUB, ZMQ_PUB);
    let mut first = Msg::from_slice(b"\x01a").unwrap();
    first.set_more(true);
    xsub.send(&first);
    xsub.send(&Msg::from_slice(b"\x01b").unwrap());
    xsub.send(&Msg::from_slice(b"\x02c").unwrap());
    xsub.send(&Msg::new());
    assert_eq!(xsub.output(), b"\x01\x02\x01a\x00\x02\x01b\x00\x02\x02c\x00\x00".as_slice());
    let (mut publ, _) = connected(ZMQ_PUB, ZMQ_SUB);
    publ.send(&Msg::from_slice(b"\x01a").unwrap());
    assert_eq!(publ.output(), b"\x00\x02\x01a".as_slice());
}

#[test]
fn subscriptions_stay_messages_with_3_0_peers() {
    let mut sub = with_fake_peer(ZMQ_SUB, "PUB", 0);
    assert_eq!(sub.version(), Some(Version::V3_0));
    sub.send(&Msg::from_slice(b"\x01ab").unwrap());
    sub.send(&Msg::from_slice(b"\x00ab").unwrap());
    assert_eq!(sub.output(), b"\x00\x03\x01ab\x00\x03\x00ab".as_slice());
    // A 3.0 subscriber's messages reach a publisher as they are; commands still translate.
    let mut publ = with_fake_peer(ZMQ_XPUB, "SUB", 0);
    publ.receive(b"\x00\x03\x01ab\x04\x09\x06CANCELxy").unwrap();
    let got = events(&mut publ);
    assert!(matches!(&got[0], Event::Message(m) if m.data() == b"\x01ab"));
    assert!(matches!(&got[1], Event::Message(m) if m.data() == b"\x00xy"));
}

#[test]
fn ping_is_answered_with_pong() {
    let mut conn = with_fake_peer(ZMQ_DEALER, "ROUTER", 1);
    conn.receive(b"\x04\x0a\x04PING\x00\x64ctx").unwrap();
    assert_eq!(conn.output(), b"\x04\x08\x04PONGctx".as_slice());
    assert!(
        matches!(&events(&mut conn)[..], [Event::Ping { ttl_deciseconds: 100, context }] if context == b"ctx")
    );
    conn.consume_output(10);
    // Context longer than 16 bytes is cut; an empty one is fine.
    let mut ping = b"\x04\x1b\x04PING\x00\x00".to_vec();
    ping.extend_from_slice(&[b'z'; 20]);
    conn.receive(&ping).unwrap();
    conn.receive(b"\x04\x07\x04PING\x00\x00").unwrap();
    let mut expected = b"\x04\x15\x04PONG".to_vec();
    expected.extend_from_slice(&[b'z'; 16]);
    expected.extend_from_slice(b"\x04\x05\x04PONG");
    assert_eq!(conn.output(), expected.as_slice());
    events(&mut conn);
    conn.receive(b"\x04\x05\x04PONG").unwrap();
    assert!(matches!(&events(&mut conn)[..], [Event::Pong]));
}

#[test]
fn ping_between_connections() {
    let (mut a, mut b) = connected(ZMQ_CLIENT_TYPE, ZMQ_SERVER_TYPE);
    a.send_ping(30, b"hb");
    let _ = pump(&mut a, &mut b);
    assert!(
        matches!(&events(&mut b)[..], [Event::Ping { ttl_deciseconds: 30, context }] if context == b"hb")
    );
    assert!(matches!(&events(&mut a)[..], [Event::Pong]));
}

const ZMQ_SERVER_TYPE: c_int = 12;
const ZMQ_CLIENT_TYPE: c_int = 13;

#[test]
fn unknown_and_late_commands_are_ignored_after_the_handshake() {
    let mut conn = with_fake_peer(ZMQ_PAIR, "PAIR", 1);
    conn.receive(b"\x04\x06\x05HELLO\x04\x06\x05READY\x04\x0a\x05ERROR\x03500\x04\x01\x00").unwrap();
    assert!(events(&mut conn).is_empty());
    assert!(conn.output().is_empty());
    assert!(conn.is_ready());
}

#[test]
fn a_dish_join_and_leave_reach_a_radio_as_the_command_messages_the_dish_sent() {
    use crate::constants::draft::{ZMQ_DISH, ZMQ_RADIO};
    use group_command::GroupCommand;
    let (mut dish, mut radio) = connected(ZMQ_DISH, ZMQ_RADIO);
    for cmd in [GroupCommand::Join(b"TV"), GroupCommand::Leave(b"TV")] {
        dish.send(&cmd.to_msg().unwrap());
    }
    assert_eq!(dish.output(), b"\x04\x07\x04JOINTV\x04\x08\x05LEAVETV");
    let (rd, rr) = pump(&mut dish, &mut radio);
    rd.unwrap();
    rr.unwrap();
    let received: Vec<_> = events(&mut radio)
        .into_iter()
        .map(|event| match event {
            Event::Message(msg) => (msg.is_command(), msg.more(), msg.data().to_vec()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(received, [(true, false, b"\x04JOINTV".to_vec()), (true, false, b"\x05LEAVETV".to_vec())]);
}

#[test]
fn join_and_leave_commands_are_dropped_by_other_socket_types() {
    let mut conn = with_fake_peer(ZMQ_PAIR, "PAIR", 1);
    conn.receive(b"\x04\x07\x04JOINTV\x04\x08\x05LEAVETV").unwrap();
    assert!(events(&mut conn).is_empty());
    assert!(conn.is_ready());
}

#[test]
fn malformed_commands_after_the_handshake() {
    for input in [&b"\x04\x00"[..], b"\x04\x02\x05R", b"\x04\x06\x04PING\x00"] {
        let mut conn = with_fake_peer(ZMQ_PAIR, "PAIR", 1);
        assert_eq!(conn.receive(input), Err(ProtocolError::MalformedCommand), "{input:?}");
    }
}

#[test]
fn peer_error_during_handshake() {
    let mut conn = Connection::new(config(ZMQ_REQ));
    let mut input = peer_greeting(3, 1, "NULL");
    input.extend_from_slice(b"\x04\x0a\x05ERROR\x03400");
    let err = conn.receive(&input).unwrap_err();
    assert_eq!(err, ProtocolError::PeerError { reason: "400".into() });
    assert_eq!(err.auth_status_code(), Some(400));
    assert!(matches!(&events(&mut conn)[..], [Event::PeerError(r)] if r == "400"));
    assert!(!conn.is_ready());
    // Dead from now on.
    assert_eq!(conn.receive(b"anything"), Err(err.clone()));
    assert!(events(&mut conn).is_empty());
    assert_eq!(conn.failure(), Some(&err));

    let mut conn = Connection::new(config(ZMQ_REQ));
    let mut input = peer_greeting(3, 1, "NULL");
    input.extend_from_slice(b"\x04\x09\x05ERROR\x03ab");
    let err = conn.receive(&input).unwrap_err();
    assert_eq!(err, ProtocolError::MalformedError);
    assert_eq!(err.protocol_error_code(), Some(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR));
}

fn handshake_error(after_greeting: &[u8]) -> ProtocolError {
    let mut conn = Connection::new(config(ZMQ_DEALER));
    let mut input = peer_greeting(3, 1, "NULL");
    input.extend_from_slice(after_greeting);
    conn.receive(&input).unwrap_err()
}

#[test]
fn handshake_violations() {
    let e = handshake_error(b"\x00\x05hello");
    assert_eq!(e, ProtocolError::MessageDuringHandshake);
    assert_eq!(e.protocol_error_code(), Some(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND));
    let e = handshake_error(b"\x04\x06\x05HELLO");
    assert_eq!(e, ProtocolError::UnexpectedCommand);
    assert_eq!(e.protocol_error_code(), Some(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND));
    assert_eq!(handshake_error(b"\x04\x00"), ProtocolError::UnexpectedCommand);
    assert_eq!(handshake_error(b"\x04\x07\x05READYx"), ProtocolError::MalformedReady);
    assert_eq!(handshake_error(b"\x04\x0b\x05READY\x01A\x00\x00\x00"), ProtocolError::MalformedReady);
    assert_eq!(handshake_error(b"\x04\x0c\x05READY\x01A\xff\xff\xff\xff"), ProtocolError::MalformedReady);
    assert!(matches!(
        handshake_error(&ready_frame("PUB", &[])),
        ProtocolError::IncompatibleSocketType { peer_socket_type } if peer_socket_type == b"PUB"
    ));
    assert!(matches!(
        handshake_error(&ready_frame("dealer", &[])),
        ProtocolError::IncompatibleSocketType { .. }
    ));
    // A 2^63-byte command during the handshake.
    let e = handshake_error(&[0x06, 0x80, 0, 0, 0, 0, 0, 0, 0]);
    assert!(matches!(e, ProtocolError::OutOfMemory { .. } | ProtocolError::MessageTooLarge { .. }), "{e:?}");
    assert_eq!(e.protocol_error_code(), None);
}

#[test]
fn greeting_violations() {
    let mut conn = Connection::new(config(ZMQ_PAIR));
    let e = conn.receive(&peer_greeting(3, 1, "PLAIN")).unwrap_err();
    assert_eq!(e, ProtocolError::MechanismMismatch { peer_mechanism: b"PLAIN".to_vec() });
    assert_eq!(e.protocol_error_code(), Some(ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH));
    // "NULL" with garbage after it in the field is another mechanism.
    let mut g = peer_greeting(3, 1, "NULL");
    g[31] = b'x';
    assert!(matches!(
        Connection::new(config(ZMQ_PAIR)).receive(&g),
        Err(ProtocolError::MechanismMismatch { .. })
    ));
}

/// After the handshake, a shared read is decoded as its events are polled, with the same events
/// in the same order as an eager `receive`; a PING's PONG is queued when the PING is reached.
#[test]
fn shared_reads_are_decoded_as_polled() {
    let (mut a, mut b) = connected(ZMQ_DEALER, ZMQ_DEALER);
    a.send(&Msg::from_slice(b"one").unwrap());
    a.send(&Msg::from_slice(&[7; 100]).unwrap());
    let mut wire = a.output().to_vec();
    wire.extend_from_slice(b"\x04\x0a\x04PING\x00\x64ctx");
    let mut last = Msg::from_slice(b"last").unwrap();
    last.set_more(true);
    encoder::encode(&last, &mut wire);
    b.receive_shared(&bytes::Bytes::from(wire)).unwrap();
    assert!(b.output().is_empty(), "nothing decoded before the events are polled");
    assert!(matches!(b.poll_event(), Some(Event::Message(m)) if m.data() == b"one"));
    assert!(matches!(b.poll_event(), Some(Event::Message(m)) if m.data() == [7; 100]));
    assert!(b.output().is_empty());
    assert!(matches!(b.poll_event(), Some(Event::Ping { ttl_deciseconds: 100, .. })));
    assert_eq!(b.output(), b"\x04\x08\x04PONGctx".as_slice());
    assert!(matches!(b.poll_event(), Some(Event::Message(m)) if m.data() == b"last" && m.more()));
    assert!(b.poll_event().is_none());
    assert!(b.failure().is_none());
}

/// Decoding into a slot gives only whole single-frame messages there; anything else is left as
/// the events `poll_event` would have given, in the same order, and a bad frame fails the same.
#[test]
fn decoding_into_a_slot_keeps_the_events_of_polling() {
    let config = Config { socket_type: ZMQ_PULL, maxmsgsize: 40, ..Config::default() };
    let mut conn = configured_with_fake_peer(config, "PUSH", 1);
    let mut wire = b"\x00\x03one\x01\x04head\x00\x04tail".to_vec();
    wire.extend_from_slice(b"\x04\x0a\x04PING\x00\x64ctx\x00\x02ok");
    wire.extend_from_slice(&[0x00, 41]);
    wire.extend_from_slice(&[0; 41]);
    conn.receive_shared(&bytes::Bytes::from(wire)).unwrap();
    let mut slot = MaybeUninit::uninit();
    assert!(conn.can_decode_in_place());
    assert!(matches!(conn.decode_message_into(&mut slot), Some(m) if m.data() == b"one" && !m.more()));
    assert!(conn.decode_message_into(&mut slot).is_none(), "a frame with MORE is no whole message");
    assert!(!conn.can_decode_in_place(), "nothing decodes past a queued event");
    assert!(matches!(conn.poll_event(), Some(Event::Message(m)) if m.data() == b"head" && m.more()));
    assert!(matches!(conn.decode_message_into(&mut slot), Some(m) if m.data() == b"tail"));
    assert!(conn.decode_message_into(&mut slot).is_none(), "a command is no message");
    assert!(matches!(conn.poll_event(), Some(Event::Ping { ttl_deciseconds: 100, .. })));
    assert!(conn.output().ends_with(b"\x04\x08\x04PONGctx"), "the PING was answered");
    assert!(matches!(conn.decode_message_into(&mut slot), Some(m) if m.data() == b"ok"));
    assert!(conn.decode_message_into(&mut slot).is_none());
    assert_eq!(conn.failure(), Some(&ProtocolError::MessageTooLarge { size: 41 }));
    assert!(!conn.can_decode_in_place() && conn.poll_event().is_none());
}

/// A malformed frame in a shared read surfaces when the events reach it: the frames before it
/// come out, then no more events and the connection has failed.
#[test]
fn shared_read_with_a_bad_frame_fails_when_polled_there() {
    let mut conn = Connection::new(Config { socket_type: ZMQ_PULL, maxmsgsize: 40, ..Config::default() });
    let mut input = peer_greeting(3, 1, "NULL");
    input.extend(ready_frame("PUSH", &[]));
    input.extend_from_slice(b"\x00\x02ok");
    input.extend_from_slice(&[0x00, 41]);
    input.extend_from_slice(&[0; 41]);
    input.extend_from_slice(b"\x00\x05never");
    conn.receive_shared(&bytes::Bytes::from(input)).unwrap();
    assert!(matches!(conn.poll_event(), Some(Event::Ready { .. })));
    assert!(matches!(conn.poll_event(), Some(Event::Message(m)) if m.data() == b"ok"));
    assert!(conn.poll_event().is_none());
    assert_eq!(conn.failure(), Some(&ProtocolError::MessageTooLarge { size: 41 }));
    assert!(conn.poll_event().is_none());
    assert!(conn.receive_shared(&bytes::Bytes::from_static(b"\x00\x01x")).is_err());
}

#[test]
fn maxmsgsize_is_enforced_after_the_handshake() {
    let config = Config { socket_type: ZMQ_PULL, maxmsgsize: 300, ..Config::default() };
    let mut conn = configured_with_fake_peer(config, "PUSH", 1);
    let mut frame = vec![0x02, 0, 0, 0, 0, 0, 0, 1, 44];
    frame.extend_from_slice(&[0; 300]);
    conn.receive(&frame).unwrap();
    let e = conn.receive(&[0x02, 0, 0, 0, 0, 0, 0, 1, 45]).unwrap_err();
    assert_eq!(e, ProtocolError::MessageTooLarge { size: 301 });
    assert_eq!(e.errno(), libc::EMSGSIZE);
    assert_eq!(e.protocol_error_code(), None);
    let mut conn = with_fake_peer(ZMQ_PULL, "PUSH", 1);
    let e = conn.receive(&[0x02, 0x80, 0, 0, 0, 0, 0, 0, 0]).unwrap_err();
    assert!(matches!(e, ProtocolError::OutOfMemory { .. } | ProtocolError::MessageTooLarge { .. }));
}

#[test]
fn output_buffer_compacts_under_partial_writes() {
    let (mut a, _) = connected(ZMQ_PUSH, ZMQ_PULL);
    let msg = Msg::from_slice(&[1; 1000]).unwrap();
    for _ in 0..1000 {
        a.send(&msg);
        a.consume_output(900);
    }
    assert_eq!(a.output().len(), 1000 * (1009 - 900));
    assert!(a.out.capacity() < 1 << 20, "written output is not kept forever");
}

#[test]
fn as_server_does_not_change_the_wire() {
    let mut client = Connection::new(config(ZMQ_REP));
    let mut server = Connection::new(Config { socket_type: ZMQ_REP, as_server: true, ..Config::default() });
    for conn in [&mut client, &mut server] {
        conn.receive(&peer_greeting(3, 1, "NULL")).unwrap();
    }
    assert_eq!(client.output(), server.output());
}
