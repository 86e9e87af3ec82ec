//! WebSockets in hyper 1 servers (feature `hyper`): HTTP/1.1 upgrades and
//! HTTP/2 extended `CONNECT` (RFC 8441), on the same engine as every other
//! transport.
//!
//! Answer the request with the response [`upgrade`] returns; once hyper has
//! sent it, the connection (HTTP/1.1) or the stream (HTTP/2) is handed over
//! and [`Upgrading`] resolves to the WebSocket:
//!
//! ```no_run
//! use http_body_util::Full;
//! use hyper::body::{Bytes, Incoming};
//! use hyper::{Request, Response};
//! use sockwell_server::hyper::{is_websocket_request, upgrade};
//! use sockwell_server::{DeflateConfig, ServerConfig};
//!
//! async fn handle(mut request: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
//!     if !is_websocket_request(&request) {
//!         return Ok(Response::new(Full::new(Bytes::from("a page"))));
//!     }
//!     let config = ServerConfig::default().with_extension(DeflateConfig::default());
//!     match upgrade(&mut request, &config) {
//!         Ok((response, websocket)) => {
//!             tokio::spawn(async move {
//!                 let Ok(mut ws) = websocket.await else { return };
//!                 while let Ok(message) = ws.read().await {
//!                     if message.is_data() && ws.send(message).await.is_err() {
//!                         break;
//!                     }
//!                 }
//!             });
//!             Ok(response)
//!         }
//!         // 400, 403, 405, 426 or 505 with a line that says why.
//!         Err(rejection) => Ok(rejection.response),
//!     }
//! }
//! ```
//!
//! Serving HTTP/2 WebSockets needs the extended CONNECT setting
//! (`SETTINGS_ENABLE_CONNECT_PROTOCOL`, RFC 8441 §3) on the connection:
//! `hyper::server::conn::http2::Builder::enable_connect_protocol`, or
//! `hyper_util`'s `auto::Builder::http2().enable_connect_protocol()`.
//! Browsers only use it over `https://` (ALPN `h2`).

use ::hyper::upgrade::{OnUpgrade, Upgraded};
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use sockwell_core::{Protocol, Role};
use sockwell_handshake::http::header::{CONNECTION, UPGRADE};
use sockwell_handshake::http::{Method, Request, Response, Version};
use sockwell_handshake::{
    accept_request, error_response_for, Callback, HandshakeError, NoCallback, ServerConfig,
};
use sockwell_tokio::WebSocketStream;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A WebSocket over a connection or stream that hyper handed over.
pub type HyperWebSocket = WebSocketStream<TokioIo<Upgraded>>;

/// Whether `request` asks for a WebSocket: an HTTP/1.1 request with
/// `Upgrade: websocket`, or an HTTP/2 `CONNECT` whose `:protocol` is
/// `websocket`. For routing a path that also serves pages; [`upgrade`]
/// checks the rest.
pub fn is_websocket_request<B>(request: &Request<B>) -> bool {
    if request.version() == Version::HTTP_2 {
        return request.method() == Method::CONNECT
            && protocol_of(request).is_some_and(|p| p.eq_ignore_ascii_case("websocket"));
    }
    let has = |name, token: &str| {
        request.headers().get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    has(UPGRADE, "websocket") && has(CONNECTION, "upgrade")
}

/// Accepts a WebSocket request with `config` (extensions, subprotocols,
/// origins, limits, keepalive): the response to answer it with (101 over
/// HTTP/1.1, 200 over HTTP/2) and the WebSocket to come. A request that is
/// not a valid upgrade, or that `config` refuses, gives a [`Rejection`]
/// holding the response to send instead.
///
/// `request` must come from a hyper server connection (which keeps the
/// means to take the connection over in its extensions); its body is left
/// alone.
pub fn upgrade<B>(
    request: &mut Request<B>,
    config: &ServerConfig,
) -> Result<(Response<Full<Bytes>>, Upgrading), Rejection> {
    upgrade_with_callback(request, config, NoCallback)
}

/// [`upgrade`] with a [`Callback`] that sees the request and may add
/// response headers or refuse with a response of its own.
pub fn upgrade_with_callback<B, C: Callback>(
    request: &mut Request<B>,
    config: &ServerConfig,
    callback: C,
) -> Result<(Response<Full<Bytes>>, Upgrading), Rejection> {
    let head = head_of(request);
    let http2 = head.version() == Version::HTTP_2;
    let protocol = protocol_of(request).map(str::to_owned);
    let (response, extensions) = accept_request(&head, protocol.as_deref(), config, callback)
        .map_err(|error| Rejection::new(error, http2))?;
    let engine = Protocol::new(Role::Server, config.websocket.clone()).with_extensions(extensions);
    let upgrading = Upgrading {
        on_upgrade: ::hyper::upgrade::on(request),
        engine: Some(engine),
        http2,
    };
    Ok((response.map(|()| Full::new(Bytes::new())), upgrading))
}

/// The request without its body and extensions, as the handshake sees it.
pub(crate) fn head_of<B>(request: &Request<B>) -> Request<()> {
    let mut head = Request::new(());
    *head.method_mut() = request.method().clone();
    *head.uri_mut() = request.uri().clone();
    *head.version_mut() = request.version();
    *head.headers_mut() = request.headers().clone();
    head
}

/// The `:protocol` of an HTTP/2 extended CONNECT, as hyper hands it over.
pub(crate) fn protocol_of<B>(request: &Request<B>) -> Option<&str> {
    request
        .extensions()
        .get::<::hyper::ext::Protocol>()
        .map(::hyper::ext::Protocol::as_str)
}

/// A request refused before upgrading: why, and the response that says so.
pub struct Rejection {
    /// Why the request was refused.
    pub error: HandshakeError,
    /// The answer to send: the status the error calls for (400, 403, 405,
    /// 426, 505, or the callback's own response) with a one-line text body.
    pub response: Response<Full<Bytes>>,
}

impl Rejection {
    pub(crate) fn new(error: HandshakeError, http2: bool) -> Self {
        let response = error_response_for(&error, http2)
            .map(|body| Full::new(Bytes::from(body.unwrap_or_default())));
        Rejection { error, response }
    }
}

impl fmt::Debug for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rejection")
            .field("error", &self.error)
            .field("status", &self.response.status())
            .finish()
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebSocket request refused: {}", self.error)
    }
}

impl std::error::Error for Rejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// The WebSocket of an accepted request: resolves once hyper has sent the
/// response and handed the connection (or HTTP/2 stream) over. Fails if the
/// request did not come from a hyper server connection, or the connection
/// ended first.
#[must_use = "the WebSocket opens only when this is awaited"]
pub struct Upgrading {
    on_upgrade: OnUpgrade,
    engine: Option<Protocol>,
    http2: bool,
}

impl Upgrading {
    /// Whether the WebSocket comes over HTTP/2 (RFC 8441), not HTTP/1.1.
    pub fn is_http2(&self) -> bool {
        self.http2
    }
}

impl fmt::Debug for Upgrading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upgrading")
            .field("http2", &self.http2)
            .finish_non_exhaustive()
    }
}

impl Future for Upgrading {
    type Output = Result<HyperWebSocket, ::hyper::Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let upgraded = match Pin::new(&mut self.on_upgrade).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(result) => result?,
        };
        let engine = self
            .engine
            .take()
            .expect("Upgrading polled after it completed");
        Poll::Ready(Ok(WebSocketStream::from_protocol(
            TokioIo::new(upgraded),
            engine,
        )))
    }
}
