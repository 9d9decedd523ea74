//! The socket-level C API: sockets, options, endpoints, send/receive and zmq_poll, and the proxies,
//! over the core socket (`socket::base::Socket`).
//!
//! A socket handle is the address of a `SocketShell`. Shells are never freed: a closed socket's
//! shell is marked dead and reused for the next socket, so a stale handle reads a valid shell and
//! gets ENOTSOCK instead of touching freed memory.

use std::cell::UnsafeCell;
use std::ffi::{c_char, c_int, c_long, c_short, c_void, CStr};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, MutexGuard};

use super::ctx::ctx_from_handle;
use super::msg::{borrowed_msg, msg_mut, zmq_msg_t};
use super::{bytes_arg, call};
use crate::constants::{ZMQ_DONTWAIT, ZMQ_FD, ZMQ_RCVTIMEO, ZMQ_SNDMORE, ZMQ_SNDTIMEO, ZMQ_THREAD_SAFE};
use crate::error::{Errno, Result};
use crate::msg::Msg;
use crate::poll::{self, Item, Target};
use crate::proxy;
use crate::socket::base::Socket;
use crate::sys;

const LIVE: u32 = 0x2ead_f00d;
const DEAD: u32 = 0xdead_50c7;

struct SocketShell {
    tag: AtomicU32,
    /// A draft thread-safe type (SERVER, CLIENT, ...): every use holds `lock`, and blocking
    /// sends/receives wait with the lock released (see `transfer`).
    thread_safe: AtomicBool,
    lock: Mutex<()>,
    /// Callers of a thread-safe socket blocked in `transfer`, registered under `lock`.
    waiters: AtomicUsize,
    /// Wakes them: a semaphore eventfd that gets one token per waiter whenever another caller
    /// releases the lock (it may have processed the commands they were waiting for). Made on
    /// first use and kept with the shell.
    wake: OnceLock<OwnedFd>,
    socket: UnsafeCell<Option<Socket>>,
}

// SAFETY: a classic socket is used by one application thread at a time (ZeroMQ's contract for
// non thread-safe sockets); a thread-safe socket is only touched under the shell's lock. Other
// threads read the shell only through its atomic fields.
unsafe impl Sync for SocketShell {}

/// Shells of closed sockets, ready for reuse.
static FREE_SHELLS: Mutex<Vec<&'static SocketShell>> = Mutex::new(Vec::new());

/// A socket in use by this call: for a thread-safe socket, its lock is held while this lives.
pub(crate) struct SocketRef<'a> {
    socket: &'a mut Socket,
    shell: &'a SocketShell,
    lock: Option<MutexGuard<'a, ()>>,
    /// This caller registered itself as a waiter (it need not wake itself).
    waiting: bool,
    /// Commands were waiting when the lock was taken: this caller may process the ones blocked
    /// callers wait for, so it must wake them when it is done.
    commands_pending: bool,
}

impl Drop for SocketRef<'_> {
    fn drop(&mut self) {
        if self.lock.is_none() || !self.commands_pending {
            return;
        }
        // This caller took commands blocked callers may have been waiting for: wake them to look.
        let others = self.shell.waiters.load(Ordering::Acquire).saturating_sub(usize::from(self.waiting));
        if others > 0 {
            if let Some(wake) = self.shell.wake.get() {
                sys::eventfd_add(wake, others as u64);
            }
        }
        self.lock = None;
    }
}

impl std::ops::Deref for SocketRef<'_> {
    type Target = Socket;
    fn deref(&self) -> &Socket {
        self.socket
    }
}

impl std::ops::DerefMut for SocketRef<'_> {
    fn deref_mut(&mut self) -> &mut Socket {
        self.socket
    }
}

/// The socket behind a handle: ENOTSOCK for NULL, closed or foreign handles. A thread-safe
/// socket is locked until the returned reference is dropped.
pub(crate) fn socket_mut<'a>(handle: *mut c_void) -> Result<SocketRef<'a>> {
    socket_in(shell(handle)?)
}

