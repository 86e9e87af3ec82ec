//! The closing handshake through the driver, over in-memory pipes.

mod common;

use common::{frame, mem_pair, parse_frames, single_close_code, ws_pair, MemStream};
use sockwell_core::{
    CloseCode, CloseFrame, CloseState, Message, OpCode, ProtocolError, Role, SendError, WebSocket,
    WebSocketConfig, WsError,
};
use std::io::Write;

fn pair() -> (WebSocket<MemStream>, WebSocket<MemStream>) {
    ws_pair(WebSocketConfig::default(), WebSocketConfig::default())
}

fn close_msg(code: CloseCode, reason: &str) -> Message {
    Message::Close(Some(CloseFrame::new(code, reason)))
}

fn assert_would_block(result: Result<Message, WsError>) {
    match result {
        Err(e) if e.is_would_block() => {}
        other => panic!("expected WouldBlock, got {other:?}"),
    }
}

/// Every way of sending fails with `AlreadyClosed`, without panicking.
fn assert_cannot_send(ws: &mut WebSocket<MemStream>) {
    let before = ws.get_ref().outgoing.borrow().data.len();
    assert!(matches!(
        ws.send(Message::text("x")),
        Err(WsError::AlreadyClosed)
    ));
    assert!(matches!(
        ws.write(Message::binary(vec![1])),
        Err(WsError::AlreadyClosed)
    ));
    assert!(matches!(
        ws.send(Message::Ping(vec![].into())),
        Err(WsError::AlreadyClosed)
    ));
    assert!(matches!(
        ws.send(Message::Pong(vec![].into())),
        Err(WsError::AlreadyClosed)
    ));
    // Nothing reached the wire.
    assert_eq!(ws.get_ref().outgoing.borrow().data.len(), before);
}

#[test]
fn client_close_still_delivers_data_the_server_sent_before_reading_it() {
    let (mut client, mut server) = pair();
    client
        .close(Some(CloseFrame::new(CloseCode::NORMAL, "bye")))
        .unwrap();
    assert_eq!(client.close_state(), CloseState::CloseSent);
    assert_cannot_send(&mut client);

    // The server has not read the Close yet and keeps sending.
    server.send(Message::text("late")).unwrap();
    server.send(Message::binary(vec![1, 2, 3])).unwrap();
    assert_eq!(client.read().unwrap(), Message::text("late"));
    assert_eq!(client.read().unwrap(), Message::binary(vec![1, 2, 3]));
    assert_would_block(client.read());
    assert_eq!(client.close_state(), CloseState::CloseSent);

    assert_eq!(server.read().unwrap(), close_msg(CloseCode::NORMAL, "bye"));
    assert_eq!(server.close_state(), CloseState::Closed);
    assert_cannot_send(&mut server);
    assert!(matches!(server.read(), Err(WsError::ConnectionClosed)));
    assert!(matches!(server.read(), Err(WsError::AlreadyClosed)));

    // The reply echoes the code.
    assert_eq!(client.read().unwrap(), close_msg(CloseCode::NORMAL, ""));
    assert_eq!(client.close_state(), CloseState::Closed);
    assert!(matches!(client.read(), Err(WsError::ConnectionClosed)));
    assert!(matches!(client.read(), Err(WsError::AlreadyClosed)));
    assert!(matches!(client.read(), Err(WsError::AlreadyClosed)));
    assert_cannot_send(&mut client);
}

