//! Socket-type names as they travel in the `Socket-Type` property, and which pairs of types may
//! talk to each other.
//!
//! Owns only the name table and libzmq's compatibility rules; it knows nothing of sockets or
//! connections. The draft types are always included, since this library always builds the draft
//! API in.

use std::ffi::c_int;

use crate::constants::{
    ZMQ_DEALER, ZMQ_PAIR, ZMQ_PUB, ZMQ_PULL, ZMQ_PUSH, ZMQ_REP, ZMQ_REQ, ZMQ_ROUTER, ZMQ_STREAM, ZMQ_SUB,
    ZMQ_XPUB, ZMQ_XSUB,
};

// Draft socket types, spelled out here so this module does not depend on the draft cfg.
const ZMQ_SERVER: c_int = 12;
const ZMQ_CLIENT: c_int = 13;
const ZMQ_RADIO: c_int = 14;
const ZMQ_DISH: c_int = 15;
const ZMQ_GATHER: c_int = 16;
const ZMQ_SCATTER: c_int = 17;
const ZMQ_DGRAM: c_int = 18;
const ZMQ_PEER: c_int = 19;
const ZMQ_CHANNEL: c_int = 20;

/// Names indexed by socket type, the order of zmq.h.
const NAMES: [&str; 21] = [
    "PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB", "STREAM",
    "SERVER", "CLIENT", "RADIO", "DISH", "GATHER", "SCATTER", "DGRAM", "PEER", "CHANNEL",
];

/// The wire name of a socket type; `None` for a number that is no socket type.
pub fn name(socket_type: c_int) -> Option<&'static str> {
    usize::try_from(socket_type).ok().and_then(|index| NAMES.get(index)).copied()
}

/// The socket type a wire name stands for (exact, case-sensitive match, as libzmq compares).
pub fn from_name(name: &[u8]) -> Option<c_int> {
    NAMES.iter().position(|candidate| candidate.as_bytes() == name).map(|index| index as c_int)
}

/// Whether the peer types a socket of type `ours` accepts, as libzmq's handshake checks them.
/// STREAM speaks no ZMTP, so it accepts nothing; DGRAM is listed only because libzmq lists it.
fn accepted_peers(ours: c_int) -> &'static [c_int] {
    match ours {
        ZMQ_REQ => &[ZMQ_REP, ZMQ_ROUTER],
        ZMQ_REP => &[ZMQ_REQ, ZMQ_DEALER],
        ZMQ_DEALER => &[ZMQ_REP, ZMQ_DEALER, ZMQ_ROUTER],
        ZMQ_ROUTER => &[ZMQ_REQ, ZMQ_DEALER, ZMQ_ROUTER],
        ZMQ_PUSH => &[ZMQ_PULL],
        ZMQ_PULL => &[ZMQ_PUSH],
        ZMQ_PUB | ZMQ_XPUB => &[ZMQ_SUB, ZMQ_XSUB],
        ZMQ_SUB | ZMQ_XSUB => &[ZMQ_PUB, ZMQ_XPUB],
        ZMQ_PAIR => &[ZMQ_PAIR],
        ZMQ_SERVER => &[ZMQ_CLIENT],
        ZMQ_CLIENT => &[ZMQ_SERVER],
        ZMQ_RADIO => &[ZMQ_DISH],
        ZMQ_DISH => &[ZMQ_RADIO],
        ZMQ_GATHER => &[ZMQ_SCATTER],
        ZMQ_SCATTER => &[ZMQ_GATHER],
        ZMQ_DGRAM => &[ZMQ_DGRAM],
        ZMQ_PEER => &[ZMQ_PEER],
        ZMQ_CHANNEL => &[ZMQ_CHANNEL],
        ZMQ_STREAM => &[],
        _ => &[],
    }
}

/// Whether a socket of type `ours` may complete a handshake with a peer of type `peer`.
pub fn compatible(ours: c_int, peer: c_int) -> bool {
    accepted_peers(ours).contains(&peer)
}

/// Types whose READY carries an `Identity` property (libzmq sends it for these only, even when
/// the routing id is empty).
pub fn sends_identity(socket_type: c_int) -> bool {
    matches!(socket_type, ZMQ_REQ | ZMQ_DEALER | ZMQ_ROUTER)
}

/// Types whose outgoing 0x01/0x00-prefixed messages are subscriptions.
pub fn is_subscriber(socket_type: c_int) -> bool {
    matches!(socket_type, ZMQ_SUB | ZMQ_XSUB)
}

/// PUB and XPUB: the sockets that serve subscriptions.
pub fn is_publisher(socket_type: c_int) -> bool {
    matches!(socket_type, ZMQ_PUB | ZMQ_XPUB)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for socket_type in 0..21 {
            let name = name(socket_type).unwrap();
            assert_eq!(from_name(name.as_bytes()), Some(socket_type));
        }
        assert_eq!(name(21), None);
        assert_eq!(name(-1), None);
        assert_eq!(from_name(b"pair"), None);
        assert_eq!(from_name(b"PAIRX"), None);
    }

    #[test]
    fn compatibility_is_symmetric_except_for_nothing() {
        for a in 0..21 {
            for b in 0..21 {
                assert_eq!(compatible(a, b), compatible(b, a), "{a} {b}");
            }
        }
        assert!(compatible(ZMQ_ROUTER, ZMQ_ROUTER));
        assert!(!compatible(ZMQ_REQ, ZMQ_REQ));
        assert!(!compatible(ZMQ_STREAM, ZMQ_STREAM));
        assert!(!compatible(ZMQ_PUB, ZMQ_PUB));
    }
}
