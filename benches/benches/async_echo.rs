//! The async drivers side by side, in one criterion group: a client sends
//! "Hello, World!" 100,000 times over a tokio duplex pipe, waiting for each
//! echo before the next; a server task echoes. Ours (`sockwell_tokio`) beside
//! tokio-tungstenite 0.30 and fastwebsockets 0.10, each used the way its
//! documentation shows (send a message, receive a message), on the same
//! current-thread runtime and the same 64 KiB pipe. No handshake: each side
//! wraps its end of the pipe as an open connection.
//!
//! `cargo bench -p benches --bench async_echo`

// `criterion_group!` defines undocumented `pub fn`s.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use futures_util::{SinkExt, StreamExt};
use tokio::io::DuplexStream;

const MESSAGES: usize = 100_000;
const HELLO: &str = "Hello, World!";
const PIPE: usize = 64 << 10;

async fn ours() {
    use sockwell_tokio::{Message, Role, WebSocketConfig, WebSocketStream};
    let (a, b) = tokio::io::duplex(PIPE);
    let server = tokio::spawn(async move {
        let mut ws = WebSocketStream::from_raw_socket(b, Role::Server, WebSocketConfig::default());
        while let Ok(m) = ws.read().await {
            if m.is_data() {
                ws.send(m).await.unwrap();
            }
        }
    });
    let mut ws = WebSocketStream::from_raw_socket(a, Role::Client, WebSocketConfig::default());
    for _ in 0..MESSAGES {
        ws.send(Message::text(HELLO)).await.unwrap();
        let echo = ws.read().await.unwrap();
        debug_assert_eq!(echo, Message::text(HELLO));
    }
    drop(ws);
    server.await.unwrap();
}

async fn tokio_tungstenite() {
    use tokio_tungstenite::tungstenite::protocol::Role;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::WebSocketStream;
    let (a, b) = tokio::io::duplex(PIPE);
    let server = tokio::spawn(async move {
        let mut ws = WebSocketStream::from_raw_socket(b, Role::Server, None).await;
        while let Some(Ok(m)) = ws.next().await {
            if m.is_text() || m.is_binary() {
                ws.send(m).await.unwrap();
            }
        }
    });
    let mut ws = WebSocketStream::from_raw_socket(a, Role::Client, None).await;
    for _ in 0..MESSAGES {
        ws.send(Message::text(HELLO)).await.unwrap();
        let echo = ws.next().await.unwrap().unwrap();
        debug_assert!(echo.is_text());
    }
    drop(ws);
    server.await.unwrap();
}

async fn fastwebsockets() {
    use fastwebsockets::{FragmentCollector, Frame, OpCode, Payload, Role, WebSocket};
    let (a, b): (DuplexStream, DuplexStream) = tokio::io::duplex(PIPE);
    let server = tokio::spawn(async move {
        let mut ws = FragmentCollector::new(WebSocket::after_handshake(b, Role::Server));
        while let Ok(frame) = ws.read_frame().await {
            match frame.opcode {
                OpCode::Text | OpCode::Binary => ws.write_frame(frame).await.unwrap(),
                OpCode::Close => break,
                _ => {}
            }
        }
    });
    let mut ws = FragmentCollector::new(WebSocket::after_handshake(a, Role::Client));
    for _ in 0..MESSAGES {
        ws.write_frame(Frame::text(Payload::Borrowed(HELLO.as_bytes())))
            .await
            .unwrap();
        let echo = ws.read_frame().await.unwrap();
        debug_assert_eq!(echo.opcode, OpCode::Text);
    }
    drop(ws);
    server.await.unwrap();
}

fn async_echo(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("async_echo/100k_hello_world");
    group.sample_size(10);
    group.throughput(Throughput::Elements(MESSAGES as u64));
    group.bench_function("ours", |b| b.iter(|| rt.block_on(ours())));
    group.bench_function("tokio-tungstenite", |b| {
        b.iter(|| rt.block_on(tokio_tungstenite()))
    });
    group.bench_function("fastwebsockets", |b| {
        b.iter(|| rt.block_on(fastwebsockets()))
    });
    group.finish();
}

criterion_group!(benches, async_echo);
criterion_main!(benches);
