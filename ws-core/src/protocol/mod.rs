//! The sans-IO protocol engine: bytes in, messages out, bytes to send out.
//!
//! [`Protocol`] never touches a socket. Feed it what the stream gave
//! ([`Protocol::receive`] or [`Protocol::read_from`]; or
//! [`Protocol::receive_next`], which decodes in place), take events with
//! [`Protocol::read_buffered`], queue messages with [`Protocol::write`], and
//! write what [`Protocol::pending_output`] holds. It keeps every piece of
//! partial state (half a header, half a frame, half a message, a pong to send,
//! a close in progress), so a driver can stop at any byte and resume later.

mod assembler;
mod incoming;
mod outgoing;
mod output;
mod timers;

use crate::buffer::ReadBuffer;
use crate::write_buffer::WriteBuffer;
use crate::{CloseFrame, Message, Role, WebSocketConfig, WsError};
use assembler::Assembler;
use sockwell_extensions::ExtensionStack;
use std::io::{self, Read};
use timers::TimerState;

/// Most pieces handed to one vectored write (`IOV_MAX` is 1024 on Linux;
/// a batch of large messages needs two per message).
pub const MAX_IO_SLICES: usize = 64;

pub(crate) use incoming::FrameState;

/// Where the closing handshake stands (RFC 6455 §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseState {
    /// Neither side has sent a Close.
    Open,
    /// We sent a Close and wait for the peer's; its data messages are still delivered.
    CloseSent,
    /// Both Closes were exchanged (or the connection failed): once the output
    /// is flushed, the stream can be dropped.
    Closed,
}

/// The WebSocket protocol state machine of one connection.
///
/// `repr(C)` for its field order, not for any foreign code: the fields every
/// message touches come first, next to each other, and what only a ping or
/// the keepalive timer reads comes last. With hundreds of connections each
/// engine is cold in the cache when its next message arrives, and every
/// separate cache line it touches is a miss.
#[derive(Debug)]
#[repr(C)]
pub struct Protocol {
    role: Role,
    /// Queued output holds bytes the application asked for (messages, its
    /// own pings and Close) that it has not flushed yet.
    app_unflushed: bool,
    close_sent: bool,
    close_received: bool,
    /// A protocol error failed the connection.
    failed: bool,
    /// `ConnectionClosed` has been reported once.
    closed_reported: bool,
    frame: FrameState,
    /// Data messages received and queued, for the idle timeout.
    data_messages: u64,
    rx: ReadBuffer,
    assembler: Assembler,
    tx: WriteBuffer,
    config: WebSocketConfig,
    extensions: ExtensionStack,
    /// The answer to the latest ping, not yet serialized: a newer ping replaces
    /// it (RFC 6455 §5.5.3 asks for an answer to the most recent one only).
    /// It becomes bytes when the stream has taken everything queued before
    /// it, or ahead of the next frame the application queues.
    pending_pong: Option<bytes::Bytes>,
    /// Bytes the stream took, in all.
    written: u64,
    /// Bytes the stream took while more than `write_buffer_size` was
    /// queued: reads wait then, so this is the peer's sign of life.
    written_backpressured: u64,
    timers: TimerState,
}

impl Protocol {
    /// An engine for an open connection with no extension.
    pub fn new(role: Role, config: WebSocketConfig) -> Self {
        Protocol {
            role,
            config,
            extensions: ExtensionStack::new(),
            rx: ReadBuffer::default(),
            frame: FrameState::Header,
            assembler: Assembler::default(),
            tx: WriteBuffer::default(),
            pending_pong: None,
            app_unflushed: false,
            close_sent: false,
            close_received: false,
            failed: false,
            closed_reported: false,
            timers: TimerState::default(),
            data_messages: 0,
            written: 0,
            written_backpressured: 0,
        }
    }

    /// Sets the negotiated extension stack.
    pub fn with_extensions(mut self, extensions: ExtensionStack) -> Self {
        self.extensions = extensions;
        self
    }

    /// This endpoint's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The connection's settings.
    pub fn config(&self) -> &WebSocketConfig {
        &self.config
    }

    /// The negotiated extensions.
    pub fn extensions(&self) -> &ExtensionStack {
        &self.extensions
    }

