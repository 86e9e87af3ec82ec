//! The client side (RFC 6455 §4.1): the resumable handshake and its config
//! here; building the request in [`request`], checking the answer in
//! [`response`] (pure functions, shared with the HTTP/2 client).

mod request;
mod response;

use request::serialize_request;
pub use request::{prepare_connect_request, prepare_request};
pub use response::{
    confirm_extensions, parse_response, validate_connect_response, validate_response,
};

use crate::deadline::{self, Deadline, IoTimeouts};
use crate::headers::tokens;
use crate::machine::{engine, HeadReader, HeadWriter, ReadError};
use crate::refusal::BodyReader;
use crate::{derive_accept_key, generate_key, HandshakeError, HandshakeLimits, ResumableError};
use http::header::{HeaderValue, SEC_WEBSOCKET_EXTENSIONS, SEC_WEBSOCKET_PROTOCOL};
use http::{Request, Response, StatusCode, Uri};
use sockwell_core::{Protocol, Role, WebSocket, WebSocketConfig};
use sockwell_extensions::{client_offer, ExtensionFactory};
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Anything a client handshake can start from: a URL (`&str`, `String`,
/// [`Uri`]) or a full [`Request`] with custom headers.
pub trait IntoClientRequest {
    /// Converts into a request; the handshake adds the headers it requires.
    fn into_client_request(self) -> Result<Request<()>, HandshakeError>;
}

impl IntoClientRequest for Request<()> {
    fn into_client_request(self) -> Result<Request<()>, HandshakeError> {
        Ok(self)
    }
}

impl IntoClientRequest for Uri {
    fn into_client_request(self) -> Result<Request<()>, HandshakeError> {
        Ok(Request::get(self).body(())?)
    }
}

impl IntoClientRequest for &Uri {
    fn into_client_request(self) -> Result<Request<()>, HandshakeError> {
        self.clone().into_client_request()
    }
}

impl IntoClientRequest for &str {
    fn into_client_request(self) -> Result<Request<()>, HandshakeError> {
        let uri: Uri = self
            .parse()
            .map_err(|_| HandshakeError::InvalidRequest("not a valid URL"))?;
        uri.into_client_request()
    }
}

impl IntoClientRequest for String {
    fn into_client_request(self) -> Result<Request<()>, HandshakeError> {
        self.as_str().into_client_request()
    }
}

impl IntoClientRequest for &String {
    fn into_client_request(self) -> Result<Request<()>, HandshakeError> {
        self.as_str().into_client_request()
    }
}

/// Client handshake settings.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Settings of the connection once open.
    pub websocket: WebSocketConfig,
    /// Caps on the server's response head.
    pub limits: HandshakeLimits,
    /// Subprotocols to offer, most preferred first (`Sec-WebSocket-Protocol`).
    pub subprotocols: Vec<String>,
    /// Extensions to offer, in order of preference (`Sec-WebSocket-Extensions`).
    pub extensions: Vec<Arc<dyn ExtensionFactory>>,
    /// Time the server has, from [`ClientHandshake::new`], to take our
    /// request and answer it; past it the handshake fails with
    /// [`HandshakeError::Timeout`]. Default 10 s (as Python `websockets`); `None`: no limit.
    pub handshake_timeout: Option<Duration>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            websocket: WebSocketConfig::default(),
            limits: HandshakeLimits::default(),
            subprotocols: Vec::new(),
            extensions: Vec::new(),
            handshake_timeout: Some(Duration::from_secs(10)),
        }
    }
}

impl ClientConfig {
    /// Sets [`handshake_timeout`](Self::handshake_timeout).
    pub fn with_handshake_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Adds an extension to offer, e.g. `sockwell_deflate::DeflateConfig::default()`.
    pub fn with_extension(mut self, extension: impl ExtensionFactory + 'static) -> Self {
        self.extensions.push(Arc::new(extension));
        self
    }

    /// Sets the connection settings.
    pub fn with_websocket_config(mut self, websocket: WebSocketConfig) -> Self {
        self.websocket = websocket;
        self
    }
}

/// A client handshake in progress over `S`; resumable after `WouldBlock`.
#[derive(Debug)]
pub struct ClientHandshake<S> {
    stream: S,
    state: State,
    accept: String,
    offered: Vec<String>,
    config: ClientConfig,
    deadline: Option<Deadline>,
}

#[derive(Debug)]
enum State {
    Writing(HeadWriter),
    Reading(HeadReader),
    /// The server refused the upgrade: reading (a bounded prefix of) its
    /// body, for the error.
    Refused(Box<Response<()>>, BodyReader),
}

