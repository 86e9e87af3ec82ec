//! The client side: build the upgrade request, validate the response (RFC 6455 §4.1).

use crate::deadline::{self, Deadline, IoTimeouts};
use crate::headers::{check_parsed, has_token, single, to_header_map, tokens};
use crate::machine::{HeadReader, HeadWriter, ReadError};
use crate::refusal::BodyReader;
use crate::{derive_accept_key, generate_key, Error, HandshakeError, HandshakeLimits};
use http::header::{
    HeaderValue, CONNECTION, HOST, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_EXTENSIONS,
    SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::{Request, Response, StatusCode, Uri};
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};
use ws_core::{Role, WebSocket, WebSocketConfig};
use ws_extensions::{client_confirm, client_offer, ExtensionFactory, ExtensionStack};

/// Anything a client handshake can start from: a URL (`&str`, `String`,
/// [`Uri`]) or a full [`Request`] with custom headers.
pub trait IntoClientRequest {
    /// Converts into a request; the handshake adds the headers it requires.
    fn into_client_request(self) -> Result<Request<()>, Error>;
}

impl IntoClientRequest for Request<()> {
    fn into_client_request(self) -> Result<Request<()>, Error> {
        Ok(self)
    }
}

impl IntoClientRequest for Uri {
    fn into_client_request(self) -> Result<Request<()>, Error> {
        Ok(Request::get(self).body(())?)
    }
}

impl IntoClientRequest for &Uri {
    fn into_client_request(self) -> Result<Request<()>, Error> {
        self.clone().into_client_request()
    }
}

impl IntoClientRequest for &str {
    fn into_client_request(self) -> Result<Request<()>, Error> {
        let uri: Uri = self
            .parse()
            .map_err(|_| Error::InvalidRequest("not a valid URL"))?;
        uri.into_client_request()
    }
}

impl IntoClientRequest for String {
    fn into_client_request(self) -> Result<Request<()>, Error> {
        self.as_str().into_client_request()
    }
}

