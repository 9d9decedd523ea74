//! The CURVE client's handshake: HELLO, then WELCOME from the server, INITIATE, READY (or ERROR
//! from the server instead of WELCOME or READY), then MESSAGE frames both ways.
//!
//! Owns the client's keys (long-term C/c, the server's S, a short-term C'/c' made per
//! connection) and the order of its commands. Checks and monitor codes follow libzmq 4.3's
//! client; sans-I/O: command bodies in and out, no ZAP (only servers ask ZAP).

use x25519_dalek::StaticSecret;
use zeroize::{Zeroize, Zeroizing};

use super::crypto::{self, BoxKey, KeyPair, KEY_LEN};
use super::failure;
use super::message::MessageCodec;
use super::wire::{self, *};
use crate::zmtp::mechanism::{
    error_reason, read_peer_properties, Mechanism, OwnProperties, PeerInfo, Status,
};
use crate::zmtp::ProtocolError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    SendHello,
    ExpectWelcome,
    SendInitiate,
    ExpectReady,
    Ready,
    /// The server sent ERROR: `Status::Error`.
    ErrorReceived,
    /// The handshake cannot go on (no randomness, or a key of small order from the server);
    /// nothing more is sent and the handshake times out.
    Failed,
}

pub struct CurveClient {
    own: OwnProperties,
    /// C and c: who we are.
    public_key: [u8; KEY_LEN],
    secret_key: StaticSecret,
    /// S: the server we insist on.
    server_key: [u8; KEY_LEN],
    /// C'/c', made for this connection; `None` when the random source failed.
    short_term: Option<KeyPair>,
    state: State,
    /// Our next short nonce: HELLO is 1, INITIATE 2, MESSAGE frames go on from there.
    next_nonce: u64,
    /// From WELCOME: S' and the cookie to hand back in INITIATE.
    server_short_term: [u8; KEY_LEN],
    cookie: [u8; wire::COOKIE_LEN],
    /// The C'<->S' key (`crypto_box_beforenm`), computed once at WELCOME; moves into `codec`.
    connection_key: Option<BoxKey>,
    codec: Option<MessageCodec>,
    peer: PeerInfo,
}

impl CurveClient {
    /// `own` fills INITIATE's properties; `public_key`/`secret_key` are ZMQ_CURVE_PUBLICKEY and
    /// ZMQ_CURVE_SECRETKEY, `server_key` is ZMQ_CURVE_SERVERKEY.
    pub fn new(
        own: OwnProperties,
        public_key: [u8; KEY_LEN],
        mut secret_key: [u8; KEY_LEN],
        server_key: [u8; KEY_LEN],
    ) -> Self {
        let short_term = KeyPair::generate().ok();
        let secret = crypto::static_secret(&secret_key);
        // Our by-value copy of the caller's secret must not linger on the stack.
        secret_key.zeroize();
        Self {
            own,
            public_key,
            secret_key: secret,
            server_key,
            state: if short_term.is_some() { State::SendHello } else { State::Failed },
            short_term,
            next_nonce: 1,
            server_short_term: [0; KEY_LEN],
            cookie: [0; wire::COOKIE_LEN],
            connection_key: None,
            codec: None,
            peer: PeerInfo { socket_type: -1, ..PeerInfo::default() },
        }
    }

    /// Replaces the short-term key pair, so tests can compare bytes with known answers.
    #[cfg(test)]
    pub(super) fn with_short_term_secret(mut self, secret: [u8; KEY_LEN]) -> Self {
        self.short_term = Some(KeyPair::from_secret(&secret));
        self.state = State::SendHello;
        self
    }

    fn take_nonce(&mut self) -> u64 {
        let nonce = self.next_nonce;
        self.next_nonce += 1;
        nonce
    }

    fn hello(&mut self) -> Option<Vec<u8>> {
        let nonce = self.take_nonce();
        let short_term = self.short_term.as_ref()?;
        // A server key of small order makes a key everyone knows: seal under a random key
        // instead, which no server opens, so the server refuses us as for any wrong key.
        let key = match BoxKey::agree(&short_term.secret, &self.server_key) {
            Some(key) => key,
            None => BoxKey::secret(&*crypto::random_bytes::<KEY_LEN>().ok()?),
        };
        let mut body = Vec::with_capacity(HELLO_LEN);
        body.extend_from_slice(HELLO);
        body.extend_from_slice(&HELLO_VERSION);
        body.resize(body.len() + HELLO_PADDING_LEN, 0);
        body.extend_from_slice(&short_term.public);
        body.extend_from_slice(&nonce.to_be_bytes());
        let full_nonce = crypto::nonce(HELLO_NONCE_PREFIX, &nonce.to_be_bytes());
        key.seal_into(&full_nonce, &[0; HELLO_SIGNATURE_LEN], &mut body);
        debug_assert_eq!(body.len(), HELLO_LEN);
        Some(body)
    }

    fn process_welcome(&mut self, body: &[u8]) -> Result<(), ProtocolError> {
        // libzmq reports a WELCOME of the wrong size as a cryptographic failure.
        if body.len() != WELCOME_LEN {
            return Err(failure::CRYPTOGRAPHIC);
        }
        let short_term = self.short_term.as_ref().ok_or(failure::CRYPTOGRAPHIC)?;
        let key = BoxKey::agree(&short_term.secret, &self.server_key).ok_or(failure::CRYPTOGRAPHIC)?;
        let nonce = crypto::nonce(WELCOME_NONCE_PREFIX, &body[WELCOME_NONCE_AT..WELCOME_BOX_AT]);
        let plaintext = key.open(&nonce, &body[WELCOME_BOX_AT..]).map_err(|_| failure::CRYPTOGRAPHIC)?;
        self.server_short_term.copy_from_slice(&plaintext[..KEY_LEN]);
        self.cookie.copy_from_slice(&plaintext[KEY_LEN..]);
        self.connection_key =
            Some(BoxKey::agree(&short_term.secret, &self.server_short_term).ok_or(failure::CRYPTOGRAPHIC)?);
        self.state = State::SendInitiate;
        Ok(())
    }

