//! The message API (zmq_msg_*): places a [`Msg`] inside the caller's 64-byte `zmq_msg_t`, checks
//! that a message is initialised before touching it (EFAULT otherwise), and wraps user memory from
//! `zmq_msg_init_data` so that its free function runs exactly once, on whichever thread drops the
//! last reference.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::mem::MaybeUninit;
use std::panic::{catch_unwind, AssertUnwindSafe};

use bytes::Bytes;

use super::call;
use crate::constants::{ZMQ_MORE, ZMQ_SHARED, ZMQ_SRCFD};
use crate::error::{Errno, Result};
use crate::msg::Msg;

/// The C message: 64 bytes, pointer-aligned (declared by hand in zmq.h's prologue).
#[repr(C, align(8))]
#[allow(non_camel_case_types)]
pub struct zmq_msg_t {
    bytes: [u8; 64],
}

// Msg must fit inside zmq_msg_t with no stricter alignment.
const _: () = assert!(std::mem::size_of::<Msg>() <= std::mem::size_of::<zmq_msg_t>());
const _: () = assert!(std::mem::align_of::<Msg>() <= std::mem::align_of::<zmq_msg_t>());

/// The signature of `zmq_free_fn` (the typedef itself is in zmq.h's prologue; parameters spell
/// the pointer type out, which C treats as the same type).
type FreeFn = unsafe extern "C" fn(data: *mut c_void, hint: *mut c_void);

/// Writes a fresh message into `ptr`, without reading (or dropping) what was there: the memory
/// may be uninitialised.
pub(crate) fn write_msg(ptr: *mut zmq_msg_t, msg: Msg) -> Result<()> {
    msg_slot(ptr)?.write(msg);
    Ok(())
}

/// The caller's `zmq_msg_t` at `ptr` as room for a message (whatever it held is neither read nor
/// dropped), or EFAULT for NULL.
fn msg_slot<'a>(ptr: *mut zmq_msg_t) -> Result<&'a mut MaybeUninit<Msg>> {
    if ptr.is_null() {
        return Err(Errno::EFAULT);
    }
    // SAFETY: ptr is non-NULL and points to the caller's zmq_msg_t, which is 64 bytes and
    // pointer-aligned, enough for Msg (checked at compile time above); it may be uninitialised,
    // which MaybeUninit allows.
    Ok(unsafe { &mut *ptr.cast::<MaybeUninit<Msg>>() })
}

/// The initialised message at `ptr`, or EFAULT for NULL, closed or never-initialised memory.
pub(crate) fn msg_ref<'a>(ptr: *const zmq_msg_t) -> Result<&'a Msg> {
    check_initialised(ptr)?;
    // SAFETY: check_initialised proved ptr non-NULL and its tag byte that of an open Msg, which
    // only a Msg written through msg_slot puts there.
    Ok(unsafe { &*ptr.cast::<Msg>() })
}

/// Mutable twin of [`msg_ref`].
pub(crate) fn msg_mut<'a>(ptr: *mut zmq_msg_t) -> Result<&'a mut Msg> {
    check_initialised(ptr)?;
    // SAFETY: as in msg_ref; the caller owns the zmq_msg_t exclusively for the call.
    Ok(unsafe { &mut *ptr.cast::<Msg>() })
}

/// Takes the message out of `ptr`, leaving a closed one behind.
pub(crate) fn take_msg(ptr: *mut zmq_msg_t) -> Result<Msg> {
    let msg = msg_mut(ptr)?;
    Ok(std::mem::replace(msg, Msg::closed()))
}

fn check_initialised(ptr: *const zmq_msg_t) -> Result<()> {
    if ptr.is_null() {
        return Err(Errno::EFAULT);
    }
    // SAFETY: ptr is non-NULL and points to a zmq_msg_t, whose first byte is always readable.
    let tag = unsafe { ptr.cast::<u8>().read() };
    if Msg::is_valid_tag(tag) {
        Ok(())
    } else {
        Err(Errno::EFAULT)
    }
}

/// User memory handed over by `zmq_msg_init_data`.
struct UserBuffer {
    data: *mut u8,
    len: usize,
    free: Option<(FreeFn, *mut c_void)>,
}

// SAFETY: the zmq_msg_init_data contract lets the library release the buffer from any thread;
// the buffer itself is plain memory.
unsafe impl Send for UserBuffer {}

impl AsRef<[u8]> for UserBuffer {
    fn as_ref(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: the caller of zmq_msg_init_data guarantees data..data+len stays valid until the
        // free function runs, which is only in drop below.
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }
}

impl Drop for UserBuffer {
    fn drop(&mut self) {
        if let Some((free, hint)) = self.free {
            // A panic must not unwind out of the C callback's caller chain into Bytes' drop.
            // SAFETY: free and hint come from the user, who asked for exactly this call.
            let _ = catch_unwind(AssertUnwindSafe(|| unsafe { free(self.data.cast(), hint) }));
        }
    }
}

/// A message over memory the caller keeps valid and unchanged and never asks back
/// (`zmq_send_const`, `zmq_msg_init_data` without a free function): reported as shared.
pub(crate) fn borrowed_msg(data: *mut c_void, len: usize) -> Msg {
    Msg::from_borrowed(Bytes::from_owner(UserBuffer { data: data.cast(), len, free: None }))
}

#[no_mangle]
pub extern "C" fn zmq_msg_init(msg: *mut zmq_msg_t) -> c_int {
    call(|| write_msg(msg, Msg::new()).map(|()| 0))
}

