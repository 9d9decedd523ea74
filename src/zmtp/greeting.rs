//! The 64-byte ZMTP 3 greeting, sent in libzmq's three steps so old peers can be detected.
//!
//! libzmq sends the 10-byte signature first, the major version once the peer's signature has
//! arrived, and the rest once the peer's revision byte is known (a ZMTP 1.0/2.0 peer would get a
//! different continuation). [`GreetingExchange`] reproduces that order byte for byte. It owns the
//! greeting bytes only: choosing the mechanism and framing belong to the connection.

use super::ProtocolError;

/// Bytes of the greeting a ZMTP 3 peer sends.
pub(crate) const GREETING_SIZE: usize = 64;
/// The signature: 0xFF, 8 padding bytes, 0x7F.
const SIGNATURE_SIZE: usize = 10;
const REVISION_POS: usize = 10;
const MINOR_POS: usize = 11;
const MECHANISM_POS: usize = 12;
/// Width of the mechanism field.
pub(crate) const MECHANISM_SIZE: usize = 20;

const OUR_MAJOR: u8 = 3;
const OUR_MINOR: u8 = 1;
// Revision bytes with a meaning of their own (libzmq's ZMTP_1_0 and ZMTP_2_0).
const REVISION_ZMTP_1_0: u8 = 0;
const REVISION_ZMTP_2_0: u8 = 1;
const REVISION_ZMTP_3: u8 = 3;

/// The protocol spoken after the greeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// ZMTP 3.0: subscriptions travel as messages prefixed 0x01/0x00.
    V3_0,
    /// ZMTP 3.1 (and, as libzmq treats them, any later or unknown revision): SUBSCRIBE/CANCEL.
    V3_1,
}

/// The signature we send first. libzmq fills the padding with the routing id length plus one
/// (big-endian), left over from ZMTP 1.0 compatibility: a peer could tell us apart otherwise.
pub fn signature(routing_id_len: usize) -> [u8; SIGNATURE_SIZE] {
    let mut out = [0; SIGNATURE_SIZE];
    out[0] = 0xFF;
    out[1..9].copy_from_slice(&(routing_id_len as u64 + 1).to_be_bytes());
    out[9] = 0x7F;
    out
}

/// A mechanism name as the greeting's zero-padded 20-byte field.
pub fn mechanism_field(name: &str) -> [u8; MECHANISM_SIZE] {
    let mut field = [0; MECHANISM_SIZE];
    field[..name.len()].copy_from_slice(name.as_bytes());
    field
}

/// What the greeting exchange has learnt so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    NeedMore,
    /// The peer's greeting is complete.
    Complete {
        version: Version,
        mechanism: [u8; MECHANISM_SIZE],
    },
}

/// Receives the peer's greeting and releases the rest of ours as libzmq does.
#[derive(Debug, Clone)]
pub struct GreetingExchange {
    received: [u8; GREETING_SIZE],
    len: usize,
    sent_major: bool,
    sent_rest: bool,
    mechanism: [u8; MECHANISM_SIZE],
}

impl GreetingExchange {
    /// `mechanism` is our greeting's mechanism field. The caller sends [`signature`] itself.
    pub fn new(mechanism: [u8; MECHANISM_SIZE]) -> Self {
        Self { received: [0; GREETING_SIZE], len: 0, sent_major: false, sent_rest: false, mechanism }
    }

