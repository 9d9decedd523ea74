//! An I/O thread: one mio poller running listeners and sessions. Sockets reach it only through
//! its mailbox (whose eventfd the poller watches): new listeners and connects, unbinds, and the
//! pipe commands of its sessions. On `StopIo` it stops accepting, lets lingering sessions finish
//! sending (or time out), and exits.
//!
//! A panic inside a session is a bug of ours, but it must not stop the thread and strand every
//! other connection on it: each session step runs contained, and a session that panicked is
//! ended as after a fatal connection error (its socket sees the pipe close).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token};

use crate::command::Command;
use crate::constants::ZMQ_EVENT_ACCEPT_FAILED;
use crate::error::{Errno, Result};
use crate::io::session::{Session, SessionConfig};
use crate::io::stream::{Stream, StreamListener};
use crate::mailbox::Mailbox;
use crate::pipe::PipeId;
use crate::socket::monitor::EndpointPair;
use crate::socket::options::TcpAcceptFilter;
use crate::socket::pipes::PipeMap;
use crate::sys;
use crate::util::spin_window::SpinWindow;

const MAILBOX: Token = Token(0);
/// How long a listener out of fds or memory waits before accepting again.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Which peers a listener admits (ZMQ_TCP_ACCEPT_FILTER, ZMQ_IPC_FILTER_PID/UID/GID). With no
/// filter set, everyone; otherwise a peer must match one of them.
#[derive(Default)]
pub struct AcceptFilter {
    pub tcp: Vec<TcpAcceptFilter>,
    pub pids: BTreeSet<i32>,
    pub uids: BTreeSet<u32>,
    pub gids: BTreeSet<u32>,
}

impl AcceptFilter {
    fn admits(&self, stream: &Stream) -> bool {
        match stream {
            Stream::Tcp(tcp) => {
                self.tcp.is_empty()
                    || tcp
                        .peer_addr()
                        .is_ok_and(|peer| self.tcp.iter().any(|filter| filter.matches(peer.ip())))
            }
            Stream::Unix(_) => {
                if self.pids.is_empty() && self.uids.is_empty() && self.gids.is_empty() {
                    return true;
                }
                sys::peer_credentials(stream.raw_fd()).is_ok_and(|(pid, uid, gid)| {
                    self.pids.contains(&pid) || self.uids.contains(&uid) || self.gids.contains(&gid)
                })
            }
        }
    }
}

/// A bound endpoint, handed to the I/O thread by the socket that bound it.
pub struct Listener {
    pub listener: StreamListener,
    pub filter: AcceptFilter,
    pub socket_id: u64,
    /// The endpoint as ZMQ_LAST_ENDPOINT reports it (what zmq_unbind names).
    pub endpoint: String,
    pub config: Arc<SessionConfig>,
}

/// The handle sockets and the context keep.
pub struct IoThread {
    mailbox: Arc<Mailbox>,
    /// Until when the thread polls before it sleeps (see `watch_until`).
    watch: Arc<WatchDeadline>,
    running_on: Arc<RunningOn>,
    thread: Option<JoinHandle<()>>,
}

/// Where an I/O thread runs: 0 while it sleeps in its poller, else 1 + the CPU it last woke up
/// on. An application thread about to wait for the thread's next command spins first only when
/// the thread is at work on another CPU (see `runs_elsewhere`).
#[derive(Default)]
struct RunningOn(AtomicU32);

impl RunningOn {
    fn sleeping(&self) {
        self.0.store(0, Ordering::Relaxed);
    }

    fn woke(&self) {
        self.0.store(sys::current_cpu().map_or(0, |cpu| cpu.saturating_add(1)), Ordering::Relaxed);
    }

    /// At work (not asleep, and the CPU known) on another CPU than `cpu`.
    fn elsewhere_than(&self, cpu: u32) -> bool {
        let running_on = self.0.load(Ordering::Relaxed);
        running_on != 0 && running_on != cpu.saturating_add(1)
    }
}

/// The longest an I/O thread polls for room in a full pipe (see `note_room_wait`). Such a wait
/// lasts while the socket reads half of its high-water mark (1,000 small messages: ~20 us),
/// plus the trips of the report and, when it slept, of its own wake-up (tens of microseconds on
/// a virtual machine); the window opens only after waits shorter than this. With 50 us it never
/// opened for a 1-byte tcp stream with each process's two threads on different CPUs, and 200 us
/// took that stream from ~8.2M to ~9.7M msg/s (with both threads on one CPU: ~19M either way).
const ROOM_WATCH_MAX: Duration = Duration::from_micros(200);

