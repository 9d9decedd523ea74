//! The XSalsa20 keystream and HSalsa20 for `crypto` to seal and open boxes, eight Salsa20
//! blocks at a time for long messages.
//!
//! Why not the `salsa20` crate (0.10): its stream computes one 64-byte block per call through
//! `cipher`'s generic per-block wrapper, with no SIMD backend, and a 64 KiB CURVE message spent
//! most of its time there (BENCHMARKS.md, CURVE). Here, when the CPU has AVX2 (runtime
//! detection; the `unsafe` calls below), whole batches of eight blocks are computed together,
//! the state held as sixteen 256-bit registers with one lane per block, then transposed and
//! XORed into the data 32 bytes at a time; with AVX-512VL as well, each rotation is one
//! instruction (`vprold`) instead of three (64 KiB, `crypto`'s `box_speed`: 0.24 ns/byte instead
//! of 0.34; libsodium's AVX2 code takes 0.35 on the same Xeon). Short messages, tails and CPUs
//! without AVX2 take single blocks, so a 64-byte message computes only the two blocks it needs,
//! in scalar code (as HSalsa20, once per keystream).
//!
//! Owns only the keystream: where it starts (NaCl's boxes use its first 32 bytes as the Poly1305
//! key) and what it is applied to belong to `crypto`. Key material (the subkey state and the
//! unused keystream) is wiped on drop. Tests check it against the `salsa20` crate at every length
//! around the block and batch sizes, and each wide path against single blocks.

use zeroize::{Zeroize, Zeroizing};

use super::crypto::{KEY_LEN, NONCE_LEN};

const BLOCK_LEN: usize = 64;
/// Blocks computed together on the wide path: eight 32-bit lanes fill a 256-bit AVX2 register.
const WIDE_LANES: usize = 8;
const WIDE_LEN: usize = BLOCK_LEN * WIDE_LANES;
/// `apply_into`'s unit: copied and ciphered while in the L1 cache, a whole number of batches.
const PIECE_LEN: usize = 8 * WIDE_LEN;

/// "expand 32-byte k", Salsa20's constant words.
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// An XSalsa20 keystream from its start (block 0), consumed front to back.
pub(super) struct Keystream {
    /// The Salsa20 input block (subkey, nonce tail, constants); words 8 and 9 (the block counter)
    /// stay 0 here and are set per block.
    input: [u32; 16],
    /// Index of the next block to compute.
    next_block: u64,
    /// The last block computed and how much of it has been used.
    block: Zeroizing<[u8; BLOCK_LEN]>,
    used: usize,
}

impl Keystream {
    pub fn new(key: &[u8; KEY_LEN], nonce: &[u8; NONCE_LEN]) -> Self {
        let subkey = hsalsa20(key, nonce[..16].try_into().expect("16 bytes"));
        Self::with_subkey(&subkey, nonce[16..].try_into().expect("8 bytes"))
    }

    /// The keystream for the nonce whose first 16 bytes gave `subkey` (HSalsa20 of the key and
    /// them) and whose last 8 are `tail`.
    pub fn with_subkey(subkey: &[u8; KEY_LEN], tail: &[u8; 8]) -> Self {
        // Nonce tail in words 6 and 7; the block counter (words 8 and 9) starts at 0.
        let mut words = [0; 16];
        words[..8].copy_from_slice(tail);
        let input = salsa_state(subkey, &words);
        Self { input, next_block: 0, block: Zeroizing::new([0; BLOCK_LEN]), used: BLOCK_LEN }
    }

