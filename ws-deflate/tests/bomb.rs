//! Compression bombs: 1 GiB of zeros deflated to about 1 MB, sent to a server
//! that accepts messages of at most 16 MiB. Decoding must stop with close
//! code 1009 as soon as the decoded size passes the limit, having allocated
//! no more than the limit (plus a little), however the bomb is framed.
//!
//! This is its own test binary so that it can count heap bytes with a
//! `#[global_allocator]`; the tests take a lock so that only one of them
//! allocates at a time while the peak is measured.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use std::sync::OnceLock;
use std::time::Instant;
use ws_core::{CloseCode, Error, OpCode, Protocol, ProtocolError, Role, WebSocketConfig};
use ws_deflate::DeflateConfig;
use ws_extensions::{client_offer, server_negotiate, ExtensionError, ExtensionStack, Rsv};

#[path = "../../ws-core/tests/common/heap.rs"]
mod heap;

use heap::{exclusive, peak_during};

// ---------------------------------------------------------------- the bomb

const GIB: usize = 1 << 30;
const MIB: usize = 1 << 20;
const LIMIT: usize = 16 * MIB;
const SLACK: usize = 4 * MIB;
const MASK_KEY: [u8; 4] = [0x3a, 0xc5, 0x7e, 0x01];

/// 1 GiB of zeros as one permessage-deflate message: raw deflate at window
/// 15, sync-flushed, the 00 00 ff ff tail removed (RFC 7692 §7.2.1).
fn bomb() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| {
        let started = Instant::now();
        let zeros = vec![0u8; MIB];
        let mut c = Compress::new_with_window_bits(Compression::best(), false, 15);
        let mut out = Vec::with_capacity(2 * MIB);
        let chunks = GIB / MIB;
        for i in 0..chunks {
            let flush = if i + 1 == chunks {
                FlushCompress::Sync
            } else {
                FlushCompress::None
            };
            let start = c.total_in();
            loop {
                if out.len() == out.capacity() {
                    out.reserve(MIB);
                }
                let done = (c.total_in() - start) as usize;
                c.compress_vec(&zeros[done..], &mut out, flush).unwrap();
                let done = (c.total_in() - start) as usize;
                if done == zeros.len()
                    && (flush == FlushCompress::None || out.len() < out.capacity())
                {
                    break;
                }
            }
        }
        assert_eq!(c.total_in(), GIB as u64);
        assert!(out.ends_with(&[0x00, 0x00, 0xff, 0xff]), "sync flush tail");
        out.truncate(out.len() - 4);
        out.shrink_to_fit();
        eprintln!(
            "bomb: 1 GiB of zeros -> {} bytes in {:?}",
            out.len(),
            started.elapsed()
        );
        out
    })
}

/// A server stack negotiated with a default client.
fn server_stack() -> ExtensionStack {
    let client = vec![DeflateConfig::default().into_factory()];
    let server = vec![DeflateConfig::default().into_factory()];
    let offer = client_offer(&client).unwrap();
    let (answer, stack) = server_negotiate(&server, [offer.as_bytes()]).unwrap();
    assert_eq!(answer.as_deref(), Some("permessage-deflate"));
    stack
}

/// `payload` as one binary message with RSV1, in masked client frames of at
/// most `frame_size` bytes: the first binary, the rest continuation.
fn client_frames(payload: &[u8], frame_size: usize) -> Vec<u8> {
    let chunks: Vec<&[u8]> = payload.chunks(frame_size).collect();
    let mut wire = Vec::with_capacity(payload.len() + 14 * chunks.len());
    for (i, chunk) in chunks.iter().enumerate() {
        let fin = if i + 1 == chunks.len() { 0x80 } else { 0 };
        let (rsv1, opcode) = if i == 0 { (0x40, 0x2) } else { (0, 0x0) };
        wire.push(fin | rsv1 | opcode);
        let len = chunk.len();
        if len < 126 {
            wire.push(0x80 | len as u8);
        } else if len <= 0xffff {
            wire.push(0x80 | 126);
            wire.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            wire.push(0x80 | 127);
            wire.extend_from_slice(&(len as u64).to_be_bytes());
        }
        wire.extend_from_slice(&MASK_KEY);
        wire.extend(
            chunk
                .iter()
                .zip(MASK_KEY.iter().cycle())
                .map(|(b, k)| b ^ k),
        );
    }
    wire
}

fn assert_message_too_large(err: &ExtensionError) {
    assert!(
        matches!(err, ExtensionError::MessageTooLarge { limit } if *limit == LIMIT),
        "expected MessageTooLarge, got {err:?}"
    );
    assert_eq!(err.close_code(), 1009);
}

fn assert_peak(what: &str, peak: usize) {
    eprintln!(
        "{what}: peak {:.2} MiB over baseline",
        peak as f64 / MIB as f64
    );
    assert!(
        peak < LIMIT + SLACK,
        "{what}: decoding held {peak} bytes at once (limit {LIMIT} + slack {SLACK})"
    );
}

// ---------------------------------------------------------------- tests

