//! In-memory streams, so that what is measured is the WebSocket code, not the
//! kernel: [`ReplayStream`] (the read side), [`SinkStream`] (the write side)
//! and [`duplex`] (a connected pair of [`PipeEnd`]s).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Cursor, Read, Write};
use std::rc::Rc;

/// A stream that reads a fixed buffer and discards what is written to it.
///
/// Reads return at most the bytes left (`Ok(0)` at the end, as a closed
/// socket would); [`rewind`](Self::rewind) starts over, so one connection
/// object can decode the same bytes on every iteration. Writes succeed and
/// are only counted (a server answering pings would write here).
#[derive(Debug)]
pub struct ReplayStream<'a> {
    input: Cursor<&'a [u8]>,
    written: u64,
}

impl<'a> ReplayStream<'a> {
    /// A stream that serves `input`.
    pub fn new(input: &'a [u8]) -> Self {
        ReplayStream {
            input: Cursor::new(input),
            written: 0,
        }
    }

    /// Serves the input again from its first byte.
    pub fn rewind(&mut self) {
        self.input.set_position(0);
    }

    /// True once every input byte was read.
    pub fn is_exhausted(&self) -> bool {
        self.input.position() as usize == self.input.get_ref().len()
    }

    /// Bytes written (and discarded) so far.
    pub fn written(&self) -> u64 {
        self.written
    }
}

impl Read for ReplayStream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.input.read(buf)
    }
}

impl Write for ReplayStream<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A stream that collects what is written to it and has nothing to read.
///
/// Writes append to an internal `Vec<u8>`; [`clear`](Self::clear) empties
/// it but keeps the allocation, so a timed loop does not measure the sink's
/// growth. Reads fail with `WouldBlock`, like an idle non-blocking socket.
#[derive(Debug, Default)]
pub struct SinkStream {
    buf: Vec<u8>,
}

impl SinkStream {
    /// An empty sink.
    pub fn new() -> Self {
        SinkStream::default()
    }

    /// An empty sink that can take `capacity` bytes without growing.
    pub fn with_capacity(capacity: usize) -> Self {
        SinkStream {
            buf: Vec::with_capacity(capacity),
        }
    }

    /// Everything written since the last [`clear`](Self::clear).
    pub fn contents(&self) -> &[u8] {
        &self.buf
    }

    /// The sink's buffer, e.g. to append to it directly.
    pub fn buffer_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Forgets what was written, keeping the capacity.
    pub fn clear(&mut self) {
        self.buf.clear();
    }
}

impl Read for SinkStream {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::ErrorKind::WouldBlock.into())
    }
}

impl Write for SinkStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One end of an in-memory duplex stream made by [`duplex`].
///
/// Writes go to the peer's inbound queue; reads take from this end's inbound
/// queue and fail with `WouldBlock` when it is empty (a non-blocking socket
/// with nothing to read). Single-threaded: both ends share `Rc`s.
#[derive(Debug)]
pub struct PipeEnd {
    inbound: Rc<RefCell<VecDeque<u8>>>,
    outbound: Rc<RefCell<VecDeque<u8>>>,
}

impl PipeEnd {
    /// Bytes written by the peer and not read yet.
    pub fn readable(&self) -> usize {
        self.inbound.borrow().len()
    }
}

/// A connected pair of in-memory streams: what one end writes, the other reads.
///
/// The queues keep their capacity once drained, so a benchmark that moves the
/// same amount of data on every iteration allocates only in the first ones.
pub fn duplex() -> (PipeEnd, PipeEnd) {
    let a_to_b = Rc::new(RefCell::new(VecDeque::new()));
    let b_to_a = Rc::new(RefCell::new(VecDeque::new()));
    (
        PipeEnd {
            inbound: Rc::clone(&b_to_a),
            outbound: Rc::clone(&a_to_b),
        },
        PipeEnd {
            inbound: a_to_b,
            outbound: b_to_a,
        },
    )
}

impl Read for PipeEnd {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut inbound = self.inbound.borrow_mut();
        if inbound.is_empty() && !buf.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        inbound.read(buf)
    }
}

impl Write for PipeEnd {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.outbound.borrow_mut().extend(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sockwell_core::{Message, Role, WebSocketConfig};

    use crate::{binary_payload, encode_client_messages, Kind};

    #[test]
    fn replayed_client_bytes_decode_with_the_driver() {
        let messages: Vec<Message> = (0..3).map(|_| Kind::Text.ws_message(300)).collect();
        let wire = encode_client_messages(&messages);
        let mut ws = sockwell_core::WebSocket::from_raw_socket(
            ReplayStream::new(&wire),
            Role::Server,
            WebSocketConfig::default(),
        );
        for _ in 0..2 {
            ws.get_mut().rewind();
            for expected in &messages {
                assert_eq!(&ws.read().unwrap(), expected);
            }
            assert!(ws.get_ref().is_exhausted());
        }
    }

    #[test]
    fn duplex_carries_messages_both_ways() {
        let (a, b) = duplex();
        let mut client =
            sockwell_core::WebSocket::from_raw_socket(a, Role::Client, WebSocketConfig::default());
        let mut server =
            sockwell_core::WebSocket::from_raw_socket(b, Role::Server, WebSocketConfig::default());
        client
            .send(Message::binary(binary_payload(70_000)))
            .unwrap();
        assert_eq!(
            server.read().unwrap(),
            Message::binary(binary_payload(70_000))
        );
        assert!(server.read().unwrap_err().is_would_block());
        server.send(Message::text("pong")).unwrap();
        assert_eq!(client.read().unwrap(), Message::text("pong"));
    }

    #[test]
    fn sink_collects_and_keeps_capacity() {
        let mut sink = SinkStream::with_capacity(64);
        sink.write_all(b"abc").unwrap();
        assert_eq!(sink.contents(), b"abc");
        sink.clear();
        assert!(sink.contents().is_empty());
        assert!(sink.buffer_mut().capacity() >= 64);
        assert_eq!(
            sink.read(&mut [0; 4]).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
    }
}