/// Until when an I/O thread keeps polling its sockets instead of sleeping, as nanoseconds after
/// `EPOCH` (0: not at all). Set by application threads that wait for an answer, so the thread
/// that receives it is awake when it comes (see util/spin_window.rs for why that pays).
#[derive(Default)]
struct WatchDeadline(AtomicU64);

static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

impl WatchDeadline {
    fn nanos(deadline: Instant) -> u64 {
        u64::try_from(deadline.saturating_duration_since(*EPOCH).as_nanos()).unwrap_or(u64::MAX)
    }

    fn extend_to(&self, deadline: Instant) {
        self.0.fetch_max(Self::nanos(deadline), Ordering::Relaxed);
    }

    /// Ends the watch if `deadline` is still the one set (no other waiter extended it).
    fn end(&self, deadline: Instant) {
        let _ = self.0.compare_exchange(Self::nanos(deadline), 0, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// How long from now the thread should still poll.
    fn remaining(&self) -> Duration {
        let deadline = *EPOCH + Duration::from_nanos(self.0.load(Ordering::Relaxed));
        deadline.saturating_duration_since(Instant::now())
    }
}

impl IoThread {
    pub fn start(name: String) -> Result<Self> {
        let mailbox = Arc::new(Mailbox::for_io_thread()?);
        let watch = Arc::new(WatchDeadline::default());
        let poll = Poll::new().map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EMFILE)))?;
        let running_on = Arc::new(RunningOn::default());
        let (thread_mailbox, thread_watch, thread_running_on) =
            (Arc::clone(&mailbox), Arc::clone(&watch), Arc::clone(&running_on));
        let thread = std::thread::Builder::new()
            .name(name)
            .spawn(move || {
                crate::sys::block_all_signals();
                IoLoop::new(poll, thread_mailbox, thread_watch, thread_running_on).run()
            })
            .map_err(|_| Errno::EMTHREAD)?;
        Ok(Self { mailbox, watch, running_on, thread: Some(thread) })
    }

    /// Whether the thread is at work (not asleep in its poller) on another CPU than `cpu`: then
    /// its next command is likely microseconds away, and an application thread spinning for it
    /// on `cpu` takes nothing from it. On the same CPU the spin would delay that very command.
    pub fn runs_elsewhere(&self, cpu: u32) -> bool {
        self.running_on.elsewhere_than(cpu)
    }

    /// Asks the thread to poll, rather than sleep, until `deadline` whenever it runs out of
    /// work: an application thread expects an answer through it by then.
    pub fn watch_until(&self, deadline: Instant) {
        self.watch.extend_to(deadline);
    }

    /// The answer came (or the wait gave up): stops a watch `watch_until(deadline)` asked for,
    /// unless another waiter has extended it since.
    pub fn end_watch(&self, deadline: Instant) {
        self.watch.end(deadline);
    }

    pub fn mailbox(&self) -> &Arc<Mailbox> {
        &self.mailbox
    }

    pub fn send(&self, command: Command) {
        self.mailbox.send(command);
    }
}

