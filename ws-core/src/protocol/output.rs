//! The output side: whether there is something to write, the queued bytes
//! (whole or as vectored slices), how much the stream took, and writing
//! them to a `Write` stream.

use super::{CloseState, Protocol, MAX_IO_SLICES};
use std::io::{self, IoSlice, Write};

impl Protocol {
    /// True if there are bytes to write (including a queued pong).
    pub fn wants_write(&self) -> bool {
        !self.tx.is_empty() || self.pending_pong.is_some()
    }

    /// True if what is queued to write is only what the engine itself
    /// produced (pongs, a keepalive ping, Close replies), or the connection
    /// is closing: a driver's `read` writes then, and otherwise leaves the
    /// application's queued messages for its own flush, so that it can
    /// answer several messages with one write.
    pub fn wants_reply_write(&self) -> bool {
        self.wants_write() && (!self.app_unflushed || self.close_state() != CloseState::Open)
    }

    /// False while queued output is over [`WebSocketConfig::write_buffer_size`](crate::WebSocketConfig::write_buffer_size):
    /// a driver then writes before it reads more, so a peer that sends but
    /// never reads meets backpressure (its sends block) instead of growing
    /// this endpoint's memory with replies.
    pub fn wants_read(&self) -> bool {
        self.has_output_room()
    }

    /// True while queued output is at most
    /// [`WebSocketConfig::write_buffer_size`](crate::WebSocketConfig::write_buffer_size): the soft bound past which
    /// drivers write before they read or queue more.
    pub fn has_output_room(&self) -> bool {
        self.buffered_output() <= self.config.write_buffer_size
    }

    /// The bytes to write to the stream next. A queued pong becomes bytes
    /// here once everything before it is written.
    pub fn pending_output(&mut self) -> &[u8] {
        if self.tx.is_empty() {
            self.serialize_pending_pong();
        }
        self.tx.pending()
    }

    /// The pieces to write next, in order, into `out`; returns how many
    /// (0 when nothing is queued). Written with one vectored write, they
    /// save copying large payloads given by value
    /// ([`write_owned`](Self::write_owned)) next to their frame headers. A
    /// queued pong becomes bytes here once everything before it is written.
    pub fn pending_output_vectored<'a>(&'a mut self, out: &mut [IoSlice<'a>]) -> usize {
        if self.tx.is_empty() {
            self.serialize_pending_pong();
        }
        self.tx.pending_vectored(out)
    }

    /// Marks `n` bytes of [`pending_output`](Self::pending_output) as written.
    pub fn advance_output(&mut self, n: usize) {
        if !self.has_output_room() {
            self.written_backpressured += n as u64;
        }
        self.written += n as u64;
        self.tx.advance(n, self.config.write_buffer_size);
        if self.tx.is_empty() {
            self.app_unflushed = false;
        }
    }

    /// Writes pending output to `writer` until it is all written, then flushes
    /// `writer`. On `WouldBlock` what was not written stays queued; a pong of
    /// which the stream took nothing goes back to waiting unserialized, so
    /// that a newer ping replaces it (one pong queued, however many pings).
    pub fn write_to<W: Write + ?Sized>(&mut self, writer: &mut W) -> io::Result<()> {
        loop {
            let fresh_pong = if self.tx.is_empty() {
                self.pending_pong.clone()
            } else {
                None
            };
            let queued = self.buffered_output();
            let out = self.pending_output();
            let written = if out.is_empty() {
                break;
            } else if out.len() == queued {
                // All in one piece: the usual case.
                writer.write(out)
            } else {
                let mut slices = [IoSlice::new(&[]); MAX_IO_SLICES];
                let n = self.pending_output_vectored(&mut slices);
                writer.write_vectored(&slices[..n])
            };
            match written {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.advance_output(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    if fresh_pong.is_some() {
                        self.tx.clear();
                        self.pending_pong = fresh_pong;
                    }
                    return Err(e);
                }
            }
        }
        writer.flush()
    }

    /// Bytes queued for the stream, a pong not yet serialized included.
    pub fn buffered_output(&self) -> usize {
        self.tx.len()
            + self
                .pending_pong
                .as_ref()
                .map_or(0, |p| p.len() + crate::header::MAX_HEADER_LEN)
    }
}
