//! The XSalsa20 keystream for `crypto` to seal and open boxes, eight Salsa20 blocks at a time
//! for long messages.
//!
//! Why not the `salsa20` crate's stream (0.10): it computes one 64-byte block per call through
//! `cipher`'s generic per-block wrapper, with no SIMD backend, and a 64 KiB CURVE message spent
//! most of its time there (BENCHMARKS.md, CURVE). Here, when the CPU has AVX2 (runtime
//! detection; the one `unsafe` call below), whole batches of eight blocks are computed together,
//! the state held as sixteen 256-bit registers with one lane per block. Short messages, tails
//! and CPUs without AVX2 take single blocks (plain scalar code), so a 64-byte message computes
//! only the two blocks it needs. The HSalsa20 step (key and first 16 nonce bytes to a subkey) is still the
//! crate's `salsa20::hsalsa`, once per keystream.
//!
//! Owns only the keystream: where it starts (NaCl's boxes use its first 32 bytes as the Poly1305
//! key) and what it is applied to belong to `crypto`. Key material (the subkey state and the
//! unused keystream) is wiped on drop. Tests check it against the `salsa20` crate at every length
//! around the block and batch sizes.

use salsa20::cipher::consts::U10;
use salsa20::cipher::generic_array::GenericArray;
use zeroize::{Zeroize, Zeroizing};

use super::crypto::{KEY_LEN, NONCE_LEN};

const BLOCK_LEN: usize = 64;
/// Blocks computed together on the wide path: eight 32-bit lanes fill a 256-bit AVX2 register.
const WIDE_LANES: usize = 8;
const WIDE_LEN: usize = BLOCK_LEN * WIDE_LANES;

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
        let word = |bytes: &[u8]| u32::from_le_bytes(bytes.try_into().expect("4 bytes"));
        let mut input = [0; 16];
        input[0] = SIGMA[0];
        for i in 0..4 {
            input[1 + i] = word(&subkey[4 * i..4 * i + 4]);
            input[11 + i] = word(&subkey[16 + 4 * i..20 + 4 * i]);
        }
        input[5] = SIGMA[1];
        input[6] = word(&nonce[16..20]);
        input[7] = word(&nonce[20..24]);
        input[10] = SIGMA[2];
        input[15] = SIGMA[3];
        Self { input, next_block: 0, block: Zeroizing::new([0; BLOCK_LEN]), used: BLOCK_LEN }
    }

    /// XORs the next `buffer.len()` keystream bytes into `buffer`.
    pub fn apply(&mut self, buffer: &mut [u8]) {
        self.for_each_piece(buffer.len(), |at, keystream| {
            for (byte, key) in buffer[at..].iter_mut().zip(keystream) {
                *byte ^= key;
            }
        });
    }

    /// Appends `input` XORed with the next `input.len()` keystream bytes to `out`: a copy and the
    /// cipher in one pass.
    pub fn apply_into(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len());
        self.for_each_piece(input.len(), |at, keystream| {
            out.extend(input[at..at + keystream.len()].iter().zip(keystream).map(|(byte, key)| byte ^ key));
        });
    }

    /// Hands the next `len` keystream bytes to `use_piece(offset, piece)`, piece after piece:
    /// what is left of the last block, then batches of [`WIDE_LANES`] blocks while a whole batch
    /// is wanted and the CPU has AVX2, then single blocks. A short message costs no more blocks
    /// than it needs.
    fn for_each_piece(&mut self, len: usize, mut use_piece: impl FnMut(usize, &[u8])) {
        let mut at = (BLOCK_LEN - self.used).min(len);
        if at > 0 {
            use_piece(0, &self.block[self.used..self.used + at]);
            self.used += at;
        }
        #[cfg(target_arch = "x86_64")]
        if len - at >= WIDE_LEN && std::arch::is_x86_feature_detected!("avx2") {
            let mut batch = Zeroizing::new([0; WIDE_LEN]);
            while len - at >= WIDE_LEN {
                // SAFETY: the CPU supports AVX2 (checked just above), the one requirement for
                // calling a `#[target_feature(enable = "avx2")]` function.
                unsafe { wide_blocks(&self.input, self.next_block, &mut batch) };
                self.next_block = self.next_block.wrapping_add(WIDE_LANES as u64);
                use_piece(at, &batch[..]);
                at += WIDE_LEN;
            }
        }
        while at < len {
            block(&self.input, self.next_block, &mut self.block[..]);
            self.next_block = self.next_block.wrapping_add(1);
            self.used = (len - at).min(BLOCK_LEN);
            use_piece(at, &self.block[..self.used]);
            at += self.used;
        }
    }
}

impl Drop for Keystream {
    fn drop(&mut self) {
        self.input.zeroize();
    }
}

