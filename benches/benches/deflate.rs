//! Compressed throughput: permessage-deflate through a whole connection
//! (`ours`) against the same zlib work done with flate2 directly (`flate2`)
//! and against the compressing engines of sockudo-ws (`sockudo-ws`, sans-IO)
//! and yawc (`yawc`, a whole async connection, beside ours the same way:
//! `ours-async`; see `deflate/streams.rs`) with the same parameters, side by
//! side in each group, so that our overhead is a ratio.
//!
//! Groups are `deflate/<payload>/<takeover>`:
//!
//! - `<payload>`: `json` ([`json_payload`]: records with the same keys and
//!   varying ids, timestamps, amounts and hex tokens; compresses to 16–20%
//!   with context takeover, 16–40% without), `random` ([`random_payload`]:
//!   incompressible xorshift bytes) or `repeating` (text of a short
//!   repeating pattern that compresses about 1000:1: the case where the
//!   decoded message is 1000 times what arrived, so the cost of growing
//!   the message buffer, not zlib, is what shows).
//! - `<takeover>`: `takeover` (`context_takeover()`: both compressors keep
//!   their window from one message to the next) or `no_takeover`
//!   (`server_no_context_takeover` and `client_no_context_takeover` on both
//!   sides, what a server answers by default: every message is compressed,
//!   and inflated, from a fresh state, with zlib state from the shared pool).
//!
//! Each group runs messages of 1 KiB, 64 KiB and 1 MiB; one iteration moves
//! one message, and throughput is its payload size.
//!
//! - `ours/<size>`: a client-role `sockwell_core::Protocol` and a server-role one,
//!   with permessage-deflate negotiated through `client_offer`,
//!   `server_negotiate` and `client_confirm` from the same [`DeflateConfig`]
//!   on both sides ([`deflate_pair`]). The client `send`s the message
//!   (compress, frame, mask), its `pending_output` goes to the server's
//!   `receive`, then `advance_output`, and the server's `read_buffered`
//!   returns it (unmask, inflate, UTF-8 check for text). The decoded message
//!   is dropped inside the timed part.
//! - `flate2/<size>`: `flate2::Compress` (level 6, raw deflate, window 15:
//!   what sockwell-deflate uses by default) compresses the payload with a sync
//!   flush into a reused buffer, the 4-byte `00 00 ff ff` tail is stripped
//!   and appended back, and `flate2::Decompress` inflates it into another
//!   reused buffer. Without context takeover, both are `reset` after each
//!   message, as sockwell-deflate does. No framing, masking or allocation per
//!   message: the floor for the same zlib work.
//!
//! - `sockudo-ws/<size>`: sockudo-ws's sans-IO `CompressedProtocol`, client
//!   encoding and server processing, the same parameters.
//! - `ours-async/<size>` and `yawc/<size>`: a whole async client and server
//!   over an in-memory pipe on a current-thread runtime, ours and yawc's the
//!   same way (`deflate/streams.rs`); compare them with each other.
//!
//! The group `deflate/restarts` (`deflate/restarts.rs`) puts a message
//! built to restart the inflater every two bytes beside an ordinary
//! compressed message of the same size, per input byte.
//!
//! The group `deflate/small_json` (`deflate/small_json.rs`) puts context
//! takeover kept as histories beside a kept zlib state and no takeover, on
//! a conversation of small JSON messages at window 12: time per message and
//! the ratio.
//!
//! Messages cycle through a pool of different payloads (at least 256 KiB in
//! all, and at least two), so that with context takeover a message never
//! finds itself whole in the 32 KiB window. Connections are built once per
//! benchmark and reused (steady state, not setup). Before timing, every
//! message of the pool goes through both once and is checked byte for byte,
//! ours is checked to set RSV1 (compressed), and both are checked to produce
//! the same deflate bytes count (same level, same window, same stream).

// `criterion_group!` defines undocumented `pub fn`s.
#![allow(missing_docs)]

use benches::{deflate_pair, deliver, json_payload, random_payload, size_label};
use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use sockwell_core::{FrameHeader, Message};
use sockwell_deflate::DeflateConfig;
use std::hint::black_box;