#[test]
fn data_then_close_then_connection_closed_then_already_closed() {
    let (mut client, mut server) = pair();
    client
        .close(Some(CloseFrame::new(CloseCode::from(4000), "done")))
        .unwrap();
    server.send(Message::text("still here")).unwrap();
    server.send(Message::Ping(b"p".to_vec().into())).unwrap();
    assert_eq!(
        server.read().unwrap(),
        close_msg(CloseCode::from(4000), "done")
    );

    let mut events = Vec::new();
    loop {
        match client.read() {
            Ok(m) => events.push(m),
            Err(WsError::ConnectionClosed) => break,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(
        events,
        [
            Message::text("still here"),
            Message::Ping(b"p".to_vec().into()),
            close_msg(CloseCode::from(4000), ""),
        ]
    );
    assert!(matches!(client.read(), Err(WsError::AlreadyClosed)));
    // The ping arrived after our Close: no pong was sent, only the Close.
    let to_server = server.get_ref().take_incoming();
    assert!(
        to_server.is_empty(),
        "client wrote after its Close: {to_server:?}"
    );
}

#[test]
fn server_initiated_close() {
    let (mut client, mut server) = pair();
    server
        .close(Some(CloseFrame::new(CloseCode::GOING_AWAY, "restart")))
        .unwrap();
    assert_cannot_send(&mut server);
    client.send(Message::text("in flight")).unwrap();
    assert_eq!(server.read().unwrap(), Message::text("in flight"));
    assert_would_block(server.read());

    assert_eq!(
        client.read().unwrap(),
        close_msg(CloseCode::GOING_AWAY, "restart")
    );
    assert_eq!(client.close_state(), CloseState::Closed);
    assert!(matches!(client.read(), Err(WsError::ConnectionClosed)));
    assert_cannot_send(&mut client);

    assert_eq!(server.read().unwrap(), close_msg(CloseCode::GOING_AWAY, ""));
    assert!(matches!(server.read(), Err(WsError::ConnectionClosed)));
    assert!(matches!(server.read(), Err(WsError::AlreadyClosed)));
}

#[test]
fn close_without_status_code() {
    let (mut client, mut server) = pair();
    client.close(None).unwrap();
    let frames = parse_frames(&server.get_ref().peek_incoming());
    assert_eq!(frames.len(), 1);
    assert_eq!((frames[0].0.opcode, frames[0].1.len()), (OpCode::Close, 0));
    assert_eq!(server.read().unwrap(), Message::Close(None));
    match client.read().unwrap() {
        Message::Close(None) => {}
        Message::Close(Some(f)) => assert_eq!(f.code, CloseCode::NORMAL),
        other => panic!("{other:?}"),
    }
    assert!(matches!(client.read(), Err(WsError::ConnectionClosed)));
    assert!(matches!(server.read(), Err(WsError::ConnectionClosed)));
}

#[test]
fn closing_twice_and_invalid_closes() {
    let (mut client, server) = pair();
    // Refused before anything is sent.
    let err = client
        .close(Some(CloseFrame::new(CloseCode::NO_STATUS, "")))
        .unwrap_err();
    assert!(
        matches!(err, WsError::Send(SendError::InvalidCloseCode(1005))),
        "{err:?}"
    );
    let long = "r".repeat(124);
    let err = client
        .close(Some(CloseFrame::new(CloseCode::NORMAL, long)))
        .unwrap_err();
    assert!(
        matches!(err, WsError::Send(SendError::ControlPayloadTooLong(126))),
        "{err:?}"
    );
    assert_eq!(client.close_state(), CloseState::Open);
    assert_eq!(server.get_ref().incoming_len(), 0);

    client
        .close(Some(CloseFrame::new(CloseCode::NORMAL, "")))
        .unwrap();
    // A second close is a no-op: still one Close on the wire.
    client
        .close(Some(CloseFrame::new(CloseCode::from(3000), "")))
        .unwrap();
    assert!(matches!(
        client.send(Message::Close(None)),
        Ok(()) | Err(WsError::AlreadyClosed)
    ));
    assert_eq!(
        single_close_code(&server.get_ref().take_incoming(), Role::Client),
        1000
    );
}

#[test]
fn eof_without_close_is_a_reset() {
    for role in [Role::Client, Role::Server] {
        let (a, b) = mem_pair();
        let mut ws = WebSocket::from_raw_socket(a, role, WebSocketConfig::default());
        assert_would_block(ws.read());
        drop(b);
        let err = ws.read().unwrap_err();
        assert!(
            matches!(
                err,
                WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake)
            ),
            "{err:?}"
        );
        assert_eq!(ws.close_state(), CloseState::Closed);
        assert!(matches!(ws.read(), Err(WsError::AlreadyClosed)));
        assert!(matches!(
            ws.send(Message::text("x")),
            Err(WsError::AlreadyClosed)
        ));
    }
}

#[test]
fn eof_in_the_middle_of_a_frame_or_after_our_close_is_a_reset() {
    for role in [Role::Client, Role::Server] {
        let m = common::mask_for(role);
        let whole = frame(true, 0, 0x1, m, b"never finished");
        for cut in [1, 2, whole.len() - 1] {
            let (a, mut b) = mem_pair();
            let mut ws = WebSocket::from_raw_socket(a, role, WebSocketConfig::default());
            b.write_all(&whole[..cut]).unwrap();
            assert_would_block(ws.read());
            drop(b);
            let err = ws.read().unwrap_err();
            assert!(matches!(
                err,
                WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake)
            ));
        }
        // We sent a Close; the peer hangs up without answering.
        let (a, b) = mem_pair();
        let mut ws = WebSocket::from_raw_socket(a, role, WebSocketConfig::default());
        ws.close(None).unwrap();
        drop(b);
        let err = ws.read().unwrap_err();
        assert!(matches!(
            err,
            WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake)
        ));
        assert!(matches!(ws.read(), Err(WsError::AlreadyClosed)));
    }
}

