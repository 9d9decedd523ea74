//! DGRAM (draft): addressed UDP datagrams over its one udp:// endpoint (bind only). Every
//! message is two frames, the peer's "ip:port" then the body, both ways; a send that is not
//! exactly that is EINVAL. The pipe bookkeeping is PAIR's (one pipe: the udp pump).

use crate::error::{Errno, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::pair::Pair;
use crate::socket::pattern::{Pattern, SendError};
use crate::socket::pipes::Pipes;

#[derive(Default)]
pub struct Dgram {
    pair: Pair,
    /// The address frame went out: the body comes next.
    more_out: bool,
}

impl Pattern for Dgram {
    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.pair.attach(pipe, pipes);
    }
    fn terminated(&mut self, pipe: PipeId) {
        self.pair.terminated(pipe);
    }
    fn read_activated(&mut self, pipe: PipeId) {
        self.pair.read_activated(pipe);
    }
    fn write_activated(&mut self, pipe: PipeId) {
        self.pair.write_activated(pipe);
    }
    fn send(&mut self, msg: Msg, pipes: &mut Pipes) -> std::result::Result<(), SendError> {
        // The address must have MORE, the body must not.
        if msg.more() == self.more_out {
            return Err((Errno::EINVAL, msg));
        }
        let more = msg.more();
        self.pair.send(msg, pipes)?;
        self.more_out = more;
        Ok(())
    }
    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        self.pair.recv(pipes)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.pair.has_in(pipes)
    }
    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.pair.has_out(pipes)
    }
}
