//! Shared fixtures for the sockwell-handshake integration tests: in-memory streams
//! (a canned one, and a duplex one that chokes on every byte), an HTTP head
//! parser independent of the crate's, and raw frame builders.

#![allow(dead_code)]

pub mod server;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::rc::Rc;

/// The RFC 6455 §1.3 example key and its accept value.
pub const RFC_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
pub const RFC_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// A valid upgrade request with the RFC key.
pub const VALID_REQUEST: &str = "GET /chat HTTP/1.1\r\n\
    Host: server.example.com\r\n\
    Upgrade: websocket\r\n\
    Connection: Upgrade\r\n\
    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";

/// What a [`MemStream`] holds; shared so a test can look inside after the
/// handshake took (or dropped) the stream.
#[derive(Debug, Default)]
pub struct MemState {
    /// Bytes still to be read.
    pub input: VecDeque<u8>,
    /// Bytes written.
    pub output: Vec<u8>,
    /// On an empty input: `WouldBlock` if true, EOF if false.
    pub block_when_empty: bool,
}

/// An in-memory stream: reads come from a buffer, writes go to another.
/// Clones share the same buffers.
#[derive(Clone, Debug, Default)]
pub struct MemStream(pub Rc<RefCell<MemState>>);

impl MemStream {
    /// A stream that yields `input`, then EOF.
    pub fn with_input(input: impl AsRef<[u8]>) -> Self {
        let s = MemStream::default();
        s.push_input(input);
        s
    }

    /// A stream with no input yet that returns `WouldBlock` when empty.
    pub fn blocking() -> Self {
        let s = MemStream::default();
        s.0.borrow_mut().block_when_empty = true;
        s
    }

    /// Appends to the bytes still to be read.
    pub fn push_input(&self, bytes: impl AsRef<[u8]>) {
        self.0.borrow_mut().input.extend(bytes.as_ref());
    }

    /// Everything written so far.
    pub fn output(&self) -> Vec<u8> {
        self.0.borrow().output.clone()
    }

    /// Everything written so far, emptying the output buffer.
    pub fn take_output(&self) -> Vec<u8> {
        std::mem::take(&mut self.0.borrow_mut().output)
    }

    /// Bytes not read yet.
    pub fn unread(&self) -> usize {
        self.0.borrow().input.len()
    }
}

impl Read for MemStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut state = self.0.borrow_mut();
        if state.input.is_empty() && state.block_when_empty && !buf.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        state.input.read(buf)
    }
}

impl Write for MemStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().output.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One end of an in-memory duplex connection that moves at most one byte per
/// `read` or `write` call and answers every other read, and every other write
/// or flush, with `WouldBlock`. Reads on an empty pipe return `WouldBlock` too.
#[derive(Debug)]
pub struct ChokeStream {
    incoming: Rc<RefCell<VecDeque<u8>>>,
    outgoing: Rc<RefCell<VecDeque<u8>>>,
    /// Whether the next read may go through.
    read_ready: bool,
    /// Whether the next write or flush may go through.
    write_ready: bool,
    /// How many calls returned `WouldBlock`.
    pub blocked: usize,
}

/// Two connected choking ends.
pub fn choke_pair() -> (ChokeStream, ChokeStream) {
    let a: Rc<RefCell<VecDeque<u8>>> = Rc::default();
    let b: Rc<RefCell<VecDeque<u8>>> = Rc::default();
    let end = |incoming, outgoing| ChokeStream {
        incoming,
        outgoing,
        read_ready: false,
        write_ready: false,
        blocked: 0,
    };
    (end(a.clone(), b.clone()), end(b, a))
}

impl ChokeStream {
    /// `Err(WouldBlock)` on every other call of one direction.
    fn gate(ready: &mut bool, blocked: &mut usize) -> io::Result<()> {
        *ready = !*ready;
        if *ready {
            *blocked += 1;
            Err(io::ErrorKind::WouldBlock.into())
        } else {
            Ok(())
        }
    }
}

impl Read for ChokeStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        Self::gate(&mut self.read_ready, &mut self.blocked)?;
        match self.incoming.borrow_mut().pop_front() {
            Some(b) => {
                buf[0] = b;
                Ok(1)
            }
            None => {
                self.blocked += 1;
                Err(io::ErrorKind::WouldBlock.into())
            }
        }
    }
}

impl Write for ChokeStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        Self::gate(&mut self.write_ready, &mut self.blocked)?;
        self.outgoing.borrow_mut().push_back(buf[0]);
        Ok(1)
    }

    fn flush(&mut self) -> io::Result<()> {
        Self::gate(&mut self.write_ready, &mut self.blocked)
    }
}

/// An HTTP head parsed by hand (no httparse), plus what follows it.
#[derive(Debug)]
pub struct Head {
    /// The request or status line.
    pub start_line: String,
    /// Header names lowercased, values trimmed, in order.
    pub headers: Vec<(String, String)>,
    /// The bytes after the blank line.
    pub rest: Vec<u8>,
}

impl Head {
    /// Every value of `name` (case-insensitive).
    pub fn get_all(&self, name: &str) -> Vec<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The single value of `name`; panics if it appears more than once.
    pub fn get(&self, name: &str) -> Option<&str> {
        let all = self.get_all(name);
        assert!(all.len() <= 1, "{name} appears {} times", all.len());
        all.first().copied()
    }

    /// The body as text.
    pub fn body(&self) -> &str {
        std::str::from_utf8(&self.rest).expect("UTF-8 body")
    }
}

/// Splits `bytes` at the first blank line and parses the head.
pub fn parse_head(bytes: &[u8]) -> Head {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no blank line in {:?}", String::from_utf8_lossy(bytes)));
    let head = std::str::from_utf8(&bytes[..end]).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let start_line = lines.next().unwrap().to_owned();
    let headers = lines
        .map(|l| {
            let (n, v) = l
                .split_once(':')
                .unwrap_or_else(|| panic!("bad line {l:?}"));
            (n.to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    Head {
        start_line,
        headers,
        rest: bytes[end + 4..].to_vec(),
    }
}

/// A request head from a request line and header lines.
pub fn request(request_line: &str, headers: &[&str]) -> String {
    let mut out = format!("{request_line}\r\n");
    for h in headers {
        out.push_str(h);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out
}

/// The header lines of a valid upgrade request, minus those named in `skip`
/// (matched by prefix, case-insensitively).
pub fn valid_headers_except(skip: &[&str]) -> Vec<&'static str> {
    [
        "Host: server.example.com",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    ]
    .into_iter()
    .filter(|h| {
        !skip
            .iter()
            .any(|s| h.to_ascii_lowercase().starts_with(&s.to_ascii_lowercase()))
    })
    .collect()
}

/// A raw single-frame message (FIN set), masked with a fixed key if `masked`.
pub fn frame(opcode: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    const KEY: [u8; 4] = [0x12, 0x9e, 0x5a, 0xc3];
    let mut out = vec![0x80 | opcode];
    let mask_bit = if masked { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..=125 => out.push(mask_bit | n as u8),
        n @ 126..=0xffff => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if masked {
        out.extend_from_slice(&KEY);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ KEY[i % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}
