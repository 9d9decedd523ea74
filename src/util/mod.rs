//! Small self-contained helpers behind libzmq's utility API: Z85 text encoding, the stopwatch and
//! the timer set, and the non-cryptographic random numbers libzmq's behaviour needs. Safe Rust only; the C entry points that expose them live in `capi/`.

pub mod random;
pub mod spin_window;
pub mod stopwatch;
pub mod timers;
pub mod z85;
