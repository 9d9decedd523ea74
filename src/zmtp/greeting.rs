//! The ZMTP greeting, sent in libzmq's steps so old peers are detected (RFC 23, "Backwards
//! Interoperability").
//!
//! libzmq sends the 10-byte signature first (0xFF, the routing id length plus one as 8 bytes,
//! 0x7F: to a ZMTP 1.0 peer, the header of an identity message), the major version once the
//! peer's signature has arrived, and the rest once the peer's revision byte is known.
//! [`GreetingExchange`] reproduces that order byte for byte and tells which protocol the peer
//! speaks:
//! - first byte not 0xFF, or tenth byte with bit 0 clear: unversioned ZMTP 1.0 (the bytes are
//!   the start of its identity frame); nothing more of our greeting is sent;
//! - revision 0 (ZMTP/1.0) or 1 (ZMTP/2.0): we send our socket type byte, and the greeting ends
//!   after the peer's 12th byte (its socket type);
//! - any other revision: the 64-byte ZMTP 3 greeting (minor version, mechanism, filler).
//!
//! It owns the greeting bytes only: choosing the mechanism and framing belong to the connection.

/// Bytes of the greeting a ZMTP 3 peer sends.
pub(crate) const GREETING_SIZE: usize = 64;
/// Bytes of the greeting a versioned ZMTP 1.0/2.0 peer sends: signature, revision, socket type.
const LEGACY_GREETING_SIZE: usize = 12;
/// The signature: 0xFF, 8 padding bytes, 0x7F.
const SIGNATURE_SIZE: usize = 10;
const REVISION_POS: usize = 10;
const MINOR_POS: usize = 11;
/// In a ZMTP 1.0/2.0 greeting, the byte after the revision is the peer's socket type.
const LEGACY_SOCKET_TYPE_POS: usize = 11;
const MECHANISM_POS: usize = 12;
/// Width of the mechanism field.
pub(crate) const MECHANISM_SIZE: usize = 20;

const OUR_MAJOR: u8 = 3;
const OUR_MINOR: u8 = 1;
// Revision bytes with a meaning of their own (libzmq's ZMTP_1_0, ZMTP_2_0 and ZMTP_3_x).
const REVISION_ZMTP_1_0: u8 = 0;
const REVISION_ZMTP_2_0: u8 = 1;
const REVISION_ZMTP_3: u8 = 3;

/// The protocol spoken after the greeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// ZMTP/1.0 (RFC 13), with or without a versioned greeting: ZMTP 1.0 framing, an identity
    /// frame first, no commands, no security.
    V1_0,
    /// ZMTP/2.0 (RFC 15): ZMTP 3 framing, an identity frame first, no security; subscriptions
    /// travel as messages prefixed 0x01/0x00.
    V2_0,
    /// ZMTP 3.0: subscriptions travel as messages prefixed 0x01/0x00.
    V3_0,
    /// ZMTP 3.1 (and, as libzmq treats them, any later or unknown revision): SUBSCRIBE/CANCEL.
    V3_1,
}

impl Version {
    /// ZMTP 1.0/2.0: no greeting mechanism, no handshake commands, no heartbeats.
    pub fn is_legacy(self) -> bool {
        matches!(self, Version::V1_0 | Version::V2_0)
    }
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
    /// The peer's ZMTP 3 greeting is complete.
    Complete {
        version: Version,
        mechanism: [u8; MECHANISM_SIZE],
    },
    /// The peer speaks ZMTP 1.0 without a greeting: everything received so far
    /// ([`GreetingExchange::received`]) is the start of its ZMTP 1.0 stream.
    Unversioned,
    /// The peer's versioned ZMTP 1.0/2.0 greeting is complete (`version` is `V1_0` or `V2_0`).
    Legacy {
        version: Version,
        peer_socket_type: u8,
    },
}

/// Receives the peer's greeting and releases the rest of ours as libzmq does.
#[derive(Debug, Clone)]
pub struct GreetingExchange {
    received: [u8; GREETING_SIZE],
    len: usize,
    sent_major: bool,
    /// The part after the major version is sent (socket type, or the ZMTP 3 rest).
    sent_rest: bool,
    mechanism: [u8; MECHANISM_SIZE],
    socket_type: u8,
}

impl GreetingExchange {
    /// `mechanism` is our greeting's mechanism field; `socket_type` our ZMQ_* type, sent to
    /// ZMTP 1.0/2.0 peers. The caller sends [`signature`] itself.
    pub fn new(mechanism: [u8; MECHANISM_SIZE], socket_type: u8) -> Self {
        Self {
            received: [0; GREETING_SIZE],
            len: 0,
            sent_major: false,
            sent_rest: false,
            mechanism,
            socket_type,
        }
    }

    /// Takes greeting bytes from `input` (never more than the greeting needs) and appends any
    /// further part of our greeting to `out`. Returns how many bytes were taken.
    pub fn receive(&mut self, input: &[u8], out: &mut Vec<u8>) -> (usize, Progress) {
        let mut taken = 0;
        loop {
            // Until the revision is known, no more than a ZMTP 1.0/2.0 greeting is read, so
            // frames that may follow it stay with the caller.
            let size = self.expected_size();
            let take = (size - self.len).min(input.len() - taken);
            self.received[self.len..self.len + take].copy_from_slice(&input[taken..taken + take]);
            self.len += take;
            taken += take;
            let progress = self.inspect(out);
            if progress != Progress::NeedMore || taken == input.len() {
                return (taken, progress);
            }
        }
    }

    fn expected_size(&self) -> usize {
        if self.sent_rest && !self.is_legacy_revision() {
            GREETING_SIZE
        } else {
            LEGACY_GREETING_SIZE
        }
    }

