//! End-to-end security tests through real sessions: PLAIN and CURVE over TCP loopback, with a
//! ZAP handler socket at `inproc://zeromq.zap.01` in a thread of its own (or none). Every wait
//! is bounded by ZMQ_RCVTIMEO. Raw CURVE peers (our codec over a plain tcp stream) tamper with
//! what they send to show a server drops just that connection.

use std::sync::Arc;
use std::thread::JoinHandle;

use crate::constants::*;
use crate::ctx::Ctx;
use crate::msg::Msg;
use crate::socket::base::Socket;

fn socket(ctx: &Arc<Ctx>, socket_type: i32) -> Socket {
    let mut socket = Socket::new(Arc::clone(ctx), socket_type).unwrap();
    socket.set_option(ZMQ_RCVTIMEO, &3000i32.to_ne_bytes()).unwrap();
    socket.set_option(ZMQ_LINGER, &0i32.to_ne_bytes()).unwrap();
    socket
}

fn last_endpoint(socket: &mut Socket) -> String {
    let mut out = [0u8; 256];
    let n = socket.get_option(ZMQ_LAST_ENDPOINT, &mut out).unwrap();
    String::from_utf8(out[..n - 1].to_vec()).unwrap()
}

/// A ZAP handler answering `requests` requests: 200 with user id "admin" and the metadata
/// X-Zap=yes when the last credential frame is `accept`, 400 otherwise. Returns the frames of
/// each request it saw.
fn zap_handler(ctx: &Arc<Ctx>, requests: usize, accept: &'static [u8]) -> JoinHandle<Vec<Vec<Vec<u8>>>> {
    let mut handler = socket(ctx, ZMQ_REP);
    handler.bind("inproc://zeromq.zap.01").unwrap();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..requests {
            let mut frames = Vec::new();
            loop {
                let Ok(frame) = handler.recv(0) else { return seen };
                frames.push(frame.data().to_vec());
                if !frame.more() {
                    break;
                }
            }
            let ok = frames.last().map(Vec::as_slice) == Some(accept);
            let mut metadata = Vec::new();
            crate::zmtp::metadata::write_property(&mut metadata, "X-Zap", b"yes");
            let reply: [&[u8]; 6] = if ok {
                [&frames[0], &frames[1], b"200", b"OK", b"admin", &metadata]
            } else {
                [&frames[0], &frames[1], b"400", b"No", b"", b""]
            };
            for (i, part) in reply.iter().enumerate() {
                handler.send(Msg::from_slice(part).unwrap(), if i < 5 { ZMQ_SNDMORE } else { 0 }).unwrap();
            }
            seen.push(frames);
        }
        seen
    })
}

fn plain_pair(ctx: &Arc<Ctx>, password: &[u8]) -> (Socket, Socket) {
    let mut server = socket(ctx, ZMQ_DEALER);
    server.set_option(ZMQ_PLAIN_SERVER, &1i32.to_ne_bytes()).unwrap();
    server.set_option(ZMQ_ZAP_DOMAIN, b"test").unwrap();
    server.set_option(ZMQ_ROUTING_ID, b"IDENT").unwrap();
    server.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = last_endpoint(&mut server);
    let mut client = socket(ctx, ZMQ_DEALER);
    client.set_option(ZMQ_PLAIN_USERNAME, b"admin").unwrap();
    client.set_option(ZMQ_PLAIN_PASSWORD, password).unwrap();
    client.connect(&endpoint).unwrap();
    (server, client)
}

