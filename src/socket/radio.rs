//! RADIO (draft, thread-safe): sends single-part messages, each tagged with a group
//! (`zmq_msg_set_group`), to the DISH peers that joined that group. On every pipe a message
//! travels as two frames, the group (with MORE) and the body, which is also how libzmq's RADIO
//! puts it on the ZMTP wire, so one encoding serves inproc and the network.
//!
//! Filtering, as libzmq's RADIO does it: each peer's JOIN/LEAVE command messages
//! (`zmtp/group_command.rs`; over tcp/ipc the ZMTP layer passes a RADIO's received JOIN/LEAVE
//! commands up unchanged) are read when its pipe is activated and decide which pipes a group's
//! messages go to. A pipe counts its JOINs per group and a LEAVE takes one back (libzmq keeps one
//! entry per JOIN in a multimap and a LEAVE erases one), but it gets each message once. udp://
//! pipes cannot join and get every group. With ZMQ_XPUB_NODROP a send fails with EAGAIN when a
//! pipe it goes to is full; pipes it does not go to never hold it back. DISHes filter too (a udp
//! DISH hears every group).

use std::collections::BTreeMap;
use std::ffi::c_int;

use crate::constants::ZMQ_XPUB_NODROP;
use crate::error::{Errno, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::dist::Dist;
use crate::socket::pattern::{cannot_recv, int_value, Pattern, SendError};
use crate::socket::pipes::Pipes;
use crate::zmtp::group_command::GroupCommand;

/// Group → the pipes whose peers joined it, each with its JOINs not yet taken back by a LEAVE.
type Members = BTreeMap<Vec<u8>, Vec<(PipeId, u32)>>;

pub struct Radio {
    dist: Dist,
    members: Members,
    /// udp:// pipes, which get every group.
    everything: Vec<PipeId>,
    /// Pipes with JOIN/LEAVE to read.
    to_read: Vec<PipeId>,
    /// Peers at their high-water mark miss messages (the default); ZMQ_XPUB_NODROP makes the
    /// send fail with EAGAIN instead, as libzmq's RADIO does.
    lossy: bool,
}

impl Default for Radio {
    fn default() -> Self {
        Self {
            dist: Dist::default(),
            members: Members::new(),
            everything: Vec::new(),
            to_read: Vec::new(),
            lossy: true,
        }
    }
}

impl Radio {
    /// Applies what the activated pipes sent, so a message goes where the joins heard so far
    /// say. Anything that is not a JOIN or LEAVE is dropped, as libzmq drops it.
    fn read_joins(&mut self, pipes: &mut Pipes) {
        for pipe in self.to_read.drain(..) {
            while let Some(msg) = pipes.read(pipe) {
                match GroupCommand::parse(&msg) {
                    Some(GroupCommand::Join(group)) => join(&mut self.members, group, pipe),
                    Some(GroupCommand::Leave(group)) => leave(&mut self.members, group, pipe),
                    None => {}
                }
            }
        }
    }
}

fn join(members: &mut Members, group: &[u8], pipe: PipeId) {
    let joined = members.entry(group.to_vec()).or_default();
    match joined.iter_mut().find(|(p, _)| *p == pipe) {
        Some((_, count)) => *count = count.saturating_add(1),
        None => joined.push((pipe, 1)),
    }
}

fn leave(members: &mut Members, group: &[u8], pipe: PipeId) {
    let Some(joined) = members.get_mut(group) else { return };
    if let Some(index) = joined.iter().position(|&(p, _)| p == pipe) {
        joined[index].1 -= 1;
        if joined[index].1 == 0 {
            joined.swap_remove(index);
        }
    }
    if joined.is_empty() {
        members.remove(group);
    }
}

impl Pattern for Radio {
    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.dist.attach(pipe);
        // The peer may have joined before its pipe got here (an inproc DISH that connected
        // before the bind).
        self.to_read.push(pipe);
        self.read_joins(pipes);
    }
    fn subscribe_to_all(&mut self, pipe: PipeId) {
        if self.dist.contains(pipe) {
            self.everything.push(pipe);
        }
    }
    fn terminated(&mut self, pipe: PipeId) {
        self.dist.terminated(pipe);
        self.members.retain(|_, joined| {
            joined.retain(|&(p, _)| p != pipe);
            !joined.is_empty()
        });
        self.everything.retain(|&p| p != pipe);
        self.to_read.retain(|&p| p != pipe);
    }
    fn read_activated(&mut self, pipe: PipeId) {
        if !self.to_read.contains(&pipe) {
            self.to_read.push(pipe);
        }
    }
    fn write_activated(&mut self, _pipe: PipeId) {
        // Room is checked at each message; nothing is queued per pipe.
    }
    fn send(&mut self, msg: Msg, pipes: &mut Pipes) -> std::result::Result<(), SendError> {
        if msg.more() {
            return Err((Errno::EINVAL, msg));
        }
        self.read_joins(pipes);
        let (members, everything) = (&self.members, &self.everything);
        self.dist.choose(|matching, _| {
            if let Some(joined) = members.get(msg.group().to_bytes()) {
                matching.extend(joined.iter().map(|&(pipe, _)| pipe));
            }
            matching.extend_from_slice(everything);
        });
        if !self.lossy && !self.dist.all_have_room(pipes) {
            return Err((Errno::EAGAIN, msg));
        }
        let mut group = match Msg::from_slice(msg.group().to_bytes()) {
            Ok(group) => group,
            Err(errno) => return Err((errno, msg)),
        };
        group.set_more(true);
        self.dist.send_to_matching(group, pipes);
        self.dist.send_to_matching(msg, pipes);
        Ok(())
    }
    fn recv(&mut self, _pipes: &mut Pipes) -> Result<Msg> {
        cannot_recv()
    }
    fn has_in(&mut self, _pipes: &mut Pipes) -> bool {
        false
    }
    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        // Never blocked in libzmq, even with ZMQ_XPUB_NODROP (a send checks its own pipes);
        // reading here keeps the joins current for a poller that only ever sends.
        self.read_joins(pipes);
        true
    }
    fn set_option(&mut self, option: c_int, value: &[u8]) -> Result<bool> {
        if option != ZMQ_XPUB_NODROP {
            return Ok(false);
        }
        let value = int_value(value)?;
        if value < 0 {
            return Err(Errno::EINVAL);
        }
        self.lossy = value == 0;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::router::harness::{frame, parts, Harness, Peer};

    fn group_msg(group: &std::ffi::CStr, body: &[u8]) -> Msg {
        let mut msg = frame(body, false);
        msg.set_group(group);
        msg
    }

    fn send(h: &mut Harness<Radio>, group: &std::ffi::CStr, body: &[u8]) -> Option<Errno> {
        h.dispatch();
        let result = h.socket.send(group_msg(group, body), &mut h.pipes);
        h.reap();
        result.err().map(|(errno, _)| errno)
    }

    /// What a DISH peer writes into its pipe for `cmd`.
    fn tell(peer: &mut Peer, cmd: GroupCommand) {
        peer.end.write(cmd.to_msg().unwrap());
        peer.end.flush();
    }

    fn received(peer: &mut Peer) -> Vec<Vec<Vec<u8>>> {
        std::iter::from_fn(|| peer.recv()).collect()
    }

    #[test]
    fn messages_travel_as_group_then_body_and_multipart_is_refused() {
        let mut h = Harness::<Radio>::new();
        let mut dish = h.connect(None);
        tell(&mut dish, GroupCommand::Join(b"TV"));
        assert_eq!(send(&mut h, c"TV", b"Friends"), None);
        assert_eq!(received(&mut dish), [parts(&[b"TV", b"Friends"])]);
        assert_eq!(h.socket.send(frame(b"x", true), &mut h.pipes).err().map(|e| e.0), Some(Errno::EINVAL));
    }

    #[test]
    fn each_peer_gets_only_the_groups_it_joined() {
        let mut h = Harness::<Radio>::new();
        let mut tv = h.connect(None);
        let mut movies = h.connect(None);
        let mut nothing = h.connect(None);
        tell(&mut tv, GroupCommand::Join(b"TV"));
        tell(&mut movies, GroupCommand::Join(b"Movies"));
        for (group, body) in [(c"TV", b"Friends"), (c"Movies", b"Godfath"), (c"News", b"Weather")] {
            assert_eq!(send(&mut h, group, body), None);
        }
        assert_eq!(received(&mut tv), [parts(&[b"TV", b"Friends"])]);
        assert_eq!(received(&mut movies), [parts(&[b"Movies", b"Godfath"])]);
        assert!(received(&mut nothing).is_empty());
    }

    #[test]
    fn joins_made_before_the_pipe_attached_count() {
        let mut h = Harness::<Radio>::new();
        // The far end writes before the socket sees the pipe, as an inproc DISH that connected
        // before the bind does.
        let (ours, mut theirs) = crate::pipe::PipeEnd::pair(0, 0);
        theirs.write(GroupCommand::Join(b"TV").to_msg().unwrap());
        theirs.flush();
        ours.attach(&h.mailbox, None);
        let pipe = ours.id();
        h.pipes.insert(ours);
        h.socket.attach(pipe, &mut h.pipes);
        let mut dish = Peer { end: theirs, pipe };
        assert_eq!(send(&mut h, c"TV", b"Friends"), None);
        assert_eq!(received(&mut dish), [parts(&[b"TV", b"Friends"])]);
    }

    /// The peer sends `cmd`; then whether a TV message reaches it.
    fn tv_arrives_after(h: &mut Harness<Radio>, dish: &mut Peer, cmd: GroupCommand) -> bool {
        tell(dish, cmd);
        assert_eq!(send(h, c"TV", b"Friends"), None);
        let got = received(dish);
        assert!(got.is_empty() || got == [parts(&[b"TV", b"Friends"])], "one copy: {got:?}");
        !got.is_empty()
    }

    #[test]
    fn leave_stops_a_group_and_rejoin_restarts_it() {
        let mut h = Harness::<Radio>::new();
        let mut dish = h.connect(None);
        assert!(tv_arrives_after(&mut h, &mut dish, GroupCommand::Join(b"TV")));
        assert!(!tv_arrives_after(&mut h, &mut dish, GroupCommand::Leave(b"TV")));
        assert!(tv_arrives_after(&mut h, &mut dish, GroupCommand::Join(b"TV")));
        // Leaving a group never joined changes nothing.
        assert!(tv_arrives_after(&mut h, &mut dish, GroupCommand::Leave(b"News")));
    }

    #[test]
    fn a_pipe_joined_twice_gets_one_copy_until_it_left_twice() {
        let mut h = Harness::<Radio>::new();
        let mut dish = h.connect(None);
        tell(&mut dish, GroupCommand::Join(b"TV"));
        assert!(tv_arrives_after(&mut h, &mut dish, GroupCommand::Join(b"TV")));
        assert!(tv_arrives_after(&mut h, &mut dish, GroupCommand::Leave(b"TV")));
        assert!(!tv_arrives_after(&mut h, &mut dish, GroupCommand::Leave(b"TV")));
    }

    #[test]
    fn data_messages_from_a_peer_are_not_joins() {
        let mut h = Harness::<Radio>::new();
        let mut dish = h.connect(None);
        // The right bytes without the command flag, and an unknown command.
        dish.send(&[b"\x04JOINTV"]);
        let mut other = Msg::from_slice(b"\x04PINGTV").unwrap();
        other.set_command();
        dish.end.write(other);
        dish.end.flush();
        assert_eq!(send(&mut h, c"TV", b"Friends"), None);
        assert!(received(&mut dish).is_empty());
    }

    #[test]
    fn a_departed_peer_is_forgotten_by_its_groups() {
        let mut h = Harness::<Radio>::new();
        let mut stays = h.connect(None);
        let mut goes = h.connect(None);
        tell(&mut stays, GroupCommand::Join(b"TV"));
        tell(&mut goes, GroupCommand::Join(b"TV"));
        assert_eq!(send(&mut h, c"TV", b"one"), None);
        let gone = goes.pipe;
        h.disconnect(goes, false);
        assert_eq!(send(&mut h, c"TV", b"two"), None);
        assert!(!h.pipes.contains(gone));
        assert!(h.socket.members.values().flatten().all(|&(pipe, _)| pipe != gone));
        assert_eq!(received(&mut stays), [parts(&[b"TV", b"one"]), parts(&[b"TV", b"two"])]);
    }

    #[test]
    fn a_subscribed_to_all_pipe_gets_every_group() {
        let mut h = Harness::<Radio>::new();
        let mut udp = h.connect(None);
        h.socket.subscribe_to_all(udp.pipe);
        assert_eq!(send(&mut h, c"TV", b"Friends"), None);
        assert_eq!(send(&mut h, c"News", b"Weather"), None);
        assert_eq!(received(&mut udp), [parts(&[b"TV", b"Friends"]), parts(&[b"News", b"Weather"])]);
    }

    #[test]
    fn nodrop_pushes_back_only_for_the_pipes_a_message_goes_to() {
        let mut h = Harness::<Radio>::new();
        let mut tv = h.connect_with_hwm(None, 1);
        let mut news = h.connect_with_hwm(None, 1);
        tell(&mut tv, GroupCommand::Join(b"TV"));
        tell(&mut news, GroupCommand::Join(b"News"));
        h.option(ZMQ_XPUB_NODROP, 1);
        assert_eq!(send(&mut h, c"TV", b"one"), None);
        // The TV peer has not read: its pipe is at the mark, and NODROP refuses the next one.
        assert_eq!(send(&mut h, c"TV", b"two"), Some(Errno::EAGAIN));
        assert!(h.socket.has_out(&mut h.pipes));
        // Other groups are not held back by it.
        assert_eq!(send(&mut h, c"News", b"one"), None);
        assert_eq!(send(&mut h, c"Sport", b"one"), None);
        assert_eq!(received(&mut tv), [parts(&[b"TV", b"one"])]);
        assert_eq!(send(&mut h, c"TV", b"two"), None);
        assert_eq!(received(&mut news), [parts(&[b"News", b"one"])]);
    }
}
