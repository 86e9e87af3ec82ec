//! `wss://` end to end on 127.0.0.1: certificates made here with rcgen (a
//! CA and leaf certificates it signs), servers over rustls (sync
//! `StreamOwned`, tokio-rustls) and native-tls, and our client over each
//! TLS backend with permessage-deflate, sync and async. Then what must fail:
//! a certificate from an unknown issuer, a name the certificate does not
//! carry, a TLS alert, a server that never answers, a missing client
//! certificate.

// The servers use rustls in every test (also where the client uses
// native-tls), so the file needs the rustls feature.
#![cfg(feature = "rustls")]

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;
use ws_client::{ClientConfig, Connector, DeflateConfig, Error, Message, WsError};

const PAYLOAD: usize = 200_000;

// ---- certificates ----

fn ca() -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "ws-client test CA");
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// A certificate for `names`, signed by `ca`, with its key.
struct Leaf {
    cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
    /// PEM forms, for native-tls's server side.
    #[cfg_attr(not(feature = "native-tls"), allow(dead_code))]
    cert_pem: String,
    #[cfg_attr(not(feature = "native-tls"), allow(dead_code))]
    key_pem: String,
}

fn leaf(ca: &CertifiedIssuer<'static, KeyPair>, names: &[&str]) -> Leaf {
    let key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let cert = CertificateParams::new(names)
        .unwrap()
        .signed_by(&key, ca)
        .unwrap();
    Leaf {
        cert: cert.der().clone(),
        cert_pem: cert.pem(),
        key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        key_pem: key.serialize_pem(),
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn roots(ca: &CertifiedIssuer<'static, KeyPair>) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    roots
}

fn server_tls(leaf: &Leaf) -> Arc<rustls::ServerConfig> {
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.cert.clone()],
            PrivateKeyDer::Pkcs8(leaf.key.clone_key()),
        )
        .unwrap();
    Arc::new(config)
}

/// Our client trusting only `ca`, with rustls.
fn rustls_connector(ca: &CertifiedIssuer<'static, KeyPair>) -> Connector {
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots(ca))
        .with_no_client_auth();
    Connector::Rustls(Arc::new(config))
}

#[cfg(feature = "native-tls")]
fn native_connector(ca: &CertifiedIssuer<'static, KeyPair>) -> Connector {
    use ws_client::tls::native_tls;
    let root = native_tls::Certificate::from_pem(ca.pem().as_bytes()).unwrap();
    let connector = native_tls::TlsConnector::builder()
        .add_root_certificate(root)
        .build()
        .unwrap();
    Connector::NativeTls(connector)
}

fn deflate() -> ClientConfig {
    ClientConfig::default().with_extension(DeflateConfig::default())
}

// ---- servers ----

/// Echoes until the client closes; the number of messages echoed.
fn echo<S: Read + Write>(stream: S) -> Result<usize, String> {
    let config = ws_server::ServerConfig::default().with_extension(DeflateConfig::default());
    let mut ws = ws_server::accept_with_config(stream, config).map_err(|e| e.to_string())?;
    let mut echoed = 0;
    loop {
        match ws.read() {
            Ok(m) if m.is_data() => {
                ws.send(m).map_err(|e| e.to_string())?;
                echoed += 1;
            }
            Ok(_) => {}
            Err(WsError::ConnectionClosed) => return Ok(echoed),
            Err(e) => return Err(e.to_string()),
        }
    }
}

type Server = (SocketAddr, JoinHandle<Result<usize, String>>);

/// One connection over rustls (`StreamOwned`, the TLS handshake driven by
/// the WebSocket handshake's first read).
fn rustls_server(config: Arc<rustls::ServerConfig>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        let conn = rustls::ServerConnection::new(config).map_err(|e| e.to_string())?;
        echo(rustls::StreamOwned::new(conn, tcp))
    });
    (addr, handle)
}

/// One connection over native-tls.
#[cfg(feature = "native-tls")]
fn native_tls_server(leaf: &Leaf) -> Server {
    use ws_client::tls::native_tls;
    let identity =
        native_tls::Identity::from_pkcs8(leaf.cert_pem.as_bytes(), leaf.key_pem.as_bytes())
            .unwrap();
    let acceptor = native_tls::TlsAcceptor::new(identity).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        echo(acceptor.accept(tcp).map_err(|e| e.to_string())?)
    });
    (addr, handle)
}

// ---- clients ----

fn messages() -> Vec<Message> {
    let text: String = "{\"id\": 1, \"name\": \"item\"}, ".repeat(PAYLOAD / 26);
    let binary: Vec<u8> = (0..PAYLOAD).map(|i| (i * 7 % 251) as u8).collect();
    vec![
        Message::text("hello over TLS"),
        Message::text(text),
        Message::binary(binary),
    ]
}

