//! The web framework glue: the axum extractor and the hyper helper, over
//! HTTP/1.1 and HTTP/2 (RFC 8441; TLS with ALPN and cleartext prior
//! knowledge), with permessage-deflate, against our HTTP/1.1 and HTTP/2
//! clients and raw requests.

use axum::routing::any;
use axum::Router;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use ws_client::h2::H2Connection;
use ws_client::{ClientConfig, Connector};
use ws_server::axum::WebSocketUpgrade;
use ws_server::hyper::HyperWebSocket;
use ws_server::{DeflateConfig, Message, OriginPolicy, ServerConfig};

/// Generous bound on every network wait of these tests.
const LIMIT: Duration = Duration::from_secs(30);

fn server_config() -> ServerConfig {
    ServerConfig::default()
        .with_extension(DeflateConfig::default())
        .with_origins(OriginPolicy::allowed(["https://app.example"]))
}

fn client_config() -> ClientConfig {
    ClientConfig::default().with_extension(DeflateConfig::default())
}

/// Says which HTTP version the WebSocket came over, then echoes.
async fn echo(mut ws: HyperWebSocket, http2: bool) {
    let hello = if http2 { "http2" } else { "http1.1" };
    if ws.send(Message::text(hello)).await.is_err() {
        return;
    }
    while let Ok(message) = ws.recv().await {
        if message.is_data() && ws.send(message).await.is_err() {
            break;
        }
    }
}

async fn axum_ws(upgrade: WebSocketUpgrade) -> axum::response::Response {
    let http2 = upgrade.is_http2();
    upgrade
        .config(server_config())
        .on_upgrade(move |ws| echo(ws, http2))
}

async fn axum_chat(upgrade: WebSocketUpgrade) -> axum::response::Response {
    let http2 = upgrade.is_http2();
    upgrade
        .config(server_config())
        .protocols(["superchat", "chat"])
        .on_upgrade(move |ws| echo(ws, http2))
}

fn router() -> Router {
    Router::new()
        .route("/ws", any(axum_ws))
        .route("/chat", any(axum_chat))
}

