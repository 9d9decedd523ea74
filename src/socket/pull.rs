//! PULL: fair-queues messages from its peers; cannot send.

use crate::error::{Errno, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::fq::FairQueue;
use crate::socket::pattern::{cannot_send, Pattern, SendError};
use crate::socket::pipes::Pipes;

#[derive(Default)]
pub struct Pull {
    fq: FairQueue,
}

impl Pattern for Pull {
    fn attach(&mut self, pipe: PipeId, _pipes: &mut Pipes) {
        self.fq.attach(pipe);
    }
    fn terminated(&mut self, pipe: PipeId) {
        self.fq.terminated(pipe);
    }
    fn read_activated(&mut self, pipe: PipeId) {
        self.fq.activated(pipe);
    }
    fn write_activated(&mut self, _pipe: PipeId) {}
    fn send(&mut self, msg: Msg, _pipes: &mut Pipes) -> std::result::Result<(), SendError> {
        cannot_send(msg)
    }
    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        self.fq.recv(pipes).map(|(msg, _)| msg).ok_or(Errno::EAGAIN)
    }
    fn recv_into(&mut self, out: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        self.fq.recv_into(pipes, out).map(|_| ()).ok_or(Errno::EAGAIN)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.fq.has_in(pipes)
    }
    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        false
    }
}
