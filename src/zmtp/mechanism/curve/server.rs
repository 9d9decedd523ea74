//! The CURVE server's handshake: HELLO from the client, WELCOME, INITIATE from the client, the
//! ZAP verdict, then READY (or ERROR / silence when ZAP denies), then MESSAGE frames both ways.
//!
//! Owns the server's keys (long-term s, a short-term S'/s' and a cookie key made per
//! connection), the checks on the client's commands (libzmq 4.3's, with its monitor codes) and
//! the wait for the ZAP verdict. Asking the ZAP handler is the engine's job (see the `curve`
//! module doc for the contract).

use std::ffi::c_int;

use x25519_dalek::StaticSecret;
use zeroize::{Zeroize, Zeroizing};

use super::crypto::{self, BoxKey, KeyPair, KEY_LEN};
use super::message::MessageCodec;
use super::properties::{self, PropertiesFault};
use super::wire::{self, *};
use crate::zmtp::mechanism::{insert_property, Mechanism, PeerInfo, Status};
use crate::zmtp::{command, ProtocolError};

/// The property under which libzmq exposes the ZAP handler's user id.
const USER_ID_PROPERTY: &str = "User-Id";

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
    /// ZAP said 400 or 500: that ERROR is the last thing we send.
    SendError {
        status_code: u16,
    },
    Ready,
    Failed,
}

pub struct CurveServer {
    socket_type: c_int,
    routing_id: Vec<u8>,
    metadata: Vec<(String, Vec<u8>)>,
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
    /// User-Id and the ZAP handler's metadata; they take precedence over the client's properties.
    zap_properties: Vec<(String, Vec<u8>)>,
}

impl CurveServer {
    /// `socket_type`, `routing_id`, `metadata` as for `NullMechanism::new` (they fill READY's
    /// properties); `public_key`/`secret_key` are ZMQ_CURVE_PUBLICKEY/SECRETKEY. Only the secret
    /// key takes part in the handshake, as in libzmq.
    pub fn new(
        socket_type: c_int,
        routing_id: Vec<u8>,
        metadata: Vec<(String, Vec<u8>)>,
        _public_key: [u8; KEY_LEN],
        mut secret_key: [u8; KEY_LEN],
    ) -> Self {
        let short_term = KeyPair::generate().ok();
        let secret = crypto::static_secret(&secret_key);
        // Our by-value copy of the caller's secret must not linger on the stack.
        secret_key.zeroize();
        Self {
            socket_type,
            routing_id,
            metadata,
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
            zap_properties: Vec::new(),
        }
    }

    fn process_hello(&mut self, body: &[u8]) -> Result<(), ProtocolError> {
        wire::check_structure(body)?;
        if !body.starts_with(HELLO) {
            return Err(ProtocolError::UnexpectedCommand);
        }
        if body.len() != HELLO_LEN || body[HELLO_VERSION_AT..HELLO_VERSION_AT + 2] != HELLO_VERSION {
            return Err(ProtocolError::MalformedHello);
        }
        self.client_short_term.copy_from_slice(&body[HELLO_CLIENT_KEY_AT..HELLO_NONCE_AT]);
        self.peer_nonce = wire::short_nonce(body, HELLO_NONCE_AT);
        let nonce = crypto::nonce(HELLO_NONCE_PREFIX, &body[HELLO_NONCE_AT..HELLO_BOX_AT]);
        // A wrong server key on the client's side ends here.
        let key =
            BoxKey::agree(&self.secret_key, &self.client_short_term).ok_or(ProtocolError::Cryptographic)?;
        key.open(&nonce, &body[HELLO_BOX_AT..]).map_err(|_| ProtocolError::Cryptographic)?;
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
            return Err(ProtocolError::MalformedInitiate);
        }
        let short_term = self.short_term.as_ref().ok_or(ProtocolError::Cryptographic)?;

        // Our cookie must come back intact and hold this connection's C' and s'.
        let cookie_key = self.cookie_key.take().ok_or(ProtocolError::Cryptographic)?;
        let cookie = &body[INITIATE_COOKIE_AT..INITIATE_NONCE_AT];
        let cookie_nonce = crypto::nonce(COOKIE_NONCE_PREFIX, &cookie[..LONG_NONCE_LEN]);
        let cookie_plaintext = BoxKey::secret(&cookie_key)
            .open(&cookie_nonce, &cookie[LONG_NONCE_LEN..])
            .map_err(|_| ProtocolError::Cryptographic)?;
        if cookie_plaintext[..KEY_LEN] != self.client_short_term
            || cookie_plaintext[KEY_LEN..] != short_term.secret.as_bytes()[..]
        {
            return Err(ProtocolError::Cryptographic);
        }

