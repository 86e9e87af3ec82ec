//! `ws URL`: stdin lines out as messages, messages in on stdout, commands
//! (`/ping`, `/close`) in between.

use crate::args::Args;
use crate::client::{connect, read_all, stalled, while_active, Ended};
use crate::config;
use crate::failure::Failure;
use crate::progress::Counter;
use sockwell_client::{CloseCode, CloseFrame, Message};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Prints a data message on stdout: text as a line; binary raw with
/// `--binary`, else as a line with its length and first bytes in hex.
/// `false` once stdout is gone (a closed pipe).
fn print(message: Message, binary: bool) -> bool {
    let mut out = std::io::stdout().lock();
    let written = match message {
        Message::Text(text) => writeln!(out, "{text}"),
        Message::Binary(data) if binary => out.write_all(&data),
        Message::Binary(data) => {
            let hex: String = data.iter().take(32).map(|b| format!("{b:02x}")).collect();
            let more = if data.len() > 32 { "…" } else { "" };
            writeln!(out, "[binary, {} bytes] {hex}{more}", data.len())
        }
        _ => Ok(()),
    };
    written.and_then(|()| out.flush()).is_ok()
}

/// A line from stdin, as a command or a message.
#[derive(Debug, PartialEq)]
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

/// `ws URL`.
pub async fn chat(url: &str, args: &Args) -> Result<(), Failure> {
    let counter = Counter::default();
    let ws = connect(url, args, config::client(args), &counter).await?;
    let (mut reader, mut writer) = ws.into_split();
    let (binary, quiet) = (args.binary, args.quiet);
    let pings = Arc::new(AtomicUsize::new(0));
    let mut reading = tokio::spawn({
        let pings = pings.clone();
        async move { read_all(&mut reader, quiet, &pings, |m| print(m, binary)).await }
    });
    let mut lines = stdin_lines();
    let mut we_sent = None;
    loop {
        let line = tokio::select! {
            biased;
            ended = &mut reading => match ended.expect("the reader does not panic") {
                // Nobody reads our output: say goodbye and leave.
                Ended::OutputClosed => {
                    let bye = writer.close(Some(CloseFrame::new(CloseCode::NORMAL, "")));
                    let _ = while_active(&counter, bye).await;
                    return Ok(());
                }
                ended => return ended.outcome(None),
            },
            line = lines.recv() => line,
        };
        let input = match line {
            // End of input: a normal close.
            None => Input::Close(Some(CloseFrame::new(CloseCode::NORMAL, ""))),
            Some(line) => match String::from_utf8(line) {
                Ok(line) => match parse_line(&line) {
                    Ok(input) => input,
                    Err(complaint) => {
                        eprintln!("{complaint}");
                        continue;
                    }
                },
                // Bytes that are not text: a binary message, or not at all.
                Err(bytes) if binary => Input::Bytes(bytes.into_bytes()),
                Err(_) => {
                    eprintln!("a line that is not UTF-8 was not sent (--binary sends bytes)");
                    continue;
                }
            },
        };
        let sending = async {
            match input {
                Input::Send(line) if binary => {
                    writer.send(Message::binary(line.into_bytes())).await
                }
                Input::Send(line) => writer.send(Message::text(line)).await,
                Input::Bytes(bytes) => writer.send(Message::binary(bytes)).await,
                Input::Ping(payload) => {
                    pings.fetch_add(1, Ordering::Relaxed);
                    writer.send(Message::ping(payload.into_bytes())).await
                }
                Input::Close(frame) => {
                    we_sent = frame.as_ref().map(|f| f.code);
                    writer.close(frame).await
                }
            }
        };
        // A send that cannot go out (the server stopped reading) ends it.
        match while_active(&counter, sending).await {
            Some(Ok(())) if we_sent.is_none() => continue,
            // Sent our Close, or the send failed: the reader says how it ended.
            Some(_) => break,
            None => return Err(stalled()),
        }
    }
    match while_active(&counter, reading).await {
        Some(ended) => ended.expect("the reader does not panic").outcome(we_sent),
        None => Err(stalled()),
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
        assert!(parse_line(&format!("/ping {}", "x".repeat(126))).is_err());
    }
}
