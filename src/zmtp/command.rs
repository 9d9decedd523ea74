//! ZMTP command bodies: a 1-byte name length, the name, then command data.
//!
//! Owns the command names and the layouts of the commands every mechanism shares (READY's
//! envelope, ERROR, PING, PONG, SUBSCRIBE, CANCEL). Mechanism-specific meaning (what READY's
//! properties say, whether a command is expected now) belongs to `mechanism`.

use super::encoder;

pub(crate) const READY: &[u8] = b"READY";
pub(crate) const ERROR: &[u8] = b"ERROR";
pub(crate) const PING: &[u8] = b"PING";
pub(crate) const PONG: &[u8] = b"PONG";
pub(crate) const SUBSCRIBE: &[u8] = b"SUBSCRIBE";
pub(crate) const CANCEL: &[u8] = b"CANCEL";

/// Longest PING context a PONG echoes (RFC 37); libzmq cuts longer ones to this.
pub(crate) const MAX_PING_CONTEXT: usize = 16;

/// A command body split into name and data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command<'a> {
    pub name: &'a [u8],
    pub data: &'a [u8],
}

/// The body is empty, or its name length runs past its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedCommand;

/// Splits a command body.
pub fn parse(body: &[u8]) -> Result<Command<'_>, MalformedCommand> {
    let (&name_len, rest) = body.split_first().ok_or(MalformedCommand)?;
    if rest.len() < usize::from(name_len) {
        return Err(MalformedCommand);
    }
    let (name, data) = rest.split_at(usize::from(name_len));
    Ok(Command { name, data })
}

/// The body of a command: name length, name, then `data` parts.
pub fn body(name: &[u8], data: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + name.len() + data.iter().map(|d| d.len()).sum::<usize>());
    out.push(name.len() as u8);
    out.extend_from_slice(name);
    for part in data {
        out.extend_from_slice(part);
    }
    out
}

/// Appends a whole command frame (header and body) to `out`.
pub fn write_frame(name: &[u8], data: &[&[u8]], out: &mut Vec<u8>) {
    let name_len = [name.len() as u8];
    let mut parts: Vec<&[u8]> = Vec::with_capacity(2 + data.len());
    parts.push(&name_len);
    parts.push(name);
    parts.extend_from_slice(data);
    encoder::encode_parts(false, true, &parts, out);
}

/// An ERROR body with `reason` (cut to 255 bytes, the field's limit).
pub fn error_body(reason: &[u8]) -> Vec<u8> {
    let reason = &reason[..reason.len().min(255)];
    body(ERROR, &[&[reason.len() as u8], reason])
}

/// A PING's (TTL in deciseconds, context); `None` when the TTL is missing.
pub fn parse_ping(data: &[u8]) -> Option<(u16, &[u8])> {
    let ttl = u16::from_be_bytes(data.get(..2)?.try_into().ok()?);
    let context = &data[2..];
    Some((ttl, &context[..context.len().min(MAX_PING_CONTEXT)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_commands() {
        assert_eq!(parse(b"\x04PINGxy").unwrap(), Command { name: b"PING", data: b"xy" });
        assert_eq!(parse(b"\x00").unwrap(), Command { name: b"", data: b"" });
        assert_eq!(parse(b""), Err(MalformedCommand));
        assert_eq!(parse(b"\x05READ"), Err(MalformedCommand));
    }

    #[test]
    fn frames_and_bodies() {
        let mut out = Vec::new();
        write_frame(SUBSCRIBE, &[b"topic"], &mut out);
        assert_eq!(out, b"\x04\x0f\x09SUBSCRIBEtopic");
        assert_eq!(error_body(b"400"), b"\x05ERROR\x03400");
        assert_eq!(error_body(&[b'x'; 300]).len(), 7 + 255);
    }

    #[test]
    fn ping_data() {
        assert_eq!(parse_ping(b"\x00\x0a"), Some((10, &b""[..])));
        assert_eq!(parse_ping(b"\x01\x00ctx"), Some((256, &b"ctx"[..])));
        assert_eq!(parse_ping(&[0; 40]).unwrap().1.len(), 16);
        assert_eq!(parse_ping(b"\x00"), None);
    }
}
