//! A mailbox: the command queue of one object (socket, later also I/O thread objects) plus the
//! eventfd that says "commands are waiting". For a socket that eventfd is `ZMQ_FD`.
//!
//! Signalling follows libzmq's mailbox: a sender signals only when it turns the queue from
//! "taken" to "pending" (the owner may be asleep then); later senders see the flag and stay
//! silent. The flag changes under the queue lock, but the eventfd is written after the lock is
//! released, so the owner never spins on a lock held across a syscall.
//!
//! Because the signal lands after the flag, the owner can empty the queue before its signal
//! arrives. The eventfd is a semaphore, one token per pending period; when the owner takes the
//! queue it takes that period's token, and when the token has not arrived yet it records the
//! debt (`OWED`) and takes the late token on a later call. So, once in-flight signals have landed,
//! the fd holds `debt + pending` tokens: readable whenever commands wait (no lost wake-up), and
//! a late token makes it readable without commands only until the owner's next look
//! (`needs_attention`). The owner checks all this with one atomic load before taking the lock, so
//! a socket with no commands pays nothing on its message path.
//!
//! Only the owner (one thread at a time) takes commands; any thread may send.
//!
//! An I/O thread's mailbox signals through a pipe instead (one byte per token, the same
//! accounting): writing a pipe wakes its reader as a synchronous wake-up (the writer is expected
//! to wait next), which makes the scheduler prefer the writer's CPU for the woken thread; an
//! eventfd write gives no such hint. Streaming 1-byte messages over tcp, a process's
//! application thread and I/O thread then mostly share a CPU (15-20M msg/s) rather than land on
//! different ones as often as not (~10M there: every message's pipe slot crosses between the
//! CPUs' caches): in A/B runs 4 of 6 and 7 of 8 ran at 17-19M, 2 of 6 with the eventfd. It
//! costs one more fd per I/O thread; a socket's mailbox keeps its single eventfd, which is also
//! its `ZMQ_FD` (one fd per socket, as with libzmq).

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::command::Command;
use crate::error::{Errno, Result};
use crate::sys;

/// `state` bit: commands wait and their signal is (or is about to be) in the eventfd.
const PENDING: u32 = 1;
/// `state` unit: one signal the owner has not taken yet although it took its commands.
const OWED: u32 = 2;
/// How long a blocking wait watches for commands before it sleeps.
const SPIN: Duration = Duration::from_micros(10);

pub struct Mailbox {
    queue: Mutex<VecDeque<Command>>,
    /// `PENDING` plus `OWED` times the owner's token debt.
    state: AtomicU32,
    signal: Signal,
}

/// EMFILE unless the system said otherwise (out of fds, most likely).
fn fd_errno(error: io::Error) -> Errno {
    Errno(error.raw_os_error().unwrap_or(libc::EMFILE))
}

/// Where the tokens go (see the module doc).
enum Signal {
    EventFd(OwnedFd),
    Pipe { read_end: OwnedFd, write_end: OwnedFd },
}

impl Signal {
    fn put(&self) -> io::Result<()> {
        match self {
            Signal::EventFd(fd) => sys::eventfd_signal(fd),
            Signal::Pipe { write_end, .. } => sys::pipe_put_token(write_end),
        }
    }

    fn take(&self) -> bool {
        match self {
            Signal::EventFd(fd) => sys::eventfd_take(fd),
            Signal::Pipe { read_end, .. } => sys::pipe_take_token(read_end),
        }
    }

    fn fd(&self) -> RawFd {
        match self {
            Signal::EventFd(fd) | Signal::Pipe { read_end: fd, .. } => fd.as_raw_fd(),
        }
    }
}

impl Mailbox {
    /// A new mailbox; EMFILE when the process is out of file descriptors.
    pub fn new() -> Result<Self> {
        let signal = sys::eventfd_semaphore().map_err(fd_errno)?;
        Ok(Self::with_signal(Signal::EventFd(signal)))
    }

    /// An I/O thread's mailbox, signalled through a pipe (see the module doc).
    pub fn for_io_thread() -> Result<Self> {
        let (read_end, write_end) = sys::pipe().map_err(fd_errno)?;
        Ok(Self::with_signal(Signal::Pipe { read_end, write_end }))
    }

    fn with_signal(signal: Signal) -> Self {
        Self { queue: Mutex::new(VecDeque::new()), state: AtomicU32::new(0), signal }
    }

    /// Queues a command, from any thread, and wakes the owner if it was not already woken.
    pub fn send(&self, command: Command) {
        let was = {
            let mut queue = self.queue.lock();
            queue.push_back(command);
            self.state.fetch_or(PENDING, Ordering::AcqRel)
        };
        if was & PENDING == 0 {
            // Failure would mean a full signal: 2^64 - 1 eventfd tokens, or a pipe's 64 KiB of
            // them; there is at most one per pending period plus the owner's debt.
            let _ = self.signal.put();
        }
    }

