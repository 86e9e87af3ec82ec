//! What the axum parity tests share: a Router served on 127.0.0.1, the
//! configs, the bound on every wait, and the events a handler reports.

// Each test file uses a part of it.
#![allow(dead_code)]

use axum::Router;
use sockwell_client::{AsyncMaybeTlsStream, ClientBuilder, ClientConfig, WebSocketStream};
use sockwell_server::{DeflateConfig, ServerConfig};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// Bound on every wait: far above what any of this takes.
pub const LIMIT: Duration = Duration::from_secs(20);

/// Compression on, as the module's example has it.
pub fn deflate() -> ServerConfig {
    ServerConfig::default().with_extension(DeflateConfig::default())
}

/// A client with compression on, offering `subprotocols`.
pub fn client_config(subprotocols: &[&str]) -> ClientConfig {
    let mut config = ClientConfig::default().with_extension(DeflateConfig::default());
    config.subprotocols = subprotocols.iter().map(|s| s.to_string()).collect();
    config
}

/// The client side of a test: connected to `path` on `addr` with
/// [`client_config`], and the server's answer.
pub async fn connect(
    addr: SocketAddr,
    path: &str,
    subprotocols: &[&str],
) -> (
    WebSocketStream<AsyncMaybeTlsStream<TcpStream>>,
    sockwell_client::Response,
) {
    ClientBuilder::new(format!("ws://{addr}{path}").as_str())
        .config(client_config(subprotocols))
        .connect_async()
        .await
        .unwrap()
}

pub async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

pub async fn within<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, future)
        .await
        .expect("took longer than LIMIT")
}

/// What a handler saw, for the test to check.
#[derive(Debug, PartialEq)]
pub enum Seen {
    Requested(Vec<String>),
    Selected(Option<String>),
    Answered(Option<String>),
    Holding,
    Upgraded,
    Failed(String),
    Received(String),
    Ended,
}

pub type Events = mpsc::UnboundedSender<Seen>;

pub fn text_of(value: Option<&axum::http::HeaderValue>) -> Option<String> {
    value.map(|v| v.to_str().unwrap().to_owned())
}
