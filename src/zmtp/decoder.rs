//! ZMTP 3 frame decoder: bytes in, one `Msg` per frame out.
//!
//! Owns frame boundaries only: flags byte (MORE, LONG, COMMAND), 1- or 8-byte size, body. What a
//! frame means (command or message, handshake or not) is the connection's business.
//!
//! Cost is linear in the input whatever the splits: only a partial size field (at most 8 bytes)
//! or a partial small body is ever buffered; bodies are copied once, from the input straight
//! into their final storage. A large body is allocated once at its announced size and filled as
//! bytes arrive, without zero-filling it first, so a peer announcing a huge frame costs address
//! space, not touched memory, until the bytes actually come.

use bytes::Bytes;

use crate::msg::{Msg, INLINE_CAPACITY};

use super::ProtocolError;

pub(crate) const FLAG_MORE: u8 = 0x01;
pub(crate) const FLAG_LONG: u8 = 0x02;
pub(crate) const FLAG_COMMAND: u8 = 0x04;

#[derive(Debug)]
enum State {
    Flags,
    /// Collecting a 1- or 8-byte size field into `size_buf`.
    Size {
        need: usize,
    },
    Body,
}

#[derive(Debug)]
enum Body {
    /// Bodies that will become inline messages, gathered across reads.
    Small {
        data: [u8; INLINE_CAPACITY],
        len: usize,
    },
    Large(Vec<u8>),
}

/// Incremental frame decoder.
#[derive(Debug)]
pub struct Decoder {
    max_msg_size: i64,
    state: State,
    flags: u8,
    size_buf: [u8; 8],
    size_len: usize,
    body_size: usize,
    body: Body,
}

impl Decoder {
    /// `max_msg_size` is ZMQ_MAXMSGSIZE: -1 (any negative) means no limit.
    pub fn new(max_msg_size: i64) -> Self {
        Self {
            max_msg_size,
            state: State::Flags,
            flags: 0,
            size_buf: [0; 8],
            size_len: 0,
            body_size: 0,
            body: Body::Small { data: [0; INLINE_CAPACITY], len: 0 },
        }
    }

    /// Consumes bytes from `input` up to the end of the next complete frame. Returns how many
    /// bytes were consumed and the frame if one completed; call again with the rest.
    pub fn decode(&mut self, input: &[u8]) -> Result<(usize, Option<Msg>), ProtocolError> {
        let mut pos = 0;
        loop {
            match self.state {
                State::Flags => {
                    let Some(&flags) = input.get(pos) else { return Ok((pos, None)) };
                    pos += 1;
                    self.flags = flags;
                    self.size_len = 0;
                    self.state = State::Size { need: if flags & FLAG_LONG != 0 { 8 } else { 1 } };
                }
                State::Size { need } => {
                    let take = (need - self.size_len).min(input.len() - pos);
                    self.size_buf[self.size_len..self.size_len + take]
                        .copy_from_slice(&input[pos..pos + take]);
                    self.size_len += take;
                    pos += take;
                    if self.size_len < need {
                        return Ok((pos, None));
                    }
                    let size = if need == 1 {
                        u64::from(self.size_buf[0])
                    } else {
                        u64::from_be_bytes(self.size_buf)
                    };
                    if self.max_msg_size >= 0 && size > self.max_msg_size as u64 {
                        return Err(ProtocolError::MessageTooLarge { size });
                    }
                    // Fast path: a whole small body already in the input needs no staging.
                    if size as usize <= INLINE_CAPACITY && input.len() - pos >= size as usize {
                        let end = pos + size as usize;
                        let msg =
                            Msg::from_slice(&input[pos..end]).expect("inline bodies need no allocation");
                        self.state = State::Flags;
                        return Ok((end, Some(self.finish(msg))));
                    }
                    self.start_body(size)?;
                }
                State::Body => {
                    let want = self.body_size - self.body_len();
                    let take = want.min(input.len() - pos);
                    let chunk = &input[pos..pos + take];
                    pos += take;
                    match &mut self.body {
                        Body::Small { data, len } => {
                            data[*len..*len + take].copy_from_slice(chunk);
                            *len += take;
                        }
                        Body::Large(buffer) => buffer.extend_from_slice(chunk),
                    }
                    if take < want {
                        return Ok((pos, None));
                    }
                    let body =
                        std::mem::replace(&mut self.body, Body::Small { data: [0; INLINE_CAPACITY], len: 0 });
                    let msg = match body {
                        Body::Small { data, len } => {
                            Msg::from_slice(&data[..len]).expect("inline bodies need no allocation")
                        }
                        Body::Large(buffer) => Msg::from_bytes(Bytes::from(buffer)),
                    };
                    self.state = State::Flags;
                    return Ok((pos, Some(self.finish(msg))));
                }
            }
        }
    }

