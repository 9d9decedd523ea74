//! Load balancing: sends each whole message to the next pipe that has room, round robin. A
//! multipart message stays on the pipe its first frame went to. Pipes at their high-water mark
//! (or whose peer left) sleep until `ActivateWrite`. Used by PUSH, DEALER, REQ...

use crate::error::Errno;
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::active_set::ActiveSet;
use crate::socket::pattern::SendError;
use crate::socket::pipes::Pipes;

#[derive(Default)]
pub struct LoadBalancer {
    pipes: ActiveSet,
    /// Where the rest of the current multipart message goes; `None` between messages.
    sending_to: Option<PipeId>,
    /// The pipe of the current multipart message died: drop the rest of the message.
    dropping: bool,
}

impl LoadBalancer {
    pub fn attach(&mut self, pipe: PipeId) {
        self.pipes.add(pipe);
    }

    pub fn terminated(&mut self, pipe: PipeId) {
        if self.sending_to == Some(pipe) {
            self.sending_to = None;
            self.dropping = true;
        }
        self.pipes.remove(pipe);
    }

    pub fn activated(&mut self, pipe: PipeId) {
        self.pipes.activate(pipe);
    }

    /// Sends one frame; EAGAIN (message returned) when no pipe has room.
    #[inline(always)]
    pub fn send(&mut self, msg: Msg, pipes: &mut Pipes) -> Result<(), SendError> {
        self.send_to(msg, pipes).map(|_| ())
    }

    /// Like `send`, also telling which pipe took the frame (`None`: dropped).
    #[inline(always)]
    pub fn send_to(&mut self, mut msg: Msg, pipes: &mut Pipes) -> Result<Option<PipeId>, SendError> {
        self.send_from(&mut msg, pipes).map_err(|errno| (errno, msg))
    }

    /// [`LoadBalancer::send_to`] from where the frame lies: taken out of `msg` (left empty)
    /// only once a pipe has room, so it is moved once, straight into the pipe; on EAGAIN `msg`
    /// is untouched.
    #[inline(always)]
    pub fn send_from(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<Option<PipeId>, Errno> {
        let more = msg.more();
        if self.dropping {
            self.dropping = more;
            drop(std::mem::take(msg));
            return Ok(None);
        }
        let pipe = match self.sending_to {
            Some(pipe) => pipe,
            None => self.next_writable(pipes).ok_or(Errno::EAGAIN)?,
        };
        pipes.write(pipe, std::mem::take(msg));
        if more {
            self.sending_to = Some(pipe);
        } else {
            self.sending_to = None;
            self.pipes.advance();
        }
        Ok(Some(pipe))
    }

    /// Whether some pipe can take a message now.
    pub fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.sending_to.is_some() || self.next_writable(pipes).is_some()
    }

    /// The next pipe with room, putting full ones to sleep on the way.
    #[inline(always)]
    fn next_writable(&mut self, pipes: &mut Pipes) -> Option<PipeId> {
        while let Some(pipe) = self.pipes.current() {
            if pipes.check_write(pipe) {
                return Some(pipe);
            }
            self.pipes.deactivate_current();
        }
        None
    }
}
