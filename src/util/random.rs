//! Random numbers where libzmq uses them to vary behaviour, not to protect anything: the first
//! generated routing id, the first REQ request id, reconnect jitter. Key material does not come
//! from here (see `curve_keys`).

/// A random 32-bit value from the operating system. Without entropy it is 0: callers only lose
/// unpredictability, never correctness.
pub fn random_u32() -> u32 {
    let mut bytes = [0u8; 4];
    let _ = getrandom::getrandom(&mut bytes);
    u32::from_ne_bytes(bytes)
}
