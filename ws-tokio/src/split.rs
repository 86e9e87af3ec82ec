//! Owned split halves: a reader and a writer, each `Send`, for two tasks.
//!
//! Both halves share the stream and the engine behind one mutex, taken for
//! the length of a poll (never across an await: every I/O call in there is
//! a non-blocking poll). The reader writes the engine's own replies (pongs,
//! Close replies, keepalive pings) itself, so they go out even while the
//! writer task is idle. Because both tasks may then wait for the stream to
//! become writable, and both run the connection's timers, the stream and
//! the timers see a waker that wakes both, never only the last one to ask;
//! each half keeps one slot for its task (the latest to poll it), so a
//! half polled from many tasks in turn holds one waker, not one per task.

use crate::engine::{Engine, Take};
use crate::stream::WebSocketStream;
use futures_core::Stream;
use futures_sink::Sink;
use sockwell_core::{CloseFrame, CloseState, Error, Message, PreparedMessage};
use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{ready, Context, Poll, Wake, Waker};
use tokio::io::{AsyncRead, AsyncWrite};

struct Shared<S> {
    core: Mutex<WebSocketStream<S>>,
    wakers: Arc<HalfWakers>,
    /// Wakes every half that waits: what the stream and the timers see.
    waker: Waker,
}

impl<S> Shared<S> {
    fn lock(&self) -> MutexGuard<'_, WebSocketStream<S>> {
        // Poisoned: a poll panicked, but the engine only changes between
        // its calls, so its state is consistent.
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Which half polls.
#[derive(Clone, Copy)]
enum Half {
    Reader = 0,
    Writer = 1,
}

/// The task waiting on each half: one slot per half, so however many
/// tasks take turns with a half (a writer behind a lock, say), only the
/// latest is kept, as with any single-owner future.
#[derive(Default)]
struct HalfWakers(Mutex<[Option<Waker>; 2]>);

impl HalfWakers {
    fn slots(&self) -> MutexGuard<'_, [Option<Waker>; 2]> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn register(&self, half: Half, waker: &Waker) {
        let mut slots = self.slots();
        let slot = &mut slots[half as usize];
        if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *slot = Some(waker.clone());
        }
    }

    fn clear(&self, half: Half) {
        self.slots()[half as usize] = None;
    }
}

impl Wake for HalfWakers {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let [reader, writer] = std::mem::take(&mut *self.slots());
        for waker in [reader, writer].into_iter().flatten() {
            waker.wake();
        }
    }
}

/// Polls the engine and the stream for `half`, under the lock.
///
/// Both halves read and write the same stream and share its timers: a
/// reader waits to read and may write its replies, a writer waits to write,
/// both arm the keepalive timer. The stream and the timer keep one waker
/// per direction, so each sees a waker that wakes both waiting halves,
/// never only the last one to poll; each half's own task is kept in its
/// slot until the poll finishes.
fn poll_core<S, T>(
    shared: &Shared<S>,
    half: Half,
    cx: &mut Context<'_>,
    f: impl FnOnce(&mut Engine, &mut S, &mut Context<'_>) -> Poll<T>,
) -> Poll<T> {
    let mut core = shared.lock();
    let core = &mut *core;
    // Registered before the poll: a wake that comes while it runs finds it.
    shared.wakers.register(half, cx.waker());
    let poll = f(
        &mut core.engine,
        &mut core.io,
        &mut Context::from_waker(&shared.waker),
    );
    if poll.is_ready() {
        // This half's task waits for nothing now.
        shared.wakers.clear(half);
    }
    poll
}

/// Runs `f` on the engine and the stream, under the lock, for a call that
/// does not wait.
fn with_core<S, T>(shared: &Shared<S>, f: impl FnOnce(&mut Engine, &mut S) -> T) -> T {
    let mut core = shared.lock();
    let core = &mut *core;
    f(&mut core.engine, &mut core.io)
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
        let wakers = Arc::<HalfWakers>::default();
        let shared = Arc::new(Shared {
            core: Mutex::new(self),
            waker: Waker::from(Arc::clone(&wakers)),
            wakers,
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
        poll_core(&self.shared, Half::Reader, cx, |engine, io, cx| {
            engine.poll_message(io, cx)
        })
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
        poll_core(&self.shared, Half::Writer, cx, |engine, io, cx| {
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
        poll_core(&this.shared, Half::Writer, cx, |engine, io, cx| {
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
        poll_core(&this.shared, Half::Writer, cx, |engine, io, cx| {
            if engine.protocol.close_state() == CloseState::Open {
                if let Err(e) = engine.protocol.close(None) {
                    return Poll::Ready(Err(e));
                }
            }
            engine.poll_write_out(io, cx, Take::All)
        })
    }
}
