//! The NULL mechanism: each side sends READY with its properties; the peer's Socket-Type must be
//! compatible with ours. The peer may instead send ERROR, which ends the connection.
//!
//! Owns the READY/ERROR exchange only. ZAP is not done here yet: when a ZAP domain is set,
//! libzmq's NULL server asks the ZAP handler before sending READY (or ERROR with the ZAP status
//! code, and nothing for 300). The extension point is `next_handshake_command`, which would
//! return `None` until the engine feeds the ZAP reply in (e.g. a `zap_reply(status)` method on
//! this type, exposed through `Connection`), and then READY or `command::error_body(status)`.

use std::ffi::c_int;

use super::{insert_property, Mechanism, PeerInfo, Status};
use crate::zmtp::{command, metadata, socket_type, ProtocolError};

const SOCKET_TYPE_PROPERTY: &str = "Socket-Type";
const IDENTITY_PROPERTY: &str = "Identity";

#[derive(Debug)]
pub struct NullMechanism {
    socket_type: c_int,
    routing_id: Vec<u8>,
    metadata: Vec<(String, Vec<u8>)>,
    ready_sent: bool,
    ready_received: bool,
    peer: PeerInfo,
}

impl NullMechanism {
    pub fn new(socket_type: c_int, routing_id: Vec<u8>, metadata: Vec<(String, Vec<u8>)>) -> Self {
        Self {
            socket_type,
            routing_id,
            metadata,
            ready_sent: false,
            ready_received: false,
            peer: PeerInfo { socket_type: -1, ..PeerInfo::default() },
        }
    }

    /// READY with Socket-Type, Identity for the types libzmq sends it for (even when empty), then
    /// the application metadata, in that order.
    fn ready_body(&self) -> Vec<u8> {
        let type_name = socket_type::name(self.socket_type).expect("Connection checked the socket type");
        let mut body = command::body(command::READY, &[]);
        metadata::write_property(&mut body, SOCKET_TYPE_PROPERTY, type_name.as_bytes());
        if socket_type::sends_identity(self.socket_type) {
            metadata::write_property(&mut body, IDENTITY_PROPERTY, &self.routing_id);
        }
        for (name, value) in &self.metadata {
            metadata::write_property(&mut body, name, value);
        }
        body
    }

    fn process_ready(&mut self, properties: &[u8]) -> Result<(), ProtocolError> {
        self.ready_received = true;
        let properties = metadata::parse(properties).map_err(|_| ProtocolError::MalformedReady)?;
        for (name, value) in properties {
            if name == SOCKET_TYPE_PROPERTY {
                let peer_type = socket_type::from_name(&value)
                    .filter(|&peer| socket_type::compatible(self.socket_type, peer))
                    .ok_or_else(|| ProtocolError::IncompatibleSocketType {
                        peer_socket_type: value.clone(),
                    })?;
                if self.peer.socket_type < 0 {
                    self.peer.socket_type = peer_type;
                }
            } else if name == IDENTITY_PROPERTY && self.peer.routing_id.is_none() {
                self.peer.routing_id = Some(value.clone());
            }
            insert_property(&mut self.peer.properties, name, value);
        }
        Ok(())
    }
}

/// Length of ERROR's fixed part: name length byte, "ERROR", reason length byte.
const ERROR_PREFIX_LEN: usize = 7;

fn process_error(body: &[u8]) -> ProtocolError {
    let Some(&reason_len) = body.get(ERROR_PREFIX_LEN - 1) else { return ProtocolError::MalformedError };
    match body.get(ERROR_PREFIX_LEN..ERROR_PREFIX_LEN + usize::from(reason_len)) {
        Some(reason) => ProtocolError::PeerError { reason: String::from_utf8_lossy(reason).into_owned() },
        None => ProtocolError::MalformedError,
    }
}

impl Mechanism for NullMechanism {
    fn name(&self) -> &'static str {
        "NULL"
    }

    fn next_handshake_command(&mut self) -> Option<Vec<u8>> {
        // ZAP would gate this (see the module doc).
        if self.ready_sent {
            return None;
        }
        self.ready_sent = true;
        Some(self.ready_body())
    }

    fn process_handshake_command(&mut self, body: &[u8]) -> Result<(), ProtocolError> {
        if self.ready_received {
            return Err(ProtocolError::UnexpectedCommand);
        }
        // libzmq matches the name bytes as a prefix, so a truncated name is "unexpected", not
        // "malformed"; the same classification keeps the monitor events identical.
        match command::parse(body) {
            Ok(cmd) if cmd.name == command::READY => self.process_ready(cmd.data),
            Ok(cmd) if cmd.name == command::ERROR => Err(process_error(body)),
            _ => Err(ProtocolError::UnexpectedCommand),
        }
    }

    fn status(&self) -> Status {
        if self.ready_sent && self.ready_received {
            Status::Ready
        } else {
            Status::Handshaking
        }
    }

    fn take_peer_info(&mut self) -> PeerInfo {
        std::mem::take(&mut self.peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::{ZMQ_DEALER, ZMQ_PUB, ZMQ_ROUTER, ZMQ_SUB};

    #[test]
    fn ready_layout() {
        let mut null =
            NullMechanism::new(ZMQ_DEALER, b"id".to_vec(), vec![("X-Foo".into(), b"bar".to_vec())]);
        let body = null.next_handshake_command().unwrap();
        assert_eq!(
            body,
            b"\x05READY\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x02id\x05X-Foo\x00\x00\x00\x03bar"
        );
        assert_eq!(null.next_handshake_command(), None);
        let mut null = NullMechanism::new(ZMQ_PUB, b"id".to_vec(), vec![]);
        assert_eq!(null.next_handshake_command().unwrap(), b"\x05READY\x0bSocket-Type\x00\x00\x00\x03PUB");
    }

    #[test]
    fn ready_parsing() {
        let mut null = NullMechanism::new(ZMQ_ROUTER, vec![], vec![]);
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
        let new = || NullMechanism::new(ZMQ_SUB, vec![], vec![]);
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
