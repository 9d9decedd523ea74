//! The NULL mechanism: each side sends READY with its properties; the peer's Socket-Type must be
//! compatible with ours. The peer may instead send ERROR, which ends the connection.
//!
//! With a ZAP domain set (and a handler bound, or ZMQ_ZAP_ENFORCE_DOMAIN), libzmq's NULL asks
//! the ZAP handler before saying anything: `zap_request` hands out an empty credential list and
//! READY waits for the verdict. 200 sends READY; 400/500 send ERROR with the status code; 300
//! sends nothing (the peer is dropped silently). Owns only this exchange; the ZAP round trip is
//! the engine's.

use super::{error_reason, is_command, read_peer_properties, BadProperties};
use super::{Mechanism, OwnProperties, PeerInfo, Status};
use crate::zmtp::{command, ProtocolError};

#[derive(Debug)]
pub struct NullMechanism {
    own: OwnProperties,
    /// Whether a ZAP verdict must come before READY.
    zap: bool,
    zap_requested: bool,
    /// The ZAP status code, once the reply is in.
    zap_status: Option<[u8; 3]>,
    ready_sent: bool,
    error_sent: bool,
    ready_received: bool,
    peer: PeerInfo,
}

impl NullMechanism {
    pub fn new(own: OwnProperties, zap: bool) -> Self {
        Self {
            own,
            zap,
            zap_requested: false,
            zap_status: None,
            ready_sent: false,
            error_sent: false,
            ready_received: false,
            peer: PeerInfo { socket_type: -1, ..PeerInfo::default() },
        }
    }

    fn process_ready(&mut self, properties: &[u8]) -> Result<(), ProtocolError> {
        self.ready_received = true;
        read_peer_properties(&mut self.peer, self.own.socket_type, properties).map_err(|bad| match bad {
            BadProperties::Malformed => ProtocolError::MalformedReady,
            BadProperties::IncompatibleSocketType(peer_socket_type) => {
                ProtocolError::IncompatibleSocketType { peer_socket_type }
            }
        })
    }
}

