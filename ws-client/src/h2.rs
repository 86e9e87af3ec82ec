//! WebSockets over HTTP/2 (feature `h2`, RFC 8441): each WebSocket is one
//! stream of an HTTP/2 connection, opened by an extended `CONNECT`, and
//! several share the connection.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use sockwell_client::h2::H2Connection;
//! use sockwell_client::{ClientConfig, DeflateConfig, Message};
//!
//! // wss:// negotiates h2 by ALPN (needs a TLS feature); ws:// speaks
//! // HTTP/2 at once ("prior knowledge").
//! let connection = H2Connection::connect("wss://example.com", None).await?;
//! let config = ClientConfig::default().with_extension(DeflateConfig::default());
//! let (mut chat, _) = connection.open("wss://example.com/chat", config.clone()).await?;
//! let (mut feed, _) = connection.open("wss://example.com/feed", config).await?;
//! chat.send(Message::text("hello")).await?;
//! println!("{:?} {:?}", chat.read().await?, feed.read().await?);
//! # Ok(())
//! # }
//! ```
//!
//! The WebSocket itself is unchanged (RFC 8441 §5): the same frames, masked
//! by the client, over a [`H2Stream`] instead of a TCP connection.
//! Before any `CONNECT`, the client waits for the server's settings (a
//! PING round trip: the server's SETTINGS frame comes first) and refuses
//! with [`ConnectError::ExtendedConnectDisabled`] unless the server sent
//! `SETTINGS_ENABLE_CONNECT_PROTOCOL` (RFC 8441 §3).
//!
//! What a server can make the client hold is bounded as over HTTP/1.1:
//! server push is off and the server may start no stream (RFC 9113 §6.5.2
//! `SETTINGS_ENABLE_PUSH` 0, `SETTINGS_MAX_CONCURRENT_STREAMS` 0), a
//! response's header list is capped by [`HandshakeLimits::max_head_size`]
//! (`SETTINGS_MAX_HEADER_LIST_SIZE`) and its fields by
//! [`HandshakeLimits::max_headers`], and every wait of the setup is within
//! [`ClientConfig::handshake_timeout`].
//!
//! [`HandshakeLimits::max_head_size`]: crate::HandshakeLimits::max_head_size
//! [`HandshakeLimits::max_headers`]: crate::HandshakeLimits::max_headers

mod stream;

pub use stream::H2Stream;

use crate::deadline::{within, Deadline};
use crate::tls::Connector;
use crate::{http, target, ConnectError, Response};
use bytes::Bytes;
use h2::client::SendRequest;
use h2::Ping;
use sockwell_core::{Protocol, Role};
use sockwell_handshake::{
    confirm_extensions, prepare_connect_request, validate_connect_response, ClientConfig,
    HandshakeLimits, IntoClientRequest,
};
use sockwell_tokio::WebSocketStream;
use std::fmt;
use tokio::io::{AsyncRead, AsyncWrite};

/// How much each WebSocket may receive before it reads (HTTP/2 flow control).
const STREAM_WINDOW: u32 = 1 << 20;
/// How much all the WebSockets of a connection may receive before they read.
const CONNECTION_WINDOW: u32 = 2 << 20;

/// An HTTP/2 connection that carries WebSockets. Cheap to clone: clones
/// share the connection, which a task of its own drives until every clone
/// and every WebSocket on it is gone.
#[derive(Clone)]
pub struct H2Connection {
    send: SendRequest<Bytes>,
}

impl fmt::Debug for H2Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("H2Connection").finish_non_exhaustive()
    }
}

impl H2Connection {
    /// Connects to the host of a `ws://` or `wss://` URL and starts HTTP/2:
    /// over TLS with ALPN `h2` for `wss://` (with `connector`, or the
    /// default of the TLS feature that is on), in cleartext with prior
    /// knowledge for `ws://`. [`ClientConfig::default`]'s handshake timeout
    /// (10 s) and limits apply: see [`connect_with_config`](Self::connect_with_config).
    pub async fn connect(url: &str, connector: Option<Connector>) -> Result<Self, ConnectError> {
        Self::connect_with_config(url, &ClientConfig::default(), connector).await
    }