#[path = "deflate/restarts.rs"]
mod restarts;
#[path = "deflate/small_json.rs"]
mod small_json;
#[path = "deflate/streams.rs"]
mod streams;

/// Message sizes: 1 KiB, 64 KiB, 1 MiB.
const SIZES: [usize; 3] = [1 << 10, 64 << 10, 1 << 20];

/// The baseline's zlib level and window: `DeflateConfig`'s defaults.
const LEVEL: u32 = 6;
const WINDOW_BITS: u8 = 15;

/// The end of a sync flush, removed from every message (RFC 7692 §7.2.1).
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Bytes of distinct payloads each benchmark cycles through, at least.
const POOL_BYTES: usize = 256 << 10;

#[derive(Clone, Copy, Debug)]
enum Payload {
    Json,
    Random,
    Repeating,
}

impl Payload {
    const ALL: [Payload; 3] = [Payload::Json, Payload::Random, Payload::Repeating];

    fn name(self) -> &'static str {
        match self {
            Payload::Json => "json",
            Payload::Random => "random",
            Payload::Repeating => "repeating",
        }
    }

    /// Distinct messages of `size` bytes: text for JSON, binary for random bytes.
    fn pool(self, size: usize) -> Vec<Message> {
        let count = (POOL_BYTES / size).max(2) as u64;
        (0..count)
            .map(|seed| match self {
                Payload::Json => Message::text(json_payload(size, seed)),
                Payload::Random => Message::binary(random_payload(size, seed)),
                Payload::Repeating => Message::text(
                    format!("websocket echo {seed} 0123456789 ")
                        .bytes()
                        .cycle()
                        .take(size)
                        .map(char::from)
                        .collect::<String>(),
                ),
            })
            .collect()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Takeover {
    On,
    Off,
}

impl Takeover {
    const ALL: [Takeover; 2] = [Takeover::On, Takeover::Off];

    fn name(self) -> &'static str {
        match self {
            Takeover::On => "takeover",
            Takeover::Off => "no_takeover",
        }
    }

    /// The config both sides use.
    fn config(self) -> DeflateConfig {
        match self {
            Takeover::On => DeflateConfig::default().context_takeover(),
            Takeover::Off => DeflateConfig::default()
                .server_no_context_takeover(true)
                .client_no_context_takeover(true),
        }
    }
}

fn deflate(c: &mut Criterion) {
    // The baseline must do the same zlib work as sockwell-deflate's defaults.
    assert_eq!(DeflateConfig::default().level, LEVEL);
    for payload in Payload::ALL {
        for takeover in Takeover::ALL {
            let mut group =
                c.benchmark_group(format!("deflate/{}/{}", payload.name(), takeover.name()));
            for size in SIZES {
                let pool = payload.pool(size);
                // A 1 MiB message takes milliseconds: criterion's 100 samples
                // would need 5050 of them, far past the measurement time.
                group.sample_size(if size >= 1 << 20 { 20 } else { 100 });
                group.throughput(Throughput::Bytes(size as u64));
                let label = size_label(size);
                let ours_deflate = bench_ours(&mut group, &label, &pool, payload, takeover);
                let raw_deflate = bench_flate2(&mut group, &label, &pool, takeover);
                bench_sockudo(&mut group, &label, &pool, takeover);
                let config = takeover.config();
                let (client, server, agreed) = deflate_pair(&config, &config);
                streams::bench_ours_async(&mut group, &label, &pool, client, server);
                streams::bench_yawc(&mut group, &label, &pool, &agreed, takeover);
                match ours_deflate {
                    Some(ours) => {
                        assert_eq!(
                            ours, raw_deflate,
                            "ws-deflate and raw flate2 produced different deflate streams"
                        );
                        eprintln!(
                            "deflate/{}/{}/{label}: {} messages, {:.1}% of the payload on the wire (deflate bytes)",
                            payload.name(),
                            takeover.name(),
                            pool.len(),
                            100.0 * ours as f64 / (size * pool.len()) as f64,
                        );
                    }
                    None => eprintln!(
                        "deflate/{}/{}/{label}: incompressible messages sent uncompressed \
                         (flate2 baseline still compresses and inflates them)",
                        payload.name(),
                        takeover.name(),
                    ),
                }
            }
            group.finish();
        }
    }
}

