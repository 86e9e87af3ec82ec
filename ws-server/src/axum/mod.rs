//! WebSockets in axum (feature `axum`), with the names of
//! `axum::extract::ws` (axum 0.8): the [`WebSocketUpgrade`] extractor, the
//! [`WebSocket`] its callback gets. It negotiates permessage-deflate and
//! accepts WebSockets over HTTP/1.1 (`GET` + `Upgrade`) and over HTTP/2
//! (extended `CONNECT`, RFC 8441).
//!
//! ```no_run
//! use axum::response::Response;
//! use axum::{routing::any, Router};
//! use sockwell_server::axum::WebSocketUpgrade;
//! use sockwell_server::{DeflateConfig, ServerConfig};
//!
//! async fn handler(ws: WebSocketUpgrade) -> Response {
//!     // Compression on (without config(): ServerConfig::default(), off).
//!     let config = ServerConfig::default().with_extension(DeflateConfig::default());
//!     ws.config(config)
//!         .protocols(["chat"])
//!         .on_upgrade(|mut socket| async move {
//!             while let Some(Ok(msg)) = socket.recv().await {
//!                 if socket.send(msg).await.is_err() {
//!                     break;
//!                 }
//!             }
//!         })
//! }
//!
//! # async fn serve() {
//! // any(): HTTP/2 WebSockets arrive as CONNECT, HTTP/1.1 ones as GET.
//! let app = Router::new().route("/ws", any(handler));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await.unwrap();
//! axum::serve(listener, app).await.unwrap();
//! # }
//! ```
//!
//! # Coming from `axum::extract::ws`
//!
//! Replace `axum::extract::ws::` by `sockwell_server::axum::` in the
//! `use` lines; what a handler calls keeps its name and meaning:
//!
//! - [`WebSocketUpgrade`]: `protocols`, `requested_protocols`,
//!   `selected_protocol`, `set_selected_protocol`, `on_failed_upgrade`
//!   ([`OnFailedUpgrade`], [`DefaultOnFailedUpgrade`]; the callback gets
//!   an `axum::Error`, as there), `max_message_size`, `max_frame_size`,
//!   `write_buffer_size`, `max_write_buffer_size`,
//!   `accept_unmasked_frames`, `on_upgrade`. Added here: `config` (all
//!   the settings as a [`ServerConfig`](crate::ServerConfig), compression
//!   among them), `on_upgrade_with` (a handshake [`Callback`](crate::Callback)),
//!   `request`, `is_http2`.
//! - [`WebSocket`]: `recv` (`None` once the connection is over), `send`,
//!   `protocol` (the subprotocol answered), a `futures` `Stream` (also
//!   `FusedStream`) and `Sink` of messages; `get_ref`, `get_mut`,
//!   `into_inner` reach the engine's stream.
//! - [`Message`] is the workspace's own, with axum's variants:
//!   `Text(Utf8Bytes)`, `Binary(Bytes)`, `Ping(Bytes)`, `Pong(Bytes)`,
//!   `Close(Option<CloseFrame>)`, and `Message::text`, `Message::binary`.
//!   [`Utf8Bytes`] is the workspace's too. In [`CloseFrame`], `code` is a
//!   [`CloseCode`] (`CloseCode::from(1000)`, `.as_u16()`; axum's
//!   `close_code::NORMAL` is `CloseCode::NORMAL`) and `reason` a `String`
//!   (axum: `Utf8Bytes`).
//! - Errors of an open connection are [`WsError`] (`sockwell_core::WsError`),
//!   not `axum::Error`: a match on them can tell a limit passed
//!   (`WsError::Protocol`) from the stream failing (`WsError::Io`).
//!
//! What differs: the subprotocol answered is the client's first offer
//! that [`protocols`](WebSocketUpgrade::protocols) lists (the rule of
//! [`ServerConfig::subprotocols`](crate::ServerConfig::subprotocols));
//! axum takes the first one of its own list that the client offers. There
//! is no `read_buffer_size`. Keepalive is on by default (a ping after 20 s
//! of quiet, see [`Keepalive`](crate::Keepalive)), and
//! [`config`](WebSocketUpgrade::config) replaces the settings made before
//! it, so call it first.
//!
//! # Serving
//!
//! `axum::serve` speaks HTTP/1.1 and cleartext HTTP/2 on one port and
//! already enables the extended CONNECT setting (with axum's `http2`
//! feature). Browsers use HTTP/2 WebSockets only over `https://` on an
//! HTTP/2 connection they already have to the origin; serving TLS with
//! ALPN `h2` and `http/1.1` takes `hyper_util`'s `auto::Builder` with
//! `http2().enable_connect_protocol()` (the `axum` example in this crate
//! does so).
//!
//! A request that is not a WebSocket upgrade is refused by the extractor
//! itself (400, 405, 426 or 505, with a line that says why); one the
//! [`ServerConfig`](crate::ServerConfig) refuses (a foreign `Origin`: 403)
//! by [`WebSocketUpgrade::on_upgrade`].

mod socket;
mod upgrade;

pub use socket::WebSocket;
pub use upgrade::{DefaultOnFailedUpgrade, OnFailedUpgrade, WebSocketUpgrade};

pub use sockwell_core::{CloseCode, CloseFrame, Message, Utf8Bytes, WsError};

use crate::hyper::Rejection;
use axum_core::body::Body;
use axum_core::response::{IntoResponse, Response};

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        self.response.map(Body::new)
    }
}