    /// [`connect`](Self::connect) with settings: the TCP connect, the TLS
    /// handshake, the HTTP/2 handshake and the wait for the server's
    /// settings together are bounded by `config`'s
    /// [`handshake_timeout`](ClientConfig::handshake_timeout), and the
    /// header list of every answer on this connection by its
    /// [`limits`](ClientConfig::limits)' `max_head_size`.
    pub async fn connect_with_config(
        url: &str,
        config: &ClientConfig,
        connector: Option<Connector>,
    ) -> Result<Self, ConnectError> {
        within(
            Deadline::from_now(config.handshake_timeout),
            Self::connect_unbounded(url, &config.limits, connector),
        )
        .await
    }

    /// [`connect_with_config`](Self::connect_with_config) without its time limit.
    async fn connect_unbounded(
        url: &str,
        limits: &HandshakeLimits,
        connector: Option<Connector>,
    ) -> Result<Self, ConnectError> {
        let request = url.into_client_request().map_err(ConnectError::Handshake)?;
        let (host, port, tls) = target(&request)?;
        // native-tls asks for ALPN only when told to when it is built.
        // The async default (Connector::for_url_async): native-tls unless
        // tokio-rustls is on.
        #[cfg(all(feature = "tokio-native-tls", not(feature = "tokio-rustls")))]
        let connector = match connector {
            None if tls => Some(Connector::NativeTls(
                native_tls::TlsConnector::builder()
                    .request_alpns(&["h2"])
                    // As over HTTP/1.1: nothing older than TLS 1.2 (RFC 8996).
                    .min_protocol_version(Some(native_tls::Protocol::Tlsv12))
                    .build()
                    .map_err(|e| crate::tls::tls_error(host, Box::new(e)))?,
            )),
            given => given,
        };
        let connector = Connector::for_url_async(host, tls, connector)?;
        let tcp = tokio::net::TcpStream::connect((host, port))
            .await
            .map_err(|source| ConnectError::Connect {
                host: format!("{host}:{port}"),
                source,
            })?;
        let _ = tcp.set_nodelay(true);
        match connector {
            Connector::Plain => Self::handshake_unbounded(tcp, limits).await,
            #[cfg(feature = "tokio-rustls")]
            Connector::Rustls(config) => {
                let mut config = (*config).clone();
                config.alpn_protocols = vec![b"h2".to_vec()];
                let name = crate::tls::server_name(host)?;
                let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
                    .connect(name, tcp)
                    .await
                    .map_err(|e| crate::tls::handshake_io_error(host, e, None))?;
                if tls.get_ref().1.alpn_protocol() != Some(b"h2") {
                    return Err(ConnectError::NoHttp2);
                }
                Self::handshake_unbounded(tls, limits).await
            }
            #[cfg(feature = "tokio-native-tls")]
            Connector::NativeTls(connector) => {
                let tls = tokio_native_tls::TlsConnector::from(connector)
                    .connect(host, tcp)
                    .await
                    .map_err(|e| crate::tls::tls_error(host, Box::new(e)))?;
                match tls.get_ref().negotiated_alpn() {
                    Ok(Some(alpn)) if alpn == b"h2" => {}
                    _ => return Err(ConnectError::NoHttp2),
                }
                Self::handshake_unbounded(tls, limits).await
            }
            #[cfg(all(feature = "rustls", not(feature = "tokio-rustls")))]
            Connector::Rustls(_) => Err(ConnectError::Url(crate::tls_tokio::NO_ASYNC_RUSTLS)),
            #[cfg(all(feature = "native-tls", not(feature = "tokio-native-tls")))]
            Connector::NativeTls(_) => {
                Err(ConnectError::Url(crate::tls_tokio::NO_ASYNC_NATIVE_TLS))
            }
        }
    }

