//! C entry points of the timers API (`zmq_timers_*`): a boxed [`Timers`] set of C callbacks behind
//! an opaque handle. Only handle checking and argument conversion live here; scheduling is in
//! `util::timers`. Handlers are called with no lock held, so they may call back into these
//! functions for the same handle (except to destroy it, which libzmq leaves undefined too).

use std::ffi::{c_int, c_long, c_void};
use std::sync::atomic::{AtomicU32, Ordering};

use parking_lot::Mutex;

use super::{call, non_null_mut};
use crate::error::{Errno, Result};
use crate::util::timers::{self, monotonic_ms, Timers};

/// A timer callback. zmq.h declares it by hand as the function type
/// `void (zmq_timer_fn) (int timer_id, void *arg)`; this alias makes the generated prototype read
/// `zmq_timer_fn handler` as libzmq's does. It is an `Option` because C may pass NULL.
#[allow(non_camel_case_types)]
pub type zmq_timer_fn = Option<unsafe extern "C" fn(timer_id: c_int, arg: *mut c_void)>;

/// Marks a live handle. Anything else at the start of the pointed-to memory (a NULL `void *`,
/// another object, a destroyed set) is refused with EFAULT instead of being used.
const LIVE_TAG: u32 = 0x7A71_3E75;

/// A C callback and the argument it was registered with.
#[derive(Clone, Copy)]
struct Handler {
    func: unsafe extern "C" fn(c_int, *mut c_void),
    arg: *mut c_void,
}

/// What a `zmq_timers_new` handle points to. `repr(C)` keeps the tag at offset 0, where
/// [`handle_at`] looks for it before trusting the rest.
#[repr(C)]
struct TimersHandle {
    tag: AtomicU32,
    timers: Mutex<Timers<Handler>>,
}

/// The set behind `ptr`, or EFAULT when `ptr` is NULL or not a live handle.
///
/// # Safety
/// A non-NULL `ptr` must point to at least 4 readable bytes, and if they hold [`LIVE_TAG`] it must
/// be a handle from `zmq_timers_new` that is not destroyed.
unsafe fn handle_at<'a>(ptr: *mut c_void) -> Result<&'a TimersHandle> {
    if ptr.is_null() {
        return Err(Errno::EFAULT);
    }
    // SAFETY: the caller guarantees 4 readable bytes; callers of libzmq pass things such as the
    // address of their `void *` variable, so no alignment is assumed.
    let tag = unsafe { ptr.cast::<u32>().read_unaligned() };
    if tag != LIVE_TAG {
        return Err(Errno::EFAULT);
    }
    // SAFETY: the tag marks a live TimersHandle, per the caller's guarantee; only shared
    // references are made, so re-entrant calls from handlers do not alias a `&mut`.
    Ok(unsafe { &*ptr.cast::<TimersHandle>() })
}

/// An interval in milliseconds as the core counts them (`size_t` never exceeds 64 bits).
fn interval_ms(interval: usize) -> u64 {
    u64::try_from(interval).unwrap_or(u64::MAX)
}

/// A new, empty timer set. Always succeeds.
#[no_mangle]
pub extern "C" fn zmq_timers_new() -> *mut c_void {
    call(|| {
        let handle = TimersHandle { tag: AtomicU32::new(LIVE_TAG), timers: Mutex::new(Timers::new()) };
        Ok(Box::into_raw(Box::new(handle)).cast())
    })
}

/// Destroys the set `*timers_p` and sets `*timers_p` to NULL. EFAULT when `timers_p` is NULL or
/// `*timers_p` is not a live set.
#[no_mangle]
pub extern "C" fn zmq_timers_destroy(timers_p: *mut *mut c_void) -> c_int {
    call(|| {
        // SAFETY: a non-NULL `timers_p` points to the caller's handle variable.
        let slot = unsafe { non_null_mut(timers_p) }?;
        // SAFETY: the variable holds NULL or a pointer as handle_at requires.
        let handle = unsafe { handle_at(*slot) }?;
        // Cleared so a stale copy of the pointer is refused for as long as the memory is not
        // reused.
        handle.tag.store(0, Ordering::SeqCst);
        // SAFETY: the handle came from Box::into_raw in zmq_timers_new and its tag was live, so
        // it has not been freed; `handle` is not used after this.
        drop(unsafe { Box::from_raw(slot.cast::<TimersHandle>()) });
        *slot = std::ptr::null_mut();
        Ok(0)
    })
}

