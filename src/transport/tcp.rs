//! tcp addresses: parsing and resolving the `address` part of `tcp://address` for bind and
//! connect, with libzmq's rules: `*` for any interface and for an ephemeral port, `[...]` around
//! IPv6 literals, host names resolved on connect, an optional `source;` prefix on connect, and
//! the textual form `ZMQ_LAST_ENDPOINT` reports; and the opening of tcp sockets with the
//! options libzmq applies to every connection (`TcpTuning`), through `sys::socket`.

use std::ffi::c_int;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use crate::error::{Errno, Result};
use crate::socket::options::Options;
use crate::sys::socket as sys;

/// The kernel options a ZeroMQ socket sets on each of its tcp connections, fixed at bind or
/// connect time. -1 (0 for tos, priority and maxrt) leaves the system's default.
#[derive(Clone, Debug, Default)]
pub struct TcpTuning {
    pub sndbuf: c_int,
    pub rcvbuf: c_int,
    pub tos: c_int,
    pub priority: c_int,
    pub keepalive: c_int,
    pub keepalive_cnt: c_int,
    pub keepalive_idle: c_int,
    pub keepalive_intvl: c_int,
    pub maxrt: c_int,
    pub bindtodevice: Vec<u8>,
    pub backlog: c_int,
}

impl TcpTuning {
    pub fn from_options(options: &Options) -> Self {
        Self {
            sndbuf: options.sndbuf,
            rcvbuf: options.rcvbuf,
            tos: options.tos,
            priority: options.priority,
            keepalive: options.tcp_keepalive,
            keepalive_cnt: options.tcp_keepalive_cnt,
            keepalive_idle: options.tcp_keepalive_idle,
            keepalive_intvl: options.tcp_keepalive_intvl,
            maxrt: options.tcp_maxrt,
            bindtodevice: options.bindtodevice.clone(),
            backlog: options.backlog,
        }
    }

    /// Applies the options to a connected or accepted socket. Failures are ignored, as libzmq
    /// does for most of them: a kernel that refuses a buffer size still carries the messages.
    pub fn apply(&self, fd: RawFd) {
        let _ = sys::set_int_option(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, 1);
        self.apply_before_connect(fd);
        if self.keepalive != -1 {
            let _ = sys::set_int_option(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE, self.keepalive);
            if self.keepalive == 1 {
                for (name, value) in [
                    (libc::TCP_KEEPCNT, self.keepalive_cnt),
                    (libc::TCP_KEEPIDLE, self.keepalive_idle),
                    (libc::TCP_KEEPINTVL, self.keepalive_intvl),
                ] {
                    if value != -1 {
                        let _ = sys::set_int_option(fd, libc::IPPROTO_TCP, name, value);
                    }
                }
            }
        }
        if self.maxrt > 0 {
            let _ = sys::set_int_option(fd, libc::IPPROTO_TCP, libc::TCP_USER_TIMEOUT, self.maxrt);
        }
    }

    /// What must be in place before the handshake: buffer sizes (they set the TCP window),
    /// type of service and priority.
    fn apply_before_connect(&self, fd: RawFd) {
        if self.sndbuf >= 0 {
            let _ = sys::set_int_option(fd, libc::SOL_SOCKET, libc::SO_SNDBUF, self.sndbuf);
        }
        if self.rcvbuf >= 0 {
            let _ = sys::set_int_option(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, self.rcvbuf);
        }
        if self.tos != 0 {
            let _ = sys::set_int_option(fd, libc::IPPROTO_IP, libc::IP_TOS, self.tos);
            let _ = sys::set_int_option(fd, libc::IPPROTO_IPV6, libc::IPV6_TCLASS, self.tos);
        }
        if self.priority != 0 {
            let _ = sys::set_int_option(fd, libc::SOL_SOCKET, libc::SO_PRIORITY, self.priority);
        }
    }

    fn bind_device(&self, fd: RawFd) -> io::Result<()> {
        if self.bindtodevice.is_empty() {
            return Ok(());
        }
        sys::bind_to_device(fd, &self.bindtodevice)
    }
}

/// A socket to connect to `destination` (from `source` when given), with the options that
/// must precede the connect applied. A failure here leaves no socket behind.
pub fn open(destination: SocketAddr, source: Option<SocketAddr>, tuning: &TcpTuning) -> io::Result<OwnedFd> {
    let socket = sys::tcp_socket(&destination)?;
    let fd = socket.as_raw_fd();
    tuning.bind_device(fd)?;
    tuning.apply_before_connect(fd);
    if let Some(source) = source {
        // A fixed source port may still be in TIME_WAIT from the last connection.
        let _ = sys::set_int_option(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1);
        sys::bind(fd, &source)?;
    }
    Ok(socket)
}

