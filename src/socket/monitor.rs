//! Socket monitoring (`zmq_socket_monitor`): a socket's connection events, sent as two-frame
//! messages (6 bytes: 16-bit event + 32-bit value, native byte order; then the endpoint) through
//! an internal PAIR socket bound to the inproc endpoint the user named.
//!
//! Events come from the socket's own thread (bind, close) and from its sessions in I/O threads,
//! so the PAIR socket sits behind a lock in a slot that the socket and all its sessions share.
//! Sending never blocks: an event nobody has room for is dropped, as in libzmq.

use std::ffi::c_int;

use parking_lot::Mutex;

use crate::constants::{ZMQ_DONTWAIT, ZMQ_EVENT_MONITOR_STOPPED, ZMQ_SNDMORE};
use crate::msg::Msg;
use crate::socket::base::Socket;

struct Active {
    socket: Socket,
    events: u64,
}

/// Where a socket's events go, if anywhere.
#[derive(Default)]
pub struct MonitorSlot {
    active: Mutex<Option<Active>>,
}

impl MonitorSlot {
    /// Starts sending `events` (a mask of ZMQ_EVENT_*) to `socket`, replacing any earlier monitor.
    pub fn start(&self, socket: Socket, events: u64) {
        self.stop();
        *self.active.lock() = Some(Active { socket, events });
    }

    /// Stops monitoring; the monitor receives ZMQ_EVENT_MONITOR_STOPPED if it asked for it, and
    /// its PAIR socket is closed.
    pub fn stop(&self) {
        let taken = self.active.lock().take();
        if let Some(mut active) = taken {
            send_event(&mut active, ZMQ_EVENT_MONITOR_STOPPED, 0, "");
        }
    }

    /// Whether a monitor is running.
    pub fn is_active(&self) -> bool {
        self.active.lock().is_some()
    }

    /// Reports one event, if the monitor asked for it.
    pub fn event(&self, event: c_int, value: u64, endpoint: &str) {
        if let Some(active) = self.active.lock().as_mut() {
            send_event(active, event, value, endpoint);
        }
    }
}

fn send_event(active: &mut Active, event: c_int, value: u64, endpoint: &str) {
    if active.events & event as u64 == 0 {
        return;
    }
    let mut header = [0u8; 6];
    header[..2].copy_from_slice(&(event as u16).to_ne_bytes());
    header[2..].copy_from_slice(&(value as u32).to_ne_bytes());
    let (Ok(first), Ok(second)) = (Msg::from_slice(&header), Msg::from_slice(endpoint.as_bytes())) else {
        return;
    };
    if active.socket.send(first, ZMQ_SNDMORE | ZMQ_DONTWAIT).is_ok() {
        // The second frame always fits once the first did (a message is admitted whole).
        let _ = active.socket.send(second, ZMQ_DONTWAIT);
    }
}
