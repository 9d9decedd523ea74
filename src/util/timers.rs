//! The timer set behind `zmq_timers_*`: repeating timers identified by small integer ids, each
//! firing every `interval` milliseconds once `execute` is called after its deadline. Generic over
//! the handler so it is tested with Rust closures; `capi/timers.rs` plugs in C callbacks. Time is
//! passed in as milliseconds of [`monotonic_ms`], which keeps the logic deterministic under test.
//! It must not call handlers while its own state is borrowed: a handler may re-enter the set
//! (cancel, reset, add) during [`execute`].

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Instant;

use parking_lot::Mutex;

use crate::error::{Errno, Result};

/// Milliseconds on the process's monotonic clock (counted from its first use).
pub fn monotonic_ms() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[derive(Debug)]
struct Timer<H> {
    interval: u64,
    deadline: u64,
    handler: H,
}

/// A set of repeating timers.
#[derive(Debug)]
pub struct Timers<H> {
    timers: HashMap<i32, Timer<H>>,
    next_id: i32,
}

impl<H> Default for Timers<H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<H> Timers<H> {
    /// An empty set; the first timer added gets id 1, as in libzmq.
    pub fn new() -> Self {
        Timers { timers: HashMap::new(), next_id: 1 }
    }

    /// Registers `handler` to fire every `interval_ms`, first at `now + interval_ms`. Returns the
    /// timer's id (always positive, never one in use).
    pub fn add(&mut self, interval_ms: u64, handler: H, now: u64) -> i32 {
        // Ids only wrap after 2^31 additions; skip any still in use so ids stay unique.
        let mut id = self.next_id;
        while self.timers.contains_key(&id) {
            id = Self::following(id);
        }
        self.next_id = Self::following(id);
        let timer = Timer { interval: interval_ms, deadline: now.saturating_add(interval_ms), handler };
        self.timers.insert(id, timer);
        id
    }

    fn following(id: i32) -> i32 {
        if id == i32::MAX {
            1
        } else {
            id + 1
        }
    }

    /// Removes timer `id`; EINVAL if it does not exist or was already cancelled.
    pub fn cancel(&mut self, id: i32) -> Result<()> {
        self.timers.remove(&id).map(drop).ok_or(Errno::EINVAL)
    }

    /// Changes the interval of timer `id` and restarts it from `now`; EINVAL for an unknown id.
    pub fn set_interval(&mut self, id: i32, interval_ms: u64, now: u64) -> Result<()> {
        let timer = self.timers.get_mut(&id).ok_or(Errno::EINVAL)?;
        timer.interval = interval_ms;
        timer.deadline = now.saturating_add(interval_ms);
        Ok(())
    }

    /// Restarts timer `id` so its next deadline is a full interval from `now`; EINVAL for an
    /// unknown id.
    pub fn reset(&mut self, id: i32, now: u64) -> Result<()> {
        let timer = self.timers.get_mut(&id).ok_or(Errno::EINVAL)?;
        timer.deadline = now.saturating_add(timer.interval);
        Ok(())
    }

    /// Milliseconds until the earliest deadline (0 when one has passed), or `None` without timers.
    pub fn timeout(&self, now: u64) -> Option<u64> {
        self.timers.values().map(|timer| timer.deadline.saturating_sub(now)).min()
    }

    /// Whether timer `id` exists (was added and not cancelled).
    pub fn contains(&self, id: i32) -> bool {
        self.timers.contains_key(&id)
    }
}

impl<H: Clone> Timers<H> {
    /// Timers whose deadline is at or before `now`, earliest first (ties by id), each rescheduled
    /// one interval after `now`. Every due timer is returned once per call, so a zero interval
    /// cannot make a round run forever.
    pub fn take_due(&mut self, now: u64) -> Vec<(i32, H)> {
        let mut due: Vec<(u64, i32)> = self
            .timers
            .iter()
            .filter(|(_, timer)| timer.deadline <= now)
            .map(|(&id, timer)| (timer.deadline, id))
            .collect();
        due.sort_unstable();
        due.into_iter()
            .map(|(_, id)| {
                let timer = self.timers.get_mut(&id).expect("id was just listed");
                timer.deadline = now.saturating_add(timer.interval);
                (id, timer.handler.clone())
            })
            .collect()
    }
}

