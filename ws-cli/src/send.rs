//! `ws send FILE URL`: one file, one message, streamed: read in chunks and
//! sent as the frames of one fragmented message (compressed as it goes
//! when permessage-deflate was agreed), so that memory stays bounded by a
//! few chunks whatever the file's size. A progress line on stderr.
//!
//! The library queues whole messages only, so the frames of the file are
//! written here, on the stream the library handed back after the opening
//! handshake (`into_parts`), with its frame header encoder and masking;
//! the engine then takes the stream back for the closing handshake.

use crate::args::Args;
use crate::client::{connect, read_all, stalled, while_active, Ended, Stream};
use crate::config;
use crate::failure::{self, exit, Failure};
use crate::progress::{saved, Counter, Progress};
use flate2::{Compress, Compression, FlushCompress};
use sockwell_client::{CloseCode, CloseFrame, WebSocketStream};
use sockwell_core::sockwell_extensions::Rsv;
use sockwell_core::{FrameHeader, OpCode, Protocol, MAX_HEADER_LEN};
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

/// What is read from the input at a time, and the most a frame carries
/// (a peer with the common 16 MiB frame limit takes every frame).
const CHUNK: usize = 1 << 20;

/// A chunk of input, or why there is no more.
type Chunk = Result<Vec<u8>, String>;

/// Reads `file` (stdin for `-`) in chunks on a thread of its own, into a
/// channel that holds one chunk: memory stays at a few chunks, and a slow
/// stdin does not stall the runtime. With `text`, the chunks are checked
/// to be UTF-8 (a character cut between two chunks is carried over).
fn read_chunks(file: &Path, text: bool) -> Result<(mpsc::Receiver<Chunk>, Option<u64>), Failure> {
    let name = file.display().to_string();
    let cannot = |e: std::io::Error| Failure::new(exit::OTHER, format!("cannot read {name}: {e}"));
    let (input, total): (Box<dyn Read + Send>, _) = if file.as_os_str() == "-" {
        (Box::new(std::io::stdin()), None)
    } else {
        let opened = std::fs::File::open(file).map_err(cannot)?;
        let size = opened
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        (Box::new(opened), size)
    };
    let (tx, rx) = mpsc::channel(1);
    std::thread::spawn(move || {
        let mut input = input;
        let mut carry: Vec<u8> = Vec::new();
        loop {
            let mut chunk = std::mem::take(&mut carry);
            chunk.reserve_exact(CHUNK.saturating_sub(chunk.len()));
            let read = (&mut input)
                .take((CHUNK - chunk.len()) as u64)
                .read_to_end(&mut chunk);
            let chunk = match read {
                Err(e) => Err(format!("cannot read {name}: {e}")),
                Ok(0) if chunk.is_empty() => break,
                Ok(n) if text => match std::str::from_utf8(&chunk) {
                    Ok(_) => Ok(chunk),
                    // A character cut at the chunk's end: it goes with the next.
                    Err(e) if e.error_len().is_none() && n > 0 => {
                        carry = chunk.split_off(e.valid_up_to());
                        Ok(chunk)
                    }
                    Err(_) => Err(format!("{name} is not UTF-8 (drop --text)")),
                },
                Ok(_) => Ok(chunk),
            };
            let stop = chunk.is_err();
            if tx.blocking_send(chunk).is_err() || stop {
                break;
            }
        }
    });
    Ok((rx, total))
}

/// How the message is compressed: permessage-deflate as agreed, if it was.
struct Deflate {
    compressor: Compress,
    /// Compressed bytes not yet in a frame.
    out: Vec<u8>,
}