    fn initiate(&mut self) -> Option<Vec<u8>> {
        let nonce = self.take_nonce();
        let short_term = self.short_term.as_ref()?;
        let connection_key = self.connection_key.as_ref()?;
        // The vouch: Box [C' + S](C->S'), proving that whoever holds c chose this C'.
        let vouch_tail = crypto::random_bytes::<LONG_NONCE_LEN>().ok()?;
        let vouch_key = BoxKey::agree(&self.secret_key, &self.server_short_term)?;
        let mut vouch_plaintext = [0; 2 * KEY_LEN];
        vouch_plaintext[..KEY_LEN].copy_from_slice(&short_term.public);
        vouch_plaintext[KEY_LEN..].copy_from_slice(&self.server_key);
        let properties = wire::properties(&self.own);
        let mut plaintext = Zeroizing::new(Vec::with_capacity(INITIATE_METADATA_AT + properties.len()));
        plaintext.extend_from_slice(&self.public_key);
        plaintext.extend_from_slice(&vouch_tail[..]);
        vouch_key.seal_into(
            &crypto::nonce(VOUCH_NONCE_PREFIX, &vouch_tail[..]),
            &vouch_plaintext,
            &mut plaintext,
        );
        plaintext.extend_from_slice(&properties);
        debug_assert_eq!(plaintext.len(), INITIATE_METADATA_AT + properties.len());

        let mut body = Vec::with_capacity(INITIATE_MIN_LEN + properties.len());
        body.extend_from_slice(INITIATE);
        body.extend_from_slice(&self.cookie);
        body.extend_from_slice(&nonce.to_be_bytes());
        let full_nonce = crypto::nonce(INITIATE_NONCE_PREFIX, &nonce.to_be_bytes());
        connection_key.seal_into(&full_nonce, &plaintext, &mut body);
        // c' has done its work (HELLO, and the connection key is derived): forget it.
        self.short_term = None;
        Some(body)
    }

    fn process_ready(&mut self, body: &[u8]) -> Result<(), ProtocolError> {
        if body.len() < READY_MIN_LEN {
            return Err(failure::MALFORMED_READY);
        }
        let peer_nonce = wire::short_nonce(body, READY_NONCE_AT);
        let nonce = crypto::nonce(READY_NONCE_PREFIX, &peer_nonce.to_be_bytes());
        let key = self.connection_key.take().ok_or(failure::CRYPTOGRAPHIC)?;
        let plaintext = key.open(&nonce, &body[READY_BOX_AT..]).map_err(|_| failure::CRYPTOGRAPHIC)?;
        // libzmq reports malformed properties and an incompatible socket type alike here.
        read_peer_properties(&mut self.peer, self.own.socket_type, &plaintext)
            .map_err(|_| failure::INVALID_METADATA)?;
        self.codec = Some(MessageCodec::new(key, true, self.next_nonce, peer_nonce));
        self.state = State::Ready;
        Ok(())
    }
}

impl std::fmt::Debug for CurveClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CurveClient").field("state", &self.state).finish_non_exhaustive()
    }
}

impl Mechanism for CurveClient {
    fn name(&self) -> &'static str {
        "CURVE"
    }

    fn next_handshake_command(&mut self) -> Option<Vec<u8>> {
        let (command, next) = match self.state {
            State::SendHello => (self.hello(), State::ExpectWelcome),
            State::SendInitiate => (self.initiate(), State::ExpectReady),
            _ => return None,
        };
        self.state = if command.is_some() { next } else { State::Failed };
        command
    }

    fn process_handshake_command(&mut self, body: &[u8]) -> Result<(), ProtocolError> {
        // libzmq's client recognises commands by prefix and has no stricter structure check.
        let expected = if body.starts_with(WELCOME) {
            self.state == State::ExpectWelcome
        } else if body.starts_with(READY) {
            self.state == State::ExpectReady
        } else if body.starts_with(ERROR) {
            matches!(self.state, State::ExpectWelcome | State::ExpectReady)
        } else {
            false
        };
        if !expected {
            return Err(ProtocolError::UnexpectedCommand);
        }
        let result = if body.starts_with(WELCOME) {
            self.process_welcome(body)
        } else if body.starts_with(READY) {
            self.process_ready(body)
        } else {
            Err(error_reason(body))
        };
        self.state = match result {
            Ok(()) => return Ok(()),
            Err(ProtocolError::PeerError { .. }) => State::ErrorReceived,
            Err(_) => State::Failed,
        };
        result
    }

    fn status(&self) -> Status {
        match self.state {
            State::Ready => Status::Ready,
            State::ErrorReceived => Status::Error,
            _ => Status::Handshaking,
        }
    }

    fn take_peer_info(&mut self) -> PeerInfo {
        std::mem::take(&mut self.peer)
    }

    fn encrypts(&self) -> bool {
        self.codec.is_some()
    }

    fn encode_frame(&mut self, flags: u8, body: &[u8], out: &mut Vec<u8>) -> Result<u8, ProtocolError> {
        self.codec.as_mut().ok_or(ProtocolError::MessageDuringHandshake)?.encode(flags, body, out)
    }

    fn decode_frame(&mut self, outer_flags: u8, outer_body: &[u8]) -> Result<(u8, Vec<u8>), ProtocolError> {
        self.codec.as_mut().ok_or(ProtocolError::MessageDuringHandshake)?.decode(outer_flags, outer_body)
    }
}
