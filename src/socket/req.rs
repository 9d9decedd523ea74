//! REQ: the request side of request-reply. Owns the send/receive state machine (one request, then
//! its reply), the envelope it puts in front of each request (an empty delimiter, preceded by a
//! request id with ZMQ_REQ_CORRELATE), and the filtering of replies (from the request's pipe,
//! with the right envelope). Requests are load-balanced and replies fair-queued, as in DEALER.

use std::ffi::c_int;

use crate::constants::{ZMQ_PROBE_ROUTER, ZMQ_REQ_CORRELATE, ZMQ_REQ_RELAXED};
use crate::error::{Errno, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::fq::FairQueue;
use crate::socket::lb::LoadBalancer;
use crate::socket::pattern::{int_value, Pattern, SendError};
use crate::socket::pipes::Pipes;

pub struct Req {
    fq: FairQueue,
    lb: LoadBalancer,
    /// A whole request has been sent; its reply is awaited.
    receiving_reply: bool,
    /// The next frame starts a message: of a request when sending, of a reply when receiving.
    message_begins: bool,
    /// Where the current request went. `None` (also when that pipe is gone) accepts a reply
    /// from any pipe, as libzmq does.
    reply_pipe: Option<PipeId>,
    correlate: bool,
    /// Without ZMQ_REQ_RELAXED a second request waits for the first one's reply.
    strict: bool,
    /// Id of the last request (ZMQ_REQ_CORRELATE); starts at a random value.
    request_id: u32,
    probe_router: bool,
}

impl Default for Req {
    fn default() -> Self {
        Self {
            fq: FairQueue::default(),
            lb: LoadBalancer::default(),
            receiving_reply: false,
            message_begins: true,
            reply_pipe: None,
            correlate: false,
            strict: true,
            request_id: crate::util::random::random_u32(),
            probe_router: false,
        }
    }
}

fn envelope_frame(body: &[u8]) -> Msg {
    let mut frame = Msg::from_slice(body).expect("small frame");
    frame.set_more(true);
    frame
}

impl Req {
    /// The next frame from the request's pipe; frames from other pipes are dropped.
    fn recv_reply_frame(&mut self, pipes: &mut Pipes) -> Option<Msg> {
        loop {
            let (frame, pipe) = self.fq.recv(pipes)?;
            if self.reply_pipe.is_none_or(|reply_pipe| reply_pipe == pipe) {
                return Some(frame);
            }
        }
    }

    /// Drops the rest of a message whose first frame was `frame`.
    fn skip_rest(&mut self, mut frame: Msg, pipes: &mut Pipes) {
        while frame.more() {
            match self.recv_reply_frame(pipes) {
                Some(next) => frame = next,
                None => return,
            }
        }
    }

    /// Drops replies until one has the right envelope, whose body is then next. False when no
    /// valid reply is there now.
    fn find_reply(&mut self, pipes: &mut Pipes) -> bool {
        while self.message_begins {
            if self.correlate {
                let Some(frame) = self.recv_reply_frame(pipes) else { return false };
                if !frame.more() || frame.data() != self.request_id.to_ne_bytes() {
                    self.skip_rest(frame, pipes);
                    continue;
                }
            }
            let Some(frame) = self.recv_reply_frame(pipes) else { return false };
            if !frame.more() || frame.size() != 0 {
                self.skip_rest(frame, pipes);
                continue;
            }
            self.message_begins = false;
        }
        true
    }

    /// Sends the envelope of a new request and notes the pipe it went to.
    fn begin_request(&mut self, pipes: &mut Pipes) -> std::result::Result<(), Errno> {
        self.reply_pipe = None;
        if self.correlate {
            self.request_id = self.request_id.wrapping_add(1);
            // Host byte order, as libzmq writes it: only this socket ever reads it back.
            let id = envelope_frame(&self.request_id.to_ne_bytes());
            self.reply_pipe = self.lb.send_to(id, pipes).map_err(|(errno, _)| errno)?;
        }
        let sent_to = self.lb.send_to(envelope_frame(b""), pipes).map_err(|(errno, _)| errno)?;
        self.reply_pipe = self.reply_pipe.or(sent_to);
        self.message_begins = false;
        // Replies that arrived before this request cannot be its reply; dropping them now
        // keeps a late reply to an earlier request from passing for this one.
        while self.fq.recv(pipes).is_some() {}
        Ok(())
    }
}

impl Pattern for Req {
    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        if self.probe_router {
            pipes.write(pipe, Msg::new());
        }
        self.fq.attach(pipe);
        self.lb.attach(pipe);
    }

    fn terminated(&mut self, pipe: PipeId) {
        if self.reply_pipe == Some(pipe) {
            self.reply_pipe = None;
        }
        self.fq.terminated(pipe);
        self.lb.terminated(pipe);
    }

    fn read_activated(&mut self, pipe: PipeId) {
        self.fq.activated(pipe);
    }

    fn write_activated(&mut self, pipe: PipeId) {
        self.lb.activated(pipe);
    }

    fn send(&mut self, mut msg: Msg, pipes: &mut Pipes) -> std::result::Result<(), SendError> {
        self.send_from(&mut msg, pipes).map_err(|errno| (errno, msg))
    }

    fn send_from(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        if self.receiving_reply {
            if self.strict {
                return Err(Errno::EFSM);
            }
            // Relaxed: give up on the reply; it will be dropped if it comes.
            self.receiving_reply = false;
            self.message_begins = true;
        }
        if self.message_begins {
            self.begin_request(pipes)?;
        }
        let more = msg.more();
        self.lb.send_from(msg, pipes)?;
        if !more {
            self.receiving_reply = true;
            self.message_begins = true;
        }
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        if !self.receiving_reply {
            return Err(Errno::EFSM);
        }
        if !self.find_reply(pipes) {
            return Err(Errno::EAGAIN);
        }
        let frame = self.recv_reply_frame(pipes).ok_or(Errno::EAGAIN)?;
        if !frame.more() {
            self.receiving_reply = false;
            self.message_begins = true;
        }
        Ok(frame)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        // Invalid replies are dropped here already, so that a poll does not report one that
        // `recv` would then refuse.
        self.receiving_reply && self.find_reply(pipes)
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        if self.receiving_reply && self.strict {
            return false;
        }
        self.lb.has_out(pipes)
    }

    fn set_option(&mut self, option: c_int, value: &[u8]) -> Result<bool> {
        if ![ZMQ_REQ_CORRELATE, ZMQ_REQ_RELAXED, ZMQ_PROBE_ROUTER].contains(&option) {
            return Ok(false);
        }
        let value = int_value(value)?;
        if value < 0 {
            return Err(Errno::EINVAL);
        }
        match option {
            ZMQ_REQ_CORRELATE => self.correlate = value != 0,
            ZMQ_REQ_RELAXED => self.strict = value == 0,
            _ => self.probe_router = value != 0,
        }
        Ok(true)
    }
    // No get_option: libzmq's REQ options are write-only (zmq_getsockopt gives EINVAL).
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::router::harness::{frame, parts, Harness, Peer};

    fn req() -> Harness<Req> {
        Harness::new()
    }

    /// Plays a REP peer: takes a request, answers with its envelope and `reply`.
    fn answer(peer: &mut Peer, reply: &[&[u8]]) {
        let request = peer.recv().expect("a request");
        let delimiter = request.iter().position(Vec::is_empty).expect("an envelope");
        let mut message: Vec<&[u8]> = request[..=delimiter].iter().map(Vec::as_slice).collect();
        message.extend_from_slice(reply);
        peer.send(&message);
    }

    #[test]
    fn request_goes_out_behind_an_empty_delimiter() {
        let mut h = req();
        let mut peer = h.connect(None);
        h.send(&[b"hello", b"world"]).unwrap();
        assert_eq!(peer.recv(), Some(parts(&[b"", b"hello", b"world"])));
    }

    #[test]
    fn reply_is_returned_without_its_delimiter() {
        let mut h = req();
        let mut peer = h.connect(None);
        h.send(&[b"ping"]).unwrap();
        answer(&mut peer, &[b"pong", b"more"]);
        assert_eq!(h.recv().unwrap(), parts(&[b"pong", b"more"]));
    }

    #[test]
    fn recv_before_any_request_is_efsm() {
        let mut h = req();
        let _peer = h.connect(None);
        assert_eq!(h.recv(), Err(Errno::EFSM));
    }

    #[test]
    fn second_request_before_the_reply_is_efsm() {
        let mut h = req();
        let _peer = h.connect(None);
        h.send(&[b"one"]).unwrap();
        let err = h.socket.send(frame(b"two", false), &mut h.pipes).unwrap_err();
        assert_eq!(err.0, Errno::EFSM);
        assert_eq!(err.1.data(), b"two");
    }

    #[test]
    fn next_request_is_allowed_after_the_whole_reply() {
        let mut h = req();
        let mut peer = h.connect(None);
        h.send(&[b"one"]).unwrap();
        answer(&mut peer, &[b"r1"]);
        h.recv().unwrap();
        h.send(&[b"two"]).unwrap();
        assert_eq!(peer.recv(), Some(parts(&[b"", b"two"])));
    }

    #[test]
    fn send_with_no_peer_is_eagain_and_keeps_the_message() {
        let mut h = req();
        let err = h.socket.send(frame(b"one", false), &mut h.pipes).unwrap_err();
        assert_eq!((err.0, err.1.data()), (Errno::EAGAIN, &b"one"[..]));
        assert_eq!(h.recv(), Err(Errno::EFSM), "no request was sent");
    }

    #[test]
    fn requests_are_load_balanced_over_peers() {
        let mut h = req();
        let mut a = h.connect(None);
        let mut b = h.connect(None);
        for _ in 0..2 {
            h.send(&[b"q"]).unwrap();
            let (from_a, from_b) = (a.recv(), b.recv());
            assert!(from_a.is_some() != from_b.is_some());
            let peer = if from_a.is_some() { &mut a } else { &mut b };
            peer.send(&[b"", b"r"]);
            h.recv().unwrap();
        }
        assert!(a.recv().is_none() && b.recv().is_none());
    }

    #[test]
    fn reply_from_another_pipe_is_dropped() {
        let mut h = req();
        let mut a = h.connect(None);
        let mut b = h.connect(None);
        h.send(&[b"q"]).unwrap();
        let (asked, other) = if a.recv().is_some() { (&mut a, &mut b) } else { (&mut b, &mut a) };
        other.send(&[b"", b"intruder"]);
        asked.send(&[b"", b"answer"]);
        assert_eq!(h.recv().unwrap(), parts(&[b"answer"]));
        assert_eq!(h.recv(), Err(Errno::EFSM));
    }

    #[test]
    fn reply_without_delimiter_is_dropped_whole() {
        let mut h = req();
        let mut peer = h.connect(None);
        h.send(&[b"q"]).unwrap();
        peer.recv();
        peer.send(&[b"bad", b"frames"]);
        peer.send(&[b"", b"good"]);
        assert_eq!(h.recv().unwrap(), parts(&[b"good"]));
    }

    #[test]
    fn lone_empty_frame_is_not_a_reply() {
        let mut h = req();
        let mut peer = h.connect(None);
        h.send(&[b"q"]).unwrap();
        peer.recv();
        peer.send(&[b""]);
        assert_eq!(h.recv(), Err(Errno::EAGAIN));
        assert!(!h.has_in());
    }

    #[test]
    fn has_in_only_while_a_valid_reply_is_waiting() {
        let mut h = req();
        let mut peer = h.connect(None);
        assert!(!h.has_in());
        h.send(&[b"q"]).unwrap();
        assert!(!h.has_in());
        peer.recv();
        peer.send(&[b"junk"]);
        assert!(!h.has_in(), "an invalid reply does not count");
        peer.send(&[b"", b"r"]);
        assert!(h.has_in());
        assert_eq!(h.recv().unwrap(), parts(&[b"r"]));
        assert!(!h.has_in());
    }

    #[test]
    fn has_out_is_false_while_waiting_for_the_reply() {
        let mut h = req();
        let mut peer = h.connect(None);
        assert!(h.has_out());
        h.send(&[b"q"]).unwrap();
        assert!(!h.has_out());
        answer(&mut peer, &[b"r"]);
        h.recv().unwrap();
        assert!(h.has_out());
    }

    #[test]
    fn has_out_is_false_without_peers() {
        let mut h = req();
        assert!(!h.has_out());
    }

    #[test]
    fn req_correlate_sends_request_id_before_the_delimiter() {
        let mut h = req();
        h.option(ZMQ_REQ_CORRELATE, 1);
        let mut peer = h.connect(None);
        h.send(&[b"q1"]).unwrap();
        let first = peer.recv().unwrap();
        assert_eq!((first.len(), first[0].len(), &first[1][..], &first[2][..]), (3, 4, &b""[..], &b"q1"[..]));
        peer.send(&[&first[0], b"", b"r1"]);
        h.recv().unwrap();
        h.send(&[b"q2"]).unwrap();
        let second = peer.recv().unwrap();
        let id = |frame: &[u8]| u32::from_ne_bytes(frame.try_into().unwrap());
        assert_eq!(id(&second[0]), id(&first[0]).wrapping_add(1));
    }

    #[test]
    fn req_correlate_drops_reply_with_wrong_request_id() {
        let mut h = req();
        h.option(ZMQ_REQ_CORRELATE, 1);
        let mut peer = h.connect(None);
        h.send(&[b"q"]).unwrap();
        let request = peer.recv().unwrap();
        let wrong = u32::from_ne_bytes(request[0][..].try_into().unwrap()).wrapping_add(7).to_ne_bytes();
        peer.send(&[&wrong, b"", b"stale"]);
        peer.send(&[b"", b"no id"]);
        assert!(!h.has_in());
        peer.send(&[&request[0], b"", b"fresh"]);
        assert_eq!(h.recv().unwrap(), parts(&[b"fresh"]));
    }

    #[test]
    fn req_relaxed_allows_a_new_request_and_drops_the_old_reply() {
        let mut h = req();
        h.option(ZMQ_REQ_RELAXED, 1);
        h.option(ZMQ_REQ_CORRELATE, 1);
        let mut a = h.connect(None);
        let mut b = h.connect(None);
        h.send(&[b"first"]).unwrap();
        assert!(h.has_out());
        let first = a.recv().unwrap();
        h.send(&[b"second"]).unwrap();
        let second = b.recv().unwrap();
        a.send(&[&first[0], b"", b"WRONG"]);
        b.send(&[&second[0], b"", b"OK"]);
        assert_eq!(h.recv().unwrap(), parts(&[b"OK"]));
    }

    #[test]
    fn req_relaxed_keeps_the_pipes_of_abandoned_requests() {
        let mut h = req();
        h.option(ZMQ_REQ_RELAXED, 1);
        let mut a = h.connect(None);
        let mut b = h.connect(None);
        h.send(&[b"one"]).unwrap();
        h.send(&[b"two"]).unwrap();
        h.send(&[b"three"]).unwrap();
        assert!(h.pipes.contains(a.pipe) && h.pipes.contains(b.pipe));
        assert_eq!(a.recv(), Some(parts(&[b"", b"one"])));
        assert_eq!(b.recv(), Some(parts(&[b"", b"two"])));
        assert_eq!(a.recv(), Some(parts(&[b"", b"three"])));
    }

    #[test]
    fn replies_queued_before_a_request_are_dropped_when_it_is_sent() {
        let mut h = req();
        h.option(ZMQ_REQ_RELAXED, 1);
        let mut peer = h.connect(None);
        h.send(&[b"one"]).unwrap();
        answer(&mut peer, &[b"late"]);
        h.send(&[b"two"]).unwrap();
        answer(&mut peer, &[b"fresh"]);
        assert_eq!(h.recv().unwrap(), parts(&[b"fresh"]));
    }

    #[test]
    fn reply_from_any_pipe_is_taken_once_the_request_pipe_is_gone() {
        let mut h = req();
        let a = h.connect(None);
        let b = h.connect(None);
        h.send(&[b"q"]).unwrap();
        let (mut asked, mut other) = (a, b);
        if asked.recv().is_none() {
            std::mem::swap(&mut asked, &mut other);
        }
        h.disconnect(asked, true);
        assert!(!h.has_in());
        other.send(&[b"", b"from other"]);
        assert_eq!(h.recv().unwrap(), parts(&[b"from other"]));
    }

    #[test]
    fn probe_router_sends_empty_message_to_each_new_peer() {
        let mut h = req();
        h.option(ZMQ_PROBE_ROUTER, 1);
        let mut peer = h.connect(None);
        assert_eq!(peer.recv(), Some(vec![Vec::new()]));
    }

    #[test]
    fn options_take_non_negative_ints_only() {
        let mut h = req();
        assert_eq!(h.socket.set_option(ZMQ_REQ_RELAXED, &(-1i32).to_ne_bytes()), Err(Errno::EINVAL));
        assert_eq!(h.socket.set_option(ZMQ_REQ_CORRELATE, &[1u8, 0]), Err(Errno::EINVAL));
        assert_eq!(
            h.socket.set_option(crate::constants::ZMQ_ROUTER_MANDATORY, &1i32.to_ne_bytes()),
            Ok(false)
        );
        assert_eq!(h.socket.get_option(ZMQ_REQ_CORRELATE, &mut [0u8; 4]), Ok(None));
    }
}