/// The socket in a live shell (see `socket_mut`).
fn socket_in<'a>(shell: &'a SocketShell) -> Result<SocketRef<'a>> {
    let lock = if shell.thread_safe.load(Ordering::Acquire) {
        let guard = shell.lock.lock();
        // It may have been closed while this thread waited for the lock.
        if shell.tag.load(Ordering::Acquire) != LIVE {
            return Err(Errno::ENOTSOCK);
        }
        Some(guard)
    } else {
        None
    };
    // SAFETY: the tag says the shell holds a live socket, and either by ZeroMQ's contract only
    // the calling thread uses it now, or (thread-safe types) the lock taken above is held for as
    // long as the reference lives; so this is the only reference.
    let socket = unsafe { &mut *shell.socket.get() }.as_mut().ok_or(Errno::ENOTSOCK)?;
    let commands_pending = lock.is_some() && socket.has_pending_commands();
    Ok(SocketRef { socket, shell, lock, waiting: false, commands_pending })
}

/// Whether a handle is a live thread-safe socket (ENOTSOCK when not a socket).
pub(crate) fn is_thread_safe(handle: *mut c_void) -> Result<bool> {
    Ok(shell(handle)?.thread_safe.load(Ordering::Acquire))
}

fn shell<'a>(handle: *mut c_void) -> Result<&'a SocketShell> {
    if handle.is_null() {
        return Err(Errno::ENOTSOCK);
    }
    // SAFETY: a non-NULL handle given to a socket call is, by the API contract, a value
    // zmq_socket returned; shells are never freed, so it points to a live SocketShell.
    let shell = unsafe { &*handle.cast::<SocketShell>() };
    if shell.tag.load(Ordering::Acquire) == LIVE {
        Ok(shell)
    } else {
        Err(Errno::ENOTSOCK)
    }
}

/// A socket as `poll::poll` sees it. A thread-safe socket is not held locked while the poll
/// waits (other threads go on using it): its lock is taken only to ask ZMQ_EVENTS.
pub(crate) enum PollSocket<'a> {
    Classic(SocketRef<'a>),
    Shared { handle: *mut c_void, fd: c_int },
}

impl<'a> PollSocket<'a> {
    pub(crate) fn new(handle: *mut c_void) -> Result<Self> {
        let socket = socket_mut(handle)?;
        Ok(if is_thread_safe(handle)? {
            PollSocket::Shared { handle, fd: socket.fd() }
        } else {
            PollSocket::Classic(socket)
        })
    }
}

impl poll::Pollable for PollSocket<'_> {
    fn fd(&self) -> c_int {
        match self {
            PollSocket::Classic(socket) => socket.fd(),
            PollSocket::Shared { fd, .. } => *fd,
        }
    }
    fn events(&mut self) -> Result<c_int> {
        match self {
            PollSocket::Classic(socket) => socket.events(),
            PollSocket::Shared { handle, .. } => socket_mut(*handle)?.events(),
        }
    }
    fn woken_by_peers(&self) -> bool {
        match self {
            PollSocket::Classic(socket) => !socket.is_networked(),
            PollSocket::Shared { .. } => false,
        }
    }
}

/// Longest a blocked caller of a thread-safe socket sleeps before looking again by itself.
const SHARED_WAIT_MAX: Duration = Duration::from_millis(20);

