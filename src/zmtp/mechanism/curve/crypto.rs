//! NaCl's `crypto_box` and `crypto_secretbox`, laid out on the wire as libsodium (and so libzmq)
//! lays them out: a box is the 16-byte Poly1305 MAC followed by the XSalsa20 ciphertext, 16 bytes
//! longer than its plaintext (libsodium's `*_easy` layout; the classic NaCl calls produce the same
//! bytes after their 16 leading zeros, which libzmq strips).
//!
//! Owns key agreement (X25519 + HSalsa20, `crypto_box_beforenm`), sealing/opening boxes and fresh
//! randomness. It knows nothing of CurveZMQ's commands or nonce prefixes (`client`, `server`,
//! `message` own those). Every key and every plaintext holding a secret is wiped when dropped.

use subtle::ConstantTimeEq;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use super::poly1305;
use super::xsalsa20::{hsalsa20, Keystream};

/// Length of a Curve25519 key, public or secret.
pub(super) const KEY_LEN: usize = 32;
/// Length of a full box nonce.
pub(super) const NONCE_LEN: usize = 24;
/// Bytes a box adds to its plaintext (the MAC).
pub(super) const MAC_LEN: usize = poly1305::TAG_LEN;

/// A 24-byte nonce: the protocol's prefix followed by a counter or random bytes.
pub(super) type Nonce = [u8; NONCE_LEN];

/// The operating system's random source failed. Only possible on a broken system; the handshake
/// then cannot go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct NoRandomness;

/// `N` bytes from the operating system's random source.
pub(super) fn random_bytes<const N: usize>() -> Result<Zeroizing<[u8; N]>, NoRandomness> {
    let mut bytes = Zeroizing::new([0u8; N]);
    getrandom::getrandom(&mut bytes[..]).map_err(|_| NoRandomness)?;
    Ok(bytes)
}

/// A Curve25519 key pair; the secret half wipes itself on drop (x25519-dalek's `zeroize`).
pub(super) struct KeyPair {
    pub secret: StaticSecret,
    pub public: [u8; KEY_LEN],
}

impl KeyPair {
    /// A fresh pair, as `crypto_box_keypair` makes one: 32 random bytes as the secret.
    pub fn generate() -> Result<Self, NoRandomness> {
        Ok(Self::from_secret(&*random_bytes::<KEY_LEN>()?))
    }

    pub fn from_secret(secret: &[u8; KEY_LEN]) -> Self {
        let secret = static_secret(secret);
        let public = PublicKey::from(&secret).to_bytes();
        Self { secret, public }
    }
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair").field("public", &self.public).finish_non_exhaustive()
    }
}

/// An X25519 secret from raw bytes, leaving no unwiped copy of them behind on our side.
pub(super) fn static_secret(bytes: &[u8; KEY_LEN]) -> StaticSecret {
    let copy = Zeroizing::new(*bytes);
    StaticSecret::from(*copy)
}

/// A box opened with the wrong key, or whose bytes were altered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct OpenFailed;

/// A precomputed box key: `crypto_box_beforenm` (HSalsa20 of the X25519 shared secret) for a
/// public-key box, or a `crypto_secretbox` key. Wiped on drop.
///
/// Boxes are XSalsa20-Poly1305 as `crypto_secretbox` makes them: the Poly1305 key is the first
/// 32 bytes of the nonce's XSalsa20 keystream, the ciphertext is the plaintext XORed with the
/// keystream after them, and the MAC covers the ciphertext. The keystream is [`Keystream`]'s
/// (multi-block), the MAC `poly1305`'s (64-bit limbs); the tests check every operation against the RustCrypto AEAD
/// (`crypto_secretbox`) and libsodium's known answers.
pub(super) struct BoxKey {
    key: Zeroizing<[u8; KEY_LEN]>,
}

impl BoxKey {
    /// The key for boxes between `our_secret` and `their_public`. `None` when the X25519 result
    /// is all zeros (their key is of small order), which libsodium refuses in the same way
    /// (`crypto_scalarmult` fails), so no one can force a key everybody knows.
    pub fn agree(our_secret: &StaticSecret, their_public: &[u8; KEY_LEN]) -> Option<Self> {
        let shared = our_secret.diffie_hellman(&PublicKey::from(*their_public));
        if !shared.was_contributory() {
            return None;
        }
        Some(Self { key: hsalsa20(shared.as_bytes(), &[0; 16]) })
    }

    /// A `crypto_secretbox` key (CurveZMQ's cookie key).
    pub fn secret(key: &[u8; KEY_LEN]) -> Self {
        Self { key: Zeroizing::new(*key) }
    }

