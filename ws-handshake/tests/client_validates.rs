//! The client handshake: the request it writes (RFC 6455 §4.1) and how it
//! checks canned server responses. The key is random, so each test captures
//! the request first (the stream blocks once it is written), then answers it.

mod common;

use common::{frame, parse_head, Head, MemStream};
use sockwell_core::{Message, WebSocket};
use sockwell_handshake::http::{header, Request, Response, StatusCode};
use sockwell_handshake::{
    derive_accept_key, is_valid_key, ClientConfig, ClientHandshake, HandshakeError,
    IntoClientRequest, ResumableError,
};

const URL: &str = "ws://example.com/path?q=1";

type Outcome = Result<(WebSocket<MemStream>, Response<()>), HandshakeError>;

/// Starts a client handshake, lets it write its request and block on the
/// response, then feeds it what `respond` builds from the request and the
/// accept value that matches its key.
fn exchange(
    request: impl IntoClientRequest,
    config: ClientConfig,
    respond: impl FnOnce(&Head, &str) -> Vec<u8>,
) -> (Head, Outcome) {
    let stream = MemStream::blocking();
    let hs = ClientHandshake::new(stream.clone(), request, config).expect("valid request");
    let hs = match hs.handshake() {
        Err(ResumableError::Interrupted(hs)) => hs,
        Err(ResumableError::Failure(e)) => panic!("failed before any response: {e:?}"),
        Ok(_) => panic!("completed without a response"),
    };
    let sent = parse_head(&stream.take_output());
    assert!(sent.rest.is_empty(), "nothing after the request head");
    let key = sent.get("sec-websocket-key").expect("key sent");
    assert!(is_valid_key(key.as_bytes()), "{key}");
    let accept = derive_accept_key(key.as_bytes());
    stream.push_input(respond(&sent, &accept));
    let outcome = match hs.handshake() {
        Ok(ok) => Ok(ok),
        Err(ResumableError::Failure(e)) => Err(e),
        Err(ResumableError::Interrupted(_)) => panic!("whole response was available"),
    };
    assert!(stream.output().is_empty(), "the client writes nothing more");
    (sent, outcome)
}

/// A 101 with `accept` and the extra header lines.
fn response(accept: &str, extra: &[&str]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n"
    );
    for line in extra {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.into_bytes()
}

fn expect_err(outcome: Outcome) -> HandshakeError {
    match outcome {
        Ok((_, resp)) => panic!("accepted {resp:?}"),
        Err(e) => e,
    }
}

#[test]
fn request_carries_the_required_headers() {
    let (sent, outcome) = exchange(URL, ClientConfig::default(), |_, a| response(a, &[]));
    assert_eq!(sent.start_line, "GET /path?q=1 HTTP/1.1");
    assert_eq!(sent.get("host"), Some("example.com"));
    assert_eq!(sent.get("upgrade"), Some("websocket"));
    assert_eq!(sent.get("connection"), Some("Upgrade"));
    assert_eq!(sent.get("sec-websocket-version"), Some("13"));
    assert_eq!(sent.get("sec-websocket-protocol"), None);
    assert_eq!(sent.get("sec-websocket-extensions"), None);
    let (_, resp) = outcome.expect("valid 101");
    assert_eq!(resp.status(), StatusCode::SWITCHING_PROTOCOLS);
}

#[test]
fn host_keeps_the_port_and_drops_userinfo() {
    let (sent, _) = exchange(
        "ws://user:pw@example.com:9001",
        ClientConfig::default(),
        |_, a| response(a, &[]),
    );
    assert_eq!(sent.start_line, "GET / HTTP/1.1");
    assert_eq!(sent.get("host"), Some("example.com:9001"));
}

#[test]
fn keys_differ_between_handshakes() {
    let (a, _) = exchange(URL, ClientConfig::default(), |_, a| response(a, &[]));
    let (b, _) = exchange(URL, ClientConfig::default(), |_, a| response(a, &[]));
    assert_ne!(a.get("sec-websocket-key"), b.get("sec-websocket-key"));
}

