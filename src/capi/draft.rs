//! The draft socket-level API as exported symbols: the poller (`poller.rs` over `poll.rs`),
//! zmq_ppoll, zmq_join/zmq_leave, zmq_connect_peer, zmq_socket_get_peer_state, and
//! zmq_socket_monitor_versioned (event formats 1 and 2) and zmq_socket_monitor_pipes_stats.

use std::ffi::{c_char, c_int, c_long, c_short, c_void, CStr};

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

use super::sockets::{is_thread_safe, poll_items, socket_mut, str_arg, zmq_pollitem_t, PollSocket};
use super::{bytes_arg, call};
use crate::error::{Errno, Result};
use crate::poll;
use crate::poller::{Poller, Watched};
use crate::sys;

/// The C `zmq_poller_event_t` (draft; declared by hand in zmq.h's prologue).
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct zmq_poller_event_t {
    pub socket: *mut c_void,
    pub fd: c_int,
    pub user_data: *mut c_void,
    pub events: c_short,
}

const POLLER_LIVE: u32 = 0xcafe_f00d;
const POLLER_DEAD: u32 = 0xdead_f00d;

/// What a poller handle points to. The tag comes first so that a pointer to anything else (libzmq's
/// tests pass the address of a NULL pointer variable) fails the tag check with EFAULT.
#[repr(C)]
struct PollerShell {
    tag: AtomicU32,
    state: Mutex<PollerState>,
}

struct PollerState {
    poller: Poller<usize>,
    /// zmq_poller_fd: an epoll set of the registered thread-safe sockets' mailbox fds, made when
    /// the first one is added (libzmq's per-poller signaler).
    signal: Option<OwnedFd>,
    /// Thread-safe sockets registered, with their mailbox fds.
    shared: Vec<(usize, c_int)>,
}

/// The poller behind a handle: EFAULT for NULL, destroyed or foreign pointers.
fn poller<'a>(handle: *mut c_void) -> Result<&'a PollerShell> {
    if handle.is_null() {
        return Err(Errno::EFAULT);
    }
    // SAFETY: a non-NULL poller argument points at least to a pointer-sized object (a poller, or
    // in misuse the caller's handle variable); only its first four bytes are read before the tag
    // says it is a poller.
    let tag = unsafe { handle.cast::<u32>().read_unaligned() };
    if tag != POLLER_LIVE {
        return Err(Errno::EFAULT);
    }
    // SAFETY: the tag says this is a live PollerShell that zmq_poller_new leaked.
    Ok(unsafe { &*handle.cast::<PollerShell>() })
}

/// A zmq_poller timeout in milliseconds: negative waits forever.
fn timeout_arg(timeout: c_long) -> Option<Duration> {
    (timeout >= 0).then(|| Duration::from_millis(timeout as u64))
}

fn socket_key(s: *mut c_void) -> Result<usize> {
    is_thread_safe(s)?;
    Ok(s as usize)
}

#[no_mangle]
pub extern "C" fn zmq_join(s: *mut c_void, group: *const c_char) -> c_int {
    call(|| join_or_leave(s, group, true))
}

fn join_or_leave(s: *mut c_void, group: *const c_char, join: bool) -> Result<c_int> {
    let mut socket = socket_mut(s)?;
    if group.is_null() {
        return Err(Errno::EINVAL);
    }
    // SAFETY: a non-NULL group is a NUL-terminated C string by the API's contract.
    let group = unsafe { CStr::from_ptr(group) }.to_bytes();
    socket.join_group(group, join).map(|()| 0)
}

#[no_mangle]
pub extern "C" fn zmq_leave(s: *mut c_void, group: *const c_char) -> c_int {
    call(|| join_or_leave(s, group, false))
}

#[no_mangle]
pub extern "C" fn zmq_connect_peer(s: *mut c_void, endpoint: *const c_char) -> u32 {
    call(|| {
        let mut socket = socket_mut(s)?;
        socket.connect_peer(str_arg(endpoint)?)
    })
}

#[no_mangle]
pub extern "C" fn zmq_socket_get_peer_state(
    s: *mut c_void,
    routing_id: *const c_void,
    routing_id_size: usize,
) -> c_int {
    call(|| {
        let mut socket = socket_mut(s)?;
        socket.peer_state(bytes_arg(routing_id, routing_id_size)?)
    })
}

