//! Shared fixtures for the sockwell-core integration tests: a raw frame builder
//! (independent of the crate's own encoder), a frame parser for checking
//! output, in-memory duplex streams, a stream that chokes on every byte,
//! and an extension that passes everything on.

#![allow(dead_code)]

use sockwell_core::{mask::apply_mask, FrameHeader, OpCode, Role, WebSocket, WebSocketConfig};
use sockwell_extensions::{DecodeOutput, Extension, ExtensionError, MessageKind, Rsv};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// The mask key the fixtures use for client-to-server frames.
pub const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// The mask a frame sent *to* an endpoint of role `receiver` must carry:
/// servers get masked frames, clients unmasked ones (RFC 6455 §5.1).
pub fn mask_for(receiver: Role) -> Option<[u8; 4]> {
    match receiver {
        Role::Server => Some(KEY),
        Role::Client => None,
    }
}

/// The other role.
pub fn peer_of(role: Role) -> Role {
    match role {
        Role::Server => Role::Client,
        Role::Client => Role::Server,
    }
}

/// A raw frame header: FIN, the three RSV bits (`0b100` = RSV1), any 4-bit
/// opcode (reserved ones too), an optional mask key and any 64-bit length
/// (MSB included), always in the minimal length encoding.
pub fn header(fin: bool, rsv: u8, opcode: u8, mask: Option<[u8; 4]>, len: u64) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | ((rsv & 0b111) << 4) | (opcode & 0x0f)];
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    match len {
        0..=125 => out.push(mask_bit | len as u8),
        126..=0xffff => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
    if let Some(key) = mask {
        out.extend_from_slice(&key);
    }
    out
}

/// A whole raw frame: header plus the payload, masked with `mask` if given.
pub fn frame(fin: bool, rsv: u8, opcode: u8, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    let mut out = header(fin, rsv, opcode, mask, payload.len() as u64);
    match mask {
        Some(key) => out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4])),
        None => out.extend_from_slice(payload),
    }
    out
}

/// A Close frame payload: code then reason bytes.
pub fn close_payload(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason);
    p
}

/// Splits `bytes` into frames, unmasking payloads. Panics on trailing bytes
/// that do not form a whole frame, or on a header the crate rejects.
pub fn parse_frames(mut bytes: &[u8]) -> Vec<(FrameHeader, Vec<u8>)> {
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        let (h, n) = FrameHeader::parse(bytes)
            .expect("valid header")
            .expect("complete header");
        let len = h.payload_len as usize;
        assert!(bytes.len() >= n + len, "truncated frame in output");
        let mut payload = bytes[n..n + len].to_vec();
        if let Some(key) = h.mask {
            apply_mask(&mut payload, key, 0);
        }
        frames.push((h, payload));
        bytes = &bytes[n + len..];
    }
    frames
}

/// Asserts that `bytes` is exactly one Close frame (masked iff sent by a
/// client) and returns its status code.
pub fn single_close_code(bytes: &[u8], sender: Role) -> u16 {
    let frames = parse_frames(bytes);
    assert_eq!(frames.len(), 1, "expected exactly one frame: {frames:?}");
    let (h, payload) = &frames[0];
    assert_eq!(h.opcode, OpCode::Close);
    assert!(h.fin);
    assert_eq!(
        h.mask.is_some(),
        sender == Role::Client,
        "masking of {sender:?} frame"
    );
    assert!(payload.len() >= 2, "close without status code");
    u16::from_be_bytes([payload[0], payload[1]])
}

/// One direction of an in-memory connection.
#[derive(Debug, Default)]
pub struct Pipe {
    pub data: VecDeque<u8>,
    /// The writing end is gone: once `data` is drained, reads return EOF.
    pub closed: bool,
}

pub type SharedPipe = Rc<RefCell<Pipe>>;

/// One end of an in-memory duplex connection. Reads on an empty pipe return
/// `WouldBlock` (a non-blocking socket), or EOF once the other end is
/// dropped or [`shutdown_write`](Self::shutdown_write) was called there.
#[derive(Debug)]
pub struct MemStream {
    pub incoming: SharedPipe,
    pub outgoing: SharedPipe,
    /// `write` calls made on this end.
    pub write_calls: usize,
}

/// Two connected ends.
pub fn mem_pair() -> (MemStream, MemStream) {
    let a: SharedPipe = Rc::default();
    let b: SharedPipe = Rc::default();
    (
        MemStream {
            incoming: a.clone(),
            outgoing: b.clone(),
            write_calls: 0,
        },
        MemStream {
            incoming: b,
            outgoing: a,
            write_calls: 0,
        },
    )
}

impl MemStream {
    /// Signals EOF to the other end.
    pub fn shutdown_write(&self) {
        self.outgoing.borrow_mut().closed = true;
    }

    /// Takes every byte the other end wrote and this end has not read.
    pub fn take_incoming(&self) -> Vec<u8> {
        self.incoming.borrow_mut().data.drain(..).collect()
    }

    /// A copy of the bytes the other end wrote and this end has not read.
    pub fn peek_incoming(&self) -> Vec<u8> {
        self.incoming.borrow().data.iter().copied().collect()
    }

    /// `write` calls made on this end so far.
    pub fn writes(&self) -> usize {
        self.write_calls
    }

    /// Bytes written by the other end and not read yet.
    pub fn incoming_len(&self) -> usize {
        self.incoming.borrow().data.len()
    }
}

