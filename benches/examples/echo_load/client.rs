//! The load generator's side of a connection: the frames it sends (built
//! once, masked, compressed when the case asks) and the replies it counts
//! by their headers, checking the first echo byte for byte.

use crate::config::Case;
use crate::Slot;
use std::sync::atomic::Ordering;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// ASCII text of a short repeating pattern (compresses about 1000:1).
pub(crate) fn payload(size: usize) -> Vec<u8> {
    b"websocket echo load 0123456789 "
        .iter()
        .copied()
        .cycle()
        .take(size)
        .collect()
}

pub(crate) fn client_frame(payload: &[u8], deflate: bool) -> Vec<u8> {
    let (body, first) = if deflate {
        let mut out = Vec::with_capacity(payload.len() / 64 + 64);
        let mut c = flate2::Compress::new(flate2::Compression::new(1), false);
        c.compress_vec(payload, &mut out, flate2::FlushCompress::Sync)
            .unwrap();
        while out.capacity() - out.len() < 64 || c.total_in() < payload.len() as u64 {
            out.reserve(out.capacity());
            let done = c.total_in() as usize;
            c.compress_vec(&payload[done..], &mut out, flate2::FlushCompress::Sync)
                .unwrap();
        }
        assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
        out.truncate(out.len() - 4);
        (out, 0x80 | 0x40 | 0x1)
    } else {
        (payload.to_vec(), 0x80 | 0x1)
    };
    let mut frame = vec![first];
    match body.len() {
        n if n < 126 => frame.push(0x80 | n as u8),
        n if n < 65536 => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    let key = [0x37, 0xfa, 0x21, 0x3d];
    frame.extend_from_slice(&key);
    frame.extend(body.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    frame
}

pub(crate) type BoxError = Box<dyn std::error::Error>;

/// One connection: handshake, the first echo checked, then echoes for as
/// long as its server's slot is active, idle in between; returns when the
/// slot is dropped at the end of the case.
pub(crate) async fn connection(
    addr: &str,
    case: &Case,
    payload: &[u8],
    frame: &[u8],
    slot: &Slot,
    mut active: tokio::sync::watch::Receiver<bool>,
    ready: tokio::sync::mpsc::Sender<()>,
) -> Result<(), BoxError> {
    let mut tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let offer = if case.deflate {
        "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n"
    } else {
        ""
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
    let mut reader = Replies::new(case.size);
    // The first echo is checked whole.
    tcp.write_all(frame).await?;
    let first = reader.read_messages(&mut tcp, case.in_flight, true).await?;
    if first != payload {
        return Err(format!(
            "echo differs: {} bytes back for {}",
            first.len(),
            payload.len()
        )
        .into());
    }
    ready.send(()).await?;
    drop(ready);
    loop {
        if active.wait_for(|on| *on).await.is_err() {
            return Ok(());
        }
        slot.busy.fetch_add(1, Ordering::Relaxed);
        while *active.borrow() {
            tcp.write_all(frame).await?;
            reader
                .read_messages(&mut tcp, case.in_flight, false)
                .await?;
            slot.count
                .fetch_add(case.in_flight as u64, Ordering::Relaxed);
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
    /// (decompressed) payload if `keep`.
    async fn read_messages(
        &mut self,
        tcp: &mut TcpStream,
        messages: usize,
        keep: bool,
    ) -> Result<Vec<u8>, BoxError> {
        let mut done = 0;
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
        Ok(kept)
    }
}
