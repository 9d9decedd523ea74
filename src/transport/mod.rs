//! Transports: how pipes reach a peer. inproc hands pipe ends between sockets of one context;
//! tcp (and ipc) addresses are parsed here and served by the I/O threads (`io/`); udp (draft
//! RADIO/DISH/DGRAM) is pumped by a thread per endpoint.

pub mod inproc;
pub mod ipc;
pub mod socks;
pub mod tcp;
pub mod udp;
