//! The socket calls std and mio do not offer: a tcp socket tuned and bound before it connects or
//! listens (ZMQ_BINDTODEVICE, a source address, ZMQ_BACKLOG), integer socket options, and the
//! addresses of a network interface by name. Safe wrappers; each `unsafe` block says why it
//! holds. Which options a ZeroMQ socket wants is decided in `transport::tcp`, not here.

use std::ffi::{c_int, CString};
use std::io;
use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::SocketAddr as UnixSocketAddr;

fn check(rc: c_int) -> io::Result<()> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// `addr` as the C structure the kernel reads.
fn to_sockaddr(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain data for which all zero bytes is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
    let len = match addr {
        SocketAddr::V4(v4) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: v4.port().to_be(),
                sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes(v4.ip().octets()) },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for every sockaddr type.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin) };
            size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(v6) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: v6.port().to_be(),
                sin6_flowinfo: v6.flowinfo(),
                sin6_addr: libc::in6_addr { s6_addr: v6.ip().octets() },
                sin6_scope_id: v6.scope_id(),
            };
            // SAFETY: as above.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin6) };
            size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

/// A non-blocking, close-on-exec tcp socket of `addr`'s family.
pub fn tcp_socket(addr: &SocketAddr) -> io::Result<OwnedFd> {
    let family = if addr.is_ipv4() { libc::AF_INET } else { libc::AF_INET6 };
    // SAFETY: socket takes no pointers; a non-negative result is a descriptor we now own.
    let fd = unsafe { libc::socket(family, libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, 0) };
    check(fd)?;
    // SAFETY: fd was just created and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

pub fn bind(fd: RawFd, addr: &SocketAddr) -> io::Result<()> {
    let (storage, len) = to_sockaddr(addr);
    // SAFETY: the kernel reads `len` bytes of the live storage.
    check(unsafe { libc::bind(fd, (&storage as *const libc::sockaddr_storage).cast(), len) })
}

pub fn listen(fd: RawFd, backlog: c_int) -> io::Result<()> {
    // SAFETY: no pointers.
    check(unsafe { libc::listen(fd, backlog) })
}

/// A non-blocking, close-on-exec unix stream socket.
pub fn unix_socket() -> io::Result<OwnedFd> {
    // SAFETY: socket takes no pointers; a non-negative result is a descriptor we now own.
    let fd = unsafe {
        libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, 0)
    };
    check(fd)?;
    // SAFETY: fd was just created and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Connects a unix socket to a path or an abstract name (a unix connect completes at once, or
/// fails: ECONNREFUSED, ENOENT, EAGAIN when the listener's backlog is full).
pub fn unix_connect(fd: RawFd, addr: &UnixSocketAddr) -> io::Result<()> {
    // SAFETY: sockaddr_un is plain data for which all zero bytes is a valid value.
    let mut sun: libc::sockaddr_un = unsafe { zeroed() };
    sun.sun_family = libc::AF_UNIX as libc::sa_family_t;
    // An abstract name is stored after a leading NUL, a path with a trailing one (zeroed).
    let (offset, name) = match (addr.as_pathname(), addr.as_abstract_name()) {
        (Some(path), _) => (0, path.as_os_str().as_bytes()),
        (None, Some(name)) => (1, name),
        (None, None) => return Err(io::Error::from_raw_os_error(libc::EINVAL)),
    };
    if offset + name.len() >= sun.sun_path.len() {
        return Err(io::Error::from_raw_os_error(libc::ENAMETOOLONG));
    }
    for (slot, byte) in sun.sun_path[offset..].iter_mut().zip(name) {
        *slot = *byte as libc::c_char;
    }
    // Either way the name takes one byte more: the path's NUL, or the abstract name's.
    let len = size_of::<libc::sa_family_t>() + 1 + name.len();
    // SAFETY: the kernel reads `len` bytes (at most the structure's size) of the live sun.
    check(unsafe { libc::connect(fd, (&sun as *const libc::sockaddr_un).cast(), len as libc::socklen_t) })
}

/// Starts a non-blocking connect; "in progress" is success (completion shows as writability).
pub fn connect(fd: RawFd, addr: &SocketAddr) -> io::Result<()> {
    let (storage, len) = to_sockaddr(addr);
    // SAFETY: the kernel reads `len` bytes of the live storage.
    match check(unsafe { libc::connect(fd, (&storage as *const libc::sockaddr_storage).cast(), len) }) {
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => Ok(()),
        other => other,
    }
}

pub fn set_int_option(fd: RawFd, level: c_int, name: c_int, value: c_int) -> io::Result<()> {
    // SAFETY: the kernel reads one c_int from the live local.
    check(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const c_int).cast(),
            size_of::<c_int>() as libc::socklen_t,
        )
    })
}

