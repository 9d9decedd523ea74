//! The generic socket: what every socket type shares. It owns the socket's pipes, options and
//! mailbox; runs on the application thread that uses the socket; processes commands (pipe
//! activation, new pipes, pipe termination, context stop) when its mailbox signals; implements
//! blocking with timeouts on top of the mailbox's eventfd; and delegates routing decisions to the
//! socket type (`Pattern`). Endpoints: inproc here; network transports attach pipes the same way.

use std::ffi::c_int;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::command::Command;
use crate::constants::*;
use crate::ctx::Ctx;
use crate::error::{Errno, Result};
use crate::io::session::{Destination, Session, SessionConfig};
use crate::io::stream::StreamListener;
use crate::io::thread::{AcceptFilter, IoThread, Listener};
use crate::mailbox::Mailbox;
use crate::msg::Msg;
use crate::pipe::{PipeEnd, PipeId};
use crate::socket::monitor::MonitorSlot;
use crate::socket::options::Options;
use crate::socket::pattern::{put_int, Pattern, SendError};
use crate::socket::pipes::Pipes;
use crate::socket::{dealer::Dealer, pair::Pair, pull::Pull, push::Push, rep::Rep, req::Req, router::Router};
use crate::socket::{publisher::Pub, subscriber::Sub, xpub::Xpub, xsub::Xsub};
use crate::transport::inproc::{combined_hwm, Peer};
use crate::transport::ipc::{self, IpcAddress};
use crate::transport::tcp;

/// An OS error as the errno libzmq would report.
fn os_errno(error: std::io::Error) -> Errno {
    Errno(error.raw_os_error().unwrap_or(libc::EINVAL))
}

/// A network pipe's limit: this side's HWM alone (0: none).
fn own_limit(hwm: c_int) -> u64 {
    hwm.max(0) as u64
}

/// How a connect or bind endpoint is spelled: `transport://address`.
fn split_endpoint(endpoint: &str) -> Result<(&str, &str)> {
    match endpoint.split_once("://") {
        Some((transport, address)) if !transport.is_empty() => Ok((transport, address)),
        _ => Err(Errno::EINVAL),
    }
}

/// Transports libzmq knows but this library does not provide.
fn unsupported_transport() -> Errno {
    Errno(libc::EPROTONOSUPPORT)
}

fn pattern_for(socket_type: c_int) -> Result<Box<dyn Pattern>> {
    Ok(match socket_type {
        ZMQ_PAIR => Box::<Pair>::default(),
        ZMQ_PUSH => Box::<Push>::default(),
        ZMQ_PULL => Box::<Pull>::default(),
        ZMQ_DEALER => Box::<Dealer>::default(),
        ZMQ_ROUTER => Box::<Router>::default(),
        ZMQ_REQ => Box::<Req>::default(),
        ZMQ_REP => Box::<Rep>::default(),
        ZMQ_PUB => Box::<Pub>::default(),
        ZMQ_SUB => Box::<Sub>::default(),
        ZMQ_XPUB => Box::<Xpub>::default(),
        ZMQ_XSUB => Box::<Xsub>::default(),
        ZMQ_STREAM => Box::<crate::socket::stream::Stream>::default(),
        _ => return Err(Errno::EINVAL),
    })
}

/// A network endpoint this socket bound.
struct Bound {
    given: String,
    resolved: String,
    io: Arc<IoThread>,
    /// The listening fd (the value of ZMQ_EVENT_LISTENING and _CLOSED).
    fd: c_int,
}

pub struct Socket {
    ctx: Arc<Ctx>,
    id: u64,
    mailbox: Arc<Mailbox>,
    options: Options,
    pattern: Box<dyn Pattern>,
    pipes: Pipes,
    /// Pipes this socket created by connecting, with the endpoint (for zmq_disconnect).
    connected: Vec<(String, PipeId)>,
    /// Network endpoints this socket bound.
    bound: Vec<Bound>,
    /// Where connection events go (zmq_socket_monitor); shared with this socket's sessions.
    monitor: Arc<MonitorSlot>,
    /// ipc socket files this socket created, removed again on unbind and close.
    ipc_files: Vec<(String, IpcAddress)>,
    /// The last frame received had MORE set (ZMQ_RCVMORE).
    rcvmore: bool,
    /// The context is shutting down: everything but close fails with ETERM.
    terminated: bool,
}