    /// The key for boxes whose nonces all start with `prefix` (CurveZMQ's MESSAGE nonces).
    pub fn for_nonce_prefix(&self, prefix: &[u8; 16]) -> PrefixKey {
        PrefixKey { subkey: hsalsa20(&self.key, prefix) }
    }

    /// Appends the box of `plaintext` (MAC then ciphertext) to `out`.
    pub fn seal_into(&self, nonce: &Nonce, plaintext: &[u8], out: &mut Vec<u8>) {
        seal(Keystream::new(&self.key, nonce), &[plaintext], out);
    }

    /// Opens a box (MAC then ciphertext) into a fresh plaintext that is wiped on drop.
    pub fn open(&self, nonce: &Nonce, boxed: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenFailed> {
        let (mac, ciphertext) = boxed.split_at_checked(MAC_LEN).ok_or(OpenFailed)?;
        let mut keystream =
            check(Keystream::new(&self.key, nonce), ciphertext, mac.try_into().expect("MAC_LEN bytes"))?;
        // Sized up front: growing it would leave unwiped copies of the plaintext behind.
        let mut plaintext = Zeroizing::new(Vec::with_capacity(ciphertext.len()));
        keystream.apply_into(ciphertext, &mut plaintext);
        Ok(plaintext)
    }
}

/// A box key for nonces that share their first 16 bytes, the last 8 (a counter) told per box:
/// XSalsa20's first step (HSalsa20 of the key and those 16 bytes) is done once, here, instead
/// of once per box, which is a sixth of a 64-byte CURVE message's cost. Wiped on drop.
pub(super) struct PrefixKey {
    subkey: Zeroizing<[u8; KEY_LEN]>,
}

impl PrefixKey {
    /// Appends the box of the concatenation of `pieces` (nonce: the prefix, then `tail`) to
    /// `out`.
    pub fn seal_pieces_into(&self, tail: &[u8; 8], pieces: &[&[u8]], out: &mut Vec<u8>) {
        seal(Keystream::with_subkey(&self.subkey, tail), pieces, out);
    }

    /// Opens `ciphertext` (authenticated by `mac`; nonce: the prefix, then `tail`) but returns
    /// its first plaintext byte apart and the rest in a buffer of exactly that size: CurveZMQ's
    /// MESSAGE payload is a flags byte and the frame body, and the body buffer becomes the
    /// message without a move or a second allocation. The body is decrypted as it is copied out
    /// of `ciphertext`.
    pub fn open_after_first(
        &self,
        tail: &[u8; 8],
        ciphertext: &[u8],
        mac: &[u8; MAC_LEN],
    ) -> Result<(u8, Vec<u8>), OpenFailed> {
        let (&first, rest) = ciphertext.split_first().ok_or(OpenFailed)?;
        let mut keystream = check(Keystream::with_subkey(&self.subkey, tail), ciphertext, mac)?;
        let mut first = [first];
        keystream.apply(&mut first);
        let mut body = Vec::with_capacity(rest.len());
        keystream.apply_into(rest, &mut body);
        Ok((first[0], body))
    }
}

impl std::fmt::Debug for PrefixKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrefixKey(..)")
    }
}

/// The Poly1305 key (the keystream's first 32 bytes), the keystream left at the first
/// plaintext byte.
fn start(mut keystream: Keystream) -> (Keystream, Zeroizing<[u8; poly1305::KEY_LEN]>) {
    let mut mac_key = Zeroizing::new([0u8; poly1305::KEY_LEN]);
    keystream.apply(&mut mac_key[..]);
    (keystream, mac_key)
}

/// Appends the box of the concatenation of `pieces` to `out` (MAC then ciphertext), copying
/// each piece once (the copy is the encryption).
fn seal(keystream: Keystream, pieces: &[&[u8]], out: &mut Vec<u8>) {
    let (mut keystream, mac_key) = start(keystream);
    let mac_at = out.len();
    out.reserve(MAC_LEN + pieces.iter().map(|piece| piece.len()).sum::<usize>());
    out.extend_from_slice(&[0; MAC_LEN]);
    for piece in pieces {
        keystream.apply_into(piece, out);
    }
    let tag = poly1305::tag(&mac_key, &out[mac_at + MAC_LEN..]);
    out[mac_at..mac_at + MAC_LEN].copy_from_slice(&tag);
}

