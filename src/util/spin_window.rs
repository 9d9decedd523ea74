//! An adaptive watch window: how long an I/O thread keeps polling, instead of sleeping, for an
//! answer an application thread waits for. Owns only that length and how it adapts; the
//! polling is the I/O thread's (io/thread.rs), the asking the socket's.
//!
//! Why: a CPU with nothing to run goes idle, and waking a thread on an idle CPU costs far more
//! than the work it wakes for on a virtual machine (the idle vCPU halts and the host must
//! schedule it back: ~10 us per wake-up, most of a loopback round trip). An I/O thread that is
//! still polling when the answer comes pays none of that, and the requester sleeping on the
//! same CPU is woken by a running thread. Polling costs CPU, so the window adapts the way KVM's
//! halt polling does: it opens only after a wait that a window would have cut short, doubles
//! while such waits follow, and halves (to closed) after each wait longer than the largest
//! window. Answers that come within microseconds keep it open; slower ones close it after a few
//! exchanges, so a requester facing a slow server costs what it did without the window.

use std::time::Duration;

/// The first window opened after a short sleep.
const START: Duration = Duration::from_micros(10);
/// The largest window, and the longest sleep a window would still have cut short (an idle
/// loopback tcp round trip with two thread hops each way takes 40-90 us on a VM).
const MAX: Duration = Duration::from_micros(100);

#[derive(Debug, Default)]
pub struct SpinWindow {
    current: Duration,
}

impl SpinWindow {
    /// How long to watch before sleeping (zero: sleep at once).
    pub fn current(&self) -> Duration {
        self.current
    }

    /// A wait that began with the current window ended after `total`: within the window the
    /// answer came while watched; past it, the watch ended and everyone slept the rest.
    pub fn waited(&mut self, total: Duration) {
        let Some(slept) = total.checked_sub(self.current).filter(|slept| !slept.is_zero()) else {
            return;
        };
        self.current = if slept <= MAX {
            (self.current * 2).clamp(START, MAX)
        } else if self.current / 2 >= START {
            self.current / 2
        } else {
            Duration::ZERO
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHORT: Duration = Duration::from_micros(20);
    const LONG: Duration = Duration::from_millis(1);

    /// Waits that each sleep `slept` after watching the whole window.
    fn sleeps(window: &mut SpinWindow, slept: Duration, times: usize) {
        for _ in 0..times {
            window.waited(window.current() + slept);
        }
    }

    #[test]
    fn a_thread_whose_answers_come_late_never_watches() {
        let mut window = SpinWindow::default();
        assert_eq!(window.current(), Duration::ZERO);
        sleeps(&mut window, LONG, 10);
        assert_eq!(window.current(), Duration::ZERO);
    }

    #[test]
    fn short_sleeps_open_the_window_up_to_its_maximum() {
        let mut window = SpinWindow::default();
        sleeps(&mut window, SHORT, 1);
        assert_eq!(window.current(), START);
        sleeps(&mut window, SHORT, 1);
        assert_eq!(window.current(), START * 2);
        sleeps(&mut window, SHORT, 10);
        assert_eq!(window.current(), MAX);
    }

    #[test]
    fn an_answer_caught_watching_keeps_the_window() {
        let mut window = SpinWindow::default();
        sleeps(&mut window, SHORT, 2);
        window.waited(window.current() / 2);
        window.waited(window.current());
        assert_eq!(window.current(), START * 2);
    }

    #[test]
    fn long_sleeps_halve_the_window_until_it_closes() {
        let mut window = SpinWindow::default();
        sleeps(&mut window, SHORT, 10);
        sleeps(&mut window, LONG, 1);
        assert_eq!(window.current(), MAX / 2);
        sleeps(&mut window, LONG, 1);
        assert_eq!(window.current(), MAX / 4);
        sleeps(&mut window, LONG, 1);
        assert_eq!(window.current(), MAX / 8);
        sleeps(&mut window, LONG, 1);
        assert_eq!(window.current(), Duration::ZERO);
    }
}
