//! The operating-system seam: safe wrappers over the few Linux calls the core makes directly
//! (eventfd and poll here, tcp socket set-up in `socket`). Everything above this module is safe
//! Rust; each `unsafe` block here says why it holds. No ZeroMQ logic here.

pub mod socket;

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::LazyLock;
use std::time::Duration;

/// A non-blocking, close-on-exec eventfd: the signal behind a mailbox and `ZMQ_FD`.
pub fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: eventfd has no pointer arguments; a non-negative result is a new fd we own.
    let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd was just created and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A non-blocking, close-on-exec semaphore eventfd: each read takes one token, so `n` tokens
/// added wake `n` waiters (a thread-safe socket's blocked callers, see `capi/sockets.rs`).
pub fn eventfd_semaphore() -> io::Result<OwnedFd> {
    // SAFETY: eventfd has no pointer arguments; a non-negative result is a new fd we own.
    let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC | libc::EFD_SEMAPHORE) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd was just created and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Adds `tokens` to an eventfd's counter (best effort: a full counter already wakes everyone).
pub fn eventfd_add(fd: &OwnedFd, tokens: u64) {
    // SAFETY: writes 8 bytes from a live u64 to an fd we own; EAGAIN (counter full) and EINTR
    // are tolerated by callers, whose waiters re-check their condition anyway.
    let _ = unsafe { libc::write(fd.as_raw_fd(), (&tokens as *const u64).cast(), 8) };
}

/// Makes an eventfd readable (adds one to its counter).
pub fn eventfd_signal(fd: &OwnedFd) -> io::Result<()> {
    put_token(fd, &1u64.to_ne_bytes())
}

/// Resets an eventfd to not readable; fine if it was not.
pub fn eventfd_clear(fd: &OwnedFd) {
    let mut counter: u64 = 0;
    // SAFETY: reads at most 8 bytes into a live u64 from an fd we own. EAGAIN (already clear)
    // and EINTR leave the counter as it is, which callers tolerate.
    let _ = unsafe { libc::read(fd.as_raw_fd(), (&mut counter as *mut u64).cast(), 8) };
}

/// Takes one token from a semaphore eventfd; false when it had none (non-blocking).
pub fn eventfd_take(fd: &OwnedFd) -> bool {
    take_token(fd, &mut [0; 8])
}

/// A non-blocking, close-on-exec pipe: (read end, write end).
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two fds into the live array; on success both are new fds we own.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: just created, owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Puts one token (a byte) into a pipe's write end.
pub fn pipe_put_token(write_end: &OwnedFd) -> io::Result<()> {
    put_token(write_end, &[1])
}

/// Takes one token (a byte) from a pipe's read end; false when it had none (non-blocking).
pub fn pipe_take_token(read_end: &OwnedFd) -> bool {
    take_token(read_end, &mut [0])
}

