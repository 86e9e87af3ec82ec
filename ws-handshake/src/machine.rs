//! The resumable I/O under both handshakes: read an HTTP head, write one.

use crate::deadline::Deadline;
use crate::{HandshakeError, HandshakeLimits};
use sockwell_core::{Protocol, Role, WebSocketConfig};
use sockwell_extensions::ExtensionStack;
use std::io::{self, Read, Write};

/// The engine a finished handshake hands over: the agreed extensions, and
/// the bytes that came after the HTTP head (frames the peer sent at once).
pub(crate) fn engine(
    role: Role,
    config: WebSocketConfig,
    extensions: ExtensionStack,
    after_head: &[u8],
) -> Protocol {
    let mut protocol = Protocol::new(role, config).with_extensions(extensions);
    protocol.receive(after_head);
    protocol
}

/// `WouldBlock`, or `TimedOut` (a socket timeout on some platforms): try again later.
pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Bytes asked for per read of the HTTP head.
const READ_CHUNK: usize = 4096;

/// Accumulates an HTTP head until its blank line, within the limits.
#[derive(Debug, Default)]
pub(crate) struct HeadReader {
    buf: Vec<u8>,
    /// How far the blank line search has looked.
    scanned: usize,
}

impl HeadReader {
    /// Reads until a complete head is buffered. Returns the head length;
    /// bytes after it stay in the buffer (see [`HeadReader::buffer`]).
    /// The deadline is checked before every read: a peer that trickles its
    /// head in keeps each read short, but not the whole.
    pub(crate) fn read<R: Read>(
        &mut self,
        stream: &mut R,
        limits: &HandshakeLimits,
        max_first_line: Option<usize>,
        deadline: Option<Deadline>,
    ) -> Result<usize, ReadError> {
        loop {
            if let Some(max) = max_first_line {
                let line_end = self.buf.windows(2).position(|w| w == b"\r\n");
                let line = &self.buf[..line_end.unwrap_or(self.buf.len())];
                if line.len() > max {
                    return Err(ReadError::Fatal(HandshakeError::RequestLineTooLong { max }));
                }
                // A request line is text: a control byte (a TLS ClientHello
                // starts with 0x16) means this is no HTTP request, and the
                // answer need not wait for a blank line that never comes.
                if line.iter().any(|&b| (b < 0x20 && b != b'\r') || b == 0x7f) {
                    return Err(ReadError::Fatal(HandshakeError::Parse(
                        httparse::Error::Token,
                    )));
                }
            }
            if let Some(end) = self.find_end() {
                return Ok(end);
            }
            if self.buf.len() >= limits.max_head_size {
                return Err(ReadError::Fatal(HandshakeError::HeadTooLarge {
                    max: limits.max_head_size,
                }));
            }
            Deadline::check(deadline).map_err(ReadError::Fatal)?;
            let start = self.buf.len();
            let want = READ_CHUNK.min(limits.max_head_size - start);
            self.buf.resize(start + want, 0);
            let result = stream.read(&mut self.buf[start..]);
            let n = *result.as_ref().unwrap_or(&0);
            self.buf.truncate(start + n);
            match result {
                Ok(0) => return Err(ReadError::Fatal(HandshakeError::UnexpectedEof)),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // A blocking stream's read timeout: the caller checks its deadline.
                Err(e) if is_timeout(&e) => return Err(ReadError::WouldBlock),
                Err(e) => return Err(ReadError::Fatal(e.into())),
            }
        }
    }

    fn find_end(&mut self) -> Option<usize> {
        let from = self.scanned.saturating_sub(3);
        let pos = self.buf[from..].windows(4).position(|w| w == b"\r\n\r\n");
        match pos {
            Some(p) => Some(from + p + 4),
            None => {
                self.scanned = self.buf.len();
                None
            }
        }
    }

    pub(crate) fn buffer(&self) -> &[u8] {
        &self.buf
    }
}

pub(crate) enum ReadError {
    WouldBlock,
    Fatal(HandshakeError),
}

/// Writes a buffer out over as many calls as the stream needs.
#[derive(Debug, Default)]
pub(crate) struct HeadWriter {
    buf: Vec<u8>,
    pos: usize,
}

impl HeadWriter {
    pub(crate) fn new(buf: Vec<u8>) -> Self {
        HeadWriter { buf, pos: 0 }
    }

    /// `Ok(true)` when everything is written and flushed, `Ok(false)` on
    /// `WouldBlock`. The deadline is checked before every write.
    pub(crate) fn write<W: Write>(
        &mut self,
        stream: &mut W,
        deadline: Option<Deadline>,
    ) -> Result<bool, HandshakeError> {
        while self.pos < self.buf.len() {
            Deadline::check(deadline)?;
            match stream.write(&self.buf[self.pos..]) {
                Ok(0) => return Err(HandshakeError::Io(io::ErrorKind::WriteZero.into())),
                Ok(n) => self.pos += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_timeout(&e) => return Ok(false),
                Err(e) => return Err(e.into()),
            }
        }
        match stream.flush() {
            Ok(()) => Ok(true),
            Err(e) if is_timeout(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}
