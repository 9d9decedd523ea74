//! Commands: how objects in different threads talk. They travel through a [`Mailbox`] and never
//! carry shared mutable state: a pipe end handed over in `Attach` changes owner with it.
//!
//! [`Mailbox`]: crate::mailbox::Mailbox

use crate::pipe::{PipeEnd, PipeId};

#[derive(Debug)]
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
}
