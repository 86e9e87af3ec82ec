//! Errors of the framing layer and of the connection.
//!
//! `Display` of each variant describes that layer only; the cause, when there
//! is one, is reachable through `source()` and not repeated in the text.

use crate::{CloseCode, OpCode};
use sockwell_extensions::ExtensionError;
use std::io;

/// A rule of RFC 6455 (or of a negotiated extension) that the peer broke, or
/// a limit it passed. Each knows the close code the connection fails with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A reserved opcode (§5.2).
    #[error("reserved opcode {0:#x}")]
    ReservedOpCode(u8),
    /// RSV bits that no negotiated extension owns, or on a frame where none may be.
    #[error("RSV bits {rsv:#05b} are not allowed on this {opcode} frame")]
    InvalidRsv {
        /// The bits, RSV1 = `0b100`.
        rsv: u8,
        /// The frame's opcode.
        opcode: OpCode,
    },
    /// A client frame without a mask (§5.1).
    #[error("client frame is not masked")]
    UnmaskedFrame,
    /// A server frame with a mask (§5.1).
    #[error("server frame is masked")]
    MaskedFrame,
    /// A control frame without FIN (§5.5).
    #[error("control frame is fragmented")]
    FragmentedControlFrame,
    /// A control frame with more than 125 bytes of payload (§5.5).
    #[error("control frame payload of {0} bytes exceeds 125")]
    ControlFrameTooLong(u64),
    /// A 64-bit payload length with its most significant bit set (§5.2).
    #[error("64-bit payload length has its most significant bit set")]
    InvalidPayloadLength,
    /// A continuation frame with no fragmented message to continue (§5.4).
    #[error("continuation frame without a message to continue")]
    UnexpectedContinuation,
    /// A new text or binary frame while a fragmented message is unfinished (§5.4).
    #[error("new {0} frame while a fragmented message is unfinished")]
    ExpectedContinuation(OpCode),
    /// A text message that is not UTF-8 (§8.1), detected at the first bad byte.
    #[error("text message is not valid UTF-8")]
    InvalidUtf8,
    /// A Close frame with a 1-byte payload (§5.5.1).
    #[error("close frame payload of 1 byte")]
    InvalidClosePayload,
    /// A Close frame with a code that may not be sent (§7.4).
    #[error("invalid close code {0}")]
    InvalidCloseCode(u16),
    /// A Close frame whose reason is not UTF-8 (§5.5.1).
    #[error("close reason is not valid UTF-8")]
    InvalidCloseReason,
    /// A frame larger than [`Limits::max_frame_size`](crate::Limits::max_frame_size).
    #[error("frame of {size} bytes exceeds the limit of {max}")]
    FrameTooLarge {
        /// The announced payload length.
        size: u64,
        /// The limit.
        max: usize,
    },
    /// A message larger than [`Limits::max_message_size`](crate::Limits::max_message_size).
    #[error("message exceeds the limit of {max} bytes")]
    MessageTooLarge {
        /// The limit.
        max: usize,
    },
    /// A negotiated extension refused the data.
    #[error("extension refused the message")]
    Extension(#[from] ExtensionError),
    /// The stream ended without a closing handshake.
    #[error("connection reset without a closing handshake")]
    ResetWithoutClosingHandshake,
}

