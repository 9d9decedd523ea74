//! The draft socket-level API (poller, groups, peer state, versioned monitor, ppoll) as exported
//! symbols. None of it has landed yet: each call makes libzmq's handle checks and fails with
//! ENOTSUP, and `zmq_has("draft")` stays false until it works.

// Parameters keep their C names for the generated header, though unused until implemented.
#![allow(unused_variables)]

use std::ffi::{c_char, c_int, c_long, c_short, c_void};

use super::call;
use super::sockets::{not_yet, socket, zmq_pollitem_t};
use crate::error::{Errno, Result};

/// The C `zmq_poller_event_t` (draft; declared by hand in zmq.h's prologue).
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct zmq_poller_event_t {
    pub socket: *mut c_void,
    pub fd: c_int,
    pub user_data: *mut c_void,
    pub events: c_short,
}

/// A poller handle: none can exist yet.
fn poller(handle: *mut c_void) -> Result<()> {
    if handle.is_null() {
        return Err(Errno::EFAULT);
    }
    not_yet()
}

#[no_mangle]
pub extern "C" fn zmq_join(s: *mut c_void, group: *const c_char) -> c_int {
    call(|| socket(s).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_leave(s: *mut c_void, group: *const c_char) -> c_int {
    call(|| socket(s).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_connect_peer(s: *mut c_void, endpoint: *const c_char) -> u32 {
    call(|| socket(s).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_socket_get_peer_state(
    s: *mut c_void,
    routing_id: *const c_void,
    routing_id_size: usize,
) -> c_int {
    call(|| socket(s).map(|()| 0))
}

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

#[no_mangle]
pub extern "C" fn zmq_socket_monitor_pipes_stats(s: *mut c_void) -> c_int {
    call(|| socket(s).map(|()| 0))
}

#[cfg(zmq_sigset)]
#[no_mangle]
pub extern "C" fn zmq_ppoll(
    items: *mut zmq_pollitem_t,
    count: c_int,
    timeout: c_long,
    sigmask: *const libc::sigset_t,
) -> c_int {
    call(not_yet)
}

#[no_mangle]
pub extern "C" fn zmq_poller_new() -> *mut c_void {
    call(not_yet)
}

#[no_mangle]
pub extern "C" fn zmq_poller_destroy(poller_p: *mut *mut c_void) -> c_int {
    call(|| {
        // SAFETY: poller_p is NULL or points to the caller's poller handle variable.
        let handle = unsafe { poller_p.as_ref() }.copied().ok_or(Errno::EFAULT)?;
        poller(handle).map(|()| 0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_poller_size(p: *mut c_void) -> c_int {
    call(|| poller(p).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_poller_add(
    p: *mut c_void,
    s: *mut c_void,
    user_data: *mut c_void,
    events: c_short,
) -> c_int {
    call(|| poller(p).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_poller_modify(p: *mut c_void, s: *mut c_void, events: c_short) -> c_int {
    call(|| poller(p).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_poller_remove(p: *mut c_void, s: *mut c_void) -> c_int {
    call(|| poller(p).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_poller_wait(p: *mut c_void, event: *mut zmq_poller_event_t, timeout: c_long) -> c_int {
    call(|| poller(p).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_poller_wait_all(
    p: *mut c_void,
    events: *mut zmq_poller_event_t,
    n_events: c_int,
    timeout: c_long,
) -> c_int {
    call(|| poller(p).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_poller_fd(p: *mut c_void, fd: *mut c_int) -> c_int {
    call(|| poller(p).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_poller_add_fd(
    p: *mut c_void,
    fd: c_int,
    user_data: *mut c_void,
    events: c_short,
) -> c_int {
    call(|| poller(p).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_poller_modify_fd(p: *mut c_void, fd: c_int, events: c_short) -> c_int {
    call(|| poller(p).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_poller_remove_fd(p: *mut c_void, fd: c_int) -> c_int {
    call(|| poller(p).map(|()| 0))
}
