//! Poly1305 (RFC 8439 §2.5), the one-time authenticator of NaCl's boxes, in 64-bit limbs.
//!
//! Why not the `poly1305` crate (0.8): its portable backend works in 26-bit limbs (25
//! multiplications per 16-byte block) and its AVX2 backend, chosen at compile time for every
//! message, sets up powers of the key that cost more than a short message saves (BENCHMARKS.md,
//! CURVE). Here the accumulator and key are three limbs of 44, 44 and 42 bits, so a block takes
//! nine 64x64->128-bit multiplications, and pairs of blocks share one reduction (with r^2, one
//! multiplication set up per message): faster at every length, safe Rust, constant time (no
//! branch or index depends on the key or the message's bytes).
//!
//! Owns only the tag computation; comparing tags (in constant time) belongs to `crypto`. Tests:
//! RFC 8439's vectors (including its edge cases for the final reduction) and the crate's output
//! at every length around the block size.

use zeroize::Zeroize;

#[cfg(target_arch = "x86_64")]
use super::poly1305_wide;

/// Length of a Poly1305 key (r then s) and of a tag.
pub(super) const KEY_LEN: usize = 32;
pub(super) const TAG_LEN: usize = 16;
const BLOCK_LEN: usize = 16;

/// Messages from this length on take `poly1305_wide` (four blocks per step) when the CPU has
/// AVX2: below it, setting up r^3, r^4 and the lanes costs more than it saves (`poly1305_speed`:
/// even at 384 bytes, 10% faster at 512, twice as fast at 64 KiB).
#[cfg(target_arch = "x86_64")]
const WIDE_MIN_LEN: usize = 512;

const MASK_44: u64 = (1 << 44) - 1;
const MASK_42: u64 = (1 << 42) - 1;

/// The tag of `message` under the one-time `key`.
pub(super) fn tag(key: &[u8; KEY_LEN], message: &[u8]) -> [u8; TAG_LEN] {
    #[cfg(target_arch = "x86_64")]
    let wide = message.len() >= WIDE_MIN_LEN && std::arch::is_x86_feature_detected!("avx2");
    #[cfg(not(target_arch = "x86_64"))]
    let wide = false;
    tag_with(key, message, wide)
}

/// The tag, with the whole-step prefix of `message` through `poly1305_wide` when `wide` (which
/// the caller has checked the CPU can run), the rest in scalar code.
fn tag_with(key: &[u8; KEY_LEN], message: &[u8], wide: bool) -> [u8; TAG_LEN] {
    let mut state = State::new(key);
    #[cfg(target_arch = "x86_64")]
    let message = if wide && message.len() >= poly1305_wide::STEP_LEN {
        let (wide, rest) =
            message.split_at(message.len() / poly1305_wide::STEP_LEN * poly1305_wide::STEP_LEN);
        let mut powers = state.powers();
        // SAFETY: `wide` is set only when the CPU supports AVX2 (`tag` and the tests check), the
        // one requirement for calling a `#[target_feature(enable = "avx2")]` function.
        state.h = unsafe { poly1305_wide::absorb(&powers, wide) };
        powers.zeroize();
        rest
    } else {
        message
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = wide;
    let mut pairs = message.chunks_exact(2 * BLOCK_LEN);
    for pair in &mut pairs {
        state.add_two_blocks(
            pair[..BLOCK_LEN].try_into().expect("16 bytes"),
            pair[BLOCK_LEN..].try_into().expect("16 bytes"),
        );
    }
    let mut blocks = pairs.remainder().chunks_exact(BLOCK_LEN);
    for block in &mut blocks {
        state.add_block(block.try_into().expect("16 bytes"));
    }
    let rest = blocks.remainder();
    if !rest.is_empty() {
        // A short last block is padded with one 1 byte, then zeros, and gets no high bit.
        let mut last = [0; BLOCK_LEN];
        last[..rest.len()].copy_from_slice(rest);
        last[rest.len()] = 1;
        state.h = state.key.multiply(add(state.h, limbs(&last, 0)));
        last.zeroize();
    }
    state.finish(key[16..].try_into().expect("16 bytes"))
}

/// A number mod p as three limbs, low to high: 44, 44 and 42 bits (the top limbs may carry a
/// bit or two more between reductions).
type Limbs = [u64; 3];

/// 2^128, the high bit every full block gets, as a bit of the top limb.
const FULL_BLOCK_BIT: u64 = 1 << 40;

fn le64(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes.try_into().expect("8 bytes"))
}

