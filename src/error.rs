//! Error numbers as libzmq reports them: POSIX errnos plus ZeroMQ's own (EFSM, ENOCOMPATPROTO,
//! ETERM, EMTHREAD), and the texts `zmq_strerror` gives for them. Core code returns
//! `Result<T, Errno>`; only `capi/` turns an `Errno` into `-1` and the C `errno`.

use std::ffi::CStr;

/// An errno value, as the C caller will read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub i32);

pub type Result<T> = std::result::Result<T, Errno>;

/// Base of ZeroMQ's own error numbers (`ZMQ_HAUSNUMERO` in zmq.h).
const HAUSNUMERO: i32 = 156_384_712;

impl Errno {
    pub const EINVAL: Errno = Errno(libc::EINVAL);
    pub const EFAULT: Errno = Errno(libc::EFAULT);
    pub const ENOMEM: Errno = Errno(libc::ENOMEM);
    pub const EAGAIN: Errno = Errno(libc::EAGAIN);
    pub const EINTR: Errno = Errno(libc::EINTR);
    pub const EMFILE: Errno = Errno(libc::EMFILE);
    pub const ENOTSUP: Errno = Errno(libc::ENOTSUP);
    pub const ENOTSOCK: Errno = Errno(libc::ENOTSOCK);
    pub const EFSM: Errno = Errno(HAUSNUMERO + 51);
    pub const ENOCOMPATPROTO: Errno = Errno(HAUSNUMERO + 52);
    pub const ETERM: Errno = Errno(HAUSNUMERO + 53);
    pub const EMTHREAD: Errno = Errno(HAUSNUMERO + 54);
}

/// The text `zmq_strerror` returns where it differs from the C library's `strerror`: ZeroMQ's own
/// errors, and EHOSTUNREACH, which libzmq words its own way. `None` means "ask strerror".
pub fn zmq_error_text(errnum: i32) -> Option<&'static CStr> {
    let text: &'static CStr = match errnum {
        e if e == Errno::EFSM.0 => c"Operation cannot be accomplished in current state",
        e if e == Errno::ENOCOMPATPROTO.0 => c"The protocol is not compatible with the socket type",
        e if e == Errno::ETERM.0 => c"Context was terminated",
        e if e == Errno::EMTHREAD.0 => c"No thread available",
        libc::EHOSTUNREACH => c"Host unreachable",
        _ => return None,
    };
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zmq_specific_errors_have_libzmq_texts() {
        assert_eq!(zmq_error_text(Errno::ETERM.0).unwrap().to_str().unwrap(), "Context was terminated");
        assert_eq!(
            zmq_error_text(Errno::EFSM.0).unwrap().to_str().unwrap(),
            "Operation cannot be accomplished in current state"
        );
    }

    #[test]
    fn posix_errors_are_left_to_strerror() {
        assert!(zmq_error_text(libc::EINVAL).is_none());
    }
}
