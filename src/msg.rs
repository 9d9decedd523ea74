//! The message: a body plus the flags, routing id, group and peer metadata that travel with it.
//!
//! A `Msg` lives inside the caller's 64-byte `zmq_msg_t` (the C layer places it there), so it must
//! stay within 64 bytes and pointer alignment; the compile-time checks below hold that line. Small
//! bodies (up to [`INLINE_CAPACITY`] bytes, libzmq's limit too) are stored inline and need no
//! allocation; larger ones this library makes sit in blocks of `pool` (medium ones recycled per
//! thread, since malloc between threads was the largest cost of a small message); bodies from
//! elsewhere (the wire, user memory) are a reference-counted `Bytes`. Copies share heap and
//! `Bytes` bodies. This module is plain data: no sockets, no C.

use std::ffi::{CStr, CString};
use std::mem::MaybeUninit;
use std::sync::Arc;

use bytes::Bytes;

use crate::error::{Errno, Result};

mod pool;

use pool::HeapBody;

/// Largest body stored inside the message itself. libzmq uses the same limit, so the
/// ZMQ_SHARED property of copies answers as it does there.
pub const INLINE_CAPACITY: usize = 33;

/// Longest group name (`ZMQ_GROUP_MAX_LENGTH`).
pub const GROUP_MAX_LENGTH: usize = 255;

/// Where the body is. `repr(u8)` puts the tag in the message's first byte, which lets the C
/// layer recognise a closed or never-initialised `zmq_msg_t` before it reads anything else.
#[repr(u8)]
#[derive(Clone)]
enum Body {
    /// Closed, or zeroed memory: every accessor refuses it with EFAULT.
    Closed = 0,
    Inline {
        len: u8,
        data: [u8; INLINE_CAPACITY],
    } = 0xA1,
    Shared(Bytes) = 0xA2,
    /// Bodies above the inline size made by this library (`zmq_msg_init_size`, `zmq_send`...),
    /// in blocks of `pool`. On x86-64 fresh ones are written as an image (`Msg::heap_in_place`),
    /// which the dead-code lint cannot see.
    #[cfg_attr(target_arch = "x86_64", allow(dead_code))]
    Heap(HeapBody) = TAG_HEAP,
}

const TAG_HEAP: u8 = 0xA3;

/// Tag bytes of a usable message (see [`Msg::is_valid_tag`]).
const VALID_TAGS: [u8; 3] = [0xA1, 0xA2, TAG_HEAP];

/// Properties of the connection a message came from, shared by all its messages.
///
/// Aligned to a cache line so that its reference count (in the `Arc` around it) shares no line
/// with another connection's: the threads receiving from different connections count their
/// messages' references at full speed instead of stealing the line from each other.
#[derive(Debug, Default)]
#[repr(align(64))]
pub struct Metadata {
    /// The connection's file descriptor (`ZMQ_SRCFD`), -1 when there is none.
    fd: i32,
    properties: Vec<(String, Box<CStr>)>,
}

impl Metadata {
    pub fn new(fd: i32, properties: Vec<(String, Box<CStr>)>) -> Self {
        Self { fd, properties }
    }

    /// A property by name, spelled exactly as the peer sent it (libzmq's lookup; ZMTP calls
    /// names case-insensitive, but users depend on libzmq). "Identity", the ZMTP 3.0 name, also
    /// finds a "Routing-Id" property, as in libzmq.
    pub fn get(&self, name: &str) -> Option<&CStr> {
        let find =
            |name: &str| self.properties.iter().find(|(key, _)| key == name).map(|(_, value)| &**value);
        find(name).or_else(|| if name == "Identity" { find("Routing-Id") } else { None })
    }
}