impl Read for MemStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut pipe = self.incoming.borrow_mut();
        if pipe.data.is_empty() && !buf.is_empty() {
            return if pipe.closed {
                Ok(0)
            } else {
                Err(io::ErrorKind::WouldBlock.into())
            };
        }
        pipe.data.read(buf)
    }
}

impl Write for MemStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_calls += 1;
        self.outgoing.borrow_mut().data.extend(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for MemStream {
    fn drop(&mut self) {
        self.shutdown_write();
    }
}

/// Two `WebSocket`s connected in memory.
pub fn ws_pair(
    client: WebSocketConfig,
    server: WebSocketConfig,
) -> (WebSocket<MemStream>, WebSocket<MemStream>) {
    let (a, b) = mem_pair();
    (
        WebSocket::from_raw_socket(a, Role::Client, client),
        WebSocket::from_raw_socket(b, Role::Server, server),
    )
}

/// A stream that, when choking, returns `WouldBlock` before every byte and
/// then reads or writes exactly one byte. When not choking it passes calls
/// through unchanged (the baseline to compare with).
#[derive(Debug)]
pub struct ChokingStream<S> {
    pub inner: S,
    pub choke: bool,
    read_ready: bool,
    write_ready: bool,
    /// `WouldBlock`s injected so far (reads and writes).
    pub injected: usize,
}

impl<S> ChokingStream<S> {
    pub fn new(inner: S, choke: bool) -> Self {
        ChokingStream {
            inner,
            choke,
            read_ready: false,
            write_ready: false,
            injected: 0,
        }
    }
}

impl<S: Read> Read for ChokingStream<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.choke {
            return self.inner.read(buf);
        }
        if !std::mem::replace(&mut self.read_ready, false) {
            self.read_ready = true;
            self.injected += 1;
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(1);
        self.inner.read(&mut buf[..n])
    }
}

impl<S: Write> Write for ChokingStream<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.choke {
            return self.inner.write(buf);
        }
        if !std::mem::replace(&mut self.write_ready, false) {
            self.write_ready = true;
            self.injected += 1;
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(1);
        self.inner.write(&buf[..n])
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A deterministic xorshift64 generator.
#[derive(Debug, Clone)]
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform-ish in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

/// What [`PassThrough`] does after passing a piece on, given the output,
/// whether the piece is the first it decodes and whether it ends its message.
pub type AfterPiece =
    Box<dyn FnMut(&mut DecodeOutput<'_>, bool, bool) -> Result<(), ExtensionError> + Send>;

/// An extension that changes nothing by itself: it claims `rsv`, sends
/// every message as it is, and decodes the messages whose first frame has
/// `rsv` by passing each piece on, then running its [`AfterPiece`] if it
/// has one (a hostile extension adds bytes there). It holds idle state
/// while `holds` is set; a release clears it and counts in `releases`.
pub struct PassThrough {
    name: &'static str,
    rsv: Rsv,
    pieces: usize,
    after_piece: Option<AfterPiece>,
    releases: Arc<AtomicUsize>,
    holds: Arc<AtomicBool>,
}

impl PassThrough {
    /// Named `name`, claiming `rsv`, holding no idle state.
    pub fn new(name: &'static str, rsv: Rsv) -> Self {
        PassThrough {
            name,
            rsv,
            pieces: 0,
            after_piece: None,
            releases: Arc::default(),
            holds: Arc::default(),
        }
    }

    /// Runs `f` after each piece is passed on.
    pub fn after_piece(
        mut self,
        f: impl FnMut(&mut DecodeOutput<'_>, bool, bool) -> Result<(), ExtensionError> + Send + 'static,
    ) -> Self {
        self.after_piece = Some(Box::new(f));
        self
    }

    /// Counts releases in `releases` and holds idle state while `holds` is set.
    pub fn counting(mut self, releases: Arc<AtomicUsize>, holds: Arc<AtomicBool>) -> Self {
        self.releases = releases;
        self.holds = holds;
        self
    }
}

impl std::fmt::Debug for PassThrough {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PassThrough")
            .field("name", &self.name)
            .field("rsv", &self.rsv)
            .field("pieces", &self.pieces)
            .finish_non_exhaustive()
    }
}

impl Extension for PassThrough {
    fn name(&self) -> &str {
        self.name
    }

    fn reserved_bits(&self) -> Rsv {
        self.rsv
    }

    fn encode(
        &mut self,
        _kind: MessageKind,
        _payload: &[u8],
        _out: &mut Vec<u8>,
    ) -> Result<Option<Rsv>, ExtensionError> {
        Ok(None)
    }

    fn decodes(&self, rsv: Rsv) -> bool {
        rsv.contains(self.rsv)
    }

    fn decode(
        &mut self,
        input: &[u8],
        fin: bool,
        out: &mut DecodeOutput<'_>,
    ) -> Result<(), ExtensionError> {
        out.extend_from_slice(input)?;
        let first = self.pieces == 0;
        self.pieces += 1;
        match &mut self.after_piece {
            Some(f) => f(out, first, fin),
            None => Ok(()),
        }
    }

    fn release_idle_state(&mut self) {
        self.releases.fetch_add(1, Ordering::SeqCst);
        self.holds.store(false, Ordering::SeqCst);
    }

    fn holds_idle_state(&self) -> bool {
        self.holds.load(Ordering::SeqCst)
    }
}
