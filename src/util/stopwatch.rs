//! The stopwatch behind `zmq_stopwatch_*`: elapsed microseconds on the monotonic clock, so wall
//! clock adjustments never make it jump. It owns no C handle; `capi/util.rs` boxes it.

use std::time::Instant;

/// A running stopwatch.
#[derive(Clone, Copy, Debug)]
pub struct Stopwatch {
    started: Instant,
}

impl Stopwatch {
    /// Starts timing now.
    pub fn start() -> Self {
        Stopwatch { started: Instant::now() }
    }

    /// Microseconds since [`Stopwatch::start`], saturating rather than wrapping after ~584k years.
    pub fn elapsed_us(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn elapsed_covers_a_sleep() {
        let watch = Stopwatch::start();
        std::thread::sleep(Duration::from_millis(5));
        assert!(watch.elapsed_us() >= 5_000);
    }

    #[test]
    fn elapsed_never_goes_backwards() {
        let watch = Stopwatch::start();
        let first = watch.elapsed_us();
        assert!(watch.elapsed_us() >= first);
    }
}