/// The keystream at the first plaintext byte of `ciphertext`, once `mac` is found to be its MAC
/// (compared in constant time).
fn check(keystream: Keystream, ciphertext: &[u8], mac: &[u8; MAC_LEN]) -> Result<Keystream, OpenFailed> {
    let (keystream, mac_key) = start(keystream);
    if bool::from(poly1305::tag(&mac_key, ciphertext).ct_eq(mac)) {
        Ok(keystream)
    } else {
        Err(OpenFailed)
    }
}

impl std::fmt::Debug for BoxKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BoxKey(..)")
    }
}

/// A nonce made of a protocol prefix and a tail (counter or random bytes).
pub(super) fn nonce(prefix: &[u8], tail: &[u8]) -> Nonce {
    debug_assert_eq!(prefix.len() + tail.len(), NONCE_LEN);
    let mut nonce = [0; NONCE_LEN];
    nonce[..prefix.len()].copy_from_slice(prefix);
    nonce[prefix.len()..].copy_from_slice(tail);
    nonce
}

#[cfg(test)]
pub(super) mod tests {
    //! Known answers computed with libsodium 1.0.18 (Debian's libsodium-dev), the library libzmq
    //! links, by a throwaway C program: secret keys a = 01 02 .. 20 and b = 21 22 .. 40;
    //! `crypto_scalarmult_base` for the public keys; `crypto_box_easy`, `crypto_box_beforenm` +
    //! `crypto_box_easy_afternm` and `crypto_secretbox_easy` for the boxes, with CurveZMQ's nonce
    //! prefixes; `crypto_box_beforenm` with an all-zero public key returned -1.
    use super::*;

    pub fn hex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    pub fn secret_a() -> [u8; KEY_LEN] {
        std::array::from_fn(|i| i as u8 + 1)
    }

    pub fn secret_b() -> [u8; KEY_LEN] {
        std::array::from_fn(|i| i as u8 + 33)
    }

    pub const PUBLIC_A: &str = "07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c";
    pub const PUBLIC_B: &str = "5869aff450549732cbaaed5e5df9b30a6da31cb0e5742bad5ad4a1a768f1a67b";
    /// Box [64 zeros] from a to b, nonce "CurveZMQHELLO---" + 1.
    pub const HELLO_BOX: &str = "12826ef9316cbf19f1a011a58edbb7c54e6456cf81cd28fbf49365cd4055ca16\
                                 71d321df4325689aab38109005535e57943f90769e3c4733514a0644f0bee582\
                                 7091af0142c6cbc296cf9c187eebfd8e";
    /// Box [01 "hello"] from a to b (precomputed key), nonce "CurveZMQMESSAGEC" + 3.
    pub const MESSAGE_BOX: &str = "fa0a681cc7dcd8d8d0b244a4adaa4735232731a3f5fd";
    const COOKIE_BOX: &str = "e7bb7bae99a14b06e977a9cbb6b02c67fe66087a53843550957bb9faa754e829\
                              4a7bd4c8a9396cc18dc74482670e209f9fe4003fa32a41b12b9cc730ff7b4bf4\
                              be509f305f8b0e4058ae385e498adf1c";

    fn counter_nonce(prefix: &[u8], counter: u64) -> Nonce {
        nonce(prefix, &counter.to_be_bytes())
    }

    #[test]
    fn public_keys_match_libsodium() {
        assert_eq!(KeyPair::from_secret(&secret_a()).public.to_vec(), hex(PUBLIC_A));
        assert_eq!(KeyPair::from_secret(&secret_b()).public.to_vec(), hex(PUBLIC_B));
    }

    #[test]
    fn box_matches_libsodium_crypto_box_easy() {
        let a = KeyPair::from_secret(&secret_a());
        let b = KeyPair::from_secret(&secret_b());
        let key = BoxKey::agree(&a.secret, &b.public).unwrap();
        let mut boxed = Vec::new();
        key.seal_into(&counter_nonce(b"CurveZMQHELLO---", 1), &[0; 64], &mut boxed);
        assert_eq!(boxed, hex(HELLO_BOX));
        // The receiver's side of the same agreement opens it.
        let key = BoxKey::agree(&b.secret, &a.public).unwrap();
        let opened = key.open(&counter_nonce(b"CurveZMQHELLO---", 1), &boxed).unwrap();
        assert_eq!(&opened[..], &[0; 64][..]);
    }

    #[test]
    fn precomputed_box_matches_libsodium_afternm() {
        let a = KeyPair::from_secret(&secret_a());
        let b = KeyPair::from_secret(&secret_b());
        let key = BoxKey::agree(&a.secret, &b.public).unwrap();
        let mut boxed = Vec::new();
        key.seal_into(&counter_nonce(b"CurveZMQMESSAGEC", 3), b"\x01hello", &mut boxed);
        assert_eq!(boxed, hex(MESSAGE_BOX));
    }

