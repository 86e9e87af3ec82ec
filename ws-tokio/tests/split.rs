//! Owned split halves from two tasks: both halves of both ends busy at once,
//! messages in order both ways, pings answered by the readers while the
//! writers are busy or idle, and `reunite`.

use sockwell_tokio::{accept_async, client_async, Message, WsError};
use std::time::Duration;

const COUNT: usize = 300;

fn payload(i: usize) -> Message {
    match i % 4 {
        0 => Message::binary(vec![i as u8; (i * 211) % (64 << 10)]),
        1 => Message::text(format!("text {i}")),
        2 => Message::Ping(format!("{i}").into_bytes().into()),
        _ => Message::binary(vec![0xab; 3]),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_halves_busy_from_two_tasks_keep_order_both_ways() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let ws = accept_async(tcp).await.unwrap();
        let (mut reader, mut writer) = ws.into_split();
        // Echo through a channel: the reader task forwards, the writer task sends.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Message>(16);
        let sending = tokio::spawn(async move {
            while let Some(m) = rx.recv().await {
                writer.send(m).await.unwrap();
            }
            writer
        });
        loop {
            match reader.read().await {
                Ok(m) if m.is_data() => tx.send(m).await.unwrap(),
                Ok(_) => {}
                Err(WsError::ConnectionClosed) => break,
                Err(e) => panic!("server: {e}"),
            }
        }
        drop(tx);
        let writer = sending.await.unwrap();
        reader.reunite(writer).expect("halves of one connection")
    });

    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (ws, _) = client_async(format!("ws://{addr}/"), tcp).await.unwrap();
    let (mut reader, mut writer) = ws.into_split();
    let sending = tokio::spawn(async move {
        for i in 0..COUNT {
            writer.send(payload(i)).await.unwrap();
        }
        writer
    });
    let mut echoed = Vec::new();
    let mut pongs = 0;
    while echoed.len() < COUNT / 4 * 3 {
        match tokio::time::timeout(Duration::from_secs(60), reader.read()).await {
            Ok(Ok(Message::Pong(_))) => pongs += 1,
            Ok(Ok(m)) => echoed.push(m),
            other => panic!("client: {other:?}"),
        }
    }
    let expected: Vec<Message> = (0..COUNT).map(payload).filter(Message::is_data).collect();
    assert_eq!(echoed, expected);
    assert!(pongs >= 1, "the server's reader answers pings");

    let mut writer = sending.await.unwrap();
    writer.close(None).await.unwrap();
    loop {
        match reader.read().await {
            Ok(Message::Close(_) | Message::Pong(_)) => {}
            Err(WsError::ConnectionClosed) => break,
            other => panic!("client: {other:?}"),
        }
    }
    let client = reader.reunite(writer).expect("halves of one connection");
    let server = server.await.unwrap();
    assert_eq!(client.close_state(), sockwell_tokio::CloseState::Closed);
    assert_eq!(server.close_state(), sockwell_tokio::CloseState::Closed);
}

#[tokio::test]
async fn the_reader_answers_pings_while_the_writer_is_idle() {
    let (a, b) = tokio::io::duplex(1 << 16);
    let server = tokio::spawn(async move {
        let mut ws = accept_async(b).await.unwrap();
        ws.send(Message::Ping(b"are you there".to_vec().into()))
            .await
            .unwrap();
        loop {
            if let Message::Pong(p) = ws.read().await.unwrap() {
                return p;
            }
        }
    });
    let (ws, _) = client_async("ws://localhost/", a).await.unwrap();
    let (mut reader, _idle_writer) = ws.into_split();
    assert_eq!(
        reader.read().await.unwrap(),
        Message::Ping(b"are you there".to_vec().into())
    );
    let pong = tokio::time::timeout(Duration::from_secs(30), server)
        .await
        .expect("the pong went out")
        .unwrap();
    assert_eq!(&pong[..], b"are you there");
}

#[tokio::test]
async fn halves_of_different_connections_do_not_reunite() {
    let (a, _b) = tokio::io::duplex(64);
    let (c, _d) = tokio::io::duplex(64);
    let one = sockwell_tokio::WebSocketStream::from_raw_socket(
        a,
        sockwell_tokio::Role::Client,
        Default::default(),
    );
    let two = sockwell_tokio::WebSocketStream::from_raw_socket(
        c,
        sockwell_tokio::Role::Client,
        Default::default(),
    );
    let (reader, _) = one.into_split();
    let (_, writer) = two.into_split();
    assert!(reader.reunite(writer).is_err());
}

/// A task's waker that counts its live clones (the `Arc`'s strong count).
struct TaskWaker;

impl std::task::Wake for TaskWaker {
    fn wake(self: std::sync::Arc<Self>) {}
}

#[tokio::test]
async fn a_writer_polled_from_many_tasks_keeps_one_waker() {
    use futures_sink::Sink;
    use sockwell_core::{Role, WebSocketConfig};
    use sockwell_tokio::WebSocketStream;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::task::{Context, Waker};

    // A peer that never reads: after a few kilobytes every write is pending.
    let (ours, _peer) = tokio::io::duplex(1024);
    let config = WebSocketConfig::default()
        .with_write_buffer_size(0)
        .with_keepalive_config(None);
    let ws = WebSocketStream::from_raw_socket(ours, Role::Client, config);
    let (_reader, mut writer) = ws.into_split();
    // 100 tasks take turns with the writer, 10,000 sends in all.
    let tasks: Vec<Arc<TaskWaker>> = (0..100).map(|_| Arc::new(TaskWaker)).collect();
    let mut pending = 0;
    for i in 0..10_000 {
        let task = Arc::clone(&tasks[i % tasks.len()]);
        let waker = Waker::from(task);
        let mut cx = Context::from_waker(&waker);
        let mut writer = Pin::new(&mut writer);
        if writer.as_mut().poll_ready(&mut cx).is_ready() {
            // Full or not, what is queued stays under the hard cap.
            let _ = writer.as_mut().start_send(Message::text("tick"));
        }
        if writer.as_mut().poll_flush(&mut cx).is_pending() {
            pending += 1;
        }
    }
    assert!(pending > 9_000, "the writes were meant to wait: {pending}");
    // Each task holds its own Arc and the loop's waker is gone: anything
    // above one is a clone kept by the connection.
    let kept: usize = tasks.iter().map(|t| Arc::strong_count(t) - 1).sum();
    assert!(kept <= 1, "the connection keeps {kept} task wakers");
}
