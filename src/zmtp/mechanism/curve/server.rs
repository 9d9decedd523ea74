//! The CURVE server's handshake: HELLO from the client, WELCOME, INITIATE from the client, the
//! ZAP verdict, then READY (or ERROR / silence when ZAP denies), then MESSAGE frames both ways.
//!
//! Owns the server's keys (long-term s, a short-term S'/s' and a cookie key made per
//! connection), the checks on the client's commands (libzmq 4.3's, with its monitor codes) and
//! the wait for the ZAP verdict. Asking the ZAP handler is the engine's job (see the `curve`
//! module doc for the contract).

use x25519_dalek::StaticSecret;
use zeroize::{Zeroize, Zeroizing};

use super::crypto::{self, BoxKey, KeyPair, KEY_LEN};
use super::failure;
use super::message::MessageCodec;
use super::wire::{self, *};
use crate::zmtp::mechanism::{read_peer_properties, Mechanism, OwnProperties, PeerInfo, Status};
use crate::zmtp::{command, ProtocolError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    ExpectHello,
    SendWelcome,
    ExpectInitiate,
    /// INITIATE was good; the ZAP verdict is awaited (`zap_request` not yet taken when false).
    AwaitZap {
        requested: bool,
    },
    SendReady,
    /// ZAP refused (400, 500): that status goes out in an ERROR, our last word.
    SendError {
        status: [u8; 3],
    },
    Ready,
    /// Refused and said so (ERROR sent, or ZAP 300 which drops the client silently):
    /// `Status::Error`.
    Refused,
    /// A protocol failure was returned; nothing more happens.
    Failed,
}

pub struct CurveServer {
    own: OwnProperties,
    /// Whether READY waits for a ZAP verdict.
    zap: bool,
    /// s: who we are (S is implied by it).
    secret_key: StaticSecret,
    /// S'/s' for this connection; `None` when the random source failed.
    short_term: Option<KeyPair>,
    /// The key of the cookie we sent in WELCOME; dropped once INITIATE handed the cookie back.
    cookie_key: Option<Zeroizing<[u8; KEY_LEN]>>,
    /// C' from HELLO and C from INITIATE.
    client_short_term: [u8; KEY_LEN],
    client_key: [u8; KEY_LEN],
    /// The s<->C' key of HELLO and WELCOME, between the two.
    hello_key: Option<BoxKey>,
    /// The S'<->C' key (`crypto_box_beforenm`), from INITIATE on; moves into `codec`.
    connection_key: Option<BoxKey>,
    state: State,
    /// Our next short nonce (READY is 1) and the client's last one (from HELLO, then INITIATE).
    next_nonce: u64,
    peer_nonce: u64,
    codec: Option<MessageCodec>,
    peer: PeerInfo,
}

impl CurveServer {
    /// `own` fills READY's properties; `zap`: ask the ZAP handler about the client's key before
    /// READY (as for `NullMechanism::new`; libzmq asks whenever a handler is bound, or a ZAP
    /// domain is set under ZMQ_ZAP_ENFORCE_DOMAIN); without it any client with a valid handshake
    /// is accepted (the "Stonehouse" pattern). `public_key`/`secret_key` are
    /// ZMQ_CURVE_PUBLICKEY and ZMQ_CURVE_SECRETKEY; only the secret key takes part in the
    /// handshake, as in libzmq.
    pub fn new(
        own: OwnProperties,
        zap: bool,
        _public_key: [u8; KEY_LEN],
        mut secret_key: [u8; KEY_LEN],
    ) -> Self {
        let short_term = KeyPair::generate().ok();
        let secret = crypto::static_secret(&secret_key);
        // Our by-value copy of the caller's secret must not linger on the stack.
        secret_key.zeroize();
        Self {
            own,
            zap,
            secret_key: secret,
            state: if short_term.is_some() { State::ExpectHello } else { State::Failed },
            short_term,
            cookie_key: None,
            client_short_term: [0; KEY_LEN],
            client_key: [0; KEY_LEN],
            hello_key: None,
            connection_key: None,
            next_nonce: 1,
            peer_nonce: 0,
            codec: None,
            peer: PeerInfo { socket_type: -1, ..PeerInfo::default() },
        }
    }

