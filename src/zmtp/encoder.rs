//! ZMTP 3 frame encoder: flags byte, size (1 byte up to 255, else LONG with 8 bytes big-endian),
//! body.
//!
//! Owns the frame layout only; which frames to send, and command bodies, are decided elsewhere.
//! [`frame_header`] exists so the engine can write a large body straight from the message
//! (header and body in one `writev`) instead of copying it into the output buffer.

use crate::msg::Msg;

use super::decoder::{FLAG_COMMAND, FLAG_LONG, FLAG_MORE};

/// Largest header: flags byte plus 8-byte size.
pub(crate) const MAX_HEADER_SIZE: usize = 9;

/// Writes the header of a frame with the given flags and body size; returns its length (2 or 9).
pub fn header(more: bool, command: bool, size: usize, out: &mut [u8; MAX_HEADER_SIZE]) -> usize {
    let mut flags = 0;
    if more {
        flags |= FLAG_MORE;
    }
    if command {
        flags |= FLAG_COMMAND;
    }
    if size > usize::from(u8::MAX) {
        out[0] = flags | FLAG_LONG;
        out[1..9].copy_from_slice(&(size as u64).to_be_bytes());
        9
    } else {
        out[0] = flags;
        out[1] = size as u8;
        2
    }
}

/// The header for `msg` sent verbatim (MORE and COMMAND taken from the message).
pub fn frame_header(msg: &Msg, out: &mut [u8; MAX_HEADER_SIZE]) -> usize {
    header(msg.more(), msg.is_command(), msg.size(), out)
}

/// Appends one frame whose body is the concatenation of `parts`.
pub fn encode_parts(more: bool, command: bool, parts: &[&[u8]], out: &mut Vec<u8>) {
    let size = parts.iter().map(|part| part.len()).sum();
    let mut head = [0; MAX_HEADER_SIZE];
    let n = header(more, command, size, &mut head);
    out.reserve(n + size);
    out.extend_from_slice(&head[..n]);
    for part in parts {
        out.extend_from_slice(part);
    }
}

/// Appends `msg` as one frame (the per-message path: no parts to sum).
pub fn encode(msg: &Msg, out: &mut Vec<u8>) {
    let mut head = [0; MAX_HEADER_SIZE];
    let n = frame_header(msg, &mut head);
    let body = msg.data();
    out.reserve(n + body.len());
    out.extend_from_slice(&head[..n]);
    out.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_headers() {
        let mut head = [0; MAX_HEADER_SIZE];
        let mut msg = Msg::from_slice(&[0; 255]).unwrap();
        assert_eq!(frame_header(&msg, &mut head), 2);
        assert_eq!(head[..2], [0, 255]);
        msg.set_more(true);
        assert_eq!(frame_header(&msg, &mut head), 2);
        assert_eq!(head[0], 1);
        let mut msg = Msg::from_slice(&[0; 256]).unwrap();
        msg.set_more(true);
        assert_eq!(frame_header(&msg, &mut head), 9);
        assert_eq!(head, [3, 0, 0, 0, 0, 0, 0, 1, 0]);
        let mut cmd = Msg::new();
        cmd.set_command();
        assert_eq!(frame_header(&cmd, &mut head), 2);
        assert_eq!(head[..2], [4, 0]);
    }

    #[test]
    fn encode_appends_header_and_body() {
        let mut out = vec![0xAA];
        encode(&Msg::from_slice(b"hi").unwrap(), &mut out);
        assert_eq!(out, [0xAA, 0, 2, b'h', b'i']);
        let mut big = Msg::from_slice(&[7; 300]).unwrap();
        big.set_more(true);
        let mut out = Vec::new();
        encode(&big, &mut out);
        assert_eq!(out[..9], [3, 0, 0, 0, 0, 0, 0, 1, 44]);
        assert_eq!(out[9..], [7; 300]);
        let mut out = Vec::new();
        encode_parts(false, true, &[b"\x04PONG", b"ctx"], &mut out);
        assert_eq!(out, b"\x04\x08\x04PONGctx");
    }
}
