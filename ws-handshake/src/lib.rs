//! The WebSocket opening handshake (RFC 6455 §4) over any `Read + Write`
//! stream, blocking or not, with `http` crate types.
//!
//! ```
//! use std::io::Cursor;
//! use sockwell_handshake::{derive_accept_key, NoCallback, ServerConfig, ServerHandshake};
//!
//! // A server reading a canned request from memory.
//! let request = "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
//!                Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
//!                Sec-WebSocket-Version: 13\r\n\r\n";
//! let stream = Cursor::new(request.as_bytes().to_vec());
//! let (ws, req) = ServerHandshake::new(stream, NoCallback, ServerConfig::default())
//!     .handshake()
//!     .unwrap();
//! assert_eq!(req.uri().path(), "/chat");
//! // The answer went to the stream, after the request; `ws` is the open connection.
//! let written = &ws.get_ref().get_ref()[request.len()..];
//! assert!(written.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
//! assert_eq!(derive_accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
//! ```
//!
//! # The map
//!
//! - [`ClientHandshake`], [`ClientConfig`], [`IntoClientRequest`]: the
//!   client side. It sends the upgrade request (the caller's custom headers
//!   kept beside the required ones) and validates the 101 answer.
//! - [`ServerHandshake`], [`ServerConfig`], [`Callback`], [`NoCallback`],
//!   [`ErrorResponse`]: the server side. It validates the request, lets a
//!   callback inspect it and alter or refuse the response, and answers bad
//!   requests with the status the RFC names (400, 426 with
//!   `Sec-WebSocket-Version: 13`, ...).
//! - [`OriginPolicy`], [`OriginCheck`], [`check_origin`]: which `Origin`s
//!   may open a WebSocket (others get 403).
//! - [`HandshakeLimits`]: caps on the HTTP head (431, 414 past them).
//! - [`HandshakeError`] (with [`HandshakeError::http_status`]), [`ResumableError`]: a failure,
//!   or an interruption to resume.
//! - [`IoTimeouts`]: streams whose socket timeouts let `complete()` keep
//!   the deadline while it blocks.
//! - Pure functions on `http` types, for HTTP servers that parse requests
//!   themselves (hyper, h2): [`accept_request`], [`parse_request`],
//!   [`build_response`], [`build_connect_response`] (HTTP/2, RFC 8441),
//!   [`error_response_for`]; client side [`prepare_request`],
//!   [`parse_response`], [`validate_response`], [`prepare_connect_request`],
//!   [`validate_connect_response`], [`confirm_extensions`]; keys
//!   [`generate_key`], [`derive_accept_key`], [`is_valid_key`].
//! - [`http`] and [`sockwell_extensions`], re-exported.
//!
//! # Resumable, with a deadline
//!
//! Both handshakes return [`ResumableError::Interrupted`] on `WouldBlock` and
//! resume where they stopped; bytes that follow the HTTP head in the same
//! read are handed to the connection, never dropped.
//!
//! Both have a deadline (`handshake_timeout` in their config, 10 s by
//! default): resumed past it, they fail with [`HandshakeError::Timeout`]. On blocking
//! streams with socket timeouts ([`IoTimeouts`], e.g. `TcpStream`),
//! `complete()` enforces it while it waits, so a peer that trickles its head
//! in one byte at a time cannot hold a thread.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod config;
mod deadline;
mod error;
mod headers;
mod key;
mod machine;
mod origin;
mod refusal;
mod server;

pub use client::{
    confirm_extensions, parse_response, prepare_connect_request, prepare_request,
    validate_connect_response, validate_response, ClientConfig, ClientHandshake, IntoClientRequest,
};
pub use config::HandshakeLimits;
pub use deadline::IoTimeouts;
pub use error::{HandshakeError, ResumableError};
pub use http;
pub use key::{derive_accept_key, generate_key, is_valid_key};
pub use origin::{OriginCheck, OriginPolicy};
pub use server::{
    accept_request, build_connect_response, build_response, check_origin, error_response_for,
    parse_request, requested_subprotocols, Callback, ErrorResponse, NoCallback, ServerConfig,
    ServerHandshake,
};
pub use sockwell_extensions;
