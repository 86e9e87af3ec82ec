//! `ws URL` (chat) and `ws send FILE URL`.

use crate::args::Args;
use crate::failure::{self, describe_close, exit, Failure};
use crate::progress::{Counted, Counter, Progress};
use crate::{config, tls};
use std::io::Write;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use ws_client::http::{HeaderName, HeaderValue, Request, Uri};
use ws_client::{
    AsyncMaybeTlsStream, CloseCode, CloseFrame, IntoClientRequest, Message, WebSocketStream,
    WsError, WsReader,
};

type Socket = WebSocketStream<AsyncMaybeTlsStream<Counted<TcpStream>>>;

/// How long the peer has to answer our Close.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

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
/// bytes written, and says on stderr what was agreed.
async fn connect(url: &str, args: &Args, counter: &Counter) -> Result<Socket, Failure> {
    let request = request(url, args)?;
    let uri: &Uri = request.uri();
    let tls = match uri.scheme_str() {
        Some("ws") => false,
        Some("wss") => true,
        _ => {
            return Err(Failure::new(
                exit::USAGE,
                format!("{url:?} is not a ws:// or wss:// URL"),
            ))
        }
    };
    let host = uri
        .host()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_owned();
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| {
            Failure::new(
                exit::CONNECT,
                format!("cannot connect to {host}:{port}: {e}"),
            )
        })?;
    let _ = tcp.set_nodelay(true);
    let connector = tls::connector(args.ca.as_deref(), args.insecure)?;
    let stream = counter.wrap(tcp);
    let (ws, response) =
        ws_client::client_async_tls_with_config(request, stream, config::client(args), connector)
            .await
            .map_err(failure::from_connect)?;
    if !args.quiet {
        eprintln!("connected to {url} ({})", config::agreed(ws.protocol()));
    }
    if args.show_handshake {
        eprintln!("{:?} {}", response.version(), response.status());
        for (name, value) in response.headers() {
            eprintln!("{name}: {}", String::from_utf8_lossy(value.as_bytes()));
        }
        eprintln!();
    }
    Ok(ws)
}

/// Why a conversation ended, from the reading side.
enum Ended {
    /// The Close handshake completed; the peer's frame.
    Closed(Option<CloseFrame>),
    /// The connection failed, or ended without a Close.
    Failed(String),
}

impl Ended {
    /// The command's outcome: the peer's Close ends well with 1000, 1001,
    /// no code, or the code we sent (a close we started, echoed). A peer
    /// that closed with another code first ends badly even if our own
    /// Close crossed its on the wire.
    fn outcome(self, we_sent: Option<CloseCode>) -> Result<(), Failure> {
        match self {
            Ended::Closed(frame)
                if failure::is_normal(frame.as_ref())
                    || frame.as_ref().map(|f| f.code) == we_sent =>
            {
                Ok(())
            }
            Ended::Closed(frame) => Err(Failure::closed("the server", frame.as_ref())),
            Ended::Failed(why) => Err(Failure::new(exit::ABNORMAL_CLOSE, why)),
        }
    }
}

/// Reads until the connection ends, handing each data message to `show`.
async fn read_all<S>(reader: &mut WsReader<S>, quiet: bool, mut show: impl FnMut(Message)) -> Ended
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut close = None;
    loop {
        match reader.recv().await {
            Ok(Message::Close(frame)) => {
                if !quiet {
                    eprintln!("close: {}", describe_close(frame.as_ref()));
                }
                close = Some(frame);
            }
            Ok(Message::Pong(payload)) if !quiet => eprintln!("pong ({} bytes)", payload.len()),
            Ok(Message::Ping(_) | Message::Pong(_)) => {}
            Ok(message) => show(message),
            Err(WsError::ConnectionClosed) => {
                return match close {
                    Some(frame) => Ended::Closed(frame),
                    None => Ended::Failed("the connection ended without a Close (1006)".into()),
                }
            }
            Err(e) => return Ended::Failed(format!("connection failed: {}", failure::chain(&e))),
        }
    }
}

/// Prints a data message on stdout: text as a line; binary raw with
/// `--binary`, else as a line with its length and first bytes in hex.
fn print(message: Message, binary: bool) {
    let mut out = std::io::stdout().lock();
    let _ = match message {
        Message::Text(text) => writeln!(out, "{text}"),
        Message::Binary(data) if binary => out.write_all(&data),
        Message::Binary(data) => {
            let hex: String = data.iter().take(32).map(|b| format!("{b:02x}")).collect();
            let more = if data.len() > 32 { "…" } else { "" };
            writeln!(out, "[binary, {} bytes] {hex}{more}", data.len())
        }
        _ => Ok(()),
    };
    let _ = out.flush();
}

/// A line from stdin, as a command or a message.
#[derive(Debug, PartialEq)]
enum Input {
    Send(String),
    Ping(String),
    Close(Option<CloseFrame>),
}

fn parse_line(line: &str) -> Result<Input, String> {
    if let Some(escaped) = line.strip_prefix("//") {
        return Ok(Input::Send(format!("/{escaped}")));
    }
    let Some(command) = line.strip_prefix('/') else {
        return Ok(Input::Send(line.to_owned()));
    };
    let (name, rest) = command.split_once(' ').unwrap_or((command, ""));
    match name {
        "ping" => Ok(Input::Ping(rest.to_owned())),
        "close" if rest.trim().is_empty() => {
            Ok(Input::Close(Some(CloseFrame::new(CloseCode::NORMAL, ""))))
        }
        "close" => {
            let rest = rest.trim_start();
            let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
            let code = code
                .parse::<u16>()
                .ok()
                .map(CloseCode::from)
                .filter(|c| c.is_valid())
                .ok_or_else(|| format!("/close takes a code a peer may send (1000-1014 but 1004-1006, 3000-4999), not {code:?}"))?;
            if reason.len() > 123 {
                return Err("a close reason is at most 123 bytes".to_owned());
            }
            Ok(Input::Close(Some(CloseFrame::new(code, reason))))
        }
        _ => Err(format!(
            "unknown command /{name} (try /ping, /close, or // to send a slash)"
        )),
    }
}