#[no_mangle]
pub extern "C" fn zmq_socket_monitor_versioned(
    s: *mut c_void,
    endpoint: *const c_char,
    events: u64,
    event_version: c_int,
    socket_type: c_int,
) -> c_int {
    call(|| {
        let mut socket = socket_mut(s)?;
        let endpoint = if endpoint.is_null() { None } else { Some(str_arg(endpoint)?) };
        socket.monitor_as(endpoint, events, event_version, socket_type).map(|()| 0)
    })
}

/// Asks for one ZMQ_EVENT_PIPES_STATS event per pipe (version 2 monitors): EINVAL unless a running
/// monitor asked for those events, EAGAIN when the socket has no pipes, as in libzmq.
#[no_mangle]
pub extern "C" fn zmq_socket_monitor_pipes_stats(s: *mut c_void) -> c_int {
    call(|| socket_mut(s)?.monitor_pipes_stats().map(|()| 0))
}

#[cfg(zmq_sigset)]
#[no_mangle]
pub extern "C" fn zmq_ppoll(
    items: *mut zmq_pollitem_t,
    count: c_int,
    timeout: c_long,
    sigmask: *const libc::sigset_t,
) -> c_int {
    // SAFETY: sigmask is NULL or points to the caller's signal set.
    call(|| poll_items(items, count, timeout, unsafe { sigmask.as_ref() }))
}

#[no_mangle]
pub extern "C" fn zmq_poller_new() -> *mut c_void {
    call(|| {
        let shell = Box::new(PollerShell {
            tag: AtomicU32::new(POLLER_LIVE),
            state: Mutex::new(PollerState { poller: Poller::default(), signal: None, shared: Vec::new() }),
        });
        Ok(Box::into_raw(shell).cast())
    })
}

