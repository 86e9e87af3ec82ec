//! [`ClientBuilder`]: every way of connecting, from one place.

use crate::tls::{Connector, MaybeTlsStream};
use crate::{ClientConfig, ConnectError, IntoClientRequest, Response, WebSocket};
use std::io::{Read, Write};
use std::net::TcpStream;

#[cfg(feature = "tokio")]
use crate::{AsyncMaybeTlsStream, WebSocketStream};

/// A client connection to be made: the request (a `ws://` / `wss://` URL
/// or an [`http::Request`](crate::http::Request)), its settings, and for
/// `wss://` the TLS backend; then one call picks the driver and the
/// transport.
///
/// | call | driver | transport |
/// |---|---|---|
/// | [`connect`](Self::connect) | sync [`WebSocket`] | TCP (+ TLS for `wss://`) |
/// | [`connect_on`](Self::connect_on) | sync | a blocking stream you connected (+ TLS) |
/// | [`connect_async`](Self::connect_async) (feature `tokio`) | [`WebSocketStream`] | tokio TCP (+ TLS) |
/// | [`connect_async_on`](Self::connect_async_on) (feature `tokio`) | async | an async stream you connected (+ TLS) |
/// | [`connect_h2`](Self::connect_h2) (feature `h2`) | async | a new HTTP/2 connection (RFC 8441) |
///
/// [`ClientConfig::handshake_timeout`] bounds each call as a whole: name
/// lookup, TCP, TLS, HTTP/2 and the WebSocket handshake together (the
/// `_on` forms: what they do, on a blocking stream also limited by its own
/// timeouts). Errors are [`ConnectError`]s. For the handshake alone over a
/// stream, resumable on `WouldBlock`, see [`client`](crate::client).
///
/// ```no_run
/// use sockwell_client::{ClientBuilder, ClientConfig, DeflateConfig, Message};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let config = ClientConfig::default().with_extension(DeflateConfig::default());
/// let (mut ws, _response) = ClientBuilder::new("ws://127.0.0.1:9001/")
///     .config(config)
///     .connect()?;
/// ws.send(Message::text("hello"))?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[must_use = "a builder does nothing until one of its connect calls"]
pub struct ClientBuilder<R> {
    request: R,
    config: ClientConfig,
    connector: Option<Connector>,
}

impl<R: IntoClientRequest> ClientBuilder<R> {
    /// A connection to `request` with the default settings and, for
    /// `wss://`, the default TLS of the feature that is on (`rustls` with
    /// the Mozilla roots, else `native-tls` with the system's).
    pub fn new(request: R) -> Self {
        ClientBuilder {
            request,
            config: ClientConfig::default(),
            connector: None,
        }
    }

    /// The settings: extensions (compression), subprotocols, limits,
    /// timeouts, the engine's [`WebSocketConfig`](crate::WebSocketConfig).
    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }

    /// The TLS backend and its configuration for `wss://` (your own
    /// `rustls::ClientConfig` or `native_tls::TlsConnector`, or
    /// [`Connector::Plain`] to refuse TLS); `None` keeps the default.
    pub fn connector(mut self, connector: impl Into<Option<Connector>>) -> Self {
        self.connector = connector.into();
        self
    }

    /// Connects over TCP and runs TLS (for `wss://`) and the handshake.
    pub fn connect(self) -> Result<(WebSocket<MaybeTlsStream<TcpStream>>, Response), ConnectError> {
        crate::connect_tcp(self.request, self.config, self.connector)
    }

    /// Runs TLS (for `wss://`) and the handshake over a blocking `stream`
    /// you connected yourself (through a proxy, say). Bounded in time only
    /// by the stream's own timeouts: set them first. For a non-blocking
    /// stream, set up TLS yourself and call [`client`](crate::client).
    pub fn connect_on<S: Read + Write>(
        self,
        stream: S,
    ) -> Result<(WebSocket<MaybeTlsStream<S>>, Response), ConnectError> {
        crate::tls_client(self.request, stream, self.config, self.connector)
    }

    /// Connects over tokio TCP and runs TLS (for `wss://`) and the
    /// handshake. A server that refuses the upgrade and holds its answer's
    /// body open is reported as the refusal (with the body that came), at
    /// the deadline.
    #[cfg(feature = "tokio")]
    pub async fn connect_async(
        self,
    ) -> Result<
        (
            WebSocketStream<AsyncMaybeTlsStream<tokio::net::TcpStream>>,
            Response,
        ),
        ConnectError,
    > {
        crate::connect_tcp_async(self.request, self.config, self.connector).await
    }

    /// Runs TLS (for `wss://`) and the handshake over an async `stream`
    /// you connected yourself.
    #[cfg(feature = "tokio")]
    pub async fn connect_async_on<S>(
        self,
        stream: S,
    ) -> Result<(WebSocketStream<AsyncMaybeTlsStream<S>>, Response), ConnectError>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        crate::tls_client_async(self.request, stream, self.config, self.connector).await
    }

    /// Opens a new HTTP/2 connection to the host (TLS with ALPN `h2` for
    /// `wss://`, cleartext prior knowledge for `ws://`) and one WebSocket
    /// on it (RFC 8441 extended `CONNECT`). Keep the
    /// [`H2Connection`](crate::h2::H2Connection) (the first item) to open
    /// more on the same connection.
    #[cfg(feature = "h2")]
    pub async fn connect_h2(
        self,
    ) -> Result<
        (
            crate::h2::H2Connection,
            WebSocketStream<crate::h2::H2Stream>,
            Response,
        ),
        ConnectError,
    > {
        crate::h2::connect_h2(self.request, self.config, self.connector).await
    }
}
