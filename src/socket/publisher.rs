//! PUB: an XPUB that cannot receive. Subscriptions from its subscribers are applied and then
//! dropped; it takes the XPUB options (ZMQ_XPUB_NODROP, ...) as libzmq's PUB does.

use std::ffi::c_int;

use crate::error::Result;
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::socket::pattern::{cannot_recv, Pattern, SendError};
use crate::socket::pipes::Pipes;
use crate::socket::xpub::Xpub;

pub struct Pub {
    xpub: Xpub,
}

impl Default for Pub {
    fn default() -> Self {
        Self { xpub: Xpub::publisher() }
    }
}

impl Pattern for Pub {
    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.xpub.attach(pipe, pipes);
    }

    fn terminated(&mut self, pipe: PipeId) {
        self.xpub.terminated(pipe);
    }

    fn read_activated(&mut self, pipe: PipeId) {
        self.xpub.read_activated(pipe);
    }

    fn write_activated(&mut self, pipe: PipeId) {
        self.xpub.write_activated(pipe);
    }

    fn send(&mut self, msg: Msg, pipes: &mut Pipes) -> std::result::Result<(), SendError> {
        self.xpub.send(msg, pipes)
    }

    fn recv(&mut self, _pipes: &mut Pipes) -> Result<Msg> {
        cannot_recv()
    }

    fn has_in(&mut self, _pipes: &mut Pipes) -> bool {
        false
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.xpub.has_out(pipes)
    }

    fn set_option(&mut self, option: c_int, value: &[u8]) -> Result<bool> {
        self.xpub.set_option(option, value)
    }

    fn get_option(&self, option: c_int, out: &mut [u8]) -> Result<Option<usize>> {
        self.xpub.get_option(option, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::ZMQ_XPUB_NODROP;
    use crate::error::Errno;
    use crate::socket::router::harness::{parts, Harness};

    fn publisher() -> Harness<Pub> {
        Harness::new()
    }

    #[test]
    fn subscriptions_are_applied() {
        let mut h = publisher();
        let mut a = h.connect(None);
        let mut b = h.connect(None);
        a.send(&[b"\x01A"]);
        b.send(&[b"\x01B"]);
        h.send(&[b"A1"]).unwrap();
        assert_eq!(a.recv(), Some(parts(&[b"A1"])));
        assert_eq!(b.recv(), None);
    }

    #[test]
    fn pub_cannot_receive_even_subscriptions() {
        let mut h = publisher();
        let mut peer = h.connect(None);
        peer.send(&[b"\x01A"]);
        peer.send(&[b"plain"]);
        assert!(!h.has_in());
        assert_eq!(h.recv_frame().map(|_| ()), Err(Errno::ENOTSUP));
    }

    #[test]
    fn pub_is_always_writable() {
        let mut h = publisher();
        assert!(h.has_out());
        h.send(&[b"nobody listens"]).unwrap();
    }

    #[test]
    fn pub_takes_xpub_options() {
        let mut h = publisher();
        h.option(ZMQ_XPUB_NODROP, 1);
    }
}