/// stdin lines, from a thread of their own: a blocking read that never
/// ends must not keep the runtime from exiting.
fn stdin_lines() -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel(64);
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// `ws URL`.
pub async fn chat(url: &str, args: &Args) -> Result<(), Failure> {
    let counter = Counter::default();
    let ws = connect(url, args, &counter).await?;
    let (mut reader, mut writer) = ws.split();
    let (binary, quiet) = (args.binary, args.quiet);
    let mut reading =
        tokio::spawn(async move { read_all(&mut reader, quiet, |m| print(m, binary)).await });
    let mut lines = stdin_lines();
    let mut we_sent = None;
    loop {
        let line = tokio::select! {
            biased;
            ended = &mut reading => return ended.expect("the reader does not panic").outcome(None),
            line = lines.recv() => line,
        };
        let input = match line {
            // End of input: a normal close.
            None => Input::Close(Some(CloseFrame::new(CloseCode::NORMAL, ""))),
            Some(line) => match parse_line(&line) {
                Ok(input) => input,
                Err(complaint) => {
                    eprintln!("{complaint}");
                    continue;
                }
            },
        };
        let sent = match input {
            Input::Send(line) if binary => writer.send(Message::binary(line.into_bytes())).await,
            Input::Send(line) => writer.send(Message::text(line)).await,
            Input::Ping(payload) if payload.len() > 125 => {
                eprintln!("a ping carries at most 125 bytes");
                continue;
            }
            Input::Ping(payload) => writer.send(Message::ping(payload.into_bytes())).await,
            Input::Close(frame) => {
                we_sent = frame.as_ref().map(|f| f.code);
                writer.close(frame).await
            }
        };
        // A failed send means the connection ended: the reader says how.
        if sent.is_err() || we_sent.is_some() {
            break;
        }
    }
    match tokio::time::timeout(CLOSE_TIMEOUT, reading).await {
        Ok(ended) => ended.expect("the reader does not panic").outcome(we_sent),
        Err(_) => Err(Failure::new(
            exit::ABNORMAL_CLOSE,
            format!("the server did not answer our Close within {CLOSE_TIMEOUT:?}"),
        )),
    }
}

/// `ws send FILE URL`.
pub async fn send(file: &std::path::Path, url: &str, args: &Args) -> Result<(), Failure> {
    let data = std::fs::read(file)
        .map_err(|e| Failure::new(exit::OTHER, format!("cannot read {}: {e}", file.display())))?;
    let size = data.len();
    let message = if args.text {
        let text = String::from_utf8(data).map_err(|_| {
            Failure::new(
                exit::OTHER,
                format!("{} is not UTF-8 (drop --text)", file.display()),
            )
        })?;
        Message::text(text)
    } else {
        Message::binary(data)
    };
    let counter = Counter::default();
    let ws = connect(url, args, &counter).await?;
    let compressed = ws.protocol().extensions().negotiated().next().is_some();
    let (mut reader, mut writer) = ws.split();
    // An echo server sends it all back: read it (and drop it) meanwhile, or
    // both sides would wait for the other to read.
    let reading = tokio::spawn(async move { read_all(&mut reader, true, drop).await });
    let started = Instant::now();
    let progress = Progress::start(counter.clone(), (!compressed).then_some(size), args.quiet);
    let result = writer.send(message).await;
    let wire = progress.finish();
    let elapsed = started.elapsed();
    if let Err(e) = result {
        return Err(Failure::new(
            exit::ABNORMAL_CLOSE,
            format!("sending failed: {}", failure::chain(&e)),
        ));
    }
    if !args.quiet {
        eprintln!(
            "sent {} ({size} bytes) as {wire} bytes on the wire in {:.2} s",
            file.display(),
            elapsed.as_secs_f64()
        );
    }
    let _ = writer
        .close(Some(CloseFrame::new(CloseCode::NORMAL, "")))
        .await;
    match tokio::time::timeout(CLOSE_TIMEOUT, reading).await {
        Ok(ended) => ended
            .expect("the reader does not panic")
            .outcome(Some(CloseCode::NORMAL)),
        Err(_) => Err(Failure::new(
            exit::ABNORMAL_CLOSE,
            format!("the server did not answer our Close within {CLOSE_TIMEOUT:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_commands_and_escapes() {
        assert_eq!(parse_line("hi"), Ok(Input::Send("hi".into())));
        assert_eq!(parse_line("//etc"), Ok(Input::Send("/etc".into())));
        assert_eq!(parse_line("/ping abc"), Ok(Input::Ping("abc".into())));
        assert_eq!(
            parse_line("/close 4000 see you later"),
            Ok(Input::Close(Some(CloseFrame::new(
                CloseCode::from(4000),
                "see you later"
            ))))
        );
        assert_eq!(
            parse_line("/close"),
            Ok(Input::Close(Some(CloseFrame::new(CloseCode::NORMAL, ""))))
        );
        assert!(parse_line("/close 1006").is_err());
        assert!(parse_line("/close abc").is_err());
        assert!(parse_line("/frobnicate").is_err());
    }
}
