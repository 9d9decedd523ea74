//! Fair queuing: receives from a set of pipes in turn, one whole message from each, skipping
//! pipes with nothing to read until they are activated again. Used by PULL, DEALER, ROUTER, SUB...
//! The round robin itself is `ActiveSet`, shared with the load balancer.

use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::active_set::ActiveSet;
use crate::socket::pipes::Pipes;

#[derive(Default)]
pub struct FairQueue {
    pipes: ActiveSet,
    /// In the middle of a multipart message from the current pipe.
    more: bool,
}

impl FairQueue {
    pub fn attach(&mut self, pipe: PipeId) {
        self.pipes.add(pipe);
    }

    pub fn terminated(&mut self, pipe: PipeId) {
        if self.pipes.remove(pipe) {
            // The pipe we were reading a multipart message from died: its rest is lost.
            self.more = false;
        }
    }

    pub fn activated(&mut self, pipe: PipeId) {
        self.pipes.activate(pipe);
    }

    /// The next frame, and the pipe it came from.
    pub fn recv(&mut self, pipes: &mut Pipes) -> Option<(Msg, PipeId)> {
        let mut msg = Msg::new();
        let pipe = self.recv_into(pipes, &mut msg)?;
        Some((msg, pipe))
    }

    /// The next frame into `out` (releasing what it held), and the pipe it came from; `None`,
    /// and `out` untouched, when no pipe has one.
    #[inline(always)]
    pub fn recv_into(&mut self, pipes: &mut Pipes, out: &mut Msg) -> Option<PipeId> {
        while let Some(pipe) = self.pipes.current() {
            if pipes.read_into(pipe, out) {
                self.more = out.more();
                if !self.more {
                    self.pipes.advance();
                }
                return Some(pipe);
            }
            // Nothing there: the pipe sleeps until ActivateRead (or is dead and will be removed).
            self.more = false;
            self.pipes.deactivate_current();
        }
        None
    }

    /// Whether some pipe has a message, without taking it.
    pub fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        if self.more {
            return true;
        }
        while let Some(pipe) = self.pipes.current() {
            if pipes.check_read(pipe) {
                return true;
            }
            // Asleep until activated, or dead and about to be removed.
            self.pipes.deactivate_current();
        }
        false
    }
}
