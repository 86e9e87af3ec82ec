//! Owned split halves: a reader and a writer, each `Send`, for two tasks.
//!
//! Both halves share the stream and the engine behind one mutex, taken for
//! the length of a poll (never across an await: every I/O call in there is
//! a non-blocking poll). The reader writes the engine's own replies (pongs,
//! Close replies, keepalive pings) itself, so they go out even while the
//! writer task is idle. Because both tasks may then wait for the stream to
//! become writable, a write that cannot proceed registers a waker that
//! wakes both, never only the last one to ask.

use crate::engine::{Engine, Take};
use crate::stream::WebSocketStream;
use futures_core::Stream;
use futures_sink::Sink;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{ready, Context, Poll, Wake, Waker};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use ws_core::{CloseFrame, CloseState, Error, Message, PreparedMessage};

struct Shared<S> {
    core: Mutex<WebSocketStream<S>>,
    write_wakers: Arc<WriteWakers>,
}

impl<S> Shared<S> {
    fn lock(&self) -> MutexGuard<'_, WebSocketStream<S>> {
        // Poisoned: a poll panicked, but the engine only changes between
        // its calls, so its state is consistent.
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The tasks waiting for the stream to take more bytes.
#[derive(Default)]
struct WriteWakers(Mutex<Vec<Waker>>);

impl WriteWakers {
    fn register(&self, waker: &Waker) {
        let mut wakers = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !wakers.iter().any(|w| w.will_wake(waker)) {
            wakers.push(waker.clone());
        }
    }
}

impl Wake for WriteWakers {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let wakers = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        for waker in wakers {
            waker.wake();
        }
    }
}

/// The stream as one half sees it: reads pass through; writes register the
/// caller with every other task waiting to write.
struct SharedIo<'a, S> {
    io: &'a mut S,
    wakers: &'a Arc<WriteWakers>,
}

impl<S: AsyncRead + Unpin> AsyncRead for SharedIo<'_, S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> SharedIo<'_, S> {
    fn with_all_wakers<T>(
        &mut self,
        cx: &mut Context<'_>,
        f: impl FnOnce(Pin<&mut S>, &mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        self.wakers.register(cx.waker());
        let waker = Waker::from(Arc::clone(self.wakers));
        f(Pin::new(&mut *self.io), &mut Context::from_waker(&waker))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for SharedIo<'_, S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .with_all_wakers(cx, |io, cx| io.poll_write(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut()
            .with_all_wakers(cx, |io, cx| io.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut()
            .with_all_wakers(cx, |io, cx| io.poll_shutdown(cx))
    }
}

/// Runs `f` on the engine and the shared stream, under the lock.
fn with_core<S, T>(
    shared: &Shared<S>,
    f: impl FnOnce(&mut Engine, &mut SharedIo<'_, S>) -> T,
) -> T {
    let mut core = shared.lock();
    let core = &mut *core;
    let mut io = SharedIo {
        io: &mut core.io,
        wakers: &shared.write_wakers,
    };
    f(&mut core.engine, &mut io)
}

/// The receiving half of a split [`WebSocketStream`].
pub struct WsReader<S> {
    shared: Arc<Shared<S>>,
}

/// The sending half of a split [`WebSocketStream`].
pub struct WsWriter<S> {
    shared: Arc<Shared<S>>,
}

impl<S> fmt::Debug for WsReader<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsReader").finish_non_exhaustive()
    }
}

impl<S> fmt::Debug for WsWriter<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsWriter").finish_non_exhaustive()
    }
}

/// [`WsReader::reunite`] was given halves of two different connections.
pub struct ReuniteError<S>(pub WsReader<S>, pub WsWriter<S>);

impl<S> fmt::Debug for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReuniteError(..)")
    }
}

impl<S> fmt::Display for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the halves belong to different connections")
    }
}

impl<S> std::error::Error for ReuniteError<S> {}

impl<S> WebSocketStream<S> {
    /// Splits the connection into a reader and a writer for two tasks. The
    /// reader drives keepalive and writes the engine's replies; messages go
    /// out through the writer. [`WsReader::reunite`] puts them back together.
    pub fn split(self) -> (WsReader<S>, WsWriter<S>) {
        let shared = Arc::new(Shared {
            core: Mutex::new(self),
            write_wakers: Arc::default(),
        });
        (
            WsReader {
                shared: Arc::clone(&shared),
            },
            WsWriter { shared },
        )
    }
}