#[no_mangle]
pub extern "C" fn zmq_poller_destroy(poller_p: *mut *mut c_void) -> c_int {
    call(|| {
        // SAFETY: poller_p is NULL or points to the caller's poller handle variable.
        let slot = unsafe { poller_p.as_mut() }.ok_or(Errno::EFAULT)?;
        let shell = poller(*slot)?;
        shell.tag.store(POLLER_DEAD, Ordering::Release);
        // SAFETY: the handle came from Box::into_raw in zmq_poller_new and was live until now;
        // destroying it is the caller's last use.
        drop(unsafe { Box::from_raw((shell as *const PollerShell).cast_mut()) });
        *slot = std::ptr::null_mut();
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_poller_size(p: *mut c_void) -> c_int {
    call(|| Ok(poller(p)?.state.lock().poller.size() as c_int))
}

#[no_mangle]
pub extern "C" fn zmq_poller_add(
    p: *mut c_void,
    s: *mut c_void,
    user_data: *mut c_void,
    events: c_short,
) -> c_int {
    call(|| {
        let shell = poller(p)?;
        let key = socket_key(s)?;
        let mut state = shell.state.lock();
        state.poller.add(Watched::Socket(key), user_data as usize, events)?;
        if is_thread_safe(s)? {
            // A thread-safe socket also joins the zmq_poller_fd set; if that fails, so does add.
            let joined = watch_shared(&mut state, s, key);
            if joined.is_err() {
                let _ = state.poller.remove(Watched::Socket(key));
            }
            joined?;
        }
        Ok(0)
    })
}

/// Adds a thread-safe socket's mailbox fd to the poller's zmq_poller_fd set (made on first use).
fn watch_shared(state: &mut PollerState, s: *mut c_void, key: usize) -> Result<()> {
    let fd = PollSocket::new(s).map(|socket| poll::Pollable::fd(&socket))?;
    if state.signal.is_none() {
        state.signal = Some(sys::epoll().map_err(os_errno)?);
    }
    if let Some(signal) = &state.signal {
        sys::epoll_add(signal, fd).map_err(os_errno)?;
    }
    state.shared.push((key, fd));
    Ok(())
}

fn os_errno(error: std::io::Error) -> Errno {
    Errno(error.raw_os_error().unwrap_or(libc::ENOMEM))
}

#[no_mangle]
pub extern "C" fn zmq_poller_modify(p: *mut c_void, s: *mut c_void, events: c_short) -> c_int {
    call(|| {
        let shell = poller(p)?;
        let key = socket_key(s)?;
        shell.state.lock().poller.modify(Watched::Socket(key), events).map(|()| 0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_poller_remove(p: *mut c_void, s: *mut c_void) -> c_int {
    call(|| {
        let shell = poller(p)?;
        let key = socket_key(s)?;
        let mut state = shell.state.lock();
        state.poller.remove(Watched::Socket(key))?;
        let state = &mut *state;
        if let Some(index) = state.shared.iter().position(|(k, _)| *k == key) {
            let (_, fd) = state.shared.remove(index);
            if let Some(signal) = &state.signal {
                sys::epoll_remove(signal, fd);
            }
        }
        Ok(0)
    })
}

/// Waits and writes up to `n_events` ready registrations into `events`.
fn wait_into(
    p: *mut c_void,
    events: *mut zmq_poller_event_t,
    n_events: c_int,
    timeout: c_long,
) -> Result<c_int> {
    let shell = poller(p)?;
    if events.is_null() {
        return Err(Errno::EFAULT);
    }
    let state = shell.state.lock();
    let ready =
        state.poller.wait(n_events, timeout_arg(timeout), |key| PollSocket::new(key as *mut c_void))?;
    for (i, event) in ready.iter().enumerate() {
        let (socket, fd) = match event.watched {
            Watched::Socket(key) => (key as *mut c_void, -1),
            Watched::Fd(fd) => (std::ptr::null_mut(), fd),
        };
        // SAFETY: the caller passes n_events writable entries at events, and at most that many
        // are returned by wait.
        unsafe {
            events.add(i).write(zmq_poller_event_t {
                socket,
                fd,
                user_data: event.user_data as *mut c_void,
                events: event.events,
            })
        };
    }
    Ok(ready.len() as c_int)
}

#[no_mangle]
pub extern "C" fn zmq_poller_wait(p: *mut c_void, event: *mut zmq_poller_event_t, timeout: c_long) -> c_int {
    call(|| {
        wait_into(p, event, 1, timeout).map(|_| 0).inspect_err(|_| {
            if !event.is_null() {
                // SAFETY: a non-NULL event points to the caller's writable event; libzmq clears it
                // on failure.
                unsafe {
                    event.write(zmq_poller_event_t {
                        socket: std::ptr::null_mut(),
                        fd: 0,
                        user_data: std::ptr::null_mut(),
                        events: 0,
                    })
                };
            }
        })
    })
}

#[no_mangle]
pub extern "C" fn zmq_poller_wait_all(
    p: *mut c_void,
    events: *mut zmq_poller_event_t,
    n_events: c_int,
    timeout: c_long,
) -> c_int {
    call(|| wait_into(p, events, n_events, timeout))
}

/// The fd that signals activity on the poller's thread-safe sockets: EINVAL when it has none.
#[no_mangle]
pub extern "C" fn zmq_poller_fd(p: *mut c_void, fd: *mut c_int) -> c_int {
    call(|| {
        let shell = poller(p)?;
        let state = shell.state.lock();
        let signal = state.signal.as_ref().ok_or(Errno::EINVAL)?;
        // SAFETY: fd is NULL or points to the caller's int.
        let out = unsafe { fd.as_mut() }.ok_or(Errno::EFAULT)?;
        *out = signal.as_raw_fd();
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_poller_add_fd(
    p: *mut c_void,
    fd: c_int,
    user_data: *mut c_void,
    events: c_short,
) -> c_int {
    call(|| {
        let shell = poller(p)?;
        shell.state.lock().poller.add(Watched::Fd(fd), user_data as usize, events).map(|()| 0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_poller_modify_fd(p: *mut c_void, fd: c_int, events: c_short) -> c_int {
    call(|| poller(p)?.state.lock().poller.modify(Watched::Fd(fd), events).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_poller_remove_fd(p: *mut c_void, fd: c_int) -> c_int {
    call(|| poller(p)?.state.lock().poller.remove(Watched::Fd(fd)).map(|()| 0))
}