impl Deflate {
    /// A compressor for this connection: the agreed window for what a
    /// client sends (`client_max_window_bits` of the answer, else of our
    /// offer, else 15), at `--level`. It starts afresh, which a server
    /// takes whether or not contexts are kept: the message refers to
    /// nothing before it. `None` (the file goes uncompressed, which is
    /// always allowed) when nothing was agreed, or a window of 2^8 was:
    /// zlib compresses in no window below 2^9.
    fn agreed(protocol: &Protocol, args: &Args) -> Option<Deflate> {
        let offer = protocol
            .extensions()
            .negotiated()
            .find(|offer| offer.is("permessage-deflate"))?;
        let config = args.deflate.as_ref()?;
        let bits = offer
            .params
            .iter()
            .find(|p| p.name == "client_max_window_bits")
            .and_then(|p| p.value.as_deref()?.parse::<u8>().ok())
            .or(config.client_max_window_bits)
            .unwrap_or(15)
            .min(15);
        if bits < 9 {
            return None;
        }
        Some(Deflate {
            compressor: Compress::new_with_window_bits(Compression::new(config.level), false, bits),
            out: Vec::new(),
        })
    }

    /// Compresses `input` into [`out`](Self::out); `last`: ends the
    /// message with a sync flush, its `00 00 ff ff` removed (RFC 7692 §7.2.1).
    fn compress(&mut self, mut input: &[u8], last: bool) -> Result<(), String> {
        let flush = if last {
            FlushCompress::Sync
        } else {
            FlushCompress::None
        };
        loop {
            if self.out.capacity() - self.out.len() < 64 << 10 {
                self.out.reserve(input.len() / 2 + (64 << 10));
            }
            let before = self.compressor.total_in();
            self.compressor
                .compress_vec(input, &mut self.out, flush)
                .map_err(|e| format!("compression failed: {e}"))?;
            input = &input[(self.compressor.total_in() - before) as usize..];
            // Done when all input is in and the output had room to spare.
            if input.is_empty() && self.out.len() < self.out.capacity() {
                break;
            }
        }
        if last {
            if !self.out.ends_with(&[0, 0, 0xff, 0xff]) {
                return Err("compression did not end with a sync flush".to_owned());
            }
            self.out.truncate(self.out.len() - 4);
        }
        Ok(())
    }
}

/// Writes one masked frame (a client masks every frame, RFC 6455 §5.3).
async fn write_frame(
    stream: &mut Stream,
    header: (bool, Rsv, OpCode),
    payload: &mut [u8],
) -> std::io::Result<()> {
    let (fin, rsv, opcode) = header;
    let key = rand::random::<[u8; 4]>();
    let header = FrameHeader {
        fin,
        rsv,
        opcode,
        mask: Some(key),
        payload_len: payload.len() as u64,
    };
    let mut head = [0u8; MAX_HEADER_LEN];
    let n = header.encode(&mut head);
    sockwell_core::mask::apply_mask(payload, key, 0);
    stream.write_all(&head[..n]).await?;
    stream.write_all(payload).await?;
    stream.flush().await
}

/// Why streaming stopped early.
enum Stopped {
    /// The input failed (or was not UTF-8 with `--text`): said, and the
    /// connection is closed with this code.
    Input(String, CloseCode),
    /// The connection failed: the server may have said why.
    Connection(String),
    /// Nothing moved on the connection for too long.
    Stalled,
}

