//! The built-in proxy behind zmq_proxy, zmq_proxy_steerable and zmq_device: it shuttles whole
//! multipart messages from the frontend to the backend and back, optionally copies every frame
//! to a capture socket, and optionally obeys PAUSE / RESUME / TERMINATE / STATISTICS commands
//! arriving on a control socket. It runs on the caller's thread until TERMINATE (success) or
//! until a socket fails, normally with ETERM because the context is being terminated.
//!
//! Back-pressure: a message is only taken from one side when the other side reports that it can
//! accept one (ZMQ_POLLOUT), so a full queue downstream holds messages upstream, where HWM
//! applies, instead of in the proxy or on the floor. While neither direction can progress, the
//! proxy sleeps in `poll` waiting for exactly what is missing: input where there is none, room
//! where input is waiting.
//!
//! Sockets are passed as one slice of distinct sockets plus indices (`Roles`), because the same
//! socket may play two roles (frontend == backend is a valid "echo" proxy) and must still be
//! borrowed only once.

use std::ffi::c_int;

use crate::constants::{ZMQ_DONTWAIT, ZMQ_POLLIN, ZMQ_POLLOUT, ZMQ_SNDMORE};
use crate::error::{Errno, Result};
use crate::msg::Msg;
use crate::poll::{self, Item, Target};
use crate::socket::base::Socket;

/// How many messages one direction may forward before the other direction and the control
/// socket get a turn (libzmq's burst size).
const BURST: usize = 1000;

/// Which socket (index into the slice given to [`run`]) plays which part. Frontend and backend
/// may be the same index.
#[derive(Clone, Copy, Debug)]
pub struct Roles {
    pub frontend: usize,
    pub backend: usize,
    pub capture: Option<usize>,
    pub control: Option<usize>,
}

/// Traffic counters of one side, as the STATISTICS reply reports them. A multipart message
/// counts once; its bytes are the sum of its frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Stats {
    msg_in: u64,
    bytes_in: u64,
    msg_out: u64,
    bytes_out: u64,
}

/// Counters of both sides, kept per role rather than per socket: with frontend == backend the
/// requests still count as frontend-in / backend-out.
#[derive(Default)]
struct Counters {
    frontend: Stats,
    backend: Stats,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// Frontend to backend (requests).
    Forward,
    /// Backend to frontend (replies).
    Backward,
}

/// What a control command asks for.
enum Command {
    Pause,
    Resume,
    Terminate,
    Statistics,
}

impl Command {
    fn parse(body: &[u8]) -> Option<Self> {
        Some(match body {
            b"PAUSE" => Command::Pause,
            b"RESUME" => Command::Resume,
            b"TERMINATE" => Command::Terminate,
            b"STATISTICS" => Command::Statistics,
            _ => return None,
        })
    }
}

/// Runs the proxy until a TERMINATE command (`Ok`) or a socket error (`Err`, ETERM when the
/// context shuts down).
pub fn run(sockets: &mut [&mut Socket], roles: Roles) -> Result<()> {
    let same = roles.frontend == roles.backend;
    let mut counters = Counters::default();
    let mut paused = false;
    loop {
        if let Some(control) = roles.control {
            if sockets[control].events()? & ZMQ_POLLIN != 0 {
                match read_command(sockets, roles)? {
                    Command::Pause => paused = true,
                    Command::Resume => paused = false,
                    Command::Terminate => return Ok(()),
                    Command::Statistics => reply_stats(sockets[control], &counters)?,
                }
                // Look at the control socket again before anything else: commands are rare and
                // a burst of them should not wait behind a burst of traffic.
                continue;
            }
        }
        let mut wanted = vec![0i16; sockets.len()];
        if let Some(control) = roles.control {
            wanted[control] |= ZMQ_POLLIN as i16;
        }
        if !paused {
            let front = sockets[roles.frontend].events()?;
            let back = if same { front } else { sockets[roles.backend].events()? };
            let mut progressed = false;
            // An echo proxy (frontend == backend) only has the one direction; the socket's own
            // POLLOUT is not consulted, since e.g. REP only becomes writable by reading.
            for (direction, from, to, from_events, to_events) in [
                (Direction::Forward, roles.frontend, roles.backend, front, back),
                (Direction::Backward, roles.backend, roles.frontend, back, front),
            ] {
                if same && direction == Direction::Backward {
                    break;
                }
                let readable = from_events & ZMQ_POLLIN != 0;
                let writable = same || to_events & ZMQ_POLLOUT != 0;
                if readable && writable {
                    forward(sockets, roles, direction, &mut counters)?;
                    progressed = true;
                } else if !readable {
                    wanted[from] |= ZMQ_POLLIN as i16;
                } else {
                    // Input is waiting but the other side is full: wait for room, not for more
                    // input (which is already there and would wake the poll at once).
                    wanted[to] |= ZMQ_POLLOUT as i16;
                }
            }
            if progressed {
                continue;
            }
        }
        let mut items: Vec<Item> = wanted
            .iter()
            .enumerate()
            .filter(|(_, &events)| events != 0)
            .map(|(index, &events)| Item { target: Target::Socket(index), events, revents: 0 })
            .collect();
        match poll::poll(&mut items, sockets, None) {
            // A signal interrupting the wait is not a reason to stop proxying.
            Ok(_) | Err(Errno::EINTR) => {}
            Err(errno) => return Err(errno),
        }
    }
}

