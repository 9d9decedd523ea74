//! ZMTP/1.0 framing (RFC 13), spoken with libzmq 2.x peers: bytes in, one `Msg` per frame out,
//! and the frame layout for sending.
//!
//! A frame is a length, a flags byte and the body. The length counts the flags byte plus the
//! body: one byte when below 255, else 0xFF followed by 8 bytes big-endian. Only the MORE bit
//! (bit 0) of the flags has a meaning. There are no commands.
//!
//! Owns frame boundaries only; greeting detection and the identity exchange belong to the
//! connection (`super::Connection`). ZMTP/2.0 framing is the ZMTP 3 one (`super::decoder`).

use bytes::Bytes;

use crate::msg::{Msg, INLINE_CAPACITY};

use super::ProtocolError;

const FLAG_MORE: u8 = 0x01;
/// The one-byte length that announces an 8-byte length.
const LONG_ESCAPE: u8 = 0xFF;

/// Largest header: escape, 8-byte length, flags.
pub(crate) const MAX_HEADER_SIZE: usize = 10;

#[derive(Debug)]
enum State {
    /// Waiting for the one-byte length.
    Length,
    /// Collecting the 8-byte length after the escape.
    LongLength,
    Flags,
    Body,
}

/// Incremental ZMTP/1.0 frame decoder.
#[derive(Debug)]
pub struct Decoder {
    max_msg_size: i64,
    state: State,
    length_buf: [u8; 8],
    length_len: usize,
    more: bool,
    body_size: usize,
    body: Vec<u8>,
}

impl Decoder {
    /// `max_msg_size` is ZMQ_MAXMSGSIZE: -1 (any negative) means no limit. It bounds the body,
    /// not the length field (which also counts the flags byte), as in libzmq.
    pub fn new(max_msg_size: i64) -> Self {
        Self {
            max_msg_size,
            state: State::Length,
            length_buf: [0; 8],
            length_len: 0,
            more: false,
            body_size: 0,
            body: Vec::new(),
        }
    }

    /// Consumes bytes from `input` up to the end of the next complete frame. Returns how many
    /// bytes were consumed and the frame if one completed; call again with the rest.
    pub fn decode(&mut self, input: &[u8]) -> Result<(usize, Option<Msg>), ProtocolError> {
        let mut pos = 0;
        loop {
            match self.state {
                State::Length => {
                    let Some(&length) = input.get(pos) else { return Ok((pos, None)) };
                    pos += 1;
                    if length == LONG_ESCAPE {
                        self.length_len = 0;
                        self.state = State::LongLength;
                    } else {
                        self.start_frame(u64::from(length))?;
                    }
                }
                State::LongLength => {
                    let take = (8 - self.length_len).min(input.len() - pos);
                    self.length_buf[self.length_len..self.length_len + take]
                        .copy_from_slice(&input[pos..pos + take]);
                    self.length_len += take;
                    pos += take;
                    if self.length_len < 8 {
                        return Ok((pos, None));
                    }
                    // A long length below 255 is accepted: libzmq does not insist on the short form.
                    self.start_frame(u64::from_be_bytes(self.length_buf))?;
                }
                State::Flags => {
                    let Some(&flags) = input.get(pos) else { return Ok((pos, None)) };
                    pos += 1;
                    self.more = flags & FLAG_MORE != 0;
                    self.state = State::Body;
                }
                State::Body => {
                    let take = (self.body_size - self.body.len()).min(input.len() - pos);
                    self.body.extend_from_slice(&input[pos..pos + take]);
                    pos += take;
                    if self.body.len() < self.body_size {
                        return Ok((pos, None));
                    }
                    let body = std::mem::take(&mut self.body);
                    // Small bodies go inline; larger ones keep their buffer.
                    let mut msg = if body.len() <= INLINE_CAPACITY {
                        Msg::from_slice(&body).expect("inline bodies need no allocation")
                    } else {
                        Msg::from_bytes(Bytes::from(body))
                    };
                    msg.set_more(self.more);
                    self.state = State::Length;
                    return Ok((pos, Some(msg)));
                }
            }
        }
    }

    /// Checks a frame's length field (flags byte included) and prepares for its body.
    fn start_frame(&mut self, length: u64) -> Result<(), ProtocolError> {
        // The length must at least cover the flags byte.
        let Some(size) = length.checked_sub(1) else { return Err(ProtocolError::MalformedFrame) };
        if self.max_msg_size >= 0 && size > self.max_msg_size as u64 {
            return Err(ProtocolError::MessageTooLarge { size });
        }
        let body_size = usize::try_from(size).map_err(|_| ProtocolError::MessageTooLarge { size })?;
        let mut body = Vec::new();
        body.try_reserve_exact(body_size).map_err(|_| ProtocolError::OutOfMemory { size })?;
        self.body = body;
        self.body_size = body_size;
        self.state = State::Flags;
        Ok(())
    }
}

