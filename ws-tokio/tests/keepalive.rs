//! Keepalive on tokio timers: a peer that stops answering ends `recv()` with
//! `KeepaliveTimeout` within interval + timeout; a peer that answers keeps
//! the connection open; an idle timeout closes a connection without data.

use sockwell_tokio::{Keepalive, Message, Role, WebSocketConfig, WebSocketStream, WsError};
use std::time::{Duration, Instant};

fn config(keepalive: Keepalive) -> WebSocketConfig {
    WebSocketConfig::default().with_keepalive_config(Some(keepalive))
}

#[tokio::test]
async fn a_silent_peer_is_detected_within_interval_plus_timeout() {
    let interval = Duration::from_millis(100);
    let timeout = Duration::from_millis(200);
    // The other end stays open and never reads or answers.
    let (_silent, ours) = tokio::io::duplex(1 << 16);
    let mut ws = WebSocketStream::from_raw_socket(
        ours,
        Role::Client,
        config(Keepalive::new(interval, timeout)),
    );
    let started = Instant::now();
    let outcome = tokio::time::timeout(Duration::from_secs(30), ws.read())
        .await
        .expect("keepalive fired");
    let took = started.elapsed();
    eprintln!("silent peer detected after {took:?} (interval {interval:?} + timeout {timeout:?})");
    assert!(
        matches!(outcome, Err(WsError::KeepaliveTimeout)),
        "{outcome:?}"
    );
    assert!(took >= interval + timeout, "too early: {took:?}");
    // Generous: timers on a loaded machine run late, never early.
    assert!(took < Duration::from_secs(10), "too late: {took:?}");
}

#[tokio::test]
async fn a_peer_that_answers_stays_connected() {
    let keepalive = Keepalive::new(Duration::from_millis(50), Duration::from_millis(200));
    let (a, b) = tokio::io::duplex(1 << 16);
    let mut client = WebSocketStream::from_raw_socket(a, Role::Client, config(keepalive));
    let mut server = WebSocketStream::from_raw_socket(
        b,
        Role::Server,
        WebSocketConfig::default().with_keepalive_config(None),
    );
    // The server only receives: its engine answers the pings.
    let server = tokio::spawn(async move {
        let mut pings = 0;
        loop {
            match server.read().await {
                Ok(Message::Ping(_)) => pings += 1,
                Ok(Message::Close(_)) => {}
                Err(WsError::ConnectionClosed) => return pings,
                other => panic!("server: {other:?}"),
            }
        }
    });
    // Ten intervals pass without an error: only the answers to our pings.
    let quiet = tokio::time::timeout(Duration::from_millis(500), async {
        loop {
            match client.read().await {
                Ok(Message::Pong(p)) => assert_eq!(&p[..], b"keepalive"),
                other => return other,
            }
        }
    })
    .await;
    assert!(quiet.is_err(), "recv returned {quiet:?}");
    client.close(None).await.unwrap();
    loop {
        match client.read().await {
            // The answer to a ping sent just before our Close may follow it.
            Ok(Message::Close(_) | Message::Pong(_)) => {}
            Err(WsError::ConnectionClosed) => break,
            other => panic!("client: {other:?}"),
        }
    }
    let pings = server.await.unwrap();
    assert!(pings >= 3, "only {pings} keepalive pings");
}

#[tokio::test]
async fn an_idle_connection_is_closed_with_going_away() {
    let keepalive = Keepalive::new(Duration::from_millis(50), Duration::from_millis(500))
        .with_idle_timeout(Some(Duration::from_millis(300)));
    let (a, b) = tokio::io::duplex(1 << 16);
    let mut ws = WebSocketStream::from_raw_socket(a, Role::Client, config(keepalive));
    let mut peer = WebSocketStream::from_raw_socket(
        b,
        Role::Server,
        WebSocketConfig::default().with_keepalive_config(None),
    );
    let peer = tokio::spawn(async move {
        loop {
            match peer.read().await {
                Ok(Message::Close(frame)) => return frame.map(|f| f.code.as_u16()),
                Ok(_) => {}
                Err(e) => panic!("peer: {e}"),
            }
        }
    });
    let outcome = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match ws.read().await {
                Ok(Message::Pong(_)) => {} // keepalive answers are not data
                other => return other,
            }
        }
    })
    .await
    .unwrap();
    assert!(matches!(outcome, Err(WsError::IdleTimeout)), "{outcome:?}");
    assert_eq!(peer.await.unwrap(), Some(1001));
}