/// Receives one command from the control socket, copying it to the capture socket. A multipart
/// or unknown command is a caller error: libzmq gives up on the proxy (it asserts); here the
/// proxy returns EINVAL instead of aborting the process.
fn read_command(sockets: &mut [&mut Socket], roles: Roles) -> Result<Command> {
    let control = roles.control.expect("only called with a control socket");
    let mut msg = sockets[control].recv(0)?;
    if msg.more() {
        return Err(Errno::EINVAL);
    }
    if let Some(capture) = roles.capture {
        copy_to(sockets[capture], &mut msg)?;
    }
    Command::parse(msg.data()).ok_or(Errno::EINVAL)
}

/// Sends a copy of `msg` (with its MORE flag) to the capture socket.
fn copy_to(capture: &mut Socket, msg: &mut Msg) -> Result<()> {
    let more = msg.more();
    let copy = msg.share()?;
    capture.send(copy, if more { ZMQ_SNDMORE } else { 0 }).map_err(|(errno, _)| errno)
}

/// Moves up to [`BURST`] whole messages in `direction`. Stops early when the source runs dry or
/// the destination runs out of room, so the proxy itself never sits on a message it cannot
/// deliver (a message already started is always completed: its frames travel together).
fn forward(
    sockets: &mut [&mut Socket],
    roles: Roles,
    direction: Direction,
    counters: &mut Counters,
) -> Result<()> {
    let (from, to) = match direction {
        Direction::Forward => (roles.frontend, roles.backend),
        Direction::Backward => (roles.backend, roles.frontend),
    };
    for sent in 0..BURST {
        // The caller checked room for the first message.
        if sent > 0 && from != to && sockets[to].events()? & ZMQ_POLLOUT == 0 {
            break;
        }
        let mut msg = match sockets[from].recv(ZMQ_DONTWAIT) {
            Ok(msg) => msg,
            Err(Errno::EAGAIN) => break,
            Err(errno) => return Err(errno),
        };
        let mut bytes = 0u64;
        loop {
            let more = msg.more();
            bytes += msg.size() as u64;
            if let Some(capture) = roles.capture {
                copy_to(sockets[capture], &mut msg)?;
            }
            sockets[to].send(msg, if more { ZMQ_SNDMORE } else { 0 }).map_err(|(errno, _)| errno)?;
            if !more {
                break;
            }
            // The rest of a message arrives with its first frame; blocking only guards against a
            // transport that hands frames over one by one.
            msg = sockets[from].recv(0)?;
        }
        let (source, destination) = match direction {
            Direction::Forward => (&mut counters.frontend, &mut counters.backend),
            Direction::Backward => (&mut counters.backend, &mut counters.frontend),
        };
        source.msg_in += 1;
        source.bytes_in += bytes;
        destination.msg_out += 1;
        destination.bytes_out += bytes;
    }
    Ok(())
}

