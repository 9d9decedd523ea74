//! REP: the reply side of request-reply, on top of ROUTER. Owns the receive/send state machine
//! (one request, then its reply) and the envelope of the request being answered: the routing id
//! and every frame up to the empty delimiter, kept on receipt and put back in front of the reply.
//! ROUTER's own options (ZMQ_ROUTER_MANDATORY...) apply to REP too, as in libzmq.

use std::ffi::c_int;

use crate::error::{Errno, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::pattern::{Pattern, SendError};
use crate::socket::pipes::Pipes;
use crate::socket::router::Router;

pub struct Rep {
    router: Router,
    /// A whole request has been received; its reply is owed.
    sending_reply: bool,
    /// The envelope of the next request has not been read yet.
    request_begins: bool,
    /// The envelope of the request being answered (routing id first, delimiter last), while its
    /// reply has not started.
    envelope: Vec<Msg>,
}

impl Default for Rep {
    fn default() -> Self {
        Self { router: Router::default(), sending_reply: false, request_begins: true, envelope: Vec::new() }
    }
}

impl Rep {
    /// See [`Router::set_next_routing_id`]: ZMQ_CONNECT_ROUTING_ID for REP's next pipe.
    pub fn set_next_routing_id(&mut self, id: Vec<u8>) {
        self.router.set_next_routing_id(id);
    }

    /// Reads frames up to the empty delimiter into the envelope; a message that ends before
    /// one is not a request and is dropped whole. False when no request is there now.
    fn read_envelope(&mut self, pipes: &mut Pipes) -> Result<()> {
        while self.request_begins {
            let frame = self.router.recv(pipes)?;
            if !frame.more() {
                self.envelope.clear();
                continue;
            }
            let bottom = frame.size() == 0;
            self.envelope.push(frame);
            if bottom {
                self.request_begins = false;
            }
        }
        Ok(())
    }
}

impl Pattern for Rep {
    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.router.attach(pipe, pipes);
    }

    fn attach_connected(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.router.attach_connected(pipe, pipes);
    }

    fn terminated(&mut self, pipe: PipeId) {
        // A reply to a peer that left goes nowhere: ROUTER drops it (or, with
        // ZMQ_ROUTER_MANDATORY, refuses it with EHOSTUNREACH).
        self.router.terminated(pipe);
    }

    fn read_activated(&mut self, pipe: PipeId) {
        self.router.read_activated(pipe);
    }

    fn write_activated(&mut self, pipe: PipeId) {
        self.router.write_activated(pipe);
    }

    fn send(&mut self, msg: Msg, pipes: &mut Pipes) -> std::result::Result<(), SendError> {
        if !self.sending_reply {
            return Err((Errno::EFSM, msg));
        }
        if !self.envelope.is_empty() {
            // Only the routing id frame can be refused, and only with ZMQ_ROUTER_MANDATORY. The
            // envelope's vector is kept for the next request (no allocation per request).
            let routing_id = std::mem::take(&mut self.envelope[0]);
            if let Err((errno, routing_id)) = self.router.send(routing_id, pipes) {
                if errno == Errno::EAGAIN {
                    // The requester is at its high-water mark: the reply may be sent again.
                    self.envelope[0] = routing_id;
                } else {
                    // The requester is gone and no retry can reach it: give up on this reply
                    // so the socket can take the next request (libzmq would assert here).
                    self.envelope.clear();
                    self.sending_reply = false;
                }
                return Err((errno, msg));
            }
            for frame in self.envelope.drain(1..) {
                // The rest of a message whose first frame was taken is never refused.
                let _ = self.router.send(frame, pipes);
            }
            self.envelope.clear();
        }
        let more = msg.more();
        self.router.send(msg, pipes)?;
        if !more {
            self.sending_reply = false;
        }
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        if self.sending_reply {
            return Err(Errno::EFSM);
        }
        self.read_envelope(pipes)?;
        let frame = self.router.recv(pipes)?;
        if !frame.more() {
            self.sending_reply = true;
            self.request_begins = true;
        }
        Ok(frame)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        // Reading the envelope here drops malformed requests before a poll reports them.
        !self.sending_reply && self.read_envelope(pipes).is_ok() && self.router.has_in(pipes)
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.sending_reply && self.router.has_out(pipes)
    }

    fn set_option(&mut self, option: c_int, value: &[u8]) -> Result<bool> {
        self.router.set_option(option, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::ZMQ_ROUTER_MANDATORY;
    use crate::socket::router::harness::{frame, parts, Harness};

    fn rep() -> Harness<Rep> {
        Harness::new()
    }

    #[test]
    fn recv_returns_the_body_without_the_envelope() {
        let mut h = rep();
        let mut peer = h.connect(Some(b"client"));
        peer.send(&[b"", b"hello", b"world"]);
        assert_eq!(h.recv().unwrap(), parts(&[b"hello", b"world"]));
    }

    #[test]
    fn reply_carries_the_request_envelope_back() {
        let mut h = rep();
        let mut peer = h.connect(Some(b"client"));
        peer.send(&[b"", b"ping"]);
        h.recv().unwrap();
        h.send(&[b"pong", b"2"]).unwrap();
        assert_eq!(peer.recv(), Some(parts(&[b"", b"pong", b"2"])));
    }

    #[test]
    fn every_frame_up_to_the_delimiter_is_kept_as_envelope() {
        let mut h = rep();
        let mut peer = h.connect(None);
        peer.send(&[b"hop1", b"hop2", b"", b"body"]);
        assert_eq!(h.recv().unwrap(), parts(&[b"body"]));
        h.send(&[b"reply"]).unwrap();
        assert_eq!(peer.recv(), Some(parts(&[b"hop1", b"hop2", b"", b"reply"])));
    }

    #[test]
    fn request_without_delimiter_is_dropped() {
        let mut h = rep();
        let mut peer = h.connect(None);
        peer.send(&[b"no", b"delimiter"]);
        peer.send(&[b"", b"valid"]);
        assert_eq!(h.recv().unwrap(), parts(&[b"valid"]));
        h.send(&[b"reply"]).unwrap();
        assert_eq!(peer.recv(), Some(parts(&[b"", b"reply"])));
    }

    #[test]
    fn lone_empty_frame_is_not_a_request() {
        let mut h = rep();
        let mut peer = h.connect(None);
        peer.send(&[b""]);
        assert!(!h.has_in());
        assert_eq!(h.recv(), Err(Errno::EAGAIN));
    }

    #[test]
    fn send_before_any_request_is_efsm() {
        let mut h = rep();
        let _peer = h.connect(None);
        let err = h.socket.send(frame(b"x", false), &mut h.pipes).unwrap_err();
        assert_eq!((err.0, err.1.data()), (Errno::EFSM, &b"x"[..]));
    }

    #[test]
    fn recv_while_a_reply_is_owed_is_efsm() {
        let mut h = rep();
        let mut peer = h.connect(None);
        peer.send(&[b"", b"one"]);
        peer.send(&[b"", b"two"]);
        h.recv().unwrap();
        assert_eq!(h.recv(), Err(Errno::EFSM));
    }

    #[test]
    fn recv_is_allowed_again_after_the_last_reply_frame() {
        let mut h = rep();
        let mut peer = h.connect(None);
        peer.send(&[b"", b"one"]);
        peer.send(&[b"", b"two"]);
        h.recv().unwrap();
        h.send(&[b"a", b"b"]).unwrap();
        assert_eq!(h.recv().unwrap(), parts(&[b"two"]));
    }

    #[test]
    fn replies_go_to_the_peer_that_asked() {
        let mut h = rep();
        let mut a = h.connect(Some(b"A"));
        let mut b = h.connect(Some(b"B"));
        a.send(&[b"", b"from a"]);
        b.send(&[b"", b"from b"]);
        for _ in 0..2 {
            let request = h.recv().unwrap();
            h.send(&[&[b"re: ".as_slice(), &request[0]].concat()]).unwrap();
        }
        assert_eq!(a.recv(), Some(parts(&[b"", b"re: from a"])));
        assert_eq!(b.recv(), Some(parts(&[b"", b"re: from b"])));
    }

    #[test]
    fn has_in_and_has_out_follow_the_state_machine() {
        let mut h = rep();
        let mut peer = h.connect(None);
        assert!(!h.has_in() && !h.has_out());
        peer.send(&[b"", b"q"]);
        assert!(h.has_in() && !h.has_out());
        h.recv().unwrap();
        assert!(!h.has_in() && h.has_out());
        peer.send(&[b"", b"next"]);
        assert!(!h.has_in(), "a waiting request does not count while a reply is owed");
        h.send(&[b"r"]).unwrap();
        assert!(h.has_in() && !h.has_out());
    }

    #[test]
    fn has_in_drops_malformed_requests() {
        let mut h = rep();
        let mut peer = h.connect(None);
        peer.send(&[b"garbage"]);
        assert!(!h.has_in());
        peer.send(&[b"", b"q"]);
        assert!(h.has_in());
        assert_eq!(h.recv().unwrap(), parts(&[b"q"]));
    }

    #[test]
    fn reply_to_departed_peer_is_dropped() {
        let mut h = rep();
        let mut a = h.connect(Some(b"A"));
        a.send(&[b"", b"q"]);
        h.recv().unwrap();
        h.disconnect(a, true);
        h.has_in();
        assert_eq!(h.send(&[b"r"]), Ok(()));
        assert!(!h.has_out());
    }

    #[test]
    fn mandatory_reply_to_departed_peer_is_ehostunreach_and_frees_the_socket() {
        let mut h = rep();
        h.option(ZMQ_ROUTER_MANDATORY, 1);
        let mut a = h.connect(Some(b"A"));
        let mut b = h.connect(Some(b"B"));
        a.send(&[b"", b"q"]);
        h.recv().unwrap();
        h.disconnect(a, true);
        h.has_in();
        assert_eq!(h.send(&[b"r"]), Err(Errno(libc::EHOSTUNREACH)));
        b.send(&[b"", b"next"]);
        assert_eq!(h.recv().unwrap(), parts(&[b"next"]));
    }

    #[test]
    fn mandatory_reply_to_full_peer_is_eagain_and_can_be_retried() {
        let mut h = rep();
        h.option(ZMQ_ROUTER_MANDATORY, 1);
        let mut peer = h.connect_with_hwm(Some(b"A"), 1);
        peer.send(&[b"", b"q1"]);
        peer.send(&[b"", b"q2"]);
        h.recv().unwrap();
        h.send(&[b"r1"]).unwrap();
        h.recv().unwrap();
        assert_eq!(h.send(&[b"r2"]), Err(Errno::EAGAIN));
        assert_eq!(peer.recv(), Some(parts(&[b"", b"r1"])));
        h.send(&[b"r2"]).unwrap();
        assert_eq!(peer.recv(), Some(parts(&[b"", b"r2"])));
    }

    #[test]
    fn router_options_are_accepted() {
        let mut h = rep();
        assert_eq!(h.socket.set_option(ZMQ_ROUTER_MANDATORY, &1i32.to_ne_bytes()), Ok(true));
        assert_eq!(h.socket.set_option(crate::constants::ZMQ_REQ_RELAXED, &1i32.to_ne_bytes()), Ok(false));
    }

    #[test]
    fn connect_routing_id_is_passed_to_the_router() {
        let mut h = rep();
        h.socket.set_next_routing_id(b"conn".to_vec());
        let mut peer = h.connect(Some(b"announced"));
        peer.send(&[b"", b"q"]);
        h.recv().unwrap();
        h.send(&[b"r"]).unwrap();
        assert_eq!(peer.recv(), Some(parts(&[b"", b"r"])));
        assert!(h.socket.router.has_peer(b"conn"));
    }
}