impl<S: Read + Write> ClientHandshake<S> {
    /// Prepares the request: the caller's headers are kept, and the required
    /// ones (`Host`, `Upgrade`, `Connection`, `Sec-WebSocket-Key`,
    /// `Sec-WebSocket-Version`) are set.
    pub fn new(
        stream: S,
        request: impl IntoClientRequest,
        config: ClientConfig,
    ) -> Result<Self, HandshakeError> {
        let mut request = request.into_client_request()?;
        let key = generate_key();
        prepare_request(&mut request, &key, &config.subprotocols)?;
        if let Some(offer) = client_offer(&config.extensions) {
            request.headers_mut().append(
                SEC_WEBSOCKET_EXTENSIONS,
                HeaderValue::from_str(&offer).map_err(http::Error::from)?,
            );
        }
        let offered = tokens(request.headers(), &SEC_WEBSOCKET_PROTOCOL)
            .map(str::to_owned)
            .collect();
        let head = serialize_request(&request)?;
        Ok(ClientHandshake {
            stream,
            state: State::Writing(HeadWriter::new(head)),
            accept: derive_accept_key(key.as_bytes()),
            offered,
            deadline: Deadline::from_now(config.handshake_timeout),
            config,
        })
    }

    /// When the handshake fails if it is not done: for an event loop's timer.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline.map(|d| d.at())
    }

    /// The stream.
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// The stream, mutably (an async driver sets its waker here). Reading
    /// or writing it directly corrupts the handshake.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// Drives the handshake. On `WouldBlock` (or a stream timeout) it returns
    /// [`ResumableError::Interrupted`] with itself; call again when ready.
    /// Called past its deadline it fails with [`HandshakeError::Timeout`].
    pub fn handshake(self) -> Result<(WebSocket<S>, Response<()>), ResumableError<Self>> {
        self.handshake_parts().map(|(stream, protocol, response)| {
            (WebSocket::from_protocol(stream, protocol), response)
        })
    }

    /// [`handshake`](Self::handshake) for another driver: the stream and
    /// the engine (its extensions confirmed, the bytes that followed the
    /// response already handed to it), to wrap in whatever drives them
    /// (the async driver's `WebSocketStream`, an event loop's own type).
    pub fn handshake_parts(mut self) -> Result<(S, Protocol, Response<()>), ResumableError<Self>> {
        // A refusal's body is read until the deadline at most; the refusal
        // is then reported with what came.
        if !matches!(self.state, State::Refused(..)) {
            Deadline::check(self.deadline)?;
        }
        loop {
            match &mut self.state {
                State::Writing(writer) => {
                    if !writer.write(&mut self.stream, self.deadline)? {
                        return Err(ResumableError::Interrupted(self));
                    }
                    self.state = State::Reading(HeadReader::default());
                }
                State::Reading(reader) => {
                    let end = match reader.read(
                        &mut self.stream,
                        &self.config.limits,
                        None,
                        self.deadline,
                    ) {
                        Ok(end) => end,
                        Err(ReadError::WouldBlock) => {
                            return Err(ResumableError::Interrupted(self))
                        }
                        Err(ReadError::Fatal(e)) => return Err(e.into()),
                    };
                    let head = &reader.buffer()[..end];
                    let response = parse_response(head, &self.config.limits)?;
                    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
                        let max = self.config.limits.max_refusal_body;
                        let body = BodyReader::new(&response, &reader.buffer()[end..], max);
                        self.state = State::Refused(Box::new(response), body);
                        continue;
                    }
                    validate_response(&response, &self.accept, &self.offered)?;
                    let extensions = confirm_extensions(&self.config.extensions, &response)?;
                    let after_head = &reader.buffer()[end..];
                    let protocol =
                        engine(Role::Client, self.config.websocket, extensions, after_head);
                    return Ok((self.stream, protocol, response));
                }
                State::Refused(_, body) => {
                    if !body.read(&mut self.stream, self.deadline) {
                        return Err(ResumableError::Interrupted(self));
                    }
                    let State::Refused(response, body) = self.state else {
                        unreachable!("matched above")
                    };
                    let (parts, ()) = response.into_parts();
                    let refusal = Response::from_parts(parts, Some(body.into_body()));
                    return Err(HandshakeError::UnexpectedStatus(Box::new(refusal)).into());
                }
            }
        }
    }
}

impl<S: Read + Write + IoTimeouts> ClientHandshake<S> {
    /// Runs the handshake to its end on a blocking stream (a `TcpStream`),
    /// within the deadline: the stream's read and write timeouts are set to
    /// the time left before each step and restored afterwards.
    pub fn complete(self) -> Result<(WebSocket<S>, Response<()>), HandshakeError> {
        let deadline = self.deadline;
        deadline::complete(
            self,
            deadline,
            |h| &h.stream,
            Self::handshake,
            |(ws, _)| ws.get_ref(),
        )
    }
}
