//! Connection-level security tests: PLAIN and NULL with ZAP verdicts fed by hand, and the
//! per-frame hooks of an encrypting mechanism (a toy one here). Touches only `Connection`.

use std::ffi::c_int;

use super::mechanism::{Mechanism, PeerInfo, Status};
use super::*;
use crate::constants::*;

fn config(socket_type: c_int, security: Security) -> Config {
    Config { socket_type, security, ..Config::default() }
}

/// Moves output between two connections until neither has anything left to say.
fn pump(a: &mut Connection, b: &mut Connection) -> (Result<(), ProtocolError>, Result<(), ProtocolError>) {
    let (mut ra, mut rb) = (Ok(()), Ok(()));
    for _ in 0..100 {
        let (oa, ob) = (a.output().to_vec(), b.output().to_vec());
        if oa.is_empty() && ob.is_empty() {
            break;
        }
        a.consume_output(oa.len());
        b.consume_output(ob.len());
        if !oa.is_empty() && rb.is_ok() {
            rb = b.receive(&oa);
        }
        if !ob.is_empty() && ra.is_ok() {
            ra = a.receive(&ob);
        }
    }
    (ra, rb)
}

fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

fn plain_pair(password: &[u8]) -> (Connection, Connection) {
    let client = Connection::new(config(
        ZMQ_DEALER,
        Security::PlainClient { username: b"admin".to_vec(), password: password.to_vec() },
    ));
    let server = Connection::new(config(ZMQ_ROUTER, Security::PlainServer));
    (client, server)
}

#[test]
fn plain_handshake_waits_for_zap_and_carries_its_properties() {
    let (mut client, mut server) = plain_pair(b"secret");
    let (rc, rs) = pump(&mut client, &mut server);
    rc.unwrap();
    rs.unwrap();
    assert!(!client.is_ready() && !server.is_ready(), "no WELCOME before the verdict");
    match &events(&mut server)[..] {
        [Event::ZapRequest { mechanism, credentials }] => {
            assert_eq!(*mechanism, "PLAIN");
            assert_eq!(credentials, &vec![b"admin".to_vec(), b"secret".to_vec()]);
        }
        other => panic!("expected a ZAP request, got {other:?}"),
    }
    server.zap_reply(b"200", b"admin", vec![("X-Zap".into(), b"yes".to_vec())]).unwrap();
    let (rc, rs) = pump(&mut client, &mut server);
    rc.unwrap();
    rs.unwrap();
    assert!(client.is_ready() && server.is_ready());
    match &events(&mut server)[..] {
        [Event::Ready { peer_socket_type, properties, .. }] => {
            assert_eq!(*peer_socket_type, ZMQ_DEALER);
            assert_eq!(properties[0], ("User-Id".to_string(), b"admin".to_vec()));
            assert_eq!(properties[1], ("X-Zap".to_string(), b"yes".to_vec()));
            assert_eq!(properties[2], ("Socket-Type".to_string(), b"DEALER".to_vec()));
        }
        other => panic!("expected Ready, got {other:?}"),
    }
    assert!(matches!(events(&mut client)[..], [Event::Ready { peer_socket_type: ZMQ_ROUTER, .. }]));
}

#[test]
fn plain_refusal_reaches_the_client_as_an_auth_error() {
    let (mut client, mut server) = plain_pair(b"wrong");
    let (rc, rs) = pump(&mut client, &mut server);
    assert!(rc.is_ok() && rs.is_ok());
    events(&mut server);
    server.zap_reply(b"400", b"", vec![]).unwrap();
    assert!(server.handshake_refused());
    let (rc, rs) = pump(&mut client, &mut server);
    assert_eq!(rc.unwrap_err().auth_status_code(), Some(400));
    rs.unwrap();
    assert!(matches!(&events(&mut client)[..], [Event::PeerError(reason)] if reason == "400"));
    assert!(!server.is_ready());
}

#[test]
fn plain_temporary_failure_answers_nothing() {
    let (mut client, mut server) = plain_pair(b"secret");
    let (rc, rs) = pump(&mut client, &mut server);
    assert!(rc.is_ok() && rs.is_ok());
    events(&mut server);
    server.zap_reply(b"300", b"", vec![]).unwrap();
    assert!(server.output().is_empty());
    assert!(server.handshake_refused());
    assert!(!client.is_ready());
}

#[test]
fn null_with_zap_refusal_ends_when_the_peer_speaks() {
    let mut client = Connection::new(config(ZMQ_DEALER, Security::Null { zap: false }));
    let mut server = Connection::new(config(ZMQ_DEALER, Security::Null { zap: true }));
    let (rc, rs) = pump(&mut client, &mut server);
    rc.unwrap();
    rs.unwrap();
    assert!(
        !client.is_ready()
            && matches!(events(&mut server)[..], [Event::ZapRequest { mechanism: "NULL", .. }])
    );
    server.zap_reply(b"500", b"", vec![]).unwrap();
    let (rc, _) = pump(&mut client, &mut server);
    assert_eq!(rc.unwrap_err().auth_status_code(), Some(500));
    assert!(server.handshake_refused());
}

