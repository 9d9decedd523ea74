//! XPUB: the publisher end of pub/sub, subscriptions visible to the user. Owns the subscription
//! table (which pipe wants which topics), the distribution of each sent message to the pipes
//! whose topics prefix its first frame, and the queue of subscription notices the user receives:
//! by default a topic's first subscribe and last unsubscribe; all subscribes with
//! ZMQ_XPUB_VERBOSE; all subscribes and unsubscribes with ZMQ_XPUB_VERBOSER; every one, unapplied,
//! with ZMQ_XPUB_MANUAL (the user then subscribes the pipe of the notice it last received, with
//! ZMQ_SUBSCRIBE/ZMQ_UNSUBSCRIBE on this socket). A pipe that goes away unsubscribes from all its
//! topics, and the topics nobody wants any more are reported as unsubscribes.
//!
//! Sending never blocks: a subscriber at its high-water mark misses the message, unless
//! ZMQ_XPUB_NODROP, where the send fails with EAGAIN while any matching subscriber is full.
//! PUB is built on it ([`Xpub::publisher`]): it applies subscriptions but cannot receive.
//!
//! Subscriptions arrive as messages whose first byte is 1 (subscribe) or 0 (unsubscribe),
//! followed by the topic. Other messages from subscribers (an XSUB may send anything) are
//! passed to the user as they are.

use std::collections::VecDeque;
use std::ffi::c_int;

