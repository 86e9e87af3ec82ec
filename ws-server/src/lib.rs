//! A WebSocket server: accept the upgrade on a stream, then talk.
//!
//! ```
//! use std::net::TcpListener;
//! use sockwell_server::{accept_with_deadline, Message, ServerConfig, WsError};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let listener = TcpListener::bind("127.0.0.1:0")?; // a free port
//! let addr = listener.local_addr()?;
//! let url = format!("ws://{addr}/");
//! // A client for the example, in a thread of its own (the client side of
//! // sockwell-handshake, which sockwell-client wraps with URLs and TLS).
//! let client = std::thread::spawn(move || {
//!     use sockwell_handshake::{ClientConfig, ClientHandshake};
//!     let stream = std::net::TcpStream::connect(addr).unwrap();
//!     let handshake = ClientHandshake::new(stream, url, ClientConfig::default()).unwrap();
//!     let (mut ws, _) = handshake.complete().unwrap();
//!     ws.send(Message::text("hello")).unwrap();
//!     let echo = ws.read().unwrap();
//!     ws.close(None).unwrap();
//!     while ws.read().is_ok() {} // until ConnectionClosed
//!     echo
//! });
//!
//! let (stream, _) = listener.accept()?;
//! // A client that has not finished its handshake within 10 s is dropped.
//! let mut socket = accept_with_deadline(stream, ServerConfig::default())?;
//! loop {
//!     match socket.read() {
//!         Ok(message) if message.is_data() => socket.send(message)?,
//!         Ok(_) => {} // pings are answered, a Close replied to, by the engine
//!         Err(WsError::ConnectionClosed) => break,
//!         Err(e) => return Err(e.into()),
//!     }
//! }
//! assert_eq!(client.join().unwrap(), Message::text("hello"));
//! # Ok(())
//! # }
//! ```
//!
//! # The map
//!
//! - [`accept`], [`accept_with_config`], [`accept_hdr`],
//!   [`accept_hdr_with_config`]: the handshake on any `Read + Write`
//!   stream (TCP, TLS, Unix), resumable on a non-blocking one
//!   ([`ResumableError::Interrupted`]).
//! - [`accept_with_deadline`], [`accept_hdr_with_deadline`]: the same on a
//!   blocking stream with socket timeouts ([`IoTimeouts`]: `TcpStream`,
//!   `UnixStream`), within [`ServerConfig::handshake_timeout`].
//! - Feature `tokio`: [`accept_async`], [`accept_async_with_config`],
//!   [`accept_hdr_async`], [`accept_hdr_async_with_config`], returning a
//!   [`WebSocketStream`] ([`WsReader`], [`WsWriter`] when split).
//! - [`hyper`] (feature `hyper`) and [`axum`] (feature `axum`): WebSockets
//!   in those servers, over HTTP/1.1 and HTTP/2 (RFC 8441).
//! - Re-exported from `sockwell-handshake`: [`ServerConfig`], [`Callback`],
//!   [`NoCallback`], [`ErrorResponse`], [`OriginPolicy`], [`ServerHandshake`],
//!   [`HandshakeError`] (why the handshake failed), [`ResumableError`],
//!   [`IoTimeouts`], [`http`], [`sockwell_extensions`]; from `sockwell-core`:
//!   [`WebSocket`], [`Message`], [`PreparedMessage`], [`WebSocketConfig`],
//!   [`CloseCode`], [`CloseFrame`], [`WsError`] (errors of an open
//!   connection); [`DeflateConfig`] from `sockwell-deflate`.
//!
//! # Settings
//!
//! The handshake deadline ([`ServerConfig::handshake_timeout`], 10 s by
//! default) holds for every entry point when the stream is non-blocking or
//! times out; on a blocking `TcpStream` the `*_with_deadline` functions
//! enforce it with socket timeouts, so a client that trickles its request in
//! one byte at a time cannot hold a thread.
//!
//! Compression is off by default; to accept permessage-deflate offers:
//! `accept_with_config(stream, ServerConfig::default().with_extension(DeflateConfig::default()))`.
//!
//! [`accept_hdr`] takes a [`Callback`] that sees the request and can add
//! response headers, choose a subprotocol, or refuse with a status and body.
//! [`ServerConfig::origins`] refuses foreign `Origin`s with 403 before any
//! callback runs.
//!
//! Guides in the repository's `docs/`: `compression.md` (what each
//! compression setting costs, broadcasts with [`PreparedMessage`]),
//! `limits.md` (what a hostile client meets), `non-blocking.md`,
//! `extensions.md`.

