//! Message bodies this library allocates (above the inline limit): medium ones (up to
//! [`MAX_POOLED`] bytes) recycled per thread instead of going through malloc and free for every
//! message; larger ones allocated for one body, not zeroed, and some of them (up to
//! [`LARGE_KEEP_BYTES`]) kept for reuse by the thread that allocated them.
//!
//! Why: a message body is typically allocated by the sending thread and released by another
//! (the receiver, or an I/O thread). glibc's malloc handles that cross-thread pattern slowly
//! (its per-thread cache fills on the releasing side and the allocating side goes to the arena),
//! which made allocation the largest single cost of a small message. Here each block belongs to
//! the thread that allocated it (its *owner*):
//! - the owner takes blocks from its own free lists, no atomics;
//! - whoever releases a block pushes it onto the owner's *return stack*, one compare-and-swap
//!   and no thread-local lookup; the owner takes the whole stack with one swap when its lists
//!   run dry.
//!
//! A thread that exits frees its lists and marks its return stack [`ORPHANED`]; blocks coming back
//! later see that and go straight to the system allocator. The stack itself (one cache line) is
//! kept for the next thread that starts allocating, which is safe because a block that reaches a
//! re-adopted stack is simply a valid block of its size class for the new owner.
//!
//! Each block starts with a header: its owner's return stack, a reference count (only touched
//! once the body is shared by `zmq_msg_copy`) and its size class. This module owns all of that
//! and the `unsafe` it takes; it knows nothing of messages beyond a length.

use std::alloc::{self, Layout};
use std::cell::UnsafeCell;
use std::ptr::{self, NonNull};
use std::sync::atomic::{fence, AtomicPtr, AtomicU32, AtomicUsize, Ordering};

use parking_lot::Mutex;

/// Block capacities: powers of two from 64 bytes (the first above the inline limit) to 64 KiB.
/// Large bodies are pooled too: through malloc, each 64 KiB body sent between two threads was
/// faulted in afresh (page faults and page clearing took ~15% of inproc_thr's time); pooled,
/// inproc 64 KiB throughput rose 1.6x. The price is rounding: a body just above a power of two
/// takes a block twice its size.
const MIN_SHIFT: u32 = 6;
const CLASSES: usize = 11;
/// The largest body a pooled block holds; larger ones use the system allocator directly.
pub(crate) const MAX_POOLED: usize = 1 << (MIN_SHIFT as usize + CLASSES - 1);
/// Bytes of free blocks a thread keeps per size class, but at least [`KEEP_MIN`] blocks; beyond
/// that, released blocks go back to the system allocator. A thread keeps at most what it once
/// had in flight (malloc's arenas would mostly keep that too), and enough that a stream through
/// a pipe at the default high-water marks (1,000 messages each side, reads reported to the
/// writer in batches) allocates nothing: 4,096 blocks of 1 KiB.
const KEEP_BYTES: usize = 4 * 1024 * 1024;
/// The same goal for the large classes takes a block count, not bytes: a sender at the default
/// high-water mark has 1,000 bodies in flight whatever their size. With only 64 blocks of 64 KiB
/// kept, a 64 KiB stream over tcp went back to malloc for most bodies (fresh blocks are zeroed,
/// freed ones trimmed and faulted in again: 0.3-0.4 page faults per message each side); keeping
/// 1,024 raised it ~8% (A/B, 200,000 messages), at up to 64 MiB kept by a thread that once had
/// that much in flight.
const KEEP_MIN: usize = 1024;

/// Bytes of released large blocks (above [`MAX_POOLED`]) a thread keeps for its next large
/// bodies. Allocated and freed per body, each large body was mapped (or grown into the heap),
/// faulted in page by page and unmapped (or trimmed) again: over tcp, 128 KiB and 256 KiB
/// messages ran at 0.9-1.3x libzmq's rate, 1.2-1.6x with the blocks reused.
const LARGE_KEEP_BYTES: usize = 64 * 1024 * 1024;
/// How many kept large blocks a new large body looks through for one that fits.
const LARGE_LOOKS: usize = 8;
/// The class of blocks above [`MAX_POOLED`], each allocated for one body of its exact size (not
/// zeroed) and kept for reuse by bodies that fit; also where they are listed in `Cache::free`.
const LARGE_LIST: usize = CLASSES;

