//! The WebSocket an axum handler's callback gets.

use crate::hyper::HyperWebSocket;
use futures_core::stream::FusedStream;
use futures_core::Stream;
use futures_sink::Sink;
use sockwell_core::{Message, WsError};
use sockwell_handshake::http::HeaderValue;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

/// An open WebSocket, as [`WebSocketUpgrade::on_upgrade`](super::WebSocketUpgrade::on_upgrade)
/// hands it to its callback: the methods of axum's `WebSocket` ([`recv`](Self::recv),
/// [`send`](Self::send), [`protocol`](Self::protocol)), a [`Stream`] of
/// messages and a [`Sink`] of them, on the engine's [`WebSocketStream`](crate::WebSocketStream)
/// ([`get_ref`](Self::get_ref), [`get_mut`](Self::get_mut),
/// [`into_inner`](Self::into_inner) for the rest: `close`, `flush`,
/// prepared broadcasts, split halves).
///
/// Pings are answered and the peer's Close replied to by the engine; they
/// are still delivered, as with axum.
#[derive(Debug)]
pub struct WebSocket {
    inner: HyperWebSocket,
    protocol: Option<HeaderValue>,
}

impl WebSocket {
    pub(super) fn new(inner: HyperWebSocket, protocol: Option<HeaderValue>) -> Self {
        WebSocket { inner, protocol }
    }

    /// The next message (or ping, pong, Close). `None` once the connection
    /// is over: after the closing handshake, or after the error that failed
    /// it (a message over [`max_message_size`](super::WebSocketUpgrade::max_message_size)
    /// gives `Some(Err(..))`, its Close 1009 having gone out, then `None`).
    ///
    /// Cancel-safe: dropped before it completes, nothing is lost.
    pub async fn recv(&mut self) -> Option<Result<Message, WsError>> {
        poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Sends `message` and writes out everything queued. A
    /// [`Message::Close`] starts the closing handshake; after it (or once
    /// the connection is over) this fails with [`WsError::AlreadyClosed`].
    pub async fn send(&mut self, message: Message) -> Result<(), WsError> {
        self.inner.send(message).await
    }

    /// The subprotocol the answer named (`Sec-WebSocket-Protocol`), if any.
    pub fn protocol(&self) -> Option<&HeaderValue> {
        self.protocol.as_ref()
    }

    /// The engine's stream.
    pub fn get_ref(&self) -> &HyperWebSocket {
        &self.inner
    }

    /// The engine's stream, mutably.
    pub fn get_mut(&mut self) -> &mut HyperWebSocket {
        &mut self.inner
    }

    /// The engine's stream, for good.
    pub fn into_inner(self) -> HyperWebSocket {
        self.inner
    }
}

impl Stream for WebSocket {
    type Item = Result<Message, WsError>;

    /// Ends (`None`) after the closing handshake or once the connection failed.
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.get_mut().inner).poll_next(cx)
    }
}

impl FusedStream for WebSocket {
    fn is_terminated(&self) -> bool {
        self.inner.is_terminated()
    }
}

impl Sink<Message> for WebSocket {
    type Error = WsError;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        Pin::new(&mut self.get_mut().inner).poll_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), WsError> {
        Pin::new(&mut self.get_mut().inner).start_send(message)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    /// Starts the closing handshake (if it was not) and flushes.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        Pin::new(&mut self.get_mut().inner).poll_close(cx)
    }
}
