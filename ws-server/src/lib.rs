//! A WebSocket server: accept the upgrade on a stream, then talk.
//!
//! ```no_run
//! use std::net::TcpListener;
//! use ws_server::{accept_with_deadline, Message, ServerConfig};
//!
//! let listener = TcpListener::bind("127.0.0.1:9001").unwrap();
//! for stream in listener.incoming() {
//!     // A client that has not finished its handshake within 10 s is dropped.
//!     let Ok(mut socket) = accept_with_deadline(stream.unwrap(), ServerConfig::default()) else {
//!         continue;
//!     };
//!     while let Ok(message) = socket.read() {
//!         if message.is_data() {
//!             socket.send(message).unwrap();
//!         }
//!     }
//! }
//! ```
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
//!
//! With the `tokio` feature, the async entry points of `ws-tokio` are here
//! too: [`accept_async`], [`accept_async_with_config`], [`accept_hdr_async`],
//! [`accept_hdr_async_with_config`], returning a [`WebSocketStream`].

use std::io::{Read, Write};

#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "hyper")]
pub mod hyper;

#[cfg(feature = "tokio")]
pub use ws_tokio::{
    accept_async, accept_async_with_config, accept_hdr_async, accept_hdr_async_with_config,
    WebSocketStream, WsReader, WsWriter,
};

pub use ws_core::{
    CloseCode, CloseFrame, Error as WsError, Message, PreparedMessage, WebSocket, WebSocketConfig,
};
pub use ws_deflate::DeflateConfig;
pub use ws_handshake::http;
pub use ws_handshake::ws_extensions;
pub use ws_handshake::{
    Callback, Error, ErrorResponse, HandshakeError, IoTimeouts, NoCallback, OriginPolicy,
    ServerConfig, ServerHandshake,
};

/// Runs the server handshake on `stream` with default settings.
pub fn accept<S: Read + Write>(
    stream: S,
) -> Result<WebSocket<S>, HandshakeError<ServerHandshake<S, NoCallback>>> {
    accept_hdr_with_config(stream, NoCallback, ServerConfig::default())
}

/// [`accept`] with settings.
pub fn accept_with_config<S: Read + Write>(
    stream: S,
    config: ServerConfig,
) -> Result<WebSocket<S>, HandshakeError<ServerHandshake<S, NoCallback>>> {
    accept_hdr_with_config(stream, NoCallback, config)
}

/// [`accept`] with a callback that inspects the request and may alter or
/// refuse the response.
pub fn accept_hdr<S: Read + Write, C: Callback>(
    stream: S,
    callback: C,
) -> Result<WebSocket<S>, HandshakeError<ServerHandshake<S, C>>> {
    accept_hdr_with_config(stream, callback, ServerConfig::default())
}

/// [`accept_hdr`] with settings.
pub fn accept_hdr_with_config<S: Read + Write, C: Callback>(
    stream: S,
    callback: C,
    config: ServerConfig,
) -> Result<WebSocket<S>, HandshakeError<ServerHandshake<S, C>>> {
    ServerHandshake::new(stream, callback, config)
        .handshake()
        .map(|(ws, _request)| ws)
}

/// Accepts on a blocking stream with socket timeouts (a `TcpStream`) within
/// [`ServerConfig::handshake_timeout`]: past it this fails with
/// [`Error::Timeout`] and the stream's timeouts are left set; on success they
/// are restored. See [`ServerHandshake::complete`].
pub fn accept_with_deadline<S: Read + Write + IoTimeouts>(
    stream: S,
    config: ServerConfig,
) -> Result<WebSocket<S>, Error> {
    accept_hdr_with_deadline(stream, NoCallback, config)
}

/// [`accept_with_deadline`] with a callback that inspects the request and
/// may alter or refuse the response.
pub fn accept_hdr_with_deadline<S: Read + Write + IoTimeouts, C: Callback>(
    stream: S,
    callback: C,
    config: ServerConfig,
) -> Result<WebSocket<S>, Error> {
    ServerHandshake::new(stream, callback, config)
        .complete()
        .map(|(ws, _request)| ws)
}