/// The return-stack value of an exited owner: returned blocks are freed, not pushed.
const ORPHANED: *mut Header = ptr::dangling_mut::<Header>();

#[repr(C, align(16))]
struct Header {
    /// The owner's return stack.
    home: &'static ReturnStack,
    /// Messages sharing this body; 1 while it is not shared.
    refs: AtomicU32,
    /// The size class, or [`LARGE_LIST`] for a block above [`MAX_POOLED`].
    class: u8,
    /// Bytes of the data area after the header.
    capacity: usize,
    /// Next block in a free list or return stack (only while the block is free).
    next: *mut Header,
}

/// Where other threads put back an owner's blocks (a Treiber stack popped only as a whole).
#[repr(align(64))]
struct ReturnStack {
    head: AtomicPtr<Header>,
    /// Capacity of the large blocks pushed and not yet taken off. A releaser frees a large block
    /// rather than push it past [`LARGE_KEEP_BYTES`], so an owner that stopped allocating does
    /// not hold on to every large body it ever sent.
    large_bytes: AtomicUsize,
}

impl ReturnStack {
    const fn new(head: *mut Header) -> Self {
        Self { head: AtomicPtr::new(head), large_bytes: AtomicUsize::new(0) }
    }
}

/// Return stacks of exited threads, for new threads to adopt.
static ORPHANS: Mutex<Vec<&'static ReturnStack>> = Mutex::new(Vec::new());

fn class_of(size: usize) -> usize {
    debug_assert!(size <= MAX_POOLED);
    (size.max(1).next_power_of_two().trailing_zeros().max(MIN_SHIFT) - MIN_SHIFT) as usize
}

fn capacity(class: usize) -> usize {
    1 << (MIN_SHIFT as usize + class)
}

/// The layout of a block with `capacity` data bytes; `None` when that overflows.
fn layout(capacity: usize) -> Option<Layout> {
    Layout::from_size_align(size_of::<Header>().checked_add(capacity)?, align_of::<Header>()).ok()
}

/// Gives a free block back to the system allocator.
///
/// # Safety
/// `block` came from `allocate`, is free, and nothing else refers to it.
unsafe fn free_block(block: *mut Header) {
    // SAFETY: per the contract; the block was allocated with the layout of its capacity.
    unsafe {
        let layout = layout((*block).capacity).expect("the layout it was allocated with");
        alloc::dealloc(block.cast(), layout);
    }
}

/// Free blocks a thread keeps, per size class.
const KEEP_LIMITS: [usize; CLASSES] = {
    let mut limits = [0; CLASSES];
    let mut class = 0;
    while class < CLASSES {
        let blocks = KEEP_BYTES >> (MIN_SHIFT as usize + class);
        limits[class] = if blocks > KEEP_MIN { blocks } else { KEEP_MIN };
        class += 1;
    }
    limits
};

/// This thread's free lists: one per size class, then the kept large blocks.
struct Cache {
    home: &'static ReturnStack,
    free: [*mut Header; CLASSES + 1],
    counts: [usize; CLASSES],
    /// Capacity of the kept large blocks.
    large_bytes: usize,
}

impl Cache {
    fn new() -> Self {
        let adopted = ORPHANS.lock().pop();
        let home = match adopted {
            Some(stack) => {
                // Blocks that came back after the exit were freed; from now on they are ours.
                stack.head.store(ptr::null_mut(), Ordering::Release);
                stack
            }
            None => Box::leak(Box::new(ReturnStack::new(ptr::null_mut()))),
        };
        Self { home, free: [ptr::null_mut(); CLASSES + 1], counts: [0; CLASSES], large_bytes: 0 }
    }

    fn take(&mut self, class: usize) -> Option<NonNull<Header>> {
        if self.free[class].is_null() {
            self.take_returned();
        }
        let block = NonNull::new(self.free[class])?;
        // SAFETY: blocks on our free lists are ours, free, with a valid `next`.
        self.free[class] = unsafe { block.as_ref().next };
        self.counts[class] -= 1;
        Some(block)
    }