#[cfg(zmq_draft)]
use crate::constants::draft::{ZMQ_ONLY_FIRST_SUBSCRIBE, ZMQ_TOPICS_COUNT, ZMQ_XPUB_MANUAL_LAST_VALUE};
use crate::constants::{
    ZMQ_INVERT_MATCHING, ZMQ_SUBSCRIBE, ZMQ_UNSUBSCRIBE, ZMQ_XPUB_MANUAL, ZMQ_XPUB_NODROP, ZMQ_XPUB_VERBOSE,
    ZMQ_XPUB_VERBOSER, ZMQ_XPUB_WELCOME_MSG,
};
use crate::error::{Errno, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::dist::Dist;
use crate::socket::mtrie::{MultiTrie, Removed};
use crate::socket::pattern::{int_value, Pattern, SendError};
use crate::socket::pipes::Pipes;
use crate::socket::xsub::{flag_value, subscription_msg};

/// First byte of a subscribe message, and of an unsubscribe one.
const SUBSCRIBE: u8 = 1;
const UNSUBSCRIBE: u8 = 0;

/// A message waiting for the user's `recv`.
struct Pending {
    msg: Msg,
    /// For ZMQ_XPUB_MANUAL: the pipe a subscription notice came from (`None` for notices of a
    /// pipe that left, and for the plain messages that are not notices).
    from: Option<PipeId>,
    /// Whether this is a subscription notice (only those set the manual-mode "last pipe").
    notice: bool,
}

#[derive(Default)]
pub struct Xpub {
    /// PUB: subscriptions are applied but nothing is queued for the user.
    publisher: bool,
    dist: Dist,
    subscriptions: MultiTrie,
    /// ZMQ_XPUB_MANUAL: what each pipe asked for, so that its topics can be reported as
    /// unsubscribed when it leaves (the real table holds what the user granted).
    manual_subscriptions: MultiTrie,
    /// Pipes announced readable and not drained yet (the base's activation carries no pipe
    /// table, so they are read at the next call that has one).
    to_read: Vec<PipeId>,
    pending: VecDeque<Pending>,
    /// ZMQ_XPUB_MANUAL: the pipe ZMQ_SUBSCRIBE/ZMQ_UNSUBSCRIBE apply to.
    last_pipe: Option<PipeId>,

    verbose_subs: bool,
    verbose_unsubs: bool,
    /// ZMQ_XPUB_NODROP: a full subscriber makes the send fail instead of missing the message.
    nodrop: bool,
    manual: bool,
    /// ZMQ_XPUB_MANUAL_LAST_VALUE: the next message goes only to `last_pipe` (if it matches).
    send_last_pipe: bool,
    only_first_subscribe: bool,
    /// ZMQ_INVERT_MATCHING: send to the pipes that do NOT match. Kept by the generic options
    /// too (for getsockopt); this copy is what the type acts on.
    invert_matching: bool,
    /// With ZMQ_INVERT_MATCHING: the matching pipes, which the next message skips (kept to
    /// reuse its allocation).
    excluded: Vec<PipeId>,
    /// ZMQ_XPUB_WELCOME_MSG: sent to each new pipe.
    welcome: Option<Vec<u8>>,

    /// The user is in the middle of sending a message.
    more_out: bool,
    /// The frame read last from a pipe had MORE.
    more_in: bool,
    /// Frames of the current incoming message are read as (un)subscriptions.
    process_subscribe: bool,
}

impl Xpub {
    /// The PUB flavour.
    pub fn publisher() -> Self {
        Self { publisher: true, ..Self::default() }
    }

    /// Reads everything the activated pipes hold and applies it.
    fn drain(&mut self, pipes: &mut Pipes) {
        // In activation order, so notices from different pipes come in the order they arrived.
        while !self.to_read.is_empty() {
            let pipe = self.to_read.remove(0);
            while let Some(msg) = pipes.read(pipe) {
                self.process(pipe, msg);
            }
            if pipes.is_peer_gone(pipe) {
                // Read to its end: the base removes it after this call and tells us then, but
                // its unsubscriptions must be receivable now (a blocked recv would otherwise
                // sleep on them). Handling a departure twice is harmless.
                self.terminated(pipe);
            }
        }
    }

    /// Applies one frame from a subscriber.
    fn process(&mut self, pipe: PipeId, mut msg: Msg) {
        let first = !self.more_in;
        self.more_in = msg.more();
        let subscription = if first || self.process_subscribe {
            match msg.data().first() {
                Some(&SUBSCRIBE) => Some(true),
                Some(&UNSUBSCRIBE) => Some(false),
                _ => None,
            }
        } else {
            None
        };
        if first {
            self.process_subscribe = !self.only_first_subscribe || subscription.is_some();
        }
        let Some(subscribe) = subscription else {
            // A plain message from an XSUB: the user gets it as it is (PUB never does).
            if !self.publisher {
                self.pending.push_back(Pending { msg, from: None, notice: false });
            }
            return;
        };
        let topic = &msg.data()[1..];
        let notify = if self.manual {
            if subscribe {
                self.manual_subscriptions.add(topic, pipe);
            } else {
                self.manual_subscriptions.rm(topic, pipe);
            }
            true
        } else if subscribe {
            self.subscriptions.add(topic, pipe) || self.verbose_subs
        } else {
            // An unsubscribe of a topic the pipe did not have is reported too, as libzmq does.
            self.subscriptions.rm(topic, pipe) != Removed::OthersRemain || self.verbose_unsubs
        };
        if notify && !self.publisher {
            // The notice is the subscription message itself, as one frame.
            msg.set_more(false);
            self.pending.push_back(Pending { msg, from: Some(pipe), notice: true });
        }
    }

    /// Queues the notice that nobody (or, verbose, one pipe fewer) wants `topic`.
    fn unsubscribed(&mut self, topic: &[u8]) {
        if self.publisher {
            return;
        }
        self.pending.push_back(Pending { msg: subscription_msg(false, topic), from: None, notice: true });
        if self.manual {
            self.last_pipe = None;
        }
    }

    /// Chooses the pipes the next message goes to, without allocating (the lists keep their
    /// capacity from message to message).
    fn choose_destinations(&mut self, data: &[u8]) {
        // ZMQ_XPUB_MANUAL_LAST_VALUE: only the pipe that subscribed last gets this message.
        let only = if self.manual && self.send_last_pipe { self.last_pipe.take() } else { None };
        let subscriptions = &self.subscriptions;
        let matched = |out: &mut Vec<PipeId>| {
            out.clear();
            subscriptions.for_each_match(data, |pipe| {
                if only.is_none_or(|only| only == pipe) {
                    out.push(pipe);
                }
            });
            // A pipe with several matching topics is named once per topic; it gets one copy.
            out.sort_unstable();
            out.dedup();
        };
        if self.invert_matching {
            let excluded = &mut self.excluded;
            self.dist.choose(|matching, all| {
                matched(excluded);
                matching.extend(all.iter().copied().filter(|pipe| excluded.binary_search(pipe).is_err()));
            });
        } else {
            self.dist.choose(|matching, _| matched(matching));
        }
    }
}

impl Pattern for Xpub {
    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.dist.attach(pipe);
        if let Some(welcome) = &self.welcome {
            pipes.write(pipe, Msg::from_bytes(welcome.clone().into()));
        }
        // The subscriber may have sent its subscriptions already.
        self.to_read.push(pipe);
        self.drain(pipes);
    }

    fn terminated(&mut self, pipe: PipeId) {
        let mut gone = Vec::new();
        if self.manual {
            // Every topic the pipe asked for is reported; the granted ones go silently.
            self.manual_subscriptions.rm_pipe(pipe, |topic, _| gone.push(topic.to_vec()));
            self.subscriptions.rm_pipe(pipe, |_, _| {});
        } else {
            let verbose = self.verbose_unsubs;
            self.subscriptions.rm_pipe(pipe, |topic, last| {
                if last || verbose {
                    gone.push(topic.to_vec());
                }
            });
        }
        for topic in gone {
            self.unsubscribed(&topic);
        }
        if self.last_pipe == Some(pipe) {
            self.last_pipe = None;
        }
        self.to_read.retain(|&p| p != pipe);
        self.dist.terminated(pipe);
    }

    fn read_activated(&mut self, pipe: PipeId) {
        if !self.to_read.contains(&pipe) {
            self.to_read.push(pipe);
        }
    }

    fn write_activated(&mut self, _pipe: PipeId) {
        // Room is checked at each message's first frame; nothing is queued per pipe.
    }

    fn send(&mut self, msg: Msg, pipes: &mut Pipes) -> std::result::Result<(), SendError> {
        // Subscriptions that arrived before this message decide where it goes.
        self.drain(pipes);
        if !self.more_out {
            self.choose_destinations(msg.data());
        }
        if self.nodrop && !self.dist.all_have_room(pipes) {
            return Err((Errno::EAGAIN, msg));
        }
        self.more_out = msg.more();
        self.dist.send_to_matching(msg, pipes);
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        if self.publisher {
            return Err(Errno::ENOTSUP);
        }
        self.drain(pipes);
        let pending = self.pending.pop_front().ok_or(Errno::EAGAIN)?;
        if self.manual && pending.notice {
            self.last_pipe = pending.from;
        }
        Ok(pending.msg)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        if self.publisher {
            return false;
        }
        self.drain(pipes);
        !self.pending.is_empty()
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        // Never blocked in libzmq, even with ZMQ_XPUB_NODROP; reading here keeps the
        // subscriptions current for a poller that only ever sends.
        self.drain(pipes);
        true
    }

    fn set_option(&mut self, option: c_int, value: &[u8]) -> Result<bool> {
        match option {
            ZMQ_XPUB_VERBOSE => {
                self.verbose_subs = flag_value(value)?;
                self.verbose_unsubs = false;
            }
            ZMQ_XPUB_VERBOSER => {
                self.verbose_subs = flag_value(value)?;
                self.verbose_unsubs = self.verbose_subs;
            }
            ZMQ_XPUB_NODROP => self.nodrop = flag_value(value)?,
            ZMQ_XPUB_MANUAL => self.manual = flag_value(value)?,
            #[cfg(zmq_draft)]
            ZMQ_XPUB_MANUAL_LAST_VALUE => {
                self.manual = flag_value(value)?;
                self.send_last_pipe = self.manual;
            }
            #[cfg(zmq_draft)]
            ZMQ_ONLY_FIRST_SUBSCRIBE => self.only_first_subscribe = flag_value(value)?,
            // Outside manual mode these are not XPUB options (EINVAL from the base).
            ZMQ_SUBSCRIBE | ZMQ_UNSUBSCRIBE if !self.manual => return Ok(false),
            ZMQ_SUBSCRIBE | ZMQ_UNSUBSCRIBE => {
                // A pipe that already left is not subscribed again.
                if let Some(pipe) = self.last_pipe.filter(|&pipe| self.dist.contains(pipe)) {
                    if option == ZMQ_SUBSCRIBE {
                        self.subscriptions.add(value, pipe);
                    } else {
                        self.subscriptions.rm(value, pipe);
                    }
                }
            }
            ZMQ_XPUB_WELCOME_MSG => self.welcome = (!value.is_empty()).then(|| value.to_vec()),
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
            ZMQ_TOPICS_COUNT => crate::socket::pattern::put_int(
                out,
                c_int::try_from(self.subscriptions.topic_count()).unwrap_or(c_int::MAX),
            ),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::router::harness::{frame, parts, Harness, Peer};

    fn xpub() -> Harness<Xpub> {
        Harness::new()
    }

    /// A subscriber that has subscribed to `topics`.
    fn subscriber(h: &mut Harness<Xpub>, topics: &[&[u8]]) -> Peer {
        let mut peer = h.connect(None);
        for topic in topics {
            peer.send(&[&[&[SUBSCRIBE], *topic].concat()]);
        }
        peer
    }

    fn notices(h: &mut Harness<Xpub>) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| h.recv().ok()).map(|mut message| message.remove(0)).collect()
    }

    #[test]
    fn message_goes_only_to_subscribers_whose_topic_prefixes_it() {
        let mut h = xpub();
        let mut a = subscriber(&mut h, &[b"A"]);
        let mut b = subscriber(&mut h, &[b"B"]);
        let mut all = subscriber(&mut h, &[b""]);
        h.send(&[b"Apple"]).unwrap();
        assert_eq!(a.recv(), Some(parts(&[b"Apple"])));
        assert_eq!(b.recv(), None);
        assert_eq!(all.recv(), Some(parts(&[b"Apple"])));
        // The next message is matched afresh (the destination list is reused, not extended).
        h.send(&[b"Banana"]).unwrap();
        assert_eq!(a.recv(), None);
        assert_eq!(b.recv(), Some(parts(&[b"Banana"])));
        assert_eq!(all.recv(), Some(parts(&[b"Banana"])));
    }

    #[test]
    fn subscriber_with_two_matching_topics_gets_the_message_once() {
        let mut h = xpub();
        let mut peer = subscriber(&mut h, &[b"A", b"AB"]);
        h.send(&[b"ABC"]).unwrap();
        assert_eq!(peer.recv(), Some(parts(&[b"ABC"])));
        assert_eq!(peer.recv(), None);
    }

    #[test]
    fn send_without_subscribers_succeeds() {
        let mut h = xpub();
        let mut peer = h.connect(None);
        h.send(&[b"nobody"]).unwrap();
        assert_eq!(peer.recv(), None);
    }

    #[test]
    fn only_a_topics_first_subscribe_reaches_the_user() {
        let mut h = xpub();
        subscriber(&mut h, &[b"A", b"A"]);
        subscriber(&mut h, &[b"A"]);
        assert_eq!(notices(&mut h), [b"\x01A"]);
    }

    #[test]
    fn verbose_passes_every_subscribe() {
        let mut h = xpub();
        h.option(ZMQ_XPUB_VERBOSE, 1);
        subscriber(&mut h, &[b"A", b"A"]);
        subscriber(&mut h, &[b"A"]);
        assert_eq!(notices(&mut h), [b"\x01A"; 3]);
    }

    #[test]
    fn only_a_topics_last_unsubscribe_reaches_the_user() {
        let mut h = xpub();
        let mut a = subscriber(&mut h, &[b"T"]);
        let mut b = subscriber(&mut h, &[b"T"]);
        notices(&mut h);
        a.send(&[b"\x00T"]);
        assert!(notices(&mut h).is_empty());
        b.send(&[b"\x00T"]);
        assert_eq!(notices(&mut h), [b"\x00T"]);
    }

    #[test]
    fn verboser_passes_every_unsubscribe() {
        let mut h = xpub();
        h.option(ZMQ_XPUB_VERBOSER, 1);
        let mut a = subscriber(&mut h, &[b"T"]);
        subscriber(&mut h, &[b"T"]);
        notices(&mut h);
        a.send(&[b"\x00T"]);
        assert_eq!(notices(&mut h), [b"\x00T"]);
    }

    #[test]
    fn unsubscribed_subscriber_gets_nothing_more() {
        let mut h = xpub();
        let mut peer = subscriber(&mut h, &[b"T"]);
        peer.send(&[b"\x00T"]);
        h.send(&[b"T1"]).unwrap();
        assert_eq!(peer.recv(), None);
    }

    #[test]
    fn departing_subscriber_reports_the_topics_nobody_wants_any_more() {
        let mut h = xpub();
        let a = subscriber(&mut h, &[b"shared", b"mine"]);
        subscriber(&mut h, &[b"shared"]);
        notices(&mut h);
        h.disconnect(a, true);
        assert_eq!(notices(&mut h), [b"\x00mine"]);
    }

    #[test]
    fn departing_subscriber_reports_all_its_topics_when_verboser() {
        let mut h = xpub();
        h.option(ZMQ_XPUB_VERBOSER, 1);
        let a = subscriber(&mut h, &[b"shared", b"mine"]);
        subscriber(&mut h, &[b"shared"]);
        notices(&mut h);
        h.disconnect(a, true);
        assert_eq!(notices(&mut h), [&b"\x00mine"[..], b"\x00shared"]);
    }

    #[test]
    fn subscriber_leaving_before_being_read_reports_its_subscribe_then_its_unsubscribe() {
        let mut h = xpub();
        let peer = subscriber(&mut h, &[b"A"]);
        h.disconnect(peer, true);
        // One pass: the departure is seen while reading, not at some later command.
        assert_eq!(h.recv(), Ok(parts(&[b"\x01A"])));
        assert_eq!(h.socket.recv(&mut h.pipes).map(|msg| msg.data().to_vec()), Ok(b"\x00A".to_vec()));
    }

    #[test]
    fn full_subscriber_misses_the_message_others_get_it() {
        let mut h = xpub();
        let mut full = h.connect_with_hwm(None, 1);
        full.send(&[b"\x01"]);
        let mut other = subscriber(&mut h, &[b""]);
        h.send(&[b"one"]).unwrap();
        h.send(&[b"two"]).unwrap();
        assert_eq!(full.recv(), Some(parts(&[b"one"])));
        assert_eq!(full.recv(), None);
        assert_eq!(other.recv(), Some(parts(&[b"one"])));
        assert_eq!(other.recv(), Some(parts(&[b"two"])));
    }

    #[test]
    fn nodrop_send_fails_with_eagain_while_a_matching_subscriber_is_full() {
        let mut h = xpub();
        h.option(ZMQ_XPUB_NODROP, 1);
        let mut full = h.connect_with_hwm(None, 1);
        full.send(&[b"\x01"]);
        h.send(&[b"one"]).unwrap();
        assert_eq!(h.send(&[b"two"]), Err(Errno::EAGAIN));
        assert!(h.has_out(), "libzmq reports XPUB writable even then");
        assert_eq!(full.recv(), Some(parts(&[b"one"])));
        h.send(&[b"two"]).unwrap();
        assert_eq!(full.recv(), Some(parts(&[b"two"])));
    }

    #[test]
    fn multipart_message_keeps_the_subscribers_of_its_first_frame() {
        let mut h = xpub();
        let mut early = subscriber(&mut h, &[b"A"]);
        let mut late = h.connect(None);
        h.dispatch();
        h.socket.send(frame(b"A-first", true), &mut h.pipes).unwrap();
        late.send(&[b"\x01A"]);
        h.send(&[b"rest"]).unwrap();
        assert_eq!(early.recv(), Some(parts(&[b"A-first", b"rest"])));
        assert_eq!(late.recv(), None);
    }

    #[test]
    fn plain_message_from_a_subscriber_reaches_the_user_whole() {
        let mut h = xpub();
        let mut peer = h.connect(None);
        peer.send(&[b"hello", b"world"]);
        assert_eq!(h.recv(), Ok(parts(&[b"hello", b"world"])));
    }

    #[test]
    fn welcome_message_goes_to_each_new_subscriber() {
        let mut h = xpub();
        h.socket.set_option(ZMQ_XPUB_WELCOME_MSG, b"hi").unwrap();
        let mut a = h.connect(None);
        let mut b = h.connect(None);
        assert_eq!(a.recv(), Some(parts(&[b"hi"])));
        assert_eq!(b.recv(), Some(parts(&[b"hi"])));
    }

    #[test]
    fn invert_matching_sends_to_the_subscribers_that_do_not_match() {
        let mut h = xpub();
        assert_eq!(h.socket.set_option(ZMQ_INVERT_MATCHING, &1i32.to_ne_bytes()), Ok(false));
        let mut a = subscriber(&mut h, &[b"A"]);
        let mut b = subscriber(&mut h, &[b"B"]);
        h.send(&[b"Apple"]).unwrap();
        assert_eq!(a.recv(), None);
        assert_eq!(b.recv(), Some(parts(&[b"Apple"])));
        // The destination lists are kept between messages: nothing of the first choice remains.
        h.send(&[b"Banana"]).unwrap();
        assert_eq!(a.recv(), Some(parts(&[b"Banana"])));
        assert_eq!(b.recv(), None);
    }

    #[test]
    fn manual_mode_passes_every_subscription_and_applies_none() {
        let mut h = xpub();
        h.option(ZMQ_XPUB_MANUAL, 1);
        let mut peer = subscriber(&mut h, &[b"A", b"A"]);
        assert_eq!(notices(&mut h), [b"\x01A"; 2]);
        h.send(&[b"A"]).unwrap();
        assert_eq!(peer.recv(), None);
    }

    #[test]
    fn manual_subscribe_applies_to_the_pipe_of_the_last_notice_received() {
        let mut h = xpub();
        h.option(ZMQ_XPUB_MANUAL, 1);
        let mut a = subscriber(&mut h, &[b"A"]);
        let mut b = subscriber(&mut h, &[b"B"]);
        assert_eq!(h.recv(), Ok(parts(&[b"\x01A"])));
        assert_eq!(h.socket.set_option(ZMQ_SUBSCRIBE, b"X"), Ok(true));
        assert_eq!(h.recv(), Ok(parts(&[b"\x01B"])));
        assert_eq!(h.socket.set_option(ZMQ_SUBSCRIBE, b"Y"), Ok(true));
        h.send(&[b"X1"]).unwrap();
        h.send(&[b"Y1"]).unwrap();
        assert_eq!(a.recv(), Some(parts(&[b"X1"])));
        assert_eq!(a.recv(), None);
        assert_eq!(b.recv(), Some(parts(&[b"Y1"])));
        assert_eq!(h.socket.set_option(ZMQ_UNSUBSCRIBE, b"Y"), Ok(true));
        h.send(&[b"Y2"]).unwrap();
        assert_eq!(b.recv(), None);
    }

    #[test]
    fn manual_departing_subscriber_reports_every_topic_it_asked_for() {
        let mut h = xpub();
        h.option(ZMQ_XPUB_MANUAL, 1);
        let a = subscriber(&mut h, &[b"A"]);
        subscriber(&mut h, &[b"A"]);
        notices(&mut h);
        h.disconnect(a, true);
        assert_eq!(notices(&mut h), [b"\x00A"]);
    }

    #[test]
    fn subscribe_option_is_not_an_xpub_option_outside_manual_mode() {
        let mut h = xpub();
        assert_eq!(h.socket.set_option(ZMQ_SUBSCRIBE, b"A"), Ok(false));
    }

    #[test]
    fn negative_or_wrongly_sized_flag_is_einval() {
        let mut h = xpub();
        assert_eq!(h.socket.set_option(ZMQ_XPUB_VERBOSE, &(-1i32).to_ne_bytes()), Err(Errno::EINVAL));
        assert_eq!(h.socket.set_option(ZMQ_XPUB_NODROP, &[1u8]), Err(Errno::EINVAL));
    }

    #[cfg(zmq_draft)]
    #[test]
    fn topics_count_counts_distinct_topics() {
        let mut h = xpub();
        subscriber(&mut h, &[b"A", b"B"]);
        subscriber(&mut h, &[b"A"]);
        h.has_in();
        let mut out = [0u8; 4];
        assert_eq!(h.socket.get_option(ZMQ_TOPICS_COUNT, &mut out), Ok(Some(4)));
        assert_eq!(c_int::from_ne_bytes(out), 2);
    }

    #[cfg(zmq_draft)]
    #[test]
    fn manual_last_value_sends_the_next_message_only_to_the_last_subscriber() {
        let mut h = xpub();
        h.option(ZMQ_XPUB_MANUAL_LAST_VALUE, 1);
        let mut a = subscriber(&mut h, &[b"A"]);
        let mut b = subscriber(&mut h, &[b"A"]);
        h.recv().unwrap();
        h.socket.set_option(ZMQ_SUBSCRIBE, b"A").unwrap();
        h.recv().unwrap();
        h.socket.set_option(ZMQ_SUBSCRIBE, b"A").unwrap();
        h.send(&[b"A-last"]).unwrap();
        h.send(&[b"A-all"]).unwrap();
        assert_eq!(a.recv(), Some(parts(&[b"A-all"])));
        assert_eq!(b.recv(), Some(parts(&[b"A-last"])));
        assert_eq!(b.recv(), Some(parts(&[b"A-all"])));
    }

    #[cfg(zmq_draft)]
    #[test]
    fn only_first_subscribe_reads_frames_after_plain_data_as_data() {
        let mut h = xpub();
        h.option(ZMQ_ONLY_FIRST_SUBSCRIBE, 1);
        let mut peer = h.connect(None);
        peer.send(&[b"data", b"\x01B"]);
        assert_eq!(h.recv(), Ok(parts(&[b"data", b"\x01B"])));
        h.send(&[b"B"]).unwrap();
        assert_eq!(peer.recv(), None);
    }
}
