//! The blocks that sessions read into: one I/O thread's read buffer and the blocks it recycles.
//!
//! Each read lands in a large block and is split off it as a `Bytes` that the decoded messages
//! slice (no allocation or copy per message); the next read goes into the rest of the block. A
//! block that is used up is parked, not dropped, until the messages slicing it are gone, and
//! then read into again: a steady stream reuses a few blocks whose pages stay mapped, where a
//! fresh block per few messages costs a page fault per 4 KiB (and the allocator's trimming).
//! Owns only the memory; what is read and how it is cut into frames is the session's business.

use bytes::BytesMut;

/// The size of a block (and so the most read in one go): several large frames per read.
pub(crate) const BLOCK: usize = 256 * 1024;
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
        // The block itself, once nothing else slices it (the held bytes move to its front).
        if buffer.try_reclaim(BLOCK - buffer.len()) {
            return;
        }
        let reusable = self.parked.iter_mut().position(|block| block.try_reclaim(BLOCK));
        let mut fresh = match reusable {
            Some(index) => self.parked.swap_remove(index),
            None => BytesMut::with_capacity(BLOCK),
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
        assert!(buffer.capacity() >= BLOCK);
        // A message slicing the block keeps it busy: the next block is another one.
        buffer.resize(BLOCK - 100, 7);
        let message = buffer.split().freeze();
        blocks.make_room(&mut buffer, 1);
        assert_ne!(buffer.as_ptr(), first);
        buffer.resize(BLOCK - 100, 8);
        let other = buffer.split().freeze();
        // Once the message is gone, its (parked) block comes back, with held bytes at its front.
        drop(message);
        buffer.extend_from_slice(b"held");
        blocks.make_room(&mut buffer, 1);
        assert_eq!(buffer.as_ptr(), first);
        assert_eq!(&buffer[..], b"held");
        assert!(buffer.capacity() - buffer.len() >= BLOCK / 2);
        // The current block reclaims itself when nothing slices it any more.
        drop(other);
        let held = buffer.split().freeze();
        drop(held);
        buffer.resize(BLOCK - 10, 9);
        drop(buffer.split());
        assert!(buffer.capacity() < READ_MIN);
        blocks.make_room(&mut buffer, 1);
        assert_eq!(buffer.as_ptr(), first);
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