    /// Moves every block other threads returned onto our lists, keeping the order they came
    /// back in (the most recently returned on top): those are the likeliest to be in cache.
    #[cold]
    fn take_returned(&mut self) {
        let mut block = self.home.head.swap(ptr::null_mut(), Ordering::Acquire);
        // Each list's returned blocks, in order: (first, last).
        let mut chains = [(ptr::null_mut::<Header>(), ptr::null_mut::<Header>()); CLASSES + 1];
        let mut large_bytes = 0;
        while !block.is_null() {
            // SAFETY: the pushers released these blocks to us (Release CAS, Acquire swap).
            let (next, class) = unsafe { ((*block).next, usize::from((*block).class)) };
            let kept = if class == LARGE_LIST {
                // SAFETY: as above.
                let capacity = unsafe { (*block).capacity };
                large_bytes += capacity;
                let kept = self.large_bytes + capacity <= LARGE_KEEP_BYTES;
                self.large_bytes += if kept { capacity } else { 0 };
                kept
            } else {
                let kept = self.counts[class] < KEEP_LIMITS[class];
                self.counts[class] += usize::from(kept);
                kept
            };
            if !kept {
                // SAFETY: a free block of ours.
                unsafe { free_block(block) };
            } else {
                let (first, last) = &mut chains[class];
                if last.is_null() {
                    *first = block;
                } else {
                    // SAFETY: `last` is a free block of ours taken in this loop.
                    unsafe { (**last).next = block };
                }
                *last = block;
            }
            block = next;
        }
        if large_bytes > 0 {
            self.home.large_bytes.fetch_sub(large_bytes, Ordering::Relaxed);
        }
        for (class, (first, last)) in chains.into_iter().enumerate() {
            if !last.is_null() {
                // SAFETY: as above.
                unsafe { (*last).next = self.free[class] };
                self.free[class] = first;
            }
        }
    }

    /// A kept large block for a body of `len` bytes: one of at least `len` but at most twice
    /// that (a small body must not hold on to a much larger block), among the first few kept.
    fn take_large(&mut self, len: usize) -> Option<NonNull<Header>> {
        if let Some(block) = self.find_large(len) {
            return Some(block);
        }
        self.take_returned();
        self.find_large(len)
    }

    fn find_large(&mut self, len: usize) -> Option<NonNull<Header>> {
        let mut link: *mut *mut Header = &mut self.free[LARGE_LIST];
        for _ in 0..LARGE_LOOKS {
            // SAFETY: `link` points at the list head or at the `next` of a block on the list.
            let block = unsafe { *link };
            if block.is_null() {
                return None;
            }
            // SAFETY: blocks on our lists are ours, free, with valid headers.
            let capacity = unsafe { (*block).capacity };
            if capacity >= len && capacity / 2 <= len {
                // SAFETY: as above; unlinks the block.
                unsafe { *link = (*block).next };
                self.large_bytes -= capacity;
                return NonNull::new(block);
            }
            // SAFETY: as above.
            link = unsafe { &raw mut (*block).next };
        }
        None
    }
}

impl Drop for Cache {
    fn drop(&mut self) {
        // Blocks returned after this swap are freed by whoever returns them.
        let mut block = self.home.head.swap(ORPHANED, Ordering::Acquire);
        while !block.is_null() {
            // SAFETY: as in take_returned.
            let (next, class, capacity) =
                unsafe { ((*block).next, usize::from((*block).class), (*block).capacity) };
            if class == LARGE_LIST {
                self.home.large_bytes.fetch_sub(capacity, Ordering::Relaxed);
            }
            // SAFETY: a free block returned to us.
            unsafe { free_block(block) };
            block = next;
        }
        for &head in &self.free {
            let mut block = head;
            while !block.is_null() {
                // SAFETY: our free blocks, each freed once.
                let next = unsafe { (*block).next };
                unsafe { free_block(block) };
                block = next;
            }
        }
        ORPHANS.lock().push(self.home);
    }
}

thread_local! {
    static CACHE: UnsafeCell<Option<Cache>> = const { UnsafeCell::new(None) };
}

/// Runs `f` on this thread's cache; `None` while the thread is being torn down.
#[inline]
fn with_cache<R>(f: impl FnOnce(&mut Cache) -> R) -> Option<R> {
    CACHE
        .try_with(|cell| {
            // SAFETY: the cache is only reached through this function, whose callers never
            // re-enter it (the system allocator calls nothing of ours), so this is the only
            // reference for the duration of `f`.
            let cache = unsafe { &mut *cell.get() };
            match cache {
                Some(cache) => f(cache),
                None => f(first_cache(cache)),
            }
        })
        .ok()
}

