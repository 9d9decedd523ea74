//! ZMTP 3 frame decoder: bytes in, one `Msg` per frame out.
//!
//! Owns frame boundaries only: flags byte (MORE, LONG, COMMAND), 1- or 8-byte size, body. What a
//! frame means (command or message, handshake or not) is the connection's business.
//!
//! Cost is linear in the input whatever the splits: only a partial size field (at most 8 bytes)
//! or a partial small body is ever buffered. A body that is whole in the input is either kept
//! inline in the `Msg` (up to [`INLINE_CAPACITY`] bytes: no allocation), or, when the input is a
//! shared read buffer (`Bytes`), becomes a slice of that buffer (no allocation, no copy; the
//! buffer lives until its last message is dropped, as libzmq's shared receive buffer does).
//! Otherwise it is copied once, from the input into its final storage. A body that spans reads
//! is allocated once at its announced size as a message body (pooled up to the pool's largest
//! class, so the receiving thread's release recycles it for this thread's next frame; above
//! that an allocation the system maps lazily, never zeroed) and filled as bytes arrive, either
//! from the input or read straight into it ([`Decoder::body_space`]), so a peer announcing a
//! huge frame costs address space, not touched memory, until the bytes actually come.

use std::mem::MaybeUninit;
use std::ops::RangeInclusive;

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
    Small { data: [u8; INLINE_CAPACITY], len: usize },
    /// A body above the inline size, allocated whole (from the pool up to its largest class,
    /// so the receiving thread's release recycles it) and filled up to `filled`.
    Large { msg: Msg, filled: usize },
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
    /// Where the last [`Decoder::body_space`] lies in the large body.
    space: std::ops::Range<usize>,
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
            space: 0..0,
        }
    }

    /// Consumes bytes from `input` up to the end of the next complete frame. Returns how many
    /// bytes were consumed and the frame if one completed; call again with the rest.
    ///
    /// `shared`, when given, is a buffer that `input` is a suffix of: bodies whole in the input
    /// above the inline size are then taken as slices of it instead of being copied.
    pub fn decode(
        &mut self,
        input: &[u8],
        shared: Option<&Bytes>,
    ) -> Result<(usize, Option<Msg>), ProtocolError> {
        if let Some((n, mut msg)) = self.decode_short_frame(input, shared) {
            self.set_flags(&mut msg);
            return Ok((n, Some(msg)));
        }
        self.decode_frame(input, shared)
    }

    /// As [`decode`](Self::decode), but the frame is written into `slot` (a pipe's next slot:
    /// see `ypipe::Writer::write_in_place`) and handed back there. A short frame is built in the
    /// slot and its flags set there: moving a just-built small message reads its narrow stores
    /// back with wide loads, a store-forwarding stall per move.
    #[inline(always)]
    pub fn decode_into<'s>(
        &mut self,
        input: &[u8],
        shared: Option<&Bytes>,
        slot: &'s mut MaybeUninit<Msg>,
    ) -> Result<(usize, Option<&'s mut Msg>), ProtocolError> {
        if let Some((n, msg)) = self.decode_short_frame(input, shared) {
            let msg = slot.write(msg);
            self.set_flags(msg);
            return Ok((n, Some(msg)));
        }
        let (n, frame) = self.decode_frame(input, shared)?;
        Ok((n, frame.map(|frame| slot.write(frame))))
    }

    /// `decode` past the short-frame fast path: any frame, any split.
    fn decode_frame(
        &mut self,
        input: &[u8],
        shared: Option<&Bytes>,
    ) -> Result<(usize, Option<Msg>), ProtocolError> {
        debug_assert!(shared.is_none_or(|shared| shared.ends_with(input)));
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
                    if self.too_large(size) {
                        return Err(ProtocolError::MessageTooLarge { size });
                    }
                    // Fast path: a body whole in the input needs no staging.
                    if input.len() - pos >= size as usize {
                        let end = pos + size as usize;
                        let msg = if size as usize <= INLINE_CAPACITY {
                            Some(Msg::from_slice(&input[pos..end]).expect("inline bodies need no allocation"))
                        } else {
                            shared.map(|shared| {
                                let base = shared.len() - input.len();
                                Msg::from_bytes(shared.slice(base + pos..base + end))
                            })
                        };
                        if let Some(msg) = msg {
                            self.state = State::Flags;
                            return Ok((end, Some(self.finish(msg))));
                        }
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
                        Body::Large { msg, filled } => {
                            msg.data_mut()[*filled..*filled + take].copy_from_slice(chunk);
                            *filled += take;
                        }
                    }
                    if take < want {
                        return Ok((pos, None));
                    }
                    return Ok((pos, Some(self.finish_body())));
                }
            }
        }
    }

    /// How to cut a read so that frames arrive whole: `(now, missing)` says to decode the first
    /// `now` bytes of `input` (the bytes after everything decoded so far) and to hold the rest,
    /// the start of a frame whose size (header included) is in `hold`, until `missing` more
    /// bytes follow it; then offer the held bytes again with those appended. A frame decoded
    /// whole from a shared buffer is a slice of it (no allocation, no copy), where a body split
    /// across reads is gathered into its own allocation. Everything is decoded at once
    /// (`missing` 0) when no frame is cut, while a frame is already half decoded, when the cut
    /// frame's size is outside `hold` or not known yet (a cut header), and at a frame over
    /// ZMQ_MAXMSGSIZE (the decoder reports that at once).
    pub fn whole_frames_len(&self, input: &[u8], hold: RangeInclusive<usize>) -> (usize, usize) {
        if !matches!(self.state, State::Flags) {
            return (input.len(), 0);
        }
        let mut pos = 0;
        while let Some(&flags) = input.get(pos) {
            let rest = &input[pos..];
            let header = if flags & FLAG_LONG != 0 { 9 } else { 2 };
            if rest.len() < header {
                return (input.len(), 0);
            }
            let size = if header == 2 {
                u64::from(rest[1])
            } else {
                u64::from_be_bytes(rest[1..9].try_into().expect("8 bytes"))
            };
            if self.too_large(size) {
                return (input.len(), 0);
            }
            let total = size.saturating_add(header as u64);
            if total > rest.len() as u64 {
                return match usize::try_from(total) {
                    Ok(total) if hold.contains(&total) => (pos, total - rest.len()),
                    _ => (input.len(), 0),
                };
            }
            pos += total as usize;
        }
        (pos, 0)
    }

    /// Over ZMQ_MAXMSGSIZE.
    #[inline]
    fn too_large(&self, size: u64) -> bool {
        self.max_msg_size >= 0 && size > self.max_msg_size as u64
    }

    /// The common case in one step: a short frame (1-byte size) whole at the start of the
    /// input, its body inline or a slice of `shared`. `None` leaves everything to the state
    /// machine (which also reports an oversized frame). Gives the frame's length and its body,
    /// flags not yet set (see [`set_flags`](Self::set_flags)).
    #[inline(always)]
    fn decode_short_frame(&mut self, input: &[u8], shared: Option<&Bytes>) -> Option<(usize, Msg)> {
        let (State::Flags, [flags, size, rest @ ..]) = (&self.state, input) else { return None };
        let size = usize::from(*size);
        if flags & FLAG_LONG != 0 || rest.len() < size || self.too_large(size as u64) {
            return None;
        }
        let body = &rest[..size];
        let msg = if let Some(window) = rest.first_chunk().filter(|_| size <= INLINE_CAPACITY) {
            // The input runs on past the body (the common case in a large read): see
            // `Msg::inline_from_window`.
            Msg::inline_from_window(window, size)
        } else if size <= INLINE_CAPACITY {
            Msg::from_slice(body).expect("inline bodies need no allocation")
        } else {
            let shared = shared?;
            let start = shared.len() - input.len() + 2;
            Msg::from_bytes(shared.slice(start..start + size))
        };
        self.flags = *flags;
        Some((2 + size, msg))
    }

    /// Room to read the rest of a large body into directly (instead of through `decode`'s
    /// input), at most `max` bytes; `None` unless a large body of at least `min` bytes is being
    /// filled. Report what was written with
    /// [`body_filled`](Self::body_filled) before decoding anything else.
    pub fn body_space(&mut self, min: usize, max: usize) -> Option<&mut [u8]> {
        let (State::Body, Body::Large { msg, filled }) = (&self.state, &mut self.body) else { return None };
        if self.body_size < min {
            return None;
        }
        let start = *filled;
        let missing = self.body_size - start;
        let room = missing.min(max);
        self.space = start..start + room;
        Some(&mut msg.data_mut()[start..start + room])
    }

    /// `n` bytes were written at the start of the last [`body_space`](Self::body_space);
    /// returns the frame if that completed it.
    ///
    /// Panics if there was no such space or `n` exceeds it (a caller bug).
    pub fn body_filled(&mut self, n: usize) -> Option<Msg> {
        let Body::Large { filled, .. } = &mut self.body else { panic!("body_filled without body_space") };
        let end = self.space.start + n;
        assert!(end <= self.space.end, "filled past the space given");
        *filled = end;
        (end == self.body_size).then(|| self.finish_body())
    }

    /// The body being gathered is complete: the frame, and back to reading flags.
    fn finish_body(&mut self) -> Msg {
        let body = std::mem::replace(&mut self.body, Body::Small { data: [0; INLINE_CAPACITY], len: 0 });
        let msg = match body {
            Body::Small { data, len } => {
                Msg::from_slice(&data[..len]).expect("inline bodies need no allocation")
            }
            Body::Large { msg, .. } => msg,
        };
        self.state = State::Flags;
        self.finish(msg)
    }

    fn body_len(&self) -> usize {
        match &self.body {
            Body::Small { len, .. } => *len,
            Body::Large { filled, .. } => *filled,
        }
    }

    fn start_body(&mut self, size: u64) -> Result<(), ProtocolError> {
        let body_size = usize::try_from(size).map_err(|_| ProtocolError::MessageTooLarge { size })?;
        self.body = if body_size <= INLINE_CAPACITY {
            Body::Small { data: [0; INLINE_CAPACITY], len: 0 }
        } else {
            let msg = Msg::for_filling(body_size).map_err(|_| ProtocolError::OutOfMemory { size })?;
            Body::Large { msg, filled: 0 }
        };
        self.body_size = body_size;
        self.state = State::Body;
        Ok(())
    }

    fn finish(&self, mut msg: Msg) -> Msg {
        self.set_flags(&mut msg);
        msg
    }

    /// Gives the frame the MORE and COMMAND flags of its header.
    #[inline(always)]
    fn set_flags(&self, msg: &mut Msg) {
        msg.set_more(self.flags & FLAG_MORE != 0);
        if self.flags & FLAG_COMMAND != 0 {
            msg.set_command();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes consumed by a decode call that must not complete a frame.
    fn no_frame(result: Result<(usize, Option<Msg>), ProtocolError>) -> usize {
        let (n, msg) = result.unwrap();
        assert!(msg.is_none());
        n
    }

    fn decode_all(decoder: &mut Decoder, input: &[u8]) -> Vec<Msg> {
        decode_read(decoder, input, None)
    }

    /// Decodes one read's worth of bytes; `shared` is the read buffer (the session's case).
    fn decode_read(decoder: &mut Decoder, mut input: &[u8], shared: Option<&Bytes>) -> Vec<Msg> {
        let mut out = Vec::new();
        while !input.is_empty() {
            let (n, msg) = decoder.decode(input, shared).unwrap();
            out.extend(msg);
            input = &input[n..];
        }
        out
    }

    /// Frames of every size class (empty, inline, just above inline, short maximum, long), each
    /// body distinct, with MORE on all but the last and one command.
    fn sample_stream() -> (Vec<u8>, Vec<Vec<u8>>) {
        let mut input = Vec::new();
        let mut bodies = Vec::new();
        let sizes = [0usize, 1, 33, 34, 64, 255, 256, 1000];
        for (i, &size) in sizes.iter().enumerate() {
            let more = if i + 1 < sizes.len() { FLAG_MORE } else { 0 };
            let command = if size == 1 { FLAG_COMMAND } else { 0 };
            input.push(if size > 255 { FLAG_LONG } else { 0 } | more | command);
            if size > 255 {
                input.extend_from_slice(&(size as u64).to_be_bytes());
            } else {
                input.push(size as u8);
            }
            let body: Vec<u8> = (0..size).map(|j| (i * 31 + j) as u8).collect();
            input.extend_from_slice(&body);
            bodies.push(body);
        }
        (input, bodies)
    }

    fn check_sample(msgs: &[Msg], bodies: &[Vec<u8>]) {
        assert_eq!(msgs.len(), bodies.len());
        for (i, (msg, body)) in msgs.iter().zip(bodies).enumerate() {
            assert_eq!(msg.data(), &body[..], "frame {i}");
            assert_eq!(msg.more(), i + 1 < bodies.len(), "frame {i}");
            assert_eq!(msg.is_command(), body.len() == 1, "frame {i}");
        }
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
    fn long_header_with_a_short_size_is_accepted() {
        let msgs = decode_all(&mut Decoder::new(-1), &[0x02, 0, 0, 0, 0, 0, 0, 0, 2, b'h', b'i']);
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].data(), b"hi");
    }

    #[test]
    fn any_chunking_gives_the_same_frames() {
        let (input, bodies) = sample_stream();
        for shared in [false, true] {
            for chunk in [1, 2, 3, 7, 64, input.len()] {
                let mut decoder = Decoder::new(-1);
                let mut msgs = Vec::new();
                for piece in input.chunks(chunk) {
                    let buffer = Bytes::copy_from_slice(piece);
                    msgs.extend(decode_read(&mut decoder, &buffer, shared.then_some(&buffer)));
                }
                check_sample(&msgs, &bodies);
            }
        }
    }

    #[test]
    fn every_two_way_split_gives_the_same_frames() {
        let (input, bodies) = sample_stream();
        for split in 0..=input.len() {
            for shared in [false, true] {
                let mut decoder = Decoder::new(-1);
                let mut msgs = Vec::new();
                for piece in [&input[..split], &input[split..]] {
                    let buffer = Bytes::copy_from_slice(piece);
                    msgs.extend(decode_read(&mut decoder, &buffer, shared.then_some(&buffer)));
                }
                check_sample(&msgs, &bodies);
            }
        }
    }

    #[test]
    fn whole_bodies_in_a_shared_buffer_are_slices_of_it() {
        let (input, bodies) = sample_stream();
        let buffer = Bytes::from(input);
        // The decoder is handed a suffix of the buffer, as after a greeting in the same read.
        let msgs = decode_read(&mut Decoder::new(-1), &buffer[..], Some(&buffer));
        check_sample(&msgs, &bodies);
        let range = buffer.as_ptr_range();
        for msg in msgs.iter().filter(|msg| msg.size() > INLINE_CAPACITY) {
            assert!(range.contains(&msg.data().as_ptr()), "{} bytes copied", msg.size());
        }
    }

    #[test]
    fn large_bodies_read_straight_into_the_frame_at_every_split() {
        let (input, bodies) = sample_stream();
        let last = bodies.len() - 1;
        let body_start = input.len() - bodies[last].len();
        // The first read ends anywhere inside the last (long) frame's body; the rest arrives
        // through body_space in pieces of 100 bytes.
        for split in body_start + 1..input.len() {
            let mut decoder = Decoder::new(-1);
            let first = Bytes::copy_from_slice(&input[..split]);
            let mut msgs = decode_read(&mut decoder, &first, Some(&first));
            let mut pos = split;
            while pos < input.len() {
                let space = decoder.body_space(1, 100).expect("a large body is being filled");
                let n = space.len().min(input.len() - pos);
                assert!(n > 0);
                space[..n].copy_from_slice(&input[pos..pos + n]);
                pos += n;
                let done = decoder.body_filled(n);
                assert_eq!(done.is_some(), pos == input.len());
                msgs.extend(done);
            }
            assert!(decoder.body_space(1, 100).is_none());
            check_sample(&msgs, &bodies);
        }
    }

    /// The session's read loop with held frames: a read cut at every point, the held start of
    /// the cut frame offered again with the rest behind it.
    #[test]
    fn held_frames_arrive_whole_as_slices_at_every_split() {
        let (input, bodies) = sample_stream();
        for split in 0..=input.len() {
            let mut decoder = Decoder::new(-1);
            let first = Bytes::copy_from_slice(&input[..split]);
            let (now, missing) = decoder.whole_frames_len(&first, 0..=4096);
            assert!(missing <= input.len() - split, "split {split}: waits for more than will come");
            assert_eq!(missing == 0, now == split, "split {split}");
            let mut msgs = decode_read(&mut decoder, &first.slice(..now), Some(&first.slice(..now)));
            let second = Bytes::from([&input[now..split], &input[split..]].concat());
            assert_eq!(decoder.whole_frames_len(&second, 0..=4096), (second.len(), 0), "split {split}");
            msgs.extend(decode_read(&mut decoder, &second, Some(&second)));
            check_sample(&msgs, &bodies);
            // Only a cut header leaves a frame to be gathered (its size was not known).
            let header_cut = missing == 0 && now != split;
            for msg in msgs.iter().filter(|msg| msg.size() > INLINE_CAPACITY && !header_cut) {
                let inside = |buffer: &Bytes| buffer.as_ptr_range().contains(&msg.data().as_ptr());
                assert!(inside(&first) || inside(&second), "split {split}: {} bytes copied", msg.size());
            }
        }
    }

    #[test]
    fn frames_not_worth_holding_are_decoded_at_once() {
        // A 265-byte frame cut: held when its size is in the range, else decoded (and
        // gathered) as it comes.
        let long = [FLAG_LONG, 0, 0, 0, 0, 0, 0, 1, 0, 1, 2];
        assert_eq!(Decoder::new(-1).whole_frames_len(&long, 0..=265), (0, 254));
        assert_eq!(Decoder::new(-1).whole_frames_len(&long, 0..=264), (long.len(), 0));
        assert_eq!(Decoder::new(-1).whole_frames_len(&long, 266..=4096), (long.len(), 0));
        // Whole frames of any size are passed over.
        let mut whole = vec![FLAG_LONG, 0, 0, 0, 0, 0, 0, 1, 0];
        whole.extend_from_slice(&[5; 256]);
        whole.extend_from_slice(&[0, 40, 1]);
        assert_eq!(Decoder::new(-1).whole_frames_len(&whole, 42..=42), (265, 39));
        // Over ZMQ_MAXMSGSIZE: the decoder reports it without waiting for the body.
        assert_eq!(Decoder::new(100).whole_frames_len(&long, 0..=4096), (long.len(), 0));
        // A whole frame, then a cut header: its size is unknown, so it goes to the decoder.
        assert_eq!(Decoder::new(-1).whole_frames_len(&[0, 1, 7, FLAG_LONG, 0], 0..=4096), (5, 0));
        // Half way through a body, everything goes to the decoder.
        let mut decoder = Decoder::new(-1);
        assert_eq!(no_frame(decoder.decode(&long, None)), long.len());
        assert_eq!(decoder.whole_frames_len(&[3, 4, 0, 1, 7], 0..=4096), (5, 0));
    }

    #[test]
    fn body_space_is_only_offered_for_a_large_body() {
        let mut decoder = Decoder::new(-1);
        assert!(decoder.body_space(1, 10).is_none());
        // Inside a small body gathered across reads: no.
        assert_eq!(no_frame(decoder.decode(&[0, 5, 1, 2], None)), 4);
        assert!(decoder.body_space(1, 10).is_none());
        assert!(decode_all(&mut decoder, &[3, 4, 5]).len() == 1);
        // A partial size field: no.
        assert_eq!(no_frame(decoder.decode(&[FLAG_LONG, 0, 0], None)), 3);
        assert!(decoder.body_space(1, 10).is_none());
        assert_eq!(no_frame(decoder.decode(&[0, 0, 0, 0, 1, 0], None)), 6);
        // Not for a body smaller than asked for.
        assert!(decoder.body_space(257, 1000).is_none());
        // A short fill, then the rest.
        let space = decoder.body_space(1, 1000).unwrap();
        assert_eq!(space.len(), 256);
        space[..6].copy_from_slice(b"abcdef");
        assert!(decoder.body_filled(6).is_none());
        assert_eq!(decoder.body_space(1, 1000).unwrap().len(), 250);
        let msg = decoder.body_filled(250).unwrap();
        assert_eq!(&msg.data()[..6], b"abcdef");
        assert_eq!(msg.size(), 256);
        // A frame following it decodes normally.
        assert_eq!(decode_all(&mut decoder, &[0, 1, 7])[0].data(), [7]);
    }

    #[test]
    fn size_limits() {
        let mut decoder = Decoder::new(3);
        assert_eq!(decode_all(&mut decoder, b"\x00\x03abc").len(), 1);
        assert_eq!(
            decoder.decode(b"\x00\x04", None).unwrap_err(),
            ProtocolError::MessageTooLarge { size: 4 }
        );
        // Also when the body is already whole in a shared buffer.
        let buffer = Bytes::from_static(b"\x00\x04abcd");
        assert_eq!(
            Decoder::new(3).decode(&buffer, Some(&buffer)).unwrap_err(),
            ProtocolError::MessageTooLarge { size: 4 }
        );
        // A long size over the limit, announced a byte at a time.
        let mut decoder = Decoder::new(300);
        let long = [FLAG_LONG, 0, 0, 0, 0, 0, 0, 1, 0x2D];
        for byte in &long[..8] {
            assert_eq!(no_frame(decoder.decode(std::slice::from_ref(byte), None)), 1);
        }
        assert_eq!(
            decoder.decode(&long[8..], None).unwrap_err(),
            ProtocolError::MessageTooLarge { size: 301 }
        );
        let huge = [0x02, 0x80, 0, 0, 0, 0, 0, 0, 0];
        let err = Decoder::new(-1).decode(&huge, None).unwrap_err();
        assert!(matches!(err, ProtocolError::OutOfMemory { .. } | ProtocolError::MessageTooLarge { .. }));
        assert_eq!(
            Decoder::new(1 << 20).decode(&huge, None).unwrap_err(),
            ProtocolError::MessageTooLarge { size: 1 << 63 }
        );
        // maxmsgsize 0 still allows empty frames.
        assert_eq!(decode_all(&mut Decoder::new(0), b"\x00\x00").len(), 1);
    }

    #[test]
    fn a_huge_announcement_touches_no_memory_up_front() {
        // 1 TiB announced: allocating it may fail (OutOfMemory) or succeed lazily (nothing is
        // written before the bytes come).
        let mut decoder = Decoder::new(-1);
        let announce = [FLAG_LONG, 0, 0, 1, 0, 0, 0, 0, 0];
        match decoder.decode(&announce, None) {
            Err(error) => assert_eq!(error, ProtocolError::OutOfMemory { size: 1 << 40 }),
            Ok((9, None)) => assert_eq!(decoder.body_space(1, 4096).unwrap().len(), 4096),
            Ok(other) => panic!("unexpected {other:?}"),
        }
    }
}
