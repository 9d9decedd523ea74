//! DEALER: load-balances outgoing and fair-queues incoming messages, no envelopes.
//! `ZMQ_PROBE_ROUTER` sends an empty message to each new peer.

use std::ffi::c_int;

use crate::constants::ZMQ_PROBE_ROUTER;
use crate::error::{Errno, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::fq::FairQueue;
use crate::socket::lb::LoadBalancer;
use crate::socket::pattern::{int_value, Pattern, SendError};
use crate::socket::pipes::Pipes;

#[derive(Default)]
pub struct Dealer {
    fq: FairQueue,
    lb: LoadBalancer,
    probe_router: bool,
}

impl Pattern for Dealer {
    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        if self.probe_router {
            pipes.write(pipe, Msg::new());
        }
        self.fq.attach(pipe);
        self.lb.attach(pipe);
    }
    fn terminated(&mut self, pipe: PipeId) {
        self.fq.terminated(pipe);
        self.lb.terminated(pipe);
    }
    fn read_activated(&mut self, pipe: PipeId) {
        self.fq.activated(pipe);
    }
    fn write_activated(&mut self, pipe: PipeId) {
        self.lb.activated(pipe);
    }
    fn send(&mut self, msg: Msg, pipes: &mut Pipes) -> std::result::Result<(), SendError> {
        self.lb.send(msg, pipes)
    }
    fn send_from(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        self.lb.send_from(msg, pipes).map(|_| ())
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
    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.lb.has_out(pipes)
    }
    fn set_option(&mut self, option: c_int, value: &[u8]) -> Result<bool> {
        if option != ZMQ_PROBE_ROUTER {
            return Ok(false);
        }
        let value = int_value(value)?;
        if value < 0 {
            return Err(Errno::EINVAL);
        }
        self.probe_router = value != 0;
        Ok(true)
    }
}
