//! udp:// for the draft types: DISH binds (receives), RADIO connects (sends), DGRAM binds and
//! does both. Addresses use tcp's syntax (`*`, `[v6]`, names); a multicast address joins the
//! group on bind and sends with ZMQ_MULTICAST_LOOP / ZMQ_MULTICAST_HOPS on connect.
//!
//! One datagram is one message. RADIO/DISH datagrams are libzmq's: a group-length byte, the
//! group, the body; inside the socket they travel as the two frames [group, body] (see
//! `socket/radio.rs`). DGRAM messages are [peer address "ip:port", body] both ways.
//!
//! Each udp endpoint is pumped by its own thread, between the UDP socket and an ordinary pipe
//! to the ZeroMQ socket (so blocking, polling and HWMs work as for any pipe). The thread ends when
//! the socket closes its pipe end; the socket joins it so the port is free when zmq_close returns.
//! Datagrams that do not fit (pipe at its HWM, socket buffer full) are dropped, as UDP does.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::error::{Errno, Result};
use crate::mailbox::Mailbox;
use crate::msg::Msg;
use crate::pipe::{PipeEnd, Read};
use crate::sys;
use crate::transport::tcp;

/// What the datagrams of an endpoint mean.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    /// DISH bind: receive group datagrams.
    Dish,
    /// RADIO connect: send group datagrams.
    Radio,
    /// DGRAM bind: send and receive addressed datagrams.
    Dgram,
}

/// Multicast settings of the connecting (sending) side.
pub struct SendOptions {
    pub multicast_loop: bool,
    pub multicast_hops: u32,
}

/// Largest datagram read.
const MAX_DATAGRAM: usize = 65536;

/// A RADIO datagram: group length, group, body. `None` when the group is longer than a byte
/// can say (libzmq's groups are at most 255 bytes, so this cannot happen for its messages).
pub fn encode(group: &[u8], body: &[u8]) -> Option<Vec<u8>> {
    let length = u8::try_from(group.len()).ok()?;
    let mut datagram = Vec::with_capacity(1 + group.len() + body.len());
    datagram.push(length);
    datagram.extend_from_slice(group);
    datagram.extend_from_slice(body);
    Some(datagram)
}

/// Splits a RADIO datagram into (group, body); `None` when malformed (dropped).
pub fn decode(datagram: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&length, rest) = datagram.split_first()?;
    let length = usize::from(length);
    (rest.len() >= length).then(|| rest.split_at(length))
}

/// The DGRAM address frame for a peer: `ip:port` (IPv6 in brackets).
fn address_text(addr: SocketAddr) -> String {
    let text = tcp::endpoint_text(addr);
    text.strip_prefix("tcp://").unwrap_or(&text).to_owned()
}

fn os_errno(error: std::io::Error) -> Errno {
    Errno(error.raw_os_error().unwrap_or(libc::EINVAL))
}

/// Binds `udp://address` for a DISH or DGRAM and starts its pump; `socket_end` is the end the
/// ZeroMQ socket keeps. Returns the resolved endpoint and the pump thread.
pub fn bind(address: &str, ipv6: bool, role: Role) -> Result<(String, PipeEnd, JoinHandle<()>)> {
    let addr = tcp::resolve_bind(address, ipv6)?;
    let multicast = addr.ip().is_multicast();
    // A multicast group is received on the wildcard address of its family after joining it.
    let local = match (multicast, addr.ip()) {
        (true, IpAddr::V4(_)) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), addr.port()),
        (true, IpAddr::V6(_)) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), addr.port()),
        _ => addr,
    };
    let udp = UdpSocket::bind(local).map_err(os_errno)?;
    match addr.ip() {
        IpAddr::V4(group) if multicast => {
            udp.join_multicast_v4(&group, &Ipv4Addr::UNSPECIFIED).map_err(os_errno)?
        }
        IpAddr::V6(group) if multicast => udp.join_multicast_v6(&group, 0).map_err(os_errno)?,
        _ => {}
    }
    let endpoint = format!("udp://{}", address_text(udp.local_addr().map_err(os_errno)?));
    let (socket_end, pump_end) = PipeEnd::pair(0, 0);
    let handle = start(udp, None, role, pump_end)?;
    Ok((endpoint, socket_end, handle))
}

/// Connects `udp://address` for a RADIO and starts its pump.
pub fn connect(address: &str, ipv6: bool, options: SendOptions) -> Result<(PipeEnd, JoinHandle<()>)> {
    let (destination, source) = tcp::resolve_connect(address, ipv6)?;
    let any = if destination.is_ipv4() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0)
    } else {
        SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0)
    };
    let udp = UdpSocket::bind(source.unwrap_or(any)).map_err(os_errno)?;
    if destination.ip().is_multicast() {
        if destination.is_ipv4() {
            udp.set_multicast_loop_v4(options.multicast_loop).map_err(os_errno)?;
            udp.set_multicast_ttl_v4(options.multicast_hops).map_err(os_errno)?;
        } else {
            udp.set_multicast_loop_v6(options.multicast_loop).map_err(os_errno)?;
        }
    }
    let (socket_end, pump_end) = PipeEnd::pair(0, 0);
    let handle = start(udp, Some(destination), Role::Radio, pump_end)?;
    Ok((socket_end, handle))
}

