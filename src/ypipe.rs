//! ypipe: the lock-free single-producer/single-consumer queue under each direction of a pipe
//! (`pipe.rs`), named after libzmq's queue with the same job. One thread writes, one thread
//! reads; the two halves ([`Writer`], [`Reader`]) are separate values, so the type system keeps
//! it that way. This module knows nothing of messages, sockets or commands.
//!
//! How it works:
//! - Items live in chunks of `N` slots linked into a list. The writer fills slots at its end; the
//!   reader takes them from its end. Neither touches the other's slots, so slots need no atomics.
//! - Written items are invisible until [`Writer::flush`] adds their count to one shared counter
//!   (one atomic read-modify-write per flush, whatever the number of items). The reader learns
//!   how many items it may take with one atomic load and then takes all of them without touching
//!   shared state again (prefetch).
//! - A reader that finds nothing marks itself asleep in the high bit of the same counter, in one
//!   compare-and-swap, so the writer's next flush tells the caller to wake it.
//! - The first chunk is allocated at the first write, so a pipe that never carries a message
//!   (an idle connection's) costs no chunk at all.
//! - A chunk the reader has emptied goes to a few spare slots, from which the writer takes its
//!   next chunk instead of allocating: in steady state the queue allocates nothing, even when the
//!   reader runs a few chunks behind the writer (as it does when a sender outpaces its receiver
//!   up to the high-water mark).
//!
//! Memory ordering, which is all the `unsafe` below relies on: the writer writes a slot, then
//! publishes it with a Release read-modify-write of the counter; the reader loads the counter
//! with Acquire before it reads any slot below it. Links between chunks are set (Release) before
//! the first slot of the new chunk is written, and spares are handed over with AcqRel swaps.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// High bit of the shared counter: the reader found the queue empty and waits to be woken.
const ASLEEP: u64 = 1 << 63;

/// Slots per chunk by default: as in libzmq's message pipes, large enough that allocation and
/// chunk hand-over stay off the per-message path.
const CHUNK_SLOTS: usize = 256;

struct Chunk<T, const N: usize> {
    slots: [UnsafeCell<MaybeUninit<T>>; N],
    /// The chunk after this one; set by the writer before it writes that chunk's first slot.
    next: AtomicPtr<Chunk<T, N>>,
}

/// Emptied chunks kept for reuse per queue: enough to cover a reader a few chunks behind.
const SPARES: usize = 4;

impl<T, const N: usize> Chunk<T, N> {
    /// A chunk with no link and uninitialised slots (not zeroed or copied: slots are written
    /// before they are read).
    fn allocate() -> *mut Self {
        #[cfg(test)]
        tests::CHUNKS_ALLOCATED.with(|count| count.set(count.get() + 1));
        let chunk = Box::into_raw(Box::<Self>::new_uninit()).cast::<Self>();
        // SAFETY: `chunk` is a fresh allocation for a Chunk; `next` is its only field that
        // needs a value (the slots are MaybeUninit).
        unsafe { ptr::addr_of_mut!((*chunk).next).write(AtomicPtr::new(ptr::null_mut())) };
        chunk
    }

    /// Frees a chunk whose slots hold no live item.
    ///
    /// # Safety
    /// `chunk` came from `allocate`, is not freed yet, and nothing else uses it.
    unsafe fn free(chunk: *mut Self) {
        // SAFETY: per the contract; MaybeUninit slots drop nothing.
        drop(unsafe { Box::from_raw(chunk) });
    }
}

/// Keeps the counter the writer hammers away from the fields the reader reads.
#[repr(align(64))]
struct CacheLine<T>(T);

/// Where each half stopped, recorded when it is dropped, so the last one can drop what is left.
struct Ends<T, const N: usize> {
    /// The reader's chunk and the count of items it took.
    reader: Option<(*mut Chunk<T, N>, u64)>,
    /// The count of items written (flushed or not).
    written: Option<u64>,
}

