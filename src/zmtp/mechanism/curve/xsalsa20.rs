//! The XSalsa20 keystream for `crypto` to seal and open boxes, eight Salsa20 blocks at a time
//! for long messages.
//!
//! Why not the `salsa20` crate's stream (0.10): it computes one 64-byte block per call through
//! `cipher`'s generic per-block wrapper, with no SIMD backend, and a 64 KiB CURVE message spent
//! most of its time there (BENCHMARKS.md, CURVE). Here the Salsa20 state is held as sixteen
//! words of `N` lanes each, one lane per block, so the same round code runs `N` consecutive
//! blocks: with `N` = 8, compiled for AVX2 (runtime detection; the one `unsafe` call below), the
//! compiler turns every lane operation into one 256-bit instruction. Short messages and tails
//! take single blocks (`N` = 1, plain scalar code), so a 64-byte message computes only the two
//! blocks it needs. The HSalsa20 step (key and first 16 nonce bytes to a subkey) is still the
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
            blocks::<1>(&self.input, self.next_block, &mut self.block[..]);
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

/// [`blocks`] of [`WIDE_LANES`] blocks compiled for AVX2. Why: LLVM vectorizes the lane
/// operations only when vector rotates are cheap for the target; for x86-64's SSE2 baseline it
/// keeps them scalar, with AVX2 each becomes one instruction for all eight blocks.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn wide_blocks(input: &[u32; 16], first_block: u64, out: &mut [u8; WIDE_LEN]) {
    blocks::<WIDE_LANES>(input, first_block, out);
}

/// Salsa20 blocks `first_block`.. `first_block + N - 1` of `input` into `out` (`N` * 64 bytes).
/// The state is sixteen words of `N` lanes, one lane per block, so every step of the rounds is
/// one operation across the lanes. Its stack copies are not wiped: volatile stores of 2 x 16 x
/// `N` words cost more than the rounds' own stores (callgrind), the keystream they hold is wiped
/// with the buffer it goes to, and the subkey words lived in registers and spill slots anyway
/// (as in the `salsa20` crate, which does not wipe its per-block state either).
#[inline(always)]
fn blocks<const N: usize>(input: &[u32; 16], first_block: u64, out: &mut [u8]) {
    let mut x: [[u32; N]; 16] = input.map(|word| [word; N]);
    // The 64-bit block counter, little-endian over words 8 and 9.
    let counter = |lane: usize| first_block.wrapping_add(lane as u64);
    x[8] = std::array::from_fn(|lane| counter(lane) as u32);
    x[9] = std::array::from_fn(|lane| (counter(lane) >> 32) as u32);
    let start = x;
    for _ in 0..10 {
        // Column round, then row round: Salsa20's double round.
        quarter_round(&mut x, 0, 4, 8, 12);
        quarter_round(&mut x, 5, 9, 13, 1);
        quarter_round(&mut x, 10, 14, 2, 6);
        quarter_round(&mut x, 15, 3, 7, 11);
        quarter_round(&mut x, 0, 1, 2, 3);
        quarter_round(&mut x, 5, 6, 7, 4);
        quarter_round(&mut x, 10, 11, 8, 9);
        quarter_round(&mut x, 15, 12, 13, 14);
    }
    for (word, (lanes, start)) in x.iter().zip(&start).enumerate() {
        for lane in 0..N {
            let at = lane * BLOCK_LEN + 4 * word;
            out[at..at + 4].copy_from_slice(&lanes[lane].wrapping_add(start[lane]).to_le_bytes());
        }
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

/// Salsa20's quarter round on words `a`, `b`, `c`, `d` of every block: each line is one
/// operation across the lanes, which the compiler turns into vector instructions. (Indexed loops:
/// each line reads one row of `x` while writing another, which iterators cannot borrow.)
#[inline(always)]
#[allow(clippy::needless_range_loop)]
fn quarter_round<const N: usize>(x: &mut [[u32; N]; 16], a: usize, b: usize, c: usize, d: usize) {
    for lane in 0..N {
        x[b][lane] ^= x[a][lane].wrapping_add(x[d][lane]).rotate_left(7);
    }
    for lane in 0..N {
        x[c][lane] ^= x[b][lane].wrapping_add(x[a][lane]).rotate_left(9);
    }
    for lane in 0..N {
        x[d][lane] ^= x[c][lane].wrapping_add(x[b][lane]).rotate_left(13);
    }
    for lane in 0..N {
        x[a][lane] ^= x[d][lane].wrapping_add(x[c][lane]).rotate_left(18);
    }
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
