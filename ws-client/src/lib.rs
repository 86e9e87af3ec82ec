//! A WebSocket client over TCP or any `Read + Write` stream.
//!
//! ```
//! use std::net::TcpListener;
//! use sockwell_client::{connect, Message};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // An echo server on a free loopback port, for the example (the server
//! // side of sockwell-handshake, which sockwell-server wraps).
//! use sockwell_handshake::{NoCallback, ServerConfig, ServerHandshake};
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let url = format!("ws://{}/echo", listener.local_addr()?);
//! std::thread::spawn(move || {
//!     let stream = listener.accept().unwrap().0;
//!     let handshake = ServerHandshake::new(stream, NoCallback, ServerConfig::default());
//!     let (mut ws, _) = handshake.complete().unwrap();
//!     while let Ok(message) = ws.read() {
//!         if message.is_data() && ws.send(message).is_err() {
//!             break;
//!         }
//!     }
//! });
//!
//! let (mut socket, response) = connect(url)?;
//! assert_eq!(response.status(), 101);
//! socket.send(Message::text("hello"))?;
//! assert_eq!(socket.read()?, Message::text("hello"));
//! socket.close(None)?;
//! while !socket.read()?.is_close() {} // the server's Close reply
//! # Ok(())
//! # }
//! ```
//!
//! # The map
//!
//! - [`connect`] (and, feature `tokio`, `connect_async`): connect over TCP
//!   to a `ws://` or `wss://` URL with the default settings and run the
//!   handshake, within [`ClientConfig::handshake_timeout`].
//! - [`ClientBuilder`]: everything else about connecting, by name: the
//!   settings, the TLS backend, then `connect` (sync), `connect_async`
//!   (tokio), `connect_on` / `connect_async_on` (a stream you connected,
//!   TLS included), `connect_h2` (HTTP/2). Errors are [`ConnectError`]s.
//! - [`client`], [`client_with_config`] (and, feature `tokio`,
//!   `client_async`, `client_async_with_config`): the handshake alone over
//!   a stream you already have (a Unix socket, a proxy tunnel, an
//!   in-memory pipe), errors are [`HandshakeError`]s; the sync ones resume
//!   on a non-blocking stream ([`ResumableError::Interrupted`]).
//! - The async forms return a [`WebSocketStream`] ([`WsReader`],
//!   [`WsWriter`] when split).
//! - [`tls`]: `wss://` with the `rustls` or `native-tls` feature; a
//!   [`Connector`] brings your own TLS configuration; [`MaybeTlsStream`]
//!   (and `AsyncMaybeTlsStream`) is the stream either way.
//! - [`h2`] (feature `h2`): several WebSockets over one HTTP/2 connection
//!   (RFC 8441).
//! - [`ConnectError`] (why connecting failed: URL, TCP, TLS, handshake), [`Response`].
//! - Re-exported: [`ClientConfig`], [`DeflateConfig`], [`Message`],
//!   [`PreparedMessage`], [`WebSocket`], [`WebSocketConfig`], [`CloseCode`],
//!   [`CloseFrame`], [`WsError`] (errors of an open connection),
//!   [`HandshakeError`] (why the handshake failed), [`ClientHandshake`],
//!   [`IntoClientRequest`], [`http`], [`sockwell_extensions`].
//!
//! # Settings
//!
//! Compression is off by default; one line turns it on (the guide,
//! `docs/compression.md`, says what each setting costs):
//!
//! ```no_run
//! use sockwell_client::{ClientBuilder, ClientConfig, DeflateConfig};
//!
//! let config = ClientConfig::default().with_extension(DeflateConfig::default());
//! let (socket, response) = ClientBuilder::new("ws://127.0.0.1:9001")
//!     .config(config)
//!     .connect()
//!     .unwrap();
//! // What the server agreed to, as its Sec-WebSocket-Extensions answer said:
//! for agreed in socket.protocol().extensions().negotiated() {
//!     println!("{agreed}");
//! }
//! ```
//!
//! Anything that converts into a request works as the first argument:
//! `&str`, [`http::Uri`], or an [`http::Request`] with your own headers,
//! which are sent beside the ones the handshake requires.
//!
//! Guides in the repository's `docs/`: `compression.md`, `extensions.md`,
//! `non-blocking.md`, `limits.md` (their examples are compiled and run as
//! this crate's doc tests) and `migrating-from-tungstenite.md`.

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "tokio")]
use deadline::within;
use deadline::{time_left, Deadline};
use std::io::{Read, Write};
use std::net::TcpStream;

