//! The echo servers that `echo_load` measures, one implementation per
//! process: `echo_server IMPL [--deflate | --deflate-mode MODE] [--cpu N]`.
//! It binds 127.0.0.1:0,
//! prints `listening on ADDR`, and echoes every data message until killed.
//!
//! IMPL is one of `ours-sync` (thread per connection), `ours-async`,
//! `tungstenite` (thread per connection), `tokio-tungstenite`,
//! `fastwebsockets`, `sockudo-ws`. The async ones run on a current-thread
//! tokio runtime, so every server has one core's worth of threads to work
//! with when pinned (`--cpu`). With `--deflate` the server accepts
//! permessage-deflate at compression level 1 with context takeover (ours,
//! sockudo-ws; the others have no compression and refuse the flag). With
//! `--deflate-mode MODE` it accepts permessage-deflate as configured by
//! MODE:
//!
//! - `default`: the library's default config, exactly
//!   (`sockwell_deflate::DeflateConfig::default()`,
//!   `sockudo_ws::deflate::DeflateConfig::default()`);
//! - `owned` (ours only): context takeover both ways with owned zlib
//!   states, windows of 2^12 both ways, level 6;
//! - `none` (ours only): no context takeover either way.
//!
//! Each server uses its library's batching pattern where it has one: read
//! what already arrived, answer all of it, flush once.

#![allow(missing_docs)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let imp = args.first().cloned().unwrap_or_default();
    let deflate = if args.iter().any(|a| a == "--deflate") {
        Deflate::Level1
    } else if let Some(i) = args.iter().position(|a| a == "--deflate-mode") {
        match args.get(i + 1).map(String::as_str) {
            Some("default") => Deflate::Default,
            Some("owned") => Deflate::Owned,
            Some("none") => Deflate::NoTakeover,
            other => {
                eprintln!(
                    "echo_server: --deflate-mode takes default, owned or none, not {other:?}"
                );
                std::process::exit(2);
            }
        }
    } else {
        Deflate::Off
    };
    if let Some(i) = args.iter().position(|a| a == "--cpu") {
        let cpu: usize = args[i + 1].parse().expect("--cpu N");
        benches::pin_to_cpu(cpu);
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    println!("listening on {}", listener.local_addr().unwrap());
    std::io::stdout().flush().unwrap();
    match (imp.as_str(), deflate) {
        ("ours-sync", _) => threads(listener, move |tcp| ours_sync(tcp, deflate)),
        ("tungstenite", Deflate::Off) => threads(listener, tungstenite_echo),
        ("ours-async", _) => tokio_serve(listener, move |tcp| async move {
            ours_async(tcp, deflate).await
        }),
        ("tokio-tungstenite", Deflate::Off) => tokio_serve(listener, tokio_tungstenite_echo),
        ("fastwebsockets", Deflate::Off) => tokio_serve(listener, fastwebsockets_echo),
        ("sockudo-ws", Deflate::Off | Deflate::Level1 | Deflate::Default) => {
            tokio_serve(listener, move |tcp| async move {
                sockudo_echo(tcp, deflate).await
            })
        }
        _ => {
            eprintln!("usage: echo_server IMPL [--deflate | --deflate-mode default|owned|none] [--cpu N] \
                       (IMPL {imp:?} unknown, or without that compression)");
            std::process::exit(2);
        }
    }
}

fn threads(listener: TcpListener, serve: impl Fn(TcpStream) + Send + Sync + Copy + 'static) {
    for tcp in listener.incoming() {
        let Ok(tcp) = tcp else { continue };
        tcp.set_nodelay(true).unwrap();
        std::thread::spawn(move || serve(tcp));
    }
}

fn tokio_serve<F, Fut>(listener: TcpListener, serve: F)
where
    F: Fn(tokio::net::TcpStream) -> Fut + Copy + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        listener.set_nonblocking(true).unwrap();
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            tcp.set_nodelay(true).unwrap();
            tokio::task::spawn_local(serve(tcp));
        }
    });
}

