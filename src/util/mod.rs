//! Small self-contained helpers behind libzmq's utility API: Z85 text encoding, the stopwatch and
//! the timer set. Safe Rust only; the C entry points that expose them live in `capi/`.

pub mod stopwatch;
pub mod timers;
pub mod z85;
