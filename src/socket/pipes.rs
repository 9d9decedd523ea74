//! The pipe ends a socket owns, keyed by id. Socket types address pipes through this table and
//! never own them: the socket base attaches and removes them. A pipe found closed while reading
//! is recorded as dead; the base removes dead pipes after each socket-type call and tells the
//! type, so a type never has to handle removal in the middle of its own iteration.
//!
//! Every message looks its pipe up here (often twice: check, then read or write), so the ends
//! sit in a vector and the last one used is remembered: a socket talking to one peer, or sending
//! a multipart message, finds its pipe with one comparison instead of a hash lookup.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use bytes::Bytes;

use crate::msg::Msg;
use crate::pipe::{PipeEnd, PipeId, Readiness};

/// Pipe ids are unique counters, not attacker-chosen keys: one multiplication spreads them well
/// enough, and the table is looked up on every message, where SipHash showed in profiles.
#[derive(Default)]
pub struct PipeIdHasher(u64);

impl Hasher for PipeIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, id: u64) {
        self.0 = id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

pub type PipeMap<V> = HashMap<PipeId, V, BuildHasherDefault<PipeIdHasher>>;
pub type PipeSet = HashSet<PipeId, BuildHasherDefault<PipeIdHasher>>;

#[derive(Default)]
pub struct Pipes {
    ends: Vec<PipeEnd>,
    /// Where each end is in `ends`.
    index: PipeMap<usize>,
    /// Position of the end looked up last (a hint: checked against the id before use).
    last: usize,
    dead: Vec<PipeId>,
    /// The pipe the last whole message went to if it is over its pace (see
    /// `PipeEnd::over_pace`), else 0 (no pipe has that id): tested on every send.
    over_pace: PipeId,
}

impl Pipes {
    pub fn insert(&mut self, end: PipeEnd) {
        if let Some(&at) = self.index.get(&end.id()) {
            self.ends[at] = end;
            return;
        }
        self.index.insert(end.id(), self.ends.len());
        self.ends.push(end);
    }

    pub fn remove(&mut self, id: PipeId) -> Option<PipeEnd> {
        let at = self.index.remove(&id)?;
        let end = self.ends.swap_remove(at);
        if let Some(moved) = self.ends.get(at) {
            self.index.insert(moved.id(), at);
        }
        Some(end)
    }

    pub fn contains(&self, id: PipeId) -> bool {
        self.index.contains_key(&id)
    }

    pub fn ids(&self) -> Vec<PipeId> {
        self.ends.iter().map(PipeEnd::id).collect()
    }

