//! The load generator's side of a connection: the frames it sends (built
//! once per case and server answer, masked, compressed when the case asks)
//! and the replies it counts by their headers, checking the first echo
//! byte for byte.

use crate::config::{Case, Payload, JSON_CYCLE};
use crate::Slot;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use std::cell::RefCell;
use std::rc::Rc;
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

/// The seed of every JSON case's stream: all connections and runs send
/// the same messages (the seed of `deflate/small_json` in
/// `benches/deflate`, so both start from the same stream).
const JSON_SEED: u64 = 1;

/// A JSON case's cycle of distinct messages: single `SmallJson` records,
/// or arrays of consecutive records, each as many as fit in `case.size`
/// bytes (a record that does not fit starts the next array).
pub(crate) fn json_messages(case: &Case) -> Vec<Vec<u8>> {
    let mut records = benches::SmallJson::new(JSON_SEED);
    match case.payload {
        Payload::JsonRecord => records
            .messages(JSON_CYCLE)
            .into_iter()
            .map(String::into_bytes)
            .collect(),
        Payload::JsonArray => {
            let mut next = records.next_message();
            (0..JSON_CYCLE)
                .map(|_| {
                    let mut array = format!("[{next}");
                    loop {
                        next = records.next_message();
                        // The record, its comma and the closing bracket.
                        if array.len() + next.len() + 2 > case.size {
                            break;
                        }
                        array.push(',');
                        array.push_str(&next);
                    }
                    array.push(']');
                    array.into_bytes()
                })
                .collect()
        }
        Payload::Pattern => unreachable!("not a JSON case"),
    }
}

/// How the server answered a JSON case's offer of permessage-deflate: what
/// the client's compression may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Answer {
    /// No `client_no_context_takeover` in the answer: the client may refer
    /// to earlier messages.
    pub(crate) takeover: bool,
    /// The answer's `client_max_window_bits`, 15 if absent.
    pub(crate) window_bits: u8,
}

impl Answer {
    /// The permessage-deflate answer in a (lower-cased) response head.
    fn parse(head: &str) -> Option<Answer> {
        let value = head
            .lines()
            .find_map(|l| l.strip_prefix("sec-websocket-extensions:"))?;
        let mut params = value.split(';').map(str::trim);
        if params.next()? != "permessage-deflate" {
            return None;
        }
        let mut answer = Answer {
            takeover: true,
            window_bits: 15,
        };
        for param in params {
            match param.split_once('=') {
                Some((name, bits)) if name.trim() == "client_max_window_bits" => {
                    answer.window_bits = bits.trim().trim_matches('"').parse().ok()?;
                }
                None if param == "client_no_context_takeover" => answer.takeover = false,
                _ => {}
            }
        }
        Some(answer)
    }
}

/// What a connection sends, in this order, over and over: masked frames
/// (`case.in_flight` messages each), the plain payload bytes of each, and
/// the first message's payload, which its echo is checked against.
pub(crate) struct Messages {
    frames: Vec<Vec<u8>>,
    plain: Vec<u64>,
    first: Vec<u8>,
}

/// A case's messages, built once per server answer and shared by all the
/// connections (of every implementation) that got that answer.
pub(crate) struct Frames {
    case: Case,
    texts: Vec<Vec<u8>>,
    built: RefCell<Vec<(Option<Answer>, Rc<Messages>)>>,
}

impl Frames {
    pub(crate) fn new(case: &Case) -> Self {
        Frames {
            case: *case,
            texts: if case.json() {
                json_messages(case)
            } else {
                vec![payload(case.size)]
            },
            built: RefCell::new(Vec::new()),
        }
    }

    /// The average plain payload of a message.
    pub(crate) fn average_size(&self) -> f64 {
        self.texts.iter().map(Vec::len).sum::<usize>() as f64 / self.texts.len() as f64
    }

    /// The messages to send after `answer` (`None`: the pattern cases,
    /// which do not depend on it).
    pub(crate) fn for_answer(&self, answer: Option<Answer>) -> Rc<Messages> {
        if let Some((_, m)) = self.built.borrow().iter().find(|(a, _)| *a == answer) {
            return m.clone();
        }
        let m = Rc::new(self.build(answer));
        self.built.borrow_mut().push((answer, m.clone()));
        m
    }

