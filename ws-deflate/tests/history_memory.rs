//! What an idle connection with context takeover holds once it has sent
//! and received compressed messages: with `TakeoverContext::History`, its
//! two histories (2^w bytes each) and small structs, not zlib states.
//! A busy connection holds the zlib states it borrowed until it goes idle
//! (`release_idle_state`), and gives them back then.
//!
//! Its own test binary: it counts heap bytes with a `#[global_allocator]`.

use flate2::{Compress, Compression, FlushCompress};
use sockwell_deflate::{DeflateConfig, TakeoverContext};
use sockwell_extensions::{
    client_confirm, client_offer, server_negotiate, ExtensionStack, MessageKind, Rsv,
};

#[path = "../../ws-core/tests/common/heap.rs"]
mod heap;

#[path = "../../benches/src/small_json.rs"]
#[allow(dead_code)]
mod small_json;

use heap::{exclusive, live};
use small_json::SmallJson;

const BITS: u8 = 12;
const CONNECTIONS: usize = 100;
const MESSAGES: usize = 40;

/// The most an idle connection may hold for both directions' context.
const BOUND: usize = 16 << 10;

fn server(context: TakeoverContext) -> ExtensionStack {
    let config = DeflateConfig::default()
        .context_takeover()
        .server_max_window_bits(BITS)
        .client_max_window_bits(BITS)
        .pooled_contexts(1)
        .busy_contexts(1)
        .takeover_context(context);
    let factories = vec![config.into_factory()];
    let offer = client_offer(&factories).unwrap();
    let (answer, server) = server_negotiate(&factories, [offer.as_bytes()]).unwrap();
    client_confirm(&factories, [answer.unwrap().as_bytes()]).unwrap();
    server
}

/// A client's messages, compressed by a kept raw stream (tail removed).
fn client_wire(seed: u64) -> Vec<Vec<u8>> {
    let mut c = Compress::new_with_window_bits(Compression::new(6), false, BITS);
    SmallJson::new(seed)
        .messages(MESSAGES)
        .iter()
        .map(|m| {
            let mut out = Vec::with_capacity(m.len() + 64);
            c.compress_vec(m.as_bytes(), &mut out, FlushCompress::Sync)
                .unwrap();
            assert!(out.ends_with(&[0, 0, 0xff, 0xff]) && out.len() < out.capacity());
            out.truncate(out.len() - 4);
            out
        })
        .collect()
}

/// Traffic both ways on one server connection; the stack then goes idle
/// (`release_idle_state`, as the engine does for a quiet connection).
fn talk(server: &mut ExtensionStack, seed: u64, incoming: &[Vec<u8>]) {
    for (message, wire) in SmallJson::new(seed).messages(MESSAGES).iter().zip(incoming) {
        let (_, rsv) = server
            .encode(MessageKind::Text, message.as_bytes())
            .unwrap();
        assert_eq!(rsv, Rsv::RSV1);
        server.begin_message(Rsv::RSV1).unwrap();
        let mut out = Vec::new();
        server.decode(wire, true, &mut out, 1 << 20).unwrap();
    }
    server.release_idle_state();
}

/// Heap held per connection by `CONNECTIONS` idle server connections after
/// traffic, beside the shared pool (warmed first, and checked to hold as
/// many contexts after as before).
fn held_per_connection(context: TakeoverContext) -> usize {
    let incoming: Vec<Vec<Vec<u8>>> = (0..CONNECTIONS as u64).map(client_wire).collect();
    // The pool's contexts for this level and window exist before counting.
    talk(&mut server(context), 0, &incoming[0]);
    let pooled = DeflateConfig::pooled();
    let before = live();
    let mut servers: Vec<ExtensionStack> = Vec::with_capacity(CONNECTIONS);
    let vec_bytes = live() - before;
    for (n, wire) in incoming.iter().enumerate() {
        let mut s = server(context);
        talk(&mut s, 1000 + n as u64, wire);
        servers.push(s);
    }
    let held = live() - before - vec_bytes;
    assert_eq!(DeflateConfig::pooled(), pooled, "the pool grew meanwhile");
    drop(servers);
    held / CONNECTIONS
}

#[test]
fn an_idle_connection_with_history_takeover_holds_at_most_16_kib() {
    let _lock = exclusive();
    let history = held_per_connection(TakeoverContext::History);
    let owned = held_per_connection(TakeoverContext::Owned);
    eprintln!(
        "heap per idle connection after {MESSAGES} small JSON messages each way, window {BITS}: \
         history {history} bytes, owned zlib states {owned} bytes"
    );
    assert!(
        history <= BOUND,
        "history mode: {history} bytes per connection"
    );
    // The measure sees zlib states when a connection keeps them.
    assert!(owned > BOUND, "owned states: {owned} bytes per connection");
}

/// Traffic both ways, without going idle in between (a busy connection).
fn talk_busy(server: &mut ExtensionStack, seed: u64, incoming: &[Vec<u8>]) {
    for (message, wire) in SmallJson::new(seed).messages(MESSAGES).iter().zip(incoming) {
        let (_, rsv) = server
            .encode(MessageKind::Text, message.as_bytes())
            .unwrap();
        assert_eq!(rsv, Rsv::RSV1);
        server.begin_message(Rsv::RSV1).unwrap();
        let mut out = Vec::new();
        server.decode(wire, true, &mut out, 1 << 20).unwrap();
    }
}

/// A busy connection (no `release_idle_state` between its messages) holds
/// the zlib states it borrowed; once it goes idle it gives them back and
/// holds its histories alone again. The pool keeps one idle context of
/// each kind (`pooled_contexts(1)`), and one may be held by a busy connection
/// (`busy_contexts(1)`), the bound on contexts
/// held by busy connections: filled before the release, the shelves free
/// what comes back, so the heap shows it.
#[test]
fn a_busy_history_connection_holds_zlib_states_until_it_goes_idle() {
    let _lock = exclusive();
    let incoming = client_wire(7);
    // One idle context of each kind for this level and window.
    talk(&mut server(TakeoverContext::History), 0, &incoming);
    let pooled = DeflateConfig::pooled();
    let mut busy = server(TakeoverContext::History);
    talk_busy(&mut busy, 7, &incoming);
    assert_eq!(
        DeflateConfig::pooled(),
        (pooled.0 - 1, pooled.1 - 1),
        "the busy connection holds what it borrowed"
    );
    // Another connection meanwhile finds the bound reached, so it gives
    // its contexts back after each message: the shelves are full again.
    talk(&mut server(TakeoverContext::History), 8, &client_wire(8));
    assert_eq!(DeflateConfig::pooled(), pooled);
    let before = live();
    busy.release_idle_state();
    let released = before.saturating_sub(live());
    let before = live();
    drop(busy);
    let idle = before.saturating_sub(live());
    eprintln!(
        "a busy history connection gave back {released} bytes when it went idle, \
         then held {idle} bytes"
    );
    assert!(released > BOUND, "given back: {released} bytes");
    assert!(idle <= BOUND, "held when idle: {idle} bytes");
}