/// Benchmarks a negotiated client/server pair. Returns the deflate bytes
/// (frame payloads) of the pool's first pass, for comparison with flate2's,
/// or `None` when some message went uncompressed.
fn bench_ours(
    group: &mut BenchmarkGroup<'_, WallTime>,
    label: &str,
    pool: &[Message],
    payload: Payload,
    takeover: Takeover,
) -> Option<usize> {
    let config = takeover.config();
    let (mut client, mut server, agreed) = deflate_pair(&config, &config);
    assert_eq!(
        agreed.contains("no_context_takeover"),
        takeover == Takeover::Off,
        "{agreed}"
    );

    // Check once, outside timing: byte-exact round trip, RSV1 set, and JSON
    // smaller on the wire than as text.
    let mut deflate_bytes = 0;
    let mut all_compressed = true;
    for message in pool {
        client.write(message).expect("send");
        let (header, header_len) = FrameHeader::parse(client.pending_output())
            .expect("a valid frame")
            .expect("a whole header");
        assert!(header.fin, "one frame per message");
        let compressed = header.rsv.bits() & 0b100 != 0;
        // Without context takeover a message that deflate would grow goes
        // out as it is (nothing of it stays in a window the peer must mirror).
        assert!(
            compressed || (takeover == Takeover::Off && matches!(payload, Payload::Random)),
            "RSV1: compressed"
        );
        all_compressed &= compressed;
        assert_eq!(
            client.pending_output().len(),
            header_len + header.payload_len as usize
        );
        deflate_bytes += header.payload_len as usize;
        let out = client.pending_output();
        server.receive(out);
        let n = out.len();
        client.advance_output(n);
        let got = server.read_buffered().expect("decode").expect("whole");
        assert_eq!(&got, message, "byte-exact round trip");
        if let Payload::Json = payload {
            assert!(
                n < message.len() / 2,
                "JSON compresses: {n} bytes on the wire"
            );
        }
    }
    // The other way too (not timed): the server compresses as well.
    let (got, _) = deliver(&mut server, &mut client, &pool[0]);
    assert_eq!(got, pool[0]);

    let mut next = 0;
    group.bench_function(format!("ours/{label}"), |b| {
        b.iter(|| {
            let message = &pool[next];
            next = (next + 1) % pool.len();
            client.write(message).expect("send");
            let out = client.pending_output();
            server.receive(out);
            let n = out.len();
            client.advance_output(n);
            server.read_buffered().expect("decode").expect("whole")
        })
    });
    all_compressed.then_some(deflate_bytes)
}

/// sockudo-ws's sans-IO `CompressedProtocol`, a client and a server with
/// the same parameters as ours (level, window 15, context takeover or not
/// on both sides, threshold 32): the client encodes (compress, frame,
/// mask) into a buffer, the server `process`es it (unmask, inflate, UTF-8
/// check for text). Checked once, outside timing, to round-trip every
/// message of the pool.
fn bench_sockudo(
    group: &mut BenchmarkGroup<'_, WallTime>,
    label: &str,
    pool: &[Message],
    takeover: Takeover,
) {
    use sockudo_ws::protocol::CompressedProtocol;
    let config = sockudo_ws::deflate::DeflateConfig {
        compression_level: LEVEL,
        server_no_context_takeover: takeover == Takeover::Off,
        client_no_context_takeover: takeover == Takeover::Off,
        compression_threshold: DeflateConfig::default().min_compress_size,
        ..sockudo_ws::deflate::DeflateConfig::default()
    };
    let limit = 64 << 20;
    let mut client = CompressedProtocol::client(limit, limit, config.clone());
    let mut server = CompressedProtocol::server(limit, limit, config);
    let theirs: Vec<sockudo_ws::Message> = pool
        .iter()
        .map(|m| match m {
            Message::Text(text) => sockudo_ws::Message::text(text.as_str()),
            other => sockudo_ws::Message::binary(payload_bytes(other).to_vec()),
        })
        .collect();
    let mut buf = sockwell_core::bytes::BytesMut::with_capacity(pool[0].len() + 1024);
    for (message, ours) in theirs.iter().zip(pool) {
        client.encode_message(message, &mut buf).expect("encode");
        let got = server.process(&mut buf).expect("decode");
        assert_eq!(got.len(), 1, "one message");
        assert_eq!(
            got[0].as_bytes(),
            payload_bytes(ours),
            "byte-exact round trip"
        );
    }
    let mut next = 0;
    group.bench_function(format!("sockudo-ws/{label}"), |b| {
        b.iter(|| {
            let message = &theirs[next];
            next = (next + 1) % theirs.len();
            client.encode_message(message, &mut buf).expect("encode");
            server.process(&mut buf).expect("decode")
        })
    });
}