/// This thread's cache, made at its first allocation.
#[cold]
#[inline(never)]
fn first_cache(slot: &mut Option<Cache>) -> &mut Cache {
    slot.insert(Cache::new())
}

/// A body in a block of this module (pooled or large), owned alone or shared by copies
/// (`zmq_msg_copy`). `repr(C)`: `Msg::heap_in_place` writes it as the block, then the length.
#[repr(C)]
pub struct HeapBody {
    block: NonNull<Header>,
    len: usize,
}

// SAFETY: the block is plain memory plus atomics in its header; releasing it from any thread is
// what the return stack is for. Shared bodies are written only through the C API's
// zmq_msg_data contract, as with any shared body.
unsafe impl Send for HeapBody {}
// SAFETY: as above; `&HeapBody` only reads.
unsafe impl Sync for HeapBody {}

impl HeapBody {
    /// A body of `len` bytes for the caller to fill; `None` when out of memory. Its bytes are
    /// unspecified, as malloc'd memory is for libzmq's zmq_msg_init_size: a recycled block holds
    /// an earlier body's bytes (a fresh one zeros), a fresh large one whatever the allocator left.
    /// Callers overwrite them (or `zero` them) before anything reads them.
    #[inline]
    pub fn new(len: usize) -> Option<Self> {
        let block = if len <= MAX_POOLED {
            let class = class_of(len);
            with_cache(|cache| {
                cache.take(class).or_else(|| allocate(class, capacity(class), Some(cache.home)))
            })
            .unwrap_or_else(|| allocate(class, capacity(class), None))?
        } else {
            new_large(len)?
        };
        // SAFETY: the block is ours and unshared.
        unsafe { (*block.as_ptr()).refs.store(1, Ordering::Relaxed) };
        Some(Self { block, len })
    }

    /// The block's address and the length, giving up ownership (see `Msg::heap_in_place`).
    #[cfg(target_arch = "x86_64")]
    pub fn into_raw(self) -> (usize, usize) {
        let body = std::mem::ManuallyDrop::new(self);
        (body.block.as_ptr() as usize, body.len)
    }

    /// Fills the body with zeros.
    pub fn zero(&mut self) {
        // SAFETY: the data area holds at least `len` bytes, and `&mut self` is the only
        // reference this code has to them.
        unsafe { self.as_ptr().write_bytes(0, self.len()) };
    }

    #[inline]
    pub fn as_ptr(&self) -> *mut u8 {
        data_of(self.block)
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }
}

/// The data area after the header.
#[inline]
fn data_of(block: NonNull<Header>) -> *mut u8 {
    // SAFETY: every block has its data area right after the header.
    unsafe { block.as_ptr().add(1).cast() }
}

/// A block for a body above [`MAX_POOLED`]: a kept one that fits, or a fresh one.
#[cold]
#[inline(never)]
fn new_large(len: usize) -> Option<NonNull<Header>> {
    with_cache(|cache| cache.take_large(len).or_else(|| allocate(LARGE_LIST, len, Some(cache.home))))
        .unwrap_or_else(|| allocate(LARGE_LIST, len, None))
}

/// A fresh block of `class` with `capacity` data bytes, belonging to `home`; with no home it is
/// an orphan from birth (this thread is exiting), freed wherever it is released.
#[cold]
fn allocate(class: usize, capacity: usize, home: Option<&'static ReturnStack>) -> Option<NonNull<Header>> {
    static EXITED: ReturnStack = ReturnStack::new(ORPHANED);
    let layout = layout(capacity)?;
    // A pooled block is zeroed once, so its data area is initialised memory for every later
    // body. A large one is not: zeroing would double the cost of writing it, and libzmq's
    // zmq_msg_init_size does not either; its first writer is the caller (see `new`).
    // SAFETY: the layout has a non-zero size.
    let raw = unsafe {
        if class == LARGE_LIST {
            alloc::alloc(layout)
        } else {
            alloc::alloc_zeroed(layout)
        }
    };
    let block = NonNull::new(raw.cast::<Header>())?;
    let header = Header {
        home: home.unwrap_or(&EXITED),
        refs: AtomicU32::new(1),
        class: class as u8,
        capacity,
        next: ptr::null_mut(),
    };
    // SAFETY: a fresh allocation with room and alignment for the header.
    unsafe { block.as_ptr().write(header) };
    Some(block)
}