    fn process_hello(&mut self, body: &[u8]) -> Result<(), ProtocolError> {
        wire::check_structure(body)?;
        if !body.starts_with(HELLO) {
            return Err(ProtocolError::UnexpectedCommand);
        }
        if body.len() != HELLO_LEN || body[HELLO_VERSION_AT..HELLO_VERSION_AT + 2] != HELLO_VERSION {
            return Err(failure::MALFORMED_HELLO);
        }
        self.client_short_term.copy_from_slice(&body[HELLO_CLIENT_KEY_AT..HELLO_NONCE_AT]);
        self.peer_nonce = wire::short_nonce(body, HELLO_NONCE_AT);
        let nonce = crypto::nonce(HELLO_NONCE_PREFIX, &body[HELLO_NONCE_AT..HELLO_BOX_AT]);
        // A wrong server key on the client's side ends here.
        let key = BoxKey::agree(&self.secret_key, &self.client_short_term).ok_or(failure::CRYPTOGRAPHIC)?;
        key.open(&nonce, &body[HELLO_BOX_AT..]).map_err(|_| failure::CRYPTOGRAPHIC)?;
        self.hello_key = Some(key);
        self.state = State::SendWelcome;
        Ok(())
    }

    /// WELCOME: S' and a cookie only we can open, holding C' and s' (RFC 26 lets a server forget
    /// them until INITIATE; like libzmq we keep them anyway and check the cookie against them).
    fn welcome(&mut self) -> Option<Vec<u8>> {
        let short_term = self.short_term.as_ref()?;
        let hello_key = self.hello_key.take()?;
        let cookie_key = crypto::random_bytes::<KEY_LEN>().ok()?;
        let cookie_tail = crypto::random_bytes::<LONG_NONCE_LEN>().ok()?;
        let welcome_tail = crypto::random_bytes::<LONG_NONCE_LEN>().ok()?;

        let mut cookie_plaintext = Zeroizing::new([0; 2 * KEY_LEN]);
        cookie_plaintext[..KEY_LEN].copy_from_slice(&self.client_short_term);
        cookie_plaintext[KEY_LEN..].copy_from_slice(short_term.secret.as_bytes());
        let mut plaintext = Zeroizing::new(Vec::with_capacity(KEY_LEN + COOKIE_LEN));
        plaintext.extend_from_slice(&short_term.public);
        plaintext.extend_from_slice(&cookie_tail[..]);
        BoxKey::secret(&cookie_key).seal_into(
            &crypto::nonce(COOKIE_NONCE_PREFIX, &cookie_tail[..]),
            &cookie_plaintext[..],
            &mut plaintext,
        );

        let mut body = Vec::with_capacity(WELCOME_LEN);
        body.extend_from_slice(WELCOME);
        body.extend_from_slice(&welcome_tail[..]);
        hello_key.seal_into(&crypto::nonce(WELCOME_NONCE_PREFIX, &welcome_tail[..]), &plaintext, &mut body);
        debug_assert_eq!(body.len(), WELCOME_LEN);
        self.cookie_key = Some(cookie_key);
        Some(body)
    }

    fn process_initiate(&mut self, body: &[u8]) -> Result<(), ProtocolError> {
        wire::check_structure(body)?;
        if !body.starts_with(INITIATE) {
            return Err(ProtocolError::UnexpectedCommand);
        }
        if body.len() < INITIATE_MIN_LEN {
            return Err(failure::MALFORMED_INITIATE);
        }
        let short_term = self.short_term.as_ref().ok_or(failure::CRYPTOGRAPHIC)?;

        // Our cookie must come back intact and hold this connection's C' and s'.
        let cookie_key = self.cookie_key.take().ok_or(failure::CRYPTOGRAPHIC)?;
        let cookie = &body[INITIATE_COOKIE_AT..INITIATE_NONCE_AT];
        let cookie_nonce = crypto::nonce(COOKIE_NONCE_PREFIX, &cookie[..LONG_NONCE_LEN]);
        let cookie_plaintext = BoxKey::secret(&cookie_key)
            .open(&cookie_nonce, &cookie[LONG_NONCE_LEN..])
            .map_err(|_| failure::CRYPTOGRAPHIC)?;
        if cookie_plaintext[..KEY_LEN] != self.client_short_term
            || cookie_plaintext[KEY_LEN..] != short_term.secret.as_bytes()[..]
        {
            return Err(failure::CRYPTOGRAPHIC);
        }

        self.peer_nonce = wire::short_nonce(body, INITIATE_NONCE_AT);
        let nonce = crypto::nonce(INITIATE_NONCE_PREFIX, &body[INITIATE_NONCE_AT..INITIATE_BOX_AT]);
        let connection_key =
            BoxKey::agree(&short_term.secret, &self.client_short_term).ok_or(failure::CRYPTOGRAPHIC)?;
        let plaintext =
            connection_key.open(&nonce, &body[INITIATE_BOX_AT..]).map_err(|_| failure::CRYPTOGRAPHIC)?;
        self.client_key.copy_from_slice(&plaintext[..KEY_LEN]);

        // The vouch: C (whose secret only the client has) vouches for C'.
        let vouch_nonce = crypto::nonce(VOUCH_NONCE_PREFIX, &plaintext[VOUCH_NONCE_AT..VOUCH_BOX_AT]);
        let vouch = BoxKey::agree(&short_term.secret, &self.client_key)
            .ok_or(failure::CRYPTOGRAPHIC)?
            .open(&vouch_nonce, &plaintext[VOUCH_BOX_AT..INITIATE_METADATA_AT])
            .map_err(|_| failure::CRYPTOGRAPHIC)?;
        // libzmq checks only C' in the vouch, not the S after it.
        if vouch[..KEY_LEN] != self.client_short_term {
            return Err(failure::KEY_EXCHANGE);
        }

        // libzmq's server drops the connection without a monitor event for these.
        read_peer_properties(&mut self.peer, self.own.socket_type, &plaintext[INITIATE_METADATA_AT..])
            .map_err(|_| ProtocolError::BadInitiateMetadata)?;
        self.connection_key = Some(connection_key);
        self.state = if self.zap { State::AwaitZap { requested: false } } else { State::SendReady };
        Ok(())
    }

