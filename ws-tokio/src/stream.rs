//! `WebSocketStream`: one connection over an async stream.

use crate::engine::Engine;
use crate::handle::{self, Handle};
use sockwell_core::{
    CloseFrame, CloseState, Message, PreparedMessage, Protocol, Role, WebSocketConfig, WsError,
};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite};

/// A WebSocket connection over an async stream `S` (a `TcpStream`, a TLS
/// stream, a `DuplexStream`, a stream hyper upgraded).
///
/// Reads land straight in the engine's read buffer and writes come from its
/// queue: the same sans-IO [`Protocol`] as the sync driver, no adapter in
/// between.
///
/// It is a [`Stream`](futures_core::Stream) of messages (which ends after the closing handshake)
/// and a [`Sink`](futures_sink::Sink) of messages, so `StreamExt::next`, `SinkExt::send` and
/// `StreamExt::split` work as with tokio-tungstenite. The inherent methods
/// use the verbs of the sync [`WebSocket`](sockwell_core::WebSocket):
/// [`read`](Self::read) the next message, [`write`](Self::write) queues,
/// [`flush`](Self::flush) writes the queue, [`send`](Self::send) queues and
/// flushes, [`close`](Self::close) starts the closing handshake. None of
/// them shares a name with a `StreamExt` / `SinkExt` method while meaning
/// something else; [`into_split`](Self::into_split) gives two owned halves
/// without the futures crate.
///
/// Cancel safety: [`read`](Self::read), [`flush`](Self::flush) and
/// [`read_buffered`](Self::read_buffered) are cancel-safe (a dropped future
/// loses no byte and no message: every piece of state lives in the engine).
/// [`send`](Self::send) and [`close`](Self::close) queue first and then
/// flush: dropped after the queueing, the message stays queued and goes out
/// with the next flush.
#[derive(Debug)]
pub struct WebSocketStream<S> {
    pub(crate) io: S,
    pub(crate) engine: Engine,
}

impl<S> WebSocketStream<S> {
    /// Wraps a stream on which the opening handshake is already done.
    pub fn from_raw_socket(io: S, role: Role, config: WebSocketConfig) -> Self {
        Self::from_protocol(io, Protocol::new(role, config))
    }

    /// Wraps a stream and an engine (with its negotiated extensions, and the
    /// bytes that came after the handshake already handed to it).
    pub fn from_protocol(io: S, protocol: Protocol) -> Self {
        WebSocketStream {
            io,
            engine: Engine::new(protocol),
        }
    }

    /// The engine: the negotiated extensions, the close state, the limits.
    pub fn protocol(&self) -> &Protocol {
        &self.engine.protocol
    }

    /// Where the closing handshake stands.
    pub fn close_state(&self) -> CloseState {
        self.engine.protocol.close_state()
    }

    /// The stream.
    pub fn get_ref(&self) -> &S {
        &self.io
    }

    /// The stream, mutably. Reading or writing it directly corrupts the connection.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.io
    }

    /// The stream and the engine.
    pub fn into_parts(self) -> (S, Protocol) {
        (self.io, self.engine.protocol)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Handle for WebSocketStream<S> {
    type Io = S;

    fn poll_engine<T>(
        &mut self,
        cx: &mut Context<'_>,
        f: impl FnOnce(&mut Engine, &mut S, &mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        f(&mut self.engine, &mut self.io, cx)
    }

    fn with_engine<T>(&mut self, f: impl FnOnce(&mut Engine, &mut S) -> T) -> T {
        f(&mut self.engine, &mut self.io)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketStream<S> {
    handle::reading_methods!();
    handle::writing_methods!();
}

handle::stream_impl!(WebSocketStream, |ws| ws.engine.terminated);
handle::sink_impl!(WebSocketStream);
