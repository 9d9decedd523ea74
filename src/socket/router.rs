//! ROUTER: addresses peers by routing id. Owns the routing table (id ↔ pipe), the naming of new
//! peers (announced id, ZMQ_CONNECT_ROUTING_ID, or a generated one), duplicate-id handling
//! (ignore, or ZMQ_ROUTER_HANDOVER), the id frame put in front of each received message, and the
//! id frame taken off the front of each sent one (ZMQ_ROUTER_MANDATORY decides whether an
//! unroutable message is an error). REP is built on it.

use std::collections::{HashMap, VecDeque};
use std::ffi::c_int;

use bytes::Bytes;

use crate::constants::draft::{ZMQ_NOTIFY_CONNECT, ZMQ_NOTIFY_DISCONNECT, ZMQ_ROUTER_NOTIFY};
use crate::constants::{
    ZMQ_CONNECT_ROUTING_ID, ZMQ_POLLOUT, ZMQ_PROBE_ROUTER, ZMQ_ROUTER_HANDOVER, ZMQ_ROUTER_MANDATORY,
    ZMQ_ROUTER_RAW,
};
use crate::error::{Errno, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::fq::FairQueue;
use crate::socket::pattern::{int_value, put_int, Pattern, SendError};
use crate::socket::pipes::{PipeMap, PipeSet, Pipes};

pub struct Router {
    fq: FairQueue,
    /// Routing id of each identified pipe, and the reverse. Peers choose routing ids, so the
    /// map keyed by them keeps the standard library's keyed (flood-resistant) hash.
    ids: PipeMap<Bytes>,
    pipes_by_id: HashMap<Bytes, PipeId>,
    /// Pipes whose announced id was already taken (without handover). libzmq keeps such a peer
    /// connected but never reads from it or routes to it, so we do the same rather than
    /// dropping it (a dropped TCP peer would only reconnect and be refused again).
    ignored: PipeSet,
    /// Next generated id is `[0, big-endian counter]`; the counter starts at a random value.
    next_generated_id: u32,
    /// The id the next attached pipe takes (ZMQ_CONNECT_ROUTING_ID, given by the base).
    next_routing_id: Option<Bytes>,
    /// ZMQ_CONNECT_ROUTING_ID: the id for the pipe of the next zmq_connect.
    connect_routing_id: Option<Bytes>,

    /// Frames already taken from the fair queue and not yet given to the caller: the id frame
    /// and the first frame of a message (`has_in` has to read a message to know one is there).
    pending: VecDeque<Msg>,
    /// Pipe of the message being received (or prefetched).
    current_in: Option<PipeId>,
    /// The caller has received a frame with MORE: the next frame continues that message.
    more_in: bool,
    /// A pipe that lost its id by handover while we were receiving from it: it is dropped once
    /// that message has been received whole.
    drop_after_message: Option<PipeId>,

    /// The caller is in the middle of sending a message (the id frame has been given).
    more_out: bool,
    /// Where the rest of the message goes; `None` drops it.
    current_out: Option<PipeId>,

    mandatory: bool,
    handover: bool,
    probe_router: bool,
    raw: bool,
    /// ZMQ_ROUTER_NOTIFY (draft): ZMQ_NOTIFY_CONNECT / _DISCONNECT bits.
    notify: c_int,
    /// Routing ids of peers that connected or left, each delivered as `[id, ""]` when the
    /// caller is between messages.
    notices: VecDeque<Bytes>,
}

impl Default for Router {
    fn default() -> Self {
        Self {
            fq: FairQueue::default(),
            ids: PipeMap::default(),
            pipes_by_id: HashMap::new(),
            ignored: PipeSet::default(),
            next_generated_id: crate::util::random::random_u32(),
            next_routing_id: None,
            connect_routing_id: None,
            pending: VecDeque::new(),
            current_in: None,
            more_in: false,
            drop_after_message: None,
            more_out: false,
            current_out: None,
            mandatory: false,
            handover: false,
            probe_router: false,
            raw: false,
            notify: 0,
            notices: VecDeque::new(),
        }
    }
}

impl Router {
    /// Gives the next attached pipe this routing id instead of the one its peer announces. The
    /// base calls it (with the ZMQ_CONNECT_ROUTING_ID value, which it then clears) right before
    /// `attach` of the pipe created by `zmq_connect`, and for no other pipe. An empty id is
    /// ignored. A duplicate is handled like a duplicate announced id (libzmq asserts instead).
    pub fn set_next_routing_id(&mut self, id: Vec<u8>) {
        self.next_routing_id = (!id.is_empty()).then(|| Bytes::from(id));
    }

    /// Whether a peer with this routing id is attached.
    pub fn has_peer(&self, routing_id: &[u8]) -> bool {
        self.pipes_by_id.contains_key(routing_id)
    }

    /// `zmq_socket_get_peer_state`: ZMQ_POLLOUT when the peer can take a message now, 0 when it
    /// is at its high-water mark; EHOSTUNREACH for an unknown id.
    pub fn peer_state(&self, routing_id: &[u8], pipes: &mut Pipes) -> Result<c_int> {
        let pipe = *self.pipes_by_id.get(routing_id).ok_or(Errno(libc::EHOSTUNREACH))?;
        Ok(if pipes.check_write(pipe) { ZMQ_POLLOUT } else { 0 })
    }

    /// ZMQ_ROUTER_RAW is set: the base must then speak raw TCP (no ZMTP handshake, no announced
    /// ids) on this socket's connections.
    pub fn is_raw(&self) -> bool {
        self.raw
    }

    /// The routing id of an attached pipe.
    pub fn routing_id_of(&self, pipe: PipeId) -> Option<&Bytes> {
        self.ids.get(&pipe)
    }

    fn generate_id(&mut self) -> Bytes {
        loop {
            let mut id = [0u8; 5];
            id[1..].copy_from_slice(&self.next_generated_id.to_be_bytes());
            self.next_generated_id = self.next_generated_id.wrapping_add(1);
            // A peer could announce an id in the generated space; never hand out a taken one.
            if !self.pipes_by_id.contains_key(&id[..]) {
                return Bytes::copy_from_slice(&id);
            }
        }
    }

    fn insert_route(&mut self, id: Bytes, pipe: PipeId) {
        self.pipes_by_id.insert(id.clone(), pipe);
        self.ids.insert(pipe, id);
    }

    /// Takes `id` away from the pipe holding it (which gets a generated id until it is gone)
    /// and drops that pipe, after the message being received from it, if any.
    fn hand_over(&mut self, id: &Bytes, pipes: &mut Pipes) {
        let Some(old) = self.pipes_by_id.remove(id) else {
            return;
        };
        let fresh = self.generate_id();
        self.insert_route(fresh, old);
        if self.current_in == Some(old) {
            self.drop_after_message = Some(old);
        } else {
            pipes.mark_dead(old);
        }
    }

    /// Ignored pipes are never read, so nothing else would notice their peer leaving.
    fn sweep_ignored(&mut self, pipes: &mut Pipes) {
        if self.ignored.is_empty() {
            return;
        }
        for &pipe in &self.ignored {
            if pipes.is_peer_gone(pipe) {
                pipes.mark_dead(pipe);
            }
        }
    }

    /// Stores a message's first frame behind the id frame of its pipe.
    fn prefetch(&mut self, first: Msg, pipe: PipeId) {
        let id = self.ids.get(&pipe).map(|id| &id[..]).unwrap_or_default();
        // A copy (the caller may write to the frame), inline for the usual ids of up to 33 bytes:
        // no allocation per message.
        let mut id_frame =
            Msg::from_slice(id).unwrap_or_else(|_| Msg::from_bytes(Bytes::copy_from_slice(id)));
        id_frame.set_more(true);
        self.pending.push_back(id_frame);
        self.pending.push_back(first);
        self.current_in = Some(pipe);
    }

    fn message_received(&mut self, pipes: &mut Pipes) {
        if let Some(pipe) = self.drop_after_message.take() {
            pipes.mark_dead(pipe);
        }
        self.current_in = None;
    }

    fn next_frame(&mut self, pipes: &mut Pipes) -> Option<Msg> {
        if self.pending.is_empty() && !self.more_in {
            if let Some(id) = self.notices.pop_front() {
                let mut id_frame = Msg::from_bytes(id);
                id_frame.set_more(true);
                self.pending.push_back(id_frame);
                self.pending.push_back(Msg::new());
                self.current_in = None;
            }
        }
        if self.pending.is_empty() && !self.more_in {
            let (first, pipe) = self.fq.recv(pipes)?;
            self.prefetch(first, pipe);
        }
        if let Some(frame) = self.pending.pop_front() {
            if !frame.more() {
                self.message_received(pipes);
            }
            return Some(frame);
        }
        // Messages arrive whole, so the rest of this one is there unless its pipe died (a peer
        // closing with linger 0 discards what it sent). Then end the message with an empty
        // frame, so the caller's next message still starts with a routing id.
        match self.fq.recv(pipes) {
            Some((frame, pipe)) if Some(pipe) == self.current_in => {
                if !frame.more() {
                    self.message_received(pipes);
                }
                Some(frame)
            }
            other => {
                self.message_received(pipes);
                if let Some((first, pipe)) = other {
                    self.prefetch(first, pipe);
                }
                Some(Msg::new())
            }
        }
    }
}

impl Pattern for Router {
    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        if self.probe_router {
            pipes.write(pipe, Msg::new());
        }
        let chosen = self.next_routing_id.take();
        let id = match chosen {
            Some(id) => Some(id),
            // A raw peer announces nothing: always generate.
            None if self.raw => None,
            None => pipes.peer_routing_id(pipe).filter(|id| !id.is_empty()).cloned(),
        };
        let id = match id {
            Some(id) if self.pipes_by_id.contains_key(&id) => {
                if !self.handover {
                    self.ignored.insert(pipe);
                    return;
                }
                self.hand_over(&id, pipes);
                id
            }
            Some(id) => id,
            None => self.generate_id(),
        };
        if self.notify & ZMQ_NOTIFY_CONNECT != 0 {
            self.notices.push_back(id.clone());
        }
        self.insert_route(id, pipe);
        self.fq.attach(pipe);
    }

    fn terminated(&mut self, pipe: PipeId) {
        if self.ignored.remove(&pipe) {
            return;
        }
        if let Some(id) = self.ids.remove(&pipe) {
            self.pipes_by_id.remove(&id);
            if self.notify & ZMQ_NOTIFY_DISCONNECT != 0 {
                self.notices.push_back(id);
            }
        }
        self.fq.terminated(pipe);
        if self.current_out == Some(pipe) {
            // The rest of the message being sent is dropped; what was written dies unflushed
            // with the pipe.
            self.current_out = None;
        }
        if self.drop_after_message == Some(pipe) {
            self.drop_after_message = None;
        }
        // `current_in` stays: the next read notices the pipe is gone and ends the message.
    }

    fn read_activated(&mut self, pipe: PipeId) {
        if !self.ignored.contains(&pipe) {
            self.fq.activated(pipe);
        }
    }

    fn write_activated(&mut self, _pipe: PipeId) {
        // Nothing to do: every message's destination is checked for room when it is sent.
    }

    fn send(&mut self, mut msg: Msg, pipes: &mut Pipes) -> std::result::Result<(), SendError> {
        self.sweep_ignored(pipes);
        if !self.more_out {
            // The first frame names the destination. A lone frame is not a message: dropped.
            if !msg.more() {
                return Ok(());
            }
            self.current_out = None;
            match self.pipes_by_id.get(msg.data()).copied() {
                Some(pipe) if pipes.check_write(pipe) => self.current_out = Some(pipe),
                Some(pipe) if self.mandatory => {
                    let errno =
                        if pipes.is_peer_gone(pipe) { Errno(libc::EHOSTUNREACH) } else { Errno::EAGAIN };
                    return Err((errno, msg));
                }
                None if self.mandatory => return Err((Errno(libc::EHOSTUNREACH), msg)),
                // Unroutable without ZMQ_ROUTER_MANDATORY: the whole message is dropped.
                _ => {}
            }
            self.more_out = true;
            return Ok(());
        }
        if self.raw {
            // Raw peers have no frames: each part goes out as its own message.
            msg.set_more(false);
        }
        self.more_out = msg.more();
        let Some(pipe) = self.current_out else {
            return Ok(());
        };
        if self.raw && msg.size() == 0 {
            // In raw mode an empty frame asks to close that connection.
            pipes.mark_dead(pipe);
            self.current_out = None;
            return Ok(());
        }
        pipes.write(pipe, msg);
        if !self.more_out {
            self.current_out = None;
        }
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        self.sweep_ignored(pipes);
        let frame = self.next_frame(pipes).ok_or(Errno::EAGAIN)?;
        self.more_in = frame.more();
        Ok(frame)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.sweep_ignored(pipes);
        if self.more_in || !self.pending.is_empty() || !self.notices.is_empty() {
            return true;
        }
        match self.fq.recv(pipes) {
            Some((first, pipe)) => {
                self.prefetch(first, pipe);
                true
            }
            None => false,
        }
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        // Without MANDATORY a send never blocks (unroutable messages are dropped); with it, the
        // socket is writable when some peer has room.
        !self.mandatory || self.pipes_by_id.values().any(|&pipe| pipes.check_write(pipe))
    }

    fn peer_state(&mut self, routing_id: &[u8], pipes: &mut Pipes) -> Result<c_int> {
        Router::peer_state(self, routing_id, pipes)
    }

    fn attach_connected(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        if let Some(id) = self.connect_routing_id.take() {
            self.next_routing_id = Some(id);
        }
        self.attach(pipe, pipes);
    }

    fn set_option(&mut self, option: c_int, value: &[u8]) -> Result<bool> {
        if option == ZMQ_CONNECT_ROUTING_ID {
            // Set-only and never empty, as in libzmq.
            if value.is_empty() {
                return Err(Errno::EINVAL);
            }
            self.connect_routing_id = Some(Bytes::copy_from_slice(value));
            return Ok(true);
        }
        if option == ZMQ_ROUTER_NOTIFY {
            let value = int_value(value)?;
            if !(0..=ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT).contains(&value) {
                return Err(Errno::EINVAL);
            }
            self.notify = value;
            return Ok(true);
        }
        let flag = match option {
            ZMQ_ROUTER_MANDATORY => &mut self.mandatory,
            ZMQ_ROUTER_HANDOVER => &mut self.handover,
            ZMQ_PROBE_ROUTER => &mut self.probe_router,
            ZMQ_ROUTER_RAW => &mut self.raw,
            _ => return Ok(false),
        };
        let value = int_value(value)?;
        if value < 0 {
            return Err(Errno::EINVAL);
        }
        *flag = value != 0;
        Ok(true)
    }
    // libzmq's ROUTER options are write-only (zmq_getsockopt gives EINVAL), except the draft
    // ZMQ_ROUTER_NOTIFY.
    fn get_option(&self, option: c_int, out: &mut [u8]) -> Result<Option<usize>> {
        if option == ZMQ_ROUTER_NOTIFY {
            return put_int(out, self.notify);
        }
        Ok(None)
    }
}