    /// Starts HTTP/2 over a stream you connected yourself (TLS already
    /// agreed on `h2`, or cleartext prior knowledge), and waits for the
    /// server's settings: fails with [`ConnectError::ExtendedConnectDisabled`] if
    /// they do not allow WebSockets. Needs a tokio runtime (the connection
    /// runs in a task of its own). Flow control lets the server send 1 MiB
    /// per WebSocket and 2 MiB per connection ahead of our reads: the most
    /// it can make us buffer. [`ClientConfig::default`]'s handshake timeout
    /// (10 s) and limits apply: see
    /// [`handshake_with_config`](Self::handshake_with_config).
    pub async fn handshake<S>(io: S) -> Result<Self, ConnectError>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        Self::handshake_with_config(io, &ClientConfig::default()).await
    }

    /// [`handshake`](Self::handshake) with settings: the HTTP/2 handshake
    /// and the wait for the server's settings are bounded by `config`'s
    /// [`handshake_timeout`](ClientConfig::handshake_timeout), and the
    /// header list of every answer on this connection by its
    /// [`limits`](ClientConfig::limits)' `max_head_size`.
    pub async fn handshake_with_config<S>(
        io: S,
        config: &ClientConfig,
    ) -> Result<Self, ConnectError>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        within(
            Deadline::from_now(config.handshake_timeout),
            Self::handshake_unbounded(io, &config.limits),
        )
        .await
    }

    /// [`handshake_with_config`](Self::handshake_with_config) without its
    /// time limit.
    async fn handshake_unbounded<S>(io: S, limits: &HandshakeLimits) -> Result<Self, ConnectError>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        // h2's defaults would let the server push streams we never read
        // (each held until the connection ends) and send 16 MiB header
        // lists; a WebSocket client needs neither. Push off answers a
        // PUSH_PROMISE with a connection error (RFC 9113 §8.4); no
        // concurrent streams refuses any stream the server starts
        // (§5.1.2). The header list cap also bounds what h2 buffers to
        // decode one (HEADERS and CONTINUATION frames).
        let max_header_list = u32::try_from(limits.max_head_size).unwrap_or(u32::MAX);
        let (send, mut connection) = h2::client::Builder::new()
            .enable_push(false)
            .max_concurrent_streams(0)
            .max_header_list_size(max_header_list)
            // Flow control bounds what the server can make us buffer: 1 MiB
            // per WebSocket, 2 MiB for the connection (HTTP/2's 64 KiB
            // defaults would cost a round trip per 64 KiB of a large message).
            .initial_window_size(STREAM_WINDOW)
            .initial_connection_window_size(CONNECTION_WINDOW)
            .handshake(io)
            .await
            .map_err(ConnectError::Http2)?;
        let mut ping_pong = connection
            .ping_pong()
            .expect("a new connection's ping_pong is there to take");
        tokio::spawn(async move {
            // Errors reach the streams and the requests on it.
            let _ = connection.await;
        });
        // The server's first frame is its SETTINGS (RFC 9113 §3.4): once
        // our PING comes back, they are known.
        ping_pong
            .ping(Ping::opaque())
            .await
            .map_err(ConnectError::Http2)?;
        if !send.is_extended_connect_protocol_enabled() {
            return Err(ConnectError::ExtendedConnectDisabled);
        }
        Ok(H2Connection { send })
    }

    /// Opens a WebSocket on this connection: an extended `CONNECT` to the
    /// request's path, with the subprotocols and extension offers of
    /// `config` (its limits and keepalive apply to the WebSocket, its
    /// handshake limits to the answer), within
    /// [`ClientConfig::handshake_timeout`]. The URL's scheme and host go
    /// into `:scheme` and `:authority` (without `user:password@`, which
    /// RFC 9113 §8.3.1 forbids there); your other headers are sent too.
    pub async fn open(
        &self,
        request: impl IntoClientRequest,
        config: ClientConfig,
    ) -> Result<(WebSocketStream<H2Stream>, Response), ConnectError> {
        let request = request
            .into_client_request()
            .map_err(ConnectError::Handshake)?;
        within(
            Deadline::from_now(config.handshake_timeout),
            self.open_unbounded(request, config),
        )
        .await
    }

    /// [`open`](Self::open) without its time limit.
    async fn open_unbounded(
        &self,
        mut request: http::Request<()>,
        config: ClientConfig,
    ) -> Result<(WebSocketStream<H2Stream>, Response), ConnectError> {
        let offered =
            prepare_connect_request(&mut request, &config).map_err(ConnectError::Handshake)?;
        request
            .extensions_mut()
            .insert(h2::ext::Protocol::from_static("websocket"));
        let mut send = self
            .send
            .clone()
            .ready()
            .await
            .map_err(ConnectError::Http2)?;
        let (response, send_stream) = send
            .send_request(request, false)
            .map_err(ConnectError::Http2)?;
        let response = response
            .await
            .map_err(|e| answer_error(e, &config.limits))?;
        let (parts, recv) = response.into_parts();
        let response = Response::from_parts(parts, ());
        check_head(&response, &config.limits).map_err(ConnectError::Handshake)?;
        validate_connect_response(&response, &offered).map_err(ConnectError::Handshake)?;
        let extensions =
            confirm_extensions(&config.extensions, &response).map_err(ConnectError::Handshake)?;
        let engine = Protocol::new(Role::Client, config.websocket).with_extensions(extensions);
        let stream = H2Stream::new(send_stream, recv);
        Ok((WebSocketStream::from_protocol(stream, engine), response))
    }
}

