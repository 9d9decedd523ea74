//! The socket-level C API (sockets, send/receive, polling, proxies, monitoring) as exported
//! symbols. The socket runtime has not landed yet (it is the core-runtime issue), so until then
//! every one of these fails with ENOTSUP after the argument checks libzmq makes first; programs
//! and the upstream test suite link against the complete symbol set meanwhile, and nothing here
//! pretends to work.

// Parameters keep their C names for the generated header, though unused until sockets exist.
#![allow(unused_variables)]

use std::ffi::{c_char, c_int, c_long, c_short, c_void};

use super::call;
use super::ctx::ctx_from_handle;
use super::msg::{msg_mut, zmq_msg_t};
use crate::error::{Errno, Result};

/// The C `struct iovec` (renamed to `struct iovec` in zmq.h by cbindgen.toml).
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct iovec {
    pub iov_base: *mut c_void,
    pub iov_len: usize,
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

/// The answer of every socket operation until the socket runtime exists.
fn not_yet<T>() -> Result<T> {
    Err(Errno::ENOTSUP)
}

/// A socket handle: NULL is ENOTSOCK, as in libzmq. No socket can exist yet, so any other value
/// is not a socket either.
fn socket(handle: *mut c_void) -> Result<()> {
    if handle.is_null() {
        return Err(Errno::ENOTSOCK);
    }
    not_yet()
}

#[no_mangle]
pub extern "C" fn zmq_socket(context: *mut c_void, socket_type: c_int) -> *mut c_void {
    call(|| {
        let ctx = ctx_from_handle(context)?;
        if ctx.is_shut_down() {
            return Err(Errno::ETERM);
        }
        not_yet()
    })
}

#[no_mangle]
pub extern "C" fn zmq_close(s: *mut c_void) -> c_int {
    call(|| socket(s).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_setsockopt(s: *mut c_void, option: c_int, value: *const c_void, len: usize) -> c_int {
    call(|| socket(s).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_getsockopt(
    s: *mut c_void,
    option: c_int,
    value: *mut c_void,
    len: *mut usize,
) -> c_int {
    call(|| socket(s).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_bind(s: *mut c_void, endpoint: *const c_char) -> c_int {
    call(|| socket(s).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_connect(s: *mut c_void, endpoint: *const c_char) -> c_int {
    call(|| socket(s).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_unbind(s: *mut c_void, endpoint: *const c_char) -> c_int {
    call(|| socket(s).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_disconnect(s: *mut c_void, endpoint: *const c_char) -> c_int {
    call(|| socket(s).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_send(s: *mut c_void, buf: *const c_void, len: usize, flags: c_int) -> c_int {
    call(|| socket(s).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_send_const(s: *mut c_void, buf: *const c_void, len: usize, flags: c_int) -> c_int {
    call(|| socket(s).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_recv(s: *mut c_void, buf: *mut c_void, len: usize, flags: c_int) -> c_int {
    call(|| socket(s).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_msg_send(msg: *mut zmq_msg_t, s: *mut c_void, flags: c_int) -> c_int {
    call(|| {
        socket(s)?;
        msg_mut(msg).map(|_| 0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_msg_recv(msg: *mut zmq_msg_t, s: *mut c_void, flags: c_int) -> c_int {
    call(|| {
        socket(s)?;
        msg_mut(msg).map(|_| 0)
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

#[no_mangle]
pub extern "C" fn zmq_sendiov(s: *mut c_void, iov: *mut iovec, count: usize, flags: c_int) -> c_int {
    call(|| socket(s).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_recviov(s: *mut c_void, iov: *mut iovec, count: *mut usize, flags: c_int) -> c_int {
    call(|| socket(s).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_socket_monitor(s: *mut c_void, endpoint: *const c_char, events: c_int) -> c_int {
    call(|| socket(s).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_poll(items: *mut zmq_pollitem_t, count: c_int, timeout: c_long) -> c_int {
    call(not_yet)
}

#[no_mangle]
pub extern "C" fn zmq_proxy(frontend: *mut c_void, backend: *mut c_void, capture: *mut c_void) -> c_int {
    call(|| socket(frontend).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_proxy_steerable(
    frontend: *mut c_void,
    backend: *mut c_void,
    capture: *mut c_void,
    control: *mut c_void,
) -> c_int {
    call(|| socket(frontend).map(|()| 0))
}

/// Legacy: a proxy between two sockets (the device type is ignored, as in libzmq).
#[no_mangle]
pub extern "C" fn zmq_device(device_type: c_int, frontend: *mut c_void, backend: *mut c_void) -> c_int {
    zmq_proxy(frontend, backend, std::ptr::null_mut())
}

/// The C `zmq_poller_event_t` (draft; declared by hand in zmq.h's prologue).
#[cfg(zmq_draft)]
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct zmq_poller_event_t {
    pub socket: *mut c_void,
    pub fd: c_int,
    pub user_data: *mut c_void,
    pub events: c_short,
}

/// A poller handle: none can exist yet.
#[cfg(zmq_draft)]
fn poller(handle: *mut c_void) -> Result<()> {
    if handle.is_null() {
        return Err(Errno::EFAULT);
    }
    not_yet()
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_join(s: *mut c_void, group: *const c_char) -> c_int {
    call(|| socket(s).map(|()| 0))
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_leave(s: *mut c_void, group: *const c_char) -> c_int {
    call(|| socket(s).map(|()| 0))
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_connect_peer(s: *mut c_void, endpoint: *const c_char) -> u32 {
    call(|| socket(s).map(|()| 0))
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_socket_get_peer_state(
    s: *mut c_void,
    routing_id: *const c_void,
    routing_id_size: usize,
) -> c_int {
    call(|| socket(s).map(|()| 0))
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_socket_monitor_versioned(
    s: *mut c_void,
    endpoint: *const c_char,
    events: u64,
    event_version: c_int,
    socket_type: c_int,
) -> c_int {
    call(|| socket(s).map(|()| 0))
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_socket_monitor_pipes_stats(s: *mut c_void) -> c_int {
    call(|| socket(s).map(|()| 0))
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_ppoll(
    items: *mut zmq_pollitem_t,
    count: c_int,
    timeout: c_long,
    sigmask: *const libc::sigset_t,
) -> c_int {
    call(not_yet)
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_poller_new() -> *mut c_void {
    call(not_yet)
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_poller_destroy(poller_p: *mut *mut c_void) -> c_int {
    call(|| {
        // SAFETY: poller_p is NULL or points to the caller's poller handle variable.
        let handle = unsafe { poller_p.as_ref() }.copied().ok_or(Errno::EFAULT)?;
        poller(handle).map(|()| 0)
    })
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_poller_size(p: *mut c_void) -> c_int {
    call(|| poller(p).map(|()| 0))
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_poller_add(
    p: *mut c_void,
    s: *mut c_void,
    user_data: *mut c_void,
    events: c_short,
) -> c_int {
    call(|| poller(p).map(|()| 0))
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_poller_modify(p: *mut c_void, s: *mut c_void, events: c_short) -> c_int {
    call(|| poller(p).map(|()| 0))
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_poller_remove(p: *mut c_void, s: *mut c_void) -> c_int {
    call(|| poller(p).map(|()| 0))
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_poller_wait(p: *mut c_void, event: *mut zmq_poller_event_t, timeout: c_long) -> c_int {
    call(|| poller(p).map(|()| 0))
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_poller_wait_all(
    p: *mut c_void,
    events: *mut zmq_poller_event_t,
    n_events: c_int,
    timeout: c_long,
) -> c_int {
    call(|| poller(p).map(|()| 0))
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_poller_fd(p: *mut c_void, fd: *mut c_int) -> c_int {
    call(|| poller(p).map(|()| 0))
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_poller_add_fd(
    p: *mut c_void,
    fd: c_int,
    user_data: *mut c_void,
    events: c_short,
) -> c_int {
    call(|| poller(p).map(|()| 0))
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_poller_modify_fd(p: *mut c_void, fd: c_int, events: c_short) -> c_int {
    call(|| poller(p).map(|()| 0))
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_poller_remove_fd(p: *mut c_void, fd: c_int) -> c_int {
    call(|| poller(p).map(|()| 0))
}