struct Shared<T, const N: usize> {
    /// Items flushed so far, plus the ASLEEP bit.
    published: CacheLine<AtomicU64>,
    /// The first chunk, set by the writer at its first write (null until then).
    first: AtomicPtr<Chunk<T, N>>,
    /// Emptied chunks kept for the writer's next ones (null: empty slot).
    spares: [AtomicPtr<Chunk<T, N>>; SPARES],
    ends: Mutex<Ends<T, N>>,
}

// SAFETY: the raw chunk pointers in `Ends` are only recorded and used when both halves are gone
// (under the mutex, then in `drop` with exclusive access); items cross threads, hence T: Send.
unsafe impl<T: Send, const N: usize> Send for Shared<T, N> {}
// SAFETY: as above; the shared fields are atomics and a mutex.
unsafe impl<T: Send, const N: usize> Sync for Shared<T, N> {}

impl<T, const N: usize> Drop for Shared<T, N> {
    fn drop(&mut self) {
        let ends = self.ends.get_mut().unwrap_or_else(|poison| poison.into_inner());
        let first = *self.first.get_mut();
        // A reader that never read has no chunk yet: it would have started at the first one.
        let reader = ends.reader.map(|(chunk, read)| (if chunk.is_null() { first } else { chunk }, read));
        if let (Some((mut chunk, mut index)), Some(written)) = (reader, ends.written) {
            // Items the reader never took (flushed or not) are still in their slots.
            while index < written {
                let slot = (index % N as u64) as usize;
                // SAFETY: both halves are gone (we hold the last reference); items in
                // [read, written) were written and never moved out, and the chunk list from the
                // reader's chunk on is intact (the writer linked every chunk it filled).
                unsafe {
                    (*(*chunk).slots[slot].get()).assume_init_drop();
                    if slot == N - 1 {
                        chunk = (*chunk).next.load(Ordering::Acquire);
                    }
                }
                index += 1;
            }
            let mut chunk = reader.map_or(ptr::null_mut(), |(chunk, _)| chunk);
            while !chunk.is_null() {
                // SAFETY: the chunks from the reader's on are ours alone now, each freed once.
                let next = unsafe { (*chunk).next.load(Ordering::Acquire) };
                unsafe { Chunk::free(chunk) };
                chunk = next;
            }
        }
        for spare in &mut self.spares {
            let spare = *spare.get_mut();
            if !spare.is_null() {
                // SAFETY: a spare belongs to neither half, and both are gone.
                unsafe { Chunk::free(spare) };
            }
        }
    }
}

/// A new queue; the writing half and the reading half go to their two threads.
pub fn ypipe<T, const N: usize>() -> (Writer<T, N>, Reader<T, N>) {
    const { assert!(N >= 2 && N.is_power_of_two()) };
    let shared = Arc::new(Shared {
        published: CacheLine(AtomicU64::new(0)),
        first: AtomicPtr::new(ptr::null_mut()),
        spares: std::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())),
        ends: Mutex::new(Ends { reader: None, written: None }),
    });
    let writer = Writer { shared: Arc::clone(&shared), chunk: ptr::null_mut(), written: 0, flushed: 0 };
    let reader = Reader { shared, chunk: ptr::null_mut(), read: 0, available: 0, streak: 0 };
    (writer, reader)
}

/// The writing half.
pub struct Writer<T, const N: usize = CHUNK_SLOTS> {
    shared: Arc<Shared<T, N>>,
    /// The chunk the next item goes into, at slot `written % N` (null before the first write).
    chunk: *mut Chunk<T, N>,
    written: u64,
    /// How many of the written items are flushed.
    flushed: u64,
}

// SAFETY: the writer's chunk pointer is used only by the writer (the reader reaches that chunk
// only for slots published to it); moving the half to another thread moves that right with it.
unsafe impl<T: Send, const N: usize> Send for Writer<T, N> {}