#[test]
fn custom_headers_are_kept_beside_the_required_ones() {
    let request = Request::get(URL)
        .header("X-Custom", "1")
        .header(header::AUTHORIZATION, "Bearer s3cr3t")
        .header(header::ORIGIN, "http://example.com")
        .header(header::CONNECTION, "keep-alive")
        .body(())
        .unwrap();
    let (sent, outcome) = exchange(request, ClientConfig::default(), |_, a| response(a, &[]));
    outcome.expect("valid 101");
    assert_eq!(sent.start_line, "GET /path?q=1 HTTP/1.1");
    assert_eq!(sent.get("x-custom"), Some("1"));
    assert_eq!(sent.get("authorization"), Some("Bearer s3cr3t"));
    assert_eq!(sent.get("origin"), Some("http://example.com"));
    assert_eq!(sent.get("host"), Some("example.com"));
    // The required value replaces the caller's.
    assert_eq!(sent.get("connection"), Some("Upgrade"));
    assert_eq!(sent.get("upgrade"), Some("websocket"));
    assert_eq!(sent.get("sec-websocket-version"), Some("13"));
}

#[test]
fn a_caller_host_header_is_kept() {
    let request = Request::get(URL)
        .header(header::HOST, "virtual.example.org")
        .body(())
        .unwrap();
    let (sent, outcome) = exchange(request, ClientConfig::default(), |_, a| response(a, &[]));
    outcome.expect("valid 101");
    assert_eq!(sent.get("host"), Some("virtual.example.org"));
}

#[test]
fn status_200_is_unexpected_status() {
    let (_, outcome) = exchange(URL, ClientConfig::default(), |_, _| {
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Why: nope\r\n\r\nhi".to_vec()
    });
    let err = expect_err(outcome);
    let HandshakeError::UnexpectedStatus(resp) = &err else {
        panic!("expected UnexpectedStatus, got {err:?}")
    };
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["x-why"], "nope");
    assert_eq!(resp.body().as_deref(), Some(&b"hi"[..]), "the body is kept");
}

#[test]
fn a_refusal_body_that_arrives_later_is_waited_for_and_capped() {
    let mut config = ClientConfig::default();
    config.limits.max_refusal_body = 16;
    let stream = MemStream::blocking();
    let hs = ClientHandshake::new(stream.clone(), URL, config).expect("valid request");
    let Err(ResumableError::Interrupted(hs)) = hs.handshake() else {
        panic!("no response yet")
    };
    stream.push_input(
        b"HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nno token:",
    );
    let Err(ResumableError::Interrupted(hs)) = hs.handshake() else {
        panic!("the body is not complete: the client waits for the rest")
    };
    stream.push_input(b"\r\n1e\r\n see https://example.com/login\r\n0\r\n\r\n");
    let err = match hs.handshake() {
        Err(ResumableError::Failure(e)) => e,
        other => panic!("expected the refusal, got {:?}", other.map(|(_, r)| r)),
    };
    let HandshakeError::UnexpectedStatus(resp) = &err else {
        panic!("expected UnexpectedStatus, got {err:?}")
    };
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.body().as_deref(), Some(&b"no token: see ht"[..]));
}

