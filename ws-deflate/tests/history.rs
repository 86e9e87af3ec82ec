//! Context takeover kept as histories (`TakeoverContext::History`): the
//! bytes on the wire must be exactly what a peer with a kept zlib state
//! expects and sends (RFC 7692 §7.2.3.1), checked against flate2's raw
//! deflate kept across the whole conversation, for every window zlib can
//! compress with (9..=15), both directions, many connections on one pool.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use sockwell_deflate::{DeflateConfig, TakeoverContext};
use sockwell_extensions::{
    client_confirm, client_offer, server_negotiate, ExtensionStack, MessageKind, Rsv,
};

#[path = "../../benches/src/small_json.rs"]
#[allow(dead_code)]
mod small_json;

use small_json::SmallJson;

/// §7.2.1: removed by the sender, put back by the receiver.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

const LIMIT: usize = 1 << 20;

/// Both sides' config: takeover both ways, both windows `bits`.
fn config(bits: u8, level: u32, context: TakeoverContext) -> DeflateConfig {
    DeflateConfig::default()
        .context_takeover()
        .server_max_window_bits(bits)
        .client_max_window_bits(bits)
        .level(level)
        .takeover_context(context)
}

/// A negotiated (client, server) pair from one config.
fn pair(config: &DeflateConfig) -> (ExtensionStack, ExtensionStack) {
    let factories = vec![config.clone().into_factory()];
    let offer = client_offer(&factories).unwrap();
    let (answer, server) = server_negotiate(&factories, [offer.as_bytes()]).unwrap();
    let answer = answer.unwrap();
    let takeover = config.server_no_context_takeover == Some(false);
    assert_eq!(
        !answer.contains("no_context_takeover"),
        takeover,
        "{answer}"
    );
    let client = client_confirm(&factories, [answer.as_bytes()]).unwrap();
    (client, server)
}

/// The peer's inflater: one raw stream for the whole connection.
struct KeptInflater(Decompress);

impl KeptInflater {
    fn new(bits: u8) -> Self {
        KeptInflater(Decompress::new_with_window_bits(false, bits))
    }

    /// §7.2.2: payload plus tail, inflated on the kept stream.
    fn inflate(&mut self, wire: &[u8]) -> Vec<u8> {
        let input = [wire, &TAIL[..]].concat();
        let mut out = Vec::with_capacity(4 * input.len() + 64);
        let start = self.0.total_in();
        loop {
            let done = (self.0.total_in() - start) as usize;
            self.0
                .decompress_vec(&input[done..], &mut out, FlushDecompress::Sync)
                .expect("the peer's kept inflater accepts our message");
            if (self.0.total_in() - start) as usize == input.len() && out.len() < out.capacity() {
                return out;
            }
            out.reserve(out.capacity().max(64));
        }
    }
}

/// The peer's compressor: one raw stream for the whole connection.
struct KeptCompressor(Compress);

impl KeptCompressor {
    fn new(bits: u8, level: u32) -> Self {
        KeptCompressor(Compress::new_with_window_bits(
            Compression::new(level),
            false,
            bits,
        ))
    }

    /// `payload` compressed with a sync flush, the tail still on.
    fn flush(&mut self, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(payload.len() + 64);
        let start = self.0.total_in();
        loop {
            let done = (self.0.total_in() - start) as usize;
            self.0
                .compress_vec(&payload[done..], &mut out, FlushCompress::Sync)
                .unwrap();
            if (self.0.total_in() - start) as usize == payload.len() && out.len() < out.capacity() {
                return out;
            }
            out.reserve(out.capacity().max(64));
        }
    }

    /// One message (§7.2.1: the tail removed).
    fn message(&mut self, payload: &[u8]) -> Vec<u8> {
        let mut out = self.flush(payload);
        assert!(out.ends_with(&TAIL));
        out.truncate(out.len() - TAIL.len());
        out
    }

    /// One message whose DEFLATE stream ends with an empty final block
    /// (§7.2.3.4, the form without the extra `0x00`): the decoder needs no
    /// tail for it, and the next message starts a new stream on the same
    /// window.
    fn message_ending_final(&mut self, payload: &[u8]) -> Vec<u8> {
        let mut out = self.flush(payload);
        out.extend_from_slice(&[0x03, 0x00]);
        out
    }

