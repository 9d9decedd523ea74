//! DISH (draft, thread-safe): receives the messages of the groups it joined (`zmq_join`,
//! `zmq_leave`) from RADIO peers. A message arrives as two frames, group then body (see
//! `radio.rs`), and is handed to the application as one message carrying its group. Joins and
//! leaves go to every peer as JOIN/LEAVE command messages (`zmtp/group_command.rs`), which the
//! encoder puts on the wire as the commands libzmq's RADIO expects; a new peer is told every
//! current group. RADIOs send a peer only the groups it joined, but messages of other groups are
//! still dropped here, as libzmq's DISH does: a udp:// RADIO sends every group, and a message
//! sent before a LEAVE reached the RADIO may arrive after it.

use std::collections::BTreeSet;
use std::ffi::CString;

use crate::error::{Errno, Result};
use crate::msg::{Msg, GROUP_MAX_LENGTH};
use crate::pipe::PipeId;
use crate::socket::fq::FairQueue;
use crate::socket::pattern::{cannot_send, Pattern, SendError};
use crate::socket::pipes::Pipes;
use crate::zmtp::group_command::GroupCommand;

#[derive(Default)]
pub struct Dish {
    fq: FairQueue,
    pipes: Vec<PipeId>,
    groups: BTreeSet<Vec<u8>>,
    /// A matching message found by `has_in`, returned by the next `recv`.
    prefetched: Option<Msg>,
}

impl Dish {
    fn tell_all(&mut self, cmd: GroupCommand, pipes: &mut Pipes) {
        for &pipe in &self.pipes {
            if let Ok(msg) = cmd.to_msg() {
                pipes.write(pipe, msg);
            }
        }
    }

    /// The next message of a joined group, dropping others (and malformed ones) on the way.
    fn next_matching(&mut self, pipes: &mut Pipes) -> Option<Msg> {
        loop {
            let (group, _) = self.fq.recv(pipes)?;
            if !group.more() {
                // A body without its group frame: not a RADIO message.
                continue;
            }
            let (mut body, _) = self.fq.recv(pipes)?;
            let mut whole = !body.more();
            while !whole {
                match self.fq.recv(pipes) {
                    Some((rest, _)) => whole = !rest.more(),
                    None => break,
                }
            }
            if !whole || body.more() || !self.groups.contains(group.data()) {
                continue;
            }
            let name = CString::new(group.data()).ok()?;
            body.set_group(&name);
            return Some(body);
        }
    }
}

impl Pattern for Dish {
    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.fq.attach(pipe);
        self.pipes.push(pipe);
        for group in &self.groups {
            if let Ok(msg) = GroupCommand::Join(group).to_msg() {
                pipes.write(pipe, msg);
            }
        }
    }
    fn terminated(&mut self, pipe: PipeId) {
        self.fq.terminated(pipe);
        self.pipes.retain(|&p| p != pipe);
    }
    fn read_activated(&mut self, pipe: PipeId) {
        self.fq.activated(pipe);
    }
    fn write_activated(&mut self, _pipe: PipeId) {}
    fn send(&mut self, msg: Msg, _pipes: &mut Pipes) -> std::result::Result<(), SendError> {
        cannot_send(msg)
    }
    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        if let Some(msg) = self.prefetched.take() {
            return Ok(msg);
        }
        self.next_matching(pipes).ok_or(Errno::EAGAIN)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        if self.prefetched.is_none() {
            self.prefetched = self.next_matching(pipes);
        }
        self.prefetched.is_some()
    }
    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        false
    }
    fn join(&mut self, group: &[u8], pipes: &mut Pipes) -> Result<()> {
        if group.len() > GROUP_MAX_LENGTH || !self.groups.insert(group.to_vec()) {
            return Err(Errno::EINVAL);
        }
        self.tell_all(GroupCommand::Join(group), pipes);
        Ok(())
    }
    fn leave(&mut self, group: &[u8], pipes: &mut Pipes) -> Result<()> {
        if group.len() > GROUP_MAX_LENGTH || !self.groups.remove(group) {
            return Err(Errno::EINVAL);
        }
        self.tell_all(GroupCommand::Leave(group), pipes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::router::harness::{parts, Harness};

    #[test]
    fn joined_groups_arrive_with_their_group_and_peers_hear_joins() {
        let mut h = Harness::<Dish>::new();
        h.socket.join(b"TV", &mut h.pipes).unwrap();
        assert_eq!(h.socket.join(b"TV", &mut h.pipes), Err(Errno::EINVAL));
        assert_eq!(h.socket.leave(b"Movies", &mut h.pipes), Err(Errno::EINVAL));
        let mut radio = h.connect(None);
        assert_eq!(radio.recv(), Some(parts(&[b"\x04JOINTV"])));

        radio.send(&[b"Movies", b"Godfather"]);
        radio.send(&[b"TV", b"Friends"]);
        let msg = h.recv_frame().unwrap();
        assert_eq!((msg.data(), msg.group().to_bytes()), (&b"Friends"[..], &b"TV"[..]));
        assert_eq!(h.recv_frame().err(), Some(Errno::EAGAIN));

        h.socket.leave(b"TV", &mut h.pipes).unwrap();
        assert_eq!(radio.recv(), Some(parts(&[b"\x05LEAVETV"])));
        radio.send(&[b"TV", b"Friends"]);
        assert_eq!(h.recv_frame().err(), Some(Errno::EAGAIN));
    }
}
