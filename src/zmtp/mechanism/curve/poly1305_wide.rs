//! Poly1305's accumulation over long runs of full blocks, four blocks per step in AVX2
//! registers, for `poly1305` to call on long messages when the CPU has AVX2.
//!
//! Why: the scalar 64-bit code does about one 16-byte block per reduction pair and was the
//! largest cost of a 64 KiB CURVE message (BENCHMARKS.md, CURVE). Here the accumulator is split
//! into four lanes, lane j taking blocks j, j + 4, j + 8, ...: each step adds four blocks and
//! multiplies every lane by r^4, and the last step multiplies the lanes by r^4, r^3, r^2 and r
//! instead, so their sum is the Horner evaluation of the scalar code. Numbers are five limbs of
//! 26 bits so that each of the 25 partial products per step is one 32x32->64-bit lane
//! multiplication (`vpmuludq`). The powers of r come from `poly1305` (44-bit limbs) and the result
//! goes back as such: this file owns only the four-lane loop and the conversions. At 64 KiB it
//! takes 0.12 ns/byte, the scalar code 0.27 and libsodium's SSE2 code 0.21 (`poly1305_speed`,
//! same Xeon).
//!
//! Constant time like the scalar code: no branch or index depends on the key or the message.
//! Tests (in `poly1305`) compare with the scalar code and the `poly1305` crate at many lengths.

use std::arch::x86_64::*;

/// The wide path's unit: four 16-byte blocks.
pub(super) const STEP_LEN: usize = 64;

const MASK_26: u64 = (1 << 26) - 1;
const MASK_44: u64 = (1 << 44) - 1;
const MASK_42: u64 = (1 << 42) - 1;

/// A partially reduced 44/44/42-bit number as five 26-bit limbs (the top one may be a little
/// wider), carried through so that limbs a bit over their width are taken whole.
fn limbs_26([h0, h1, h2]: [u64; 3]) -> [u64; 5] {
    let l0 = h0 & MASK_26;
    let mut rest = (h0 >> 26) + (h1 << 18);
    let l1 = rest & MASK_26;
    rest >>= 26;
    let l2 = rest & MASK_26;
    rest = (rest >> 26) + (h2 << 10);
    [l0, l1, l2, rest & MASK_26, rest >> 26]
}

/// Five limbs of at most 28 bits as a partially reduced 44/44/42-bit number, each limb's bits
/// added in once and carried upward.
fn limbs_44([l0, l1, l2, l3, l4]: [u64; 5]) -> [u64; 3] {
    let mut h0 = l0 + (l1 << 26);
    let mut h1 = (h0 >> 44) + (l2 << 8) + (l3 << 34);
    h0 &= MASK_44;
    let mut h2 = (h1 >> 44) + (l4 << 16);
    h1 &= MASK_44;
    h0 += (h2 >> 42) * 5;
    h2 &= MASK_42;
    h1 += h0 >> 44;
    h0 &= MASK_44;
    [h0, h1, h2]
}

/// A multiplier with a (possibly different) power of r in each lane: its limbs, and limbs 1 to 4
/// times 5 (2^130 = 5 mod p folds the products above 2^130 back in).
struct Multiplier {
    r: [__m256i; 5],
    s: [__m256i; 5],
}

impl Multiplier {
    #[target_feature(enable = "avx2")]
    fn new(lanes: [[u64; 5]; 4]) -> Self {
        let vector = |times: u64, i: usize| {
            let lane = |j: usize| (lanes[j][i] * times) as i64;
            _mm256_setr_epi64x(lane(0), lane(1), lane(2), lane(3))
        };
        Self { r: std::array::from_fn(|i| vector(1, i)), s: std::array::from_fn(|i| vector(5, i)) }
    }