/// Starts connecting a socket from [`open`] and applies the remaining options. On failure the
/// caller still holds the socket (libzmq reports its closing).
pub fn connect(socket: &OwnedFd, destination: SocketAddr, tuning: &TcpTuning) -> io::Result<()> {
    sys::connect(socket.as_raw_fd(), &destination)?;
    tuning.apply(socket.as_raw_fd());
    Ok(())
}

/// A non-blocking listener on `address` with ZMQ_BACKLOG and ZMQ_BINDTODEVICE.
pub fn listen(address: SocketAddr, tuning: &TcpTuning) -> io::Result<std::net::TcpListener> {
    let socket = sys::tcp_socket(&address)?;
    let fd = socket.as_raw_fd();
    sys::set_int_option(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    tuning.bind_device(fd)?;
    sys::bind(fd, &address)?;
    sys::listen(fd, tuning.backlog.max(1))?;
    Ok(std::net::TcpListener::from(socket))
}

/// Splits `host:port`, accepting `[v6]:port`.
fn split_host_port(address: &str) -> Result<(&str, &str)> {
    let (host, port) = address.rsplit_once(':').ok_or(Errno::EINVAL)?;
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if host.is_empty() {
        return Err(Errno::EINVAL);
    }
    Ok((host, port))
}

/// A port: a number, or `*`/`0` for "any" when `wildcard_ok`.
fn parse_port(port: &str, wildcard_ok: bool) -> Result<u16> {
    match port {
        "*" | "0" if wildcard_ok => Ok(0),
        "*" => Err(Errno::EINVAL),
        _ => port.parse::<u16>().map_err(|_| Errno::EINVAL),
    }
}

/// The address to bind for `tcp://address`. `*` means every interface (IPv6 too when the
/// socket has ZMQ_IPV6); an interface name (`lo`, `eth0`) means its address (IPv4 first); else a
/// literal or a host name. Nothing found is ENODEV, as libzmq says.
pub fn resolve_bind(address: &str, ipv6: bool) -> Result<SocketAddr> {
    let (host, port) = split_host_port(address)?;
    let port = parse_port(port, true)?;
    if host == "*" {
        let any = if ipv6 { IpAddr::V6(Ipv6Addr::UNSPECIFIED) } else { IpAddr::V4(Ipv4Addr::UNSPECIFIED) };
        return Ok(SocketAddr::new(any, port));
    }
    if host.parse::<IpAddr>().is_err() {
        let addresses = sys::interface_addresses(host);
        let chosen = addresses.iter().find(|ip| ip.is_ipv4()).or_else(|| addresses.iter().find(|_| ipv6));
        if let Some(ip) = chosen {
            return Ok(SocketAddr::new(*ip, port));
        }
    }
    resolve_host(host, port, ipv6).map_err(|_| Errno(libc::ENODEV))
}

/// Where `tcp://address` connects, and from which local address (`source;destination`).
pub fn resolve_connect(address: &str, ipv6: bool) -> Result<(SocketAddr, Option<SocketAddr>)> {
    let (source, destination) = match address.split_once(';') {
        Some((source, destination)) => (Some(source), destination),
        None => (None, address),
    };
    let (host, port) = split_host_port(destination)?;
    let destination = resolve_host(host, parse_port(port, false)?, ipv6)?;
    let source = source.map(|source| resolve_bind(source, ipv6)).transpose()?;
    Ok((destination, source))
}

/// A numeric address, or a name resolved (IPv4 first unless ZMQ_IPV6, as libzmq prefers).
fn resolve_host(host: &str, port: u16, ipv6: bool) -> Result<SocketAddr> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        // A literal says which family it wants; libzmq honours it even without ZMQ_IPV6.
        return Ok(SocketAddr::new(ip, port));
    }
    // Only names DNS could know go to the resolver (a bad one would otherwise wait on it).
    if !host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_') {
        return Err(Errno::EINVAL);
    }
    let candidates: Vec<SocketAddr> = (host, port).to_socket_addrs().map_err(|_| Errno::EINVAL)?.collect();
    candidates
        .iter()
        .find(|addr| addr.is_ipv4())
        .or_else(|| candidates.iter().find(|addr| ipv6 && addr.is_ipv6()))
        .copied()
        .ok_or(Errno::EINVAL)
}