impl Drop for IoThread {
    /// Stops the thread and waits for its lingering sessions.
    fn drop(&mut self) {
        self.mailbox.send(Command::StopIo);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct IoLoop {
    poll: Poll,
    mailbox: Arc<Mailbox>,
    watch: Arc<WatchDeadline>,
    running_on: Arc<RunningOn>,
    /// Sessions holding a message that found their pipe full: since when, and the end of the
    /// watch that wait started (see `note_room_wait`).
    room_waits: HashMap<Token, (Instant, Instant)>,
    /// How long to poll, not sleep, after a session found its pipe full.
    room_window: SpinWindow,
    /// Commands being processed; the buffer trades places with the mailbox's queue.
    commands: VecDeque<Command>,
    next_token: usize,
    listeners: HashMap<Token, Listener>,
    sessions: HashMap<Token, Session>,
    pipe_owners: PipeMap<Token>,
    /// The pipe each session held when last looked at (the reverse of `pipe_owners`).
    session_pipes: HashMap<Token, PipeId>,
    /// Listeners whose accept failed for want of fds or memory, and when to try again.
    accept_retries: HashMap<Token, Instant>,
    stopping: bool,
}

impl IoLoop {
    fn new(poll: Poll, mailbox: Arc<Mailbox>, watch: Arc<WatchDeadline>, running_on: Arc<RunningOn>) -> Self {
        Self {
            poll,
            mailbox,
            watch,
            running_on,
            room_waits: HashMap::new(),
            room_window: SpinWindow::up_to(ROOM_WATCH_MAX),
            commands: VecDeque::new(),
            next_token: 1,
            listeners: HashMap::new(),
            sessions: HashMap::new(),
            pipe_owners: PipeMap::default(),
            session_pipes: HashMap::new(),
            accept_retries: HashMap::new(),
            stopping: false,
        }
    }

    fn token(&mut self) -> Token {
        self.next_token += 1;
        Token(self.next_token)
    }

    fn run(mut self) {
        let fd = self.mailbox.fd();
        if self.poll.registry().register(&mut SourceFd(&fd), MAILBOX, Interest::READABLE).is_err() {
            return;
        }
        let mut events = Events::with_capacity(256);
        loop {
            self.process_commands();
            if self.stopping && self.sessions.is_empty() {
                return;
            }
            let timeout = self
                .sessions
                .values()
                .filter_map(Session::next_timer)
                .chain(self.accept_retries.values().copied())
                .min()
                .map(|at| at.saturating_duration_since(Instant::now()));
            match self.wait(&mut events, timeout) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return,
            }
            for event in events.iter() {
                match event.token() {
                    MAILBOX => {}
                    token if self.listeners.contains_key(&token) => self.accept(token),
                    token => {
                        let closed = event.is_read_closed() || event.is_error();
                        self.step(token, |session, registry, token, mailbox| {
                            if closed {
                                session.note_read_closed();
                            }
                            session.on_ready(registry, token, mailbox)
                        });
                    }
                }
            }
            self.run_timers();
        }
    }

    /// Waits for events or `timeout`. While an application thread asked for it (`watch_until`),
    /// polls without blocking first, offering the CPU between polls to any thread that wants
    /// it (the application thread the answer is for may share this CPU).
    fn wait(&mut self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        let mut watch = self.watch.remaining();
        while !watch.is_zero() {
            self.poll.poll(events, Some(Duration::ZERO))?;
            if !events.is_empty() || timeout.is_some_and(|timeout| timeout.is_zero()) {
                return Ok(());
            }
            std::thread::yield_now();
            watch = self.watch.remaining();
        }
        self.running_on.sleeping();
        let polled = self.poll.poll(events, timeout);
        self.running_on.woke();
        polled
    }

    fn process_commands(&mut self) {
        let mut commands = std::mem::take(&mut self.commands);
        self.mailbox.take_all_into(&mut commands);
        for command in commands.drain(..) {
            match command {
                Command::Listen(listener) => self.listen(listener),
                Command::Connect(session) => self.add_session(*session),
                Command::Unlisten { socket_id, endpoint } => self.unlisten(socket_id, endpoint.as_deref()),
                Command::StopIo => {
                    self.stopping = true;
                    let tokens: Vec<Token> = self.listeners.keys().copied().collect();
                    for token in tokens {
                        self.close_listener(token);
                    }
                    // Every socket is closed by now. Sessions still holding a pipe finish by
                    // themselves (lingering); one without a pipe (ZMQ_IMMEDIATE, never
                    // connected) has nothing to deliver and no socket to tell it to stop.
                    let idle: Vec<Token> = self
                        .sessions
                        .iter()
                        .filter(|(_, s)| s.pipe_id().is_none())
                        .map(|(t, _)| *t)
                        .collect();
                    for token in idle {
                        if let Some(session) = self.sessions.get_mut(&token) {
                            session.finish();
                        }
                        self.reap(token);
                    }
                }
                Command::ActivateRead(pipe) | Command::ActivateWrite(pipe) | Command::PipeTerm(pipe) => {
                    if let Some(&token) = self.pipe_owners.get(&pipe) {
                        self.step(token, |session, registry, token, mailbox| {
                            session.on_command(command, registry, token, mailbox)
                        });
                    }
                }
                Command::Attach { .. } | Command::Stop => {}
            }
        }
        self.commands = commands;
    }

    fn listen(&mut self, mut listener: Listener) {
        let token = self.token();
        if listener.listener.register(self.poll.registry(), token, Interest::READABLE).is_ok() {
            self.listeners.insert(token, listener);
            self.accept(token);
        }
    }

    fn accept(&mut self, token: Token) {
        loop {
            let Some(listener) = self.listeners.get(&token) else { return };
            match listener.listener.accept() {
                // A refused peer is simply closed, as libzmq does.
                Ok(Some(stream)) if !listener.filter.admits(&stream) => stream.shutdown(),
                Ok(Some(stream)) => {
                    if let Stream::Tcp(_) = &stream {
                        listener.config.tcp.apply(stream.raw_fd());
                    }
                    let session = Session::accepted(Arc::clone(&listener.config), stream, token);
                    self.add_session(session);
                }
                Ok(None) => return,
                Err(error) => {
                    let errno = error.raw_os_error().unwrap_or(libc::EIO);
                    let endpoints = EndpointPair::listener(&listener.endpoint);
                    listener.config.monitor.event(ZMQ_EVENT_ACCEPT_FAILED, errno as u64, &endpoints);
                    // A connection that died in the backlog costs only itself: keep accepting.
                    // Out of fds or memory: the readiness edge is spent, so try again shortly
                    // (libzmq's level-triggered poller retries at once, in a loop).
                    if !matches!(errno, libc::ECONNABORTED | libc::EPROTO | libc::EINTR) {
                        self.accept_retries.insert(token, Instant::now() + ACCEPT_RETRY);
                        return;
                    }
                }
            }
        }
    }

    fn add_session(&mut self, session: Session) {
        let token = self.token();
        self.sessions.insert(token, session);
        self.step(token, Session::start);
    }

    /// Runs one step of a session, contained (see the module doc), then reaps it if it ended.
    fn step(&mut self, token: Token, step: impl FnOnce(&mut Session, &Registry, Token, &Arc<Mailbox>)) {
        let Some(session) = self.sessions.get_mut(&token) else { return };
        let room_wait = session.room_wait();
        let registry = self.poll.registry();
        let mailbox = &self.mailbox;
        let ended = contain(
            session,
            |session| step(session, registry, token, mailbox),
            |session| {
                session.deregister(registry);
                session.finish();
            },
        );
        if !ended {
            // Even ending it panicked: forget it; dropping it closes what it still holds.
            let session = self.forget(token);
            let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(session)));
            return;
        }
        self.note_room_wait(token, room_wait);
        self.reap(token);
    }

    /// A session whose pipe is full stops reading until its socket reports reads
    /// (`ActivateWrite`, after half the high-water mark). A socket that reads as fast as we
    /// write reports within microseconds, less than a wake-up of this thread costs when it runs
    /// on another CPU: so after finding the pipe full, poll a while instead of sleeping, for as
    /// long as such waits have recently lasted (a socket that reads slowly closes the window).
    fn note_room_wait(&mut self, token: Token, before: Option<u64>) {
        let Some(session) = self.sessions.get(&token) else { return };
        let now_waiting = session.room_wait();
        if now_waiting == before {
            return;
        }
        let now = Instant::now();
        if let Some((since, watch_end)) = self.room_waits.remove(&token) {
            self.watch.end(watch_end);
            self.room_window.waited(now - since);
        }
        if now_waiting.is_some() {
            let watch_end = now + self.room_window.current();
            if watch_end > now {
                self.watch.extend_to(watch_end);
            }
            self.room_waits.insert(token, (now, watch_end));
        }
    }

    /// Keeps the pipe-to-session map current and drops finished sessions.
    fn reap(&mut self, token: Token) {
        let Some(session) = self.sessions.get_mut(&token) else { return };
        let current = session.pipe_id();
        // A session's pipe changes (ZMQ_IMMEDIATE reconnects): forget the old one.
        let recorded = self.session_pipes.get(&token).copied();
        if recorded != current {
            if let Some(old) = recorded {
                self.pipe_owners.remove(&old);
            }
            match current {
                Some(pipe) => {
                    self.pipe_owners.insert(pipe, token);
                    self.session_pipes.insert(token, pipe);
                }
                None => {
                    self.session_pipes.remove(&token);
                }
            }
        }
        if session.is_done() {
            session.deregister(self.poll.registry());
            self.forget(token);
        }
    }

    /// Takes a session out of the loop with everything kept about it (its pipe's owner entry, a
    /// wait for room in progress).
    fn forget(&mut self, token: Token) -> Option<Session> {
        if let Some(pipe) = self.session_pipes.remove(&token) {
            self.pipe_owners.remove(&pipe);
        }
        self.room_waits.remove(&token);
        self.sessions.remove(&token)
    }

    fn run_timers(&mut self) {
        let now = Instant::now();
        let retries: Vec<Token> =
            self.accept_retries.iter().filter(|(_, at)| **at <= now).map(|(token, _)| *token).collect();
        for token in retries {
            self.accept_retries.remove(&token);
            self.accept(token);
        }
        let due: Vec<Token> = self
            .sessions
            .iter()
            .filter(|(_, session)| session.next_timer().is_some_and(|at| at <= now))
            .map(|(token, _)| *token)
            .collect();
        for token in due {
            self.step(token, Session::on_timer);
        }
    }

    /// zmq_unbind (one endpoint) or zmq_close (all): closes the listeners. An unbind also ends
    /// the connections the listener accepted (after sending what they hold, within ZMQ_LINGER);
    /// on close, the sockets' pipes ending does that for every connection anyway.
    fn unlisten(&mut self, socket_id: u64, endpoint: Option<&str>) {
        let tokens: Vec<Token> = self
            .listeners
            .iter()
            .filter(|(_, l)| l.socket_id == socket_id && endpoint.is_none_or(|e| e == l.endpoint))
            .map(|(token, _)| *token)
            .collect();
        for token in tokens {
            self.close_listener(token);
            if endpoint.is_none() {
                continue;
            }
            let accepted: Vec<Token> =
                self.sessions.iter().filter(|(_, s)| s.listener == Some(token)).map(|(t, _)| *t).collect();
            for session_token in accepted {
                self.step(session_token, Session::close);
            }
        }
    }

    fn close_listener(&mut self, token: Token) {
        if let Some(mut listener) = self.listeners.remove(&token) {
            let registry: &Registry = self.poll.registry();
            let _ = mio::event::Source::deregister(&mut listener.listener, registry);
        }
    }
}

