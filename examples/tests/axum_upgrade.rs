//! `sockwell_server::axum` against axum 0.8's `extract::ws`: an upgrade
//! that fails (`on_failed_upgrade`) and one that succeeds before garbage,
//! the limits set on the extractor, `recv` ending with `None`, and the
//! WebSocket driven as a futures Stream and Sink, on a real axum Router.

mod axum_common;

use axum::routing::any;
use axum::Router;
use axum_common::*;
use futures_util::{SinkExt, StreamExt, TryStreamExt};
use sockwell_server::axum::{CloseCode, CloseFrame, Message, WebSocketUpgrade, WsError};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Notify};

const UPGRADE_REQUEST: &str = "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";

/// A handler that reports whether the upgrade went through or failed, and
/// holds its answer until `release` is notified.
fn reporting_app(events: Events, release: Arc<Notify>) -> Router {
    let handler = move |ws: WebSocketUpgrade| {
        let (events, release) = (events.clone(), release.clone());
        async move {
            let failed = events.clone();
            let upgraded = events.clone();
            let response = ws
                .on_failed_upgrade(move |error: axum::Error| {
                    // axum's error type, around hyper's.
                    let hyper = error.into_inner().downcast::<hyper::Error>().unwrap();
                    failed.send(Seen::Failed(hyper.to_string())).unwrap();
                })
                .on_upgrade(move |mut socket| async move {
                    upgraded.send(Seen::Upgraded).unwrap();
                    while let Some(result) = socket.recv().await {
                        let what = match result {
                            Ok(message) => format!("{message:?}"),
                            Err(error) => format!("error: {error:?}"),
                        };
                        upgraded.send(Seen::Received(what)).unwrap();
                    }
                    upgraded.send(Seen::Ended).unwrap();
                });
            events.send(Seen::Holding).unwrap();
            release.notified().await;
            response
        }
    };
    Router::new().route("/ws", any(handler))
}

#[tokio::test]
async fn on_failed_upgrade_runs_when_the_client_leaves_before_the_answer() {
    let (events, mut seen) = mpsc::unbounded_channel();
    let release = Arc::new(Notify::new());
    let addr = serve(reporting_app(events, release.clone())).await;
    within(async {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        tcp.write_all(UPGRADE_REQUEST.as_bytes()).await.unwrap();
        // (A layer replacing the 101 is no way to make it fail: hyper 1.12
        // still hands an HTTP/1.1 connection over once it ends.)
        // The handler has its request (it holds its answer): the client
        // goes away. hyper sees the connection end with the request
        // unanswered and drops it, so the upgrade cannot happen.
        assert_eq!(seen.recv().await, Some(Seen::Holding));
        drop(tcp);
        let event = seen.recv().await.unwrap();
        let Seen::Failed(error) = event else {
            panic!("expected the upgrade to fail, got {event:?}")
        };
        // hyper's words for it: "operation was canceled".
        assert!(error.contains("cancel"), "{error}");
        // The WebSocket callback never ran.
        release.notify_waiters();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(seen.try_recv().is_err(), "{:?}", seen.try_recv());
    })
    .await;
}

#[tokio::test]
async fn garbage_after_the_101_is_an_error_of_the_websocket_not_of_the_upgrade() {
    let (events, mut seen) = mpsc::unbounded_channel();
    let release = Arc::new(Notify::new());
    let addr = serve(reporting_app(events, release.clone())).await;
    within(async {
        release.notify_one();
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        tcp.write_all(UPGRADE_REQUEST.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0];
            tcp.read_exact(&mut byte).await.unwrap();
            head.push(byte[0]);
        }
        assert!(head.starts_with(b"HTTP/1.1 101"), "{head:?}");
        // An unmasked text frame: a client must mask (RFC 6455 §5.1).
        tcp.write_all(&[0x81, 0x02, b'h', b'i']).await.unwrap();
        assert_eq!(seen.recv().await, Some(Seen::Holding));
        assert_eq!(seen.recv().await, Some(Seen::Upgraded));
        let event = seen.recv().await.unwrap();
        let Seen::Received(what) = event else {
            panic!("{event:?}")
        };
        assert!(what.starts_with("error: Protocol"), "{what}");
        assert_eq!(seen.recv().await, Some(Seen::Ended));
        // The server's Close says why: 1002.
        let mut close = Vec::new();
        tcp.read_to_end(&mut close).await.unwrap();
        assert_eq!(close[0], 0x88, "{close:?}");
        assert_eq!(close[1] & 0x80, 0, "a server does not mask");
        assert_eq!(u16::from_be_bytes([close[2], close[3]]), 1002);
    })
    .await;
}

/// Reports what `recv` gave until `None`, then checks that the stream
/// stays ended and that sending fails.
fn limited_app(events: Events, max_message: usize, max_frame: usize) -> Router {
    let handler = move |ws: WebSocketUpgrade| {
        let events = events.clone();
        async move {
            ws.config(deflate())
                .max_message_size(max_message)
                .max_frame_size(max_frame)
                .on_upgrade(move |mut socket| async move {
                    while let Some(result) = socket.recv().await {
                        match result {
                            Ok(message) => {
                                let what = format!("ok {}", message.is_data());
                                events.send(Seen::Received(what)).unwrap();
                                if message.is_data() {
                                    socket.send(message).await.unwrap();
                                }
                            }
                            Err(error) => {
                                let what = format!("error: {error:?}");
                                events.send(Seen::Received(what)).unwrap();
                            }
                        }
                    }
                    assert!(socket.recv().await.is_none());
                    assert!(futures_util::stream::FusedStream::is_terminated(&socket));
                    let late = socket.send(Message::text("late")).await;
                    assert!(matches!(late, Err(WsError::AlreadyClosed)), "{late:?}");
                    events.send(Seen::Ended).unwrap();
                })
        }
    };
    Router::new().route("/ws", any(handler))
}

