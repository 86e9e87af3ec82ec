//! `wss://` for the async driver: the TLS layer of [`connect_async`]
//! (tokio-rustls, tokio-native-tls), set up by the same [`Connector`].
//!
//! [`connect_async`]: crate::connect_async

use crate::tls::Connector;
use crate::ConnectError;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A stream that is either plain or TLS on top of `S`: what
/// [`connect_async`](crate::connect_async) returns a WebSocket over.
#[non_exhaustive]
pub enum AsyncMaybeTlsStream<S> {
    /// No TLS (`ws://`, or [`Connector::Plain`]).
    Plain(S),
    /// rustls (tokio-rustls).
    #[cfg(feature = "tokio-rustls")]
    Rustls(Box<tokio_rustls::client::TlsStream<S>>),
    /// native-tls (tokio-native-tls).
    #[cfg(feature = "tokio-native-tls")]
    NativeTls(tokio_native_tls::TlsStream<S>),
}

impl<S> AsyncMaybeTlsStream<S> {
    /// Whether a TLS layer is on.
    pub fn is_tls(&self) -> bool {
        !matches!(self, AsyncMaybeTlsStream::Plain(_))
    }
}

impl<S> fmt::Debug for AsyncMaybeTlsStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AsyncMaybeTlsStream::Plain(_) => "AsyncMaybeTlsStream::Plain",
            #[cfg(feature = "tokio-rustls")]
            AsyncMaybeTlsStream::Rustls(_) => "AsyncMaybeTlsStream::Rustls",
            #[cfg(feature = "tokio-native-tls")]
            AsyncMaybeTlsStream::NativeTls(_) => "AsyncMaybeTlsStream::NativeTls",
        })
    }
}

/// Runs `$call` on the pinned inner stream of whichever variant this is.
macro_rules! each {
    ($self:ident, $s:ident => $call:expr) => {
        match $self.get_mut() {
            AsyncMaybeTlsStream::Plain($s) => {
                let $s = Pin::new($s);
                $call
            }
            #[cfg(feature = "tokio-rustls")]
            AsyncMaybeTlsStream::Rustls($s) => {
                let $s = Pin::new(&mut **$s);
                $call
            }
            #[cfg(feature = "tokio-native-tls")]
            AsyncMaybeTlsStream::NativeTls($s) => {
                let $s = Pin::new($s);
                $call
            }
        }
    };
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for AsyncMaybeTlsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        each!(self, s => s.poll_read(cx, buf))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for AsyncMaybeTlsStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        each!(self, s => s.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        each!(self, s => s.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            AsyncMaybeTlsStream::Plain(s) => s.is_write_vectored(),
            #[cfg(feature = "tokio-rustls")]
            AsyncMaybeTlsStream::Rustls(s) => s.is_write_vectored(),
            #[cfg(feature = "tokio-native-tls")]
            AsyncMaybeTlsStream::NativeTls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, s => s.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, s => s.poll_shutdown(cx))
    }
}

/// A rustls connector given to the async driver without its adapter.
#[cfg(all(feature = "rustls", not(feature = "tokio-rustls")))]
pub(crate) const NO_ASYNC_RUSTLS: &str =
    "wss:// with rustls on the async driver needs sockwell-client's tokio-rustls feature \
     (rustls alone is for the sync driver)";

/// A native-tls connector given to the async driver without its adapter.
#[cfg(all(feature = "native-tls", not(feature = "tokio-native-tls")))]
pub(crate) const NO_ASYNC_NATIVE_TLS: &str =
    "wss:// with native-tls on the async driver needs sockwell-client's tokio-native-tls \
     feature (native-tls alone is for the sync driver)";

/// Puts the connector's TLS layer on `stream` to `host`, the TLS
/// handshake done before this returns (the caller bounds it in time).
pub(crate) async fn wrap_stream<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    host: &str,
    connector: Connector,
) -> Result<AsyncMaybeTlsStream<S>, ConnectError> {
    let _ = host;
    match connector {
        Connector::Plain => Ok(AsyncMaybeTlsStream::Plain(stream)),
        #[cfg(feature = "tokio-rustls")]
        Connector::Rustls(config) => {
            let name = crate::tls::server_name(host)?;
            tokio_rustls::TlsConnector::from(config)
                .connect(name, stream)
                .await
                .map(|tls| AsyncMaybeTlsStream::Rustls(Box::new(tls)))
                .map_err(|e| crate::tls::handshake_io_error(host, e, None))
        }
        #[cfg(feature = "tokio-native-tls")]
        Connector::NativeTls(connector) => tokio_native_tls::TlsConnector::from(connector)
            .connect(host, stream)
            .await
            .map(AsyncMaybeTlsStream::NativeTls)
            .map_err(|e| crate::tls::tls_error(host, Box::new(e))),
        #[cfg(all(feature = "rustls", not(feature = "tokio-rustls")))]
        Connector::Rustls(_) => Err(ConnectError::Url(NO_ASYNC_RUSTLS)),
        #[cfg(all(feature = "native-tls", not(feature = "tokio-native-tls")))]
        Connector::NativeTls(_) => Err(ConnectError::Url(NO_ASYNC_NATIVE_TLS)),
    }
}
