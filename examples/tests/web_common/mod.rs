//! What the web framework tests share: server and client configs, the
//! axum and hyper servers (cleartext and TLS), a certificate pair, the echo
//! checks, and raw HTTP/1.1 and HTTP/2 requests.

// Each test file uses a part of it.
#![allow(dead_code)]

use axum::routing::any;
use axum::Router;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sockwell_client::h2::H2Connection;
use sockwell_client::{ClientConfig, Connector};
use sockwell_server::axum::WebSocketUpgrade;
use sockwell_server::hyper::HyperWebSocket;
use sockwell_server::{DeflateConfig, Message, OriginPolicy, ServerConfig};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Generous bound on every network wait of these tests.
pub const LIMIT: Duration = Duration::from_secs(30);

pub fn server_config() -> ServerConfig {
    ServerConfig::default()
        .with_extension(DeflateConfig::default())
        .with_origins(OriginPolicy::allowed(["https://app.example"]))
}

pub fn client_config() -> ClientConfig {
    ClientConfig::default().with_extension(DeflateConfig::default())
}

/// Says which HTTP version the WebSocket came over, then echoes.
pub async fn echo(mut ws: HyperWebSocket, http2: bool) {
    let hello = if http2 { "http2" } else { "http1.1" };
    if ws.send(Message::text(hello)).await.is_err() {
        return;
    }
    while let Ok(message) = ws.read().await {
        if message.is_data() && ws.send(message).await.is_err() {
            break;
        }
    }
}

pub async fn axum_ws(upgrade: WebSocketUpgrade) -> axum::response::Response {
    let http2 = upgrade.is_http2();
    upgrade
        .config(server_config())
        .on_upgrade(move |ws| echo(ws.into_inner(), http2))
}

pub async fn axum_chat(upgrade: WebSocketUpgrade) -> axum::response::Response {
    let http2 = upgrade.is_http2();
    upgrade
        .config(server_config())
        .protocols(["superchat", "chat"])
        .on_upgrade(move |ws| echo(ws.into_inner(), http2))
}

pub fn router() -> Router {
    Router::new()
        .route("/ws", any(axum_ws))
        .route("/chat", any(axum_chat))
}

/// axum::serve: HTTP/1.1 and cleartext HTTP/2 on one port.
pub async fn serve_axum() -> SocketAddr {
    let app = router();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

pub async fn hyper_service(
    mut request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    match sockwell_server::hyper::upgrade(&mut request, &server_config()) {
        Ok((response, upgrading)) => {
            let http2 = upgrading.is_http2();
            tokio::spawn(async move {
                if let Ok(ws) = upgrading.await {
                    echo(ws, http2).await;
                }
            });
            Ok(response)
        }
        Err(rejection) => Ok(rejection.response),
    }
}

/// hyper_util's auto builder with the hyper helper: HTTP/1.1 and HTTP/2
/// on one port, over TLS (ALPN `h2`, `http/1.1`) when `tls` is given.
pub async fn serve_hyper(tls: Option<tokio_rustls::TlsAcceptor>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let tls = tls.clone();
            tokio::spawn(async move {
                let mut builder =
                    hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                builder.http2().enable_connect_protocol();
                let service = hyper::service::service_fn(hyper_service);
                let _ = match tls {
                    None => {
                        builder
                            .serve_connection_with_upgrades(TokioIo::new(tcp), service)
                            .await
                    }
                    Some(acceptor) => {
                        let Ok(stream) = acceptor.accept(tcp).await else {
                            return;
                        };
                        builder
                            .serve_connection_with_upgrades(TokioIo::new(stream), service)
                            .await
                    }
                };
            });
        }
    });
    addr
}