/// axum::serve: HTTP/1.1 and cleartext HTTP/2 on one port.
async fn serve_axum() -> SocketAddr {
    let app = router();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

async fn hyper_service(
    mut request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    match ws_server::hyper::upgrade(&mut request, &server_config()) {
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
async fn serve_hyper(tls: Option<tokio_rustls::TlsAcceptor>) -> SocketAddr {
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
async fn serve_axum_tls(acceptor: tokio_rustls::TlsAcceptor) -> SocketAddr {
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
fn tls_pair() -> (tokio_rustls::TlsAcceptor, Connector) {
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
async fn check_echo<S>(ws: &mut ws_client::WebSocketStream<S>, expect_version: &str)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let hello = ws.recv().await.unwrap();
    assert_eq!(hello, Message::text(expect_version));
    let big: Vec<u8> = (0..1 << 20).map(|i| (i * 7 % 251) as u8).collect();
    for message in [
        Message::text("hello over the web glue"),
        Message::binary(big),
        Message::text("é".repeat(40_000)),
    ] {
        ws.send(message.clone()).await.unwrap();
        assert_eq!(ws.recv().await.unwrap(), message);
    }
}

fn agreed_deflate(response: &ws_client::Response) -> bool {
    response
        .headers()
        .get("sec-websocket-extensions")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("permessage-deflate"))
}

#[tokio::test]
async fn axum_http1_echo_with_deflate() {
    let addr = serve_axum().await;
    let url = format!("ws://{addr}/ws");
    let run = async {
        let (mut ws, response) =
            ws_client::connect_async_with_config(url.as_str(), client_config())
                .await
                .unwrap();
        assert!(agreed_deflate(&response), "{response:?}");
        check_echo(&mut ws, "http1.1").await;
        ws.close(None).await.unwrap();
    };
    tokio::time::timeout(LIMIT, run).await.unwrap();
}

#[tokio::test]
async fn axum_http2_prior_knowledge_three_websockets_on_one_connection() {
    let addr = serve_axum().await;
    let run = async {
        let connection = H2Connection::connect(&format!("ws://{addr}"), None)
            .await
            .unwrap();
        let mut sockets = Vec::new();
        for _ in 0..3 {
            let (ws, response) = connection
                .open(format!("ws://{addr}/ws").as_str(), client_config())
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            assert!(agreed_deflate(&response), "{response:?}");
            sockets.push(ws);
        }
        // All three open at once, used in turn and then together.
        for ws in &mut sockets {
            check_echo(ws, "http2").await;
        }
        let mut tasks = Vec::new();
        for (i, mut ws) in sockets.into_iter().enumerate() {
            tasks.push(tokio::spawn(async move {
                for round in 0..20 {
                    let m = Message::text(format!("socket {i} round {round}"));
                    ws.send(m.clone()).await.unwrap();
                    assert_eq!(ws.recv().await.unwrap(), m);
                }
                ws.close(None).await.unwrap();
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    };
    tokio::time::timeout(LIMIT, run).await.unwrap();
}

/// Over TLS on `port`: `h2_websockets` WebSockets on one HTTP/2 connection
/// (ALPN h2), then one over HTTP/1.1 on the same port (our HTTP/1.1 client
/// offers no ALPN); each agrees on deflate and echoes on its version.
async fn echo_over_tls_on_both_versions(port: u16, connector: Connector, h2_websockets: usize) {
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
        let (mut ws, response) = ws_client::connect_async_tls_with_config(
            format!("wss://localhost:{port}/ws").as_str(),
            client_config(),
            Some(connector),
        )
        .await
        .unwrap();
        assert!(agreed_deflate(&response), "{response:?}");
        check_echo(&mut ws, "http1.1").await;
    };
    tokio::time::timeout(LIMIT, run).await.unwrap();
}

#[tokio::test]
async fn hyper_helper_over_tls_http2_and_http1() {
    let (acceptor, connector) = tls_pair();
    let addr = serve_hyper(Some(acceptor)).await;
    echo_over_tls_on_both_versions(addr.port(), connector, 3).await;
}

#[tokio::test]
async fn hyper_helper_cleartext_http2_and_http1() {
    let addr = serve_hyper(None).await;
    let run = async {
        let (_connection, mut ws, response) =
            ws_client::h2::connect_h2(format!("ws://{addr}/ws").as_str(), client_config(), None)
                .await
                .unwrap();
        assert!(agreed_deflate(&response));
        check_echo(&mut ws, "http2").await;
        let (mut ws, _) = ws_client::connect_async_with_config(
            format!("ws://{addr}/ws").as_str(),
            client_config(),
        )
        .await
        .unwrap();
        check_echo(&mut ws, "http1.1").await;
    };
    tokio::time::timeout(LIMIT, run).await.unwrap();
}

/// Sends a raw HTTP/1.1 request head and returns the status line and the
/// whole answer.
async fn raw_http1(addr: SocketAddr, head: &str) -> (String, String) {
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

fn http1_request(method: &str, extra: &[&str], without: &[&str]) -> String {
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
async fn raw_http2(
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

#[tokio::test]
async fn invalid_upgrades_get_the_right_status_on_both_versions() {
    for addr in [serve_axum().await, serve_hyper(None).await] {
        let run = async {
            // HTTP/1.1
            let (status, _) =
                raw_http1(addr, &http1_request("GET", &[], &["Sec-WebSocket-Key"])).await;
            assert_eq!(status, "HTTP/1.1 400 Bad Request");
            let (status, answer) = raw_http1(addr, &http1_request("POST", &[], &[])).await;
            assert_eq!(status, "HTTP/1.1 405 Method Not Allowed", "{answer}");
            assert!(
                answer.to_ascii_lowercase().contains("allow: get"),
                "{answer}"
            );
            let (status, answer) = raw_http1(
                addr,
                &http1_request(
                    "GET",
                    &["Sec-WebSocket-Version: 8"],
                    &["Sec-WebSocket-Version"],
                ),
            )
            .await;
            assert_eq!(status, "HTTP/1.1 426 Upgrade Required", "{answer}");
            assert!(answer
                .to_ascii_lowercase()
                .contains("sec-websocket-version: 13"));

            // HTTP/2
            let version = [("sec-websocket-version", "13")];
            let r = raw_http2(addr, "GET", None, &version).await;
            assert_eq!(r.status(), 405);
            assert_eq!(r.headers()["allow"], "CONNECT");
            let r = raw_http2(addr, "CONNECT", Some("not-websocket"), &version).await;
            assert_eq!(r.status(), 400);
            let r = raw_http2(
                addr,
                "CONNECT",
                Some("websocket"),
                &[("sec-websocket-version", "8")],
            )
            .await;
            assert_eq!(r.status(), 426);
            let r = raw_http2(addr, "CONNECT", Some("websocket"), &version).await;
            assert_eq!(r.status(), 200, "a valid request for contrast");
        };
        tokio::time::timeout(LIMIT, run).await.unwrap();
    }
}

#[tokio::test]
async fn a_foreign_origin_is_403_on_both_versions() {
    for addr in [serve_axum().await, serve_hyper(None).await] {
        let run = async {
            let (status, answer) = raw_http1(
                addr,
                &http1_request("GET", &["Origin: https://evil.example"], &[]),
            )
            .await;
            assert_eq!(status, "HTTP/1.1 403 Forbidden", "{answer}");
            assert!(answer.contains("origin \"https://evil.example\" is not allowed"));
            let (status, _) = raw_http1(
                addr,
                &http1_request("GET", &["Origin: https://app.example"], &[]),
            )
            .await;
            assert_eq!(status, "HTTP/1.1 101 Switching Protocols");

            let evil = [
                ("sec-websocket-version", "13"),
                ("origin", "https://evil.example"),
            ];
            let r = raw_http2(addr, "CONNECT", Some("websocket"), &evil).await;
            assert_eq!(r.status(), 403);
            let good = [
                ("sec-websocket-version", "13"),
                ("origin", "https://app.example"),
            ];
            let r = raw_http2(addr, "CONNECT", Some("websocket"), &good).await;
            assert_eq!(r.status(), 200);
        };
        tokio::time::timeout(LIMIT, run).await.unwrap();
    }
}

#[tokio::test]
async fn a_server_without_extended_connect_is_refused_clearly() {
    // An HTTP/2 server that does not send SETTINGS_ENABLE_CONNECT_PROTOCOL.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
                let _ = builder
                    .serve_connection(TokioIo::new(tcp), hyper::service::service_fn(hyper_service))
                    .await;
            });
        }
    });
    let result = tokio::time::timeout(LIMIT, H2Connection::connect(&format!("ws://{addr}"), None))
        .await
        .unwrap();
    let err = result.unwrap_err();
    assert!(
        matches!(err, ws_client::Error::ExtendedConnectDisabled),
        "{err:?}"
    );
    assert!(err.to_string().contains("SETTINGS_ENABLE_CONNECT_PROTOCOL"));
}

#[tokio::test]
async fn axum_over_tls_http2_and_http1() {
    let (acceptor, connector) = tls_pair();
    let port = serve_axum_tls(acceptor).await.port();
    echo_over_tls_on_both_versions(port, connector, 1).await;
}

#[tokio::test]
async fn the_extractor_picks_a_subprotocol_on_both_versions() {
    let addr = serve_axum().await;
    let mut config = client_config();
    config.subprotocols = vec!["mqtt".into(), "chat".into()];
    let run = async {
        let (mut ws, response) = ws_client::connect_async_with_config(
            format!("ws://{addr}/chat").as_str(),
            config.clone(),
        )
        .await
        .unwrap();
        assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
        check_echo(&mut ws, "http1.1").await;
        let (_connection, mut ws, response) =
            ws_client::h2::connect_h2(format!("ws://{addr}/chat").as_str(), config, None)
                .await
                .unwrap();
        assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
        check_echo(&mut ws, "http2").await;
        // No common subprotocol: the upgrade goes on without one.
        let (_, response) = ws_client::connect_async_with_config(
            format!("ws://{addr}/ws").as_str(),
            client_config(),
        )
        .await
        .unwrap();
        assert!(response.headers().get("sec-websocket-protocol").is_none());
    };
    tokio::time::timeout(LIMIT, run).await.unwrap();
}

#[tokio::test]
async fn the_http2_client_reports_a_refusal_with_its_status() {
    let addr = serve_axum().await;
    let run = async {
        let connection = H2Connection::connect(&format!("ws://{addr}"), None)
            .await
            .unwrap();
        let request = hyper::Request::builder()
            .uri(format!("ws://{addr}/ws"))
            .header("origin", "https://evil.example")
            .body(())
            .unwrap();
        let err = connection.open(request, client_config()).await.unwrap_err();
        match &err {
            ws_client::Error::Handshake(ws_client::UpgradeError::UnexpectedStatus(response)) => {
                assert_eq!(response.status(), 403)
            }
            other => panic!("{other:?}"),
        }
        // The connection stays usable for the next WebSocket.
        let (mut ws, _) = connection
            .open(format!("ws://{addr}/ws").as_str(), client_config())
            .await
            .unwrap();
        check_echo(&mut ws, "http2").await;
    };
    tokio::time::timeout(LIMIT, run).await.unwrap();
}
