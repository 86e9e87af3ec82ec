//! The stream-based side of the `deflate` groups: whole async connections,
//! ours (`sockwell_tokio::WebSocketStream`, `ours-async/<size>`) and yawc's
//! (`yawc/<size>`), each a client and a server over one in-memory
//! `tokio::io::duplex` pipe, driven by a current-thread runtime on this
//! thread. yawc has no sans-IO engine with compression, so this is the only
//! way to put it beside ours at the same level, window, takeover and
//! threshold; `ours-async` runs through the same pipe and runtime, so the two
//! are comparable with each other (the sans-IO `ours` above them leaves out
//! the driver and the pipe).
//!
//! One iteration: the client sends the message (compress, frame, mask,
//! write, flush into the pipe), the server reads it whole (unmask, inflate,
//! UTF-8 check for text: yawc's check is turned on, it is off by default).

use super::{payload_bytes, Takeover, LEVEL};
use criterion::measurement::WallTime;
use criterion::BenchmarkGroup;
use futures_util::SinkExt;
use sockwell_core::bytes::Bytes;
use sockwell_core::{Message, Protocol};
use sockwell_tokio::WebSocketStream;
use tokio::io::{AsyncReadExt, DuplexStream};
use tokio::runtime::Runtime;

/// Room in each direction of the pipe: a whole incompressible 1 MiB
/// message fits, so a send completes before the server reads.
const PIPE: usize = 4 << 20;

/// Message limit on both sides: far above the largest message (yawc's
/// default, 1 MiB, is exclusive and would refuse the 1 MiB case).
const LIMIT: usize = 64 << 20;

/// Timers on: the async driver arms its keepalive and read deadlines (since
/// 85d7025), which panics on a runtime without them.
fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime")
}

/// `ours-async/<size>`: our async driver on both ends of the pipe, with the
/// negotiated protocols of [`benches::deflate_pair`].
pub fn bench_ours_async(
    group: &mut BenchmarkGroup<'_, WallTime>,
    label: &str,
    pool: &[Message],
    client: Protocol,
    server: Protocol,
) {
    let rt = runtime();
    let (a, b) = tokio::io::duplex(PIPE);
    let mut client = WebSocketStream::from_protocol(a, client);
    let mut server = WebSocketStream::from_protocol(b, server);
    rt.block_on(async {
        for message in pool {
            client.send(message.clone()).await.expect("send");
            let got = server.read().await.expect("receive");
            assert_eq!(&got, message, "byte-exact round trip");
        }
    });
    let mut next = 0;
    group.bench_function(format!("ours-async/{label}"), |b| {
        b.iter(|| {
            let message = pool[next].clone();
            next = (next + 1) % pool.len();
            rt.block_on(async {
                client.send(message).await.expect("send");
                server.read().await.expect("receive")
            })
        })
    });
}

/// yawc's options for `takeover`: the same level, threshold and context
/// takeover as ours; window 15 (yawc's default, and ours).
fn yawc_options(takeover: Takeover) -> yawc::Options {
    let off = takeover == Takeover::Off;
    yawc::Options {
        compression: Some(yawc::DeflateOptions {
            level: yawc::CompressionLevel::new(LEVEL),
            server_no_context_takeover: off,
            client_no_context_takeover: off,
            compression_threshold: sockwell_deflate::DeflateConfig::default().min_compress_size,
            ..yawc::DeflateOptions::default()
        }),
        ..yawc::Options::default()
    }
    .with_limits(LIMIT, 2 * LIMIT)
    .with_utf8()
}

/// A yawc client or server on `io`, as after a handshake that agreed on
/// `agreed` (the `Sec-WebSocket-Extensions` answer).
fn yawc_end(
    io: DuplexStream,
    role: yawc::Role,
    agreed: &str,
    takeover: Takeover,
) -> yawc::WebSocket<DuplexStream> {
    yawc::WebSocket::from_stream_with_extensions(io, role, Some(agreed), yawc_options(takeover))
        .expect("yawc accepts the agreed permessage-deflate")
}

fn yawc_frame(message: &Message, payload: Bytes) -> yawc::Frame {
    match message {
        Message::Text(_) => yawc::Frame::text(payload),
        _ => yawc::Frame::binary(payload),
    }
}

/// `yawc/<size>`: a yawc client and server on the pipe with `agreed`.
/// Checked once, outside timing: the first frame on the wire has RSV1 set
/// (yawc compresses), and every message of the pool round-trips byte-exact.
pub fn bench_yawc(
    group: &mut BenchmarkGroup<'_, WallTime>,
    label: &str,
    pool: &[Message],
    agreed: &str,
    takeover: Takeover,
) {
    let rt = runtime();
    let payloads: Vec<Bytes> = pool
        .iter()
        .map(|m| Bytes::copy_from_slice(payload_bytes(m)))
        .collect();

    // A lone client, to see its first frame's header byte.
    rt.block_on(async {
        let (a, mut raw) = tokio::io::duplex(PIPE);
        let mut client = yawc_end(a, yawc::Role::Client, agreed, takeover);
        client
            .send(yawc_frame(&pool[0], payloads[0].clone()))
            .await
            .expect("send");
        let first = raw.read_u8().await.expect("a frame");
        assert_eq!(first & 0x40, 0x40, "yawc sets RSV1: compressed");
    });

    let (a, b) = tokio::io::duplex(PIPE);
    let mut client = yawc_end(a, yawc::Role::Client, agreed, takeover);
    let mut server = yawc_end(b, yawc::Role::Server, agreed, takeover);
    rt.block_on(async {
        for (message, payload) in pool.iter().zip(&payloads) {
            client
                .send(yawc_frame(message, payload.clone()))
                .await
                .expect("send");
            let got = server.next_frame().await.expect("receive");
            assert_eq!(&got.payload()[..], &payload[..], "byte-exact round trip");
        }
    });
    let mut next = 0;
    group.bench_function(format!("yawc/{label}"), |b| {
        b.iter(|| {
            let frame = yawc_frame(&pool[next], payloads[next].clone());
            next = (next + 1) % pool.len();
            rt.block_on(async {
                client.send(frame).await.expect("send");
                server.next_frame().await.expect("receive")
            })
        })
    });
}
