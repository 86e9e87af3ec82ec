//! The axum example's connection serving (`examples/support/serve.rs`,
//! the same file the example includes) against slowloris clients: one
//! that trickles its request head a byte at a time, one that sends its
//! request line and never the rest, one that sends nothing, one that stops
//! before the server can tell which HTTP it speaks. Each is disconnected once the header
//! read timeout passes, and not before; a client that sends its head at
//! once is answered meanwhile.

use axum::routing::get;
use axum::Router;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

// Its HEADER_READ_TIMEOUT (the example's) is not used here: see TIMEOUT.
#[allow(dead_code)]
#[path = "../examples/support/serve.rs"]
mod serve;

/// The header read timeout the servers of these tests run with (the
/// example's is 10 s; a shorter one keeps the tests short).
const TIMEOUT: Duration = Duration::from_secs(1);
/// Bound on every wait: far above what any of this takes on a quiet machine.
const PATIENCE: Duration = Duration::from_secs(10);

async fn server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/", get(|| async { "hello" }));
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(serve::serve_connection(tcp, app.clone(), TIMEOUT));
        }
    });
    addr
}

/// Reads until the server closes the connection (end of stream or a
/// reset); how long after `since` that was.
async fn closed_after(mut tcp: tokio::net::tcp::OwnedReadHalf, since: Instant) -> Duration {
    let mut buf = [0; 1024];
    loop {
        match tcp.read(&mut buf).await {
            Ok(0) | Err(_) => return since.elapsed(),
            Ok(_) => {}
        }
    }
}

#[tokio::test]
async fn a_trickling_client_is_disconnected_at_the_header_read_timeout() {
    let addr = server().await;
    let (read, mut write) = TcpStream::connect(addr).await.unwrap().into_split();
    let started = Instant::now();
    // One byte every 100 ms: the head would take ~5 s.
    let head = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nX-Padding: {}\r\n\r\n",
        "a".repeat(20)
    );
    let trickle = tokio::spawn(async move {
        for byte in head.bytes() {
            if write.write_all(&[byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let took = tokio::time::timeout(PATIENCE, closed_after(read, started))
        .await
        .expect("still connected");
    assert!(took >= TIMEOUT, "disconnected before the timeout: {took:?}");
    assert!(
        !trickle.is_finished(),
        "the whole head went out before the disconnection"
    );
    trickle.abort();
}

#[tokio::test]
async fn a_client_that_never_finishes_its_head_is_disconnected() {
    let addr = server().await;
    let (read, mut write) = TcpStream::connect(addr).await.unwrap().into_split();
    let started = Instant::now();
    write.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    let took = tokio::time::timeout(PATIENCE, closed_after(read, started))
        .await
        .expect("still connected");
    assert!(took >= TIMEOUT, "disconnected before the timeout: {took:?}");
    drop(write);
}

#[tokio::test]
async fn a_client_that_sends_nothing_is_disconnected() {
    let addr = server().await;
    let (read, _write) = TcpStream::connect(addr).await.unwrap().into_split();
    let started = Instant::now();
    let took = tokio::time::timeout(PATIENCE, closed_after(read, started))
        .await
        .expect("still connected");
    assert!(took >= TIMEOUT, "disconnected before the timeout: {took:?}");
}

#[tokio::test]
async fn a_client_that_stops_before_its_protocol_is_known_is_disconnected() {
    // Too few bytes to tell an HTTP/2 preface from an HTTP/1.1 request.
    let addr = server().await;
    let (read, mut write) = TcpStream::connect(addr).await.unwrap().into_split();
    let started = Instant::now();
    write.write_all(b"PRI * HT").await.unwrap();
    let took = tokio::time::timeout(PATIENCE, closed_after(read, started))
        .await
        .expect("still connected");
    assert!(took >= TIMEOUT, "disconnected before the timeout: {took:?}");
}

#[tokio::test]
async fn a_prompt_client_is_answered() {
    let addr = server().await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let head = format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(PATIENCE, tcp.read_to_end(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("hello"), "{answer}");
}
