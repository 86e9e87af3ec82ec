//! What every async handle does, written once: [`WebSocketStream`] owns its
//! engine and stream, the split halves reach theirs through a lock. Each
//! implements [`Handle`] (how to get at the engine and the stream for one
//! poll); receiving, queueing, sending, closing and the `Stream` / `Sink`
//! behaviour are the functions below, on any `Handle`.
//!
//! [`WebSocketStream`]: crate::WebSocketStream

use crate::engine::{Engine, Take};
use sockwell_core::{CloseFrame, CloseState, Message, PreparedMessage, WsError};
use std::future::poll_fn;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite};

/// Access to one connection's engine and stream.
pub(crate) trait Handle {
    /// The stream.
    type Io: AsyncRead + AsyncWrite + Unpin;

    /// Runs `f` for one poll; a handle shared between tasks arranges that
    /// the waker `f` gets wakes whichever of its tasks waits.
    fn poll_engine<T>(
        &mut self,
        cx: &mut Context<'_>,
        f: impl FnOnce(&mut Engine, &mut Self::Io, &mut Context<'_>) -> Poll<T>,
    ) -> Poll<T>;

    /// Runs `f`, which does not wait.
    fn with_engine<T>(&mut self, f: impl FnOnce(&mut Engine, &mut Self::Io) -> T) -> T;
}

/// The next message: `read` and `poll_read` of every handle.
pub(crate) fn poll_read<H: Handle>(
    h: &mut H,
    cx: &mut Context<'_>,
) -> Poll<Result<Message, WsError>> {
    h.poll_engine(cx, |engine, io, cx| engine.poll_message(io, cx))
}

/// A message already received, without waiting: `read_buffered`.
pub(crate) fn read_buffered<H: Handle>(h: &mut H) -> Result<Option<Message>, WsError> {
    h.with_engine(|engine, io| engine.try_buffered(io))
}

/// `Stream::poll_next`: the messages, ending after the closing handshake
/// or once the connection failed (after its error was yielded).
pub(crate) fn poll_next<H: Handle>(
    h: &mut H,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<Message, WsError>>> {
    if h.with_engine(|engine, _| engine.terminated) {
        return Poll::Ready(None);
    }
    match ready!(poll_read(h, cx)) {
        Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => {
            h.with_engine(|engine, _| engine.terminated = true);
            Poll::Ready(None)
        }
        other => Poll::Ready(Some(other)),
    }
}

/// Queues a message without writing it: `write`, `Sink::start_send`.
pub(crate) fn write<H: Handle>(h: &mut H, message: Message) -> Result<(), WsError> {
    h.with_engine(|engine, _| engine.protocol.write_owned(message))
}

/// Queues a prepared message without writing it: `write_prepared`.
pub(crate) fn write_prepared<H: Handle>(
    h: &mut H,
    prepared: &PreparedMessage,
) -> Result<(), WsError> {
    h.with_engine(|engine, _| engine.protocol.write_prepared(prepared))
}

/// Writes everything queued and flushes: `flush`, `Sink::poll_flush`.
pub(crate) fn poll_flush<H: Handle>(h: &mut H, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
    h.poll_engine(cx, |engine, io, cx| {
        engine.poll_write_out(io, cx, Take::All)
    })
}

/// `Sink::poll_ready`: waits while more than
/// [`WebSocketConfig::write_buffer_size`](sockwell_core::WebSocketConfig::write_buffer_size)
/// is queued, writing it out, so that messages are batched up to that size
/// rather than flushed one by one.
pub(crate) fn poll_ready<H: Handle>(h: &mut H, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
    h.poll_engine(cx, |engine, io, cx| {
        if engine.protocol.has_output_room() {
            return Poll::Ready(Ok(()));
        }
        engine.poll_write_out(io, cx, Take::All)
    })
}

/// `Sink::poll_close`: starts the closing handshake (if it was not) and
/// flushes.
pub(crate) fn poll_close<H: Handle>(h: &mut H, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
    h.poll_engine(cx, |engine, io, cx| {
        if engine.protocol.close_state() == CloseState::Open {
            if let Err(e) = engine.protocol.close(None) {
                return Poll::Ready(Err(e));
            }
        }
        engine.poll_write_out(io, cx, Take::All)
    })
}

/// What `send` queues.
pub(crate) enum Outgoing<'a> {
    Message(Message),
    Prepared(&'a PreparedMessage),
}

/// Queues a message and flushes: `send`, `send_prepared`. When the queue
/// has no room for it, what is queued is written out first. Dropped before
/// the message is queued, nothing was sent; after, it stays queued and goes
/// out with the next flush.
pub(crate) async fn send<H: Handle>(h: &mut H, message: Outgoing<'_>) -> Result<(), WsError> {
    let room = h.with_engine(|engine, _| match &message {
        Outgoing::Message(m) => engine.protocol.check_write(m),
        Outgoing::Prepared(p) => engine.protocol.check_write_prepared(p),
    });
    if let Err(WsError::WriteBufferFull { .. }) = room {
        poll_fn(|cx| poll_flush(h, cx)).await?;
    }
    match message {
        Outgoing::Message(m) => write(h, m)?,
        Outgoing::Prepared(p) => write_prepared(h, p)?,
    }
    poll_fn(|cx| poll_flush(h, cx)).await
}

/// Starts the closing handshake with `frame` and flushes: `close`.
pub(crate) async fn close<H: Handle>(h: &mut H, frame: Option<CloseFrame>) -> Result<(), WsError> {
    h.with_engine(|engine, _| engine.protocol.close(frame))?;
    poll_fn(|cx| poll_flush(h, cx)).await
}

/// The receiving methods of a handle (the stream, the reader): one-line
/// calls of the functions above, written once for both.
macro_rules! reading_methods {
    () => {
        /// Receives the next message (or ping, pong, Close). Pongs and
        /// Close replies are written as the stream takes them; messages
        /// queued with `write` wait for `flush`. After the closing
        /// handshake this returns [`WsError::ConnectionClosed`] once.
        ///
        /// Cancel-safe: dropped before it completes, nothing is lost.
        pub async fn read(&mut self) -> Result<Message, WsError> {
            std::future::poll_fn(|cx| self.poll_read(cx)).await
        }

        /// [`read`](Self::read) as a poll function.
        pub fn poll_read(
            &mut self,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<Message, WsError>> {
            $crate::handle::poll_read(self, cx)
        }

        /// A message that already arrived, without waiting for the stream:
        /// `Ok(None)` when none is complete. For batching: receive with
        /// [`read`](Self::read), answer everything `read_buffered` still
        /// has with `write`, then `flush` once.
        ///
        /// Replies (pongs) are written if the stream takes them at once;
        /// the rest go out with the next flush or read.
        pub fn read_buffered(&mut self) -> Result<Option<Message>, WsError> {
            $crate::handle::read_buffered(self)
        }
    };
}

/// The sending methods of a handle (the stream, the writers): one-line
/// calls of the functions above, written once for both.
macro_rules! writing_methods {
    () => {
        /// Queues `message` without writing it (see [`flush`](Self::flush)).
        /// Fails with [`WsError::WriteBufferFull`] if it would take the
        /// queue past `WebSocketConfig::max_write_buffer_size`.
        pub fn write(&mut self, message: Message) -> Result<(), WsError> {
            $crate::handle::write(self, message)
        }

        /// [`write`](Self::write) for a message prepared once for many
        /// connections (a broadcast): see [`PreparedMessage`].
        pub fn write_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), WsError> {
            $crate::handle::write_prepared(self, prepared)
        }

        /// Writes everything queued and flushes the stream. Cancel-safe:
        /// what was written stays written, the rest stays queued.
        pub async fn flush(&mut self) -> Result<(), WsError> {
            std::future::poll_fn(|cx| $crate::handle::poll_flush(self, cx)).await
        }

        /// Queues `message` and flushes (what `SinkExt::send` does). When
        /// the queue has no room for it, what is queued is written out
        /// first.
        pub async fn send(&mut self, message: Message) -> Result<(), WsError> {
            $crate::handle::send(self, $crate::handle::Outgoing::Message(message)).await
        }

        /// [`send`](Self::send) for a message prepared once for many
        /// connections (a broadcast): the frames (compressed, with
        /// permessage-deflate without server context takeover) are made
        /// once and shared by every connection that can take the same
        /// bytes.
        pub async fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), WsError> {
            $crate::handle::send(self, $crate::handle::Outgoing::Prepared(prepared)).await
        }

        /// Starts the closing handshake with `frame` and flushes (as
        /// tokio-tungstenite's `close(Option<CloseFrame>)`; `SinkExt::close`
        /// does the same with no frame). Keep reading afterwards: messages
        /// the peer sent before its Close are still delivered, then its
        /// Close, then [`WsError::ConnectionClosed`].
        pub async fn close(&mut self, frame: Option<CloseFrame>) -> Result<(), WsError> {
            $crate::handle::close(self, frame).await
        }
    };
}

/// `Stream` (and `FusedStream`, given how to read the flag) for a
/// receiving handle.
macro_rules! stream_impl {
    ($ty:ident, |$this:ident| $terminated:expr) => {
        impl<S: AsyncRead + AsyncWrite + Unpin> futures_core::Stream for $ty<S> {
            type Item = Result<Message, WsError>;

            /// Ends (`None`) after the closing handshake or once the
            /// connection failed (after its error).
            fn poll_next(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<Self::Item>> {
                $crate::handle::poll_next(self.get_mut(), cx)
            }
        }

        impl<S: AsyncRead + AsyncWrite + Unpin> futures_core::FusedStream for $ty<S> {
            fn is_terminated(&self) -> bool {
                let $this = self;
                $terminated
            }
        }
    };
}

/// `Sink<Message>` for a sending handle.
macro_rules! sink_impl {
    ($ty:ident) => {
        impl<S: AsyncRead + AsyncWrite + Unpin> futures_sink::Sink<Message> for $ty<S> {
            type Error = WsError;

            /// Waits while more than `WebSocketConfig::write_buffer_size`
            /// is queued, writing it out: messages are batched up to that
            /// size, not flushed one by one.
            fn poll_ready(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Result<(), WsError>> {
                $crate::handle::poll_ready(self.get_mut(), cx)
            }

            fn start_send(self: std::pin::Pin<&mut Self>, message: Message) -> Result<(), WsError> {
                $crate::handle::write(self.get_mut(), message)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Result<(), WsError>> {
                $crate::handle::poll_flush(self.get_mut(), cx)
            }

            /// Starts the closing handshake (if it was not) and flushes.
            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Result<(), WsError>> {
                $crate::handle::poll_close(self.get_mut(), cx)
            }
        }
    };
}

pub(crate) use {reading_methods, sink_impl, stream_impl, writing_methods};
