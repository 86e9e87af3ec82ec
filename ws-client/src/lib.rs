//! A WebSocket client over TCP or any `Read + Write` stream.
//!
//! ```no_run
//! use ws_client::{connect, Message};
//!
//! let (mut socket, response) = connect("ws://127.0.0.1:9001/echo").unwrap();
//! println!("upgraded with status {}", response.status());
//! socket.send(Message::text("hello")).unwrap();
//! println!("echo: {:?}", socket.read().unwrap());
//! socket.close(None).unwrap();
//! ```
//!
//! Compression is off by default; one line turns it on:
//!
//! ```no_run
//! use ws_client::{connect_with_config, ClientConfig, DeflateConfig};
//!
//! let config = ClientConfig::default().with_extension(DeflateConfig::default());
//! let (socket, response) = connect_with_config("ws://127.0.0.1:9001", config).unwrap();
//! // What the server agreed to, as its Sec-WebSocket-Extensions answer said:
//! for agreed in socket.protocol().extensions().negotiated() {
//!     println!("{agreed}");
//! }
//! ```
//!
//! With the `tokio` feature, [`connect_async`] and [`connect_async_with_config`]
//! do the same over a tokio `TcpStream` and return a [`WebSocketStream`];
//! [`client_async`] runs the handshake over any async stream.
//!
//! [`client`] runs the handshake over a stream you already have (a TLS
//! stream, a Unix socket, an in-memory pipe); anything that converts into a
//! request works: `&str`, [`http::Uri`], or an [`http::Request`] with your own
//! headers, which are sent beside the ones the handshake requires.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};

pub use ws_core::{CloseCode, CloseFrame, Error as WsError, Message, WebSocket, WebSocketConfig};
pub use ws_deflate::DeflateConfig;
pub use ws_handshake::http;
pub use ws_handshake::ws_extensions;
pub use ws_handshake::{ClientConfig, ClientHandshake, HandshakeError, IntoClientRequest};
#[cfg(feature = "tokio")]
pub use ws_tokio::{client_async, client_async_with_config, WebSocketStream, WsReader, WsWriter};

/// The response to the upgrade request.
pub type Response = http::Response<()>;

/// Why [`connect`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
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
    /// The opening handshake failed.
    #[error("WebSocket handshake failed")]
    Handshake(#[source] ws_handshake::Error),
}

/// Connects over TCP to a `ws://` URL (or request) and runs the handshake.
pub fn connect(request: impl IntoClientRequest) -> Result<(WebSocket<TcpStream>, Response), Error> {
    connect_with_config(request, ClientConfig::default())
}

/// The host and port a `ws://` request goes to.
fn target(request: &http::Request<()>) -> Result<(&str, u16), Error> {
    let uri = request.uri();
    let port = match uri.scheme_str() {
        Some("ws") => uri.port_u16().unwrap_or(80),
        Some("wss") => return Err(Error::Url("wss:// needs TLS, which this build has not")),
        _ => return Err(Error::Url("scheme must be ws://")),
    };
    let host = uri.host().ok_or(Error::Url("no host"))?;
    Ok((host.trim_start_matches('[').trim_end_matches(']'), port))
}

/// [`connect`] with settings.
pub fn connect_with_config(
    request: impl IntoClientRequest,
    config: ClientConfig,
) -> Result<(WebSocket<TcpStream>, Response), Error> {
    let request = request.into_client_request().map_err(Error::Handshake)?;
    let (host, port) = target(&request)?;
    let stream = tcp_connect(host, port).map_err(|source| Error::Connect {
        host: format!("{host}:{port}"),
        source,
    })?;
    // Small frames are the common case; don't let Nagle hold them back.
    let _ = stream.set_nodelay(true);
    // Within `handshake_timeout`, enforced with socket timeouts.
    ClientHandshake::new(stream, request, config)
        .and_then(ClientHandshake::complete)
        .map_err(Error::Handshake)
}

fn tcp_connect(host: &str, port: u16) -> std::io::Result<TcpStream> {
    let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "host has no address");
    for addr in (host, port).to_socket_addrs()? {
        match TcpStream::connect(addr) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Runs the client handshake over `stream`. On a non-blocking stream it may
/// return [`HandshakeError::Interrupted`]; call `handshake()` on it again.
pub fn client<S: Read + Write>(
    request: impl IntoClientRequest,
    stream: S,
) -> Result<(WebSocket<S>, Response), HandshakeError<ClientHandshake<S>>> {
    client_with_config(request, stream, ClientConfig::default())
}

/// [`client`] with settings.
pub fn client_with_config<S: Read + Write>(
    request: impl IntoClientRequest,
    stream: S,
    config: ClientConfig,
) -> Result<(WebSocket<S>, Response), HandshakeError<ClientHandshake<S>>> {
    ClientHandshake::new(stream, request, config)?.handshake()
}

/// Connects over tokio TCP to a `ws://` URL (or request) and runs the
/// handshake, within [`ClientConfig::handshake_timeout`].
#[cfg(feature = "tokio")]
pub async fn connect_async(
    request: impl IntoClientRequest,
) -> Result<(WebSocketStream<tokio::net::TcpStream>, Response), Error> {
    connect_async_with_config(request, ClientConfig::default()).await
}

/// [`connect_async`] with settings.
#[cfg(feature = "tokio")]
pub async fn connect_async_with_config(
    request: impl IntoClientRequest,
    config: ClientConfig,
) -> Result<(WebSocketStream<tokio::net::TcpStream>, Response), Error> {
    let request = request.into_client_request().map_err(Error::Handshake)?;
    let (host, port) = target(&request)?;
    let connecting = tokio::net::TcpStream::connect((host, port));
    // The handshake timeout bounds the TCP connect too.
    let stream = match config.handshake_timeout {
        Some(limit) => tokio::time::timeout(limit, connecting)
            .await
            .map_err(|_| Error::Handshake(ws_handshake::Error::Timeout(limit)))?,
        None => connecting.await,
    }
    .map_err(|source| Error::Connect {
        host: format!("{host}:{port}"),
        source,
    })?;
    let _ = stream.set_nodelay(true);
    ws_tokio::client_async_with_config(request, stream, config)
        .await
        .map_err(Error::Handshake)
}

/// The README's examples, compiled as doc tests so that they stay true
/// (with the `tokio` feature, which its async example needs; the
/// workspace's tests build ws-client with it).
#[cfg(all(doctest, feature = "tokio"))]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