/// Connects, checks that TLS and compression are on, echoes, closes.
fn sync_round_trip(port: u16, connector: Connector) {
    let url = format!("wss://localhost:{port}/");
    let (mut ws, response) =
        ws_client::connect_tls_with_config(url, deflate(), Some(connector)).expect("connect");
    assert_eq!(response.status(), 101);
    assert!(ws.get_ref().is_tls());
    let agreed: Vec<String> = ws
        .protocol()
        .extensions()
        .negotiated()
        .map(|e| e.to_string())
        .collect();
    assert!(agreed[0].starts_with("permessage-deflate"), "{agreed:?}");
    for m in messages() {
        ws.send(m.clone()).unwrap();
        assert_eq!(ws.read().unwrap(), m);
    }
    ws.close(None).unwrap();
    loop {
        match ws.read() {
            Ok(_) => {}
            Err(WsError::ConnectionClosed) => break,
            Err(e) => panic!("after close: {e}"),
        }
    }
}

#[cfg(feature = "tokio")]
async fn async_round_trip(port: u16, connector: Connector) {
    let url = format!("wss://localhost:{port}/");
    let (mut ws, _) = ws_client::connect_async_tls_with_config(url, deflate(), Some(connector))
        .await
        .expect("connect");
    assert!(ws.get_ref().is_tls());
    let agreed: Vec<String> = ws
        .protocol()
        .extensions()
        .negotiated()
        .map(|e| e.to_string())
        .collect();
    assert!(agreed[0].starts_with("permessage-deflate"), "{agreed:?}");
    for m in messages() {
        ws.send(m.clone()).await.unwrap();
        assert_eq!(ws.recv().await.unwrap(), m);
    }
    ws.close(None).await.unwrap();
    loop {
        match ws.recv().await {
            Ok(_) => {}
            Err(WsError::ConnectionClosed) => break,
            Err(e) => panic!("after close: {e}"),
        }
    }
}

/// One async connection over tokio-rustls; the number of messages echoed.
#[cfg(feature = "tokio")]
async fn tokio_rustls_server(
    config: Arc<rustls::ServerConfig>,
) -> (u16, tokio::task::JoinHandle<usize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let tls = tokio_rustls::TlsAcceptor::from(config)
            .accept(tcp)
            .await
            .unwrap();
        let server = ws_tokio::ServerConfig::default().with_extension(DeflateConfig::default());
        let mut ws = ws_tokio::accept_async_with_config(tls, server)
            .await
            .unwrap();
        let mut echoed = 0;
        loop {
            match ws.recv().await {
                Ok(m) if m.is_data() => {
                    ws.send(m).await.unwrap();
                    echoed += 1;
                }
                Ok(_) => {}
                Err(WsError::ConnectionClosed) => return echoed,
                Err(e) => panic!("server: {e}"),
            }
        }
    });
    (port, handle)
}

// ---- what must work ----

#[test]
fn rustls_sync_with_a_custom_root_and_deflate() {
    let ca = ca();
    let (addr, server) = rustls_server(server_tls(&leaf(&ca, &["localhost"])));
    sync_round_trip(addr.port(), rustls_connector(&ca));
    assert_eq!(server.join().unwrap(), Ok(messages().len()));
}

#[cfg(feature = "native-tls")]
#[test]
fn native_tls_sync_with_a_custom_root_and_deflate() {
    let ca = ca();
    let (addr, server) = native_tls_server(&leaf(&ca, &["localhost"]));
    sync_round_trip(addr.port(), native_connector(&ca));
    assert_eq!(server.join().unwrap(), Ok(messages().len()));
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn rustls_async_with_a_custom_root_and_deflate() {
    let ca = ca();
    let (port, server) = tokio_rustls_server(server_tls(&leaf(&ca, &["localhost"]))).await;
    async_round_trip(port, rustls_connector(&ca)).await;
    assert_eq!(server.await.unwrap(), messages().len());
}

#[cfg(all(feature = "tokio", feature = "native-tls"))]
#[tokio::test]
async fn native_tls_async_with_a_custom_root_and_deflate() {
    let ca = ca();
    let (port, server) = tokio_rustls_server(server_tls(&leaf(&ca, &["localhost"]))).await;
    async_round_trip(port, native_connector(&ca)).await;
    assert_eq!(server.await.unwrap(), messages().len());
}

#[test]
fn client_certificate_from_the_connector() {
    let ca = ca();
    let server_leaf = leaf(&ca, &["localhost"]);
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots(&ca)),
        provider(),
    )
    .build()
    .unwrap();
    let server = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![server_leaf.cert.clone()],
            PrivateKeyDer::Pkcs8(server_leaf.key.clone_key()),
        )
        .unwrap();
    let server = Arc::new(server);
    let client_leaf = leaf(&ca, &["client.test"]);
    let client = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots(&ca))
        .with_client_auth_cert(
            vec![client_leaf.cert.clone()],
            PrivateKeyDer::Pkcs8(client_leaf.key.clone_key()),
        )
        .unwrap();
    let (addr, handle) = rustls_server(server.clone());
    sync_round_trip(addr.port(), Connector::Rustls(Arc::new(client)));
    assert_eq!(handle.join().unwrap(), Ok(messages().len()));

    // Without one, the server refuses (TLS 1.3: the client hears it when
    // it reads the answer to its upgrade request).
    let (addr, handle) = rustls_server(server);
    let url = format!("wss://localhost:{}/", addr.port());
    let err = ws_client::connect_tls_with_config(url, deflate(), Some(rustls_connector(&ca)))
        .unwrap_err();
    assert!(handle.join().unwrap().is_err());
    let chain = error_chain(&err);
    assert!(chain.contains("CertificateRequired"), "{chain}");
}

