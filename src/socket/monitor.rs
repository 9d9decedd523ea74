//! Socket monitoring (`zmq_socket_monitor`, draft `zmq_socket_monitor_versioned`): a socket's
//! connection events, sent through an internal socket (PAIR, PUB or PUSH) bound to the inproc
//! endpoint the user named. Two wire formats, as in libzmq 4.3.5:
//! - version 1: two frames, 6 bytes (16-bit event + 32-bit value, native byte order), then the
//!   endpoint the event is about;
//! - version 2 (draft): the event id (u64), the number of values (u64), each value (u64), all
//!   native byte order, then the local and the remote address of the connection.
//!
//! Events come from the socket's own thread (bind, close, pipe statistics) and from its sessions
//! in I/O threads, so the monitor socket sits behind a lock in a slot that the socket and all its
//! sessions share. Sending never blocks: an event nobody has room for is dropped.
//! This file owns the event formats and the slot; where events are raised is the business of
//! the socket base and the sessions.

use std::ffi::c_int;

use parking_lot::Mutex;

use crate::constants::{ZMQ_DONTWAIT, ZMQ_EVENT_MONITOR_STOPPED, ZMQ_SNDMORE};
use crate::msg::Msg;
use crate::socket::base::Socket;

/// The two addresses an event names (libzmq's endpoint pair). Version 1 events carry only the
/// socket's side of it: the local address for a bound endpoint, the remote one for a connect.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointPair {
    pub local: String,
    pub remote: String,
    /// The socket's side is the local address (a bind or a connection it accepted).
    pub bound: bool,
}

impl EndpointPair {
    /// A listener's events (LISTENING, BIND_FAILED, CLOSED): the endpoint, no remote address.
    pub fn listener(endpoint: &str) -> Self {
        Self { local: endpoint.to_owned(), remote: String::new(), bound: true }
    }

    /// A connect not (yet) connected (CONNECT_DELAYED, CONNECT_RETRIED): no local address.
    pub fn connecting(endpoint: &str) -> Self {
        Self { local: String::new(), remote: endpoint.to_owned(), bound: false }
    }

    /// The endpoint version 1 events name.
    fn identifier(&self) -> &str {
        if self.bound {
            &self.local
        } else {
            &self.remote
        }
    }
}

struct Active {
    socket: Socket,
    events: u64,
    version: c_int,
}

/// Where a socket's events go, if anywhere.
#[derive(Default)]
pub struct MonitorSlot {
    active: Mutex<Option<Active>>,
}

impl MonitorSlot {
    /// Starts sending `events` (a mask of ZMQ_EVENT_*) in format `version` (1 or 2) to `socket`,
    /// replacing any earlier monitor.
    pub fn start(&self, socket: Socket, events: u64, version: c_int) {
        self.stop();
        *self.active.lock() = Some(Active { socket, events, version });
    }

    /// Stops monitoring; the monitor receives ZMQ_EVENT_MONITOR_STOPPED if it asked for it, and
    /// its socket is closed.
    pub fn stop(&self) {
        let taken = self.active.lock().take();
        if let Some(mut active) = taken {
            send_event(&mut active, ZMQ_EVENT_MONITOR_STOPPED, &[0], &EndpointPair::default());
        }
    }

    /// Whether a monitor is running and asked for `event`.
    pub fn wants(&self, event: c_int) -> bool {
        self.active.lock().as_ref().is_some_and(|active| active.events & event as u64 != 0)
    }

    /// Reports one event with one value, if the monitor asked for it.
    pub fn event(&self, event: c_int, value: u64, endpoints: &EndpointPair) {
        self.event_values(event, &[value], endpoints);
    }

    /// Reports one event with any number of values (version 1 carries only the first).
    pub fn event_values(&self, event: c_int, values: &[u64], endpoints: &EndpointPair) {
        if let Some(active) = self.active.lock().as_mut() {
            send_event(active, event, values, endpoints);
        }
    }
}

fn send_event(active: &mut Active, event: c_int, values: &[u64], endpoints: &EndpointPair) {
    if active.events & event as u64 == 0 {
        return;
    }
    let frames = match active.version {
        1 => version_1(event, values.first().copied().unwrap_or(0), endpoints.identifier()),
        _ => version_2(event, values, endpoints),
    };
    let Some(frames) = frames else { return };
    let last = frames.len() - 1;
    for (i, frame) in frames.into_iter().enumerate() {
        let flags = if i < last { ZMQ_SNDMORE | ZMQ_DONTWAIT } else { ZMQ_DONTWAIT };
        // Once the first frame is admitted the rest always fit (a message is admitted whole);
        // a refused first frame drops the event.
        if active.socket.send(frame, flags).is_err() {
            return;
        }
    }
}

fn version_1(event: c_int, value: u64, endpoint: &str) -> Option<Vec<Msg>> {
    let mut header = [0u8; 6];
    header[..2].copy_from_slice(&(event as u16).to_ne_bytes());
    header[2..].copy_from_slice(&(value as u32).to_ne_bytes());
    Some(vec![Msg::from_slice(&header).ok()?, Msg::from_slice(endpoint.as_bytes()).ok()?])
}

fn version_2(event: c_int, values: &[u64], endpoints: &EndpointPair) -> Option<Vec<Msg>> {
    let numbers = [event as u64, values.len() as u64].into_iter().chain(values.iter().copied());
    let mut frames = numbers.map(|n| Msg::from_slice(&n.to_ne_bytes()).ok()).collect::<Option<Vec<_>>>()?;
    frames.push(Msg::from_slice(endpoints.local.as_bytes()).ok()?);
    frames.push(Msg::from_slice(endpoints.remote.as_bytes()).ok()?);
    Some(frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(frames: &[Msg]) -> Vec<Vec<u8>> {
        frames.iter().map(|frame| frame.data().to_vec()).collect()
    }

    #[test]
    fn version_1_names_the_sockets_side_of_the_pair() {
        let accepted = EndpointPair {
            local: "tcp://127.0.0.1:5555".into(),
            remote: "tcp://127.0.0.1:40000".into(),
            bound: true,
        };
        let frames = version_1(0x20, 7, accepted.identifier()).unwrap();
        let mut header = 0x20u16.to_ne_bytes().to_vec();
        header.extend(7u32.to_ne_bytes());
        assert_eq!(bytes(&frames), vec![header, b"tcp://127.0.0.1:5555".to_vec()]);
        assert_eq!(EndpointPair::connecting("tcp://a:1").identifier(), "tcp://a:1");
    }

    #[test]
    fn version_2_has_id_count_values_and_both_addresses() {
        let pair = EndpointPair { local: "ipc://x".into(), remote: "ipc://".into(), bound: true };
        let frames = version_2(0x10000, &[3, 500], &pair).unwrap();
        let expected: Vec<Vec<u8>> = [0x10000u64, 2, 3, 500]
            .iter()
            .map(|n| n.to_ne_bytes().to_vec())
            .chain([b"ipc://x".to_vec(), b"ipc://".to_vec()])
            .collect();
        assert_eq!(bytes(&frames), expected);
    }

    #[test]
    fn listener_events_have_no_remote_and_stopped_has_no_addresses() {
        let frames = version_2(ZMQ_EVENT_MONITOR_STOPPED, &[0], &EndpointPair::default()).unwrap();
        assert_eq!(frames.len(), 5);
        assert!(frames[3].data().is_empty() && frames[4].data().is_empty());
        let listening = EndpointPair::listener("tcp://127.0.0.1:1");
        assert_eq!((listening.local.as_str(), listening.remote.as_str()), ("tcp://127.0.0.1:1", ""));
    }
}
