//! The generic socket: what every socket type shares. It owns the socket's pipes, options and
//! mailbox; runs on the application thread that uses the socket; processes commands (pipe
//! activation, new pipes, pipe termination, context stop) when its mailbox signals; implements
//! blocking with timeouts on top of the mailbox's eventfd; and delegates routing decisions to the
//! socket type (`Pattern`). Endpoints: inproc here; network transports attach pipes the same way.

use std::collections::VecDeque;
use std::ffi::c_int;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::command::Command;
use crate::constants::*;
use crate::ctx::Ctx;
use crate::error::{Errno, Result};
use crate::io::session::{own_limit, socket_pipe, Destination, Session, SessionConfig};
use crate::io::stream::StreamListener;
use crate::io::thread::{AcceptFilter, IoThread, Listener};
use crate::mailbox::Mailbox;
use crate::msg::Msg;
use crate::pipe::{PipeEnd, PipeId};
use crate::socket::monitor::{EndpointPair, MonitorSlot};
use crate::socket::options::Options;
use crate::socket::pattern::{put_int, Pattern, SendError};
use crate::socket::pipes::Pipes;
use crate::socket::{dealer::Dealer, pair::Pair, pull::Pull, push::Push, rep::Rep, req::Req, router::Router};
use crate::socket::{publisher::Pub, subscriber::Sub, xpub::Xpub, xsub::Xsub};
use crate::sys;
use crate::transport::inproc::{combined_hwm, Peer};
use crate::transport::ipc::{self, IpcAddress};
use crate::transport::tcp;
use crate::transport::udp;
use crate::util::spin_window::SpinWindow;

