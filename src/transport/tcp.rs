//! tcp addresses: parsing and resolving the `address` part of `tcp://address` for bind and
//! connect, with libzmq's rules: `*` for any interface and for an ephemeral port, `[...]` around
//! IPv6 literals, host names resolved on connect, an optional `source;` prefix on connect, and
//! the textual form `ZMQ_LAST_ENDPOINT` reports. No sockets are opened here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

use crate::error::{Errno, Result};

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
/// socket has ZMQ_IPV6). Host names resolve; interface names are not supported yet (ENODEV).
pub fn resolve_bind(address: &str, ipv6: bool) -> Result<SocketAddr> {
    let (host, port) = split_host_port(address)?;
    let port = parse_port(port, true)?;
    if host == "*" {
        let any = if ipv6 { IpAddr::V6(Ipv6Addr::UNSPECIFIED) } else { IpAddr::V4(Ipv4Addr::UNSPECIFIED) };
        return Ok(SocketAddr::new(any, port));
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
    fn unknown_host_is_einval() {
        assert_eq!(resolve_connect("no-such-host.invalid:1234", false).err(), Some(Errno::EINVAL));
    }

    #[test]
    fn last_endpoint_text_matches_libzmq() {
        assert_eq!(endpoint_text("127.0.0.1:5555".parse().unwrap()), "tcp://127.0.0.1:5555");
        assert_eq!(endpoint_text("[::1]:5555".parse().unwrap()), "tcp://[::1]:5555");
    }
}