fn start(
    udp: UdpSocket,
    destination: Option<SocketAddr>,
    role: Role,
    end: PipeEnd,
) -> Result<JoinHandle<()>> {
    udp.set_nonblocking(true).map_err(os_errno)?;
    let mailbox = Arc::new(Mailbox::new()?);
    end.attach(&mailbox, None);
    let mut pump = Pump { udp, destination, role, end, mailbox, group: None, address: None };
    std::thread::Builder::new()
        .name("zmq-udp".into())
        .spawn(move || {
            crate::sys::block_all_signals();
            pump.run()
        })
        .map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EAGAIN)))
}

struct Pump {
    udp: UdpSocket,
    destination: Option<SocketAddr>,
    role: Role,
    end: PipeEnd,
    mailbox: Arc<Mailbox>,
    /// The first frame of the message being read from the socket (group or address).
    group: Option<Msg>,
    /// DGRAM: where the message being read goes.
    address: Option<Msg>,
}

impl Pump {
    fn run(&mut self) {
        let mut buffer = vec![0u8; MAX_DATAGRAM];
        loop {
            // What the socket sent.
            loop {
                match self.end.read() {
                    Read::Msg(msg) => self.outgoing(msg),
                    Read::Empty => break,
                    Read::Closed => return,
                }
            }
            // What the network sent.
            if self.role != Role::Radio {
                while let Ok((size, from)) = self.udp.recv_from(&mut buffer) {
                    self.incoming(&buffer[..size], from);
                }
            }
            let mut fds = [
                sys::poll_fd(self.mailbox.fd(), sys::POLLIN),
                sys::poll_fd(self.udp.as_raw_fd(), if self.role == Role::Radio { 0 } else { sys::POLLIN }),
            ];
            let _ = sys::poll(&mut fds, None);
            // Activation and termination commands only say "look at the pipe again".
            self.mailbox.take_all();
        }
    }

    /// One frame from the socket: the first frame of a message is kept until the body comes.
    fn outgoing(&mut self, frame: Msg) {
        if frame.more() {
            if self.group.is_none() {
                self.group = Some(frame);
            }
            // Anything beyond two frames is not a message this transport can carry: dropped.
            return;
        }
        let Some(first) = self.group.take() else {
            // A lone frame (a DISH's JOIN/LEAVE command, or malformed): nothing to send.
            return;
        };
        match self.role {
            Role::Radio | Role::Dish => {
                if let (Some(datagram), Some(destination)) =
                    (encode(first.data(), frame.data()), self.destination)
                {
                    let _ = self.udp.send_to(&datagram, destination);
                }
            }
            Role::Dgram => {
                let target = std::str::from_utf8(first.data())
                    .ok()
                    .and_then(|text| tcp::resolve_connect(text, true).ok())
                    .map(|(addr, _)| addr);
                if let Some(target) = target {
                    let _ = self.udp.send_to(frame.data(), target);
                }
            }
        }
    }

    /// One datagram from the network, handed to the socket as [group or address, body].
    fn incoming(&mut self, datagram: &[u8], from: SocketAddr) {
        let (first, body) = match self.role {
            Role::Dish => match decode(datagram) {
                Some(parts) => parts,
                None => return,
            },
            Role::Dgram => {
                let text = address_text(from);
                self.address = Msg::from_slice(text.as_bytes()).ok();
                (&[][..], datagram)
            }
            Role::Radio => return,
        };
        if !self.end.check_write() {
            return;
        }
        let head = match self.address.take() {
            Some(address) => Ok(address),
            None => Msg::from_slice(first),
        };
        let (Ok(mut head), Ok(body)) = (head, Msg::from_slice(body)) else {
            return;
        };
        head.set_more(true);
        self.end.write(head);
        self.end.write(body);
        self.end.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radio_datagrams_carry_group_length_group_body() {
        let datagram = encode(b"TV", b"Friends").unwrap();
        assert_eq!(datagram, b"\x02TVFriends");
        assert_eq!(decode(&datagram), Some((&b"TV"[..], &b"Friends"[..])));
        assert_eq!(decode(b"\x05TV"), None);
        assert_eq!(decode(b""), None);
        assert!(encode(&[b'x'; 256], b"").is_none());
    }

    #[test]
    fn dgram_addresses_are_ip_port() {
        assert_eq!(address_text("127.0.0.1:5559".parse().unwrap()), "127.0.0.1:5559");
        assert_eq!(address_text("[::1]:5559".parse().unwrap()), "[::1]:5559");
    }
}