    /// One message that ends its DEFLATE stream (an empty final block,
    /// `03 00`) after `first` and starts a new one, on the same window
    /// (§7.2.3.4), for `second`.
    fn message_with_restart(&mut self, first: &[u8], second: &[u8]) -> Vec<u8> {
        let mut out = self.flush(first);
        out.extend_from_slice(&[0x03, 0x00]);
        out.extend_from_slice(&self.message(second));
        out
    }
}

/// The conversation: small JSON, with now and then a message that does not
/// shrink (random bytes: history mode sends it as it is) and one larger
/// than the smallest windows.
fn conversation(seed: u64, count: usize) -> Vec<Vec<u8>> {
    let mut json = SmallJson::new(seed);
    let mut noise = seed | 1;
    (0..count)
        .map(|i| match i % 97 {
            13 => (0..90)
                .map(|_| {
                    noise ^= noise << 13;
                    noise ^= noise >> 7;
                    noise ^= noise << 17;
                    noise as u8
                })
                .collect(),
            71 => json.messages(12).concat().into_bytes(),
            _ => json.next_message().into_bytes(),
        })
        .collect()
}

/// Decodes one message in frames of `frame` bytes.
fn decode(stack: &mut ExtensionStack, rsv: Rsv, wire: &[u8], frame: usize) -> Vec<u8> {
    stack.begin_message(rsv).unwrap();
    let mut out = Vec::new();
    if !stack.decodes_current() {
        return wire.to_vec();
    }
    let frames: Vec<&[u8]> = if wire.is_empty() {
        vec![wire]
    } else {
        wire.chunks(frame).collect()
    };
    for (i, piece) in frames.iter().enumerate() {
        stack
            .decode(piece, i + 1 == frames.len(), &mut out, LIMIT)
            .expect("a valid message");
    }
    out
}

/// Sends the conversation from our server to an independent kept inflater;
/// returns (payload bytes, wire bytes, messages sent compressed).
fn ours_to_kept(bits: u8, level: u32, min_compress_size: usize) -> (usize, usize, usize) {
    let cfg = config(bits, level, TakeoverContext::History).min_compress_size(min_compress_size);
    let (_client, mut server) = pair(&cfg);
    let mut peer = KeptInflater::new(bits);
    let (mut plain, mut wire_bytes, mut compressed) = (0, 0, 0);
    for (i, message) in conversation(u64::from(bits), 2000).iter().enumerate() {
        let (wire, rsv) = server.encode(MessageKind::Text, message).unwrap();
        plain += message.len();
        wire_bytes += wire.len();
        let got = if rsv.contains(Rsv::RSV1) {
            compressed += 1;
            peer.inflate(wire)
        } else {
            // §6: sent as it is, it never reaches the peer's inflater.
            wire.to_vec()
        };
        assert!(
            got == *message,
            "window {bits}, level {level}, message {i}: the peer decoded other bytes"
        );
    }
    (plain, wire_bytes, compressed)
}

/// (a) Our compressor from its history, the peer's inflater kept.
#[test]
fn history_compressor_feeds_a_kept_inflater_at_every_window() {
    for bits in 9..=15 {
        let (plain, wire, compressed) = ours_to_kept(bits, 6, 32);
        // Random messages go as they are; everything else is compressed.
        assert!(compressed > 1900, "window {bits}: {compressed} compressed");
        eprintln!("window {bits}: {plain} bytes in {wire} on the wire");
    }
    for level in [1, 9] {
        ours_to_kept(12, level, 32);
    }
    // Messages below the threshold go as they are and so stay out of both
    // windows: a history that took them in would put the peer out of step.
    let (_, _, compressed) = ours_to_kept(11, 6, 150);
    assert!(
        (500..1700).contains(&compressed),
        "{compressed} of 2000 compressed"
    );
}