    #[test]
    fn secretbox_matches_libsodium() {
        let key: [u8; KEY_LEN] = std::array::from_fn(|i| 0xa0 + i as u8);
        let tail: [u8; 16] = std::array::from_fn(|i| 0x10 + i as u8);
        let plaintext: Vec<u8> = (0..64).collect();
        let mut boxed = Vec::new();
        BoxKey::secret(&key).seal_into(&nonce(b"COOKIE--", &tail), &plaintext, &mut boxed);
        assert_eq!(boxed, hex(COOKIE_BOX));
        assert_eq!(
            &BoxKey::secret(&key).open(&nonce(b"COOKIE--", &tail), &boxed).unwrap()[..],
            &plaintext[..]
        );
    }

    #[test]
    fn small_order_public_key_is_refused() {
        let a = KeyPair::from_secret(&secret_a());
        assert!(BoxKey::agree(&a.secret, &[0; KEY_LEN]).is_none());
        let mut one = [0; KEY_LEN];
        one[0] = 1;
        assert!(BoxKey::agree(&a.secret, &one).is_none());
    }

    #[test]
    fn altered_box_does_not_open() {
        let key = BoxKey::secret(&[7; KEY_LEN]);
        let nonce = counter_nonce(b"CurveZMQMESSAGES", 9);
        let mut boxed = Vec::new();
        key.seal_into(&nonce, b"secret", &mut boxed);
        for i in 0..boxed.len() {
            let mut altered = boxed.clone();
            altered[i] ^= 0x40;
            assert_eq!(key.open(&nonce, &altered), Err(OpenFailed), "byte {i}");
        }
        assert_eq!(key.open(&counter_nonce(b"CurveZMQMESSAGES", 10), &boxed), Err(OpenFailed));
        assert_eq!(key.open(&nonce, &boxed[..MAC_LEN - 1]), Err(OpenFailed));
    }

    /// The RustCrypto AEAD's box of `plaintext` (MAC then ciphertext).
    fn reference_box(key: &[u8; KEY_LEN], nonce: &Nonce, plaintext: &[u8]) -> Vec<u8> {
        use crypto_secretbox::{AeadInPlace, KeyInit, XSalsa20Poly1305};
        let mut ciphertext = plaintext.to_vec();
        let tag = XSalsa20Poly1305::new(key.into())
            .encrypt_in_place_detached(nonce.into(), b"", &mut ciphertext)
            .unwrap();
        [&tag[..], &ciphertext].concat()
    }

    /// Lengths around Poly1305's block (16), Salsa20's (64) and the keystream's batch (512), the
    /// 32 keystream bytes the MAC key takes shifting every boundary.
    fn lengths() -> impl Iterator<Item = usize> {
        (0..=300).chain([479, 480, 481, 511, 512, 513, 543, 544, 545, 1000, 4096, 65536])
    }

    #[test]
    fn long_secretbox_matches_libsodium() {
        // crypto_secretbox_easy, key a0 a1 .. bf, nonce 30 31 .. 47, plaintext byte i = 7i:
        // its MAC covers the whole ciphertext; its last 16 bytes come from the fourth batch.
        let key: [u8; KEY_LEN] = std::array::from_fn(|i| 0xa0 + i as u8);
        let nonce: Nonce = std::array::from_fn(|i| 0x30 + i as u8);
        let plaintext: Vec<u8> = (0..1000).map(|i| (i * 7) as u8).collect();
        let mut boxed = Vec::new();
        BoxKey::secret(&key).seal_into(&nonce, &plaintext, &mut boxed);
        assert_eq!(boxed.len(), 1016);
        assert_eq!(boxed[..MAC_LEN], hex("f1708710d4b1ccfc4a0d47a22e7e2612"));
        assert_eq!(boxed[1000..], hex("d767f79e1e2f3c1773261822a77a60eb"));
        assert_eq!(&BoxKey::secret(&key).open(&nonce, &boxed).unwrap()[..], &plaintext[..]);
    }

