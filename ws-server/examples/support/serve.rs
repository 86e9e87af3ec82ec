//! How the axum example serves one connection, in a file of its own so
//! that a test (`tests/axum_example.rs`) serves with the same builder
//! settings: both include it with `#[path]`.

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// How long a client has to send a whole HTTP/1.1 request head.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `app` on `io` over HTTP/1.1 and HTTP/2 (prior knowledge, or as
/// ALPN agreed) until the connection ends. An HTTP/1.1 client that has not
/// sent a whole request head within `header_read_timeout` of hyper's
/// starting to read one is disconnected: a slowloris client, which
/// trickles its head to hold the connection, holds it no longer; nor does
/// one that sends nothing, or too little to tell which HTTP it speaks,
/// within the same time (see [`FirstBytes`]).
pub async fn serve_connection<I>(io: I, app: Router, header_read_timeout: Duration)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = Builder::new(TokioExecutor::new());
    // hyper applies the timeout only with a timer to run it on.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    // RFC 8441 §3: tell HTTP/2 clients they may CONNECT websockets.
    builder.http2().enable_connect_protocol();
    // axum's Router is a tower service; hyper takes it through this.
    let service = TowerToHyperService::new(app);
    let io = FirstBytes {
        io,
        needed: H2_PREFACE_LEN,
        deadline: Box::pin(tokio::time::sleep(header_read_timeout)),
    };
    let _ = builder
        .serve_connection_with_upgrades(TokioIo::new(io), service)
        .await;
}

/// Length of the HTTP/2 client preface (RFC 9113 §3.4): what the auto
/// builder reads to tell HTTP/2 from HTTP/1.1.
const H2_PREFACE_LEN: usize = 24;

/// A connection whose first bytes must arrive by a deadline. The auto
/// builder reads them to pick the protocol before hyper's own header
/// timer starts, with no limit of its own: a client that connects and
/// sends nothing (or a few bytes) would hold the connection forever.
/// Past the deadline, a read still short of them fails with `TimedOut`;
/// once they came, this is the bare connection.
struct FirstBytes<I> {
    io: I,
    /// Bytes still to come before the deadline stops mattering.
    needed: usize,
    deadline: Pin<Box<Sleep>>,
}

impl<I: AsyncRead + Unpin> AsyncRead for FirstBytes<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        // Polled first, so that it wakes this task when it passes even
        // while bytes trickle in.
        if this.needed > 0 && this.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(io::ErrorKind::TimedOut.into()));
        }
        let before = buf.filled().len();
        let read = Pin::new(&mut this.io).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = read {
            let n = buf.filled().len() - before;
            // The end of the stream ends the wait too.
            this.needed = if n == 0 {
                0
            } else {
                this.needed.saturating_sub(n)
            };
        }
        read
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for FirstBytes<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