#[test]
fn plain_accepted_by_zap_carries_user_id_and_zap_metadata() {
    let ctx = Arc::new(Ctx::new());
    let handler = zap_handler(&ctx, 1, b"secret");
    let (mut server, mut client) = plain_pair(&ctx, b"secret");
    client.send(Msg::from_slice(b"hello").unwrap(), 0).unwrap();
    let msg = server.recv(0).unwrap();
    assert_eq!(msg.data(), b"hello");
    let metadata = msg.metadata().unwrap();
    assert_eq!(metadata.get("User-Id").unwrap().to_bytes(), b"admin");
    assert_eq!(metadata.get("X-Zap").unwrap().to_bytes(), b"yes");
    assert_eq!(metadata.get("Socket-Type").unwrap().to_bytes(), b"DEALER");
    assert_eq!(metadata.get("Peer-Address").unwrap().to_bytes(), b"127.0.0.1");
    let request = &handler.join().unwrap()[0];
    let expected: [&[u8]; 8] = [b"1.0", b"1", b"test", b"127.0.0.1", b"IDENT", b"PLAIN", b"admin", b"secret"];
    // The REP handler sees no delimiter: what a REQ would send.
    assert_eq!(request, &expected.map(<[u8]>::to_vec));
}

#[test]
fn plain_refused_by_zap_lets_nothing_through() {
    let ctx = Arc::new(Ctx::new());
    let _handler = zap_handler(&ctx, 1, b"secret");
    let (mut server, mut client) = plain_pair(&ctx, b"wrong");
    client.set_option(ZMQ_SNDTIMEO, &0i32.to_ne_bytes()).unwrap();
    let _ = client.send(Msg::from_slice(b"hello").unwrap(), 0);
    server.set_option(ZMQ_RCVTIMEO, &500i32.to_ne_bytes()).unwrap();
    assert_eq!(server.recv(0).unwrap_err().0, libc::EAGAIN);
}

#[test]
fn plain_without_a_zap_handler_fails_closed() {
    let ctx = Arc::new(Ctx::new());
    let (mut server, mut client) = plain_pair(&ctx, b"secret");
    client.set_option(ZMQ_SNDTIMEO, &0i32.to_ne_bytes()).unwrap();
    let _ = client.send(Msg::from_slice(b"hello").unwrap(), 0);
    server.set_option(ZMQ_RCVTIMEO, &500i32.to_ne_bytes()).unwrap();
    assert_eq!(server.recv(0).unwrap_err().0, libc::EAGAIN);
}

#[test]
fn curve_without_a_zap_handler_encrypts_and_accepts_any_client() {
    let ctx = Arc::new(Ctx::new());
    let server_keys = crate::curve_keys::generate_keypair().unwrap();
    let client_keys = crate::curve_keys::generate_keypair().unwrap();
    let mut server = socket(&ctx, ZMQ_PAIR);
    server.set_option(ZMQ_CURVE_SERVER, &1i32.to_ne_bytes()).unwrap();
    server.set_option(ZMQ_CURVE_SECRETKEY, &server_keys.secret[..40]).unwrap();
    server.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = last_endpoint(&mut server);
    let mut client = socket(&ctx, ZMQ_PAIR);
    client.set_option(ZMQ_CURVE_SERVERKEY, &server_keys.public[..40]).unwrap();
    client.set_option(ZMQ_CURVE_PUBLICKEY, &client_keys.public[..40]).unwrap();
    client.set_option(ZMQ_CURVE_SECRETKEY, &client_keys.secret[..40]).unwrap();
    client.connect(&endpoint).unwrap();
    let big = vec![7u8; 200_000];
    client.send(Msg::from_slice(&big).unwrap(), 0).unwrap();
    assert_eq!(server.recv(0).unwrap().data(), &big[..]);
    server.send(Msg::from_slice(b"back").unwrap(), 0).unwrap();
    assert_eq!(client.recv(0).unwrap().data(), b"back");
    let mut mechanism = [0u8; 4];
    client.get_option(ZMQ_MECHANISM, &mut mechanism).unwrap();
    assert_eq!(i32::from_ne_bytes(mechanism), ZMQ_CURVE);
}

