//! SUB: an XSUB whose subscriptions are options (ZMQ_SUBSCRIBE, ZMQ_UNSUBSCRIBE) rather than
//! messages, which receives only the messages its topics match, and which cannot send.

use std::ffi::c_int;

use crate::constants::{ZMQ_INVERT_MATCHING, ZMQ_SUBSCRIBE, ZMQ_UNSUBSCRIBE};
use crate::error::Result;
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::pattern::{cannot_send, Pattern, SendError};
use crate::socket::pipes::Pipes;
use crate::socket::xsub::{subscription_msg, Xsub};

pub struct Sub {
    xsub: Xsub,
}

impl Default for Sub {
    fn default() -> Self {
        Self { xsub: Xsub::filtering() }
    }
}

impl Pattern for Sub {
    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.xsub.attach(pipe, pipes);
    }

    fn terminated(&mut self, pipe: PipeId) {
        self.xsub.terminated(pipe);
    }

    fn read_activated(&mut self, pipe: PipeId) {
        self.xsub.read_activated(pipe);
    }

    fn write_activated(&mut self, pipe: PipeId) {
        self.xsub.write_activated(pipe);
    }

    fn send(&mut self, msg: Msg, _pipes: &mut Pipes) -> std::result::Result<(), SendError> {
        cannot_send(msg)
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        self.xsub.recv(pipes)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.xsub.has_in(pipes)
    }

    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        false
    }

    /// SUB takes only its subscriptions and ZMQ_INVERT_MATCHING: unlike XSUB it refuses
    /// ZMQ_ONLY_FIRST_SUBSCRIBE and ZMQ_XSUB_VERBOSE_UNSUBSCRIBE, as libzmq's SUB does.
    fn set_option(&mut self, option: c_int, value: &[u8]) -> Result<bool> {
        match option {
            ZMQ_INVERT_MATCHING => self.xsub.set_option(option, value),
            _ => Ok(false),
        }
    }

    fn set_option_with_pipes(&mut self, option: c_int, value: &[u8], pipes: &mut Pipes) -> Result<bool> {
        match option {
            // Any bytes are a topic, the empty one included (it matches everything).
            ZMQ_SUBSCRIBE | ZMQ_UNSUBSCRIBE => {
                self.xsub.send_frame(subscription_msg(option == ZMQ_SUBSCRIBE, value), pipes);
                Ok(true)
            }
            _ => self.set_option(option, value),
        }
    }

    fn get_option(&self, option: c_int, out: &mut [u8]) -> Result<Option<usize>> {
        self.xsub.get_option(option, out)
    }
}
