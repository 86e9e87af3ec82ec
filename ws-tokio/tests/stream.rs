//! `WebSocketStream` end to end in memory: handshakes with permessage-deflate,
//! the `Stream` and `Sink` faces, batching (one flush for a burst), the
//! bounded queue against a peer that never reads, and the handshake deadline.

use futures_sink::Sink;
use sockwell_deflate::DeflateConfig;
use sockwell_tokio::{
    accept_async_with_config, client_async_with_config, ClientConfig, HandshakeError, Message,
    Role, ServerConfig, WebSocketConfig, WebSocketStream, WsError,
};
use std::future::poll_fn;
use std::pin::Pin;
use std::time::Duration;
use tokio::io::AsyncReadExt;

#[tokio::test]
async fn compressed_echo_over_a_duplex() {
    let (a, b) = tokio::io::duplex(1 << 16);
    let server = tokio::spawn(async move {
        let config = ServerConfig::default().with_extension(DeflateConfig::default());
        let mut ws = accept_async_with_config(b, config).await.unwrap();
        let agreed: Vec<String> = ws
            .protocol()
            .extensions()
            .negotiated()
            .map(|e| e.to_string())
            .collect();
        loop {
            match ws.read().await {
                Ok(m) if m.is_data() => ws.send(m).await.unwrap(),
                Ok(_) => {}
                Err(WsError::ConnectionClosed) => return agreed,
                Err(e) => panic!("server: {e}"),
            }
        }
    });
    let config = ClientConfig::default().with_extension(DeflateConfig::default());
    let (mut ws, response) = client_async_with_config("ws://localhost/", a, config)
        .await
        .unwrap();
    assert_eq!(response.status(), 101);
    for size in [0usize, 1, 125, 126, 65535, 65536, 1 << 20] {
        let m = Message::binary((0..size).map(|i| (i % 251) as u8).collect::<Vec<_>>());
        ws.send(m.clone()).await.unwrap();
        assert_eq!(ws.read().await.unwrap(), m);
    }
    ws.close(None).await.unwrap();
    assert!(matches!(ws.read().await, Ok(Message::Close(_))));
    assert!(matches!(ws.read().await, Err(WsError::ConnectionClosed)));
    assert_eq!(
        server.await.unwrap(),
        ["permessage-deflate; client_max_window_bits=11"]
    );
}

#[tokio::test]
async fn stream_and_sink_batch_and_end_after_the_close() {
    let (a, b) = tokio::io::duplex(1 << 20);
    let mut client = WebSocketStream::from_raw_socket(a, Role::Client, WebSocketConfig::default());
    let mut server = WebSocketStream::from_raw_socket(b, Role::Server, WebSocketConfig::default());
    // Through the Sink: fifty small messages queue without a write ...
    for i in 0..50u8 {
        poll_fn(|cx| Pin::new(&mut client).poll_ready(cx))
            .await
            .unwrap();
        Pin::new(&mut client)
            .start_send(Message::binary(vec![i; 20]))
            .unwrap();
    }
    assert!(client.protocol().buffered_output() > 50 * 20);
    // ... and one flush writes them.
    poll_fn(|cx| Pin::new(&mut client).poll_flush(cx))
        .await
        .unwrap();
    assert_eq!(client.protocol().buffered_output(), 0);
    // The server reads them all from one read: the rest via try_recv.
    assert_eq!(server.read().await.unwrap(), Message::binary(vec![0; 20]));
    let mut rest = 0;
    while let Some(m) = server.read_buffered().unwrap() {
        rest += 1;
        assert_eq!(m, Message::binary(vec![rest as u8; 20]));
    }
    assert_eq!(rest, 49);
    poll_fn(|cx| Pin::new(&mut client).poll_close(cx))
        .await
        .unwrap();
    // As a Stream, the server sees the Close, then the end.
    let next = poll_fn(|cx| futures_core::Stream::poll_next(Pin::new(&mut server), cx)).await;
    assert!(matches!(next, Some(Ok(Message::Close(None)))));
    let next = poll_fn(|cx| futures_core::Stream::poll_next(Pin::new(&mut server), cx)).await;
    assert!(next.is_none());
}

#[tokio::test]
async fn a_peer_that_never_reads_meets_a_bounded_queue() {
    // 1 KiB of room in the pipe, and nobody reads the other end.
    let (a, _never_read) = tokio::io::duplex(1024);
    let config = WebSocketConfig::default()
        .with_write_buffer_size(64 << 10)
        .with_max_write_buffer_size(256 << 10);
    let mut ws = WebSocketStream::from_raw_socket(a, Role::Server, config);
    let mut accepted = 0;
    for _ in 0..100 {
        let ready = tokio::time::timeout(
            Duration::from_millis(50),
            poll_fn(|cx| Pin::new(&mut ws).poll_ready(cx)),
        )
        .await;
        match ready {
            Ok(result) => result.unwrap(),
            Err(_) => break, // the Sink waits: backpressure
        }
        Pin::new(&mut ws)
            .start_send(Message::binary(vec![1; 16 << 10]))
            .unwrap();
        accepted += 1;
    }
    assert!(accepted < 10, "{accepted} messages of 16 KiB accepted");
    assert!(ws.protocol().buffered_output() <= (64 << 10) + (16 << 10) + 64);
    // `feed` past the hard cap is refused, not queued.
    let mut refused = false;
    for _ in 0..100 {
        if let Err(WsError::WriteBufferFull { .. }) = ws.write(Message::binary(vec![2; 16 << 10])) {
            refused = true;
            break;
        }
    }
    assert!(refused);
    assert!(ws.protocol().buffered_output() <= 256 << 10);
}

#[tokio::test]
async fn a_client_that_never_finishes_its_request_times_out() {
    let (mut a, b) = tokio::io::duplex(1024);
    let config = ServerConfig::default().with_handshake_timeout(Some(Duration::from_millis(200)));
    let server = tokio::spawn(accept_async_with_config(b, config));
    use tokio::io::AsyncWriteExt;
    a.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(30), server)
        .await
        .expect("the deadline ends it")
        .unwrap();
    assert!(
        matches!(outcome, Err(HandshakeError::Timeout(t)) if t == Duration::from_millis(200)),
        "{outcome:?}"
    );
    // The server dropped its end.
    let mut rest = Vec::new();
    a.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty());
}

/// A stream broken both ways that counts how often it is polled.
#[derive(Default)]
struct Broken {
    polls: usize,
}

impl tokio::io::AsyncRead for Broken {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        _: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.polls += 1;
        std::task::Poll::Ready(Err(std::io::ErrorKind::ConnectionReset.into()))
    }
}

impl tokio::io::AsyncWrite for Broken {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        _: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.polls += 1;
        std::task::Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn a_stream_consumer_that_goes_on_after_an_io_error_does_not_spin() {
    use futures_core::Stream;
    let mut ws = sockwell_tokio::WebSocketStream::from_raw_socket(
        Broken::default(),
        sockwell_tokio::Role::Server,
        sockwell_tokio::WebSocketConfig::default(),
    );
    // The error once, then the end of the stream: a loop that logs errors
    // and continues ends instead of spinning on the broken stream.
    let mut items = Vec::new();
    for _ in 0..3 {
        items.push(std::future::poll_fn(|cx| std::pin::Pin::new(&mut ws).poll_next(cx)).await);
    }
    assert!(
        matches!(items[0], Some(Err(sockwell_tokio::WsError::Io(_)))),
        "{items:?}"
    );
    assert!(items[1].is_none() && items[2].is_none(), "{items:?}");
    assert_eq!(ws.get_ref().polls, 1);
}
