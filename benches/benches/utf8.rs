//! UTF-8 validation of text payloads (RFC 6455 §8.1): ours (the check
//! behind `Utf8Bytes::try_from`, the same SIMD validator the engine runs
//! on incoming text) against `simdutf8` and `std::str::from_utf8` on whole
//! buffers, for ASCII JSON and for text with many multi-byte characters,
//! at 1 KiB, 64 KiB and 1 MiB.
//!
//! Group `utf8/<text>`: ids `ours/<size>`, `simdutf8/<size>` and
//! `std/<size>`, throughput in bytes validated.

// `criterion_group!` defines undocumented `pub fn`s.
#![allow(missing_docs)]

use benches::{json_payload, size_label};
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

/// Mixed scripts: two-, three- and four-byte sequences between ASCII.
fn multibyte(size: usize) -> Vec<u8> {
    let unit = "Grüße, мир, 世界, 🌍! ";
    let mut text = unit.repeat(size / unit.len() + 1);
    while text.len() > size {
        text.pop();
    }
    text.into_bytes()
}

fn utf8(c: &mut Criterion) {
    fn ascii_json(size: usize) -> Vec<u8> {
        json_payload(size, 7).into_bytes()
    }
    for (name, make) in [
        ("ascii_json", ascii_json as fn(usize) -> Vec<u8>),
        ("multibyte", multibyte),
    ] {
        let mut group = c.benchmark_group(format!("utf8/{name}"));
        for size in [1 << 10, 64 << 10, 1 << 20] {
            // One buffer for every id (same alignment, same cache state);
            // leaked so that ours can take it as a static `Bytes`. Ours
            // takes its `Bytes` by value: the clone handing it over and the
            // drop of the result are made outside the timed loop
            // (`iter_batched`), as the engine validates bytes it owns.
            let text: &'static [u8] = Box::leak(make(size).into_boxed_slice());
            assert!(std::str::from_utf8(text).is_ok());
            let label = size_label(size);
            group.throughput(Throughput::Bytes(text.len() as u64));
            let shared = sockwell_core::Bytes::from_static(text);
            group.bench_function(BenchmarkId::new("ours", &label), |b| {
                b.iter_batched(
                    || shared.clone(),
                    |bytes| sockwell_core::Utf8Bytes::try_from(black_box(bytes)),
                    BatchSize::SmallInput,
                )
            });
            group.bench_function(BenchmarkId::new("std", &label), |b| {
                b.iter(|| std::str::from_utf8(black_box(text)).is_ok())
            });
            group.bench_function(BenchmarkId::new("simdutf8", &label), |b| {
                b.iter(|| simdutf8::basic::from_utf8(black_box(text)).is_ok())
            });
        }
        group.finish();
    }
}

criterion_group!(benches, utf8);
criterion_main!(benches);
