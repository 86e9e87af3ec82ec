//! `ws serve` and `ws` against each other, through pipes: what each prints,
//! and the exit statuses.

mod common;

use common::{scripted_peer, serve, temp_dir, ws};
use std::io::{Read, Write};
use std::net::TcpListener;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn chat_through_a_pipe_with_compression_negotiated() {
    let (mut server, url) = serve(&["--level", "1"]);
    let long = "compress me ".repeat(200);
    let mut client = ws(&[&url, "--show-handshake", "--client-max-window-bits", "10"]);
    client.write_line("hello");
    client.write_line(&long);
    client.write_line("/ping hi");
    client.write_line("//not a command");
    client.close_stdin();
    let (status, out, err) = client.finish();
    assert!(status.success(), "{status:?} {err:?}");
    assert_eq!(text(&out), format!("hello\n{long}\n/not a command\n"));
    let err = err.join("\n");
    // Agreed on both sides: the client's status line and the response
    // header it printed, the server's connection line.
    assert!(
        err.contains("connected to ws://") && err.contains("permessage-deflate"),
        "{err}"
    );
    assert!(
        err.contains("sec-websocket-extensions: permessage-deflate")
            && err.contains("client_max_window_bits=10"),
        "{err}"
    );
    assert!(err.contains("HTTP/1.1 101 Switching Protocols"), "{err}");
    assert!(err.contains("< pong (2 bytes)"), "{err}");
    assert!(
        err.contains("close answered: 1000 (normal closure)"),
        "{err}"
    );
    let line = server.wait_for("connected (");
    assert!(line.contains("permessage-deflate"), "{line}");
    server.wait_for("closed: 1000");
}

#[test]
fn no_compress_agrees_to_nothing() {
    let (_server, url) = serve(&[]);
    let mut client = ws(&[&url, "--no-compress"]);
    client.write_line("plain");
    let (status, out, err) = client.finish();
    assert!(status.success(), "{err:?}");
    assert_eq!(text(&out), "plain\n");
    assert!(err.iter().any(|l| l.contains("(no extensions)")), "{err:?}");
}

#[test]
fn broadcast_reaches_the_others_and_not_the_sender() {
    let (_server, url) = serve(&["--broadcast"]);
    let mut listener = ws(&[&url]);
    listener.wait_for("connected to");
    let mut speaker = ws(&[&url]);
    speaker.wait_for("connected to");
    speaker.write_line("hi all");
    assert_eq!(listener.read_stdout(7), b"hi all\n");
    let (status, out, _) = speaker.finish();
    assert!(status.success());
    assert!(
        out.is_empty(),
        "the sender does not hear itself: {}",
        text(&out)
    );
    let (status, out, _) = listener.finish();
    assert!(status.success());
    assert!(out.is_empty(), "nothing more: {}", text(&out));
}

#[test]
fn broadcast_reaches_listeners_of_every_window_size() {
    // Each listener needs a copy of its own: no compression, and each
    // window size the server may compress with. The room keeps some and
    // encodes the rest per listener; every listener reads the same lines.
    let (_server, url) = serve(&["--broadcast"]);
    let mut listeners = vec![ws(&[&url, "--no-compress"])];
    for bits in 8..=15 {
        let bits = bits.to_string();
        listeners.push(ws(&[&url, "--server-max-window-bits", &bits]));
    }
    for listener in &mut listeners {
        listener.wait_for("connected to");
    }
    let mut speaker = ws(&[&url]);
    speaker.wait_for("connected to");
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let noise: String = (0..20_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(b'!' + (state % 90) as u8)
        })
        .collect();
    let lines = ["short".to_owned(), "say it again ".repeat(2_000), noise];
    for line in &lines {
        speaker.write_line(line);
    }
    let expected: String = lines.iter().map(|line| format!("{line}\n")).collect();
    for listener in &mut listeners {
        assert!(
            text(&listener.read_stdout(expected.len())) == expected,
            "{:?}",
            listener.seen
        );
    }
    let (status, _, err) = speaker.finish();
    assert!(status.success(), "{err:?}");
    for listener in listeners {
        let (status, out, err) = listener.finish();
        assert!(status.success(), "{err:?}");
        assert!(out.is_empty(), "nothing more: {}", text(&out));
    }
}

#[test]
fn send_delivers_a_file_byte_for_byte_with_progress() {
    // (A broadcast server takes messages up to 1 MiB unless told more.)
    let (_server, url) = serve(&["--broadcast", "--max-message-size", "4194304"]);
    let dir = temp_dir("send");
    // 2 MiB that compress well and do not repeat exactly.
    let data: Vec<u8> = (0u32..2 << 20)
        .map(|i| (i.wrapping_mul(i) >> 7) as u8 % 16)
        .collect();
    let file = dir.join("data.bin");
    std::fs::write(&file, &data).unwrap();
    let mut listener = ws(&[&url, "--binary"]);
    listener.wait_for("connected to");
    let sender = ws(&["send", file.to_str().unwrap(), &url]);
    let (status, _, err) = sender.finish();
    assert!(status.success(), "{err:?}");
    let sent = err
        .iter()
        .find(|l| l.starts_with("sent ") && l.contains("on the wire"))
        .unwrap_or_else(|| panic!("a summary line: {err:?}"));
    assert!(sent.contains(&format!("({} bytes)", data.len())), "{sent}");
    assert!(
        listener.read_stdout(data.len()) == data,
        "the bytes that arrived differ"
    );
}