/// A stand-in for the socket base and the remote peers, shared by the ROUTER, REP and REQ tests.
#[cfg(test)]
pub(crate) mod harness {
    use std::sync::Arc;

    use bytes::Bytes;

    use crate::command::Command;
    use crate::mailbox::Mailbox;
    use crate::msg::Msg;
    use crate::pipe::{PipeEnd, PipeId, Read};
    use crate::socket::pattern::Pattern;
    use crate::socket::pipes::Pipes;

    pub fn frame(body: &[u8], more: bool) -> Msg {
        let mut msg = Msg::from_slice(body).unwrap();
        msg.set_more(more);
        msg
    }

    /// The far end of one pipe, playing the remote socket.
    pub struct Peer {
        pub end: PipeEnd,
        /// Our socket's end of the pipe.
        pub pipe: PipeId,
    }

    impl Peer {
        /// Sends a whole message, one frame per part.
        pub fn send(&mut self, parts: &[&[u8]]) {
            for (i, part) in parts.iter().enumerate() {
                self.end.write(frame(part, i + 1 < parts.len()));
            }
            self.end.flush();
        }

        /// The next whole message the socket sent this peer, if any.
        pub fn recv(&mut self) -> Option<Vec<Vec<u8>>> {
            let mut parts = Vec::new();
            loop {
                match self.end.read() {
                    Read::Msg(msg) => {
                        parts.push(msg.data().to_vec());
                        if !msg.more() {
                            return Some(parts);
                        }
                    }
                    _ => {
                        assert!(parts.is_empty(), "messages arrive whole");
                        return None;
                    }
                }
            }
        }
    }

