//! Our side of the interop runs against Python `websockets` (see `interop/run.sh`).
//!
//! `interop server ADDR [FLAGS]`: echo server with permessage-deflate, prints
//! "listening on ADDR". `interop client URL [FLAGS]`: sends messages of several
//! sizes, checks every echo byte for byte, prints what was negotiated.
//! FLAGS: `--snct --cnct --smwb N --cmwb N`, the RFC 7692 parameters, and
//! `--async` for the tokio driver instead of the sync one.
//!
//! `wss://`: `interop server ADDR --tls CERT_PEM KEY_PEM` serves over TLS
//! (rustls; CERT_PEM may hold the whole chain), and `interop client
//! wss://… --ca CA_PEM` trusts that CA instead of the public roots.
//! `interop cert DIR` writes a CA (`ca.pem`) and a certificate for
//! localhost and 127.0.0.1 signed by it (`cert.pem`, `key.pem`) for such runs.
//!
//! The web glue: `interop server ADDR --axum` serves the echo on every path
//! through the axum extractor (`ws_server::axum`), HTTP/1.1 and HTTP/2 with
//! prior knowledge on one port, and with `--tls` ALPN `h2` and `http/1.1`;
//! `interop client URL --h2` runs its messages over an HTTP/2 extended
//! CONNECT (RFC 8441) instead of an HTTP/1.1 upgrade.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;
use ws_client::{ClientConfig, Connector, DeflateConfig};
use ws_core::{Error, Message};
use ws_server::{HandshakeError, ServerConfig};

type BoxError = Box<dyn std::error::Error>;

/// Takes `--NAME VALUE…` (`count` values) out of `args`.
fn take_option(
    args: &mut Vec<String>,
    name: &str,
    count: usize,
) -> Result<Option<Vec<String>>, String> {
    let Some(at) = args.iter().position(|a| a == name) else {
        return Ok(None);
    };
    if args.len() < at + 1 + count {
        return Err(format!("{name} needs {count} value(s)"));
    }
    let values = args.drain(at..at + 1 + count).skip(1).collect();
    Ok(Some(values))
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The server's TLS configuration from a PEM chain and key.
fn server_tls(cert: &str, key: &str) -> Result<Arc<rustls::ServerConfig>, BoxError> {
    let chain = CertificateDer::pem_file_iter(cert)?.collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_file(key)?;
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    Ok(Arc::new(config))
}

/// A client connector trusting the CA certificates in `ca` (PEM).
fn client_tls(ca: &str) -> Result<Connector, BoxError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca)? {
        roots.add(cert?)?;
    }
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Connector::Rustls(Arc::new(config)))
}

/// `interop cert DIR`: a CA and a certificate it signs for localhost.
fn cert(dir: &str) -> Result<(), BoxError> {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // Distinct names: OpenSSL takes a leaf whose issuer name equals its own
    // subject name for a self-signed certificate.
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "ws example CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
    let key = KeyPair::generate()?;
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let leaf = CertificateParams::new(names)?.signed_by(&key, &ca)?;
    std::fs::create_dir_all(dir)?;
    let dir = std::path::Path::new(dir);
    std::fs::write(dir.join("ca.pem"), ca.pem())?;
    std::fs::write(dir.join("cert.pem"), leaf.pem())?;
    std::fs::write(dir.join("key.pem"), key.serialize_pem())?;
    println!("wrote {}", dir.join("{ca,cert,key}.pem").display());
    Ok(())
}

const SIZES: [usize; 9] = [0, 1, 125, 126, 1000, 65535, 65536, 200_000, 1 << 20];

fn deflate(flags: &[String]) -> Result<DeflateConfig, String> {
    let mut config = DeflateConfig::default();
    let mut it = flags.iter();
    while let Some(flag) = it.next() {
        let mut bits = || -> Result<u8, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or(format!("{flag} needs a number"))
        };
        config = match flag.as_str() {
            "--snct" => config.server_no_context_takeover(true),
            "--cnct" => config.client_no_context_takeover(true),
            "--smwb" => config.server_max_window_bits(bits()?),
            "--cmwb" => config.client_max_window_bits(bits()?),
            other => return Err(format!("unknown flag {other}")),
        };
    }
    Ok(config)
}