    fn ready(&mut self) -> Option<Vec<u8>> {
        let key = self.connection_key.take()?;
        let nonce = self.next_nonce;
        self.next_nonce += 1;
        let properties = wire::properties(&self.own);
        let mut body = Vec::with_capacity(READY_MIN_LEN + properties.len());
        body.extend_from_slice(READY);
        body.extend_from_slice(&nonce.to_be_bytes());
        key.seal_into(&crypto::nonce(READY_NONCE_PREFIX, &nonce.to_be_bytes()), &properties, &mut body);
        self.codec = Some(MessageCodec::new(key, false, self.next_nonce, self.peer_nonce));
        // s' lives on only inside the connection key now.
        self.short_term = None;
        Some(body)
    }
}

impl std::fmt::Debug for CurveServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CurveServer").field("state", &self.state).finish_non_exhaustive()
    }
}

impl Mechanism for CurveServer {
    fn name(&self) -> &'static str {
        "CURVE"
    }

    fn next_handshake_command(&mut self) -> Option<Vec<u8>> {
        let (command, next) = match self.state {
            State::SendWelcome => (self.welcome(), State::ExpectInitiate),
            State::SendReady => (self.ready(), State::Ready),
            State::SendError { status } => (Some(command::error_body(&status)), State::Refused),
            _ => return None,
        };
        self.state = if command.is_some() { next } else { State::Failed };
        command
    }

    fn process_handshake_command(&mut self, body: &[u8]) -> Result<(), ProtocolError> {
        let result = match self.state {
            State::ExpectHello => self.process_hello(body),
            State::ExpectInitiate => self.process_initiate(body),
            _ => Err(failure::OUT_OF_SEQUENCE),
        };
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    fn status(&self) -> Status {
        match self.state {
            State::Ready => Status::Ready,
            State::Refused => Status::Error,
            _ => Status::Handshaking,
        }
    }

    fn take_peer_info(&mut self) -> PeerInfo {
        std::mem::take(&mut self.peer)
    }

    fn zap_request(&mut self) -> Option<Vec<Vec<u8>>> {
        match self.state {
            State::AwaitZap { requested: false } => {
                self.state = State::AwaitZap { requested: true };
                Some(vec![self.client_key.to_vec()])
            }
            _ => None,
        }
    }

    /// The engine validated the status (200, 300, 400, 500) and keeps the user id and ZAP
    /// metadata itself; only the verdict matters here.
    fn zap_reply(
        &mut self,
        status: &[u8],
        _user_id: &[u8],
        _metadata: Vec<(String, Vec<u8>)>,
    ) -> Result<(), ProtocolError> {
        if !matches!(self.state, State::AwaitZap { .. }) {
            return Err(failure::OUT_OF_SEQUENCE);
        }
        self.state = match status {
            b"200" => State::SendReady,
            // A temporary failure: the client is not answered at all (RFC 27, as libzmq).
            b"300" => State::Refused,
            _ => match status.try_into() {
                Ok(status) => State::SendError { status },
                Err(_) => {
                    self.state = State::Failed;
                    return Err(ProtocolError::Refused);
                }
            },
        };
        Ok(())
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