    fn is_legacy_revision(&self) -> bool {
        self.len > REVISION_POS
            && matches!(self.received[REVISION_POS], REVISION_ZMTP_1_0 | REVISION_ZMTP_2_0)
    }

    /// Looks at what has arrived, as libzmq does after each read, and releases our next part.
    fn inspect(&mut self, out: &mut Vec<u8>) -> Progress {
        let got = &self.received[..self.len];
        // Checked as soon as the bytes are there, like libzmq, so an old peer is caught before
        // we send anything it cannot parse.
        if got.first().is_some_and(|&b| b != 0xFF) {
            return Progress::Unversioned;
        }
        if self.len < SIGNATURE_SIZE {
            return Progress::NeedMore;
        }
        if got[SIGNATURE_SIZE - 1] & 1 == 0 {
            return Progress::Unversioned;
        }
        if !self.sent_major {
            self.sent_major = true;
            out.push(OUR_MAJOR);
        }
        if self.len <= REVISION_POS {
            return Progress::NeedMore;
        }
        let revision = got[REVISION_POS];
        let legacy = self.is_legacy_revision();
        if !self.sent_rest {
            self.sent_rest = true;
            if legacy {
                out.push(self.socket_type);
            } else {
                out.push(OUR_MINOR);
                out.extend_from_slice(&self.mechanism);
                // as-server and filler: libzmq 4.3 writes zeros here whatever the mechanism.
                out.extend_from_slice(&[0; 32]);
            }
        }
        if legacy {
            if self.len < LEGACY_GREETING_SIZE {
                return Progress::NeedMore;
            }
            let version = if revision == REVISION_ZMTP_1_0 { Version::V1_0 } else { Version::V2_0 };
            return Progress::Legacy { version, peer_socket_type: got[LEGACY_SOCKET_TYPE_POS] };
        }
        if self.len < GREETING_SIZE {
            return Progress::NeedMore;
        }
        let version =
            if revision == REVISION_ZMTP_3 && got[MINOR_POS] == 0 { Version::V3_0 } else { Version::V3_1 };
        let mut mechanism = [0; MECHANISM_SIZE];
        mechanism.copy_from_slice(&got[MECHANISM_POS..MECHANISM_POS + MECHANISM_SIZE]);
        Progress::Complete { version, mechanism }
    }

    /// The peer's bytes received so far (for an unversioned peer, the start of its stream).
    pub fn received(&self) -> &[u8] {
        &self.received[..self.len]
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
        let mut ex = GreetingExchange::new(mechanism_field("NULL"), 6);
        let mut out = Vec::new();
        let peer = peer_greeting(3, 1, "NULL");
        assert_eq!(ex.receive(&peer[..9], &mut out), (9, Progress::NeedMore));
        assert!(out.is_empty());
        ex.receive(&peer[9..10], &mut out);
        assert_eq!(out, [3]);
        ex.receive(&peer[10..11], &mut out);
        assert_eq!(out.len(), 54);
        assert_eq!(&out[..6], b"\x03\x01NULL");
        assert!(out[6..].iter().all(|&b| b == 0));
        let (n, progress) = ex.receive(&[&peer[11..], &b"extra"[..]].concat(), &mut out);
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
            let mut ex = GreetingExchange::new(mechanism_field("NULL"), 6);
            let (_, p) = ex.receive(&peer_greeting(rev, minor, "NULL"), &mut Vec::new());
            assert_eq!(p, Progress::Complete { version, mechanism: mechanism_field("NULL") });
        }
    }

    #[test]
    fn unversioned_peers_are_detected_before_we_say_more() {
        // A ZMTP 1.0 identity frame (length 1, flags 0) as the first byte.
        let mut ex = GreetingExchange::new(mechanism_field("NULL"), 6);
        let mut out = Vec::new();
        assert_eq!(ex.receive(b"\x01\x00\x03\x00hi", &mut out), (6, Progress::Unversioned));
        assert_eq!(ex.received(), b"\x01\x00\x03\x00hi");
        assert!(out.is_empty());
        // A long identity (0xFF first) whose flags byte, the 10th, has bit 0 clear.
        for split in 1..10 {
            let mut ex = GreetingExchange::new(mechanism_field("NULL"), 6);
            let mut out = Vec::new();
            let mut peer = vec![0xFF, 0, 0, 0, 0, 0, 0, 1, 1, 0];
            peer.extend_from_slice(&[b'x'; 256]);
            assert_eq!(ex.receive(&peer[..split], &mut out), (split, Progress::NeedMore));
            assert_eq!(ex.receive(&peer[split..], &mut out), (12 - split, Progress::Unversioned));
            assert_eq!(ex.received(), &peer[..12]);
            assert!(out.is_empty(), "nothing after the signature");
        }
    }

    #[test]
    fn versioned_1_0_and_2_0_greetings_are_12_bytes() {
        for (revision, version) in [(0, Version::V1_0), (1, Version::V2_0)] {
            let mut peer = signature(0).to_vec();
            peer.extend_from_slice(&[revision, 5, 1, 0, b'z']);
            for split in 0..12 {
                let mut ex = GreetingExchange::new(mechanism_field("NULL"), 6);
                let mut out = Vec::new();
                let (n, p) = ex.receive(&peer[..split], &mut out);
                assert_eq!((n, p), (split, Progress::NeedMore));
                assert_eq!(out.len(), usize::from(split >= 10) + usize::from(split >= 11));
                let (n, p) = ex.receive(&peer[split..], &mut out);
                assert_eq!(n, 12 - split, "frames after the greeting are left to the caller");
                assert_eq!(p, Progress::Legacy { version, peer_socket_type: 5 });
                assert_eq!(out, [3, 6], "major version, then our socket type");
                assert!(version.is_legacy());
            }
        }
    }
}
