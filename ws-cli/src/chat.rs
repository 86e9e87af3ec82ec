//! `ws URL`: stdin lines out as messages, messages in on stdout, commands
//! (`/ping`, `/close`) in between.

use crate::args::Args;
use crate::client::{connect, read_all, stalled, while_active, Ended, Socket, Writer};
use crate::config;
use crate::failure::{describe_close, exit, Failure};
use crate::progress::Counter;
use base64::Engine as _;
use sockwell_client::{CloseCode, CloseFrame, Keepalive, Message};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How received messages are shown.
#[derive(Clone, Copy)]
struct Show {
    /// `--binary`: binary messages raw on stdout.
    binary: bool,
    /// `--jsonl`: every message as a JSON line on stdout.
    jsonl: bool,
    /// `--quiet`: no status lines on stderr.
    quiet: bool,
}

/// `s` as a JSON string, quotes included.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One message as one line of JSON (no newline).
fn json_line(message: &Message) -> String {
    let base64 = |data: &[u8]| base64::engine::general_purpose::STANDARD.encode(data);
    match message {
        Message::Text(text) => format!(r#"{{"type":"text","data":{}}}"#, json_string(text)),
        Message::Binary(data) => format!(r#"{{"type":"binary","base64":"{}"}}"#, base64(data)),
        Message::Ping(data) => format!(r#"{{"type":"ping","base64":"{}"}}"#, base64(data)),
        Message::Pong(data) => format!(r#"{{"type":"pong","base64":"{}"}}"#, base64(data)),
        Message::Close(Some(frame)) => format!(
            r#"{{"type":"close","code":{},"reason":{}}}"#,
            frame.code.as_u16(),
            json_string(&frame.reason)
        ),
        Message::Close(None) => r#"{"type":"close","code":null,"reason":""}"#.to_owned(),
    }
}

/// Shows a message: data on stdout (text as a line; binary raw with
/// `--binary`, else as a line with its length and first bytes in hex;
/// everything as JSON with `--jsonl`), pings, pongs and the peer's Close
/// on stderr. `false` once stdout is gone (a closed pipe). The pongs that
/// answer keepalive's own pings are not shown (one every
/// `--ping-interval` of quiet would be noise); those answering `/ping`,
/// and unsolicited ones, are.
fn print(message: &Message, show: Show, state: &Conversation) -> bool {
    if let Message::Pong(data) = message {
        if !state.pong_is_shown(data) {
            return true;
        }
    }
    let we_closed = state.we_closed.load(Ordering::Relaxed);
    if !show.quiet {
        match message {
            Message::Ping(data) => eprintln!("< ping ({} bytes)", data.len()),
            Message::Pong(data) => eprintln!("< pong ({} bytes)", data.len()),
            Message::Close(frame) if we_closed => {
                eprintln!("close answered: {}", describe_close(frame.as_ref()))
            }
            Message::Close(frame) => {
                eprintln!("closed by peer: {}", describe_close(frame.as_ref()))
            }
            _ => {}
        }
    }
    let mut out = std::io::stdout().lock();
    let written = match message {
        _ if show.jsonl => writeln!(out, "{}", json_line(message)),
        Message::Text(text) => writeln!(out, "{text}"),
        Message::Binary(data) if show.binary => out.write_all(data),
        Message::Binary(data) => {
            let hex: String = data.iter().take(32).map(|b| format!("{b:02x}")).collect();
            let more = if data.len() > 32 { "…" } else { "" };
            writeln!(out, "[binary, {} bytes] {hex}{more}", data.len())
        }
        _ => return true,
    };
    written.and_then(|()| out.flush()).is_ok()
}

/// A line from stdin, as a command or a message.
#[derive(Clone, Debug, PartialEq)]
enum Input {
    Send(String),
    /// `--binary`: a line that is not UTF-8, sent as it is.
    Bytes(Vec<u8>),
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
        "ping" if rest.len() > 125 => Err("a ping carries at most 125 bytes".to_owned()),
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

/// stdin lines (without their `\n` or `\r\n`), as bytes, from a thread of
/// their own: a blocking read that never ends must not keep the runtime
/// from exiting.
fn stdin_lines() -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel(64);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        loop {
            let mut line = Vec::new();
            match std::io::BufRead::read_until(&mut stdin, b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            if line.ends_with(b"\n") {
                line.pop();
                if line.ends_with(b"\r") {
                    line.pop();
                }
            }
            if tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// What the sending side of a session tells its reader.
#[derive(Default)]
struct Conversation {
    /// Our Close is queued: the peer's answers it.
    we_closed: AtomicBool,
    /// `/ping`s sent with keepalive's payload, their pongs not yet seen.
    keepalive_like_pings: AtomicUsize,
}

impl Conversation {
    /// Whether a pong with `payload` is shown: all but keepalive's.
    fn pong_is_shown(&self, payload: &[u8]) -> bool {
        payload != Keepalive::PING_PAYLOAD
            || self
                .keepalive_like_pings
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok()
    }
}

/// How one connection ended.
enum Session {
    /// For good: end of input, our close, the peer's normal close, a failure
    /// that another connection would not mend.
    Over(Result<(), Failure>),
    /// The connection dropped (no Close, a failure, a silent peer, or the
    /// peer going away or restarting): `--reconnect` connects again.
    Dropped(Failure),
}

/// The Close codes after which `--reconnect` connects again: going away,
/// and the server's own troubles (internal error, service restart, try
/// again later, bad gateway).
fn worth_reconnecting(frame: Option<&CloseFrame>) -> bool {
    frame.is_some_and(|f| matches!(f.code.as_u16(), 1001 | 1011..=1014))
}

/// What the end of the reading side means (`reconnect`: a Close that
/// asks for it counts as a drop).
fn ended(ended: Ended, we_sent: Option<CloseCode>, reconnect: bool) -> Session {
    match ended {
        Ended::Failed(why) if we_sent.is_none() => {
            Session::Dropped(Failure::new(exit::ABNORMAL_CLOSE, why))
        }
        Ended::Closed(frame)
            if reconnect && we_sent.is_none() && worth_reconnecting(frame.as_ref()) =>
        {
            Session::Dropped(Failure::closed("the server", frame.as_ref()))
        }
        ended => Session::Over(ended.outcome(we_sent)),
    }
}

/// The wait before reconnect attempt `attempt` (0 for the first): 100 ms
/// doubling up to 5 s, each a random point in its upper half (jitter, so
/// that clients dropped together do not come back together).
fn backoff(attempt: u32) -> Duration {
    const FIRST: Duration = Duration::from_millis(100);
    const MOST: Duration = Duration::from_secs(5);
    let full = FIRST.saturating_mul(1 << attempt.min(16)).min(MOST);
    full.mul_f64(0.5 + rand::random::<f64>() / 2.0)
}

/// `ws URL`: one connection, or with `--reconnect` one after another
/// while they drop.
pub async fn chat(url: &str, args: &Args) -> Result<(), Failure> {
    let mut lines = stdin_lines();
    // A line whose send failed as its connection dropped: sent first on
    // the next one.
    let mut unsent = None;
    let mut failed_attempts = 0u32;
    let mut connected_before = false;
    loop {
        let counter = Counter::default();
        let failure = match connect(url, args, config::client(args), &counter).await {
            Ok(ws) => {
                if connected_before && !args.quiet {
                    eprintln!("reconnected to {url}");
                }
                connected_before = true;
                failed_attempts = 0;
                match session(ws, &counter, &mut lines, &mut unsent, args).await {
                    Session::Over(result) => return result,
                    Session::Dropped(failure) => failure,
                }
            }
            // Nothing listens (yet, or again): worth another try. A TLS or
            // handshake failure would fail the same way again.
            Err(failure) if failure.status == exit::CONNECT => failure,
            Err(failure) => return Err(failure),
        };
        if !args.reconnect || args.max_reconnects.is_some_and(|n| failed_attempts >= n) {
            return Err(failure);
        }
        let wait = backoff(failed_attempts);
        failed_attempts += 1;
        if !args.quiet {
            let of = args
                .max_reconnects
                .map(|n| format!(" of {n}"))
                .unwrap_or_default();
            eprintln!(
                "ws: {}; reconnecting in {:.1} s (attempt {failed_attempts}{of})",
                crate::failure::printable(&failure.message),
                wait.as_secs_f64()
            );
        }
        tokio::time::sleep(wait).await;
    }
}

/// Aborts a task when dropped: the reader of a session goes with it,
/// whichever way the session ends.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One connection: stdin lines out (`unsent` first), messages in, until it
/// ends. A line whose send fails is left in `unsent`.
async fn session(
    ws: Socket,
    counter: &Counter,
    lines: &mut mpsc::Receiver<Vec<u8>>,
    unsent: &mut Option<Input>,
    args: &Args,
) -> Session {
    let (mut reader, mut writer) = ws.into_split();
    let binary = args.binary;
    let show = Show {
        binary,
        jsonl: args.jsonl,
        quiet: args.quiet,
    };
    let state = Arc::new(Conversation::default());
    let mut reading = tokio::spawn({
        let state = state.clone();
        async move { read_all(&mut reader, |m| print(m, show, &state)).await }
    });
    // A stalled session returns with the reader still waiting: under
    // --reconnect it must not read (and print) on beside the next one.
    let _reader = AbortOnDrop(reading.abort_handle());
    let mut we_sent = None;
    loop {
        let input = match unsent.take() {
            Some(input) => input,
            None => {
                let line = tokio::select! {
                    biased;
                    done = &mut reading => match done.expect("the reader does not panic") {
                        // Nobody reads our output: say goodbye and leave.
                        Ended::OutputClosed => {
                            state.we_closed.store(true, Ordering::Relaxed);
                            let bye = writer.close(Some(CloseFrame::new(CloseCode::NORMAL, "")));
                            let _ = while_active(counter, bye).await;
                            return Session::Over(Ok(()));
                        }
                        done => return ended(done, None, args.reconnect),
                    },
                    line = lines.recv() => line,
                };
                let Some(input) = input_of(line, binary) else {
                    continue;
                };
                input
            }
        };
        match send(
            &mut writer,
            counter,
            input,
            binary,
            &mut we_sent,
            &state,
            unsent,
        )
        .await
        {
            Some(Ok(())) if we_sent.is_none() => continue,
            // Sent our Close, or the send failed: the reader says how it ended.
            Some(_) => break,
            None => return Session::Dropped(stalled()),
        }
    }
    match while_active(counter, reading).await {
        Some(done) => ended(
            done.expect("the reader does not panic"),
            we_sent,
            args.reconnect,
        ),
        None if we_sent.is_some() => Session::Over(Err(stalled())),
        None => Session::Dropped(stalled()),
    }
}

/// What a line of stdin asks for (`None`, the end of input: a normal
/// close); `None` for a line not to send, said on stderr.
fn input_of(line: Option<Vec<u8>>, binary: bool) -> Option<Input> {
    let Some(line) = line else {
        return Some(Input::Close(Some(CloseFrame::new(CloseCode::NORMAL, ""))));
    };
    match String::from_utf8(line) {
        Ok(line) => parse_line(&line)
            .map_err(|complaint| eprintln!("{complaint}"))
            .ok(),
        // Bytes that are not text: a binary message, or not at all.
        Err(bytes) if binary => Some(Input::Bytes(bytes.into_bytes())),
        Err(_) => {
            eprintln!("a line that is not UTF-8 was not sent (--binary sends bytes)");
            None
        }
    }
}

/// Sends one input, while the connection shows activity (`None`: it
/// stalled). A message that could not go out is left in `unsent`; a Close
/// is remembered in `we_sent`.
async fn send(
    writer: &mut Writer,
    counter: &Counter,
    input: Input,
    binary: bool,
    we_sent: &mut Option<CloseCode>,
    state: &Conversation,
    unsent: &mut Option<Input>,
) -> Option<Result<(), ()>> {
    let kept = match &input {
        Input::Close(_) => None,
        message => Some(message.clone()),
    };
    let sending = async {
        match input {
            Input::Send(line) if binary => writer.send(Message::binary(line.into_bytes())).await,
            Input::Send(line) => writer.send(Message::text(line)).await,
            Input::Bytes(bytes) => writer.send(Message::binary(bytes)).await,
            Input::Ping(payload) => {
                if payload.as_bytes() == Keepalive::PING_PAYLOAD {
                    state.keepalive_like_pings.fetch_add(1, Ordering::Relaxed);
                }
                writer.send(Message::ping(payload.into_bytes())).await
            }
            Input::Close(frame) => {
                *we_sent = frame.as_ref().map(|f| f.code);
                state.we_closed.store(true, Ordering::Relaxed);
                writer.close(frame).await
            }
        }
    };
    // A send that cannot go out (the server stopped reading) ends it.
    let sent = while_active(counter, sending).await;
    if !matches!(sent, Some(Ok(()))) {
        *unsent = kept;
    }
    sent.map(|r| r.map_err(drop))
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
        assert!(parse_line(&format!("/ping {}", "x".repeat(126))).is_err());
    }

    #[test]
    fn json_lines_escape_what_json_needs() {
        assert_eq!(json_string("a\"b\\c\n\u{1}é"), r#""a\"b\\c\n\u0001é""#);
        assert_eq!(
            json_line(&Message::Close(None)),
            r#"{"type":"close","code":null,"reason":""}"#
        );
    }

    #[test]
    fn backoff_doubles_to_five_seconds_with_jitter() {
        for attempt in 0..40 {
            let full = Duration::from_millis(100 << attempt.min(6)).min(Duration::from_secs(5));
            let wait = backoff(attempt);
            assert!(wait >= full / 2 && wait <= full, "{attempt}: {wait:?}");
        }
    }
}
