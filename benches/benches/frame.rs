//! The frame header codec (RFC 6455 §5.2): encode and decode at the three
//! length encodings, masked and unmasked, with tungstenite's header codec
//! alongside.
//!
//! - Group `frame/encode`: `sockwell_core::FrameHeader::write_to` into a cleared
//!   `Vec` (`ours/<variant>`) and tungstenite's `FrameHeader::format` into the
//!   same (`tungstenite/<variant>`).
//! - Group `frame/decode`: `sockwell_core::FrameHeader::parse` on the encoded bytes
//!   (`ours/<variant>`) and tungstenite's `FrameHeader::parse` on a `Cursor`
//!   over the same bytes (`tungstenite/<variant>`).
//!
//! `<variant>` is `small` (100-byte payload, 7-bit length), `medium` (1000,
//! 16-bit length) or `large` (1 MiB, 64-bit length), then `unmasked` or
//! `masked`: e.g. `ours/medium/masked`. Only the header is coded; no payload
//! is touched.

// `criterion_group!` defines undocumented `pub fn`s.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use sockwell_core::sockwell_extensions::Rsv;
use sockwell_core::{FrameHeader, OpCode, MAX_HEADER_LEN};
use std::hint::black_box;
use std::io::Cursor;
use tungstenite::protocol::frame::coding::{Data, OpCode as TOpCode};
use tungstenite::protocol::frame::FrameHeader as TFrameHeader;

const LENGTHS: [(&str, u64); 3] = [("small", 100), ("medium", 1000), ("large", 1 << 20)];
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// Every (id suffix, our header, tungstenite's header) the groups run.
fn variants() -> Vec<(String, FrameHeader, TFrameHeader)> {
    let mut out = Vec::new();
    for (name, len) in LENGTHS {
        for mask in [None, Some(KEY)] {
            let ours = FrameHeader {
                fin: true,
                rsv: Rsv::NONE,
                opcode: OpCode::Binary,
                mask,
                payload_len: len,
            };
            let theirs = TFrameHeader {
                is_final: true,
                rsv1: false,
                rsv2: false,
                rsv3: false,
                opcode: TOpCode::Data(Data::Binary),
                mask,
            };
            let masked = if mask.is_some() { "masked" } else { "unmasked" };
            out.push((format!("{name}/{masked}"), ours, theirs));
        }
    }
    out
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame/encode");
    let mut buf: Vec<u8> = Vec::with_capacity(MAX_HEADER_LEN);
    for (variant, ours, theirs) in variants() {
        group.bench_function(format!("ours/{variant}"), |b| {
            b.iter(|| {
                buf.clear();
                black_box(&ours).write_to(&mut buf);
                black_box(&buf);
            })
        });
        let len = ours.payload_len;
        group.bench_function(format!("tungstenite/{variant}"), |b| {
            b.iter(|| {
                buf.clear();
                black_box(&theirs)
                    .format(black_box(len), &mut buf)
                    .expect("write to a Vec");
                black_box(&buf);
            })
        });
    }
    group.finish();
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame/decode");
    for (variant, ours, theirs) in variants() {
        let mut bytes = Vec::new();
        ours.write_to(&mut bytes);
        // Both codecs must read the same bytes back to the same header.
        let mut check = Vec::new();
        theirs.format(ours.payload_len, &mut check).unwrap();
        assert_eq!(bytes, check, "{variant}: encodings differ");
        assert_eq!(
            FrameHeader::parse(&bytes).unwrap(),
            Some((ours, bytes.len()))
        );

        group.bench_function(format!("ours/{variant}"), |b| {
            b.iter(|| FrameHeader::parse(black_box(&bytes)))
        });
        group.bench_function(format!("tungstenite/{variant}"), |b| {
            b.iter(|| {
                let mut cursor = Cursor::new(black_box(bytes.as_slice()));
                let parsed = TFrameHeader::parse(&mut cursor).ok().flatten();
                (parsed, cursor.position())
            })
        });
    }
    group.finish();
}

criterion_group!(frame_benches, encode, decode);
criterion_main!(frame_benches);
