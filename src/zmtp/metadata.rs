//! ZMTP metadata: the property list carried by READY (and later by PLAIN/CURVE commands).
//!
//! Each property is a 1-byte name length, the name, a 4-byte big-endian value length and the
//! value. This module only encodes and parses that list; what the properties mean (socket-type
//! checks, routing ids) belongs to the mechanism.

/// Appends one property. Names longer than 255 bytes cannot be encoded; the socket options layer
/// refuses them, so meeting one here is a programming error.
pub fn write_property(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    let name_len = u8::try_from(name.len()).expect("a ZMTP property name is at most 255 bytes");
    let value_len = u32::try_from(value.len()).expect("a ZMTP property value is below 4 GiB");
    out.reserve(1 + name.len() + 4 + value.len());
    out.push(name_len);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&value_len.to_be_bytes());
    out.extend_from_slice(value);
}

/// Bytes [`write_property`] will append.
pub fn property_len(name: &str, value: &[u8]) -> usize {
    1 + name.len() + 4 + value.len()
}

/// The property list is truncated or has trailing bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedMetadata;

/// Splits a property list into (name, value) pairs, in wire order, duplicates included.
///
/// Mirrors libzmq's acceptance rules so both ends agree on what is valid: any truncation or
/// trailing byte is an error; names are taken as bytes (an empty name is accepted, as libzmq
/// does); the character set is not checked. Names that are not UTF-8 are kept lossily, since
/// they are only ever looked up by ASCII names.
pub fn parse(mut data: &[u8]) -> Result<Vec<(String, Vec<u8>)>, MalformedMetadata> {
    let mut properties = Vec::new();
    while !data.is_empty() {
        let (&name_len, rest) = data.split_first().ok_or(MalformedMetadata)?;
        let name_len = name_len as usize;
        if rest.len() < name_len + 4 {
            return Err(MalformedMetadata);
        }
        let (name, rest) = rest.split_at(name_len);
        let (len_bytes, rest) = rest.split_at(4);
        let value_len = u32::from_be_bytes(len_bytes.try_into().expect("four bytes")) as usize;
        if rest.len() < value_len {
            return Err(MalformedMetadata);
        }
        let (value, rest) = rest.split_at(value_len);
        properties.push((String::from_utf8_lossy(name).into_owned(), value.to_vec()));
        data = rest;
    }
    Ok(properties)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut out = Vec::new();
        write_property(&mut out, "Socket-Type", b"DEALER");
        write_property(&mut out, "Identity", b"");
        write_property(&mut out, "X-Big", &[7u8; 300]);
        assert_eq!(out.len(), property_len("Socket-Type", b"DEALER") + 13 + property_len("X-Big", &[0; 300]));
        assert_eq!(&out[..16], b"\x0bSocket-Type\x00\x00\x00\x06");
        let parsed = parse(&out).unwrap();
        assert_eq!(parsed[0], ("Socket-Type".to_string(), b"DEALER".to_vec()));
        assert_eq!(parsed[1], ("Identity".to_string(), vec![]));
        assert_eq!(parsed[2].1.len(), 300);
    }

    #[test]
    fn empty_list_and_empty_name_are_fine() {
        assert_eq!(parse(b"").unwrap(), vec![]);
        assert_eq!(parse(b"\x00\x00\x00\x00\x01v").unwrap(), vec![(String::new(), b"v".to_vec())]);
    }

    #[test]
    fn truncation_and_trailing_bytes_are_errors() {
        let mut good = Vec::new();
        write_property(&mut good, "Socket-Type", b"PAIR");
        for cut in 1..good.len() {
            assert_eq!(parse(&good[..cut]), Err(MalformedMetadata), "cut at {cut}");
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(parse(&trailing), Err(MalformedMetadata));
        // A value length near 4 GiB must not be trusted.
        assert_eq!(parse(b"\x01A\xff\xff\xff\xffxyz"), Err(MalformedMetadata));
    }
}
