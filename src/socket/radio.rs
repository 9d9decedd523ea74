//! RADIO (draft, thread-safe): sends single-part messages, each tagged with a group
//! (`zmq_msg_set_group`), to its DISH peers. On every pipe a message travels as two frames, the
//! group (with MORE) and the body, which is also how libzmq's RADIO puts it on the ZMTP wire, so
//! one encoding serves inproc and the network.
//!
//! Filtering: each DISH filters what it receives by its own joined groups (as libzmq's DISH does,
//! since UDP radios send everything). The JOIN/LEAVE commands DISHes send are drained here but
//! not used to filter yet: over TCP the ZMTP layer does not pass them up, so a RADIO could not
//! tell "joined nothing" from "joins not heard"; every message therefore goes to every peer.

use crate::error::{Errno, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::dist::Dist;
use crate::socket::pattern::{cannot_recv, Pattern, SendError};
use crate::socket::pipes::Pipes;

#[derive(Default)]
pub struct Radio {
    dist: Dist,
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
    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        true
    }
}
