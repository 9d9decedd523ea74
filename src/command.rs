//! Commands: how objects in different threads talk. They travel through a [`Mailbox`] and never
//! carry shared mutable state: a pipe end handed over in `Attach` changes owner with it.
//!
//! [`Mailbox`]: crate::mailbox::Mailbox

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::ActivateRead(pipe) => write!(f, "ActivateRead({pipe})"),
            Command::ActivateWrite(pipe) => write!(f, "ActivateWrite({pipe})"),
            Command::PipeTerm(pipe) => write!(f, "PipeTerm({pipe})"),
            Command::Attach { end } => write!(f, "Attach({})", end.id()),
            Command::Stop => write!(f, "Stop"),
            Command::Listen(listener) => write!(f, "Listen({})", listener.endpoint),
            Command::Connect(_) => write!(f, "Connect"),
            Command::Unlisten { socket_id, endpoint } => write!(f, "Unlisten({socket_id}, {endpoint:?})"),
            Command::StopIo => write!(f, "StopIo"),
        }
    }
}

use crate::io::session::Session;
use crate::io::thread::Listener;
use crate::pipe::{PipeEnd, PipeId};

pub enum Command {
    /// The pipe end has data again after its reader found it empty.
    ActivateRead(PipeId),
    /// The reader made room under the high-water mark for the pipe end's writer.
    ActivateWrite(PipeId),
    /// The peer closed its end of the pipe; what it flushed before may still be read.
    PipeTerm(PipeId),
    /// A new pipe end for the receiving socket (inproc connect, or a pending connect on bind).
    Attach { end: PipeEnd },
    /// The context is shutting down: blocking calls return ETERM from now on.
    Stop,
    /// For an I/O thread: accept connections on a bound endpoint.
    Listen(Listener),
    /// For an I/O thread: run a connecting session.
    Connect(Box<Session>),
    /// For an I/O thread: close a socket's listeners (one endpoint, or all when `None`) and the
    /// connections they accepted.
    Unlisten { socket_id: u64, endpoint: Option<String> },
    /// For an I/O thread: finish lingering sessions and exit.
    StopIo,
}