const FLAG_MORE: u8 = 1;
const FLAG_COMMAND: u8 = 2;
/// Set on both sides of a copy that shares its body, and on messages over user memory without a
/// free function; never cleared, as in libzmq.
const FLAG_SHARED: u8 = 4;
/// Only while the message is in a pipe: its metadata is that of the connection the pipe's writer
/// serves, which the reading end attaches (see [`Msg::mark_pipe_metadata`]).
const FLAG_PIPE_METADATA: u8 = 8;

#[repr(C)]
#[derive(Clone)]
pub struct Msg {
    body: Body,
    metadata: Option<Arc<Metadata>>,
    // Boxed twice so the common no-group case costs one pointer, not a fat one.
    group: Option<Box<CString>>,
    routing_id: u32,
    flags: u8,
}

// The message must fit the caller's zmq_msg_t (64 bytes, aligned for a pointer).
const _: () = assert!(std::mem::size_of::<Msg>() <= 64);
// Where `Msg::heap_in_place` writes what: the body (tag, then the heap body at byte 8) before
// the rest, all of whose fields are zero for a fresh message.
const _: () = assert!(std::mem::size_of::<Msg>() == 64 && std::mem::offset_of!(Msg, body) == 0);
const _: () = assert!(std::mem::offset_of!(Msg, metadata) >= 24 && std::mem::align_of::<HeapBody>() == 8);
const _: () = assert!(std::mem::align_of::<Msg>() <= std::mem::align_of::<usize>());

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Msg").field("size", &self.size()).field("more", &self.more()).finish_non_exhaustive()
    }
}

impl Default for Msg {
    fn default() -> Self {
        Self::new()
    }
}

impl Msg {
    /// An empty message.
    pub const fn new() -> Self {
        Self::with_body(Body::Inline { len: 0, data: [0; INLINE_CAPACITY] })
    }

    const fn with_body(body: Body) -> Self {
        Self { body, metadata: None, group: None, routing_id: 0, flags: 0 }
    }

    /// A closed message: what `zmq_msg_close` leaves behind.
    pub const fn closed() -> Self {
        Self::with_body(Body::Closed)
    }

    /// Whether `tag` (the first byte of a `zmq_msg_t`) belongs to an initialised, open message.
    pub fn is_valid_tag(tag: u8) -> bool {
        VALID_TAGS.contains(&tag)
    }

    pub fn is_closed(&self) -> bool {
        matches!(self.body, Body::Closed)
    }

    /// A zero-filled body of `size` bytes; ENOMEM when it cannot be allocated.
    pub fn with_size(size: usize) -> Result<Self> {
        let mut msg = Self::for_filling(size)?;
        if let Body::Heap(body) = &mut msg.body {
            body.zero();
        }
        Ok(msg)
    }

    /// A body of `size` bytes for the caller to fill (`zmq_msg_init_size`, copies); ENOMEM when
    /// it cannot be allocated. Above the inline size its bytes are unspecified, as libzmq's are
    /// (see `pool`): skipping the zero-fill halves the cost of a large message.
    pub fn for_filling(size: usize) -> Result<Self> {
        if size <= INLINE_CAPACITY {
            return Ok(Self::inline_for_filling(size));
        }
        Self::heap_for_filling(size)
    }

    /// [`Msg::for_filling`] written straight into `slot` (the caller's `zmq_msg_t`). A small
    /// message is built where it lies: built in a temporary and copied, it was read back at
    /// other widths than it had been written, a store-forwarding stall on every small message.
    /// The heap case stays out of line so the two cannot share (and spill) one temporary.
    #[inline]
    pub fn fill_in_place(slot: &mut MaybeUninit<Msg>, size: usize) -> Result<()> {
        if size <= INLINE_CAPACITY {
            slot.write(Self::inline_for_filling(size));
            return Ok(());
        }
        Self::heap_in_place(slot, size)
    }

