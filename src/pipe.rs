//! Pipes: the message queues between two sockets (inproc), or a socket and its session (tcp,
//! ipc). A pipe is two channels, one per direction; each channel has exactly one writer thread
//! and one reader thread, and each side holds a [`PipeEnd`].
//!
//! The fast path takes no lock and makes no syscall. The frames themselves travel through a
//! [`ypipe`](crate::ypipe) (chunked single-producer/single-consumer queue):
//! - the writer pushes frames and makes them visible with one atomic add at the end of each whole
//!   (multipart) message (`flush`), so a reader never sees half a message;
//! - a reader that finds nothing marks itself asleep in the same atomic word; only a flush that
//!   finds the reader asleep sends it an `ActivateRead` command, so a busy pipe costs no wake-ups;
//! - the high-water mark counts whole messages: the writer compares what it wrote with what the
//!   reader reports having read, and a writer stopped at the mark is woken by `ActivateWrite`.
//!
//! Termination: the closing side marks its outgoing channel done (and, with linger 0, to be
//! discarded) and its incoming one abandoned, then tells the peer with `PipeTerm`. The peer drains
//! what is left and then sees the pipe closed. Unflushed frames of a half-sent message are never
//! counted, so they are dropped with the channel: multipart messages are all-or-nothing.

use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;

use crate::command::Command;
use crate::mailbox::Mailbox;
use crate::msg::{Metadata, Msg};
use crate::ypipe::{self, ypipe};

/// Identifies one pipe end within the process; commands name the end they are for.
pub type PipeId = u64;

static NEXT_PIPE_ID: AtomicU64 = AtomicU64::new(1);

/// Who to tell: the mailbox of the object owning an end, and that end's id.
struct Owner {
    mailbox: Arc<Mailbox>,
    pipe: PipeId,
}

/// A value alone on its cache line.
#[repr(align(64))]
struct OwnLine<T>(T);

/// One direction of a pipe: what its two ends share besides the frame queue.
struct Channel {
    /// Whole messages the reader has taken (for the writer's high-water mark).
    msgs_read: AtomicU64,
    /// Bytes of frames the reader has taken, reported with `msgs_read` (for the writer's pace).
    bytes_read: AtomicU64,
    /// Whole messages the writer has flushed (only for ZMQ_EVENT_PIPES_STATS). Written at every
    /// flush, so on a cache line of its own: the reader checks the flags below for every frame.
    msgs_flushed: OwnLine<AtomicU64>,
    /// High-water mark in messages, 0 for none. Written when the pipe is (re)attached.
    hwm: AtomicU64,
    writer_waiting: AtomicBool,
    /// The writer has finished: nothing more will be flushed.
    writer_done: AtomicBool,
    /// The reader must drop whatever is left (the writer closed with linger 0).
    discard: AtomicBool,
    /// The reader has gone: writing more is pointless.
    reader_gone: AtomicBool,
    /// The writer's ZMQ_LINGER when it closed: how long a session may still spend sending what
    /// the channel holds (inproc readers always get everything).
    writer_linger: AtomicI32,
    reader: OnceLock<Owner>,
    writer: OnceLock<Owner>,
    /// Routing id the writer's socket announced (ZMQ_ROUTING_ID), for ROUTER-like readers.
    writer_routing_id: OnceLock<Bytes>,
    /// The (local, remote) addresses of the connection a session writer serves, for
    /// ZMQ_EVENT_PIPES_STATS; empty for inproc pipes. Read and written rarely.
    writer_addresses: parking_lot::Mutex<(String, String)>,
}

impl Channel {
    fn new(hwm: u64) -> Self {
        Self {
            msgs_read: AtomicU64::new(0),
            bytes_read: AtomicU64::new(0),
            msgs_flushed: OwnLine(AtomicU64::new(0)),
            hwm: AtomicU64::new(hwm),
            writer_waiting: AtomicBool::new(false),
            writer_done: AtomicBool::new(false),
            discard: AtomicBool::new(false),
            reader_gone: AtomicBool::new(false),
            writer_linger: AtomicI32::new(-1),
            reader: OnceLock::new(),
            writer: OnceLock::new(),
            writer_routing_id: OnceLock::new(),
            writer_addresses: parking_lot::Mutex::default(),
        }
    }
}

fn notify(owner: Option<&Owner>, command: impl FnOnce(PipeId) -> Command) {
    if let Some(owner) = owner {
        owner.mailbox.send(command(owner.pipe));
    }
}

