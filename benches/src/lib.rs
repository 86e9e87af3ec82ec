//! Shared fixtures for the criterion benchmarks under `benches/benches/`.
//!
//! Nothing here touches the network: every benchmark runs over in-memory
//! streams so that what is measured is the WebSocket code, not the kernel.
//!
//! - [`ReplayStream`]: serves a pre-encoded byte buffer (a [`Cursor`] over a
//!   borrowed slice) and discards writes; rewind it to replay the same bytes.
//!   This is the read side of a benchmark whose input was encoded once,
//!   outside the timed loop.
//! - [`SinkStream`]: appends every write to a `Vec<u8>` that keeps its
//!   capacity across iterations, and has nothing to read. The write side.
//! - [`duplex`]: a connected pair of in-memory streams ([`PipeEnd`]), for a
//!   full client-to-server round trip through two drivers.
//! - [`text_payload`], [`binary_payload`], [`message_count`], [`size_label`]:
//!   the workload, so that every implementation gets the same one.
//! - [`encode_client_messages`]: the wire bytes of N masked client frames,
//!   encoded with `ws_core`'s engine.
//! - [`json_payload`], [`random_payload`]: seeded payloads for the
//!   compression benchmarks (repetitive JSON records, incompressible bytes).
//! - [`deflate_pair`], [`deliver`]: a client and a server [`Protocol`] with
//!   permessage-deflate negotiated the way a handshake does it, and one
//!   message carried from one to the other.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::{self, Cursor, Read, Write};
use std::rc::Rc;

use ws_core::{Message, Protocol, Role, WebSocketConfig};
use ws_deflate::DeflateConfig;
use ws_extensions::{client_confirm, client_offer, format_extensions, server_negotiate};

/// The message sizes every size-parameterised benchmark runs: 16 B, 1 KiB,
/// 64 KiB and 1 MiB.
pub const SIZES: [usize; 4] = [16, 1 << 10, 64 << 10, 1 << 20];

/// Payload bytes one iteration of a message benchmark moves, at most: the
/// message count per iteration is derived from it (see [`message_count`]).
pub const BYTES_PER_ITERATION: usize = 4 << 20;

/// Upper bound on messages per iteration, so that small messages do not make
/// one iteration needlessly long.
pub const MAX_MESSAGES_PER_ITERATION: usize = 1000;

/// How many messages of `size` bytes one iteration sends: 1000 for 16 B and
/// 1 KiB, 64 for 64 KiB, 4 for 1 MiB.
pub fn message_count(size: usize) -> usize {
    (BYTES_PER_ITERATION / size.max(1)).clamp(1, MAX_MESSAGES_PER_ITERATION)
}

/// A short label for a size, as used in benchmark ids: `16B`, `1KiB`,
/// `64KiB`, `1MiB`.
pub fn size_label(size: usize) -> String {
    if size >= 1 << 20 && size.is_multiple_of(1 << 20) {
        format!("{}MiB", size >> 20)
    } else if size >= 1 << 10 && size.is_multiple_of(1 << 10) {
        format!("{}KiB", size >> 10)
    } else {
        format!("{size}B")
    }
}

/// `size` bytes of ASCII text (valid UTF-8, so text messages pass validation).
pub fn text_payload(size: usize) -> String {
    const WORDS: &[u8] = b"The quick brown fox jumps over the lazy dog; 0123456789! ";
    WORDS
        .iter()
        .copied()
        .cycle()
        .take(size)
        .map(char::from)
        .collect()
}

/// `size` pseudo-random bytes (a fixed-seed xorshift, so runs are comparable).
pub fn binary_payload(size: usize) -> Vec<u8> {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    (0..size).map(|_| (rng.next_u64() >> 24) as u8).collect()
}

/// `size` pseudo-random bytes from `seed`: incompressible, and different for
/// every seed (so a compressor with context takeover finds no match in what
/// it saw before).
pub fn random_payload(size: usize, seed: u64) -> Vec<u8> {
    let mut rng = XorShift::seeded(seed);
    (0..size).map(|_| (rng.next_u64() >> 24) as u8).collect()
}

/// A xorshift64 generator: fast, deterministic, good enough for payloads.
#[derive(Clone, Debug)]
struct XorShift(u64);

