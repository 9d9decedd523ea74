//! zmq_poller: a reusable set of sockets and plain fds, each with the events wanted and the
//! caller's user data, waited on with libzmq's rules. It owns only the registrations and the
//! argument checks; the waiting itself is `poll::poll` (edge-triggered ZMQ_FD + ZMQ_EVENTS for
//! sockets, poll(2) for fds), so zmq_poll and the poller behave alike. Sockets are named by a key
//! the C layer chooses (the handle); the C layer turns keys into pollable sockets at wait time.

use std::ffi::c_int;
use std::time::Duration;

use crate::constants::{ZMQ_POLLERR, ZMQ_POLLIN, ZMQ_POLLOUT, ZMQ_POLLPRI};
use crate::error::{Errno, Result};
use crate::poll::{self, Item, Pollable, Target};

/// What a registration watches: a socket (by its key) or a plain fd.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Watched<K> {
    Socket(K),
    Fd(c_int),
}

#[derive(Clone, Copy, Debug)]
pub struct Registration<K> {
    pub watched: Watched<K>,
    /// The caller's pointer, handed back with each event.
    pub user_data: usize,
    pub events: i16,
}

/// One ready registration, as zmq_poller_wait_all reports it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Event<K> {
    pub watched: Watched<K>,
    pub user_data: usize,
    pub events: i16,
}

pub struct Poller<K> {
    registrations: Vec<Registration<K>>,
}

impl<K> Default for Poller<K> {
    fn default() -> Self {
        Self { registrations: Vec::new() }
    }
}

/// The fd libzmq uses for "no fd" (`retired_fd`).
const NO_FD: c_int = -1;

