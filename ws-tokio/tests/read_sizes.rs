//! How the async driver reads: a quiet connection reads onto the stack,
//! but a burst that fills those reads moves to the engine's buffer, which
//! grows while reads keep filling it, so a burst of mid-size messages takes
//! a few large reads, not one small read per 8 KiB.

use sockwell_tokio::{Message, Role, WebSocketConfig, WebSocketStream};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};

/// Counts the reads that brought data and the largest room a read offered.
struct Counting<S> {
    inner: S,
    reads: usize,
    largest_offer: usize,
}

impl<S: AsyncRead + Unpin> AsyncRead for Counting<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        this.largest_offer = this.largest_offer.max(buf.remaining());
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.reads += 1;
        }
        result
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_burst_of_mid_size_messages_takes_a_few_large_reads() {
    const COUNT: usize = 16;
    const SIZE: usize = 16 << 10;
    let (a, b) = tokio::io::duplex(1 << 20);
    let mut client = WebSocketStream::from_raw_socket(a, Role::Client, WebSocketConfig::default());
    // The server's reads are counted; its writes go to the pipe as they are.
    let (read, write) = tokio::io::split(b);
    let counting = Counting {
        inner: read,
        reads: 0,
        largest_offer: 0,
    };
    let stream = tokio::io::join(counting, write);
    let mut server =
        WebSocketStream::from_raw_socket(stream, Role::Server, WebSocketConfig::default());
    // The whole burst (256 KiB and the headers) waits in the pipe before
    // the server reads any of it.
    for i in 0..COUNT {
        client.write(Message::binary(vec![i as u8; SIZE])).unwrap();
    }
    client.flush().await.unwrap();
    for i in 0..COUNT {
        assert_eq!(
            server.read().await.unwrap(),
            Message::binary(vec![i as u8; SIZE])
        );
    }
    let stream = server.get_ref().reader();
    // 8 KiB at a time would take 33 reads.
    assert!(stream.reads <= 12, "{} reads", stream.reads);
    assert!(stream.largest_offer >= 32 << 10, "{}", stream.largest_offer);

    // And a single small message after the burst arrives whole.
    client.send(Message::text("after the burst")).await.unwrap();
    assert_eq!(
        server.read().await.unwrap(),
        Message::text("after the burst")
    );
}
