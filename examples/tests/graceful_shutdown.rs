//! The graceful_shutdown example: every client gets a Close 1001, the
//! server returns once they replied, and one that never replies does not
//! hold it past the deadline.

use sockwell_client::{connect_async, AsyncMaybeTlsStream, CloseCode, Message, WebSocketStream};
use sockwell_examples::graceful_shutdown::{serve, Report};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::timeout;

type Ws = WebSocketStream<AsyncMaybeTlsStream<TcpStream>>;
const BOUND: Duration = Duration::from_secs(30);

/// A server with `deadline`, the trigger of its shutdown, `clients`
/// connected to it (each has had a message echoed).
async fn start(
    deadline: Duration,
    clients: usize,
) -> (JoinHandle<Report>, oneshot::Sender<()>, Vec<Ws>, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let (trigger, shutdown) = oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, async { drop(shutdown.await) }, deadline));
    let mut connected = Vec::new();
    for n in 0..clients {
        let (mut ws, _) = connect_async(&url).await.unwrap();
        ws.send(Message::text(format!("client {n}"))).await.unwrap();
        let echo = timeout(BOUND, ws.read()).await.unwrap().unwrap();
        assert_eq!(echo, Message::text(format!("client {n}")));
        connected.push(ws);
    }
    (server, trigger, connected, url)
}

/// Reads up to the server's Close (the engine replies to it) and returns its code.
fn reply_to_close(mut ws: Ws) -> JoinHandle<Option<CloseCode>> {
    tokio::spawn(async move {
        loop {
            match timeout(BOUND, ws.read()).await.unwrap() {
                Ok(Message::Close(frame)) => {
                    // Let the reply go out: the next read ends.
                    let _ = timeout(BOUND, ws.read()).await;
                    return frame.map(|f| f.code);
                }
                Ok(_) => {}
                Err(e) => panic!("{e}"),
            }
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_client_gets_close_1001_and_the_server_returns() {
    let deadline = Duration::from_secs(20);
    let (server, trigger, clients, url) = start(deadline, 3).await;
    let readers: Vec<_> = clients.into_iter().map(reply_to_close).collect();
    let started = Instant::now();
    trigger.send(()).unwrap();
    for reader in readers {
        assert_eq!(reader.await.unwrap(), Some(CloseCode::GOING_AWAY));
    }
    let report = timeout(BOUND, server).await.unwrap().unwrap();
    assert_eq!(
        report,
        Report {
            closed: 3,
            cut_off: 0
        }
    );
    // Everyone answered: no waiting for the deadline.
    assert!(started.elapsed() < deadline / 2, "{:?}", started.elapsed());
    // No longer accepting.
    assert!(connect_async(&url).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_replies_is_cut_off_at_the_deadline() {
    let deadline = Duration::from_millis(800);
    let (server, trigger, mut clients, _) = start(deadline, 2).await;
    // The first never reads again, so never replies to the Close.
    let silent = clients.remove(0);
    let polite = reply_to_close(clients.remove(0));
    let started = Instant::now();
    trigger.send(()).unwrap();
    assert_eq!(polite.await.unwrap(), Some(CloseCode::GOING_AWAY));
    let report = timeout(BOUND, server).await.unwrap().unwrap();
    let elapsed = started.elapsed();
    assert_eq!(
        report,
        Report {
            closed: 1,
            cut_off: 1
        }
    );
    assert!(
        elapsed >= deadline && elapsed < deadline + Duration::from_secs(5),
        "{elapsed:?}"
    );
    drop(silent);
}
