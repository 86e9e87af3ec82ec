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
    // One poll of the engine: a split reader takes the shared lock once.
    h.poll_engine(cx, |engine, io, cx| {
        if engine.terminated {
            return Poll::Ready(None);
        }
        match ready!(engine.poll_message(io, cx)) {
            Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => {
                engine.terminated = true;
                Poll::Ready(None)
            }
            other => Poll::Ready(Some(other)),
        }
    })
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
