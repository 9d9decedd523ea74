//! The context API (zmq_ctx_*, and the legacy zmq_init/zmq_term). A context handle is the address
//! of its `Ctx`, registered in a table of live contexts: every call looks the handle up there
//! instead of dereferencing it, so NULL, foreign and already-terminated handles fail with EFAULT
//! rather than crashing, even when another thread terminates the context mid-call.

use std::collections::HashMap;
use std::ffi::{c_int, c_void};
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;

use super::{bytes_arg, call};
use crate::constants::ZMQ_IO_THREADS;
use crate::ctx::Ctx;
use crate::error::{Errno, Result};

fn live_contexts() -> &'static Mutex<HashMap<usize, Arc<Ctx>>> {
    static LIVE: OnceLock<Mutex<HashMap<usize, Arc<Ctx>>>> = OnceLock::new();
    LIVE.get_or_init(Default::default)
}

/// The context behind a C handle, or EFAULT.
pub(crate) fn ctx_from_handle(handle: *mut c_void) -> Result<Arc<Ctx>> {
    live_contexts().lock().get(&(handle as usize)).cloned().ok_or(Errno::EFAULT)
}

fn new_context() -> *mut c_void {
    let ctx = Arc::new(Ctx::new());
    let handle = Arc::as_ptr(&ctx) as *mut c_void;
    live_contexts().lock().insert(handle as usize, ctx);
    handle
}

#[no_mangle]
pub extern "C" fn zmq_ctx_new() -> *mut c_void {
    call(|| Ok(new_context()))
}

/// Terminates the context: blocking calls on its sockets return ETERM, and this call waits until
/// every socket is closed. The handle is invalid from the start of the call.
#[no_mangle]
pub extern "C" fn zmq_ctx_term(context: *mut c_void) -> c_int {
    call(|| {
        let ctx = ctx_from_handle(context)?;
        ctx.shutdown();
        // Interrupted (EINTR), the handle stays valid for the next zmq_ctx_term.
        ctx.wait_for_sockets()?;
        if live_contexts().lock().remove(&(context as usize)).is_none() {
            // Another thread's zmq_ctx_term finished first.
            return Err(Errno::EFAULT);
        }
        ctx.stop_io_threads();
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_ctx_shutdown(context: *mut c_void) -> c_int {
    call(|| {
        ctx_from_handle(context)?.shutdown();
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_ctx_set(context: *mut c_void, option: c_int, value: c_int) -> c_int {
    call(|| ctx_from_handle(context)?.set_option(option, &value.to_ne_bytes()).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_ctx_get(context: *mut c_void, option: c_int) -> c_int {
    call(|| {
        let mut value = [0u8; std::mem::size_of::<c_int>()];
        ctx_from_handle(context)?.get_option(option, &mut value)?;
        Ok(c_int::from_ne_bytes(value))
    })
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_ctx_set_ext(
    context: *mut c_void,
    option: c_int,
    value: *const c_void,
    len: usize,
) -> c_int {
    call(|| {
        let ctx = ctx_from_handle(context)?;
        ctx.set_option(option, bytes_arg(value, len)?).map(|()| 0)
    })
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_ctx_get_ext(
    context: *mut c_void,
    option: c_int,
    value: *mut c_void,
    len: *mut usize,
) -> c_int {
    call(|| {
        let ctx = ctx_from_handle(context)?;
        // SAFETY: len is NULL or points to the caller's buffer size.
        let len = unsafe { len.as_ref() }.copied().ok_or(Errno::EFAULT)?;
        if value.is_null() {
            return Err(Errno::EFAULT);
        }
        // SAFETY: the caller passes a writable buffer of len bytes at value.
        let out = unsafe { std::slice::from_raw_parts_mut(value.cast::<u8>(), len) };
        ctx.get_option(option, out).map(|()| 0)
    })
}

/// Legacy: a context with `io_threads` I/O threads.
#[no_mangle]
pub extern "C" fn zmq_init(io_threads: c_int) -> *mut c_void {
    call(|| {
        if io_threads < 0 {
            return Err(Errno::EINVAL);
        }
        let handle = new_context();
        ctx_from_handle(handle)?.set_option(ZMQ_IO_THREADS, &io_threads.to_ne_bytes())?;
        Ok(handle)
    })
}

/// Legacy name of zmq_ctx_term.
#[no_mangle]
pub extern "C" fn zmq_term(context: *mut c_void) -> c_int {
    zmq_ctx_term(context)
}

/// Legacy name of zmq_ctx_term.
#[no_mangle]
pub extern "C" fn zmq_ctx_destroy(context: *mut c_void) -> c_int {
    zmq_ctx_term(context)
}