impl<T, const N: usize> Writer<T, N> {
    /// Queues an item; the reader sees it after the next `flush`.
    #[inline(always)]
    pub fn write(&mut self, item: T) {
        if self.chunk.is_null() {
            self.allocate_first_chunk();
        }
        let slot = (self.written % N as u64) as usize;
        // SAFETY: slot `written` of our chunk is not published yet, so the reader does not touch
        // it, and it holds no live item (the reader moved out whatever was there before the chunk
        // was recycled).
        unsafe { (*(*self.chunk).slots[slot].get()).write(item) };
        self.written += 1;
        if slot == N - 1 {
            self.link_next_chunk();
        }
    }

    /// Queues an item built in its slot: `build` writes it there (with `MaybeUninit::write`)
    /// and returns the reference that write gave, or `None` to queue nothing (whatever it left
    /// in the slot is then forgotten, not dropped). The item is handed back for finishing
    /// touches; the reader sees it after the next `flush`. Unlike `write(make())`, the item is
    /// not moved from where it was made into its slot: the slot was free, so nothing waits on
    /// it, where each move of a just-built item reads its stores back.
    #[inline(always)]
    pub fn write_in_place<'a>(
        &'a mut self,
        build: impl FnOnce(&'a mut MaybeUninit<T>) -> Option<&'a mut T>,
    ) -> Option<&'a mut T> {
        if self.chunk.is_null() {
            self.allocate_first_chunk();
        }
        let slot = (self.written % N as u64) as usize;
        // SAFETY: as in `write`: slot `written` is ours alone and holds no live item, so it may
        // be handed out for writing; the borrow of `self` keeps us from touching it meanwhile.
        let cell = unsafe { &mut *(*self.chunk).slots[slot].get() };
        let address = cell.as_ptr();
        let item = build(cell)?;
        // A reference to our slot proves it initialised (any other one would be a bug of
        // `build`; queueing nothing then is the safe answer).
        debug_assert!(ptr::eq(address, item), "write_in_place: the item was not built in its slot");
        if !ptr::eq(address, item) {
            return None;
        }
        self.written += 1;
        if slot == N - 1 {
            // The item stays where it is: linking only changes the writer's current chunk.
            self.link_next_chunk();
        }
        Some(item)
    }

    #[cold]
    fn allocate_first_chunk(&mut self) {
        self.chunk = Chunk::allocate();
        // Published before any slot of it: the reader looks it up only after seeing a count
        // above zero (Release here and by the flush, Acquire there).
        self.shared.first.store(self.chunk, Ordering::Release);
    }

    /// The chunk is full: link the next one (a spare if there is one) before any of its slots
    /// is written, so a reader that reaches the end of this chunk finds the link.
    #[cold]
    fn link_next_chunk(&mut self) {
        let mut next = ptr::null_mut();
        for spare in &self.shared.spares {
            if !spare.load(Ordering::Relaxed).is_null() {
                next = spare.swap(ptr::null_mut(), Ordering::AcqRel);
                if !next.is_null() {
                    break;
                }
            }
        }
        if next.is_null() {
            next = Chunk::allocate();
        } else {
            // SAFETY: the reader gave this chunk up (the AcqRel swap orders its last reads of the
            // chunk before us); it is ours now. Its old link must not survive.
            unsafe { (*next).next.store(ptr::null_mut(), Ordering::Relaxed) };
        }
        // SAFETY: our chunk is live (the reader recycles a chunk only after leaving it, which it
        // does only through this link).
        unsafe { (*self.chunk).next.store(next, Ordering::Release) };
        self.chunk = next;
    }

    /// Items written but not flushed yet.
    pub fn unflushed(&self) -> u64 {
        self.written - self.flushed
    }

    /// Makes every written item visible to the reader. Returns true when the reader was asleep
    /// (found the queue empty since the last flush), which the caller must wake.
    #[inline]
    pub fn flush(&mut self) -> bool {
        let count = self.written - self.flushed;
        if count == 0 {
            return false;
        }
        self.flushed = self.written;
        // Release: the slots written above become visible with the new count.
        let previous = self.shared.published.0.fetch_add(count, Ordering::AcqRel);
        if previous & ASLEEP == 0 {
            return false;
        }
        self.shared.published.0.fetch_and(!ASLEEP, Ordering::AcqRel);
        true
    }
}

