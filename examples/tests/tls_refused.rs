//! `wss://` on 127.0.0.1, what must fail and how it says so: a certificate
//! from an unknown issuer, a name the certificate does not carry, a TLS
//! alert, a server that never answers; each an `ConnectError::Tls` whose source
//! is the TLS library's own error.

// The servers use rustls in every test, so the file needs the rustls feature.
#![cfg(feature = "rustls")]

mod tls_common;

use tls_common::*;

use rustls::pki_types::PrivateKeyDer;
use sockwell_client::{ClientConfig, ConnectError, Connector};
use std::net::TcpListener;
use std::sync::Arc;
use std::thread::{self};
use std::time::Duration;

#[test]
fn rustls_refuses_a_certificate_from_an_unknown_issuer() {
    let ca = ca();
    let (addr, server) = rustls_server(server_tls(&leaf(&ca, &["localhost"])));
    // The default connector trusts the public roots only.
    let err = sockwell_client::connect(format!("wss://localhost:{}/", addr.port())).unwrap_err();
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
    let err = sockwell_client::ClientBuilder::new(url)
        .config(deflate())
        .connector(rustls_connector(&ca))
        .connect()
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
    let err = sockwell_client::ClientBuilder::new(url)
        .config(deflate())
        .connector(Connector::Rustls(Arc::new(client)))
        .connect()
        .unwrap_err();
    let source: &rustls::Error = tls_source(&err);
    assert_eq!(
        source,
        &rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion)
    );
    assert!(handle.join().unwrap().is_err());
}

#[test]
fn a_ca_certificate_as_the_servers_own_is_refused_with_a_hint() {
    // What `openssl req -x509` makes: a self-signed certificate with
    // CA:TRUE, here trusted as its own root.
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let server = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    let (addr, handle) = rustls_server(Arc::new(server));
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.der().clone()).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let url = format!("wss://localhost:{}/", addr.port());
    let err = sockwell_client::ClientBuilder::new(url)
        .config(deflate())
        .connector(Connector::Rustls(Arc::new(client)))
        .connect()
        .unwrap_err();
    assert!(err.is_ca_used_as_end_entity(), "{err:?}");
    let said = err.to_string();
    assert!(
        said.contains("leaf certificate") && said.contains("native-tls"),
        "{said}"
    );
    // The cause is the source's to say, not repeated.
    assert!(!said.contains("CaUsedAsEndEntity"), "{said}");
    assert!(error_chain(&err).contains("CaUsedAsEndEntity"), "{err:?}");
    assert!(handle.join().unwrap().is_err());
    // Other refusals carry no such hint.
    let ca = ca();
    let (addr, server) = rustls_server(server_tls(&leaf(&ca, &["localhost"])));
    let err = sockwell_client::connect(format!("wss://localhost:{}/", addr.port())).unwrap_err();
    assert!(!err.is_ca_used_as_end_entity());
    assert!(!err.to_string().contains("leaf certificate"), "{err}");
    assert!(server.join().unwrap().is_err());
}

#[cfg(feature = "native-tls")]
#[test]
fn native_tls_refuses_a_certificate_from_an_unknown_issuer() {
    let ca = ca();
    let (addr, server) = rustls_server(server_tls(&leaf(&ca, &["localhost"])));
    let platform = sockwell_client::tls::native_tls::TlsConnector::new().unwrap();
    let url = format!("wss://localhost:{}/", addr.port());
    let err = sockwell_client::ClientBuilder::new(url)
        .config(deflate())
        .connector(Connector::NativeTls(platform))
        .connect()
        .unwrap_err();
    let _: &sockwell_client::tls::native_tls::Error = tls_source(&err);
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
    let err = sockwell_client::connect_async(format!("wss://localhost:{port}/"))
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
    let err = sockwell_client::ClientBuilder::new(url)
        .config(config)
        .connector(rustls_connector(&ca))
        .connect()
        .unwrap_err();
    assert!(
        matches!(err, ConnectError::Handshake(sockwell_client::HandshakeError::Timeout(d)) if d == limit),
        "{err:?}"
    );
    drop(holder.join().unwrap());
}
