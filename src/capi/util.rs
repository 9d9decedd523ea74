//! C entry points of libzmq's utility API: Z85 text (`zmq_z85_*`), CURVE keys (`zmq_curve_*`),
//! atomic counters, the stopwatch, `zmq_sleep` and application threads. Each function checks its
//! pointers and hands slices to the safe core (`util`, `curve_keys`); none of the encoding, key or
//! timing logic lives here.

use std::ffi::{c_char, c_int, c_ulong, c_void, CStr};
use std::slice;
use std::sync::atomic::{AtomicI32, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use super::{call, non_null};
use crate::capabilities;
use crate::curve_keys;
use crate::error::{Errno, Result};
use crate::util::stopwatch::Stopwatch;
use crate::util::z85;

/// The body of a thread started by `zmq_threadstart`. zmq.h declares it by hand as the function
/// type `void (zmq_thread_fn) (void *)`; this alias makes the generated prototype read
/// `zmq_thread_fn func`, which C adjusts to libzmq's `zmq_thread_fn *func`. It is an `Option`
/// because C may pass NULL, which a bare Rust fn pointer cannot hold.
#[allow(non_camel_case_types)]
pub type zmq_thread_fn = Option<unsafe extern "C" fn(arg: *mut c_void)>;

/// Encodes `size` bytes at `data` as Z85 into `dest`, which must hold `size * 5 / 4 + 1` bytes
/// (the text and its NUL). Returns `dest`, or NULL with EINVAL when `size` is not a multiple of 4.
#[no_mangle]
pub extern "C" fn zmq_z85_encode(dest: *mut c_char, data: *const u8, size: usize) -> *mut c_char {
    call(|| {
        // The size is checked first: libzmq reports EINVAL for a bad size whatever the pointers.
        let text_len = z85::encoded_len(size)?;
        if dest.is_null() || (data.is_null() && size > 0) {
            return Err(Errno::EFAULT);
        }
        let data: &[u8] = if size == 0 {
            &[]
        } else {
            // SAFETY: by the API's contract `data` points to `size` readable bytes.
            unsafe { slice::from_raw_parts(data, size) }
        };
        // SAFETY: by the API's contract `dest` has room for the text and its NUL, and does not
        // overlap `data`.
        let out = unsafe { slice::from_raw_parts_mut(dest.cast::<u8>(), text_len + 1) };
        z85::encode_into(data, &mut out[..text_len])?;
        out[text_len] = 0;
        Ok(dest)
    })
}

/// Decodes the NUL-terminated Z85 `string` into `dest`, which must hold `strlen(string) * 4 / 5`
/// bytes. Returns `dest`, or NULL with EINVAL when the length is not a multiple of 5 or the text
/// is not valid Z85.
#[no_mangle]
pub extern "C" fn zmq_z85_decode(dest: *mut u8, string: *const c_char) -> *mut u8 {
    call(|| {
        if string.is_null() {
            return Err(Errno::EFAULT);
        }
        // SAFETY: a non-NULL `string` is NUL-terminated by the API's contract.
        let text = unsafe { CStr::from_ptr(string) }.to_bytes();
        let data_len = z85::decoded_len(text.len())?;
        if dest.is_null() {
            return Err(Errno::EFAULT);
        }
        // SAFETY: by the API's contract `dest` has room for the decoded bytes and does not
        // overlap `string`.
        let out = unsafe { slice::from_raw_parts_mut(dest, data_len) };
        z85::decode_into(text, out)?;
        Ok(dest)
    })
}

/// Copies a 40-character Z85 key and a terminating NUL to `dest`.
///
/// # Safety
/// `dest` must be non-NULL and have room for 41 bytes.
unsafe fn write_key(dest: *mut c_char, key: &[u8; curve_keys::Z85_KEY_LEN]) {
    // SAFETY: guaranteed by the caller.
    let out = unsafe { slice::from_raw_parts_mut(dest.cast::<u8>(), key.len() + 1) };
    out[..key.len()].copy_from_slice(key);
    out[key.len()] = 0;
}

/// Errors unless this build offers CURVE: libzmq's key functions fail with ENOTSUP without it.
fn require_curve() -> Result<()> {
    if capabilities::has("curve") {
        Ok(())
    } else {
        Err(Errno::ENOTSUP)
    }
}

/// Writes a new key pair as two 40-character Z85 strings (41 bytes each with the NUL).
/// ENOTSUP while this build does not offer CURVE.
#[no_mangle]
pub extern "C" fn zmq_curve_keypair(z85_public_key: *mut c_char, z85_secret_key: *mut c_char) -> c_int {
    call(|| {
        require_curve()?;
        if z85_public_key.is_null() || z85_secret_key.is_null() {
            return Err(Errno::EFAULT);
        }
        let pair = curve_keys::generate_keypair()?;
        // SAFETY: both buffers are non-NULL and hold 41 bytes by the API's contract.
        unsafe {
            write_key(z85_public_key, &pair.public);
            write_key(z85_secret_key, &pair.secret);
        }
        Ok(0)
    })
}

/// Writes the Z85 public key belonging to the Z85 secret key `z85_secret_key`. EINVAL (output
/// untouched) unless the secret is exactly 40 valid Z85 characters; ENOTSUP while this build does
/// not offer CURVE.
#[no_mangle]
pub extern "C" fn zmq_curve_public(z85_public_key: *mut c_char, z85_secret_key: *const c_char) -> c_int {
    call(|| {
        require_curve()?;
        if z85_public_key.is_null() || z85_secret_key.is_null() {
            return Err(Errno::EFAULT);
        }
        // SAFETY: a non-NULL secret key is a NUL-terminated string by the API's contract.
        let secret = unsafe { CStr::from_ptr(z85_secret_key) }.to_bytes();
        let public = curve_keys::public_from_secret(secret)?;
        // SAFETY: the output is non-NULL and holds 41 bytes by the API's contract.
        unsafe { write_key(z85_public_key, &public) };
        Ok(0)
    })
}

/// The counter behind a handle from `zmq_atomic_counter_new`, or EFAULT for NULL.
///
/// # Safety
/// A non-NULL `counter` must come from `zmq_atomic_counter_new` and not be destroyed yet.
unsafe fn counter_at<'a>(counter: *mut c_void) -> Result<&'a AtomicI32> {
    // SAFETY: guaranteed by the caller; only shared references are ever made, so threads may use
    // the counter concurrently.
    unsafe { non_null(counter.cast_const().cast::<AtomicI32>()) }
}

/// A new thread-safe integer counter, starting at 0.
#[no_mangle]
pub extern "C" fn zmq_atomic_counter_new() -> *mut c_void {
    call(|| Ok(Box::into_raw(Box::new(AtomicI32::new(0))).cast()))
}

/// Sets the counter to `value`. A NULL handle is ignored (errno EFAULT).
#[no_mangle]
pub extern "C" fn zmq_atomic_counter_set(counter: *mut c_void, value: c_int) {
    call(|| {
        // SAFETY: the handle comes from zmq_atomic_counter_new by the API's contract.
        unsafe { counter_at(counter) }?.store(value, Ordering::SeqCst);
        Ok(())
    })
}

/// Adds one and returns the value before the increment; -1 with EFAULT for a NULL handle.
#[no_mangle]
pub extern "C" fn zmq_atomic_counter_inc(counter: *mut c_void) -> c_int {
    // SAFETY: the handle comes from zmq_atomic_counter_new by the API's contract.
    call(|| Ok(unsafe { counter_at(counter) }?.fetch_add(1, Ordering::SeqCst)))
}

/// Subtracts one and returns 1 if the counter is still non-zero, 0 if it reached zero; -1 with
/// EFAULT for a NULL handle.
#[no_mangle]
pub extern "C" fn zmq_atomic_counter_dec(counter: *mut c_void) -> c_int {
    call(|| {
        // SAFETY: the handle comes from zmq_atomic_counter_new by the API's contract.
        let before = unsafe { counter_at(counter) }?.fetch_sub(1, Ordering::SeqCst);
        Ok(c_int::from(before.wrapping_sub(1) != 0))
    })
}

/// The counter's current value; -1 with EFAULT for a NULL handle.
#[no_mangle]
pub extern "C" fn zmq_atomic_counter_value(counter: *mut c_void) -> c_int {
    // SAFETY: the handle comes from zmq_atomic_counter_new by the API's contract.
    call(|| Ok(unsafe { counter_at(counter) }?.load(Ordering::SeqCst)))
}

/// Frees the counter `*counter_p` and sets `*counter_p` to NULL. NULL pointers are ignored.
#[no_mangle]
pub extern "C" fn zmq_atomic_counter_destroy(counter_p: *mut *mut c_void) {
    call(|| {
        // SAFETY: a non-NULL `counter_p` points to a handle variable by the API's contract.
        let Some(slot) = (unsafe { counter_p.as_mut() }) else {
            return Ok(());
        };
        if !slot.is_null() {
            // SAFETY: a non-NULL handle came from Box::into_raw in zmq_atomic_counter_new and is
            // freed only here, after which the caller's variable no longer refers to it.
            drop(unsafe { Box::from_raw(slot.cast::<AtomicI32>()) });
            *slot = std::ptr::null_mut();
        }
        Ok(())
    })
}

/// Starts a stopwatch on the monotonic clock; free it with `zmq_stopwatch_stop`.
#[no_mangle]
pub extern "C" fn zmq_stopwatch_start() -> *mut c_void {
    call(|| Ok(Box::into_raw(Box::new(Stopwatch::start())).cast()))
}

/// Microseconds since the stopwatch started; it keeps running. 0 with EFAULT for NULL.
#[no_mangle]
pub extern "C" fn zmq_stopwatch_intermediate(watch: *mut c_void) -> c_ulong {
    call(|| {
        // SAFETY: a non-NULL watch comes from zmq_stopwatch_start and is not stopped yet.
        let watch = unsafe { non_null(watch.cast_const().cast::<Stopwatch>()) }?;
        // Where unsigned long is 32 bits this wraps after ~71 minutes, as it does in libzmq.
        Ok(watch.elapsed_us() as c_ulong)
    })
}

/// Microseconds since the stopwatch started; the stopwatch is freed. 0 with EFAULT for NULL.
#[no_mangle]
pub extern "C" fn zmq_stopwatch_stop(watch: *mut c_void) -> c_ulong {
    call(|| {
        if watch.is_null() {
            return Err(Errno::EFAULT);
        }
        // SAFETY: a non-NULL watch came from Box::into_raw in zmq_stopwatch_start and the caller
        // gives it up here.
        let watch = unsafe { Box::from_raw(watch.cast::<Stopwatch>()) };
        Ok(watch.elapsed_us() as c_ulong)
    })
}

/// Sleeps for `seconds` seconds; zero or negative returns at once.
#[no_mangle]
pub extern "C" fn zmq_sleep(seconds: c_int) {
    call(|| {
        if let Ok(seconds) = u64::try_from(seconds) {
            std::thread::sleep(Duration::from_secs(seconds));
        }
        Ok(())
    })
}

/// The user's thread argument, moved into the new thread.
struct ThreadArg(*mut c_void);

// SAFETY: the pointer is only handed back to the user's function, which by zmq_threadstart's
// contract may use it from the new thread.
unsafe impl Send for ThreadArg {}

impl ThreadArg {
    /// Taking the argument by method makes the thread closure capture the whole (Send) wrapper.
    fn into_inner(self) -> *mut c_void {
        self.0
    }
}

/// Runs `func(arg)` in a new thread (named "ZMQapp", signals blocked, like libzmq's) and returns
/// a handle for `zmq_threadclose`. NULL with EFAULT when `func` is NULL, or with the system's
/// error (EAGAIN) when no thread can be started.
#[no_mangle]
pub extern "C" fn zmq_threadstart(func: zmq_thread_fn, arg: *mut c_void) -> *mut c_void {
    call(|| {
        let func = func.ok_or(Errno::EFAULT)?;
        let arg = ThreadArg(arg);
        let thread = std::thread::Builder::new()
            .name("ZMQapp".into())
            .spawn(move || {
                let arg = arg.into_inner();
                crate::sys::block_all_signals();
                // SAFETY: `func` is a valid thread function by the API's contract, and `arg` is
                // the value the caller gave for it.
                unsafe { func(arg) }
            })
            .map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EAGAIN)))?;
        Ok(Box::into_raw(Box::new(thread)).cast())
    })
}

/// Waits for a thread from `zmq_threadstart` to finish and frees its handle. NULL is ignored
/// (errno EFAULT).
#[no_mangle]
pub extern "C" fn zmq_threadclose(thread: *mut c_void) {
    call(|| {
        if thread.is_null() {
            return Err(Errno::EFAULT);
        }
        // SAFETY: a non-NULL handle came from Box::into_raw in zmq_threadstart and the caller
        // gives it up here.
        let thread = unsafe { Box::from_raw(thread.cast::<JoinHandle<()>>()) };
        // The thread body is C code and cannot unwind into us; a failed join has nothing to report.
        let _ = thread.join();
        Ok(())
    })
}