impl Socket {
    pub fn new(ctx: Arc<Ctx>, socket_type: c_int) -> Result<Self> {
        let pattern = pattern_for(socket_type)?;
        let mailbox = Arc::new(Mailbox::new()?);
        let id = ctx.register_socket(Arc::clone(&mailbox))?;
        let mut options = Options::new(socket_type);
        let ctx_options = ctx.options();
        options.ipv6 = ctx_options.ipv6;
        if !ctx_options.blocky {
            // A non-blocky context makes zmq_ctx_term never wait: sockets default to linger 0.
            options.linger = 0;
        }
        Ok(Self {
            ctx,
            id,
            mailbox,
            options,
            pattern,
            pipes: Pipes::default(),
            connected: Vec::new(),
            bound: Vec::new(),
            monitor: Arc::default(),
            ipc_files: Vec::new(),
            rcvmore: false,
            terminated: false,
        })
    }

    fn check_alive(&mut self) -> Result<()> {
        self.process_commands();
        if self.terminated {
            Err(Errno::ETERM)
        } else {
            Ok(())
        }
    }

    /// Applies every waiting command. Costs one atomic load when there is none.
    fn process_commands(&mut self) {
        if !self.mailbox.has_pending() {
            return;
        }
        for command in self.mailbox.take_all() {
            match command {
                Command::ActivateRead(pipe) if self.pipes.contains(pipe) => self.pattern.read_activated(pipe),
                Command::ActivateWrite(pipe) if self.pipes.contains(pipe) => {
                    self.pattern.write_activated(pipe)
                }
                // Let the type drain what is left; a pipe with nothing left is dead now.
                Command::PipeTerm(pipe) if self.pipes.contains(pipe) && self.pipes.check_read(pipe) => {
                    self.pattern.read_activated(pipe)
                }
                Command::Attach { end } => self.attach(end, false),
                Command::Stop => self.terminated = true,
                // Commands for pipes already gone.
                _ => {}
            }
        }
        self.remove_dead_pipes();
    }

    fn attach(&mut self, end: PipeEnd, connected: bool) {
        let id = end.id();
        self.pipes.insert(end);
        if connected {
            self.pattern.attach_connected(id, &mut self.pipes);
        } else {
            self.pattern.attach(id, &mut self.pipes);
        }
        self.remove_dead_pipes();
    }

    fn remove_dead_pipes(&mut self) {
        for pipe in self.pipes.take_dead() {
            if let Some(end) = self.pipes.remove(pipe) {
                end.terminate(false);
                self.pattern.terminated(pipe);
                self.connected.retain(|(_, p)| *p != pipe);
            }
        }
    }

    /// This socket as an inproc peer.
    fn as_peer(&self) -> Peer {
        Peer {
            mailbox: Arc::clone(&self.mailbox),
            socket_id: self.id,
            sndhwm: self.options.sndhwm,
            rcvhwm: self.options.rcvhwm,
            routing_id: (!self.options.routing_id.is_empty())
                .then(|| Bytes::copy_from_slice(&self.options.routing_id)),
        }
    }

    pub fn bind(&mut self, endpoint: &str) -> Result<()> {
        self.check_alive()?;
        let (transport, address) = split_endpoint(endpoint)?;
        match transport {
            "inproc" => {
                if address.is_empty() {
                    return Err(Errno::EINVAL);
                }
                let peer = self.as_peer();
                let waiting = self.ctx.inproc().bind(address, peer)?;
                for end in waiting {
                    self.attach(end, false);
                }
                self.options.last_endpoint = endpoint.to_owned();
                Ok(())
            }
            "tcp" | "ipc" => {
                let result = self.bind_stream(transport, address, endpoint);
                if let Err(errno) = result {
                    self.monitor.event(ZMQ_EVENT_BIND_FAILED, errno.0 as u64, endpoint);
                }
                result
            }
            _ => Err(unsupported_transport()),
        }
    }

    fn bind_stream(&mut self, transport: &str, address: &str, endpoint: &str) -> Result<()> {
        use std::os::fd::AsRawFd;
        if transport == "tcp" {
            let address = tcp::resolve_bind(address, self.options.ipv6)?;
            let listener = std::net::TcpListener::bind(address).map_err(os_errno)?;
            listener.set_nonblocking(true).map_err(os_errno)?;
            let resolved = tcp::endpoint_text(listener.local_addr().map_err(os_errno)?);
            let fd = listener.as_raw_fd();
            self.listen(
                endpoint,
                resolved,
                fd,
                StreamListener::Tcp(mio::net::TcpListener::from_std(listener)),
            )
        } else {
            let (listener, address) = ipc::bind(address)?;
            listener.set_nonblocking(true).map_err(os_errno)?;
            let resolved = address.endpoint_text();
            self.ipc_files.push((resolved.clone(), address));
            let fd = listener.as_raw_fd();
            self.listen(
                endpoint,
                resolved,
                fd,
                StreamListener::Unix(mio::net::UnixListener::from_std(listener)),
            )
        }
    }