/// (b) A kept compressor on the peer's side, our inflater from its history:
/// whole messages, messages in small frames, and messages whose DEFLATE
/// stream ends and restarts in the middle (§7.2.3.4).
#[test]
fn kept_compressor_feeds_a_history_inflater_at_every_window() {
    for bits in 9..=15 {
        for level in [1, 6, 9] {
            let cfg = config(bits, 6, TakeoverContext::History);
            let (_client, mut server) = pair(&cfg);
            let mut peer = KeptCompressor::new(bits, level);
            for (i, message) in conversation(100 + u64::from(bits), 1500).iter().enumerate() {
                let (wire, expected) = match i % 50 {
                    7 => {
                        let (first, second) = message.split_at(message.len() / 2);
                        (peer.message_with_restart(first, second), message.clone())
                    }
                    23 => (peer.message_ending_final(message), message.clone()),
                    _ => (peer.message(message), message.clone()),
                };
                let frame = if i % 3 == 0 { 7 } else { wire.len().max(1) };
                let got = decode(&mut server, Rsv::RSV1, &wire, frame);
                assert!(
                    got == expected,
                    "window {bits}, level {level}, message {i}: decoded other bytes"
                );
            }
        }
    }
}

/// One connection of (c): our server's two directions, each against the
/// peer's kept zlib stream.
struct Connection {
    server: ExtensionStack,
    to_peer: KeptInflater,
    from_peer: KeptCompressor,
    outgoing: Vec<Vec<u8>>,
    incoming: Vec<Vec<u8>>,
}

/// (c) 50 connections take turns, with the frames of one message
/// interleaved with other connections' messages, so a pooled context is
/// used by one connection after another and several are out at once.
#[test]
fn fifty_connections_share_the_pool_and_stay_in_step() {
    const BITS: u8 = 12;
    let cfg = config(BITS, 6, TakeoverContext::History)
        .pooled_contexts(2)
        .busy_contexts(2);
    let mut connections: Vec<Connection> = (0..50)
        .map(|n| Connection {
            server: pair(&cfg).1,
            to_peer: KeptInflater::new(BITS),
            from_peer: KeptCompressor::new(BITS, 6),
            outgoing: conversation(1000 + n, 60),
            incoming: conversation(2000 + n, 60),
        })
        .collect();
    for round in 0..60 {
        // Every connection's incoming message is split in two frames; the
        // first halves all go in before any second half.
        let wires: Vec<Vec<u8>> = connections
            .iter_mut()
            .map(|c| c.from_peer.message(&c.incoming[round]))
            .collect();
        let mut decoded: Vec<Vec<u8>> = vec![Vec::new(); connections.len()];
        for (c, (wire, out)) in connections.iter_mut().zip(wires.iter().zip(&mut decoded)) {
            c.server.begin_message(Rsv::RSV1).unwrap();
            c.server
                .decode(&wire[..wire.len() / 2], false, out, LIMIT)
                .unwrap();
        }
        for (n, c) in connections.iter_mut().enumerate() {
            // A message of ours goes out while the incoming one is half done.
            let message = &c.outgoing[round];
            let (wire, rsv) = c.server.encode(MessageKind::Text, message).unwrap();
            let got = if rsv.contains(Rsv::RSV1) {
                c.to_peer.inflate(wire)
            } else {
                wire.to_vec()
            };
            assert!(got == *message, "connection {n}, round {round}: sent");
            let wire = &wires[n];
            c.server
                .decode(&wire[wire.len() / 2..], true, &mut decoded[n], LIMIT)
                .unwrap();
            assert!(
                decoded[n] == c.incoming[round],
                "connection {n}, round {round}: received"
            );
        }
    }
}

/// Payload bytes over wire bytes for the small-JSON conversation at window
/// 12, level 6, with `cfg` on both sides, checked through our own decoder.
fn ratio(cfg: &DeflateConfig) -> f64 {
    let (mut client, mut server) = pair(cfg);
    let (mut plain, mut wire_bytes) = (0, 0);
    for message in SmallJson::new(42).messages(2000) {
        let (wire, rsv) = server
            .encode(MessageKind::Text, message.as_bytes())
            .unwrap();
        plain += message.len();
        wire_bytes += wire.len();
        let wire = wire.to_vec();
        assert_eq!(
            decode(&mut client, rsv, &wire, wire.len().max(1)),
            message.as_bytes()
        );
    }
    plain as f64 / wire_bytes as f64
}