    /// The heap case of [`Msg::fill_in_place`]. On x86-64 the message is written as the four
    /// 16-byte stores that sending it will load back (a move of a `Msg` is four 16-byte loads):
    /// written field by field, as `slot.write` does, no such load could be served from the
    /// stores still in flight, so each waited until every older store had reached the cache,
    /// among them the caller's fill of the body, a block that usually sits in the cache of the
    /// I/O thread that released it on the other CPU. Sending 64-byte messages then ran ~8M
    /// msg/s at best over ipc; with these stores up to ~11-13M.
    #[inline(never)]
    fn heap_in_place(slot: &mut MaybeUninit<Msg>, size: usize) -> Result<()> {
        let body = HeapBody::new(size).ok_or(Errno::ENOMEM)?;
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_set_epi64x, _mm_setzero_si128, _mm_storeu_si128};
            // The image of `Msg::with_body(Body::Heap(body))`: the tag in byte 0, the body at
            // byte 8 (the checks after `Msg` keep both where they are), zeros for no metadata,
            // no group, routing id 0, no flags; padding zero too.
            let (block, len) = body.into_raw();
            let words = slot.as_mut_ptr().cast::<std::arch::x86_64::__m128i>();
            // SAFETY: SSE2 is part of x86-64; `slot` is 64 writable bytes (the size check
            // after `Msg`), and unaligned stores need no alignment. The image is a valid heap
            // message owning the block `into_raw` gave up.
            unsafe {
                _mm_storeu_si128(words, _mm_set_epi64x(block as i64, i64::from(TAG_HEAP)));
                _mm_storeu_si128(words.add(1), _mm_set_epi64x(0, len as i64));
                _mm_storeu_si128(words.add(2), _mm_setzero_si128());
                _mm_storeu_si128(words.add(3), _mm_setzero_si128());
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        slot.write(Self::with_body(Body::Heap(body)));
        Ok(())
    }

    #[inline(always)]
    fn inline_for_filling(size: usize) -> Self {
        Self::with_body(Body::Inline { len: size as u8, data: [0; INLINE_CAPACITY] })
    }

    #[inline(never)]
    fn heap_for_filling(size: usize) -> Result<Self> {
        // Built as `heap_in_place` builds it, so that its moves load what was stored (the
        // caller usually fills the body next: `from_slice`, `zmq_send`).
        let mut slot = MaybeUninit::uninit();
        Self::heap_in_place(&mut slot, size)?;
        // SAFETY: heap_in_place succeeded, so it wrote a message.
        Ok(unsafe { slot.assume_init() })
    }

    /// A body holding a copy of `data`.
    pub fn from_slice(data: &[u8]) -> Result<Self> {
        let mut msg = Self::for_filling(data.len())?;
        msg.data_mut().copy_from_slice(data);
        Ok(msg)
    }

    /// An inline body holding the first `len` bytes of `window` (`len` at most
    /// [`INLINE_CAPACITY`]). For a decoder whose input runs on past the body: the window is
    /// copied whole, a fixed-size copy done with a few wide moves, where copying exactly `len`
    /// bytes is a narrow store that the message's next move reads back with wide loads, a
    /// store-forwarding stall on every small message. The bytes past `len` come along unread.
    pub fn inline_from_window(window: &[u8; INLINE_CAPACITY], len: usize) -> Self {
        assert!(len <= INLINE_CAPACITY, "inline bodies hold at most INLINE_CAPACITY bytes");
        Self::with_body(Body::Inline { len: len as u8, data: *window })
    }

    /// A body over existing shared bytes (no copy).
    pub fn from_bytes(bytes: Bytes) -> Self {
        Self::with_body(Body::Shared(bytes))
    }

    /// A body over memory the message does not own and never frees: reported as shared, since
    /// other code may hold the same memory.
    pub fn from_borrowed(bytes: Bytes) -> Self {
        let mut msg = Self::from_bytes(bytes);
        msg.flags |= FLAG_SHARED;
        msg
    }

    pub fn data(&self) -> &[u8] {
        match &self.body {
            Body::Closed => &[],
            Body::Inline { len, data } => &data[..*len as usize],
            Body::Shared(bytes) => bytes,
            Body::Heap(body) => heap_body(body.as_ptr(), body.len()),
        }
    }