/// Marks a frame from a connection for the reader to find `metadata` on it (see
/// `PipeEnd::write_with_metadata`); `sent` is the metadata last sent on this pipe.
#[inline(always)]
fn mark_metadata(sent: &mut Option<Arc<Metadata>>, msg: &mut Msg, metadata: Option<&Arc<Metadata>>) {
    if let (Some(metadata), None) = (metadata, msg.metadata()) {
        if sent.as_ref().is_some_and(|sent| Arc::ptr_eq(sent, metadata)) {
            msg.mark_pipe_metadata(None);
        } else {
            *sent = Some(Arc::clone(metadata));
            msg.mark_pipe_metadata(Some(Arc::clone(metadata)));
        }
    }
}

/// What a read found.
#[derive(Debug)]
pub enum Read {
    Msg(Msg),
    /// Nothing now; the reader is marked asleep and will get `ActivateRead` when data arrives.
    Empty,
    /// The writer is done and everything it sent has been read (or discarded).
    Closed,
}

/// How many reads the writer is told about at once for a high-water mark: half of it, as libzmq
/// does (far enough from the mark to avoid lock-step wake-ups); 1024 when there is no mark.
fn low_water_mark(hwm: u64) -> u64 {
    match hwm {
        0 => 1024,
        hwm => hwm.div_ceil(2),
    }
}

/// Bytes read after which the writer is told, even before a low-water-mark batch of messages.
/// A writer of large messages then refills the pipe a few at a time, reusing bodies the reader
/// has just released while they are still in the CPU's caches.
const REPORT_BYTES: usize = 1 << 20;

/// Bytes a blocking sender may have queued beyond what the reader reported taking before it
/// waits for the reader (see `Socket::pace`). Sending 64 KiB bodies over tcp, a full pipe at
/// the default high-water mark holds 64 MiB: every body is out of the caches by the time the
/// I/O thread hands it to the kernel, and the sender's next fill lands in cold memory too.
const PACE_BYTES: u64 = 2 << 20;

/// `PipeEnd::pace_from` of a writer that does not pace itself: no byte count reaches it.
const NOT_PACED: u64 = u64::MAX;

/// What `check_read` found.
#[derive(Debug, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// Nothing now; the reader is marked asleep.
    Empty,
    Closed,
}

/// One side of a pipe: writes into one channel, reads from the other.
pub struct PipeEnd {
    id: PipeId,
    out: Arc<Channel>,
    inbound: Arc<Channel>,
    /// Frames to the peer.
    frames_out: ypipe::Writer<Msg>,
    /// Frames from the peer.
    frames_in: ypipe::Reader<Msg>,
    msgs_written: u64,
    msgs_read: u64,
    /// Bytes of the frames written (counted only when paced).
    bytes_written: u64,
    /// `bytes_written` beyond which the writer looks at what the reader reported again: what it
    /// reported last time plus [`PACE_BYTES`]; [`NOT_PACED`] unless the writer paces itself
    /// (`set_paced`). Keeps the shared count off the path of every message.
    pace_from: u64,
    /// The peer's `bytes_read` when a paced writer last waited in vain for it to move: while it
    /// stays there, the reader is stalled and the writer is not paced.
    pace_stalled_at: Option<u64>,
    /// Bytes read and reported to the writer.
    bytes_reported: u64,
    /// Bytes read since the writer was last told how far we have read.
    bytes_unreported: usize,
    /// In the middle of writing a multipart message.
    writing_more: bool,
    /// The peer socket's (SNDHWM, RCVHWM) for pipes whose limits add both sides' (inproc), so
    /// the limits can be recomputed when this side's options change.
    peer_hwms: Option<(i32, i32)>,
    /// The connection metadata last sent along with a frame (`write_with_metadata`); holding it
    /// keeps its address from being reused by another connection's.
    metadata_sent: Option<Arc<Metadata>>,
    /// The connection metadata last received along with a frame, for the frames that follow.
    metadata_received: Option<Arc<Metadata>>,
}

impl std::fmt::Debug for PipeEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipeEnd").field("id", &self.id).finish_non_exhaustive()
    }
}

impl PipeEnd {
    /// A new pipe. `a_to_b_hwm` limits what end A may queue for B; 0 means no limit.
    pub fn pair(a_to_b_hwm: u64, b_to_a_hwm: u64) -> (PipeEnd, PipeEnd) {
        let a_to_b = Arc::new(Channel::new(a_to_b_hwm));
        let b_to_a = Arc::new(Channel::new(b_to_a_hwm));
        let (a_to_b_writer, a_to_b_reader) = ypipe();
        let (b_to_a_writer, b_to_a_reader) = ypipe();
        let end = |out: &Arc<Channel>, inbound: &Arc<Channel>, frames_out, frames_in| PipeEnd {
            id: NEXT_PIPE_ID.fetch_add(1, Ordering::Relaxed),
            out: Arc::clone(out),
            inbound: Arc::clone(inbound),
            frames_out,
            frames_in,
            msgs_written: 0,
            msgs_read: 0,
            bytes_written: 0,
            pace_from: NOT_PACED,
            pace_stalled_at: None,
            bytes_reported: 0,
            bytes_unreported: 0,
            writing_more: false,
            peer_hwms: None,
            metadata_sent: None,
            metadata_received: None,
        };
        (
            end(&a_to_b, &b_to_a, a_to_b_writer, b_to_a_reader),
            end(&b_to_a, &a_to_b, b_to_a_writer, a_to_b_reader),
        )
    }