    /// Takes greeting bytes from `input` (never more than the greeting needs) and appends any
    /// further part of our greeting to `out`. Returns how many bytes were taken.
    pub fn receive(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(usize, Progress), ProtocolError> {
        let take = input.len().min(GREETING_SIZE - self.len);
        let start = self.len;
        self.received[start..start + take].copy_from_slice(&input[..take]);
        self.len += take;
        let got = &self.received[..self.len];

        // Checked as soon as the bytes are there, like libzmq, so an old peer is caught before
        // we send anything it cannot parse.
        if got.first().is_some_and(|&b| b != 0xFF) {
            return Err(ProtocolError::BadSignature);
        }
        if self.len >= SIGNATURE_SIZE && got[SIGNATURE_SIZE - 1] & 1 == 0 {
            return Err(ProtocolError::BadSignature);
        }
        if self.len >= SIGNATURE_SIZE && !self.sent_major {
            self.sent_major = true;
            out.push(OUR_MAJOR);
        }
        if self.len > REVISION_POS && !self.sent_rest {
            let revision = got[REVISION_POS];
            if revision == REVISION_ZMTP_1_0 || revision == REVISION_ZMTP_2_0 {
                return Err(ProtocolError::UnsupportedVersion { revision });
            }
            self.sent_rest = true;
            out.push(OUR_MINOR);
            out.extend_from_slice(&self.mechanism);
            // as-server and filler: libzmq 4.3 writes zeros here whatever the mechanism.
            out.extend_from_slice(&[0; 32]);
        }
        if self.len < GREETING_SIZE {
            return Ok((take, Progress::NeedMore));
        }
        let version = if got[REVISION_POS] == REVISION_ZMTP_3 && got[MINOR_POS] == 0 {
            Version::V3_0
        } else {
            Version::V3_1
        };
        let mut mechanism = [0; MECHANISM_SIZE];
        mechanism.copy_from_slice(&got[MECHANISM_POS..MECHANISM_POS + MECHANISM_SIZE]);
        Ok((take, Progress::Complete { version, mechanism }))
    }

    /// The peer's (revision, minor) once known.
    pub fn peer_version(&self) -> Option<(u8, u8)> {
        (self.len > MINOR_POS).then(|| (self.received[REVISION_POS], self.received[MINOR_POS]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer_greeting(revision: u8, minor: u8, mechanism: &str) -> Vec<u8> {
        let mut g = signature(0).to_vec();
        g.push(revision);
        g.push(minor);
        g.extend_from_slice(&mechanism_field(mechanism));
        g.extend_from_slice(&[0; 32]);
        g
    }

    #[test]
    fn signature_layout() {
        assert_eq!(signature(0), [0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F]);
        assert_eq!(signature(255), [0xFF, 0, 0, 0, 0, 0, 0, 1, 0, 0x7F]);
    }

    #[test]
    fn sends_in_three_steps() {
        let mut ex = GreetingExchange::new(mechanism_field("NULL"));
        let mut out = Vec::new();
        let peer = peer_greeting(3, 1, "NULL");
        assert_eq!(ex.receive(&peer[..9], &mut out).unwrap(), (9, Progress::NeedMore));
        assert!(out.is_empty());
        ex.receive(&peer[9..10], &mut out).unwrap();
        assert_eq!(out, [3]);
        ex.receive(&peer[10..11], &mut out).unwrap();
        assert_eq!(out.len(), 54);
        assert_eq!(&out[..6], b"\x03\x01NULL");
        assert!(out[6..].iter().all(|&b| b == 0));
        let (n, progress) = ex.receive(&[&peer[11..], &b"extra"[..]].concat(), &mut out).unwrap();
        assert_eq!(n, 53);
        assert_eq!(
            progress,
            Progress::Complete { version: Version::V3_1, mechanism: mechanism_field("NULL") }
        );
    }

    #[test]
    fn versions() {
        for (rev, minor, version) in [
            (3, 0, Version::V3_0),
            (3, 1, Version::V3_1),
            (3, 7, Version::V3_1),
            (4, 0, Version::V3_1),
            (2, 0, Version::V3_1),
        ] {
            let mut ex = GreetingExchange::new(mechanism_field("NULL"));
            let (_, p) = ex.receive(&peer_greeting(rev, minor, "NULL"), &mut Vec::new()).unwrap();
            assert_eq!(p, Progress::Complete { version, mechanism: mechanism_field("NULL") });
        }
    }

    #[test]
    fn old_peers_are_refused() {
        let mut ex = GreetingExchange::new(mechanism_field("NULL"));
        assert_eq!(ex.receive(&[0x01], &mut Vec::new()), Err(ProtocolError::BadSignature));
        let mut ex = GreetingExchange::new(mechanism_field("NULL"));
        let mut sig = signature(0);
        sig[9] = 0x7E;
        assert_eq!(ex.receive(&sig, &mut Vec::new()), Err(ProtocolError::BadSignature));
        for revision in [0, 1] {
            let mut ex = GreetingExchange::new(mechanism_field("NULL"));
            let mut out = Vec::new();
            let r = ex.receive(&peer_greeting(revision, 0, "NULL")[..12], &mut out);
            assert_eq!(r, Err(ProtocolError::UnsupportedVersion { revision }));
            assert_eq!(out, [3], "only the major version was released");
        }
    }
}