#[test]
fn a_router_zap_handler_works_too() {
    let ctx = Arc::new(Ctx::new());
    let mut handler = socket(&ctx, ZMQ_ROUTER);
    handler.bind("inproc://zeromq.zap.01").unwrap();
    let thread = std::thread::spawn(move || {
        let mut frames = Vec::new();
        loop {
            let frame = handler.recv(0).unwrap();
            let more = frame.more();
            frames.push(frame.data().to_vec());
            if !more {
                break;
            }
        }
        // [routing id, delimiter, version, request id, ...]
        assert_eq!(frames[1], b"");
        assert_eq!(frames[2], b"1.0");
        let reply: [&[u8]; 8] = [&frames[0], b"", b"1.0", &frames[3], b"200", b"OK", b"router-user", b""];
        for (i, part) in reply.iter().enumerate() {
            handler.send(Msg::from_slice(part).unwrap(), if i < 7 { ZMQ_SNDMORE } else { 0 }).unwrap();
        }
        handler
    });
    let (mut server, mut client) = plain_pair(&ctx, b"secret");
    client.send(Msg::from_slice(b"hello").unwrap(), 0).unwrap();
    let msg = server.recv(0).unwrap();
    assert_eq!(msg.metadata().unwrap().get("User-Id").unwrap().to_bytes(), b"router-user");
    drop(thread.join().unwrap());
}

/// A CURVE server (PULL, no ZAP handler) bound on tcp: the socket, its keys, its endpoint.
fn curve_server(ctx: &Arc<Ctx>) -> (Socket, crate::curve_keys::KeyPair, String) {
    let keys = crate::curve_keys::generate_keypair().unwrap();
    let mut server = socket(ctx, ZMQ_PULL);
    server.set_option(ZMQ_CURVE_SERVER, &1i32.to_ne_bytes()).unwrap();
    server.set_option(ZMQ_CURVE_SECRETKEY, &keys.secret[..40]).unwrap();
    server.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = last_endpoint(&mut server);
    (server, keys, endpoint)
}

/// A well-behaved CURVE client connects and its message arrives at `server`.
fn assert_serves_a_curve_client(
    ctx: &Arc<Ctx>,
    server: &mut Socket,
    keys: &crate::curve_keys::KeyPair,
    endpoint: &str,
) {
    let client_keys = crate::curve_keys::generate_keypair().unwrap();
    let mut client = socket(ctx, ZMQ_PUSH);
    client.set_option(ZMQ_CURVE_SERVERKEY, &keys.public[..40]).unwrap();
    client.set_option(ZMQ_CURVE_PUBLICKEY, &client_keys.public[..40]).unwrap();
    client.set_option(ZMQ_CURVE_SECRETKEY, &client_keys.secret[..40]).unwrap();
    client.connect(endpoint).unwrap();
    client.send(Msg::from_slice(b"still here").unwrap(), 0).unwrap();
    assert_eq!(server.recv(0).unwrap().data(), b"still here");
}

#[test]
fn a_curve_server_drops_a_garbage_hello_and_keeps_serving_others() {
    use std::io::{Read, Write};
    let ctx = Arc::new(Ctx::new());
    let (mut server, server_keys, endpoint) = curve_server(&ctx);

    // A hostile peer: a CURVE greeting, then a HELLO of the right size full of garbage.
    let mut raw = std::net::TcpStream::connect(endpoint.trim_start_matches("tcp://")).unwrap();
    raw.set_read_timeout(Some(std::time::Duration::from_secs(3))).unwrap();
    let mut greeting = crate::zmtp::greeting::signature(0).to_vec();
    greeting.extend_from_slice(&[3, 0]);
    greeting.extend_from_slice(&crate::zmtp::greeting::mechanism_field("CURVE"));
    greeting.extend_from_slice(&[0; 32]);
    raw.write_all(&greeting).unwrap();
    let mut hello = vec![0x04, 200, 5];
    hello.extend_from_slice(b"HELLO");
    hello.resize(2 + 200, 0xAB);
    raw.write_all(&hello).unwrap();
    // The server closes this connection (EOF, or a reset since our bytes went unread), and
    // does so before the read timeout.
    let mut seen = Vec::new();
    match raw.read_to_end(&mut seen) {
        Ok(_) => {}
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }
    assert_serves_a_curve_client(&ctx, &mut server, &server_keys, &endpoint);
}

