//! Split halves: read on one thread, write on another.
//!
//! The engine sits behind a mutex that is never held across I/O. The read
//! half reads from its own handle to the stream into a local buffer, then
//! hands the bytes to the engine; everything that goes out (messages, pongs,
//! Close replies) is written under one writer lock, so frames never
//! interleave and leave in the order they were queued.

use crate::protocol::Protocol;
use crate::{CloseFrame, Error, Message, WebSocket};
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex, MutexGuard};

/// Bytes the read half asks the stream for per read.
const READ_CHUNK: usize = 64 << 10;

struct Shared<W> {
    protocol: Mutex<Protocol>,
    writer: Mutex<W>,
}

impl<W: Write> Shared<W> {
    fn protocol(&self) -> MutexGuard<'_, Protocol> {
        // A panic on another thread while it held the lock leaves the engine
        // in a state it was in between calls, which is consistent.
        self.protocol.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes everything queued, under the writer lock (taken first: the one
    /// lock order everywhere is writer, then engine).
    fn flush(&self) -> Result<(), Error> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let out = {
            let mut protocol = self.protocol();
            let out = protocol.pending_output().to_vec();
            protocol.advance_output(out.len());
            out
        };
        writer.write_all(&out)?;
        writer.flush()?;
        Ok(())
    }

    fn send(&self, message: &Message) -> Result<(), Error> {
        self.protocol().send(message)?;
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
    /// Made for blocking streams; keepalive is not driven by the halves.
    pub fn split<W: Write>(self, writer: W) -> (ReadHalf<S, W>, WriteHalf<W>) {
        let (stream, protocol) = self.into_parts();
        let shared = Arc::new(Shared {
            protocol: Mutex::new(protocol),
            writer: Mutex::new(writer),
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
    /// Reads the next message, like [`WebSocket::read`]: pongs and Close
    /// replies are written (under the writer lock) before it returns.
    pub fn read(&mut self) -> Result<Message, Error> {
        loop {
            let event = self.shared.protocol().next_message();
            match event {
                Ok(Some(message)) => {
                    if self.shared.protocol().wants_write() {
                        self.shared.flush()?;
                    }
                    return Ok(message);
                }
                Ok(None) => {}
                Err(err) => {
                    let _ = self.shared.flush();
                    return Err(err);
                }
            }
            if self.buf.len() < READ_CHUNK {
                self.buf.resize(READ_CHUNK, 0);
            }
            match self.stream.read(&mut self.buf) {
                Ok(0) => return Err(self.shared.protocol().end_of_stream()),
                Ok(n) => self.shared.protocol().receive(&self.buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::Io(e)),
            }
        }
    }

    /// A writing half for this connection.
    pub fn writer(&self) -> WriteHalf<W> {
        WriteHalf {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<W: Write> WriteHalf<W> {
    /// Queues `message` and writes it out.
    pub fn send(&self, message: Message) -> Result<(), Error> {
        self.shared.send(&message)
    }

    /// Starts the closing handshake; keep reading on the read half until
    /// [`Error::ConnectionClosed`].
    pub fn close(&self, frame: Option<CloseFrame>) -> Result<(), Error> {
        self.shared.send(&Message::Close(frame))
    }
}