impl<T, const N: usize> Drop for Writer<T, N> {
    fn drop(&mut self) {
        let mut ends = self.shared.ends.lock().unwrap_or_else(|poison| poison.into_inner());
        ends.written = Some(self.written);
    }
}

/// A reader that has found this many items since it last found none is streaming: the writer
/// adds items as it takes them.
pub(crate) const STREAMING: u64 = 64;
/// Spin-loop hints (~a microsecond) a streaming reader idles, having caught up, before it looks
/// at the shared count again. Looking at once takes the count's cache line from a writer on
/// another CPU after nearly every item, and the writer's next flush waits to take it back:
/// inproc_thr 1 B with the threads on two CPUs ran at ~9.5M msg/s, ~14-15M with the pause
/// (64 B 6.6M -> 8.5M).
pub(crate) const CATCH_UP_PAUSES: u32 = 256;

/// The reading half.
pub struct Reader<T, const N: usize = CHUNK_SLOTS> {
    shared: Arc<Shared<T, N>>,
    /// The chunk the next item comes from, at slot `read % N` (null before the first read).
    chunk: *mut Chunk<T, N>,
    read: u64,
    /// How many items the writer had flushed when we last looked.
    available: u64,
    /// Items found since the reader last found none.
    streak: u64,
}

// SAFETY: as for Writer: the reader's chunk pointer and slots are used only by the reader.
unsafe impl<T: Send, const N: usize> Send for Reader<T, N> {}

impl<T, const N: usize> Reader<T, N> {
    /// Whether an item can be read now. When none can, the reader is marked asleep in the same
    /// atomic step, so the writer's next flush reports it (and the caller wakes us). A streaming
    /// reader that has caught up pauses first (see [`CATCH_UP_PAUSES`]).
    #[inline(always)]
    pub fn check_read(&mut self) -> bool {
        if self.read < self.available {
            return true;
        }
        let pauses = if self.streak >= STREAMING { CATCH_UP_PAUSES } else { 0 };
        let before = self.available;
        let found = self.look::<true>(pauses);
        self.streak = if found { self.streak + (self.available - before) } else { 0 };
        found
    }

    /// Whether an item can be read now, leaving the reader awake when none can: for a reader
    /// that will look again (with `check_read`) before it sleeps, so the writer's flushes in
    /// between report nothing to wake. Having read everything it knew of, the reader first
    /// idles for `pauses` spin-loop hints before it looks at the shared count: a reader that
    /// keeps up with a writer on another CPU, looking after every item, takes the count's
    /// cache line from the writer at every flush, which then waits for it (see `session`).
    #[inline(always)]
    pub fn check_read_awake(&mut self, pauses: u32) -> bool {
        self.look::<false>(pauses)
    }

    /// Whether an item can be read now; having read everything it knew of, the reader first
    /// idles `pauses` spin-loop hints.
    #[inline(always)]
    fn look<const MARK_ASLEEP: bool>(&mut self, pauses: u32) -> bool {
        if self.read < self.available {
            return true;
        }
        for _ in 0..pauses {
            std::hint::spin_loop();
        }
        self.check_read_marking::<MARK_ASLEEP>()
    }

    #[inline(always)]
    fn check_read_marking<const MARK_ASLEEP: bool>(&mut self) -> bool {
        if self.read < self.available {
            return true;
        }
        let published = &self.shared.published.0;
        let mut state = published.load(Ordering::Acquire);
        loop {
            let available = state & !ASLEEP;
            if self.read < available {
                self.available = available;
                return true;
            }
            if !MARK_ASLEEP || state & ASLEEP != 0 {
                return false;
            }
            match published.compare_exchange(state, state | ASLEEP, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return false,
                // The writer flushed meanwhile: look again.
                Err(now) => state = now,
            }
        }
    }