/// Which permessage-deflate a server accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Deflate {
    /// None.
    Off,
    /// `--deflate`: level 1, context takeover both ways, window 15.
    Level1,
    /// `--deflate-mode default`: the library's default config.
    Default,
    /// `--deflate-mode owned`: context takeover both ways with owned zlib
    /// states, windows 12, level 6.
    Owned,
    /// `--deflate-mode none`: no context takeover either way.
    NoTakeover,
}

// ---- ours ----

/// Our permessage-deflate config for `deflate`, if any.
fn ours_deflate(deflate: Deflate) -> Option<sockwell_deflate::DeflateConfig> {
    use sockwell_deflate::{DeflateConfig, TakeoverContext};
    match deflate {
        Deflate::Off => None,
        Deflate::Level1 => Some(DeflateConfig::default().level(1).context_takeover()),
        Deflate::Default => Some(DeflateConfig::default()),
        Deflate::Owned => Some(
            DeflateConfig::default()
                .level(6)
                .context_takeover()
                .takeover_context(TakeoverContext::Owned)
                .server_max_window_bits(12)
                .client_max_window_bits(12),
        ),
        Deflate::NoTakeover => Some(
            DeflateConfig::default()
                .server_no_context_takeover(true)
                .client_no_context_takeover(true),
        ),
    }
}

fn ours_sync(tcp: TcpStream, deflate: Deflate) {
    use sockwell_core::{Message, WsError};
    let mut config = sockwell_server::ServerConfig::default();
    if let Some(deflate) = ours_deflate(deflate) {
        config = config.with_extension(deflate);
    }
    let Ok(mut ws) = sockwell_server::accept_with_deadline(tcp, config) else {
        return;
    };
    loop {
        let mut next: Result<Option<Message>, WsError> = ws.read().map(Some);
        loop {
            match next {
                Ok(Some(m)) if m.is_data() => {
                    if ws.write(m).is_err() {
                        return;
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return,
            }
            next = ws.read_buffered();
        }
        if ws.flush().is_err() {
            return;
        }
    }
}

async fn ours_async(tcp: tokio::net::TcpStream, deflate: Deflate) {
    let mut config = sockwell_tokio::ServerConfig::default();
    if let Some(deflate) = ours_deflate(deflate) {
        config = config.with_extension(deflate);
    }
    let Ok(mut ws) = sockwell_tokio::accept_async_with_config(tcp, config).await else {
        return;
    };
    loop {
        let mut next = match ws.read().await {
            Ok(m) => Some(m),
            Err(_) => return,
        };
        while let Some(m) = next {
            if m.is_data() && ws.write(m).is_err() {
                return;
            }
            next = match ws.read_buffered() {
                Ok(m) => m,
                Err(_) => return,
            };
        }
        if ws.flush().await.is_err() {
            return;
        }
    }
}

// ---- references: a minimal HTTP upgrade, then each library's raw-socket constructor ----

/// Reads the request head and answers 101; returns the offered extensions.
fn upgrade_sync(tcp: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1024];
    while !head.ends_with(b"\r\n\r\n") {
        let n = tcp.read(&mut byte[..1]).ok()?;
        if n == 0 || head.len() > 8192 {
            return None;
        }
        head.push(byte[0]);
    }
    let (response, extensions) = answer(&head)?;
    tcp.write_all(response.as_bytes()).ok()?;
    Some(extensions)
}

async fn upgrade_async(
    tcp: &mut tokio::net::TcpStream,
    deflate_answer: impl FnOnce(&str) -> String,
) -> Option<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let b = tcp.read_u8().await.ok()?;
        if head.len() > 8192 {
            return None;
        }
        head.push(b);
    }
    let (mut response, extensions) = answer(&head)?;
    let agreed = deflate_answer(&extensions);
    response.truncate(response.len() - 2);
    if !agreed.is_empty() {
        response.push_str(&format!("Sec-WebSocket-Extensions: {agreed}\r\n"));
    }
    response.push_str("\r\n");
    tcp.write_all(response.as_bytes()).await.ok()
}

