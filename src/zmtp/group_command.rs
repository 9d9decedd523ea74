//! JOIN and LEAVE (draft RADIO/DISH): how a DISH tells its RADIO peers which groups it wants.
//!
//! One layout serves every transport: a message flagged as a command whose body is the ZMTP
//! command `\x04JOIN` + group or `\x05LEAVE` + group. A DISH writes such messages into its pipes;
//! over inproc they reach the RADIO as they are, over tcp/ipc the encoder sends them as ZMTP
//! command frames (the ones libzmq's DISH sends) and a RADIO's [`Connection`](super::Connection)
//! passes the received frames up unchanged (libzmq's radio session does the same translation).
//! Sans-I/O: bytes and messages in, meaning out. Owns the names and the layout only; what a
//! RADIO does with a join is `socket/radio.rs`'s business.

use crate::error::Result;
use crate::msg::{Msg, GROUP_MAX_LENGTH};

use super::command;

pub(crate) const JOIN: &[u8] = b"JOIN";
pub(crate) const LEAVE: &[u8] = b"LEAVE";

/// A DISH's request about one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupCommand<'a> {
    Join(&'a [u8]),
    Leave(&'a [u8]),
}

impl<'a> GroupCommand<'a> {
    /// The command message a DISH sends for this request.
    pub fn to_msg(self) -> Result<Msg> {
        let (name, group) = match self {
            GroupCommand::Join(group) => (JOIN, group),
            GroupCommand::Leave(group) => (LEAVE, group),
        };
        let mut msg = Msg::from_slice(&command::body(name, &[group]))?;
        msg.set_command();
        Ok(msg)
    }

    /// What `msg` asks for, if it is a JOIN or LEAVE command message. A group is a C string in
    /// libzmq, so it ends at its first NUL; one longer than `ZMQ_GROUP_MAX_LENGTH` cannot be
    /// anybody's group and is ignored (libzmq's RADIO aborts on it).
    pub fn parse(msg: &'a Msg) -> Option<Self> {
        if !msg.is_command() {
            return None;
        }
        let cmd = command::parse(msg.data()).ok()?;
        if cmd.data.len() > GROUP_MAX_LENGTH {
            return None;
        }
        let group = cmd.data.split(|&byte| byte == 0).next().unwrap_or_default();
        match cmd.name {
            JOIN => Some(GroupCommand::Join(group)),
            LEAVE => Some(GroupCommand::Leave(group)),
            _ => None,
        }
    }
}

/// Whether a ZMTP command named `name` is a JOIN or LEAVE, which a RADIO must see.
pub fn is_group_command(name: &[u8]) -> bool {
    name == JOIN || name == LEAVE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command_msg(body: &[u8]) -> Msg {
        let mut msg = Msg::from_slice(body).unwrap();
        msg.set_command();
        msg
    }

    #[test]
    fn join_and_leave_are_the_zmtp_command_bodies_flagged_as_commands() {
        let join = GroupCommand::Join(b"TV").to_msg().unwrap();
        assert_eq!((join.data(), join.is_command()), (&b"\x04JOINTV"[..], true));
        let leave = GroupCommand::Leave(b"").to_msg().unwrap();
        assert_eq!((leave.data(), leave.is_command()), (&b"\x05LEAVE"[..], true));
    }

    #[test]
    fn parse_reads_back_what_to_msg_writes() {
        for cmd in [GroupCommand::Join(b"Movies"), GroupCommand::Leave(b"Movies"), GroupCommand::Join(b"")] {
            let msg = cmd.to_msg().unwrap();
            assert_eq!(GroupCommand::parse(&msg), Some(cmd));
        }
        let longest = [b'g'; GROUP_MAX_LENGTH];
        let msg = GroupCommand::Join(&longest).to_msg().unwrap();
        assert_eq!(GroupCommand::parse(&msg), Some(GroupCommand::Join(&longest[..])));
    }

    #[test]
    fn parse_needs_the_command_flag_and_a_known_name() {
        assert_eq!(GroupCommand::parse(&Msg::from_slice(b"\x04JOINTV").unwrap()), None);
        for body in [&b"\x04PINGTV"[..], b"\x05JOINTV", b"\x03JOINTV", b"\x06LEAVE", b"", b"\x04JOI"] {
            assert_eq!(GroupCommand::parse(&command_msg(body)), None, "{body:?}");
        }
    }

    #[test]
    fn a_group_ends_at_its_first_nul_and_overlong_ones_are_ignored() {
        assert_eq!(GroupCommand::parse(&command_msg(b"\x04JOINTV\0x")), Some(GroupCommand::Join(b"TV")));
        let mut body = b"\x04JOIN".to_vec();
        body.extend_from_slice(&[b'g'; GROUP_MAX_LENGTH + 1]);
        assert_eq!(GroupCommand::parse(&command_msg(&body)), None);
    }

    #[test]
    fn only_join_and_leave_are_group_commands() {
        assert!(is_group_command(b"JOIN") && is_group_command(b"LEAVE"));
        assert!(!is_group_command(b"SUBSCRIBE") && !is_group_command(b"join") && !is_group_command(b""));
    }
}
