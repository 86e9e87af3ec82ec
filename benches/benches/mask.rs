//! Payload masking (RFC 6455 §5.3): `sockwell_core::mask::apply_mask` (in place)
//! and `extend_masked_at` (copy and unmask in one pass) against the
//! textbook byte-at-a-time loop and against a plain copy of the same bytes
//! (`memcpy`, the floor any pass over the payload is held to), at 16 B,
//! 1 KiB, 64 KiB and 1 MiB.
//!
//! Group `mask`: ids `apply_mask/<size>`, `extend_masked/<size>`,
//! `naive/<size>` and `memcpy/<size>`, throughput in bytes. The buffer is
//! masked in place on every iteration (masking twice restores it, which
//! does not matter here).

// `criterion_group!` defines undocumented `pub fn`s.
#![allow(missing_docs)]

use benches::{binary_payload, size_label, SIZES};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sockwell_core::mask::{apply_mask, extend_masked_at};
use std::hint::black_box;

/// The reference: one XOR per byte, the key indexed modulo 4.
#[inline(never)]
fn naive_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, byte) in buf.iter_mut().enumerate() {
        *byte ^= key[(i + offset) % 4];
    }
}

fn mask(c: &mut Criterion) {
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let mut group = c.benchmark_group("mask");
    for size in SIZES {
        let label = size_label(size);
        let mut buf = binary_payload(size);
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(BenchmarkId::new("apply_mask", &label), |b| {
            b.iter(|| apply_mask(black_box(&mut buf), black_box(key), black_box(0)))
        });
        group.bench_function(BenchmarkId::new("naive", &label), |b| {
            b.iter(|| naive_mask(black_box(&mut buf), black_box(key), black_box(0)))
        });
        let source = binary_payload(size);
        group.bench_function(BenchmarkId::new("memcpy", &label), |b| {
            b.iter(|| black_box(&mut buf).copy_from_slice(black_box(&source)))
        });
        // Copy and unmask in one pass, as a frame's payload goes from the
        // read buffer into its message (the Vec keeps its capacity).
        let mut out = Vec::with_capacity(size);
        group.bench_function(BenchmarkId::new("extend_masked", &label), |b| {
            b.iter(|| {
                out.clear();
                extend_masked_at(black_box(&mut out), black_box(&source), black_box(key), 0);
            })
        });
    }
    group.finish();
}

criterion_group!(mask_benches, mask);
criterion_main!(mask_benches);
