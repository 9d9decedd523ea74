//! ipc addresses (unix domain sockets): `ipc://path`, `ipc://@name` for Linux's abstract
//! namespace, and `ipc://*` for a fresh path in a private temporary directory, as libzmq makes.
//! Binding replaces a stale socket file left by an earlier process (libzmq does the same).

use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener};
use std::path::PathBuf;

use crate::error::{Errno, Result};

/// Where an ipc endpoint lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IpcAddress {
    Path(PathBuf),
    Abstract(Vec<u8>),
}

impl IpcAddress {
    /// Parses the part after `ipc://`; `*` is resolved by `bind`.
    pub fn parse(address: &str) -> Result<Self> {
        if address.is_empty() {
            return Err(Errno::EINVAL);
        }
        // Linux limits socket paths to 107 bytes plus the terminator.
        if address.len() > 107 {
            return Err(Errno(libc::ENAMETOOLONG));
        }
        Ok(match address.strip_prefix('@') {
            Some("") => return Err(Errno::EINVAL),
            Some(name) => IpcAddress::Abstract(name.as_bytes().to_vec()),
            None => IpcAddress::Path(PathBuf::from(address)),
        })
    }

    pub fn socket_addr(&self) -> Result<SocketAddr> {
        match self {
            IpcAddress::Path(path) => SocketAddr::from_pathname(path).map_err(|_| Errno::EINVAL),
            IpcAddress::Abstract(name) => SocketAddr::from_abstract_name(name).map_err(|_| Errno::EINVAL),
        }
    }

    /// The endpoint text (`ZMQ_LAST_ENDPOINT`).
    pub fn endpoint_text(&self) -> String {
        match self {
            IpcAddress::Path(path) => format!("ipc://{}", path.display()),
            IpcAddress::Abstract(name) => format!("ipc://@{}", String::from_utf8_lossy(name)),
        }
    }

    /// Removes the socket file (after close or unbind); abstract names vanish by themselves.
    pub fn remove_file(&self) {
        if let IpcAddress::Path(path) = self {
            let _ = std::fs::remove_file(path);
            // A wildcard endpoint's private directory goes too; other directories are kept.
            if let Some(dir) = path
                .parent()
                .filter(|dir| dir.file_name().is_some_and(|n| n.to_string_lossy().starts_with("zmq-ipc-")))
            {
                let _ = std::fs::remove_dir(dir);
            }
        }
    }
}

/// Binds `ipc://address`, returning the listener and the address actually bound.
pub fn bind(address: &str) -> Result<(UnixListener, IpcAddress)> {
    let address =
        if address == "*" { IpcAddress::Path(wildcard_path()?) } else { IpcAddress::parse(address)? };
    if let IpcAddress::Path(path) = &address {
        // A socket file nobody listens on any more (a previous process died) is replaced.
        if std::os::unix::net::UnixStream::connect(path).is_err() {
            let _ = std::fs::remove_file(path);
        }
    }
    let listener = UnixListener::bind_addr(&address.socket_addr()?)
        .map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EINVAL)))?;
    Ok((listener, address))
}

/// A new private directory under the temporary directory holding one socket path.
fn wildcard_path() -> Result<PathBuf> {
    let base = std::env::var_os("TMPDIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/tmp"));
    for attempt in 0..100u32 {
        let mut random = [0u8; 6];
        getrandom::getrandom(&mut random).map_err(|_| Errno::EINVAL)?;
        let suffix: String = random.iter().map(|b| format!("{:02x}", b)).collect();
        let dir = base.join(format!("zmq-ipc-{suffix}{attempt}"));
        if std::fs::create_dir(&dir).is_ok() {
            return Ok(dir.join("socket"));
        }
    }
    Err(Errno(libc::EADDRINUSE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abstract_names_start_with_at() {
        assert_eq!(IpcAddress::parse("@name").unwrap(), IpcAddress::Abstract(b"name".to_vec()));
        assert_eq!(IpcAddress::parse("@name").unwrap().endpoint_text(), "ipc://@name");
    }

    #[test]
    fn too_long_path_is_enametoolong() {
        assert_eq!(IpcAddress::parse(&"x".repeat(200)).err(), Some(Errno(libc::ENAMETOOLONG)));
    }

    #[test]
    fn wildcard_bind_makes_a_fresh_path_and_cleans_up() {
        let (listener, address) = bind("*").unwrap();
        let IpcAddress::Path(path) = &address else { panic!("a path") };
        assert!(path.exists());
        drop(listener);
        address.remove_file();
        assert!(!path.exists());
    }

    #[test]
    fn stale_socket_file_is_replaced() {
        let (listener, address) = bind("*").unwrap();
        drop(listener);
        let IpcAddress::Path(path) = &address else { panic!("a path") };
        let (_again, _) = bind(path.to_str().unwrap()).unwrap();
        address.remove_file();
    }
}