impl ProtocolError {
    /// The close code this error fails the connection with (§7.4.1). For
    /// [`ResetWithoutClosingHandshake`](Self::ResetWithoutClosingHandshake)
    /// that is 1006, which is reported, never sent.
    pub fn close_code(&self) -> CloseCode {
        match self {
            ProtocolError::InvalidUtf8 | ProtocolError::InvalidCloseReason => {
                CloseCode::INVALID_PAYLOAD
            }
            ProtocolError::FrameTooLarge { .. } | ProtocolError::MessageTooLarge { .. } => {
                CloseCode::MESSAGE_TOO_BIG
            }
            ProtocolError::Extension(e) => CloseCode::from(e.close_code()),
            ProtocolError::ResetWithoutClosingHandshake => CloseCode::ABNORMAL,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}

/// What the application asked for cannot be sent as it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// Ping/pong payloads and close frames are limited to 125 bytes (§5.5).
    #[error("control frame payload of {0} bytes exceeds 125")]
    ControlPayloadTooLong(usize),
    /// The close code may not be sent (§7.4).
    #[error("close code {0} may not be sent")]
    InvalidCloseCode(u16),
    /// Only text and binary messages can be prepared for many connections
    /// ([`PreparedMessage`](crate::PreparedMessage)).
    #[error("only a text or binary message can be prepared")]
    NotData,
}

/// An error of a WebSocket connection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WsError {
    /// The closing handshake completed; the stream may be dropped. Returned
    /// once; after it, reads and writes return [`AlreadyClosed`](Self::AlreadyClosed).
    #[error("connection closed")]
    ConnectionClosed,
    /// The connection is closed (or failed), or a Close was already sent and
    /// no more messages may be sent. Using it further is a bug of the caller.
    #[error("connection is already closed")]
    AlreadyClosed,
    /// The underlying stream failed; `WouldBlock` arrives here too, with every
    /// piece of state kept: call again when the stream is ready.
    #[error("I/O error on the stream")]
    Io(#[from] io::Error),
    /// The peer broke the protocol or passed a limit. A Close frame with
    /// [`ProtocolError::close_code`] has been queued and flushed where possible.
    #[error("protocol error")]
    Protocol(#[from] ProtocolError),
    /// The outgoing buffer holds at least `max` bytes: flush before writing more.
    #[error("write buffer is full ({max} bytes queued)")]
    WriteBufferFull {
        /// [`WebSocketConfig::max_write_buffer_size`](crate::WebSocketConfig::max_write_buffer_size).
        max: usize,
    },
    /// A message the application asked to send is invalid.
    #[error("message cannot be sent")]
    Send(#[from] SendError),
    /// Nothing arrived from the peer within the keepalive timeout after a
    /// ping: it is gone. A Close (1011) was queued in case it is not.
    #[error("peer did not answer within the keepalive timeout")]
    KeepaliveTimeout,
    /// No data message went either way within the idle timeout
    /// ([`Keepalive::idle_timeout`](crate::Keepalive::idle_timeout)): a Close
    /// (1001) was queued and the connection is over.
    #[error("connection idle for longer than the idle timeout")]
    IdleTimeout,
    /// The closing handshake did not end within
    /// [`WebSocketConfig::close_timeout`](crate::WebSocketConfig::close_timeout):
    /// the peer's Close did not arrive, or ours could not be written. The
    /// connection is over; drop the stream.
    #[error("closing handshake not done within the close timeout")]
    CloseTimeout,
    /// Output that had to go out waited longer than
    /// [`WebSocketConfig::write_timeout`](crate::WebSocketConfig::write_timeout)
    /// for a stream that took none of it: the peer stopped reading. The
    /// connection is over; drop the stream.
    #[error("peer took no bytes within the write timeout")]
    WriteTimeout,
    /// A negotiated extension failed to encode an outgoing message.
    #[error("extension failed to encode a message")]
    Extension(#[source] ExtensionError),
}

impl WsError {
    /// True if this is an I/O `WouldBlock`: nothing was lost, try again later.
    pub fn is_would_block(&self) -> bool {
        matches!(self, WsError::Io(e) if e.kind() == io::ErrorKind::WouldBlock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn display_does_not_repeat_source() {
        let err = WsError::from(ProtocolError::InvalidUtf8);
        let shown = err.to_string();
        let source = err
            .source()
            .expect("protocol errors have a source")
            .to_string();
        assert!(!shown.contains(&source), "{shown} / {source}");
        let io = WsError::from(io::Error::new(io::ErrorKind::BrokenPipe, "pipe gone"));
        assert!(!io.to_string().contains("pipe gone"));
        assert_eq!(io.source().unwrap().to_string(), "pipe gone");
    }
}
