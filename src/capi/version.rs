//! Library identity and errors: zmq_version, zmq_errno, zmq_strerror, zmq_has.

use std::ffi::{c_char, c_int, CStr};

use super::{call, errno};
use crate::capabilities;
use crate::error::zmq_error_text;

/// Reports the libzmq API version this library implements (4.3.5). NULL pointers are skipped.
#[no_mangle]
pub extern "C" fn zmq_version(major: *mut c_int, minor: *mut c_int, patch: *mut c_int) {
    call(|| {
        for (ptr, value) in [(major, 4), (minor, 3), (patch, 5)] {
            // SAFETY: the caller passes NULL or a pointer to a writable int.
            if let Some(slot) = unsafe { ptr.as_mut() } {
                *slot = value;
            }
        }
        Ok(())
    })
}

/// The calling thread's errno, as the library last set it.
#[no_mangle]
pub extern "C" fn zmq_errno() -> c_int {
    errno()
}

/// A human-readable text for `errnum`: libzmq's wording for ZeroMQ's own errors, the C library's
/// for the rest.
#[no_mangle]
pub extern "C" fn zmq_strerror(errnum: c_int) -> *const c_char {
    call(|| {
        Ok(match zmq_error_text(errnum) {
            Some(text) => text.as_ptr(),
            // SAFETY: strerror returns a pointer to a NUL-terminated string owned by the C library.
            None => unsafe { libc::strerror(errnum) },
        })
    })
}

/// 1 when this build provides `capability` ("ipc", "curve", "draft", ...), 0 otherwise.
#[no_mangle]
pub extern "C" fn zmq_has(capability: *const c_char) -> c_int {
    call(|| {
        if capability.is_null() {
            return Ok(0);
        }
        // SAFETY: a non-NULL capability is a NUL-terminated C string by the API's contract.
        let name = unsafe { CStr::from_ptr(capability) };
        Ok(name.to_str().is_ok_and(capabilities::has) as c_int)
    })
}