/// Sends the chunks as the frames of one message: one frame per chunk (the
/// compressed bytes of it), the first with the message's opcode (and RSV1
/// when compressed), the last with FIN. Bytes read are counted in `read`.
async fn stream_message(
    stream: &mut Stream,
    chunks: &mut mpsc::Receiver<Chunk>,
    mut deflate: Option<Deflate>,
    opcode: OpCode,
    read: &AtomicU64,
    counter: &Counter,
    min_compress_size: usize,
) -> Result<(), Stopped> {
    let mut next = chunks.recv().await;
    let mut first = true;
    loop {
        let mut chunk = match next.take() {
            Some(Ok(chunk)) => chunk,
            Some(Err(why)) => {
                let code = if why.contains("UTF-8") {
                    CloseCode::INVALID_PAYLOAD
                } else {
                    CloseCode::GOING_AWAY
                };
                return Err(Stopped::Input(why, code));
            }
            // Empty input: one empty frame.
            None if first => Vec::new(),
            None => return Ok(()),
        };
        read.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        next = chunks.recv().await;
        let fin = next.is_none();
        // A whole message shorter than --min-compress-size goes as it is.
        if first && fin && chunk.len() < min_compress_size {
            deflate = None;
        }
        let rsv = match (&deflate, first) {
            (Some(_), true) => Rsv::RSV1,
            _ => Rsv::NONE,
        };
        let op = if first { opcode } else { OpCode::Continuation };
        let written = match &mut deflate {
            Some(d) => {
                d.compress(&chunk, fin)
                    .map_err(|why| Stopped::Input(why, CloseCode::GOING_AWAY))?;
                drop(chunk);
                let writing = write_frame(stream, (fin, rsv, op), &mut d.out);
                let written = while_active(counter, writing).await;
                d.out.clear();
                written
            }
            None => while_active(counter, write_frame(stream, (fin, rsv, op), &mut chunk)).await,
        };
        match written {
            Some(Ok(())) => {}
            Some(Err(e)) => return Err(Stopped::Connection(e.to_string())),
            None => return Err(Stopped::Stalled),
        }
        first = false;
        if fin {
            return Ok(());
        }
    }
}

pub async fn send(file: &Path, url: &str, args: &Args) -> Result<(), Failure> {
    let (mut chunks, total) = read_chunks(file, args.text)?;
    let counter = Counter::default();
    let ws = connect(url, args, config::client(args), &counter).await?;
    let deflate = Deflate::agreed(ws.protocol(), args);
    let compressed = deflate.is_some();
    let (mut stream, protocol) = ws.into_parts();
    let opcode = if args.text {
        OpCode::Text
    } else {
        OpCode::Binary
    };
    let read = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let progress = Progress::start(counter.clone(), read.clone(), total, compressed, args.quiet);
    let min_compress_size = args.deflate.as_ref().map_or(0, |d| d.min_compress_size);
    let streamed = stream_message(
        &mut stream,
        &mut chunks,
        deflate,
        opcode,
        &read,
        &counter,
        min_compress_size,
    )
    .await;
    let wire = progress.finish();
    let elapsed = started.elapsed();
    let size = read.load(Ordering::Relaxed);
    // The engine takes the stream back: what the server says (an echo,
    // its Close) is read and dropped on the side, and the closing
    // handshake is its.
    let (mut reader, mut writer) = WebSocketStream::from_protocol(stream, protocol).into_split();
    let reading = tokio::spawn(async move { read_all(&mut reader, |_| true).await });
    match streamed {
        Ok(()) => {}
        Err(Stopped::Stalled) => return Err(stalled()),
        Err(Stopped::Input(why, code)) => {
            // Control frames may come between the frames of a message.
            let bye = writer.close(Some(CloseFrame::new(code, "")));
            let _ = tokio::time::timeout(Duration::from_secs(2), bye).await;
            return Err(Failure::new(exit::OTHER, why));
        }
        // The server may have closed with a reason (1009: too big): say it.
        Err(Stopped::Connection(e)) => {
            let why = tokio::time::timeout(Duration::from_secs(2), reading).await;
            return Err(match why {
                Ok(Ok(Ended::Closed(frame))) if !failure::is_normal(frame.as_ref()) => {
                    Failure::closed("the server", frame.as_ref())
                }
                _ => Failure::new(exit::ABNORMAL_CLOSE, format!("sending failed: {e}")),
            });
        }
    }
    if !args.quiet {
        let saved = if compressed {
            saved(size, wire)
        } else {
            String::new()
        };
        eprintln!(
            "sent {} ({size} bytes) as {wire} bytes on the wire{saved} in {:.2} s",
            file.display(),
            elapsed.as_secs_f64()
        );
    }
    let bye = writer.close(Some(CloseFrame::new(CloseCode::NORMAL, "")));
    if while_active(&counter, bye).await.is_none() {
        return Err(stalled());
    }
    match while_active(&counter, reading).await {
        Some(ended) => ended
            .expect("the reader does not panic")
            .outcome(Some(CloseCode::NORMAL)),
        None => Err(stalled()),
    }
}