mod builder;
mod deadline;
#[cfg(feature = "h2")]
pub mod h2;
pub mod tls;
#[cfg(feature = "tokio")]
mod tls_tokio;

pub use builder::ClientBuilder;
pub use sockwell_core::{
    Bytes, CloseCode, CloseFrame, CloseState, Keepalive, Limits, Message, PreparedMessage,
    Protocol, ProtocolError, Role, Utf8Bytes, WebSocket, WebSocketConfig, WsError,
};
pub use sockwell_deflate::DeflateConfig;
pub use sockwell_handshake::http;
pub use sockwell_handshake::sockwell_extensions;
/// Why the opening handshake failed: the source of [`ConnectError::Handshake`].
pub use sockwell_handshake::HandshakeError;
pub use sockwell_handshake::{
    ClientConfig, ClientHandshake, HandshakeLimits, IntoClientRequest, ResumableError,
};
#[cfg(feature = "tokio")]
pub use sockwell_tokio::{
    client_async, client_async_with_config, WebSocketStream, WsReader, WsWriter,
};
pub use tls::{Connector, MaybeTlsStream};
#[cfg(feature = "tokio")]
pub use tls_tokio::AsyncMaybeTlsStream;

/// The response to the upgrade request.
pub type Response = http::Response<()>;

/// Why [`connect`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL is not one this client can connect to.
    #[error("cannot connect to this URL: {0}")]
    Url(&'static str),
    /// No address of the host accepted a TCP connection.
    #[error("TCP connection to {host} failed")]
    Connect {
        /// `host:port`.
        host: String,
        /// The last address's error.
        #[source]
        source: std::io::Error,
    },
    /// The TLS handshake failed: a certificate that did not verify, a name
    /// the certificate does not carry, an alert from the server. Where the
    /// cause has a usual fix, the message says it (see
    /// [`ConnectError::is_ca_used_as_end_entity`]).
    #[error("TLS handshake with {host} failed{}", tls::hint(.source.as_ref()))]
    Tls {
        /// The host the certificate was checked against.
        host: String,
        /// The TLS library's error (`rustls::Error`, `native_tls::Error`;
        /// downcast to inspect it), or the I/O error that cut the
        /// handshake short.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The opening handshake failed.
    #[error("WebSocket handshake failed")]
    Handshake(#[source] HandshakeError),
    /// The HTTP/2 connection or the stream of a WebSocket on it failed.
    #[cfg(feature = "h2")]
    #[error("HTTP/2 failed")]
    Http2(#[source] ::h2::Error),
    /// The server's HTTP/2 settings do not allow WebSockets: it did not
    /// send `SETTINGS_ENABLE_CONNECT_PROTOCOL` (RFC 8441 §3).
    #[cfg(feature = "h2")]
    #[error(
        "the server does not accept WebSockets over HTTP/2 (no SETTINGS_ENABLE_CONNECT_PROTOCOL)"
    )]
    ExtendedConnectDisabled,
    /// h2 refused the server's answer to a WebSocket's extended `CONNECT`
    /// and said only that it broke HTTP/2's rules: a header list larger
    /// than [`HandshakeLimits::max_head_size`] (our
    /// `SETTINGS_MAX_HEADER_LIST_SIZE`), or a malformed answer.
    #[cfg(feature = "h2")]
    #[error(
        "HTTP/2 refused the answer to the WebSocket CONNECT: \
         a header list over {max_head_size} bytes, or malformed"
    )]
    Http2AnswerRefused {
        /// [`HandshakeLimits::max_head_size`], the cap the answer met.
        max_head_size: usize,
        /// h2's stream or connection error.
        #[source]
        source: ::h2::Error,
    },
    /// TLS was agreed without ALPN `h2`: the server does not speak HTTP/2
    /// on this port.
    #[cfg(feature = "h2")]
    #[error("the server did not agree to HTTP/2 (ALPN h2)")]
    NoHttp2,
}

