//! WebSocket framing (RFC 6455) and a connection driver over any stream.
//!
//! ```
//! use std::net::{TcpListener, TcpStream};
//! use sockwell_core::{WsError, Message, Role, WebSocket, WebSocketConfig};
//!
//! # fn main() -> Result<(), WsError> {
//! // Two ends of a loopback connection whose opening handshake is done
//! // (that is sockwell-handshake's job; this crate starts after it).
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let stream = TcpStream::connect(listener.local_addr()?)?;
//! let mut client = WebSocket::from_raw_socket(stream, Role::Client, WebSocketConfig::default());
//! let mut server =
//!     WebSocket::from_raw_socket(listener.accept()?.0, Role::Server, WebSocketConfig::default());
//!
//! client.send(Message::text("hello"))?;
//! let message = server.read()?;
//! assert_eq!(message.as_text(), Some("hello"));
//! server.send(message)?; // echo
//! assert_eq!(client.read()?, Message::text("hello"));
//!
//! // Closing: keep reading until ConnectionClosed, on both ends.
//! client.close(None)?;
//! assert!(server.read()?.is_close()); // the reply is queued and written
//! assert!(matches!(server.read(), Err(WsError::ConnectionClosed)));
//! assert!(client.read()?.is_close());
//! assert!(matches!(client.read(), Err(WsError::ConnectionClosed)));
//! # Ok(())
//! # }
//! ```
//!
//! # The map
//!
//! - [`mask`]: payload masking (§5.3), eight bytes at a time.
//! - [`OpCode`], [`FrameHeader`], [`MAX_HEADER_LEN`], [`MAX_CONTROL_PAYLOAD`]:
//!   the frame codec (§5.2).
//! - [`CloseCode`], [`CloseFrame`]: Close payloads and status codes (§5.5.1, §7.4).
//! - [`Message`] (with [`Utf8Bytes`] and [`Bytes`] payloads): what the
//!   application reads and sends.
//! - [`PreparedMessage`]: a message encoded (compressed) once and sent to
//!   many connections.
//! - [`Limits`], [`WebSocketConfig`], [`Keepalive`], [`Role`]: settings.
//! - [`Protocol`]: the sans-IO engine (bytes in, messages out, bytes to
//!   send); [`CloseState`] where its closing handshake stands.
//! - [`WebSocket`]: the blocking/non-blocking driver over `S: Read + Write`;
//!   [`WebSocket::split`] gives a [`ReadHalf`] and [`WriteHalf`]s for
//!   threads of their own.
//! - [`WsError`], [`ProtocolError`] (each knows its close code), [`SendError`].
//! - [`sockwell_extensions`]: the extension framework the engine runs messages
//!   through, re-exported.
//!
//! # Batching and backpressure
//!
//! [`WebSocket::read`] writes only what the engine itself must send (pongs,
//! Close replies, a keepalive ping); messages queued with
//! [`WebSocket::write`] wait for [`WebSocket::flush`]. So a server reads all
//! that already arrived ([`WebSocket::read_buffered`] never calls the stream),
//! queues each answer, and pays one write for all of them:
//!
//! ```no_run
//! # fn serve(ws: &mut sockwell_core::WebSocket<std::net::TcpStream>) -> Result<(), sockwell_core::WsError> {
//! loop {
//!     let mut next = Some(ws.read()?);
//!     while let Some(message) = next {
//!         if message.is_data() {
//!             ws.write(message)?; // queued, not written
//!         }
//!         next = ws.read_buffered()?;
//!     }
//!     ws.flush()?; // one write for the whole batch
//! }
//! # }
//! ```
//!
//! Output is bounded: once more than [`WebSocketConfig::write_buffer_size`]
//! is queued, `read` writes before it reads again (a peer that never reads
//! our answers meets backpressure: its own writes stall), a pong is queued
//! once however many pings arrive (RFC 6455 §5.5.3 asks only for the latest),
//! and nothing is queued past [`WebSocketConfig::max_write_buffer_size`]
//! ([`WsError::WriteBufferFull`]).
//!
//! # Sans-IO
//!
//! [`Protocol`] never touches a stream: hand it bytes, take messages and
//! the bytes to send. Event loops, async runtimes and tests drive it
//! directly.
//!
//! ```
//! use sockwell_core::{Message, Protocol, Role, WebSocketConfig};
//!
//! let mut client = Protocol::new(Role::Client, WebSocketConfig::default());
//! let mut server = Protocol::new(Role::Server, WebSocketConfig::default());
//!
//! client.write(&Message::text("hello")).unwrap();
//! let wire = client.pending_output().to_vec();
//! client.advance_output(wire.len());
//!
//! server.receive(&wire);
//! assert_eq!(server.read_buffered().unwrap(), Some(Message::text("hello")));
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod buffer;
mod close;
mod config;
mod error;
mod header;
pub mod mask;
mod message;
mod opcode;
mod prepared;
mod protocol;
mod socket;
mod split;
mod utf8_bytes;
mod write_buffer;

pub use bytes::{self, Bytes};
pub use close::{CloseCode, CloseFrame};
pub use config::{Keepalive, Limits, Role, WebSocketConfig};
pub use error::{ProtocolError, SendError, WsError};
pub use header::{FrameHeader, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN};
pub use message::Message;
pub use opcode::OpCode;
pub use prepared::PreparedMessage;
pub use protocol::{CloseState, Protocol, MAX_IO_SLICES};
pub use socket::WebSocket;
pub use sockwell_extensions;
pub use split::{ReadHalf, WriteHalf};
pub use utf8_bytes::Utf8Bytes;
