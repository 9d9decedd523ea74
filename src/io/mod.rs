//! The I/O side: I/O threads (mio pollers) running listeners and sessions, and the stream
//! abstraction shared by the stream transports.

pub mod read_blocks;
pub mod session;
pub mod stream;
pub mod thread;
pub mod zap;

#[cfg(test)]
mod zap_tests;
