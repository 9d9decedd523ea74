//! The C boundary: every `extern "C"` function of libzmq.so.5 lives under this module, and all
//! FFI `unsafe` with it. A function here checks pointers, converts arguments, calls the safe core
//! and converts the result to libzmq's convention (`-1`/NULL plus `errno`). No ZeroMQ logic here.
//!
//! Every entry point runs its body through [`call`], which catches panics: a bug in this library
//! becomes an error return (EFAULT), never an abort of the host program.

use std::ffi::{c_int, c_long, c_ulong};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Errno, Result};

mod ctx;
#[cfg(zmq_draft)]
mod draft;
mod msg;
mod sockets;
mod timers;
mod util;
mod version;

/// What a C function returns when it fails.
pub(crate) trait Failure {
    fn failure() -> Self;
}

impl Failure for c_int {
    fn failure() -> Self {
        -1
    }
}
impl Failure for c_long {
    fn failure() -> Self {
        -1
    }
}
impl Failure for c_ulong {
    fn failure() -> Self {
        0
    }
}
impl Failure for usize {
    fn failure() -> Self {
        0
    }
}
impl Failure for u32 {
    fn failure() -> Self {
        0
    }
}
impl Failure for () {
    fn failure() -> Self {}
}
impl<T> Failure for *mut T {
    fn failure() -> Self {
        std::ptr::null_mut()
    }
}
impl<T> Failure for *const T {
    fn failure() -> Self {
        std::ptr::null()
    }
}

/// Runs the body of a C entry point: `Ok` passes through, `Err` sets `errno` and returns the
/// failure value, and a panic is caught and reported as EFAULT.
pub(crate) fn call<R: Failure>(body: impl FnOnce() -> Result<R>) -> R {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => value,
        Ok(Err(errno)) => {
            set_errno(errno);
            R::failure()
        }
        Err(_) => {
            set_errno(Errno::EFAULT);
            R::failure()
        }
    }
}

/// Sets the calling thread's C `errno`, which C callers read directly and `zmq_errno` returns.
pub(crate) fn set_errno(errno: Errno) {
    // SAFETY: __errno_location returns the address of this thread's errno, valid for the thread's
    // lifetime.
    unsafe { *libc::__errno_location() = errno.0 };
}

pub(crate) fn errno() -> c_int {
    // SAFETY: as in set_errno.
    unsafe { *libc::__errno_location() }
}

/// Turns a C pointer into a reference, or EFAULT when it is NULL.
///
/// # Safety
/// A non-NULL `ptr` must point to a live, properly aligned `T` that nothing else mutates for `'a`.
pub(crate) unsafe fn non_null<'a, T>(ptr: *const T) -> Result<&'a T> {
    // SAFETY: guaranteed by the caller for non-NULL pointers; NULL is rejected by as_ref.
    unsafe { ptr.as_ref() }.ok_or(Errno::EFAULT)
}

/// Mutable twin of [`non_null`].
///
/// # Safety
/// A non-NULL `ptr` must point to a live, properly aligned `T` with no other reference to it.
pub(crate) unsafe fn non_null_mut<'a, T>(ptr: *mut T) -> Result<&'a mut T> {
    // SAFETY: guaranteed by the caller for non-NULL pointers; NULL is rejected by as_mut.
    unsafe { ptr.as_mut() }.ok_or(Errno::EFAULT)
}

/// Bytes of a C (pointer, length) argument; EFAULT when the pointer is NULL but a length was given.
pub(crate) fn bytes_arg<'a>(value: *const std::ffi::c_void, len: usize) -> Result<&'a [u8]> {
    match (value.is_null(), len) {
        (_, 0) => Ok(&[]),
        (true, _) => Err(Errno::EFAULT),
        // SAFETY: the caller passes len readable bytes at value.
        (false, _) => Ok(unsafe { std::slice::from_raw_parts(value.cast(), len) }),
    }
}