    /// The next item, or `None` (and marked asleep) when there is none.
    #[inline(always)]
    pub fn read(&mut self) -> Option<T> {
        if !self.check_read() {
            return None;
        }
        if self.chunk.is_null() {
            // The first read: the writer published its first chunk before this item.
            self.chunk = self.shared.first.load(Ordering::Acquire);
        }
        let slot = (self.read % N as u64) as usize;
        // SAFETY: `read < available`, a count the writer published (Acquire load in check_read)
        // after writing this slot; the writer never touches published slots again, and we move
        // the item out exactly once (read advances below).
        let item = unsafe { (*(*self.chunk).slots[slot].get()).assume_init_read() };
        self.read += 1;
        if slot == N - 1 {
            self.leave_chunk();
        }
        Some(item)
    }

    /// Moves the next item straight into `out`, dropping what `out` held, and answers true; or
    /// answers false (and marks the reader asleep) with `out` untouched when there is none.
    /// Unlike `*out = read()?`, the item goes from its slot to `out` in one copy: the slot was
    /// just written by the other thread, and each further copy of a large item waits on it.
    #[inline(always)]
    pub fn read_into(&mut self, out: &mut T) -> bool {
        if !self.check_read() {
            return false;
        }
        if self.chunk.is_null() {
            self.chunk = self.shared.first.load(Ordering::Acquire);
        }
        let slot = (self.read % N as u64) as usize;
        // SAFETY: as in `read`, the slot holds a published item that we move out exactly once.
        // `out` is moved out first and dropped after it holds the new item, so a panicking drop
        // leaves nothing dropped twice.
        let old = unsafe {
            let old = ptr::read(out);
            ptr::copy_nonoverlapping((*(*self.chunk).slots[slot].get()).as_ptr(), out, 1);
            old
        };
        self.read += 1;
        if slot == N - 1 {
            self.leave_chunk();
        }
        drop(old);
        true
    }

    /// The chunk is emptied: move to the next one and keep this one as a spare if there is a
    /// free slot (else free it).
    #[cold]
    fn leave_chunk(&mut self) {
        let old = self.chunk;
        // SAFETY: we just read the chunk's last slot, so the writer has filled it and linked
        // the next chunk before publishing that slot (Release link, Acquire here).
        self.chunk = unsafe { (*old).next.load(Ordering::Acquire) };
        debug_assert!(!self.chunk.is_null());
        for spare in &self.shared.spares {
            // AcqRel: our reads of the chunk happen before the writer's reuse of it.
            if spare.compare_exchange(ptr::null_mut(), old, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
                return;
            }
        }
        // SAFETY: every spare slot is taken; the chunk is ours alone and holds no live item.
        unsafe { Chunk::free(old) };
    }
}