/// Salsa20 blocks `first_block`.. `first_block` + 7 of `input` into `out` with AVX2: the state
/// as sixteen 256-bit registers, one per word, each lane a block, so every step of the rounds
/// is one instruction for all eight blocks. Intrinsics (safe inside this function) rather than
/// autovectorized arrays of lanes: LLVM merged and re-split such rows (blends, spills: 1.8x
/// the instructions), and for the SSE2 baseline did not vectorize the rotates at all.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn wide_blocks(input: &[u32; 16], first_block: u64, out: &mut [u8; WIDE_LEN]) {
    use std::arch::x86_64::*;
    let lanes: [u64; WIDE_LANES] = std::array::from_fn(|lane| first_block.wrapping_add(lane as u64));
    let counter_word = |lane: usize, shift: u32| (lanes[lane] >> shift) as u32 as i32;
    let mut x: [__m256i; 16] = input.map(|w| _mm256_set1_epi32(w as i32));
    x[8] = _mm256_setr_epi32(
        counter_word(0, 0),
        counter_word(1, 0),
        counter_word(2, 0),
        counter_word(3, 0),
        counter_word(4, 0),
        counter_word(5, 0),
        counter_word(6, 0),
        counter_word(7, 0),
    );
    x[9] = _mm256_setr_epi32(
        counter_word(0, 32),
        counter_word(1, 32),
        counter_word(2, 32),
        counter_word(3, 32),
        counter_word(4, 32),
        counter_word(5, 32),
        counter_word(6, 32),
        counter_word(7, 32),
    );
    let start = x;
    macro_rules! step {
        ($target:expr, $p:expr, $q:expr, $bits:literal) => {{
            let sum = _mm256_add_epi32(x[$p], x[$q]);
            let rotated =
                _mm256_or_si256(_mm256_slli_epi32::<$bits>(sum), _mm256_srli_epi32::<{ 32 - $bits }>(sum));
            x[$target] = _mm256_xor_si256(x[$target], rotated);
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
    for (word, (row, start)) in x.iter().zip(&start).enumerate() {
        let row = _mm256_add_epi32(*row, *start);
        let values = [
            _mm256_extract_epi32::<0>(row),
            _mm256_extract_epi32::<1>(row),
            _mm256_extract_epi32::<2>(row),
            _mm256_extract_epi32::<3>(row),
            _mm256_extract_epi32::<4>(row),
            _mm256_extract_epi32::<5>(row),
            _mm256_extract_epi32::<6>(row),
            _mm256_extract_epi32::<7>(row),
        ];
        for (lane, value) in values.iter().enumerate() {
            let at = lane * BLOCK_LEN + 4 * word;
            out[at..at + 4].copy_from_slice(&value.to_le_bytes());
        }
    }
}

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

/// Salsa20 block `counter` of `input` into `out`, plain scalar code. The state's stack copies
/// are not wiped (here or in [`wide_blocks`]): volatile stores of every word cost more than the
/// rounds' own stores (callgrind), the keystream they hold is wiped with the buffer it goes to,
/// and the subkey words lived in registers and spill slots anyway (as in the `salsa20` crate,
/// which does not wipe its per-block state either).
fn block(input: &[u32; 16], counter: u64, out: &mut [u8]) {
    let mut x = *input;
    // The 64-bit block counter, little-endian over words 8 and 9.
    x[8] = counter as u32;
    x[9] = (counter >> 32) as u32;
    let start = x;
    for _ in 0..10 {
        double_round(|a, b, c, d| {
            x[b] ^= x[a].wrapping_add(x[d]).rotate_left(7);
            x[c] ^= x[b].wrapping_add(x[a]).rotate_left(9);
            x[d] ^= x[c].wrapping_add(x[b]).rotate_left(13);
            x[a] ^= x[d].wrapping_add(x[c]).rotate_left(18);
        });
    }
    for ((word, start), bytes) in x.iter().zip(&start).zip(out.chunks_exact_mut(4)) {
        bytes.copy_from_slice(&word.wrapping_add(*start).to_le_bytes());
    }
}

/// HSalsa20 (the `salsa20` crate's) of `key` and `input`, in a buffer wiped on drop: XSalsa20's
/// subkey, and `crypto_box_beforenm`'s key with an all-zero input.
pub(super) fn hsalsa20(key: &[u8; KEY_LEN], input: &[u8; 16]) -> Zeroizing<[u8; KEY_LEN]> {
    let mut out = salsa20::hsalsa::<U10>(GenericArray::from_slice(key), GenericArray::from_slice(input));
    let copy = Zeroizing::new(out.into());
    out.as_mut_slice().zeroize();
    copy
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
}