    /// zmq_socket_monitor: events go to a PAIR socket bound to the inproc `endpoint`; `None`
    /// stops monitoring.
    pub fn monitor(&mut self, endpoint: Option<&str>, events: u64) -> Result<()> {
        self.check_alive()?;
        let Some(endpoint) = endpoint else {
            self.monitor.stop();
            return Ok(());
        };
        if split_endpoint(endpoint)?.0 != "inproc" {
            return Err(unsupported_transport());
        }
        let mut pair = Socket::new(Arc::clone(&self.ctx), ZMQ_PAIR)?;
        pair.bind(endpoint)?;
        self.monitor.start(pair, events);
        Ok(())
    }

    /// Hands a bound listener to an I/O thread.
    fn listen(&mut self, given: &str, resolved: String, fd: c_int, listener: StreamListener) -> Result<()> {
        let io = self.ctx.io_thread()?;
        io.send(Command::Listen(Listener {
            listener,
            filter: AcceptFilter {
                tcp: self.options.tcp_accept_filters.clone(),
                pids: self.options.ipc_filter_pids.clone(),
                uids: self.options.ipc_filter_uids.clone(),
                gids: self.options.ipc_filter_gids.clone(),
            },
            socket_id: self.id,
            endpoint: resolved.clone(),
            config: self.session_config(&resolved),
        }));
        self.monitor.event(ZMQ_EVENT_LISTENING, fd as u64, &resolved);
        self.bound.push(Bound { given: given.to_owned(), resolved: resolved.clone(), io, fd });
        self.options.last_endpoint = resolved;
        Ok(())
    }

    /// What sessions of this socket need to know, as the options are now.
    fn session_config(&self, endpoint: &str) -> Arc<SessionConfig> {
        let options = &self.options;
        Arc::new(SessionConfig {
            monitor: Arc::clone(&self.monitor),
            endpoint: endpoint.to_owned(),
            socket_mailbox: Arc::clone(&self.mailbox),
            socket_type: options.socket_type,
            routing_id: options.routing_id.clone(),
            // A conflating socket keeps only the newest message: its pipes never push back.
            sndhwm: if options.effective_conflate() { 0 } else { options.sndhwm },
            rcvhwm: if options.effective_conflate() { 0 } else { options.rcvhwm },
            maxmsgsize: options.maxmsgsize,
            linger: options.linger,
            reconnect_ivl: options.reconnect_ivl,
            reconnect_ivl_max: options.reconnect_ivl_max,
            immediate: options.immediate,
            handshake_ivl: options.handshake_ivl,
            heartbeat_ivl: options.heartbeat_ivl,
            heartbeat_ttl: options.heartbeat_ttl,
            heartbeat_timeout: options.heartbeat_timeout,
            security: crate::io::session::SecurityConfig::from_options(options),
            ctx: Arc::downgrade(&self.ctx),
            metadata: options
                .metadata
                .iter()
                .map(|(key, value)| (String::from_utf8_lossy(key).into_owned(), value.clone()))
                .collect(),
        })
    }

    pub fn connect(&mut self, endpoint: &str) -> Result<()> {
        self.check_alive()?;
        let (transport, address) = split_endpoint(endpoint)?;
        match transport {
            "inproc" => {
                if address.is_empty() {
                    return Err(Errno::EINVAL);
                }
                let peer = self.as_peer();
                let end = self.ctx.inproc().connect(address, peer);
                self.connected.push((endpoint.to_owned(), end.id()));
                self.attach(end, true);
                self.options.last_endpoint = endpoint.to_owned();
                Ok(())
            }
            "tcp" | "ipc" => {
                let destination = if transport == "tcp" {
                    Destination::Tcp(tcp::resolve_connect(address, self.options.ipv6)?.0)
                } else {
                    Destination::Ipc(IpcAddress::parse(address)?.socket_addr()?)
                };
                let io = self.ctx.io_thread()?;
                let session_end = if self.options.immediate {
                    None
                } else {
                    let (socket_end, session_end) =
                        PipeEnd::pair(own_limit(self.options.sndhwm), own_limit(self.options.rcvhwm));
                    socket_end.attach(&self.mailbox, None);
                    // Registered to the I/O thread now, not when it starts the session: a close
                    // right after connect must still reach the session (after its Connect).
                    session_end.attach(io.mailbox(), None);
                    self.connected.push((endpoint.to_owned(), socket_end.id()));
                    self.attach(socket_end, true);
                    Some(session_end)
                };
                io.send(Command::Connect(Box::new(Session::connecter(
                    self.session_config(endpoint),
                    destination,
                    session_end,
                ))));
                self.options.last_endpoint = endpoint.to_owned();
                Ok(())
            }
            _ => Err(unsupported_transport()),
        }
    }

