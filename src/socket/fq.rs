//! Fair queuing: receives from a set of pipes in turn, one whole message from each, skipping
//! pipes with nothing to read until they are activated again. Used by PULL, DEALER, ROUTER, SUB...
//!
//! The pipes `[0, active)` of the list may have data; the rest are asleep. Activation and
//! deactivation swap a pipe across that boundary, so each costs O(1) after the lookup.

use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::pipes::Pipes;

#[derive(Default)]
pub struct FairQueue {
    pipes: Vec<PipeId>,
    active: usize,
    current: usize,
    /// In the middle of a multipart message from `pipes[current]`.
    more: bool,
}

impl FairQueue {
    pub fn attach(&mut self, pipe: PipeId) {
        self.pipes.push(pipe);
        let last = self.pipes.len() - 1;
        self.pipes.swap(self.active, last);
        self.active += 1;
    }

    pub fn terminated(&mut self, pipe: PipeId) {
        let Some(index) = self.pipes.iter().position(|&p| p == pipe) else { return };
        if index < self.active {
            self.active -= 1;
            self.pipes.swap(index, self.active);
            if self.current == self.active {
                self.current = 0;
            }
            if index == self.current {
                // The pipe we were reading a multipart message from died: its rest is lost.
                self.more = false;
            }
        }
        self.pipes.swap_remove(self.pipes.iter().position(|&p| p == pipe).expect("present"));
        if self.current >= self.active {
            self.current = 0;
        }
    }

    pub fn activated(&mut self, pipe: PipeId) {
        let Some(index) = self.pipes.iter().position(|&p| p == pipe) else { return };
        if index >= self.active {
            self.pipes.swap(index, self.active);
            self.active += 1;
        }
    }

    /// The next frame, and the pipe it came from.
    pub fn recv(&mut self, pipes: &mut Pipes) -> Option<(Msg, PipeId)> {
        while self.active > 0 {
            let pipe = self.pipes[self.current];
            if let Some(msg) = pipes.read(pipe) {
                self.more = msg.more();
                if !self.more {
                    self.current = (self.current + 1) % self.active;
                }
                return Some((msg, pipe));
            }
            // Nothing there: the pipe sleeps until ActivateRead (or is dead and will be removed).
            self.more = false;
            self.deactivate_current();
        }
        None
    }

    fn deactivate_current(&mut self) {
        self.active -= 1;
        self.pipes.swap(self.current, self.active);
        if self.current == self.active {
            self.current = 0;
        }
    }

    /// Whether some pipe has a message, without taking it.
    pub fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        if self.more {
            return true;
        }
        while self.active > 0 {
            let pipe = self.pipes[self.current];
            if pipes.check_read(pipe) {
                return true;
            }
            // Asleep until activated, or dead and about to be removed.
            self.deactivate_current();
        }
        false
    }
}
