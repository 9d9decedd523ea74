//! zmq_poll: waits until some sockets can send or receive, or some plain file descriptors are
//! ready. A socket is represented in poll(2) by its mailbox eventfd (ZMQ_FD); whenever that fd
//! fires, or before waiting at all, each socket's ZMQ_EVENTS is asked afresh, because a socket
//! can hold readable messages without a pending command (edge-triggered signalling).

use std::cell::Cell;
use std::ffi::c_int;
use std::time::{Duration, Instant};

use crate::constants::{ZMQ_POLLERR, ZMQ_POLLIN, ZMQ_POLLOUT, ZMQ_POLLPRI};
use crate::error::{Errno, Result};
use crate::socket::base::Socket;
use crate::sys;
use crate::util::spin_window::SpinWindow;

/// The longest a zmq_poll of sockets looks before sleeping (see util/spin_window.rs): short,
/// so only a thread whose messages come more often than this keeps looking; it then sees them
/// without the sleep, and its senders without the wake-up (an eventfd write) each sleep costs.
const POLL_WATCH_MAX: Duration = Duration::from_micros(20);

thread_local! {
    /// The calling thread's zmq_poll watch window.
    static POLL_WATCH: Cell<SpinWindow> = const { Cell::new(SpinWindow::up_to(POLL_WATCH_MAX)) };
}

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
    /// Whether only application threads (inproc peers) wake this socket, so a poll may look for
    /// them before sleeping; a socket an I/O thread wakes must not be looked for, as that thread
    /// may need the CPU the looking takes.
    fn woken_by_peers(&self) -> bool {
        false
    }
}

impl Pollable for &mut Socket {
    fn fd(&self) -> c_int {
        Socket::fd(self)
    }
    fn events(&mut self) -> Result<c_int> {
        Socket::events(self)
    }
    fn woken_by_peers(&self) -> bool {
        !self.is_networked()
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
    // The first pass only looks at the fds' current state; then, for a poll of sockets, the
    // thread's watch window passes in looks that yield the CPU between them, before it sleeps.
    let watches = sigmask.is_none()
        && sys::multicore()
        && items.iter().any(|item| matches!(item.target, Target::Socket(_)))
        && items.iter().all(|item| match item.target {
            Target::Socket(index) => sockets[index].woken_by_peers(),
            Target::Fd(_) => true,
        });
    let mut window = if watches { POLL_WATCH.get() } else { SpinWindow::up_to(Duration::ZERO) };
    let mut waiting_since = None;
    let mut wait = Some(Duration::ZERO);
    loop {
        let mut looking = false;
        if wait != Some(Duration::ZERO) {
            let since = *waiting_since.get_or_insert_with(Instant::now);
            if since.elapsed() < window.current() {
                std::thread::yield_now();
                wait = Some(Duration::ZERO);
                looking = true;
            }
        }
        if let Some(sigmask) = sigmask {
            // Also without fds: the wait must be interruptible by the signals the mask allows.
            sys::ppoll(&mut fds, wait, sigmask)
                .map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EINTR)))?;
        } else if !fds.is_empty() {
            sys::poll(&mut fds, wait).map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EINTR)))?;
        } else if let Some(wait) = wait.filter(|wait| !wait.is_zero()) {
            std::thread::sleep(wait);
        }
        // A look that finds no fd signalled skips asking the sockets: the pass before armed them
        // all to signal, and asking an empty socket re-arms its pipes, so each look would make
        // the next message's sender pay a wake-up for a reader that is not asleep.
        if looking && fds.iter().all(|fd| fd.revents == 0) {
            wait = deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
            if deadline.is_none_or(|deadline| Instant::now() < deadline) {
                continue;
            }
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
        let timed_out = deadline.is_some_and(|deadline| Instant::now() >= deadline);
        if ready > 0 || timed_out {
            if let Some(since) = waiting_since.filter(|_| watches) {
                window.waited(since.elapsed());
                POLL_WATCH.set(window);
            }
            return Ok(ready);
        }
        wait = deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
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

    /// An inproc-only socket as poll sees it: readable once another thread set `ready` and
    /// signalled `fd`; counts how often it is asked.
    struct PeerSocket {
        fd: std::os::fd::OwnedFd,
        ready: std::sync::Arc<std::sync::atomic::AtomicBool>,
        asked: usize,
    }

    impl Pollable for PeerSocket {
        fn fd(&self) -> c_int {
            use std::os::fd::AsRawFd;
            self.fd.as_raw_fd()
        }
        fn events(&mut self) -> Result<c_int> {
            self.asked += 1;
            Ok(if self.ready.load(std::sync::atomic::Ordering::Acquire) { ZMQ_POLLIN } else { 0 })
        }
        fn woken_by_peers(&self) -> bool {
            true
        }
    }

    /// Polls `socket` while another thread makes it readable after `delay`.
    fn poll_until_ready(socket: &mut PeerSocket, delay: Duration) -> Result<usize> {
        use std::sync::atomic::{AtomicBool, Ordering};
        socket.ready = std::sync::Arc::new(AtomicBool::new(false));
        let ready = std::sync::Arc::clone(&socket.ready);
        let signal = socket.fd.try_clone().unwrap();
        let peer = std::thread::spawn(move || {
            std::thread::sleep(delay);
            ready.store(true, Ordering::Release);
            sys::eventfd_signal(&signal).unwrap();
        });
        let mut items = [Item { target: Target::Socket(0), events: ZMQ_POLLIN as i16, revents: 0 }];
        let result = poll(&mut items, std::slice::from_mut(socket), Some(Duration::from_secs(5)));
        peer.join().unwrap();
        let mut drain = [0u8; 8];
        // SAFETY: reads 8 bytes into a local buffer from an fd this test owns.
        unsafe { libc::read(std::os::fd::AsRawFd::as_raw_fd(&socket.fd), drain.as_mut_ptr().cast(), 8) };
        result
    }

    #[test]
    fn a_poll_of_peer_woken_sockets_sees_quick_and_slow_peers_alike() {
        let mut socket = PeerSocket { fd: sys::eventfd().unwrap(), ready: Default::default(), asked: 0 };
        // Quick answers open the thread's watch window; answers later than it still arrive.
        for delay_us in [0, 5, 5, 5, 5, 2000, 5, 30_000, 0] {
            assert_eq!(poll_until_ready(&mut socket, Duration::from_micros(delay_us)), Ok(1));
        }
    }

    #[test]
    fn looking_without_a_signal_does_not_ask_the_sockets() {
        let mut socket = PeerSocket { fd: sys::eventfd().unwrap(), ready: Default::default(), asked: 0 };
        // A window wider than the peer's delay, so the poll looks many times before the signal
        // (set directly: timing quick answers here would measure thread spawns).
        let mut window = SpinWindow::up_to(Duration::from_millis(50));
        while window.current() < Duration::from_millis(10) {
            window.waited(window.current() + Duration::from_micros(5));
        }
        POLL_WATCH.set(window);
        // However many looks the window holds, the socket is asked before the wait and once
        // per signal (a look that asked each time would re-arm its pipes each time).
        poll_until_ready(&mut socket, Duration::from_millis(2)).unwrap();
        assert!(socket.asked <= 3, "asked {} times", socket.asked);
    }

    #[test]
    fn timeout_without_items_sleeps() {
        let start = Instant::now();
        assert_eq!(poll::<&mut Socket>(&mut [], &mut [], Some(Duration::from_millis(20))), Ok(0));
        assert!(start.elapsed() >= Duration::from_millis(19));
    }
}