impl<S> WsReader<S> {
    /// The connection again, from both of its halves.
    pub fn reunite(self, writer: WsWriter<S>) -> Result<WebSocketStream<S>, ReuniteError<S>> {
        if !Arc::ptr_eq(&self.shared, &writer.shared) {
            return Err(ReuniteError(self, writer));
        }
        drop(writer);
        match Arc::try_unwrap(self.shared) {
            Ok(shared) => Ok(shared.core.into_inner().unwrap_or_else(|e| e.into_inner())),
            Err(_) => unreachable!("only the two halves hold the connection"),
        }
    }

    /// Where the closing handshake stands.
    pub fn close_state(&self) -> CloseState {
        self.shared.lock().close_state()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsReader<S> {
    /// Receives the next message, like [`WebSocketStream::recv`]; pongs and
    /// Close replies are written from here. Cancel-safe.
    pub async fn recv(&mut self) -> Result<Message, Error> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// [`recv`](Self::recv) as a poll function.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<Message, Error>> {
        with_core(&self.shared, |engine, io| engine.poll_message(io, cx))
    }

    /// A message that already arrived, without waiting for the stream.
    pub fn try_recv(&mut self) -> Result<Option<Message>, Error> {
        with_core(&self.shared, |engine, io| engine.try_buffered(io))
    }
}

impl<S> WsWriter<S> {
    /// Queues `message` without writing it.
    pub fn feed(&mut self, message: Message) -> Result<(), Error> {
        self.shared.lock().feed(message)
    }

    /// [`feed`](Self::feed) for a prepared message (a broadcast).
    pub fn feed_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
        self.shared.lock().engine.protocol.send_prepared(prepared)
    }

    /// Where the closing handshake stands.
    pub fn close_state(&self) -> CloseState {
        self.shared.lock().close_state()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsWriter<S> {
    /// Writes everything queued. Cancel-safe.
    pub async fn flush(&mut self) -> Result<(), Error> {
        poll_fn(|cx| self.poll_write_all(cx)).await
    }

    fn poll_write_all(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        with_core(&self.shared, |engine, io| {
            engine.poll_write_out(io, cx, Take::All)
        })
    }

    /// Queues `message` and flushes; when the queue has no room for it,
    /// what is queued is written out first.
    pub async fn send(&mut self, message: Message) -> Result<(), Error> {
        let room = self.shared.lock().engine.protocol.check_send(&message);
        if let Err(Error::WriteBufferFull { .. }) = room {
            self.flush().await?;
        }
        self.shared.lock().engine.protocol.send_owned(message)?;
        self.flush().await
    }

    /// [`send`](Self::send) for a message prepared once for many
    /// connections (a broadcast): see [`PreparedMessage`].
    pub async fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
        let room = self
            .shared
            .lock()
            .engine
            .protocol
            .check_send_prepared(prepared);
        if let Err(Error::WriteBufferFull { .. }) = room {
            self.flush().await?;
        }
        self.shared.lock().engine.protocol.send_prepared(prepared)?;
        self.flush().await
    }

    /// Starts the closing handshake and flushes; keep receiving on the
    /// reader until [`Error::ConnectionClosed`].
    pub async fn close(&mut self, frame: Option<CloseFrame>) -> Result<(), Error> {
        self.shared.lock().engine.protocol.close(frame)?;
        self.flush().await
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WsReader<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match ready!(self.get_mut().poll_recv(cx)) {
            Err(Error::ConnectionClosed | Error::AlreadyClosed) => Poll::Ready(None),
            other => Poll::Ready(Some(other)),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WsWriter<S> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        with_core(&this.shared, |engine, io| {
            let protocol = &engine.protocol;
            if protocol.buffered_output() <= protocol.config().write_buffer_size {
                return Poll::Ready(Ok(()));
            }
            engine.poll_write_out(io, cx, Take::All)
        })
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        self.get_mut().feed(message)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_write_all(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        with_core(&this.shared, |engine, io| {
            if engine.protocol.close_state() == CloseState::Open {
                engine.protocol.close(None)?;
            }
            engine.poll_write_out(io, cx, Take::All)
        })
    }
}