/// Runs `step` on `value`; if it panics, runs `recover` on it instead (also contained). False
/// when `recover` panicked too, and `value` is beyond saving.
fn contain<T>(value: &mut T, step: impl FnOnce(&mut T), recover: impl FnOnce(&mut T)) -> bool {
    if panic::catch_unwind(AssertUnwindSafe(|| step(value))).is_ok() {
        return true;
    }
    panic::catch_unwind(AssertUnwindSafe(|| recover(value))).is_ok()
}

#[cfg(test)]
mod tests {
    use super::{contain, RunningOn, WatchDeadline};
    use std::time::{Duration, Instant};

    #[test]
    fn a_thread_runs_elsewhere_only_while_awake_on_another_cpu() {
        let running_on = RunningOn::default();
        assert!(!running_on.elsewhere_than(0), "not started: asleep");
        running_on.woke();
        // The CPU it recorded (the test thread may have moved since).
        let recorded = running_on.0.load(std::sync::atomic::Ordering::Relaxed);
        assert_ne!(recorded, 0, "sched_getcpu answers on Linux");
        let here = recorded - 1;
        assert!(!running_on.elsewhere_than(here));
        assert!(running_on.elsewhere_than(here + 1));
        running_on.sleeping();
        assert!(!running_on.elsewhere_than(here + 1));
    }