impl HeapBody {
    /// Hands `count` more references to this body to `each`, counted in one step instead of one
    /// atomic increment per copy (a publisher's copy per subscriber). A body nobody else holds
    /// takes a plain store: with the count at 1 no other thread can look at it.
    pub fn share_n(&self, count: usize, mut each: impl FnMut(usize, Self)) {
        if count == 0 {
            return;
        }
        let added = u32::try_from(count).expect("fewer copies than pipes");
        // SAFETY: the block stays allocated while we hold a reference.
        let refs = &unsafe { self.block.as_ref() }.refs;
        if refs.load(Ordering::Acquire) == 1 {
            refs.store(1 + added, Ordering::Relaxed);
        } else {
            refs.fetch_add(added, Ordering::Relaxed);
        }
        for index in 0..count {
            // Each value takes over one of the references counted above.
            each(index, Self { block: self.block, len: self.len });
        }
    }
}

impl Clone for HeapBody {
    /// Shares the body (the copy sees the same bytes).
    fn clone(&self) -> Self {
        // SAFETY: the block stays allocated while we hold a reference.
        unsafe { self.block.as_ref() }.refs.fetch_add(1, Ordering::Relaxed);
        Self { block: self.block, len: self.len }
    }
}

impl Drop for HeapBody {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the block stays allocated while we hold a reference.
        let header = unsafe { self.block.as_ref() };
        // Unique (never shared, or the other holders are gone): nobody else can touch the count.
        if header.refs.load(Ordering::Acquire) != 1 {
            if header.refs.fetch_sub(1, Ordering::Release) != 1 {
                return;
            }
            fence(Ordering::Acquire);
        }
        // SAFETY: nothing refers to the block any more; its header stays valid.
        return_to(unsafe { self.block.as_ref() }.home, self.block.as_ptr());
    }
}

/// Gives a block no message uses any more back to its owner: pushes it onto the owner's return
/// stack, or frees it if the owner exited. The owner's own releases take this path too, which
/// keeps the thread-local lookup off the receiving side.
#[inline]
fn return_to(home: &ReturnStack, block: *mut Header) {
    // SAFETY: a free block; its header stays valid until it is freed or taken back.
    if unsafe { (*block).class } == LARGE_LIST as u8 {
        return_large(home, block);
    } else {
        push_or_free(home, block);
    }
}

/// `return_to` for a large block: counted on the stack, and freed instead past the limit.
#[cold]
fn return_large(home: &ReturnStack, block: *mut Header) {
    // SAFETY: as in return_to.
    let capacity = unsafe { (*block).capacity };
    if home.large_bytes.fetch_add(capacity, Ordering::Relaxed) + capacity > LARGE_KEEP_BYTES {
        home.large_bytes.fetch_sub(capacity, Ordering::Relaxed);
        // SAFETY: a free block; nobody else has it.
        unsafe { free_block(block) };
    } else if !push_or_free(home, block) {
        home.large_bytes.fetch_sub(capacity, Ordering::Relaxed);
    }
}

