//! The extractor: what a request asks for, the settings the handler picks,
//! and the answer that hands the connection to the callback.

use super::socket::WebSocket;
use crate::hyper::Rejection;
use ::hyper::upgrade::OnUpgrade;
use axum_core::body::Body;
use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use sockwell_core::{Protocol, Role};
use sockwell_handshake::http::header::SEC_WEBSOCKET_PROTOCOL;
use sockwell_handshake::http::request::Parts;
use sockwell_handshake::http::{HeaderValue, Request, Version};
use sockwell_handshake::{
    accept_request, requested_subprotocols, Callback, NoCallback, ServerConfig,
};
use sockwell_tokio::WebSocketStream;
use std::fmt;
use std::future::Future;

/// Extracts a WebSocket request; [`on_upgrade`](Self::on_upgrade) answers
/// it and runs a callback on the [`WebSocket`].
///
/// `F` is what runs when the connection cannot be handed over after the
/// answer ([`on_failed_upgrade`](Self::on_failed_upgrade)); by default
/// nothing.
pub struct WebSocketUpgrade<F = DefaultOnFailedUpgrade> {
    head: Request<()>,
    /// The `:protocol` of an HTTP/2 extended CONNECT.
    protocol: Option<String>,
    /// The subprotocols the client offers, in its order.
    requested: Vec<HeaderValue>,
    /// Set by hand: the answer names it whatever the handshake picks.
    forced: Option<HeaderValue>,
    on_upgrade: OnUpgrade,
    on_failed_upgrade: F,
    config: ServerConfig,
}

impl<F> fmt::Debug for WebSocketUpgrade<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketUpgrade")
            .field("uri", self.head.uri())
            .field("http2", &self.is_http2())
            .field("requested_protocols", &self.requested)
            .field("selected_protocol", &self.selected_protocol())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for WebSocketUpgrade<DefaultOnFailedUpgrade> {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Rejection> {
        let mut head = Request::new(());
        *head.method_mut() = parts.method.clone();
        *head.uri_mut() = parts.uri.clone();
        *head.version_mut() = parts.version;
        *head.headers_mut() = parts.headers.clone();
        let protocol = parts
            .extensions
            .get::<::hyper::ext::Protocol>()
            .map(|p| p.as_str().to_owned());
        let http2 = head.version() == Version::HTTP_2;
        // The request alone decides whether it is an upgrade at all; the
        // configuration (origins, extensions) is applied in on_upgrade.
        accept_request(
            &head,
            protocol.as_deref(),
            &ServerConfig::default(),
            NoCallback,
        )
        .map_err(|error| Rejection::new(error, http2))?;
        let on_upgrade = parts.extensions.remove::<OnUpgrade>().ok_or_else(|| {
            Rejection::new(
                sockwell_handshake::HandshakeError::InvalidHeader {
                    name: "Connection",
                    reason: "this connection cannot be upgraded (not served by hyper)",
                },
                http2,
            )
        })?;
        let requested = requested_subprotocols(head.headers())
            .filter_map(|t| HeaderValue::from_str(t).ok())
            .collect();
        Ok(WebSocketUpgrade {
            head,
            protocol,
            requested,
            forced: None,
            on_upgrade,
            on_failed_upgrade: DefaultOnFailedUpgrade,
            config: ServerConfig::default(),
        })
    }
}