    #[test]
    fn a_watch_lasts_until_its_deadline_or_its_end() {
        let watch = WatchDeadline::default();
        assert_eq!(watch.remaining(), Duration::ZERO);
        let deadline = Instant::now() + Duration::from_secs(60);
        watch.extend_to(deadline);
        assert!(watch.remaining() > Duration::from_secs(59));
        watch.end(deadline);
        assert_eq!(watch.remaining(), Duration::ZERO);
        watch.extend_to(Instant::now() - Duration::from_millis(1));
        assert_eq!(watch.remaining(), Duration::ZERO);
    }

    #[test]
    fn ending_one_waiters_watch_keeps_a_later_one() {
        let watch = WatchDeadline::default();
        let first = Instant::now() + Duration::from_secs(60);
        let second = first + Duration::from_secs(60);
        watch.extend_to(second);
        watch.extend_to(first);
        watch.end(first);
        assert!(watch.remaining() > Duration::from_secs(119));
        watch.end(second);
        assert_eq!(watch.remaining(), Duration::ZERO);
    }

    #[test]
    fn a_step_that_returns_needs_no_recovery() {
        let mut log = Vec::new();
        assert!(contain(&mut log, |log| log.push("step"), |log| log.push("recover")));
        assert_eq!(log, ["step"]);
    }

    #[test]
    fn a_panicking_step_is_recovered() {
        let mut log = Vec::new();
        let survived = contain(
            &mut log,
            |log| {
                log.push("step");
                panic!("a bug in a session");
            },
            |log| log.push("recover"),
        );
        assert!(survived);
        assert_eq!(log, ["step", "recover"]);
    }

    #[test]
    fn a_panicking_recovery_gives_up_without_unwinding() {
        let mut log: Vec<&str> = Vec::new();
        let survived = contain(&mut log, |_| panic!("step"), |_| panic!("recover"));
        assert!(!survived);
    }
}
