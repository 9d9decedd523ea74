//! The CURVE security mechanism (RFC 25 ZMTP-CURVE over RFC 26 CurveZMQ), byte-compatible with
//! libzmq 4.3 and libsodium: [`CurveClient`] and [`CurveServer`], sans-I/O like every mechanism.
//!
//! Files: `wire` (command layouts), `crypto` (NaCl boxes over x25519-dalek + RustCrypto's
//! XSalsa20-Poly1305, libsodium known answers in its tests), `message` (MESSAGE frames and
//! nonce sequencing), `properties` (the metadata inside INITIATE/READY), `client`, `server`.
//! Owns no I/O, no ZAP socket, no socket options: keys come in raw (32 bytes each; Z85 decoding
//! belongs to the options layer).
//!
//! # Contract with the engine
//!
//! Handshake: as for NULL, send every body `next_handshake_command` yields and feed every
//! received command body to `process_handshake_command`; an `Err` ends the connection (its
//! [`crate::zmtp::ProtocolError::protocol_error_code`] is libzmq's monitor code).
//!
//! ZAP (server only): once INITIATE is accepted, `zap_request()` returns, exactly once,
//! `Some(vec![client_long_term_public_key])` (one 32-byte credentials frame; mechanism "CURVE").
//! The server then waits (`next_handshake_command` gives `None`) until `zap_reply`:
//! - `"200"`: `Ok`; READY follows. The user id (when not empty) becomes the `User-Id` property
//!   and the ZAP metadata are added before the client's properties (first name wins), as
//!   libzmq's property map does.
//! - `"300"`: `Err(AuthFailed { status_code: 300 })`; nothing is sent, close.
//! - `"400"`/`"500"`: `Err(AuthFailed { .. })`, and `next_handshake_command` then yields one
//!   ERROR body carrying that code: send it, then close (libzmq sends ERROR before closing).
//! - anything else: `Err(InvalidZapStatus)`.
//!
//! Without a ZAP handler (no ZAP domain, or libzmq's non-enforcing mode with no handler) the
//! engine still takes `zap_request()` and answers at once with `zap_reply(b"200", b"", vec![])`.
//!
//! After the handshake (`status() == Ready`, `encrypts() == true`) every frame goes through
//! `encode_frame(flags, body)` / `decode_frame(outer_flags, outer_body)`, with ZMTP flag bits
//! (MORE = 1, COMMAND = 4): commands such as PING/PONG and ZMTP 3.1 SUBSCRIBE/CANCEL are encoded
//! with COMMAND set, exactly as they would be framed in the clear. The returned outer flags are
//! always 0 (libzmq sends each MESSAGE as a final, non-command data frame; the frame encoder adds
//! the LONG bit when needed). Decoding accepts any outer flags (libzmq ORs the outer MORE/COMMAND
//! bits with the inner ones) and returns the inner frame's flags and body; a replayed, reordered,
//! altered or malformed frame is an `Err` and ends the connection. Each call allocates only the
//! returned buffer, and the connection key is computed once per connection.
//!
//! Secrets (long-term, short-term and cookie keys, key-bearing plaintexts) are wiped on drop.

mod client;
mod crypto;
mod message;
mod properties;
mod server;
mod wire;

#[cfg(test)]
mod tests;

pub use client::CurveClient;
pub use server::CurveServer;
