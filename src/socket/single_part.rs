//! The draft single-part types that are a classic type restricted to one-frame messages:
//! SCATTER (PUSH), GATHER (PULL) and CHANNEL (PAIR). A send with ZMQ_SNDMORE is EINVAL and
//! multipart messages from a misbehaving peer are dropped whole, as libzmq does. Routing stays the
//! wrapped type's; thread safety is the C layer's business (`capi/sockets.rs`).

use std::ffi::c_int;

use crate::error::{Errno, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::pair::Pair;
use crate::socket::pattern::{Pattern, SendError};
use crate::socket::pipes::Pipes;
use crate::socket::pull::Pull;
use crate::socket::push::Push;

#[derive(Default)]
pub struct SinglePart<P> {
    inner: P,
}

pub type Scatter = SinglePart<Push>;
pub type Gather = SinglePart<Pull>;
pub type Channel = SinglePart<Pair>;

impl<P: Pattern> Pattern for SinglePart<P> {
    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.inner.attach(pipe, pipes);
    }
    fn attach_connected(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.inner.attach_connected(pipe, pipes);
    }
    fn terminated(&mut self, pipe: PipeId) {
        self.inner.terminated(pipe);
    }
    fn read_activated(&mut self, pipe: PipeId) {
        self.inner.read_activated(pipe);
    }
    fn write_activated(&mut self, pipe: PipeId) {
        self.inner.write_activated(pipe);
    }
    fn send(&mut self, msg: Msg, pipes: &mut Pipes) -> std::result::Result<(), SendError> {
        if msg.more() {
            return Err((Errno::EINVAL, msg));
        }
        self.inner.send(msg, pipes)
    }
    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        loop {
            let msg = self.inner.recv(pipes)?;
            if !msg.more() {
                return Ok(msg);
            }
            // Whole messages are published at once, so the rest is there to be dropped.
            while self.inner.recv(pipes)?.more() {}
        }
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.inner.has_in(pipes)
    }
    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.inner.has_out(pipes)
    }
    fn set_option(&mut self, option: c_int, value: &[u8]) -> Result<bool> {
        self.inner.set_option(option, value)
    }
    fn get_option(&self, option: c_int, out: &mut [u8]) -> Result<Option<usize>> {
        self.inner.get_option(option, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::router::harness::{frame, Harness};

    #[test]
    fn multipart_is_refused_out_and_dropped_in() {
        let mut h = Harness::<Gather>::new();
        let mut peer = h.connect(None);
        peer.send(&[b"a", b"b"]);
        peer.send(&[b"c"]);
        assert_eq!(h.recv_frame().unwrap().data(), b"c");

        let mut scatter = Harness::<Scatter>::new();
        let _peer = scatter.connect(None);
        let refused = scatter.socket.send(frame(b"x", true), &mut scatter.pipes);
        assert_eq!(refused.err().map(|e| e.0), Some(Errno::EINVAL));
    }
}