#[test]
fn wrong_accept_is_accept_mismatch() {
    let (_, outcome) = exchange(URL, ClientConfig::default(), |_, _| {
        // The RFC example's accept, for a key that is not ours.
        response(&derive_accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="), &[])
    });
    assert!(matches!(
        expect_err(outcome),
        HandshakeError::AcceptMismatch
    ));

    // The accept must be derived from the key, not be the key itself.
    let (_, outcome) = exchange(URL, ClientConfig::default(), |sent, _| {
        response(sent.get("sec-websocket-key").unwrap(), &[])
    });
    assert!(matches!(
        expect_err(outcome),
        HandshakeError::AcceptMismatch
    ));
}

#[test]
fn missing_accept_is_missing_header() {
    let (_, outcome) = exchange(URL, ClientConfig::default(), |_, _| {
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
            .to_vec()
    });
    let err = expect_err(outcome);
    assert!(
        matches!(err, HandshakeError::MissingHeader("Sec-WebSocket-Accept")),
        "{err:?}"
    );
}

#[test]
fn missing_upgrade_is_invalid_header() {
    let (_, outcome) = exchange(URL, ClientConfig::default(), |_, a| {
        format!("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {a}\r\n\r\n")
            .into_bytes()
    });
    let err = expect_err(outcome);
    assert!(
        matches!(
            err,
            HandshakeError::InvalidHeader {
                name: "Upgrade",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn tokens_in_the_response_are_case_insensitive() {
    let (_, outcome) = exchange(URL, ClientConfig::default(), |_, a| {
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\n\
             connection: keep-alive\r\nCONNECTION: UPGRADE\r\nsec-websocket-accept: {a}\r\n\r\n"
        )
        .into_bytes()
    });
    outcome.expect("valid 101");
}

#[test]
fn subprotocols_are_offered_and_the_choice_checked() {
    let mut config = ClientConfig::default();
    config.subprotocols = vec!["chat".into(), "superchat".into()];

    let (sent, outcome) = exchange(URL, config.clone(), |_, a| {
        response(a, &["Sec-WebSocket-Protocol: superchat"])
    });
    assert_eq!(sent.get("sec-websocket-protocol"), Some("chat, superchat"));
    let (_, resp) = outcome.expect("offered subprotocol");
    assert_eq!(resp.headers()["sec-websocket-protocol"], "superchat");

    let (_, outcome) = exchange(URL, config.clone(), |_, a| {
        response(a, &["Sec-WebSocket-Protocol: v2.bookings"])
    });
    let err = expect_err(outcome);
    assert!(
        matches!(&err, HandshakeError::UnexpectedSubprotocol(p) if p == "v2.bookings"),
        "{err:?}"
    );

    // More than one chosen.
    let (_, outcome) = exchange(URL, config, |_, a| {
        response(a, &["Sec-WebSocket-Protocol: chat, superchat"])
    });
    let err = expect_err(outcome);
    assert!(
        matches!(
            err,
            HandshakeError::InvalidHeader {
                name: "Sec-WebSocket-Protocol",
                ..
            }
        ),
        "{err:?}"
    );

    // Nothing offered, yet one chosen.
    let (_, outcome) = exchange(URL, ClientConfig::default(), |_, a| {
        response(a, &["Sec-WebSocket-Protocol: chat"])
    });
    let err = expect_err(outcome);
    assert!(
        matches!(&err, HandshakeError::UnexpectedSubprotocol(p) if p == "chat"),
        "{err:?}"
    );
}

#[test]
fn extension_not_offered_is_an_extension_error() {
    let (_, outcome) = exchange(URL, ClientConfig::default(), |_, a| {
        response(a, &["Sec-WebSocket-Extensions: permessage-deflate"])
    });
    let err = expect_err(outcome);
    assert!(matches!(err, HandshakeError::Extension(_)), "{err:?}");
}

#[test]
fn http_scheme_is_accepted_and_ftp_refused() {
    let (sent, outcome) = exchange("http://example.com/a", ClientConfig::default(), |_, a| {
        response(a, &[])
    });
    outcome.expect("http:// is an accepted spelling of ws://");
    assert_eq!(sent.start_line, "GET /a HTTP/1.1");

    for url in ["ftp://example.com/", "/relative/only"] {
        let err = ClientHandshake::new(MemStream::default(), url, ClientConfig::default())
            .expect_err("not a ws URL");
        assert!(
            matches!(err, HandshakeError::InvalidRequest(_)),
            "{url}: {err:?}"
        );
    }
}

#[test]
fn eof_before_the_response_is_unexpected_eof() {
    let stream = MemStream::default(); // EOF right away
    let err = ClientHandshake::new(stream.clone(), URL, ClientConfig::default())
        .unwrap()
        .handshake()
        .expect_err("no response")
        .into_failure()
        .expect("not an interruption");
    assert!(matches!(err, HandshakeError::UnexpectedEof), "{err:?}");
    assert!(parse_head(&stream.output())
        .start_line
        .starts_with("GET /path?q=1 "));
}

#[test]
fn bytes_after_the_response_reach_the_connection() {
    let (_, outcome) = exchange(URL, ClientConfig::default(), |_, a| {
        let mut bytes = response(a, &[]);
        bytes.extend(frame(0x1, b"first", false));
        bytes.extend(frame(0x2, &[7; 300], false));
        bytes
    });
    let (mut ws, _) = outcome.expect("valid 101");
    assert_eq!(ws.read().unwrap(), Message::text("first"));
    assert_eq!(ws.read().unwrap(), Message::binary(vec![7; 300]));
    let err = ws.read().expect_err("nothing more");
    assert!(err.is_would_block(), "{err:?}");
}