impl<F> WebSocketUpgrade<F> {
    /// All the settings at once: extensions (e.g. `DeflateConfig`),
    /// subprotocols, allowed origins, limits, keepalive. Default:
    /// [`ServerConfig::default`] (no compression).
    ///
    /// It replaces every setting made before it (the subprotocols of
    /// [`protocols`](Self::protocols), the limits of
    /// [`max_message_size`](Self::max_message_size) and the like): call it
    /// first.
    pub fn config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self.forced = None;
        self
    }

    /// The subprotocols the server speaks. The answer names the first one
    /// the client offers, in the client's order of preference (the rule of
    /// [`ServerConfig::subprotocols`]; axum's own extractor goes by the
    /// server's order instead): see [`selected_protocol`](Self::selected_protocol).
    pub fn protocols<I, P>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<String>,
    {
        self.config.subprotocols = protocols.into_iter().map(Into::into).collect();
        self.forced = None;
        self
    }

    /// The subprotocols the client offers (`Sec-WebSocket-Protocol`), in
    /// its order: `soap, wamp` gives `soap` then `wamp`.
    pub fn requested_protocols(&self) -> impl Iterator<Item = &HeaderValue> {
        self.requested.iter()
    }

    /// Makes the answer name `protocol` as the subprotocol, whatever
    /// [`protocols`](Self::protocols) would choose. A later call of
    /// `protocols` or [`config`](Self::config) undoes it. RFC 6455 §4.1
    /// has the client fail the connection if the answer names a
    /// subprotocol it did not offer.
    pub fn set_selected_protocol(&mut self, protocol: HeaderValue) {
        self.forced = Some(protocol);
    }

    /// The subprotocol the answer will name: the one
    /// [`protocols`](Self::protocols) chose among the client's offers, or
    /// the one given to [`set_selected_protocol`](Self::set_selected_protocol);
    /// `None` if there is none. (A handshake [`Callback`] given to
    /// [`on_upgrade_with`](Self::on_upgrade_with) may still change it:
    /// [`WebSocket::protocol`] says what was answered.)
    pub fn selected_protocol(&self) -> Option<&HeaderValue> {
        let listed = &self.config.subprotocols;
        self.forced.as_ref().or_else(|| {
            // The client's first offer the configuration lists, as the
            // handshake chooses it.
            self.requested
                .iter()
                .find(|offer| listed.iter().any(|s| s.as_bytes() == offer.as_bytes()))
        })
    }

    /// The largest message accepted, all its frames together, in bytes,
    /// measured after decompression; a bigger one fails the connection with
    /// a Close 1009. Default 64 MiB
    /// ([`Limits::max_message_size`](sockwell_core::Limits::max_message_size)).
    pub fn max_message_size(mut self, max: usize) -> Self {
        self.config.websocket.limits.max_message_size = max;
        self
    }

    /// The largest frame payload accepted, in bytes; a bigger one fails the
    /// connection with a Close 1009. Default 16 MiB
    /// ([`Limits::max_frame_size`](sockwell_core::Limits::max_frame_size)).
    pub fn max_frame_size(mut self, max: usize) -> Self {
        self.config.websocket.limits.max_frame_size = max;
        self
    }

    /// How many outgoing bytes may be queued before they are written out
    /// and reading waits for them (backpressure). Default 128 KiB
    /// ([`WebSocketConfig::write_buffer_size`](sockwell_core::WebSocketConfig::write_buffer_size)).
    /// [`WebSocket::send`] always writes everything out.
    pub fn write_buffer_size(mut self, size: usize) -> Self {
        self.config.websocket.write_buffer_size = size;
        self
    }

    /// The hard cap on queued outgoing bytes: a message that would pass it
    /// is refused with `WriteBufferFull` (so no message larger than it can
    /// be sent). Default 256 MiB
    /// ([`WebSocketConfig::max_write_buffer_size`](sockwell_core::WebSocketConfig::max_write_buffer_size)).
    pub fn max_write_buffer_size(mut self, max: usize) -> Self {
        self.config.websocket.max_write_buffer_size = max;
        self
    }

    /// Accept frames from the client that are not masked, which RFC 6455
    /// §5.1 forbids. Default `false`.
    pub fn accept_unmasked_frames(mut self, accept: bool) -> Self {
        self.config.websocket.accept_unmasked_frames = accept;
        self
    }

    /// What to do if hyper cannot hand the connection over (e.g. the client
    /// went away before the answer went out: hyper's "operation was
    /// canceled"): `callback` gets the error, in the task
    /// [`on_upgrade`](Self::on_upgrade) spawned, and the WebSocket callback
    /// does not run. By default the error is dropped.
    ///
    /// A layer that replaces the 101 with another answer is not such a
    /// failure over HTTP/1.1: hyper 1 still hands the connection over once
    /// it ends, and the WebSocket callback runs on a dead connection
    /// (`recv` gives `None` or an error).
    pub fn on_failed_upgrade<C: OnFailedUpgrade>(self, callback: C) -> WebSocketUpgrade<C> {
        WebSocketUpgrade {
            head: self.head,
            protocol: self.protocol,
            requested: self.requested,
            forced: self.forced,
            on_upgrade: self.on_upgrade,
            on_failed_upgrade: callback,
            config: self.config,
        }
    }

    /// The request as the handshake sees it (method, URI, version, headers).
    pub fn request(&self) -> &Request<()> {
        &self.head
    }

    /// Whether the request came over HTTP/2 as an extended CONNECT
    /// (RFC 8441) rather than as an HTTP/1.1 upgrade.
    pub fn is_http2(&self) -> bool {
        self.head.version() == Version::HTTP_2
    }
}