    pub fn id(&self) -> PipeId {
        self.id
    }

    /// Registers the owner of this end, which from now on receives the activation and
    /// termination commands for it; `routing_id` is what the owner's socket announces to the peer.
    pub fn attach(&self, mailbox: &Arc<Mailbox>, routing_id: Option<Bytes>) {
        let owner = || Owner { mailbox: Arc::clone(mailbox), pipe: self.id };
        let _ = self.inbound.reader.set(owner());
        let _ = self.out.writer.set(owner());
        if let Some(routing_id) = routing_id {
            let _ = self.out.writer_routing_id.set(routing_id);
        }
    }

    /// The routing id the peer's socket announced, if any.
    pub fn peer_routing_id(&self) -> Option<&Bytes> {
        self.inbound.writer_routing_id.get()
    }

    /// Records the peer socket's (SNDHWM, RCVHWM), see `peer_hwms`.
    pub fn set_peer_hwms(&mut self, sndhwm: i32, rcvhwm: i32) {
        self.peer_hwms = Some((sndhwm, rcvhwm));
    }

    pub fn peer_hwms(&self) -> Option<(i32, i32)> {
        self.peer_hwms
    }

    /// Sets the high-water marks of both directions (0: unlimited).
    pub fn set_hwms(&self, out_hwm: u64, in_hwm: u64) {
        self.out.hwm.store(out_hwm, Ordering::Release);
        self.inbound.hwm.store(in_hwm, Ordering::Release);
    }

    /// The high-water mark of the messages coming to this end (0: none).
    #[inline]
    pub fn in_hwm(&self) -> u64 {
        self.inbound.hwm.load(Ordering::Relaxed)
    }

    /// Messages queued each way, as libzmq's ZMQ_EVENT_PIPES_STATS counts them: (written by this
    /// end and not yet reported read by the peer, flushed by the peer and not yet reported read
    /// by this end). Reads are reported in low-water-mark batches, so a full pipe counts its
    /// high-water mark.
    pub fn queue_counts(&self) -> (u64, u64) {
        let outbound = self.msgs_written.saturating_sub(self.out.msgs_read.load(Ordering::SeqCst));
        let flushed = self.inbound.msgs_flushed.0.load(Ordering::Relaxed);
        (outbound, flushed.saturating_sub(self.inbound.msgs_read.load(Ordering::SeqCst)))
    }

    /// Records the (local, remote) addresses of the connection this end's owner serves.
    pub fn set_addresses(&self, local: &str, remote: &str) {
        *self.out.writer_addresses.lock() = (local.to_owned(), remote.to_owned());
    }

    /// The addresses the peer end recorded with `set_addresses` (empty strings if none).
    pub fn peer_addresses(&self) -> (String, String) {
        self.inbound.writer_addresses.lock().clone()
    }

    /// Whether the peer has gone away and reads nothing more.
    #[inline]
    pub fn is_peer_gone(&self) -> bool {
        self.out.reader_gone.load(Ordering::Acquire)
    }

    /// Whether one more message fits under the high-water mark. When it does not, the writer
    /// is registered as waiting and will get `ActivateWrite` once the reader makes room.
    #[inline]
    pub fn check_write(&mut self) -> bool {
        if self.is_peer_gone() {
            return false;
        }
        if self.writing_more {
            // The rest of a message whose first frame was admitted is always admitted.
            return true;
        }
        let hwm = self.out.hwm.load(Ordering::Acquire);
        if hwm == 0 || self.msgs_written - self.out.msgs_read.load(Ordering::SeqCst) < hwm {
            return true;
        }
        self.out.writer_waiting.store(true, Ordering::SeqCst);
        // The reader may have made room between the two loads; if so, go on (a spurious
        // activation later is harmless).
        self.msgs_written - self.out.msgs_read.load(Ordering::SeqCst) < hwm
    }

    /// Makes this end's writer pace itself: the reader is a session, which hands the bodies to
    /// the kernel, and the writer's socket type blocks at the high-water mark
    /// (`options::paces_sends`).
    pub fn set_paced(&mut self) {
        self.pace_from = PACE_BYTES;
    }

    #[inline(always)]
    fn is_paced(&self) -> bool {
        self.pace_from != NOT_PACED
    }

