//! The context: the options every socket and I/O thread of one `zmq_ctx_new` share, the registry
//! of its sockets (so shutdown can reach them and term can wait for them), the inproc endpoint
//! registry, and its life cycle (active, shut down). All of it is touched from application
//! threads at socket creation, bind/connect and close, never on the message path, so plain locks
//! are enough.
//!
//! Option values arrive as the raw bytes C passed (`zmq_ctx_set_ext`); an `int` option is exactly
//! `size_of::<c_int>()` bytes, and anything else is EINVAL, as in libzmq.

use std::collections::{BTreeSet, HashMap};
use std::ffi::c_int;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::command::Command;
use crate::constants::*;
use crate::error::{Errno, Result};
use crate::io::thread::IoThread;
use crate::mailbox::Mailbox;
use crate::transport::inproc::InprocRegistry;

/// Highest socket count a context can be configured for (`ZMQ_SOCKET_LIMIT`).
const SOCKET_LIMIT: c_int = 65535;
/// Longest `ZMQ_THREAD_NAME_PREFIX`: Linux thread names hold 15 bytes plus NUL.
const THREAD_NAME_PREFIX_MAX: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtxOptions {
    pub io_threads: c_int,
    pub max_sockets: c_int,
    pub ipv6: bool,
    pub blocky: bool,
    pub max_msgsz: c_int,
    pub zero_copy_recv: bool,
    pub thread_priority: c_int,
    pub thread_sched_policy: c_int,
    pub thread_affinity_cpus: BTreeSet<c_int>,
    pub thread_name_prefix: Vec<u8>,
}

impl Default for CtxOptions {
    fn default() -> Self {
        Self {
            io_threads: ZMQ_IO_THREADS_DFLT,
            max_sockets: ZMQ_MAX_SOCKETS_DFLT,
            ipv6: false,
            blocky: true,
            max_msgsz: c_int::MAX,
            zero_copy_recv: true,
            thread_priority: ZMQ_THREAD_PRIORITY_DFLT,
            thread_sched_policy: ZMQ_THREAD_SCHED_POLICY_DFLT,
            thread_affinity_cpus: BTreeSet::new(),
            thread_name_prefix: Vec::new(),
        }
    }
}

/// An option value as an `int`, when the caller passed exactly one.
fn as_int(value: &[u8]) -> Option<c_int> {
    Some(c_int::from_ne_bytes(value.try_into().ok()?))
}

/// A non-negative `int` value, the only kind most context options take.
fn non_negative(value: &[u8]) -> Result<c_int> {
    as_int(value).filter(|v| *v >= 0).ok_or(Errno::EINVAL)
}

impl CtxOptions {
    /// Applies one option, with libzmq's validation.
    pub fn set(&mut self, option: c_int, value: &[u8]) -> Result<()> {
        match option {
            ZMQ_IO_THREADS => self.io_threads = non_negative(value)?,
            ZMQ_MAX_SOCKETS => {
                self.max_sockets = as_int(value).filter(|v| *v >= 1).ok_or(Errno::EINVAL)?;
            }
            ZMQ_IPV6 => self.ipv6 = non_negative(value)? != 0,
            ZMQ_BLOCKY => self.blocky = non_negative(value)? != 0,
            ZMQ_MAX_MSGSZ => self.max_msgsz = non_negative(value)?,
            #[cfg(zmq_draft)]
            draft::ZMQ_ZERO_COPY_RECV => self.zero_copy_recv = non_negative(value)? != 0,
            ZMQ_THREAD_PRIORITY => self.thread_priority = non_negative(value)?,
            ZMQ_THREAD_SCHED_POLICY => self.thread_sched_policy = non_negative(value)?,
            ZMQ_THREAD_AFFINITY_CPU_ADD => {
                self.thread_affinity_cpus.insert(non_negative(value)?);
            }
            ZMQ_THREAD_AFFINITY_CPU_REMOVE => {
                if !self.thread_affinity_cpus.remove(&non_negative(value)?) {
                    return Err(Errno::EINVAL);
                }
            }
            ZMQ_THREAD_NAME_PREFIX => {
                // An int is stored as its decimal text; otherwise 1..=16 bytes of name.
                self.thread_name_prefix = match as_int(value) {
                    Some(number) => number.to_string().into_bytes(),
                    None if (1..=THREAD_NAME_PREFIX_MAX).contains(&value.len()) => value.to_vec(),
                    None => return Err(Errno::EINVAL),
                };
            }
            _ => return Err(Errno::EINVAL),
        }
        Ok(())
    }