    /// The socket-base side: the pipe table, and the socket type under test.
    pub struct Harness<P: Pattern> {
        pub pipes: Pipes,
        pub socket: P,
        pub mailbox: Arc<Mailbox>,
    }

    impl<P: Pattern + Default> Harness<P> {
        pub fn new() -> Self {
            Self { pipes: Pipes::default(), socket: P::default(), mailbox: Arc::new(Mailbox::new().unwrap()) }
        }
    }

    impl<P: Pattern> Harness<P> {
        pub fn option(&mut self, option: std::ffi::c_int, value: std::ffi::c_int) {
            assert!(self.socket.set_option(option, &value.to_ne_bytes()).unwrap());
        }

        /// A new peer announcing `routing_id`, with `hwm` messages allowed towards it (0: none).
        pub fn connect_with_hwm(&mut self, routing_id: Option<&[u8]>, hwm: u64) -> Peer {
            let (ours, theirs) = PipeEnd::pair(hwm, 0);
            theirs.attach(&self.mailbox, routing_id.map(Bytes::copy_from_slice));
            ours.attach(&self.mailbox, None);
            let pipe = ours.id();
            self.pipes.insert(ours);
            self.socket.attach(pipe, &mut self.pipes);
            self.reap();
            Peer { end: theirs, pipe }
        }

