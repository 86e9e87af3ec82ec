//! [`H2Stream`]: one HTTP/2 stream as the byte stream a WebSocket reads
//! and writes.

use bytes::{Buf, Bytes};
use h2::{RecvStream, SendStream};
use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// One HTTP/2 stream as a byte stream: what a WebSocket over HTTP/2 reads
/// and writes. Received data is handed on as it is read, and the flow
/// control window reopens as it is (so a reader that stops reading stops
/// the peer, with at most one window buffered); writes wait for send
/// capacity, so nothing queues past the window either.
pub struct H2Stream {
    send: SendStream<Bytes>,
    recv: RecvStream,
    /// What the last DATA frame brought that was not read yet.
    received: Bytes,
    /// Whether our side of the stream is ended (shut down).
    ended: bool,
}

impl fmt::Debug for H2Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("H2Stream")
            .field("stream_id", &self.send.stream_id())
            .finish_non_exhaustive()
    }
}

fn io_error(e: h2::Error) -> io::Error {
    let kind = if e.is_reset() || e.is_go_away() {
        io::ErrorKind::ConnectionReset
    } else if e.is_io() {
        return e
            .into_io()
            .unwrap_or_else(|| io::Error::other("HTTP/2 I/O error"));
    } else {
        io::ErrorKind::Other
    };
    io::Error::new(kind, e)
}

impl AsyncRead for H2Stream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        while this.received.is_empty() {
            match this.recv.poll_data(cx) {
                Poll::Pending => return Poll::Pending,
                // The peer ended its side: end of stream.
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(io_error(e))),
                Poll::Ready(Some(Ok(data))) => this.received = data,
            }
        }
        let n = this.received.len().min(buf.remaining());
        buf.put_slice(&this.received[..n]);
        this.received.advance(n);
        // Handed on: the peer may send that much more.
        this.recv
            .flow_control()
            .release_capacity(n)
            .map_err(io_error)?;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for H2Stream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let this = &mut *self;
        this.send.reserve_capacity(buf.len());
        // capacity() is what is assigned now; poll_capacity only reports
        // increases, so it is asked only when nothing is assigned.
        let mut capacity = this.send.capacity();
        while capacity == 0 {
            match this.send.poll_capacity(cx) {
                Poll::Ready(Some(Ok(n))) => capacity = n,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(io_error(e))),
                Poll::Ready(None) => return Poll::Ready(Err(this.closed(cx))),
                Poll::Pending => {
                    // A reset stream never gets capacity: say so now.
                    if let Poll::Ready(reset) = this.send.poll_reset(cx) {
                        return Poll::Ready(Err(match reset {
                            Ok(reason) => io::Error::new(
                                io::ErrorKind::ConnectionReset,
                                format!("HTTP/2 stream reset by the server: {reason}"),
                            ),
                            Err(e) => io_error(e),
                        }));
                    }
                    return Poll::Pending;
                }
            }
        }
        let n = capacity.min(buf.len());
        this.send
            .send_data(Bytes::copy_from_slice(&buf[..n]), false)
            .map_err(io_error)?;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        // The connection's task writes what the streams queued.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.ended {
            self.ended = true;
            self.send.send_data(Bytes::new(), true).map_err(io_error)?;
        }
        Poll::Ready(Ok(()))
    }
}

impl H2Stream {
    /// The stream of an accepted extended CONNECT.
    pub(super) fn new(send: SendStream<Bytes>, recv: RecvStream) -> Self {
        H2Stream {
            send,
            recv,
            received: Bytes::new(),
            ended: false,
        }
    }

    /// The error for writing to a stream that can no longer send.
    fn closed(&mut self, cx: &mut Context<'_>) -> io::Error {
        match self.send.poll_reset(cx) {
            Poll::Ready(Ok(reason)) => io::Error::new(
                io::ErrorKind::ConnectionReset,
                format!("HTTP/2 stream reset by the server: {reason}"),
            ),
            Poll::Ready(Err(e)) => io_error(e),
            Poll::Pending => io::Error::new(
                io::ErrorKind::BrokenPipe,
                "HTTP/2 stream is closed for sending",
            ),
        }
    }
}
