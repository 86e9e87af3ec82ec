//! The poll functions every async handle shares: the sans-IO engine, the
//! keepalive timer, and a stream to read from and write to. They never
//! await: each call makes what progress the stream allows, keeps every
//! piece of state in the engine, and registers the waker when it cannot go
//! on, so a future built on them can be dropped at any point without loss.

use crate::keepalive::Timer;
use sockwell_core::{CloseState, Message, Protocol, WsError};
use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Stack space a read goes to while the engine holds no read buffer.
const SCRATCH: usize = 8 << 10;

/// The engine of one connection and what its async driver keeps beside it.
#[derive(Debug)]
pub(crate) struct Engine {
    pub(crate) protocol: Protocol,
    timer: Timer,
    /// An error met while writing replies as a message was delivered (the
    /// stream broke, or a timer ran out while it took nothing): reported
    /// by the next call, so that the message is not lost.
    deferred: Option<WsError>,
    /// The error that failed the connection, held back until the Close it
    /// queued is written (the caller drops the stream when it hears it).
    failure: Option<WsError>,
    /// The `Stream` of messages ended (it yielded `None`).
    pub(crate) terminated: bool,
}

/// Which queued bytes a write pass takes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Take {
    /// Everything queued.
    All,
    /// Only while the engine's own replies are what is queued (pongs,
    /// Close replies, a keepalive ping): the application's messages wait
    /// for its flush.
    Replies,
}

impl Engine {
    pub(crate) fn new(protocol: Protocol) -> Self {
        Engine {
            protocol,
            timer: Timer::default(),
            deferred: None,
            failure: None,
            terminated: false,
        }
    }

