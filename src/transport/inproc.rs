//! The inproc transport's registry: which socket is bound to which name, and connections made
//! before their name was bound. One per context, behind the context's lock; it only hands pipe
//! ends over, the data itself goes straight from socket to socket through the pipe.
//!
//! High-water marks of an inproc pipe add up both sides' limits (the sender's SNDHWM plus the
//! receiver's RCVHWM), and either side asking for no limit (0) means none. A connection made
//! before the bind knows only the connecting side, so it starts with that side's limit and is
//! re-limited when the bind attaches it.

use std::collections::HashMap;
use std::ffi::c_int;
use std::sync::Arc;

use bytes::Bytes;

use crate::error::{Errno, Result};
use crate::mailbox::Mailbox;
use crate::msg::Msg;
use crate::pipe::PipeEnd;

/// What one side of an inproc connection contributes.
#[derive(Clone)]
pub struct Peer {
    pub mailbox: Arc<Mailbox>,
    pub socket_id: u64,
    pub sndhwm: c_int,
    pub rcvhwm: c_int,
    /// The routing id this socket announces (ZMQ_ROUTING_ID), if set.
    pub routing_id: Option<Bytes>,
    /// The ZMQ_HELLO_MSG this socket puts first on each new connection, if any.
    pub hello: Option<Bytes>,
}

/// The high-water mark of messages from `sender` to `receiver`.
pub fn combined_hwm(sender_sndhwm: c_int, receiver_rcvhwm: c_int) -> u64 {
    if sender_sndhwm <= 0 || receiver_rcvhwm <= 0 {
        0
    } else {
        sender_sndhwm as u64 + receiver_rcvhwm as u64
    }
}

/// A connection waiting for its name to be bound: the binder's future end, and who connected.
struct Pending {
    end: PipeEnd,
    connecter: Peer,
}

#[derive(Default)]
pub struct InprocRegistry {
    bound: HashMap<String, Peer>,
    pending: HashMap<String, Vec<Pending>>,
}

impl InprocRegistry {
    /// Binds `name` to `binder` and returns the pipe ends of connections that were waiting for
    /// it, already re-limited and registered to the binder. EADDRINUSE if the name is taken.
    pub fn bind(&mut self, name: &str, binder: Peer) -> Result<Vec<PipeEnd>> {
        if self.bound.contains_key(name) {
            return Err(Errno(libc::EADDRINUSE));
        }
        let waiting = self.pending.remove(name).unwrap_or_default();
        let ends = waiting
            .into_iter()
            .map(|Pending { mut end, connecter }| {
                end.set_peer_hwms(connecter.sndhwm, connecter.rcvhwm);
                end.set_hwms(
                    combined_hwm(binder.sndhwm, connecter.rcvhwm),
                    combined_hwm(connecter.sndhwm, binder.rcvhwm),
                );
                end.attach(&binder.mailbox, binder.routing_id.clone());
                end
            })
            .collect();
        self.bound.insert(name.to_owned(), binder);
        Ok(ends)
    }

    /// Connects `connecter` to `name`. Returns the connecter's end of the new pipe (registered
    /// to the connecter). If the name is bound, the binder receives its end as an `Attach`
    /// command; otherwise that end waits here for the bind.
    pub fn connect(&mut self, name: &str, connecter: Peer) -> PipeEnd {
        match self.bound.get(name) {
            Some(binder) => {
                let (mut mine, mut theirs) = PipeEnd::pair(
                    combined_hwm(connecter.sndhwm, binder.rcvhwm),
                    combined_hwm(binder.sndhwm, connecter.rcvhwm),
                );
                mine.set_peer_hwms(binder.sndhwm, binder.rcvhwm);
                theirs.set_peer_hwms(connecter.sndhwm, connecter.rcvhwm);
                mine.attach(&connecter.mailbox, connecter.routing_id.clone());
                theirs.attach(&binder.mailbox, binder.routing_id.clone());
                if let Some(Ok(hello)) = binder.hello.as_deref().map(Msg::from_slice) {
                    // The binder's hello goes out now, not when its thread next runs (libzmq).
                    theirs.write(hello);
                    theirs.flush();
                }
                binder.mailbox.send(crate::command::Command::Attach { end: theirs });
                mine
            }
            None => {
                let limit = |hwm: c_int| if hwm <= 0 { 0 } else { hwm as u64 };
                let (mine, theirs) = PipeEnd::pair(limit(connecter.sndhwm), limit(connecter.rcvhwm));
                mine.attach(&connecter.mailbox, connecter.routing_id.clone());
                self.pending.entry(name.to_owned()).or_default().push(Pending { end: theirs, connecter });
                mine
            }
        }
    }

    /// Whether a socket is bound at `name` (the ZAP client connects only then, as libzmq does).
    pub fn is_bound(&self, name: &str) -> bool {
        self.bound.contains_key(name)
    }

    /// Releases `name` if `socket_id` holds it; ENOENT otherwise.
    pub fn unbind(&mut self, name: &str, socket_id: u64) -> Result<()> {
        match self.bound.get(name) {
            Some(peer) if peer.socket_id == socket_id => {
                self.bound.remove(name);
                Ok(())
            }
            _ => Err(Errno(libc::ENOENT)),
        }
    }

    /// Releases every name `socket_id` holds (the socket is closing).
    pub fn unbind_all(&mut self, socket_id: u64) {
        self.bound.retain(|_, peer| peer.socket_id != socket_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Command;

    fn peer(socket_id: u64, sndhwm: c_int, rcvhwm: c_int) -> Peer {
        Peer {
            mailbox: Arc::new(Mailbox::new().unwrap()),
            socket_id,
            sndhwm,
            rcvhwm,
            routing_id: None,
            hello: None,
        }
    }

    #[test]
    fn hwm_adds_both_sides_and_zero_means_unlimited() {
        assert_eq!(combined_hwm(1000, 1000), 2000);
        assert_eq!(combined_hwm(0, 5), 0);
        assert_eq!(combined_hwm(5, 0), 0);
    }

    #[test]
    fn binding_a_taken_name_fails_with_eaddrinuse() {
        let mut registry = InprocRegistry::default();
        registry.bind("a", peer(1, 1, 1)).unwrap();
        assert_eq!(registry.bind("a", peer(2, 1, 1)).err(), Some(Errno(libc::EADDRINUSE)));
    }

    #[test]
    fn connect_to_bound_name_sends_the_binder_its_end() {
        let mut registry = InprocRegistry::default();
        let binder = peer(1, 1, 1);
        registry.bind("a", binder.clone()).unwrap();
        registry.connect("a", peer(2, 1, 1));
        assert!(matches!(binder.mailbox.take_all().pop_front(), Some(Command::Attach { .. })));
    }

    #[test]
    fn connect_before_bind_waits_and_is_handed_over_on_bind() {
        let mut registry = InprocRegistry::default();
        registry.connect("a", peer(2, 1, 1));
        let ends = registry.bind("a", peer(1, 1, 1)).unwrap();
        assert_eq!(ends.len(), 1);
    }

    #[test]
    fn only_the_owner_can_unbind() {
        let mut registry = InprocRegistry::default();
        registry.bind("a", peer(1, 1, 1)).unwrap();
        assert_eq!(registry.unbind("a", 2), Err(Errno(libc::ENOENT)));
        registry.unbind("a", 1).unwrap();
        registry.bind("a", peer(2, 1, 1)).unwrap();
    }
}
