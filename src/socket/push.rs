//! PUSH: load-balances messages over its peers; cannot receive.

use crate::error::Result;
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::lb::LoadBalancer;
use crate::socket::pattern::{cannot_recv, Pattern, SendError};
use crate::socket::pipes::Pipes;

#[derive(Default)]
pub struct Push {
    lb: LoadBalancer,
}

impl Pattern for Push {
    fn attach(&mut self, pipe: PipeId, _pipes: &mut Pipes) {
        self.lb.attach(pipe);
    }
    fn terminated(&mut self, pipe: PipeId) {
        self.lb.terminated(pipe);
    }
    fn read_activated(&mut self, _pipe: PipeId) {}
    fn write_activated(&mut self, pipe: PipeId) {
        self.lb.activated(pipe);
    }
    fn send(&mut self, msg: Msg, pipes: &mut Pipes) -> std::result::Result<(), SendError> {
        self.lb.send(msg, pipes)
    }
    fn send_from(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        self.lb.send_from(msg, pipes).map(|_| ())
    }
    fn recv(&mut self, _pipes: &mut Pipes) -> Result<Msg> {
        cannot_recv()
    }
    fn has_in(&mut self, _pipes: &mut Pipes) -> bool {
        false
    }
    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.lb.has_out(pipes)
    }
}
