//! How the axum example serves one connection, in a file of its own so
//! that a test (`tests/axum_example.rs`) serves with the same builder
//! settings: both include it with `#[path]`.

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// How long a client has to send a whole HTTP/1.1 request head.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `app` on `io` over HTTP/1.1 and HTTP/2 (prior knowledge, or as
/// ALPN agreed) until the connection ends. An HTTP/1.1 client that has not
/// sent a whole request head within `header_read_timeout` of hyper's
/// starting to read one is disconnected: a slowloris client, which
/// trickles its head to hold the connection, holds it no longer.
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
    let _ = builder
        .serve_connection_with_upgrades(TokioIo::new(io), service)
        .await;
}