    /// Whether commands are waiting (one atomic load).
    pub fn has_pending(&self) -> bool {
        self.state.load(Ordering::Acquire) & PENDING != 0
    }

    /// Whether the owner should call [`Self::take_all`]: commands wait, or a late signal is to be
    /// taken off the eventfd (one atomic load).
    pub fn needs_attention(&self) -> bool {
        self.state.load(Ordering::Acquire) != 0
    }

    /// Takes every waiting command, its signal and the late signals that have arrived (owner
    /// only).
    pub fn take_all(&self) -> VecDeque<Command> {
        let mut commands = VecDeque::new();
        self.take_all_into(&mut commands);
        commands
    }

    /// [`take_all`](Self::take_all) into the owner's `commands`, which must be empty: the queue
    /// and `commands` trade places, so an owner that drains and keeps its buffer allocates
    /// nothing per command (a request-reply exchange sends one per message).
    pub fn take_all_into(&self, commands: &mut VecDeque<Command>) {
        debug_assert!(commands.is_empty());
        let state = self.state.load(Ordering::Acquire);
        if state == 0 {
            return;
        }
        // Never more tokens than pending periods started so far, so the debt cannot go below
        // zero; usually that is one read.
        let owed = state / OWED + (state & PENDING);
        let mut took = 0;
        while took < owed && self.signal.take() {
            took += 1;
        }
        if state & PENDING == 0 {
            self.state.fetch_sub(took * OWED, Ordering::AcqRel);
            return;
        }
        let mut queue = self.queue.lock();
        // Senders change `state` only under the lock, so nothing races this update. Ending the
        // pending period owes its token; what was taken pays for it and for older debts.
        let state = self.state.load(Ordering::Acquire);
        self.state.store(state - PENDING + OWED - took * OWED, Ordering::Release);
        std::mem::swap(&mut *queue, commands);
    }