    /// XORs the next `buffer.len()` keystream bytes into `buffer`: what is left of the last
    /// block, then batches of [`WIDE_LANES`] blocks while a whole batch is wanted and the CPU
    /// has AVX2, then single blocks. A short message costs no more blocks than it needs.
    pub fn apply(&mut self, buffer: &mut [u8]) {
        let head = (BLOCK_LEN - self.used).min(buffer.len());
        xor(&mut buffer[..head], &self.block[self.used..self.used + head]);
        self.used += head;
        #[allow(unused_mut)] // assigned on x86_64 only
        let mut rest = &mut buffer[head..];
        #[cfg(target_arch = "x86_64")]
        if rest.len() >= WIDE_LEN {
            if let Some(wide) = Wide::detect() {
                let mut batches = rest.chunks_exact_mut(WIDE_LEN);
                for batch in &mut batches {
                    wide.xor(&self.input, self.next_block, batch.try_into().expect("WIDE_LEN bytes"));
                    self.next_block = self.next_block.wrapping_add(WIDE_LANES as u64);
                }
                rest = batches.into_remainder();
            }
        }
        for piece in rest.chunks_mut(BLOCK_LEN) {
            block(&self.input, self.next_block, &mut self.block[..]);
            self.next_block = self.next_block.wrapping_add(1);
            xor(piece, &self.block[..piece.len()]);
            self.used = piece.len();
        }
    }

    /// Appends `input` XORed with the next `input.len()` keystream bytes to `out`, piece by
    /// piece: each piece is copied, then ciphered while it is still in the L1 cache. Pieces after
    /// the first start on a block boundary, so only the last one can end in single blocks.
    pub fn apply_into(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len());
        let mut piece_len = (BLOCK_LEN - self.used) % BLOCK_LEN + PIECE_LEN;
        let mut rest = input;
        while !rest.is_empty() {
            let (piece, after) = rest.split_at(piece_len.min(rest.len()));
            let at = out.len();
            out.extend_from_slice(piece);
            self.apply(&mut out[at..]);
            rest = after;
            piece_len = PIECE_LEN;
        }
    }
}

/// `buffer` ^= `keystream`, over `buffer`'s length.
fn xor(buffer: &mut [u8], keystream: &[u8]) {
    for (byte, key) in buffer.iter_mut().zip(keystream) {
        *byte ^= key;
    }
}

impl Drop for Keystream {
    fn drop(&mut self) {
        self.input.zeroize();
    }
}

/// The wide path the CPU can run: AVX2, or AVX2 with AVX-512VL's rotate instruction (one
/// instruction instead of two shifts and an OR, in each of the rounds' 640 steps per batch).
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
enum Wide {
    Avx2,
    Avx512,
}

#[cfg(target_arch = "x86_64")]
impl Wide {
    fn detect() -> Option<Self> {
        if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512vl") {
            Some(Self::Avx512)
        } else if std::arch::is_x86_feature_detected!("avx2") {
            Some(Self::Avx2)
        } else {
            None
        }
    }

    /// XORs blocks `first_block`.. `first_block` + 7 of `input`'s keystream into `data`.
    fn xor(self, input: &[u32; 16], first_block: u64, data: &mut [u8; WIDE_LEN]) {
        // SAFETY: `detect` found the CPU features each function is compiled for, the one
        // requirement for calling a `#[target_feature]` function.
        unsafe {
            match self {
                Self::Avx2 => xor_batch_avx2(input, first_block, data),
                Self::Avx512 => xor_batch_avx512(input, first_block, data),
            }
        }
    }
}

/// A 32-bit left rotation of every lane, with AVX2's shifts.
#[cfg(target_arch = "x86_64")]
macro_rules! rotate_avx2 {
    ($v:expr, $bits:literal) => {
        _mm256_or_si256(_mm256_slli_epi32::<$bits>($v), _mm256_srli_epi32::<{ 32 - $bits }>($v))
    };
}

/// A 32-bit left rotation of every lane, with AVX-512VL's `vprold`.
#[cfg(target_arch = "x86_64")]
macro_rules! rotate_avx512 {
    ($v:expr, $bits:literal) => {
        _mm256_rol_epi32::<$bits>($v)
    };
}

