//! `ws serve` over TLS holds one deadline for the TLS and the WebSocket
//! handshakes together: a client that trickles its ClientHello is dropped
//! at it, and so is one that finishes TLS slowly and then trickles its
//! upgrade request (which does not get a deadline of its own on top).

mod common;

use common::{serve, temp_dir};
use rcgen::{CertificateParams, KeyPair};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(2);
/// How late after the deadline a drop may be seen (a tick to notice it, a
/// loaded machine); the slow-TLS client would be dropped 1.5 s late
/// without the one deadline.
const LATE: Duration = Duration::from_millis(1200);
/// Far above the deadline; only a server that does not drop us waits it out.
const BOUND: Duration = Duration::from_secs(10);
/// The pace of a trickle.
const TICK: Duration = Duration::from_millis(200);

/// A `ws serve --cert --key` with the test's deadline; its address.
fn tls_server(name: &str) -> (common::Ws, String) {
    let dir = temp_dir(name);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let secs = DEADLINE.as_secs_f64().to_string();
    let (server, url) = serve(&[
        "--cert",
        cert_path.to_str().unwrap(),
        "--key",
        key_path.to_str().unwrap(),
        "--handshake-timeout",
        &secs,
    ]);
    let addr = url
        .trim_start_matches("wss://")
        .trim_end_matches('/')
        .to_owned();
    (server, addr)
}

/// Whether the server has dropped the connection, waiting at most one
/// tick for it to say so (what it sends meanwhile is read and dropped).
fn dropped(tcp: &mut TcpStream) -> bool {
    tcp.set_read_timeout(Some(TICK)).unwrap();
    let mut scratch = [0; 4096];
    match tcp.read(&mut scratch) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
        Err(_) => true,
    }
}

/// Writes `bytes` one at a time, a tick apart, until the server drops
/// the connection; how long after `start` that was.
fn trickle_until_dropped(tcp: &mut TcpStream, bytes: &[u8], start: Instant) -> Duration {
    for byte in bytes.iter().cycle() {
        if tcp.write_all(&[*byte]).is_err() || dropped(tcp) {
            return start.elapsed();
        }
        assert!(start.elapsed() < BOUND, "the server kept the connection");
    }
    unreachable!("a cycle does not end")
}

fn assert_at_the_deadline(took: Duration) {
    assert!(took >= DEADLINE, "dropped early: {took:?}");
    assert!(took < DEADLINE + LATE, "dropped late: {took:?}");
}

#[test]
fn a_trickled_client_hello_is_dropped_at_the_deadline() {
    let (mut server, addr) = tls_server("trickled-hello");
    let mut tcp = TcpStream::connect(&addr).unwrap();
    let start = Instant::now();
    // A handshake record header announcing 512 bytes, then zeros.
    let took = trickle_until_dropped(&mut tcp, &[0x16, 0x03, 0x01, 0x02, 0x00, 0], start);
    assert_at_the_deadline(took);
    server.wait_for("TLS handshake timed out");
}

#[test]
fn a_slow_tls_handshake_leaves_the_upgrade_only_what_is_left() {
    let (mut server, addr) = tls_server("slow-tls");
    let mut tcp = TcpStream::connect(&addr).unwrap();
    let start = Instant::now();
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate))
        .with_no_client_auth();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    // The ClientHello in three pieces, three-quarters of the deadline
    // apart in all.
    let mut hello = Vec::new();
    tls.write_tls(&mut hello).unwrap();
    for piece in hello.chunks(hello.len().div_ceil(3)) {
        tcp.write_all(piece).unwrap();
        std::thread::sleep(DEADLINE / 4);
    }
    tcp.set_read_timeout(Some(BOUND)).unwrap();
    while tls.is_handshaking() {
        tls.complete_io(&mut tcp).unwrap();
    }
    // Then the upgrade request, one byte (one TLS record) a tick apart.
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    let mut records = Vec::new();
    for byte in request.bytes() {
        tls.writer().write_all(&[byte]).unwrap();
        let mut record = Vec::new();
        tls.write_tls(&mut record).unwrap();
        records.push(record);
    }
    let mut sent = 0;
    let took = loop {
        let Some(record) = records.get(sent) else {
            panic!("the whole request went through");
        };
        sent += 1;
        if tcp.write_all(record).is_err() || dropped(&mut tcp) {
            break start.elapsed();
        }
        assert!(start.elapsed() < BOUND, "the server kept the connection");
    };
    assert_at_the_deadline(took);
    let line = server.wait_for("handshake failed");
    assert!(
        line.contains(&format!("did not complete within {DEADLINE:?}")),
        "{line}"
    );
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The test trusts the server it started.
#[derive(Debug)]
struct AnyCertificate;

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}