    /// The body for writing. For a shared body this is the same memory every copy sees, which is
    /// what C callers of `zmq_msg_data` get from libzmq too.
    pub fn data_mut(&mut self) -> &mut [u8] {
        match &mut self.body {
            Body::Closed => &mut [],
            Body::Inline { len, data } => &mut data[..*len as usize],
            // The pointer comes from the allocation Bytes owns; the C layer is the only writer.
            Body::Shared(bytes) => {
                let (ptr, len) = (bytes.as_ptr(), bytes.len());
                shared_body_mut(ptr, len)
            }
            Body::Heap(body) => heap_body(body.as_ptr(), body.len()),
        }
    }

    /// Address of the body's first byte (for C callers).
    pub fn data_ptr(&mut self) -> *mut u8 {
        match &mut self.body {
            Body::Closed => std::ptr::null_mut(),
            Body::Inline { data, .. } => data.as_mut_ptr(),
            Body::Shared(bytes) => bytes.as_ptr().cast_mut(),
            Body::Heap(body) => body.as_ptr(),
        }
    }

    pub fn size(&self) -> usize {
        self.data().len()
    }

    pub fn more(&self) -> bool {
        self.flags & FLAG_MORE != 0
    }

    pub fn set_more(&mut self, more: bool) {
        if more {
            self.flags |= FLAG_MORE;
        } else {
            self.flags &= !FLAG_MORE;
        }
    }

    pub fn is_command(&self) -> bool {
        self.flags & FLAG_COMMAND != 0
    }

    pub fn set_command(&mut self) {
        self.flags |= FLAG_COMMAND;
    }

    /// Whether the body may be shared with another message (`ZMQ_SHARED`).
    pub fn is_shared(&self) -> bool {
        self.flags & FLAG_SHARED != 0
    }

    /// A copy for the C API's `zmq_msg_copy`: large bodies are shared (both sides then report
    /// ZMQ_SHARED), small ones are duplicated.
    pub fn share(&mut self) -> Result<Self> {
        if self.is_closed() {
            return Err(Errno::EFAULT);
        }
        if let Body::Shared(_) | Body::Heap(_) = self.body {
            self.flags |= FLAG_SHARED;
        }
        Ok(self.clone())
    }

    /// `count` copies for a distribution (one per destination but the last, which gets the
    /// original), each handed to `each` with its index: as [`Msg::share`] makes them, but a heap
    /// body counts all its new references in one step.
    pub fn share_n(&mut self, count: usize, mut each: impl FnMut(usize, Msg)) {
        match &self.body {
            Body::Heap(body) => {
                self.flags |= FLAG_SHARED;
                let copy_with = |body| Msg {
                    body: Body::Heap(body),
                    metadata: self.metadata.clone(),
                    group: self.group.clone(),
                    routing_id: self.routing_id,
                    flags: self.flags,
                };
                body.share_n(count, |index, body| each(index, copy_with(body)));
            }
            _ => {
                for index in 0..count {
                    each(index, self.share().unwrap_or_else(|_| self.clone()));
                }
            }
        }
    }

    /// The file descriptor of the connection the message came from (`ZMQ_SRCFD`); EINVAL when
    /// there is none, as libzmq reports it.
    pub fn source_fd(&self) -> Result<i32> {
        match self.metadata.as_ref().map(|metadata| metadata.fd) {
            Some(fd) if fd >= 0 => Ok(fd),
            _ => Err(Errno::EINVAL),
        }
    }

    pub fn metadata(&self) -> Option<&Metadata> {
        self.metadata.as_deref()
    }

    pub fn set_metadata(&mut self, metadata: Arc<Metadata>) {
        self.metadata = Some(metadata);
    }