/// A CURVE client speaking from a raw tcp stream through our own codec, so a test can tamper
/// with the bytes it sends once the handshake is done.
struct RawCurveClient {
    stream: std::net::TcpStream,
    codec: crate::zmtp::Connection,
}

impl RawCurveClient {
    fn connect(endpoint: &str, server: &crate::curve_keys::KeyPair) -> Self {
        use crate::zmtp::{Config, Connection, CurveKey, Security};
        let client = crate::curve_keys::generate_keypair().unwrap();
        let key = |z85: &[u8]| CurveKey(crate::util::z85::decode(&z85[..40]).unwrap().try_into().unwrap());
        let security = Security::CurveClient {
            server_key: key(&server.public),
            public_key: key(&client.public),
            secret_key: key(&client.secret),
        };
        let codec = Connection::new(Config { socket_type: ZMQ_PUSH, security, ..Config::default() });
        let stream = std::net::TcpStream::connect(endpoint.trim_start_matches("tcp://")).unwrap();
        stream.set_read_timeout(Some(std::time::Duration::from_secs(3))).unwrap();
        let mut client = Self { stream, codec };
        while !client.codec.is_ready() {
            client.flush();
            let mut buf = [0u8; 4096];
            let n = std::io::Read::read(&mut client.stream, &mut buf).unwrap();
            assert!(n > 0, "the server closed during the handshake");
            client.codec.receive(&buf[..n]).unwrap();
        }
        client.flush();
        client
    }

    fn flush(&mut self) {
        let out = self.codec.output().to_vec();
        self.codec.consume_output(out.len());
        std::io::Write::write_all(&mut self.stream, &out).unwrap();
    }

    /// The wire bytes of one message (encrypted), not yet sent.
    fn encode(&mut self, body: &[u8]) -> Vec<u8> {
        self.codec.send(&Msg::from_slice(body).unwrap());
        let out = self.codec.output().to_vec();
        self.codec.consume_output(out.len());
        out
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        // The server may already have closed: a failed write is part of what is tested.
        let _ = std::io::Write::write_all(&mut self.stream, bytes);
    }

    /// Whether the server closes this connection (EOF or reset) within the read timeout.
    fn closed_by_server(&mut self) -> bool {
        let mut seen = Vec::new();
        match std::io::Read::read_to_end(&mut self.stream, &mut seen) {
            Ok(_) => true,
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        }
    }
}

#[test]
fn a_curve_server_drops_corrupted_and_replayed_messages_and_keeps_serving_others() {
    let ctx = Arc::new(Ctx::new());
    let (mut server, server_keys, endpoint) = curve_server(&ctx);
    server.set_option(ZMQ_RCVTIMEO, &300i32.to_ne_bytes()).unwrap();

    // The raw client is genuine: its messages arrive.
    let mut corrupting = RawCurveClient::connect(&endpoint, &server_keys);
    let good = corrupting.encode(b"genuine");
    corrupting.send_raw(&good);
    assert_eq!(server.recv(0).unwrap().data(), b"genuine");
    // A flipped bit in the box: the MAC fails, the connection ends, nothing is delivered.
    let mut bad = corrupting.encode(b"tampered");
    *bad.last_mut().unwrap() ^= 1;
    corrupting.send_raw(&bad);
    assert!(corrupting.closed_by_server());
    assert_eq!(server.recv(0).err(), Some(crate::error::Errno::EAGAIN));

    // The same valid box twice: the repeated nonce is refused.
    let mut replaying = RawCurveClient::connect(&endpoint, &server_keys);
    let once = replaying.encode(b"once");
    replaying.send_raw(&once);
    assert_eq!(server.recv(0).unwrap().data(), b"once");
    replaying.send_raw(&once);
    assert!(replaying.closed_by_server());
    assert_eq!(server.recv(0).err(), Some(crate::error::Errno::EAGAIN));

    // A well-behaved client is still served.
    server.set_option(ZMQ_RCVTIMEO, &3000i32.to_ne_bytes()).unwrap();
    assert_serves_a_curve_client(&ctx, &mut server, &server_keys, &endpoint);
}
