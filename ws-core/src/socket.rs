//! The blocking/non-blocking driver over any `Read + Write` stream.

use crate::protocol::{CloseState, Protocol};
use crate::{CloseFrame, Message, Role, WebSocketConfig, WsError};
use sockwell_extensions::ExtensionStack;
use std::io::{self, Read, Write};
use std::time::Instant;

/// A WebSocket connection over a stream `S`, blocking or non-blocking.
///
/// With a non-blocking stream every method may return an
/// [`WsError::Io`] of kind `WouldBlock` ([`WsError::is_would_block`]); nothing is
/// lost, and the next call continues where this one stopped.
#[derive(Debug)]
pub struct WebSocket<S> {
    stream: S,
    protocol: Protocol,
    /// A write error met after a message was read: reported on the next call,
    /// so that the message is not lost.
    deferred: Option<io::Error>,
}

/// A stream that has nothing (or takes nothing) for now: non-blocking, or
/// a socket timeout of a blocking one.
pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

impl<S: Read + Write> WebSocket<S> {
    /// Wraps a stream on which the opening handshake is already done.
    pub fn from_raw_socket(stream: S, role: Role, config: WebSocketConfig) -> Self {
        Self::from_protocol(stream, Protocol::new(role, config))
    }

    /// Like [`from_raw_socket`](Self::from_raw_socket), for a stream of which
    /// `part` was already read past the handshake: those bytes are processed first.
    pub fn from_partially_read(
        stream: S,
        part: &[u8],
        role: Role,
        config: WebSocketConfig,
    ) -> Self {
        let mut protocol = Protocol::new(role, config);
        protocol.receive(part);
        Self::from_protocol(stream, protocol)
    }

    /// Wraps a stream and a configured engine (e.g. one with negotiated
    /// extensions, see [`Protocol::with_extensions`]).
    pub fn from_protocol(stream: S, protocol: Protocol) -> Self {
        WebSocket {
            stream,
            protocol,
            deferred: None,
        }
    }

    /// Builds a connection with a negotiated extension stack and leftover handshake bytes.
    pub fn from_parts(
        stream: S,
        part: &[u8],
        role: Role,
        config: WebSocketConfig,
        extensions: ExtensionStack,
    ) -> Self {
        let mut protocol = Protocol::new(role, config).with_extensions(extensions);
        protocol.receive(part);
        Self::from_protocol(stream, protocol)
    }