async fn closed_with_1009(payload: Message, max_message: usize, max_frame: usize) -> Vec<Seen> {
    let (events, mut seen) = mpsc::unbounded_channel();
    let addr = serve(limited_app(events, max_message, max_frame)).await;
    within(async {
        let (mut ws, response) = connect(addr, "/ws", &[]).await;
        let agreed = response.headers().get("sec-websocket-extensions");
        assert!(agreed.is_some(), "{response:?}");
        // Under the limits: echoed.
        ws.send(Message::binary(vec![7; 2000])).await.unwrap();
        assert_eq!(ws.read().await.unwrap(), Message::binary(vec![7; 2000]));
        ws.send(payload).await.unwrap();
        match ws.read().await.unwrap() {
            Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::MESSAGE_TOO_BIG),
            other => panic!("expected a Close 1009, got {other:?}"),
        }
        let mut events = Vec::new();
        while let Some(event) = seen.recv().await {
            let last = event == Seen::Ended;
            events.push(event);
            if last {
                break;
            }
        }
        events
    })
    .await
}

#[tokio::test]
async fn max_message_size_closes_with_1009_counting_decompressed_bytes() {
    // Compresses to a few dozen bytes: only the decoded size passes the limit.
    let text = "a".repeat(5000);
    let events = closed_with_1009(Message::text(text), 4096, 1 << 20).await;
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(events[0], Seen::Received("ok true".into()));
    let Seen::Received(what) = &events[1] else {
        panic!("{events:?}")
    };
    assert!(what.starts_with("error: Protocol"), "{what}");
    assert_eq!(events[2], Seen::Ended);
}

#[tokio::test]
async fn max_frame_size_closes_with_1009() {
    // Under the message limit but in one frame over the frame limit (bytes
    // from a xorshift generator, which deflate cannot shrink).
    let mut state = 0x2545_f491_u32;
    let data: Vec<u8> = (0..3000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect();
    let events = closed_with_1009(Message::binary(data), 1 << 20, 2048).await;
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(matches!(&events[1], Seen::Received(w) if w.starts_with("error: Protocol")));
}

#[tokio::test]
async fn recv_gives_none_after_the_closing_handshake() {
    let (events, mut seen) = mpsc::unbounded_channel();
    let addr = serve(limited_app(events, 1 << 20, 1 << 20)).await;
    within(async {
        let (mut ws, _) = connect(addr, "/ws", &[]).await;
        ws.send(Message::text("hi")).await.unwrap();
        assert_eq!(ws.read().await.unwrap(), Message::text("hi"));
        ws.close(Some(CloseFrame::new(CloseCode::NORMAL, "bye")))
            .await
            .unwrap();
        // The server's reply, then the end.
        assert!(
            matches!(ws.read().await, Ok(Message::Close(Some(f))) if f.code == CloseCode::NORMAL)
        );
        assert!(matches!(ws.read().await, Err(WsError::ConnectionClosed)));
        assert_eq!(seen.recv().await, Some(Seen::Received("ok true".into())));
        // The peer's Close is delivered, then None (the handler checks
        // that it stays None and that sending fails).
        assert_eq!(seen.recv().await, Some(Seen::Received("ok false".into())));
        assert_eq!(seen.recv().await, Some(Seen::Ended));
    })
    .await;
}

#[tokio::test]
async fn stream_and_sink_with_futures_combinators() {
    let app = Router::new().route(
        "/ws",
        any(|ws: WebSocketUpgrade| async move {
            ws.config(deflate())
                .write_buffer_size(0)
                .max_write_buffer_size(1 << 20)
                .on_upgrade(|socket| async move {
                    let config = socket.get_ref().protocol().config().clone();
                    assert_eq!(config.write_buffer_size, 0);
                    assert_eq!(config.max_write_buffer_size, 1 << 20);
                    let (mut sink, stream) = socket.split();
                    // SinkExt::send: a greeting, then every text message
                    // upper-cased, forwarded until the client closes.
                    sink.send(Message::text("ready")).await.unwrap();
                    let upper = stream
                        .try_filter(|m| std::future::ready(m.is_data()))
                        .map_ok(|m| match m {
                            Message::Text(t) => Message::text(t.as_str().to_uppercase()),
                            other => other,
                        });
                    let _ = upper.forward(sink).await;
                })
        }),
    );
    let addr = serve(app).await;
    within(async {
        let (ws, _) = connect(addr, "/ws", &[]).await;
        // The client side as a Stream and Sink too.
        let (mut rx, mut tx) = ws.into_split();
        assert_eq!(rx.next().await.unwrap().unwrap(), Message::text("ready"));
        let words = ["one", "two", "three"].map(|w| Ok(Message::text(w)));
        tx.send_all(&mut futures_util::stream::iter(words))
            .await
            .unwrap();
        for word in ["ONE", "TWO", "THREE"] {
            assert_eq!(rx.next().await.unwrap().unwrap(), Message::text(word));
        }
        SinkExt::close(&mut tx).await.unwrap();
        // The server's Close reply, then the end of the stream.
        assert!(matches!(rx.next().await, Some(Ok(Message::Close(_)))));
        assert!(rx.next().await.is_none());
    })
    .await;
}