impl XorShift {
    /// A generator whose state is `seed` run through splitmix64 (never zero).
    fn seeded(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        XorShift((z ^ (z >> 31)) | 1)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n` (`n > 0`; the slight modulo bias does not matter here).
    fn below(&mut self, n: u64) -> u64 {
        (self.next_u64() >> 11) % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Exactly `size` bytes of JSON text, as an API or event stream would send:
/// an array of records with the same keys and a few enumerated values, but
/// ids, timestamps, amounts and a 64-bit hex session token that vary from
/// record to record. Records are about 250 bytes; what is left at the end
/// after the last whole record is filled by a final `{"note": "..."}`
/// record (or spaces when even that does not fit). Different seeds give
/// different records. ASCII only, so it is valid UTF-8.
pub fn json_payload(size: usize, seed: u64) -> String {
    const EVENTS: &[&str] = &[
        "page_view",
        "click",
        "add_to_cart",
        "remove_from_cart",
        "checkout",
        "purchase",
        "login",
        "logout",
    ];
    const COUNTRIES: &[&str] = &["FR", "DE", "US", "GB", "JP", "BR", "IN", "ES", "IT", "CA"];
    const DEVICES: &[&str] = &["desktop", "mobile", "tablet"];
    const BROWSERS: &[&str] = &["firefox", "chrome", "safari", "edge"];
    const FILLER: &str = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do \
                          eiusmod tempor incididunt ut labore et dolore magna aliqua ";

    let mut rng = XorShift::seeded(seed);
    let mut out = String::with_capacity(size);
    if size < 2 {
        out.extend(std::iter::repeat_n(' ', size));
        return out;
    }
    out.push('[');
    let mut id = 1_000_000 + rng.below(9_000_000);
    let mut ts = 1_718_000_000_000 + rng.below(1_000_000_000);
    let mut record = String::with_capacity(512);
    loop {
        record.clear();
        let separator = if out.len() > 1 { "," } else { "" };
        let (amount, cents) = (rng.below(500), rng.below(100));
        write!(
            record,
            "{separator}{{\"id\":{id},\"user_id\":\"u{user}\",\"session\":\"{session:016x}\",\
             \"event\":\"{event}\",\"timestamp\":{ts},\"page\":\"/products/{product}\",\
             \"amount\":{amount}.{cents:02},\"currency\":\"EUR\",\"quantity\":{quantity},\
             \"country\":\"{country}\",\"device\":\"{device}\",\"browser\":\"{browser}\",\
             \"logged_in\":{logged_in}}}",
            user = 10_000 + rng.below(90_000),
            session = rng.next_u64(),
            event = rng.pick(EVENTS),
            product = rng.below(5000),
            quantity = 1 + rng.below(5),
            country = rng.pick(COUNTRIES),
            device = rng.pick(DEVICES),
            browser = rng.pick(BROWSERS),
            logged_in = rng.below(2) == 1,
        )
        .expect("writing to a String");
        // Keep one byte for the closing bracket.
        if out.len() + record.len() + 1 > size {
            break;
        }
        out.push_str(&record);
        id += 1 + rng.below(3);
        ts += rng.below(5000);
    }
    let separator = if out.len() > 1 { "," } else { "" };
    let note_overhead = separator.len() + r#"{"note":""}"#.len();
    let room = size - out.len() - 1;
    if room >= note_overhead {
        out.push_str(separator);
        out.push_str(r#"{"note":""#);
        out.extend(FILLER.chars().cycle().take(room - note_overhead));
        out.push_str(r#""}"#);
    } else {
        out.extend(std::iter::repeat_n(' ', room));
    }
    out.push(']');
    debug_assert_eq!(out.len(), size);
    out
}

/// A client and a server [`Protocol`] (default [`WebSocketConfig`]) with
/// permessage-deflate negotiated the way the handshake does it: the client's
/// offer from `client` ([`client_offer`]), the server's answer from `server`
/// ([`server_negotiate`]), checked by the client ([`client_confirm`]).
/// Also returns the agreed `Sec-WebSocket-Extensions` response value.
///
/// Panics if the server declines or the client refuses the answer.
pub fn deflate_pair(
    client: &DeflateConfig,
    server: &DeflateConfig,
) -> (Protocol, Protocol, String) {
    let client_factories = vec![client.clone().into_factory()];
    let server_factories = vec![server.clone().into_factory()];
    let offer = client_offer(&client_factories).expect("the client offers permessage-deflate");
    let (response, server_stack) =
        server_negotiate(&server_factories, [offer.as_bytes()]).expect("a well-formed offer");
    let response = response.expect("the server accepts permessage-deflate");
    let client_stack =
        client_confirm(&client_factories, [response.as_bytes()]).expect("an acceptable answer");
    assert_eq!(format_extensions(client_stack.negotiated()), response);
    let client =
        Protocol::new(Role::Client, WebSocketConfig::default()).with_extensions(client_stack);
    let server =
        Protocol::new(Role::Server, WebSocketConfig::default()).with_extensions(server_stack);
    (client, server, response)
}

/// Carries one data message from `sender` to `receiver`: `send`, the whole
/// `pending_output` handed to `receive`, `advance_output`, `next_message`.
/// Returns the message as received and the number of bytes on the wire.
///
/// Panics if sending or decoding fails, or if the message is not complete
/// after its bytes were received.
pub fn deliver(
    sender: &mut Protocol,
    receiver: &mut Protocol,
    message: &Message,
) -> (Message, usize) {
    sender.send(message).expect("send");
    let out = sender.pending_output();
    let wire = out.len();
    receiver.receive(out);
    sender.advance_output(wire);
    let got = receiver
        .next_message()
        .expect("decode")
        .expect("a whole message");
    (got, wire)
}

/// The message kinds the message benchmarks run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Text messages ([`text_payload`]).
    Text,
    /// Binary messages ([`binary_payload`]).
    Binary,
}

impl Kind {
    /// Both kinds.
    pub const ALL: [Kind; 2] = [Kind::Text, Kind::Binary];

    /// `text` or `binary`, as used in group names.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Binary => "binary",
        }
    }

    /// A `ws_core` message of this kind and `size` bytes.
    pub fn ws_message(self, size: usize) -> Message {
        match self {
            Kind::Text => Message::Text(text_payload(size)),
            Kind::Binary => Message::Binary(binary_payload(size)),
        }
    }
}

/// The bytes a client puts on the wire for `messages` (masked frames, one
/// frame per message), encoded with `ws_core`'s engine.
pub fn encode_client_messages(messages: &[Message]) -> Vec<u8> {
    let mut client = Protocol::new(Role::Client, WebSocketConfig::default());
    let mut wire = Vec::new();
    for message in messages {
        client.send(message).expect("queue a data message");
        let out = client.pending_output();
        wire.extend_from_slice(out);
        let n = out.len();
        client.advance_output(n);
    }
    wire
}

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

    #[test]
    fn labels_and_counts() {
        assert_eq!(
            SIZES.map(size_label),
            ["16B", "1KiB", "64KiB", "1MiB"].map(String::from)
        );
        assert_eq!(SIZES.map(message_count), [1000, 1000, 64, 4]);
    }

    #[test]
    fn payloads_have_the_requested_size() {
        for size in SIZES {
            assert_eq!(text_payload(size).len(), size);
            assert_eq!(binary_payload(size).len(), size);
        }
    }

    #[test]
    fn json_payloads_have_the_requested_size_and_vary_with_the_seed() {
        for size in [0, 1, 2, 10, 13, 100, 300, 1 << 10, 64 << 10, 1 << 20] {
            let json = json_payload(size, 7);
            assert_eq!(json.len(), size, "{json}");
            if size >= 2 {
                assert!(json.starts_with('[') && json.ends_with(']'), "{json}");
            }
        }
        let json = json_payload(1 << 10, 1);
        assert!(json.contains(r#""event":"#) && json.contains(r#"{"note":"#));
        assert_ne!(json, json_payload(1 << 10, 2));
        assert_eq!(json, json_payload(1 << 10, 1));
    }

    #[test]
    fn random_payloads_vary_with_the_seed() {
        assert_eq!(random_payload(1000, 3), random_payload(1000, 3));
        assert_ne!(random_payload(1000, 3), random_payload(1000, 4));
        assert_eq!(random_payload(70_000, 3).len(), 70_000);
    }

    #[test]
    fn deflate_pair_compresses_both_ways() {
        let config = DeflateConfig::default()
            .server_no_context_takeover(true)
            .client_no_context_takeover(true);
        let (mut client, mut server, agreed) = deflate_pair(&config, &config);
        assert_eq!(
            agreed,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
        );
        for seed in 0..3 {
            let message = Message::text(json_payload(4096, seed));
            let (got, wire) = deliver(&mut client, &mut server, &message);
            assert_eq!(got, message);
            assert!(wire < 4096 / 2, "{wire}");
            let (got, wire) = deliver(&mut server, &mut client, &message);
            assert_eq!(got, message);
            assert!(wire < 4096 / 2, "{wire}");
        }
    }

    #[test]
    fn replayed_client_bytes_decode_with_the_driver() {
        let messages: Vec<Message> = (0..3).map(|_| Kind::Text.ws_message(300)).collect();
        let wire = encode_client_messages(&messages);
        let mut ws = ws_core::WebSocket::from_raw_socket(
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
            ws_core::WebSocket::from_raw_socket(a, Role::Client, WebSocketConfig::default());
        let mut server =
            ws_core::WebSocket::from_raw_socket(b, Role::Server, WebSocketConfig::default());
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
