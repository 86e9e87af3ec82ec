//! `WebSocketStream`: one connection over an async stream.

use crate::engine::{Engine, Take};
use futures_core::Stream;
use futures_sink::Sink;
use sockwell_core::{
    CloseFrame, CloseState, Error, Message, PreparedMessage, Protocol, Role, WebSocketConfig,
};
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite};

/// A WebSocket connection over an async stream `S` (a `TcpStream`, a TLS
/// stream, a `DuplexStream`, a stream hyper upgraded).
///
/// Reads land straight in the engine's read buffer and writes come from its
/// queue: the same sans-IO [`Protocol`] as the sync driver, no adapter in
/// between. Besides the methods below it is a [`Stream`] of messages (which
/// ends after the closing handshake) and a [`Sink`] of messages.
///
/// Cancel safety: [`recv`](Self::recv), [`flush`](Self::flush) and
/// [`try_recv`](Self::try_recv) are cancel-safe (a dropped future loses no
/// byte and no message: every piece of state lives in the engine).
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

    /// Queues `message` without writing it (see [`flush`](Self::flush)).
    /// Fails with [`Error::WriteBufferFull`] if it would take the queue past
    /// [`WebSocketConfig::max_write_buffer_size`].
    pub fn feed(&mut self, message: Message) -> Result<(), Error> {
        self.engine.protocol.send_owned(message)
    }

    /// [`feed`](Self::feed) for a message prepared once for many
    /// connections (a broadcast): see [`PreparedMessage`].
    pub fn feed_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
        self.engine.protocol.send_prepared(prepared)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketStream<S> {
    /// Receives the next message (or ping, pong, Close). Pongs and Close
    /// replies are written as the stream takes them; messages queued with
    /// [`feed`](Self::feed) wait for [`flush`](Self::flush). After the closing
    /// handshake this returns [`Error::ConnectionClosed`] once.
    ///
    /// Cancel-safe: dropped before it completes, nothing is lost.
    pub async fn recv(&mut self) -> Result<Message, Error> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// [`recv`](Self::recv) as a poll function.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<Message, Error>> {
        self.engine.poll_message(&mut self.io, cx)
    }

    /// A message that already arrived, without waiting for the stream:
    /// `Ok(None)` when none is complete. For batching: receive with
    /// [`recv`](Self::recv), answer everything `try_recv` still has with
    /// [`feed`](Self::feed), then [`flush`](Self::flush) once.
    ///
    /// Replies (pongs) are written if the stream takes them at once; the
    /// rest go out with the next flush or receive.
    pub fn try_recv(&mut self) -> Result<Option<Message>, Error> {
        self.engine.try_buffered(&mut self.io)
    }

    /// Writes everything queued and flushes the stream. Cancel-safe: what
    /// was written stays written, the rest stays queued.
    pub async fn flush(&mut self) -> Result<(), Error> {
        poll_fn(|cx| self.engine.poll_write_out(&mut self.io, cx, Take::All)).await
    }

    /// Queues `message` and flushes. When the queue has no room for it, what
    /// is queued is written out first.
    pub async fn send(&mut self, message: Message) -> Result<(), Error> {
        if let Err(Error::WriteBufferFull { .. }) = self.engine.protocol.check_send(&message) {
            self.flush().await?;
        }
        self.engine.protocol.send_owned(message)?;
        self.flush().await
    }

    /// [`send`](Self::send) for a message prepared once for many
    /// connections (a broadcast): the frames (compressed, with
    /// permessage-deflate without server context takeover) are made once
    /// and shared by every connection that can take the same bytes.
    pub async fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
        let room = self.engine.protocol.check_send_prepared(prepared);
        if let Err(Error::WriteBufferFull { .. }) = room {
            self.flush().await?;
        }
        self.engine.protocol.send_prepared(prepared)?;
        self.flush().await
    }

    /// Starts the closing handshake and flushes. Keep receiving afterwards:
    /// messages the peer sent before its Close are still delivered, then its
    /// Close, then [`Error::ConnectionClosed`].
    pub async fn close(&mut self, frame: Option<CloseFrame>) -> Result<(), Error> {
        self.engine.protocol.close(frame)?;
        self.flush().await
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WebSocketStream<S> {
    type Item = Result<Message, Error>;

    /// Ends (`None`) after the closing handshake or once the connection failed.
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match ready!(this.poll_recv(cx)) {
            Err(Error::ConnectionClosed | Error::AlreadyClosed) => Poll::Ready(None),
            other => Poll::Ready(Some(other)),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WebSocketStream<S> {
    type Error = Error;

    /// Waits while more than [`WebSocketConfig::write_buffer_size`] is
    /// queued, writing it out: messages are batched up to that size, not
    /// flushed one by one.
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        let protocol = &this.engine.protocol;
        if protocol.buffered_output() <= protocol.config().write_buffer_size {
            return Poll::Ready(Ok(()));
        }
        this.engine.poll_write_out(&mut this.io, cx, Take::All)
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        self.get_mut().feed(message)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        this.engine.poll_write_out(&mut this.io, cx, Take::All)
    }

    /// Starts the closing handshake (if it was not) and flushes.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if this.engine.protocol.close_state() == CloseState::Open {
            this.engine.protocol.close(None)?;
        }
        this.engine.poll_write_out(&mut this.io, cx, Take::All)
    }
}