    /// Reads one option into `out`, whose length is the caller's buffer size. Int options need
    /// exactly an int's size. Only the options libzmq can read are readable: affinity is
    /// write-only, and ZMQ_THREAD_PRIORITY reads as ZMQ_SOCKET_LIMIT, which has the same number.
    pub fn get(&self, option: c_int, out: &mut [u8]) -> Result<()> {
        let int = match option {
            ZMQ_IO_THREADS => self.io_threads,
            ZMQ_MAX_SOCKETS => self.max_sockets,
            ZMQ_SOCKET_LIMIT => SOCKET_LIMIT,
            ZMQ_IPV6 => self.ipv6 as c_int,
            ZMQ_BLOCKY => self.blocky as c_int,
            ZMQ_MAX_MSGSZ => self.max_msgsz,
            ZMQ_MSG_T_SIZE => 64,
            #[cfg(zmq_draft)]
            draft::ZMQ_ZERO_COPY_RECV => self.zero_copy_recv as c_int,
            ZMQ_THREAD_SCHED_POLICY => self.thread_sched_policy,
            ZMQ_THREAD_NAME_PREFIX if out.len() != std::mem::size_of::<c_int>() => {
                // As text: copied without a terminator, into a buffer at least that long.
                let prefix = &self.thread_name_prefix;
                let slot = out.get_mut(..prefix.len()).ok_or(Errno::EINVAL)?;
                slot.copy_from_slice(prefix);
                return Ok(());
            }
            ZMQ_THREAD_NAME_PREFIX => parse_leading_int(&self.thread_name_prefix),
            _ => return Err(Errno::EINVAL),
        };
        let slot: &mut [u8; 4] = out.try_into().map_err(|_| Errno::EINVAL)?;
        *slot = int.to_ne_bytes();
        Ok(())
    }
}

/// The number a text starts with, 0 when none (what C's `atoi` gives).
fn parse_leading_int(text: &[u8]) -> c_int {
    let text = std::str::from_utf8(text).unwrap_or("");
    let trimmed = text.trim_start();
    let end = trimmed
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && (c == '-' || c == '+'))))
        .map_or(trimmed.len(), |(i, _)| i);
    trimmed[..end].parse().unwrap_or(0)
}

/// The sockets of a context, by id, with the mailbox that reaches each.
#[derive(Default)]
struct Sockets {
    next_id: u64,
    live: HashMap<u64, Arc<Mailbox>>,
}

/// One ZeroMQ context.
#[derive(Default)]
pub struct Ctx {
    options: Mutex<CtxOptions>,
    shut_down: AtomicBool,
    sockets: Mutex<Sockets>,
    /// Signalled by `unregister_socket` when the last socket closes, while `zmq_ctx_term`
    /// waits (a mailbox, not a condition variable, so a signal can interrupt the wait: EINTR).
    term_waiters: Mutex<Vec<Arc<Mailbox>>>,
    inproc: Mutex<InprocRegistry>,
    /// Started on first use (the first tcp/ipc bind or connect), stopped by `zmq_ctx_term`.
    io_threads: Mutex<IoThreads>,
}

#[derive(Default)]
struct IoThreads {
    threads: Vec<Arc<IoThread>>,
    next: usize,
}

impl Ctx {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set_option(&self, option: c_int, value: &[u8]) -> Result<()> {
        self.options.lock().set(option, value)
    }

    pub fn get_option(&self, option: c_int, out: &mut [u8]) -> Result<()> {
        self.options.lock().get(option, out)
    }

    /// A snapshot of the options, for code that starts threads or sockets.
    pub fn options(&self) -> CtxOptions {
        self.options.lock().clone()
    }

