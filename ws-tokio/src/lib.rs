//! WebSocket (RFC 6455) for tokio, on the same sans-IO engine as the sync
//! driver: [`WebSocketStream`] over any `AsyncRead + AsyncWrite` stream.
//!
//! ```
//! use sockwell_tokio::{accept_async, client_async, Message};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // An in-memory pipe; a TcpStream or a TLS stream works the same way.
//! let (client_io, server_io) = tokio::io::duplex(64 << 10);
//! let server = tokio::spawn(async move {
//!     let mut ws = accept_async(server_io).await?;
//!     // Echo, batched: answer all that arrived, then write once.
//!     loop {
//!         let mut next = Some(ws.read().await?);
//!         while let Some(message) = next {
//!             if message.is_data() {
//!                 ws.write(message)?;
//!             }
//!             next = ws.read_buffered()?;
//!         }
//!         ws.flush().await?;
//!     }
//!     #[allow(unreachable_code)]
//!     Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
//! });
//!
//! let (mut ws, _response) = client_async("ws://localhost/echo", client_io).await?;
//! ws.send(Message::text("hello")).await?;
//! assert_eq!(ws.read().await?, Message::text("hello"));
//! ws.close(None).await?;
//! # drop(server);
//! # Ok(())
//! # }
//! ```
//!
//! # The map
//!
//! - [`WebSocketStream`]: `read`/`read_buffered`, `write`/`flush`/`send`,
//!   `send_prepared`, `close` (the sync driver's verbs); a `futures`
//!   [`Stream`](futures_core::Stream), `FusedStream` and
//!   [`Sink`](futures_sink::Sink) of [`Message`]s, so `StreamExt` /
//!   `SinkExt` code written for tokio-tungstenite keeps its meaning.
//! - [`WebSocketStream::into_split`]: a [`WsReader`] and a [`WsWriter`]
//!   (cloneable) for several tasks; [`WsReader::reunite`] (or [`ReuniteError`]).
//! - Handshakes on any stream: [`client_async`], [`accept_async`],
//!   [`accept_hdr_async`] and their `_with_config` forms, within the
//!   config's `handshake_timeout`; [`HandshakeIo`] is the adapter they run
//!   sockwell-handshake's resumable machines through. The TCP entry point
//!   `connect_async` is in `sockwell-client` with its `tokio` feature.
//! - The connection's timers run on tokio's: keepalive ([`Keepalive`]: on
//!   by default, a ping after 20 s of quiet, 20 s for the answer), the
//!   close timeout (10 s) and the optional write timeout, while `read`
//!   waits to read and while any call waits to write. So the runtime needs
//!   its time driver: `#[tokio::main]` and `Builder::enable_all` have it;
//!   a runtime built with `enable_io` alone needs `enable_time` as well
//!   (tokio panics when a timer is armed without it).
//! - Re-exported, so that one `use` suffices: from `sockwell-core` [`Message`],
//!   [`PreparedMessage`], [`WsError`], [`CloseCode`], [`CloseFrame`],
//!   [`CloseState`], [`Protocol`], [`Role`], [`WebSocketConfig`]; from
//!   `sockwell-handshake` [`ClientConfig`], [`ServerConfig`], [`Callback`],
//!   [`NoCallback`], [`OriginPolicy`], [`HandshakeError`] (the handshake's
//!   error type) and the crate itself.
//!
//! # Batching and backpressure
//!
//! They follow the engine's rules: `read` writes only the engine's own
//! replies, `write` queues, `flush` writes the queue; the `Sink` flushes when
//! more than `write_buffer_size` is queued (not per message); while that
//! much is queued, `read` writes before it reads. `read`, `read_buffered`
//! and `flush` are cancel-safe: a future dropped in `select!` loses nothing.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod engine;
mod handle;
mod handshake;
mod keepalive;
mod split;
mod stream;

pub use handshake::{
    accept_async, accept_async_with_config, accept_hdr_async, accept_hdr_async_with_config,
    client_async, client_async_with_config, HandshakeIo,
};
pub use sockwell_core::{
    Bytes, CloseCode, CloseFrame, CloseState, Keepalive, Limits, Message, PreparedMessage,
    Protocol, ProtocolError, Role, Utf8Bytes, WebSocketConfig, WsError,
};
pub use sockwell_handshake::{
    self, Callback, ClientConfig, HandshakeError, HandshakeLimits, NoCallback, OriginPolicy,
    ServerConfig,
};
pub use split::{ReuniteError, WsReader, WsWriter};
pub use stream::WebSocketStream;
