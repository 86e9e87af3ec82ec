//! `connect` over real TCP against a `sockwell-server` echo server on 127.0.0.1.

use sockwell_client::http::{Request, Response, StatusCode};
use sockwell_client::{connect, ConnectError, Message, WsError};
use sockwell_server::ErrorResponse;
use std::net::TcpListener;
use std::thread;

/// Spawns a one-connection echo server that accepts only `path`; returns its
/// address and a handle yielding the messages it saw.
fn echo_server(path: &'static str) -> (std::net::SocketAddr, thread::JoinHandle<Vec<Message>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let callback = move |req: &Request<()>, resp: Response<()>| -> Result<_, ErrorResponse> {
            if req.uri().path() == path {
                Ok(resp)
            } else {
                Err(Response::builder()
                    .status(StatusCode::NOT_FOUND)
                    .body(Some(format!("no {}", req.uri().path())))
                    .unwrap())
            }
        };
        let mut ws = match sockwell_server::accept_hdr(stream, callback) {
            Ok(ws) => ws,
            Err(sockwell_server::ResumableError::Failure(
                sockwell_server::HandshakeError::Rejected(_),
            )) => return Vec::new(),
            Err(sockwell_server::ResumableError::Failure(e)) => panic!("server handshake: {e:?}"),
            Err(sockwell_server::ResumableError::Interrupted(_)) => {
                panic!("blocking stream blocked")
            }
        };
        let mut seen = Vec::new();
        loop {
            match ws.read() {
                Ok(message) => {
                    if message.is_data() {
                        ws.send(message.clone()).unwrap();
                    }
                    seen.push(message);
                }
                Err(WsError::ConnectionClosed) => return seen,
                Err(e) => panic!("server read: {e:?}"),
            }
        }
    });
    (addr, handle)
}

#[test]
fn echo_round_trip_and_close() {
    let (addr, server) = echo_server("/x");
    let (mut ws, response) = connect(format!("ws://{addr}/x")).expect("connect");
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);

    ws.send(Message::text("hello")).unwrap();
    assert_eq!(ws.read().unwrap(), Message::text("hello"));
    let binary: Vec<u8> = (0..=255).cycle().take(70_000).collect();
    ws.send(Message::binary(binary.clone())).unwrap();
    assert_eq!(ws.read().unwrap(), Message::binary(binary.clone()));

    ws.close(None).unwrap();
    // The server's Close reply, then the end of the closing handshake.
    assert!(ws.read().unwrap().is_close());
    assert!(matches!(ws.read(), Err(WsError::ConnectionClosed)));

    let seen = server.join().unwrap();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(seen[0], Message::text("hello"));
    assert_eq!(seen[1], Message::binary(binary));
    assert!(seen[2].is_close());
}

#[test]
fn refused_upgrade_is_a_handshake_error() {
    let (addr, server) = echo_server("/x");
    let err = connect(format!("ws://{addr}/elsewhere")).expect_err("server refuses");
    let ConnectError::Handshake(sockwell_handshake::HandshakeError::UnexpectedStatus(response)) =
        &err
    else {
        panic!("expected UnexpectedStatus, got {err:?}")
    };
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(server.join().unwrap().is_empty());
}

#[test]
fn wss_without_tls_and_other_schemes_are_url_errors() {
    let err = connect("wss://127.0.0.1:1/").expect_err("nothing listens on port 1");
    if cfg!(any(feature = "rustls", feature = "native-tls")) {
        // With TLS built in, the URL is fine: it is the TCP connect that fails.
        assert!(matches!(err, ConnectError::Connect { .. }), "{err:?}");
    } else {
        assert!(matches!(err, ConnectError::Url(_)), "{err:?}");
        assert!(
            err.to_string().contains("rustls or the native-tls feature"),
            "{err}"
        );
    }
    for url in ["http://127.0.0.1:1/", "ftp://127.0.0.1:1/"] {
        let err = connect(url).expect_err("not a ws:// URL");
        assert!(matches!(err, ConnectError::Url(_)), "{url}: {err:?}");
    }
    let err = connect("not a url").expect_err("unparsable");
    assert!(
        matches!(
            err,
            ConnectError::Handshake(sockwell_handshake::HandshakeError::InvalidRequest(_))
        ),
        "{err:?}"
    );
}

