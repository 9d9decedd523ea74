//! libzmq-rs: ZeroMQ's core library in Rust, built as a C-ABI drop-in replacement for libzmq 4.3.5.
//!
//! `capi` is the only module that speaks C; everything below it is the safe core. See
//! ARCHITECTURE.md for how the pieces fit.

pub mod capabilities;
mod capi;
pub mod command;
pub mod constants;
pub mod ctx;
pub mod curve_keys;
pub mod error;
pub mod io;
pub mod mailbox;
pub mod msg;
pub mod pipe;
pub mod poll;
pub mod poller;
pub mod proxy;
pub mod socket;
pub mod sys;
pub mod transport;
pub mod util;
pub mod ypipe;
pub mod zmtp;

#[cfg(test)]
mod header_tests {
    /// The committed include/zmq.h must be what build.rs generates now; `make header` refreshes it.
    #[test]
    fn header_is_current() {
        let generated = include_str!(concat!(env!("OUT_DIR"), "/zmq.h"));
        let committed = include_str!("../include/zmq.h");
        assert!(generated == committed, "include/zmq.h is stale: run `make header` and commit it");
    }
}