    pub fn unbind(&mut self, endpoint: &str) -> Result<()> {
        self.check_alive()?;
        let (transport, address) = split_endpoint(endpoint)?;
        match transport {
            "inproc" => self.ctx.inproc().unbind(address, self.id),
            "tcp" | "ipc" => {
                let index = self
                    .bound
                    .iter()
                    .position(|b| b.resolved == endpoint || (b.given == endpoint && !b.given.contains('*')))
                    .ok_or(Errno(libc::ENOENT))?;
                let Bound { resolved, io, fd, .. } = self.bound.remove(index);
                self.monitor.event(ZMQ_EVENT_CLOSED, fd as u64, &resolved);
                io.send(Command::Unlisten { socket_id: self.id, endpoint: Some(resolved.clone()) });
                self.ipc_files.retain(|(text, address)| {
                    let keep = *text != resolved;
                    if !keep {
                        address.remove_file();
                    }
                    keep
                });
                Ok(())
            }
            _ => Err(unsupported_transport()),
        }
    }

    pub fn disconnect(&mut self, endpoint: &str) -> Result<()> {
        self.check_alive()?;
        let (transport, address) = split_endpoint(endpoint)?;
        let pipes: Vec<PipeId> =
            self.connected.iter().filter(|(e, _)| e == endpoint).map(|(_, pipe)| *pipe).collect();
        if pipes.is_empty() {
            // For inproc, libzmq treats disconnecting a name this socket bound as unbinding it.
            return match transport {
                "inproc" => self.ctx.inproc().unbind(address, self.id),
                _ => Err(Errno(libc::ENOENT)),
            };
        }
        for pipe in pipes {
            self.pipes.mark_dead(pipe);
        }
        self.remove_dead_pipes();
        Ok(())
    }

    /// When a blocking call must give up: `None` waits forever.
    fn deadline(timeout_ms: c_int) -> Option<Instant> {
        (timeout_ms >= 0).then(|| Instant::now() + Duration::from_millis(timeout_ms as u64))
    }