impl ConnectError {
    /// Whether rustls refused the server's certificate because it is a CA
    /// certificate (`basicConstraints` CA:TRUE) presented as the server's
    /// own: what `openssl req -x509` makes unless told otherwise. rustls
    /// (webpki) accepts only a leaf certificate there, which OpenSSL does
    /// not insist on. The fixes: give the server a leaf certificate signed
    /// by a CA and trust that CA (the roots of your `rustls::ClientConfig`),
    /// or connect with the `native-tls` feature.
    pub fn is_ca_used_as_end_entity(&self) -> bool {
        match self {
            ConnectError::Tls { source, .. } => tls::is_ca_used_as_end_entity(source.as_ref()),
            _ => false,
        }
    }
}

/// Connects over TCP to a `ws://` or `wss://` URL (or request) and runs
/// the handshake; `wss://` needs the `rustls` or the `native-tls` feature
/// (see [`tls`]).
pub fn connect(
    request: impl IntoClientRequest,
) -> Result<(WebSocket<MaybeTlsStream<TcpStream>>, Response), ConnectError> {
    connect_tcp(request, ClientConfig::default(), None)
}

/// Where a request goes: host, port, and whether TLS is on.
fn target(request: &http::Request<()>) -> Result<(&str, u16, bool), ConnectError> {
    let uri = request.uri();
    let (port, tls) = match uri.scheme_str() {
        Some("ws") => (uri.port_u16().unwrap_or(80), false),
        Some("wss") => (uri.port_u16().unwrap_or(443), true),
        _ => return Err(ConnectError::Url("scheme must be ws:// or wss://")),
    };
    let host = uri.host().ok_or(ConnectError::Url("no host"))?;
    Ok((
        host.trim_start_matches('[').trim_end_matches(']'),
        port,
        tls,
    ))
}

/// [`ClientBuilder::connect`]: [`ClientConfig::handshake_timeout`] bounds
/// the name lookup, the TCP connect (all of the host's addresses
/// together), the TLS handshake and the WebSocket handshake together.
fn connect_tcp(
    request: impl IntoClientRequest,
    mut config: ClientConfig,
    connector: Option<Connector>,
) -> Result<(WebSocket<MaybeTlsStream<TcpStream>>, Response), ConnectError> {
    let deadline = Deadline::from_now(config.handshake_timeout);
    let request = request
        .into_client_request()
        .map_err(ConnectError::Handshake)?;
    let (host, port, tls) = target(&request)?;
    let connector = Connector::for_url(host, tls, connector)?;
    let stream = deadline::tcp_connect(host, port, deadline)?;
    // Small frames are the common case; don't let Nagle hold them back.
    let _ = stream.set_nodelay(true);
    let stream = tls::wrap_tcp(stream, host, connector, deadline)?;
    // What is left; the handshake checks it before every read and write.
    config.handshake_timeout = time_left(deadline)?;
    ClientHandshake::new(stream, request, config)
        .and_then(ClientHandshake::complete)
        .map_err(|e| handshake_error(e, deadline))
}

/// A failed WebSocket handshake; its timeout names the whole connect's
/// limit, not the part of it that was left for the handshake.
fn handshake_error(e: HandshakeError, deadline: Option<Deadline>) -> ConnectError {
    match (e, deadline) {
        (HandshakeError::Timeout(_), Some(deadline)) => deadline.expired(),
        (e, _) => ConnectError::Handshake(e),
    }
}

/// Runs the client handshake over `stream`. On a non-blocking stream it may
/// return [`ResumableError::Interrupted`]; call `handshake()` on it again.
pub fn client<S: Read + Write>(
    request: impl IntoClientRequest,
    stream: S,
) -> Result<(WebSocket<S>, Response), ResumableError<ClientHandshake<S>>> {
    client_with_config(request, stream, ClientConfig::default())
}

/// [`client`] with settings.
pub fn client_with_config<S: Read + Write>(
    request: impl IntoClientRequest,
    stream: S,
    config: ClientConfig,
) -> Result<(WebSocket<S>, Response), ResumableError<ClientHandshake<S>>> {
    ClientHandshake::new(stream, request, config)?.handshake()
}