    /// `zmq_ctx_shutdown`: from now on, blocking calls on this context's sockets return ETERM
    /// and no new sockets can be created. Idempotent.
    pub fn shutdown(&self) {
        let sockets = self.sockets.lock();
        if !self.shut_down.swap(true, Ordering::AcqRel) {
            for mailbox in sockets.live.values() {
                mailbox.send(Command::Stop);
            }
        }
    }

    /// Blocks until every socket of the context is closed (`zmq_ctx_term`, after `shutdown`).
    /// EINTR when a signal arrives first: as in libzmq, the application may close its sockets
    /// and call `zmq_ctx_term` again.
    pub fn wait_for_sockets(&self) -> Result<()> {
        let waiter = Arc::new(Mailbox::new()?);
        self.term_waiters.lock().push(Arc::clone(&waiter));
        let outcome = loop {
            if self.sockets.lock().live.is_empty() {
                break Ok(());
            }
            match waiter.wait(None, false) {
                Ok(_) => drop(waiter.take_all()),
                Err(errno) => break Err(errno),
            }
        };
        self.term_waiters.lock().retain(|other| !Arc::ptr_eq(other, &waiter));
        outcome
    }

    /// Registers a new socket; ETERM after shutdown, EMFILE beyond ZMQ_MAX_SOCKETS.
    pub fn register_socket(&self, mailbox: Arc<Mailbox>) -> Result<u64> {
        let max_sockets = self.options.lock().max_sockets;
        let mut sockets = self.sockets.lock();
        if self.is_shut_down() {
            return Err(Errno::ETERM);
        }
        if sockets.live.len() >= max_sockets as usize {
            return Err(Errno::EMFILE);
        }
        sockets.next_id += 1;
        let id = sockets.next_id;
        sockets.live.insert(id, mailbox);
        Ok(id)
    }

    /// Forgets a closed socket, waking `zmq_ctx_term` when it was the last.
    pub fn unregister_socket(&self, id: u64) {
        let mut sockets = self.sockets.lock();
        sockets.live.remove(&id);
        if sockets.live.is_empty() {
            for waiter in self.term_waiters.lock().iter() {
                waiter.send(Command::Stop);
            }
        }
    }

    /// An I/O thread for a new listener or connection (round robin); EMTHREAD when the context
    /// has ZMQ_IO_THREADS 0.
    pub fn io_thread(&self) -> Result<Arc<IoThread>> {
        let mut io = self.io_threads.lock();
        if io.threads.is_empty() {
            let options = self.options();
            let prefix = String::from_utf8_lossy(&options.thread_name_prefix).into_owned();
            for index in 0..options.io_threads.max(0) {
                let name = if prefix.is_empty() {
                    format!("ZMQbg/IO/{index}")
                } else {
                    format!("{prefix}/ZMQbg/IO/{index}")
                };
                io.threads.push(Arc::new(IoThread::start(name)?));
            }
        }
        if io.threads.is_empty() {
            return Err(Errno::EMTHREAD);
        }
        io.next = (io.next + 1) % io.threads.len();
        Ok(Arc::clone(&io.threads[io.next]))
    }

    /// Stops the I/O threads once every socket is closed, waiting for lingering sessions.
    pub fn stop_io_threads(&self) {
        let threads = std::mem::take(&mut self.io_threads.lock().threads);
        drop(threads);
    }