/// Answers STATISTICS: one message of eight 8-byte frames in host byte order, frontend's
/// messages in, bytes in, messages out, bytes out, then the same for the backend (libzmq 4.3's
/// layout). If the first frame cannot be sent the proxy fails; once it is in, the rest of the
/// message is pushed through (retrying a full queue) so the reply is never cut short.
fn reply_stats(control: &mut Socket, counters: &Counters) -> Result<()> {
    let values = [counters.frontend, counters.backend]
        .into_iter()
        .flat_map(|stats| [stats.msg_in, stats.bytes_in, stats.msg_out, stats.bytes_out]);
    let count = 8;
    for (index, value) in values.enumerate() {
        let flags: c_int = if index + 1 < count { ZMQ_SNDMORE } else { 0 };
        let mut frame = Msg::from_slice(&value.to_ne_bytes())?;
        loop {
            match control.send(frame, flags) {
                Ok(()) => break,
                Err((Errno::EAGAIN, returned)) if index > 0 => frame = returned,
                Err((errno, _)) => return Err(errno),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::{
        ZMQ_DEALER, ZMQ_PAIR, ZMQ_PULL, ZMQ_PUSH, ZMQ_REP, ZMQ_REQ, ZMQ_ROUTER, ZMQ_SNDHWM,
    };
    use crate::ctx::Ctx;
    use std::sync::Arc;
    use std::thread;

    fn send_parts(socket: &mut Socket, parts: &[&[u8]]) {
        for (i, part) in parts.iter().enumerate() {
            let flags = if i + 1 < parts.len() { ZMQ_SNDMORE } else { 0 };
            socket.send(Msg::from_slice(part).unwrap(), flags).unwrap();
        }
    }

    fn recv_parts(socket: &mut Socket) -> Vec<Vec<u8>> {
        let mut parts = Vec::new();
        loop {
            let msg = socket.recv(0).unwrap();
            parts.push(msg.data().to_vec());
            if !msg.more() {
                return parts;
            }
        }
    }

    /// Starts a proxy thread: frontend ROUTER on `front`, backend DEALER on `back`, a capture
    /// PUSH on `capture` and a control PAIR connected to `control`. Returns the proxy's result.
    fn spawn_proxy(ctx: &Arc<Ctx>, name: &str) -> thread::JoinHandle<Result<()>> {
        let ctx = Arc::clone(ctx);
        let name = name.to_owned();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let handle = thread::spawn(move || {
            let mut frontend = Socket::new(Arc::clone(&ctx), ZMQ_ROUTER).unwrap();
            frontend.bind(&format!("inproc://{name}-front")).unwrap();
            let mut backend = Socket::new(Arc::clone(&ctx), ZMQ_DEALER).unwrap();
            backend.bind(&format!("inproc://{name}-back")).unwrap();
            let mut capture = Socket::new(Arc::clone(&ctx), ZMQ_PUSH).unwrap();
            capture.bind(&format!("inproc://{name}-capture")).unwrap();
            let mut control = Socket::new(Arc::clone(&ctx), ZMQ_PAIR).unwrap();
            control.bind(&format!("inproc://{name}-control")).unwrap();
            ready_tx.send(()).unwrap();
            let roles = Roles { frontend: 0, backend: 1, capture: Some(2), control: Some(3) };
            run(&mut [&mut frontend, &mut backend, &mut capture, &mut control], roles)
        });
        ready_rx.recv().unwrap();
        handle
    }

    fn connect(ctx: &Arc<Ctx>, socket_type: c_int, endpoint: &str) -> Socket {
        let mut socket = Socket::new(Arc::clone(ctx), socket_type).unwrap();
        socket.connect(endpoint).unwrap();
        socket
    }

    #[test]
    fn request_reply_through_proxy_with_capture_and_statistics() {
        let ctx = Arc::new(Ctx::new());
        let proxy = spawn_proxy(&ctx, "rr");
        let mut client = connect(&ctx, ZMQ_REQ, "inproc://rr-front");
        let mut worker = connect(&ctx, ZMQ_REP, "inproc://rr-back");
        let mut capture = connect(&ctx, ZMQ_PULL, "inproc://rr-capture");
        let mut control = connect(&ctx, ZMQ_PAIR, "inproc://rr-control");

        send_parts(&mut client, &[b"hello"]);
        assert_eq!(recv_parts(&mut worker), vec![b"hello".to_vec()]);
        send_parts(&mut worker, &[b"world!"]);
        assert_eq!(recv_parts(&mut client), vec![b"world!".to_vec()]);

        // The capture sees the request (routing id, delimiter, body) and the reply, as sent.
        let request = recv_parts(&mut capture);
        assert_eq!(request.len(), 3);
        assert_eq!(request[1], b"");
        assert_eq!(request[2], b"hello");
        let reply = recv_parts(&mut capture);
        assert_eq!(reply.len(), 3);
        assert_eq!(reply[2], b"world!");

        send_parts(&mut control, &[b"STATISTICS"]);
        let stats: Vec<u64> = recv_parts(&mut control)
            .iter()
            .map(|frame| u64::from_ne_bytes(frame.as_slice().try_into().unwrap()))
            .collect();
        let request_bytes = request.iter().map(Vec::len).sum::<usize>() as u64;
        let reply_bytes = reply.iter().map(Vec::len).sum::<usize>() as u64;
        assert_eq!(stats, vec![1, request_bytes, 1, reply_bytes, 1, reply_bytes, 1, request_bytes]);
        // Commands are captured too.
        assert_eq!(recv_parts(&mut capture), vec![b"STATISTICS".to_vec()]);

        send_parts(&mut control, &[b"TERMINATE"]);
        assert_eq!(proxy.join().unwrap(), Ok(()));
    }

    #[test]
    fn pause_holds_traffic_until_resume() {
        let ctx = Arc::new(Ctx::new());
        let proxy = spawn_proxy(&ctx, "pause");
        let mut client = connect(&ctx, ZMQ_DEALER, "inproc://pause-front");
        let mut worker = connect(&ctx, ZMQ_DEALER, "inproc://pause-back");
        let mut control = connect(&ctx, ZMQ_PAIR, "inproc://pause-control");
        let _capture = connect(&ctx, ZMQ_PULL, "inproc://pause-capture");

        send_parts(&mut control, &[b"PAUSE"]);
        // A STATISTICS round trip proves the PAUSE was processed before the traffic is sent.
        send_parts(&mut control, &[b"STATISTICS"]);
        assert_eq!(recv_parts(&mut control).len(), 8);
        send_parts(&mut client, &[b"a", b"b"]);
        thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(worker.recv(ZMQ_DONTWAIT).unwrap_err(), Errno::EAGAIN);

        send_parts(&mut control, &[b"RESUME"]);
        let parts = recv_parts(&mut worker);
        assert_eq!(&parts[1..], &[b"a".to_vec(), b"b".to_vec()]);

        send_parts(&mut control, &[b"TERMINATE"]);
        assert_eq!(proxy.join().unwrap(), Ok(()));
    }

    #[test]
    fn context_shutdown_ends_the_proxy_with_eterm() {
        let ctx = Arc::new(Ctx::new());
        let proxy = spawn_proxy(&ctx, "term");
        thread::sleep(std::time::Duration::from_millis(20));
        ctx.shutdown();
        assert_eq!(proxy.join().unwrap(), Err(Errno::ETERM));
    }

    #[test]
    fn full_backend_leaves_messages_upstream() {
        let ctx = Arc::new(Ctx::new());
        let ctx2 = Arc::clone(&ctx);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let proxy = thread::spawn(move || {
            let mut frontend = Socket::new(Arc::clone(&ctx2), ZMQ_PULL).unwrap();
            frontend.bind("inproc://hwm-front").unwrap();
            let mut backend = Socket::new(Arc::clone(&ctx2), ZMQ_PUSH).unwrap();
            backend.set_option(ZMQ_SNDHWM, &1i32.to_ne_bytes()).unwrap();
            backend.bind("inproc://hwm-back").unwrap();
            ready_tx.send(()).unwrap();
            let roles = Roles { frontend: 0, backend: 1, capture: None, control: None };
            run(&mut [&mut frontend, &mut backend], roles)
        });
        ready_rx.recv().unwrap();
        let mut producer = connect(&ctx, ZMQ_PUSH, "inproc://hwm-front");
        for i in 0..20u8 {
            send_parts(&mut producer, &[&[i]]);
        }
        // Nobody reads the backend yet; the proxy must wait for room, not drop or spin.
        thread::sleep(std::time::Duration::from_millis(50));
        let mut consumer = connect(&ctx, ZMQ_PULL, "inproc://hwm-back");
        for i in 0..20u8 {
            assert_eq!(recv_parts(&mut consumer), vec![vec![i]]);
        }
        drop((producer, consumer));
        ctx.shutdown();
        assert_eq!(proxy.join().unwrap(), Err(Errno::ETERM));
    }

    #[test]
    fn one_socket_as_frontend_and_backend_echoes() {
        let ctx = Arc::new(Ctx::new());
        let ctx2 = Arc::clone(&ctx);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let proxy = thread::spawn(move || {
            let mut rep = Socket::new(Arc::clone(&ctx2), ZMQ_REP).unwrap();
            rep.bind("inproc://echo").unwrap();
            let mut control = Socket::new(Arc::clone(&ctx2), ZMQ_PAIR).unwrap();
            control.bind("inproc://echo-control").unwrap();
            ready_tx.send(()).unwrap();
            let roles = Roles { frontend: 0, backend: 0, capture: None, control: Some(1) };
            run(&mut [&mut rep, &mut control], roles)
        });
        ready_rx.recv().unwrap();
        let mut client = connect(&ctx, ZMQ_REQ, "inproc://echo");
        let mut control = connect(&ctx, ZMQ_PAIR, "inproc://echo-control");
        for body in [&b"msg1"[..], b"msg22"] {
            send_parts(&mut client, &[body]);
            assert_eq!(recv_parts(&mut client), vec![body.to_vec()]);
        }
        send_parts(&mut control, &[b"TERMINATE"]);
        assert_eq!(proxy.join().unwrap(), Ok(()));
    }

    #[test]
    fn only_exact_command_words_are_commands() {
        assert!(Command::parse(b"PAUS").is_none());
        assert!(matches!(Command::parse(b"TERMINATE"), Some(Command::Terminate)));
    }
}
