//! What `ws` has on par with websocat and wscat: a server that answers
//! every accepted message (with its echo, or a Close that says why),
//! `--version`, pongs and the peer's Close on stderr, `--reconnect`,
//! `ws send` streaming a file in bounded memory, `--jsonl`.

mod common;

use common::{scripted_peer, serve, temp_dir, ws};
use std::net::TcpListener;

/// `len` printable ASCII bytes that do not repeat (xorshift).
fn noise(len: usize, mut state: u64) -> String {
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(b'!' + (state % 90) as u8)
        })
        .collect()
}

#[test]
fn serve_echoes_a_message_as_large_as_its_limit() {
    // The write buffer follows --max-message-size: a message of exactly
    // the limit, and its frame headers, fit (a buffer of only the limit
    // would not take the headers and the echo would be refused).
    const LIMIT: usize = 3 << 20;
    let (_server, url) = serve(&["--max-message-size", &LIMIT.to_string(), "--no-compress"]);
    let line = noise(LIMIT, 7);
    let mut client = ws(&[&url]);
    client.write_line(&line);
    let echoed = client.read_stdout(LIMIT + 1);
    assert!(echoed[..LIMIT] == *line.as_bytes(), "the echo differs");
    let (status, _, err) = client.finish();
    assert!(status.success(), "{err:?}");
}

#[test]
fn serve_answers_an_echo_it_cannot_queue_with_a_close_not_a_reset() {
    // A write buffer smaller than a message the server accepts: the echo
    // cannot be queued, and the client hears why in a Close (1009, with
    // a reason), followed by a clean closing handshake.
    let (mut server, url) = serve(&[
        "--max-message-size",
        "4194304",
        "--max-write-buffer",
        "1048576",
        "--no-compress",
    ]);
    let mut client = ws(&[&url]);
    client.write_line(&noise(2 << 20, 11));
    client.write_line("after the refusal");
    let line = client.wait_for("closed by peer: 1009");
    assert!(line.contains("cannot echo 2097152 bytes"), "{line}");
    let (status, out, err) = client.finish();
    assert_eq!(status.code(), Some(6), "{err:?}");
    assert!(out.is_empty(), "nothing was echoed: {} bytes", out.len());
    let err = err.join("\n");
    assert!(
        !err.contains("1006") && !err.contains("reset") && !err.contains("failed"),
        "{err}"
    );
    server.wait_for("closing with 1009");
    // The server saw the client's answer to its Close, not a broken stream.
    let closed = server.wait_for(": closed: ");
    assert!(closed.contains("1009"), "{closed}");
}

#[test]
fn version_prints_the_package_version() {
    let (status, out, err) = ws(&["--version"]).finish();
    assert!(status.success(), "{err:?}");
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("ws {}\n", env!("CARGO_PKG_VERSION"))
    );
    let (status, out, _) = ws(&["-V"]).finish();
    assert!(status.success());
    assert!(out.starts_with(b"ws "));
}

#[test]
fn pongs_and_the_peers_close_show_on_stderr() {
    // A server that answers a ping, sends one of its own, and closes
    // with 1001 and a reason.
    let (url, server) = scripted_peer(|ws| {
        // The client's /ping: answered by the engine as it is read.
        loop {
            if let sockwell_server::Message::Ping(_) = ws.read().unwrap() {
                break;
            }
        }
        ws.send(sockwell_server::Message::ping(&b"srv"[..]))
            .unwrap();
        ws.send(sockwell_server::Message::text("bye soon")).unwrap();
        let frame =
            sockwell_server::CloseFrame::new(sockwell_server::CloseCode::GOING_AWAY, "maintenance");
        ws.close(Some(frame)).unwrap();
    });
    let mut client = ws(&[&url]);
    client.write_line("/ping hello");
    client.wait_for("< pong (5 bytes)");
    client.wait_for("< ping (3 bytes)");
    client.wait_for("closed by peer: 1001 (going away) \"maintenance\"");
    let (status, out, err) = client.finish();
    server.join().unwrap();
    // 1001 is a normal ending.
    assert!(status.success(), "{err:?}");
    assert_eq!(String::from_utf8(out).unwrap(), "bye soon\n");
}

