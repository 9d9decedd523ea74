//! CURVE key material as `zmq_curve_keypair` and `zmq_curve_public` hand it out: X25519 key pairs
//! (the same keys libsodium's `crypto_box_keypair` makes) written as 40-character Z85 text. Owns
//! key generation and public-from-secret derivation only; it must not decide whether CURVE is
//! offered (that is `capabilities`) and it is not the CURVE handshake.
//!
//! Secret bytes are wiped from the buffers this module controls once they are no longer needed;
//! `x25519_dalek::StaticSecret` wipes its own copy on drop.

use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroize;

use crate::error::{Errno, Result};
use crate::util::z85;

/// Length of a raw X25519 key.
pub(crate) const KEY_LEN: usize = 32;
/// Length of a key in Z85 text, without a terminating NUL.
pub(crate) const Z85_KEY_LEN: usize = 40;

/// A Z85-encoded key pair. The secret half is wiped when the pair is dropped.
pub struct KeyPair {
    pub public: [u8; Z85_KEY_LEN],
    pub secret: [u8; Z85_KEY_LEN],
}

impl Drop for KeyPair {
    fn drop(&mut self) {
        wipe(&mut self.secret);
    }
}

/// Overwrites `bytes` with zeros in a way the compiler may not drop as dead stores (`zeroize`).
fn wipe(bytes: &mut [u8]) {
    bytes.zeroize();
}

/// Z85 text of a raw key.
fn key_to_z85(key: &[u8; KEY_LEN]) -> [u8; Z85_KEY_LEN] {
    let mut text = [0; Z85_KEY_LEN];
    z85::encode_into(key, &mut text).expect("a 32-byte key is 40 Z85 characters");
    text
}

/// Generates a fresh key pair from the operating system's random source. Fails (EAGAIN) only
/// when that source is unavailable.
pub fn generate_keypair() -> Result<KeyPair> {
    let mut seed = [0u8; KEY_LEN];
    let filled = getrandom::getrandom(&mut seed);
    if filled.is_err() {
        wipe(&mut seed);
        return Err(Errno::EAGAIN);
    }
    let secret = StaticSecret::from(seed);
    wipe(&mut seed);
    let public = PublicKey::from(&secret);
    Ok(KeyPair { public: key_to_z85(public.as_bytes()), secret: key_to_z85(secret.as_bytes()) })
}

/// The Z85 public key that belongs to the Z85 secret key `z85_secret`. EINVAL unless
/// `z85_secret` is exactly 40 valid Z85 characters.
pub fn public_from_secret(z85_secret: &[u8]) -> Result<[u8; Z85_KEY_LEN]> {
    if z85_secret.len() != Z85_KEY_LEN {
        return Err(Errno::EINVAL);
    }
    let mut raw = [0u8; KEY_LEN];
    let decoded = z85::decode_into(z85_secret, &mut raw);
    let secret = StaticSecret::from(raw);
    wipe(&mut raw);
    decoded?;
    Ok(key_to_z85(PublicKey::from(&secret).as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key pair published with the CURVE documentation (hintjens.com/blog:45).
    const SECRET: &[u8] = b"D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
    const PUBLIC: &[u8] = b"Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";

    #[test]
    fn public_from_secret_matches_known_pair() {
        assert_eq!(public_from_secret(SECRET).unwrap(), PUBLIC);
    }

    #[test]
    fn public_from_secret_refuses_short_key() {
        assert_eq!(public_from_secret(b"42"), Err(Errno::EINVAL));
    }

    #[test]
    fn public_from_secret_refuses_long_key() {
        assert_eq!(public_from_secret(b"0123456789012345678901234567890123456789."), Err(Errno::EINVAL));
    }

    #[test]
    fn public_from_secret_refuses_invalid_characters() {
        let mut bad = SECRET.to_vec();
        bad[39] = b'"';
        assert_eq!(public_from_secret(&bad), Err(Errno::EINVAL));
    }

    #[test]
    fn generated_keys_are_z85_text() {
        let pair = generate_keypair().unwrap();
        assert!(z85::decode(&pair.public).is_ok());
        assert!(z85::decode(&pair.secret).is_ok());
    }

    #[test]
    fn generated_public_key_belongs_to_generated_secret() {
        let pair = generate_keypair().unwrap();
        assert_eq!(public_from_secret(&pair.secret).unwrap(), pair.public);
    }

    #[test]
    fn generated_pairs_differ() {
        assert_ne!(generate_keypair().unwrap().secret, generate_keypair().unwrap().secret);
    }

    #[test]
    fn wipe_zeroes_the_buffer() {
        let mut bytes = [7u8; 8];
        wipe(&mut bytes);
        assert_eq!(bytes, [0; 8]);
    }
}