impl<F: OnFailedUpgrade> WebSocketUpgrade<F> {
    /// Answers the request (101 over HTTP/1.1, 200 over HTTP/2) and, once
    /// hyper has sent the answer and handed the connection over, runs
    /// `callback` on the [`WebSocket`] in a task of its own. A request the
    /// configuration refuses (its `Origin`, an extension offer that cannot
    /// be accepted) is answered with its error status instead and the
    /// callback never runs; a connection that cannot be handed over goes to
    /// [`on_failed_upgrade`](Self::on_failed_upgrade).
    #[must_use = "the WebSocket opens only if this response is returned"]
    pub fn on_upgrade<C, Fut>(self, callback: C) -> Response
    where
        C: FnOnce(WebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_upgrade_with(NoCallback, callback)
    }

    /// [`on_upgrade`](Self::on_upgrade) with a handshake [`Callback`] that
    /// sees the request and may add response headers, choose the
    /// subprotocol, or refuse.
    #[must_use = "the WebSocket opens only if this response is returned"]
    pub fn on_upgrade_with<H, C, Fut>(self, handshake: H, callback: C) -> Response
    where
        H: Callback,
        C: FnOnce(WebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let http2 = self.is_http2();
        let accepted = accept_request(
            &self.head,
            self.protocol.as_deref(),
            &self.config,
            handshake,
        );
        let (mut response, extensions) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => return Rejection::new(error, http2).into_response(),
        };
        if let Some(forced) = &self.forced {
            response
                .headers_mut()
                .insert(SEC_WEBSOCKET_PROTOCOL, forced.clone());
        }
        let subprotocol = response.headers().get(SEC_WEBSOCKET_PROTOCOL).cloned();
        let engine =
            Protocol::new(Role::Server, self.config.websocket.clone()).with_extensions(extensions);
        let on_upgrade = self.on_upgrade;
        let on_failed_upgrade = self.on_failed_upgrade;
        tokio::spawn(async move {
            match on_upgrade.await {
                Ok(upgraded) => {
                    let stream = WebSocketStream::from_protocol(TokioIo::new(upgraded), engine);
                    callback(WebSocket::new(stream, subprotocol)).await;
                }
                Err(error) => on_failed_upgrade.call(axum_core::Error::new(error)),
            }
        });
        response.map(|()| Body::empty())
    }
}

/// What runs when the connection cannot be handed over after the answer:
/// see [`WebSocketUpgrade::on_failed_upgrade`]. Any `FnOnce(axum::Error)`
/// that is `Send + 'static` is one; the error wraps hyper's
/// ([`axum_core::Error::into_inner`], then downcast to `hyper::Error`).
pub trait OnFailedUpgrade: Send + 'static {
    /// Runs with the error.
    fn call(self, error: axum_core::Error);
}

impl<F> OnFailedUpgrade for F
where
    F: FnOnce(axum_core::Error) + Send + 'static,
{
    fn call(self, error: axum_core::Error) {
        self(error)
    }
}

/// The [`OnFailedUpgrade`] of a [`WebSocketUpgrade`] that was given none:
/// drops the error.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct DefaultOnFailedUpgrade;

impl OnFailedUpgrade for DefaultOnFailedUpgrade {
    fn call(self, _error: axum_core::Error) {}
}