pub fn get_int_option(fd: RawFd, level: c_int, name: c_int) -> io::Result<c_int> {
    let mut value: c_int = 0;
    let mut len = size_of::<c_int>() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes into the live local.
    check(unsafe { libc::getsockopt(fd, level, name, (&mut value as *mut c_int).cast(), &mut len) })?;
    Ok(value)
}

/// SO_BINDTODEVICE: the socket only uses the named interface.
pub fn bind_to_device(fd: RawFd, device: &[u8]) -> io::Result<()> {
    // SAFETY: the kernel reads `device.len()` bytes of the live slice.
    check(unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_BINDTODEVICE,
            device.as_ptr().cast(),
            device.len() as libc::socklen_t,
        )
    })
}

/// Takes over a listening socket the application created (ZMQ_USE_FD). It must be a listening
/// socket of the given family (AF_INET/AF_INET6 for tcp, AF_UNIX for ipc); it is made
/// non-blocking, and closing the result closes it, as libzmq does when it unbinds.
pub fn adopt_listener(fd: RawFd, unix: bool) -> io::Result<OwnedFd> {
    if get_int_option(fd, libc::SOL_SOCKET, libc::SO_ACCEPTCONN)? != 1 {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    let domain = get_int_option(fd, libc::SOL_SOCKET, libc::SO_DOMAIN)?;
    if (domain == libc::AF_UNIX) != unix {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: the descriptor is an open listening socket (the kernel just answered for it), and
    // ZMQ_USE_FD hands its ownership to the ZeroMQ socket: nobody else closes it.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: fcntl with these commands takes no pointers.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    check(flags)?;
    // SAFETY: as above.
    check(unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) })?;
    Ok(owned)
}

/// The addresses of the network interface called `name` (empty when there is none).
pub fn interface_addresses(name: &str) -> Vec<IpAddr> {
    let Ok(wanted) = CString::new(name) else { return Vec::new() };
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list` with a linked list we free below.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut entry = list;
    while !entry.is_null() {
        // SAFETY: entry is a node of the list getifaddrs returned, alive until freeifaddrs.
        let node = unsafe { &*entry };
        entry = node.ifa_next;
        // SAFETY: ifa_name is a NUL-terminated string owned by the list.
        if node.ifa_addr.is_null() || unsafe { std::ffi::CStr::from_ptr(node.ifa_name) } != wanted.as_c_str()
        {
            continue;
        }
        // SAFETY: ifa_addr points to a sockaddr whose family says which structure it is.
        let family = c_int::from(unsafe { (*node.ifa_addr).sa_family });
        if family == libc::AF_INET {
            // SAFETY: the family is AF_INET, so this is a sockaddr_in.
            let sin = unsafe { &*node.ifa_addr.cast::<libc::sockaddr_in>() };
            found.push(IpAddr::V4(Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes())));
        } else if family == libc::AF_INET6 {
            // SAFETY: the family is AF_INET6, so this is a sockaddr_in6.
            let sin6 = unsafe { &*node.ifa_addr.cast::<libc::sockaddr_in6>() };
            found.push(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)));
        }
    }
    // SAFETY: `list` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(list) };
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn loopback_interface_has_127_0_0_1() {
        assert!(interface_addresses("lo").contains(&IpAddr::V4(Ipv4Addr::LOCALHOST)));
        assert!(interface_addresses("no-such-interface").is_empty());
    }

    #[test]
    fn a_bound_listener_takes_a_connect_from_a_source_address() {
        let any = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let listener = tcp_socket(&any).unwrap();
        set_int_option(listener.as_raw_fd(), libc::SOL_SOCKET, libc::SO_REUSEADDR, 1).unwrap();
        bind(listener.as_raw_fd(), &any).unwrap();
        listen(listener.as_raw_fd(), 10).unwrap();
        let listener = std::net::TcpListener::from(listener);
        let target = listener.local_addr().unwrap();

        let client = tcp_socket(&target).unwrap();
        set_int_option(client.as_raw_fd(), libc::SOL_SOCKET, libc::SO_SNDBUF, 65536).unwrap();
        assert!(get_int_option(client.as_raw_fd(), libc::SOL_SOCKET, libc::SO_SNDBUF).unwrap() >= 65536);
        bind(client.as_raw_fd(), &any).unwrap();
        connect(client.as_raw_fd(), &target).unwrap();
        let client = std::net::TcpStream::from(client);
        listener.set_nonblocking(false).unwrap();
        let (_accepted, peer) = listener.accept().unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
    }
}
