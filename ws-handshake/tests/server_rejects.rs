//! The server handshake against raw request bytes: every bad request gets the
//! error and the HTTP status (and headers) RFC 6455 §4.2 and RFC 9110 name;
//! valid ones get a correct 101, whatever the callback does to it.

mod common;

use common::server::{reject_with, run, without, BAD_REQUEST};
use common::{parse_head, request, valid_headers_except, Head, RFC_ACCEPT, VALID_REQUEST};
use sockwell_handshake::http::{header, Request, Response, StatusCode};
use sockwell_handshake::{ErrorResponse, HandshakeError, NoCallback, ServerConfig};

/// A request the default server must refuse: returns the error and the
/// parsed response, after checking what every error response must carry.
fn reject(input: impl AsRef<[u8]>, status_line: &str) -> (HandshakeError, Head) {
    reject_with(input, ServerConfig::default(), status_line)
}

#[test]
fn post_is_405_with_allow_get() {
    let input = request("POST /chat HTTP/1.1", &valid_headers_except(&[]));
    let (err, head) = reject(input, "HTTP/1.1 405 Method Not Allowed");
    assert!(
        matches!(&err, HandshakeError::MethodNotAllowed(m) if m == "POST"),
        "{err:?}"
    );
    // RFC 9110 §15.5.6: a 405 MUST carry Allow.
    assert_eq!(head.get("allow"), Some("GET"));
}

#[test]
fn http_1_0_is_505() {
    let input = request("GET /chat HTTP/1.0", &valid_headers_except(&[]));
    let (err, _) = reject(input, "HTTP/1.1 505 HTTP Version Not Supported");
    assert!(
        matches!(err, HandshakeError::UnsupportedHttpVersion),
        "{err:?}"
    );
}

#[test]
fn missing_host_is_400() {
    let (err, _) = reject(without(&["host"], &[]), BAD_REQUEST);
    assert!(
        matches!(err, HandshakeError::MissingHeader("Host")),
        "{err:?}"
    );
}

#[test]
fn missing_or_wrong_upgrade_is_400() {
    for extra in [&[][..], &["Upgrade: h2c"], &["Upgrade: websocket2, foo"]] {
        let (err, _) = reject(without(&["upgrade"], extra), BAD_REQUEST);
        assert!(
            matches!(
                err,
                HandshakeError::InvalidHeader {
                    name: "Upgrade",
                    ..
                }
            ),
            "{extra:?}: {err:?}"
        );
    }
}

#[test]
fn connection_without_upgrade_token_is_400() {
    for extra in [
        &[][..],
        &["Connection: keep-alive"],
        &["Connection: upgraded, close"],
    ] {
        let (err, _) = reject(without(&["connection"], extra), BAD_REQUEST);
        assert!(
            matches!(
                err,
                HandshakeError::InvalidHeader {
                    name: "Connection",
                    ..
                }
            ),
            "{extra:?}: {err:?}"
        );
    }
}

#[test]
fn version_8_is_426_naming_13() {
    let input = without(&["sec-websocket-version"], &["Sec-WebSocket-Version: 8"]);
    let (err, head) = reject(input, "HTTP/1.1 426 Upgrade Required");
    assert!(
        matches!(&err, HandshakeError::UnsupportedVersion(v) if v == "8"),
        "{err:?}"
    );
    // RFC 6455 §4.2.2 item 4 / §4.4: the versions the server speaks.
    assert_eq!(head.get("sec-websocket-version"), Some("13"));
    // RFC 9110 §15.5.22: a 426 MUST carry Upgrade (and so Connection: upgrade).
    assert_eq!(head.get("upgrade"), Some("websocket"));
    let connection = head.get("connection").unwrap().to_ascii_lowercase();
    assert!(
        connection.split(',').any(|t| t.trim() == "upgrade"),
        "{connection}"
    );
}

