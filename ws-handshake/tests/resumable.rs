//! Both handshakes resume after `WouldBlock` without losing a byte: over a
//! duplex pipe that moves one byte per call and blocks between calls, and
//! with data that follows the HTTP head in the same read.

mod common;

use common::{choke_pair, frame, parse_head, ChokeStream, MemStream, RFC_ACCEPT, VALID_REQUEST};
use sockwell_core::{Message, WebSocket};
use sockwell_handshake::{
    ClientConfig, ClientHandshake, NoCallback, ResumableError, ServerConfig, ServerHandshake,
};
use std::io::{Read, Write};

/// Retries `f` until it stops returning `WouldBlock`.
fn retry<T>(mut f: impl FnMut() -> Result<T, sockwell_core::WsError>) -> T {
    for _ in 0..100_000 {
        match f() {
            Ok(v) => return v,
            Err(e) if e.is_would_block() => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    panic!("still blocking after 100000 tries")
}

/// Sends `message` on a stream that blocks: queue it, then flush until done.
fn send<S: Read + Write>(ws: &mut WebSocket<S>, message: Message) {
    match ws.send(message) {
        Ok(()) => {}
        Err(e) if e.is_would_block() => retry(|| ws.flush()),
        Err(e) => panic!("{e:?}"),
    }
}

type Client = WebSocket<ChokeStream>;
type Server = WebSocket<ChokeStream>;

/// Runs both handshakes over choking pipes, alternating calls.
fn handshake_pair(client_config: ClientConfig, server_config: ServerConfig) -> (Client, Server) {
    let (cs, ss) = choke_pair();
    let mut client =
        Some(ClientHandshake::new(cs, "ws://localhost/resume", client_config).unwrap());
    let mut server = Some(ServerHandshake::new(ss, NoCallback, server_config));
    let (mut client_ws, mut server_ws) = (None, None);
    let mut interruptions = (0, 0);
    for _ in 0..100_000 {
        if let Some(hs) = client.take() {
            match hs.handshake() {
                Ok((ws, response)) => {
                    assert_eq!(response.status(), 101);
                    client_ws = Some(ws);
                }
                Err(ResumableError::Interrupted(hs)) => {
                    interruptions.0 += 1;
                    client = Some(hs);
                }
                Err(ResumableError::Failure(e)) => panic!("client: {e:?}"),
            }
        }
        if let Some(hs) = server.take() {
            match hs.handshake() {
                Ok((ws, request)) => {
                    assert_eq!(request.uri().path(), "/resume");
                    server_ws = Some(ws);
                }
                Err(ResumableError::Interrupted(hs)) => {
                    interruptions.1 += 1;
                    server = Some(hs);
                }
                Err(ResumableError::Failure(e)) => panic!("server: {e:?}"),
            }
        }
        if client.is_none() && server.is_none() {
            break;
        }
    }
    let (client_ws, server_ws) = (
        client_ws.expect("client handshake completed"),
        server_ws.expect("server handshake completed"),
    );
    // One byte per call with a block between: at least one interruption per
    // byte of the ~130-byte request and response heads.
    assert!(
        interruptions.0 > 100,
        "client interrupted {}",
        interruptions.0
    );
    assert!(
        interruptions.1 > 100,
        "server interrupted {}",
        interruptions.1
    );
    assert!(client_ws.get_ref().blocked > 100);
    (client_ws, server_ws)
}

#[test]
fn both_roles_complete_one_byte_at_a_time() {
    let (mut client, mut server) = handshake_pair(ClientConfig::default(), ServerConfig::default());

    send(&mut client, Message::text("from the client"));
    assert_eq!(retry(|| server.read()), Message::text("from the client"));

    send(&mut server, Message::binary(vec![1, 2, 3, 250]));
    assert_eq!(retry(|| client.read()), Message::binary(vec![1, 2, 3, 250]));
}

#[test]
fn subprotocol_negotiated_one_byte_at_a_time() {
    let mut client_config = ClientConfig::default();
    client_config.subprotocols = vec!["a".into(), "b".into()];
    let mut server_config = ServerConfig::default();
    server_config.subprotocols = vec!["b".into()];
    let (mut client, mut server) = handshake_pair(client_config, server_config);
    send(&mut server, Message::text("b it is"));
    assert_eq!(retry(|| client.read()), Message::text("b it is"));
}

#[test]
fn server_keeps_a_frame_that_came_with_the_request() {
    let mut input = VALID_REQUEST.as_bytes().to_vec();
    input.extend(frame(0x1, b"early bird", true));
    input.extend(frame(0x2, &[0xab; 200], true));
    // One read hands the server all of it; then the stream would block.
    let stream = MemStream::blocking();
    stream.push_input(&input);
    let (mut ws, request) =
        ServerHandshake::new(stream.clone(), NoCallback, ServerConfig::default())
            .handshake()
            .expect("valid request");
    assert_eq!(request.uri().path(), "/chat");
    assert_eq!(stream.unread(), 0, "the whole chunk was read at once");
    assert_eq!(
        parse_head(&stream.output()).get("sec-websocket-accept"),
        Some(RFC_ACCEPT)
    );
    assert_eq!(ws.read().unwrap(), Message::text("early bird"));
    assert_eq!(ws.read().unwrap(), Message::binary(vec![0xab; 200]));
    assert!(ws.read().unwrap_err().is_would_block());
}

#[test]
fn server_keeps_a_large_frame_split_across_the_head_read() {
    // Longer than one 4 KiB head read: part arrives with the head, the rest later.
    let payload: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    let mut input = VALID_REQUEST.as_bytes().to_vec();
    input.extend(frame(0x2, &payload, true));
    let stream = MemStream::with_input(&input);
    let (mut ws, _) = ServerHandshake::new(stream.clone(), NoCallback, ServerConfig::default())
        .handshake()
        .expect("valid request");
    assert!(
        stream.unread() > 0,
        "the frame's tail was not read with the head"
    );
    assert_eq!(ws.read().unwrap(), Message::binary(payload));
}

#[test]
fn server_frame_queued_in_the_same_write_as_the_request() {
    // A real client: its request and a frame written back to back, delivered
    // to the server in one chunk.
    let client_side = MemStream::blocking();
    let hs = ClientHandshake::new(
        client_side.clone(),
        "ws://localhost/x",
        ClientConfig::default(),
    )
    .unwrap();
    let hs = match hs.handshake() {
        Err(ResumableError::Interrupted(hs)) => hs,
        other => panic!("expected to block on the response: {:?}", other.err()),
    };
    let mut chunk = client_side.take_output();
    chunk.extend(frame(0x1, b"queued", true));

    let server_side = MemStream::blocking();
    server_side.push_input(&chunk);
    let (mut server, _) =
        ServerHandshake::new(server_side.clone(), NoCallback, ServerConfig::default())
            .handshake()
            .expect("client request is valid");
    assert_eq!(server.read().unwrap(), Message::text("queued"));

    // And the other way: the 101 plus a server frame in one read.
    let mut response = server_side.take_output();
    response.extend(frame(0x1, b"welcome", false));
    client_side.push_input(&response);
    let (mut client, _) = hs.handshake().expect("server response is valid");
    assert_eq!(client.read().unwrap(), Message::text("welcome"));
    assert!(client.read().unwrap_err().is_would_block());
}

#[test]
fn client_keeps_frames_that_came_with_the_response() {
    let client_side = MemStream::blocking();
    let hs = ClientHandshake::new(
        client_side.clone(),
        "ws://localhost/",
        ClientConfig::default(),
    )
    .unwrap();
    let Err(ResumableError::Interrupted(hs)) = hs.handshake() else {
        panic!("expected to block on the response")
    };
    let sent = parse_head(&client_side.take_output());
    let accept =
        sockwell_handshake::derive_accept_key(sent.get("sec-websocket-key").unwrap().as_bytes());
    let mut chunk = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n\r\n"
    )
    .into_bytes();
    chunk.extend(frame(0x9, b"ping!", false));
    chunk.extend(frame(0x1, b"hello client", false));
    client_side.push_input(&chunk);
    let (mut ws, _) = hs.handshake().expect("valid 101");
    assert_eq!(client_side.unread(), 0);
    assert_eq!(ws.read().unwrap(), Message::Ping(b"ping!".to_vec().into()));
    assert_eq!(ws.read().unwrap(), Message::text("hello client"));
    // The ping was answered with a masked pong.
    let out = client_side.take_output();
    assert_eq!(out[0], 0x8a, "FIN + pong");
    assert_eq!(out[1], 0x80 | 5, "masked, 5 bytes");
}

#[test]
fn interrupted_server_resumes_with_its_callback() {
    // The callback runs once, after the head is whole, however often the
    // handshake was interrupted before.
    let (mut cs, ss) = choke_pair();
    let calls = std::cell::Cell::new(0);
    let callback = |_: &sockwell_handshake::http::Request<()>,
                    mut resp: sockwell_handshake::http::Response<()>|
     -> Result<_, sockwell_handshake::ErrorResponse> {
        calls.set(calls.get() + 1);
        resp.headers_mut().insert("x-seen", "1".parse().unwrap());
        Ok(resp)
    };
    let mut hs = ServerHandshake::new(ss, callback, ServerConfig::default());
    let mut pending: &[u8] = VALID_REQUEST.as_bytes();
    let mut response = Vec::new();
    let mut buf = [0u8; 1];
    let mut done = None;
    for _ in 0..100_000 {
        while !pending.is_empty() {
            match cs.write(pending) {
                Ok(n) => pending = &pending[n..],
                Err(_) => break,
            }
        }
        if let Ok(1) = cs.read(&mut buf) {
            response.push(buf[0]);
        }
        match hs.handshake() {
            Ok((ws, _)) => {
                done = Some(ws);
                break;
            }
            Err(ResumableError::Interrupted(again)) => hs = again,
            Err(ResumableError::Failure(e)) => panic!("{e:?}"),
        }
    }
    assert!(done.is_some(), "server handshake never completed");
    assert_eq!(calls.get(), 1);
    // The rest of the response is in the pipe; drain it a byte at a time.
    for _ in 0..10_000 {
        if response.ends_with(b"\r\n\r\n") {
            break;
        }
        if let Ok(1) = cs.read(&mut buf) {
            response.push(buf[0]);
        }
    }
    let head = parse_head(&response);
    assert_eq!(head.get("x-seen"), Some("1"));
    assert_eq!(head.get("sec-websocket-accept"), Some(RFC_ACCEPT));
}

/// A non-blocking handshake resumed after its deadline fails with
/// `Timeout`, on both sides, however little or much has arrived.
#[test]
fn resumed_past_the_deadline_both_sides_time_out() {
    let short = Some(std::time::Duration::from_millis(20));
    let (server_end, client_end) = choke_pair();
    let server = ServerHandshake::new(
        server_end,
        NoCallback,
        ServerConfig::default().with_handshake_timeout(short),
    );
    let client = ClientHandshake::new(
        client_end,
        "ws://example.com/",
        ClientConfig::default().with_handshake_timeout(short),
    )
    .unwrap();
    let Err(ResumableError::Interrupted(server)) = server.handshake() else {
        panic!("nothing arrived yet: the server waits");
    };
    let Err(ResumableError::Interrupted(client)) = client.handshake() else {
        panic!("the choking stream blocks the first write");
    };
    let deadline = server.deadline().unwrap().max(client.deadline().unwrap());
    while std::time::Instant::now() < deadline {
        std::thread::sleep(deadline - std::time::Instant::now());
    }
    assert!(matches!(
        server.handshake(),
        Err(ResumableError::Failure(
            sockwell_handshake::HandshakeError::Timeout(_)
        ))
    ));
    assert!(matches!(
        client.handshake(),
        Err(ResumableError::Failure(
            sockwell_handshake::HandshakeError::Timeout(_)
        ))
    ));
}

/// No deadline: a handshake may take as long as it takes.
#[test]
fn without_a_timeout_there_is_no_deadline() {
    let (server_end, _client_end) = choke_pair();
    let server = ServerHandshake::new(
        server_end,
        NoCallback,
        ServerConfig::default().with_handshake_timeout(None),
    );
    assert_eq!(server.deadline(), None);
    assert_eq!(
        ServerConfig::default().handshake_timeout,
        Some(std::time::Duration::from_secs(10))
    );
}
