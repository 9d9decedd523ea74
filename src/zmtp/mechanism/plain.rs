//! The PLAIN mechanism (RFC 24): a user name and password in clear text, checked by the
//! server's ZAP handler.
//!
//! ```text
//! client                         server
//! HELLO username password  ──►
//!                                (ZAP request: username, password; wait for the verdict)
//!                          ◄──   WELCOME            (or ERROR "400"/"500"; nothing for 300)
//! INITIATE properties      ──►
//!                          ◄──   READY properties
//! ```
//!
//! Owns both roles' state machines on command bodies, with libzmq's classification of every
//! malformed or unexpected command (the `ZMQ_PROTOCOL_ERROR_ZMTP_*` code its monitor reports).
//! The ZAP round trip itself belongs to the engine (see `Mechanism::zap_request`).
//!
//! libzmq's PLAIN ERROR is not RFC 23's: its name literal `"\x05ERROR"` reads, in C, as the hex
//! escape `\x05E`, so libzmq (4.3.4 and 4.3.5) sends and expects the five bytes `^RROR` (0x5E
//! 'R' 'R' 'O' 'R') where the name length and "ERROR" should be, and takes a well-formed ERROR
//! for an unexpected command. We send libzmq's form, so libzmq clients see the refusal, and
//! accept both forms.

use super::{error_reason, is_command, read_peer_properties, Mechanism, OwnProperties, PeerInfo, Status};
use crate::constants::{
    ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA, ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO,
    ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED, ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME,
    ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND, ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED,
};
use crate::zmtp::{command, ProtocolError};

const HELLO: &[u8] = b"HELLO";
const WELCOME: &[u8] = b"WELCOME";
const INITIATE: &[u8] = b"INITIATE";
/// What libzmq's PLAIN puts where "\x05ERROR" belongs (see the module doc).
const LIBZMQ_ERROR_PREFIX: &[u8] = b"\x5eRROR";

/// libzmq's PLAIN ERROR: `^RROR`, reason length, reason.
fn libzmq_error_body(reason: &[u8]) -> Vec<u8> {
    let mut body = LIBZMQ_ERROR_PREFIX.to_vec();
    body.push(reason.len() as u8);
    body.extend_from_slice(reason);
    body
}

/// The reason of an ERROR in libzmq's PLAIN form (prefix already matched).
fn libzmq_error_reason(body: &[u8]) -> ProtocolError {
    let start = LIBZMQ_ERROR_PREFIX.len() + 1;
    let Some(&reason_len) = body.get(start - 1) else { return ProtocolError::MalformedError };
    match body.get(start..start + usize::from(reason_len)) {
        Some(reason) => ProtocolError::PeerError { reason: String::from_utf8_lossy(reason).into_owned() },
        None => ProtocolError::MalformedError,
    }
}

fn fail(code: i32) -> ProtocolError {
    ProtocolError::Handshake { code }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientState {
    SendingHello,
    WaitingForWelcome,
    SendingInitiate,
    WaitingForReady,
    Ready,
    ErrorReceived,
}

/// PLAIN's client side: sends the credentials, then its properties.
#[derive(Debug)]
pub struct PlainClient {
    own: OwnProperties,
    username: Vec<u8>,
    password: Vec<u8>,
    state: ClientState,
    peer: PeerInfo,
}

impl PlainClient {
    /// `username` and `password` are at most 255 bytes each (the socket options refuse more).
    pub fn new(own: OwnProperties, username: Vec<u8>, password: Vec<u8>) -> Self {
        Self {
            own,
            username,
            password,
            state: ClientState::SendingHello,
            peer: PeerInfo { socket_type: -1, ..PeerInfo::default() },
        }
    }

    fn hello(&self) -> Vec<u8> {
        let username = &self.username[..self.username.len().min(255)];
        let password = &self.password[..self.password.len().min(255)];
        command::body(HELLO, &[&[username.len() as u8], username, &[password.len() as u8], password])
    }
}

impl Drop for PlainClient {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.password);
    }
}