        self.peer_nonce = wire::short_nonce(body, INITIATE_NONCE_AT);
        let nonce = crypto::nonce(INITIATE_NONCE_PREFIX, &body[INITIATE_NONCE_AT..INITIATE_BOX_AT]);
        let connection_key =
            BoxKey::agree(&short_term.secret, &self.client_short_term).ok_or(ProtocolError::Cryptographic)?;
        let plaintext = connection_key
            .open(&nonce, &body[INITIATE_BOX_AT..])
            .map_err(|_| ProtocolError::Cryptographic)?;
        self.client_key.copy_from_slice(&plaintext[..KEY_LEN]);

        // The vouch: C (whose secret only the client has) vouches for C'.
        let vouch_nonce = crypto::nonce(VOUCH_NONCE_PREFIX, &plaintext[VOUCH_NONCE_AT..VOUCH_BOX_AT]);
        let vouch = BoxKey::agree(&short_term.secret, &self.client_key)
            .ok_or(ProtocolError::Cryptographic)?
            .open(&vouch_nonce, &plaintext[VOUCH_BOX_AT..INITIATE_METADATA_AT])
            .map_err(|_| ProtocolError::Cryptographic)?;
        // libzmq checks only C' in the vouch, not the S after it.
        if vouch[..KEY_LEN] != self.client_short_term {
            return Err(ProtocolError::KeyExchange);
        }

        // libzmq raises no protocol event for these on the server side (as under NULL).
        properties::absorb(self.socket_type, &plaintext[INITIATE_METADATA_AT..], &mut self.peer).map_err(
            |fault| match fault {
                PropertiesFault::Malformed => ProtocolError::MalformedReady,
                PropertiesFault::IncompatibleSocketType(peer_socket_type) => {
                    ProtocolError::IncompatibleSocketType { peer_socket_type }
                }
            },
        )?;
        self.connection_key = Some(connection_key);
        self.state = State::AwaitZap { requested: false };
        Ok(())
    }

    fn ready(&mut self) -> Option<Vec<u8>> {
        let key = self.connection_key.take()?;
        let nonce = self.next_nonce;
        self.next_nonce += 1;
        let properties = properties::ours(self.socket_type, &self.routing_id, &self.metadata);
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
            State::SendError { status_code } => {
                (Some(command::error_body(status_code.to_string().as_bytes())), State::Failed)
            }
            _ => return None,
        };
        self.state = if command.is_some() { next } else { State::Failed };
        command
    }

    fn process_handshake_command(&mut self, body: &[u8]) -> Result<(), ProtocolError> {
        let result = match self.state {
            State::ExpectHello => self.process_hello(body),
            State::ExpectInitiate => self.process_initiate(body),
            _ => Err(ProtocolError::CommandOutOfSequence),
        };
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    fn status(&self) -> Status {
        if self.state == State::Ready {
            Status::Ready
        } else {
            Status::Handshaking
        }
    }

    fn take_peer_info(&mut self) -> PeerInfo {
        let mut peer = std::mem::take(&mut self.peer);
        // As libzmq's property map: ZAP's properties first, and the first of a name wins.
        let client_properties =
            std::mem::replace(&mut peer.properties, std::mem::take(&mut self.zap_properties));
        for (name, value) in client_properties {
            insert_property(&mut peer.properties, name, value);
        }
        peer
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

    fn zap_reply(
        &mut self,
        status: &[u8],
        user_id: &[u8],
        metadata: Vec<(String, Vec<u8>)>,
    ) -> Result<(), ProtocolError> {
        if !matches!(self.state, State::AwaitZap { .. }) {
            return Err(ProtocolError::CommandOutOfSequence);
        }
        match status {
            b"200" => {
                if !user_id.is_empty() {
                    self.zap_properties.push((USER_ID_PROPERTY.to_string(), user_id.to_vec()));
                }
                for (name, value) in metadata {
                    insert_property(&mut self.zap_properties, name, value);
                }
                self.state = State::SendReady;
                Ok(())
            }
            // Temporary failure: the client is dropped without an ERROR (RFC 27, as libzmq).
            b"300" => {
                self.state = State::Failed;
                Err(ProtocolError::AuthFailed { status_code: 300 })
            }
            b"400" | b"500" => {
                let status_code = if status == b"400" { 400 } else { 500 };
                self.state = State::SendError { status_code };
                Err(ProtocolError::AuthFailed { status_code })
            }
            _ => {
                self.state = State::Failed;
                Err(ProtocolError::InvalidZapStatus)
            }
        }
    }

    fn encrypts(&self) -> bool {
        self.codec.is_some()
    }

    fn encode_frame(&mut self, flags: u8, body: &[u8]) -> Result<(u8, Vec<u8>), ProtocolError> {
        self.codec.as_mut().ok_or(ProtocolError::MessageDuringHandshake)?.encode(flags, body)
    }

    fn decode_frame(&mut self, outer_flags: u8, outer_body: &[u8]) -> Result<(u8, Vec<u8>), ProtocolError> {
        self.codec.as_mut().ok_or(ProtocolError::MessageDuringHandshake)?.decode(outer_flags, outer_body)
    }
}