    fn body_len(&self) -> usize {
        match &self.body {
            Body::Small { len, .. } => *len,
            Body::Large(buffer) => buffer.len(),
        }
    }

    fn start_body(&mut self, size: u64) -> Result<(), ProtocolError> {
        let body_size = usize::try_from(size).map_err(|_| ProtocolError::MessageTooLarge { size })?;
        self.body = if body_size <= INLINE_CAPACITY {
            Body::Small { data: [0; INLINE_CAPACITY], len: 0 }
        } else {
            let mut buffer = Vec::new();
            buffer.try_reserve_exact(body_size).map_err(|_| ProtocolError::OutOfMemory { size })?;
            Body::Large(buffer)
        };
        self.body_size = body_size;
        self.state = State::Body;
        Ok(())
    }

    fn finish(&self, mut msg: Msg) -> Msg {
        msg.set_more(self.flags & FLAG_MORE != 0);
        if self.flags & FLAG_COMMAND != 0 {
            msg.set_command();
        }
        msg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(decoder: &mut Decoder, mut input: &[u8]) -> Vec<Msg> {
        let mut out = Vec::new();
        while !input.is_empty() {
            let (n, msg) = decoder.decode(input).unwrap();
            out.extend(msg);
            input = &input[n..];
        }
        out
    }

    #[test]
    fn short_long_and_command_frames() {
        let mut input = vec![0x01, 3, b'a', b'b', b'c', 0x04, 0];
        input.extend_from_slice(&[0x02, 0, 0, 0, 0, 0, 0, 1, 0]);
        input.extend_from_slice(&[9; 256]);
        let msgs = decode_all(&mut Decoder::new(-1), &input);
        assert_eq!(msgs.len(), 3);
        assert_eq!(msgs[0].data(), b"abc");
        assert!(msgs[0].more() && !msgs[0].is_command());
        assert!(msgs[1].is_command() && msgs[1].size() == 0 && !msgs[1].more());
        assert_eq!(msgs[2].data(), &[9; 256][..]);
    }

    #[test]
    fn any_split_gives_the_same_frames() {
        let mut input = Vec::new();
        for size in [0usize, 1, 33, 34, 255, 256, 1000] {
            input.push(if size > 255 { FLAG_LONG } else { 0 } | FLAG_MORE);
            if size > 255 {
                input.extend_from_slice(&(size as u64).to_be_bytes());
            } else {
                input.push(size as u8);
            }
            input.extend((0..size).map(|i| i as u8));
        }
        let whole = decode_all(&mut Decoder::new(-1), &input);
        for chunk in [1, 2, 3, 7, 64] {
            let mut decoder = Decoder::new(-1);
            let mut msgs = Vec::new();
            for piece in input.chunks(chunk) {
                msgs.extend(decode_all(&mut decoder, piece));
            }
            assert_eq!(msgs.len(), whole.len());
            for (a, b) in msgs.iter().zip(&whole) {
                assert_eq!(a.data(), b.data());
            }
        }
    }

    #[test]
    fn size_limits() {
        let mut decoder = Decoder::new(3);
        assert_eq!(decode_all(&mut decoder, b"\x00\x03abc").len(), 1);
        assert_eq!(decoder.decode(b"\x00\x04").unwrap_err(), ProtocolError::MessageTooLarge { size: 4 });
        let huge = [0x02, 0x80, 0, 0, 0, 0, 0, 0, 0];
        let err = Decoder::new(-1).decode(&huge).unwrap_err();
        assert!(matches!(err, ProtocolError::OutOfMemory { .. } | ProtocolError::MessageTooLarge { .. }));
        assert_eq!(
            Decoder::new(1 << 20).decode(&huge).unwrap_err(),
            ProtocolError::MessageTooLarge { size: 1 << 63 }
        );
        // maxmsgsize 0 still allows empty frames.
        assert_eq!(decode_all(&mut Decoder::new(0), b"\x00\x00").len(), 1);
    }
}
