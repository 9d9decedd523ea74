//! The CURVE security mechanism (RFC 25 ZMTP-CURVE over RFC 26 CurveZMQ), byte-compatible with
//! libzmq 4.3 and libsodium: [`CurveClient`] and [`CurveServer`], sans-I/O like every mechanism.
//!
//! Files: `wire` (command layouts), `crypto` (NaCl boxes over x25519-dalek, `xsalsa20`'s
//! HSalsa20 and multi-block keystream, and `poly1305`'s authenticator with `poly1305_wide`'s
//! AVX2 loop for long messages; libsodium known answers in its tests), `message` (MESSAGE frames and nonce sequencing), `failure` (libzmq's
//! monitor code for each failure), `client`, `server`. Owns no I/O, no ZAP socket, no socket
//! options: keys come in raw (32 bytes each; Z85 decoding belongs to the options layer).
//!
//! # Contract with the engine
//!
//! Handshake: as for PLAIN, send every body `next_handshake_command` yields and feed every
//! received command body to `process_handshake_command`; an `Err` ends the connection (its
//! [`crate::zmtp::ProtocolError::protocol_error_code`] is libzmq's monitor code).
//!
//! ZAP (server only, when built with `zap`): once INITIATE is accepted, `zap_request()` returns,
//! exactly once, `Some(vec![client_long_term_public_key])` (one 32-byte credentials frame;
//! mechanism "CURVE"), and the server waits (`next_handshake_command` gives `None`) until
//! `zap_reply`, whose status the engine has validated and whose user id and metadata the engine
//! keeps:
//! - `"200"`: READY follows.
//! - `"300"`: `Status::Error` at once; nothing is sent (RFC 27: a temporary failure is not
//!   answered).
//! - `"400"`/`"500"`: one ERROR body with that status follows, then `Status::Error`.
//!
//! Built without `zap`, the server sends READY right after INITIATE. An engine that finds out
//! only after `zap_request()` that there is nobody to ask (libzmq's non-enforcing mode with no
//! handler bound) may answer at once with `zap_reply(b"200", b"", vec![])`.
//! A client that receives ERROR returns `Err(PeerError)` and reports `Status::Error`.
//!
//! After the handshake (`status() == Ready`, `encrypts() == true`) every frame goes through
//! `encode_frame(flags, body, out)` / `decode_frame(outer_flags, outer_body)`, with ZMTP flag bits
//! (MORE = 1, COMMAND = 4): commands such as PING/PONG and ZMTP 3.1 SUBSCRIBE/CANCEL are encoded
//! with COMMAND set, exactly as they would be framed in the clear. The returned outer flags are
//! always 0 (libzmq sends each MESSAGE as a final, non-command data frame; the frame encoder adds
//! the LONG bit when needed). Decoding accepts any outer flags (libzmq ORs the outer MORE/COMMAND
//! bits with the inner ones) and returns the inner frame's flags and body; a replayed, reordered,
//! altered or malformed frame is an `Err` and ends the connection. Encoding writes (encrypts)
//! straight into the caller's buffer, decoding allocates only the returned body, and the
//! connection key and each direction's XSalsa20 subkey are computed once per connection.
//!
//! Secrets (long-term, short-term and cookie keys, key-bearing plaintexts) are wiped on drop.

mod client;
mod crypto;
mod failure;
mod message;
mod poly1305;
#[cfg(target_arch = "x86_64")]
mod poly1305_wide;
mod server;
mod wire;
mod xsalsa20;

#[cfg(test)]
mod tests;

pub use client::CurveClient;
pub use server::CurveServer;
