//! A connected byte stream of any stream transport (tcp, ipc), so sessions and listeners handle
//! them alike. Non-blocking, registered with the I/O thread's poller.

use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;

use mio::event::Source;
use mio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use mio::{Interest, Registry, Token};

use crate::transport::tcp::endpoint_text;

/// A unix socket address as ipc endpoint text: a path, `@name` when abstract, nothing when
/// unnamed.
fn unix_endpoint_text(addr: &std::os::unix::net::SocketAddr) -> String {
    use std::os::linux::net::SocketAddrExt;
    if let Some(path) = addr.as_pathname() {
        format!("ipc://{}", path.display())
    } else if let Some(name) = addr.as_abstract_name() {
        format!("ipc://@{}", String::from_utf8_lossy(name))
    } else {
        "ipc://".to_owned()
    }
}

pub enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    /// The peer's address as text, for the "Peer-Address" message property.
    pub fn peer_address(&self) -> String {
        match self {
            Stream::Tcp(stream) => stream.peer_addr().map(|addr| addr.ip().to_string()).unwrap_or_default(),
            Stream::Unix(_) => String::new(),
        }
    }

    /// This end's address as endpoint text, as libzmq's monitor names it ("tcp://127.0.0.1:5555",
    /// "ipc://path"; "ipc://" for an unnamed unix socket).
    pub fn local_endpoint(&self) -> String {
        match self {
            Stream::Tcp(stream) => stream.local_addr().map(endpoint_text).unwrap_or_default(),
            Stream::Unix(stream) => {
                stream.local_addr().map(|addr| unix_endpoint_text(&addr)).unwrap_or_default()
            }
        }
    }

    /// The peer's address as endpoint text (see `local_endpoint`).
    pub fn remote_endpoint(&self) -> String {
        match self {
            Stream::Tcp(stream) => stream.peer_addr().map(endpoint_text).unwrap_or_default(),
            Stream::Unix(stream) => {
                stream.peer_addr().map(|addr| unix_endpoint_text(&addr)).unwrap_or_default()
            }
        }
    }

    /// A pending connect's outcome: `Ok(true)` connected, `Ok(false)` still connecting.
    pub fn connect_finished(&self) -> io::Result<bool> {
        let error = match self {
            Stream::Tcp(stream) => stream.take_error()?,
            Stream::Unix(stream) => stream.take_error()?,
        };
        if let Some(error) = error {
            return Err(error);
        }
        let connected = match self {
            Stream::Tcp(stream) => stream.peer_addr().map(|_| ()),
            Stream::Unix(stream) => stream.peer_addr().map(|_| ()),
        };
        match connected {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == io::ErrorKind::NotConnected => Ok(false),
            Err(error) => Err(error),
        }
    }

    pub fn shutdown(&self) {
        let _ = match self {
            Stream::Tcp(stream) => stream.shutdown(Shutdown::Both),
            Stream::Unix(stream) => stream.shutdown(Shutdown::Both),
        };
    }

    pub fn raw_fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        match self {
            Stream::Tcp(stream) => stream.as_raw_fd(),
            Stream::Unix(stream) => stream.as_raw_fd(),
        }
    }

    /// Writes several buffers at once (header and body of a large frame: no copy).
    pub fn write_vectored(&mut self, buffers: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Stream::Tcp(stream) => stream.write_vectored(buffers),
            Stream::Unix(stream) => stream.write_vectored(buffers),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(stream) => stream.read(buf),
            Stream::Unix(stream) => stream.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(stream) => stream.write(buf),
            Stream::Unix(stream) => stream.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Source for Stream {
    fn register(&mut self, registry: &Registry, token: Token, interests: Interest) -> io::Result<()> {
        match self {
            Stream::Tcp(stream) => stream.register(registry, token, interests),
            Stream::Unix(stream) => stream.register(registry, token, interests),
        }
    }
    fn reregister(&mut self, registry: &Registry, token: Token, interests: Interest) -> io::Result<()> {
        match self {
            Stream::Tcp(stream) => stream.reregister(registry, token, interests),
            Stream::Unix(stream) => stream.reregister(registry, token, interests),
        }
    }
    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        match self {
            Stream::Tcp(stream) => stream.deregister(registry),
            Stream::Unix(stream) => stream.deregister(registry),
        }
    }
}

/// A listening socket of any stream transport.
pub enum StreamListener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl StreamListener {
    /// The next pending connection, `Ok(None)` when there is none now.
    pub fn accept(&self) -> io::Result<Option<Stream>> {
        let accepted = match self {
            StreamListener::Tcp(listener) => listener.accept().map(|(stream, _)| {
                let _ = stream.set_nodelay(true);
                Stream::Tcp(stream)
            }),
            StreamListener::Unix(listener) => listener.accept().map(|(stream, _)| Stream::Unix(stream)),
        };
        match accepted {
            Ok(stream) => Ok(Some(stream)),
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(error) => Err(error),
        }
    }
}

impl Source for StreamListener {
    fn register(&mut self, registry: &Registry, token: Token, interests: Interest) -> io::Result<()> {
        match self {
            StreamListener::Tcp(listener) => listener.register(registry, token, interests),
            StreamListener::Unix(listener) => listener.register(registry, token, interests),
        }
    }
    fn reregister(&mut self, registry: &Registry, token: Token, interests: Interest) -> io::Result<()> {
        match self {
            StreamListener::Tcp(listener) => listener.reregister(registry, token, interests),
            StreamListener::Unix(listener) => listener.reregister(registry, token, interests),
        }
    }
    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        match self {
            StreamListener::Tcp(listener) => listener.deregister(registry),
            StreamListener::Unix(listener) => listener.deregister(registry),
        }
    }
}