/// Runs the handlers of all timers due at `now`, through `invoke`. The lock is released around
/// every call so a handler may use the set; a timer cancelled by an earlier handler of the same
/// round does not run.
pub fn execute<H: Clone>(timers: &Mutex<Timers<H>>, now: u64, mut invoke: impl FnMut(i32, H)) {
    let due = timers.lock().take_due(now);
    for (id, handler) in due {
        let still_registered = timers.lock().contains(id);
        if still_registered {
            invoke(id, handler);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn ran(timers: &Mutex<Timers<()>>, now: u64) -> Vec<i32> {
        let mut fired = Vec::new();
        execute(timers, now, |id, ()| fired.push(id));
        fired
    }

    #[test]
    fn ids_start_at_one_and_increase() {
        let mut timers = Timers::new();
        assert_eq!(timers.add(10, (), 0), 1);
        assert_eq!(timers.add(10, (), 0), 2);
    }

    #[test]
    fn ids_skip_those_in_use_after_wrapping() {
        let mut timers = Timers::new();
        timers.next_id = i32::MAX;
        assert_eq!(timers.add(10, (), 0), i32::MAX);
        timers.next_id = i32::MAX;
        assert_eq!(timers.add(10, (), 0), 1);
    }

    #[test]
    fn timeout_is_none_without_timers() {
        assert_eq!(Timers::<()>::new().timeout(0), None);
    }

    #[test]
    fn timeout_counts_down_to_earliest_deadline() {
        let mut timers = Timers::new();
        timers.add(100, (), 0);
        timers.add(40, (), 0);
        assert_eq!(timers.timeout(10), Some(30));
    }

    #[test]
    fn timeout_is_zero_once_overdue() {
        let mut timers = Timers::new();
        timers.add(10, (), 0);
        assert_eq!(timers.timeout(50), Some(0));
    }

    #[test]
    fn huge_interval_saturates_instead_of_overflowing() {
        let mut timers = Timers::new();
        timers.add(u64::MAX, (), 5);
        assert_eq!(timers.timeout(5), Some(u64::MAX - 5));
    }

    #[test]
    fn cancel_unknown_id_is_einval() {
        assert_eq!(Timers::<()>::new().cancel(1), Err(Errno::EINVAL));
    }

    #[test]
    fn cancel_twice_is_einval() {
        let mut timers = Timers::new();
        let id = timers.add(10, (), 0);
        assert_eq!(timers.cancel(id), Ok(()));
        assert_eq!(timers.cancel(id), Err(Errno::EINVAL));
    }

    #[test]
    fn set_interval_and_reset_of_unknown_id_are_einval() {
        let mut timers = Timers::<()>::new();
        assert_eq!(timers.set_interval(1, 10, 0), Err(Errno::EINVAL));
        assert_eq!(timers.reset(1, 0), Err(Errno::EINVAL));
    }

    #[test]
    fn timer_does_not_run_before_its_deadline() {
        let timers = Mutex::new(Timers::new());
        timers.lock().add(100, (), 0);
        assert!(ran(&timers, 99).is_empty());
    }

    #[test]
    fn due_timer_runs_and_repeats_an_interval_later() {
        let timers = Mutex::new(Timers::new());
        let id = timers.lock().add(100, (), 0);
        assert_eq!(ran(&timers, 100), [id]);
        assert!(ran(&timers, 150).is_empty());
        assert_eq!(ran(&timers, 200), [id]);
    }

    #[test]
    fn due_timers_run_earliest_first() {
        let timers = Mutex::new(Timers::new());
        let late = timers.lock().add(20, (), 0);
        let early = timers.lock().add(10, (), 0);
        assert_eq!(ran(&timers, 30), [early, late]);
    }

    #[test]
    fn reset_pushes_deadline_a_full_interval_from_now() {
        let timers = Mutex::new(Timers::new());
        let id = timers.lock().add(100, (), 0);
        timers.lock().reset(id, 50).unwrap();
        assert!(ran(&timers, 100).is_empty());
        assert_eq!(ran(&timers, 150), [id]);
    }

    #[test]
    fn set_interval_reschedules_from_now() {
        let timers = Mutex::new(Timers::new());
        let id = timers.lock().add(100, (), 0);
        timers.lock().set_interval(id, 10, 50).unwrap();
        assert_eq!(timers.lock().timeout(50), Some(10));
        assert_eq!(ran(&timers, 60), [id]);
        assert_eq!(timers.lock().timeout(60), Some(10));
    }

    #[test]
    fn cancelled_timer_does_not_run() {
        let timers = Mutex::new(Timers::new());
        let id = timers.lock().add(10, (), 0);
        timers.lock().cancel(id).unwrap();
        assert!(ran(&timers, 100).is_empty());
    }

    #[test]
    fn zero_interval_timer_runs_once_per_execute() {
        let timers = Mutex::new(Timers::new());
        let id = timers.lock().add(0, (), 0);
        assert_eq!(ran(&timers, 0), [id]);
        assert_eq!(ran(&timers, 0), [id]);
    }

    #[test]
    fn handler_may_cancel_a_later_due_timer() {
        let timers = Arc::new(Mutex::new(Timers::<i32>::new()));
        // Each handler carries the id it cancels (0 for none).
        let first = timers.lock().add(10, 2, 0);
        let second = timers.lock().add(20, 0, 0);
        assert_eq!(second, 2);
        let mut fired = Vec::new();
        let set = Arc::clone(&timers);
        execute(&timers, 30, |id, victim| {
            fired.push(id);
            if victim != 0 {
                set.lock().cancel(victim).unwrap();
            }
        });
        assert_eq!(fired, [first]);
        assert!(!timers.lock().contains(second));
    }

    #[test]
    fn handler_may_cancel_its_own_timer() {
        let timers = Arc::new(Mutex::new(Timers::new()));
        let id = timers.lock().add(10, (), 0);
        let set = Arc::clone(&timers);
        execute(&timers, 10, |id, ()| set.lock().cancel(id).unwrap());
        assert_eq!(timers.lock().timeout(10), None);
        assert!(ran(&timers, 100).is_empty(), "timer {id} must stay cancelled");
    }

    #[test]
    fn handler_may_add_a_timer() {
        let timers = Arc::new(Mutex::new(Timers::new()));
        timers.lock().add(10, (), 0);
        let set = Arc::clone(&timers);
        execute(&timers, 10, |_, ()| {
            set.lock().add(5, (), 10);
        });
        assert_eq!(timers.lock().timeout(10), Some(5));
    }
}
