//! The handshake deadline holds through TLS: a server that accepts the TCP
//! connection and then trickles one byte every 500 ms (the start of a
//! record that never completes, so the TLS handshake never ends) is
//! abandoned at the deadline by the sync and the async client, over each
//! TLS backend. A socket timeout of the whole remaining time would bound
//! each read only, and each byte would start it again.

#![cfg(feature = "rustls")]

mod tls_common;

use sockwell_client::{ClientConfig, ConnectError, Connector, HandshakeError};
use std::io::Write;
use std::net::TcpListener;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use tls_common::*;

const DEADLINE: Duration = Duration::from_millis(1500);
/// Far above the deadline, far below what the trickle would take.
const BOUND: Duration = Duration::from_secs(10);
/// How long the trickling server keeps going at most (a client that does
/// not give up meets the end of the connection then, and fails the bound).
const TRICKLE_FOR: Duration = Duration::from_secs(30);

/// A TCP server that answers whatever comes with one byte every 500 ms:
/// a TLS handshake record header announcing 16 KiB, then zeros.
fn trickler() -> (u16, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        let start = Instant::now();
        let record = [0x16u8, 0x03, 0x03, 0x40, 0x00];
        for byte in record.into_iter().chain(std::iter::repeat(0)) {
            // The client hung up: done.
            if tcp.write_all(&[byte]).is_err() || start.elapsed() > TRICKLE_FOR {
                return;
            }
            thread::sleep(Duration::from_millis(500));
        }
    });
    (port, handle)
}

fn config() -> ClientConfig {
    ClientConfig::default().with_handshake_timeout(Some(DEADLINE))
}

fn assert_abandoned_at_the_deadline(outcome: Result<(), ConnectError>, took: Duration) {
    let err = outcome.expect_err("the handshake cannot succeed");
    assert!(
        matches!(err, ConnectError::Handshake(HandshakeError::Timeout(d)) if d == DEADLINE),
        "{err:?}"
    );
    assert!(took >= DEADLINE, "gave up early: {took:?}");
    assert!(took < BOUND, "gave up late: {took:?}");
}

fn sync_against_trickler(connector: Connector) {
    let (port, server) = trickler();
    let url = format!("wss://localhost:{port}/");
    let start = Instant::now();
    let outcome = sockwell_client::ClientBuilder::new(url)
        .config(config())
        .connector(connector)
        .connect()
        .map(drop);
    assert_abandoned_at_the_deadline(outcome, start.elapsed());
    server.join().unwrap();
}

#[cfg(feature = "tokio")]
async fn async_against_trickler(connector: Connector) {
    let (port, server) = trickler();
    let url = format!("wss://localhost:{port}/");
    let start = Instant::now();
    let outcome = sockwell_client::ClientBuilder::new(url)
        .config(config())
        .connector(connector)
        .connect_async()
        .await
        .map(drop);
    assert_abandoned_at_the_deadline(outcome, start.elapsed());
    tokio::task::spawn_blocking(|| server.join().unwrap())
        .await
        .unwrap();
}

#[test]
fn rustls_sync_abandons_a_trickling_server_at_the_deadline() {
    sync_against_trickler(rustls_connector(&ca()));
}

#[cfg(feature = "native-tls")]
#[test]
fn native_tls_sync_abandons_a_trickling_server_at_the_deadline() {
    sync_against_trickler(native_connector(&ca()));
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn rustls_async_abandons_a_trickling_server_at_the_deadline() {
    async_against_trickler(rustls_connector(&ca())).await;
}

#[cfg(all(feature = "tokio", feature = "native-tls"))]
#[tokio::test]
async fn native_tls_async_abandons_a_trickling_server_at_the_deadline() {
    async_against_trickler(native_connector(&ca())).await;
}
