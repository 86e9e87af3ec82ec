//! Heap bytes per connection, with and without permessage-deflate.
//!
//! ```sh
//! cargo run --release -p benches --example memory            # every scenario, a table
//! cargo run --release -p benches --example memory -- history_w10  # one scenario
//! ```
//!
//! A counting global allocator tracks the bytes currently allocated and
//! their peak (requested sizes: the allocator's own rounding and headers are
//! not counted). For each scenario, [`CONNECTIONS`] client/server pairs of
//! `sockwell_core::Protocol`s are built in memory (permessage-deflate negotiated
//! with `client_offer`, `server_negotiate` and `client_confirm`, as a
//! handshake does), then one 1 KiB JSON text message goes from each client to
//! its server and one back, and the connection goes quiet (the engine's
//! timers give back what its extensions held only while busy): the steady
//! state of an idle connection that has carried traffic both ways (zlib
//! state is allocated on first use).
//!
//! Reported per connection pair, from the live heap bytes:
//!
//! - `fresh`: after negotiation, before any message;
//! - `idle`: after the two messages;
//! - `server` / `client`: the part of `idle` that dropping all the server
//!   (then client) `Protocol`s gives back;
//! - `peak`: the highest heap use while the messages went through, over the
//!   starting point;
//! - `pool`: the heap the process's shared pool of idle zlib contexts
//!   still holds once every connection is gone (whole, not per pair; its
//!   share is in `idle`);
//! - `RSS`: resident memory growth of the process at `idle` (pages actually
//!   touched: zlib's tables are allocated whole but only partly written);
//! - `ratio` and `µs/msg`: on one connection, 2000 1 KiB messages from the
//!   client to the server (JSON records that differ per message, then the
//!   benches' text), payload bytes over wire bytes and the time each took
//!   through compress, frame, unframe and inflate.
//!
//! Each scenario runs in a child process of its own, so that freed memory of
//! one scenario does not serve another's allocations (that would hide RSS).
//! The `Protocol` values themselves live in two `Vec`s allocated inside the
//! measurement, so their inline size is counted too.

use std::process::Command;

use benches::{deflate_pair, deliver, json_payload, text_payload};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use sockwell_core::{Message, Protocol, Role, WebSocketConfig};
use sockwell_deflate::{DeflateConfig, TakeoverContext};
use std::time::Instant;

/// Connection pairs per scenario.
const CONNECTIONS: usize = 1000;

/// The message size: one each way.
const MESSAGE_SIZE: usize = 1 << 10;

// ---------------------------------------------------------------- allocator

/// The counting allocator shared with the memory tests.
#[path = "../../ws-core/tests/common/heap.rs"]
mod counting;

fn heap() -> usize {
    counting::live()
}

/// Resident set size in bytes, from `/proc/self/statm` (Linux), if available.
fn rss() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

// ---------------------------------------------------------------- scenarios

#[derive(Clone, Copy, Debug)]
enum Scenario {
    /// No extension negotiated.
    Plain,
    /// `DeflateConfig::default()` on both sides: context takeover both
    /// ways kept as histories (windows 13 and 11), zlib state borrowed
    /// from the shared pool.
    Default,
    /// No context takeover either way (the default before histories).
    NoTakeover,
    /// Both contexts kept as zlib states (`TakeoverContext::Owned`), window 15.
    Owned,
    /// Both contexts kept as zlib states, windows of 12 bits.
    Owned12,
    /// Both contexts kept as histories, windows of 15 bits.
    History15,
    /// Both contexts kept as histories, windows of 10 bits.
    History10,
    /// Both contexts kept as histories, windows of 9 bits.
    History9,
}

impl Scenario {
    const ALL: [Scenario; 8] = [
        Scenario::Plain,
        Scenario::Default,
        Scenario::NoTakeover,
        Scenario::Owned,
        Scenario::Owned12,
        Scenario::History15,
        Scenario::History10,
        Scenario::History9,
    ];

    fn name(self) -> &'static str {
        match self {
            Scenario::Plain => "none",
            Scenario::Default => "default",
            Scenario::NoTakeover => "no_takeover",
            Scenario::Owned => "owned",
            Scenario::Owned12 => "owned_w12",
            Scenario::History15 => "history_w15",
            Scenario::History10 => "history_w10",
            Scenario::History9 => "history_w9",
        }
    }

    /// The config both sides use, if compression is on.
    fn config(self) -> Option<DeflateConfig> {
        let windows = |bits, context| {
            DeflateConfig::default()
                .context_takeover()
                .takeover_context(context)
                .server_max_window_bits(bits)
                .client_max_window_bits(bits)
        };
        match self {
            Scenario::Plain => None,
            Scenario::Default => Some(DeflateConfig::default()),
            Scenario::NoTakeover => Some(
                DeflateConfig::default()
                    .server_no_context_takeover(true)
                    .client_no_context_takeover(true),
            ),
            Scenario::Owned => Some(windows(15, TakeoverContext::Owned)),
            Scenario::Owned12 => Some(windows(12, TakeoverContext::Owned)),
            Scenario::History15 => Some(windows(15, TakeoverContext::History)),
            Scenario::History10 => Some(windows(10, TakeoverContext::History)),
            Scenario::History9 => Some(windows(9, TakeoverContext::History)),
        }
    }

    /// A connected pair and the agreed extension header (`-` for none).
    fn pair(self) -> (Protocol, Protocol, String) {
        match self.config() {
            None => (
                Protocol::new(Role::Client, WebSocketConfig::default()),
                Protocol::new(Role::Server, WebSocketConfig::default()),
                "-".to_owned(),
            ),
            Some(config) => deflate_pair(&config, &config),
        }
    }
}

