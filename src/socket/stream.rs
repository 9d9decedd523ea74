//! STREAM: talks to plain TCP peers (no ZMTP). Its sessions run in raw mode (see
//! `io::session`): each pipe carries single-frame messages of raw bytes, an empty message from
//! the session meaning "connected" or "disconnected", an empty message to it meaning "close".
//! This type names every connection with a routing id (a generated 5-byte one, or
//! ZMQ_CONNECT_ROUTING_ID for a connect), puts that id frame in front of everything received
//! (the connect/disconnect notifications too, unless ZMQ_STREAM_NOTIFY is off), and takes it off
//! the front of everything sent: `[id][data]` writes data to that connection, `[id][empty]`
//! closes it.

use std::collections::{HashMap, VecDeque};
use std::ffi::c_int;

use bytes::Bytes;

use crate::constants::{ZMQ_CONNECT_ROUTING_ID, ZMQ_ROUTING_ID, ZMQ_STREAM_NOTIFY};
use crate::error::{Errno, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::fq::FairQueue;
use crate::socket::pattern::{int_value, Pattern, SendError};
use crate::socket::pipes::{PipeMap, PipeSet, Pipes};

pub struct Stream {
    fq: FairQueue,
    /// Routing id of each connection's pipe, and the reverse.
    ids: PipeMap<Bytes>,
    pipes_by_id: HashMap<Bytes, PipeId>,
    /// Pipes whose connection this socket asked to close: their id is gone already, and what
    /// they still deliver before the session ends them is nobody's business.
    closing: PipeSet,
    /// Next generated id is `[0, big-endian counter]`; the counter starts at a random value.
    next_generated_id: u32,
    /// ZMQ_CONNECT_ROUTING_ID: the id for the pipe of the next zmq_connect.
    connect_routing_id: Option<Bytes>,
    /// The last generated id, which ZMQ_ROUTING_ID reads back as in libzmq (a client learns the
    /// id of its connection this way) until the option is set again.
    last_generated_id: Option<Bytes>,
    /// ZMQ_STREAM_NOTIFY: deliver the connect/disconnect notifications.
    notify: bool,

    /// The data frame behind a routing-id frame already handed out or prefetched by `has_in`
    /// (then the id frame waits here too).
    pending: VecDeque<Msg>,

    /// The caller gave the id frame; the next frame is the data.
    more_out: bool,
    /// Where that data goes; `None` drops it.
    current_out: Option<PipeId>,
}

impl Default for Stream {
    fn default() -> Self {
        Self {
            fq: FairQueue::default(),
            ids: PipeMap::default(),
            pipes_by_id: HashMap::new(),
            closing: PipeSet::default(),
            next_generated_id: crate::util::random::random_u32(),
            connect_routing_id: None,
            last_generated_id: None,
            notify: true,
            pending: VecDeque::new(),
            more_out: false,
            current_out: None,
        }
    }
}

impl Stream {
    fn generate_id(&mut self) -> Bytes {
        loop {
            let mut id = [0u8; 5];
            id[1..].copy_from_slice(&self.next_generated_id.to_be_bytes());
            self.next_generated_id = self.next_generated_id.wrapping_add(1);
            // A connect id may sit in the generated space; never hand out a taken one.
            if !self.pipes_by_id.contains_key(&id[..]) {
                return Bytes::copy_from_slice(&id);
            }
        }
    }

    fn identify(&mut self, pipe: PipeId, chosen: Option<Bytes>) {
        // libzmq asserts on a duplicate connect id; a generated one keeps the connection usable.
        let id = match chosen {
            Some(id) if !self.pipes_by_id.contains_key(&id) => id,
            _ => {
                let id = self.generate_id();
                self.last_generated_id = Some(id.clone());
                id
            }
        };
        self.pipes_by_id.insert(id.clone(), pipe);
        self.ids.insert(pipe, id);
        self.fq.attach(pipe);
    }

    fn forget_route(&mut self, pipe: PipeId) {
        if let Some(id) = self.ids.remove(&pipe) {
            self.pipes_by_id.remove(&id);
        }
    }

    /// Takes the next message worth delivering and queues it as `[id][data]`.
    fn prefetch(&mut self, pipes: &mut Pipes) -> bool {
        while let Some((mut data, pipe)) = self.fq.recv(pipes) {
            if self.closing.contains(&pipe) || (data.size() == 0 && !self.notify) {
                continue;
            }
            let Some(id) = self.ids.get(&pipe) else { continue };
            let mut id_frame = Msg::from_bytes(id.clone());
            id_frame.share_metadata_of(&data);
            id_frame.set_more(true);
            // A STREAM message is always exactly two frames.
            data.set_more(false);
            self.pending.push_back(id_frame);
            self.pending.push_back(data);
            return true;
        }
        false
    }
}

impl Pattern for Stream {
    fn attach(&mut self, pipe: PipeId, _pipes: &mut Pipes) {
        self.identify(pipe, None);
    }

    fn attach_connected(&mut self, pipe: PipeId, _pipes: &mut Pipes) {
        let chosen = self.connect_routing_id.take();
        self.identify(pipe, chosen);
    }

    fn terminated(&mut self, pipe: PipeId) {
        self.forget_route(pipe);
        self.closing.remove(&pipe);
        self.fq.terminated(pipe);
        if self.current_out == Some(pipe) {
            self.current_out = None;
        }
    }

    fn read_activated(&mut self, pipe: PipeId) {
        self.fq.activated(pipe);
    }

    fn write_activated(&mut self, _pipe: PipeId) {
        // Nothing to do: every message's destination is checked for room when it is sent.
    }

    fn send(&mut self, mut msg: Msg, pipes: &mut Pipes) -> std::result::Result<(), SendError> {
        if !self.more_out {
            // The id frame. Without MORE it names nobody, and the frame after it is dropped.
            self.current_out = None;
            if msg.more() {
                match self.pipes_by_id.get(msg.data()).copied() {
                    Some(pipe) if pipes.check_write(pipe) => self.current_out = Some(pipe),
                    Some(pipe) if !pipes.is_peer_gone(pipe) => return Err((Errno::EAGAIN, msg)),
                    _ => return Err((Errno(libc::EHOSTUNREACH), msg)),
                }
            }
            self.more_out = true;
            return Ok(());
        }
        // The data frame ends the message whatever its MORE flag says.
        msg.set_more(false);
        self.more_out = false;
        let Some(pipe) = self.current_out.take() else {
            return Ok(());
        };
        if msg.size() == 0 {
            // Close the connection once what was sent before is written: the session does that
            // on the empty message. The id is released now.
            self.forget_route(pipe);
            self.closing.insert(pipe);
        }
        pipes.write(pipe, msg);
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        if self.pending.is_empty() && !self.prefetch(pipes) {
            return Err(Errno::EAGAIN);
        }
        Ok(self.pending.pop_front().expect("prefetched"))
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        !self.pending.is_empty() || self.prefetch(pipes)
    }

    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        // Unknown ids fail at once and full ones with EAGAIN: a send never blocks for long.
        true
    }

    fn set_option(&mut self, option: c_int, value: &[u8]) -> Result<bool> {
        match option {
            ZMQ_STREAM_NOTIFY => {
                self.notify = match int_value(value)? {
                    0 => false,
                    1 => true,
                    _ => return Err(Errno::EINVAL),
                };
                Ok(true)
            }
            ZMQ_CONNECT_ROUTING_ID => {
                // Set-only and never empty, as in libzmq.
                if value.is_empty() {
                    return Err(Errno::EINVAL);
                }
                self.connect_routing_id = Some(Bytes::copy_from_slice(value));
                Ok(true)
            }
            ZMQ_ROUTING_ID => {
                // The generic option takes it; from now on it reads back what was set.
                self.last_generated_id = None;
                Ok(false)
            }
            _ => Ok(false),
        }
    }

    fn get_option(&self, option: c_int, out: &mut [u8]) -> Result<Option<usize>> {
        match (option, &self.last_generated_id) {
            (ZMQ_ROUTING_ID, Some(id)) => {
                // Binary, like the generic ZMQ_ROUTING_ID: no NUL, tail zero-filled.
                let Some((head, rest)) = out.split_at_mut_checked(id.len()) else {
                    return Err(Errno::EINVAL);
                };
                head.copy_from_slice(id);
                rest.fill(0);
                Ok(Some(id.len()))
            }
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::PipeEnd;
    use crate::socket::router::harness::{frame, parts, Harness, Peer};

    fn stream() -> Harness<Stream> {
        Harness::new()
    }

    /// A connection as the session presents it: a pipe whose peer sends raw chunks.
    fn accept(h: &mut Harness<Stream>) -> Peer {
        h.connect(None)
    }

    /// A connection made by zmq_connect (ZMQ_CONNECT_ROUTING_ID applies).
    fn connect(h: &mut Harness<Stream>) -> Peer {
        let (ours, theirs) = PipeEnd::pair(0, 0);
        theirs.attach(&h.mailbox, None);
        ours.attach(&h.mailbox, None);
        let pipe = ours.id();
        h.pipes.insert(ours);
        h.socket.attach_connected(pipe, &mut h.pipes);
        Peer { end: theirs, pipe }
    }

    fn id_of(h: &mut Harness<Stream>, peer: &mut Peer) -> Vec<u8> {
        peer.send(&[b""]);
        let mut received = h.recv().unwrap();
        assert_eq!(received[1], b"");
        received.remove(0)
    }

    #[test]
    fn data_arrives_behind_a_generated_five_byte_id() {
        let mut h = stream();
        let mut peer = accept(&mut h);
        peer.send(&[b"GET /"]);
        let received = h.recv().unwrap();
        assert_eq!((received[0].len(), received[0][0]), (5, 0));
        assert_eq!(received[1], b"GET /");
    }

    #[test]
    fn id_frame_has_more_and_data_frame_does_not() {
        let mut h = stream();
        let mut peer = accept(&mut h);
        peer.send(&[b"a", b"b"]);
        assert!(h.recv_frame().unwrap().more());
        assert!(!h.recv_frame().unwrap().more(), "a STREAM message is two frames");
    }

    #[test]
    fn notifications_are_delivered_by_default_and_dropped_without_stream_notify() {
        let mut h = stream();
        let mut peer = accept(&mut h);
        peer.send(&[b""]);
        assert_eq!(h.recv().unwrap()[1], b"");
        h.option(ZMQ_STREAM_NOTIFY, 0);
        peer.send(&[b""]);
        peer.send(&[b"data"]);
        assert_eq!(h.recv().unwrap()[1], b"data");
    }

    #[test]
    fn stream_notify_is_a_strict_bool() {
        let mut h = stream();
        assert_eq!(h.socket.set_option(ZMQ_STREAM_NOTIFY, &2i32.to_ne_bytes()), Err(Errno::EINVAL));
        assert_eq!(h.socket.set_option(ZMQ_STREAM_NOTIFY, &[1u8]), Err(Errno::EINVAL));
    }

    #[test]
    fn sending_to_an_id_writes_the_data_to_that_connection_only() {
        let mut h = stream();
        let mut a = accept(&mut h);
        let mut b = accept(&mut h);
        let id_b = id_of(&mut h, &mut b);
        h.send(&[&id_b, b"reply"]).unwrap();
        assert_eq!(b.recv(), Some(parts(&[b"reply"])));
        assert_eq!(a.recv(), None);
    }

    #[test]
    fn data_frame_ends_the_message_even_with_more() {
        let mut h = stream();
        let mut peer = accept(&mut h);
        let id = id_of(&mut h, &mut peer);
        h.socket.send(frame(&id, true), &mut h.pipes).unwrap();
        h.socket.send(frame(b"one", true), &mut h.pipes).unwrap();
        h.socket.send(frame(&id, true), &mut h.pipes).unwrap();
        h.socket.send(frame(b"two", true), &mut h.pipes).unwrap();
        assert_eq!(peer.recv(), Some(parts(&[b"one"])));
        assert_eq!(peer.recv(), Some(parts(&[b"two"])));
    }

    #[test]
    fn unknown_id_is_ehostunreach_and_gives_the_frame_back() {
        let mut h = stream();
        let (errno, msg) = h.socket.send(frame(b"nobody", true), &mut h.pipes).unwrap_err();
        assert_eq!((errno, msg.data()), (Errno(libc::EHOSTUNREACH), &b"nobody"[..]));
        // The socket is ready for a new message.
        let mut peer = accept(&mut h);
        let id = id_of(&mut h, &mut peer);
        h.send(&[&id, b"x"]).unwrap();
        assert_eq!(peer.recv(), Some(parts(&[b"x"])));
    }

    #[test]
    fn id_frame_without_more_drops_the_next_frame() {
        let mut h = stream();
        let mut peer = accept(&mut h);
        let id = id_of(&mut h, &mut peer);
        h.socket.send(frame(&id, false), &mut h.pipes).unwrap();
        h.socket.send(frame(b"lost", false), &mut h.pipes).unwrap();
        assert_eq!(peer.recv(), None);
    }

    #[test]
    fn full_connection_is_eagain() {
        let mut h = stream();
        let mut peer = h.connect_with_hwm(None, 1);
        let id = id_of(&mut h, &mut peer);
        h.send(&[&id, b"first"]).unwrap();
        assert_eq!(h.send(&[&id, b"second"]), Err(Errno::EAGAIN));
    }

    #[test]
    fn empty_data_asks_the_session_to_close_and_releases_the_id() {
        let mut h = stream();
        let mut peer = accept(&mut h);
        let id = id_of(&mut h, &mut peer);
        h.send(&[&id, b"last words"]).unwrap();
        h.send(&[&id, b""]).unwrap();
        assert_eq!(peer.recv(), Some(parts(&[b"last words"])));
        assert_eq!(peer.recv(), Some(parts(&[b""])), "the session's close request");
        assert_eq!(h.send(&[&id, b"late"]), Err(Errno(libc::EHOSTUNREACH)));
        // What the connection still delivers before the session ends it is dropped.
        peer.send(&[b"stray"]);
        assert_eq!(h.recv(), Err(Errno::EAGAIN));
        let pipe = peer.pipe;
        h.disconnect(peer, true);
        h.recv().unwrap_err();
        assert!(!h.pipes.contains(pipe));
    }

    #[test]
    fn connect_routing_id_names_the_next_connect_only() {
        let mut h = stream();
        assert_eq!(h.socket.set_option(ZMQ_CONNECT_ROUTING_ID, b""), Err(Errno::EINVAL));
        h.socket.set_option(ZMQ_CONNECT_ROUTING_ID, b"conn1").unwrap();
        let mut named = connect(&mut h);
        let mut other = connect(&mut h);
        assert_eq!(id_of(&mut h, &mut named), b"conn1");
        assert_eq!(id_of(&mut h, &mut other)[0], 0);
        h.send(&[b"conn1", b"hi"]).unwrap();
        assert_eq!(named.recv(), Some(parts(&[b"hi"])));
    }

    #[test]
    fn routing_id_option_reads_the_last_generated_id_until_set() {
        let mut h = stream();
        let mut out = [0u8; 8];
        assert_eq!(h.socket.get_option(ZMQ_ROUTING_ID, &mut out), Ok(None));
        let mut peer = connect(&mut h);
        let id = id_of(&mut h, &mut peer);
        assert_eq!(h.socket.get_option(ZMQ_ROUTING_ID, &mut out), Ok(Some(5)));
        assert_eq!(&out[..5], &id[..]);
        assert_eq!(h.socket.get_option(ZMQ_ROUTING_ID, &mut [0u8; 4]), Err(Errno::EINVAL));
        assert_eq!(h.socket.set_option(ZMQ_ROUTING_ID, b"mine"), Ok(false));
        assert_eq!(h.socket.get_option(ZMQ_ROUTING_ID, &mut out), Ok(None));
    }

    #[test]
    fn has_in_prefetches_and_keeps_the_message() {
        let mut h = stream();
        let mut peer = accept(&mut h);
        assert!(!h.has_in());
        peer.send(&[b"x"]);
        assert!(h.has_in());
        assert!(h.has_in());
        assert_eq!(h.recv().unwrap()[1], b"x");
        assert!(!h.has_in());
    }

    #[test]
    fn id_frame_carries_the_data_frame_metadata() {
        use crate::msg::Metadata;
        use std::sync::Arc;
        let mut h = stream();
        let mut peer = accept(&mut h);
        let mut data = Msg::from_slice(b"x").unwrap();
        let address = std::ffi::CString::new("127.0.0.1").unwrap().into_boxed_c_str();
        data.set_metadata(Arc::new(Metadata::new(7, vec![("Peer-Address".to_owned(), address)])));
        peer.end.write(data);
        peer.end.flush();
        let id = h.recv_frame().unwrap();
        assert_eq!(id.metadata().and_then(|m| m.get("Peer-Address")).unwrap().to_bytes(), b"127.0.0.1");
        assert_eq!(id.source_fd(), Ok(7));
    }
}