/// The 101 response for a request head, and its extension offer.
fn answer(head: &[u8]) -> Option<(String, String)> {
    let head = std::str::from_utf8(head).ok()?;
    let field = |name: &str| {
        head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    let key = field("sec-websocket-key")?;
    let accept = sockwell_handshake::derive_accept_key(key.as_bytes());
    Some((
        format!("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"),
        field("sec-websocket-extensions").unwrap_or_default(),
    ))
}

fn tungstenite_echo(mut tcp: TcpStream) {
    use tungstenite::protocol::{Role, WebSocket};
    if upgrade_sync(&mut tcp).is_none() {
        return;
    }
    let mut ws = WebSocket::from_raw_socket(tcp, Role::Server, None);
    while let Ok(m) = ws.read() {
        if (m.is_text() || m.is_binary()) && ws.send(m).is_err() {
            return;
        }
    }
}

async fn tokio_tungstenite_echo(mut tcp: tokio::net::TcpStream) {
    use tokio_tungstenite::tungstenite::protocol::Role;
    if upgrade_async(&mut tcp, |_| String::new()).await.is_none() {
        return;
    }
    let ws = tokio_tungstenite::WebSocketStream::from_raw_socket(tcp, Role::Server, None).await;
    batch_echo(ws, |m| m.is_text() || m.is_binary()).await;
}

/// The batching echo of a `Stream + Sink` library: answer what arrived,
/// then everything already buffered (`now_or_never`), then flush once.
async fn batch_echo<W, M, E>(mut ws: W, is_data: fn(&M) -> bool)
where
    W: futures_util::Stream<Item = Result<M, E>> + futures_util::Sink<M> + Unpin,
{
    use futures_util::{FutureExt, SinkExt, StreamExt};
    while let Some(Ok(m)) = ws.next().await {
        let mut next = Some(m);
        while let Some(m) = next {
            if is_data(&m) && ws.feed(m).await.is_err() {
                return;
            }
            next = match ws.next().now_or_never() {
                Some(Some(Ok(m))) => Some(m),
                Some(_) => return,
                None => None,
            };
        }
        if ws.flush().await.is_err() {
            return;
        }
    }
}

async fn fastwebsockets_echo(mut tcp: tokio::net::TcpStream) {
    use fastwebsockets::{FragmentCollector, OpCode, Role, WebSocket};
    if upgrade_async(&mut tcp, |_| String::new()).await.is_none() {
        return;
    }
    let mut ws = FragmentCollector::new(WebSocket::after_handshake(tcp, Role::Server));
    while let Ok(frame) = ws.read_frame().await {
        let data = matches!(frame.opcode, OpCode::Text | OpCode::Binary);
        if frame.opcode == OpCode::Close || (data && ws.write_frame(frame).await.is_err()) {
            return;
        }
    }
}

async fn sockudo_echo(mut tcp: tokio::net::TcpStream, deflate: Deflate) {
    use sockudo_ws::deflate::{negotiate_server_deflate, DeflateConfig};
    use sockudo_ws::{Config, Message};
    let mut agreed = None;
    let answered = upgrade_async(&mut tcp, |offer| {
        // Its default: context takeover both ways, windows 15, level 6.
        let policy = match deflate {
            Deflate::Level1 => DeflateConfig {
                compression_level: 1,
                ..DeflateConfig::default()
            },
            Deflate::Default => DeflateConfig::default(),
            _ => return String::new(),
        };
        match negotiate_server_deflate(offer, &policy) {
            Some(n) => {
                let header = n.to_response_header();
                agreed = Some(n.config);
                header
            }
            None => String::new(),
        }
    })
    .await;
    if answered.is_none() {
        return;
    }
    let is_data: fn(&Message) -> bool = |m| matches!(m, Message::Text(_) | Message::Binary(_));
    let config = Config::builder().max_payload_length(64 << 20).build();
    match agreed {
        Some(deflate) => {
            let ws = sockudo_ws::CompressedWebSocketStream::server(tcp, config, deflate);
            batch_echo(ws, is_data).await
        }
        None => batch_echo(sockudo_ws::WebSocketStream::server(tcp, config), is_data).await,
    }
}
