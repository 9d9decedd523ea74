//! ZAP (RFC 27) messages as the server side of a handshake sends and reads them: the request's
//! frames and the validation of the handler's reply, with libzmq's `ZMQ_PROTOCOL_ERROR_ZAP_*`
//! code for every way a reply can be wrong.
//!
//! Sans-I/O: owns only the message layouts. The pipe to the handler and the waiting belong to
//! `io::zap`; what a verdict means for the handshake belongs to the mechanism.
//!
//! Both directions start with an empty delimiter frame, as a REQ socket would send, so a REP or
//! ROUTER handler sees an ordinary request.

use crate::constants::{
    ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID, ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION,
    ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA, ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE,
    ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY, ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED,
};
use crate::msg::Msg;
use crate::zmtp::metadata;

/// The inproc name ZAP handlers bind.
pub const ENDPOINT: &str = "zeromq.zap.01";
const VERSION: &[u8] = b"1.0";
/// libzmq numbers every request "1": a connection asks at most once.
const REQUEST_ID: &[u8] = b"1";
/// Delimiter, version, request id, status code, status text, user id, metadata.
const REPLY_FRAMES: usize = 7;

/// What a request says besides the mechanism's credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    /// ZMQ_ZAP_DOMAIN.
    pub domain: Vec<u8>,
    /// The peer's IP address (no port), as in the Peer-Address property.
    pub address: Vec<u8>,
    /// Our own ZMQ_ROUTING_ID.
    pub routing_id: Vec<u8>,
}

/// The request's frames, MORE on all but the last.
pub fn request(context: &RequestContext, mechanism: &str, credentials: &[Vec<u8>]) -> Vec<Msg> {
    let mut parts: Vec<&[u8]> = vec![
        b"",
        VERSION,
        REQUEST_ID,
        &context.domain,
        &context.address,
        &context.routing_id,
        mechanism.as_bytes(),
    ];
    parts.extend(credentials.iter().map(Vec::as_slice));
    let last = parts.len() - 1;
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let mut frame = Msg::from_bytes(bytes::Bytes::copy_from_slice(part));
            frame.set_more(i < last);
            frame
        })
        .collect()
}

/// A well-formed verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// "200", "300", "400" or "500".
    pub status: [u8; 3],
    pub user_id: Vec<u8>,
    pub metadata: Vec<(String, Vec<u8>)>,
}

/// Checks one whole reply message. `Err` carries the `ZMQ_PROTOCOL_ERROR_ZAP_*` code libzmq
/// reports with `ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL`, checked in libzmq's order.
pub fn parse_reply(frames: &[Msg]) -> Result<Reply, i32> {
    // Exactly seven frames: MORE on the first six, not on the seventh.
    for (i, frame) in frames.iter().enumerate().take(REPLY_FRAMES) {
        if frame.more() != (i < REPLY_FRAMES - 1) {
            return Err(ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY);
        }
    }
    if frames.len() < REPLY_FRAMES {
        return Err(ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY);
    }
    if !frames[0].data().is_empty() {
        return Err(ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED);
    }
    if frames[1].data() != VERSION {
        return Err(ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION);
    }
    if frames[2].data() != REQUEST_ID {
        return Err(ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID);
    }
    let status: [u8; 3] =
        frames[3].data().try_into().map_err(|_| ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE)?;
    if !(b'2'..=b'5').contains(&status[0]) || status[1..] != *b"00" {
        return Err(ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE);
    }
    let metadata = metadata::parse(frames[6].data()).map_err(|_| ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA)?;
    Ok(Reply { status, user_id: frames[5].data().to_vec(), metadata })
}

/// The status as the number `ZMQ_EVENT_HANDSHAKE_FAILED_AUTH` carries; `None` for 200.
pub fn failure_status(status: &[u8; 3]) -> Option<u64> {
    (status != b"200").then(|| u64::from(status[0] - b'0') * 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(parts: &[&[u8]]) -> Vec<Msg> {
        let last = parts.len() - 1;
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut m = Msg::from_slice(p).unwrap();
                m.set_more(i < last);
                m
            })
            .collect()
    }

    #[test]
    fn request_layout() {
        let context = RequestContext {
            domain: b"global".to_vec(),
            address: b"127.0.0.1".to_vec(),
            routing_id: b"IDENT".to_vec(),
        };
        let msg = request(&context, "PLAIN", &[b"admin".to_vec(), b"secret".to_vec()]);
        let bodies: Vec<&[u8]> = msg.iter().map(Msg::data).collect();
        assert_eq!(
            bodies,
            [&b""[..], b"1.0", b"1", b"global", b"127.0.0.1", b"IDENT", b"PLAIN", b"admin", b"secret"]
        );
        let more: Vec<bool> = msg.iter().map(Msg::more).collect();
        assert_eq!(more, [true, true, true, true, true, true, true, true, false]);
        // NULL has no credentials: the mechanism is the last frame.
        let msg = request(&context, "NULL", &[]);
        assert_eq!(msg.len(), 7);
        assert!(!msg[6].more());
    }

    #[test]
    fn good_reply() {
        let reply = parse_reply(&frames(&[
            b"",
            b"1.0",
            b"1",
            b"200",
            b"OK",
            b"anonymous",
            b"\x05Hello\x00\x00\x00\x05World",
        ]))
        .unwrap();
        assert_eq!(reply.status, *b"200");
        assert_eq!(reply.user_id, b"anonymous");
        assert_eq!(reply.metadata, vec![("Hello".to_string(), b"World".to_vec())]);
        assert_eq!(failure_status(&reply.status), None);
        assert_eq!(failure_status(b"300"), Some(300));
        assert_eq!(failure_status(b"500"), Some(500));
    }

    #[test]
    fn bad_replies_have_libzmq_codes() {
        let check = |parts: &[&[u8]]| parse_reply(&frames(parts)).unwrap_err();
        assert_eq!(
            check(&[b"", b"1.0", b"1", b"200", b"OK", b"anonymous"]),
            ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY
        );
        assert_eq!(
            check(&[b"", b"1.0", b"1", b"200", b"OK", b"x", b"", b""]),
            ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY
        );
        assert_eq!(
            check(&[b"x", b"1.0", b"1", b"200", b"OK", b"x", b""]),
            ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED
        );
        assert_eq!(
            check(&[b"", b"invalid_version", b"1", b"200", b"OK", b"x", b""]),
            ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION
        );
        assert_eq!(
            check(&[b"", b"1.0", b"invalid_request_id", b"200", b"OK", b"x", b""]),
            ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID
        );
        for status in [&b"invalid_status"[..], b"100", b"600", b"201", b"20", b"2000"] {
            assert_eq!(
                check(&[b"", b"1.0", b"1", status, b"OK", b"x", b""]),
                ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE
            );
        }
        assert_eq!(
            check(&[b"", b"1.0", b"1", b"200", b"OK", b"x", b"\x05Hel"]),
            ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA
        );
        // A version error is found before a bad status, as libzmq checks in frame order.
        assert_eq!(check(&[b"", b"2.0", b"1", b"bad", b"OK", b"x", b""]), ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION);
    }
}