/// Messages per ratio and CPU run.
const STREAM: usize = 2000;

/// Compression ratio (payload bytes over wire bytes) and time per message
/// (encode and decode, one way, one thread) over [`STREAM`] 1 KiB messages
/// from the client to the server on one connection: JSON records that
/// differ from message to message, then the benches' English-like text.
fn ratio_and_cpu(scenario: Scenario) -> [(f64, f64); 2] {
    let json: Vec<Message> = (0..STREAM as u64)
        .map(|seed| Message::text(json_payload(MESSAGE_SIZE, seed)))
        .collect();
    let text = vec![Message::text(text_payload(MESSAGE_SIZE)); STREAM];
    [json, text].map(|messages| {
        let (mut client, mut server, _) = scenario.pair();
        let started = Instant::now();
        let (mut payload, mut wire) = (0, 0);
        for message in &messages {
            let (got, bytes) = deliver(&mut client, &mut server, message);
            payload += got.len();
            wire += bytes;
        }
        let micros = started.elapsed().as_secs_f64() * 1e6 / STREAM as f64;
        (payload as f64 / wire as f64, micros)
    })
}

/// Per-pair figures of one scenario, in bytes.
#[derive(Debug)]
struct Measured {
    agreed: String,
    fresh: f64,
    idle: f64,
    server: f64,
    client: f64,
    peak: f64,
    /// Heap held by the shared pool after every connection is gone (whole).
    pool: f64,
    rss: Option<f64>,
}

impl Measured {
    /// One line for the parent process: tab-separated.
    fn to_line(&self) -> String {
        format!(
            "RESULT\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            self.agreed,
            self.fresh,
            self.idle,
            self.server,
            self.client,
            self.peak,
            self.pool,
            self.rss.map_or("-".to_owned(), |r| r.to_string()),
        )
    }

    fn from_line(line: &str) -> Option<Measured> {
        let mut fields = line.strip_prefix("RESULT\t")?.split('\t');
        let agreed = fields.next()?.to_owned();
        let mut number = || fields.next()?.parse::<f64>().ok();
        Some(Measured {
            agreed,
            fresh: number()?,
            idle: number()?,
            server: number()?,
            client: number()?,
            peak: number()?,
            pool: number()?,
            rss: number(),
        })
    }
}

fn measure(scenario: Scenario) -> Measured {
    let message = Message::text(json_payload(MESSAGE_SIZE, 1));
    let per_pair = |bytes: usize| bytes as f64 / CONNECTIONS as f64;
    let rss_base = rss();
    let base = heap();

    let mut clients = Vec::with_capacity(CONNECTIONS);
    let mut servers = Vec::with_capacity(CONNECTIONS);
    let mut agreed = String::new();
    for _ in 0..CONNECTIONS {
        let (client, server, response) = scenario.pair();
        clients.push(client);
        servers.push(server);
        agreed = response;
    }
    let agreed_bytes = agreed.capacity();
    let fresh = heap() - base - agreed_bytes;

    counting::reset_peak();
    for (client, server) in clients.iter_mut().zip(&mut servers) {
        let (got, wire) = deliver(client, server, &message);
        assert_eq!(got, message);
        let (got, back) = deliver(server, client, &message);
        assert_eq!(got, message);
        let compressed = scenario.config().is_some();
        assert_eq!(wire < MESSAGE_SIZE, compressed, "{wire} bytes on the wire");
        assert_eq!(back < MESSAGE_SIZE, compressed, "{back} bytes on the wire");
        // The connection goes quiet: what its extensions held only while
        // busy (history mode's borrowed zlib contexts) goes back, as the
        // drivers' timers do after `release_idle_state_after`.
        let later = Instant::now() + std::time::Duration::from_secs(3600);
        for p in [&mut *client, &mut *server] {
            p.poll_timers(Instant::now()).ok();
            p.poll_timers(later).ok();
        }
    }
    let idle = heap() - base - agreed_bytes;
    let peak = counting::peak() - base - agreed_bytes;
    let rss_idle = rss();

    drop(servers);
    let without_servers = heap() - base - agreed_bytes;
    drop(clients);
    // What stays is the process's pool of idle zlib contexts (connections
    // without context takeover borrow from it per message); included in
    // `idle` above, shared by all the connections.
    let leftover = heap() - base - agreed_bytes;
    let (compressors, inflaters) = DeflateConfig::pooled();
    assert!(
        leftover < 1024 || compressors + inflaters > 0,
        "{leftover} bytes still allocated"
    );

    Measured {
        agreed,
        fresh: per_pair(fresh),
        idle: per_pair(idle),
        server: per_pair(idle - without_servers),
        client: per_pair(without_servers - leftover),
        peak: per_pair(peak),
        pool: leftover as f64,
        rss: rss_base
            .zip(rss_idle)
            .map(|(before, after)| per_pair(after.saturating_sub(before))),
    }
}