    /// For a pipe's writing end: marks this message as having its pipe's connection metadata,
    /// carrying `first` (the first such message of a connection) or nothing (the reading end
    /// attaches the metadata it was last given). The connection's I/O thread then touches the
    /// metadata's reference count once per connection rather than once per message, which kept
    /// that count's cache line moving between the I/O thread and the receiving thread.
    pub fn mark_pipe_metadata(&mut self, first: Option<Arc<Metadata>>) {
        self.flags |= FLAG_PIPE_METADATA;
        self.metadata = first;
    }

    /// For a pipe's reading end: undoes [`Msg::mark_pipe_metadata`], remembering the metadata a
    /// first message brings in `current` and attaching `current` to the others.
    #[inline]
    pub fn take_pipe_metadata(&mut self, current: &mut Option<Arc<Metadata>>) {
        if self.flags & FLAG_PIPE_METADATA == 0 {
            return;
        }
        self.flags &= !FLAG_PIPE_METADATA;
        match &self.metadata {
            Some(first) => *current = Some(Arc::clone(first)),
            None => self.metadata.clone_from(current),
        }
    }

    /// Gives this message the same connection metadata as `other` (shared, not copied): a
    /// frame a socket makes up, such as STREAM's routing-id frame, answers `zmq_msg_gets` like
    /// the data it stands in front of.
    pub fn share_metadata_of(&mut self, other: &Msg) {
        self.metadata = other.metadata.clone();
    }

    /// Routing id for SERVER/PEER sockets; 0 means none.
    pub fn routing_id(&self) -> u32 {
        self.routing_id
    }

    /// Sets the routing id; 0 is not a routing id (EINVAL).
    pub fn set_routing_id(&mut self, routing_id: u32) -> Result<()> {
        if routing_id == 0 {
            return Err(Errno::EINVAL);
        }
        self.routing_id = routing_id;
        Ok(())
    }

    /// Forgets the routing id (a SERVER's outgoing message must not carry it to the peer).
    pub fn reset_routing_id(&mut self) {
        self.routing_id = 0;
    }

    /// The RADIO/DISH group, empty when none is set.
    pub fn group(&self) -> &CStr {
        self.group.as_deref().map_or(c"", CString::as_c_str)
    }

    /// Sets the group, cut to [`GROUP_MAX_LENGTH`] bytes as libzmq does (only `zmq_join`
    /// rejects longer names).
    pub fn set_group(&mut self, group: &CStr) {
        let bytes = group.to_bytes();
        let kept = &bytes[..bytes.len().min(GROUP_MAX_LENGTH)];
        let name = CString::new(kept).expect("a CStr's bytes hold no NUL");
        self.group = Some(Box::new(name));
    }
}

/// The bytes of a heap body (a live allocation of at least `len` bytes).
fn heap_body<'a>(ptr: *mut u8, len: usize) -> &'a mut [u8] {
    // SAFETY: ptr/len describe the data area of the block this message holds, which outlives
    // the borrow (tied to the message by the caller). Its bytes are written before they are read
    // (`Msg::for_filling`: by the caller, as zmq_msg_init_size's contract says). As for shared
    // Bytes, writes through copies are the zmq_msg_data contract.
    unsafe { std::slice::from_raw_parts_mut(ptr, len) }
}

