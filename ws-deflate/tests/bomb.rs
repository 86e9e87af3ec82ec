//! Compression bombs: 1 GiB of zeros deflated to about 1 MB, sent to a server
//! that accepts messages of at most 16 MiB. Decoding must stop with close
//! code 1009 as soon as the decoded size passes the limit, having held no
//! more than the limit plus 1 MiB at once, however the bomb is framed (one
//! frame, 64 KiB or 1 KiB frames), however it is fed (through the driver or
//! the sans-IO engine in pieces), and after a series of large messages
//! with context takeover.
//!
//! Peak heap is counted by the allocator; a `realloc` counts as the change
//! in size (as glibc's `mremap` of large blocks behaves).
//!
//! This is its own test binary so that it can count heap bytes with a
//! `#[global_allocator]`; the tests take a lock so that only one of them
//! allocates at a time while the peak is measured.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use sockwell_core::{
    CloseCode, Limits, Message, OpCode, Protocol, ProtocolError, Role, WebSocket, WebSocketConfig,
    WsError,
};
use sockwell_deflate::DeflateConfig;
use sockwell_extensions::{client_offer, server_negotiate, ExtensionError, ExtensionStack, Rsv};
use std::io::{self, Read, Write};
use std::sync::OnceLock;
use std::time::Instant;

#[path = "../../ws-core/tests/common/heap.rs"]
mod heap;

use heap::{exclusive, peak_during};

// ---------------------------------------------------------------- the bomb

const GIB: usize = 1 << 30;
const MIB: usize = 1 << 20;
const LIMIT: usize = 16 * MIB;
const SLACK: usize = MIB;
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
    let client = vec![DeflateConfig::default().context_takeover().into_factory()];
    let server = vec![DeflateConfig::default().context_takeover().into_factory()];
    let offer = client_offer(&client).unwrap();
    let (answer, stack) = server_negotiate(&server, [offer.as_bytes()]).unwrap();
    assert_eq!(
        answer.as_deref(),
        Some("permessage-deflate; client_max_window_bits=11")
    );
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
        peak <= LIMIT + SLACK,
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

/// How the wire reaches the server.
#[derive(Clone, Copy)]
enum Feed {
    /// Through the `WebSocket` driver reading from a stream.
    Driver,
    /// `Protocol::receive` with pieces of this many bytes.
    Pieces(usize),
}

/// The peer's bytes as a stream; what the server writes back is kept.
struct Peer {
    input: io::Cursor<Vec<u8>>,
    written: Vec<u8>,
}

impl Read for Peer {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.input.read(buf)
    }
}

impl Write for Peer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn config() -> WebSocketConfig {
    WebSocketConfig::default().with_limits(
        Limits::default()
            .with_max_message_size(LIMIT)
            .with_max_frame_size(LIMIT),
    )
}

/// Delivers every message the server decodes from `wire` (each dropped at
/// once, as an application that handles and forgets them) until it fails.
fn run_until_refused(wire: Vec<u8>, feed: Feed) -> (WsError, Vec<u8>) {
    let mut server = Protocol::new(Role::Server, config()).with_extensions(server_stack());
    match feed {
        Feed::Driver => {
            let peer = Peer {
                input: io::Cursor::new(wire),
                written: Vec::new(),
            };
            let mut ws = WebSocket::from_protocol(peer, server);
            loop {
                match ws.read() {
                    Ok(Message::Binary(m)) => assert!(m.len() <= LIMIT),
                    Ok(other) => panic!("unexpected {other:?}"),
                    Err(e) => {
                        let (peer, _) = ws.into_parts();
                        return (e, peer.written);
                    }
                }
            }
        }
        Feed::Pieces(piece) => {
            for chunk in wire.chunks(piece) {
                server.receive(chunk);
                loop {
                    match server.read_buffered() {
                        Ok(None) => break,
                        Ok(Some(m)) => assert!(m.len() <= LIMIT),
                        Err(e) => return (e, server.pending_output().to_vec()),
                    }
                }
            }
            panic!("1 GiB passed a {LIMIT}-byte limit");
        }
    }
}

