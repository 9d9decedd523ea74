//! An adaptive watch window: how long a thread that expects work within microseconds keeps
//! looking for it (polling, yielding the CPU between looks) before it sleeps. Owns only that
//! length and how it adapts; the looking is the caller's: an I/O thread polling for the answer
//! an application thread awaits (io/thread.rs, asked by socket/base.rs), and zmq_poll (poll.rs).
//!
//! Why: a CPU with nothing to run goes idle, and waking a thread on an idle CPU costs far more
//! than the work it wakes for on a virtual machine (the idle vCPU halts and the host must
//! schedule it back: ~10 us per wake-up, most of a loopback round trip); and every sleep makes
//! the thread that brings the work pay a wake-up (an eventfd write) too. A thread still looking
//! when the work comes pays none of that. Looking costs CPU, so the window adapts the way KVM's
//! halt polling does: it opens only after a wait that a window would have cut short, doubles
//! while such waits follow, and halves (to closed) after each wait longer than its maximum.
//! Work that comes within microseconds keeps it open; slower work closes it after a few waits,
//! so a thread with gaps longer than the maximum costs what it did without the window.

use std::time::Duration;

/// The first window opened after a short sleep (or the maximum, if smaller).
const START: Duration = Duration::from_micros(10);

#[derive(Clone, Copy, Debug)]
pub struct SpinWindow {
    current: Duration,
    /// The largest window, and the longest sleep a window would still have cut short.
    max: Duration,
}

impl SpinWindow {
    /// A closed window that may grow up to `max`.
    pub const fn up_to(max: Duration) -> Self {
        Self { current: Duration::ZERO, max }
    }

    /// How long to look before sleeping (zero: sleep at once).
    pub fn current(&self) -> Duration {
        self.current
    }

    /// A wait that began with the current window ended after `total`: within the window the
    /// work came while looked for; past it, the looking ended and the thread slept the rest.
    pub fn waited(&mut self, total: Duration) {
        let Some(slept) = total.checked_sub(self.current).filter(|slept| !slept.is_zero()) else {
            return;
        };
        let start = START.min(self.max);
        self.current = if slept <= self.max {
            (self.current * 2).clamp(start, self.max)
        } else if self.current / 2 >= start {
            self.current / 2
        } else {
            Duration::ZERO
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: Duration = Duration::from_micros(100);
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
        let mut window = SpinWindow::up_to(MAX);
        assert_eq!(window.current(), Duration::ZERO);
        sleeps(&mut window, LONG, 10);
        assert_eq!(window.current(), Duration::ZERO);
    }

    #[test]
    fn short_sleeps_open_the_window_up_to_its_maximum() {
        let mut window = SpinWindow::up_to(MAX);
        sleeps(&mut window, SHORT, 1);
        assert_eq!(window.current(), START);
        sleeps(&mut window, SHORT, 1);
        assert_eq!(window.current(), START * 2);
        sleeps(&mut window, SHORT, 10);
        assert_eq!(window.current(), MAX);
    }

    #[test]
    fn an_answer_caught_watching_keeps_the_window() {
        let mut window = SpinWindow::up_to(MAX);
        sleeps(&mut window, SHORT, 2);
        window.waited(window.current() / 2);
        window.waited(window.current());
        assert_eq!(window.current(), START * 2);
    }

    #[test]
    fn a_small_maximum_opens_at_once_to_it() {
        let mut window = SpinWindow::up_to(Duration::from_micros(5));
        sleeps(&mut window, Duration::from_micros(3), 1);
        assert_eq!(window.current(), Duration::from_micros(5));
        sleeps(&mut window, SHORT, 1);
        assert_eq!(window.current(), Duration::ZERO);
    }

    #[test]
    fn long_sleeps_halve_the_window_until_it_closes() {
        let mut window = SpinWindow::up_to(MAX);
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
