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

/// [`connect`] with settings.
pub fn connect_with_config(
    request: impl IntoClientRequest,
    config: ClientConfig,
) -> Result<(WebSocket<TcpStream>, Response), Error> {
    let request = request.into_client_request().map_err(Error::Handshake)?;
    let uri = request.uri();
    let port = match uri.scheme_str() {
        Some("ws") => uri.port_u16().unwrap_or(80),
        Some("wss") => return Err(Error::Url("wss:// needs TLS, which this build has not")),
        _ => return Err(Error::Url("scheme must be ws://")),
    };
    let host = uri.host().ok_or(Error::Url("no host"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let target = format!("{host}:{port}");
    let stream = tcp_connect(host, port).map_err(|source| Error::Connect {
        host: target,
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

/// The README's examples, compiled as doc tests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
