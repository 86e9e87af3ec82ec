//! Split halves: read on one thread, write on others.
//!
//! The engine sits behind a mutex that is never held across I/O. The read
//! half reads from its own handle to the stream into a local buffer, then
//! hands the bytes to the engine. Everything that goes out (messages, pongs,
//! Close replies) is written under one writer lock, so frames never
//! interleave and leave in the order they were queued.
//!
//! Bytes leave the engine's queue only once the stream took them: a write
//! that fails or times out loses nothing, and the next flush continues
//! exactly there. A write error other than a timeout is sticky: both halves
//! report it from then on. The read half never waits for the writer lock:
//! when another thread holds it (say, in the middle of a large write), the
//! read half leaves its replies queued and that thread writes them before
//! it lets go of the lock.

use crate::protocol::Protocol;
use crate::socket::is_timeout;
use crate::{CloseFrame, Message, WebSocket, WsError};
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::Instant;

/// Bytes the read half asks the stream for per read: the base chunk, kept
/// while messages are small...
const READ_CHUNK: usize = 8 << 10;
/// ...and the most it grows to while reads keep filling it (a burst).
const MAX_READ_CHUNK: usize = 64 << 10;
/// Most bytes copied out of the engine per write call.
const WRITE_CHUNK: usize = 128 << 10;

struct Shared<W> {
    protocol: Mutex<Protocol>,
    writer: Mutex<W>,
    /// The first write error that was not a timeout: the stream is broken.
    broken: Mutex<Option<(io::ErrorKind, String)>>,
}

/// A lock whose holder panicked still guards consistent state: the engine
/// is only changed between calls, and the writer's progress is recorded in
/// the engine after each successful write.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl<W: Write> Shared<W> {
    fn protocol(&self) -> MutexGuard<'_, Protocol> {
        lock(&self.protocol)
    }

    /// The sticky write error, if the stream broke.
    fn check_broken(&self) -> Result<(), WsError> {
        match &*lock(&self.broken) {
            Some((kind, text)) => Err(WsError::Io(io::Error::new(*kind, text.clone()))),
            None => Ok(()),
        }
    }

    /// Writes queued output while `more()` says so. The writer lock is
    /// held; the engine lock only while copying and advancing.
    fn write_out(&self, writer: &mut W, more: impl Fn(&Protocol) -> bool) -> Result<(), WsError> {
        self.check_broken()?;
        loop {
            let chunk = {
                let mut protocol = self.protocol();
                if !more(&protocol) {
                    break;
                }
                let out = protocol.pending_output();
                if out.is_empty() {
                    break;
                }
                out[..out.len().min(WRITE_CHUNK)].to_vec()
            };
            let mut written = 0;
            while written < chunk.len() {
                match writer.write(&chunk[written..]) {
                    Ok(0) => return Err(self.broke(io::ErrorKind::WriteZero.into())),
                    Ok(n) => {
                        written += n;
                        self.protocol().advance_output(n);
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) if is_timeout(&e) => return Err(self.timed_out(e)),
                    Err(e) => return Err(self.broke(e)),
                }
            }
        }
        match writer.flush() {
            Ok(()) => Ok(()),
            Err(e) if is_timeout(&e) => Err(self.timed_out(e)),
            Err(e) => Err(self.broke(e)),
        }
    }

    /// A write that timed out: the timers' turn (keepalive, the write and
    /// close timeouts), so that a peer that stopped reading fails the
    /// connection instead of holding the writer forever; otherwise the
    /// timeout itself, every unwritten byte kept queued.
    fn timed_out(&self, e: io::Error) -> WsError {
        match self.protocol().poll_timers(Instant::now()) {
            Err(timer) => timer,
            Ok(_) => WsError::Io(e),
        }
    }

    fn broke(&self, e: io::Error) -> WsError {
        lock(&self.broken).get_or_insert_with(|| (e.kind(), e.to_string()));
        WsError::Io(e)
    }

    /// Writes everything queued, waiting for the writer lock.
    fn flush(&self) -> Result<(), WsError> {
        let result = self.write_out(&mut lock(&self.writer), |_| true);
        self.pick_up_replies();
        result
    }

    /// Writes the engine's replies (pongs, Close replies) if the writer lock
    /// is free. If another thread holds it, that thread writes them: it
    /// calls this after letting go, so a reply queued meanwhile is not missed.
    fn pick_up_replies(&self) {
        while self.protocol().wants_reply_write() {
            let mut writer = match self.writer.try_lock() {
                Ok(writer) => writer,
                Err(TryLockError::Poisoned(e)) => e.into_inner(),
                Err(TryLockError::WouldBlock) => return,
            };
            if self
                .write_out(&mut writer, Protocol::wants_reply_write)
                .is_err()
            {
                // Recorded if it broke the stream; a timeout retries later.
                return;
            }
        }
    }

    fn send(&self, message: &Message) -> Result<(), WsError> {
        self.check_broken()?;
        self.protocol().write(message)?;
        self.flush()
    }

    fn send_prepared(&self, prepared: &crate::PreparedMessage) -> Result<(), WsError> {
        self.check_broken()?;
        self.protocol().write_prepared(prepared)?;
        self.flush()
    }
}

/// The reading half of a split [`WebSocket`].
pub struct ReadHalf<R, W> {
    stream: R,
    buf: Vec<u8>,
    shared: Arc<Shared<W>>,
}

/// The writing half of a split [`WebSocket`]. Cheap to clone: clones share
/// the writer lock.
pub struct WriteHalf<W> {
    shared: Arc<Shared<W>>,
}