    /// Whether the writer should pace itself: more than [`PACE_BYTES`] written and not yet
    /// reported read, and the reader not found stalled at its current count.
    #[inline]
    pub fn over_pace(&mut self) -> bool {
        self.bytes_written > self.pace_from && self.over_pace_now()
    }

    #[inline(never)]
    fn over_pace_now(&mut self) -> bool {
        let read = self.out.bytes_read.load(Ordering::Relaxed);
        self.pace_from = read + PACE_BYTES;
        self.bytes_written > self.pace_from && self.pace_stalled_at != Some(read)
    }

    /// Registers the writer as waiting for the reader to report progress (an `ActivateWrite`)
    /// and answers what the reader has reported so far, for `pace_waited`; `None` when there is
    /// no need to wait (the reader reported meanwhile).
    pub fn await_pace(&mut self) -> Option<u64> {
        self.out.writer_waiting.store(true, Ordering::SeqCst);
        // Ordered after the store as in check_write: a report made meanwhile is seen here.
        self.out.msgs_read.load(Ordering::SeqCst);
        self.over_pace().then(|| self.out.bytes_read.load(Ordering::Relaxed))
    }

    /// The writer waited for the reader, which had reported `seen` bytes: if it has reported
    /// nothing since, it is stalled (a peer not reading) and pacing stops until it moves.
    pub fn pace_waited(&mut self, seen: u64) {
        if self.out.bytes_read.load(Ordering::Relaxed) == seen {
            self.pace_stalled_at = Some(seen);
        }
    }

    /// Queues a frame. It becomes visible to the reader at the next `flush`.
    #[inline(always)]
    pub fn write(&mut self, msg: Msg) {
        self.writing_more = msg.more();
        if !self.writing_more {
            self.msgs_written += 1;
        }
        if self.is_paced() {
            self.bytes_written += msg.size() as u64;
        }
        self.frames_out.write(msg);
    }

    /// Queues a frame from a connection (a session's pipe) with the connection's `metadata`,
    /// which the reader finds on the frame as if it had been attached to it. Only the first
    /// frame of each connection carries the metadata: the reading end attaches it to the later
    /// ones (see `Msg::mark_pipe_metadata`). A frame with metadata of its own keeps that.
    #[inline(always)]
    pub fn write_with_metadata(&mut self, mut msg: Msg, metadata: Option<&Arc<Metadata>>) {
        mark_metadata(&mut self.metadata_sent, &mut msg, metadata);
        self.write(msg);
    }