#[test]
fn a_refusal_shows_its_status_and_body_and_exits_5() {
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = tcp.local_addr().unwrap().port();
    let refuser = std::thread::spawn(move || {
        let (mut conn, _) = tcp.accept().unwrap();
        let mut head = Vec::new();
        let mut byte = [0];
        while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap() == 1 {
            head.push(byte[0]);
        }
        let body = "no token, no entry\n";
        let answer = format!(
            "HTTP/1.1 403 Forbidden\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        conn.write_all(answer.as_bytes()).unwrap();
        text(&head)
    });
    let client = ws(&[&format!("ws://127.0.0.1:{port}/room"), "-H", "X-Token: abc"]);
    let (status, _, err) = client.finish();
    assert_eq!(status.code(), Some(5), "{err:?}");
    let err = err.join("\n");
    assert!(err.contains("403 Forbidden"), "{err}");
    assert!(err.contains("no token, no entry"), "{err}");
    let head = refuser.join().unwrap();
    assert!(head.starts_with("GET /room HTTP/1.1\r\n"), "{head}");
    assert!(
        head.contains("x-token: abc\r\n"),
        "the -H header was sent: {head}"
    );
}

#[test]
fn escape_sequences_from_the_server_are_not_printed_raw() {
    // A refusal whose body clears the screen and retitles the window.
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = tcp.local_addr().unwrap().port();
    let refuser = std::thread::spawn(move || {
        let (mut conn, _) = tcp.accept().unwrap();
        let mut head = Vec::new();
        let mut byte = [0];
        while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap() == 1 {
            head.push(byte[0]);
        }
        let body = "\x1b[2J\x1b]0;pwned\x07\u{9b}31mgo away\r\n";
        let answer = format!(
            "HTTP/1.1 403 Forbidden\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        conn.write_all(answer.as_bytes()).unwrap();
    });
    let (status, _, err) = ws(&[&format!("ws://127.0.0.1:{port}/")]).finish();
    refuser.join().unwrap();
    assert_eq!(status.code(), Some(5), "{err:?}");
    let err = err.join("\n");
    assert!(err.contains("go away"), "{err}");
    assert!(!err.contains(['\x1b', '\x07', '\u{9b}', '\r']), "{err:?}");

    // A close reason with the same.
    let (url, closer) = scripted_peer(|ws| {
        let reason = "\x1b[2J\x1b[31mbye";
        let frame =
            sockwell_server::CloseFrame::new(sockwell_server::CloseCode::from(4000), reason);
        ws.close(Some(frame)).unwrap();
    });
    let (status, _, err) = ws(&[&url]).finish();
    closer.join().unwrap();
    assert_eq!(status.code(), Some(6), "{err:?}");
    let err = err.join("\n");
    assert!(err.contains("bye"), "{err}");
    assert!(!err.contains('\x1b'), "{err:?}");
}

#[test]
fn exit_statuses_say_what_failed() {
    // Usage.
    let (status, _, err) = ws(&["--level", "12", "ws://127.0.0.1:1/"]).finish();
    assert_eq!(status.code(), Some(2), "{err:?}");
    assert!(err.join("\n").contains("--level"), "{err:?}");
    // Nothing listens: connect.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let (status, _, err) = ws(&[&format!("ws://{addr}/")]).finish();
    assert_eq!(status.code(), Some(3), "{err:?}");
    assert!(err.join("\n").contains("cannot connect"), "{err:?}");
    // wss:// to a ws:// server: TLS, at once.
    let (_server, url) = serve(&[]);
    let tls_url = url.replacen("ws://", "wss://", 1);
    let (status, _, err) = ws(&[&tls_url]).finish();
    assert_eq!(status.code(), Some(4), "{err:?}");
    assert!(err.join("\n").contains("TLS handshake"), "{err:?}");
}

#[test]
fn a_message_over_the_servers_limit_is_closed_1009_and_exits_6() {
    let (_server, url) = serve(&["--max-message-size", "10"]);
    let mut client = ws(&[&url]);
    client.write_line("this line is longer than ten bytes");
    client.wait_for("closed by peer: 1009");
    let (status, _, err) = client.finish();
    assert_eq!(status.code(), Some(6), "{err:?}");
    assert!(
        err.iter()
            .any(|l| l.contains("closed by the server: 1009 (message too big)")),
        "{err:?}"
    );
}

#[test]
fn close_command_sends_its_code_and_reason() {
    let (mut server, url) = serve(&[]);
    let mut client = ws(&[&url]);
    client.write_line("/close 4000 see you");
    let (status, _, err) = client.finish();
    assert!(status.success(), "a close we started ends well: {err:?}");
    server.wait_for("closed: 4000 (private use) \"see you\"");
}

/// A CA, and a certificate it signs for 127.0.0.1, as PEM files.
fn certificates(dir: &std::path::Path) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "sockwell-cli test CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("cert.pem"), leaf.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
}

#[test]
fn wss_with_a_private_ca_and_insecure() {
    let dir = temp_dir("wss");
    certificates(&dir);
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let (_server, url) = serve(&["--cert", &path("cert.pem"), "--key", &path("key.pem")]);
    assert!(url.starts_with("wss://"), "{url}");
    let ca = path("ca.pem");
    for trust in [vec!["--ca", ca.as_str()], vec!["--insecure"]] {
        let mut args = vec![url.as_str()];
        args.extend(&trust);
        let mut client = ws(&args);
        client.write_line("secret");
        let (status, out, err) = client.finish();
        assert!(status.success(), "{trust:?}: {err:?}");
        assert_eq!(text(&out), "secret\n");
        assert!(
            err.iter().any(|l| l.contains("permessage-deflate")),
            "{err:?}"
        );
    }
    // The built-in roots do not know this CA.
    let (status, _, err) = ws(&[&url]).finish();
    assert_eq!(status.code(), Some(4), "{err:?}");
    assert!(err.join("\n").contains("UnknownIssuer"), "{err:?}");
}

#[test]
fn a_ca_certificate_as_the_servers_own_is_refused_with_a_hint() {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    // What `openssl req -x509` makes: self-signed, CA:TRUE.
    let dir = temp_dir("ca-as-leaf");
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let (_server, url) = serve(&["--cert", &path("cert.pem"), "--key", &path("key.pem")]);
    let (status, _, err) = ws(&[&url, "--ca", &path("cert.pem")]).finish();
    assert_eq!(status.code(), Some(4), "{err:?}");
    let err = err.join("\n");
    assert!(err.contains("CaUsedAsEndEntity"), "{err}");
    assert!(
        err.contains("hint: give the server a leaf certificate") && err.contains("--ca FILE"),
        "{err}"
    );
}

#[test]
fn lines_that_are_not_utf8_go_as_binary_or_not_at_all() {
    let (_server, url) = serve(&[]);
    // --binary: sent as they are, echoed raw.
    let mut client = ws(&[&url, "--binary"]);
    client.stdin().write_all(b"caf\xe9\r\nok\n").unwrap();
    client.close_stdin();
    let (status, out, err) = client.finish();
    assert!(status.success(), "{err:?}");
    assert_eq!(
        out, b"caf\xe9ok",
        "each line a binary message, no line ends"
    );
    // Text: refused with a word on stderr, and the next line still goes.
    let mut client = ws(&[&url]);
    client.stdin().write_all(b"caf\xe9\nstill here\n").unwrap();
    client.close_stdin();
    let (status, out, err) = client.finish();
    assert!(status.success(), "{err:?}");
    assert_eq!(text(&out), "still here\n");
    assert!(err.iter().any(|l| l.contains("not UTF-8")), "{err:?}");
}

/// 20 MiB that do not compress.
fn incompressible(dir: &std::path::Path) -> (std::path::PathBuf, usize) {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let data: Vec<u8> = (0..20 << 20)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let file = dir.join("random.bin");
    std::fs::write(&file, &data).unwrap();
    (file, data.len())
}

#[test]
fn a_message_larger_than_a_frame_limit_goes_in_frames_and_a_refusal_says_1009() {
    let dir = temp_dir("large");
    let (file, size) = incompressible(&dir);
    let file = file.to_str().unwrap();
    // The server takes 32 MiB messages: the 20 MiB go (in 1 MiB frames,
    // under the 16 MiB frame limit a peer may keep) and come back.
    let (_server, url) = serve(&["--max-message-size", "33554432", "--no-compress"]);
    let (status, _, err) = ws(&["send", file, &url]).finish();
    assert!(status.success(), "{err:?}");
    assert!(
        err.iter().any(|l| l.contains(&format!("({size} bytes)"))),
        "{err:?}"
    );
    // A default `ws serve` takes 16 MiB: the sender hears why it was refused.
    let (_server, url) = serve(&["--no-compress"]);
    let (status, _, err) = ws(&["send", file, &url]).finish();
    assert_eq!(status.code(), Some(6), "{err:?}");
    assert!(err.join("\n").contains("1009"), "{err:?}");
}

#[test]
fn send_reads_stdin_for_a_dash() {
    let (_server, url) = serve(&["--broadcast"]);
    let mut listener = ws(&[&url]);
    listener.wait_for("connected to");
    let mut sender = ws(&["send", "--text", "-", &url]);
    sender.stdin().write_all(b"from stdin").unwrap();
    let (status, _, err) = sender.finish();
    assert!(status.success(), "{err:?}");
    assert_eq!(listener.read_stdout(11), b"from stdin\n");
}