fn payloads() -> Vec<Message> {
    let mut x = 0x2545_f491_u32;
    let mut out = Vec::new();
    for size in SIZES {
        let text: String = (0..size / 40 + 1)
            .map(|i| format!("{{\"id\": {i}, \"name\": \"item\", \"price\": 12.5}}, "))
            .collect::<String>()[..size]
            .to_owned();
        out.push(Message::text(text));
        let bytes: Vec<u8> = (0..size)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        out.push(Message::binary(bytes));
    }
    out
}

/// Checks one echo.
fn check(sent: &Message, echo: &Message) -> Result<(), Box<dyn std::error::Error>> {
    if echo != sent {
        return Err(format!("echo of a message of {} bytes differs", sent.len()).into());
    }
    Ok(())
}

fn negotiated(protocol: &ws_core::Protocol) -> String {
    let agreed: Vec<String> = protocol
        .extensions()
        .negotiated()
        .map(|e| e.to_string())
        .collect();
    agreed.join(", ")
}

#[tokio::main(flavor = "current_thread")]
async fn client_async(
    url: &str,
    flags: &[String],
    connector: Option<Connector>,
) -> Result<(), Box<dyn std::error::Error>> {
    let config = ClientConfig::default().with_extension(deflate(flags)?);
    let (mut ws, _) = ws_client::connect_async_tls_with_config(url, config, connector).await?;
    println!("negotiated: {}", negotiated(ws.protocol()));
    println!("tls: {}", if ws.get_ref().is_tls() { "on" } else { "off" });
    let messages = payloads();
    for message in &messages {
        ws.send(message.clone()).await?;
        check(message, &ws.recv().await?)?;
    }
    println!("{} messages echoed byte-exact", messages.len());
    ws.close(None).await?;
    loop {
        match ws.recv().await {
            Ok(_) => {}
            Err(Error::ConnectionClosed) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
}

#[tokio::main]
async fn server_async(
    addr: &str,
    flags: &[String],
    tls: Option<Arc<rustls::ServerConfig>>,
) -> Result<(), Box<dyn std::error::Error>> {
    let deflate = deflate(flags)?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening on {}", listener.local_addr()?);
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let config = ServerConfig::default().with_extension(deflate.clone());
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let result = match acceptor {
                None => serve_async(stream, config).await,
                // A client that stalls in the TLS handshake is dropped
                // after the handshake timeout too.
                Some(acceptor) => {
                    let limit = config.handshake_timeout.unwrap_or(Duration::MAX);
                    match tokio::time::timeout(limit, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => serve_async(tls, config).await,
                        Ok(Err(e)) => Err(format!("TLS handshake: {e}")),
                        Err(_) => Err("TLS handshake: timed out".to_string()),
                    }
                }
            };
            if let Err(e) = result {
                eprintln!("interop server: {e}");
            }
        });
    }
}

async fn serve_async<S>(stream: S, config: ServerConfig) -> Result<(), String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut ws = ws_server::accept_async_with_config(stream, config)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    autobahn::echo_async(&mut ws)
        .await
        .map_err(|e| autobahn::error_chain(&e))
}

