//! `WebSocketStream`: one connection over an async stream.

use crate::engine::Engine;
use crate::handle::{self, Handle, Outgoing};
use futures_core::{FusedStream, Stream};
use futures_sink::Sink;
use sockwell_core::{
    CloseFrame, CloseState, Message, PreparedMessage, Protocol, Role, WebSocketConfig, WsError,
};
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite};

/// A WebSocket connection over an async stream `S` (a `TcpStream`, a TLS
/// stream, a `DuplexStream`, a stream hyper upgraded).
///
/// Reads land straight in the engine's read buffer and writes come from its
/// queue: the same sans-IO [`Protocol`] as the sync driver, no adapter in
/// between.
///
/// It is a [`Stream`] of messages (which ends after the closing handshake)
/// and a [`Sink`] of messages, so `StreamExt::next`, `SinkExt::send` and
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
    /// Receives the next message (or ping, pong, Close). Pongs and Close
    /// replies are written as the stream takes them; messages queued with
    /// [`write`](Self::write) wait for [`flush`](Self::flush). After the
    /// closing handshake this returns [`WsError::ConnectionClosed`] once.
    ///
    /// Cancel-safe: dropped before it completes, nothing is lost.
    pub async fn read(&mut self) -> Result<Message, WsError> {
        poll_fn(|cx| self.poll_read(cx)).await
    }

    /// [`read`](Self::read) as a poll function.
    pub fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Result<Message, WsError>> {
        handle::poll_read(self, cx)
    }

    /// A message that already arrived, without waiting for the stream:
    /// `Ok(None)` when none is complete. For batching: receive with
    /// [`read`](Self::read), answer everything `read_buffered` still has
    /// with [`write`](Self::write), then [`flush`](Self::flush) once.
    ///
    /// Replies (pongs) are written if the stream takes them at once; the
    /// rest go out with the next flush or read.
    pub fn read_buffered(&mut self) -> Result<Option<Message>, WsError> {
        handle::read_buffered(self)
    }

    /// Queues `message` without writing it (see [`flush`](Self::flush)).
    /// Fails with [`WsError::WriteBufferFull`] if it would take the queue past
    /// [`WebSocketConfig::max_write_buffer_size`].
    pub fn write(&mut self, message: Message) -> Result<(), WsError> {
        handle::write(self, message)
    }

    /// [`write`](Self::write) for a message prepared once for many
    /// connections (a broadcast): see [`PreparedMessage`].
    pub fn write_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), WsError> {
        handle::write_prepared(self, prepared)
    }

    /// Writes everything queued and flushes the stream. Cancel-safe: what
    /// was written stays written, the rest stays queued.
    pub async fn flush(&mut self) -> Result<(), WsError> {
        poll_fn(|cx| handle::poll_flush(self, cx)).await
    }

    /// Queues `message` and flushes (what `SinkExt::send` does). When the
    /// queue has no room for it, what is queued is written out first.
    pub async fn send(&mut self, message: Message) -> Result<(), WsError> {
        handle::send(self, Outgoing::Message(message)).await
    }

    /// [`send`](Self::send) for a message prepared once for many
    /// connections (a broadcast): the frames (compressed, with
    /// permessage-deflate without server context takeover) are made once
    /// and shared by every connection that can take the same bytes.
    pub async fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), WsError> {
        handle::send(self, Outgoing::Prepared(prepared)).await
    }

    /// Starts the closing handshake with `frame` and flushes (as
    /// tokio-tungstenite's `close(Option<CloseFrame>)`; `SinkExt::close`
    /// does the same with no frame). Keep reading afterwards: messages the
    /// peer sent before its Close are still delivered, then its Close, then
    /// [`WsError::ConnectionClosed`].
    pub async fn close(&mut self, frame: Option<CloseFrame>) -> Result<(), WsError> {
        handle::close(self, frame).await
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WebSocketStream<S> {
    type Item = Result<Message, WsError>;

    /// Ends (`None`) after the closing handshake or once the connection failed.
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        handle::poll_next(self.get_mut(), cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> FusedStream for WebSocketStream<S> {
    fn is_terminated(&self) -> bool {
        self.engine.terminated
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WebSocketStream<S> {
    type Error = WsError;

    /// Waits while more than [`WebSocketConfig::write_buffer_size`] is
    /// queued, writing it out: messages are batched up to that size, not
    /// flushed one by one.
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        handle::poll_ready(self.get_mut(), cx)
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), WsError> {
        handle::write(self.get_mut(), message)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        handle::poll_flush(self.get_mut(), cx)
    }

    /// Starts the closing handshake (if it was not) and flushes.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        handle::poll_close(self.get_mut(), cx)
    }
}