/// Runs `scenario` in a child process, or here if that fails.
fn measure_isolated(scenario: Scenario) -> Measured {
    let child =
        std::env::current_exe().and_then(|exe| Command::new(exe).arg(scenario.name()).output());
    match child {
        Ok(output) if output.status.success() => String::from_utf8_lossy(&output.stdout)
            .lines()
            .find_map(Measured::from_line)
            .expect("the child prints a RESULT line"),
        Ok(output) => panic!(
            "scenario {} failed: {}",
            scenario.name(),
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(e) => {
            eprintln!("cannot start a child process ({e}); measuring in this one");
            measure(scenario)
        }
    }
}

/// Heap bytes of flate2's zlib-rs state alone, as sockwell-deflate makes it
/// (level 6, raw deflate): a compressor after compressing `message` with a
/// sync flush, and a decompressor after inflating it back.
fn zlib_state(window_bits: u8, message: &[u8]) -> (usize, usize) {
    let base = heap();
    let mut compress = Compress::new_with_window_bits(Compression::new(6), false, window_bits);
    let mut wire = Vec::with_capacity(message.len() + 1024);
    compress
        .compress_vec(message, &mut wire, FlushCompress::Sync)
        .expect("compress");
    let wire_bytes = wire.capacity();
    let compressor = heap() - base - wire_bytes;

    let base = heap();
    let mut decompress = Decompress::new_with_window_bits(false, window_bits);
    let mut out = Vec::with_capacity(message.len() + 1024);
    decompress
        .decompress_vec(&wire, &mut out, FlushDecompress::Sync)
        .expect("inflate");
    assert_eq!(out, message);
    let decompressor = heap() - base - out.capacity();
    (compressor, decompressor)
}

fn kib(bytes: f64) -> String {
    format!("{:.1} KiB", bytes / 1024.0)
}

fn main() {
    if let Some(name) = std::env::args().nth(1) {
        let scenario = Scenario::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .unwrap_or_else(|| {
                let names: Vec<_> = Scenario::ALL.iter().map(|s| s.name()).collect();
                panic!("unknown scenario {name:?}; one of {names:?}")
            });
        println!("{}", measure(scenario).to_line());
        return;
    }

    println!(
        "{CONNECTIONS} connection pairs in memory; one {MESSAGE_SIZE}-byte JSON text message \
         each way; size_of::<Protocol>() = {} bytes. Per pair unless said otherwise.\n",
        std::mem::size_of::<Protocol>()
    );
    println!(
        "| scenario | agreed (response header) | fresh | idle | server | client | peak | RSS \
         | pool | ratio JSON | ratio text | µs/msg JSON | µs/msg text |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---:|---:|---:|---:|");
    for scenario in Scenario::ALL {
        let m = measure_isolated(scenario);
        let [(json_ratio, json_us), (text_ratio, text_us)] = ratio_and_cpu(scenario);
        println!(
            "| {} | `{}` | {} | {} | {} | {} | {} | {} | {} | {json_ratio:.2} | {text_ratio:.2} \
             | {json_us:.2} | {text_us:.2} |",
            scenario.name(),
            m.agreed,
            kib(m.fresh),
            kib(m.idle),
            kib(m.server),
            kib(m.client),
            kib(m.peak),
            m.rss.map_or("-".to_owned(), kib),
            kib(m.pool),
        );
    }
    println!(
        "\nratio: payload bytes over wire bytes (frame headers included), {STREAM} \
         {MESSAGE_SIZE}-byte messages client to server on one connection; µs/msg: \
         compress, frame, unframe and inflate, one thread."
    );

    println!(
        "\nzlib state alone (flate2 on zlib-rs, level 6, raw deflate), after one \
         {MESSAGE_SIZE}-byte message:\n"
    );
    println!("| window bits | compressor | decompressor |");
    println!("|---|---|---|");
    let message = json_payload(MESSAGE_SIZE, 1);
    for bits in [15, 12, 10, 9] {
        let (compressor, decompressor) = zlib_state(bits, message.as_bytes());
        println!(
            "| {bits} | {} | {} |",
            kib(compressor as f64),
            kib(decompressor as f64)
        );
    }
}
