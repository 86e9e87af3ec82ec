//! The opening handshake over an async stream, on sockwell-handshake's resumable
//! state machines: a stream that is not ready makes the machine stop with
//! `WouldBlock`, and the task resumes it when the stream wakes it. The
//! deadline of the handshake config holds: past it, this fails with
//! [`HandshakeError::Timeout`](sockwell_handshake::HandshakeError::Timeout).

use crate::stream::WebSocketStream;
use sockwell_handshake::http::{Request, Response};
use sockwell_handshake::{
    Callback, ClientConfig, ClientHandshake, HandshakeError, IntoClientRequest, NoCallback,
    ResumableError, ServerConfig, ServerHandshake,
};
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// An async stream seen as a non-blocking `Read + Write`: a poll that is
/// not ready becomes `WouldBlock`, with the task's waker registered. Used
/// for the handshake only; the connection itself is driven by polls.
#[derive(Debug)]
pub struct HandshakeIo<S> {
    io: S,
    waker: Option<Waker>,
}

impl<S> HandshakeIo<S> {
    fn poll<T>(
        &mut self,
        f: impl FnOnce(Pin<&mut S>, &mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> io::Result<T>
    where
        S: Unpin,
    {
        let waker = self.waker.clone().unwrap_or_else(|| Waker::noop().clone());
        match f(Pin::new(&mut self.io), &mut Context::from_waker(&waker)) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl<S: AsyncRead + Unpin> Read for HandshakeIo<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.poll(|io, cx| {
            let mut buf = ReadBuf::new(buf);
            io.poll_read(cx, &mut buf).map_ok(|()| buf.filled().len())
        })
    }
}

impl<S: AsyncWrite + Unpin> Write for HandshakeIo<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.poll(|io, cx| io.poll_write(cx, buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.poll(|io, cx| io.poll_flush(cx))
    }
}

/// Drives a resumable handshake to its end: each `WouldBlock` waits for the
/// task to be woken; the whole is bounded by the machine's own deadline.
async fn drive<S, H, T>(
    handshake: H,
    io_of: fn(&mut H) -> &mut HandshakeIo<S>,
    step: fn(H) -> Result<T, ResumableError<H>>,
    deadline: Option<(std::time::Instant, Duration)>,
) -> Result<T, HandshakeError> {
    let mut pending = Some(handshake);
    let run = poll_fn(|cx| {
        let Some(mut handshake) = pending.take() else {
            return Poll::Pending; // never polled again after it completed
        };
        io_of(&mut handshake).waker = Some(cx.waker().clone());
        match step(handshake) {
            Ok(done) => Poll::Ready(Ok(done)),
            Err(ResumableError::Interrupted(again)) => {
                pending = Some(again);
                Poll::Pending
            }
            Err(ResumableError::Failure(e)) => Poll::Ready(Err(e)),
        }
    });
    match deadline {
        None => run.await,
        Some((at, after)) => tokio::time::timeout_at(at.into(), run)
            .await
            .unwrap_or(Err(HandshakeError::Timeout(after))),
    }
}

/// Runs the client handshake over `io` (a TCP or TLS stream you opened).
pub async fn client_async<S: AsyncRead + AsyncWrite + Unpin>(
    request: impl IntoClientRequest,
    io: S,
) -> Result<(WebSocketStream<S>, Response<()>), HandshakeError> {
    client_async_with_config(request, io, ClientConfig::default()).await
}

/// [`client_async`] with settings (extensions, subprotocols, limits,
/// keepalive, the handshake timeout).
pub async fn client_async_with_config<S: AsyncRead + AsyncWrite + Unpin>(
    request: impl IntoClientRequest,
    io: S,
    config: ClientConfig,
) -> Result<(WebSocketStream<S>, Response<()>), HandshakeError> {
    let timeout = config.handshake_timeout;
    let io = HandshakeIo { io, waker: None };
    let handshake = ClientHandshake::new(io, request, config)?;
    let deadline = handshake.deadline().zip(timeout);
    let (io, protocol, response) = drive(
        handshake,
        ClientHandshake::get_mut,
        ClientHandshake::handshake_parts,
        deadline,
    )
    .await?;
    Ok((WebSocketStream::from_protocol(io.io, protocol), response))
}

/// Runs the server handshake on an accepted stream with default settings.
pub async fn accept_async<S: AsyncRead + AsyncWrite + Unpin>(
    io: S,
) -> Result<WebSocketStream<S>, HandshakeError> {
    accept_hdr_async_with_config(io, NoCallback, ServerConfig::default()).await
}

/// [`accept_async`] with settings (extensions, subprotocols, limits,
/// keepalive, the handshake timeout).
pub async fn accept_async_with_config<S: AsyncRead + AsyncWrite + Unpin>(
    io: S,
    config: ServerConfig,
) -> Result<WebSocketStream<S>, HandshakeError> {
    accept_hdr_async_with_config(io, NoCallback, config).await
}

/// [`accept_async`] with a callback that sees the request and may add
/// response headers, pick a subprotocol, or refuse the upgrade.
pub async fn accept_hdr_async<S: AsyncRead + AsyncWrite + Unpin, C: Callback>(
    io: S,
    callback: C,
) -> Result<WebSocketStream<S>, HandshakeError> {
    accept_hdr_async_with_config(io, callback, ServerConfig::default()).await
}

/// [`accept_hdr_async`] with settings.
pub async fn accept_hdr_async_with_config<S: AsyncRead + AsyncWrite + Unpin, C: Callback>(
    io: S,
    callback: C,
    config: ServerConfig,
) -> Result<WebSocketStream<S>, HandshakeError> {
    let timeout = config.handshake_timeout;
    let io = HandshakeIo { io, waker: None };
    let handshake = ServerHandshake::new(io, callback, config);
    let deadline = handshake.deadline().zip(timeout);
    let (io, protocol, _request): (_, _, Request<()>) = drive(
        handshake,
        ServerHandshake::get_mut,
        ServerHandshake::handshake_parts,
        deadline,
    )
    .await?;
    Ok(WebSocketStream::from_protocol(io.io, protocol))
}