#[test]
fn reconnect_comes_back_to_a_restarted_server() {
    let (first, url) = serve(&[]);
    let addr = url
        .trim_start_matches("ws://")
        .trim_end_matches('/')
        .to_owned();
    let mut client = ws(&[&url, "--reconnect"]);
    client.write_line("before");
    assert_eq!(client.read_stdout(7), b"before\n");
    // The server goes away without a Close.
    drop(first);
    client.wait_for("reconnecting in");
    let mut second = ws(&["serve", &addr]);
    assert_eq!(second.url(), url, "the second server has the same port");
    client.wait_for("reconnected to");
    client.write_line("after");
    assert_eq!(client.read_stdout(6), b"after\n");
    let (status, _, err) = client.finish();
    assert!(status.success(), "{err:?}");
    // Without --reconnect the drop ends it (exit 6).
    let mut once = ws(&[&url]);
    once.wait_for("connected to");
    drop(second);
    let (status, _, err) = once.finish();
    assert_eq!(status.code(), Some(6), "{err:?}");
}

#[test]
fn reconnect_gives_up_after_max_reconnects() {
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let client = ws(&[&format!("ws://{addr}/"), "--max-reconnects", "2"]);
    let (status, _, err) = client.finish();
    assert_eq!(status.code(), Some(3), "{err:?}");
    let tries = err.iter().filter(|l| l.contains("reconnecting in")).count();
    assert_eq!(tries, 2, "{err:?}");
    assert!(
        err.iter().any(|l| l.contains("(attempt 2 of 2)")),
        "{err:?}"
    );
}

/// The peak resident memory of a process, from /proc.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .unwrap_or_else(|| panic!("no VmHWM in {status}"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn send_streams_a_large_file_in_bounded_memory() {
    const SIZE: usize = 64 << 20;
    const BOUND_KIB: u64 = 48 << 10;
    let dir = temp_dir("stream");
    // Compressible, not repeating exactly.
    let data: Vec<u8> = (0..SIZE as u32)
        .map(|i| (i.wrapping_mul(i) >> 9) as u8 % 32 + b'a')
        .collect();
    let file = dir.join("big.bin");
    std::fs::write(&file, &data).unwrap();
    // A server that keeps what it receives and, once the whole message is
    // in, measures the sender's peak memory before closing.
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = tcp.local_addr().unwrap().port();
    let (pid_tx, pid_rx) = std::sync::mpsc::channel::<u32>();
    let server = std::thread::spawn(move || {
        let (conn, _) = tcp.accept().unwrap();
        let mut config = sockwell_server::ServerConfig::default()
            .with_extension(sockwell_server::DeflateConfig::default());
        config.websocket.limits.max_message_size = 128 << 20;
        let mut ws = sockwell_server::accept_with_config(conn, config).unwrap();
        let received = loop {
            match ws.read().unwrap() {
                sockwell_server::Message::Binary(data) => break data,
                _ => continue,
            }
        };
        let peak = peak_rss_kib(pid_rx.recv().unwrap());
        ws.close(None).unwrap();
        while ws.read().is_ok() {}
        (received, peak)
    });
    let sender = ws(&[
        "send",
        file.to_str().unwrap(),
        &format!("ws://127.0.0.1:{port}/"),
    ]);
    pid_tx.send(sender.id()).unwrap();
    let (status, _, err) = sender.finish();
    let (received, peak) = server.join().unwrap();
    assert!(status.success(), "{err:?}");
    eprintln!("the sender peaked at {peak} KiB");
    assert_eq!(received.len(), SIZE);
    assert!(received == data, "the file arrived changed");
    assert!(
        peak < BOUND_KIB,
        "the sender peaked at {peak} KiB for a {SIZE}-byte file"
    );
    // Compressed, and the summary says what it saved.
    let summary = err
        .iter()
        .find(|l| l.starts_with("sent ") && l.contains("on the wire"))
        .unwrap_or_else(|| panic!("a summary line: {err:?}"));
    assert!(summary.contains(&format!("({SIZE} bytes)")), "{summary}");
    assert!(summary.contains("% saved"), "{summary}");
    let wire: u64 = summary
        .split(" as ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("bytes on the wire in {summary}"));
    assert!(wire < SIZE as u64 / 2, "{summary}");
    // The progress lines (one a second on a pipe) count what was read.
    if let Some(progress) = err.iter().find(|l| l.starts_with("read ")) {
        assert!(progress.contains("on the wire"), "{progress}");
    }
}

#[test]
fn send_text_checks_utf8_across_chunks_and_refuses_a_file_that_is_not() {
    let (_server, url) = serve(&[]);
    let dir = temp_dir("not-utf8");
    // A two-byte character across the 1 MiB boundary between two chunks.
    let mut text = "a".repeat((1 << 20) - 1);
    text.push_str(&"é".repeat(1000));
    let file = dir.join("straddle.txt");
    std::fs::write(&file, &text).unwrap();
    let (status, _, err) = ws(&["send", "--text", file.to_str().unwrap(), &url]).finish();
    assert!(status.success(), "{err:?}");
    assert!(
        err.iter()
            .any(|l| l.contains(&format!("({} bytes)", text.len()))),
        "{err:?}"
    );
    let file = dir.join("latin1.txt");
    std::fs::write(&file, b"caf\xe9\n").unwrap();
    let (status, _, err) = ws(&["send", "--text", file.to_str().unwrap(), &url]).finish();
    assert_eq!(status.code(), Some(1), "{err:?}");
    assert!(err.join("\n").contains("is not UTF-8"), "{err:?}");
}

