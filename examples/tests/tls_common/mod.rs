//! What the `wss://` tests share: certificates made here with rcgen (a CA
//! and leaf certificates it signs), servers over rustls (sync
//! `StreamOwned`, tokio-rustls) and native-tls, round trips of our client
//! with permessage-deflate, and the checks on a TLS error's chain.

// Each test file uses a part of it.
#![allow(dead_code)]

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sockwell_client::{
    ClientConfig, ConnectError, Connector, DeflateConfig, Message, Protocol, WsError,
};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

pub const PAYLOAD: usize = 200_000;

// ---- certificates ----

pub fn ca() -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "sockwell-client test CA");
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// A certificate for `names`, signed by `ca`, with its key.
pub struct Leaf {
    pub cert: CertificateDer<'static>,
    pub key: PrivatePkcs8KeyDer<'static>,
    /// PEM forms, for native-tls's server side.
    #[cfg_attr(not(feature = "native-tls"), allow(dead_code))]
    pub cert_pem: String,
    #[cfg_attr(not(feature = "native-tls"), allow(dead_code))]
    pub key_pem: String,
}

pub fn leaf(ca: &CertifiedIssuer<'static, KeyPair>, names: &[&str]) -> Leaf {
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

pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

pub fn roots(ca: &CertifiedIssuer<'static, KeyPair>) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    roots
}

pub fn server_tls(leaf: &Leaf) -> Arc<rustls::ServerConfig> {
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
pub fn rustls_connector(ca: &CertifiedIssuer<'static, KeyPair>) -> Connector {
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots(ca))
        .with_no_client_auth();
    Connector::Rustls(Arc::new(config))
}

#[cfg(feature = "native-tls")]
pub fn native_connector(ca: &CertifiedIssuer<'static, KeyPair>) -> Connector {
    use sockwell_client::tls::native_tls;
    let root = native_tls::Certificate::from_pem(ca.pem().as_bytes()).unwrap();
    let connector = native_tls::TlsConnector::builder()
        .add_root_certificate(root)
        .build()
        .unwrap();
    Connector::NativeTls(connector)
}

pub fn deflate() -> ClientConfig {
    ClientConfig::default().with_extension(DeflateConfig::default())
}

// ---- servers ----

/// Echoes until the client closes; the number of messages echoed.
pub fn echo<S: Read + Write>(stream: S) -> Result<usize, String> {
    let config = sockwell_server::ServerConfig::default().with_extension(DeflateConfig::default());
    let mut ws = sockwell_server::accept_with_config(stream, config).map_err(|e| e.to_string())?;
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
pub fn rustls_server(config: Arc<rustls::ServerConfig>) -> Server {
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
pub fn native_tls_server(leaf: &Leaf) -> Server {
    use sockwell_client::tls::native_tls;
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

/// permessage-deflate is the first extension `protocol` agreed on.
pub fn assert_deflate_agreed(protocol: &Protocol) {
    let agreed: Vec<String> = protocol
        .extensions()
        .negotiated()
        .map(|e| e.to_string())
        .collect();
    assert!(agreed[0].starts_with("permessage-deflate"), "{agreed:?}");
}

pub fn messages() -> Vec<Message> {
    let text: String = "{\"id\": 1, \"name\": \"item\"}, ".repeat(PAYLOAD / 26);
    let binary: Vec<u8> = (0..PAYLOAD).map(|i| (i * 7 % 251) as u8).collect();
    vec![
        Message::text("hello over TLS"),
        Message::text(text),
        Message::binary(binary),
    ]
}

/// Connects, checks that TLS and compression are on, echoes, closes.
pub fn sync_round_trip(port: u16, connector: Connector) {
    let url = format!("wss://localhost:{port}/");
    let (mut ws, response) = sockwell_client::ClientBuilder::new(url)
        .config(deflate())
        .connector(connector)
        .connect()
        .expect("connect");
    assert_eq!(response.status(), 101);
    assert!(ws.get_ref().is_tls());
    assert_deflate_agreed(ws.protocol());
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
pub async fn async_round_trip(port: u16, connector: Connector) {
    let url = format!("wss://localhost:{port}/");
    let (mut ws, _) = sockwell_client::ClientBuilder::new(url)
        .config(deflate())
        .connector(connector)
        .connect_async()
        .await
        .expect("connect");
    assert!(ws.get_ref().is_tls());
    assert_deflate_agreed(ws.protocol());
    for m in messages() {
        ws.send(m.clone()).await.unwrap();
        assert_eq!(ws.read().await.unwrap(), m);
    }
    ws.close(None).await.unwrap();
    loop {
        match ws.read().await {
            Ok(_) => {}
            Err(WsError::ConnectionClosed) => break,
            Err(e) => panic!("after close: {e}"),
        }
    }
}

/// One async connection over tokio-rustls; the number of messages echoed.
#[cfg(feature = "tokio")]
pub async fn tokio_rustls_server(
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
        let server =
            sockwell_tokio::ServerConfig::default().with_extension(DeflateConfig::default());
        let mut ws = sockwell_tokio::accept_async_with_config(tls, server)
            .await
            .unwrap();
        let mut echoed = 0;
        loop {
            match ws.read().await {
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

// ---- errors ----

pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        out.push_str(": ");
        out.push_str(&e.to_string());
        source = e.source();
    }
    out
}

/// The error is `ConnectError::Tls` for localhost; its source, as the TLS library's
/// own error type, satisfies `check`. Display and source do not repeat.
pub fn tls_source<E: std::error::Error + 'static>(err: &ConnectError) -> &E {
    let ConnectError::Tls { host, source } = err else {
        panic!("not a TLS error: {err:?}");
    };
    assert_eq!(host, "localhost");
    let display = err.to_string();
    assert!(!display.contains(&source.to_string()), "{display}");
    source
        .downcast_ref::<E>()
        .unwrap_or_else(|| panic!("source is not the TLS library's error: {source:?}"))
}
