//! The round-robin pipe set that fair queuing (`fq.rs`) and load balancing (`lb.rs`) share: the
//! pipes `[0, active)` of the list may be used now, the rest sleep until activated; activating
//! and deactivating swap a pipe across that boundary, so each costs O(1) after the lookup.

use crate::pipe::PipeId;

#[derive(Default)]
pub struct ActiveSet {
    pipes: Vec<PipeId>,
    active: usize,
    current: usize,
}

impl ActiveSet {
    /// A new pipe, active at once.
    pub fn add(&mut self, pipe: PipeId) {
        self.pipes.push(pipe);
        self.activate(pipe);
    }

    /// Wakes a sleeping pipe (no effect on an active or unknown one).
    pub fn activate(&mut self, pipe: PipeId) {
        let Some(index) = self.position(pipe) else { return };
        if index >= self.active {
            self.pipes.swap(index, self.active);
            self.active += 1;
        }
    }

    /// Forgets a pipe. Returns whether it was known and the current one.
    pub fn remove(&mut self, pipe: PipeId) -> bool {
        let Some(mut index) = self.position(pipe) else { return false };
        let was_current = index < self.active && index == self.current;
        if index < self.active {
            self.active -= 1;
            self.pipes.swap(index, self.active);
            index = self.active;
        }
        self.pipes.swap_remove(index);
        if self.current >= self.active {
            self.current = 0;
        }
        was_current
    }

    /// The pipe whose turn it is, if any is active.
    #[inline]
    pub fn current(&self) -> Option<PipeId> {
        (self.active > 0).then(|| self.pipes[self.current])
    }

    /// Moves the turn to the next active pipe.
    #[inline]
    pub fn advance(&mut self) {
        // No division: this runs for every message.
        self.current += 1;
        if self.current >= self.active {
            self.current = 0;
        }
    }

    /// Puts the current pipe to sleep; the turn passes to another active pipe.
    pub fn deactivate_current(&mut self) {
        self.active -= 1;
        self.pipes.swap(self.current, self.active);
        if self.current == self.active {
            self.current = 0;
        }
    }

    fn position(&self, pipe: PipeId) -> Option<usize> {
        self.pipes.iter().position(|&p| p == pipe)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turns_go_round_the_active_pipes() {
        let mut set = ActiveSet::default();
        set.add(1);
        set.add(2);
        assert_eq!(set.current(), Some(1));
        set.advance();
        assert_eq!(set.current(), Some(2));
        set.advance();
        assert_eq!(set.current(), Some(1));
    }

    #[test]
    fn sleeping_pipes_get_no_turn_until_activated() {
        let mut set = ActiveSet::default();
        set.add(1);
        set.add(2);
        set.deactivate_current();
        assert_eq!(set.current(), Some(2));
        set.deactivate_current();
        assert_eq!(set.current(), None);
        set.activate(1);
        assert_eq!(set.current(), Some(1));
    }

    #[test]
    fn removing_the_current_pipe_says_so() {
        let mut set = ActiveSet::default();
        set.add(1);
        set.add(2);
        set.advance();
        assert!(set.remove(2));
        assert_eq!(set.current(), Some(1));
        assert!(set.remove(1));
        assert_eq!(set.current(), None);
        assert!(!set.remove(7));
    }

    #[test]
    fn removing_a_sleeping_pipe_is_not_removing_the_current_one() {
        let mut set = ActiveSet::default();
        set.add(1);
        set.add(2);
        set.deactivate_current();
        assert!(!set.remove(1));
        assert_eq!(set.current(), Some(2));
    }
}