/// libzmq accepts only these event bits; anything else is EINVAL.
fn check_events(events: i16) -> Result<()> {
    let known = (ZMQ_POLLIN | ZMQ_POLLOUT | ZMQ_POLLERR | ZMQ_POLLPRI) as i16;
    if events & !known != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

impl<K: Copy + PartialEq> Poller<K> {
    pub fn size(&self) -> usize {
        self.registrations.len()
    }

    /// The registrations, in the order they were added.
    pub fn registrations(&self) -> &[Registration<K>] {
        &self.registrations
    }

    fn position(&self, watched: Watched<K>) -> Option<usize> {
        self.registrations.iter().position(|r| r.watched == watched)
    }

    /// Adds a socket or fd: EINVAL when it is already registered or `events` has unknown bits,
    /// EBADF for the fd -1.
    pub fn add(&mut self, watched: Watched<K>, user_data: usize, events: i16) -> Result<()> {
        if watched == Watched::Fd(NO_FD) {
            return Err(Errno(libc::EBADF));
        }
        check_events(events)?;
        if self.position(watched).is_some() {
            return Err(Errno::EINVAL);
        }
        self.registrations.push(Registration { watched, user_data, events });
        Ok(())
    }

    /// Changes the events wanted: EINVAL when not registered or for unknown bits.
    pub fn modify(&mut self, watched: Watched<K>, events: i16) -> Result<()> {
        if watched == Watched::Fd(NO_FD) {
            return Err(Errno(libc::EBADF));
        }
        check_events(events)?;
        let index = self.position(watched).ok_or(Errno::EINVAL)?;
        self.registrations[index].events = events;
        Ok(())
    }

    /// Forgets a socket or fd: EINVAL when not registered.
    pub fn remove(&mut self, watched: Watched<K>) -> Result<()> {
        if watched == Watched::Fd(NO_FD) {
            return Err(Errno(libc::EBADF));
        }
        let index = self.position(watched).ok_or(Errno::EINVAL)?;
        self.registrations.remove(index);
        Ok(())
    }

    /// Waits until some registration is ready and returns up to `max_events` ready ones, in
    /// registration order. `sockets` resolves a socket key into something pollable (ENOTSOCK for
    /// a socket closed meanwhile). `timeout`: `None` forever. libzmq's errors: EAGAIN when the
    /// timeout passes; EFAULT when nothing is watched (no registration with events) and the wait
    /// would be endless; EINVAL for a negative `max_events`.
    pub fn wait<S: Pollable>(
        &self,
        max_events: c_int,
        timeout: Option<Duration>,
        mut sockets: impl FnMut(K) -> Result<S>,
    ) -> Result<Vec<Event<K>>> {
        if max_events < 0 {
            return Err(Errno::EINVAL);
        }
        let watched: Vec<&Registration<K>> = self.registrations.iter().filter(|r| r.events != 0).collect();
        if watched.is_empty() {
            return match timeout {
                None => Err(Errno::EFAULT),
                Some(timeout) => {
                    if !timeout.is_zero() {
                        std::thread::sleep(timeout);
                    }
                    Err(Errno::EAGAIN)
                }
            };
        }
        let mut resolved = Vec::new();
        let mut items = Vec::with_capacity(watched.len());
        for registration in &watched {
            let target = match registration.watched {
                Watched::Socket(key) => {
                    resolved.push(sockets(key)?);
                    Target::Socket(resolved.len() - 1)
                }
                Watched::Fd(fd) => Target::Fd(fd),
            };
            items.push(Item { target, events: registration.events, revents: 0 });
        }
        if poll::poll(&mut items, &mut resolved, timeout)? == 0 {
            return Err(Errno::EAGAIN);
        }
        Ok(watched
            .iter()
            .zip(&items)
            .filter(|(_, item)| item.revents != 0)
            .take(max_events as usize)
            .map(|(registration, item)| Event {
                watched: registration.watched,
                user_data: registration.user_data,
                events: item.revents,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys;
    use std::os::fd::AsRawFd;

    /// A stand-in socket: its own eventfd and a fixed ZMQ_EVENTS answer.
    struct Fake(c_int, c_int);

    impl Pollable for Fake {
        fn fd(&self) -> c_int {
            self.0
        }
        fn events(&mut self) -> Result<c_int> {
            Ok(self.1)
        }
    }

    fn no_sockets(_: u8) -> Result<Fake> {
        Err(Errno::ENOTSOCK)
    }

    #[test]
    fn registrations_follow_libzmq_rules() {
        let mut poller = Poller::<u8>::default();
        assert_eq!(poller.add(Watched::Socket(1), 0, ZMQ_POLLIN as i16), Ok(()));
        assert_eq!(poller.add(Watched::Socket(1), 0, ZMQ_POLLIN as i16), Err(Errno::EINVAL));
        assert_eq!(poller.add(Watched::Socket(2), 0, i16::MAX), Err(Errno::EINVAL));
        assert_eq!(poller.add(Watched::Fd(-1), 0, 0), Err(Errno(libc::EBADF)));
        assert_eq!(poller.modify(Watched::Socket(2), 0), Err(Errno::EINVAL));
        assert_eq!(poller.remove(Watched::Fd(7)), Err(Errno::EINVAL));
        assert_eq!(poller.add(Watched::Fd(7), 0, 0), Ok(()));
        assert_eq!(poller.size(), 2);
        assert_eq!(poller.remove(Watched::Socket(1)), Ok(()));
        assert_eq!(poller.size(), 1);
    }

    #[test]
    fn empty_poller_waits_fail_as_in_libzmq() {
        let poller = Poller::<u8>::default();
        assert_eq!(poller.wait(1, Some(Duration::ZERO), no_sockets), Err(Errno::EAGAIN));
        assert_eq!(poller.wait(1, None, no_sockets), Err(Errno::EFAULT));
        assert_eq!(poller.wait(-1, Some(Duration::ZERO), no_sockets), Err(Errno::EINVAL));
    }

    #[test]
    fn ready_sockets_and_fds_are_reported_with_user_data() {
        let signal = sys::eventfd().unwrap();
        let idle = sys::eventfd().unwrap();
        let mut poller = Poller::<u8>::default();
        poller.add(Watched::Socket(1), 11, (ZMQ_POLLIN | ZMQ_POLLOUT) as i16).unwrap();
        poller.add(Watched::Fd(signal.as_raw_fd()), 22, ZMQ_POLLIN as i16).unwrap();
        let sockets = |_| Ok(Fake(idle.as_raw_fd(), ZMQ_POLLOUT));
        assert_eq!(
            poller.wait(4, Some(Duration::ZERO), sockets),
            Ok(vec![Event { watched: Watched::Socket(1), user_data: 11, events: ZMQ_POLLOUT as i16 }])
        );
        sys::eventfd_signal(&signal).unwrap();
        let events = poller.wait(4, Some(Duration::from_secs(1)), sockets).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[1], Event { watched: Watched::Fd(signal.as_raw_fd()), user_data: 22, events: 1 });
        assert_eq!(poller.wait(1, Some(Duration::ZERO), sockets).unwrap().len(), 1);
        let quiet = |_| Ok(Fake(idle.as_raw_fd(), 0));
        poller.remove(Watched::Fd(signal.as_raw_fd())).unwrap();
        assert_eq!(poller.wait(4, Some(Duration::from_millis(10)), quiet), Err(Errno::EAGAIN));
    }
}