impl IntoClientRequest for &String {
    fn into_client_request(self) -> Result<Request<()>, Error> {
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
    /// [`Error::Timeout`]. Default 10 s (as Python `websockets`); `None`: no limit.
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

    /// Adds an extension to offer, e.g. `ws_deflate::DeflateConfig::default()`.
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
    ) -> Result<Self, Error> {
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
    /// [`HandshakeError::Interrupted`] with itself; call again when ready.
    /// Called past its deadline it fails with [`Error::Timeout`].
    pub fn handshake(mut self) -> Result<(WebSocket<S>, Response<()>), HandshakeError<Self>> {
        // A refusal's body is read until the deadline at most; the refusal
        // is then reported with what came.
        if !matches!(self.state, State::Refused(..)) {
            Deadline::check(self.deadline)?;
        }
        loop {
            match &mut self.state {
                State::Writing(writer) => {
                    if !writer.write(&mut self.stream, self.deadline)? {
                        return Err(HandshakeError::Interrupted(self));
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
                            return Err(HandshakeError::Interrupted(self))
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
                    let leftover = reader.buffer()[end..].to_vec();
                    let ws = WebSocket::from_parts(
                        self.stream,
                        &leftover,
                        Role::Client,
                        self.config.websocket,
                        extensions,
                    );
                    return Ok((ws, response));
                }
                State::Refused(_, body) => {
                    if !body.read(&mut self.stream, self.deadline) {
                        return Err(HandshakeError::Interrupted(self));
                    }
                    let State::Refused(response, body) = self.state else {
                        unreachable!("matched above")
                    };
                    let (parts, ()) = response.into_parts();
                    let refusal = Response::from_parts(parts, Some(body.into_body()));
                    return Err(Error::UnexpectedStatus(Box::new(refusal)).into());
                }
            }
        }
    }
}

impl<S: Read + Write + IoTimeouts> ClientHandshake<S> {
    /// Runs the handshake to its end on a blocking stream (a `TcpStream`),
    /// within the deadline: the stream's read and write timeouts are set to
    /// the time left before each step and restored afterwards.
    pub fn complete(self) -> Result<(WebSocket<S>, Response<()>), Error> {
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

/// Adds the headers §4.1 requires to `request`, keeping the caller's others.
pub fn prepare_request(
    request: &mut Request<()>,
    key: &str,
    subprotocols: &[String],
) -> Result<(), Error> {
    let uri = request.uri().clone();
    match uri.scheme_str() {
        Some("ws" | "wss" | "http" | "https") => {}
        _ => return Err(Error::InvalidRequest("URL scheme must be ws or wss")),
    }
    let authority = uri
        .authority()
        .ok_or(Error::InvalidRequest("URL has no host"))?;
    let headers = request.headers_mut();
    if !headers.contains_key(HOST) {
        let host = authority.as_str().rsplit('@').next().unwrap_or_default();
        headers.insert(
            HOST,
            HeaderValue::from_str(host).map_err(http::Error::from)?,
        );
    }
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
    headers.insert(
        SEC_WEBSOCKET_KEY,
        HeaderValue::from_str(key).map_err(http::Error::from)?,
    );
    if !subprotocols.is_empty() {
        let list = subprotocols.join(", ");
        headers.append(
            SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_str(&list).map_err(http::Error::from)?,
        );
    }
    Ok(())
}

/// The request as bytes: `GET <path?query> HTTP/1.1`, then the headers.
fn serialize_request(request: &Request<()>) -> Result<Vec<u8>, Error> {
    let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"GET ");
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    write_headers(&mut out, request.headers());
    Ok(out)
}

pub(crate) fn write_headers(out: &mut Vec<u8>, headers: &http::HeaderMap) {
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// Parses a response head into an `http` response (no validation yet: see
/// [`validate_response`]).
pub fn parse_response(head: &[u8], limits: &HandshakeLimits) -> Result<Response<()>, Error> {
    let mut slots = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let mut parsed = httparse::Response::new(&mut slots);
    check_parsed(parsed.parse(head), limits)?;
    if parsed.version != Some(1) {
        return Err(Error::UnsupportedHttpVersion);
    }
    let status = StatusCode::from_u16(parsed.code.unwrap_or(0))
        .map_err(|_| Error::Parse(httparse::Error::Status))?;
    let mut response = Response::new(());
    *response.status_mut() = status;
    *response.version_mut() = http::Version::HTTP_11;
    *response.headers_mut() = to_header_map(parsed.headers)?;
    Ok(response)
}

/// Checks a response against §4.1's list (the client's items 1–6).
pub fn validate_response(
    response: &Response<()>,
    expected_accept: &str,
    offered_subprotocols: &[String],
) -> Result<(), Error> {
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        let mut copy = Response::new(None);
        *copy.status_mut() = response.status();
        *copy.headers_mut() = response.headers().clone();
        return Err(Error::UnexpectedStatus(Box::new(copy)));
    }
    let headers = response.headers();
    if !has_token(headers, &UPGRADE, "websocket") {
        return Err(Error::InvalidHeader {
            name: "Upgrade",
            reason: "must be \"websocket\"",
        });
    }
    if !has_token(headers, &CONNECTION, "upgrade") {
        return Err(Error::InvalidHeader {
            name: "Connection",
            reason: "must contain \"Upgrade\"",
        });
    }
    let accept = single(headers, &SEC_WEBSOCKET_ACCEPT)
        .map_err(|()| Error::InvalidHeader {
            name: "Sec-WebSocket-Accept",
            reason: "appears more than once",
        })?
        .ok_or(Error::MissingHeader("Sec-WebSocket-Accept"))?;
    if accept.as_bytes() != expected_accept.as_bytes() {
        return Err(Error::AcceptMismatch);
    }
    check_subprotocol(headers, offered_subprotocols)
}

/// At most one subprotocol chosen, and one that was offered.
fn check_subprotocol(
    headers: &http::HeaderMap,
    offered_subprotocols: &[String],
) -> Result<(), Error> {
    let mut chosen = tokens(headers, &SEC_WEBSOCKET_PROTOCOL);
    if let Some(protocol) = chosen.next() {
        if chosen.next().is_some() {
            return Err(Error::InvalidHeader {
                name: "Sec-WebSocket-Protocol",
                reason: "names more than one subprotocol",
            });
        }
        if !offered_subprotocols.iter().any(|p| p == protocol) {
            return Err(Error::UnexpectedSubprotocol(protocol.to_owned()));
        }
    }
    Ok(())
}

/// Turns a WebSocket request into its HTTP/2 form (RFC 8441 §4-5): method
/// `CONNECT`, version `HTTP/2`, the URL's scheme as `https` (`wss`) or
/// `http` (`ws`), `Sec-WebSocket-Version: 13`, the subprotocols and the
/// extension offers of `config`; the caller's other headers are kept. The
/// `:protocol` pseudo-header (`websocket`) is not a header in `http`'s
/// types: the HTTP/2 client adds it (`h2::ext::Protocol`). There is no
/// `Sec-WebSocket-Key` over HTTP/2, nor `Upgrade`, `Connection` or `Host`
/// (`:authority` says it). Returns the subprotocols offered, for
/// [`validate_connect_response`].
pub fn prepare_connect_request(
    request: &mut Request<()>,
    config: &ClientConfig,
) -> Result<Vec<String>, Error> {
    let uri = request.uri().clone();
    let scheme = match uri.scheme_str() {
        Some("wss" | "https") => "https",
        Some("ws" | "http") => "http",
        _ => return Err(Error::InvalidRequest("URL scheme must be ws or wss")),
    };
    let authority = uri
        .authority()
        .ok_or(Error::InvalidRequest("URL has no host"))?
        .clone();
    let path = uri
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| http::uri::PathAndQuery::from_static("/"));
    *request.uri_mut() = http::Uri::builder()
        .scheme(scheme)
        .authority(authority)
        .path_and_query(path)
        .build()?;
    *request.method_mut() = http::Method::CONNECT;
    *request.version_mut() = http::Version::HTTP_2;
    let headers = request.headers_mut();
    for name in [HOST, CONNECTION, UPGRADE, SEC_WEBSOCKET_KEY] {
        headers.remove(name);
    }
    headers.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
    if !config.subprotocols.is_empty() {
        let list = config.subprotocols.join(", ");
        headers.append(
            SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_str(&list).map_err(http::Error::from)?,
        );
    }
    if let Some(offer) = client_offer(&config.extensions) {
        headers.append(
            SEC_WEBSOCKET_EXTENSIONS,
            HeaderValue::from_str(&offer).map_err(http::Error::from)?,
        );
    }
    Ok(tokens(headers, &SEC_WEBSOCKET_PROTOCOL)
        .map(str::to_owned)
        .collect())
}

/// Checks the answer to an extended CONNECT (RFC 8441 §5): a 2xx status
/// (any other is [`Error::UnexpectedStatus`]) and at most one subprotocol,
/// one that was offered. [`confirm_extensions`] checks the extensions.
pub fn validate_connect_response(
    response: &Response<()>,
    offered_subprotocols: &[String],
) -> Result<(), Error> {
    if !response.status().is_success() {
        let mut copy = Response::new(None);
        *copy.status_mut() = response.status();
        *copy.headers_mut() = response.headers().clone();
        return Err(Error::UnexpectedStatus(Box::new(copy)));
    }
    check_subprotocol(response.headers(), offered_subprotocols)
}

/// Checks the server's `Sec-WebSocket-Extensions` against what was offered
/// and builds the negotiated stack (RFC 6455 §9.1, §4.1 item 5).
pub fn confirm_extensions(
    offered: &[Arc<dyn ExtensionFactory>],
    response: &Response<()>,
) -> Result<ExtensionStack, Error> {
    let lines = response
        .headers()
        .get_all(SEC_WEBSOCKET_EXTENSIONS)
        .iter()
        .map(|v| v.as_bytes());
    client_confirm(offered, lines).map_err(Error::Extension)
}
