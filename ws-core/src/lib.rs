//! WebSocket framing (RFC 6455) and a connection driver over any stream.
//!
//! The map:
//! - [`OpCode`], [`FrameHeader`], [`mask`]: the frame codec (§5.2, §5.3).
//! - [`CloseCode`], [`CloseFrame`]: close payloads (§5.5.1, §7.4).
//! - [`Message`]: what the application reads and sends.
//! - [`Limits`], [`WebSocketConfig`], [`Role`]: settings.
//! - [`Protocol`]: the sans-IO engine (bytes in, messages out, bytes to send).
//! - [`WebSocket`]: the blocking/non-blocking driver over `S: Read + Write`;
//!   [`WebSocket::split`] gives a [`ReadHalf`] and [`WriteHalf`] for two threads.
//!
//! The opening handshake is `ws-handshake`'s job; this crate starts after it.
//!
//! ```
//! use ws_core::{Message, Protocol, Role, WebSocketConfig};
//!
//! let mut client = Protocol::new(Role::Client, WebSocketConfig::default());
//! let mut server = Protocol::new(Role::Server, WebSocketConfig::default());
//!
//! client.send(&Message::text("hello")).unwrap();
//! let wire = client.pending_output().to_vec();
//! client.advance_output(wire.len());
//!
//! server.receive(&wire);
//! assert_eq!(server.next_message().unwrap(), Some(Message::text("hello")));
//! ```

mod buffer;
mod close;
mod config;
mod error;
mod header;
pub mod mask;
mod message;
mod opcode;
mod protocol;
mod socket;
mod split;

pub use close::{CloseCode, CloseFrame};
pub use config::{Keepalive, Limits, Role, WebSocketConfig};
pub use error::{Error, ProtocolError, SendError};
pub use header::{FrameHeader, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN};
pub use message::Message;
pub use opcode::OpCode;
pub use protocol::{CloseState, Protocol};
pub use socket::WebSocket;
pub use split::{ReadHalf, WriteHalf};
pub use ws_extensions;
