//! The axum_chat example: messages reach exactly their room's members, and
//! a member that falls behind is told so with a Close 1013.

use sockwell_client::{
    AsyncMaybeTlsStream, ClientBuilder, ClientConfig, CloseCode, DeflateConfig, Message,
    WebSocketStream, WsError,
};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

type Ws = WebSocketStream<AsyncMaybeTlsStream<TcpStream>>;
const BOUND: Duration = Duration::from_secs(60);

async fn start(queue: usize) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = sockwell_examples::axum_chat::app(queue);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn join(addr: SocketAddr, room: &str) -> Ws {
    let config = ClientConfig::default().with_extension(DeflateConfig::default());
    let (ws, _) = ClientBuilder::new(format!("ws://{addr}/ws/{room}"))
        .config(config)
        .connect_async()
        .await
        .unwrap();
    let agreed: Vec<String> = ws
        .protocol()
        .extensions()
        .negotiated()
        .map(|e| e.to_string())
        .collect();
    assert!(
        agreed.iter().any(|e| e.contains("permessage-deflate")),
        "{agreed:?}"
    );
    ws
}

/// The next text or binary message, or the Close.
async fn next(ws: &mut Ws) -> Message {
    timeout(BOUND, async {
        loop {
            let message = ws.read().await.unwrap();
            if !(message.is_ping() || message.is_pong()) {
                return message;
            }
        }
    })
    .await
    .expect("no message in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_reach_exactly_their_room() {
    let addr = start(64).await;
    let (mut a, mut b) = (join(addr, "red").await, join(addr, "red").await);
    let mut c = join(addr, "blue").await;
    // Each message comes back to every member of its room, sender included,
    // and, being the next one each reads, nothing from the other room came
    // in between.
    for (sender, text) in [
        (0, "red 1"),
        (2, "blue 1"),
        (1, "red 2"),
        (2, "blue 2"),
        (0, "red 3"),
    ] {
        let ws = [&mut a, &mut b, &mut c].into_iter().nth(sender).unwrap();
        ws.send(Message::text(text)).await.unwrap();
        let members: Vec<&mut Ws> = if sender == 2 {
            vec![&mut c]
        } else {
            vec![&mut a, &mut b]
        };
        for ws in members {
            assert_eq!(next(ws).await, Message::text(text));
        }
    }
    // Nothing else arrived: each room's last message was the last one read.
    for ws in [&mut a, &mut b, &mut c] {
        assert_eq!(ws.read_buffered().unwrap(), None);
        ws.close(None).await.unwrap();
    }

    // The page.
    let mut http = TcpStream::connect(addr).await.unwrap();
    http.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut page = String::new();
    http.read_to_string(&mut page).await.unwrap();
    assert!(
        page.starts_with("HTTP/1.1 200") && page.contains("new WebSocket"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_falls_behind_gets_close_1013() {
    let addr = start(4).await;
    let mut fast = join(addr, "red").await;
    let mut slow = join(addr, "red").await;
    // Incompressible messages, so that the slow member's TCP buffers fill
    // while it reads nothing and its queue of 4 overflows.
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    const SENT: usize = 300;
    for _ in 0..SENT {
        let payload: Vec<u8> = (0..64 * 1024 / 8)
            .flat_map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed.to_le_bytes()
            })
            .collect();
        fast.send(Message::binary(payload.clone())).await.unwrap();
        // The fast member keeps up: it gets each one back.
        assert_eq!(next(&mut fast).await, Message::binary(payload));
    }
    // The slow member now reads: what its buffers held, then the notice.
    let mut received = 0;
    let frame = loop {
        match next(&mut slow).await {
            Message::Close(frame) => break frame.expect("a Close with a code"),
            _ => received += 1,
        }
    };
    assert_eq!(frame.code, CloseCode::TRY_AGAIN_LATER);
    assert!(frame.reason.contains("messages missed"), "{}", frame.reason);
    assert!(received < SENT, "{received}");
    // Its Close reply went out; the connection is over.
    assert!(matches!(slow.read().await, Err(WsError::ConnectionClosed)));
    // The room goes on for the others.
    fast.send(Message::text("still here")).await.unwrap();
    assert_eq!(next(&mut fast).await, Message::text("still here"));
}