#[test]
fn closed_port_is_a_connect_error() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let err = connect(format!("ws://127.0.0.1:{port}/")).expect_err("nobody listens");
    match err {
        ConnectError::Connect { host, .. } => assert_eq!(host, format!("127.0.0.1:{port}")),
        other => panic!("expected Connect, got {other:?}"),
    }
}

#[test]
fn keepalive_turns_a_silent_peer_into_an_error() {
    use sockwell_client::{ClientConfig, WebSocketConfig};
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        // Upgrade, then never read or write again: a peer that went to sleep.
        let _socket = sockwell_server::accept(stream).unwrap();
        let _ = done_rx.recv_timeout(Duration::from_secs(30));
    });

    let websocket = WebSocketConfig::default()
        .with_keepalive(Duration::from_millis(50), Duration::from_millis(100));
    let config = ClientConfig::default().with_websocket_config(websocket);
    let (mut ws, _) = sockwell_client::ClientBuilder::new(format!("ws://{addr}/"))
        .config(config)
        .connect()
        .unwrap();
    // Without a read timeout a blocking read would wait forever.
    ws.get_mut()
        .get_mut()
        .set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let started = Instant::now();
    let outcome = loop {
        match ws.read() {
            Err(e) if e.is_would_block() => {}
            Err(WsError::Io(e)) if e.kind() == std::io::ErrorKind::TimedOut => {}
            other => break other,
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "keepalive never fired"
        );
    };
    assert!(
        matches!(outcome, Err(WsError::KeepaliveTimeout)),
        "{outcome:?}"
    );
    // At least interval + timeout passed: it did not fire early.
    assert!(started.elapsed() >= Duration::from_millis(150));
    done_tx.send(()).unwrap();
    server.join().unwrap();
}

/// A request for `ws://{addr}/` carrying `Origin: {origin}`.
fn with_origin(addr: std::net::SocketAddr, origin: &str) -> Request<()> {
    use sockwell_client::IntoClientRequest;
    let mut request = format!("ws://{addr}/").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("origin", origin.parse().unwrap());
    request
}

#[test]
fn a_foreign_origin_is_refused_with_403_and_an_allowed_one_connects() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let config = sockwell_server::ServerConfig::default().with_origins(
            sockwell_server::OriginPolicy::allowed(["https://app.example"]),
        );
        let mut outcomes = Vec::new();
        for _ in 0..2 {
            let (stream, _) = listener.accept().unwrap();
            outcomes
                .push(sockwell_server::accept_with_deadline(stream, config.clone()).map(|_| ()));
        }
        outcomes
    });
    let err = connect(with_origin(addr, "https://evil.example")).unwrap_err();
    let ConnectError::Handshake(sockwell_server::HandshakeError::UnexpectedStatus(response)) = err
    else {
        panic!("expected a refusal, got {err:?}");
    };
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    connect(with_origin(addr, "https://app.example")).expect("allowed origin");
    let outcomes = server.join().unwrap();
    assert!(
        matches!(&outcomes[0], Err(sockwell_server::HandshakeError::ForbiddenOrigin(Some(o))) if o == "https://evil.example"),
        "{outcomes:?}"
    );
    assert!(outcomes[1].is_ok());
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn the_async_server_refuses_a_foreign_origin_with_403() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let config = sockwell_tokio::ServerConfig::default().with_origins(
            sockwell_tokio::OriginPolicy::allowed(["https://app.example"]),
        );
        let (stream, _) = listener.accept().await.unwrap();
        sockwell_tokio::accept_async_with_config(stream, config)
            .await
            .map(|_| ())
    });
    let err = sockwell_client::connect_async(with_origin(addr, "https://evil.example"))
        .await
        .unwrap_err();
    let ConnectError::Handshake(sockwell_server::HandshakeError::UnexpectedStatus(response)) = err
    else {
        panic!("expected a refusal, got {err:?}");
    };
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let outcome = server.await.unwrap();
    assert!(
        matches!(
            outcome,
            Err(sockwell_server::HandshakeError::ForbiddenOrigin(_))
        ),
        "{outcome:?}"
    );
}