impl<T, const N: usize> Drop for Reader<T, N> {
    fn drop(&mut self) {
        let mut ends = self.shared.ends.lock().unwrap_or_else(|poison| poison.into_inner());
        ends.reader = Some((self.chunk, self.read));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::sync::atomic::AtomicUsize;
    use std::time::{Duration, Instant};

    thread_local! {
        /// Chunks this thread allocated, to prove reuse.
        pub(super) static CHUNKS_ALLOCATED: Cell<usize> = const { Cell::new(0) };
    }

    #[test]
    fn read_into_moves_items_in_order_and_drops_what_it_replaces() {
        let (mut w, mut r) = ypipe::<Arc<u32>, 4>();
        let first = Arc::new(0);
        let mut out = Arc::clone(&first);
        assert!(!r.read_into(&mut out));
        assert!(Arc::ptr_eq(&out, &first));
        for n in 1..=9 {
            w.write(Arc::new(n));
        }
        w.flush();
        for n in 1..=9 {
            assert!(r.read_into(&mut out));
            assert_eq!(*out, n);
        }
        assert_eq!(Arc::strong_count(&first), 1);
        assert!(!r.read_into(&mut out));
        assert_eq!(*out, 9);
    }

    #[test]
    fn items_built_in_place_are_queued_in_order_across_chunks() {
        let (mut w, mut r) = ypipe::<Arc<u32>, 4>();
        for n in 1..=9 {
            w.write_in_place(|slot| Some(slot.write(Arc::new(n))));
            // Building nothing queues nothing.
            assert!(w.write_in_place(|_| None).is_none());
        }
        let last = w.write_in_place(|slot| Some(slot.write(Arc::new(0)))).unwrap();
        *Arc::get_mut(last).unwrap() = 10;
        w.flush();
        for n in 1..=10 {
            assert_eq!(r.read().as_deref(), Some(&n));
        }
        assert!(r.read().is_none());
    }

    #[test]
    fn items_are_invisible_until_flushed() {
        let (mut w, mut r) = ypipe::<u32, 4>();
        w.write(1);
        assert_eq!(w.unflushed(), 1);
        assert_eq!(r.read(), None);
        assert!(w.flush(), "the reader found nothing and went to sleep");
        assert_eq!(r.read(), Some(1));
    }

    #[test]
    fn a_reader_streams_from_its_streak_of_items_until_it_finds_none() {
        let (mut w, mut r) = ypipe::<u64, 16>();
        for n in 0..STREAMING {
            w.write(n);
            w.flush();
            assert_eq!(r.read(), Some(n));
        }
        assert_eq!(r.streak, STREAMING);
        assert_eq!(r.read(), None);
        assert_eq!(r.streak, 0, "finding none ends the streak");
        w.write(1);
        assert!(w.flush(), "the reader that found none is asleep");
    }

    #[test]
    fn order_is_kept_across_many_chunks() {
        let (mut w, mut r) = ypipe::<u32, 4>();
        for i in 0..37 {
            w.write(i);
        }
        w.flush();
        for i in 0..37 {
            assert_eq!(r.read(), Some(i));
        }
        assert_eq!(r.read(), None);
    }

    #[test]
    fn busy_reader_is_not_reported_asleep() {
        let (mut w, mut r) = ypipe::<u32, 4>();
        w.write(1);
        assert!(!w.flush());
        w.write(2);
        assert!(!w.flush());
        assert_eq!(r.read(), Some(1));
        assert_eq!(r.read(), Some(2));
        assert_eq!(r.read(), None);
        w.write(3);
        assert!(w.flush());
        w.write(4);
        assert!(!w.flush(), "only the first flush after sleeping wakes");
    }

    #[test]
    fn reader_looking_awake_is_not_reported_asleep() {
        let (mut w, mut r) = ypipe::<u32, 4>();
        assert!(!r.check_read_awake(1));
        w.write(1);
        assert!(!w.flush(), "the reader did not sleep");
        assert!(r.check_read_awake(1));
        assert_eq!(r.read(), Some(1));
        assert!(!r.check_read_awake(1));
        assert_eq!(r.read(), None, "now it sleeps");
        w.write(2);
        assert!(w.flush());
    }

    #[test]
    fn flush_of_nothing_does_not_wake() {
        let (mut w, mut r) = ypipe::<u32, 4>();
        assert_eq!(r.read(), None);
        assert!(!w.flush());
    }

    #[test]
    fn a_queue_never_written_allocates_nothing() {
        let before = CHUNKS_ALLOCATED.get();
        let (mut w, mut r) = ypipe::<u32, 4>();
        assert_eq!(r.read(), None);
        assert!(!w.flush());
        drop((w, r));
        assert_eq!(CHUNKS_ALLOCATED.get(), before);
    }

    #[test]
    fn steady_state_recycles_chunks() {
        let (mut w, mut r) = ypipe::<u32, 4>();
        let before = CHUNKS_ALLOCATED.get();
        for i in 0..1000 {
            w.write(i);
            w.flush();
            assert_eq!(r.read(), Some(i));
        }
        // The first chunk and its successor; after that the writer always took the chunk the
        // reader had just emptied.
        assert_eq!(CHUNKS_ALLOCATED.get() - before, 2);
    }

    #[test]
    fn bursts_a_few_chunks_long_allocate_nothing_after_the_first() {
        let (mut w, mut r) = ypipe::<u32, 4>();
        let burst = 4 * 4; // four chunks, as many as there are spare slots
        let mut next_read = 0;
        let mut first_round = 0;
        for round in 0..50 {
            for i in 0..burst {
                w.write(round * burst + i);
            }
            w.flush();
            while let Some(item) = r.read() {
                assert_eq!(item, next_read);
                next_read += 1;
            }
            if round == 0 {
                first_round = CHUNKS_ALLOCATED.get();
            }
        }
        assert_eq!(CHUNKS_ALLOCATED.get(), first_round, "later bursts reuse the spares");
    }

    /// Counts drops, to prove unread items are dropped exactly once.
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn unread_and_unflushed_items_are_dropped_with_the_queue() {
        for (flushed, unflushed, read) in [(0, 0, 0), (9, 3, 4), (8, 0, 8), (4, 4, 0), (12, 1, 12)] {
            let drops = Arc::new(AtomicUsize::new(0));
            let (mut w, mut r) = ypipe::<Counted, 4>();
            for _ in 0..flushed {
                w.write(Counted(Arc::clone(&drops)));
            }
            w.flush();
            for _ in 0..unflushed {
                w.write(Counted(Arc::clone(&drops)));
            }
            for _ in 0..read {
                drop(r.read().expect("flushed item"));
            }
            assert_eq!(drops.load(Ordering::Relaxed), read);
            drop(r);
            drop(w);
            assert_eq!(
                drops.load(Ordering::Relaxed),
                flushed + unflushed,
                "case {flushed}/{unflushed}/{read}"
            );
        }
    }

    #[test]
    fn writer_may_outlive_the_reader() {
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut w, r) = ypipe::<Counted, 2>();
        w.write(Counted(Arc::clone(&drops)));
        drop(r);
        for _ in 0..7 {
            w.write(Counted(Arc::clone(&drops)));
        }
        w.flush();
        drop(w);
        assert_eq!(drops.load(Ordering::Relaxed), 8);
    }

