//! The load generator's side of a connection: it sends the frames of
//! [`crate::frames`] and counts the replies by their headers, checking the
//! first echo byte for byte.

use crate::config::Case;
use crate::frames::{Answer, Frames};
use crate::Slot;
use std::sync::atomic::Ordering;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub(crate) type BoxError = Box<dyn std::error::Error>;

/// One connection: handshake, the first echo checked, then echoes for as
/// long as its server's slot is active, idle in between; returns when the
/// slot is dropped at the end of the case. It sends its case's messages in
/// order, starting over after the last.
pub(crate) async fn connection(
    addr: &str,
    case: &Case,
    frames: &Frames,
    slot: &Slot,
    mut active: tokio::sync::watch::Receiver<bool>,
    ready: tokio::sync::mpsc::Sender<()>,
) -> Result<(), BoxError> {
    let mut tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    // The JSON cases offer what browsers offer; the pattern cases ask to
    // compress each message alone, so that one frame can be resent.
    let offer = match (case.json(), case.deflate) {
        (true, _) => "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n",
        (false, true) => {
            "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n"
        }
        (false, false) => "",
    };
    tcp.write_all(
        format!(
            "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{offer}\r\n"
        )
        .as_bytes(),
    )
    .await?;
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(tcp.read_u8().await?);
    }
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    if !head.starts_with("http/1.1 101") {
        return Err(format!("handshake refused: {head}").into());
    }
    if case.deflate && !head.contains("permessage-deflate") {
        return Err("compression not agreed".into());
    }
    let answer = if case.json() {
        Some(Answer::parse(&head).ok_or_else(|| format!("unreadable answer: {head}"))?)
    } else {
        None
    };
    let messages = frames.for_answer(answer);
    let mut reader = Replies::new(case.size);
    // The first echo is checked whole.
    tcp.write_all(&messages.frames[0]).await?;
    let (first, _) = reader.read_messages(&mut tcp, case.in_flight, true).await?;
    if first != messages.first {
        return Err(format!(
            "echo differs: {} bytes back for {}",
            first.len(),
            messages.first.len()
        )
        .into());
    }
    ready.send(()).await?;
    drop(ready);
    let mut next = 1 % messages.frames.len();
    loop {
        if active.wait_for(|on| *on).await.is_err() {
            return Ok(());
        }
        slot.busy.fetch_add(1, Ordering::Relaxed);
        while *active.borrow() {
            tcp.write_all(&messages.frames[next]).await?;
            let (_, wire) = reader
                .read_messages(&mut tcp, case.in_flight, false)
                .await?;
            slot.count
                .fetch_add(case.in_flight as u64, Ordering::Relaxed);
            slot.plain
                .fetch_add(messages.plain[next], Ordering::Relaxed);
            slot.wire.fetch_add(wire, Ordering::Relaxed);
            next = (next + 1) % messages.frames.len();
        }
        slot.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Counts echoed messages by their frame headers, skipping payloads (or
/// keeping the first message's when asked to check it).
struct Replies {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Replies {
    fn new(size: usize) -> Self {
        Replies {
            buf: vec![0; (size + 64).clamp(4096, 256 << 10)],
            start: 0,
            end: 0,
        }
    }

    async fn fill(&mut self, tcp: &mut TcpStream) -> Result<(), BoxError> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let n = tcp.read(&mut self.buf[self.end..]).await?;
        if n == 0 {
            return Err("server closed".into());
        }
        self.end += n;
        Ok(())
    }

    /// Reads `messages` whole data messages; returns the first one's
    /// (decompressed) payload if `keep`, and the bytes they took on the
    /// wire, frame headers included.
    async fn read_messages(
        &mut self,
        tcp: &mut TcpStream,
        messages: usize,
        keep: bool,
    ) -> Result<(Vec<u8>, u64), BoxError> {
        let mut done = 0;
        let mut wire = 0;
        let mut kept = Vec::new();
        let mut compressed = false;
        while done < messages {
            while self.end - self.start < 2 {
                self.fill(tcp).await?;
            }
            let (b0, b1) = (self.buf[self.start], self.buf[self.start + 1]);
            let header = match b1 & 0x7f {
                126 => 4,
                127 => 10,
                _ => 2,
            };
            while self.end - self.start < header {
                self.fill(tcp).await?;
            }
            let h = &self.buf[self.start..self.start + header];
            let mut len = match header {
                4 => u16::from_be_bytes([h[2], h[3]]) as u64,
                10 => u64::from_be_bytes(h[2..10].try_into().unwrap()),
                _ => (b1 & 0x7f) as u64,
            };
            self.start += header;
            wire += header as u64 + len;
            let opcode = b0 & 0x0f;
            if opcode == 0x8 {
                return Err("server sent Close".into());
            }
            let data = opcode < 0x8;
            if data && b0 & 0x40 != 0 {
                compressed = true;
            }
            while len > 0 {
                if self.start == self.end {
                    self.fill(tcp).await?;
                }
                let take = (self.end - self.start).min(len as usize);
                if keep && data && done == 0 {
                    kept.extend_from_slice(&self.buf[self.start..self.start + take]);
                }
                self.start += take;
                len -= take as u64;
            }
            if data && b0 & 0x80 != 0 {
                done += 1;
            }
        }
        if keep && compressed {
            kept.extend_from_slice(&[0, 0, 0xff, 0xff]);
            let mut out = Vec::with_capacity(kept.len() * 1100 + 1024);
            let mut d = flate2::Decompress::new(false);
            d.decompress_vec(&kept, &mut out, flate2::FlushDecompress::Sync)?;
            kept = out;
        }
        Ok((kept, wire))
    }
}
