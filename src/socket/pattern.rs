//! The contract between the socket base and a socket type. The base owns the pipes, options,
//! blocking and commands; a type decides which pipe a message goes to or comes from, and what a
//! message means (envelopes, state machines). Types are called on the socket's own thread only.

use std::ffi::c_int;

use crate::error::{Errno, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::pipes::Pipes;

/// A send that could not be done: the error, and the message back to the caller, who still owns
/// it (a blocking send retries with it; the C API leaves it in the caller's zmq_msg_t).
pub type SendError = (Errno, Msg);

pub trait Pattern: Send {
    /// A new pipe joined the socket.
    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes);
    /// A pipe created by this socket's own `zmq_connect` joined. Types that give such pipes the
    /// ZMQ_CONNECT_ROUTING_ID override this.
    fn attach_connected(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.attach(pipe, pipes);
    }
    /// `pipe` (just attached) cannot say what it wants, as a udp:// endpoint cannot: types that
    /// filter per peer (RADIO) send it everything, as libzmq's `subscribe_to_all` attach does.
    fn subscribe_to_all(&mut self, _pipe: PipeId) {}
    /// A pipe is gone (closed by the peer, drained, or removed by the socket).
    fn terminated(&mut self, pipe: PipeId);
    /// A pipe that had nothing to read has data again.
    fn read_activated(&mut self, pipe: PipeId);
    /// A pipe that was full has room again.
    fn write_activated(&mut self, pipe: PipeId);

    fn send(&mut self, msg: Msg, pipes: &mut Pipes) -> std::result::Result<(), SendError>;
    /// [`Pattern::send`] from where the frame lies (the caller's `zmq_msg_t`): on success `msg`
    /// is left empty, on failure as it was. The base sends through this; types on the fast path
    /// override it so the frame is moved once, into its pipe, not through a temporary.
    fn send_from(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        self.send(std::mem::take(msg), pipes).map_err(|(errno, returned)| {
            *msg = returned;
            errno
        })
    }
    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg>;
    /// [`Pattern::recv`] into `out`, releasing what it held (left alone on failure). The base
    /// receives through this, straight into the caller's message; types on the fast path
    /// override it to avoid moving the frame through return values.
    fn recv_into(&mut self, out: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        *out = self.recv(pipes)?;
        Ok(())
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool;
    fn has_out(&mut self, pipes: &mut Pipes) -> bool;

    /// A type-specific option: `Ok(false)` when the type does not know it.
    fn set_option(&mut self, _option: c_int, _value: &[u8]) -> Result<bool> {
        Ok(false)
    }
    /// [`Pattern::set_option`] for options that act on the pipes at once: SUB's ZMQ_SUBSCRIBE
    /// sends the subscription to every publisher before setsockopt returns (a later send by the
    /// publisher must already be filtered by it). The base calls this one; by default it is
    /// `set_option`.
    fn set_option_with_pipes(&mut self, option: c_int, value: &[u8], _pipes: &mut Pipes) -> Result<bool> {
        self.set_option(option, value)
    }
    /// ZMQ_DISCONNECT_MSG: the peer on `pipe` went away; types that deliver a disconnect message
    /// (SERVER, PEER) queue `msg` as that peer's last message. Others drop it. Called before
    /// `terminated`.
    fn disconnected(&mut self, _pipe: PipeId, _msg: Msg) {}
    /// zmq_join (DISH): ENOTSUP for other types, as in libzmq.
    fn join(&mut self, _group: &[u8], _pipes: &mut Pipes) -> Result<()> {
        Err(Errno::ENOTSUP)
    }
    /// zmq_leave (DISH): ENOTSUP for other types.
    fn leave(&mut self, _group: &[u8], _pipes: &mut Pipes) -> Result<()> {
        Err(Errno::ENOTSUP)
    }
    /// zmq_socket_get_peer_state (ROUTER): ENOTSUP for other types.
    fn peer_state(&mut self, _routing_id: &[u8], _pipes: &mut Pipes) -> Result<c_int> {
        Err(Errno::ENOTSUP)
    }
    /// The 32-bit routing id a SERVER/PEER gave `pipe` (zmq_connect_peer); `None` elsewhere.
    fn peer_routing_id(&self, _pipe: PipeId) -> Option<u32> {
        None
    }
    /// A type-specific option into `out`: `Ok(None)` when the type does not know it.
    fn get_option(&self, _option: c_int, _out: &mut [u8]) -> Result<Option<usize>> {
        Ok(None)
    }
}

/// For types that cannot send (PULL, SUB): ENOTSUP, message returned.
pub fn cannot_send(msg: Msg) -> std::result::Result<(), SendError> {
    Err((Errno::ENOTSUP, msg))
}

/// For types that cannot receive (PUSH, PUB).
pub fn cannot_recv() -> Result<Msg> {
    Err(Errno::ENOTSUP)
}

/// Reads an int option value (exactly an int's bytes), as libzmq requires.
pub fn int_value(value: &[u8]) -> Result<c_int> {
    Ok(c_int::from_ne_bytes(value.try_into().map_err(|_| Errno::EINVAL)?))
}

/// Writes an int option value into the caller's buffer, zeroing any bytes beyond it (libzmq's
/// rule for socket-state options); EINVAL when the buffer is too small.
pub fn put_int(out: &mut [u8], value: c_int) -> Result<Option<usize>> {
    let size = std::mem::size_of::<c_int>();
    if out.len() < size {
        return Err(Errno::EINVAL);
    }
    let (head, rest) = out.split_at_mut(size);
    head.copy_from_slice(&value.to_ne_bytes());
    rest.fill(0);
    Ok(Some(size))
}