    /// The inproc endpoint registry.
    pub fn inproc(&self) -> parking_lot::MutexGuard<'_, InprocRegistry> {
        self.inproc.lock()
    }

    pub fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(value: c_int) -> [u8; 4] {
        value.to_ne_bytes()
    }

    fn get_int(options: &CtxOptions, option: c_int) -> Result<c_int> {
        let mut out = [0u8; 4];
        options.get(option, &mut out)?;
        Ok(c_int::from_ne_bytes(out))
    }

    #[test]
    fn defaults_are_libzmqs() {
        let options = CtxOptions::default();
        assert_eq!(get_int(&options, ZMQ_IO_THREADS), Ok(1));
        assert_eq!(get_int(&options, ZMQ_MAX_SOCKETS), Ok(1023));
        assert_eq!(get_int(&options, ZMQ_SOCKET_LIMIT), Ok(65535));
        assert_eq!(get_int(&options, ZMQ_IPV6), Ok(0));
        assert_eq!(get_int(&options, ZMQ_BLOCKY), Ok(1));
        assert_eq!(get_int(&options, ZMQ_MAX_MSGSZ), Ok(c_int::MAX));
        assert_eq!(get_int(&options, ZMQ_MSG_T_SIZE), Ok(64));
        assert_eq!(get_int(&options, ZMQ_THREAD_SCHED_POLICY), Ok(-1));
    }

    #[test]
    fn negative_values_are_rejected() {
        let mut options = CtxOptions::default();
        for option in [ZMQ_IO_THREADS, ZMQ_IPV6, ZMQ_BLOCKY, ZMQ_MAX_MSGSZ, ZMQ_THREAD_PRIORITY] {
            assert_eq!(options.set(option, &int(-1)), Err(Errno::EINVAL), "option {option}");
        }
        assert_eq!(options.set(ZMQ_MAX_SOCKETS, &int(0)), Err(Errno::EINVAL));
    }

    #[test]
    fn int_options_need_an_int_sized_value() {
        let mut options = CtxOptions::default();
        assert_eq!(options.set(ZMQ_IO_THREADS, &[1, 0]), Err(Errno::EINVAL));
        assert_eq!(options.get(ZMQ_IO_THREADS, &mut [0u8; 8]), Err(Errno::EINVAL));
    }

    #[test]
    fn unknown_and_read_only_options_are_rejected() {
        let mut options = CtxOptions::default();
        assert_eq!(options.set(ZMQ_MSG_T_SIZE, &int(10)), Err(Errno::EINVAL));
        assert_eq!(options.set(1000, &int(1)), Err(Errno::EINVAL));
        assert_eq!(get_int(&options, 1000), Err(Errno::EINVAL));
    }

    #[test]
    fn thread_priority_shares_its_number_with_socket_limit() {
        // zmq.h gives ZMQ_THREAD_PRIORITY and ZMQ_SOCKET_LIMIT the same value (3): setting it sets
        // the priority, reading it reads the socket limit, exactly as libzmq behaves.
        let mut options = CtxOptions::default();
        options.set(ZMQ_THREAD_PRIORITY, &int(5)).unwrap();
        assert_eq!(options.thread_priority, 5);
        assert_eq!(get_int(&options, ZMQ_THREAD_PRIORITY), Ok(65535));
    }

    #[test]
    fn thread_affinity_is_write_only_as_in_libzmq() {
        let mut options = CtxOptions::default();
        options.set(ZMQ_THREAD_AFFINITY_CPU_ADD, &int(1)).unwrap();
        assert_eq!(get_int(&options, ZMQ_THREAD_AFFINITY_CPU_ADD), Err(Errno::EINVAL));
    }

    #[test]
    fn removing_an_unknown_affinity_cpu_fails() {
        let mut options = CtxOptions::default();
        assert_eq!(options.set(ZMQ_THREAD_AFFINITY_CPU_REMOVE, &int(3)), Err(Errno::EINVAL));
        options.set(ZMQ_THREAD_AFFINITY_CPU_ADD, &int(3)).unwrap();
        options.set(ZMQ_THREAD_AFFINITY_CPU_REMOVE, &int(3)).unwrap();
    }

    #[test]
    fn thread_name_prefix_round_trips_as_text_and_int() {
        let mut options = CtxOptions::default();
        options.set(ZMQ_THREAD_NAME_PREFIX, b"MyPrefix9").unwrap();
        let mut text = [0u8; 16];
        options.get(ZMQ_THREAD_NAME_PREFIX, &mut text).unwrap();
        assert_eq!(&text[..9], b"MyPrefix9");
        options.set(ZMQ_THREAD_NAME_PREFIX, &int(1234)).unwrap();
        assert_eq!(get_int(&options, ZMQ_THREAD_NAME_PREFIX), Ok(1234));
        assert_eq!(options.set(ZMQ_THREAD_NAME_PREFIX, &[b'x'; 17]), Err(Errno::EINVAL));
    }

    #[test]
    fn shutdown_is_sticky() {
        let ctx = Ctx::new();
        assert!(!ctx.is_shut_down());
        ctx.shutdown();
        ctx.shutdown();
        assert!(ctx.is_shut_down());
    }
}