impl Mechanism for PlainClient {
    fn name(&self) -> &'static str {
        "PLAIN"
    }

    fn next_handshake_command(&mut self) -> Option<Vec<u8>> {
        match self.state {
            ClientState::SendingHello => {
                self.state = ClientState::WaitingForWelcome;
                Some(self.hello())
            }
            ClientState::SendingInitiate => {
                self.state = ClientState::WaitingForReady;
                Some(self.own.command(INITIATE))
            }
            _ => None,
        }
    }

    fn process_handshake_command(&mut self, body: &[u8]) -> Result<(), ProtocolError> {
        let unexpected = fail(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND);
        if is_command(body, WELCOME) {
            if self.state != ClientState::WaitingForWelcome {
                return Err(unexpected);
            }
            if body.len() != 1 + WELCOME.len() {
                return Err(fail(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME));
            }
            self.state = ClientState::SendingInitiate;
            Ok(())
        } else if is_command(body, command::READY) {
            if self.state != ClientState::WaitingForReady {
                return Err(unexpected);
            }
            read_peer_properties(&mut self.peer, self.own.socket_type, &body[1 + command::READY.len()..])
                .map_err(|_| fail(ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA))?;
            self.state = ClientState::Ready;
            Ok(())
        } else if is_command(body, command::ERROR) || body.starts_with(LIBZMQ_ERROR_PREFIX) {
            if !matches!(self.state, ClientState::WaitingForWelcome | ClientState::WaitingForReady) {
                return Err(unexpected);
            }
            let error = if body.starts_with(LIBZMQ_ERROR_PREFIX) {
                libzmq_error_reason(body)
            } else {
                error_reason(body)
            };
            if let ProtocolError::PeerError { .. } = error {
                self.state = ClientState::ErrorReceived;
            }
            Err(error)
        } else {
            Err(unexpected)
        }
    }

    fn status(&self) -> Status {
        match self.state {
            ClientState::Ready => Status::Ready,
            ClientState::ErrorReceived => Status::Error,
            _ => Status::Handshaking,
        }
    }

    fn take_peer_info(&mut self) -> PeerInfo {
        std::mem::take(&mut self.peer)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ServerState {
    WaitingForHello,
    /// HELLO is in; `zap_request` hands its credentials out once.
    ZapRequestDue,
    WaitingForZapReply,
    SendingWelcome,
    WaitingForInitiate,
    SendingReady,
    Ready,
    SendingError,
    ErrorSent,
}

/// PLAIN's server side: takes HELLO, asks ZAP, welcomes, takes INITIATE, says READY.
#[derive(Debug)]
pub struct PlainServer {
    own: OwnProperties,
    state: ServerState,
    credentials: Vec<Vec<u8>>,
    zap_status: [u8; 3],
    peer: PeerInfo,
}

impl PlainServer {
    pub fn new(own: OwnProperties) -> Self {
        Self {
            own,
            state: ServerState::WaitingForHello,
            credentials: Vec::new(),
            zap_status: *b"200",
            peer: PeerInfo { socket_type: -1, ..PeerInfo::default() },
        }
    }

    fn process_hello(&mut self, body: &[u8]) -> Result<(), ProtocolError> {
        // libzmq first checks that the body holds a whole name and more.
        if body.len() <= 1 || body.len() <= usize::from(body[0]) {
            return Err(fail(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED));
        }
        if !is_command(body, HELLO) {
            return Err(fail(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND));
        }
        let malformed = || fail(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO);
        let rest = &body[1 + HELLO.len()..];
        let (&username_len, rest) = rest.split_first().ok_or_else(malformed)?;
        let username = rest.get(..usize::from(username_len)).ok_or_else(malformed)?;
        let rest = &rest[username.len()..];
        let (&password_len, password) = rest.split_first().ok_or_else(malformed)?;
        // Exactly the password: trailing bytes are malformed too.
        if password.len() != usize::from(password_len) {
            return Err(malformed());
        }
        self.credentials = vec![username.to_vec(), password.to_vec()];
        self.state = ServerState::ZapRequestDue;
        Ok(())
    }

    fn process_initiate(&mut self, body: &[u8]) -> Result<(), ProtocolError> {
        if !is_command(body, INITIATE) {
            return Err(fail(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND));
        }
        read_peer_properties(&mut self.peer, self.own.socket_type, &body[1 + INITIATE.len()..])
            .map_err(|_| ProtocolError::BadInitiateMetadata)?;
        self.state = ServerState::SendingReady;
        Ok(())
    }
}

impl Drop for PlainServer {
    fn drop(&mut self) {
        for credential in &mut self.credentials {
            zeroize::Zeroize::zeroize(credential);
        }
    }
}

impl Mechanism for PlainServer {
    fn name(&self) -> &'static str {
        "PLAIN"
    }

    fn next_handshake_command(&mut self) -> Option<Vec<u8>> {
        match self.state {
            ServerState::SendingWelcome => {
                self.state = ServerState::WaitingForInitiate;
                Some(command::body(WELCOME, &[]))
            }
            ServerState::SendingReady => {
                self.state = ServerState::Ready;
                Some(self.own.command(command::READY))
            }
            ServerState::SendingError => {
                self.state = ServerState::ErrorSent;
                Some(libzmq_error_body(&self.zap_status))
            }
            _ => None,
        }
    }

    fn process_handshake_command(&mut self, body: &[u8]) -> Result<(), ProtocolError> {
        match self.state {
            ServerState::WaitingForHello => self.process_hello(body),
            ServerState::WaitingForInitiate => self.process_initiate(body),
            _ => Err(fail(ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED)),
        }
    }

    fn status(&self) -> Status {
        match self.state {
            ServerState::Ready => Status::Ready,
            ServerState::ErrorSent => Status::Error,
            _ => Status::Handshaking,
        }
    }

    fn take_peer_info(&mut self) -> PeerInfo {
        std::mem::take(&mut self.peer)
    }

    fn zap_request(&mut self) -> Option<Vec<Vec<u8>>> {
        if self.state != ServerState::ZapRequestDue {
            return None;
        }
        self.state = ServerState::WaitingForZapReply;
        Some(std::mem::take(&mut self.credentials))
    }

    fn zap_reply(
        &mut self,
        status: &[u8],
        _user_id: &[u8],
        _metadata: Vec<(String, Vec<u8>)>,
    ) -> Result<(), ProtocolError> {
        if self.state != ServerState::WaitingForZapReply {
            return Err(fail(ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED));
        }
        self.state = match status {
            b"200" => ServerState::SendingWelcome,
            // A temporary failure: the client is not answered at all (RFC 27).
            b"300" => ServerState::ErrorSent,
            _ => {
                self.zap_status = status.try_into().map_err(|_| ProtocolError::Refused)?;
                ServerState::SendingError
            }
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::{ZMQ_DEALER, ZMQ_PUB, ZMQ_ROUTER};
    use crate::zmtp::metadata;

    fn own(socket_type: std::ffi::c_int) -> OwnProperties {
        OwnProperties { socket_type, routing_id: b"id".to_vec(), metadata: vec![] }
    }

    fn client() -> PlainClient {
        PlainClient::new(own(ZMQ_DEALER), b"admin".to_vec(), b"secret".to_vec())
    }

    fn ready_from(socket_type: &[u8]) -> Vec<u8> {
        let mut body = command::body(command::READY, &[]);
        metadata::write_property(&mut body, "Socket-Type", socket_type);
        body
    }

    fn code(result: Result<(), ProtocolError>) -> Option<i32> {
        result.unwrap_err().protocol_error_code()
    }

    #[test]
    fn client_handshake_bytes() {
        let mut c = client();
        assert_eq!(c.next_handshake_command().unwrap(), b"\x05HELLO\x05admin\x06secret");
        assert_eq!(c.next_handshake_command(), None, "waits for WELCOME");
        c.process_handshake_command(b"\x07WELCOME").unwrap();
        assert_eq!(
            c.next_handshake_command().unwrap(),
            b"\x08INITIATE\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x02id"
        );
        assert_eq!(c.status(), Status::Handshaking);
        c.process_handshake_command(&ready_from(b"ROUTER")).unwrap();
        assert_eq!(c.status(), Status::Ready);
        assert_eq!(c.take_peer_info().socket_type, ZMQ_ROUTER);
    }

    #[test]
    fn client_refuses_out_of_order_and_malformed_commands() {
        let mut c = client();
        c.next_handshake_command();
        assert_eq!(
            code(c.process_handshake_command(&ready_from(b"ROUTER"))),
            Some(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND)
        );
        let mut c = client();
        c.next_handshake_command();
        assert_eq!(
            code(c.process_handshake_command(b"\x07WELCOMEx")),
            Some(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME)
        );
        let mut c = client();
        assert_eq!(
            code(c.process_handshake_command(b"\x05HELLO")),
            Some(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND)
        );
        assert_eq!(code(c.process_handshake_command(b"")), Some(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND));
        // READY with bad metadata or an incompatible peer type.
        for bad in [b"\x05READY\x01".to_vec(), ready_from(b"PUB")] {
            let mut c = client();
            c.next_handshake_command();
            c.process_handshake_command(b"\x07WELCOME").unwrap();
            c.next_handshake_command();
            assert_eq!(
                code(c.process_handshake_command(&bad)),
                Some(ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA)
            );
        }
    }

    #[test]
    fn client_takes_error_with_status() {
        let mut c = client();
        c.next_handshake_command();
        let error = c.process_handshake_command(b"\x05ERROR\x03400").unwrap_err();
        assert_eq!(error.auth_status_code(), Some(400));
        assert_eq!(c.status(), Status::Error);
        let mut c = client();
        c.next_handshake_command();
        assert_eq!(c.process_handshake_command(b"\x05ERROR\x05400"), Err(ProtocolError::MalformedError));
        // libzmq's form of ERROR is understood too.
        let mut c = client();
        c.next_handshake_command();
        let error = c.process_handshake_command(b"^RROR\x03500").unwrap_err();
        assert_eq!(error.auth_status_code(), Some(500));
        let mut c = client();
        c.next_handshake_command();
        assert_eq!(c.process_handshake_command(b"^RROR\x04500"), Err(ProtocolError::MalformedError));
        let mut c = client();
        c.next_handshake_command();
        assert_eq!(c.process_handshake_command(b"^RROR"), Err(ProtocolError::MalformedError));
        // ERROR before HELLO went out is unexpected.
        assert_eq!(
            code(client().process_handshake_command(b"\x05ERROR\x03400")),
            Some(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND)
        );
    }

    #[test]
    fn server_asks_zap_then_welcomes() {
        let mut s = PlainServer::new(own(ZMQ_ROUTER));
        assert_eq!(s.next_handshake_command(), None);
        s.process_handshake_command(b"\x05HELLO\x05admin\x06secret").unwrap();
        assert_eq!(s.next_handshake_command(), None, "no WELCOME before the verdict");
        assert_eq!(s.zap_request(), Some(vec![b"admin".to_vec(), b"secret".to_vec()]));
        assert_eq!(s.zap_request(), None);
        s.zap_reply(b"200", b"admin", vec![]).unwrap();
        assert_eq!(s.next_handshake_command().unwrap(), b"\x07WELCOME");
        assert_eq!(s.next_handshake_command(), None);
        let mut initiate = command::body(INITIATE, &[]);
        metadata::write_property(&mut initiate, "Socket-Type", b"DEALER");
        metadata::write_property(&mut initiate, "X-Hello", b"World");
        s.process_handshake_command(&initiate).unwrap();
        assert_eq!(
            s.next_handshake_command().unwrap(),
            b"\x05READY\x0bSocket-Type\x00\x00\x00\x06ROUTER\x08Identity\x00\x00\x00\x02id"
        );
        assert_eq!(s.status(), Status::Ready);
        let peer = s.take_peer_info();
        assert_eq!(peer.socket_type, ZMQ_DEALER);
        assert_eq!(peer.properties[1], ("X-Hello".to_string(), b"World".to_vec()));
    }

    #[test]
    fn server_empty_credentials_are_fine() {
        let mut s = PlainServer::new(own(ZMQ_ROUTER));
        s.process_handshake_command(b"\x05HELLO\x00\x00").unwrap();
        assert_eq!(s.zap_request(), Some(vec![vec![], vec![]]));
    }

    #[test]
    fn server_refusals() {
        let mut s = PlainServer::new(own(ZMQ_ROUTER));
        s.process_handshake_command(b"\x05HELLO\x01a\x01b").unwrap();
        s.zap_request();
        s.zap_reply(b"400", b"", vec![]).unwrap();
        assert_eq!(s.next_handshake_command().unwrap(), b"^RROR\x03400", "libzmq's PLAIN ERROR");
        assert_eq!(s.status(), Status::Error);
        assert_eq!(
            code(s.process_handshake_command(b"\x08INITIATE")),
            Some(ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED)
        );

        let mut s = PlainServer::new(own(ZMQ_ROUTER));
        s.process_handshake_command(b"\x05HELLO\x01a\x01b").unwrap();
        s.zap_request();
        s.zap_reply(b"300", b"", vec![]).unwrap();
        assert_eq!(s.next_handshake_command(), None, "300 answers nothing");
        assert_eq!(s.status(), Status::Error);
    }

    #[test]
    fn server_malformed_hello() {
        let hello = |body: &[u8]| code(PlainServer::new(own(ZMQ_ROUTER)).process_handshake_command(body));
        assert_eq!(hello(b""), Some(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED));
        assert_eq!(hello(b"\x05"), Some(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED));
        assert_eq!(hello(b"\x05HELL"), Some(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED));
        assert_eq!(hello(b"\x07WELCOME"), Some(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND));
        for bad in [
            &b"\x05HELLO"[..],
            b"\x05HELLO\x05adm",
            b"\x05HELLO\x05admin",
            b"\x05HELLO\x05admin\x06secre",
            b"\x05HELLO\x05admin\x06secretX",
        ] {
            assert_eq!(hello(bad), Some(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO), "{bad:?}");
        }
    }

    #[test]
    fn server_bad_initiate() {
        let welcomed = || {
            let mut s = PlainServer::new(own(ZMQ_ROUTER));
            s.process_handshake_command(b"\x05HELLO\x00\x00").unwrap();
            s.zap_request();
            s.zap_reply(b"200", b"", vec![]).unwrap();
            s.next_handshake_command();
            s
        };
        assert_eq!(
            code(welcomed().process_handshake_command(b"\x05READY")),
            Some(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND)
        );
        assert_eq!(
            welcomed().process_handshake_command(b"\x08INITIATE\x01"),
            Err(ProtocolError::BadInitiateMetadata)
        );
        let mut initiate = command::body(INITIATE, &[]);
        metadata::write_property(&mut initiate, "Socket-Type", b"PUB");
        assert_eq!(welcomed().process_handshake_command(&initiate), Err(ProtocolError::BadInitiateMetadata));
        let _ = ZMQ_PUB;
    }
}
