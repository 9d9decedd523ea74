//! PAIR: exactly one peer. A second connection is refused (its pipe is dropped), as in libzmq.

use crate::error::{Errno, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::pattern::{Pattern, SendError};
use crate::socket::pipes::Pipes;

#[derive(Default)]
pub struct Pair {
    pipe: Option<PipeId>,
    readable: bool,
    writable: bool,
}

impl Pattern for Pair {
    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        if self.pipe.is_some() {
            pipes.mark_dead(pipe);
            return;
        }
        self.pipe = Some(pipe);
        self.readable = true;
        self.writable = true;
    }

    fn terminated(&mut self, pipe: PipeId) {
        if self.pipe == Some(pipe) {
            self.pipe = None;
        }
    }

    fn read_activated(&mut self, pipe: PipeId) {
        self.readable |= self.pipe == Some(pipe);
    }

    fn write_activated(&mut self, pipe: PipeId) {
        self.writable |= self.pipe == Some(pipe);
    }

    fn send(&mut self, msg: Msg, pipes: &mut Pipes) -> std::result::Result<(), SendError> {
        if !self.has_out(pipes) {
            return Err((Errno::EAGAIN, msg));
        }
        pipes.write(self.pipe.expect("has_out"), msg);
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        let mut msg = Msg::new();
        self.recv_into(&mut msg, pipes)?;
        Ok(msg)
    }

    fn recv_into(&mut self, out: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        self.readable = self.readable && self.pipe.is_some_and(|pipe| pipes.read_into(pipe, out));
        if self.readable {
            Ok(())
        } else {
            Err(Errno::EAGAIN)
        }
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.readable = self.readable && self.pipe.is_some_and(|pipe| pipes.check_read(pipe));
        self.readable
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.writable = self.writable && self.pipe.is_some_and(|pipe| pipes.check_write(pipe));
        self.writable
    }
}
