//! The server side (RFC 6455 §4.2): the resumable handshake, its config,
//! its callback and [`accept_request`] here; reading the request in
//! [`request`], building the answer in [`response`] (pure functions,
//! shared with HTTP servers that parse requests themselves).

mod request;
mod response;

pub use request::{check_origin, parse_request, requested_subprotocols};
pub use response::{build_connect_response, build_response, error_response_for, ErrorResponse};
use response::{error_response, required_headers, serialize_error};

use crate::deadline::{self, Deadline, IoTimeouts};
use crate::headers::write_headers;
use crate::machine::{engine, HeadReader, HeadWriter, ReadError};
use crate::{HandshakeError, HandshakeLimits, OriginPolicy, ResumableError};
use http::header::{HeaderValue, SEC_WEBSOCKET_EXTENSIONS};
use http::{Request, Response};
use sockwell_core::{Protocol, Role, WebSocket, WebSocketConfig};
use sockwell_extensions::{server_negotiate, ExtensionFactory, ExtensionStack};
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Inspects the client's request and may alter the response (add headers,
/// pick a subprotocol) or refuse the upgrade with a response of its own.
///
/// Whatever the callback does, the headers RFC 6455 requires in a 101
/// response (`Upgrade`, `Connection`, `Sec-WebSocket-Accept`) are set again
/// afterwards, so custom headers never cost a required one.
pub trait Callback: Sized {
    /// Called once the request is known to be a valid upgrade.
    fn on_request(
        self,
        request: &Request<()>,
        response: Response<()>,
    ) -> Result<Response<()>, ErrorResponse>;
}

impl<F> Callback for F
where
    F: FnOnce(&Request<()>, Response<()>) -> Result<Response<()>, ErrorResponse>,
{
    fn on_request(
        self,
        request: &Request<()>,
        response: Response<()>,
    ) -> Result<Response<()>, ErrorResponse> {
        self(request, response)
    }
}

/// A callback that accepts every valid request as it is.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoCallback;

impl Callback for NoCallback {
    fn on_request(
        self,
        _: &Request<()>,
        response: Response<()>,
    ) -> Result<Response<()>, ErrorResponse> {
        Ok(response)
    }
}

/// Server handshake settings.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Settings of the connection once open.
    pub websocket: WebSocketConfig,
    /// Caps on the request head (431 / 414 past them).
    pub limits: HandshakeLimits,
    /// Subprotocols this server speaks. The first one the client offers (in
    /// the client's order of preference) is chosen.
    pub subprotocols: Vec<String>,
    /// Extensions this server accepts; each accepts at most one of the
    /// client's offers, in the client's order.
    pub extensions: Vec<Arc<dyn ExtensionFactory>>,
    /// Time a client has, from [`ServerHandshake::new`], to send its request
    /// and take our answer; past it the handshake fails with
    /// [`HandshakeError::Timeout`]. Default 10 s (as Python `websockets`); `None`: no limit.
    /// See [`ServerHandshake::complete`] for blocking streams.
    pub handshake_timeout: Option<Duration>,
    /// Which `Origin`s may open a WebSocket; others are answered 403.
    /// Default [`OriginPolicy::Any`]. A server that authenticates by cookie
    /// needs a list: see [`OriginPolicy`] for the attack it stops.
    pub origins: OriginPolicy,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            websocket: WebSocketConfig::default(),
            limits: HandshakeLimits::default(),
            subprotocols: Vec::new(),
            extensions: Vec::new(),
            handshake_timeout: Some(Duration::from_secs(10)),
            origins: OriginPolicy::Any,
        }
    }
}

impl ServerConfig {
    /// Sets [`handshake_timeout`](Self::handshake_timeout).
    pub fn with_handshake_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Sets [`origins`](Self::origins), e.g.
    /// `OriginPolicy::allowed(["https://app.example"])`.
    pub fn with_origins(mut self, origins: OriginPolicy) -> Self {
        self.origins = origins;
        self
    }