/// Adds a timer calling `handler(id, arg)` every `interval` milliseconds; returns its id (> 0).
/// EFAULT for an invalid set or a NULL handler.
#[no_mangle]
pub extern "C" fn zmq_timers_add(
    timers: *mut c_void,
    interval: usize,
    handler: zmq_timer_fn,
    arg: *mut c_void,
) -> c_int {
    call(|| {
        // SAFETY: the handle is NULL or as handle_at requires, by the API's contract.
        let handle = unsafe { handle_at(timers) }?;
        let func = handler.ok_or(Errno::EFAULT)?;
        Ok(handle.timers.lock().add(interval_ms(interval), Handler { func, arg }, monotonic_ms()))
    })
}

/// Cancels timer `timer_id`. EINVAL when it does not exist or is already cancelled.
#[no_mangle]
pub extern "C" fn zmq_timers_cancel(timers: *mut c_void, timer_id: c_int) -> c_int {
    call(|| {
        // SAFETY: the handle is NULL or as handle_at requires, by the API's contract.
        unsafe { handle_at(timers) }?.timers.lock().cancel(timer_id)?;
        Ok(0)
    })
}

/// Sets timer `timer_id` to fire every `interval` milliseconds, the next time `interval` from now.
/// EINVAL for an unknown id.
#[no_mangle]
pub extern "C" fn zmq_timers_set_interval(timers: *mut c_void, timer_id: c_int, interval: usize) -> c_int {
    call(|| {
        // SAFETY: the handle is NULL or as handle_at requires, by the API's contract.
        let handle = unsafe { handle_at(timers) }?;
        handle.timers.lock().set_interval(timer_id, interval_ms(interval), monotonic_ms())?;
        Ok(0)
    })
}

/// Restarts timer `timer_id` so it next fires a full interval from now. EINVAL for an unknown id.
#[no_mangle]
pub extern "C" fn zmq_timers_reset(timers: *mut c_void, timer_id: c_int) -> c_int {
    call(|| {
        // SAFETY: the handle is NULL or as handle_at requires, by the API's contract.
        unsafe { handle_at(timers) }?.timers.lock().reset(timer_id, monotonic_ms())?;
        Ok(0)
    })
}

/// Milliseconds until the next timer is due (0 if one is overdue), or -1 when there are no
/// timers; like libzmq, that -1 leaves errno alone.
#[no_mangle]
pub extern "C" fn zmq_timers_timeout(timers: *mut c_void) -> c_long {
    call(|| {
        // SAFETY: the handle is NULL or as handle_at requires, by the API's contract.
        let next = unsafe { handle_at(timers) }?.timers.lock().timeout(monotonic_ms());
        Ok(next.map_or(-1, |ms| c_long::try_from(ms).unwrap_or(c_long::MAX)))
    })
}

/// Runs the handlers of all due timers, each once, and reschedules them an interval later.
#[no_mangle]
pub extern "C" fn zmq_timers_execute(timers: *mut c_void) -> c_int {
    call(|| {
        // SAFETY: the handle is NULL or as handle_at requires, by the API's contract.
        let handle = unsafe { handle_at(timers) }?;
        timers::execute(&handle.timers, monotonic_ms(), |id, handler| {
            // SAFETY: the handler was registered through zmq_timers_add with this argument and is
            // a valid zmq_timer_fn by that function's contract.
            unsafe { (handler.func)(id, handler.arg) }
        });
        Ok(0)
    })
}