/// The writable view of a shared body.
fn shared_body_mut<'a>(ptr: *const u8, len: usize) -> &'a mut [u8] {
    if len == 0 {
        return &mut [];
    }
    // SAFETY: ptr/len describe the live allocation owned by the Bytes this message holds, which
    // outlives the returned borrow (tied to &mut self by the caller). Writing through it is the
    // documented zmq_msg_data contract; no Rust reference into the buffer is alive meanwhile.
    unsafe { std::slice::from_raw_parts_mut(ptr.cast_mut(), len) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_fits_in_zmq_msg_t() {
        assert!(std::mem::size_of::<Msg>() <= 64);
    }

    #[test]
    fn new_message_is_empty_and_open() {
        let msg = Msg::new();
        assert_eq!(msg.size(), 0);
        assert!(!msg.is_closed());
        assert!(!msg.more());
        assert_eq!(msg.source_fd(), Err(Errno::EINVAL));
    }

    #[test]
    fn small_bodies_are_inline() {
        let msg = Msg::from_slice(&[7; INLINE_CAPACITY]).unwrap();
        assert!(matches!(msg.body, Body::Inline { .. }));
        assert_eq!(msg.data(), &[7; INLINE_CAPACITY]);
    }

    #[test]
    fn medium_bodies_are_pooled() {
        let msg = Msg::with_size(INLINE_CAPACITY + 1).unwrap();
        assert!(matches!(msg.body, Body::Heap(_)));
        assert_eq!(msg.size(), INLINE_CAPACITY + 1);
    }

    #[test]
    fn large_bodies_are_heap_blocks_and_zeroed_on_request() {
        let msg = Msg::with_size(pool::MAX_POOLED + 1).unwrap();
        assert!(matches!(msg.body, Body::Heap(_)));
        assert_eq!(msg.data(), &vec![0; pool::MAX_POOLED + 1][..]);
    }

    #[test]
    fn recycled_body_is_zeroed_on_request() {
        drop(Msg::from_slice(&[9; 100]).unwrap());
        assert_eq!(Msg::with_size(100).unwrap().data(), &[0; 100][..]);
    }

    #[test]
    fn copy_of_large_message_shares_the_body_and_reports_shared() {
        let mut original = Msg::from_slice(&[1; 100]).unwrap();
        let copy = original.share().unwrap();
        assert_eq!(original.data().as_ptr(), copy.data().as_ptr());
        assert!(original.is_shared() && copy.is_shared());
    }

    #[test]
    fn copies_made_at_once_share_the_body_like_single_copies() {
        for size in [3, 100] {
            let mut original = Msg::from_slice(&vec![1; size]).unwrap();
            original.set_more(true);
            let mut copies = Vec::new();
            original.share_n(2, |index, copy| copies.push((index, copy)));
            assert_eq!(copies.len(), 2);
            for (index, copy) in &copies {
                assert!(*index < 2);
                assert_eq!(copy.data(), original.data());
                assert!(copy.more());
                assert_eq!(copy.is_shared(), size > INLINE_CAPACITY);
                assert_eq!(copy.data().as_ptr() == original.data().as_ptr(), size > INLINE_CAPACITY);
            }
            assert_eq!(original.is_shared(), size > INLINE_CAPACITY);
        }
    }

    #[test]
    fn copy_of_small_message_is_independent() {
        let mut original = Msg::from_slice(b"abc").unwrap();
        let mut copy = original.share().unwrap();
        copy.data_mut()[0] = b'x';
        assert_eq!(original.data(), b"abc");
        assert!(!original.is_shared() && !copy.is_shared());
    }

    #[test]
    fn writes_through_data_mut_are_seen_by_shared_copies() {
        let mut original = Msg::with_size(64).unwrap();
        let copy = original.share().unwrap();
        original.data_mut()[63] = 9;
        assert_eq!(copy.data()[63], 9);
    }

    #[test]
    fn closed_message_cannot_be_copied() {
        assert_eq!(Msg::closed().share().err(), Some(Errno::EFAULT));
    }

    #[test]
    fn zero_routing_id_is_rejected() {
        let mut msg = Msg::new();
        assert_eq!(msg.set_routing_id(0), Err(Errno::EINVAL));
        msg.set_routing_id(42).unwrap();
        assert_eq!(msg.routing_id(), 42);
    }

    #[test]
    fn group_longer_than_limit_is_cut_to_the_limit() {
        let mut msg = Msg::new();
        assert_eq!(msg.group(), c"");
        let long = CString::new(vec![b'g'; GROUP_MAX_LENGTH + 1]).unwrap();
        msg.set_group(&long);
        assert_eq!(msg.group().to_bytes().len(), GROUP_MAX_LENGTH);
    }

    #[test]
    fn shorter_group_replaces_longer_one() {
        let mut msg = Msg::new();
        msg.set_group(&CString::new(vec![b'g'; 40]).unwrap());
        msg.set_group(c"weather");
        assert_eq!(msg.group(), c"weather");
    }

    #[test]
    fn metadata_lookup_is_exact_as_in_libzmq() {
        let metadata = Metadata::new(5, vec![("Socket-Type".into(), c"DEALER".into())]);
        let mut msg = Msg::new();
        msg.set_metadata(Arc::new(metadata));
        assert_eq!(msg.metadata().unwrap().get("Socket-Type"), Some(c"DEALER"));
        assert_eq!(msg.metadata().unwrap().get("socket-type"), None);
        assert_eq!(msg.source_fd(), Ok(5));
    }

    #[test]
    fn identity_finds_the_routing_id_property() {
        let metadata = Metadata::new(-1, vec![("Routing-Id".into(), c"peer".into())]);
        assert_eq!(metadata.get("Identity"), Some(c"peer"));
        assert_eq!(metadata.get("Routing-Id"), Some(c"peer"));
        assert_eq!(metadata.get("routing-id"), None);
    }

    #[test]
    fn huge_size_fails_with_enomem_instead_of_aborting() {
        assert_eq!(Msg::with_size(usize::MAX).err(), Some(Errno::ENOMEM));
        let mut slot = MaybeUninit::<Msg>::uninit();
        assert_eq!(Msg::fill_in_place(&mut slot, usize::MAX).err(), Some(Errno::ENOMEM));
    }

    /// The first byte of a message: its tag.
    fn tag_of(msg: &Msg) -> u8 {
        // SAFETY: the tag is initialised in every message.
        unsafe { (msg as *const Msg).cast::<u8>().read() }
    }

    /// The 8 bytes at `at` (8 or 16) of a heap message: its body's two fields.
    fn word_at(msg: &Msg, at: usize) -> usize {
        assert!((at == 8 || at == 16) && matches!(msg.body, Body::Heap(_)));
        // SAFETY: a heap message's body is initialised there (`HeapBody` at byte 8, repr(C)).
        unsafe { (msg as *const Msg).cast::<u8>().add(at).cast::<usize>().read_unaligned() }
    }

    #[test]
    fn heap_messages_are_written_as_with_body_would_build_them() {
        for size in [INLINE_CAPACITY + 1, 64, 4096, pool::MAX_POOLED + 1] {
            let mut slot = MaybeUninit::<Msg>::uninit();
            Msg::fill_in_place(&mut slot, size).unwrap();
            // SAFETY: fill_in_place succeeded, so it wrote a message.
            let mut msg = unsafe { slot.assume_init() };
            let mut built = Msg::with_body(Body::Heap(HeapBody::new(size).unwrap()));
            let mut for_filling = Msg::for_filling(size).unwrap();
            for msg in [&mut msg, &mut for_filling, &mut built] {
                assert_eq!(msg.size(), size);
                assert!(!msg.more() && !msg.is_command() && !msg.is_shared());
                assert_eq!((msg.routing_id(), msg.group().to_bytes()), (0, &b""[..]));
                assert!(msg.metadata().is_none());
                msg.data_mut().fill(7);
                assert!(msg.data().iter().all(|&byte| byte == 7));
            }
            // All keep the tag in byte 0 and the block at byte 8, the same way from the data.
            assert_eq!((tag_of(&msg), tag_of(&for_filling), tag_of(&built)), (TAG_HEAP, TAG_HEAP, TAG_HEAP));
            assert_eq!(word_at(&built, 16), size);
            let data_offset = |msg: &mut Msg| msg.data_ptr() as usize - word_at(msg, 8);
            assert_eq!(data_offset(&mut msg), data_offset(&mut built));
            assert_eq!(data_offset(&mut for_filling), data_offset(&mut built));
        }
    }
}
