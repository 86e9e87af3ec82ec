//! The reconnect example: the client resumes after the server restarts on
//! the same port.

use sockwell_examples::reconnect::{run, Backoff, Event};
use sockwell_server::accept_async;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::timeout;

const BOUND: Duration = Duration::from_secs(30);

/// An echo server; aborting its task drops every connection with it.
fn echo_server(listener: TcpListener) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            connections.spawn(async move {
                let mut ws = accept_async(tcp).await.unwrap();
                while let Ok(message) = ws.read().await {
                    if message.is_data() && ws.send(message).await.is_err() {
                        break;
                    }
                }
            });
        }
    })
}

async fn next(events: &mut mpsc::Receiver<Event>) -> Event {
    timeout(BOUND, events.recv())
        .await
        .expect("no event in time")
        .expect("client ended")
}

#[test]
fn backoff_doubles_up_to_its_max_with_jitter() {
    let backoff = Backoff {
        initial: Duration::from_millis(100),
        max: Duration::from_secs(1),
    };
    for (failed, ceiling) in [
        (0, 100),
        (1, 200),
        (2, 400),
        (3, 800),
        (4, 1000),
        (40, 1000),
    ] {
        let ceiling = Duration::from_millis(ceiling);
        let delays: Vec<Duration> = (0..50).map(|_| backoff.delay(failed)).collect();
        assert!(
            delays.iter().all(|d| *d >= ceiling / 2 && *d <= ceiling),
            "{delays:?}"
        );
        // Jitter: not all the same.
        assert!(delays.iter().any(|d| *d != delays[0]), "{delays:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_resumes_after_the_server_restarts() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let server = echo_server(listener);

    let backoff = Backoff {
        initial: Duration::from_millis(40),
        max: Duration::from_millis(300),
    };
    let (lines, outgoing) = mpsc::channel(4);
    let (events_tx, mut events) = mpsc::channel(64);
    let url = format!("ws://{addr}/");
    let client = tokio::spawn(async move { run(&url, &backoff, outgoing, events_tx).await });

    assert_eq!(next(&mut events).await, Event::Connected { failed: 0 });
    lines.send("before".into()).await.unwrap();
    assert_eq!(next(&mut events).await, Event::Received("before".into()));

    // The server goes away, connections and listener with it.
    server.abort();
    assert!(server.await.unwrap_err().is_cancelled());
    assert!(matches!(next(&mut events).await, Event::Lost(_)));
    // While it is down, attempts fail and the client backs off.
    for _ in 0..3 {
        match next(&mut events).await {
            Event::Retrying { wait, .. } => assert!(wait <= Duration::from_millis(300)),
            other => panic!("{other:?}"),
        }
    }

    // Back on the same port.
    let listener = loop {
        match TcpListener::bind(addr).await {
            Ok(listener) => break listener,
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    let server = echo_server(listener);
    let failed = loop {
        match next(&mut events).await {
            Event::Connected { failed } => break failed,
            Event::Retrying { .. } => {}
            other => panic!("{other:?}"),
        }
    };
    assert!(failed >= 3, "{failed}");
    lines.send("after".into()).await.unwrap();
    assert_eq!(next(&mut events).await, Event::Received("after".into()));

    // Closing the channel ends the client cleanly.
    drop(lines);
    timeout(BOUND, client).await.unwrap().unwrap().unwrap();
    server.abort();
}