/// [`ClientBuilder::connect_on`]: TLS, then the handshake, on a blocking
/// stream.
fn tls_client<S: Read + Write>(
    request: impl IntoClientRequest,
    stream: S,
    config: ClientConfig,
    connector: Option<Connector>,
) -> Result<(WebSocket<MaybeTlsStream<S>>, Response), ConnectError> {
    let request = request
        .into_client_request()
        .map_err(ConnectError::Handshake)?;
    let (host, _, tls) = target(&request)?;
    let connector = Connector::for_url(host, tls, connector)?;
    let stream = tls::wrap_stream(stream, host, connector)?;
    let handshake =
        ClientHandshake::new(stream, request, config).map_err(ConnectError::Handshake)?;
    match handshake.handshake() {
        Ok(done) => Ok(done),
        Err(ResumableError::Failure(e)) => Err(ConnectError::Handshake(e)),
        Err(ResumableError::Interrupted(_)) => Err(ConnectError::Handshake(
            sockwell_handshake::HandshakeError::Io(std::io::ErrorKind::WouldBlock.into()),
        )),
    }
}

/// Connects over tokio TCP to a `ws://` or `wss://` URL (or request) and
/// runs the handshake, within [`ClientConfig::handshake_timeout`]; `wss://`
/// needs the `rustls` or the `native-tls` feature (see [`tls`]).
#[cfg(feature = "tokio")]
pub async fn connect_async(
    request: impl IntoClientRequest,
) -> Result<
    (
        WebSocketStream<AsyncMaybeTlsStream<tokio::net::TcpStream>>,
        Response,
    ),
    ConnectError,
> {
    connect_tcp_async(request, ClientConfig::default(), None).await
}

/// [`ClientBuilder::connect_async`]: TCP, TLS and the handshake within
/// [`ClientConfig::handshake_timeout`].
#[cfg(feature = "tokio")]
async fn connect_tcp_async(
    request: impl IntoClientRequest,
    mut config: ClientConfig,
    connector: Option<Connector>,
) -> Result<
    (
        WebSocketStream<AsyncMaybeTlsStream<tokio::net::TcpStream>>,
        Response,
    ),
    ConnectError,
> {
    let deadline = Deadline::from_now(config.handshake_timeout);
    let request = request
        .into_client_request()
        .map_err(ConnectError::Handshake)?;
    let (host, port, tls) = target(&request)?;
    let connector = Connector::for_url_async(host, tls, connector)?;
    let connecting = async {
        // The lookup and every address's attempt, under the one deadline.
        let stream = tokio::net::TcpStream::connect((host, port))
            .await
            .map_err(|source| ConnectError::Connect {
                host: format!("{host}:{port}"),
                source,
            })?;
        let _ = stream.set_nodelay(true);
        tls_tokio::wrap_stream(stream, host, connector).await
    };
    let stream = within(deadline, connecting).await?;
    config.handshake_timeout = time_left(deadline)?;
    sockwell_tokio::client_async_with_config(request, stream, config)
        .await
        .map_err(|e| handshake_error(e, deadline))
}

/// [`ClientBuilder::connect_async_on`]: TLS, then the handshake, on an
/// async stream, within [`ClientConfig::handshake_timeout`].
#[cfg(feature = "tokio")]
async fn tls_client_async<S>(
    request: impl IntoClientRequest,
    stream: S,
    mut config: ClientConfig,
    connector: Option<Connector>,
) -> Result<(WebSocketStream<AsyncMaybeTlsStream<S>>, Response), ConnectError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let deadline = Deadline::from_now(config.handshake_timeout);
    let request = request
        .into_client_request()
        .map_err(ConnectError::Handshake)?;
    let (host, _, tls) = target(&request)?;
    let connector = Connector::for_url_async(host, tls, connector)?;
    let stream = within(deadline, tls_tokio::wrap_stream(stream, host, connector)).await?;
    config.handshake_timeout = time_left(deadline)?;
    sockwell_tokio::client_async_with_config(request, stream, config)
        .await
        .map_err(|e| handshake_error(e, deadline))
}
