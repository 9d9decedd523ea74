//! Transports: how pipes reach a peer. inproc hands pipe ends between sockets of one context;
//! tcp (and ipc) addresses are parsed here and served by the I/O threads (`io/`).

pub mod inproc;
pub mod ipc;
pub mod tcp;
