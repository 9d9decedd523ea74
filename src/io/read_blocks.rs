//! The blocks that sessions read into: one I/O thread's read buffer and the blocks it recycles.
//!
//! Each read lands in a large block and is split off it as a `Bytes` that the decoded messages
//! slice (no allocation or copy per message); the next read goes into the rest of the block. A
//! block that is used up is parked, not dropped, until the messages slicing it are gone, and
//! then read into again: a steady stream reuses a few blocks whose pages stay mapped, where a
//! fresh block per few messages costs a page fault per 4 KiB (and the allocator's trimming).
//! Owns only the memory; what is read and how it is cut into frames is the session's business.

use bytes::BytesMut;

/// The size of a block for gathering large frames (and so the most read in one go then):
/// several large frames per read.
pub(crate) const BLOCK: usize = 256 * 1024;
/// The size of a block for ordinary reads: one read batch (the session reads at most 64 KiB
/// then) and a little over, so a full read leaves less than [`READ_MIN`] and the next read takes
/// another block. The messages sliced from one read then share a reference count that no later
/// read touches: with one count per several reads, the I/O thread incrementing it for new
/// messages and the receiving threads decrementing it for old ones kept passing its cache line
/// back and forth (fan-out to 10 subscribers over tcp: ~0.85x -> ~1.05x libzmq's msg/s).
const SMALL_BLOCK: usize = 64 * 1024 + 4 * 1024;
/// A read into less room than this takes a fresh block first, so reads stay large.
const READ_MIN: usize = 8 * 1024;
/// Used-up blocks kept for reuse (beyond the one being read into), at most this many.
const PARKED: usize = 4;

/// One I/O thread's blocks, shared by its connections.
#[derive(Default)]
pub struct ReadBlocks {
    /// The block being read into: empty between reads (everything read was split off, or
    /// taken by a connection holding the start of a frame the read cut).
    pub current: BytesMut,
    parked: Vec<BytesMut>,
}

impl ReadBlocks {
    /// Makes room in `buffer` (the current block or a connection's held bytes, which stay at
    /// its front) for a read of at least `want` bytes, and at least `READ_MIN`. `want` and what
    /// `buffer` holds are at most half a block each.
    pub fn make_room(&mut self, buffer: &mut BytesMut, want: usize) {
        let want = want.max(READ_MIN);
        if buffer.capacity() - buffer.len() >= want {
            return;
        }
        debug_assert!(buffer.len() <= BLOCK / 2 && want <= BLOCK / 2, "held frames fit half a block");
        let size = if buffer.len() + want <= SMALL_BLOCK { SMALL_BLOCK } else { BLOCK };
        // The block itself, once nothing else slices it (the held bytes move to its front).
        if buffer.try_reclaim(size - buffer.len()) {
            return;
        }
        let reusable = self.parked.iter_mut().position(|block| block.try_reclaim(size));
        let mut fresh = match reusable {
            Some(index) => self.parked.swap_remove(index),
            None => BytesMut::with_capacity(size),
        };
        fresh.extend_from_slice(buffer);
        let mut used = std::mem::replace(buffer, fresh);
        used.clear();
        // (A buffer that never had a block has no capacity: nothing to park.)
        if self.parked.len() < PARKED && used.capacity() > 0 {
            self.parked.push(used);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_reused_once_its_slices_are_gone() {
        let mut blocks = ReadBlocks::default();
        let mut buffer = BytesMut::new();
        blocks.make_room(&mut buffer, 1);
        let first = buffer.as_ptr();
        assert!(buffer.capacity() >= SMALL_BLOCK);
        // A message slicing the block keeps it busy: the next block is another one.
        buffer.resize(SMALL_BLOCK - 100, 7);
        let message = buffer.split().freeze();
        blocks.make_room(&mut buffer, 1);
        assert_ne!(buffer.as_ptr(), first);
        buffer.resize(SMALL_BLOCK - 100, 8);
        let other = buffer.split().freeze();
        // Once the message is gone, its (parked) block comes back, with held bytes at its front.
        drop(message);
        buffer.extend_from_slice(b"held");
        blocks.make_room(&mut buffer, 1);
        assert_eq!(buffer.as_ptr(), first);
        assert_eq!(&buffer[..], b"held");
        assert!(buffer.capacity() - buffer.len() >= READ_MIN);
        // The current block reclaims itself when nothing slices it any more.
        drop(other);
        let held = buffer.split().freeze();
        drop(held);
        buffer.resize(SMALL_BLOCK - 10, 9);
        drop(buffer.split());
        assert!(buffer.capacity() < READ_MIN);
        blocks.make_room(&mut buffer, 1);
        assert_eq!(buffer.as_ptr(), first);
    }

    #[test]
    fn ordinary_reads_get_one_block_each_and_large_frames_a_large_one() {
        let mut blocks = ReadBlocks::default();
        let mut buffer = BytesMut::new();
        blocks.make_room(&mut buffer, 1);
        // A full read batch leaves less than READ_MIN: the next read starts a block of its own.
        buffer.resize(64 * 1024, 1);
        let read = buffer.split().freeze();
        blocks.make_room(&mut buffer, 1);
        assert!(!std::ptr::eq(buffer.as_ptr(), read.as_ptr()));
        assert!(buffer.capacity() >= 64 * 1024 && buffer.capacity() < BLOCK);
        // Half a large frame held, its rest wanted: a large block, the held bytes at its front.
        let mut held = BytesMut::new();
        held.extend_from_slice(&[5; 40 * 1024]);
        blocks.make_room(&mut held, 60 * 1024);
        assert!(held.capacity() >= BLOCK);
        assert!(held.iter().all(|&b| b == 5) && held.len() == 40 * 1024);
    }

    #[test]
    fn room_already_there_is_kept() {
        let mut blocks = ReadBlocks::default();
        let mut buffer = BytesMut::with_capacity(BLOCK);
        buffer.extend_from_slice(b"abc");
        let at = buffer.as_ptr();
        blocks.make_room(&mut buffer, 100);
        assert_eq!((buffer.as_ptr(), &buffer[..]), (at, &b"abc"[..]));
    }
}