/// A toy encrypting mechanism: no handshake, and frames travel XORed with 0x55 inside an outer
/// frame whose flags are always "command", the inner flags riding as the first body byte.
#[derive(Debug)]
struct Xor;

impl Mechanism for Xor {
    fn name(&self) -> &'static str {
        "NULL"
    }
    fn next_handshake_command(&mut self) -> Option<Vec<u8>> {
        None
    }
    fn process_handshake_command(&mut self, _: &[u8]) -> Result<(), ProtocolError> {
        Err(ProtocolError::UnexpectedCommand)
    }
    fn status(&self) -> Status {
        Status::Ready
    }
    fn take_peer_info(&mut self) -> PeerInfo {
        PeerInfo { socket_type: -1, ..PeerInfo::default() }
    }
    fn encrypts(&self) -> bool {
        true
    }
    fn encode_frame(&mut self, flags: u8, body: &[u8], out: &mut Vec<u8>) -> Result<u8, ProtocolError> {
        out.push(flags);
        out.extend(body.iter().map(|b| b ^ 0x55));
        Ok(4)
    }
    fn decode_frame(&mut self, outer_flags: u8, body: &[u8]) -> Result<(u8, Vec<u8>), ProtocolError> {
        if outer_flags != 4 || body.is_empty() {
            return Err(ProtocolError::Handshake { code: ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC });
        }
        Ok((body[0], body[1..].iter().map(|b| b ^ 0x55).collect()))
    }
}

fn xor_pair() -> (Connection, Connection) {
    let mut a = Connection::with_mechanism(ZMQ_PAIR, Vec::new(), -1, Box::new(Xor));
    let mut b = Connection::with_mechanism(ZMQ_PAIR, Vec::new(), -1, Box::new(Xor));
    let (ra, rb) = pump(&mut a, &mut b);
    ra.unwrap();
    rb.unwrap();
    assert!(a.is_ready() && b.is_ready());
    events(&mut a);
    events(&mut b);
    (a, b)
}

#[test]
fn encrypting_mechanism_wraps_every_frame() {
    let (mut a, mut b) = xor_pair();
    let mut first = Msg::from_slice(b"hello").unwrap();
    first.set_more(true);
    a.send(&first);
    a.send(&Msg::from_slice(b"world").unwrap());
    // On the wire: command frames only, bodies scrambled.
    let wire = a.output().to_vec();
    assert_eq!(&wire[..3], &[4, 6, 1]);
    assert!(!wire.windows(5).any(|w| w == b"hello"));
    b.receive(&wire).unwrap();
    a.consume_output(wire.len());
    let got: Vec<(Vec<u8>, bool)> = events(&mut b)
        .into_iter()
        .map(|e| match e {
            Event::Message(m) => (m.data().to_vec(), m.more()),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(got, vec![(b"hello".to_vec(), true), (b"world".to_vec(), false)]);
}

#[test]
fn encrypted_frames_get_short_and_long_headers() {
    // The mechanism writes after room for a long header: outer bodies of 255 bytes and less
    // move up behind a short one, longer ones keep the room for theirs.
    let (mut a, mut b) = xor_pair();
    let sizes = [254, 255, 0, 70_000];
    for size in sizes {
        a.send(&Msg::from_slice(&vec![size as u8; size]).unwrap());
    }
    let wire = a.output().to_vec();
    assert_eq!(&wire[..2], &[4, 255]);
    assert_eq!(&wire[2 + 255..2 + 255 + 9], &[4 | 2, 0, 0, 0, 0, 0, 0, 1, 0]);
    b.receive(&wire).unwrap();
    a.consume_output(wire.len());
    let got: Vec<Vec<u8>> = events(&mut b)
        .into_iter()
        .map(|e| match e {
            Event::Message(m) => m.data().to_vec(),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(got, sizes.map(|size| vec![size as u8; size]));
}

#[test]
fn encrypted_ping_is_answered_with_an_encrypted_pong() {
    let (mut a, mut b) = xor_pair();
    a.send_ping(10, b"ctx");
    let (ra, rb) = pump(&mut a, &mut b);
    ra.unwrap();
    rb.unwrap();
    assert!(
        matches!(&events(&mut b)[..], [Event::Ping { ttl_deciseconds: 10, context }] if context == b"ctx")
    );
    assert!(matches!(events(&mut a)[..], [Event::Pong]));
}

#[test]
fn undecodable_frame_kills_the_connection() {
    let (_, mut b) = xor_pair();
    let mut frame = Vec::new();
    encoder::encode_parts(false, false, &[b"plain"], &mut frame);
    assert_eq!(
        b.receive(&frame),
        Err(ProtocolError::Handshake { code: ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC })
    );
}
