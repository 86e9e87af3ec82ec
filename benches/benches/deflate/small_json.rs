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
//! One iteration carries one message from a client-role `Protocol` to a
//! server-role one ([`deliver`]: compress, frame, mask; unmask, inflate,
//! UTF-8 check), cycling through 2000 messages. Before timing, every message
//! goes through once, is checked byte for byte, and the ratio (payload
//! bytes over wire bytes, frame headers included) is printed.

use super::LEVEL;
use benches::{deflate_pair, deliver, SmallJson};
use criterion::{Criterion, Throughput};
use std::hint::black_box;
use ws_core::Message;
use ws_deflate::{DeflateConfig, TakeoverContext};

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
    for (name, config) in modes {
        let (mut client, mut server, agreed) = deflate_pair(&config, &config);
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
    group.finish();
}