    /// Where the closing handshake stands.
    pub fn close_state(&self) -> CloseState {
        if self.failed || (self.close_sent && self.close_received) {
            CloseState::Closed
        } else if self.close_sent {
            CloseState::CloseSent
        } else {
            CloseState::Open
        }
    }

    /// Hands the engine bytes read from the stream.
    pub fn receive(&mut self, bytes: &[u8]) {
        self.rx.extend_from_slice(bytes);
    }

    /// Makes one `read` call on `reader` straight into the engine's buffer.
    /// `Ok(0)` means end of stream; see [`Protocol::end_of_stream`].
    ///
    /// A `WouldBlock` right after another one, with no byte in between
    /// (the connection went quiet, not just between two messages of a
    /// burst), also lets the extensions give back what they hold only
    /// while busy ([`ExtensionStack::release_idle_state`]); the read
    /// buffer shrinks on the same sign.
    pub fn read_from<R: Read + ?Sized>(&mut self, reader: &mut R) -> io::Result<usize> {
        let found_idle = self.rx.found_idle();
        let result = self.rx.read_from(reader);
        if found_idle && matches!(&result, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            // The buffer's own policy ran in `read_from`.
            self.extensions.release_idle_state();
        }
        result
    }

    /// Room to read into, straight into the engine's read buffer: for a
    /// driver that does its own reads (an async one). Report what was read
    /// with [`commit_read`](Self::commit_read), and call
    /// [`read_idle`](Self::read_idle) when the stream has nothing for now.
    pub fn read_space(&mut self) -> &mut [u8] {
        self.rx.spare()
    }

    /// Marks `n` bytes of [`read_space`](Self::read_space) as read.
    pub fn commit_read(&mut self, n: usize) {
        self.rx.commit(n);
    }

    /// The stream has no data for now: the second time in a row (no byte
    /// in between), the read buffer shrinks back if heavy traffic grew it
    /// and nothing is left in it, and the extensions give back what they
    /// hold only while busy ([`ExtensionStack::release_idle_state`]).
    pub fn read_idle(&mut self) {
        if self.rx.found_idle() {
            self.extensions.release_idle_state();
        }
        self.rx.idle();
    }

    /// The stream has no data for now, for a driver that then waits for
    /// readiness (an async one) and reads into scratch space of its own
    /// (handing the bytes over with [`receive`](Self::receive)) while
    /// [`read_buffer_released`](Self::read_buffer_released): besides
    /// [`read_idle`](Self::read_idle)'s policy, the read buffer is freed if
    /// nothing is in it and heavy traffic did not grow it, and so are a
    /// drained write buffer of at most 64 KiB and the extensions' encoding
    /// scratch. A quiet connection then holds no buffer at all; larger
    /// buffers stay for the next burst. Not
    /// for a driver that polls a non-blocking stream in a loop: it would
    /// reallocate on every `WouldBlock`.
    pub fn release_idle_buffers(&mut self) {
        self.rx.release_if_idle();
        self.tx.release_if_empty(64 << 10);
        self.extensions.release_buffers();
    }

    /// Nothing is buffered and the read buffer holds no storage worth
    /// reading into: none (see
    /// [`release_idle_buffers`](Self::release_idle_buffers)), or only the
    /// size of the last small input handed to [`receive`](Self::receive).
    /// Read into scratch space and hand the bytes to `receive` rather than
    /// growing the buffer (zeroed) through [`read_space`](Self::read_space)
    /// for a read that may find nothing: a connection of small messages
    /// then never allocates a whole read chunk.
    pub fn read_buffer_released(&self) -> bool {
        self.rx.is_small()
    }

    /// The error that the end of the stream means now: [`WsError::ConnectionClosed`]
    /// after a closing handshake, a reset without one otherwise.
    pub fn end_of_stream(&mut self) -> WsError {
        if self.close_state() == CloseState::Closed {
            self.closed_error()
        } else {
            self.failed = true;
            self.closed_reported = true;
            WsError::Protocol(crate::ProtocolError::ResetWithoutClosingHandshake)
        }
    }

