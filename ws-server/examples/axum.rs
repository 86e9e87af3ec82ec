//! An axum app with a page and a WebSocket echo route, permessage-deflate
//! on, over HTTP/1.1 and HTTP/2 (RFC 8441) on one port.
//!
//! ```text
//! cargo run -p sockwell-server --features axum --example axum                # http://127.0.0.1:3000
//! cargo run -p sockwell-server --features axum --example axum -- --tls       # https://localhost:3443
//! ```
//!
//! - Each connection is served by `hyper_util`'s auto builder
//!   (`support/serve.rs`): HTTP/1.1, and HTTP/2 with the extended CONNECT
//!   setting on; a client that takes more than 10 s to send an HTTP/1.1
//!   request head, or the first bytes that tell HTTP/1.1 from HTTP/2, is
//!   disconnected (`axum::serve` sets no such timeout).
//! - Cleartext: HTTP/1.1, and HTTP/2 with prior knowledge.
//! - `--tls`: a certificate for `localhost` made at start (its CA written
//!   to `--ca-out FILE` if asked, for clients to trust), ALPN `h2` and
//!   `http/1.1`. Browsers send WebSockets over HTTP/2
//!   only on an HTTP/2 connection they already have to the origin, and
//!   only for `wss://`: open the page over `https://` and its WebSocket
//!   goes over the page's connection.
//!
//! The route is `any()`, not `get()`: an HTTP/2 WebSocket arrives as a
//! `CONNECT`. The page (`/`) opens a WebSocket to `/ws`, echoes text and
//! binary messages up to 1 MiB through it, checks every byte, and reports
//! to `/report`; the server prints the report with the HTTP version each
//! WebSocket arrived over (the echo itself is a plain echo: Autobahn runs
//! against this route). Other flags: `--listen ADDR`; `--expect h2` or
//! `--expect http1.1` exits once a report arrives, with status 0 only if
//! the page passed, compression was agreed, and every WebSocket came over
//! that version (how CI drives a headless browser against it).

use axum::extract::State;
use axum::response::{Html, Response};
use axum::routing::{any, get, post};
use axum::Router;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use sockwell_server::axum::WebSocketUpgrade;
use sockwell_server::{DeflateConfig, ServerConfig};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[path = "support/serve.rs"]
mod serve;
use serve::{serve_connection, HEADER_READ_TIMEOUT};

/// What the app keeps: how many WebSockets came over each HTTP version,
/// and the version `--expect` asks for.
#[derive(Default)]
struct App {
    http2: AtomicUsize,
    http1: AtomicUsize,
    expect: Option<String>,
}

async fn ws(State(app): State<Arc<App>>, upgrade: WebSocketUpgrade) -> Response {
    let count = if upgrade.is_http2() {
        &app.http2
    } else {
        &app.http1
    };
    count.fetch_add(1, Ordering::Relaxed);
    // Compression on; the default limits (64 MiB messages) and the
    // default origin policy (any) otherwise. A site that authenticates
    // by cookie lists its origins: `.with_origins(OriginPolicy::allowed([...]))`.
    let config = ServerConfig::default().with_extension(DeflateConfig::default());
    upgrade.config(config).on_upgrade(|mut ws| async move {
        // None once the connection is over; pings are answered by the engine.
        while let Some(Ok(message)) = ws.recv().await {
            if message.is_data() && ws.send(message).await.is_err() {
                break;
            }
        }
    })
}

async fn report(State(app): State<Arc<App>>, body: String) -> String {
    let http2 = app.http2.load(Ordering::Relaxed);
    let http1 = app.http1.load(Ordering::Relaxed);
    let line = format!(
        "{} (WebSockets so far: {http2} over HTTP/2, {http1} over HTTP/1.1)",
        body.trim()
    );
    println!("report: {line}");
    if let Some(expect) = &app.expect {
        let passed = body.starts_with("ok ")
            && body.contains("permessage-deflate")
            && match expect.as_str() {
                "h2" => http2 > 0 && http1 == 0,
                "http1.1" => http1 > 0 && http2 == 0,
                _ => false,
            };
        println!(
            "{}: expected every WebSocket over {expect}, the page passing, compression agreed",
            if passed { "PASS" } else { "FAIL" }
        );
        std::process::exit(if passed { 0 } else { 1 });
    }
    line
}