    /// Two threads, small chunks (many hand-overs of links and spares), flushes of varying size
    /// and a reader that sleeps and is woken only through what `flush` reports.
    fn stress<const N: usize>(items: u64) {
        let (mut w, mut r) = ypipe::<Box<u64>, N>();
        let wake = Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
        let writer_wake = Arc::clone(&wake);
        let writer = std::thread::spawn(move || {
            let mut batch = 1;
            let mut i = 0;
            while i < items {
                for _ in 0..batch.min(items - i) {
                    w.write(Box::new(i));
                    i += 1;
                }
                batch = batch % 7 + 1;
                if w.flush() {
                    let (flag, cv) = &*writer_wake;
                    *flag.lock().unwrap() = true;
                    cv.notify_one();
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut expected = 0;
        while expected < items {
            match r.read() {
                Some(item) => {
                    assert_eq!(*item, expected);
                    expected += 1;
                }
                None => {
                    let (flag, cv) = &*wake;
                    let mut woken = flag.lock().unwrap();
                    while !*woken {
                        assert!(Instant::now() < deadline, "reader never woken at {expected}");
                        woken = cv.wait_timeout(woken, Duration::from_millis(100)).unwrap().0;
                    }
                    *woken = false;
                }
            }
        }
        writer.join().unwrap();
        assert_eq!(r.read(), None);
    }

    #[test]
    fn stress_two_threads_tiny_chunks() {
        stress::<2>(200_000);
    }

    #[test]
    fn stress_two_threads_default_chunks() {
        stress::<CHUNK_SLOTS>(300_000);
    }
}
