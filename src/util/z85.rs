//! Z85 (ZeroMQ RFC 32): the text encoding of binary data used for CURVE keys and by
//! `zmq_z85_encode`/`zmq_z85_decode`. Owns the alphabet and the 4-bytes-to-5-characters
//! conversion in both directions. It must not know about C strings or buffers of unknown size:
//! callers hand it exact slices.

use crate::error::{Errno, Result};

/// The 85 printable characters of RFC 32, in digit order.
const ALPHABET: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// Marks a byte that is not a Z85 digit in [`DIGIT_VALUE`].
const NOT_A_DIGIT: u8 = 0xFF;

/// Digit value of every byte, built from [`ALPHABET`] so the two can never disagree.
const DIGIT_VALUE: [u8; 256] = {
    let mut table = [NOT_A_DIGIT; 256];
    let mut digit = 0;
    while digit < ALPHABET.len() {
        table[ALPHABET[digit] as usize] = digit as u8;
        digit += 1;
    }
    table
};

/// Number of characters `binary_len` bytes encode to, or EINVAL when `binary_len` is not a
/// multiple of 4 (Z85 has no padding).
pub fn encoded_len(binary_len: usize) -> Result<usize> {
    if !binary_len.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    Ok(binary_len / 4 * 5)
}

/// Number of bytes `text_len` characters decode to, or EINVAL when `text_len` is not a positive
/// multiple of 5. Empty text is refused because libzmq refuses it.
pub fn decoded_len(text_len: usize) -> Result<usize> {
    if text_len == 0 || !text_len.is_multiple_of(5) {
        return Err(Errno::EINVAL);
    }
    Ok(text_len / 5 * 4)
}

/// Encodes `data` into `out`, which must be exactly `encoded_len(data.len())` long.
pub fn encode_into(data: &[u8], out: &mut [u8]) -> Result<()> {
    if out.len() != encoded_len(data.len())? {
        return Err(Errno::EINVAL);
    }
    for (group, text) in data.chunks_exact(4).zip(out.chunks_exact_mut(5)) {
        let mut value = u32::from_be_bytes([group[0], group[1], group[2], group[3]]);
        // Fill from the least significant digit, which is the last character.
        for slot in text.iter_mut().rev() {
            *slot = ALPHABET[(value % 85) as usize];
            value /= 85;
        }
    }
    Ok(())
}

/// Encodes `data` (a multiple of 4 bytes long) as Z85 text.
pub fn encode(data: &[u8]) -> Result<String> {
    let mut text = vec![0; encoded_len(data.len())?];
    encode_into(data, &mut text)?;
    // Every byte written comes from the ASCII alphabet.
    Ok(String::from_utf8(text).expect("Z85 alphabet is ASCII"))
}

/// Decodes `text` into `out`, which must be exactly `decoded_len(text.len())` long. EINVAL for a
/// character outside the alphabet or a 5-character group worth more than 32 bits; `out` may then
/// hold a partial result.
pub fn decode_into(text: &[u8], out: &mut [u8]) -> Result<()> {
    if out.len() != decoded_len(text.len())? {
        return Err(Errno::EINVAL);
    }
    for (group, bytes) in text.chunks_exact(5).zip(out.chunks_exact_mut(4)) {
        // Five base-85 digits reach 85^5 - 1, above u32::MAX, so accumulate wider and check.
        let mut value: u64 = 0;
        for &ch in group {
            let digit = DIGIT_VALUE[ch as usize];
            if digit == NOT_A_DIGIT {
                return Err(Errno::EINVAL);
            }
            value = value * 85 + u64::from(digit);
        }
        let value = u32::try_from(value).map_err(|_| Errno::EINVAL)?;
        bytes.copy_from_slice(&value.to_be_bytes());
    }
    Ok(())
}

/// Decodes Z85 `text` (a positive multiple of 5 characters long) into bytes.
pub fn decode(text: &[u8]) -> Result<Vec<u8>> {
    let mut data = vec![0; decoded_len(text.len())?];
    decode_into(text, &mut data)?;
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 32's test vector.
    const RFC_BYTES: [u8; 8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];

    #[test]
    fn encodes_the_rfc_vector() {
        assert_eq!(encode(&RFC_BYTES).unwrap(), "HelloWorld");
    }

    #[test]
    fn decodes_the_rfc_vector() {
        assert_eq!(decode(b"HelloWorld").unwrap(), RFC_BYTES);
    }

    #[test]
    fn encode_refuses_length_not_multiple_of_four() {
        assert_eq!(encode(&[0; 1]), Err(Errno::EINVAL));
        assert_eq!(encode(&[0; 42]), Err(Errno::EINVAL));
    }

    #[test]
    fn encode_of_nothing_is_empty_text() {
        assert_eq!(encode(&[]).unwrap(), "");
    }

    #[test]
    fn decode_refuses_length_not_multiple_of_five() {
        assert_eq!(decode(b"01234567"), Err(Errno::EINVAL));
        assert_eq!(decode(b"0"), Err(Errno::EINVAL));
    }

    #[test]
    fn decode_refuses_empty_text() {
        assert_eq!(decode(b""), Err(Errno::EINVAL));
    }

    #[test]
    fn decode_refuses_group_above_32_bits() {
        assert_eq!(decode(b"#####"), Err(Errno::EINVAL));
        assert_eq!(decode(b"%nSc1"), Err(Errno::EINVAL));
    }

    #[test]
    fn decode_accepts_the_largest_group() {
        assert_eq!(decode(b"%nSc0").unwrap(), [0xFF; 4]);
    }

    #[test]
    fn decode_refuses_characters_outside_the_alphabet() {
        for bad in [b' ', b'"', b',', b';', b'\\', b'_', b'`', b'|', b'~', 0x7F, 0x80, 0x04] {
            let text = [b'0', b'0', b'0', b'0', bad];
            assert_eq!(decode(&text), Err(Errno::EINVAL), "byte {bad:#x}");
        }
    }

    #[test]
    fn extremes_round_trip() {
        for bytes in [[0u8; 4], [0xFF; 4]] {
            assert_eq!(decode(encode(&bytes).unwrap().as_bytes()).unwrap(), bytes);
        }
    }

    #[test]
    fn text_round_trips_through_bytes() {
        let text = "r^/rM9M=rMToK)63O8dCvd9D<PY<7iGlC+{BiSnG";
        assert_eq!(encode(&decode(text.as_bytes()).unwrap()).unwrap(), text);
    }

    #[test]
    fn into_variants_refuse_wrongly_sized_output() {
        assert_eq!(encode_into(&[0; 4], &mut [0; 6]), Err(Errno::EINVAL));
        assert_eq!(decode_into(b"00000", &mut [0; 3]), Err(Errno::EINVAL));
    }
}