    /// Queues a whole single-frame message built in place in the queue's next slot (see
    /// `ypipe::Writer::write_in_place`), with the connection's `metadata` as in
    /// `write_with_metadata`. `build` returns `None` when it built no such message; so does
    /// this. A frame with MORE must not be built here: partial messages go through `write`.
    #[inline(always)]
    pub fn write_in_place_with_metadata(
        &mut self,
        metadata: Option<&Arc<Metadata>>,
        build: impl for<'a> FnOnce(&'a mut MaybeUninit<Msg>) -> Option<&'a mut Msg>,
    ) -> bool {
        debug_assert!(!self.writing_more, "a whole message amid a multipart one");
        let Some(msg) = self.frames_out.write_in_place(build) else { return false };
        debug_assert!(!msg.more(), "write_in_place_with_metadata of a frame with MORE");
        mark_metadata(&mut self.metadata_sent, msg, metadata);
        debug_assert!(!self.is_paced(), "only sessions build in place, and a session's end is not paced");
        self.msgs_written += 1;
        true
    }

    /// Makes the written frames visible; wakes the reader if it was asleep.
    #[inline]
    pub fn flush(&mut self) {
        // A plain store by the only writer: no read-modify-write on the message path.
        self.out.msgs_flushed.0.store(self.msgs_written, Ordering::Relaxed);
        if self.frames_out.flush() {
            notify(self.out.reader.get(), Command::ActivateRead);
        }
    }

    /// Whether a frame can be read now. When none can, the reader is marked asleep in the same
    /// atomic step (so the next flush sends `ActivateRead`), or the pipe is found closed.
    #[inline(always)]
    pub fn check_read(&mut self) -> Readiness {
        self.check_read_marking::<true>(0)
    }

    /// `pauses`: see `ypipe::Reader::check_read_awake` (only without MARK_ASLEEP).
    #[inline(always)]
    fn check_read_marking<const MARK_ASLEEP: bool>(&mut self, pauses: u32) -> Readiness {
        if self.inbound.discard.load(Ordering::Acquire) {
            return Readiness::Closed;
        }
        // Loaded before looking at the queue: the writer finishes flushing before it says it is
        // done, so done-and-still-empty means nothing more will come.
        let done = self.inbound.writer_done.load(Ordering::Acquire);
        let ready =
            if MARK_ASLEEP { self.frames_in.check_read() } else { self.frames_in.check_read_awake(pauses) };
        if ready {
            Readiness::Ready
        } else if done {
            Readiness::Closed
        } else {
            Readiness::Empty
        }
    }

    /// Reads the next frame.
    #[inline(always)]
    pub fn read(&mut self) -> Read {
        let mut msg = Msg::new();
        match self.read_into(&mut msg) {
            Readiness::Ready => Read::Msg(msg),
            Readiness::Empty => Read::Empty,
            Readiness::Closed => Read::Closed,
        }
    }

    /// Reads the next frame into `out` (releasing what it held) and answers `Ready`; or leaves
    /// `out` alone and says why not. Moving the frame straight to its destination keeps 64-byte
    /// copies off the message path.
    #[inline(always)]
    pub fn read_into(&mut self, out: &mut Msg) -> Readiness {
        self.read_into_marking::<true>(out, 0)
    }

    /// [`read_into`](Self::read_into) for a reader that will look again before it sleeps (a
    /// session about to write what it took): finding nothing leaves it awake (`Empty` means
    /// only "nothing now"), so the frames the writer flushes meanwhile cost no `ActivateRead`.
    /// It must end with `check_read` or `read_into` before it waits for commands. Having read
    /// all it knew of, it idles `pauses` spin-loop hints before it looks again (see
    /// `ypipe::Reader::check_read_awake`).
    #[inline(always)]
    pub fn read_into_awake(&mut self, out: &mut Msg, pauses: u32) -> Readiness {
        self.read_into_marking::<false>(out, pauses)
    }

    #[inline(always)]
    fn read_into_marking<const MARK_ASLEEP: bool>(&mut self, out: &mut Msg, pauses: u32) -> Readiness {
        let readiness = self.check_read_marking::<MARK_ASLEEP>(pauses);
        if readiness != Readiness::Ready {
            return readiness;
        }
        if !self.frames_in.read_into(out) {
            return Readiness::Empty;
        }
        out.take_pipe_metadata(&mut self.metadata_received);
        self.bytes_unreported += out.size();
        if !out.more() {
            self.message_read();
        }
        Readiness::Ready
    }

    /// Counts one more whole message read. Like libzmq, the writer learns about reads in
    /// batches (the low-water mark: half the high-water mark), which keeps the shared counter
    /// and wake-ups off the per-message path; for large messages also every [`REPORT_BYTES`].
    #[inline]
    fn message_read(&mut self) {
        self.msgs_read += 1;
        // Reports stay at multiples of the low-water mark (as libzmq's, which ZMQ_EVENT_PIPES_STATS
        // users see), with the byte rule's in between.
        if !self.msgs_read.is_multiple_of(low_water_mark(self.in_hwm()))
            && self.bytes_unreported < REPORT_BYTES
        {
            return;
        }
        self.report_reads();
    }

    /// Tells the writer how far we have read, and wakes it if it waits for room.
    #[cold]
    fn report_reads(&mut self) {
        self.bytes_reported += self.bytes_unreported as u64;
        self.bytes_unreported = 0;
        // Made visible by the SeqCst store below, which the writer loads before this.
        self.inbound.bytes_read.store(self.bytes_reported, Ordering::Relaxed);
        // SeqCst here and on `writer_waiting` (store-then-load on both sides, as in check_write):
        // either the writer sees the new count or we see it waiting, never neither.
        self.inbound.msgs_read.store(self.msgs_read, Ordering::SeqCst);
        if self.inbound.writer_waiting.load(Ordering::SeqCst)
            && self.inbound.writer_waiting.swap(false, Ordering::SeqCst)
        {
            notify(self.inbound.writer.get(), Command::ActivateWrite);
        }
    }

    /// Closes this side as a socket does: the peer may read everything already flushed; a
    /// session peer may spend up to `linger_ms` (ZMQ_LINGER, -1 forever) sending it on.
    pub fn close(self, linger_ms: i32) {
        self.out.writer_linger.store(linger_ms, Ordering::Release);
        self.terminate(true);
    }

    /// The ZMQ_LINGER the peer closed with (-1 if it did not say).
    pub fn peer_linger(&self) -> i32 {
        self.inbound.writer_linger.load(Ordering::Acquire)
    }

    /// Ends this side. With `linger` the peer may still read everything already flushed;
    /// without it the peer drops what is left.
    pub fn terminate(self, linger: bool) {
        if !linger {
            self.out.discard.store(true, Ordering::Release);
        }
        self.out.writer_done.store(true, Ordering::Release);
        self.inbound.reader_gone.store(true, Ordering::Release);
        // The peer may be asleep on either channel; one PipeTerm wakes it for both.
        notify(self.out.reader.get(), Command::PipeTerm);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &[u8], more: bool) -> Msg {
        let mut msg = Msg::from_slice(body).unwrap();
        msg.set_more(more);
        msg
    }

    /// The writer `a` was told of room (one `ActivateWrite`) and may write again.
    fn assert_room_reported(mailbox: &Mailbox, a: &mut PipeEnd) {
        let commands: Vec<_> = mailbox.take_all().into_iter().collect();
        assert!(matches!(commands[..], [Command::ActivateWrite(id)] if id == a.id()));
        assert!(a.check_write());
    }

    fn read_body(end: &mut PipeEnd) -> Option<Vec<u8>> {
        match end.read() {
            Read::Msg(msg) => Some(msg.data().to_vec()),
            _ => None,
        }
    }

    #[test]
    fn frames_are_invisible_until_flushed() {
        let (mut a, mut b) = PipeEnd::pair(0, 0);
        a.write(frame(b"one", false));
        assert!(matches!(b.read(), Read::Empty));
        a.flush();
        assert_eq!(read_body(&mut b).as_deref(), Some(&b"one"[..]));
    }

    #[test]
    fn connection_metadata_reaches_every_frame_and_changes_with_the_connection() {
        let (mut a, mut b) = PipeEnd::pair(0, 0);
        let first = Arc::new(Metadata::new(3, vec![]));
        let second = Arc::new(Metadata::new(4, vec![]));
        let own = Arc::new(Metadata::new(5, vec![]));
        let mut with_own = frame(b"own", false);
        with_own.set_metadata(Arc::clone(&own));
        a.write_with_metadata(frame(b"1", true), Some(&first));
        a.write_with_metadata(frame(b"2", false), Some(&first));
        a.write_with_metadata(with_own, Some(&first));
        a.write(frame(b"plain", false));
        a.write_with_metadata(frame(b"3", false), Some(&first));
        a.write_with_metadata(frame(b"4", false), Some(&second));
        a.write_with_metadata(frame(b"5", false), Some(&second));
        a.flush();
        let mut fds = Vec::new();
        while let Read::Msg(msg) = b.read() {
            fds.push((msg.data().to_vec(), msg.source_fd().ok()));
        }
        let expected: Vec<(Vec<u8>, Option<i32>)> = [
            (&b"1"[..], Some(3)),
            (b"2", Some(3)),
            (b"own", Some(5)),
            (b"plain", None),
            (b"3", Some(3)),
            (b"4", Some(4)),
            (b"5", Some(4)),
        ]
        .into_iter()
        .map(|(body, fd)| (body.to_vec(), fd))
        .collect();
        assert_eq!(fds, expected);
        // Only the pipe ends hold the metadata besides its owners: the frames took it along.
        assert_eq!(Arc::strong_count(&second), 3);
    }

    #[test]
    fn messages_built_in_place_get_metadata_and_count_for_the_high_water_mark() {
        let (mut a, mut b) = PipeEnd::pair(2, 0);
        let metadata = Arc::new(Metadata::new(3, vec![]));
        for body in [b"1", b"2"] {
            assert!(a.check_write());
            assert!(
                a.write_in_place_with_metadata(Some(&metadata), |slot| Some(slot.write(frame(body, false))))
            );
        }
        assert!(!a.write_in_place_with_metadata(Some(&metadata), |_| None));
        assert!(!a.check_write());
        a.flush();
        for body in [b"1", b"2"] {
            let Read::Msg(msg) = b.read() else { panic!("message missing") };
            assert_eq!((msg.data(), msg.source_fd().ok()), (&body[..], Some(3)));
        }
        assert!(matches!(b.read(), Read::Empty));
    }

    #[test]
    fn multipart_message_is_read_in_order() {
        let (mut a, mut b) = PipeEnd::pair(0, 0);
        a.write(frame(b"1", true));
        a.write(frame(b"2", false));
        a.flush();
        assert_eq!(read_body(&mut b).as_deref(), Some(&b"1"[..]));
        assert_eq!(read_body(&mut b).as_deref(), Some(&b"2"[..]));
        assert!(matches!(b.read(), Read::Empty));
    }

    #[test]
    fn flush_into_sleeping_reader_sends_one_activation() {
        let mailbox = Arc::new(Mailbox::new().unwrap());
        let (mut a, mut b) = PipeEnd::pair(0, 0);
        b.attach(&mailbox, None);
        assert!(matches!(b.read(), Read::Empty));
        a.write(frame(b"x", false));
        a.flush();
        a.write(frame(b"y", false));
        a.flush();
        let commands: Vec<_> = mailbox.take_all().into_iter().collect();
        assert!(matches!(commands[..], [Command::ActivateRead(id)] if id == b.id()));
    }

    #[test]
    fn reader_reading_awake_gets_no_activation_until_it_checks() {
        let mailbox = Arc::new(Mailbox::new().unwrap());
        let (mut a, mut b) = PipeEnd::pair(0, 0);
        b.attach(&mailbox, None);
        let mut msg = Msg::new();
        assert_eq!(b.read_into_awake(&mut msg, 0), Readiness::Empty);
        a.write(frame(b"x", false));
        a.flush();
        assert!(!mailbox.has_pending());
        assert_eq!(b.read_into_awake(&mut msg, 1), Readiness::Ready);
        assert_eq!(msg.data(), b"x");
        assert_eq!(b.check_read(), Readiness::Empty);
        a.write(frame(b"y", false));
        a.flush();
        let commands: Vec<_> = mailbox.take_all().into_iter().collect();
        assert!(matches!(commands[..], [Command::ActivateRead(id)] if id == b.id()));
    }

    #[test]
    fn busy_reader_gets_no_activation() {
        let mailbox = Arc::new(Mailbox::new().unwrap());
        let (mut a, b) = PipeEnd::pair(0, 0);
        b.attach(&mailbox, None);
        a.write(frame(b"x", false));
        a.flush();
        assert!(!mailbox.has_pending());
    }

    #[test]
    fn high_water_mark_counts_whole_messages_and_reopens_with_activation() {
        let mailbox = Arc::new(Mailbox::new().unwrap());
        let (mut a, mut b) = PipeEnd::pair(2, 0);
        a.attach(&mailbox, None);
        for _ in 0..2 {
            assert!(a.check_write());
            a.write(frame(b"part", true));
            a.write(frame(b"end", false));
            a.flush();
        }
        assert!(!a.check_write());
        read_body(&mut b);
        assert!(!mailbox.has_pending(), "half a message frees nothing");
        read_body(&mut b);
        assert_room_reported(&mailbox, &mut a);
    }

    #[test]
    fn a_writer_of_large_messages_hears_of_room_before_half_the_mark_is_read() {
        let mailbox = Arc::new(Mailbox::new().unwrap());
        let (mut a, mut b) = PipeEnd::pair(1000, 0);
        a.attach(&mailbox, None);
        let body = vec![7u8; 64 * 1024];
        for _ in 0..1000 {
            assert!(a.check_write());
            a.write(frame(&body, false));
        }
        a.flush();
        assert!(!a.check_write());
        for _ in 0..REPORT_BYTES / body.len() - 1 {
            read_body(&mut b);
        }
        assert!(!mailbox.has_pending(), "not a report's worth of bytes yet");
        read_body(&mut b);
        assert_room_reported(&mailbox, &mut a);
    }

    /// Writes whole messages of `body` until `a` is over its pace; how many that took.
    fn write_until_over_pace(a: &mut PipeEnd, body: &[u8]) -> usize {
        let mut written = 0;
        while !a.over_pace() {
            a.write(frame(body, false));
            a.flush();
            written += 1;
        }
        written
    }

    #[test]
    fn a_paced_writer_is_over_its_pace_past_the_bytes_not_reported_read() {
        let mailbox = Arc::new(Mailbox::new().unwrap());
        let (mut a, b) = PipeEnd::pair(1000, 0);
        a.attach(&mailbox, None);
        let body = vec![7u8; 64 * 1024];
        for _ in 0..100 {
            a.write(frame(&body, false));
        }
        a.flush();
        assert!(!a.over_pace(), "only a writer to a session paces itself");

        let (mut a, mut b2) = PipeEnd::pair(1000, 0);
        a.set_paced();
        a.attach(&mailbox, None);
        let written = write_until_over_pace(&mut a, &body);
        assert_eq!(written as u64, PACE_BYTES / body.len() as u64 + 1);
        assert_eq!(a.await_pace(), Some(0), "nothing read: the writer waits");
        // The reader reports every REPORT_BYTES: the writer hears of it and is under its pace.
        for _ in 0..REPORT_BYTES / body.len() {
            read_body(&mut b2);
        }
        assert_room_reported(&mailbox, &mut a);
        assert!(!a.over_pace());
        assert_eq!(a.await_pace(), None);
        drop(b);
    }

    #[test]
    fn a_stalled_reader_stops_the_pace_until_it_reads_again() {
        let mailbox = Arc::new(Mailbox::new().unwrap());
        let (mut a, mut b) = PipeEnd::pair(0, 0);
        a.set_paced();
        a.attach(&mailbox, None);
        let body = vec![7u8; 64 * 1024];
        write_until_over_pace(&mut a, &body);
        for _ in 0..100 {
            a.write(frame(&body, false));
        }
        a.flush();
        let seen = a.await_pace().unwrap();
        for _ in 0..REPORT_BYTES / body.len() {
            read_body(&mut b);
        }
        a.pace_waited(seen);
        assert!(a.over_pace(), "the reader moved while the writer waited: not stalled");
        let seen = a.await_pace().unwrap();
        a.pace_waited(seen);
        assert!(!a.over_pace(), "the reader is stalled: writes go on unpaced");
        for _ in 0..100 {
            a.write(frame(&body, false));
        }
        a.flush();
        assert!(!a.over_pace());
        for _ in 0..REPORT_BYTES / body.len() {
            read_body(&mut b);
        }
        assert!(a.over_pace(), "the reader moved: the pace is back");
    }

    #[test]
    fn lingering_close_lets_the_peer_drain_then_reports_closed() {
        let mailbox = Arc::new(Mailbox::new().unwrap());
        let (mut a, mut b) = PipeEnd::pair(0, 0);
        b.attach(&mailbox, None);
        a.write(frame(b"last", false));
        a.flush();
        a.terminate(true);
        assert!(matches!(mailbox.take_all().pop_front(), Some(Command::PipeTerm(id)) if id == b.id()));
        assert_eq!(read_body(&mut b).as_deref(), Some(&b"last"[..]));
        assert!(matches!(b.read(), Read::Closed));
    }

    #[test]
    fn close_without_linger_discards_unread_messages() {
        let (mut a, mut b) = PipeEnd::pair(0, 0);
        a.write(frame(b"dropped", false));
        a.flush();
        a.terminate(false);
        assert!(matches!(b.read(), Read::Closed));
    }

    #[test]
    fn half_written_message_is_dropped_when_writer_closes() {
        let (mut a, mut b) = PipeEnd::pair(0, 0);
        a.write(frame(b"first", true));
        a.terminate(true);
        assert!(matches!(b.read(), Read::Closed));
    }

    #[test]
    fn writer_sees_reader_gone() {
        let (mut a, b) = PipeEnd::pair(0, 0);
        b.terminate(true);
        assert!(a.is_peer_gone());
        assert!(!a.check_write());
    }

    #[test]
    fn queue_counts_see_what_each_side_has_not_reported_read() {
        // High-water mark 4 each way: reads are reported every 2 messages.
        let (mut a, mut b) = PipeEnd::pair(4, 4);
        for body in [b"1", b"2", b"3"] {
            a.write(frame(body, false));
        }
        a.flush();
        assert_eq!((a.queue_counts(), b.queue_counts()), ((3, 0), (0, 3)));
        read_body(&mut b);
        // One read is not reported yet (libzmq counts the same way).
        assert_eq!((a.queue_counts(), b.queue_counts()), ((3, 0), (0, 3)));
        read_body(&mut b);
        assert_eq!((a.queue_counts(), b.queue_counts()), ((1, 0), (0, 1)));
        // Frames of an unfinished message are not counted.
        b.write(frame(b"x", true));
        b.flush();
        assert_eq!(a.queue_counts(), (1, 0));
    }

    #[test]
    fn addresses_set_by_one_end_are_seen_by_the_other() {
        let (a, b) = PipeEnd::pair(0, 0);
        assert_eq!(a.peer_addresses(), (String::new(), String::new()));
        b.set_addresses("tcp://127.0.0.1:1", "tcp://127.0.0.1:2");
        assert_eq!(a.peer_addresses(), ("tcp://127.0.0.1:1".to_owned(), "tcp://127.0.0.1:2".to_owned()));
        assert_eq!(b.peer_addresses(), (String::new(), String::new()));
    }

    #[test]
    fn routing_id_announced_by_one_end_is_seen_by_the_other() {
        let mailbox = Arc::new(Mailbox::new().unwrap());
        let (a, b) = PipeEnd::pair(0, 0);
        a.attach(&mailbox, Some(Bytes::from_static(b"alice")));
        assert_eq!(b.peer_routing_id().map(|id| &id[..]), Some(&b"alice"[..]));
        assert!(a.peer_routing_id().is_none());
    }

    #[test]
    fn messages_cross_threads_in_order() {
        let (mut a, mut b) = PipeEnd::pair(0, 0);
        let writer = std::thread::spawn(move || {
            for i in 0u32..10_000 {
                a.write(Msg::from_slice(&i.to_le_bytes()).unwrap());
                a.flush();
            }
            a.terminate(true);
        });
        let mut expected = 0u32;
        loop {
            match b.read() {
                Read::Msg(msg) => {
                    assert_eq!(msg.data(), expected.to_le_bytes());
                    expected += 1;
                }
                Read::Empty => std::thread::yield_now(),
                Read::Closed => break,
            }
        }
        writer.join().unwrap();
        assert_eq!(expected, 10_000);
    }
}
