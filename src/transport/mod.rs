//! Transports: how pipes reach a peer. inproc hands pipe ends between sockets of one context.

pub mod inproc;