#[test]
fn bomb_is_a_gigabyte_of_zeros_in_under_two_megabytes() {
    let _lock = exclusive();
    let bomb = bomb();
    let started = Instant::now();
    assert!(bomb.len() < 2 * MIB, "{} bytes", bomb.len());
    assert!(bomb.len() > GIB / 1100, "deflate cannot beat ~1032:1");
    // Inflate it all (into a reused buffer) to be sure it is what it claims.
    let mut d = Decompress::new_with_window_bits(false, 15);
    let mut buf = vec![0u8; MIB];
    let zeros = vec![0u8; MIB];
    let mut total = 0usize;
    let mut consumed = 0usize;
    loop {
        let (in0, out0) = (d.total_in(), d.total_out());
        d.decompress(&bomb[consumed..], &mut buf, FlushDecompress::Sync)
            .unwrap();
        consumed += (d.total_in() - in0) as usize;
        let produced = (d.total_out() - out0) as usize;
        // Slice equality is a memcmp, fast even in a debug build.
        assert!(buf[..produced] == zeros[..produced]);
        total += produced;
        if produced == 0 && consumed == bomb.len() {
            break;
        }
    }
    assert_eq!(total, GIB);
    eprintln!("bomb: inflated back in {:?}", started.elapsed());
}

#[test]
fn stack_stops_a_fragmented_bomb_at_the_limit() {
    let _lock = exclusive();
    let bomb = bomb();
    let mut stack = server_stack();
    let (result, peak) = peak_during(|| {
        stack.begin_message(Rsv::RSV1).unwrap();
        assert!(stack.decodes_current());
        let mut out = Vec::new();
        let frames: Vec<&[u8]> = bomb.chunks(64 << 10).collect();
        let n = frames.len();
        for (i, frame) in frames.into_iter().enumerate() {
            if let Err(e) = stack.decode(frame, i + 1 == n, &mut out, LIMIT) {
                assert!(out.len() <= LIMIT, "{} decoded bytes", out.len());
                // The very first frame already inflates past the limit.
                return (e, i);
            }
        }
        panic!("1 GiB passed a {LIMIT}-byte limit");
    });
    let (err, frame) = result;
    assert_message_too_large(&err);
    assert_eq!(frame, 0);
    assert_peak("stack, 64 KiB frames", peak);
}

#[test]
fn stack_stops_a_single_frame_bomb_at_the_limit() {
    let _lock = exclusive();
    let bomb = bomb();
    let mut stack = server_stack();
    let (err, peak) = peak_during(|| {
        stack.begin_message(Rsv::RSV1).unwrap();
        let mut out = Vec::new();
        let err = stack.decode(bomb, true, &mut out, LIMIT).unwrap_err();
        assert!(out.len() <= LIMIT, "{} decoded bytes", out.len());
        err
    });
    assert_message_too_large(&err);
    assert_peak("stack, one frame", peak);
}

/// Sends the bomb in frames of `frame_size` to a server `Protocol`, handing
/// it `piece` bytes at a time, and checks how it fails.
fn engine_case(frame_size: usize, piece: usize) {
    let _lock = exclusive();
    let bomb = bomb();
    let wire = client_frames(bomb, frame_size);
    let mut config = WebSocketConfig::default();
    config.limits.max_message_size = LIMIT;
    config.limits.max_frame_size = LIMIT;
    assert!(frame_size.min(bomb.len()) <= config.limits.max_frame_size);
    let mut server = Protocol::new(Role::Server, config).with_extensions(server_stack());

    let (err, peak) = peak_during(|| {
        for chunk in wire.chunks(piece) {
            server.receive(chunk);
            match server.next_message() {
                Ok(None) => {}
                Ok(Some(m)) => panic!("unexpected message of {} bytes", m.len()),
                Err(e) => return e,
            }
        }
        panic!("1 GiB passed a {LIMIT}-byte limit");
    });
    let frames = match frame_size {
        usize::MAX => "one frame".to_owned(),
        n => format!("{} KiB frames", n >> 10),
    };
    let fed = match piece {
        usize::MAX => "all at once".to_owned(),
        n => format!("{} KiB at a time", n >> 10),
    };
    let what = format!("engine, {frames}, fed {fed}");
    match &err {
        Error::Protocol(ProtocolError::Extension(e)) => assert_message_too_large(e),
        other => panic!("{what}: expected an extension error, got {other:?}"),
    }
    let Error::Protocol(protocol_error) = &err else {
        unreachable!()
    };
    assert_eq!(protocol_error.close_code(), CloseCode::MESSAGE_TOO_BIG);
    assert_peak(&what, peak);

    // A Close with 1009 is queued, and nothing else.
    let out = server.pending_output().to_vec();
    let (header, n) = ws_core::FrameHeader::parse(&out).unwrap().unwrap();
    assert_eq!(header.opcode, OpCode::Close);
    assert!(header.fin);
    assert_eq!(header.rsv, Rsv::NONE);
    assert_eq!(header.mask, None, "a server does not mask");
    assert!(header.payload_len >= 2);
    assert_eq!(out.len(), n + header.payload_len as usize);
    assert_eq!(&out[n..n + 2], &1009u16.to_be_bytes());
    // The connection is dead.
    assert!(matches!(server.next_message(), Err(Error::AlreadyClosed)));
}

#[test]
fn engine_stops_a_fragmented_bomb_fed_at_once() {
    engine_case(64 << 10, usize::MAX);
}

#[test]
fn engine_stops_a_fragmented_bomb_fed_in_pieces() {
    engine_case(64 << 10, 16 << 10);
}

#[test]
fn engine_stops_a_single_frame_bomb_fed_at_once() {
    engine_case(usize::MAX, usize::MAX);
}

#[test]
fn engine_stops_a_single_frame_bomb_fed_in_pieces() {
    engine_case(usize::MAX, 64 << 10);
}
