//! SERVER and PEER (draft, thread-safe; PEER differs only on the wire and by zmq_connect_peer): single-part messages; each peer gets a non-zero 32-bit routing id
//! when it attaches, received messages carry it (`zmq_msg_routing_id`) and a message sent goes to
//! the peer its routing id names (EHOSTUNREACH when none does). A multipart send is EINVAL.
//! Thread safety is the C layer's business (`capi/sockets.rs`), not this file's.

use std::collections::{HashMap, VecDeque};

use crate::error::{Errno, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::client::recv_single;
use crate::socket::fq::FairQueue;
use crate::socket::pattern::{Pattern, SendError};
use crate::socket::pipes::{PipeMap, Pipes};

pub struct Server {
    fq: FairQueue,
    /// ZMQ_DISCONNECT_MSG messages of peers that left, delivered before anything newer.
    farewells: VecDeque<Msg>,
    pipes_by_id: HashMap<u32, PipeId>,
    ids_by_pipe: PipeMap<u32>,
    next_id: u32,
}

impl Default for Server {
    fn default() -> Self {
        // libzmq starts at a random id so ids are not reused across socket instances.
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |elapsed| elapsed.subsec_nanos() ^ (elapsed.as_secs() as u32));
        Self {
            fq: FairQueue::default(),
            farewells: VecDeque::new(),
            pipes_by_id: HashMap::new(),
            ids_by_pipe: PipeMap::default(),
            next_id: start,
        }
    }
}

impl Server {
    fn generate_id(&mut self) -> u32 {
        loop {
            self.next_id = self.next_id.wrapping_add(1);
            if self.next_id != 0 && !self.pipes_by_id.contains_key(&self.next_id) {
                return self.next_id;
            }
        }
    }
}

impl Pattern for Server {
    fn attach(&mut self, pipe: PipeId, _pipes: &mut Pipes) {
        let id = self.generate_id();
        self.pipes_by_id.insert(id, pipe);
        self.ids_by_pipe.insert(pipe, id);
        self.fq.attach(pipe);
    }
    fn terminated(&mut self, pipe: PipeId) {
        if let Some(id) = self.ids_by_pipe.remove(&pipe) {
            self.pipes_by_id.remove(&id);
        }
        self.fq.terminated(pipe);
    }
    fn read_activated(&mut self, pipe: PipeId) {
        self.fq.activated(pipe);
    }
    fn write_activated(&mut self, _pipe: PipeId) {}
    fn send(&mut self, mut msg: Msg, pipes: &mut Pipes) -> std::result::Result<(), SendError> {
        if msg.more() {
            return Err((Errno::EINVAL, msg));
        }
        let Some(&pipe) = self.pipes_by_id.get(&msg.routing_id()) else {
            return Err((Errno(libc::EHOSTUNREACH), msg));
        };
        if !pipes.check_write(pipe) {
            return Err((Errno::EAGAIN, msg));
        }
        msg.reset_routing_id();
        pipes.write(pipe, msg);
        Ok(())
    }
    fn disconnected(&mut self, pipe: PipeId, mut msg: Msg) {
        // Whatever that peer still had queued was read before its pipe could die.
        if let Some(&id) = self.ids_by_pipe.get(&pipe) {
            if msg.set_routing_id(id).is_ok() {
                self.farewells.push_back(msg);
            }
        }
    }
    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        if let Some(msg) = self.farewells.pop_front() {
            return Ok(msg);
        }
        let (mut msg, pipe) = recv_single(&mut self.fq, pipes).ok_or(Errno::EAGAIN)?;
        if let Some(&id) = self.ids_by_pipe.get(&pipe) {
            msg.set_routing_id(id)?;
        }
        Ok(msg)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        !self.farewells.is_empty() || self.fq.has_in(pipes)
    }
    fn peer_routing_id(&self, pipe: PipeId) -> Option<u32> {
        self.ids_by_pipe.get(&pipe).copied()
    }
    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        // Where a message goes depends on the message: the socket is always writable.
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::router::harness::{frame, parts, Harness};

    #[test]
    fn replies_go_to_the_peer_the_routing_id_names() {
        let mut h = Harness::<Server>::new();
        let mut a = h.connect(None);
        let mut b = h.connect(None);
        b.send(&[b"from b"]);
        let msg = h.recv_frame().unwrap();
        assert_eq!(msg.data(), b"from b");
        let id = msg.routing_id();
        assert_ne!(id, 0);

        let mut reply = frame(b"to b", false);
        reply.set_routing_id(id).unwrap();
        assert!(h.socket.send(reply, &mut h.pipes).is_ok());
        assert_eq!(b.recv(), Some(parts(&[b"to b"])));
        assert_eq!(a.recv(), None);

        let mut nowhere = frame(b"x", false);
        nowhere.set_routing_id(id.wrapping_add(1000)).unwrap();
        assert_eq!(h.socket.send(nowhere, &mut h.pipes).err().map(|e| e.0), Some(Errno(libc::EHOSTUNREACH)));
        assert_eq!(h.socket.send(frame(b"x", true), &mut h.pipes).err().map(|e| e.0), Some(Errno::EINVAL));
    }

    #[test]
    fn multipart_input_is_dropped_whole_and_farewells_carry_the_id() {
        let mut h = Harness::<Server>::new();
        let mut a = h.connect(None);
        a.send(&[b"one", b"two"]);
        a.send(&[b"single"]);
        let msg = h.recv_frame().unwrap();
        assert_eq!(msg.data(), b"single");
        let id = msg.routing_id();
        h.socket.disconnected(a.pipe, Msg::from_slice(b"bye").unwrap());
        let farewell = h.recv_frame().unwrap();
        assert_eq!((farewell.data(), farewell.routing_id()), (&b"bye"[..], id));
    }
}