impl Mechanism for NullMechanism {
    fn name(&self) -> &'static str {
        "NULL"
    }

    fn next_handshake_command(&mut self) -> Option<Vec<u8>> {
        if self.ready_sent || self.error_sent {
            return None;
        }
        if self.zap {
            match self.zap_status {
                None => return None,
                Some(status) if &status == b"200" => {}
                Some(status) => {
                    self.error_sent = true;
                    // 300 is a temporary failure: no ERROR, the peer is simply not answered.
                    return (&status != b"300").then(|| command::error_body(&status));
                }
            }
        }
        self.ready_sent = true;
        Some(self.own.command(command::READY))
    }

    fn process_handshake_command(&mut self, body: &[u8]) -> Result<(), ProtocolError> {
        if self.ready_received {
            return Err(ProtocolError::UnexpectedCommand);
        }
        // libzmq matches the name bytes as a prefix, so a truncated name is "unexpected", not
        // "malformed"; the same classification keeps the monitor events identical.
        if is_command(body, command::READY) {
            self.process_ready(&body[1 + command::READY.len()..])
        } else if is_command(body, command::ERROR) {
            Err(error_reason(body))
        } else {
            Err(ProtocolError::UnexpectedCommand)
        }
    }

    fn status(&self) -> Status {
        if self.ready_sent && self.ready_received {
            Status::Ready
        } else if self.error_sent && self.ready_received {
            Status::Error
        } else {
            Status::Handshaking
        }
    }

    fn take_peer_info(&mut self) -> PeerInfo {
        std::mem::take(&mut self.peer)
    }

    fn zap_request(&mut self) -> Option<Vec<Vec<u8>>> {
        if !self.zap || self.zap_requested {
            return None;
        }
        self.zap_requested = true;
        Some(Vec::new())
    }

    fn zap_reply(
        &mut self,
        status: &[u8],
        _user_id: &[u8],
        _metadata: Vec<(String, Vec<u8>)>,
    ) -> Result<(), ProtocolError> {
        // The engine validated the status code (200, 300, 400 or 500).
        let status: [u8; 3] = status.try_into().map_err(|_| ProtocolError::Refused)?;
        self.zap_status = Some(status);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::{ZMQ_DEALER, ZMQ_PUB, ZMQ_ROUTER, ZMQ_SUB};
    use crate::zmtp::metadata;

    fn own(
        socket_type: std::ffi::c_int,
        routing_id: &[u8],
        metadata: Vec<(String, Vec<u8>)>,
    ) -> OwnProperties {
        OwnProperties { socket_type, routing_id: routing_id.to_vec(), metadata }
    }

    #[test]
    fn ready_layout() {
        let mut null =
            NullMechanism::new(own(ZMQ_DEALER, b"id", vec![("X-Foo".into(), b"bar".to_vec())]), false);
        let body = null.next_handshake_command().unwrap();
        assert_eq!(
            body,
            b"\x05READY\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x02id\x05X-Foo\x00\x00\x00\x03bar"
        );
        assert_eq!(null.next_handshake_command(), None);
        let mut null = NullMechanism::new(own(ZMQ_PUB, b"id", vec![]), false);
        assert_eq!(null.next_handshake_command().unwrap(), b"\x05READY\x0bSocket-Type\x00\x00\x00\x03PUB");
    }

    #[test]
    fn ready_parsing() {
        let mut null = NullMechanism::new(own(ZMQ_ROUTER, b"", vec![]), false);
        null.next_handshake_command();
        let mut body = command::body(command::READY, &[]);
        metadata::write_property(&mut body, "Socket-Type", b"DEALER");
        metadata::write_property(&mut body, "Identity", b"peer");
        metadata::write_property(&mut body, "X-A", b"1");
        metadata::write_property(&mut body, "X-A", b"2");
        null.process_handshake_command(&body).unwrap();
        assert_eq!(null.status(), Status::Ready);
        let peer = null.take_peer_info();
        assert_eq!(peer.socket_type, ZMQ_DEALER);
        assert_eq!(peer.routing_id.as_deref(), Some(&b"peer"[..]));
        assert_eq!(peer.properties.len(), 3);
        assert_eq!(peer.properties[2], ("X-A".to_string(), b"1".to_vec()));
        assert_eq!(null.process_handshake_command(&body), Err(ProtocolError::UnexpectedCommand));
    }

    #[test]
    fn bad_ready_and_error() {
        let new = || NullMechanism::new(own(ZMQ_SUB, b"", vec![]), false);
        let mut body = command::body(command::READY, &[]);
        metadata::write_property(&mut body, "Socket-Type", b"SUB");
        assert!(matches!(
            new().process_handshake_command(&body),
            Err(ProtocolError::IncompatibleSocketType { .. })
        ));
        body.push(0);
        assert_eq!(new().process_handshake_command(&body), Err(ProtocolError::MalformedReady));
        assert_eq!(new().process_handshake_command(b"\x05READY\x01"), Err(ProtocolError::MalformedReady));
        assert_eq!(new().process_handshake_command(b"\x05READ"), Err(ProtocolError::UnexpectedCommand));
        assert_eq!(new().process_handshake_command(b""), Err(ProtocolError::UnexpectedCommand));
        assert_eq!(new().process_handshake_command(b"\x05HELLO"), Err(ProtocolError::UnexpectedCommand));
        assert_eq!(new().process_handshake_command(b"\x05ERROR"), Err(ProtocolError::MalformedError));
        assert_eq!(new().process_handshake_command(b"\x05ERROR\x04abc"), Err(ProtocolError::MalformedError));
        assert_eq!(
            new().process_handshake_command(b"\x05ERROR\x03400"),
            Err(ProtocolError::PeerError { reason: "400".into() })
        );
        // READY with no Socket-Type is accepted, as by libzmq.
        let mut null = new();
        null.next_handshake_command();
        null.process_handshake_command(b"\x05READY").unwrap();
        assert_eq!(null.take_peer_info().socket_type, -1);
    }
}

#[cfg(test)]
mod zap_tests {
    use super::*;
    use crate::constants::ZMQ_DEALER;

    fn server() -> NullMechanism {
        NullMechanism::new(OwnProperties { socket_type: ZMQ_DEALER, ..OwnProperties::default() }, true)
    }

    const PEER_READY: &[u8] = b"\x05READY\x0bSocket-Type\x00\x00\x00\x06DEALER";

    #[test]
    fn ready_waits_for_the_zap_verdict() {
        let mut null = server();
        assert_eq!(null.next_handshake_command(), None);
        assert_eq!(null.zap_request(), Some(vec![]));
        assert_eq!(null.zap_request(), None, "asked once");
        null.process_handshake_command(PEER_READY).unwrap();
        assert_eq!(null.status(), Status::Handshaking);
        null.zap_reply(b"200", b"anonymous", vec![]).unwrap();
        assert!(null.next_handshake_command().unwrap().starts_with(b"\x05READY"));
        assert_eq!(null.status(), Status::Ready);
    }

    #[test]
    fn refusal_sends_error_with_the_status() {
        let mut null = server();
        null.zap_request();
        null.zap_reply(b"400", b"", vec![]).unwrap();
        assert_eq!(null.next_handshake_command().unwrap(), b"\x05ERROR\x03400");
        assert_eq!(null.next_handshake_command(), None);
        null.process_handshake_command(PEER_READY).unwrap();
        assert_eq!(null.status(), Status::Error);
    }

    #[test]
    fn temporary_failure_sends_nothing() {
        let mut null = server();
        null.zap_request();
        null.process_handshake_command(PEER_READY).unwrap();
        null.zap_reply(b"300", b"", vec![]).unwrap();
        assert_eq!(null.next_handshake_command(), None);
        assert_eq!(null.status(), Status::Error);
    }
}