/// Runs a send or receive `op`. Classic sockets block inside the core. A thread-safe socket is
/// tried without blocking under its lock; while it cannot proceed, the caller registers as a
/// waiter and sleeps with the lock released (so other threads can use the socket meanwhile) until
/// the socket's mailbox has commands or another caller releases the lock (see `SocketRef`'s drop),
/// and gives up after `timeout_option` (ZMQ_SNDTIMEO / ZMQ_RCVTIMEO) as the core would.
fn transfer<T>(
    shell: &SocketShell,
    flags: c_int,
    timeout_option: c_int,
    mut op: impl FnMut(&mut Socket, c_int) -> Result<T>,
) -> Result<T> {
    if !shell.thread_safe.load(Ordering::Acquire) {
        // The message path: a classic socket needs no SocketRef (no lock, nothing to wake).
        // SAFETY: the shell is live and, by ZeroMQ's contract, only the calling thread uses a
        // classic socket now; so this is the only reference.
        let socket = unsafe { &mut *shell.socket.get() }.as_mut().ok_or(Errno::ENOTSOCK)?;
        return op(socket, flags);
    }
    let wake = match shell.wake.get() {
        Some(wake) => wake,
        None => {
            let fd = sys::eventfd_semaphore().map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EMFILE)))?;
            let _ = shell.wake.set(fd);
            shell.wake.get().ok_or(Errno::EMFILE)?
        }
    };
    let mut deadline: Option<Option<Instant>> = None;
    let mut registered = false;
    loop {
        let (fd, timeout_ms) = {
            let mut socket = socket_in(shell)?;
            if registered {
                registered = false;
                let _ = shell.waiters.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
            }
            match op(&mut socket, flags | ZMQ_DONTWAIT) {
                Err(Errno::EAGAIN) if flags & ZMQ_DONTWAIT == 0 => {}
                result => return result,
            }
            let mut value = [0u8; 4];
            socket.get_option(timeout_option, &mut value)?;
            let timeout_ms = c_int::from_ne_bytes(value);
            if timeout_ms != 0 {
                // Registered under the lock: any caller after us will wake us.
                shell.waiters.fetch_add(1, Ordering::AcqRel);
                registered = true;
                socket.waiting = true;
            }
            (socket.fd(), timeout_ms)
        };
        let deadline = *deadline.get_or_insert_with(|| {
            (timeout_ms >= 0).then(|| Instant::now() + Duration::from_millis(timeout_ms as u64))
        });
        let remaining = deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
        if !registered || remaining == Some(Duration::ZERO) {
            if registered {
                let _ = shell.waiters.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
            }
            return Err(Errno::EAGAIN);
        }
        let mut entries = [sys::poll_fd(fd, sys::POLLIN), sys::poll_fd(wake.as_raw_fd(), sys::POLLIN)];
        // The bound is a safety net only: a caller that takes commands after acquiring the lock
        // (they arrived while it held it) does not wake the others.
        let wait = remaining.map_or(SHARED_WAIT_MAX, |remaining| remaining.min(SHARED_WAIT_MAX));
        let polled = sys::poll(&mut entries, Some(wait));
        if entries[1].revents != 0 {
            // Take our token (a semaphore read takes one).
            sys::eventfd_clear(wake);
        }
        match polled {
            Ok(_) => {}
            Err(e) => {
                let _ = shell.waiters.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
                return Err(match e.kind() {
                    std::io::ErrorKind::Interrupted => Errno::EINTR,
                    _ => Errno(e.raw_os_error().unwrap_or(libc::EFAULT)),
                });
            }
        }
    }
}

/// Receives one frame.
fn recv_msg(socket: &SocketShell, flags: c_int) -> Result<Msg> {
    transfer(socket, flags, ZMQ_RCVTIMEO, |socket, flags| socket.recv(flags))
}

/// A C string argument (endpoint, group): NULL or non-UTF-8 is EINVAL.
pub(super) fn str_arg<'a>(text: *const c_char) -> Result<&'a str> {
    if text.is_null() {
        return Err(Errno::EINVAL);
    }
    // SAFETY: a non-NULL string argument is NUL-terminated by the API's contract.
    unsafe { CStr::from_ptr(text) }.to_str().map_err(|_| Errno::EINVAL)
}

/// A size as the int the C API returns.
fn size_result(size: usize) -> c_int {
    size.min(c_int::MAX as usize) as c_int
}