#[test]
fn keepalives_own_pongs_stay_quiet_while_a_pings_pong_shows() {
    // A server that waits for the client's keepalive ping (answered by
    // its engine as it reads it), then sends a ping of its own, so the
    // client has read keepalive's pong before it shows "< ping".
    let (url, server) = scripted_peer(|ws| {
        use sockwell_server::Message;
        loop {
            match ws.read().unwrap() {
                Message::Ping(p) if &p[..] == sockwell_server::Keepalive::PING_PAYLOAD => break,
                _ => {}
            }
        }
        ws.send(Message::ping(&b"srv"[..])).unwrap();
    });
    let mut client = ws(&[&url, "--ping-interval", "0.2"]);
    client.wait_for("< ping (3 bytes)");
    client.write_line("/ping mine");
    client.wait_for("< pong (4 bytes)");
    let (status, _, err) = client.finish();
    server.join().unwrap();
    assert!(status.success(), "{err:?}");
    let keepalive_pong = format!(
        "< pong ({} bytes)",
        sockwell_server::Keepalive::PING_PAYLOAD.len()
    );
    assert!(!err.iter().any(|l| l.contains(&keepalive_pong)), "{err:?}");
}

#[test]
fn jsonl_prints_one_json_object_per_message() {
    // A server that sends one of each: text, binary, ping, an unsolicited
    // pong, and a Close with a code and a reason.
    let tricky = "quote \" backslash \\ tab \t bell \u{7} é ✓";
    let (url, server) = scripted_peer(move |ws| {
        use sockwell_server::{CloseCode, CloseFrame, Message};
        ws.send(Message::text(tricky)).unwrap();
        ws.send(Message::binary(&b"\x00\xffraw"[..])).unwrap();
        ws.send(Message::ping(&b"p"[..])).unwrap();
        ws.send(Message::pong(&b"beat"[..])).unwrap();
        let frame = CloseFrame::new(CloseCode::from(4001), "done \"here\"");
        ws.close(Some(frame)).unwrap();
    });
    let client = ws(&[&url, "--jsonl"]);
    let (status, out, err) = client.finish();
    server.join().unwrap();
    assert_eq!(
        status.code(),
        Some(6),
        "a 4001 is no normal ending: {err:?}"
    );
    let out = String::from_utf8(out).unwrap();
    let parsed: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    assert_eq!(parsed.len(), 5, "{out}");
    assert_eq!(parsed[0]["type"], "text");
    assert_eq!(parsed[0]["data"], tricky);
    assert_eq!(parsed[1]["type"], "binary");
    assert_eq!(parsed[1]["base64"], "AP9yYXc=");
    assert_eq!(parsed[2]["type"], "ping");
    assert_eq!(parsed[2]["base64"], "cA==");
    assert_eq!(parsed[3]["type"], "pong");
    assert_eq!(parsed[3]["base64"], "YmVhdA==");
    assert_eq!(parsed[4]["type"], "close");
    assert_eq!(parsed[4]["code"], 4001);
    assert_eq!(parsed[4]["reason"], "done \"here\"");
}

#[test]
fn send_compresses_in_the_agreed_window_or_not_at_all() {
    let (_server, url) = serve(&[]);
    let dir = temp_dir("windows");
    let data: Vec<u8> = (0u32..3 << 20)
        .map(|i| (i.wrapping_mul(i) >> 9) as u8 % 32 + b'a')
        .collect();
    let file = dir.join("f.bin");
    std::fs::write(&file, &data).unwrap();
    let file = file.to_str().unwrap();
    // zlib has no 2^8 window: the file goes uncompressed; 2^9 compresses.
    for (bits, compressed) in [("8", false), ("9", true), ("15", true)] {
        let (status, _, err) = ws(&["send", "--client-max-window-bits", bits, file, &url]).finish();
        assert!(status.success(), "{bits}: {err:?}");
        let summary = err
            .iter()
            .find(|l| l.contains("on the wire"))
            .unwrap_or_else(|| panic!("{err:?}"));
        assert_eq!(summary.contains("% saved"), compressed, "{bits}: {summary}");
    }
}
