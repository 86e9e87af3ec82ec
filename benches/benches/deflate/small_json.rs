//! `deflate/small_json`: the traffic context takeover is for, small JSON
//! messages ([`SmallJson`]: ticker, chat and presence records of 70–320
//! bytes, seed 1), at window 12 and level 6, with each way of keeping (or
//! not keeping) the context between messages:
//!
//! - `history/w12`: context takeover kept as histories
//!   ([`TakeoverContext::History`]): the last 4 KiB each way, a pooled zlib
//!   context primed from them per message.
//! - `owned/w12`: context takeover with a zlib state owned by the
//!   connection (`context_takeover()`, [`TakeoverContext::Owned`]).
//! - `no_takeover/w12`: each message compressed on its own, from the pool.
//!
//! A history-mode connection holds the contexts it borrowed while it is
//! busy, so `history/w12` (one connection, never idle) primes once. Three
//! more variants carry each message on the next of 100 connections, round
//! robin, so that what priming costs after a connection gives its
//! contexts back shows:
//!
//! - `history_rr100_idle/w12`: each connection goes idle after its message
//!   (`release_idle_buffers` on both ends, as the async driver does when a
//!   read finds nothing), so every message borrows and primes.
//! - `history_rr100_busy/w12`: no connection goes idle; at most
//!   `pooled_contexts` (8) hold contexts, the others prime per message.
//! - `owned_rr100/w12`: 100 connections that own their states.
//!
//! One iteration carries one message from a client-role `Protocol` to a
//! server-role one ([`deliver`]: compress, frame, mask; unmask, inflate,
//! UTF-8 check), cycling through 2000 messages. Before timing, every message
//! goes through once, is checked byte for byte, and the ratio (payload
//! bytes over wire bytes, frame headers included) is printed.

use super::LEVEL;
use benches::{deflate_pair, deliver, SmallJson};
use criterion::{Criterion, Throughput};
use sockwell_core::Message;
use sockwell_deflate::{DeflateConfig, TakeoverContext};
use std::hint::black_box;

const BITS: u8 = 12;
const MESSAGES: usize = 2000;

pub(crate) fn small_json(c: &mut Criterion) {
    let pool: Vec<Message> = SmallJson::new(1)
        .messages(MESSAGES)
        .into_iter()
        .map(Message::text)
        .collect();
    let window = |config: DeflateConfig| {
        config
            .level(LEVEL)
            .server_max_window_bits(BITS)
            .client_max_window_bits(BITS)
    };
    let modes = [
        (
            "history",
            window(DeflateConfig::default().context_takeover())
                .takeover_context(TakeoverContext::History),
        ),
        (
            "owned",
            window(DeflateConfig::default().context_takeover())
                .takeover_context(TakeoverContext::Owned),
        ),
        (
            "no_takeover",
            window(
                DeflateConfig::default()
                    .server_no_context_takeover(true)
                    .client_no_context_takeover(true),
            ),
        ),
    ];
    let mut group = c.benchmark_group("deflate/small_json");
    group.throughput(Throughput::Elements(1));
    for (name, config) in &modes {
        let (mut client, mut server, agreed) = deflate_pair(config, config);
        let (mut plain, mut wire) = (0, 0);
        for message in &pool {
            let (got, bytes) = deliver(&mut client, &mut server, message);
            assert_eq!(&got, message, "byte-exact round trip");
            plain += message.len();
            wire += bytes;
        }
        eprintln!(
            "deflate/small_json/{name}/w{BITS}: {MESSAGES} messages, {plain} payload bytes \
             in {wire} wire bytes, ratio {:.2} ({agreed})",
            plain as f64 / wire as f64
        );
        let mut next = 0;
        group.bench_function(format!("{name}/w{BITS}"), |b| {
            b.iter(|| {
                let message = &pool[next];
                next = (next + 1) % pool.len();
                black_box(deliver(&mut client, &mut server, message).1)
            })
        });
    }
    interleaved(&mut group, &pool, &modes[..2]);
    group.finish();
}

/// Connections carried in turn by the `_rr100` variants.
const CONNECTIONS: usize = 100;

/// The `_rr100` variants: message `n` goes on connection `n % 100`.
fn interleaved(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    pool: &[Message],
    modes: &[(&str, DeflateConfig)],
) {
    for (mode, config) in modes {
        let idles: &[bool] = if *mode == "history" {
            &[true, false]
        } else {
            &[false]
        };
        for &idle in idles {
            let name = match (*mode, idle) {
                ("history", true) => format!("{mode}_rr{CONNECTIONS}_idle/w{BITS}"),
                ("history", false) => format!("{mode}_rr{CONNECTIONS}_busy/w{BITS}"),
                _ => format!("{mode}_rr{CONNECTIONS}/w{BITS}"),
            };
            let mut pairs: Vec<_> = (0..CONNECTIONS)
                .map(|_| {
                    let (client, server, _) = deflate_pair(config, config);
                    (client, server)
                })
                .collect();
            let mut turn = |n: usize| {
                let (client, server) = &mut pairs[n % CONNECTIONS];
                let message = &pool[n % pool.len()];
                let got = deliver(client, server, message);
                if idle {
                    client.release_idle_buffers();
                    server.release_idle_buffers();
                }
                got
            };
            // Every connection has history before timing; checked once.
            for n in 0..pool.len() {
                let (got, _) = turn(n);
                assert_eq!(&got, &pool[n % pool.len()], "byte-exact round trip");
            }
            let mut next = 0;
            group.bench_function(name, |b| {
                b.iter(|| {
                    next += 1;
                    black_box(turn(next).1)
                })
            });
        }
    }
}