        pub fn connect(&mut self, routing_id: Option<&[u8]>) -> Peer {
            self.connect_with_hwm(routing_id, 0)
        }

        /// Delivers the pipe commands sent to the socket, as the base does before each call. A
        /// PipeTerm wakes the reader so that it reads on and finds the pipe closed.
        pub fn dispatch(&mut self) {
            for command in self.mailbox.take_all() {
                match command {
                    Command::ActivateRead(pipe) | Command::PipeTerm(pipe) if self.pipes.contains(pipe) => {
                        self.socket.read_activated(pipe)
                    }
                    Command::ActivateWrite(pipe) if self.pipes.contains(pipe) => {
                        self.socket.write_activated(pipe)
                    }
                    _ => {}
                }
            }
        }

        /// What the base does after each socket-type call: remove the pipes found dead.
        pub fn reap(&mut self) -> Vec<PipeId> {
            let dead = self.pipes.take_dead();
            for &pipe in &dead {
                if let Some(end) = self.pipes.remove(pipe) {
                    end.terminate(true);
                }
                self.socket.terminated(pipe);
            }
            dead
        }

        /// Closes `peer`'s end and lets the socket notice.
        pub fn disconnect(&mut self, peer: Peer, linger: bool) {
            peer.end.terminate(linger);
        }