/// Defines `$name(input, first_block, data)`: XORs Salsa20 blocks `first_block`..
/// `first_block` + 7 of `input` into `data`, the state as sixteen 256-bit registers, one per
/// word, each lane a block, so every step of the rounds is one instruction for all eight blocks;
/// `$rotate` is the rotation. The rows are then transposed (8x8 32-bit words, twice) so that each
/// register holds 32 consecutive keystream bytes of one block, XORed into `data` whole.
/// Intrinsics rather than autovectorized arrays of lanes: LLVM merged and re-split such rows
/// (blends, spills: 1.8x the instructions), and for the SSE2 baseline did not vectorize the
/// rotates at all.
#[cfg(target_arch = "x86_64")]
macro_rules! xor_batch {
    ($name:ident, $features:literal, $rotate:ident) => {
        #[target_feature(enable = $features)]
        fn $name(input: &[u32; 16], first_block: u64, data: &mut [u8; WIDE_LEN]) {
            use std::arch::x86_64::*;
            let lanes: [u64; WIDE_LANES] = std::array::from_fn(|lane| first_block.wrapping_add(lane as u64));
            let counter = |shift: u32| {
                let word = |lane: usize| (lanes[lane] >> shift) as u32 as i32;
                _mm256_setr_epi32(word(0), word(1), word(2), word(3), word(4), word(5), word(6), word(7))
            };
            let mut x: [__m256i; 16] = input.map(|w| _mm256_set1_epi32(w as i32));
            x[8] = counter(0);
            x[9] = counter(32);
            let start = x;
            macro_rules! step {
                ($target:expr, $p:expr, $q:expr, $bits:literal) => {{
                    let sum = _mm256_add_epi32(x[$p], x[$q]);
                    x[$target] = _mm256_xor_si256(x[$target], $rotate!(sum, $bits));
                }};
            }
            let mut quarter_round = |a: usize, b: usize, c: usize, d: usize| {
                step!(b, a, d, 7);
                step!(c, b, a, 9);
                step!(d, c, b, 13);
                step!(a, d, c, 18);
            };
            for _ in 0..10 {
                double_round(&mut quarter_round);
            }
            for (row, start) in x.iter_mut().zip(&start) {
                *row = _mm256_add_epi32(*row, *start);
            }
            for half in 0..2 {
                let r = &x[8 * half..8 * half + 8];
                // Pairs of rows interleaved, then pairs of pairs: u[i] holds words 8 * half..
                // + 3 of block i in its low 128 bits and of block i + 4 in its high ones, v[i]
                // the next four words.
                let t: [__m256i; 8] = std::array::from_fn(|i| {
                    let (a, b) = (r[i / 2 * 2], r[i / 2 * 2 + 1]);
                    if i % 2 == 0 {
                        _mm256_unpacklo_epi32(a, b)
                    } else {
                        _mm256_unpackhi_epi32(a, b)
                    }
                });
                let quads = |t0: __m256i, t1: __m256i, t2: __m256i, t3: __m256i| {
                    [
                        _mm256_unpacklo_epi64(t0, t2),
                        _mm256_unpackhi_epi64(t0, t2),
                        _mm256_unpacklo_epi64(t1, t3),
                        _mm256_unpackhi_epi64(t1, t3),
                    ]
                };
                let u = quads(t[0], t[1], t[2], t[3]);
                let v = quads(t[4], t[5], t[6], t[7]);
                for i in 0..4 {
                    let low = _mm256_permute2x128_si256::<0x20>(u[i], v[i]);
                    let high = _mm256_permute2x128_si256::<0x31>(u[i], v[i]);
                    for (block, words) in [(i, low), (i + 4, high)] {
                        let at = block * BLOCK_LEN + 32 * half;
                        let bytes: &mut [u8; 32] = (&mut data[at..at + 32]).try_into().expect("32 bytes");
                        // SAFETY: `bytes` is 32 readable and writable bytes, and the unaligned
                        // load and store have no alignment requirement.
                        unsafe {
                            let sum = _mm256_xor_si256(_mm256_loadu_si256(bytes.as_ptr().cast()), words);
                            _mm256_storeu_si256(bytes.as_mut_ptr().cast(), sum);
                        }
                    }
                }
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
xor_batch!(xor_batch_avx2, "avx2", rotate_avx2);
#[cfg(target_arch = "x86_64")]
xor_batch!(xor_batch_avx512, "avx2,avx512f,avx512vl", rotate_avx512);

/// Salsa20's double round (column round, then row round) as `quarter_round(a, b, c, d)` calls.
#[inline(always)]
fn double_round(mut quarter_round: impl FnMut(usize, usize, usize, usize)) {
    quarter_round(0, 4, 8, 12);
    quarter_round(5, 9, 13, 1);
    quarter_round(10, 14, 2, 6);
    quarter_round(15, 3, 7, 11);
    quarter_round(0, 1, 2, 3);
    quarter_round(5, 6, 7, 4);
    quarter_round(10, 11, 8, 9);
    quarter_round(15, 12, 13, 14);
}

/// Salsa20 block `counter` of `input` into `out`, one block at a time ([`rounds`]). The state's
/// stack copies are not wiped (here or in the wide path): volatile stores of every word cost
/// more than the rounds' own stores (callgrind), the keystream they hold is wiped with the
/// buffer it goes to, and the subkey words lived in registers and spill slots anyway (as in the
/// `salsa20` crate, which does not wipe its per-block state either).
fn block(input: &[u32; 16], counter: u64, out: &mut [u8]) {
    let mut x = *input;
    // The 64-bit block counter, little-endian over words 8 and 9.
    x[8] = counter as u32;
    x[9] = (counter >> 32) as u32;
    let start = x;
    rounds(&mut x);
    for ((word, start), bytes) in x.iter().zip(&start).zip(out.chunks_exact_mut(4)) {
        bytes.copy_from_slice(&word.wrapping_add(*start).to_le_bytes());
    }
}

/// Salsa20's twenty rounds over the state `x` (no final addition), plain scalar code. (An SSE2
/// version with the words as four diagonals ran a third of the instructions but took longer,
/// 110 ns instead of 90: its one dependency chain against the scalar code's four independent
/// quarter rounds.)
fn rounds(x: &mut [u32; 16]) {
    for _ in 0..10 {
        double_round(|a, b, c, d| {
            x[b] ^= x[a].wrapping_add(x[d]).rotate_left(7);
            x[c] ^= x[b].wrapping_add(x[a]).rotate_left(9);
            x[d] ^= x[c].wrapping_add(x[b]).rotate_left(13);
            x[a] ^= x[d].wrapping_add(x[c]).rotate_left(18);
        });
    }
}

/// The Salsa20 (and HSalsa20) input block: the constants, `key`, and `tail` (16 bytes) in words
/// 6 to 9.
fn salsa_state(key: &[u8; KEY_LEN], tail: &[u8]) -> [u32; 16] {
    let word =
        |bytes: &[u8], i: usize| u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().expect("4 bytes"));
    let mut state = [0; 16];
    for i in 0..4 {
        state[5 * i] = SIGMA[i];
        state[1 + i] = word(key, i);
        state[11 + i] = word(key, 4 + i);
        state[6 + i] = word(tail, i);
    }
    state
}

/// HSalsa20 of `key` and `input`, in a buffer wiped on drop: XSalsa20's subkey, and
/// `crypto_box_beforenm`'s key with an all-zero input. The Salsa20 rounds without the final
/// addition, words 0, 5, 10, 15 and 6 to 9 of the result.
pub(super) fn hsalsa20(key: &[u8; KEY_LEN], input: &[u8; 16]) -> Zeroizing<[u8; KEY_LEN]> {
    let mut x = salsa_state(key, input);
    rounds(&mut x);
    let mut out = Zeroizing::new([0; KEY_LEN]);
    for (bytes, word) in out.chunks_exact_mut(4).zip([0, 5, 10, 15, 6, 7, 8, 9]) {
        bytes.copy_from_slice(&x[word].to_le_bytes());
    }
    x.zeroize();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use salsa20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};

    fn key() -> [u8; KEY_LEN] {
        std::array::from_fn(|i| (i * 11 + 3) as u8)
    }

    fn nonce() -> [u8; NONCE_LEN] {
        std::array::from_fn(|i| (i * 5 + 200) as u8)
    }

    /// `len` bytes of the `salsa20` crate's XSalsa20 keystream.
    fn reference(len: usize) -> Vec<u8> {
        let mut cipher = salsa20::XSalsa20::new(&key().into(), &nonce().into());
        let mut out = vec![0; len];
        cipher.apply_keystream(&mut out);
        out
    }

    #[test]
    fn keystream_matches_the_salsa20_crate_at_every_length_around_a_batch() {
        for len in (0..=2 * WIDE_LEN + 70).chain([4096, 65536 + 33]) {
            let mut ours = vec![0; len];
            Keystream::new(&key(), &nonce()).apply(&mut ours);
            assert_eq!(ours, reference(len), "length {len}");
        }
    }

    #[test]
    fn split_calls_continue_the_same_stream() {
        // NaCl's layout: 32 bytes of Poly1305 key, then a 1-byte piece, then the rest.
        for split in [0, 1, 31, 32, 33, 63, 64, 65, 255, 256, 257, 1000] {
            let data: Vec<u8> = (0..3000).map(|i| (i * 13) as u8).collect();
            let mut expected = data.clone();
            salsa20::XSalsa20::new(&key().into(), &nonce().into()).apply_keystream(&mut expected);
            let mut stream = Keystream::new(&key(), &nonce());
            let mut head = data[..split].to_vec();
            stream.apply(&mut head);
            let mut out = head;
            stream.apply_into(&data[split..], &mut out);
            assert_eq!(out, expected, "split at {split}");
        }
    }

    #[test]
    fn block_counter_carries_into_its_high_word() {
        // Past 2^32 blocks the counter's high word (state word 9) counts: checked at the carry.
        let mut stream = Keystream::new(&key(), &nonce());
        stream.next_block = u64::from(u32::MAX) - 1;
        let mut ours = vec![0; WIDE_LEN];
        stream.apply(&mut ours);
        let mut cipher = salsa20::XSalsa20::new(&key().into(), &nonce().into());
        cipher.seek((u64::from(u32::MAX) - 1) * BLOCK_LEN as u64);
        let mut expected = vec![0; WIDE_LEN];
        cipher.apply_keystream(&mut expected);
        assert_eq!(ours, expected);
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn every_wide_path_the_cpu_has_matches_single_blocks() {
        assert!(
            std::arch::is_x86_feature_detected!("avx2"),
            "this machine cannot run the AVX2 keystream path it would test"
        );
        let mut paths = vec![Wide::Avx2];
        if matches!(Wide::detect(), Some(Wide::Avx512)) {
            paths.push(Wide::Avx512);
        }
        let stream = Keystream::new(&key(), &nonce());
        // Around the counter's word carry too.
        for first in [0, 5, u64::from(u32::MAX) - 3] {
            let mut expected = [0u8; WIDE_LEN];
            for (i, out) in expected.chunks_exact_mut(BLOCK_LEN).enumerate() {
                block(&stream.input, first + i as u64, out);
            }
            for &path in &paths {
                let data: [u8; WIDE_LEN] = std::array::from_fn(|i| (i * 3) as u8);
                let mut ours = data;
                path.xor(&stream.input, first, &mut ours);
                let theirs: Vec<u8> = data.iter().zip(&expected).map(|(a, b)| a ^ b).collect();
                assert_eq!(ours[..], theirs[..], "first block {first}");
            }
        }
    }

    #[test]
    fn hsalsa20_matches_the_salsa20_crate() {
        use salsa20::cipher::{consts::U10, generic_array::GenericArray};
        for seed in 0..20u8 {
            let key: [u8; KEY_LEN] = std::array::from_fn(|i| (i as u8).wrapping_mul(37) ^ seed);
            let input: [u8; 16] = std::array::from_fn(|i| (i as u8).wrapping_mul(11).wrapping_add(seed));
            let expected =
                salsa20::hsalsa::<U10>(GenericArray::from_slice(&key), GenericArray::from_slice(&input));
            assert_eq!(hsalsa20(&key, &input)[..], expected[..], "seed {seed}");
        }
    }
}
