//! A mailbox: the command queue of one object (socket, later also I/O thread objects) plus the
//! eventfd that says "commands are waiting". For a socket that eventfd is `ZMQ_FD`.
//!
//! Invariant: the eventfd is readable exactly when `pending` is set, and both change only under
//! the queue lock, so a waiter that finds `pending` clear can block on the fd without missing a
//! command. The owner checks `pending` with one atomic load before taking the lock, so a socket
//! with no commands pays nothing on its message path.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

use crate::command::Command;
use crate::error::{Errno, Result};
use crate::sys;

pub struct Mailbox {
    queue: Mutex<VecDeque<Command>>,
    pending: AtomicBool,
    signal: OwnedFd,
}

impl Mailbox {
    /// A new mailbox; EMFILE when the process is out of file descriptors.
    pub fn new() -> Result<Self> {
        let signal = sys::eventfd().map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EMFILE)))?;
        Ok(Self { queue: Mutex::new(VecDeque::new()), pending: AtomicBool::new(false), signal })
    }

    /// Queues a command, from any thread, and wakes the owner if it was not already woken.
    pub fn send(&self, command: Command) {
        let mut queue = self.queue.lock();
        queue.push_back(command);
        if !self.pending.swap(true, Ordering::AcqRel) {
            // Failure would mean the eventfd counter overflowed, which one pending signal cannot do.
            let _ = sys::eventfd_signal(&self.signal);
        }
    }

    /// Whether commands are waiting (one atomic load).
    pub fn has_pending(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }

    /// Takes every waiting command and clears the signal.
    pub fn take_all(&self) -> VecDeque<Command> {
        if !self.has_pending() {
            return VecDeque::new();
        }
        let mut queue = self.queue.lock();
        sys::eventfd_clear(&self.signal);
        self.pending.store(false, Ordering::Release);
        std::mem::take(&mut *queue)
    }

    /// Blocks until commands are waiting or `timeout` passes (`None`: forever). Returns whether
    /// commands are waiting; EINTR when a signal interrupted the wait.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<bool> {
        if self.has_pending() {
            return Ok(true);
        }
        let mut entry = [sys::poll_fd(self.signal.as_raw_fd(), sys::POLLIN)];
        match sys::poll(&mut entry, timeout) {
            Ok(_) => Ok(self.has_pending()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(Errno::EINTR),
            Err(e) => Err(Errno(e.raw_os_error().unwrap_or(libc::EFAULT))),
        }
    }

    /// The fd that is readable while commands are waiting (`ZMQ_FD`).
    pub fn fd(&self) -> RawFd {
        self.signal.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Instant;

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
        assert_eq!(mailbox.wait(Some(Duration::ZERO)), Ok(false));
    }

    #[test]
    fn wait_times_out_without_commands() {
        let mailbox = Mailbox::new().unwrap();
        let start = Instant::now();
        assert_eq!(mailbox.wait(Some(Duration::from_millis(20))), Ok(false));
        assert!(start.elapsed() >= Duration::from_millis(19));
    }

    #[test]
    fn wait_wakes_when_another_thread_sends() {
        let mailbox = Arc::new(Mailbox::new().unwrap());
        let sender = Arc::clone(&mailbox);
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            sender.send(Command::Stop);
        });
        assert_eq!(mailbox.wait(Some(Duration::from_secs(5))), Ok(true));
        thread.join().unwrap();
    }
}
