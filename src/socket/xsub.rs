//! XSUB: the subscriber end of pub/sub, subscriptions in the user's hands. Owns the socket's
//! topic set, the forwarding of (un)subscriptions to every publisher, the replay of the whole set
//! to each newly attached publisher, and the fair-queued receive side. SUB is built on it: SUB
//! alone filters what it receives by the topic set (XSUB passes everything, as in libzmq).
//!
//! On the wire between the sockets a subscription is an ordinary message: byte 1 then the topic
//! subscribes, byte 0 then the topic unsubscribes. The network engine turns these into ZMTP 3.1
//! SUBSCRIBE/CANCEL commands and back.

use std::ffi::c_int;

#[cfg(zmq_draft)]
use crate::constants::draft::{ZMQ_ONLY_FIRST_SUBSCRIBE, ZMQ_TOPICS_COUNT, ZMQ_XSUB_VERBOSE_UNSUBSCRIBE};
use crate::constants::ZMQ_INVERT_MATCHING;
use crate::error::{Errno, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::dist::Dist;
use crate::socket::fq::FairQueue;
use crate::socket::pattern::{int_value, Pattern, SendError};
use crate::socket::pipes::Pipes;
use crate::socket::trie::Trie;

/// First byte of a subscribe message, and of an unsubscribe one.
const SUBSCRIBE: u8 = 1;
const UNSUBSCRIBE: u8 = 0;

/// A subscription message: `flag` then `topic`.
pub fn subscription_msg(flag: bool, topic: &[u8]) -> Msg {
    let mut body = Vec::with_capacity(topic.len() + 1);
    body.push(if flag { SUBSCRIBE } else { UNSUBSCRIBE });
    body.extend_from_slice(topic);
    Msg::from_bytes(body.into())
}

/// An int option that libzmq requires to be exactly an int and not negative, read as a flag.
pub fn flag_value(value: &[u8]) -> Result<bool> {
    match int_value(value)? {
        v if v < 0 => Err(Errno::EINVAL),
        v => Ok(v != 0),
    }
}

#[derive(Default)]
pub struct Xsub {
    fq: FairQueue,
    /// Carries subscriptions (and any other user message) upstream.
    dist: Dist,
    subscriptions: Trie,
    /// Drop received messages no topic matches (SUB).
    filter: bool,
    /// ZMQ_INVERT_MATCHING: with `filter`, keep the messages NO topic matches. The generic
    /// options keep the value too (for getsockopt); this copy is what the type acts on.
    invert_matching: bool,
    /// ZMQ_XSUB_VERBOSE_UNSUBSCRIBE: forward every unsubscribe, not only a topic's last.
    verbose_unsubs: bool,
    /// ZMQ_ONLY_FIRST_SUBSCRIBE: only a message's first frame may be a subscription.
    only_first_subscribe: bool,

    /// A message taken by `has_in` (it must read to know a matching one is there), returned
    /// by the next `recv`.
    prefetched: Option<Msg>,
    /// The caller has received a frame with MORE: the rest of that message passes unfiltered.
    more_in: bool,
    /// The caller is in the middle of sending a message.
    more_out: bool,
    /// Frames of the current outgoing message are read as (un)subscriptions.
    process_subscribe: bool,
}

impl Xsub {
    /// The SUB flavour: received messages are filtered.
    pub fn filtering() -> Self {
        Self { filter: true, ..Self::default() }
    }

    fn matches(&self, msg: &Msg) -> bool {
        self.subscriptions.check(msg.data()) ^ self.invert_matching
    }

    /// Whether a received first frame is kept (the rest of a kept message always is).
    fn wanted(&self, msg: &Msg) -> bool {
        !self.filter || self.matches(msg)
    }

    /// Drops the rest of a message whose first frame was not wanted. Messages are flushed
    /// whole, so the rest is there unless its pipe died meanwhile.
    fn skip_rest(&mut self, mut msg: Msg, pipes: &mut Pipes) {
        while msg.more() {
            match self.fq.recv(pipes) {
                Some((next, _)) => msg = next,
                None => return,
            }
        }
    }

    /// Sends one frame from the user (or a SUB option): (un)subscriptions update the topic
    /// set and go to every publisher; other messages go upstream as they are.
    pub fn send_frame(&mut self, msg: Msg, pipes: &mut Pipes) {
        let first = !self.more_out;
        self.more_out = msg.more();
        if first {
            self.process_subscribe = !self.only_first_subscribe;
        } else if !self.process_subscribe {
            self.dist.send_to_all(msg, pipes);
            return;
        }
        match msg.data().split_first() {
            Some((&SUBSCRIBE, topic)) => {
                // Repeats are forwarded too: the publisher tells them apart (XPUB_VERBOSE
                // relies on seeing them through forwarding devices).
                self.subscriptions.add(topic);
                self.process_subscribe = true;
                self.dist.send_to_all(msg, pipes);
            }
            Some((&UNSUBSCRIBE, topic)) => {
                self.process_subscribe = true;
                // Only a topic's last unsubscribe concerns the publisher, unless verbose.
                if self.subscriptions.rm(topic) || self.verbose_unsubs {
                    self.dist.send_to_all(msg, pipes);
                }
            }
            _ => self.dist.send_to_all(msg, pipes),
        }
    }
}

impl Pattern for Xsub {
    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.fq.attach(pipe);
        self.dist.attach(pipe);
        // A new publisher learns every topic we have. A pipe already full drops them, as a
        // subscribe sent into a full pipe is dropped.
        self.subscriptions.for_each_topic(|topic| {
            if pipes.check_write(pipe) {
                pipes.write(pipe, subscription_msg(true, topic));
            }
        });
    }

    fn terminated(&mut self, pipe: PipeId) {
        self.fq.terminated(pipe);
        self.dist.terminated(pipe);
    }

    fn read_activated(&mut self, pipe: PipeId) {
        self.fq.activated(pipe);
    }

    fn write_activated(&mut self, _pipe: PipeId) {
        // Nothing waits: subscriptions into a full pipe are dropped, not queued.
    }

    fn send(&mut self, msg: Msg, pipes: &mut Pipes) -> std::result::Result<(), SendError> {
        self.send_frame(msg, pipes);
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        if let Some(msg) = self.prefetched.take() {
            self.more_in = msg.more();
            return Ok(msg);
        }
        loop {
            let (msg, _) = self.fq.recv(pipes).ok_or(Errno::EAGAIN)?;
            if self.more_in || self.wanted(&msg) {
                self.more_in = msg.more();
                return Ok(msg);
            }
            self.skip_rest(msg, pipes);
        }
    }

    /// Straight into the caller's message when the next frame is wanted (the common case). A
    /// frame filtered out has already replaced what `out` held: if nothing wanted follows, `out`
    /// is left empty, as libzmq leaves the message of a receive that fails with EAGAIN.
    fn recv_into(&mut self, out: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        if self.prefetched.is_some() {
            *out = self.recv(pipes)?;
            return Ok(());
        }
        self.fq.recv_into(pipes, out).ok_or(Errno::EAGAIN)?;
        if self.more_in || self.wanted(out) {
            self.more_in = out.more();
            return Ok(());
        }
        self.skip_rest(std::mem::take(out), pipes);
        *out = self.recv(pipes)?;
        Ok(())
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        if self.more_in || self.prefetched.is_some() {
            return true;
        }
        while let Some((msg, _)) = self.fq.recv(pipes) {
            if self.wanted(&msg) {
                self.prefetched = Some(msg);
                return true;
            }
            self.skip_rest(msg, pipes);
        }
        false
    }

    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        // Subscriptions can always be sent: they are dropped, never blocked, at the HWM.
        true
    }

    fn set_option(&mut self, option: c_int, value: &[u8]) -> Result<bool> {
        match option {
            #[cfg(zmq_draft)]
            ZMQ_ONLY_FIRST_SUBSCRIBE => self.only_first_subscribe = flag_value(value)?,
            #[cfg(zmq_draft)]
            ZMQ_XSUB_VERBOSE_UNSUBSCRIBE => self.verbose_unsubs = int_value(value)? != 0,
            ZMQ_INVERT_MATCHING => {
                // Generic in libzmq: record it, and let the generic options store it as well.
                self.invert_matching = int_value(value)? != 0;
                return Ok(false);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn get_option(&self, option: c_int, out: &mut [u8]) -> Result<Option<usize>> {
        match option {
            #[cfg(zmq_draft)]
            ZMQ_TOPICS_COUNT => crate::socket::pattern::put_int(out, self.topics_count()),
            _ => Ok(None),
        }
    }
}

impl Xsub {
    /// Distinct topics subscribed (ZMQ_TOPICS_COUNT).
    pub fn topics_count(&self) -> c_int {
        c_int::try_from(self.subscriptions.topic_count()).unwrap_or(c_int::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::router::harness::{parts, Harness};

    fn xsub() -> Harness<Xsub> {
        Harness::new()
    }

    #[test]
    fn subscription_goes_to_every_publisher() {
        let mut h = xsub();
        let mut a = h.connect(None);
        let mut b = h.connect(None);
        h.send(&[b"\x01A"]).unwrap();
        assert_eq!(a.recv(), Some(parts(&[b"\x01A"])));
        assert_eq!(b.recv(), Some(parts(&[b"\x01A"])));
    }

    #[test]
    fn repeated_subscribe_is_forwarded_each_time() {
        let mut h = xsub();
        let mut publisher = h.connect(None);
        h.send(&[b"\x01A"]).unwrap();
        h.send(&[b"\x01A"]).unwrap();
        assert_eq!(publisher.recv(), Some(parts(&[b"\x01A"])));
        assert_eq!(publisher.recv(), Some(parts(&[b"\x01A"])));
    }

    #[test]
    fn only_a_topics_last_unsubscribe_is_forwarded() {
        let mut h = xsub();
        let mut publisher = h.connect(None);
        h.send(&[b"\x01A"]).unwrap();
        h.send(&[b"\x01A"]).unwrap();
        publisher.recv();
        publisher.recv();
        h.send(&[b"\x00A"]).unwrap();
        assert_eq!(publisher.recv(), None);
        h.send(&[b"\x00A"]).unwrap();
        assert_eq!(publisher.recv(), Some(parts(&[b"\x00A"])));
        h.send(&[b"\x00A"]).unwrap();
        assert_eq!(publisher.recv(), None, "not subscribed any more");
    }

    #[cfg(zmq_draft)]
    #[test]
    fn verbose_unsubscribe_forwards_every_unsubscribe() {
        let mut h = xsub();
        h.option(ZMQ_XSUB_VERBOSE_UNSUBSCRIBE, 1);
        let mut publisher = h.connect(None);
        h.send(&[b"\x01A"]).unwrap();
        h.send(&[b"\x01A"]).unwrap();
        h.send(&[b"\x00A"]).unwrap();
        h.send(&[b"\x00A"]).unwrap();
        let received: Vec<_> = std::iter::from_fn(|| publisher.recv()).collect();
        assert_eq!(received.len(), 4);
    }

    #[test]
    fn new_publisher_learns_each_current_topic_once() {
        let mut h = xsub();
        h.send(&[b"\x01B"]).unwrap();
        h.send(&[b"\x01A"]).unwrap();
        h.send(&[b"\x01A"]).unwrap();
        h.send(&[b"\x01C"]).unwrap();
        h.send(&[b"\x00C"]).unwrap();
        let mut publisher = h.connect(None);
        let received: Vec<_> = std::iter::from_fn(|| publisher.recv()).collect();
        assert_eq!(received, [parts(&[b"\x01A"]), parts(&[b"\x01B"])]);
    }

    #[test]
    fn plain_message_goes_upstream_as_is() {
        let mut h = xsub();
        let mut publisher = h.connect(None);
        h.send(&[b"hello", b"\x01not-a-subscription-here"]).unwrap();
        assert_eq!(publisher.recv(), Some(parts(&[b"hello", b"\x01not-a-subscription-here"])));
    }

    #[test]
    fn xsub_receives_everything_unfiltered() {
        let mut h = xsub();
        let mut publisher = h.connect(None);
        h.send(&[b"\x01A"]).unwrap();
        publisher.send(&[b"B"]);
        assert_eq!(h.recv(), Ok(parts(&[b"B"])));
    }

    #[test]
    fn messages_are_fair_queued_from_publishers() {
        let mut h = xsub();
        let mut a = h.connect(None);
        let mut b = h.connect(None);
        a.send(&[b"a1"]);
        a.send(&[b"a2"]);
        b.send(&[b"b1"]);
        let received: Vec<_> = std::iter::from_fn(|| h.recv().ok()).collect();
        assert_eq!(received.len(), 3);
        assert_ne!(received[1], parts(&[b"a2"]), "b's message comes between a's");
    }

    #[test]
    fn sending_with_no_publisher_succeeds() {
        let mut h = xsub();
        h.send(&[b"\x01A"]).unwrap();
        assert!(h.has_out());
    }

    #[cfg(zmq_draft)]
    #[test]
    fn topics_count_counts_distinct_topics() {
        let mut h = xsub();
        h.send(&[b"\x01A"]).unwrap();
        h.send(&[b"\x01A"]).unwrap();
        h.send(&[b"\x01B"]).unwrap();
        let mut out = [0u8; 4];
        h.socket.get_option(ZMQ_TOPICS_COUNT, &mut out).unwrap();
        assert_eq!(c_int::from_ne_bytes(out), 2);
    }
}