#[no_mangle]
pub extern "C" fn zmq_socket(context: *mut c_void, socket_type: c_int) -> *mut c_void {
    call(|| {
        let mut socket = Socket::new(ctx_from_handle(context)?, socket_type)?;
        let mut value = [0u8; 4];
        socket.get_option(ZMQ_THREAD_SAFE, &mut value)?;
        let thread_safe = c_int::from_ne_bytes(value) != 0;
        let shell: &'static SocketShell = FREE_SHELLS.lock().pop().unwrap_or_else(|| {
            Box::leak(Box::new(SocketShell {
                tag: AtomicU32::new(DEAD),
                thread_safe: AtomicBool::new(false),
                lock: Mutex::new(()),
                waiters: AtomicUsize::new(0),
                wake: OnceLock::new(),
                socket: UnsafeCell::new(None),
            }))
        });
        // SAFETY: the shell is dead (fresh or from the free list), so no other reference to its
        // socket slot exists.
        unsafe { *shell.socket.get() = Some(socket) };
        shell.waiters.store(0, Ordering::Release);
        shell.thread_safe.store(thread_safe, Ordering::Release);
        shell.tag.store(LIVE, Ordering::Release);
        Ok((shell as *const SocketShell).cast_mut().cast())
    })
}

#[no_mangle]
pub extern "C" fn zmq_close(s: *mut c_void) -> c_int {
    call(|| {
        let shell = shell(s)?;
        let socket = {
            let _lock = shell.lock.lock();
            if shell.tag.swap(DEAD, Ordering::AcqRel) != LIVE {
                return Err(Errno::ENOTSOCK);
            }
            // SAFETY: the caller owns the socket (a thread-safe one is locked here); after the
            // tag change no new access can start.
            unsafe { (*shell.socket.get()).take() }
        };
        drop(socket);
        // SAFETY: handles are addresses of leaked, 'static shells.
        FREE_SHELLS.lock().push(unsafe { &*(shell as *const SocketShell) });
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_setsockopt(s: *mut c_void, option: c_int, value: *const c_void, len: usize) -> c_int {
    call(|| {
        let mut socket = socket_mut(s)?;
        let value = if value.is_null() && len == 0 { None } else { Some(bytes_arg(value, len)?) };
        socket.set_option_from_c(option, value).map(|()| 0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_getsockopt(
    s: *mut c_void,
    option: c_int,
    value: *mut c_void,
    len: *mut usize,
) -> c_int {
    call(|| {
        if option == ZMQ_FD && is_thread_safe(s)? {
            // Thread-safe sockets have no ZMQ_FD in libzmq; the poller watches them instead.
            return Err(Errno::EINVAL);
        }
        let mut socket = socket_mut(s)?;
        // SAFETY: len is NULL or points to the caller's buffer size.
        let size = unsafe { len.as_mut() }.ok_or(Errno::EFAULT)?;
        let out: &mut [u8] = match (value.is_null(), *size) {
            (_, 0) => &mut [],
            (true, _) => return Err(Errno::EFAULT),
            // SAFETY: the caller passes a writable buffer of *len bytes at value.
            (false, n) => unsafe { std::slice::from_raw_parts_mut(value.cast(), n) },
        };
        *size = socket.get_option(option, out)?;
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_bind(s: *mut c_void, endpoint: *const c_char) -> c_int {
    call(|| {
        let mut socket = socket_mut(s)?;
        socket.bind(str_arg(endpoint)?).map(|()| 0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_connect(s: *mut c_void, endpoint: *const c_char) -> c_int {
    call(|| {
        let mut socket = socket_mut(s)?;
        socket.connect(str_arg(endpoint)?).map(|()| 0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_unbind(s: *mut c_void, endpoint: *const c_char) -> c_int {
    call(|| {
        let mut socket = socket_mut(s)?;
        socket.unbind(str_arg(endpoint)?).map(|()| 0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_disconnect(s: *mut c_void, endpoint: *const c_char) -> c_int {
    call(|| {
        let mut socket = socket_mut(s)?;
        socket.disconnect(str_arg(endpoint)?).map(|()| 0)
    })
}

/// Sends `msg`; on failure the error is returned and the message dropped.
fn send_owned(socket: &SocketShell, mut msg: Msg, flags: c_int) -> Result<c_int> {
    let size = size_result(msg.size());
    transfer(socket, flags, ZMQ_SNDTIMEO, |socket, flags| socket.send_from(&mut msg, flags))?;
    Ok(size)
}

#[no_mangle]
pub extern "C" fn zmq_send(s: *mut c_void, buf: *const c_void, len: usize, flags: c_int) -> c_int {
    call(|| {
        let socket = shell(s)?;
        send_owned(socket, Msg::from_slice(bytes_arg(buf, len)?)?, flags)
    })
}

/// Sends memory that stays valid and unchanged for as long as the library may use it (the
/// caller's promise), without copying it.
#[no_mangle]
pub extern "C" fn zmq_send_const(s: *mut c_void, buf: *const c_void, len: usize, flags: c_int) -> c_int {
    call(|| {
        let socket = shell(s)?;
        bytes_arg(buf, len)?;
        send_owned(socket, borrowed_msg(buf.cast_mut(), len), flags)
    })
}

#[no_mangle]
pub extern "C" fn zmq_recv(s: *mut c_void, buf: *mut c_void, len: usize, flags: c_int) -> c_int {
    call(|| {
        let socket = shell(s)?;
        if buf.is_null() && len > 0 {
            return Err(Errno::EFAULT);
        }
        let msg = recv_msg(socket, flags)?;
        let copied = msg.size().min(len);
        if copied > 0 {
            // SAFETY: the caller passes a writable buffer of len bytes at buf.
            let out = unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>(), copied) };
            out.copy_from_slice(&msg.data()[..copied]);
        }
        Ok(size_result(msg.size()))
    })
}

/// Sends the message in `msg`; on success `msg` becomes empty, on failure it is left as it was.
// The message is sent from where it lies, so it is moved only once, into the pipe.
#[no_mangle]
pub extern "C" fn zmq_msg_send(msg: *mut zmq_msg_t, s: *mut c_void, flags: c_int) -> c_int {
    call(|| {
        let socket = shell(s)?;
        let slot = msg_mut(msg)?;
        let size = size_result(slot.size());
        transfer(socket, flags, ZMQ_SNDTIMEO, |socket, flags| socket.send_from(slot, flags))?;
        Ok(size)
    })
}

/// Receives into `msg` (which must be initialised; its old content is released).
// Written in place: the received message is moved once, into the caller's zmq_msg_t.
#[no_mangle]
pub extern "C" fn zmq_msg_recv(msg: *mut zmq_msg_t, s: *mut c_void, flags: c_int) -> c_int {
    call(|| {
        let socket = shell(s)?;
        let slot = msg_mut(msg)?;
        transfer(socket, flags, ZMQ_RCVTIMEO, |socket, flags| socket.recv_into(slot, flags))?;
        Ok(size_result(slot.size()))
    })
}

/// Legacy name of zmq_msg_send, with the arguments the other way round.
#[no_mangle]
pub extern "C" fn zmq_sendmsg(s: *mut c_void, msg: *mut zmq_msg_t, flags: c_int) -> c_int {
    zmq_msg_send(msg, s, flags)
}

/// Legacy name of zmq_msg_recv, with the arguments the other way round.
#[no_mangle]
pub extern "C" fn zmq_recvmsg(s: *mut c_void, msg: *mut zmq_msg_t, flags: c_int) -> c_int {
    zmq_msg_recv(msg, s, flags)
}

/// The C `struct iovec` (renamed to `struct iovec` in zmq.h by cbindgen.toml).
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct iovec {
    pub iov_base: *mut c_void,
    pub iov_len: usize,
}

/// Sends `count` buffers as frames of one message. As in libzmq, the frames carry the caller's
/// flags (so ZMQ_SNDMORE makes them one message) and the last never has ZMQ_SNDMORE; returns what
/// the last send returned.
#[no_mangle]
pub extern "C" fn zmq_sendiov(s: *mut c_void, iov: *mut iovec, count: usize, flags: c_int) -> c_int {
    call(|| {
        let socket = shell(s)?;
        if iov.is_null() || count == 0 {
            return Err(Errno::EINVAL);
        }
        // SAFETY: the caller passes count iovec entries at iov.
        let buffers = unsafe { std::slice::from_raw_parts(iov, count) };
        let mut result = 0;
        for (i, buffer) in buffers.iter().enumerate() {
            let frame_flags = if i == count - 1 { flags & !ZMQ_SNDMORE } else { flags };
            let msg = Msg::from_slice(bytes_arg(buffer.iov_base, buffer.iov_len)?)?;
            result = send_owned(socket, msg, frame_flags)?;
        }
        Ok(result)
    })
}

/// Receives up to `*count` frames of one message into buffers it allocates with malloc (the
/// caller frees them); `*count` becomes the number of frames, which is also returned.
#[no_mangle]
pub extern "C" fn zmq_recviov(s: *mut c_void, iov: *mut iovec, count: *mut usize, flags: c_int) -> c_int {
    call(|| {
        let socket = shell(s)?;
        // SAFETY: count is NULL or points to the caller's entry count.
        let count = unsafe { count.as_mut() }.ok_or(Errno::EINVAL)?;
        if iov.is_null() || *count == 0 {
            return Err(Errno::EINVAL);
        }
        // SAFETY: the caller passes *count writable iovec entries at iov.
        let buffers = unsafe { std::slice::from_raw_parts_mut(iov, *count) };
        *count = 0;
        for buffer in buffers.iter_mut() {
            let msg = recv_msg(socket, flags)?;
            // SAFETY: malloc returns NULL or a buffer of the requested size (at least 1 byte, so
            // an empty frame still gets a freeable pointer).
            let memory = unsafe { libc::malloc(msg.size().max(1)) };
            if memory.is_null() {
                return Err(Errno::ENOMEM);
            }
            // SAFETY: memory holds msg.size() bytes and does not overlap the message.
            unsafe { std::ptr::copy_nonoverlapping(msg.data().as_ptr(), memory.cast(), msg.size()) };
            buffer.iov_base = memory;
            buffer.iov_len = msg.size();
            *count += 1;
            if !msg.more() {
                break;
            }
        }
        Ok(*count as c_int)
    })
}

/// Sends the socket's connection events to a PAIR socket bound at the inproc `endpoint`; NULL
/// stops monitoring.
#[no_mangle]
pub extern "C" fn zmq_socket_monitor(s: *mut c_void, endpoint: *const c_char, events: c_int) -> c_int {
    call(|| {
        let mut socket = socket_mut(s)?;
        let endpoint = if endpoint.is_null() { None } else { Some(str_arg(endpoint)?) };
        socket.monitor(endpoint, events as u32 as u64).map(|()| 0)
    })
}

/// The C `zmq_pollitem_t` (declared by hand in zmq.h's prologue).
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct zmq_pollitem_t {
    pub socket: *mut c_void,
    pub fd: c_int,
    pub events: c_short,
    pub revents: c_short,
}

/// A zmq_poll timeout in milliseconds: negative waits forever.
fn poll_timeout(timeout: c_long) -> Option<Duration> {
    (timeout >= 0).then(|| Duration::from_millis(timeout as u64))
}

#[no_mangle]
pub extern "C" fn zmq_poll(items: *mut zmq_pollitem_t, count: c_int, timeout: c_long) -> c_int {
    call(|| poll_items(items, count, timeout, None))
}

/// zmq_poll, and zmq_ppoll with a signal mask for the wait.
pub(super) fn poll_items(
    items: *mut zmq_pollitem_t,
    count: c_int,
    timeout: c_long,
    sigmask: Option<&libc::sigset_t>,
) -> Result<c_int> {
    {
        if count < 0 || (items.is_null() && count > 0) {
            return Err(Errno::EFAULT);
        }
        let entries: &mut [zmq_pollitem_t] = if count == 0 {
            &mut []
        } else {
            // SAFETY: the caller passes count pollitems at items.
            unsafe { std::slice::from_raw_parts_mut(items, count as usize) }
        };
        // Each socket is borrowed once even if listed several times.
        let mut handles: Vec<*mut c_void> = Vec::new();
        let mut targets = Vec::with_capacity(entries.len());
        for entry in entries.iter() {
            let target = if entry.socket.is_null() {
                Target::Fd(entry.fd)
            } else {
                let index = handles.iter().position(|&h| h == entry.socket).unwrap_or_else(|| {
                    handles.push(entry.socket);
                    handles.len() - 1
                });
                Target::Socket(index)
            };
            targets.push(Item { target, events: entry.events, revents: 0 });
        }
        let mut sockets = handles.iter().map(|&h| PollSocket::new(h)).collect::<Result<Vec<_>>>()?;
        let ready = poll::poll_masked(&mut targets, &mut sockets, poll_timeout(timeout), sigmask)?;
        for (entry, item) in entries.iter_mut().zip(&targets) {
            entry.revents = item.revents;
        }
        Ok(ready as c_int)
    }
}

/// Runs the built-in proxy on this thread until the context is terminated (then -1 with ETERM):
/// whole messages go from frontend to backend and back, and every frame is also sent to
/// `capture` unless it is NULL.
#[no_mangle]
pub extern "C" fn zmq_proxy(frontend: *mut c_void, backend: *mut c_void, capture: *mut c_void) -> c_int {
    zmq_proxy_steerable(frontend, backend, capture, std::ptr::null_mut())
}

/// zmq_proxy with an optional `control` socket obeying PAUSE, RESUME, TERMINATE (then 0 is
/// returned) and STATISTICS (answered with eight 64-bit counters).
#[no_mangle]
pub extern "C" fn zmq_proxy_steerable(
    frontend: *mut c_void,
    backend: *mut c_void,
    capture: *mut c_void,
    control: *mut c_void,
) -> c_int {
    call(|| {
        if frontend.is_null() || backend.is_null() {
            return Err(Errno::EFAULT);
        }
        // One role may be played by a socket that also plays another (frontend == backend): each
        // distinct socket is borrowed once and roles refer to it by index.
        let mut handles: Vec<*mut c_void> = Vec::with_capacity(4);
        let mut index_of = |handle: *mut c_void| {
            handles.iter().position(|&h| h == handle).unwrap_or_else(|| {
                handles.push(handle);
                handles.len() - 1
            })
        };
        let roles = proxy::Roles {
            frontend: index_of(frontend),
            backend: index_of(backend),
            capture: (!capture.is_null()).then(|| index_of(capture)),
            control: (!control.is_null()).then(|| index_of(control)),
        };
        let mut held = handles.iter().map(|&h| socket_mut(h)).collect::<Result<Vec<_>>>()?;
        let mut sockets: Vec<&mut Socket> = held.iter_mut().map(|socket| &mut **socket).collect();
        proxy::run(&mut sockets, roles).map(|()| 0)
    })
}

/// Legacy: a proxy between two sockets (the device type is ignored, as in libzmq).
#[no_mangle]
pub extern "C" fn zmq_device(device_type: c_int, frontend: *mut c_void, backend: *mut c_void) -> c_int {
    let _ = device_type;
    zmq_proxy(frontend, backend, std::ptr::null_mut())
}