    /// Waits for commands until `deadline`; EAGAIN when it passes, ETERM when the context stops.
    fn wait(&mut self, deadline: Option<Instant>) -> Result<()> {
        let timeout = match deadline {
            None => None,
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    return Err(Errno::EAGAIN);
                }
                Some(deadline - now)
            }
        };
        self.mailbox.wait(timeout)?;
        self.check_alive()
    }

    /// Sends one frame. On failure the message comes back to the caller.
    pub fn send(&mut self, mut msg: Msg, flags: c_int) -> std::result::Result<(), SendError> {
        if let Err(errno) = self.check_alive() {
            return Err((errno, msg));
        }
        msg.set_more(flags & ZMQ_SNDMORE != 0);
        let nonblocking = flags & ZMQ_DONTWAIT != 0 || self.options.sndtimeo == 0;
        let deadline = Self::deadline(self.options.sndtimeo);
        loop {
            let result = self.pattern.send(msg, &mut self.pipes);
            self.remove_dead_pipes();
            match result {
                Ok(()) => return Ok(()),
                Err((Errno::EAGAIN, returned)) if !nonblocking => msg = returned,
                Err(failure) => return Err(failure),
            }
            if let Err(errno) = self.wait(deadline) {
                return Err((errno, msg));
            }
        }
    }

    /// Receives one frame.
    pub fn recv(&mut self, flags: c_int) -> Result<Msg> {
        self.check_alive()?;
        let nonblocking = flags & ZMQ_DONTWAIT != 0 || self.options.rcvtimeo == 0;
        let deadline = Self::deadline(self.options.rcvtimeo);
        loop {
            let result = self.pattern.recv(&mut self.pipes);
            self.remove_dead_pipes();
            match result {
                Ok(msg) => {
                    let msg = self.conflated(msg);
                    self.rcvmore = msg.more();
                    return Ok(msg);
                }
                Err(Errno::EAGAIN) if !nonblocking => {}
                Err(errno) => return Err(errno),
            }
            self.wait(deadline)?;
        }
    }

    /// With ZMQ_CONFLATE only the newest message counts: skip to the last one queued.
    fn conflated(&mut self, mut msg: Msg) -> Msg {
        if !self.options.effective_conflate() {
            return msg;
        }
        while !msg.more() && self.pattern.has_in(&mut self.pipes) {
            match self.pattern.recv(&mut self.pipes) {
                Ok(newer) => msg = newer,
                Err(_) => break,
            }
        }
        self.remove_dead_pipes();
        msg
    }

    /// ZMQ_EVENTS: processes waiting commands, then reports what can be done without blocking.
    pub fn events(&mut self) -> Result<c_int> {
        self.check_alive()?;
        let mut events = 0;
        if self.pattern.has_in(&mut self.pipes) {
            events |= ZMQ_POLLIN;
        }
        if self.pattern.has_out(&mut self.pipes) {
            events |= ZMQ_POLLOUT;
        }
        self.remove_dead_pipes();
        Ok(events)
    }

    /// The fd that signals possible state changes (ZMQ_FD).
    pub fn fd(&self) -> c_int {
        self.mailbox.fd()
    }

    pub fn set_option(&mut self, option: c_int, value: &[u8]) -> Result<()> {
        self.check_alive()?;
        let known = self.pattern.set_option_with_pipes(option, value, &mut self.pipes);
        self.remove_dead_pipes();
        if !(known? || self.options.set(option, value)?) {
            return Err(Errno::EINVAL);
        }
        if option == ZMQ_SNDHWM || option == ZMQ_RCVHWM {
            self.update_pipe_hwms();
        }
        Ok(())
    }

    /// Applies changed SNDHWM/RCVHWM to the pipes already attached, as libzmq does.
    fn update_pipe_hwms(&mut self) {
        for end in self.pipes.ends() {
            match end.peer_hwms() {
                Some((peer_sndhwm, peer_rcvhwm)) => end.set_hwms(
                    combined_hwm(self.options.sndhwm, peer_rcvhwm),
                    combined_hwm(peer_sndhwm, self.options.rcvhwm),
                ),
                // Network pipes (and inproc connects still waiting for their bind): own limits.
                None => end.set_hwms(own_limit(self.options.sndhwm), own_limit(self.options.rcvhwm)),
            }
        }
    }

    /// Writes an option into `out` and returns how many bytes it took.
    pub fn get_option(&mut self, option: c_int, out: &mut [u8]) -> Result<usize> {
        self.check_alive()?;
        let state = match option {
            ZMQ_RCVMORE => Some(self.rcvmore as c_int),
            ZMQ_FD => Some(self.fd()),
            ZMQ_EVENTS => Some(self.events()?),
            _ => None,
        };
        if let Some(value) = state {
            return put_int(out, value).map(|written| written.unwrap_or(0));
        }
        if let Some(written) = self.pattern.get_option(option, out)? {
            return Ok(written);
        }
        self.options.get(option, out)?.ok_or(Errno::EINVAL)
    }
}

/// Closing (zmq_close) is dropping: every pipe ends (inproc peers still read what was sent;
/// sessions send it on within ZMQ_LINGER), the socket's inproc names are released and it leaves
/// the context.
impl Drop for Socket {
    fn drop(&mut self) {
        self.process_commands();
        for pipe in self.pipes.ids() {
            if let Some(end) = self.pipes.remove(pipe) {
                end.close(self.options.linger);
            }
        }
        self.ctx.inproc().unbind_all(self.id);
        let mut notified: Vec<*const IoThread> = Vec::new();
        for bound in std::mem::take(&mut self.bound) {
            self.monitor.event(ZMQ_EVENT_CLOSED, bound.fd as u64, &bound.resolved);
            if !notified.contains(&Arc::as_ptr(&bound.io)) {
                notified.push(Arc::as_ptr(&bound.io));
                bound.io.send(Command::Unlisten { socket_id: self.id, endpoint: None });
            }
        }
        self.monitor.stop();
        for (_, address) in self.ipc_files.drain(..) {
            address.remove_file();
        }
        self.ctx.unregister_socket(self.id);
    }
}