/// Pushes a free block onto its owner's return stack (true), or frees it if the owner exited.
#[inline(always)]
fn push_or_free(home: &ReturnStack, block: *mut Header) -> bool {
    let mut head = home.head.load(Ordering::Relaxed);
    loop {
        if head == ORPHANED {
            // SAFETY: a free block; nobody else has it.
            unsafe { free_block(block) };
            return false;
        }
        // SAFETY: the block is free and not yet visible to the owner.
        unsafe { (*block).next = head };
        match home.head.compare_exchange_weak(head, block, Ordering::Release, Ordering::Relaxed) {
            Ok(_) => return true,
            Err(now) => head = now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_blocks_are_zeroed() {
        let held: Vec<HeapBody> = (0..3).map(|_| HeapBody::new(MAX_POOLED).unwrap()).collect();
        assert!(held.iter().all(|body| bytes(body).iter().all(|&byte| byte == 0)));
    }

    fn bytes(body: &HeapBody) -> &[u8] {
        // SAFETY: the body is live for the borrow.
        unsafe { std::slice::from_raw_parts(body.as_ptr(), body.len()) }
    }

    #[test]
    fn a_body_over_4_gib_keeps_its_length() {
        // Address space only: a large block is not zeroed, and nothing here touches it.
        let size = (5usize << 30) + 3;
        let body = HeapBody::new(size).expect("5 GiB of address space");
        assert_eq!(body.len(), size);
        let copy = body.clone();
        assert_eq!(copy.len(), size);
    }

    #[test]
    fn sizes_map_to_the_smallest_class_that_holds_them() {
        assert_eq!(class_of(34), 0);
        assert_eq!(class_of(64), 0);
        assert_eq!(class_of(65), 1);
        assert_eq!(class_of(MAX_POOLED), CLASSES - 1);
        assert_eq!(capacity(CLASSES - 1), MAX_POOLED);
    }

    #[test]
    fn a_released_block_is_reused_by_its_thread() {
        let first = HeapBody::new(100).unwrap();
        let address = first.as_ptr();
        drop(first);
        let second = HeapBody::new(120).unwrap();
        assert_eq!(second.as_ptr(), address);
        assert_eq!(second.len(), 120);
    }

    #[test]
    fn the_most_recently_released_blocks_are_reused_first() {
        // A class no other test here uses, so this thread's list holds only these blocks.
        let size = 3000;
        let bodies: Vec<HeapBody> = (0..4).map(|_| HeapBody::new(size).unwrap()).collect();
        let released: Vec<usize> = bodies.iter().map(|body| body.as_ptr() as usize).collect();
        for body in bodies {
            drop(body);
        }
        let again: Vec<HeapBody> = (0..4).map(|_| HeapBody::new(size).unwrap()).collect();
        let again: Vec<usize> = again.iter().map(|body| body.as_ptr() as usize).collect();
        assert_eq!(again, released.into_iter().rev().collect::<Vec<_>>());
    }

    /// The capacity of this thread's kept large blocks, once it has taken what came back.
    fn kept_large_bytes() -> usize {
        with_cache(|cache| {
            cache.take_returned();
            cache.large_bytes
        })
        .unwrap()
    }

    #[test]
    fn a_released_large_block_is_kept_for_a_body_that_fits() {
        let size = MAX_POOLED * 3;
        let before = kept_large_bytes();
        drop(HeapBody::new(size).unwrap());
        let kept = kept_large_bytes();
        assert_eq!(kept, before + size);
        // Not for a body more than twice as small, nor for a larger one.
        let small = HeapBody::new(size / 2 - 1).unwrap();
        let large = HeapBody::new(size + 1).unwrap();
        assert_eq!(with_cache(|cache| cache.large_bytes).unwrap(), kept);
        let fits = HeapBody::new(size - 1000).unwrap();
        assert_eq!(fits.len(), size - 1000);
        assert_eq!(with_cache(|cache| cache.large_bytes).unwrap(), before);
        drop((small, large, fits));
    }

    #[test]
    fn large_blocks_released_elsewhere_return_to_their_owner_up_to_the_keep_limit() {
        let size = MAX_POOLED * 5;
        let bodies: Vec<HeapBody> =
            (0..LARGE_KEEP_BYTES / size + 4).map(|_| HeapBody::new(size).unwrap()).collect();
        std::thread::spawn(move || drop(bodies)).join().unwrap();
        // The releaser freed what would have put more than the limit on our return stack.
        let returned = with_cache(|cache| cache.home.large_bytes.load(Ordering::Relaxed)).unwrap();
        assert!(returned <= LARGE_KEEP_BYTES && returned > LARGE_KEEP_BYTES - size, "{returned}");
        let kept = kept_large_bytes();
        assert_eq!(kept, returned);
        assert_eq!(with_cache(|cache| cache.home.large_bytes.load(Ordering::Relaxed)).unwrap(), 0);
    }

    #[test]
    fn a_shared_body_lives_until_its_last_holder_drops_it() {
        let body = HeapBody::new(64).unwrap();
        // SAFETY: the body is ours, 64 bytes long.
        unsafe { body.as_ptr().write(7) };
        let copy = body.clone();
        drop(body);
        assert_eq!(bytes(&copy)[0], 7);
        let address = copy.as_ptr();
        drop(copy);
        assert_eq!(HeapBody::new(64).unwrap().as_ptr(), address);
    }

    #[test]
    fn blocks_released_by_another_thread_return_to_their_owner() {
        let bodies: Vec<HeapBody> = (0..10).map(|_| HeapBody::new(200).unwrap()).collect();
        let mut addresses: Vec<usize> = bodies.iter().map(|body| body.as_ptr() as usize).collect();
        std::thread::spawn(move || drop(bodies)).join().unwrap();
        let again: Vec<HeapBody> = (0..10).map(|_| HeapBody::new(200).unwrap()).collect();
        let mut again: Vec<usize> = again.iter().map(|body| body.as_ptr() as usize).collect();
        addresses.sort_unstable();
        again.sort_unstable();
        assert_eq!(addresses, again);
    }

    #[test]
    fn blocks_outliving_their_owner_thread_are_freed_where_released() {
        let bodies = std::thread::spawn(|| (0..10).map(|_| HeapBody::new(300).unwrap()).collect::<Vec<_>>())
            .join()
            .unwrap();
        // The owner is gone: these are freed, and other threads keep working.
        drop(bodies);
        let body = HeapBody::new(300).unwrap();
        assert_eq!(body.len(), 300);
    }

    #[test]
    fn copies_shared_at_once_are_counted_once_each() {
        // SAFETY (of the reads below): the block stays allocated while `body` holds it.
        let refs = |body: &HeapBody| unsafe { body.block.as_ref() }.refs.load(Ordering::Acquire);
        let body = HeapBody::new(64).unwrap();
        let mut copies = Vec::new();
        body.share_n(3, |index, copy| copies.push((index, copy)));
        assert_eq!(copies.iter().map(|(index, _)| *index).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(refs(&body), 4);
        drop(body);
        let (_, last) = copies.pop().unwrap();
        drop(copies);
        assert_eq!(refs(&last), 1);
        // Shared again while already shared: the count adds up.
        let extra = last.clone();
        let mut more = Vec::new();
        last.share_n(2, |_, copy| more.push(copy));
        assert_eq!(refs(&last), 4);
        drop((extra, more));
        assert_eq!(refs(&last), 1);
    }

    #[test]
    fn copies_released_on_different_threads_free_the_block_once() {
        for _ in 0..200 {
            let body = HeapBody::new(500).unwrap();
            let copies: Vec<HeapBody> = (0..4).map(|_| body.clone()).collect();
            drop(body);
            let releasers: Vec<_> =
                copies.into_iter().map(|copy| std::thread::spawn(move || drop(copy))).collect();
            for releaser in releasers {
                releaser.join().unwrap();
            }
        }
    }

    #[test]
    fn owners_exiting_while_their_blocks_travel_leave_them_valid() {
        let (sender, receiver) = std::sync::mpsc::channel::<HeapBody>();
        let owners: Vec<_> = (0..8)
            .map(|n| {
                let sender = sender.clone();
                // Each owner exits right away; later owners may adopt an earlier one's stack.
                std::thread::spawn(move || {
                    for _ in 0..100 {
                        let body = HeapBody::new(64 * (n + 1)).unwrap();
                        // SAFETY: the body is ours and at least 64 bytes long.
                        unsafe { body.as_ptr().write_bytes(n as u8, body.len()) };
                        sender.send(body).unwrap();
                    }
                })
            })
            .collect();
        drop(sender);
        for body in receiver {
            let first = bytes(&body)[0];
            assert!(bytes(&body).iter().all(|&byte| byte == first));
            assert_eq!(body.len(), 64 * (first as usize + 1));
        }
        for owner in owners {
            owner.join().unwrap();
        }
    }

    #[test]
    fn many_threads_passing_bodies_around_keep_them_intact() {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<HeapBody>(64);
        let producer = std::thread::spawn(move || {
            for n in 0..20_000u32 {
                let body = HeapBody::new(64 + (n as usize % 900)).unwrap();
                // SAFETY: the body is ours and at least 4 bytes long.
                unsafe { body.as_ptr().cast::<[u8; 4]>().write_unaligned(n.to_le_bytes()) };
                sender.send(body).unwrap();
            }
        });
        for n in 0..20_000u32 {
            let body = receiver.recv().unwrap();
            assert_eq!(bytes(&body)[..4], n.to_le_bytes());
            assert_eq!(body.len(), 64 + (n as usize % 900));
        }
        producer.join().unwrap();
    }
}
