//! `wss://` end to end on 127.0.0.1, what must work: our client over each
//! TLS backend (rustls, native-tls) with permessage-deflate, sync and
//! async, against a server whose certificate a custom root signed, and a
//! client certificate from the connector. The refusals are in
//! `tls_refused.rs`; the certificates and servers in `tls_common/`.

// The servers use rustls in every test (also where the client uses
// native-tls), so the file needs the rustls feature.
#![cfg(feature = "rustls")]

mod tls_common;

use tls_common::*;

use rustls::pki_types::PrivateKeyDer;
use sockwell_client::Connector;
use std::sync::Arc;

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
    let err = sockwell_client::ClientBuilder::new(url)
        .config(deflate())
        .connector(rustls_connector(&ca))
        .connect()
        .unwrap_err();
    assert!(handle.join().unwrap().is_err());
    let chain = error_chain(&err);
    assert!(chain.contains("CertificateRequired"), "{chain}");
}