#[test]
fn eof_after_the_handshake_is_a_clean_close() {
    let (mut client, mut server) = pair();
    client.close(None).unwrap();
    assert!(server.read().unwrap().is_close());
    assert!(matches!(server.read(), Err(WsError::ConnectionClosed)));
    drop(server);
    assert!(client.read().unwrap().is_close());
    assert!(matches!(client.read(), Err(WsError::ConnectionClosed)));
    assert!(matches!(client.read(), Err(WsError::AlreadyClosed)));
}

#[test]
fn protocol_error_through_the_driver_sends_close_and_closes() {
    let (a, mut peer) = mem_pair();
    let mut client = WebSocket::from_raw_socket(a, Role::Client, WebSocketConfig::default());
    // A server must not mask.
    peer.write_all(&frame(true, 0, 0x1, Some([1, 2, 3, 4]), b"masked"))
        .unwrap();
    let err = client.read().unwrap_err();
    assert!(
        matches!(err, WsError::Protocol(ProtocolError::MaskedFrame)),
        "{err:?}"
    );
    assert_eq!(single_close_code(&peer.take_incoming(), Role::Client), 1002);
    assert_eq!(client.close_state(), CloseState::Closed);
    assert!(matches!(client.read(), Err(WsError::AlreadyClosed)));
    assert!(matches!(
        client.send(Message::text("x")),
        Err(WsError::AlreadyClosed)
    ));
    assert!(peer.take_incoming().is_empty());
}

#[test]
fn keepalive_pings_a_silent_peer_then_fails_the_read() {
    use std::io;
    use std::time::Duration;

    /// A peer that never sends anything; records what we write.
    struct Silent(Vec<u8>);
    impl io::Read for Silent {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::ErrorKind::WouldBlock.into())
        }
    }
    impl io::Write for Silent {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    // Zero durations: due at once, so no test has to sleep.
    let config = WebSocketConfig::default().with_keepalive(Duration::ZERO, Duration::ZERO);
    let mut ws = WebSocket::from_raw_socket(Silent(Vec::new()), Role::Server, config);
    // The first read finds nothing: a ping. The next finds nothing again,
    // past the (zero) timeout: it fails.
    let err = ws.read().unwrap_err();
    assert!(err.is_would_block(), "{err:?}");
    let err = ws.read().unwrap_err();
    assert!(matches!(err, WsError::KeepaliveTimeout), "{err:?}");
    let written = &ws.get_ref().0;
    assert_eq!(written[0], 0x89, "ping first");
    let close_at = 2 + written[1] as usize;
    assert_eq!(
        &written[close_at..close_at + 4],
        &[0x88, 19, 0x03, 0xf3],
        "then Close 1011"
    );
    assert!(matches!(ws.read(), Err(WsError::AlreadyClosed)));
}
