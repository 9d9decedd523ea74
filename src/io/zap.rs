//! A session's line to the ZAP handler: one inproc pipe to whatever socket is bound at
//! `inproc://zeromq.zap.01`, opened when a handshake needs a verdict and dropped once it has it.
//!
//! Runs in the session's I/O thread. The handler is an ordinary socket (REP or ROUTER) in some
//! application thread, so the session talks to it the way a socket talks to an inproc peer:
//! it writes the request into the pipe (whose other end the handler's socket receives in an
//! `Attach` command) and reads the reply from it. What differs is how the session learns that
//! the reply is there: the pipe end is attached to a private mailbox whose eventfd is
//! registered in the I/O thread's poller under the session's own token, so the handler's flush
//! wakes exactly that session (as a readiness event, like its stream's) and the I/O thread's
//! routing of pipe commands stays one pipe per session. The mailbox costs one eventfd per
//! handshake waiting for ZAP, for as long as it waits.
//!
//! Owns no protocol: the frames come from and go to `zmtp::zap`.

use std::sync::Arc;

use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

use crate::ctx::Ctx;
use crate::mailbox::Mailbox;
use crate::msg::Msg;
use crate::pipe::{PipeEnd, Read};
use crate::transport::inproc::Peer;
use crate::zmtp::zap;

/// What reading the pipe found.
pub enum ZapPoll {
    /// No whole reply yet.
    Pending,
    /// One whole reply message, frame by frame.
    Reply(Vec<Msg>),
    /// The handler went away without (or after) answering.
    Closed,
}

pub struct ZapClient {
    pipe: PipeEnd,
    mailbox: Arc<Mailbox>,
    registered: bool,
}

impl ZapClient {
    /// Connects to the bound handler; `None` when no socket is bound at the ZAP endpoint (libzmq
    /// then fails the handshake or, for NULL without ZMQ_ZAP_ENFORCE_DOMAIN, skips ZAP).
    pub fn connect(ctx: &Ctx) -> Option<Self> {
        let mailbox = Arc::new(Mailbox::new().ok()?);
        let mut registry = ctx.inproc();
        if !registry.is_bound(zap::ENDPOINT) {
            return None;
        }
        // No high-water mark on the ZAP pipe, as in libzmq: a request is never refused.
        let me = Peer {
            mailbox: Arc::clone(&mailbox),
            socket_id: u64::MAX,
            sndhwm: 0,
            rcvhwm: 0,
            routing_id: None,
            hello: None,
        };
        let pipe = registry.connect(zap::ENDPOINT, me);
        Some(Self { pipe, mailbox, registered: false })
    }

    /// Whether a handler is bound now (checked when a connection starts, to decide whether NULL
    /// asks ZAP at all).
    pub fn handler_bound(ctx: &Ctx) -> bool {
        ctx.inproc().is_bound(zap::ENDPOINT)
    }

    /// Registers the wake-up under the session's token, so replies show up as readiness events.
    pub fn register(&mut self, registry: &Registry, token: Token) {
        let fd = self.mailbox.fd();
        self.registered = registry.register(&mut SourceFd(&fd), token, Interest::READABLE).is_ok();
    }

    /// Sends the request and arms the wake-up for the reply.
    pub fn send(&mut self, frames: Vec<Msg>) {
        for frame in frames {
            self.pipe.write(frame);
        }
        self.pipe.flush();
    }

    /// Reads a whole reply if one is there. Reading an empty pipe marks this side asleep, so the
    /// handler's next flush sends the wake-up.
    pub fn poll(&mut self) -> ZapPoll {
        // The commands only say "look again"; the pipe is the truth.
        let _ = self.mailbox.take_all();
        let mut frames = Vec::new();
        loop {
            match self.pipe.read() {
                Read::Msg(frame) => {
                    let last = !frame.more();
                    frames.push(frame);
                    if last {
                        return ZapPoll::Reply(frames);
                    }
                }
                // Messages are published whole, so a partial one cannot be seen here.
                Read::Empty => return ZapPoll::Pending,
                Read::Closed => return ZapPoll::Closed,
            }
        }
    }

    /// Closes the pipe (discarding anything unread) and removes the wake-up.
    /// Without a registry the eventfd leaves the poller when the mailbox closes it.
    pub fn close(self, registry: Option<&Registry>) {
        if let (true, Some(registry)) = (self.registered, registry) {
            let fd = self.mailbox.fd();
            let _ = registry.deregister(&mut SourceFd(&fd));
        }
        self.pipe.terminate(false);
    }
}
