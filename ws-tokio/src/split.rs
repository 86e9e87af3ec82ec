//! Owned split halves: a reader and a writer, each `Send`, for two tasks
//! (the writer cloneable, for several).
//!
//! Both halves share the stream and the engine behind one mutex, taken for
//! the length of a poll (never across an await: every I/O call in there is
//! a non-blocking poll). The reader writes the engine's own replies (pongs,
//! Close replies, keepalive pings) itself, so they go out even while the
//! writers are idle. Because several tasks may then wait for the stream to
//! become writable, and all run the connection's timers, the stream and
//! the timers see a waker that wakes every waiting handle, never only the
//! last one to ask; each handle keeps one slot for its task (the latest to
//! poll it), so a handle polled from many tasks in turn holds one waker,
//! not one per task.

use crate::engine::Engine;
use crate::handle::{self, Handle, Outgoing};
use crate::stream::WebSocketStream;
use futures_core::{FusedStream, Stream};
use futures_sink::Sink;
use sockwell_core::{CloseFrame, CloseState, Message, PreparedMessage, WsError};
use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use tokio::io::{AsyncRead, AsyncWrite};

struct Shared<S> {
    core: Mutex<WebSocketStream<S>>,
    wakers: Arc<HandleWakers>,
    /// Wakes every handle that waits: what the stream and the timers see.
    waker: Waker,
    /// The next writer handle's id.
    next_writer: AtomicU64,
}

impl<S> Shared<S> {
    fn lock(&self) -> MutexGuard<'_, WebSocketStream<S>> {
        // Poisoned: a poll panicked, but the engine only changes between
        // its calls, so its state is consistent.
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Polls the engine and the stream for handle `id`, under the lock.
    ///
    /// Every handle reads or writes the same stream and shares its timers:
    /// the reader waits to read and may write its replies, writers wait to
    /// write, all arm the keepalive timer. The stream and the timer keep
    /// one waker per direction, so each sees a waker that wakes every
    /// waiting handle, never only the last one to poll; each handle's own
    /// task is kept in its slot until the poll finishes.
    fn poll<T>(
        &self,
        id: u64,
        cx: &mut Context<'_>,
        f: impl FnOnce(&mut Engine, &mut S, &mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        let mut core = self.lock();
        let core = &mut *core;
        // Registered before the poll: a wake that comes while it runs finds it.
        self.wakers.register(id, cx.waker());
        let poll = f(
            &mut core.engine,
            &mut core.io,
            &mut Context::from_waker(&self.waker),
        );
        if poll.is_ready() {
            // This handle's task waits for nothing now.
            self.wakers.clear(id);
        }
        poll
    }

    fn with<T>(&self, f: impl FnOnce(&mut Engine, &mut S) -> T) -> T {
        let mut core = self.lock();
        let core = &mut *core;
        f(&mut core.engine, &mut core.io)
    }
}

/// The reader's id; writers count up from 1.
const READER: u64 = 0;

/// The task waiting on each handle: one slot per handle (the reader and
/// each writer clone), so however many tasks take turns with a handle (a
/// writer behind a lock, say), only the latest is kept, as with any
/// single-owner future.
#[derive(Default)]
struct HandleWakers(Mutex<Vec<(u64, Waker)>>);

impl HandleWakers {
    fn slots(&self) -> MutexGuard<'_, Vec<(u64, Waker)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn register(&self, id: u64, waker: &Waker) {
        let mut slots = self.slots();
        match slots.iter_mut().find(|(slot, _)| *slot == id) {
            Some((_, w)) if w.will_wake(waker) => {}
            Some((_, w)) => *w = waker.clone(),
            None => slots.push((id, waker.clone())),
        }
    }

    fn clear(&self, id: u64) {
        self.slots().retain(|(slot, _)| *slot != id);
    }
}

impl Wake for HandleWakers {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let waiting = std::mem::take(&mut *self.slots());
        for (_, waker) in waiting {
            waker.wake();
        }
    }
}

/// The receiving half of a split [`WebSocketStream`]: a [`Stream`] of
/// messages, or [`read`](Self::read).
pub struct WsReader<S> {
    shared: Arc<Shared<S>>,
}

/// The sending half of a split [`WebSocketStream`]: a [`Sink`] of
/// messages, or [`send`](Self::send) / [`write`](Self::write) +
/// [`flush`](Self::flush). Clones send on the same connection (like the
/// sync `WriteHalf`); each message goes out whole, in the order the
/// clones queued them.
pub struct WsWriter<S> {
    shared: Arc<Shared<S>>,
    id: u64,
}

impl<S> Clone for WsWriter<S> {
    fn clone(&self) -> Self {
        WsWriter {
            shared: Arc::clone(&self.shared),
            id: self.shared.next_writer.fetch_add(1, Ordering::Relaxed),
        }
    }
}

impl<S> Drop for WsWriter<S> {
    fn drop(&mut self) {
        self.shared.wakers.clear(self.id);
    }
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

/// [`WsReader::reunite`] was given halves of two different connections, or
/// a clone of the writer is still alive.
pub struct ReuniteError<S>(pub WsReader<S>, pub WsWriter<S>);

impl<S> fmt::Debug for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReuniteError(..)")
    }
}