/// The axum router on hyper_util's auto builder over TLS (ALPN `h2`,
/// `http/1.1`), as an app serving HTTPS does it.
pub async fn serve_axum_tls(acceptor: tokio_rustls::TlsAcceptor) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut builder =
                    hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                builder.http2().enable_connect_protocol();
                let service = hyper_util::service::TowerToHyperService::new(app);
                let _ = builder
                    .serve_connection_with_upgrades(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// A CA and a `localhost` certificate it signs: the server's TLS (ALPN
/// `h2`, `http/1.1`) and a client connector that trusts the CA.
pub fn tls_pair() -> (tokio_rustls::TlsAcceptor, Connector) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "ws web test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)
        .unwrap();
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(ca.der().to_vec())).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (
        tokio_rustls::TlsAcceptor::from(Arc::new(server)),
        Connector::Rustls(Arc::new(client)),
    )
}

/// Echo through `ws`: text and binary, small and 1 MiB, byte-exact.
pub async fn check_echo<S>(ws: &mut sockwell_client::WebSocketStream<S>, expect_version: &str)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let hello = ws.read().await.unwrap();
    assert_eq!(hello, Message::text(expect_version));
    let big: Vec<u8> = (0..1 << 20).map(|i| (i * 7 % 251) as u8).collect();
    for message in [
        Message::text("hello over the web glue"),
        Message::binary(big),
        Message::text("é".repeat(40_000)),
    ] {
        ws.send(message.clone()).await.unwrap();
        assert_eq!(ws.read().await.unwrap(), message);
    }
}

pub fn agreed_deflate(response: &sockwell_client::Response) -> bool {
    response
        .headers()
        .get("sec-websocket-extensions")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("permessage-deflate"))
}

/// Over TLS on `port`: `h2_websockets` WebSockets on one HTTP/2 connection
/// (ALPN h2), then one over HTTP/1.1 on the same port (our HTTP/1.1 client
/// offers no ALPN); each agrees on deflate and echoes on its version.
pub async fn echo_over_tls_on_both_versions(port: u16, connector: Connector, h2_websockets: usize) {
    let run = async {
        let connection =
            H2Connection::connect(&format!("wss://localhost:{port}"), Some(connector.clone()))
                .await
                .unwrap();
        for _ in 0..h2_websockets {
            let (mut ws, response) = connection
                .open(
                    format!("wss://localhost:{port}/ws").as_str(),
                    client_config(),
                )
                .await
                .unwrap();
            assert!(agreed_deflate(&response), "{response:?}");
            check_echo(&mut ws, "http2").await;
        }
        let (mut ws, response) =
            sockwell_client::ClientBuilder::new(format!("wss://localhost:{port}/ws").as_str())
                .config(client_config())
                .connector(connector)
                .connect_async()
                .await
                .unwrap();
        assert!(agreed_deflate(&response), "{response:?}");
        check_echo(&mut ws, "http1.1").await;
    };
    tokio::time::timeout(LIMIT, run).await.unwrap();
}

/// Sends a raw HTTP/1.1 request head and returns the status line and the
/// whole answer.
pub async fn raw_http1(addr: SocketAddr, head: &str) -> (String, String) {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    // Until the head and its body are in (each answer here is short and
    // says its length), or the server closes.
    loop {
        let n = tcp.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&answer);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if answer.len() >= end + 4 + length {
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    (text.lines().next().unwrap_or_default().to_owned(), text)
}

pub fn http1_request(method: &str, extra: &[&str], without: &[&str]) -> String {
    let mut head = format!("{method} /ws HTTP/1.1\r\n");
    for line in [
        "Host: localhost",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    ] {
        if !without.iter().any(|w| line.starts_with(w)) {
            head.push_str(line);
            head.push_str("\r\n");
        }
    }
    for line in extra {
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    head
}

/// Sends an HTTP/2 request (prior knowledge) and returns its status.
pub async fn raw_http2(
    addr: SocketAddr,
    method: &str,
    protocol: Option<&'static str>,
    headers: &[(&str, &str)],
) -> hyper::Response<()> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (send, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut send = send.ready().await.unwrap();
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(format!("http://{addr}/ws"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut request = request.body(()).unwrap();
    if let Some(protocol) = protocol {
        request
            .extensions_mut()
            .insert(h2::ext::Protocol::from_static(protocol));
    }
    let (response, _stream) = send.send_request(request, false).unwrap();
    let (parts, _) = response.await.unwrap().into_parts();
    hyper::Response::from_parts(parts, ())
}