fn app(state: Arc<App>) -> Router {
    Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route("/ws", any(ws))
        .route("/report", post(report))
        .with_state(state)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mut tls, mut listen, mut expect, mut ca_out) = (false, None, None, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tls" => tls = true,
            "--listen" => listen = args.next(),
            "--expect" => expect = args.next(),
            "--ca-out" => ca_out = args.next(),
            _ => {
                eprintln!(
                    "usage: axum [--tls] [--listen ADDR] [--expect h2|http1.1] [--ca-out FILE]"
                );
                std::process::exit(2);
            }
        }
    }
    let default = if tls {
        "127.0.0.1:3443"
    } else {
        "127.0.0.1:3000"
    };
    let listener = tokio::net::TcpListener::bind(listen.as_deref().unwrap_or(default)).await?;
    let addr = listener.local_addr()?;
    let state = Arc::new(App {
        http2: AtomicUsize::new(0),
        http1: AtomicUsize::new(0),
        expect,
    });
    let app = app(state);
    if !tls {
        println!("listening on {addr}");
        println!("open http://{addr}/ (WebSocket at ws://{addr}/ws)");
        loop {
            let (tcp, _) = listener.accept().await?;
            tokio::spawn(serve_connection(tcp, app.clone(), HEADER_READ_TIMEOUT));
        }
    }

    let acceptor = tls_acceptor(ca_out.as_deref())?;
    println!("listening on {addr}");
    println!(
        "open https://localhost:{}/ (WebSocket at wss://localhost:{}/ws)",
        addr.port(),
        addr.port()
    );
    loop {
        let (tcp, _) = listener.accept().await?;
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let Ok(Ok(stream)) =
                tokio::time::timeout(std::time::Duration::from_secs(10), acceptor.accept(tcp))
                    .await
            else {
                return;
            };
            serve_connection(stream, app, HEADER_READ_TIMEOUT).await;
        });
    }
}

/// A CA and a certificate for `localhost` it signs; ALPN `h2`, `http/1.1`.
fn tls_acceptor(
    ca_out: Option<&str>,
) -> Result<tokio_rustls::TlsAcceptor, Box<dyn std::error::Error>> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "ws axum example CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
    let key = KeyPair::generate()?;
    let cert = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])?
        .signed_by(&key, &ca)?;
    if let Some(path) = ca_out {
        std::fs::write(path, ca.pem())?;
    }
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// The page: an echo check through a WebSocket to /ws.
const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8">
<title>ws: echo over axum</title>
<h1>WebSocket echo</h1>
<pre id="log"></pre>
<script>
const log = (line) => { document.getElementById("log").textContent += line + "\n"; };
const scheme = location.protocol === "https:" ? "wss:" : "ws:";
const ws = new WebSocket(`${scheme}//${location.host}/ws`);
ws.binaryType = "arraybuffer";
const queue = [];
let waiting = null;
ws.onmessage = (e) => { if (waiting) { const w = waiting; waiting = null; w(e.data); } else queue.push(e.data); };
const next = () => new Promise((resolve, reject) => {
  if (queue.length) return resolve(queue.shift());
  waiting = resolve;
  ws.onclose = (e) => reject(new Error(`closed: ${e.code} ${e.reason}`));
});
const text = (n) => { let s = ""; const words = ["alpha ", "beta ", "gamma ", "é ", "€ ", "ж "]; let i = 0; while (s.length < n) s += words[i++ % words.length]; return s.slice(0, n); };
const binary = (n) => { const b = new Uint8Array(n); let x = 12345; for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; b[i] = i % 3 ? x >>> 24 : i & 0xff; } return b; };
const same = (a, b) => { if (a.length !== b.length) return false; for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false; return true; };
async function run() {
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error("could not open")); });
  log(`open, extensions: ${ws.extensions || "(none)"}`);
  const sizes = [0, 1, 125, 126, 65535, 65536, 100000, 1 << 20];
  for (const n of sizes) {
    const t = text(n);
    ws.send(t);
    const back = await next();
    if (back !== t) throw new Error(`text of ${n} chars came back different`);
    const b = binary(n);
    ws.send(b);
    const got = new Uint8Array(await next());
    if (!same(got, b)) throw new Error(`binary of ${n} bytes came back different`);
    log(`${n}: text and binary echoed byte-exact`);
  }
  return `ok extensions=${ws.extensions}`;
}
run().then(
  async (summary) => { const r = await fetch("/report", { method: "POST", body: summary }); log(await r.text()); },
  (error) => { log(`FAILED: ${error.message}`); return fetch("/report", { method: "POST", body: `fail ${error.message}` }); },
);
</script>
"#;
