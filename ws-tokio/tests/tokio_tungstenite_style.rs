//! Code written for tokio-tungstenite keeps its meaning: `StreamExt::next`,
//! `SinkExt::send` / `feed` / `flush` / `close`, `StreamExt::split` into
//! `(sink, stream)`, and the inherent `close(Option<CloseFrame>)`, all by
//! method syntax with the futures traits in scope (as such code is
//! written). The type annotations are the compile-time half of the test:
//! had an inherent method shadowed the trait's, they would not compile.

use futures_core::stream::FusedStream;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use sockwell_tokio::{
    accept_async, client_async, CloseCode, CloseFrame, Message, WebSocketStream, WsError,
};
use tokio::io::DuplexStream;

type Ws = WebSocketStream<DuplexStream>;

#[tokio::test]
async fn tokio_tungstenite_style_code_does_what_it_did_there() {
    let (client_io, server_io) = tokio::io::duplex(64 << 10);
    let server = tokio::spawn(async move {
        let ws: Ws = accept_async(server_io).await.unwrap();
        // StreamExt::split: (sink, stream), in that order.
        let (mut sink, mut stream): (SplitSink<Ws, Message>, SplitStream<Ws>) = ws.split();
        let mut echoed = 0;
        while let Some(message) = stream.next().await {
            let message: Message = message.unwrap();
            if message.is_text() || message.is_binary() {
                // SinkExt::send: queue and flush.
                sink.send(message).await.unwrap();
                echoed += 1;
            }
        }
        echoed
    });

    let (mut ws, _response) = client_async("ws://localhost/", client_io).await.unwrap();
    // SinkExt::send (the inherent send means the same: queue and flush).
    SinkExt::send(&mut ws, Message::text("one")).await.unwrap();
    ws.send(Message::text("two")).await.unwrap();
    // SinkExt::feed: queued only, returns a future (there is no inherent feed).
    let feed: futures_util::sink::Feed<'_, Ws, Message> = ws.feed(Message::binary(vec![3u8; 3]));
    feed.await.unwrap();
    // Queued, not written: the bytes wait in the engine for a flush.
    assert!(ws.protocol().buffered_output() > 0);
    SinkExt::flush(&mut ws).await.unwrap();

    // StreamExt::next: Option<Result<Message, WsError>>.
    let mut echoes = Vec::new();
    while echoes.len() < 3 {
        let next: Option<Result<Message, WsError>> = ws.next().await;
        echoes.push(next.expect("stream ended").unwrap());
    }
    assert_eq!(
        echoes,
        [
            Message::text("one"),
            Message::text("two"),
            Message::binary(vec![3u8; 3])
        ]
    );

    // tokio-tungstenite's inherent close(Option<CloseFrame>).
    ws.close(Some(CloseFrame {
        code: CloseCode::NORMAL,
        reason: "done".into(),
    }))
    .await
    .unwrap();
    // The peer's Close reply, then the end of the stream, fused.
    match ws.next().await {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::NORMAL),
        other => panic!("expected the Close reply, got {other:?}"),
    }
    assert!(ws.next().await.is_none());
    assert!(ws.is_terminated());
    assert!(ws.next().await.is_none());
    assert_eq!(server.await.unwrap(), 3);
}

#[tokio::test]
async fn sink_close_sends_a_close_without_a_frame_body() {
    let (client_io, server_io) = tokio::io::duplex(64 << 10);
    let server = tokio::spawn(async move {
        let mut ws: Ws = accept_async(server_io).await.unwrap();
        let first = ws.next().await.unwrap().unwrap();
        // Drain to the end so the Close reply goes out.
        while ws.next().await.is_some() {}
        first
    });
    let (mut ws, _) = client_async("ws://localhost/", client_io).await.unwrap();
    SinkExt::close(&mut ws).await.unwrap();
    while ws.next().await.is_some() {}
    assert_eq!(server.await.unwrap(), Message::Close(None));
}
