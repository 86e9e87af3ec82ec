//! Large frames are read straight into their messages (no copy through the
//! read buffer): what arrives is byte-exact whatever the read sizes, a
//! `recv` cancelled in the middle of such a frame loses nothing, and a
//! stream that swaps the read buffer it was given is refused, not trusted.

use sockwell_tokio::{Message, Role, WebSocketConfig, WebSocketStream, WsError};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

fn messages() -> Vec<Message> {
    vec![
        Message::binary((0..300_000u32).map(|i| (i * 13) as u8).collect::<Vec<_>>()),
        Message::text("a€😀ü".repeat(20_000)),
        Message::binary(vec![7u8; 64 << 10]),
        Message::text("short"),
        Message::binary(vec![1u8; 1 << 20]),
    ]
}

#[tokio::test(flavor = "current_thread")]
async fn large_messages_arrive_whole_through_small_and_cancelled_reads() {
    for pipe in [1_000, 9_973, 200_000] {
        let (a, b) = tokio::io::duplex(pipe);
        let mut client =
            WebSocketStream::from_raw_socket(a, Role::Client, WebSocketConfig::default());
        let mut server =
            WebSocketStream::from_raw_socket(b, Role::Server, WebSocketConfig::default());
        let sender = tokio::spawn(async move {
            for m in messages() {
                client.send(m).await.unwrap();
            }
            client
        });
        let mut received = Vec::new();
        let mut cancelled = 0usize;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while received.len() < messages().len() {
            assert!(tokio::time::Instant::now() < deadline, "took too long");
            tokio::select! {
                biased;
                m = server.read() => received.push(m.unwrap()),
                // Ready at once whenever the recv is not: the recv is
                // dropped in the middle of its frame.
                _ = tokio::task::yield_now() => cancelled += 1,
            }
        }
        assert_eq!(received, messages(), "pipe {pipe}");
        assert!(cancelled > 0, "pipe {pipe}: no recv was cancelled");
        // Echo the largest back: the client reads the server's unmasked
        // frame straight into its message too.
        let mut client = sender.await.unwrap();
        // (Concurrently: the pipe holds less than the message.)
        let (sent, echoed) = tokio::join!(server.send(received.pop().unwrap()), client.read());
        sent.unwrap();
        assert_eq!(echoed.unwrap(), Message::binary(vec![1u8; 1 << 20]));
    }
}

/// Reads from `inner`, but into a buffer of its own that it puts in place
/// of the one it was given: legal to write in safe code, and a reason
/// never to trust `filled()` without checking where it points.
struct Swapper<S> {
    inner: S,
}

impl<S: AsyncRead + Unpin> AsyncRead for Swapper<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let own: &'static mut [u8] = Box::leak(vec![0u8; buf.remaining()].into_boxed_slice());
        *buf = ReadBuf::new(own);
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Swapper<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_stream_that_swaps_the_read_buffer_is_refused() {
    let (a, b) = tokio::io::duplex(1 << 20);
    let mut client = WebSocketStream::from_raw_socket(a, Role::Client, WebSocketConfig::default());
    let mut server = WebSocketStream::from_raw_socket(
        Swapper { inner: b },
        Role::Server,
        WebSocketConfig::default(),
    );
    client
        .send(Message::binary(vec![3u8; 200_000]))
        .await
        .unwrap();
    let err = server.read().await.unwrap_err();
    assert!(
        matches!(&err, WsError::Io(e) if e.to_string().contains("replaced the buffer")),
        "{err:?}"
    );
}
