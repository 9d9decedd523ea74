//! PUB: an XPUB that cannot receive. Subscriptions from its subscribers are applied and then
//! dropped; it takes the XPUB options (ZMQ_XPUB_NODROP, ...) as libzmq's PUB does.

use std::ffi::c_int;

use crate::error::Result;
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::pattern::{cannot_recv, Pattern, SendError};
use crate::socket::pipes::Pipes;
use crate::socket::xpub::Xpub;

pub struct Pub {
    xpub: Xpub,
}

impl Default for Pub {
    fn default() -> Self {
        Self { xpub: Xpub::publisher() }
    }
}

impl Pattern for Pub {
    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.xpub.attach(pipe, pipes);
    }

    fn terminated(&mut self, pipe: PipeId) {
        self.xpub.terminated(pipe);
    }

    fn read_activated(&mut self, pipe: PipeId) {
        self.xpub.read_activated(pipe);
    }

    fn write_activated(&mut self, pipe: PipeId) {
        self.xpub.write_activated(pipe);
    }

    fn send(&mut self, msg: Msg, pipes: &mut Pipes) -> std::result::Result<(), SendError> {
        self.xpub.send(msg, pipes)
    }

    fn recv(&mut self, _pipes: &mut Pipes) -> Result<Msg> {
        cannot_recv()
    }

    fn has_in(&mut self, _pipes: &mut Pipes) -> bool {
        false
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.xpub.has_out(pipes)
    }

    fn set_option(&mut self, option: c_int, value: &[u8]) -> Result<bool> {
        self.xpub.set_option(option, value)
    }

    fn get_option(&self, option: c_int, out: &mut [u8]) -> Result<Option<usize>> {
        self.xpub.get_option(option, out)
    }
}
