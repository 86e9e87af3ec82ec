//! Broadcast: one 1 KiB JSON text message sent by a server to 1,000 and
//! 10,000 connections (in memory: server-role `sockwell_core::Protocol`s, each
//! message queued and its output taken as a write would take it).
//!
//! Groups `broadcast/<receivers>`, throughput in receivers per iteration,
//! so criterion's time per element is the CPU per receiver:
//!
//! - `takeover`: permessage-deflate as a server negotiates it by default
//!   (context takeover, kept as histories), every receiver in step (each
//!   gets every message), the message prepared once and sent with
//!   `send_prepared`: compressed once, from the receivers' shared history,
//!   by the first connection, the same bytes queued on every other, each
//!   moving to the same next history. Each iteration sends the next of 64
//!   distinct 1 KiB JSON messages (the same one every time would compress
//!   to a few bytes against the window).
//! - `shared_deflate`: permessage-deflate without context takeover
//!   (`server_no_context_takeover`), the message prepared once
//!   (`PreparedMessage`) and sent with `send_prepared`: compressed once by
//!   the first connection, the same bytes queued on every other.
//! - `per_connection_deflate`: the same connections, the message sent with
//!   `send`: compressed once per receiver.
//! - `uncompressed`: connections without extensions, the message prepared
//!   once and framed once.
//! - `uncompressed_send`: connections without extensions, `send` to each
//!   (framed per receiver).
//!
//! One iteration is a new `PreparedMessage` (so the compression is inside
//! the timed part) sent to every receiver; every receiver's output is
//! drained in the iteration. Before timing, one receiver's bytes are
//! decoded by a client and checked against the message, and the
//! compressed cases are checked to be compressed.

// `criterion_group!` defines undocumented `pub fn`s.
#![allow(missing_docs)]

use benches::{deflate_pair, json_payload};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sockwell_core::{Message, PreparedMessage, Protocol, Role, WebSocketConfig};
use sockwell_deflate::DeflateConfig;
use std::hint::black_box;

const RECEIVERS: [usize; 2] = [1_000, 10_000];

/// Takes every queued byte, as a write of the whole output would.
fn drain(server: &mut Protocol) -> usize {
    let n = server.pending_output().len();
    black_box(server.pending_output());
    server.advance_output(n);
    n
}

/// Checks that `server` puts `message` on the wire the way `client` reads it.
fn check(
    client: &mut Protocol,
    server: &mut Protocol,
    compressed: bool,
    send: impl FnOnce(&mut Protocol),
) {
    send(server);
    let wire = server.pending_output().to_vec();
    server.advance_output(wire.len());
    assert_eq!(wire[0] & 0x40 == 0x40, compressed, "RSV1 as expected");
    client.receive(&wire);
    let got = client.read_buffered().unwrap().expect("a whole message");
    assert_eq!(got.len(), 1 << 10);
}

fn broadcast(c: &mut Criterion) {
    let text = json_payload(1 << 10, 3);
    let message = Message::text(text.clone());
    let deflate = DeflateConfig::default()
        .server_no_context_takeover(true)
        .client_no_context_takeover(true);
    let takeover = DeflateConfig::default();
    let texts: Vec<String> = (0..64)
        .map(|seed| json_payload(1 << 10, 100 + seed))
        .collect();
    for receivers in RECEIVERS {
        let mut group = c.benchmark_group(format!("broadcast/{receivers}"));
        group.throughput(Throughput::Elements(receivers as u64));
        group.sample_size(20);

        // Context takeover: every receiver in step from the start. One
        // client reads every message (checked), once round the cycle.
        let (mut in_step_client, first, agreed) = deflate_pair(&takeover, &takeover);
        assert!(!agreed.contains("server_no_context_takeover"), "{agreed}");
        let mut in_step: Vec<Protocol> = std::iter::once(first)
            .chain((1..receivers).map(|_| deflate_pair(&takeover, &takeover).1))
            .collect();
        let mut next_text = 0;
        let mut wire_bytes = 0;
        for _ in 0..texts.len() {
            let prepared = PreparedMessage::text(texts[next_text].clone());
            next_text = (next_text + 1) % texts.len();
            let (first, rest) = in_step.split_first_mut().unwrap();
            check(&mut in_step_client, first, true, |s| {
                s.write_prepared(&prepared).unwrap()
            });
            for server in rest {
                server.write_prepared(&prepared).unwrap();
                wire_bytes += drain(server);
            }
            assert_eq!(prepared.encodings(), 1);
        }
        println!(
            "broadcast/{receivers}/takeover: {} wire bytes per 1 KiB message",
            wire_bytes / (receivers - 1) / texts.len()
        );

        let (mut client, mut first, agreed) = deflate_pair(&deflate, &deflate);
        assert!(agreed.contains("server_no_context_takeover"), "{agreed}");
        let mut compressed: Vec<Protocol> = (1..receivers)
            .map(|_| deflate_pair(&deflate, &deflate).1)
            .collect();
        let prepared = PreparedMessage::text(text.clone());
        check(&mut client, &mut first, true, |s| {
            s.write_prepared(&prepared).unwrap()
        });
        check(&mut client, &mut first, true, |s| {
            s.write(&message).unwrap()
        });
        compressed.push(first);

        let mut plain: Vec<Protocol> = (0..receivers)
            .map(|_| Protocol::new(Role::Server, WebSocketConfig::default()))
            .collect();
        let mut plain_client = Protocol::new(Role::Client, WebSocketConfig::default());
        check(&mut plain_client, &mut plain[0], false, |s| {
            s.write_prepared(&prepared).unwrap()
        });

        group.bench_function(BenchmarkId::new("takeover", receivers), |b| {
            b.iter(|| {
                let prepared = PreparedMessage::text(texts[next_text].clone());
                next_text = (next_text + 1) % texts.len();
                for server in &mut in_step {
                    server.write_prepared(&prepared).unwrap();
                    drain(server);
                }
                assert_eq!(prepared.encodings(), 1);
            })
        });
        group.bench_function(BenchmarkId::new("shared_deflate", receivers), |b| {
            b.iter(|| {
                let prepared = PreparedMessage::text(text.clone());
                for server in &mut compressed {
                    server.write_prepared(&prepared).unwrap();
                    drain(server);
                }
                assert_eq!(prepared.encodings(), 1);
            })
        });
        group.bench_function(BenchmarkId::new("per_connection_deflate", receivers), |b| {
            b.iter(|| {
                for server in &mut compressed {
                    server.write(&message).unwrap();
                    drain(server);
                }
            })
        });
        group.bench_function(BenchmarkId::new("uncompressed", receivers), |b| {
            b.iter(|| {
                let prepared = PreparedMessage::text(text.clone());
                for server in &mut plain {
                    server.write_prepared(&prepared).unwrap();
                    drain(server);
                }
            })
        });
        group.bench_function(BenchmarkId::new("uncompressed_send", receivers), |b| {
            b.iter(|| {
                for server in &mut plain {
                    server.write(&message).unwrap();
                    drain(server);
                }
            })
        });
        group.finish();
    }
}

criterion_group!(benches, broadcast);
criterion_main!(benches);