/// An OS error as the errno libzmq would report.
fn os_errno(error: std::io::Error) -> Errno {
    Errno(error.raw_os_error().unwrap_or(libc::EINVAL))
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
        draft::ZMQ_SERVER => Box::<crate::socket::server::Server>::default(),
        draft::ZMQ_CLIENT => Box::<crate::socket::client::Client>::default(),
        draft::ZMQ_RADIO => Box::<crate::socket::radio::Radio>::default(),
        draft::ZMQ_DISH => Box::<crate::socket::dish::Dish>::default(),
        draft::ZMQ_DGRAM => Box::<crate::socket::dgram::Dgram>::default(),
        draft::ZMQ_PEER => Box::<crate::socket::server::Server>::default(),
        draft::ZMQ_SCATTER => Box::<crate::socket::single_part::Scatter>::default(),
        draft::ZMQ_GATHER => Box::<crate::socket::single_part::Gather>::default(),
        draft::ZMQ_CHANNEL => Box::<crate::socket::single_part::Channel>::default(),
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

/// The longest an I/O thread polls for an answer (see `Socket::wait`): an idle loopback tcp round
/// trip with two thread hops each way takes 40-90 us on a VM, and is what the watch should catch.
const REPLY_WATCH_MAX: Duration = Duration::from_micros(100);

/// The longest a blocking send waits for a reader to report progress (see `Socket::pace`). A
/// busy reader reports every MiB it takes (`pipe::REPORT_BYTES`), within a few hundred
/// microseconds at loopback speed, but an I/O thread descheduled for a scheduler slice (~3 ms)
/// must not be taken for a stalled one: with 1 ms the sender went unpaced after such gaps (A/B,
/// 64 KiB: tcp medians 75k -> 95k msg/s over nine rounds, ipc 54k -> 72k over five).
const PACE_WAIT: Duration = Duration::from_millis(4);

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
    /// zmq_disconnect was called with ZMQ_RECONNECT_STOP_AFTER_DISCONNECT on (read by sessions).
    disconnected: Arc<std::sync::atomic::AtomicBool>,
    /// ipc socket files this socket created, removed again on unbind and close.
    ipc_files: Vec<(String, IpcAddress)>,
    /// The last frame received had MORE set (ZMQ_RCVMORE).
    rcvmore: bool,
    /// The context is shutting down: everything but close fails with ETERM.
    terminated: bool,
    /// Threads pumping this socket's udp:// endpoints; joined on close, so their ports are free.
    udp_pumps: Vec<std::thread::JoinHandle<()>>,
    /// The socket has bound or connected a transport other than inproc: what wakes it may be its
    /// own I/O thread, which a spinning wait would keep from running (see `Mailbox::wait`).
    networked: bool,
    /// The I/O threads that run this socket's tcp/ipc listeners and connections.
    io_threads: Vec<Arc<IoThread>>,
    /// The last call that went through was a send: a receive now probably waits for an answer,
    /// which an inproc peer gives within microseconds (a receive-only or sending socket waits
    /// on a peer that is busy, where spinning would only take its CPU).
    awaiting_reply: bool,
    /// How long the I/O threads poll for the answer a networked receive awaits.
    reply_watch: SpinWindow,
    /// Commands being applied; the buffer trades places with the mailbox's queue.
    commands: VecDeque<Command>,
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
            disconnected: Arc::default(),
            ipc_files: Vec::new(),
            rcvmore: false,
            terminated: false,
            udp_pumps: Vec::new(),
            networked: false,
            io_threads: Vec::new(),
            awaiting_reply: false,
            reply_watch: SpinWindow::up_to(REPLY_WATCH_MAX),
            commands: VecDeque::new(),
        })
    }

    #[inline]
    fn check_alive(&mut self) -> Result<()> {
        self.process_commands();
        if self.terminated {
            Err(Errno::ETERM)
        } else {
            Ok(())
        }
    }

    /// Applies every waiting command (and takes a late mailbox signal). Costs one atomic load
    /// when there is none (inlined into every send and receive; the work itself is out of line).
    #[inline]
    fn process_commands(&mut self) {
        if self.mailbox.needs_attention() {
            self.apply_commands();
        }
    }

    #[inline(never)]
    fn apply_commands(&mut self) {
        let mut commands = std::mem::take(&mut self.commands);
        self.mailbox.take_all_into(&mut commands);
        for command in commands.drain(..) {
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
        self.commands = commands;
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

    /// ZMQ_DISCONNECT_MSG (draft): a peer that went away leaves this message behind, received as
    /// if that peer had sent it last (types that take one: ROUTER... see `Pattern::disconnected`).
    fn peer_left(&mut self, pipe: PipeId) {
        if let Ok(msg) = Msg::from_slice(&self.options.disconnect_msg) {
            self.pattern.disconnected(pipe, msg);
        }
    }

    /// ZMQ_HELLO_MSG (draft): the message that types libzmq lets send one (ROUTER, DEALER,
    /// SERVER, CLIENT, PEER) put first on every new connection, if set. Whoever makes the
    /// connection puts it there, so it goes out without this socket's thread: a session on the
    /// wire after each handshake, an inproc connect into the binder's new pipe end.
    fn hello_msg(&self) -> Option<Bytes> {
        let can_send = matches!(
            self.options.socket_type,
            ZMQ_ROUTER | ZMQ_DEALER | draft::ZMQ_SERVER | draft::ZMQ_CLIENT | draft::ZMQ_PEER
        );
        (can_send && !self.options.hello_msg.is_empty())
            .then(|| Bytes::copy_from_slice(&self.options.hello_msg))
    }

    /// ZMQ_HICCUP_MSG for this socket's sessions, if set and its type takes one (libzmq:
    /// CLIENT, DEALER, PEER).
    fn hiccup_msg(&self) -> Option<Bytes> {
        let can_recv = matches!(self.options.socket_type, ZMQ_DEALER | draft::ZMQ_CLIENT | draft::ZMQ_PEER);
        (can_recv && !self.options.hiccup_msg.is_empty())
            .then(|| Bytes::copy_from_slice(&self.options.hiccup_msg))
    }

    /// Queues the hello message on an inproc pipe this socket's own thread attached.
    fn send_hello(&mut self, pipe: PipeId) {
        if let Some(Ok(hello)) = self.hello_msg().map(|hello| Msg::from_slice(&hello)) {
            self.pipes.write(pipe, hello);
        }
    }

    /// Removes the pipes found dead (a test of one length on the message path).
    #[inline]
    fn remove_dead_pipes(&mut self) {
        self.reap_dead_pipes();
    }

    /// `remove_dead_pipes`, telling whether some pipe was removed: its socket type may then have
    /// something new for the caller (a ZMQ_ROUTER_NOTIFY or ZMQ_DISCONNECT_MSG notice), which a
    /// receive that just failed with EAGAIN must not wait past.
    #[inline]
    fn reap_dead_pipes(&mut self) -> bool {
        self.pipes.has_dead() && self.reap_dead_pipes_now()
    }

    #[inline(never)]
    fn reap_dead_pipes_now(&mut self) -> bool {
        let dead = self.pipes.take_dead();
        let reaped = !dead.is_empty();
        for pipe in dead {
            if !self.options.disconnect_msg.is_empty() && self.pipes.is_peer_gone(pipe) {
                self.peer_left(pipe);
            }
            if let Some(end) = self.pipes.remove(pipe) {
                end.terminate(false);
                self.pattern.terminated(pipe);
                self.connected.retain(|(_, p)| *p != pipe);
            }
        }
        reaped
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
            hello: self.hello_msg(),
        }
    }

    pub fn bind(&mut self, endpoint: &str) -> Result<()> {
        self.check_alive()?;
        let (transport, address) = split_endpoint(endpoint)?;
        self.networked |= transport != "inproc";
        match transport {
            "inproc" => {
                if address.is_empty() {
                    return Err(Errno::EINVAL);
                }
                let peer = self.as_peer();
                let waiting = self.ctx.inproc().bind(address, peer)?;
                for end in waiting {
                    let id = end.id();
                    self.attach(end, false);
                    self.send_hello(id);
                }
                self.options.last_endpoint = endpoint.to_owned();
                Ok(())
            }
            "tcp" | "ipc" => {
                let result = self.bind_stream(transport, address, endpoint);
                if let Err(errno) = result {
                    self.monitor.event(
                        ZMQ_EVENT_BIND_FAILED,
                        errno.0 as u64,
                        &EndpointPair::listener(endpoint),
                    );
                }
                result
            }
            "udp" => self.bind_udp(address, endpoint),
            _ => Err(unsupported_transport()),
        }
    }

    fn bind_stream(&mut self, transport: &str, address: &str, endpoint: &str) -> Result<()> {
        use std::os::fd::AsRawFd;
        // ZMQ_USE_FD: the application made and bound the listening socket; the endpoint only
        // has to be well formed.
        let given_fd = (self.options.use_fd >= 0).then_some(self.options.use_fd);
        let adopt = |fd, unix| crate::sys::socket::adopt_listener(fd, unix).map_err(os_errno);
        if transport == "tcp" {
            let address = tcp::resolve_bind(address, self.options.ipv6)?;
            let listener = match given_fd {
                Some(fd) => std::net::TcpListener::from(adopt(fd, false)?),
                None => {
                    tcp::listen(address, &tcp::TcpTuning::from_options(&self.options)).map_err(os_errno)?
                }
            };
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
            let (listener, address) = match given_fd {
                Some(fd) => {
                    (std::os::unix::net::UnixListener::from(adopt(fd, true)?), IpcAddress::parse(address)?)
                }
                None => ipc::bind(address)?,
            };
            listener.set_nonblocking(true).map_err(os_errno)?;
            let resolved = address.endpoint_text();
            // The socket file of an adopted listener belongs to the application.
            if given_fd.is_none() {
                self.ipc_files.push((resolved.clone(), address));
            }
            let fd = listener.as_raw_fd();
            self.listen(
                endpoint,
                resolved,
                fd,
                StreamListener::Unix(mio::net::UnixListener::from_std(listener)),
            )
        }
    }

    /// zmq_socket_monitor: version 1 events go to a PAIR socket bound to the inproc `endpoint`;
    /// `None` stops monitoring.
    pub fn monitor(&mut self, endpoint: Option<&str>, events: u64) -> Result<()> {
        self.monitor_as(endpoint, events, 1, ZMQ_PAIR)
    }

    /// zmq_socket_monitor_versioned: like `monitor`, with events in format `version` (1 or 2)
    /// sent through a socket of `socket_type` (PAIR, PUB or PUSH). The checks and their order are
    /// libzmq's: version 1 takes only the first 16 event bits.
    pub fn monitor_as(
        &mut self,
        endpoint: Option<&str>,
        events: u64,
        version: c_int,
        socket_type: c_int,
    ) -> Result<()> {
        self.check_alive()?;
        if !matches!(version, 1 | 2) || (version == 1 && events >> 16 != 0) {
            return Err(Errno::EINVAL);
        }
        let Some(endpoint) = endpoint else {
            self.monitor.stop();
            return Ok(());
        };
        if split_endpoint(endpoint)?.0 != "inproc" {
            return Err(unsupported_transport());
        }
        // libzmq stops a running monitor before it looks at the socket type.
        self.monitor.stop();
        if !matches!(socket_type, ZMQ_PAIR | ZMQ_PUB | ZMQ_PUSH) {
            return Err(Errno::EINVAL);
        }
        let mut sink = Socket::new(Arc::clone(&self.ctx), socket_type)?;
        sink.bind(endpoint)?;
        self.monitor.start(sink, events, version);
        Ok(())
    }

    /// zmq_socket_monitor_pipes_stats (draft): one ZMQ_EVENT_PIPES_STATS per pipe, with its
    /// outbound and inbound queue counts and its connection's addresses. EINVAL unless a monitor
    /// asked for those events, EAGAIN when there is no pipe, as in libzmq.
    pub fn monitor_pipes_stats(&mut self) -> Result<()> {
        self.check_alive()?;
        if !self.monitor.wants(draft::ZMQ_EVENT_PIPES_STATS) {
            return Err(Errno::EINVAL);
        }
        if self.pipes.is_empty() {
            return Err(Errno::EAGAIN);
        }
        for end in self.pipes.ends() {
            let (outbound, inbound) = end.queue_counts();
            let (local, remote) = end.peer_addresses();
            let pair = EndpointPair { local, remote, bound: false };
            self.monitor.event_values(draft::ZMQ_EVENT_PIPES_STATS, &[outbound, inbound], &pair);
        }
        Ok(())
    }

    /// Whether the socket has bound or connected a transport other than inproc.
    pub fn is_networked(&self) -> bool {
        self.networked
    }

    /// The I/O thread for a new listener or connection of this socket.
    fn serving_io_thread(&mut self) -> Result<Arc<IoThread>> {
        let io = self.ctx.io_thread()?;
        if !self.io_threads.iter().any(|known| Arc::ptr_eq(known, &io)) {
            self.io_threads.push(Arc::clone(&io));
        }
        Ok(io)
    }

    /// Hands a bound listener to an I/O thread.
    fn listen(&mut self, given: &str, resolved: String, fd: c_int, listener: StreamListener) -> Result<()> {
        let io = self.serving_io_thread()?;
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
        self.monitor.event(ZMQ_EVENT_LISTENING, fd as u64, &EndpointPair::listener(&resolved));
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
            reconnect_stop: options.reconnect_stop,
            disconnected: Arc::clone(&self.disconnected),
            hello_msg: self.hello_msg(),
            hiccup_msg: self.hiccup_msg(),
            immediate: options.immediate,
            handshake_ivl: options.handshake_ivl,
            connect_timeout: options.connect_timeout,
            heartbeat_ivl: options.heartbeat_ivl,
            heartbeat_ttl: options.heartbeat_ttl,
            heartbeat_timeout: options.heartbeat_timeout,
            tcp: tcp::TcpTuning::from_options(options),
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
        self.networked |= transport != "inproc";
        match transport {
            "inproc" => {
                if address.is_empty() {
                    return Err(Errno::EINVAL);
                }
                let peer = self.as_peer();
                let end = self.ctx.inproc().connect(address, peer);
                let id = end.id();
                self.connected.push((endpoint.to_owned(), id));
                self.attach(end, true);
                self.send_hello(id);
                self.options.last_endpoint = endpoint.to_owned();
                Ok(())
            }
            "tcp" | "ipc" => {
                let destination = if transport == "tcp" {
                    if self.options.socks_proxy.is_empty() {
                        let (address, source) = tcp::resolve_connect(address, self.options.ipv6)?;
                        Destination::Tcp { address, source }
                    } else {
                        // The proxy resolves the endpoint's host; only the proxy is resolved here.
                        let proxy =
                            std::str::from_utf8(&self.options.socks_proxy).map_err(|_| Errno::EINVAL)?;
                        crate::transport::socks::SocksClient::new(address, &[], &[])?;
                        Destination::Socks {
                            proxy: tcp::resolve_connect(proxy, self.options.ipv6)?.0,
                            target: address.to_owned(),
                            username: self.options.socks_username.clone(),
                            password: self.options.socks_password.clone(),
                        }
                    }
                } else {
                    Destination::Ipc(IpcAddress::parse(address)?.socket_addr()?)
                };
                let io = self.serving_io_thread()?;
                let session_end = if self.options.immediate {
                    None
                } else {
                    let (socket_end, session_end) =
                        socket_pipe(self.options.sndhwm, self.options.rcvhwm, self.options.socket_type);
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
                self.signal_new_connection();
                self.options.last_endpoint = endpoint.to_owned();
                Ok(())
            }
            "udp" => self.connect_udp(address, endpoint),
            _ => Err(unsupported_transport()),
        }
    }

    /// In libzmq a network connect sends the socket a command (its new child session), so its
    /// ZMQ_FD turns readable after zmq_connect; programs polling that fd (upstream test_poller's
    /// raw-fd case) rely on it. An activation for a pipe id no pipe has is that wake-up, and is
    /// ignored when processed.
    fn signal_new_connection(&self) {
        self.mailbox.send(Command::ActivateRead(PipeId::MAX));
    }

    /// Binds udp:// (draft): DISH and DGRAM only (ENOCOMPATPROTO otherwise, as in libzmq).
    fn bind_udp(&mut self, address: &str, endpoint: &str) -> Result<()> {
        let role = match self.options.socket_type {
            draft::ZMQ_DISH => udp::Role::Dish,
            draft::ZMQ_DGRAM => udp::Role::Dgram,
            _ => return Err(Errno::ENOCOMPATPROTO),
        };
        let (resolved, end, pump) = udp::bind(address, self.options.ipv6, role)?;
        self.udp_pumps.push(pump);
        end.attach(&self.mailbox, None);
        self.attach(end, false);
        let _ = endpoint;
        self.options.last_endpoint = resolved;
        Ok(())
    }

    /// Connects udp:// (draft): RADIO only (ENOCOMPATPROTO otherwise, DGRAM included).
    fn connect_udp(&mut self, address: &str, endpoint: &str) -> Result<()> {
        if self.options.socket_type != draft::ZMQ_RADIO {
            return Err(Errno::ENOCOMPATPROTO);
        }
        let options = udp::SendOptions {
            multicast_loop: self.options.multicast_loop,
            multicast_hops: self.options.multicast_hops.max(1) as u32,
        };
        let (end, pump) = udp::connect(address, self.options.ipv6, options)?;
        self.udp_pumps.push(pump);
        end.attach(&self.mailbox, None);
        let pipe = end.id();
        self.connected.push((endpoint.to_owned(), pipe));
        self.attach(end, true);
        self.pattern.subscribe_to_all(pipe);
        self.options.last_endpoint = endpoint.to_owned();
        Ok(())
    }

    /// zmq_socket_get_peer_state (ROUTER; ENOTSUP for other types).
    pub fn peer_state(&mut self, routing_id: &[u8]) -> Result<c_int> {
        self.check_alive()?;
        let result = self.pattern.peer_state(routing_id, &mut self.pipes);
        self.remove_dead_pipes();
        result
    }

    /// zmq_join / zmq_leave (DISH; ENOTSUP for other types).
    pub fn join_group(&mut self, group: &[u8], join: bool) -> Result<()> {
        self.check_alive()?;
        let result = if join {
            self.pattern.join(group, &mut self.pipes)
        } else {
            self.pattern.leave(group, &mut self.pipes)
        };
        self.remove_dead_pipes();
        result
    }

    /// zmq_connect_peer: connects a PEER socket and returns the routing id its new peer got.
    /// ENOTSUP for other types, EFAULT with ZMQ_IMMEDIATE (no pipe to name yet), as in libzmq.
    pub fn connect_peer(&mut self, endpoint: &str) -> Result<u32> {
        if self.options.socket_type != draft::ZMQ_PEER {
            return Err(Errno::ENOTSUP);
        }
        if self.options.immediate {
            return Err(Errno::EFAULT);
        }
        self.connect(endpoint)?;
        let pipe = self.connected.last().map(|(_, pipe)| *pipe).ok_or(Errno::EFAULT)?;
        self.pattern.peer_routing_id(pipe).ok_or(Errno::EFAULT)
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
                self.monitor.event(ZMQ_EVENT_CLOSED, fd as u64, &EndpointPair::listener(&resolved));
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
        if self.options.reconnect_stop & draft::ZMQ_RECONNECT_STOP_AFTER_DISCONNECT != 0 {
            self.disconnected.store(true, std::sync::atomic::Ordering::Relaxed);
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
    /// `spin` allows the mailbox's short spin before sleeping.
    fn wait(&mut self, deadline: Option<Instant>, spin: bool) -> Result<()> {
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
        if spin && self.networked && sys::multicore() {
            // The answer comes through an I/O thread: keep that thread polling while it may
            // come, and learn from how long it took how long to ask for next time.
            let start = Instant::now();
            let watch_end = start + self.reply_watch.current();
            let watching = !self.reply_watch.current().is_zero();
            if watching {
                self.io_threads.iter().for_each(|io| io.watch_until(watch_end));
            }
            let woken = self.mailbox.wait(timeout, false);
            if watching {
                self.io_threads.iter().for_each(|io| io.end_watch(watch_end));
            }
            self.reply_watch.waited(start.elapsed());
            woken?;
        } else {
            // A networked socket's commands come from I/O threads: spinning for them pays only
            // while one is at work on another CPU (see `IoThread::runs_elsewhere`); then a
            // pipe it fills or drains is usually reported within microseconds.
            let spin = if self.networked { self.io_runs_elsewhere() } else { spin };
            self.mailbox.wait(timeout, spin)?;
        }
        self.check_alive()
    }

    fn io_runs_elsewhere(&self) -> bool {
        sys::current_cpu().is_some_and(|cpu| self.io_threads.iter().any(|io| io.runs_elsewhere(cpu)))
    }

    /// Sends one frame. On failure the message comes back to the caller.
    pub fn send(&mut self, mut msg: Msg, flags: c_int) -> std::result::Result<(), SendError> {
        match self.send_from(&mut msg, flags) {
            Ok(()) => Ok(()),
            Err(errno) => Err((errno, msg)),
        }
    }

    /// Sends the frame in `msg` where it lies (the caller's `zmq_msg_t`): on success `msg` is
    /// left empty, on failure as it was (with the MORE flag of `flags`), as libzmq does.
    pub fn send_from(&mut self, msg: &mut Msg, flags: c_int) -> Result<()> {
        self.check_alive()?;
        msg.set_more(flags & ZMQ_SNDMORE != 0);
        let nonblocking = flags & ZMQ_DONTWAIT != 0 || self.options.sndtimeo == 0;
        // Known only once a wait is needed: a send that goes through at once asks no clock.
        let mut deadline = None;
        loop {
            let result = self.pattern.send_from(msg, &mut self.pipes);
            self.remove_dead_pipes();
            match result {
                Ok(()) => {
                    self.awaiting_reply = true;
                    if let Some(pipe) = self.pipes.take_over_pace() {
                        if !nonblocking {
                            self.pace(pipe);
                        }
                    }
                    return Ok(());
                }
                Err(Errno::EAGAIN) if !nonblocking => {}
                Err(errno) => return Err(errno),
            }
            let deadline = *deadline.get_or_insert_with(|| Self::deadline(self.options.sndtimeo));
            self.wait(deadline, false)?;
        }
    }

    /// Lets the reader of `pipe`, which the message just sent has put over its pace, report
    /// progress before the blocking send returns (see `PipeEnd::over_pace`; only the pipes of
    /// the types `options::paces_sends` names to sessions are paced): waits for one
    /// `ActivateWrite` (or any command), at most [`PACE_WAIT`]. A reader that reports nothing
    /// meanwhile (a peer not reading) is marked stalled, so a sender filling the pipe towards
    /// its high-water mark waits once, not once per message. The message is queued already:
    /// whatever the wait ends with, the send succeeded.
    #[cold]
    fn pace(&mut self, pipe: PipeId) {
        if self.pipes.len() != 1 {
            return;
        }
        if let Some(seen) = self.pipes.await_pace(pipe) {
            // Whatever ends the wait (ETERM included) is for the next call to see.
            let _ = self.wait(Some(Instant::now() + PACE_WAIT), false);
            self.pipes.pace_waited(pipe, seen);
        }
    }

    /// Receives one frame.
    pub fn recv(&mut self, flags: c_int) -> Result<Msg> {
        let mut msg = Msg::new();
        self.recv_into(&mut msg, flags)?;
        Ok(msg)
    }

    /// Receives one frame into `out` (the caller's `zmq_msg_t`), releasing what it held; on
    /// failure `out` is left alone.
    pub fn recv_into(&mut self, out: &mut Msg, flags: c_int) -> Result<()> {
        self.check_alive()?;
        let nonblocking = flags & ZMQ_DONTWAIT != 0 || self.options.rcvtimeo == 0;
        let deadline = Self::deadline(self.options.rcvtimeo);
        loop {
            let result = self.pattern.recv_into(out, &mut self.pipes);
            let reaped = self.reap_dead_pipes();
            match result {
                Ok(()) => {
                    if self.options.effective_conflate() {
                        self.skip_to_newest(out);
                    }
                    self.rcvmore = out.more();
                    self.awaiting_reply = false;
                    return Ok(());
                }
                // A pipe died on the way: look again before giving up or waiting.
                Err(Errno::EAGAIN) if reaped => continue,
                Err(Errno::EAGAIN) if !nonblocking => {}
                Err(errno) => return Err(errno),
            }
            self.wait(deadline, self.awaiting_reply)?;
        }
    }

    /// With ZMQ_CONFLATE only the newest message counts: skip to the last one queued.
    #[cold]
    fn skip_to_newest(&mut self, msg: &mut Msg) {
        while !msg.more() && self.pattern.has_in(&mut self.pipes) {
            if self.pattern.recv_into(msg, &mut self.pipes).is_err() {
                break;
            }
        }
        self.remove_dead_pipes();
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
        if self.reap_dead_pipes() && events & ZMQ_POLLIN == 0 && self.pattern.has_in(&mut self.pipes) {
            // A pipe that died had left a notice behind (see `reap_dead_pipes`).
            events |= ZMQ_POLLIN;
        }
        self.remove_dead_pipes();
        Ok(events)
    }

    /// Whether commands wait in the mailbox (whoever uses the socket next will process them).
    pub fn has_pending_commands(&self) -> bool {
        self.mailbox.has_pending()
    }

    /// The fd that signals possible state changes (ZMQ_FD).
    pub fn fd(&self) -> c_int {
        self.mailbox.fd()
    }

    pub fn set_option(&mut self, option: c_int, value: &[u8]) -> Result<()> {
        self.set_option_from_c(option, (!value.is_empty()).then_some(value))
    }

    /// `zmq_setsockopt` as C calls it: `None` is a NULL value, which libzmq tells apart from an
    /// empty non-NULL one for a few string options (see `Options::set_nullable`).
    pub fn set_option_from_c(&mut self, option: c_int, value: Option<&[u8]>) -> Result<()> {
        self.check_alive()?;
        let bytes = value.unwrap_or(&[]);
        let known = self.pattern.set_option_with_pipes(option, bytes, &mut self.pipes);
        self.remove_dead_pipes();
        if !(known? || self.options.set_nullable(option, value)?) {
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
        if option == ZMQ_FD && !self.terminated {
            // As in libzmq, asking for the fd leaves pending commands alone: they are what makes
            // it readable for the caller about to poll it.
            return put_int(out, self.fd()).map(|written| written.unwrap_or(0));
        }
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
        // Each udp pump ends once it finds its pipe closed.
        for pump in self.udp_pumps.drain(..) {
            let _ = pump.join();
        }
        self.ctx.inproc().unbind_all(self.id);
        let mut notified: Vec<*const IoThread> = Vec::new();
        for bound in std::mem::take(&mut self.bound) {
            self.monitor.event(ZMQ_EVENT_CLOSED, bound.fd as u64, &EndpointPair::listener(&bound.resolved));
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
