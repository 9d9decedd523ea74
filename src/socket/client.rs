//! CLIENT (draft, thread-safe): single-part messages only, load-balanced out and fair-queued in
//! like DEALER. A multipart send is EINVAL; multipart messages from a misbehaving peer are
//! dropped whole. Thread safety is the C layer's business (`capi/sockets.rs`), not this file's.

use crate::error::{Errno, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::fq::FairQueue;
use crate::socket::lb::LoadBalancer;
use crate::socket::pattern::{Pattern, SendError};
use crate::socket::pipes::Pipes;

#[derive(Default)]
pub struct Client {
    fq: FairQueue,
    lb: LoadBalancer,
}

/// Reads the next single-part message from `fq`, dropping multipart ones whole.
pub(crate) fn recv_single(fq: &mut FairQueue, pipes: &mut Pipes) -> Option<(Msg, PipeId)> {
    loop {
        let (msg, pipe) = fq.recv(pipes)?;
        if !msg.more() {
            return Some((msg, pipe));
        }
        // A multipart message: drop it to its last frame, then look again.
        while let Some((rest, _)) = fq.recv(pipes) {
            if !rest.more() {
                break;
            }
        }
    }
}

impl Pattern for Client {
    fn attach(&mut self, pipe: PipeId, _pipes: &mut Pipes) {
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
    fn send(&mut self, mut msg: Msg, pipes: &mut Pipes) -> std::result::Result<(), SendError> {
        self.send_from(&mut msg, pipes).map_err(|errno| (errno, msg))
    }
    fn send_from(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        if msg.more() {
            return Err(Errno::EINVAL);
        }
        self.lb.send_from(msg, pipes).map(|_| ())
    }
    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        recv_single(&mut self.fq, pipes).map(|(msg, _)| msg).ok_or(Errno::EAGAIN)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.fq.has_in(pipes)
    }
    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.lb.has_out(pipes)
    }
}