/// The error for an answer to our `CONNECT` that h2 did not deliver.
fn answer_error(e: h2::Error, limits: &HandshakeLimits) -> ConnectError {
    // Past SETTINGS_MAX_HEADER_LIST_SIZE, h2 resets the stream with
    // PROTOCOL_ERROR or, when the header block goes on past what it will
    // buffer, ends the connection (COMPRESSION_ERROR, or ENHANCE_YOUR_CALM
    // for too many CONTINUATION frames). h2 does not say which of its
    // checks failed, so the error names both possibilities.
    let refused = e.is_library()
        && matches!(
            e.reason(),
            Some(h2::Reason::PROTOCOL_ERROR)
                | Some(h2::Reason::COMPRESSION_ERROR)
                | Some(h2::Reason::ENHANCE_YOUR_CALM)
        );
    if refused {
        ConnectError::Http2AnswerRefused {
            max_head_size: limits.max_head_size,
            source: e,
        }
    } else {
        ConnectError::Http2(e)
    }
}

/// Applies the HTTP/1.1 head limits to an HTTP/2 answer: its fields (the
/// `:status` pseudo-header among them) at most `max_headers`, its header
/// list at most `max_head_size` counted as RFC 9113 §6.5.2 counts it (h2
/// enforces this one already, from SETTINGS_MAX_HEADER_LIST_SIZE; checked
/// again so that the limit holds whatever h2 does).
fn check_head(
    response: &Response,
    limits: &HandshakeLimits,
) -> Result<(), sockwell_handshake::HandshakeError> {
    let fields = response.headers().len() + 1;
    if fields > limits.max_headers {
        return Err(sockwell_handshake::HandshakeError::TooManyHeaders {
            max: limits.max_headers,
        });
    }
    // ":status" + 3 digits + 32 octets of overhead per field.
    let size = response
        .headers()
        .iter()
        .fold(":status".len() + 3 + 32, |sum, (name, value)| {
            sum.saturating_add(name.as_str().len() + value.len() + 32)
        });
    if size > limits.max_head_size {
        return Err(sockwell_handshake::HandshakeError::HeadTooLarge {
            max: limits.max_head_size,
        });
    }
    Ok(())
}

/// Connects to a `ws://` or `wss://` URL over HTTP/2 and opens one
/// WebSocket on it: [`H2Connection::connect_with_config`] then
/// [`H2Connection::open`], the whole of it (TCP, TLS, HTTP/2 settings and
/// the `CONNECT` with its answer) within one
/// [`ClientConfig::handshake_timeout`]. Keep the [`H2Connection`] (the
/// first item) to open more on the same connection.
pub(crate) async fn connect_h2(
    request: impl IntoClientRequest,
    config: ClientConfig,
    connector: Option<Connector>,
) -> Result<(H2Connection, WebSocketStream<H2Stream>, Response), ConnectError> {
    let request = request
        .into_client_request()
        .map_err(ConnectError::Handshake)?;
    let url = request.uri().to_string();
    let limit = config.handshake_timeout;
    within(Deadline::from_now(limit), async move {
        let connection = H2Connection::connect_unbounded(&url, &config.limits, connector).await?;
        let (ws, response) = connection.open_unbounded(request, config).await?;
        Ok((connection, ws, response))
    })
    .await
}
