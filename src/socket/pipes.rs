//! The pipe ends a socket owns, keyed by id. Socket types address pipes through this table and
//! never own them: the socket base attaches and removes them. A pipe found closed while reading
//! is recorded as dead; the base removes dead pipes after each socket-type call and tells the
//! type, so a type never has to handle removal in the middle of its own iteration.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use bytes::Bytes;

use crate::msg::Msg;
use crate::pipe::{PipeEnd, PipeId, Read, Readiness};

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

type PipeMap<V> = HashMap<PipeId, V, BuildHasherDefault<PipeIdHasher>>;

#[derive(Default)]
pub struct Pipes {
    ends: PipeMap<PipeEnd>,
    dead: Vec<PipeId>,
}

impl Pipes {
    pub fn insert(&mut self, end: PipeEnd) {
        self.ends.insert(end.id(), end);
    }

    pub fn remove(&mut self, id: PipeId) -> Option<PipeEnd> {
        self.ends.remove(&id)
    }

    pub fn contains(&self, id: PipeId) -> bool {
        self.ends.contains_key(&id)
    }

    pub fn ids(&self) -> Vec<PipeId> {
        self.ends.keys().copied().collect()
    }

    pub fn ends(&self) -> impl Iterator<Item = &PipeEnd> {
        self.ends.values()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The next frame from `id`; `None` when it has nothing now or is closed (then it is recorded
    /// as dead).
    pub fn read(&mut self, id: PipeId) -> Option<Msg> {
        match self.ends.get_mut(&id)?.read() {
            Read::Msg(msg) => Some(msg),
            Read::Empty => None,
            Read::Closed => {
                self.mark_dead(id);
                None
            }
        }
    }

    /// Whether `id` has a frame to read now. When it has none it is marked asleep (it will be
    /// activated) or, if closed, recorded as dead.
    pub fn check_read(&mut self, id: PipeId) -> bool {
        let Some(end) = self.ends.get_mut(&id) else { return false };
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
    pub fn check_write(&mut self, id: PipeId) -> bool {
        self.ends.get_mut(&id).is_some_and(PipeEnd::check_write)
    }

    /// Queues a frame on `id` and, at the end of a message, makes it visible. A frame for a pipe
    /// that is gone is dropped, as libzmq drops the rest of a message whose peer vanished.
    pub fn write(&mut self, id: PipeId, msg: Msg) {
        if let Some(end) = self.ends.get_mut(&id) {
            let last = !msg.more();
            end.write(msg);
            if last {
                end.flush();
            }
        }
    }

    /// Whether the pipe's peer has gone away.
    pub fn is_peer_gone(&self, id: PipeId) -> bool {
        self.ends.get(&id).is_none_or(PipeEnd::is_peer_gone)
    }

    /// The routing id the peer announced, if any.
    pub fn peer_routing_id(&self, id: PipeId) -> Option<&Bytes> {
        self.ends.get(&id)?.peer_routing_id()
    }

    pub fn mark_dead(&mut self, id: PipeId) {
        if !self.dead.contains(&id) {
            self.dead.push(id);
        }
    }

    /// Pipes found dead since the last call.
    pub fn take_dead(&mut self) -> Vec<PipeId> {
        std::mem::take(&mut self.dead)
    }
}