    #[test]
    fn boxes_match_the_aead_at_every_length() {
        let key: [u8; KEY_LEN] = std::array::from_fn(|i| 3 * i as u8);
        let nonce = counter_nonce(b"CurveZMQMESSAGES", 77);
        let ours = BoxKey::secret(&key);
        for len in lengths() {
            let plaintext: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
            let expected = reference_box(&key, &nonce, &plaintext);
            let mut boxed = vec![0xee; 3]; // appended after what `out` already holds
            ours.seal_into(&nonce, &plaintext, &mut boxed);
            assert_eq!(boxed[3..], expected, "length {len}");
            // Split into pieces, with the nonce's prefix bound to the key first: the same box.
            let cut = len / 3;
            let mut pieces = Vec::new();
            ours.for_nonce_prefix(b"CurveZMQMESSAGES").seal_pieces_into(
                &77u64.to_be_bytes(),
                &[&plaintext[..cut], &[], &plaintext[cut..]],
                &mut pieces,
            );
            assert_eq!(pieces, expected, "length {len} in pieces");
            assert_eq!(&ours.open(&nonce, &expected).unwrap()[..], &plaintext[..], "length {len}");
        }
    }

    #[test]
    fn open_after_first_matches_libsodium_and_the_aead() {
        let a = KeyPair::from_secret(&secret_a());
        let b = KeyPair::from_secret(&secret_b());
        let key = BoxKey::agree(&b.secret, &a.public).unwrap();
        let boxed = hex(MESSAGE_BOX);
        let nonce = counter_nonce(b"CurveZMQMESSAGEC", 3);
        let prefixed = key.for_nonce_prefix(b"CurveZMQMESSAGEC");
        let tail = 3u64.to_be_bytes();
        let mac: [u8; MAC_LEN] = boxed[..MAC_LEN].try_into().unwrap();
        let (first, rest) = prefixed.open_after_first(&tail, &boxed[MAC_LEN..], &mac).unwrap();
        assert_eq!((first, &rest[..]), (1, &b"hello"[..]));
        assert_eq!(rest.capacity(), rest.len());
        for len in lengths().filter(|&len| len > 0) {
            let plaintext: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let boxed = reference_box(&key.key, &nonce, &plaintext);
            let mac: [u8; MAC_LEN] = boxed[..MAC_LEN].try_into().unwrap();
            let (first, rest) = prefixed.open_after_first(&tail, &boxed[MAC_LEN..], &mac).unwrap();
            assert_eq!(first, plaintext[0]);
            assert_eq!(rest, plaintext[1..]);
            assert_eq!(rest.capacity(), rest.len());
            if len > 100 {
                continue; // every byte altered in turn: lengths up to 100 cover it
            }
            for i in 0..boxed.len() {
                let mut altered = boxed.clone();
                altered[i] ^= 0x10;
                let mac: [u8; MAC_LEN] = altered[..MAC_LEN].try_into().unwrap();
                assert_eq!(
                    prefixed.open_after_first(&tail, &altered[MAC_LEN..], &mac),
                    Err(OpenFailed),
                    "len {len} byte {i}"
                );
            }
        }
        assert_eq!(prefixed.open_after_first(&tail, b"", &[0; MAC_LEN]), Err(OpenFailed));
    }

    #[test]
    fn generated_pairs_differ() {
        assert_ne!(KeyPair::generate().unwrap().public, KeyPair::generate().unwrap().public);
    }

    #[test]
    #[ignore = "timing, not a check: cargo test --release box_speed -- --ignored --nocapture"]
    fn box_speed() {
        use super::super::poly1305::bench::ns_per_byte;
        let key = BoxKey::secret(&[9; KEY_LEN]);
        let nonce = counter_nonce(b"CurveZMQMESSAGEC", 3);
        for len in [64, 1024, 65536] {
            let plaintext = vec![5; len];
            let mut keystream = vec![0; len];
            let stream = ns_per_byte(len, 1000, || {
                Keystream::new(&key.key, &nonce).apply(std::hint::black_box(&mut keystream));
            });
            // As a MESSAGE is sealed and opened.
            let prefixed = key.for_nonce_prefix(b"CurveZMQMESSAGEC");
            let tail = 3u64.to_be_bytes();
            let mut boxed = Vec::with_capacity(len + MAC_LEN);
            let seal = ns_per_byte(len, 1000, || {
                boxed.clear();
                prefixed.seal_pieces_into(&tail, &[std::hint::black_box(&plaintext)], &mut boxed);
            });
            let mac: [u8; MAC_LEN] = boxed[..MAC_LEN].try_into().unwrap();
            let open = ns_per_byte(len, 1000, || {
                std::hint::black_box(prefixed.open_after_first(&tail, &boxed[MAC_LEN..], &mac).unwrap());
            });
            println!("{len} B: xsalsa20 {stream:.3} ns/B, seal {seal:.3} ns/B, open {open:.3} ns/B");
        }
    }
}