#[test]
fn missing_version_is_400() {
    let (err, head) = reject(without(&["sec-websocket-version"], &[]), BAD_REQUEST);
    assert!(
        matches!(err, HandshakeError::MissingHeader("Sec-WebSocket-Version")),
        "{err:?}"
    );
    assert_eq!(head.get("sec-websocket-version"), None);
}

#[test]
fn key_that_is_not_16_bytes_of_base64_is_400() {
    for key in [
        "dG9vIHNob3J0",                 // 9 bytes
        "AAAAAAAAAAAAAAAAAAAAAAAA",     // 24 chars, but 18 bytes
        "dGhlIHNhbXBsZSBub25jZQ==AAAA", // 16 bytes plus more
        "!!!!!!!!!!!!!!!!!!!!!!==",     // not base64
    ] {
        let line = format!("Sec-WebSocket-Key: {key}");
        let (err, _) = reject(without(&["sec-websocket-key"], &[&line]), BAD_REQUEST);
        assert!(
            matches!(
                err,
                HandshakeError::InvalidHeader {
                    name: "Sec-WebSocket-Key",
                    ..
                }
            ),
            "{key}: {err:?}"
        );
    }
    let (err, _) = reject(without(&["sec-websocket-key"], &[]), BAD_REQUEST);
    assert!(
        matches!(err, HandshakeError::MissingHeader("Sec-WebSocket-Key")),
        "{err:?}"
    );
}

