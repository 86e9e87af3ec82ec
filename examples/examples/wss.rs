//! A `wss://` echo server on the sync driver, and a client for it: TLS by
//! rustls, whose `StreamOwned` is the stream the WebSocket handshake runs
//! on (the TLS handshake happens within the WebSocket handshake's first
//! read). permessage-deflate is on at both ends.
//!
//! The certificate is made at start (rcgen: a CA, and a certificate for
//! `localhost` it signs); the client trusts that CA. A real server loads
//! its certificate chain and key from PEM files instead
//! (`CertificateDer::pem_file_iter`, `PrivateKeyDer::from_pem_file`, as
//! `autobahn/src/bin/interop/` does).
//!
//! `cargo run -p sockwell-examples --example wss`

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use sockwell_server::{DeflateConfig, Message, ResumableError, ServerConfig, WsError};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

fn serve(tcp: TcpStream, tls: Arc<rustls::ServerConfig>) -> Result<(), Box<dyn std::error::Error>> {
    // Short socket timeouts let the handshake check its deadline
    // (ServerConfig::handshake_timeout, 10 s) between reads, so a client
    // that stalls in the TLS or the WebSocket handshake is dropped.
    tcp.set_read_timeout(Some(Duration::from_millis(250)))?;
    tcp.set_write_timeout(Some(Duration::from_millis(250)))?;
    let stream = rustls::StreamOwned::new(rustls::ServerConnection::new(tls)?, tcp);
    let config = ServerConfig::default().with_extension(DeflateConfig::default());
    let mut attempt = sockwell_server::accept_with_config(stream, config);
    let mut ws = loop {
        match attempt {
            Ok(ws) => break ws,
            Err(ResumableError::Interrupted(mid)) => attempt = mid.handshake().map(|(ws, _)| ws),
            Err(ResumableError::Failure(e)) => return Err(e.into()),
        }
    };
    ws.get_ref().sock.set_read_timeout(None)?;
    ws.get_ref().sock.set_write_timeout(None)?;
    loop {
        match ws.read() {
            Ok(m) if m.is_data() => ws.send(m)?,
            Ok(_) => {}
            Err(WsError::ConnectionClosed) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
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
    let tls = Arc::new(tls);
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    println!("listening on wss://localhost:{port}/");
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let tls = tls.clone();
            std::thread::spawn(move || {
                if let Err(e) = serve(tcp, tls) {
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
        .connect()?;
    for agreed in ws.protocol().extensions().negotiated() {
        println!("negotiated extensions: {agreed}");
    }
    for text in ["hello", "over TLS", "with permessage-deflate"] {
        ws.send(Message::text(text))?;
        println!("echo: {:?}", ws.read()?);
    }
    ws.close(None)?;
    while !matches!(ws.read(), Err(WsError::ConnectionClosed)) {}
    println!("closing handshake complete");
    Ok(())
}
