//! zmq_poll: waits until some sockets can send or receive, or some plain file descriptors are
//! ready. A socket is represented in poll(2) by its mailbox eventfd (ZMQ_FD); whenever that fd
//! fires, or before waiting at all, each socket's ZMQ_EVENTS is asked afresh, because a socket
//! can hold readable messages without a pending command (edge-triggered signalling).

use std::ffi::c_int;
use std::time::{Duration, Instant};

use crate::constants::{ZMQ_POLLERR, ZMQ_POLLIN, ZMQ_POLLOUT, ZMQ_POLLPRI};
use crate::error::{Errno, Result};
use crate::socket::base::Socket;
use crate::sys;

/// One thing to watch: a socket (by index into the sockets passed to `poll`, so a socket listed
/// twice is still borrowed once), or a plain fd.
pub enum Target {
    Socket(usize),
    Fd(c_int),
}

pub struct Item {
    pub target: Target,
    /// ZMQ_POLLIN | ZMQ_POLLOUT | ZMQ_POLLPRI wanted.
    pub events: i16,
    /// What is ready, filled in by `poll`.
    pub revents: i16,
}

/// What `poll` needs of a socket: the fd that signals possible state changes, and the state
/// itself. A classic socket is used directly; a thread-safe socket (`zmq_poller`, `zmq_poll`)
/// takes its lock only inside `events`, so other threads can use it while the poll waits.
pub trait Pollable {
    fn fd(&self) -> c_int;
    /// ZMQ_EVENTS (ETERM once the context is shut down).
    fn events(&mut self) -> Result<c_int>;
}

impl Pollable for &mut Socket {
    fn fd(&self) -> c_int {
        Socket::fd(self)
    }
    fn events(&mut self) -> Result<c_int> {
        Socket::events(self)
    }
}

/// Fills each item's `revents` and returns how many items have some. `timeout`: `None` waits
/// forever, zero only looks. EINTR when a signal interrupts the wait, ETERM when a socket's
/// context was shut down.
pub fn poll<S: Pollable>(items: &mut [Item], sockets: &mut [S], timeout: Option<Duration>) -> Result<usize> {
    poll_masked(items, sockets, timeout, None)
}

/// [`poll`] with a signal mask in force while waiting (zmq_ppoll); `None` leaves the thread's
/// mask alone.
pub fn poll_masked<S: Pollable>(
    items: &mut [Item],
    sockets: &mut [S],
    timeout: Option<Duration>,
    sigmask: Option<&libc::sigset_t>,
) -> Result<usize> {
    let deadline = timeout.map(|timeout| Instant::now() + timeout);
    let mut fds: Vec<sys::PollFd> = items
        .iter()
        .map(|item| match &item.target {
            Target::Socket(index) => sys::poll_fd(sockets[*index].fd(), sys::POLLIN),
            Target::Fd(fd) => sys::poll_fd(*fd, os_events(item.events)),
        })
        .collect();
    // The first pass only looks at the fds' current state.
    let mut wait = Some(Duration::ZERO);
    loop {
        if let Some(sigmask) = sigmask {
            // Also without fds: the wait must be interruptible by the signals the mask allows.
            sys::ppoll(&mut fds, wait, sigmask)
                .map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EINTR)))?;
        } else if !fds.is_empty() {
            sys::poll(&mut fds, wait).map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EINTR)))?;
        } else if let Some(wait) = wait.filter(|wait| !wait.is_zero()) {
            std::thread::sleep(wait);
        }
        let mut ready = 0;
        for (item, fd) in items.iter_mut().zip(&fds) {
            item.revents = match item.target {
                Target::Socket(index) => (sockets[index].events()? as i16) & item.events,
                Target::Fd(_) => zmq_events(fd.revents) & (item.events | ZMQ_POLLERR as i16),
            };
            if item.revents != 0 {
                ready += 1;
            }
        }
        if ready > 0 {
            return Ok(ready);
        }
        wait = match deadline {
            None => None,
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    return Ok(0);
                }
                Some(deadline - now)
            }
        };
    }
}

/// zmq_poll event bits to poll(2) bits.
fn os_events(events: i16) -> i16 {
    let mut os = 0;
    if events & ZMQ_POLLIN as i16 != 0 {
        os |= sys::POLLIN;
    }
    if events & ZMQ_POLLOUT as i16 != 0 {
        os |= sys::POLLOUT;
    }
    if events & ZMQ_POLLPRI as i16 != 0 {
        os |= sys::POLLPRI;
    }
    os
}

/// poll(2) result bits to zmq_poll bits; anything unexpected (error, hang-up) is ZMQ_POLLERR.
fn zmq_events(revents: i16) -> i16 {
    let mut events = 0;
    if revents & sys::POLLIN != 0 {
        events |= ZMQ_POLLIN as i16;
    }
    if revents & sys::POLLOUT != 0 {
        events |= ZMQ_POLLOUT as i16;
    }
    if revents & sys::POLLPRI != 0 {
        events |= ZMQ_POLLPRI as i16;
    }
    if revents & !(sys::POLLIN | sys::POLLOUT | sys::POLLPRI) != 0 {
        events |= ZMQ_POLLERR as i16;
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_fd_readiness_is_reported() {
        let fd = sys::eventfd().unwrap();
        use std::os::fd::AsRawFd;
        let mut items = [Item { target: Target::Fd(fd.as_raw_fd()), events: ZMQ_POLLIN as i16, revents: 0 }];
        assert_eq!(poll::<&mut Socket>(&mut items, &mut [], Some(Duration::ZERO)), Ok(0));
        sys::eventfd_signal(&fd).unwrap();
        assert_eq!(poll::<&mut Socket>(&mut items, &mut [], Some(Duration::from_secs(1))), Ok(1));
        assert_eq!(items[0].revents, ZMQ_POLLIN as i16);
    }

    #[test]
    fn timeout_without_items_sleeps() {
        let start = Instant::now();
        assert_eq!(poll::<&mut Socket>(&mut [], &mut [], Some(Duration::from_millis(20))), Ok(0));
        assert!(start.elapsed() >= Duration::from_millis(19));
    }
}
