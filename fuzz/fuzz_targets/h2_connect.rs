//! The HTTP/2 WebSocket handshake (RFC 8441 extended CONNECT) as `http`
//! types built from the bytes: the server's validation of the request
//! (`build_connect_response`, then all of `accept_request`), the client's
//! checks of the answer (`validate_connect_response`, extension
//! confirmation), and a round trip from our client's request to our
//! server's answer and back.
//!
//! Input: a flags byte (bits 0-1 the method, bit 2 a `:protocol`, bit 3
//! version HTTP/2 for `accept_request`, bit 4 `user:pass@` in the round
//! trip's URL, bits 5-7 the permessage-deflate parameters), two bytes of
//! status, then lines: the `:protocol` value, the round trip's path, and
//! `name: value` headers (used for the request and for the answer).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockwell_handshake::http::header::{
    ALLOW, SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use sockwell_handshake::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response};
use sockwell_handshake::http::{StatusCode, Version};
use sockwell_handshake::{
    accept_request, build_connect_response, confirm_extensions, error_response_for,
    prepare_connect_request, validate_connect_response, ClientConfig, HandshakeError,
    IntoClientRequest, NoCallback, ServerConfig,
};

const SUBPROTOCOLS: [&str; 2] = ["chat", "superchat"];

fuzz_target!(|data: &[u8]| {
    let [flags, s0, s1, rest @ ..] = data else {
        return;
    };
    let method = match flags & 3 {
        0 | 1 => Method::CONNECT,
        2 => Method::GET,
        _ => Method::POST,
    };
    let mut lines = rest.split(|&b| b == b'\n');
    let protocol_line = lines.next().and_then(|l| std::str::from_utf8(l).ok());
    let protocol = protocol_line.filter(|_| flags & 4 != 0);
    let path = lines.next().and_then(|l| std::str::from_utf8(l).ok());
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii_start());
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            headers.append(name, value);
        }
    }
    let deflate = ws_fuzz::deflate_config(flags >> 5);
    let subprotocols: Vec<String> = SUBPROTOCOLS.iter().map(|s| s.to_string()).collect();

    // The server's side.
    let mut request = Request::new(());
    *request.method_mut() = method.clone();
    *request.version_mut() = if flags & 8 != 0 {
        Version::HTTP_2
    } else {
        Version::HTTP_11
    };
    *request.uri_mut() = sockwell_handshake::http::Uri::from_static("https://example.com/chat");
    *request.headers_mut() = headers.clone();
    match build_connect_response(&request, protocol, &subprotocols) {
        Ok(response) => {
            assert_eq!(method, Method::CONNECT);
            assert!(protocol.is_some_and(|p| p.eq_ignore_ascii_case("websocket")));
            let versions: Vec<_> = headers.get_all(SEC_WEBSOCKET_VERSION).iter().collect();
            assert_eq!(versions, [&HeaderValue::from_static("13")]);
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(response.version(), Version::HTTP_2);
            if let Some(chosen) = response.headers().get(SEC_WEBSOCKET_PROTOCOL) {
                let chosen = chosen.to_str().expect("a token");
                assert!(SUBPROTOCOLS.contains(&chosen));
                let offered = tokens(&headers, &SEC_WEBSOCKET_PROTOCOL).any(|t| t == chosen);
                assert!(offered, "chose {chosen:?}, which was not offered");
            }
        }
        Err(e) => check_refusal(&e),
    }
    let mut server = ServerConfig::default().with_extension(deflate.clone());
    server.subprotocols = subprotocols.clone();
    match accept_request(&request, protocol, &server, NoCallback) {
        Ok((response, _)) if request.version() == Version::HTTP_2 => {
            assert_eq!(response.status(), StatusCode::OK);
        }
        Ok((response, _)) => assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS),
        Err(e) if request.version() == Version::HTTP_2 => check_refusal(&e),
        Err(_) => {}
    }

    // The client's side: the same bytes as the server's answer.
    let mut answer = Response::new(());
    *answer.status_mut() = StatusCode::from_u16(100 + u16::from_be_bytes([*s0, *s1]) % 900)
        .expect("100..=999 is a status");
    *answer.version_mut() = Version::HTTP_2;
    *answer.headers_mut() = headers;
    match validate_connect_response(&answer, &subprotocols) {
        Ok(()) => {
            assert!(answer.status().is_success());
            let chosen: Vec<_> = tokens(answer.headers(), &SEC_WEBSOCKET_PROTOCOL).collect();
            assert!(chosen.len() <= 1, "more than one subprotocol accepted");
            assert!(chosen.iter().all(|c| SUBPROTOCOLS.contains(c)));
            let _ = confirm_extensions(&[deflate.clone().into_factory()], &answer);
        }
        Err(HandshakeError::UnexpectedStatus(refusal)) => {
            assert!(!answer.status().is_success());
            assert_eq!(refusal.status(), answer.status());
        }
        Err(_) => assert!(answer.status().is_success()),
    }

    // Round trip: what our client sends, our server accepts, and its answer
    // our client accepts.
    let Some(path) = path.filter(|p| p.starts_with('/')) else {
        return;
    };
    let userinfo = if flags & 16 != 0 { "user:pass@" } else { "" };
    let Ok(mut request) = format!("ws://{userinfo}example.com{path}").into_client_request() else {
        return;
    };
    let mut config = ClientConfig::default().with_extension(deflate);
    config.subprotocols = subprotocols[usize::from(flags & 1)..].to_vec();
    let offered = prepare_connect_request(&mut request, &config).expect("a ws:// URL prepares");
    assert_eq!(
        request.uri().authority().map(|a| a.as_str()),
        Some("example.com"),
        "userinfo in :authority"
    );
    let (response, server_stack) = accept_request(&request, Some("websocket"), &server, NoCallback)
        .expect("our server accepts our client's request");
    validate_connect_response(&response, &offered).expect("our client accepts our server's answer");
    let client_stack = confirm_extensions(&config.extensions, &response)
        .expect("our client confirms our server's extensions");
    assert_eq!(
        client_stack.negotiated().count(),
        server_stack.negotiated().count()
    );
});

/// A refused HTTP/2 request is answered with a 4xx, without `Upgrade`
/// (HTTP/2 has no upgrade), a 405 naming `CONNECT`.
fn check_refusal(error: &HandshakeError) {
    let refusal = error_response_for(error, true);
    assert!(
        refusal.status().is_client_error(),
        "{error:?} answered {}",
        refusal.status()
    );
    assert!(refusal.headers().get(UPGRADE).is_none());
    if refusal.status() == StatusCode::METHOD_NOT_ALLOWED {
        assert_eq!(
            refusal.headers().get(ALLOW).map(|v| v.as_bytes()),
            Some(&b"CONNECT"[..])
        );
    }
}

/// The comma-separated items of the readable values of `name`.
fn tokens<'a>(headers: &'a HeaderMap, name: &'a HeaderName) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}