    /// Adds an extension to accept, e.g. `sockwell_deflate::DeflateConfig::default()`.
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

/// A server handshake in progress over `S`; resumable after `WouldBlock`.
#[derive(Debug)]
pub struct ServerHandshake<S, C> {
    stream: S,
    state: State<C>,
    config: ServerConfig,
    deadline: Option<Deadline>,
}

#[derive(Debug)]
enum State<C> {
    Reading(HeadReader, Option<C>),
    /// Writing the answer; then open the connection with the leftover bytes,
    /// or fail with the error the answer reported.
    Writing(HeadWriter, Box<Outcome>),
}

impl<S: Read + Write, C: Callback> ServerHandshake<S, C> {
    /// Starts a handshake on a freshly accepted stream; the deadline
    /// ([`ServerConfig::handshake_timeout`]) counts from here.
    pub fn new(stream: S, callback: C, config: ServerConfig) -> Self {
        ServerHandshake {
            stream,
            state: State::Reading(HeadReader::default(), Some(callback)),
            deadline: Deadline::from_now(config.handshake_timeout),
            config,
        }
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
    /// A request that is not a valid upgrade is answered with the matching
    /// HTTP status (400, 405, 414, 426, 431, 505 or the callback's) before the
    /// error is returned.
    pub fn handshake(self) -> Result<(WebSocket<S>, Request<()>), ResumableError<Self>> {
        self.handshake_parts().map(|(stream, protocol, request)| {
            (WebSocket::from_protocol(stream, protocol), request)
        })
    }

    /// [`handshake`](Self::handshake) for another driver: the stream and
    /// the engine (its extensions negotiated, the bytes that followed the
    /// request already handed to it), to wrap in whatever drives them (the
    /// async driver's `WebSocketStream`, an event loop's own type).
    pub fn handshake_parts(mut self) -> Result<(S, Protocol, Request<()>), ResumableError<Self>> {
        Deadline::check(self.deadline)?;
        loop {
            match &mut self.state {
                State::Reading(reader, callback) => {
                    let limits = self.config.limits;
                    let outcome = match reader.read(
                        &mut self.stream,
                        &limits,
                        Some(limits.max_request_line),
                        self.deadline,
                    ) {
                        Ok(end) => {
                            let callback = callback.take();
                            answer(reader.buffer(), end, callback, &self.config)
                        }
                        Err(ReadError::WouldBlock) => {
                            return Err(ResumableError::Interrupted(self))
                        }
                        Err(ReadError::Fatal(e)) => {
                            if e.http_status().is_none() {
                                return Err(e.into());
                            }
                            (error_response(&e), Err(e))
                        }
                    };
                    self.state = State::Writing(HeadWriter::new(outcome.0), Box::new(outcome.1));
                }
                State::Writing(writer, _) => {
                    if !writer.write(&mut self.stream, self.deadline)? {
                        return Err(ResumableError::Interrupted(self));
                    }
                    let State::Writing(_, outcome) = self.state else {
                        unreachable!("state checked above")
                    };
                    let (leftover, request, extensions) = (*outcome)?;
                    let protocol =
                        engine(Role::Server, self.config.websocket, extensions, &leftover);
                    return Ok((self.stream, protocol, request));
                }
            }
        }
    }
}

impl<S: Read + Write + IoTimeouts, C: Callback> ServerHandshake<S, C> {
    /// Runs the handshake to its end on a blocking stream (a `TcpStream`),
    /// within the deadline: the stream's read and write timeouts are set to
    /// the time left before each step and restored afterwards, so a client
    /// that sends its request one byte per second cannot hold this thread
    /// past [`ServerConfig::handshake_timeout`].
    pub fn complete(self) -> Result<(WebSocket<S>, Request<()>), HandshakeError> {
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

/// After the answer is written: the leftover bytes, the request and the
/// negotiated extensions, or the error the answer reported.
type Outcome = Result<(Vec<u8>, Request<()>, ExtensionStack), HandshakeError>;
type Answer = (Vec<u8>, Outcome);

/// Builds the bytes to send back and what follows them.
fn answer<C: Callback>(
    buf: &[u8],
    end: usize,
    callback: Option<C>,
    config: &ServerConfig,
) -> Answer {
    let result = parse_request(&buf[..end], &config.limits).and_then(|request| {
        let answered = match callback {
            Some(cb) => accept_request(&request, None, config, cb),
            None => accept_request(&request, None, config, NoCallback),
        };
        answered.map(|(response, extensions)| (request, response, extensions))
    });
    match result {
        Ok((request, response, extensions)) => {
            let mut out = b"HTTP/1.1 101 Switching Protocols\r\n".to_vec();
            write_headers(&mut out, response.headers());
            (out, Ok((buf[end..].to_vec(), request, extensions)))
        }
        Err(e) => (serialize_error(&error_response_for(&e, false)), Err(e)),
    }
}

/// The server's answer to a WebSocket request already parsed into `http`
/// types, by this crate or by any HTTP server (hyper, h2): the response to
/// send and the extension stack it agreed to, or why the request is
/// refused ([`error_response_for`] builds that answer).
///
/// - HTTP/1.1 `GET` with `Upgrade: websocket` (RFC 6455 §4.2.1): a 101.
/// - HTTP/2 extended `CONNECT` (RFC 8441 §4-5), `request.version()` being
///   `HTTP_2` and `protocol` its `:protocol` (`http` types keep it outside
///   the headers; hyper hands it over as `hyper::ext::Protocol`): a 200.
///
/// In that order: the request is validated (400, 405, 426, 505), its
/// `Origin` checked against [`ServerConfig::origins`] (403), a subprotocol
/// picked from [`ServerConfig::subprotocols`], the extensions negotiated,
/// and then `callback` sees the request and the response. Whatever the
/// callback does, the status and the headers the protocol requires are
/// set again afterwards, and only the negotiation names extensions.
pub fn accept_request<C: Callback>(
    request: &Request<()>,
    protocol: Option<&str>,
    config: &ServerConfig,
    callback: C,
) -> Result<(Response<()>, ExtensionStack), HandshakeError> {
    let http2 = request.version() == http::Version::HTTP_2;
    let mut response = if http2 {
        build_connect_response(request, protocol, &config.subprotocols)?
    } else {
        if request.method() != http::Method::GET {
            return Err(HandshakeError::MethodNotAllowed(
                request.method().to_string(),
            ));
        }
        if request.version() != http::Version::HTTP_11 {
            return Err(HandshakeError::UnsupportedHttpVersion);
        }
        build_response(request, &config.subprotocols)?
    };
    check_origin(request, &config.origins)?;
    let offers = request
        .headers()
        .get_all(SEC_WEBSOCKET_EXTENSIONS)
        .iter()
        .map(|v| v.as_bytes());
    let (answer, extensions) =
        server_negotiate(&config.extensions, offers).map_err(HandshakeError::Extension)?;
    if let Some(answer) = answer {
        response.headers_mut().insert(
            SEC_WEBSOCKET_EXTENSIONS,
            HeaderValue::from_str(&answer).map_err(http::Error::from)?,
        );
    }
    let status = response.status();
    let required = required_headers(&response);
    let mut response = callback
        .on_request(request, response)
        .map_err(|rejection| HandshakeError::Rejected(Box::new(rejection)))?;
    *response.status_mut() = status;
    // Only the negotiation may name extensions: the stack is built for it.
    response.headers_mut().remove(SEC_WEBSOCKET_EXTENSIONS);
    for (name, value) in required {
        response.headers_mut().insert(name, value);
    }
    Ok((response, extensions))
}