fn client(
    url: &str,
    flags: &[String],
    connector: Option<Connector>,
) -> Result<(), Box<dyn std::error::Error>> {
    let config = ClientConfig::default().with_extension(deflate(flags)?);
    let (mut ws, _) = ws_client::connect_tls_with_config(url, config, connector)?;
    println!("negotiated: {}", negotiated(ws.protocol()));
    println!("tls: {}", if ws.get_ref().is_tls() { "on" } else { "off" });
    let messages = payloads();
    for message in &messages {
        ws.send(message.clone())?;
        check(message, &ws.read()?)?;
    }
    println!("{} messages echoed byte-exact", messages.len());
    ws.close(None)?;
    loop {
        match ws.read() {
            Ok(_) => {}
            Err(Error::ConnectionClosed) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn client_h2(
    url: &str,
    flags: &[String],
    connector: Option<Connector>,
) -> Result<(), Box<dyn std::error::Error>> {
    let config = ClientConfig::default().with_extension(deflate(flags)?);
    let (_connection, mut ws, response) = ws_client::h2::connect_h2(url, config, connector).await?;
    println!("negotiated: {}", negotiated(ws.protocol()));
    println!("http2: on (status {})", response.status().as_u16());
    println!(
        "tls: {}",
        if url.starts_with("wss:") { "on" } else { "off" }
    );
    let messages = payloads();
    for message in &messages {
        ws.send(message.clone()).await?;
        check(message, &ws.recv().await?)?;
    }
    println!("{} messages echoed byte-exact", messages.len());
    ws.close(None).await?;
    loop {
        match ws.recv().await {
            Ok(_) => {}
            Err(Error::ConnectionClosed) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
}

/// `server ADDR --axum`: the echo through the axum extractor, on hyper's
/// auto connection builder (HTTP/1.1, and HTTP/2 with the extended CONNECT
/// setting; over TLS with ALPN when `tls` is given).
#[tokio::main]
async fn server_axum(
    addr: &str,
    flags: &[String],
    tls: Option<Arc<rustls::ServerConfig>>,
) -> Result<(), Box<dyn std::error::Error>> {
    use axum::routing::any;
    use ws_server::axum::WebSocketUpgrade;
    let config = ServerConfig::default().with_extension(deflate(flags)?);
    let handler = move |upgrade: WebSocketUpgrade| {
        let config = config.clone();
        let version = if upgrade.is_http2() {
            "HTTP/2"
        } else {
            "HTTP/1.1"
        };
        async move {
            upgrade.config(config).on_upgrade(move |mut ws| async move {
                if let Err(e) = autobahn::echo_async(&mut ws).await {
                    eprintln!("interop server ({version}): {}", autobahn::error_chain(&e));
                }
            })
        }
    };
    let app = axum::Router::new().fallback(any(handler));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening on {}", listener.local_addr()?);
    let acceptor = tls.map(|tls| {
        let mut tls = (*tls).clone();
        tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        tokio_rustls::TlsAcceptor::from(Arc::new(tls))
    });
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let mut builder =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            builder.http2().enable_connect_protocol();
            let service = hyper_util::service::TowerToHyperService::new(app);
            let served = match acceptor {
                None => {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    builder.serve_connection_with_upgrades(io, service).await
                }
                Some(acceptor) => {
                    let limit = Duration::from_secs(10);
                    let tls = match tokio::time::timeout(limit, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => tls,
                        Ok(Err(e)) => return eprintln!("interop server: TLS handshake: {e}"),
                        Err(_) => return eprintln!("interop server: TLS handshake: timed out"),
                    };
                    let io = hyper_util::rt::TokioIo::new(tls);
                    builder.serve_connection_with_upgrades(io, service).await
                }
            };
            if let Err(e) = served {
                eprintln!("interop server: HTTP: {e}");
            }
        });
    }
}

fn server(
    addr: &str,
    flags: &[String],
    tls: Option<Arc<rustls::ServerConfig>>,
) -> Result<(), Box<dyn std::error::Error>> {
    let deflate = deflate(flags)?;
    let listener = TcpListener::bind(addr)?;
    println!("listening on {}", listener.local_addr()?);
    for stream in listener.incoming() {
        let config = ServerConfig::default().with_extension(deflate.clone());
        let Ok(stream) = stream else { continue };
        let tls = tls.clone();
        std::thread::spawn(move || {
            let result = match tls {
                None => ws_server::accept_with_deadline(stream, config)
                    .map_err(|e| format!("handshake: {e}"))
                    .and_then(|mut ws| {
                        autobahn::echo(&mut ws).map_err(|e| autobahn::error_chain(&e))
                    }),
                Some(tls) => serve_tls(stream, tls, config),
            };
            if let Err(e) = result {
                eprintln!("interop server: {e}");
            }
        });
    }
    Ok(())
}

/// The sync echo over rustls. The TLS handshake is driven to completion
/// first, under the same deadline as the WebSocket handshake, so a stall
/// names the layer it happened in; short socket timeouts during both
/// handshakes let the deadline be checked between reads.
fn serve_tls(
    mut tcp: TcpStream,
    tls: Arc<rustls::ServerConfig>,
    config: ServerConfig,
) -> Result<(), String> {
    let started = std::time::Instant::now();
    let limit = config.handshake_timeout.unwrap_or(Duration::from_secs(10));
    let tick = Some(Duration::from_millis(250));
    tcp.set_read_timeout(tick).map_err(|e| e.to_string())?;
    tcp.set_write_timeout(tick).map_err(|e| e.to_string())?;
    let mut conn = rustls::ServerConnection::new(tls).map_err(|e| e.to_string())?;
    let (mut read, mut written) = (0, 0);
    while conn.is_handshaking() {
        if started.elapsed() > limit {
            return Err(format!(
                "TLS handshake: not complete after {:?} ({read} bytes read, {written} written)",
                started.elapsed()
            ));
        }
        match conn.complete_io(&mut tcp) {
            Ok((r, w)) => (read, written) = (read + r, written + w),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(format!("TLS handshake: {e}")),
        }
    }
    let tls_done = started.elapsed();
    let mut attempt = ws_server::accept_with_config(rustls::StreamOwned::new(conn, tcp), config);
    let mut ws = loop {
        match attempt {
            Ok(ws) => break ws,
            Err(HandshakeError::Interrupted(mid)) => attempt = mid.handshake().map(|(ws, _)| ws),
            Err(HandshakeError::Failure(e)) => {
                return Err(format!(
                    "WebSocket handshake after TLS (TLS took {tls_done:?}): {}",
                    autobahn::error_chain(&e)
                ))
            }
        }
    };
    let sock = &ws.get_ref().sock;
    sock.set_read_timeout(None).map_err(|e| e.to_string())?;
    sock.set_write_timeout(None).map_err(|e| e.to_string())?;
    autobahn::echo(&mut ws).map_err(|e| autobahn::error_chain(&e))
}

fn run(mut args: Vec<String>) -> Result<(), Box<dyn std::error::Error>> {
    let tokio = args.iter().any(|a| a == "--async");
    let web = args.iter().any(|a| a == "--axum" || a == "--h2");
    args.retain(|a| a != "--async" && a != "--axum" && a != "--h2");
    let tls = match take_option(&mut args, "--tls", 2)? {
        Some(files) => Some(server_tls(&files[0], &files[1])?),
        None => None,
    };
    let connector = match take_option(&mut args, "--ca", 1)? {
        Some(files) => Some(client_tls(&files[0])?),
        None => None,
    };
    if web {
        return match args.first().map(String::as_str) {
            Some("client") if args.len() >= 2 => client_h2(&args[1], &args[2..], connector),
            Some("server") if args.len() >= 2 => server_axum(&args[1], &args[2..], tls),
            _ => Err("--h2 goes with client, --axum with server".into()),
        };
    }
    match (args.first().map(String::as_str), tokio) {
        (Some("cert"), _) if args.len() == 2 => Ok(cert(&args[1])?),
        (Some("client"), false) if args.len() >= 2 => client(&args[1], &args[2..], connector),
        (Some("server"), false) if args.len() >= 2 => server(&args[1], &args[2..], tls),
        (Some("client"), true) if args.len() >= 2 => client_async(&args[1], &args[2..], connector),
        (Some("server"), true) if args.len() >= 2 => server_async(&args[1], &args[2..], tls),
        _ => Err(
            "usage: interop client URL [--ca CA_PEM] [FLAGS] [--async | --h2] \
                  | interop server ADDR [--tls CERT_PEM KEY_PEM] [FLAGS] [--async | --axum] \
                  | interop cert DIR"
                .into(),
        ),
    }
}

fn main() {
    if let Err(e) = run(std::env::args().skip(1).collect()) {
        eprintln!("interop: {e}");
        std::process::exit(1);
    }
}