    fn build(&self, answer: Option<Answer>) -> Messages {
        let case = &self.case;
        let frames = match answer {
            // One message, compressed alone at level 1 (the client offered
            // client_no_context_takeover) and sent `in_flight` times.
            None if case.deflate => {
                let mut c = Compress::new(Compression::new(1), false);
                vec![masked_frame(&deflate_message(&mut c, &self.texts[0]), true)]
            }
            None => vec![masked_frame(&self.texts[0], false)],
            // The cycle, at level 6 with a window no larger than agreed. With
            // context takeover, one compressor across the whole cycle: the
            // first message is compressed from a fresh state, so it refers to
            // nothing before it and the cycle can start over after the last
            // message. Without, a fresh compressor per message.
            Some(answer) => {
                // zlib cannot compress with a window of 8 (it uses 9).
                assert!(answer.window_bits >= 9, "client window of 8 asked");
                let bits = answer.window_bits.min(12);
                let fresh = || Compress::new_with_window_bits(Compression::new(6), false, bits);
                let mut kept = fresh();
                let bodies: Vec<Vec<u8>> = self
                    .texts
                    .iter()
                    .map(|text| {
                        if answer.takeover {
                            deflate_message(&mut kept, text)
                        } else {
                            deflate_message(&mut fresh(), text)
                        }
                    })
                    .collect();
                check_replay(&bodies, &self.texts, answer.takeover, bits);
                bodies.iter().map(|b| masked_frame(b, true)).collect()
            }
        };
        Messages {
            frames: frames
                .into_iter()
                .map(|f| f.repeat(case.in_flight))
                .collect(),
            plain: self
                .texts
                .iter()
                .map(|t| (t.len() * case.in_flight) as u64)
                .collect(),
            first: self.texts[0].clone(),
        }
    }
}

/// One message through `c`: a sync flush, without the trailing
/// `00 00 ff ff` (RFC 7692 §7.2.1).
fn deflate_message(c: &mut Compress, data: &[u8]) -> Vec<u8> {
    let start = c.total_in();
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    loop {
        let done = (c.total_in() - start) as usize;
        c.compress_vec(&data[done..], &mut out, FlushCompress::Sync)
            .unwrap();
        // Room left over after a sync flush: the flush is complete.
        if (c.total_in() - start) as usize == data.len() && out.capacity() - out.len() >= 64 {
            break;
        }
        out.reserve(out.capacity().max(64));
    }
    assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
    out.truncate(out.len() - 4);
    out
}

/// Inflates the cycle twice over as the server does (with `takeover`,
/// one inflater kept across messages; without, a fresh one per message),
/// with the compressor's window, and checks that every message comes back:
/// starting the cycle over is valid.
fn check_replay(bodies: &[Vec<u8>], texts: &[Vec<u8>], takeover: bool, bits: u8) {
    let mut kept = Decompress::new_with_window_bits(false, bits);
    let cycle = bodies.iter().zip(texts);
    for (i, (body, text)) in cycle.clone().chain(cycle).enumerate() {
        let mut fresh = Decompress::new_with_window_bits(false, bits);
        let d = if takeover { &mut kept } else { &mut fresh };
        let input = [body.as_slice(), &[0, 0, 0xff, 0xff]].concat();
        let mut out = Vec::with_capacity(text.len() + 64);
        let before = d.total_in();
        d.decompress_vec(&input, &mut out, FlushDecompress::Sync)
            .expect("the client's own frames inflate");
        assert!(
            d.total_in() - before == input.len() as u64 && out == *text,
            "message {i} of the replayed cycle does not inflate to itself"
        );
    }
}

/// A final text frame from a client (masked), RSV1 set if `compressed`.
fn masked_frame(body: &[u8], compressed: bool) -> Vec<u8> {
    let mut frame = vec![if compressed {
        0x80 | 0x40 | 0x1
    } else {
        0x80 | 0x1
    }];
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
