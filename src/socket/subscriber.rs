//! SUB: an XSUB whose subscriptions are options (ZMQ_SUBSCRIBE, ZMQ_UNSUBSCRIBE) rather than
//! messages, which receives only the messages its topics match, and which cannot send.

use std::ffi::c_int;

use crate::constants::{ZMQ_INVERT_MATCHING, ZMQ_SUBSCRIBE, ZMQ_UNSUBSCRIBE};
use crate::error::Result;
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::pattern::{cannot_send, Pattern, SendError};
use crate::socket::pipes::Pipes;
use crate::socket::xsub::{subscription_msg, Xsub};

pub struct Sub {
    xsub: Xsub,
}

impl Default for Sub {
    fn default() -> Self {
        Self { xsub: Xsub::filtering() }
    }
}

impl Pattern for Sub {
    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.xsub.attach(pipe, pipes);
    }

    fn terminated(&mut self, pipe: PipeId) {
        self.xsub.terminated(pipe);
    }

    fn read_activated(&mut self, pipe: PipeId) {
        self.xsub.read_activated(pipe);
    }

    fn write_activated(&mut self, pipe: PipeId) {
        self.xsub.write_activated(pipe);
    }

    fn send(&mut self, msg: Msg, _pipes: &mut Pipes) -> std::result::Result<(), SendError> {
        cannot_send(msg)
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        self.xsub.recv(pipes)
    }

    fn recv_into(&mut self, out: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        self.xsub.recv_into(out, pipes)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.xsub.has_in(pipes)
    }

    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        false
    }

    /// SUB takes only its subscriptions and ZMQ_INVERT_MATCHING: unlike XSUB it refuses
    /// ZMQ_ONLY_FIRST_SUBSCRIBE and ZMQ_XSUB_VERBOSE_UNSUBSCRIBE, as libzmq's SUB does.
    fn set_option(&mut self, option: c_int, value: &[u8]) -> Result<bool> {
        match option {
            ZMQ_INVERT_MATCHING => self.xsub.set_option(option, value),
            _ => Ok(false),
        }
    }

    fn set_option_with_pipes(&mut self, option: c_int, value: &[u8], pipes: &mut Pipes) -> Result<bool> {
        match option {
            // Any bytes are a topic, the empty one included (it matches everything).
            ZMQ_SUBSCRIBE | ZMQ_UNSUBSCRIBE => {
                self.xsub.send_frame(subscription_msg(option == ZMQ_SUBSCRIBE, value), pipes);
                Ok(true)
            }
            _ => self.set_option(option, value),
        }
    }

    fn get_option(&self, option: c_int, out: &mut [u8]) -> Result<Option<usize>> {
        self.xsub.get_option(option, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Errno;
    use crate::socket::router::harness::{frame, parts, Harness};

    fn sub() -> Harness<Sub> {
        Harness::new()
    }

    fn subscribe(h: &mut Harness<Sub>, option: c_int, topic: &[u8]) {
        assert_eq!(h.socket.set_option_with_pipes(option, topic, &mut h.pipes), Ok(true));
    }

    #[test]
    fn subscribe_option_reaches_publishers_at_once() {
        let mut h = sub();
        let mut publisher = h.connect(None);
        subscribe(&mut h, ZMQ_SUBSCRIBE, b"A");
        assert_eq!(publisher.recv(), Some(parts(&[b"\x01A"])));
        subscribe(&mut h, ZMQ_UNSUBSCRIBE, b"A");
        assert_eq!(publisher.recv(), Some(parts(&[b"\x00A"])));
    }

    #[test]
    fn only_matching_messages_are_received() {
        let mut h = sub();
        let mut publisher = h.connect(None);
        subscribe(&mut h, ZMQ_SUBSCRIBE, b"A");
        publisher.send(&[b"B1"]);
        publisher.send(&[b"A1"]);
        assert_eq!(h.recv(), Ok(parts(&[b"A1"])));
        assert_eq!(h.recv(), Err(Errno::EAGAIN));
    }

    #[test]
    fn nothing_is_received_before_subscribing() {
        let mut h = sub();
        let mut publisher = h.connect(None);
        publisher.send(&[b"A1"]);
        assert!(!h.has_in());
        assert_eq!(h.recv(), Err(Errno::EAGAIN));
    }

    #[test]
    fn unmatched_multipart_message_is_skipped_whole() {
        let mut h = sub();
        let mut publisher = h.connect(None);
        subscribe(&mut h, ZMQ_SUBSCRIBE, b"A");
        publisher.send(&[b"B", b"A-looking second frame"]);
        publisher.send(&[b"A", b"tail"]);
        assert_eq!(h.recv(), Ok(parts(&[b"A", b"tail"])));
    }

    #[test]
    fn receiving_in_place_filters_like_recv() {
        let mut h = sub();
        let mut publisher = h.connect(None);
        subscribe(&mut h, ZMQ_SUBSCRIBE, b"A");
        publisher.send(&[b"B", b"A-looking second frame"]);
        publisher.send(&[b"A", b"tail"]);
        publisher.send(&[b"B2"]);
        let mut msg = frame(b"held", false);
        let mut got = Vec::new();
        for _ in 0..2 {
            assert_eq!(h.socket.recv_into(&mut msg, &mut h.pipes), Ok(()));
            got.push(msg.data().to_vec());
        }
        assert_eq!(got, [&b"A"[..], b"tail"]);
        // Only an unwanted message left: nothing received, and the message is empty.
        assert_eq!(h.socket.recv_into(&mut msg, &mut h.pipes), Err(Errno::EAGAIN));
        assert_eq!(msg.size(), 0);
        // Nothing left at all: the message is left alone.
        let mut untouched = frame(b"mine", false);
        assert_eq!(h.socket.recv_into(&mut untouched, &mut h.pipes), Err(Errno::EAGAIN));
        assert_eq!(untouched.data(), b"mine");
    }

    #[test]
    fn has_in_keeps_the_message_it_found_for_recv() {
        let mut h = sub();
        let mut publisher = h.connect(None);
        subscribe(&mut h, ZMQ_SUBSCRIBE, b"");
        publisher.send(&[b"x", b"y"]);
        assert!(h.has_in());
        assert!(h.has_in());
        assert_eq!(h.recv(), Ok(parts(&[b"x", b"y"])));
        assert!(!h.has_in());
    }

    #[test]
    fn invert_matching_receives_what_no_topic_matches() {
        let mut h = sub();
        assert_eq!(h.socket.set_option(ZMQ_INVERT_MATCHING, &1i32.to_ne_bytes()), Ok(false));
        let mut publisher = h.connect(None);
        subscribe(&mut h, ZMQ_SUBSCRIBE, b"A");
        publisher.send(&[b"A1"]);
        publisher.send(&[b"B1"]);
        assert_eq!(h.recv(), Ok(parts(&[b"B1"])));
        assert_eq!(h.recv(), Err(Errno::EAGAIN));
    }

    #[test]
    fn sub_cannot_send() {
        let mut h = sub();
        h.connect(None);
        assert!(matches!(h.socket.send(frame(b"\x01A", false), &mut h.pipes), Err((Errno::ENOTSUP, _))));
        assert!(!h.has_out());
    }

    #[test]
    fn xsub_only_options_are_not_sub_options() {
        let mut h = sub();
        let one = 1i32.to_ne_bytes();
        #[cfg(zmq_draft)]
        for option in [
            crate::constants::draft::ZMQ_ONLY_FIRST_SUBSCRIBE,
            crate::constants::draft::ZMQ_XSUB_VERBOSE_UNSUBSCRIBE,
        ] {
            assert_eq!(h.socket.set_option_with_pipes(option, &one, &mut h.pipes), Ok(false));
        }
        assert_eq!(
            h.socket.set_option_with_pipes(crate::constants::ZMQ_XPUB_VERBOSE, &one, &mut h.pipes),
            Ok(false)
        );
    }
}