    /// Reads the next message (or ping, pong, close event).
    ///
    /// Pongs and Close replies that reading queued are written before this
    /// returns, as far as the stream accepts them; messages queued with
    /// [`write`](Self::write) are not (they wait for [`flush`](Self::flush)),
    /// so that a loop can answer many messages with one write. With nothing
    /// buffered this makes exactly one `read` call on the stream, so a
    /// non-blocking stream with no data returns `WouldBlock` at once.
    ///
    /// While the queued output is past
    /// [`write_buffer_size`](WebSocketConfig::write_buffer_size), this
    /// writes before it reads: a peer that does not read its replies meets
    /// backpressure. On a non-blocking stream that returns `WouldBlock` until
    /// the stream takes more bytes.
    ///
    /// After the closing handshake this returns [`WsError::ConnectionClosed`]
    /// once; drop the stream then.
    pub fn read(&mut self) -> Result<Message, WsError> {
        loop {
            if let Some(message) = self.read_buffered()? {
                return Ok(message);
            }
            if !self.protocol.wants_read() {
                // Backpressure: no more input until the output drains.
                if let Err(e) = self.protocol.write_to(&mut self.stream) {
                    return Err(self.write_failed(e));
                }
                continue;
            }
            match self.protocol.read_from(&mut self.stream) {
                Ok(0) => return Err(self.protocol.end_of_stream()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_timeout(&e) => {
                    // The stream has nothing now: the timers' chance to
                    // act (after the read, so bytes that were waiting in
                    // the stream count as a sign of life).
                    self.timers_tick(true)?;
                    return Err(WsError::Io(e));
                }
                Err(e) => return Err(self.io_failed(e)),
            }
        }
    }

    /// Runs the engine's timers (keepalive, the write and close timeouts).
    /// With `write`, what they queued (a ping, the Close of a keepalive
    /// failure) is written if the stream takes it; after a write that
    /// timed out it is not tried again (it would wait as long once more).
    fn timers_tick(&mut self, write: bool) -> Result<(), WsError> {
        let timers = self.protocol.poll_timers(Instant::now());
        if write && self.protocol.wants_reply_write() {
            match self.protocol.write_to(&mut self.stream) {
                Ok(()) => {}
                Err(e) if is_timeout(&e) => {}
                Err(e) if timers.is_ok() => return Err(self.io_failed(e)),
                Err(_) => {}
            }
        }
        timers.map(drop)
    }

    /// The error a failed write means: a timeout is the timers' turn (the
    /// connection fails if one of them ran out) and otherwise comes back as
    /// it is, every byte kept queued; any other error breaks the stream.
    fn write_failed(&mut self, e: io::Error) -> WsError {
        if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted {
            match self.timers_tick(false) {
                Err(timer) => timer,
                Ok(()) => WsError::Io(e),
            }
        } else {
            self.io_failed(e)
        }
    }

    /// An I/O error that ends the connection: later calls say
    /// [`WsError::AlreadyClosed`] instead of trying the stream again.
    fn io_failed(&mut self, e: io::Error) -> WsError {
        self.protocol.stream_failed();
        WsError::Io(e)
    }

    /// Queues `message` without flushing. If the queue passes
    /// [`WebSocketConfig::write_buffer_size`], this also tries to write it out;
    /// a `WouldBlock` there is not an error (the message is queued).
    ///
    /// When the message does not fit under
    /// [`max_write_buffer_size`](WebSocketConfig::max_write_buffer_size), this
    /// writes out what is queued first; if the stream does not take enough
    /// of it, the message is not queued and [`WsError::WriteBufferFull`] says so.
    pub fn write(&mut self, message: Message) -> Result<(), WsError> {
        let room = self.protocol.check_write(&message);
        self.queue(room, |protocol| protocol.write_owned(message))
    }

    /// [`write`](Self::write) for a message prepared once for many
    /// connections (a broadcast): see [`PreparedMessage`](crate::PreparedMessage).
    pub fn write_prepared(&mut self, prepared: &crate::PreparedMessage) -> Result<(), WsError> {
        let room = self.protocol.check_write_prepared(prepared);
        self.queue(room, |protocol| protocol.write_prepared(prepared))
    }

    /// [`write`](Self::write)'s policy around `send`: room made first if
    /// `room` says the queue is full, a write once it passes the buffer size.
    fn queue(
        &mut self,
        room: Result<(), WsError>,
        send: impl FnOnce(&mut Protocol) -> Result<(), WsError>,
    ) -> Result<(), WsError> {
        if let Err(WsError::WriteBufferFull { .. }) = room {
            if self.protocol.wants_write() {
                self.write_queued()?;
            }
        }
        send(&mut self.protocol)?;
        if !self.protocol.has_output_room() {
            self.write_queued()?;
        }
        Ok(())
    }

    /// Writes what the stream takes; a stream that takes no more for now
    /// is not an error here (the bytes stay queued), unless a timer ran out.
    fn write_queued(&mut self) -> Result<(), WsError> {
        match self.protocol.write_to(&mut self.stream) {
            Ok(()) => Ok(()),
            Err(e) => match self.write_failed(e) {
                WsError::Io(e) if is_timeout(&e) => Ok(()),
                err => Err(err),
            },
        }
    }

    /// Writes every queued byte and flushes the stream.
    ///
    /// A stream that takes no more for now (`WouldBlock`, or a write
    /// timeout of a blocking stream) returns [`WsError::Io`] with every
    /// unwritten byte kept queued, after the timers had their turn: with
    /// keepalive on, a peer that stopped reading fails the connection with
    /// [`WsError::KeepaliveTimeout`] within `interval` + `timeout`.
    pub fn flush(&mut self) -> Result<(), WsError> {
        self.protocol
            .write_to(&mut self.stream)
            .map_err(|e| self.write_failed(e))
    }

    /// Queues `message` and flushes.
    ///
    /// On a non-blocking stream a `WouldBlock` from the flush means the
    /// message *is* queued and only its writing waits: call
    /// [`flush`](Self::flush) when the stream is writable, and do not send
    /// the message again (it would go out twice).
    pub fn send(&mut self, message: Message) -> Result<(), WsError> {
        self.write(message)?;
        self.flush()
    }

    /// Queues a prepared message and flushes.
    pub fn send_prepared(&mut self, prepared: &crate::PreparedMessage) -> Result<(), WsError> {
        self.write_prepared(prepared)?;
        self.flush()
    }

    /// The next message if one is complete in what was already read, without
    /// any call on the stream: `Ok(None)` means a [`read`](Self::read) would
    /// have to wait for the stream. Made for batching:
    ///
    /// ```no_run
    /// # fn echo(ws: &mut sockwell_core::WebSocket<std::net::TcpStream>) -> Result<(), sockwell_core::WsError> {
    /// loop {
    ///     let message = ws.read()?; // waits only when nothing is buffered
    ///     if message.is_data() {
    ///         ws.write(message)?;
    ///     }
    ///     // Answer everything that already arrived, then write once.
    ///     while let Some(message) = ws.read_buffered()? {
    ///         if message.is_data() {
    ///             ws.write(message)?;
    ///         }
    ///     }
    ///     ws.flush()?;
    /// }
    /// # }
    /// ```
    pub fn read_buffered(&mut self) -> Result<Option<Message>, WsError> {
        if let Some(e) = self.deferred.take() {
            return Err(self.io_failed(e));
        }
        // A Close (reply) still queued must be out before the caller hears
        // `ConnectionClosed` and drops the stream: report `WouldBlock` until
        // then (or until the close timeout runs out).
        if self.protocol.close_state() == CloseState::Closed && self.protocol.wants_write() {
            if let Err(e) = self.protocol.write_to(&mut self.stream) {
                if is_timeout(&e) {
                    return Err(self.write_failed(e));
                }
            }
        }
        match self.protocol.read_buffered() {
            Ok(Some(message)) => {
                if self.protocol.wants_reply_write() {
                    if let Err(e) = self.protocol.write_to(&mut self.stream) {
                        if !is_timeout(&e) && e.kind() != io::ErrorKind::Interrupted {
                            self.deferred = Some(e);
                        }
                    }
                }
                Ok(Some(message))
            }
            Ok(None) => Ok(None),
            Err(err) => {
                // A failed connection has a Close queued; closed ones may
                // still hold the Close reply. Either way, send what we can.
                let _ = self.protocol.write_to(&mut self.stream);
                Err(err)
            }
        }
    }

    /// Starts the closing handshake and flushes. Keep reading afterwards: data
    /// messages the peer sent before its Close are still delivered, then its
    /// Close, then [`WsError::ConnectionClosed`].
    pub fn close(&mut self, frame: Option<CloseFrame>) -> Result<(), WsError> {
        self.protocol.close(frame)?;
        self.flush()
    }

    /// Where the closing handshake stands.
    pub fn close_state(&self) -> CloseState {
        self.protocol.close_state()
    }

    /// The engine, e.g. to look at the negotiated extensions.
    pub fn protocol(&self) -> &Protocol {
        &self.protocol
    }

    /// The stream.
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// The stream, mutably. Reading or writing it directly corrupts the connection.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// The stream and the engine.
    pub fn into_parts(self) -> (S, Protocol) {
        (self.stream, self.protocol)
    }
}