/// Writes the header of a frame of `size` body bytes; returns its length (2 or 10). As libzmq,
/// the short form is used while the length (body plus flags byte) is below 255.
pub fn header(more: bool, size: usize, out: &mut [u8; MAX_HEADER_SIZE]) -> usize {
    let flags = if more { FLAG_MORE } else { 0 };
    let length = size as u64 + 1;
    if length < u64::from(LONG_ESCAPE) {
        out[0] = length as u8;
        out[1] = flags;
        2
    } else {
        out[0] = LONG_ESCAPE;
        out[1..9].copy_from_slice(&length.to_be_bytes());
        out[9] = flags;
        10
    }
}

/// Appends one frame carrying `body`.
pub fn encode(more: bool, body: &[u8], out: &mut Vec<u8>) {
    let mut head = [0; MAX_HEADER_SIZE];
    let n = header(more, body.len(), &mut head);
    out.reserve(n + body.len());
    out.extend_from_slice(&head[..n]);
    out.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(decoder: &mut Decoder, mut input: &[u8]) -> Result<Vec<Msg>, ProtocolError> {
        let mut out = Vec::new();
        while !input.is_empty() {
            let (n, msg) = decoder.decode(input)?;
            out.extend(msg);
            input = &input[n..];
        }
        Ok(out)
    }

    #[test]
    fn short_and_long_frames_on_the_wire() {
        let mut out = Vec::new();
        encode(true, b"abc", &mut out);
        assert_eq!(out, b"\x04\x01abc");
        out.clear();
        encode(false, b"", &mut out);
        assert_eq!(out, [1, 0]);
        // 253 bytes: length 254, still short; 254 bytes: length 255, long.
        out.clear();
        encode(false, &[7; 253], &mut out);
        assert_eq!(out[..2], [254, 0]);
        assert_eq!(out.len(), 255);
        out.clear();
        encode(true, &[7; 254], &mut out);
        assert_eq!(out[..10], [0xFF, 0, 0, 0, 0, 0, 0, 0, 255, 1]);
        assert_eq!(out.len(), 264);
    }

    #[test]
    fn decodes_what_it_encodes_in_any_split() {
        let sizes = [0usize, 1, 32, 33, 34, 253, 254, 255, 256, 1000];
        let mut input = Vec::new();
        for (i, &size) in sizes.iter().enumerate() {
            let body: Vec<u8> = (0..size).map(|b| (b + i) as u8).collect();
            encode(i % 2 == 0, &body, &mut input);
        }
        for chunk in [1, 2, 3, 9, 10, 11, 64, input.len()] {
            let mut decoder = Decoder::new(-1);
            let mut msgs = Vec::new();
            for piece in input.chunks(chunk) {
                msgs.extend(decode_all(&mut decoder, piece).unwrap());
            }
            assert_eq!(msgs.len(), sizes.len(), "chunk {chunk}");
            for (i, (msg, &size)) in msgs.iter().zip(&sizes).enumerate() {
                let body: Vec<u8> = (0..size).map(|b| (b + i) as u8).collect();
                assert_eq!(msg.data(), &body[..], "frame {i}, chunk {chunk}");
                assert_eq!(msg.more(), i % 2 == 0);
                assert!(!msg.is_command());
            }
        }
    }

    #[test]
    fn long_form_of_a_small_length_and_unknown_flag_bits_are_accepted() {
        let input = [0xFF, 0, 0, 0, 0, 0, 0, 0, 3, 0xFF, b'h', b'i'];
        let msgs = decode_all(&mut Decoder::new(-1), &input).unwrap();
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].data(), b"hi");
        assert!(msgs[0].more());
    }

    #[test]
    fn zero_length_is_malformed() {
        assert_eq!(Decoder::new(-1).decode(&[0]).unwrap_err(), ProtocolError::MalformedFrame);
        let long_zero = [0xFF, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(Decoder::new(-1).decode(&long_zero).unwrap_err(), ProtocolError::MalformedFrame);
    }

    #[test]
    fn maxmsgsize_bounds_the_body() {
        let mut decoder = Decoder::new(3);
        assert_eq!(decode_all(&mut decoder, b"\x04\x00abc").unwrap().len(), 1);
        assert_eq!(decoder.decode(b"\x05").unwrap_err(), ProtocolError::MessageTooLarge { size: 4 });
        let long = [0xFF, 0, 0, 0, 0, 0, 0, 1, 0];
        assert_eq!(
            Decoder::new(254).decode(&long).unwrap_err(),
            ProtocolError::MessageTooLarge { size: 255 }
        );
        assert_eq!(decode_all(&mut Decoder::new(0), b"\x01\x00").unwrap().len(), 1);
        let huge = [0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert!(matches!(
            Decoder::new(-1).decode(&huge).unwrap_err(),
            ProtocolError::OutOfMemory { .. } | ProtocolError::MessageTooLarge { .. }
        ));
    }
}