/// Writes `token` whole (eventfd and pipe writes of these sizes are all or nothing), retrying
/// after EINTR.
fn put_token(fd: &OwnedFd, token: &[u8]) -> io::Result<()> {
    loop {
        // SAFETY: writes token.len() bytes from a live slice to an fd we own.
        let written = unsafe { libc::write(fd.as_raw_fd(), token.as_ptr().cast(), token.len()) };
        if written == token.len() as isize {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// Reads one token of `buffer.len()` bytes, retrying after EINTR; false when none was there.
fn take_token(fd: &OwnedFd, buffer: &mut [u8]) -> bool {
    loop {
        // SAFETY: reads at most buffer.len() bytes into a live slice from an fd we own.
        let read = unsafe { libc::read(fd.as_raw_fd(), buffer.as_mut_ptr().cast(), buffer.len()) };
        if read == buffer.len() as isize {
            return true;
        }
        if read >= 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return false;
        }
    }
}

/// One `readv(2)` from `fd`: fills `first`, then goes on into at most `max` bytes of the unused
/// capacity of `buffer`, which grows by what landed there (that memory need not be initialised
/// first: the session's read blocks, see `io/session.rs`). Returns the byte count (0: end of
/// stream); bytes beyond `first.len()` are the ones in `buffer`.
pub fn read_into_spare(
    fd: RawFd,
    first: &mut [u8],
    buffer: &mut bytes::BytesMut,
    max: usize,
) -> io::Result<usize> {
    let spare = buffer.spare_capacity_mut();
    let len = spare.len().min(max);
    let iov = [
        libc::iovec { iov_base: first.as_mut_ptr().cast(), iov_len: first.len() },
        libc::iovec { iov_base: spare.as_mut_ptr().cast(), iov_len: len },
    ];
    // SAFETY: the kernel writes at most `first.len()` bytes into `first` and `len` bytes into
    // the live spare capacity, both borrowed mutably here and referenced by nothing else.
    let read = unsafe { libc::readv(fd, iov.as_ptr(), 2) };
    if read < 0 {
        return Err(io::Error::last_os_error());
    }
    let read = read as usize;
    let spilled = read.saturating_sub(first.len());
    // SAFETY: readv(2) filled `first` before initialising the first `spilled` bytes of the
    // spare capacity.
    unsafe { buffer.set_len(buffer.len() + spilled) };
    Ok(read)
}

/// The (pid, uid, gid) of the process at the other end of a unix socket (SO_PEERCRED).
pub fn peer_credentials(fd: RawFd) -> io::Result<(i32, u32, u32)> {
    let mut credentials = libc::ucred { pid: 0, uid: 0, gid: 0 };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into the live ucred it is given.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut credentials as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((credentials.pid, credentials.uid, credentials.gid))
}

/// A close-on-exec epoll set: the one fd zmq_poller_fd hands out, readable while any fd in the
/// set is readable.
pub fn epoll() -> io::Result<OwnedFd> {
    // SAFETY: epoll_create1 has no pointer arguments; a non-negative result is a new fd we own.
    let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd was just created and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Adds `fd` to an epoll set, watched for readability (level-triggered).
pub fn epoll_add(set: &OwnedFd, fd: RawFd) -> io::Result<()> {
    let mut event = libc::epoll_event { events: libc::EPOLLIN as u32, u64: fd as u64 };
    // SAFETY: set is an epoll fd we own; event is a live epoll_event the kernel only reads.
    if unsafe { libc::epoll_ctl(set.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut event) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Removes `fd` from an epoll set; fine if it was not there.
pub fn epoll_remove(set: &OwnedFd, fd: RawFd) {
    let mut event = libc::epoll_event { events: 0, u64: 0 };
    // SAFETY: set is an epoll fd we own; event is a live epoll_event (ignored by DEL).
    let _ = unsafe { libc::epoll_ctl(set.as_raw_fd(), libc::EPOLL_CTL_DEL, fd, &mut event) };
}

/// One entry for [`poll`].
pub type PollFd = libc::pollfd;

pub(crate) const POLLIN: i16 = libc::POLLIN;
pub(crate) const POLLOUT: i16 = libc::POLLOUT;
pub(crate) const POLLPRI: i16 = libc::POLLPRI;

/// The CPU the calling thread runs on (as of the call), if the system says.
pub fn current_cpu() -> Option<u32> {
    // SAFETY: sched_getcpu takes no arguments and touches no memory of ours.
    u32::try_from(unsafe { libc::sched_getcpu() }).ok()
}

/// Whether more than one CPU is online (read once; not the calling thread's affinity, which a
/// pinned thread narrows): a thread watching for work only pays when the thread that gives it
/// can run meanwhile.
pub fn multicore() -> bool {
    static MULTICORE: LazyLock<bool> = LazyLock::new(|| {
        // SAFETY: sysconf reads a system value and touches no memory of ours.
        unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) > 1 }
    });
    *MULTICORE
}

pub fn poll_fd(fd: RawFd, events: i16) -> PollFd {
    PollFd { fd, events, revents: 0 }
}

/// poll(2): `None` waits forever. Returns how many entries have events; EINTR is an error the
/// caller reports (blocking ZeroMQ calls return EINTR to the application).
pub fn poll(fds: &mut [PollFd], timeout: Option<Duration>) -> io::Result<usize> {
    let timeout_ms = match timeout {
        None => -1,
        // Round up so a short wait never becomes a busy zero-timeout poll.
        Some(timeout) => timeout.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32,
    };
    // SAFETY: fds is a live, exclusively borrowed slice of pollfd of the length passed.
    let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
    if ready < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(ready as usize)
}

/// Blocks every signal in the calling thread, as libzmq does in the threads it starts (I/O
/// threads, zmq_threadstart): process-directed signals then go to the application's threads,
/// where its handlers, signalfd or sigwait expect them.
pub fn block_all_signals() {
    // SAFETY: sigset_t is plain data that sigfillset initialises; pthread_sigmask only changes the
    // calling thread's mask. Failure leaves the mask as it was, which is harmless.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
    }
}

/// ppoll(2): `poll` with the signal mask `sigmask` in force while waiting (zmq_ppoll), so the
/// caller can block signals outside the wait and still be interrupted by them (EINTR) inside it.
pub fn ppoll(fds: &mut [PollFd], timeout: Option<Duration>, sigmask: &libc::sigset_t) -> io::Result<usize> {
    let spec = timeout.map(|timeout| libc::timespec {
        tv_sec: timeout.as_secs().min(libc::time_t::MAX as u64) as libc::time_t,
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    });
    let spec_ptr = spec.as_ref().map_or(std::ptr::null(), |spec| spec as *const libc::timespec);
    // SAFETY: fds is a live, exclusively borrowed slice of pollfd of the length passed; spec_ptr
    // is NULL or points to a live timespec; sigmask is a live sigset_t. The kernel only reads the
    // last two.
    let ready = unsafe { libc::ppoll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, spec_ptr, sigmask) };
    if ready < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(ready as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eventfd_is_readable_after_signal_and_not_after_clear() {
        let fd = eventfd().unwrap();
        let readable = |fd: &OwnedFd| {
            let mut entry = [poll_fd(fd.as_raw_fd(), POLLIN)];
            poll(&mut entry, Some(Duration::ZERO)).unwrap() == 1
        };
        assert!(!readable(&fd));
        eventfd_signal(&fd).unwrap();
        eventfd_signal(&fd).unwrap();
        assert!(readable(&fd));
        eventfd_clear(&fd);
        assert!(!readable(&fd));
    }

    #[test]
    fn a_read_fills_the_slice_then_spills_into_the_buffer_up_to_max() {
        use std::io::Write;
        let (mut writer, reader) = std::os::unix::net::UnixStream::pair().unwrap();
        writer.write_all(b"headerbody-and-more").unwrap();
        let mut first = [0u8; 6];
        let mut buffer = bytes::BytesMut::with_capacity(64);
        buffer.extend_from_slice(b">");
        assert_eq!(read_into_spare(reader.as_raw_fd(), &mut first, &mut buffer, 4).unwrap(), 10);
        assert_eq!((&first, &buffer[..]), (b"header", &b">body"[..]));
        // An empty slice: everything goes to the buffer.
        assert_eq!(read_into_spare(reader.as_raw_fd(), &mut [], &mut buffer, 64).unwrap(), 9);
        assert_eq!(&buffer[..], b">body-and-more");
        // Less than the slice holds: the buffer is untouched.
        writer.write_all(b"ab").unwrap();
        assert_eq!(read_into_spare(reader.as_raw_fd(), &mut first, &mut buffer, 64).unwrap(), 2);
        assert_eq!((&first[..2], buffer.len()), (&b"ab"[..], 14));
    }
}
