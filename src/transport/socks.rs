//! The SOCKS5 client (RFC 1928, with RFC 1929 username/password) a tcp connecter speaks to
//! `ZMQ_SOCKS_PROXY` before ZMTP starts: greeting, optional authentication, CONNECT to the
//! endpoint's host (sent as the proxy should see it: an IPv4 or IPv6 literal, or a name the
//! proxy resolves). Sans-I/O: the session moves the bytes; nothing here touches a socket.

use crate::error::{Errno, Result};

/// The endpoint's host as the CONNECT request names it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    V4([u8; 4]),
    V6([u8; 16]),
    Name(Vec<u8>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Greeting sent; waiting for the method the proxy chose.
    Method,
    /// Username/password sent; waiting for the verdict.
    Auth,
    /// CONNECT sent; waiting for the reply.
    Reply,
    Done,
}

#[derive(Debug)]
pub struct SocksClient {
    state: State,
    output: Vec<u8>,
    input: Vec<u8>,
    host: Host,
    port: u16,
    credentials: Option<(Vec<u8>, Vec<u8>)>,
}

impl SocksClient {
    /// A client for CONNECT to `host:port` (`tcp://host:port`, IPv6 literals with or without
    /// brackets). An empty username means no authentication, as libzmq decides.
    pub fn new(address: &str, username: &[u8], password: &[u8]) -> Result<Self> {
        let (host, port) = address.rsplit_once(':').ok_or(Errno::EINVAL)?;
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        let port = port.parse::<u16>().map_err(|_| Errno::EINVAL)?;
        let host = match host.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(v4)) => Host::V4(v4.octets()),
            Ok(std::net::IpAddr::V6(v6)) => Host::V6(v6.octets()),
            Err(_) if !host.is_empty() && host.len() <= 255 => Host::Name(host.as_bytes().to_vec()),
            Err(_) => return Err(Errno::EINVAL),
        };
        let credentials = (!username.is_empty()).then(|| (username.to_vec(), password.to_vec()));
        if credentials.as_ref().is_some_and(|(user, pass)| user.len() > 255 || pass.len() > 255) {
            return Err(Errno::EINVAL);
        }
        let method = if credentials.is_some() { 0x02 } else { 0x00 };
        Ok(Self {
            state: State::Method,
            output: vec![5, 1, method],
            input: Vec::new(),
            host,
            port,
            credentials,
        })
    }

    /// Bytes to send to the proxy.
    pub fn output(&self) -> &[u8] {
        &self.output
    }

    pub fn consume_output(&mut self, n: usize) {
        self.output.drain(..n);
    }

    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Feeds bytes from the proxy. Once the CONNECT reply is complete, returns the bytes that
    /// came after it (already the peer's, for ZMTP). ECONNREFUSED: the proxy refused or spoke
    /// nonsense; the connection must be dropped (and retried later, as libzmq does).
    pub fn receive(&mut self, data: &[u8]) -> Result<Vec<u8>> {
        self.input.extend_from_slice(data);
        loop {
            match self.state {
                State::Method => {
                    let Some(reply) = self.take(2) else { return Ok(Vec::new()) };
                    let chosen = if self.credentials.is_some() { 0x02 } else { 0x00 };
                    if reply[0] != 5 || reply[1] != chosen {
                        return Err(Errno(libc::ECONNREFUSED));
                    }
                    if let Some((user, pass)) = &self.credentials {
                        self.output.push(1);
                        self.output.push(user.len() as u8);
                        self.output.extend_from_slice(user);
                        self.output.push(pass.len() as u8);
                        self.output.extend_from_slice(pass);
                        self.state = State::Auth;
                    } else {
                        self.send_request();
                    }
                }
                State::Auth => {
                    let Some(reply) = self.take(2) else { return Ok(Vec::new()) };
                    if reply[0] != 1 || reply[1] != 0 {
                        return Err(Errno(libc::ECONNREFUSED));
                    }
                    self.send_request();
                }
                State::Reply => {
                    // [5, status, 0, atype, address..., port(2)]
                    if self.input.len() < 5 {
                        return Ok(Vec::new());
                    }
                    if self.input[0] != 5 || self.input[1] != 0 {
                        return Err(Errno(libc::ECONNREFUSED));
                    }
                    let address_len = match self.input[3] {
                        1 => 4,
                        4 => 16,
                        3 => 1 + usize::from(self.input[4]),
                        _ => return Err(Errno(libc::ECONNREFUSED)),
                    };
                    if self.take(4 + address_len + 2).is_none() {
                        return Ok(Vec::new());
                    }
                    self.state = State::Done;
                }
                State::Done => return Ok(std::mem::take(&mut self.input)),
            }
        }
    }

    fn take(&mut self, n: usize) -> Option<Vec<u8>> {
        (self.input.len() >= n).then(|| self.input.drain(..n).collect())
    }

    fn send_request(&mut self) {
        self.output.extend_from_slice(&[5, 1, 0]);
        match &self.host {
            Host::V4(octets) => {
                self.output.push(1);
                self.output.extend_from_slice(octets);
            }
            Host::V6(octets) => {
                self.output.push(4);
                self.output.extend_from_slice(octets);
            }
            Host::Name(name) => {
                self.output.push(3);
                self.output.push(name.len() as u8);
                self.output.extend_from_slice(name);
            }
        }
        self.output.extend_from_slice(&self.port.to_be_bytes());
        self.state = State::Reply;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(client: &mut SocksClient) -> Vec<u8> {
        let out = client.output().to_vec();
        client.consume_output(out.len());
        out
    }

    #[test]
    fn no_auth_connect_to_ipv4_then_peer_bytes_pass_through() {
        let mut client = SocksClient::new("127.0.0.1:5555", b"", b"").unwrap();
        assert_eq!(drain(&mut client), [5, 1, 0]);
        assert_eq!(client.receive(&[5, 0]).unwrap(), b"");
        assert_eq!(drain(&mut client), [5, 1, 0, 1, 127, 0, 0, 1, 0x15, 0xb3]);
        // The reply arrives in pieces, with the peer's first bytes behind it.
        assert_eq!(client.receive(&[5, 0, 0, 1, 10]).unwrap(), b"");
        assert!(!client.is_done());
        assert_eq!(client.receive(&[0, 0, 2, 0x30, 0x39, 0xff, 0]).unwrap(), [0xff, 0]);
        assert!(client.is_done());
    }

    #[test]
    fn credentials_and_names_and_ipv6() {
        let mut client = SocksClient::new("somedomainname.org:80", b"user", b"").unwrap();
        assert_eq!(drain(&mut client), [5, 1, 2]);
        client.receive(&[5, 2]).unwrap();
        assert_eq!(drain(&mut client), [1, 4, b'u', b's', b'e', b'r', 0]);
        client.receive(&[1, 0]).unwrap();
        let request = drain(&mut client);
        assert_eq!(&request[..5], &[5, 1, 0, 3, 18]);
        assert_eq!(&request[5..23], b"somedomainname.org");
        let mut v6 = SocksClient::new("::1:80", b"", b"").unwrap();
        drain(&mut v6);
        v6.receive(&[5, 0]).unwrap();
        let request = drain(&mut v6);
        assert_eq!(request[3], 4);
        assert_eq!(request[19], 1);
    }

    #[test]
    fn refusals_are_errors() {
        let mut client = SocksClient::new("127.0.0.1:1", b"", b"").unwrap();
        assert!(client.receive(&[5, 0xff]).is_err());
        let mut client = SocksClient::new("127.0.0.1:1", b"u", b"p").unwrap();
        client.receive(&[5, 2]).unwrap();
        assert!(client.receive(&[1, 1]).is_err());
        let mut client = SocksClient::new("127.0.0.1:1", b"", b"").unwrap();
        client.receive(&[5, 0]).unwrap();
        assert!(client.receive(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(SocksClient::new("no-port", b"", b"").is_err());
    }
}