/// flate2 alone: one compressor, one decompressor, reused buffers.
struct RawDeflate {
    compress: Compress,
    decompress: Decompress,
    takeover: bool,
    wire: Vec<u8>,
    out: Vec<u8>,
}

impl RawDeflate {
    fn new(size: usize, takeover: Takeover) -> Self {
        RawDeflate {
            compress: Compress::new_with_window_bits(Compression::new(LEVEL), false, WINDOW_BITS),
            decompress: Decompress::new_with_window_bits(false, WINDOW_BITS),
            takeover: takeover == Takeover::On,
            // Room for incompressible data (stored blocks add a few bytes per
            // 64 KiB), so the loops below do not grow them when warm.
            wire: Vec::with_capacity(size + size / 64 + 1024),
            out: Vec::with_capacity(size + 1024),
        }
    }

    /// Compresses and inflates `payload`; returns the deflate bytes (without
    /// the tail). The result is in `self.out`.
    fn roundtrip(&mut self, payload: &[u8]) -> usize {
        // Send: sync flush, then strip the tail.
        self.wire.clear();
        let start = self.compress.total_in();
        loop {
            let done = (self.compress.total_in() - start) as usize;
            self.compress
                .compress_vec(&payload[done..], &mut self.wire, FlushCompress::Sync)
                .expect("compress");
            let done = (self.compress.total_in() - start) as usize;
            if done == payload.len() && self.wire.len() < self.wire.capacity() {
                break;
            }
            self.wire.reserve(self.wire.capacity().max(64));
        }
        assert!(self.wire.ends_with(&TAIL));
        self.wire.truncate(self.wire.len() - TAIL.len());
        let deflate_bytes = self.wire.len();

        // Receive: append the tail, inflate.
        self.wire.extend_from_slice(&TAIL);
        self.out.clear();
        let start = self.decompress.total_in();
        loop {
            let done = (self.decompress.total_in() - start) as usize;
            self.decompress
                .decompress_vec(&self.wire[done..], &mut self.out, FlushDecompress::Sync)
                .expect("inflate");
            let done = (self.decompress.total_in() - start) as usize;
            if done == self.wire.len() && self.out.len() < self.out.capacity() {
                break;
            }
            self.out.reserve(self.out.capacity().max(4096));
        }
        if !self.takeover {
            self.compress.reset();
            self.decompress.reset(false);
        }
        deflate_bytes
    }
}

/// Benchmarks the flate2 baseline. Returns the deflate bytes of the pool's
/// first pass.
fn bench_flate2(
    group: &mut BenchmarkGroup<'_, WallTime>,
    label: &str,
    pool: &[Message],
    takeover: Takeover,
) -> usize {
    let size = pool[0].len();
    let payloads: Vec<&[u8]> = pool.iter().map(payload_bytes).collect();
    let mut raw = RawDeflate::new(size, takeover);
    let mut deflate_bytes = 0;
    for payload in &payloads {
        deflate_bytes += raw.roundtrip(payload);
        assert_eq!(&raw.out[..], *payload, "byte-exact round trip");
    }

    let mut next = 0;
    group.bench_function(format!("flate2/{label}"), |b| {
        b.iter(|| {
            let payload = payloads[next];
            next = (next + 1) % payloads.len();
            raw.roundtrip(payload);
            black_box(raw.out.len())
        })
    });
    deflate_bytes
}

fn payload_bytes(message: &Message) -> &[u8] {
    match message {
        Message::Text(text) => text.as_bytes(),
        Message::Binary(data) => data,
        _ => unreachable!("data messages only"),
    }
}

criterion_group!(
    deflate_benches,
    deflate,
    restarts::restarts,
    small_json::small_json
);
criterion_main!(deflate_benches);