    pub fn ends(&self) -> impl Iterator<Item = &PipeEnd> {
        self.ends.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Where `id` is, trying the last position first.
    #[inline]
    fn position(&mut self, id: PipeId) -> Option<usize> {
        if self.ends.get(self.last).is_some_and(|end| end.id() == id) {
            return Some(self.last);
        }
        let at = *self.index.get(&id)?;
        self.last = at;
        Some(at)
    }

    #[inline]
    fn get_mut(&mut self, id: PipeId) -> Option<&mut PipeEnd> {
        let at = self.position(id)?;
        Some(&mut self.ends[at])
    }

    fn get(&self, id: PipeId) -> Option<&PipeEnd> {
        self.ends.get(*self.index.get(&id)?)
    }

    /// The next frame from `id`; `None` when it has nothing now or is closed (then it is recorded
    /// as dead).
    #[inline]
    pub fn read(&mut self, id: PipeId) -> Option<Msg> {
        let mut msg = Msg::new();
        self.read_into(id, &mut msg).then_some(msg)
    }

    /// [`Pipes::read`] into `out` (releasing what it held); false, and `out` untouched, when
    /// there is nothing.
    #[inline(always)]
    pub fn read_into(&mut self, id: PipeId, out: &mut Msg) -> bool {
        let Some(end) = self.get_mut(id) else { return false };
        match end.read_into(out) {
            Readiness::Ready => true,
            Readiness::Empty => false,
            Readiness::Closed => {
                self.mark_dead(id);
                false
            }
        }
    }

    /// Whether `id` has a frame to read now. When it has none it is marked asleep (it will be
    /// activated) or, if closed, recorded as dead.
    pub fn check_read(&mut self, id: PipeId) -> bool {
        let Some(end) = self.get_mut(id) else { return false };
        match end.check_read() {
            Readiness::Ready => true,
            Readiness::Empty => false,
            Readiness::Closed => {
                self.mark_dead(id);
                false
            }
        }
    }

    /// Whether `id` can take one more message now.
    #[inline]
    pub fn check_write(&mut self, id: PipeId) -> bool {
        self.get_mut(id).is_some_and(PipeEnd::check_write)
    }

    /// Queues a frame on `id` and, at the end of a message, makes it visible. A frame for a pipe
    /// that is gone is dropped, as libzmq drops the rest of a message whose peer vanished.
    #[inline(always)]
    pub fn write(&mut self, id: PipeId, msg: Msg) {
        if let Some(end) = self.get_mut(id) {
            let last = !msg.more();
            end.write(msg);
            if last {
                end.flush();
                if end.over_pace() {
                    self.over_pace = id;
                }
            }
        }
    }

    /// The pipe over its pace since the last call, if any.
    #[inline]
    pub fn take_over_pace(&mut self) -> Option<PipeId> {
        if self.over_pace == 0 {
            return None;
        }
        Some(std::mem::take(&mut self.over_pace))
    }

    /// See `PipeEnd::await_pace`.
    pub fn await_pace(&mut self, id: PipeId) -> Option<u64> {
        self.get_mut(id)?.await_pace()
    }

    /// See `PipeEnd::pace_waited`.
    pub fn pace_waited(&mut self, id: PipeId, seen: u64) {
        if let Some(end) = self.get_mut(id) {
            end.pace_waited(seen);
        }
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the pipe's peer has gone away.
    pub fn is_peer_gone(&self, id: PipeId) -> bool {
        self.get(id).is_none_or(PipeEnd::is_peer_gone)
    }

    /// The routing id the peer announced, if any.
    pub fn peer_routing_id(&self, id: PipeId) -> Option<&Bytes> {
        self.get(id)?.peer_routing_id()
    }

    pub fn mark_dead(&mut self, id: PipeId) {
        if !self.dead.contains(&id) {
            self.dead.push(id);
        }
    }

    /// Whether some pipe was found dead since the last `take_dead`.
    #[inline]
    pub fn has_dead(&self) -> bool {
        !self.dead.is_empty()
    }

    /// Pipes found dead since the last call.
    pub fn take_dead(&mut self) -> Vec<PipeId> {
        std::mem::take(&mut self.dead)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::Read;

    fn table_of(count: usize) -> (Pipes, Vec<PipeId>, Vec<PipeEnd>) {
        let mut pipes = Pipes::default();
        let (mut ids, mut peers) = (Vec::new(), Vec::new());
        for _ in 0..count {
            let (ours, theirs) = PipeEnd::pair(0, 0);
            ids.push(ours.id());
            pipes.insert(ours);
            peers.push(theirs);
        }
        (pipes, ids, peers)
    }

    fn body(peer: &mut PipeEnd) -> Option<Vec<u8>> {
        match peer.read() {
            Read::Msg(msg) => Some(msg.data().to_vec()),
            _ => None,
        }
    }

    #[test]
    fn writes_reach_the_pipe_named_whatever_was_used_before() {
        let (mut pipes, ids, mut peers) = table_of(3);
        for (n, &id) in [2, 0, 0, 1, 2].iter().map(|&n| (n, &ids[n])) {
            pipes.write(id, Msg::from_slice(&[n as u8]).unwrap());
            assert_eq!(body(&mut peers[n]), Some(vec![n as u8]));
        }
    }

    #[test]
    fn removing_a_pipe_keeps_the_others_reachable() {
        let (mut pipes, ids, mut peers) = table_of(3);
        pipes.write(ids[2], Msg::from_slice(b"warm").unwrap());
        assert_eq!(body(&mut peers[2]).as_deref(), Some(&b"warm"[..]));
        // Removing the first moves the last into its place (and under the remembered position).
        assert_eq!(pipes.remove(ids[0]).map(|end| end.id()), Some(ids[0]));
        assert!(!pipes.contains(ids[0]));
        assert!(!pipes.check_write(ids[0]));
        for n in [1, 2] {
            pipes.write(ids[n], Msg::from_slice(&[n as u8]).unwrap());
            assert_eq!(body(&mut peers[n]), Some(vec![n as u8]));
        }
        let mut left = pipes.ids();
        left.sort_unstable();
        assert_eq!(left, vec![ids[1], ids[2]]);
        assert!(pipes.remove(ids[0]).is_none());
    }
}