    /// The stream failed for good (an I/O error other than `WouldBlock`,
    /// `TimedOut` or `Interrupted`): the connection is over. What is queued
    /// is dropped, and later calls answer [`WsError::AlreadyClosed`] instead
    /// of trying the broken stream again, so a caller that goes on after an
    /// error does not spin on it. Drivers call this when they report such
    /// an error.
    pub fn stream_failed(&mut self) {
        self.abandon();
    }

    fn closed_error(&mut self) -> WsError {
        if self.closed_reported || self.failed {
            WsError::AlreadyClosed
        } else {
            self.closed_reported = true;
            WsError::ConnectionClosed
        }
    }

    /// Queues `message`. Text and binary messages go through the extensions
    /// and are fragmented per [`WebSocketConfig::max_outgoing_frame_size`];
    /// `Close` starts the closing handshake.
    pub fn write(&mut self, message: &Message) -> Result<(), WsError> {
        match message {
            Message::Text(text) => {
                self.write_data(sockwell_extensions::MessageKind::Text, text.as_bytes())
            }
            Message::Binary(data) => {
                self.write_data(sockwell_extensions::MessageKind::Binary, data)
            }
            Message::Ping(data) => self.write_ping(data),
            Message::Pong(data) => self.write_pong(data),
            Message::Close(frame) => self.close(frame.clone()),
        }
    }

    /// [`write`](Self::write) for a message given by value: a large text or
    /// binary payload that goes out unchanged as one frame is queued
    /// without being copied (it is written with the frame header in one
    /// vectored write: see [`pending_output_vectored`](Self::pending_output_vectored)).
    /// On an error the message is dropped; [`check_write`](Self::check_write)
    /// tells beforehand whether it would be refused for space.
    pub fn write_owned(&mut self, message: Message) -> Result<(), WsError> {
        match message {
            Message::Text(text) => self.queue_data(
                sockwell_extensions::MessageKind::Text,
                outgoing::Payload::Owned(text.into_bytes()),
            ),
            Message::Binary(data) => self.queue_data(
                sockwell_extensions::MessageKind::Binary,
                outgoing::Payload::Owned(data),
            ),
            other => self.write(&other),
        }
    }

    /// The checks [`write`](Self::write) makes before it queues anything: the
    /// connection is open for sending, and the message fits in
    /// [`WebSocketConfig::max_write_buffer_size`] beside what is queued
    /// ([`WsError::WriteBufferFull`] otherwise: write some out and retry).
    pub fn check_write(&self, message: &Message) -> Result<(), WsError> {
        let len = match message {
            Message::Text(t) => t.len(),
            Message::Binary(b) | Message::Ping(b) | Message::Pong(b) => b.len(),
            Message::Close(_) => return Ok(()),
        };
        self.check_data_room(len)
    }

    /// [`check_write`](Self::check_write) for a prepared message.
    pub fn check_write_prepared(&self, prepared: &crate::PreparedMessage) -> Result<(), WsError> {
        self.check_data_room(prepared.payload().len())
    }

    /// Starts the closing handshake with `frame` (or no status code). Does
    /// nothing if a Close was already sent.
    pub fn close(&mut self, frame: Option<CloseFrame>) -> Result<(), WsError> {
        if self.close_sent || self.failed {
            return Ok(());
        }
        if let Some(f) = &frame {
            if !f.code.is_valid() {
                return Err(crate::SendError::InvalidCloseCode(f.code.as_u16()).into());
            }
            if 2 + f.reason.len() > crate::header::MAX_CONTROL_PAYLOAD {
                return Err(crate::SendError::ControlPayloadTooLong(2 + f.reason.len()).into());
            }
        }
        self.queue_close(frame.as_ref());
        self.app_unflushed = true;
        Ok(())
    }

    fn queue_close(&mut self, frame: Option<&CloseFrame>) {
        let mut payload = Vec::with_capacity(2 + frame.map_or(0, |f| f.reason.len()));
        if let Some(f) = frame {
            f.write_payload(&mut payload);
        }
        self.pending_pong = None;
        self.write_frame(
            true,
            sockwell_extensions::Rsv::NONE,
            crate::OpCode::Close,
            &payload,
        );
        self.close_sent = true;
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod direct_tests;

#[cfg(test)]
mod receive_next_tests;