        /// Sends a whole message; on error, the error of the frame that failed.
        pub fn send(&mut self, parts: &[&[u8]]) -> Result<(), crate::error::Errno> {
            for (i, part) in parts.iter().enumerate() {
                self.dispatch();
                let result = self.socket.send(frame(part, i + 1 < parts.len()), &mut self.pipes);
                self.reap();
                result.map_err(|(errno, _)| errno)?;
            }
            Ok(())
        }

        pub fn recv_frame(&mut self) -> Result<Msg, crate::error::Errno> {
            self.dispatch();
            let result = self.socket.recv(&mut self.pipes);
            self.reap();
            result
        }

        /// Receives a whole message.
        pub fn recv(&mut self) -> Result<Vec<Vec<u8>>, crate::error::Errno> {
            let mut parts = Vec::new();
            loop {
                let msg = self.recv_frame()?;
                parts.push(msg.data().to_vec());
                if !msg.more() {
                    return Ok(parts);
                }
            }
        }

        pub fn has_in(&mut self) -> bool {
            self.dispatch();
            let result = self.socket.has_in(&mut self.pipes);
            self.reap();
            result
        }

        pub fn has_out(&mut self) -> bool {
            self.dispatch();
            let result = self.socket.has_out(&mut self.pipes);
            self.reap();
            result
        }
    }