impl<S> fmt::Display for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the halves belong to different connections, or a clone of the writer is alive")
    }
}

impl<S> std::error::Error for ReuniteError<S> {}

impl<S> WebSocketStream<S> {
    /// Splits the connection into a reader and a writer for two tasks (the
    /// writer can be cloned for more). The reader drives keepalive and
    /// writes the engine's replies; messages go out through the writers.
    /// [`WsReader::reunite`] puts them back together.
    ///
    /// `StreamExt::split` (futures) works too and gives `(sink, stream)`,
    /// as with tokio-tungstenite; this gives `(reader, writer)`, like
    /// tokio's `TcpStream::into_split`.
    pub fn into_split(self) -> (WsReader<S>, WsWriter<S>) {
        let wakers = Arc::<HandleWakers>::default();
        let shared = Arc::new(Shared {
            core: Mutex::new(self),
            waker: Waker::from(Arc::clone(&wakers)),
            wakers,
            next_writer: AtomicU64::new(READER + 2),
        });
        (
            WsReader {
                shared: Arc::clone(&shared),
            },
            WsWriter {
                shared,
                id: READER + 1,
            },
        )
    }
}

impl<S> WsReader<S> {
    /// The connection again, from both of its halves (every other clone of
    /// the writer dropped).
    pub fn reunite(self, writer: WsWriter<S>) -> Result<WebSocketStream<S>, ReuniteError<S>> {
        if !Arc::ptr_eq(&self.shared, &writer.shared) || Arc::strong_count(&self.shared) != 2 {
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

impl<S: AsyncRead + AsyncWrite + Unpin> Handle for WsReader<S> {
    type Io = S;

    fn poll_engine<T>(
        &mut self,
        cx: &mut Context<'_>,
        f: impl FnOnce(&mut Engine, &mut S, &mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        self.shared.poll(READER, cx, f)
    }

    fn with_engine<T>(&mut self, f: impl FnOnce(&mut Engine, &mut S) -> T) -> T {
        self.shared.with(f)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Handle for WsWriter<S> {
    type Io = S;

    fn poll_engine<T>(
        &mut self,
        cx: &mut Context<'_>,
        f: impl FnOnce(&mut Engine, &mut S, &mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        self.shared.poll(self.id, cx, f)
    }

    fn with_engine<T>(&mut self, f: impl FnOnce(&mut Engine, &mut S) -> T) -> T {
        self.shared.with(f)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsReader<S> {
    /// Receives the next message, like [`WebSocketStream::read`]; pongs and
    /// Close replies are written from here. Cancel-safe.
    pub async fn read(&mut self) -> Result<Message, WsError> {
        poll_fn(|cx| self.poll_read(cx)).await
    }

    /// [`read`](Self::read) as a poll function.
    pub fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Result<Message, WsError>> {
        handle::poll_read(self, cx)
    }

    /// A message that already arrived, without waiting for the stream.
    pub fn read_buffered(&mut self) -> Result<Option<Message>, WsError> {
        handle::read_buffered(self)
    }
}

impl<S> WsWriter<S> {
    /// Where the closing handshake stands.
    pub fn close_state(&self) -> CloseState {
        self.shared.lock().close_state()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsWriter<S> {
    /// Queues `message` without writing it.
    pub fn write(&mut self, message: Message) -> Result<(), WsError> {
        handle::write(self, message)
    }

    /// [`write`](Self::write) for a prepared message (a broadcast).
    pub fn write_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), WsError> {
        handle::write_prepared(self, prepared)
    }

    /// Writes everything queued. Cancel-safe.
    pub async fn flush(&mut self) -> Result<(), WsError> {
        poll_fn(|cx| handle::poll_flush(self, cx)).await
    }

    /// Queues `message` and flushes; when the queue has no room for it,
    /// what is queued is written out first.
    pub async fn send(&mut self, message: Message) -> Result<(), WsError> {
        handle::send(self, Outgoing::Message(message)).await
    }

    /// [`send`](Self::send) for a message prepared once for many
    /// connections (a broadcast): see [`PreparedMessage`].
    pub async fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), WsError> {
        handle::send(self, Outgoing::Prepared(prepared)).await
    }

    /// Starts the closing handshake and flushes; keep reading on the
    /// reader until [`WsError::ConnectionClosed`].
    pub async fn close(&mut self, frame: Option<CloseFrame>) -> Result<(), WsError> {
        handle::close(self, frame).await
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WsReader<S> {
    type Item = Result<Message, WsError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        handle::poll_next(self.get_mut(), cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> FusedStream for WsReader<S> {
    fn is_terminated(&self) -> bool {
        self.shared.lock().engine.terminated
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WsWriter<S> {
    type Error = WsError;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        handle::poll_ready(self.get_mut(), cx)
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), WsError> {
        handle::write(self.get_mut(), message)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        handle::poll_flush(self.get_mut(), cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        handle::poll_close(self.get_mut(), cx)
    }
}