/// A 16-byte block as limbs, plus `high_bit` in the top limb.
#[inline(always)]
fn limbs(block: &[u8; BLOCK_LEN], high_bit: u64) -> Limbs {
    let (t0, t1) = (le64(&block[0..8]), le64(&block[8..16]));
    [t0 & MASK_44, ((t0 >> 44) | (t1 << 20)) & MASK_44, ((t1 >> 24) & MASK_42) | high_bit]
}

#[inline(always)]
fn add(a: Limbs, b: Limbs) -> Limbs {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

/// A multiplier (r or r^2) with `s1`, `s2` = its limbs 1 and 2 times 4 * 5, which fold a
/// product's limbs above 2^130 back in (2^130 = 5 mod p; the 4 aligns 2^132 to 2^130).
#[derive(Clone, Copy)]
struct Multiplier {
    r: Limbs,
    s1: u64,
    s2: u64,
}

impl Multiplier {
    fn new(r: Limbs) -> Self {
        Self { r, s1: r[1] * 20, s2: r[2] * 20 }
    }

    /// h * r before reduction, as three 128-bit column sums.
    #[inline(always)]
    fn products(&self, h: Limbs) -> [u128; 3] {
        let [r0, r1, r2] = self.r.map(u128::from);
        let (s1, s2) = (u128::from(self.s1), u128::from(self.s2));
        let [h0, h1, h2] = h.map(u128::from);
        [h0 * r0 + h1 * s2 + h2 * s1, h1 * r0 + h0 * r1 + h2 * s2, h2 * r0 + h1 * r1 + h0 * r2]
    }

    /// h * r, partially reduced.
    #[inline(always)]
    fn multiply(&self, h: Limbs) -> Limbs {
        reduce(self.products(h))
    }
}

/// Column sums back to limbs, partially reduced mod p.
#[inline(always)]
fn reduce([d0, mut d1, mut d2]: [u128; 3]) -> Limbs {
    d1 += d0 >> 44;
    d2 += d1 >> 44;
    let mut h0 = (d0 as u64 & MASK_44) + (d2 >> 42) as u64 * 5;
    let mut h1 = d1 as u64 & MASK_44;
    let h2 = d2 as u64 & MASK_42;
    h1 += h0 >> 44;
    h0 &= MASK_44;
    [h0, h1, h2]
}

/// The accumulator `h` and the clamped key `r`, with `r^2` for two blocks per step:
/// ((h + m1) r + m2) r = (h + m1) r^2 + m2 r, one reduction instead of two.
struct State {
    key: Multiplier,
    key_squared: Multiplier,
    h: Limbs,
}

impl State {
    fn new(key: &[u8; KEY_LEN]) -> Self {
        let (t0, t1) = (le64(&key[0..8]), le64(&key[8..16]));
        // The clamping of RFC 8439 (r &= 0x0ffffffc0ffffffc0ffffffc0fffffff), limb by limb.
        let r =
            [t0 & 0xffc_0fff_ffff, ((t0 >> 44) | (t1 << 20)) & 0xfff_ffc0_ffff, (t1 >> 24) & 0x00f_ffff_fc0f];
        let key = Multiplier::new(r);
        Self { key, key_squared: Multiplier::new(key.multiply(r)), h: [0; 3] }
    }

    /// h = (h + block) * r, for a full block.
    #[inline(always)]
    fn add_block(&mut self, block: &[u8; BLOCK_LEN]) {
        self.h = self.key.multiply(add(self.h, limbs(block, FULL_BLOCK_BIT)));
    }

    /// h = ((h + first) * r + second) * r, for two full blocks.
    #[inline(always)]
    fn add_two_blocks(&mut self, first: &[u8; BLOCK_LEN], second: &[u8; BLOCK_LEN]) {
        let a = self.key_squared.products(add(self.h, limbs(first, FULL_BLOCK_BIT)));
        let b = self.key.products(limbs(second, FULL_BLOCK_BIT));
        self.h = reduce([a[0] + b[0], a[1] + b[1], a[2] + b[2]]);
    }

    /// r, r^2, r^3 and r^4 (partially reduced) for `poly1305_wide`.
    #[cfg(target_arch = "x86_64")]
    fn powers(&self) -> [Limbs; 4] {
        let cube = self.key_squared.multiply(self.key.r);
        let fourth = self.key_squared.multiply(self.key_squared.r);
        [self.key.r, self.key_squared.r, cube, fourth]
    }

    /// (h mod p + s) mod 2^128, little-endian.
    fn finish(self, s: &[u8; 16]) -> [u8; TAG_LEN] {
        let [mut h0, mut h1, mut h2] = self.h;
        // Carry fully (twice round: the 5 * carry can carry again).
        for _ in 0..2 {
            h2 += h1 >> 44;
            h1 &= MASK_44;
            h0 += (h2 >> 42) * 5;
            h2 &= MASK_42;
            h1 += h0 >> 44;
            h0 &= MASK_44;
        }
        // g = h + 5 - 2^130 = h - p; keep it when it did not go negative (h >= p).
        let mut g0 = h0 + 5;
        let mut g1 = h1 + (g0 >> 44);
        g0 &= MASK_44;
        let g2 = (h2 + (g1 >> 44)).wrapping_sub(1 << 42);
        g1 &= MASK_44;
        let keep_g = (g2 >> 63).wrapping_sub(1); // all ones when g2 did not borrow
        h0 = (h0 & !keep_g) | (g0 & keep_g);
        h1 = (h1 & !keep_g) | (g1 & keep_g);
        h2 = (h2 & !keep_g) | (g2 & keep_g & MASK_42);
        // + s, modulo 2^128.
        let (t0, t1) = (le64(&s[0..8]), le64(&s[8..16]));
        h0 += t0 & MASK_44;
        h1 += (((t0 >> 44) | (t1 << 20)) & MASK_44) + (h0 >> 44);
        h0 &= MASK_44;
        h2 += ((t1 >> 24) & MASK_42) + (h1 >> 44);
        h1 &= MASK_44;
        let low = h0 | (h1 << 44);
        let high = (h1 >> 20) | (h2 << 24);
        let mut tag = [0; TAG_LEN];
        tag[..8].copy_from_slice(&low.to_le_bytes());
        tag[8..].copy_from_slice(&high.to_le_bytes());
        tag
    }
}

impl Drop for State {
    fn drop(&mut self) {
        for key in [&mut self.key, &mut self.key_squared] {
            key.r.zeroize();
            key.s1.zeroize();
            key.s2.zeroize();
        }
        self.h.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::poly1305::universal_hash::KeyInit;

    fn hex(text: &str) -> Vec<u8> {
        let text: String = text.split_whitespace().collect();
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    fn key(text: &str) -> [u8; KEY_LEN] {
        hex(text).try_into().unwrap()
    }

    fn crate_tag(key: &[u8; KEY_LEN], message: &[u8]) -> Vec<u8> {
        ::poly1305::Poly1305::new(key.into()).compute_unpadded(message).to_vec()
    }

    #[test]
    fn rfc8439_section_2_5_2() {
        let key = key("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
        assert_eq!(
            tag(&key, b"Cryptographic Forum Research Group").to_vec(),
            hex("a8061dc1305136c6c22b8baf0c0127a9")
        );
    }

    #[test]
    fn rfc8439_appendix_a3_edge_cases() {
        // Vectors 5, 6 and 9: the accumulator lands on or above p before the final reduction.
        let r2 = key("0200000000000000000000000000000000000000000000000000000000000000");
        assert_eq!(
            tag(&r2, &hex("ffffffffffffffffffffffffffffffff")).to_vec(),
            hex("03000000000000000000000000000000")
        );
        let r2_s_ones = key("02000000000000000000000000000000ffffffffffffffffffffffffffffffff");
        assert_eq!(
            tag(&r2_s_ones, &hex("02000000000000000000000000000000")).to_vec(),
            hex("03000000000000000000000000000000")
        );
        assert_eq!(
            tag(&r2, &hex("fdffffffffffffffffffffffffffffff")).to_vec(),
            hex("faffffffffffffffffffffffffffffff")
        );
    }

    /// The CPU can run `poly1305_wide` (else the wide tests below have nothing to check, and say
    /// so by failing rather than passing untested).
    fn has_avx2() -> bool {
        #[cfg(target_arch = "x86_64")]
        return std::arch::is_x86_feature_detected!("avx2");
        #[cfg(not(target_arch = "x86_64"))]
        false
    }

    /// Deterministic pseudo-random bytes (xorshift64*), so failures reproduce.
    fn pseudo_random(seed: u64, len: usize) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
            })
            .collect()
    }

    #[test]
    fn wide_path_matches_the_scalar_path_and_the_crate() {
        assert!(has_avx2(), "this machine cannot run the AVX2 Poly1305 path it would test");
        let long = [4095, 4096, 4097, 65536, 65536 + 63, 1 << 20];
        for (seed, len) in (0..=2000).chain(long).enumerate() {
            let key: [u8; KEY_LEN] = pseudo_random(seed as u64 * 7 + 1, KEY_LEN).try_into().unwrap();
            let message = pseudo_random(seed as u64 * 7 + 3, len);
            let wide = tag_with(&key, &message, true);
            assert_eq!(wide, tag_with(&key, &message, false), "len {len}");
            if len % 97 == 0 || len > 2000 {
                assert_eq!(wide.to_vec(), crate_tag(&key, &message), "len {len}");
            }
        }
    }

    #[test]
    fn wide_path_at_extreme_keys_and_messages() {
        assert!(has_avx2(), "this machine cannot run the AVX2 Poly1305 path it would test");
        // All-ones r and s, and messages of all-ones blocks: the largest limbs the lanes carry.
        for key in [[0xff; KEY_LEN], [0; KEY_LEN], std::array::from_fn(|i| if i < 16 { 0xff } else { 0 })] {
            for fill in [0xffu8, 0x00] {
                for len in [64, 128, 192, 256, 1000, 65536] {
                    let message = vec![fill; len];
                    assert_eq!(
                        tag_with(&key, &message, true).to_vec(),
                        crate_tag(&key, &message),
                        "len {len}"
                    );
                }
            }
        }
    }

    #[test]
    fn matches_the_poly1305_crate_at_every_length() {
        let keys = [
            std::array::from_fn(|i| (i * 29 + 7) as u8),
            [0xff; KEY_LEN], // every clamped bit of r set, s all ones
            key("0100000000000000000000000000000000000000000000000000000000000000"),
        ];
        for key in &keys {
            for fill in [0x00u8, 0xff, 0x5a] {
                for len in (0..=100).chain([255, 256, 257, 1000, 65537]) {
                    let message: Vec<u8> =
                        (0..len).map(|i| if fill == 0x5a { (i * 13) as u8 } else { fill }).collect();
                    assert_eq!(tag(key, &message).to_vec(), crate_tag(key, &message), "len {len}");
                }
            }
        }
    }
}

#[cfg(test)]
pub(super) mod bench {
    use super::*;

    /// Best-of-`reps` nanoseconds per byte of `run` over `len` bytes.
    pub fn ns_per_byte(len: usize, reps: usize, mut run: impl FnMut()) -> f64 {
        (0..reps)
            .map(|_| {
                let start = std::time::Instant::now();
                run();
                start.elapsed().as_nanos() as f64 / len as f64
            })
            .fold(f64::INFINITY, f64::min)
    }

    #[test]
    #[ignore = "timing, not a check: cargo test --release poly1305_speed -- --ignored --nocapture"]
    fn poly1305_speed() {
        let key = [7; KEY_LEN];
        for len in [64, 256, 384, 512, 1024, 65536] {
            let message = vec![3; len];
            let scalar = ns_per_byte(len, 2000, || {
                std::hint::black_box(tag_with(&key, std::hint::black_box(&message), false));
            });
            let wide = ns_per_byte(len, 2000, || {
                std::hint::black_box(tag_with(&key, std::hint::black_box(&message), true));
            });
            println!("poly1305 {len} B: scalar {scalar:.3} ns/B, wide {wide:.3} ns/B");
        }
    }
}