/// (d) What history mode is for: small JSON with takeover at window 12
/// compresses at least three times better than without.
#[test]
fn history_mode_ratio_on_small_json_is_three_times_no_takeover() {
    let history = ratio(&config(12, 6, TakeoverContext::History));
    let owned = ratio(&config(12, 6, TakeoverContext::Owned));
    let none = ratio(
        &DeflateConfig::default()
            .server_no_context_takeover(true)
            .client_no_context_takeover(true)
            .server_max_window_bits(12)
            .client_max_window_bits(12),
    );
    eprintln!(
        "small JSON, window 12, level 6, payload/wire: history {history:.2}, \
         owned zlib state {owned:.2}, no takeover {none:.2}"
    );
    assert!(
        history >= 3.0 * none,
        "history {history:.2} < 3 x no takeover {none:.2}"
    );
    // The same window, primed instead of kept: about the same ratio.
    assert!(
        history >= 0.95 * owned,
        "history {history:.2}, owned {owned:.2}"
    );
}

/// Window 8 for what we send: zlib cannot compress with it, so history mode
/// keeps today's answer, every message sent as it is (and no history kept
/// for it), while what the peer compresses is still inflated.
#[test]
fn window_8_sends_uncompressed_in_history_mode() {
    let cfg = config(8, 6, TakeoverContext::History);
    let (mut client, mut server) = pair(&cfg);
    let mut peer = KeptCompressor::new(9, 6);
    for (i, message) in conversation(8, 300).iter().enumerate() {
        let (wire, rsv) = server.encode(MessageKind::Text, message).unwrap();
        assert_eq!(rsv, Rsv::NONE, "message {i}");
        assert_eq!(wire, &message[..]);
        let (wire, rsv) = client.encode(MessageKind::Text, message).unwrap();
        assert_eq!(rsv, Rsv::NONE, "message {i}");
        assert_eq!(wire, &message[..]);
        // What a peer on zlib sends when asked for a window of 8: it
        // compresses with 9, whose matches reach back at most
        // 2^9 - 262 = 250 bytes, within a window of 8.
        let wire = peer.message(message);
        assert!(decode(&mut server, Rsv::RSV1, &wire, 64) == *message);
    }
}

/// The default config: the server compresses in the agreed window (15)
/// but keeps only the last 2^13 bytes between messages. A busy connection
/// (its borrowed compressor held) refers back as far as its window allows;
/// one primed again after going quiet refers back at most 2^13 bytes. The
/// peer's kept window-15 inflater reads every message either way, large
/// messages included (matches 32 KiB back within them).
#[test]
fn the_default_keeps_a_smaller_history_than_its_window() {
    let client_cfg = vec![DeflateConfig::default().into_factory()];
    let server_cfg = vec![DeflateConfig::default().into_factory()];
    let offer = client_offer(&client_cfg).unwrap();
    let (answer, mut server) = server_negotiate(&server_cfg, [offer.as_bytes()]).unwrap();
    let answer = answer.unwrap();
    assert_eq!(answer, "permessage-deflate; client_max_window_bits=11");
    client_confirm(&client_cfg, [answer.as_bytes()]).unwrap();
    let mut peer = KeptInflater::new(15);
    let mut json = SmallJson::new(30);
    // A long message whose repeats lie 20 KiB apart: only a 2^15 window
    // reaches them.
    let block: Vec<u8> = json.messages(200).concat().into_bytes();
    let long = [&block[..20 << 10], &block[..20 << 10]].concat();
    for round in 0..4 {
        for n in 0..30 {
            let message = if n == 10 {
                long.clone()
            } else {
                json.next_message().into_bytes()
            };
            let (wire, rsv) = server.encode(MessageKind::Text, &message).unwrap();
            assert_eq!(rsv, Rsv::RSV1, "round {round}, message {n}");
            let wire = wire.to_vec();
            if n == 10 {
                // The second half refers back 20 KiB: far smaller than
                // the first, which a 2^13 window could not do.
                assert!(wire.len() < long.len() / 6, "{} bytes", wire.len());
            }
            assert_eq!(peer.inflate(&wire), message, "round {round}, message {n}");
        }
        // Quiet: the borrowed compressor goes back; the next message is
        // primed from the 8 KiB kept.
        server.release_idle_state();
    }
}
