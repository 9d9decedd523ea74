//! The metadata CURVE carries inside its encrypted INITIATE (client's) and READY (server's): the
//! same property list NULL's READY carries in the clear.
//!
//! Owns writing our properties and reading the peer's into a [`PeerInfo`]. The property encoding
//! itself is `zmtp::metadata`; what a failure means to the monitor is decided by the caller
//! (libzmq reports them differently on the two sides).

use std::ffi::c_int;

use zeroize::Zeroizing;

use super::super::{insert_property, PeerInfo};
use crate::zmtp::{metadata, socket_type};

const SOCKET_TYPE_PROPERTY: &str = "Socket-Type";
const IDENTITY_PROPERTY: &str = "Identity";

/// Our properties: Socket-Type, Identity for the types libzmq sends it for (even when empty),
/// then the application metadata, in that order (as NULL's READY).
pub(super) fn ours(
    socket_type: c_int,
    routing_id: &[u8],
    app_metadata: &[(String, Vec<u8>)],
) -> Zeroizing<Vec<u8>> {
    // The connection checked the socket type before choosing a mechanism; an unknown one sends
    // no Socket-Type rather than failing here.
    let type_name = socket_type::name(socket_type).unwrap_or("");
    let mut out = Zeroizing::new(Vec::new());
    metadata::write_property(&mut out, SOCKET_TYPE_PROPERTY, type_name.as_bytes());
    if socket_type::sends_identity(socket_type) {
        metadata::write_property(&mut out, IDENTITY_PROPERTY, routing_id);
    }
    for (name, value) in app_metadata {
        metadata::write_property(&mut out, name, value);
    }
    out
}

/// Why the peer's properties were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PropertiesFault {
    /// Truncated, or trailing bytes.
    Malformed,
    /// Its Socket-Type may not talk to ours.
    IncompatibleSocketType(Vec<u8>),
}

/// Records the peer's properties into `peer` (first value of a name wins).
pub(super) fn absorb(our_type: c_int, data: &[u8], peer: &mut PeerInfo) -> Result<(), PropertiesFault> {
    let properties = metadata::parse(data).map_err(|_| PropertiesFault::Malformed)?;
    for (name, value) in properties {
        if name == SOCKET_TYPE_PROPERTY {
            let peer_type = socket_type::from_name(&value)
                .filter(|&peer_type| socket_type::compatible(our_type, peer_type))
                .ok_or_else(|| PropertiesFault::IncompatibleSocketType(value.clone()))?;
            if peer.socket_type < 0 {
                peer.socket_type = peer_type;
            }
        } else if name == IDENTITY_PROPERTY && peer.routing_id.is_none() {
            peer.routing_id = Some(value.clone());
        }
        insert_property(&mut peer.properties, name, value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::{ZMQ_DEALER, ZMQ_PUB, ZMQ_PUSH, ZMQ_ROUTER};

    #[test]
    fn ours_has_null_ready_layout() {
        let props = ours(ZMQ_DEALER, b"id", &[("X-Foo".into(), b"bar".to_vec())]);
        assert_eq!(
            &props[..],
            b"\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x02id\x05X-Foo\x00\x00\x00\x03bar"
        );
        assert_eq!(&ours(ZMQ_PUB, b"id", &[])[..], b"\x0bSocket-Type\x00\x00\x00\x03PUB");
    }

    #[test]
    fn absorb_records_type_identity_and_properties() {
        let mut peer = PeerInfo { socket_type: -1, ..PeerInfo::default() };
        absorb(ZMQ_ROUTER, &ours(ZMQ_DEALER, b"peer", &[("X-A".into(), b"1".to_vec())]), &mut peer).unwrap();
        assert_eq!(peer.socket_type, ZMQ_DEALER);
        assert_eq!(peer.routing_id.as_deref(), Some(&b"peer"[..]));
        assert_eq!(peer.properties.len(), 3);
    }

    #[test]
    fn absorb_refuses_bad_lists() {
        let mut peer = PeerInfo { socket_type: -1, ..PeerInfo::default() };
        let mut props = ours(ZMQ_DEALER, b"", &[]).to_vec();
        assert_eq!(
            absorb(ZMQ_PUSH, &props, &mut peer),
            Err(PropertiesFault::IncompatibleSocketType(b"DEALER".to_vec()))
        );
        props.push(0);
        assert_eq!(absorb(ZMQ_ROUTER, &props, &mut peer), Err(PropertiesFault::Malformed));
    }
}
