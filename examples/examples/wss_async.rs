//! A `wss://` echo server on the async driver, and a client for it: TLS by
//! tokio-rustls (the TLS handshake first, then the WebSocket handshake over
//! its `TlsStream`, both within one timeout). permessage-deflate is on at
//! both ends.
//!
//! The certificate is made at start (rcgen: a CA, and a certificate for
//! `localhost` it signs); the client trusts that CA. A real server loads
//! its certificate chain and key from PEM files instead
//! (`CertificateDer::pem_file_iter`, `PrivateKeyDer::from_pem_file`).
//!
//! `cargo run -p sockwell-examples --example wss_async`

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use sockwell_server::{DeflateConfig, Message, ServerConfig, WsError};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

async fn serve(
    tcp: TcpStream,
    acceptor: tokio_rustls::TlsAcceptor,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let config = ServerConfig::default().with_extension(DeflateConfig::default());
    // A client that stalls in either handshake is dropped after 10 s.
    let handshakes = async {
        let tls = acceptor.accept(tcp).await?;
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(
            sockwell_server::accept_async_with_config(tls, config).await?,
        )
    };
    let mut ws = tokio::time::timeout(Duration::from_secs(10), handshakes).await??;
    loop {
        match ws.read().await {
            Ok(m) if m.is_data() => ws.send(m).await?,
            Ok(_) => {}
            Err(WsError::ConnectionClosed) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());

    // A CA and a certificate for localhost signed by it.
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // Distinct names: OpenSSL takes a leaf whose issuer name equals its own
    // subject name for a self-signed certificate.
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "ws example CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
    let key = KeyPair::generate()?;
    let cert = CertificateParams::new(vec!["localhost".to_string()])?.signed_by(&key, &ca)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));

    let tls = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    println!("listening on wss://localhost:{port}/");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Err(e) = serve(tcp, acceptor).await {
                    eprintln!("connection: {e}");
                }
            });
        }
    });

    // The client: trusts the CA above, offers permessage-deflate.
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone())?;
    let client_tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = sockwell_client::Connector::Rustls(Arc::new(client_tls));
    let config = sockwell_client::ClientConfig::default().with_extension(DeflateConfig::default());
    let url = format!("wss://localhost:{port}/");
    let (mut ws, _) = sockwell_client::ClientBuilder::new(url)
        .config(config)
        .connector(connector)
        .connect_async()
        .await?;
    for agreed in ws.protocol().extensions().negotiated() {
        println!("negotiated extensions: {agreed}");
    }
    for text in ["hello", "over TLS", "with permessage-deflate"] {
        ws.send(Message::text(text)).await?;
        println!("echo: {:?}", ws.read().await?);
    }
    ws.close(None).await?;
    while !matches!(ws.read().await, Err(WsError::ConnectionClosed)) {}
    println!("closing handshake complete");
    Ok(())
}
