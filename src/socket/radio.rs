//! RADIO (draft, thread-safe): sends single-part messages, each tagged with a group
//! (`zmq_msg_set_group`), to its DISH peers. On every pipe a message travels as two frames, the
//! group (with MORE) and the body, which is also how libzmq's RADIO puts it on the ZMTP wire, so
//! one encoding serves inproc and the network.
//!
//! Filtering: each DISH filters what it receives by its own joined groups (as libzmq's DISH does,
//! since UDP radios send everything). The JOIN/LEAVE commands DISHes send are drained here but
//! not used to filter yet: over TCP the ZMTP layer does not pass them up, so a RADIO could not
//! tell "joined nothing" from "joins not heard"; every message therefore goes to every peer.

use std::ffi::c_int;

use crate::constants::ZMQ_XPUB_NODROP;
use crate::error::{Errno, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::dist::Dist;
use crate::socket::pattern::{cannot_recv, int_value, Pattern, SendError};
use crate::socket::pipes::Pipes;

pub struct Radio {
    dist: Dist,
    /// Peers at their high-water mark miss messages (the default); ZMQ_XPUB_NODROP makes the
    /// send fail with EAGAIN instead, as libzmq's RADIO does.
    lossy: bool,
}

impl Default for Radio {
    fn default() -> Self {
        Self { dist: Dist::default(), lossy: true }
    }
}

impl Radio {
    /// Reads and drops what DISHes sent (JOIN/LEAVE), so their pipes never fill.
    fn drain(&mut self, pipes: &mut Pipes) {
        for &pipe in self.dist.pipes() {
            while pipes.read(pipe).is_some() {}
        }
    }
}

impl Pattern for Radio {
    fn attach(&mut self, pipe: PipeId, _pipes: &mut Pipes) {
        self.dist.attach(pipe);
    }
    fn terminated(&mut self, pipe: PipeId) {
        self.dist.terminated(pipe);
    }
    fn read_activated(&mut self, _pipe: PipeId) {}
    fn write_activated(&mut self, _pipe: PipeId) {}
    fn send(&mut self, msg: Msg, pipes: &mut Pipes) -> std::result::Result<(), SendError> {
        if msg.more() {
            return Err((Errno::EINVAL, msg));
        }
        self.drain(pipes);
        if !self.has_out(pipes) {
            return Err((Errno::EAGAIN, msg));
        }
        let mut group = match Msg::from_slice(msg.group().to_bytes()) {
            Ok(group) => group,
            Err(errno) => return Err((errno, msg)),
        };
        group.set_more(true);
        self.dist.send_to_all(group, pipes);
        self.dist.send_to_all(msg, pipes);
        Ok(())
    }
    fn recv(&mut self, _pipes: &mut Pipes) -> Result<Msg> {
        cannot_recv()
    }
    fn has_in(&mut self, _pipes: &mut Pipes) -> bool {
        false
    }
    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        if self.lossy {
            return true;
        }
        self.dist.choose_all();
        self.dist.all_have_room(pipes)
    }
    fn set_option(&mut self, option: c_int, value: &[u8]) -> Result<bool> {
        if option != ZMQ_XPUB_NODROP {
            return Ok(false);
        }
        let value = int_value(value)?;
        if value < 0 {
            return Err(Errno::EINVAL);
        }
        self.lossy = value == 0;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::router::harness::{frame, parts, Harness};

    #[test]
    fn messages_travel_as_group_then_body_and_nodrop_pushes_back() {
        let mut h = Harness::<Radio>::new();
        let mut dish = h.connect_with_hwm(None, 1);
        let mut msg = frame(b"Friends", false);
        msg.set_group(c"TV");
        assert!(h.socket.send(msg, &mut h.pipes).is_ok());
        assert_eq!(dish.recv(), Some(parts(&[b"TV", b"Friends"])));
        assert_eq!(h.socket.send(frame(b"x", true), &mut h.pipes).err().map(|e| e.0), Some(Errno::EINVAL));

        h.option(ZMQ_XPUB_NODROP, 1);
        assert!(h.socket.send(frame(b"one", false), &mut h.pipes).is_ok());
        // The dish has not read: its pipe is at the mark.
        assert_eq!(h.socket.send(frame(b"two", false), &mut h.pipes).err().map(|e| e.0), Some(Errno::EAGAIN));
    }
}