    /// Writes queued output until it is all out (`Take::All`) or only the
    /// application's messages are left (`Take::Replies`), then flushes.
    pub(crate) fn poll_write_out<W: AsyncWrite + Unpin>(
        &mut self,
        io: &mut W,
        cx: &mut Context<'_>,
        take: Take,
    ) -> Poll<Result<(), WsError>> {
        if let Some(e) = self.deferred.take() {
            return Poll::Ready(Err(e));
        }
        let mut wrote = false;
        loop {
            if take == Take::Replies && !self.protocol.wants_reply_write() {
                break;
            }
            let queued = self.protocol.buffered_output();
            let out = self.protocol.pending_output();
            let written = if out.is_empty() {
                break;
            } else if out.len() == queued || !io.is_write_vectored() {
                // All in one piece (the usual case), or a stream without
                // vectored writes.
                Pin::new(&mut *io).poll_write(cx, out)
            } else {
                let mut slices = [io::IoSlice::new(&[]); sockwell_core::MAX_IO_SLICES];
                let n = self.protocol.pending_output_vectored(&mut slices);
                Pin::new(&mut *io).poll_write_vectored(cx, &slices[..n])
            };
            match written {
                Poll::Pending => return self.write_pending(cx),
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(self.io_failed(io::ErrorKind::WriteZero.into())))
                }
                Poll::Ready(Ok(n)) => {
                    self.protocol.advance_output(n);
                    wrote = true;
                }
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(self.io_failed(e))),
            }
        }
        if !wrote && take == Take::Replies {
            return Poll::Ready(Ok(()));
        }
        match Pin::new(io).poll_flush(cx) {
            Poll::Pending => self.write_pending(cx),
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err(e)) => Poll::Ready(Err(self.io_failed(e))),
        }
    }

    /// The stream takes no more for now: the timers keep running while we
    /// wait (a peer that stopped reading fails keepalive, the write and the
    /// close timeouts), armed to wake this task. A timer that ran out ends
    /// the wait with its error: nothing queued will go out to this peer.
    fn write_pending<T>(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, WsError>> {
        match self.timer.poll(&mut self.protocol, cx) {
            Ok(()) => Poll::Pending,
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    /// An I/O error that ends the connection: later calls say
    /// `AlreadyClosed` instead of polling the broken stream again, so a
    /// `Stream` consumer that goes on after an error does not spin on it.
    fn io_failed(&mut self, e: io::Error) -> WsError {
        self.protocol.stream_failed();
        WsError::Io(e)
    }

    /// Writes replies if the stream takes them now; a full stream is not an
    /// error here (the waker is registered and the bytes stay queued), a
    /// broken one, or a timer that ran out meanwhile, is reported by the
    /// next call.
    fn try_write_replies<W: AsyncWrite + Unpin>(&mut self, io: &mut W, cx: &mut Context<'_>) {
        if self.protocol.wants_reply_write() {
            if let Poll::Ready(Err(e)) = self.poll_write_out(io, cx, Take::Replies) {
                self.deferred = Some(e);
            }
        }
    }

    /// The next message: from what is buffered, else from the stream.
    pub(crate) fn poll_message<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        io: &mut S,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Message, WsError>> {
        loop {
            if let Some(message) = ready!(self.poll_buffered(io, cx))? {
                return Poll::Ready(Ok(message));
            }
            if !self.protocol.wants_read() {
                // Backpressure: no more input until the output drains.
                ready!(self.poll_write_out(io, cx, Take::All))?;
                continue;
            }
            let (result, n) = if let Some(space) = self.protocol.payload_read_space() {
                // A large frame's payload: straight into its message.
                let mut buf = ReadBuf::uninit(space);
                let start = buf.filled().as_ptr();
                let result = Pin::new(&mut *io).poll_read(cx, &mut buf);
                let n = buf.filled().len();
                if let Poll::Ready(Ok(())) = result {
                    if buf.filled().as_ptr() != start {
                        // The reader swapped in a buffer of its own: what
                        // it read is not where the engine's message is.
                        return Poll::Ready(Err(WsError::Io(io::Error::other(
                            "the stream's poll_read replaced the buffer it was given",
                        ))));
                    }
                    // SAFETY: `ReadBuf` counts as filled only bytes that were
                    // written (initialized), starting at the slice the engine
                    // gave (checked above), at most its length; nothing was
                    // called on the engine in between.
                    unsafe { self.protocol.commit_payload_read(n) };
                }
                (result, n)
            } else if self.protocol.read_buffer_released() {
                // A quiet connection holds no read buffer: read onto the
                // stack (uninitialized, so no memset) and decode the first
                // message there; only what follows it is kept, in storage
                // of its size.
                let mut scratch = [MaybeUninit::<u8>::uninit(); SCRATCH];
                let mut buf = ReadBuf::uninit(&mut scratch);
                let result = Pin::new(&mut *io).poll_read(cx, &mut buf);
                let n = buf.filled().len();
                match (&result, n) {
                    // The read filled the scratch: heavy traffic. The bytes
                    // go to the engine's buffer, and the reads that follow
                    // go there too, growing it (up to 64 KiB a read) while
                    // they keep filling it.
                    (Poll::Ready(Ok(())), SCRATCH) => self.protocol.receive(buf.filled()),
                    (Poll::Ready(Ok(())), 1..) => {
                        let decoded = self.protocol.receive_next(buf.filled_mut());
                        if let Some(done) = self.delivered(decoded, io, cx) {
                            return Poll::Ready(done);
                        }
                        continue;
                    }
                    _ => {}
                }
                (result, n)
            } else {
                let mut buf = ReadBuf::new(self.protocol.read_space());
                let result = Pin::new(&mut *io).poll_read(cx, &mut buf);
                let n = buf.filled().len();
                if let Poll::Ready(Ok(())) = result {
                    self.protocol.commit_read(n);
                }
                (result, n)
            };
            match result {
                Poll::Ready(Ok(())) => {
                    if n == 0 {
                        return Poll::Ready(Err(self.protocol.end_of_stream()));
                    }
                }
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(self.io_failed(e))),
                Poll::Pending => {
                    // Nothing to read: the timers' turn (a ping to send,
                    // a deadline passed), armed to wake us.
                    if let Err(e) = self.timer.poll(&mut self.protocol, cx) {
                        // Its Close (if any) goes out if the stream takes
                        // it now; a timer that ran out waits for no peer.
                        let _ = self.poll_write_out(io, cx, Take::All);
                        return Poll::Ready(Err(e));
                    }
                    self.try_write_replies(io, cx);
                    // Parked until the stream is ready: a quiet connection
                    // keeps no buffer it does not need.
                    self.protocol.release_idle_buffers();
                    return Poll::Pending;
                }
            }
        }
    }

    /// A message already buffered, without reading the stream:
    /// `Ready(Ok(None))` when more input is needed. Pending only while a
    /// Close (a reply, or the Close of a failure) must still go out before
    /// the error or `ConnectionClosed` is reported: the caller drops the
    /// stream when it hears either.
    pub(crate) fn poll_buffered<W: AsyncWrite + Unpin>(
        &mut self,
        io: &mut W,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<Message>, WsError>> {
        loop {
            if let Some(e) = self.deferred.take() {
                return Poll::Ready(Err(e));
            }
            if self.protocol.close_state() == CloseState::Closed && self.protocol.wants_write() {
                if let Err(e) = ready!(self.poll_write_out(io, cx, Take::All)) {
                    // The failure says more than the write that could not
                    // deliver its Close.
                    return Poll::Ready(Err(self.failure.take().unwrap_or(e)));
                }
            }
            if let Some(failure) = self.failure.take() {
                return Poll::Ready(Err(failure));
            }
            let decoded = self.protocol.read_buffered();
            match self.delivered(decoded, io, cx) {
                Some(done) => return Poll::Ready(done.map(Some)),
                None if self.failure.is_none() => return Poll::Ready(Ok(None)),
                // Its Close goes out first (above).
                None => {}
            }
        }
    }

    /// What a decoding step means for the caller: a message (replies the
    /// engine queued meanwhile written if the stream takes them now) or an
    /// error to report; `None` when more input is needed, or when the
    /// error waits in `failure` for its Close to be written.
    fn delivered<W: AsyncWrite + Unpin>(
        &mut self,
        decoded: Result<Option<Message>, WsError>,
        io: &mut W,
        cx: &mut Context<'_>,
    ) -> Option<Result<Message, WsError>> {
        match decoded {
            Ok(Some(message)) => {
                self.try_write_replies(io, cx);
                Some(Ok(message))
            }
            Ok(None) => None,
            Err(err) if self.protocol.wants_write() => {
                self.failure = Some(err);
                None
            }
            Err(err) => Some(Err(err)),
        }
    }

    /// [`poll_buffered`](Self::poll_buffered) without a task to wake: a
    /// message already buffered, and replies written if the stream takes
    /// them now. What the stream does not take stays queued for the next
    /// flush or receive.
    pub(crate) fn try_buffered<W: AsyncWrite + Unpin>(
        &mut self,
        io: &mut W,
    ) -> Result<Option<Message>, WsError> {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match self.poll_buffered(io, &mut cx) {
            Poll::Ready(result) => result,
            Poll::Pending => Ok(None),
        }
    }
}