impl<W> Clone for WriteHalf<W> {
    fn clone(&self) -> Self {
        WriteHalf {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<S: Read + Write> WebSocket<S> {
    /// Splits the connection so that one thread reads while others write.
    /// `writer` is a second handle to the same stream, e.g.
    /// `TcpStream::try_clone()`; the socket keeps the original for reading.
    ///
    /// Made for blocking streams. Keepalive works as with
    /// [`read`](Self::read): give the stream a read timeout (e.g.
    /// `TcpStream::set_read_timeout`) and each read of the read half that
    /// times out pings a quiet peer, or fails one that stayed silent.
    pub fn split<W: Write>(self, writer: W) -> (ReadHalf<S, W>, WriteHalf<W>) {
        let (stream, protocol) = self.into_parts();
        let shared = Arc::new(Shared {
            protocol: Mutex::new(protocol),
            writer: Mutex::new(writer),
            broken: Mutex::new(None),
        });
        (
            ReadHalf {
                stream,
                buf: Vec::new(),
                shared: Arc::clone(&shared),
            },
            WriteHalf { shared },
        )
    }
}

impl<R: Read, W: Write> ReadHalf<R, W> {
    /// Reads the next message, like [`WebSocket::read`]. Pongs and Close
    /// replies are written before it returns when the writer lock is free,
    /// and otherwise by the thread that holds it; this never waits for it.
    ///
    /// A message that arrived is returned even if writing a reply failed;
    /// the write error comes with the next call.
    ///
    /// A read of the stream that times out (`WouldBlock`, `TimedOut`) is
    /// returned as [`WsError::Io`] after keepalive had its turn; with
    /// keepalive on, a peer silent past its timeout fails the connection
    /// with [`WsError::KeepaliveTimeout`] (a Close 1011 sent).
    pub fn read(&mut self) -> Result<Message, WsError> {
        let mut event = self.shared.protocol().read_buffered();
        loop {
            match event {
                Ok(Some(message)) => {
                    self.shared.pick_up_replies();
                    return Ok(message);
                }
                Ok(None) => {}
                Err(err) => {
                    // A failed connection has a Close queued: send it if we can.
                    self.shared.pick_up_replies();
                    return Err(err);
                }
            }
            self.shared.check_broken()?;
            if self.buf.len() < READ_CHUNK {
                self.buf.resize(READ_CHUNK, 0);
            }
            event = match self.stream.read(&mut self.buf) {
                Ok(0) => return Err(self.shared.protocol().end_of_stream()),
                // Decoded where it was read: no copy into the engine's
                // buffer unless a message is incomplete.
                Ok(n) => {
                    let event = self.shared.protocol().receive_next(&mut self.buf[..n]);
                    self.size_next_read(n);
                    event
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(None),
                Err(e) if is_timeout(&e) => {
                    // Nothing arrived within the stream's read timeout:
                    // the timers' turn, as in `WebSocket::read`, and (the
                    // second time in a row) the extensions' chance to give
                    // back what they hold while busy.
                    self.shared.protocol().read_idle();
                    self.timers_tick()?;
                    return Err(WsError::Io(e));
                }
                Err(e) => {
                    // Nothing more can come: later reads say `AlreadyClosed`.
                    self.shared.protocol().stream_failed();
                    return Err(WsError::Io(e));
                }
            };
        }
    }

    /// Grows the read buffer while reads fill it (a burst: fewer, larger
    /// reads), and gives back what it grew once a read fits the base
    /// chunk, so a connection of small messages holds 8 KiB, not 64.
    fn size_next_read(&mut self, read: usize) {
        if read == self.buf.len() && read < MAX_READ_CHUNK {
            self.buf.resize((read * 2).min(MAX_READ_CHUNK), 0);
        } else if read <= READ_CHUNK && self.buf.len() > READ_CHUNK {
            self.buf.truncate(READ_CHUNK);
            self.buf.shrink_to_fit();
        }
    }

    /// Runs the timers (keepalive, the write and close timeouts): a ping
    /// queued and written if the writer lock is free (else by the thread
    /// that holds it), or the failure of a peer that stayed silent, its
    /// Close sent the same way.
    fn timers_tick(&self) -> Result<(), WsError> {
        let timers = self.shared.protocol().poll_timers(Instant::now());
        self.shared.pick_up_replies();
        timers.map(drop)
    }

    /// A writing half for this connection.
    pub fn writer(&self) -> WriteHalf<W> {
        WriteHalf {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<W: Write> WriteHalf<W> {
    /// Queues `message` and writes it out, together with anything queued
    /// before it (replies of the read half included).
    ///
    /// A timeout of the stream (`WouldBlock`, `TimedOut`) keeps every
    /// unwritten byte queued: [`flush`](Self::flush) later continues. Any
    /// other write error breaks the connection for both halves.
    pub fn send(&self, message: Message) -> Result<(), WsError> {
        self.shared.send(&message)
    }

    /// [`send`](Self::send) for a message prepared once for many
    /// connections (a broadcast): see [`PreparedMessage`](crate::PreparedMessage).
    pub fn send_prepared(&self, prepared: &crate::PreparedMessage) -> Result<(), WsError> {
        self.shared.send_prepared(prepared)
    }

    /// Writes everything queued.
    pub fn flush(&self) -> Result<(), WsError> {
        self.shared.flush()
    }

    /// Starts the closing handshake; keep reading on the read half until
    /// [`WsError::ConnectionClosed`].
    pub fn close(&self, frame: Option<CloseFrame>) -> Result<(), WsError> {
        self.shared.send(&Message::Close(frame))
    }
}
