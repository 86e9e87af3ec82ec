//! An axum extractor (feature `axum`) that negotiates permessage-deflate
//! and accepts WebSockets over HTTP/1.1 (`GET` + `Upgrade`) and over HTTP/2
//! (extended `CONNECT`, RFC 8441).
//!
//! ```no_run
//! use axum::{routing::any, Router};
//! use sockwell_server::axum::WebSocketUpgrade;
//! use sockwell_server::{DeflateConfig, ServerConfig};
//!
//! async fn ws(upgrade: WebSocketUpgrade) -> axum::response::Response {
//!     let config = ServerConfig::default().with_extension(DeflateConfig::default());
//!     upgrade.config(config).on_upgrade(|mut ws| async move {
//!         while let Ok(message) = ws.read().await {
//!             if message.is_data() && ws.send(message).await.is_err() {
//!                 break;
//!             }
//!         }
//!     })
//! }
//!
//! # async fn serve() {
//! // any(): HTTP/2 WebSockets arrive as CONNECT, HTTP/1.1 ones as GET.
//! let app = Router::new().route("/ws", any(ws));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await.unwrap();
//! axum::serve(listener, app).await.unwrap();
//! # }
//! ```
//!
//! `axum::serve` speaks HTTP/1.1 and cleartext HTTP/2 on one port and
//! already enables the extended CONNECT setting (with axum's `http2`
//! feature). Browsers use HTTP/2 WebSockets only over `https://` on an
//! HTTP/2 connection they already have to the origin; serving TLS with
//! ALPN `h2` and `http/1.1` takes `hyper_util`'s `auto::Builder` with
//! `http2().enable_connect_protocol()` (the `axum` example in this crate
//! does so).
//!
//! A request that is not a WebSocket upgrade is refused by the extractor
//! itself (400, 405, 426 or 505, with a line that says why); one the
//! [`ServerConfig`] refuses (a foreign `Origin`: 403) by
//! [`WebSocketUpgrade::on_upgrade`].

use crate::hyper::{HyperWebSocket, Rejection};
use ::hyper::upgrade::OnUpgrade;
use axum_core::body::Body;
use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use sockwell_core::{Protocol, Role};
use sockwell_handshake::http::request::Parts;
use sockwell_handshake::http::{Request, Version};
use sockwell_handshake::{accept_request, Callback, NoCallback, ServerConfig};
use sockwell_tokio::WebSocketStream;
use std::fmt;
use std::future::Future;

/// Extracts a WebSocket request; [`on_upgrade`](Self::on_upgrade) answers
/// it and runs a callback on the WebSocket.
pub struct WebSocketUpgrade {
    head: Request<()>,
    protocol: Option<String>,
    on_upgrade: OnUpgrade,
    config: ServerConfig,
}

impl fmt::Debug for WebSocketUpgrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketUpgrade")
            .field("uri", self.head.uri())
            .field("http2", &self.is_http2())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for WebSocketUpgrade {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Rejection> {
        let mut request = Request::new(());
        *request.method_mut() = parts.method.clone();
        *request.uri_mut() = parts.uri.clone();
        *request.version_mut() = parts.version;
        *request.headers_mut() = parts.headers.clone();
        let protocol = parts
            .extensions
            .get::<::hyper::ext::Protocol>()
            .map(|p| p.as_str().to_owned());
        let head = request;
        // The request alone decides whether it is an upgrade at all; the
        // configuration (origins, extensions) is applied in on_upgrade.
        accept_request(
            &head,
            protocol.as_deref(),
            &ServerConfig::default(),
            NoCallback,
        )
        .map_err(|error| Rejection::new(error, head.version() == Version::HTTP_2))?;
        let on_upgrade = parts.extensions.remove::<OnUpgrade>().ok_or_else(|| {
            Rejection::new(
                sockwell_handshake::HandshakeError::InvalidHeader {
                    name: "Connection",
                    reason: "this connection cannot be upgraded (not served by hyper)",
                },
                head.version() == Version::HTTP_2,
            )
        })?;
        Ok(WebSocketUpgrade {
            head,
            protocol,
            on_upgrade,
            config: ServerConfig::default(),
        })
    }
}

impl WebSocketUpgrade {
    /// The settings: extensions (e.g. `DeflateConfig`), subprotocols,
    /// allowed origins, limits, keepalive. Default: [`ServerConfig::default`]
    /// (no compression).
    pub fn config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self
    }

    /// The subprotocols the server speaks, most preferred first; the
    /// client's first offer among them is chosen.
    pub fn protocols<I, P>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<String>,
    {
        self.config.subprotocols = protocols.into_iter().map(Into::into).collect();
        self
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

    /// Answers the request (101 over HTTP/1.1, 200 over HTTP/2) and, once
    /// the connection is handed over, runs `callback` on the WebSocket in a
    /// task of its own. A request the configuration refuses (its `Origin`,
    /// an extension offer that cannot be accepted) is answered with its
    /// error status instead and the callback never runs.
    pub fn on_upgrade<F, Fut>(self, callback: F) -> Response
    where
        F: FnOnce(HyperWebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_upgrade_with(NoCallback, callback)
    }

    /// [`on_upgrade`](Self::on_upgrade) with a handshake [`Callback`] that
    /// sees the request and may add response headers or refuse.
    pub fn on_upgrade_with<C, F, Fut>(self, handshake: C, callback: F) -> Response
    where
        C: Callback,
        F: FnOnce(HyperWebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let http2 = self.is_http2();
        let accepted = accept_request(
            &self.head,
            self.protocol.as_deref(),
            &self.config,
            handshake,
        );
        let (response, extensions) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => return Rejection::new(error, http2).into_response(),
        };
        let engine =
            Protocol::new(Role::Server, self.config.websocket.clone()).with_extensions(extensions);
        let on_upgrade = self.on_upgrade;
        tokio::spawn(async move {
            // The connection ended before the response went out: no
            // WebSocket to run.
            if let Ok(upgraded) = on_upgrade.await {
                let io = hyper_util::rt::TokioIo::new(upgraded);
                callback(WebSocketStream::from_protocol(io, engine)).await;
            }
        });
        response.map(|()| Body::empty())
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        self.response.map(Body::new)
    }
}