#[test]
fn duplicate_key_is_400() {
    let input = without(&[], &["Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA=="]);
    let (err, _) = reject(input, BAD_REQUEST);
    assert!(
        matches!(
            err,
            HandshakeError::InvalidHeader {
                name: "Sec-WebSocket-Key",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn garbage_request_line_is_400() {
    let (err, head) = reject("\x00\x01 nonsense\r\n\r\n", BAD_REQUEST);
    assert!(matches!(err, HandshakeError::Parse(_)), "{err:?}");
    assert!(
        !head.body().is_empty(),
        "the error is explained in the body"
    );
}

#[test]
fn a_tls_client_hello_is_400_at_once() {
    // A wss:// client that reached a ws:// port: the record header of a
    // ClientHello and no blank line, ever. The answer comes at once, not
    // after the handshake timeout.
    let hello: &[u8] = b"\x16\x03\x01\x00\xf4\x01\x00\x00\xf0\x03\x03";
    let (err, _) = reject(hello, BAD_REQUEST);
    assert!(matches!(err, HandshakeError::Parse(_)), "{err:?}");
}

#[test]
fn head_over_max_head_size_is_431() {
    // 20 KB of header lines and no blank line: the server must stop at 16 KiB.
    let mut input = String::from("GET /chat HTTP/1.1\r\n");
    for i in 0..1000 {
        input.push_str(&format!("X-Filler-{i:04}: 0123456789\r\n"));
    }
    assert!(input.len() > 20_000);
    let (err, _) = reject(&input, "HTTP/1.1 431 Request Header Fields Too Large");
    assert!(
        matches!(err, HandshakeError::HeadTooLarge { max: 16384 }),
        "{err:?}"
    );
}

#[test]
fn head_over_a_lowered_max_head_size_is_431() {
    let mut config = ServerConfig::default();
    config.limits.max_head_size = 100;
    let (err, _) = reject_with(
        VALID_REQUEST,
        config,
        "HTTP/1.1 431 Request Header Fields Too Large",
    );
    assert!(
        matches!(err, HandshakeError::HeadTooLarge { max: 100 }),
        "{err:?}"
    );
}

#[test]
fn more_headers_than_max_headers_is_431() {
    let filler: Vec<String> = (0..60).map(|i| format!("X-Filler-{i}: 1")).collect();
    let mut headers = valid_headers_except(&[]);
    headers.extend(filler.iter().map(String::as_str));
    assert!(headers.len() > 64);
    let (err, _) = reject(
        request("GET /chat HTTP/1.1", &headers),
        "HTTP/1.1 431 Request Header Fields Too Large",
    );
    assert!(
        matches!(err, HandshakeError::TooManyHeaders { max: 64 }),
        "{err:?}"
    );

    // Exactly at the limit is fine.
    let mut config = ServerConfig::default();
    config.limits.max_headers = 5;
    let (result, _) = run(VALID_REQUEST, NoCallback, config);
    result.expect("5 headers with max_headers = 5");
}

#[test]
fn request_line_over_max_request_line_is_414() {
    let line = format!("GET /{} HTTP/1.1", "a".repeat(9000));
    let (err, _) = reject(
        request(&line, &valid_headers_except(&[])),
        "HTTP/1.1 414 URI Too Long",
    );
    assert!(
        matches!(err, HandshakeError::RequestLineTooLong { max: 8192 }),
        "{err:?}"
    );

    // Found before the line ends: no need to buffer the rest of it.
    let mut config = ServerConfig::default();
    config.limits.max_request_line = 20;
    let (err, _) = reject_with(
        "GET /aaaaaaaaaaaaaaaaaaaaaaaaa",
        config,
        "HTTP/1.1 414 URI Too Long",
    );
    assert!(
        matches!(err, HandshakeError::RequestLineTooLong { max: 20 }),
        "{err:?}"
    );
}

#[test]
fn eof_mid_head_is_unexpected_eof_and_nothing_is_written() {
    for cut in [0, 1, 20, VALID_REQUEST.len() - 1] {
        let (result, written) = run(&VALID_REQUEST[..cut], NoCallback, ServerConfig::default());
        let err = result.expect_err("truncated request");
        assert!(
            matches!(err, HandshakeError::UnexpectedEof),
            "cut {cut}: {err:?}"
        );
        assert!(written.is_empty(), "cut {cut}: {written:?}");
    }
}

/// Checks a 101 for the RFC key, returning the parsed response.
fn switching(written: &[u8]) -> Head {
    let head = parse_head(written);
    assert_eq!(head.start_line, "HTTP/1.1 101 Switching Protocols");
    assert_eq!(head.get("upgrade"), Some("websocket"));
    assert_eq!(head.get("connection"), Some("Upgrade"));
    assert_eq!(head.get("sec-websocket-accept"), Some(RFC_ACCEPT));
    assert!(head.rest.is_empty(), "nothing after the 101 head");
    head
}

#[test]
fn token_lists_are_case_insensitive_and_span_lines() {
    let input = without(
        &["upgrade", "connection"],
        &[
            "Connection: keep-alive, Upgrade",
            "upgrade: WebSocket",
            "CONNECTION: close",
        ],
    );
    let (result, written) = run(&input, NoCallback, ServerConfig::default());
    let req = result.expect("valid upgrade");
    assert_eq!(req.uri().path(), "/chat");
    assert_eq!(req.headers().get_all(header::CONNECTION).iter().count(), 2);
    switching(&written);

    // The tokens in separate header lines, in odd case.
    let input = without(
        &["upgrade", "connection"],
        &[
            "Connection: keep-alive",
            "connection: UPGRADE",
            "Upgrade: foo/1",
            "Upgrade: webSOCKET",
        ],
    );
    let (result, written) = run(&input, NoCallback, ServerConfig::default());
    result.expect("valid upgrade");
    switching(&written);
}

#[test]
fn subprotocol_is_the_first_offered_that_the_server_speaks() {
    let mut config = ServerConfig::default();
    config.subprotocols = vec!["chat".into(), "superchat".into()];
    let offers = [
        "Sec-WebSocket-Protocol: v2.bookings, superchat",
        "Sec-WebSocket-Protocol: chat",
    ];
    let (result, written) = run(without(&[], &offers), NoCallback, config.clone());
    result.expect("valid upgrade");
    assert_eq!(
        switching(&written).get("sec-websocket-protocol"),
        Some("superchat")
    );

    // None in common: no Sec-WebSocket-Protocol at all (§4.2.2 item 5).
    let offers = ["Sec-WebSocket-Protocol: v2.bookings, Chat"];
    let (result, written) = run(without(&[], &offers), NoCallback, config.clone());
    result.expect("valid upgrade");
    assert_eq!(switching(&written).get("sec-websocket-protocol"), None);

    // Nothing offered: none chosen.
    let (result, written) = run(VALID_REQUEST, NoCallback, config);
    result.expect("valid upgrade");
    assert_eq!(switching(&written).get("sec-websocket-protocol"), None);
}

#[test]
fn callback_headers_kept_and_required_ones_restored() {
    let callback = |req: &Request<()>, mut resp: Response<()>| -> Result<_, ErrorResponse> {
        assert_eq!(req.uri().path(), "/chat");
        assert_eq!(req.headers()["host"], "server.example.com");
        let h = resp.headers_mut();
        assert_eq!(h.get(header::SEC_WEBSOCKET_ACCEPT).unwrap(), RFC_ACCEPT);
        h.insert("x-custom", "yes".parse().unwrap());
        h.remove(header::SEC_WEBSOCKET_ACCEPT);
        h.remove(header::UPGRADE);
        h.insert(header::CONNECTION, "keep-alive".parse().unwrap());
        *resp.status_mut() = StatusCode::OK;
        Ok(resp)
    };
    let (result, written) = run(VALID_REQUEST, callback, ServerConfig::default());
    result.expect("accepted");
    let head = switching(&written);
    assert_eq!(head.get("x-custom"), Some("yes"));
}

#[test]
fn callback_rejection_writes_its_status_and_body() {
    let callback = |_: &Request<()>, _: Response<()>| -> Result<Response<()>, ErrorResponse> {
        Err(Response::builder()
            .status(StatusCode::FORBIDDEN)
            .header("x-reason", "no-token")
            .body(Some("go away".to_owned()))
            .unwrap())
    };
    let (result, written) = run(VALID_REQUEST, callback, ServerConfig::default());
    let err = result.expect_err("rejected");
    let HandshakeError::Rejected(response) = &err else {
        panic!("expected Rejected, got {err:?}")
    };
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(response.body().as_deref(), Some("go away"));
    assert_eq!(err.http_status(), Some(StatusCode::FORBIDDEN));

    let head = parse_head(&written);
    assert_eq!(head.start_line, "HTTP/1.1 403 Forbidden");
    assert_eq!(head.get("x-reason"), Some("no-token"));
    assert_eq!(head.get("content-length"), Some("7"));
    assert_eq!(head.get("connection"), Some("close"));
    assert_eq!(head.get("sec-websocket-accept"), None);
    assert_eq!(head.body(), "go away");
}

#[test]
fn a_refusal_status_without_a_standard_reason_is_sent_with_the_reason_error() {
    let callback = |_: &Request<()>, _: Response<()>| -> Result<Response<()>, ErrorResponse> {
        Err(Response::builder()
            .status(StatusCode::from_u16(499).unwrap())
            .body(None)
            .unwrap())
    };
    let (result, written) = run(VALID_REQUEST, callback, ServerConfig::default());
    result.expect_err("rejected");
    assert_eq!(parse_head(&written).start_line, "HTTP/1.1 499 Error");
}

#[test]
fn callback_is_not_called_for_an_invalid_request() {
    let callback = |_: &Request<()>, _: Response<()>| -> Result<Response<()>, ErrorResponse> {
        panic!("callback called for an invalid request")
    };
    let (result, written) = run(without(&["host"], &[]), callback, ServerConfig::default());
    assert!(matches!(result, Err(HandshakeError::MissingHeader("Host"))));
    assert_eq!(parse_head(&written).start_line, BAD_REQUEST);
}
