//! Peers that would hold a connection forever: one that stops reading
//! (while we echo what it sent, and while we only send), and one that
//! never answers our Close. Real TCP sockets, the peer's with a small
//! receive buffer that the test never reads. Each is dropped by a timer:
//! keepalive within interval + timeout (a ping that cannot get out goes
//! unanswered), the close timeout at its deadline.

use sockwell_tokio::{Keepalive, Message, Role, WebSocketConfig, WebSocketStream, WsError};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpSocket, TcpStream};

const INTERVAL: Duration = Duration::from_millis(300);
const TIMEOUT: Duration = Duration::from_millis(300);
/// Timers on a loaded machine run late, never early.
const SLACK: Duration = Duration::from_secs(5);

fn config() -> WebSocketConfig {
    WebSocketConfig::default().with_keepalive_config(Some(Keepalive::new(INTERVAL, TIMEOUT)))
}

/// Our server end (the opening handshake is not what is tested) and a
/// peer socket with a 4 KiB receive buffer.
async fn connect(config: WebSocketConfig) -> (WebSocketStream<TcpStream>, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let (peer, accepted) = tokio::join!(
        socket.connect(listener.local_addr().unwrap()),
        listener.accept()
    );
    let ws = WebSocketStream::from_raw_socket(accepted.unwrap().0, Role::Server, config);
    (ws, peer.unwrap())
}

/// A masked binary frame (mask key 0: the payload goes as it is).
fn client_frame(len: usize) -> Vec<u8> {
    let mut frame = vec![0x82, 0x80 | 127];
    frame.extend_from_slice(&(len as u64).to_be_bytes());
    frame.extend_from_slice(&[0; 4]);
    frame.resize(frame.len() + len, 0x5a);
    frame
}

/// Waits for `f` a whole minute at most: without its timers the
/// connection would wait forever.
async fn bounded(f: impl std::future::Future<Output = Result<(), WsError>>) -> Result<(), WsError> {
    tokio::time::timeout(Duration::from_secs(60), f)
        .await
        .expect("a timer ends the connection")
}

fn assert_on_time(outcome: &Result<(), WsError>, took: Duration) {
    eprintln!("dropped after {took:?}: {outcome:?}");
    assert!(
        matches!(outcome, Err(WsError::KeepaliveTimeout)),
        "{outcome:?}"
    );
    assert!(took >= INTERVAL + TIMEOUT, "too early: {took:?}");
    assert!(took < INTERVAL + TIMEOUT + SLACK, "too late: {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_stops_reading_is_dropped_while_we_echo() {
    let (mut ws, mut peer) = connect(config()).await;
    // The peer sends 16 x 512 KiB and reads nothing back.
    let sending = tokio::spawn(async move {
        for _ in 0..16 {
            if peer.write_all(&client_frame(512 << 10)).await.is_err() {
                break;
            }
        }
        peer
    });
    let started = Instant::now();
    // Echo without flushing: `recv` must write the queue out before it
    // reads more (backpressure), and that write never ends.
    let outcome: Result<(), WsError> = bounded(async {
        loop {
            let message = ws.read().await?;
            if message.is_data() {
                ws.write(message)?;
            }
        }
    })
    .await;
    assert_on_time(&outcome, started.elapsed());
    sending.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_stops_reading_is_dropped_while_we_send() {
    let (mut ws, _peer) = connect(config()).await;
    let started = Instant::now();
    let outcome: Result<(), WsError> = bounded(async {
        loop {
            ws.send(Message::binary(vec![7; 64 << 10])).await?;
        }
    })
    .await;
    assert_on_time(&outcome, started.elapsed());
    // Over: nothing is tried on the stream again.
    assert!(matches!(
        ws.send(Message::text("more")).await,
        Err(WsError::AlreadyClosed)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_writer_is_dropped_when_the_peer_stops_reading() {
    let (ws, _peer) = connect(config()).await;
    let (_reader, mut writer) = ws.into_split();
    let started = Instant::now();
    let outcome: Result<(), WsError> = bounded(async {
        loop {
            writer.send(Message::binary(vec![7; 64 << 10])).await?;
        }
    })
    .await;
    assert_on_time(&outcome, started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_never_answers_our_close_is_dropped_at_the_close_timeout() {
    let close_timeout = Duration::from_millis(500);
    let config = WebSocketConfig::default()
        .with_keepalive_config(None)
        .with_close_timeout(Some(close_timeout));
    let (mut ws, _peer) = connect(config).await;
    let started = Instant::now();
    ws.close(None).await.unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(60), ws.read())
        .await
        .expect("the close timeout ends the wait");
    let took = started.elapsed();
    eprintln!("dropped after {took:?}: {outcome:?}");
    assert!(matches!(outcome, Err(WsError::CloseTimeout)), "{outcome:?}");
    assert!(took >= close_timeout, "too early: {took:?}");
    assert!(took < close_timeout + SLACK, "too late: {took:?}");
}