// ---- what must fail, and how it says so ----

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        out.push_str(": ");
        out.push_str(&e.to_string());
        source = e.source();
    }
    out
}

/// The error is `Error::Tls` for localhost; its source, as the TLS library's
/// own error type, satisfies `check`. Display and source do not repeat.
fn tls_source<E: std::error::Error + 'static>(err: &Error) -> &E {
    let Error::Tls { host, source } = err else {
        panic!("not a TLS error: {err:?}");
    };
    assert_eq!(host, "localhost");
    let display = err.to_string();
    assert!(!display.contains(&source.to_string()), "{display}");
    source
        .downcast_ref::<E>()
        .unwrap_or_else(|| panic!("source is not the TLS library's error: {source:?}"))
}

#[test]
fn rustls_refuses_a_certificate_from_an_unknown_issuer() {
    let ca = ca();
    let (addr, server) = rustls_server(server_tls(&leaf(&ca, &["localhost"])));
    // The default connector trusts the public roots only.
    let err = ws_client::connect(format!("wss://localhost:{}/", addr.port())).unwrap_err();
    let source: &rustls::Error = tls_source(&err);
    assert!(
        matches!(
            source,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)
        ),
        "{source:?}"
    );
    assert!(server.join().unwrap().is_err());
}

#[test]
fn rustls_refuses_a_certificate_for_another_name() {
    let ca = ca();
    let (addr, server) = rustls_server(server_tls(&leaf(&ca, &["other.example"])));
    let url = format!("wss://localhost:{}/", addr.port());
    let err = ws_client::connect_tls_with_config(url, deflate(), Some(rustls_connector(&ca)))
        .unwrap_err();
    let source: &rustls::Error = tls_source(&err);
    assert!(
        matches!(
            source,
            rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                    | rustls::CertificateError::NotValidForNameContext { .. }
            )
        ),
        "{source:?}"
    );
    assert!(server.join().unwrap().is_err());
}

#[test]
fn rustls_reports_the_alert_the_server_sent() {
    // The server speaks TLS 1.2 only, the client 1.3 only: the server
    // answers the ClientHello with a protocol_version alert.
    let ca = ca();
    let server_leaf = leaf(&ca, &["localhost"]);
    let server = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![server_leaf.cert.clone()],
            PrivateKeyDer::Pkcs8(server_leaf.key.clone_key()),
        )
        .unwrap();
    let (addr, handle) = rustls_server(Arc::new(server));
    let client = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots(&ca))
        .with_no_client_auth();
    let url = format!("wss://localhost:{}/", addr.port());
    let err = ws_client::connect_tls_with_config(
        url,
        deflate(),
        Some(Connector::Rustls(Arc::new(client))),
    )
    .unwrap_err();
    let source: &rustls::Error = tls_source(&err);
    assert_eq!(
        source,
        &rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion)
    );
    assert!(handle.join().unwrap().is_err());
}

#[cfg(feature = "native-tls")]
#[test]
fn native_tls_refuses_a_certificate_from_an_unknown_issuer() {
    let ca = ca();
    let (addr, server) = rustls_server(server_tls(&leaf(&ca, &["localhost"])));
    let platform = ws_client::tls::native_tls::TlsConnector::new().unwrap();
    let url = format!("wss://localhost:{}/", addr.port());
    let err =
        ws_client::connect_tls_with_config(url, deflate(), Some(Connector::NativeTls(platform)))
            .unwrap_err();
    let _: &ws_client::tls::native_tls::Error = tls_source(&err);
    assert!(server.join().unwrap().is_err());
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn async_refuses_a_certificate_from_an_unknown_issuer() {
    let ca = ca();
    let config = server_tls(&leaf(&ca, &["localhost"]));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        tokio_rustls::TlsAcceptor::from(config)
            .accept(tcp)
            .await
            .is_err()
    });
    let err = ws_client::connect_async(format!("wss://localhost:{port}/"))
        .await
        .unwrap_err();
    let source: &rustls::Error = tls_source(&err);
    assert!(
        matches!(source, rustls::Error::InvalidCertificate(_)),
        "{source:?}"
    );
    assert!(server.await.unwrap(), "the server saw the handshake fail");
}

#[test]
fn a_server_that_never_answers_the_client_hello_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts and holds the connection, says nothing.
    let holder = thread::spawn(move || listener.accept().map(|(tcp, _)| tcp));
    let limit = Duration::from_millis(300);
    let config = ClientConfig::default().with_handshake_timeout(Some(limit));
    let url = format!("wss://127.0.0.1:{port}/");
    let ca = ca();
    let err =
        ws_client::connect_tls_with_config(url, config, Some(rustls_connector(&ca))).unwrap_err();
    assert!(
        matches!(err, Error::Handshake(ws_client::UpgradeError::Timeout(d)) if d == limit),
        "{err:?}"
    );
    drop(holder.join().unwrap());
}