/// The endpoint text for a bound or connected address (`ZMQ_LAST_ENDPOINT`).
pub fn endpoint_text(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(v4) => format!("tcp://{}:{}", v4.ip(), v4.port()),
        SocketAddr::V6(v6) => format!("tcp://[{}]:{}", v6.ip(), v6.port()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_host_and_port_bind_everything_ephemeral() {
        assert_eq!(resolve_bind("*:*", false), Ok("0.0.0.0:0".parse().unwrap()));
        assert_eq!(resolve_bind("*:*", true), Ok("[::]:0".parse().unwrap()));
        assert_eq!(resolve_bind("127.0.0.1:5555", false), Ok("127.0.0.1:5555".parse().unwrap()));
    }

    #[test]
    fn ipv6_literals_in_brackets_resolve_to_themselves() {
        assert_eq!(resolve_bind("[::1]:5555", true), Ok("[::1]:5555".parse().unwrap()));
        assert_eq!(resolve_connect("[::1]:5555", false).unwrap().0, "[::1]:5555".parse().unwrap());
    }

    #[test]
    fn host_names_with_spaces_are_einval_without_asking_dns() {
        assert_eq!(resolve_connect("in val id:1234", false).err(), Some(Errno::EINVAL));
    }

    #[test]
    fn connect_needs_a_real_port() {
        assert_eq!(resolve_connect("127.0.0.1:*", false).err(), Some(Errno::EINVAL));
        assert_eq!(resolve_connect("127.0.0.1", false).err(), Some(Errno::EINVAL));
        assert_eq!(resolve_connect("127.0.0.1:99999", false).err(), Some(Errno::EINVAL));
    }

    #[test]
    fn connect_resolves_localhost() {
        let (addr, source) = resolve_connect("localhost:1234", false).unwrap();
        assert_eq!(addr, "127.0.0.1:1234".parse().unwrap());
        assert!(source.is_none());
    }

    #[test]
    fn connect_takes_a_source_address() {
        let (addr, source) = resolve_connect("127.0.0.1:0;127.0.0.1:5555", false).unwrap();
        assert_eq!(addr.port(), 5555);
        assert_eq!(source, Some("127.0.0.1:0".parse().unwrap()));
    }

    #[test]
    fn interface_names_resolve_for_bind_and_as_source() {
        assert_eq!(resolve_bind("lo:5555", false).unwrap(), "127.0.0.1:5555".parse().unwrap());
        let (destination, source) = resolve_connect("lo:5555;localhost:1235", false).unwrap();
        assert_eq!(destination, "127.0.0.1:1235".parse().unwrap());
        assert_eq!(source, Some("127.0.0.1:5555".parse().unwrap()));
        assert_eq!(resolve_bind("no-such-if0:1", false), Err(Errno(libc::ENODEV)));
    }

    #[test]
    fn connect_applies_source_address_and_buffer_sizes() {
        let tuning = TcpTuning {
            sndbuf: 1 << 16,
            rcvbuf: 1 << 16,
            keepalive: 1,
            keepalive_idle: 77,
            backlog: 10,
            ..TcpTuning::default()
        };
        let listener = listen("127.0.0.1:0".parse().unwrap(), &tuning).unwrap();
        let target = listener.local_addr().unwrap();
        let socket = open(target, Some("127.0.0.1:0".parse().unwrap()), &tuning).unwrap();
        connect(&socket, target, &tuning).unwrap();
        let stream = std::net::TcpStream::from(socket);
        listener.set_nonblocking(false).unwrap();
        let (_accepted, peer) = listener.accept().unwrap();
        assert_eq!(peer, stream.local_addr().unwrap());
        let fd = stream.as_raw_fd();
        assert!(sys::get_int_option(fd, libc::SOL_SOCKET, libc::SO_SNDBUF).unwrap() >= 1 << 16);
        assert_eq!(sys::get_int_option(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE).unwrap(), 1);
        assert_eq!(sys::get_int_option(fd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE).unwrap(), 77);
        assert_eq!(sys::get_int_option(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY).unwrap(), 1);
    }

    #[test]
    fn unknown_host_is_einval() {
        assert_eq!(resolve_connect("no-such-host.invalid:1234", false).err(), Some(Errno::EINVAL));
    }

    #[test]
    fn last_endpoint_text_matches_libzmq() {
        assert_eq!(endpoint_text("127.0.0.1:5555".parse().unwrap()), "tcp://127.0.0.1:5555");
        assert_eq!(endpoint_text("[::1]:5555".parse().unwrap()), "tcp://[::1]:5555");
    }
}