    /// Blocks until commands are waiting or `timeout` passes (`None`: forever). Returns whether
    /// commands are waiting (false also when a late signal woke it; `take_all` takes that);
    /// EINTR when a signal interrupted the wait. `spin`: watch for commands a few microseconds
    /// before sleeping, for owners woken by other application threads (inproc peers), or by an
    /// I/O thread at work on another CPU; not by one that may need the very CPU it spins on.
    pub fn wait(&self, timeout: Option<Duration>, spin: bool) -> Result<bool> {
        if (spin && sys::multicore() && self.spin_for_pending(timeout)) || self.has_pending() {
            return Ok(true);
        }
        let mut entry = [sys::poll_fd(self.signal.fd(), sys::POLLIN)];
        match sys::poll(&mut entry, timeout) {
            Ok(_) => Ok(self.has_pending()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(Errno::EINTR),
            Err(e) => Err(Errno(e.raw_os_error().unwrap_or(libc::EFAULT))),
        }
    }

    /// Watches for commands a short while before the caller goes to sleep: a peer thread that
    /// answers within it (a request-reply over inproc, a pipe freed by a busy reader) is seen
    /// without the poll and the scheduler's wake-up, which cost several microseconds each way.
    fn spin_for_pending(&self, timeout: Option<Duration>) -> bool {
        let limit = timeout.map_or(SPIN, |timeout| timeout.min(SPIN));
        let start = Instant::now();
        loop {
            for _ in 0..64 {
                if self.has_pending() {
                    return true;
                }
                std::hint::spin_loop();
            }
            if start.elapsed() >= limit {
                return self.has_pending();
            }
        }
    }

    /// The fd that is readable while commands are waiting (`ZMQ_FD`).
    pub fn fd(&self) -> RawFd {
        self.signal.fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn commands_arrive_in_order_and_clear_the_signal() {
        let mailbox = Mailbox::new().unwrap();
        assert!(!mailbox.has_pending());
        mailbox.send(Command::ActivateRead(1));
        mailbox.send(Command::ActivateWrite(2));
        assert!(mailbox.has_pending());
        let commands: Vec<_> = mailbox.take_all().into_iter().collect();
        assert!(matches!(commands[..], [Command::ActivateRead(1), Command::ActivateWrite(2)]));
        assert!(!mailbox.has_pending());
        assert_eq!(mailbox.wait(Some(Duration::ZERO), false), Ok(false));
    }

    #[test]
    fn wait_times_out_without_commands() {
        let mailbox = Mailbox::new().unwrap();
        let start = Instant::now();
        assert_eq!(mailbox.wait(Some(Duration::from_millis(20)), false), Ok(false));
        assert!(start.elapsed() >= Duration::from_millis(19));
    }

    #[test]
    fn wait_wakes_when_another_thread_sends() {
        // The sender comes after the spin, and (spinning or not) right away: both are seen.
        for (spin, delay_ms) in [(false, 10), (true, 10), (false, 0), (true, 0)] {
            let mailbox = Arc::new(Mailbox::new().unwrap());
            let sender = Arc::clone(&mailbox);
            let thread = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(delay_ms));
                sender.send(Command::Stop);
            });
            assert_eq!(mailbox.wait(Some(Duration::from_secs(5)), spin), Ok(true));
            thread.join().unwrap();
        }
    }

    fn readable(mailbox: &Mailbox) -> bool {
        let mut entry = [sys::poll_fd(mailbox.fd(), sys::POLLIN)];
        sys::poll(&mut entry, Some(Duration::ZERO)).unwrap() > 0
    }

    /// Many senders against an owner that sleeps whenever it finds nothing: every command
    /// arrives, no wait sleeps through a send (each is bounded far below the test's budget),
    /// and once all is taken the fd settles to not readable (late signals are taken).
    fn owner_against_senders(mailbox: Mailbox, poll_externally: bool) {
        const SENDERS: usize = 4;
        const EACH: usize = 20_000;
        let mailbox = Arc::new(mailbox);
        let senders: Vec<_> = (0..SENDERS)
            .map(|n| {
                let mailbox = Arc::clone(&mailbox);
                std::thread::spawn(move || {
                    for i in 0..EACH {
                        mailbox.send(Command::ActivateRead(i as u64));
                        if i % 1000 == n {
                            std::thread::yield_now();
                        }
                    }
                })
            })
            .collect();
        let mut received = 0;
        let start = Instant::now();
        while received < SENDERS * EACH {
            received += mailbox.take_all().len();
            if received == SENDERS * EACH {
                break;
            }
            let waited = Instant::now();
            if poll_externally {
                // The way a ZMQ_FD user waits: on the fd alone.
                let mut entry = [sys::poll_fd(mailbox.fd(), sys::POLLIN)];
                sys::poll(&mut entry, Some(Duration::from_secs(2))).unwrap();
            } else {
                mailbox.wait(Some(Duration::from_secs(2)), false).unwrap();
            }
            assert!(waited.elapsed() < Duration::from_secs(2), "lost wake-up after {received} commands");
            assert!(start.elapsed() < Duration::from_secs(60));
        }
        for sender in senders {
            sender.join().unwrap();
        }
        assert_eq!(received, SENDERS * EACH);
        // Every signal has landed now: at most the debt is left, and taking it clears the fd.
        for _ in 0..SENDERS + 1 {
            if !mailbox.needs_attention() {
                break;
            }
            assert!(readable(&mailbox), "a debt is owed only for a token that will arrive");
            assert!(mailbox.take_all().is_empty());
        }
        assert!(!mailbox.needs_attention());
        assert!(!readable(&mailbox));
        mailbox.send(Command::Stop);
        assert!(readable(&mailbox));
    }

    #[test]
    fn no_lost_wake_up_with_many_senders() {
        owner_against_senders(Mailbox::new().unwrap(), false);
    }

    #[test]
    fn no_lost_wake_up_for_an_fd_poller() {
        owner_against_senders(Mailbox::new().unwrap(), true);
    }

    #[test]
    fn no_lost_wake_up_through_a_pipe() {
        owner_against_senders(Mailbox::for_io_thread().unwrap(), false);
        owner_against_senders(Mailbox::for_io_thread().unwrap(), true);
    }

    #[test]
    fn a_late_signal_is_owed_and_taken_later() {
        for mailbox in [Mailbox::new().unwrap(), Mailbox::for_io_thread().unwrap()] {
            late_signal_is_owed_and_taken_later(mailbox);
        }
    }

    fn late_signal_is_owed_and_taken_later(mailbox: Mailbox) {
        // The race by hand: the owner takes the commands between a sender's flag and its write.
        mailbox.queue.lock().push_back(Command::Stop);
        mailbox.state.fetch_or(PENDING, Ordering::AcqRel);
        assert_eq!(mailbox.take_all().len(), 1);
        assert!(!mailbox.has_pending());
        assert!(mailbox.needs_attention(), "the signal is still owed");
        assert!(mailbox.take_all().is_empty());
        assert!(mailbox.needs_attention(), "not paid before it arrives");
        mailbox.signal.put().unwrap();
        assert!(readable(&mailbox));
        assert_eq!(mailbox.wait(Some(Duration::ZERO), false), Ok(false));
        assert!(mailbox.take_all().is_empty());
        assert!(!mailbox.needs_attention());
        assert!(!readable(&mailbox));
    }
}
