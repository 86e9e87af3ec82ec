//! What `ws URL` and `ws send` share: the request, the connection, reading
//! until the end, and how a conversation ended.

use crate::args::Args;
use crate::failure::{self, exit, Failure};
use crate::progress::{Counted, Counter};
use crate::{config, tls};
use sockwell_client::http::{HeaderName, HeaderValue, Request, Uri};
use sockwell_client::{
    AsyncMaybeTlsStream, CloseCode, CloseFrame, HandshakeError, IntoClientRequest, Message,
    WebSocketStream, WsError, WsReader, WsWriter,
};
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpStream;

pub type Stream = AsyncMaybeTlsStream<Counted<TcpStream>>;
pub type Socket = WebSocketStream<Stream>;
pub type Reader = WsReader<Stream>;
pub type Writer = WsWriter<Stream>;

/// How long the peer may stay silent, once we closed (or while we wait
/// for it to take our Close), before we give up: no byte either way for
/// this long. A peer still sending an echo back is not silent.
pub const QUIET_LIMIT: Duration = Duration::from_secs(10);

/// The upgrade request: the URL and the `-H` headers.
fn request(url: &str, args: &Args) -> Result<Request<()>, Failure> {
    let usage = |m: String| Failure::new(exit::USAGE, m);
    let mut request = url
        .into_client_request()
        .map_err(|e| usage(format!("bad URL {url:?}: {}", failure::chain(&e))))?;
    for (name, value) in &args.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| usage(format!("bad header name {name:?}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| usage(format!("bad value for header {name}")))?;
        request.headers_mut().append(name, value);
    }
    Ok(request)
}

/// Connects (TCP, then TLS for `wss://`, then the upgrade), counting the
/// bytes each way, and says on stderr what was agreed.
pub async fn connect(
    url: &str,
    args: &Args,
    mut config: sockwell_client::ClientConfig,
    counter: &Counter,
) -> Result<Socket, Failure> {
    // One deadline for the TCP connect, TLS and the upgrade together.
    let limit = config.handshake_timeout;
    let deadline = limit.and_then(|limit| tokio::time::Instant::now().checked_add(limit));
    let request = request(url, args)?;
    let uri: &Uri = request.uri();
    let tls = match uri.scheme_str() {
        Some("ws") => false,
        Some("wss") => true,
        _ => {
            let complaint = format!("{url:?} is not a ws:// or wss:// URL");
            return Err(Failure::new(exit::USAGE, complaint));
        }
    };
    // TLS files are read before connecting: a bad --ca is said as such.
    let connector = match tls {
        true => tls::connector(args.ca.as_deref(), args.insecure)?,
        false => None,
    };
    let host = uri.host().unwrap_or_default().trim_matches(['[', ']']);
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let unreachable = |why: String| {
        Failure::new(
            exit::CONNECT,
            format!("cannot connect to {host}:{port}: {why}"),
        )
    };
    let connecting = TcpStream::connect((host, port));
    let tcp = match (deadline, limit) {
        (Some(deadline), Some(limit)) => tokio::time::timeout_at(deadline, connecting)
            .await
            .map_err(|_| unreachable(format!("no answer within {limit:?}")))?,
        _ => connecting.await,
    }
    .map_err(|e| unreachable(e.to_string()))?;
    let _ = tcp.set_nodelay(true);
    if let Some(deadline) = deadline {
        config.handshake_timeout =
            Some(deadline.saturating_duration_since(tokio::time::Instant::now()));
    }
    let (ws, response) = sockwell_client::ClientBuilder::new(request)
        .config(config)
        .connector(connector)
        .connect_async_on(counter.wrap(tcp))
        .await
        .map_err(|e| match (e, limit) {
            // Named by the whole limit, not the part left after TCP.
            (sockwell_client::ConnectError::Handshake(HandshakeError::Timeout(_)), Some(limit)) => {
                sockwell_client::ConnectError::Handshake(HandshakeError::Timeout(limit))
            }
            (e, _) => e,
        })
        .map_err(failure::from_connect)?;
    if !args.quiet {
        eprintln!("connected to {url} ({})", config::agreed(ws.protocol()));
    }
    if args.show_handshake {
        eprintln!("{:?} {}", response.version(), response.status());
        for (name, value) in response.headers() {
            let value = String::from_utf8_lossy(value.as_bytes());
            eprintln!("{name}: {}", failure::printable(&value));
        }
        eprintln!();
    }
    Ok(ws)
}

/// Runs `work` for as long as bytes keep moving on the connection: `None`
/// once nothing moved either way for [`QUIET_LIMIT`].
pub async fn while_active<T>(counter: &Counter, work: impl Future<Output = T>) -> Option<T> {
    tokio::pin!(work);
    loop {
        let seen = counter.activity();
        match tokio::time::timeout(QUIET_LIMIT, &mut work).await {
            Ok(done) => return Some(done),
            Err(_) if counter.activity() == seen => return None,
            Err(_) => continue,
        }
    }
}

/// Why a conversation ended, from the reading side.
pub enum Ended {
    /// The Close handshake completed; the peer's frame.
    Closed(Option<CloseFrame>),
    /// The connection failed, or ended without a Close.
    Failed(String),
    /// Our stdout was closed (`ws URL | head -1`): nobody reads any more.
    OutputClosed,
}

impl Ended {
    /// The command's outcome: the peer's Close ends well with 1000, 1001,
    /// no code, or the code we sent (a close we started, echoed). A peer
    /// that closed with another code first ends badly even if our own
    /// Close crossed its on the wire.
    pub fn outcome(self, we_sent: Option<CloseCode>) -> Result<(), Failure> {
        match self {
            Ended::Closed(frame)
                if failure::is_normal(frame.as_ref())
                    || frame.as_ref().map(|f| f.code) == we_sent =>
            {
                Ok(())
            }
            Ended::Closed(frame) => Err(Failure::closed("the server", frame.as_ref())),
            Ended::Failed(why) => Err(Failure::new(exit::ABNORMAL_CLOSE, why)),
            Ended::OutputClosed => Ok(()),
        }
    }
}

/// Reads until the connection ends, handing each message to `show`
/// (pings, pongs and the peer's Close too; `show` says `false` when it
/// can show no more).
pub async fn read_all(reader: &mut Reader, mut show: impl FnMut(&Message) -> bool) -> Ended {
    let mut close = None;
    loop {
        match reader.read().await {
            Ok(message) => {
                if let Message::Close(frame) = &message {
                    close = Some(frame.clone());
                }
                if !show(&message) {
                    return Ended::OutputClosed;
                }
            }
            // After the peer's Close, the rest (our reply meeting a socket
            // the peer already shut) does not change how it ended.
            Err(_) if close.is_some() => return Ended::Closed(close.flatten()),
            Err(WsError::ConnectionClosed)
            | Err(WsError::Protocol(sockwell_core::ProtocolError::ResetWithoutClosingHandshake)) => {
                return Ended::Failed("the connection ended without a Close (1006)".into())
            }
            Err(e) => return Ended::Failed(format!("connection failed: {}", failure::chain(&e))),
        }
    }
}

/// The peer stopped moving bytes while we waited for it.
pub fn stalled() -> Failure {
    Failure::new(
        exit::ABNORMAL_CLOSE,
        format!("the server went silent (nothing either way for {QUIET_LIMIT:?})"),
    )
}