#[no_mangle]
pub extern "C" fn zmq_msg_init_size(msg: *mut zmq_msg_t, size: usize) -> c_int {
    call(|| Msg::fill_in_place(msg_slot(msg)?, size).map(|()| 0))
}

/// A message over the caller's memory. With a free function the library calls it once the last
/// copy is closed; without one the memory is constant and never released.
#[no_mangle]
pub extern "C" fn zmq_msg_init_data(
    msg: *mut zmq_msg_t,
    data: *mut c_void,
    size: usize,
    ffn: Option<unsafe extern "C" fn(data: *mut c_void, hint: *mut c_void)>,
    hint: *mut c_void,
) -> c_int {
    call(|| {
        if data.is_null() && size != 0 {
            return Err(Errno::EFAULT);
        }
        let body = match ffn {
            Some(free) => Msg::from_bytes(Bytes::from_owner(UserBuffer {
                data: data.cast(),
                len: size,
                free: Some((free, hint)),
            })),
            None => borrowed_msg(data, size),
        };
        write_msg(msg, body).map(|()| 0)
    })
}

/// A message holding a copy of `size` bytes at `buf` (draft API).
#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_msg_init_buffer(msg: *mut zmq_msg_t, buf: *const c_void, size: usize) -> c_int {
    call(|| {
        let data: &[u8] = match (buf.is_null(), size) {
            (_, 0) => &[],
            (true, _) => return Err(Errno::EFAULT),
            // SAFETY: the caller passes size readable bytes at buf.
            (false, _) => unsafe { std::slice::from_raw_parts(buf.cast(), size) },
        };
        write_msg(msg, Msg::from_slice(data)?).map(|()| 0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_msg_close(msg: *mut zmq_msg_t) -> c_int {
    call(|| take_msg(msg).map(|_| 0))
}

/// Moves `src` into `dest` (closing what `dest` held); `src` becomes an empty message.
#[no_mangle]
pub extern "C" fn zmq_msg_move(dest: *mut zmq_msg_t, src: *mut zmq_msg_t) -> c_int {
    call(|| {
        if dest == src {
            return msg_ref(src).map(|_| 0);
        }
        let source = msg_mut(src)?;
        let destination = msg_mut(dest)?;
        *destination = std::mem::take(source);
        Ok(0)
    })
}

/// Makes `dest` a copy of `src`; large bodies are shared rather than duplicated.
#[no_mangle]
pub extern "C" fn zmq_msg_copy(dest: *mut zmq_msg_t, src: *mut zmq_msg_t) -> c_int {
    call(|| {
        let copy = msg_mut(src)?.share()?;
        *msg_mut(dest)? = copy;
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_msg_data(msg: *mut zmq_msg_t) -> *mut c_void {
    call(|| Ok(msg_mut(msg)?.data_ptr().cast()))
}

#[no_mangle]
pub extern "C" fn zmq_msg_size(msg: *const zmq_msg_t) -> usize {
    call(|| Ok(msg_ref(msg)?.size()))
}

#[no_mangle]
pub extern "C" fn zmq_msg_more(msg: *const zmq_msg_t) -> c_int {
    call(|| Ok(msg_ref(msg)?.more() as c_int))
}

#[no_mangle]
pub extern "C" fn zmq_msg_get(msg: *const zmq_msg_t, property: c_int) -> c_int {
    call(|| {
        let msg = msg_ref(msg)?;
        match property {
            ZMQ_MORE => Ok(msg.more() as c_int),
            ZMQ_SRCFD => msg.source_fd(),
            ZMQ_SHARED => Ok(msg.is_shared() as c_int),
            _ => Err(Errno::EINVAL),
        }
    })
}

/// No message property is settable (as in libzmq): always EINVAL for an open message.
#[no_mangle]
pub extern "C" fn zmq_msg_set(msg: *mut zmq_msg_t, property: c_int, value: c_int) -> c_int {
    let _ = (property, value);
    call(|| msg_ref(msg).and(Err(Errno::EINVAL)))
}

/// A metadata property of the connection the message came from (e.g. "Socket-Type").
#[no_mangle]
pub extern "C" fn zmq_msg_gets(msg: *const zmq_msg_t, property: *const c_char) -> *const c_char {
    call(|| {
        let msg = msg_ref(msg)?;
        if property.is_null() {
            return Err(Errno::EINVAL);
        }
        // SAFETY: a non-NULL property is a NUL-terminated C string by the API's contract.
        let name = unsafe { CStr::from_ptr(property) }.to_str().map_err(|_| Errno::EINVAL)?;
        let value = msg.metadata().and_then(|metadata| metadata.get(name)).ok_or(Errno::EINVAL)?;
        Ok(value.as_ptr())
    })
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_msg_set_routing_id(msg: *mut zmq_msg_t, routing_id: u32) -> c_int {
    call(|| msg_mut(msg)?.set_routing_id(routing_id).map(|()| 0))
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_msg_routing_id(msg: *mut zmq_msg_t) -> u32 {
    call(|| Ok(msg_ref(msg)?.routing_id()))
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_msg_set_group(msg: *mut zmq_msg_t, group: *const c_char) -> c_int {
    call(|| {
        let msg = msg_mut(msg)?;
        if group.is_null() {
            return Err(Errno::EINVAL);
        }
        // SAFETY: a non-NULL group is a NUL-terminated C string by the API's contract.
        msg.set_group(unsafe { CStr::from_ptr(group) });
        Ok(0)
    })
}

#[cfg(zmq_draft)]
#[no_mangle]
pub extern "C" fn zmq_msg_group(msg: *mut zmq_msg_t) -> *const c_char {
    call(|| Ok(msg_ref(msg)?.group().as_ptr()))
}