/// Sends `wire` (ending in the bomb) to a server and checks how it fails.
fn engine_case(what: &str, wire: Vec<u8>, feed: Feed) {
    let ((err, out), peak) = peak_during(|| run_until_refused(wire, feed));
    let fed = match feed {
        Feed::Driver => "through the driver".to_owned(),
        Feed::Pieces(n) => format!("fed {} KiB at a time", n >> 10),
    };
    let what = format!("engine, {what}, {fed}");
    match &err {
        WsError::Protocol(ProtocolError::Extension(e)) => assert_message_too_large(e),
        other => panic!("{what}: expected an extension error, got {other:?}"),
    }
    let WsError::Protocol(protocol_error) = &err else {
        unreachable!()
    };
    assert_eq!(protocol_error.close_code(), CloseCode::MESSAGE_TOO_BIG);
    assert_peak(&what, peak);

    // A Close with 1009 went out, and nothing else.
    let (header, n) = sockwell_core::FrameHeader::parse(&out).unwrap().unwrap();
    assert_eq!(header.opcode, OpCode::Close);
    assert!(header.fin);
    assert_eq!(header.rsv, Rsv::NONE);
    assert_eq!(header.mask, None, "a server does not mask");
    assert!(header.payload_len >= 2);
    assert_eq!(out.len(), n + header.payload_len as usize);
    assert_eq!(&out[n..n + 2], &1009u16.to_be_bytes());
}

fn bomb_case(frame_size: usize, feed: Feed) {
    let _lock = exclusive();
    let wire = client_frames(bomb(), frame_size);
    let frames = match frame_size {
        usize::MAX => "one frame".to_owned(),
        n => format!("{} KiB frames", n >> 10),
    };
    engine_case(&frames, wire, feed);
}

#[test]
fn engine_stops_a_single_frame_bomb() {
    bomb_case(usize::MAX, Feed::Driver);
    bomb_case(usize::MAX, Feed::Pieces(64 << 10));
}

#[test]
fn engine_stops_a_bomb_in_64_kib_frames() {
    bomb_case(64 << 10, Feed::Driver);
    bomb_case(64 << 10, Feed::Pieces(16 << 10));
}

#[test]
fn engine_stops_a_bomb_in_1_kib_frames() {
    bomb_case(1 << 10, Feed::Driver);
    bomb_case(1 << 10, Feed::Pieces(64 << 10));
}

/// Three messages just under the limit, then the bomb, all one DEFLATE
/// stream (context takeover): each message is delivered and dropped, and
/// the last is refused with the same bound on memory.
#[test]
fn engine_stops_a_bomb_after_a_series_with_context_takeover() {
    let _lock = exclusive();
    let zeros = vec![0u8; LIMIT - MIB];
    let mut c = Compress::new_with_window_bits(Compression::best(), false, 15);
    let mut wire = Vec::new();
    let mut message = |plain: &[u8]| {
        let mut out = Vec::with_capacity(plain.len() / 512 + 1024);
        let start = c.total_in();
        loop {
            let done = (c.total_in() - start) as usize;
            c.compress_vec(&plain[done..], &mut out, FlushCompress::Sync)
                .unwrap();
            if (c.total_in() - start) as usize == plain.len() && out.len() < out.capacity() {
                break;
            }
            out.reserve(out.capacity());
        }
        out.truncate(out.len() - 4);
        out
    };
    for _ in 0..3 {
        wire.extend(client_frames(&message(&zeros), 64 << 10));
    }
    drop(zeros);
    // The bomb, as the next message of the same stream.
    let mut bomb = Vec::new();
    let gib_of_zeros = vec![0u8; 64 * MIB];
    for _ in 0..16 {
        bomb.extend(message(&gib_of_zeros));
    }
    drop(gib_of_zeros);
    wire.extend(client_frames(&bomb, 64 << 10));
    drop(bomb);
    engine_case(
        "three 15 MiB messages then the bomb, 64 KiB frames",
        wire.clone(),
        Feed::Driver,
    );
    engine_case(
        "three 15 MiB messages then the bomb, 64 KiB frames",
        wire,
        Feed::Pieces(64 << 10),
    );
}