    /// h * r in every lane, carried so that each limb fits 26 bits plus a few.
    #[target_feature(enable = "avx2")]
    fn multiply(&self, h: [__m256i; 5]) -> [__m256i; 5] {
        let (r, s) = (&self.r, &self.s);
        let mul = |a: __m256i, b: __m256i| _mm256_mul_epu32(a, b);
        // `vpmuludq` reads only the low 32 bits of each lane, but LLVM loses track of that for
        // the loop-carried limbs and multiplies them whole (three instructions a product, 45
        // multiplications a step instead of 25). Clearing the high halves explicitly, one blend
        // a limb, gets one `vpmuludq` a product: 64 KiB in 0.13 ns/byte instead of 0.25.
        let low32 = |a: __m256i| _mm256_blend_epi32::<0b1010_1010>(a, _mm256_setzero_si256());
        let h = h.map(low32);
        let sum5 = |a, b, c, d, e| {
            _mm256_add_epi64(_mm256_add_epi64(_mm256_add_epi64(a, b), _mm256_add_epi64(c, d)), e)
        };
        let mut d = [
            sum5(mul(h[0], r[0]), mul(h[1], s[4]), mul(h[2], s[3]), mul(h[3], s[2]), mul(h[4], s[1])),
            sum5(mul(h[0], r[1]), mul(h[1], r[0]), mul(h[2], s[4]), mul(h[3], s[3]), mul(h[4], s[2])),
            sum5(mul(h[0], r[2]), mul(h[1], r[1]), mul(h[2], r[0]), mul(h[3], s[4]), mul(h[4], s[3])),
            sum5(mul(h[0], r[3]), mul(h[1], r[2]), mul(h[2], r[1]), mul(h[3], r[0]), mul(h[4], s[4])),
            sum5(mul(h[0], r[4]), mul(h[1], r[3]), mul(h[2], r[2]), mul(h[3], r[1]), mul(h[4], r[0])),
        ];
        let mask = _mm256_set1_epi64x(MASK_26 as i64);
        for i in 0..4 {
            d[i + 1] = _mm256_add_epi64(d[i + 1], _mm256_srli_epi64::<26>(d[i]));
            d[i] = _mm256_and_si256(d[i], mask);
        }
        let carry = _mm256_srli_epi64::<26>(d[4]);
        d[4] = _mm256_and_si256(d[4], mask);
        // carry * 5 as carry + 4 * carry: the carry can pass 32 bits, `vpmuludq`'s operand width.
        d[0] = _mm256_add_epi64(d[0], _mm256_add_epi64(carry, _mm256_slli_epi64::<2>(carry)));
        d[1] = _mm256_add_epi64(d[1], _mm256_srli_epi64::<26>(d[0]));
        d[0] = _mm256_and_si256(d[0], mask);
        d
    }
}

/// `h` plus four blocks (64 bytes), each with its 2^128 bit, blocks 0, 2, 1 and 3 in lanes 0 to
/// 3 (the order in which two loads and two in-lane unpacks leave them).
#[target_feature(enable = "avx2")]
fn add_blocks(h: [__m256i; 5], blocks: &[u8]) -> [__m256i; 5] {
    let (first, second) = blocks.split_at(32);
    assert!(second.len() == 32, "four blocks");
    // SAFETY: `first` and `second` are 32 readable bytes each, and unaligned loads have no
    // alignment requirement.
    let (a, b) =
        unsafe { (_mm256_loadu_si256(first.as_ptr().cast()), _mm256_loadu_si256(second.as_ptr().cast())) };
    let low = _mm256_unpacklo_epi64(a, b);
    let high = _mm256_unpackhi_epi64(a, b);
    let mask = _mm256_set1_epi64x(MASK_26 as i64);
    let m = [
        _mm256_and_si256(low, mask),
        _mm256_and_si256(_mm256_srli_epi64::<26>(low), mask),
        _mm256_and_si256(_mm256_or_si256(_mm256_srli_epi64::<52>(low), _mm256_slli_epi64::<12>(high)), mask),
        _mm256_and_si256(_mm256_srli_epi64::<14>(high), mask),
        _mm256_or_si256(_mm256_srli_epi64::<40>(high), _mm256_set1_epi64x(1 << 24)),
    ];
    std::array::from_fn(|i| _mm256_add_epi64(h[i], m[i]))
}

/// The accumulator after the blocks of `message` (a non-empty multiple of `STEP_LEN` bytes),
/// starting from 0, given `powers` = r, r^2, r^3, r^4 (44-bit limbs, partially reduced), as a
/// partially reduced 44-bit-limb number.
#[target_feature(enable = "avx2")]
pub(super) fn absorb(powers: &[[u64; 3]; 4], message: &[u8]) -> [u64; 3] {
    debug_assert!(!message.is_empty() && message.len().is_multiple_of(STEP_LEN));
    let [r1, r2, r3, r4] = powers.map(limbs_26);
    let by_r4 = Multiplier::new([r4; 4]);
    let last = Multiplier::new([r4, r2, r3, r1]); // add_blocks' lane order
    let mut h = [_mm256_setzero_si256(); 5];
    let (head, tail) = message.split_at(message.len() - STEP_LEN);
    for step in head.chunks_exact(STEP_LEN) {
        h = by_r4.multiply(add_blocks(h, step));
    }
    h = last.multiply(add_blocks(h, tail));
    let lane_sum = |limb: __m256i| {
        let sum = _mm_add_epi64(_mm256_castsi256_si128(limb), _mm256_extracti128_si256::<1>(limb));
        (_mm_cvtsi128_si64(sum) as u64).wrapping_add(_mm_extract_epi64::<1>(sum) as u64)
    };
    limbs_44(h.map(lane_sum))
}