#![cfg_attr(docsrs, feature(doc_cfg))]

use std::io::{Read, Write};

#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "hyper")]
pub mod hyper;

#[cfg(feature = "tokio")]
pub use sockwell_tokio::{
    accept_async, accept_async_with_config, accept_hdr_async, accept_hdr_async_with_config,
    WebSocketStream, WsReader, WsWriter,
};

pub use sockwell_core::{
    Bytes, CloseCode, CloseFrame, CloseState, Keepalive, Limits, Message, PreparedMessage,
    Protocol, ProtocolError, Role, Utf8Bytes, WebSocket, WebSocketConfig, WsError,
};
pub use sockwell_deflate::DeflateConfig;
pub use sockwell_handshake::http;
pub use sockwell_handshake::sockwell_extensions;
pub use sockwell_handshake::{
    Callback, ErrorResponse, HandshakeError, HandshakeLimits, IoTimeouts, NoCallback, OriginPolicy,
    ResumableError, ServerConfig, ServerHandshake,
};

/// Runs the server handshake on `stream` with default settings.
pub fn accept<S: Read + Write>(
    stream: S,
) -> Result<WebSocket<S>, ResumableError<ServerHandshake<S, NoCallback>>> {
    accept_hdr_with_config(stream, NoCallback, ServerConfig::default())
}

/// [`accept`] with settings.
pub fn accept_with_config<S: Read + Write>(
    stream: S,
    config: ServerConfig,
) -> Result<WebSocket<S>, ResumableError<ServerHandshake<S, NoCallback>>> {
    accept_hdr_with_config(stream, NoCallback, config)
}

/// [`accept`] with a callback that inspects the request and may alter or
/// refuse the response.
pub fn accept_hdr<S: Read + Write, C: Callback>(
    stream: S,
    callback: C,
) -> Result<WebSocket<S>, ResumableError<ServerHandshake<S, C>>> {
    accept_hdr_with_config(stream, callback, ServerConfig::default())
}

/// [`accept_hdr`] with settings.
pub fn accept_hdr_with_config<S: Read + Write, C: Callback>(
    stream: S,
    callback: C,
    config: ServerConfig,
) -> Result<WebSocket<S>, ResumableError<ServerHandshake<S, C>>> {
    ServerHandshake::new(stream, callback, config)
        .handshake()
        .map(|(ws, _request)| ws)
}

/// Accepts on a blocking stream with socket timeouts (a `TcpStream`) within
/// [`ServerConfig::handshake_timeout`]: past it this fails with
/// [`HandshakeError::Timeout`] and the stream's timeouts are left set; on success they
/// are restored. See [`ServerHandshake::complete`].
pub fn accept_with_deadline<S: Read + Write + IoTimeouts>(
    stream: S,
    config: ServerConfig,
) -> Result<WebSocket<S>, HandshakeError> {
    accept_hdr_with_deadline(stream, NoCallback, config)
}

/// [`accept_with_deadline`] with a callback that inspects the request and
/// may alter or refuse the response.
pub fn accept_hdr_with_deadline<S: Read + Write + IoTimeouts, C: Callback>(
    stream: S,
    callback: C,
    config: ServerConfig,
) -> Result<WebSocket<S>, HandshakeError> {
    ServerHandshake::new(stream, callback, config)
        .complete()
        .map(|(ws, _request)| ws)
}
