//! Distribution: sends each message to a set of pipes at once (every pipe for XSUB's
//! subscriptions, the matching subscribers for XPUB). The set is decided at a message's first
//! frame and kept for its other frames, so each pipe gets a message whole or not at all. A pipe
//! at its high-water mark when a message starts misses that message (pub/sub drops rather than
//! blocks); callers that must not drop ask [`Dist::all_have_room`] first.

use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::pipes::Pipes;

#[derive(Default)]
pub struct Dist {
    /// Every attached pipe, in attach order.
    pipes: Vec<PipeId>,
    /// Where the current message goes (decided at its first frame).
    matching: Vec<PipeId>,
    /// In the middle of a multipart message.
    more: bool,
}

impl Dist {
    pub fn attach(&mut self, pipe: PipeId) {
        self.pipes.push(pipe);
    }

    pub fn terminated(&mut self, pipe: PipeId) {
        self.pipes.retain(|&p| p != pipe);
        self.matching.retain(|&p| p != pipe);
    }

    pub fn pipes(&self) -> &[PipeId] {
        &self.pipes
    }

    pub fn contains(&self, pipe: PipeId) -> bool {
        self.pipes.contains(&pipe)
    }

    /// Whether a message is half sent: its destinations are fixed until its last frame.
    pub fn in_message(&self) -> bool {
        self.more
    }

    /// Chooses where the next message goes: `fill` gets the emptied destination list and every
    /// attached pipe. Ignored in the middle of a message. The list keeps its allocation from
    /// message to message, so choosing allocates nothing on the per-message path.
    pub fn choose(&mut self, fill: impl FnOnce(&mut Vec<PipeId>, &[PipeId])) {
        if !self.more {
            self.matching.clear();
            fill(&mut self.matching, &self.pipes);
        }
    }

    /// Chooses every attached pipe for the next message. Ignored in the middle of a message.
    pub fn choose_all(&mut self) {
        if !self.more {
            // clone_from reuses the vector's allocation: no allocation per message.
            self.matching.clone_from(&self.pipes);
        }
    }

    /// Whether every destination of the next frame can take it now. Pipes found full are
    /// registered for `ActivateWrite`, so a blocked sender is woken when room appears.
    pub fn all_have_room(&self, pipes: &mut Pipes) -> bool {
        self.matching.iter().all(|&pipe| pipes.check_write(pipe) || pipes.is_peer_gone(pipe))
    }

    /// Sends one frame to every attached pipe.
    pub fn send_to_all(&mut self, msg: Msg, pipes: &mut Pipes) {
        self.choose_all();
        self.send_to_matching(msg, pipes);
    }

    /// Sends one frame to the chosen pipes. At a message's first frame, pipes without room are
    /// left out of the whole message.
    pub fn send_to_matching(&mut self, mut msg: Msg, pipes: &mut Pipes) {
        if !self.more {
            self.matching.retain(|&pipe| pipes.check_write(pipe));
        }
        let more = msg.more();
        if let Some((&last, others)) = self.matching.split_last() {
            for &pipe in others {
                // Copies share a large body instead of duplicating it (and say so: ZMQ_SHARED).
                let copy = msg.share().unwrap_or_else(|_| msg.clone());
                pipes.write(pipe, copy);
            }
            pipes.write(last, msg);
        }
        self.more = more;
        if !more {
            self.matching.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::{PipeEnd, Read};

    fn frame(body: &[u8], more: bool) -> Msg {
        let mut msg = Msg::from_slice(body).unwrap();
        msg.set_more(more);
        msg
    }

    /// `count` pipes with `hwm` towards the peer; returns the table, the dist and the peers.
    fn setup(count: usize, hwm: u64) -> (Pipes, Dist, Vec<PipeEnd>) {
        let mut pipes = Pipes::default();
        let mut dist = Dist::default();
        let mut peers = Vec::new();
        for _ in 0..count {
            let (ours, theirs) = PipeEnd::pair(hwm, 0);
            dist.attach(ours.id());
            pipes.insert(ours);
            peers.push(theirs);
        }
        (pipes, dist, peers)
    }

    fn bodies(peer: &mut PipeEnd) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Read::Msg(msg) = peer.read() {
            out.push(msg.data().to_vec());
        }
        out
    }

    #[test]
    fn send_to_all_reaches_every_pipe() {
        let (mut pipes, mut dist, mut peers) = setup(3, 0);
        dist.send_to_all(frame(b"x", false), &mut pipes);
        for peer in &mut peers {
            assert_eq!(bodies(peer), [b"x"]);
        }
    }

    #[test]
    fn only_matching_pipes_get_the_message() {
        let (mut pipes, mut dist, mut peers) = setup(2, 0);
        dist.choose(|matching, all| matching.push(all[1]));
        dist.send_to_matching(frame(b"x", false), &mut pipes);
        assert!(bodies(&mut peers[0]).is_empty());
        assert_eq!(bodies(&mut peers[1]), [b"x"]);
    }

    #[test]
    fn full_pipe_misses_the_message_others_get_it() {
        let (mut pipes, mut dist, mut peers) = setup(2, 1);
        let full = dist.pipes()[0];
        dist.choose(|matching, _| matching.push(full));
        dist.send_to_matching(frame(b"first", false), &mut pipes);
        dist.send_to_all(frame(b"second", false), &mut pipes);
        assert_eq!(bodies(&mut peers[0]), [b"first"]);
        assert_eq!(bodies(&mut peers[1]), [b"second"]);
    }

    #[test]
    fn multipart_message_keeps_its_destinations() {
        let (mut pipes, mut dist, mut peers) = setup(2, 0);
        dist.choose(|matching, all| matching.push(all[0]));
        dist.send_to_matching(frame(b"1", true), &mut pipes);
        // A new choice in the middle of the message does not apply to it.
        dist.choose(|matching, all| matching.push(all[1]));
        dist.send_to_matching(frame(b"2", false), &mut pipes);
        assert_eq!(bodies(&mut peers[0]), [b"1", b"2"]);
        assert!(bodies(&mut peers[1]).is_empty());
    }

    #[test]
    fn all_have_room_is_false_when_one_destination_is_full() {
        let (mut pipes, mut dist, _peers) = setup(2, 1);
        dist.send_to_all(frame(b"x", false), &mut pipes);
        dist.choose_all();
        assert!(!dist.all_have_room(&mut pipes));
        dist.choose(|_, _| {});
        assert!(dist.all_have_room(&mut pipes));
    }

    #[test]
    fn copies_of_a_large_message_share_its_body() {
        let (mut pipes, mut dist, mut peers) = setup(2, 0);
        dist.send_to_all(Msg::from_slice(&[5u8; 100]).unwrap(), &mut pipes);
        for peer in &mut peers {
            match peer.read() {
                Read::Msg(msg) => assert!(msg.is_shared()),
                other => panic!("expected a message, got {other:?}"),
            }
        }
    }
}