    pub fn parts(parts: &[&[u8]]) -> Vec<Vec<u8>> {
        parts.iter().map(|part| part.to_vec()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::harness::{frame, parts, Harness};
    use super::*;

    fn router() -> Harness<Router> {
        Harness::new()
    }

    #[test]
    fn received_message_is_preceded_by_announced_routing_id() {
        let mut h = router();
        let mut peer = h.connect(Some(b"alice"));
        peer.send(&[b"hello", b"world"]);
        assert_eq!(h.recv().unwrap(), parts(&[b"alice", b"hello", b"world"]));
    }

    #[test]
    fn routing_id_frame_has_more_set() {
        let mut h = router();
        let mut peer = h.connect(Some(b"alice"));
        peer.send(&[b"x"]);
        assert!(h.recv_frame().unwrap().more());
        assert!(!h.recv_frame().unwrap().more());
    }

    #[test]
    fn anonymous_peer_gets_generated_five_byte_id_starting_with_zero() {
        let mut h = router();
        let mut peer = h.connect(None);
        peer.send(&[b"x"]);
        let id = h.recv().unwrap().remove(0);
        assert_eq!(id.len(), 5);
        assert_eq!(id[0], 0);
    }

    #[test]
    fn empty_announced_id_counts_as_none() {
        let mut h = router();
        let mut peer = h.connect(Some(b""));
        peer.send(&[b"x"]);
        let id = h.recv().unwrap().remove(0);
        assert_eq!((id.len(), id[0]), (5, 0));
    }

    #[test]
    fn generated_ids_count_up_big_endian() {
        let mut h = router();
        let mut a = h.connect(None);
        let mut b = h.connect(None);
        a.send(&[b"a"]);
        let first = h.recv().unwrap().remove(0);
        b.send(&[b"b"]);
        let second = h.recv().unwrap().remove(0);
        let counter = |id: &[u8]| u32::from_be_bytes(id[1..5].try_into().unwrap());
        assert_eq!(counter(&second), counter(&first).wrapping_add(1));
    }

    #[test]
    fn reply_goes_to_the_peer_named_by_the_first_frame() {
        let mut h = router();
        let mut a = h.connect(Some(b"A"));
        let mut b = h.connect(Some(b"B"));
        h.send(&[b"B", b"for b", b"part 2"]).unwrap();
        assert_eq!(b.recv(), Some(parts(&[b"for b", b"part 2"])));
        assert_eq!(a.recv(), None);
    }

    #[test]
    fn generated_id_routes_back_to_its_peer() {
        let mut h = router();
        let mut peer = h.connect(None);
        peer.send(&[b"ping"]);
        let id = h.recv().unwrap().remove(0);
        h.send(&[&id, b"pong"]).unwrap();
        assert_eq!(peer.recv(), Some(parts(&[b"pong"])));
    }

    #[test]
    fn unknown_destination_is_silently_dropped() {
        let mut h = router();
        let mut peer = h.connect(Some(b"A"));
        assert_eq!(h.send(&[b"nobody", b"lost", b"too"]), Ok(()));
        h.send(&[b"A", b"kept"]).unwrap();
        assert_eq!(peer.recv(), Some(parts(&[b"kept"])));
    }

    #[test]
    fn router_mandatory_unroutable_returns_ehostunreach() {
        let mut h = router();
        h.option(ZMQ_ROUTER_MANDATORY, 1);
        let err = h.socket.send(frame(b"nobody", true), &mut h.pipes).unwrap_err();
        assert_eq!(err.0, Errno(libc::EHOSTUNREACH));
        assert_eq!(err.1.data(), b"nobody", "the message is given back");
    }

    #[test]
    fn router_mandatory_error_leaves_socket_ready_for_a_new_message() {
        let mut h = router();
        h.option(ZMQ_ROUTER_MANDATORY, 1);
        let mut peer = h.connect(Some(b"A"));
        assert!(h.send(&[b"nobody", b"x"]).is_err());
        h.send(&[b"A", b"y"]).unwrap();
        assert_eq!(peer.recv(), Some(parts(&[b"y"])));
    }

    #[test]
    fn full_destination_drops_message_without_mandatory() {
        let mut h = router();
        let mut peer = h.connect_with_hwm(Some(b"A"), 1);
        h.send(&[b"A", b"first"]).unwrap();
        assert_eq!(h.send(&[b"A", b"second"]), Ok(()));
        assert_eq!(peer.recv(), Some(parts(&[b"first"])));
        assert_eq!(peer.recv(), None);
    }

    #[test]
    fn router_mandatory_full_destination_returns_eagain() {
        let mut h = router();
        h.option(ZMQ_ROUTER_MANDATORY, 1);
        let _peer = h.connect_with_hwm(Some(b"A"), 1);
        h.send(&[b"A", b"first"]).unwrap();
        let err = h.socket.send(frame(b"A", true), &mut h.pipes).unwrap_err();
        assert_eq!(err.0, Errno::EAGAIN);
        assert_eq!(err.1.data(), b"A");
    }

    #[test]
    fn router_mandatory_departed_peer_returns_ehostunreach() {
        let mut h = router();
        h.option(ZMQ_ROUTER_MANDATORY, 1);
        let peer = h.connect(Some(b"A"));
        h.disconnect(peer, true);
        assert_eq!(h.send(&[b"A", b"x"]), Err(Errno(libc::EHOSTUNREACH)));
    }

    #[test]
    fn has_out_is_always_true_without_mandatory() {
        let mut h = router();
        assert!(h.has_out());
        let _peer = h.connect_with_hwm(Some(b"A"), 1);
        h.send(&[b"A", b"x"]).unwrap();
        assert!(h.has_out());
    }

    #[test]
    fn router_mandatory_has_out_only_when_some_peer_has_room() {
        let mut h = router();
        h.option(ZMQ_ROUTER_MANDATORY, 1);
        assert!(!h.has_out());
        let mut peer = h.connect_with_hwm(Some(b"A"), 1);
        assert!(h.has_out());
        h.send(&[b"A", b"x"]).unwrap();
        assert!(!h.has_out());
        peer.recv();
        assert!(h.has_out());
    }

    #[test]
    fn lone_frame_without_more_is_dropped() {
        let mut h = router();
        let mut peer = h.connect(Some(b"A"));
        h.send(&[b"A"]).unwrap();
        h.send(&[b"A", b"real"]).unwrap();
        assert_eq!(peer.recv(), Some(parts(&[b"real"])));
    }

    #[test]
    fn duplicate_announced_id_is_ignored_without_handover() {
        let mut h = router();
        let mut first = h.connect(Some(b"X"));
        let mut second = h.connect(Some(b"X"));
        second.send(&[b"from second"]);
        assert!(!h.has_in());
        assert_eq!(h.recv(), Err(Errno::EAGAIN));
        h.send(&[b"X", b"hi"]).unwrap();
        assert_eq!(first.recv(), Some(parts(&[b"hi"])));
        assert_eq!(second.recv(), None);
    }

    #[test]
    fn ignored_duplicate_is_removed_when_its_peer_leaves() {
        let mut h = router();
        let _first = h.connect(Some(b"X"));
        let second = h.connect(Some(b"X"));
        let pipe = second.pipe;
        h.disconnect(second, true);
        h.has_in();
        assert!(!h.pipes.contains(pipe));
    }

    #[test]
    fn router_handover_moves_id_to_new_peer_and_drops_old_pipe() {
        let mut h = router();
        h.option(ZMQ_ROUTER_HANDOVER, 1);
        let mut first = h.connect(Some(b"X"));
        let old_pipe = first.pipe;
        let mut second = h.connect(Some(b"X"));
        assert!(!h.pipes.contains(old_pipe), "the old pipe is dropped");
        h.send(&[b"X", b"hi"]).unwrap();
        assert_eq!(second.recv(), Some(parts(&[b"hi"])));
        assert_eq!(first.recv(), None);
        second.send(&[b"back"]);
        assert_eq!(h.recv().unwrap(), parts(&[b"X", b"back"]));
    }

    #[test]
    fn router_handover_waits_for_the_message_being_received_from_the_old_pipe() {
        let mut h = router();
        h.option(ZMQ_ROUTER_HANDOVER, 1);
        let mut first = h.connect(Some(b"X"));
        first.send(&[b"one", b"two"]);
        assert_eq!(h.recv_frame().unwrap().data(), b"X");
        let _second = h.connect(Some(b"X"));
        assert!(h.pipes.contains(first.pipe));
        assert_eq!(h.recv_frame().unwrap().data(), b"one");
        assert_eq!(h.recv_frame().unwrap().data(), b"two");
        assert!(!h.pipes.contains(first.pipe));
    }

    #[test]
    fn router_handover_of_prefetched_message_keeps_old_pipe_until_it_is_read() {
        let mut h = router();
        h.option(ZMQ_ROUTER_HANDOVER, 1);
        let mut first = h.connect(Some(b"X"));
        first.send(&[b"pending"]);
        assert!(h.has_in());
        let _second = h.connect(Some(b"X"));
        assert!(h.pipes.contains(first.pipe));
        assert_eq!(h.recv().unwrap(), parts(&[b"X", b"pending"]));
        assert!(!h.pipes.contains(first.pipe));
    }

    #[test]
    fn probe_router_sends_empty_message_to_each_new_peer() {
        let mut h = router();
        h.option(ZMQ_PROBE_ROUTER, 1);
        let mut peer = h.connect(Some(b"A"));
        assert_eq!(peer.recv(), Some(vec![Vec::new()]));
    }

    #[test]
    fn next_routing_id_names_the_next_attached_pipe_only() {
        let mut h = router();
        h.socket.set_next_routing_id(b"conn".to_vec());
        let mut connected = h.connect(Some(b"announced"));
        let mut other = h.connect(Some(b"other"));
        connected.send(&[b"a"]);
        assert_eq!(h.recv().unwrap(), parts(&[b"conn", b"a"]));
        other.send(&[b"b"]);
        assert_eq!(h.recv().unwrap(), parts(&[b"other", b"b"]));
        h.send(&[b"conn", b"reply"]).unwrap();
        assert_eq!(connected.recv(), Some(parts(&[b"reply"])));
    }

    #[test]
    fn duplicate_connect_routing_id_is_ignored_like_an_announced_one() {
        let mut h = router();
        let mut first = h.connect(Some(b"X"));
        h.socket.set_next_routing_id(b"X".to_vec());
        let mut second = h.connect(None);
        second.send(&[b"ignored"]);
        assert!(!h.has_in());
        h.send(&[b"X", b"hi"]).unwrap();
        assert_eq!(first.recv(), Some(parts(&[b"hi"])));
    }

    #[test]
    fn has_in_prefetches_and_keeps_the_message() {
        let mut h = router();
        assert!(!h.has_in());
        let mut peer = h.connect(Some(b"A"));
        assert!(!h.has_in());
        peer.send(&[b"x", b"y"]);
        assert!(h.has_in());
        assert!(h.has_in(), "asking again changes nothing");
        assert_eq!(h.recv().unwrap(), parts(&[b"A", b"x", b"y"]));
        assert!(!h.has_in());
    }

    #[test]
    fn has_in_is_true_in_the_middle_of_a_message() {
        let mut h = router();
        let mut peer = h.connect(Some(b"A"));
        peer.send(&[b"x", b"y"]);
        h.recv_frame().unwrap();
        h.recv_frame().unwrap();
        assert!(h.has_in());
        assert_eq!(h.recv_frame().unwrap().data(), b"y");
    }

    #[test]
    fn messages_are_fair_queued_across_peers() {
        let mut h = router();
        let mut a = h.connect(Some(b"A"));
        let mut b = h.connect(Some(b"B"));
        a.send(&[b"a1"]);
        a.send(&[b"a2"]);
        b.send(&[b"b1"]);
        b.send(&[b"b2"]);
        let ids: Vec<Vec<u8>> = (0..4).map(|_| h.recv().unwrap().remove(0)).collect();
        assert_ne!(ids[0], ids[1]);
        assert_ne!(ids[2], ids[3]);
    }

    #[test]
    fn recv_with_nothing_queued_is_eagain() {
        let mut h = router();
        let _peer = h.connect(Some(b"A"));
        assert_eq!(h.recv(), Err(Errno::EAGAIN));
    }

    #[test]
    fn router_notify_announces_peers_arriving_and_leaving() {
        let mut h = router();
        assert_eq!(h.socket.set_option(ZMQ_ROUTER_NOTIFY, &4i32.to_ne_bytes()), Err(Errno::EINVAL));
        h.option(ZMQ_ROUTER_NOTIFY, ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT);
        let mut a = h.connect(Some(b"A"));
        assert_eq!(h.recv(), Ok(parts(&[b"A", b""])));
        a.send(&[b"hello"]);
        assert_eq!(h.recv(), Ok(parts(&[b"A", b"hello"])));
        h.disconnect(a, true);
        // The first look finds the pipe closed (as the base does, it is reaped after the call).
        assert_eq!(h.recv(), Err(Errno::EAGAIN));
        assert_eq!(h.recv(), Ok(parts(&[b"A", b""])));
        assert_eq!(h.recv(), Err(Errno::EAGAIN));
    }

    #[test]
    fn peer_state_reports_room_and_unknown_ids() {
        let mut h = router();
        let mut peer = h.connect_with_hwm(Some(b"A"), 1);
        assert_eq!(h.socket.peer_state(b"A", &mut h.pipes), Ok(ZMQ_POLLOUT));
        h.send(&[b"A", b"x"]).unwrap();
        assert_eq!(h.socket.peer_state(b"A", &mut h.pipes), Ok(0));
        peer.recv();
        assert_eq!(h.socket.peer_state(b"A", &mut h.pipes), Ok(ZMQ_POLLOUT));
        assert_eq!(h.socket.peer_state(b"B", &mut h.pipes), Err(Errno(libc::EHOSTUNREACH)));
        assert!(h.socket.has_peer(b"A") && !h.socket.has_peer(b"B"));
    }

    #[test]
    fn departed_peer_is_forgotten() {
        let mut h = router();
        let peer = h.connect(Some(b"A"));
        h.disconnect(peer, true);
        assert!(!h.has_in());
        assert!(!h.socket.has_peer(b"A"));
    }

    #[test]
    fn id_of_departed_peer_can_be_reused() {
        let mut h = router();
        let peer = h.connect(Some(b"A"));
        h.disconnect(peer, true);
        h.has_in();
        let mut again = h.connect(Some(b"A"));
        h.send(&[b"A", b"x"]).unwrap();
        assert_eq!(again.recv(), Some(parts(&[b"x"])));
    }

    #[test]
    fn message_cut_by_peer_closing_without_linger_ends_with_empty_frame() {
        let mut h = router();
        let mut a = h.connect(Some(b"A"));
        let mut b = h.connect(Some(b"B"));
        a.send(&[b"a1", b"a2"]);
        assert_eq!(h.recv_frame().unwrap().data(), b"A");
        assert_eq!(h.recv_frame().unwrap().data(), b"a1");
        h.disconnect(a, false);
        b.send(&[b"b1"]);
        let end = h.recv_frame().unwrap();
        assert!(end.size() == 0 && !end.more());
        assert_eq!(h.recv().unwrap(), parts(&[b"B", b"b1"]));
    }

    #[test]
    fn options_take_non_negative_ints_only() {
        let mut h = router();
        assert_eq!(h.socket.set_option(ZMQ_ROUTER_MANDATORY, &(-1i32).to_ne_bytes()), Err(Errno::EINVAL));
        assert_eq!(h.socket.set_option(ZMQ_ROUTER_HANDOVER, &[1u8]), Err(Errno::EINVAL));
        assert_eq!(h.socket.set_option(ZMQ_ROUTER_RAW, &2i32.to_ne_bytes()), Ok(true));
        assert_eq!(h.socket.set_option(crate::constants::ZMQ_REQ_RELAXED, &1i32.to_ne_bytes()), Ok(false));
    }

    #[test]
    fn router_options_are_write_only() {
        let h = router();
        let mut out = [0u8; 4];
        assert_eq!(h.socket.get_option(ZMQ_ROUTER_MANDATORY, &mut out), Ok(None));
    }

    #[test]
    fn router_raw_ignores_announced_ids() {
        let mut h = router();
        h.option(ZMQ_ROUTER_RAW, 1);
        assert!(h.socket.is_raw());
        let mut peer = h.connect(Some(b"named"));
        peer.send(&[b"data"]);
        let id = h.recv().unwrap().remove(0);
        assert_eq!((id.len(), id[0]), (5, 0));
    }

    #[test]
    fn router_raw_sends_each_part_as_its_own_message() {
        let mut h = router();
        h.option(ZMQ_ROUTER_RAW, 1);
        let mut peer = h.connect(None);
        peer.send(&[b"hi"]);
        let id = h.recv().unwrap().remove(0);
        h.send(&[&id, b"one"]).unwrap();
        assert_eq!(peer.recv(), Some(parts(&[b"one"])));
    }

    #[test]
    fn router_raw_empty_frame_closes_the_connection() {
        let mut h = router();
        h.option(ZMQ_ROUTER_RAW, 1);
        let mut peer = h.connect(None);
        peer.send(&[b"hi"]);
        let id = h.recv().unwrap().remove(0);
        h.send(&[&id, b""]).unwrap();
        assert!(!h.pipes.contains(peer.pipe));
    }
}
