//! Engine unit tests: the close handshake and control-frame rules.

use super::*;
use crate::{CloseCode, OpCode, ProtocolError};

fn pair() -> (Protocol, Protocol) {
    (
        Protocol::new(Role::Client, WebSocketConfig::default()),
        Protocol::new(Role::Server, WebSocketConfig::default()),
    )
}

/// Moves everything `from` has queued into `to`.
fn pump(from: &mut Protocol, to: &mut Protocol) {
    let out = from.pending_output().to_vec();
    from.advance_output(out.len());
    to.receive(&out);
}

#[test]
fn ping_is_answered_and_surfaced() {
    let (mut client, mut server) = pair();
    client.write_ping(b"hi").unwrap();
    pump(&mut client, &mut server);
    assert_eq!(
        server.read_buffered().unwrap(),
        Some(Message::Ping(b"hi".to_vec().into()))
    );
    assert!(server.wants_write());
    pump(&mut server, &mut client);
    assert_eq!(
        client.read_buffered().unwrap(),
        Some(Message::Pong(b"hi".to_vec().into()))
    );
}

#[test]
fn only_the_latest_unsent_ping_is_answered() {
    let (mut client, mut server) = pair();
    client.write_ping(b"1").unwrap();
    client.write_ping(b"2").unwrap();
    pump(&mut client, &mut server);
    server.read_buffered().unwrap();
    server.read_buffered().unwrap();
    pump(&mut server, &mut client);
    assert_eq!(
        client.read_buffered().unwrap(),
        Some(Message::Pong(b"2".to_vec().into()))
    );
    assert_eq!(client.read_buffered().unwrap(), None);
}

#[test]
fn close_handshake_initiated_by_client_delivers_late_data() {
    let (mut client, mut server) = pair();
    client
        .close(Some(CloseFrame::new(CloseCode::NORMAL, "bye")))
        .unwrap();
    assert_eq!(client.close_state(), CloseState::CloseSent);
    assert!(matches!(
        client.write(&Message::text("x")),
        Err(WsError::AlreadyClosed)
    ));
    // The server sends a message before it sees our Close: still delivered.
    server.write(&Message::text("late")).unwrap();
    pump(&mut server, &mut client);
    pump(&mut client, &mut server);
    assert_eq!(
        server.read_buffered().unwrap(),
        Some(Message::Close(Some(CloseFrame::new(
            CloseCode::NORMAL,
            "bye"
        ))))
    );
    assert_eq!(server.close_state(), CloseState::Closed);
    pump(&mut server, &mut client);
    assert_eq!(client.read_buffered().unwrap(), Some(Message::text("late")));
    assert!(
        matches!(client.read_buffered().unwrap(), Some(Message::Close(Some(f))) if f.code == CloseCode::NORMAL)
    );
    assert_eq!(client.close_state(), CloseState::Closed);
    assert!(matches!(
        client.read_buffered(),
        Err(WsError::ConnectionClosed)
    ));
    assert!(matches!(
        client.read_buffered(),
        Err(WsError::AlreadyClosed)
    ));
    assert!(matches!(
        server.read_buffered(),
        Err(WsError::ConnectionClosed)
    ));
}

#[test]
fn protocol_error_queues_close_with_the_rfc_code() {
    let (_, mut server) = pair();
    // Unmasked text frame to a server.
    server.receive(&[0x81, 0x01, b'a']);
    let err = server.read_buffered().unwrap_err();
    assert!(matches!(
        err,
        WsError::Protocol(ProtocolError::UnmaskedFrame)
    ));
    let out = server.pending_output().to_vec();
    let (header, n) = crate::FrameHeader::parse(&out).unwrap().unwrap();
    assert_eq!(header.opcode, OpCode::Close);
    assert_eq!(&out[n..n + 2], &1002u16.to_be_bytes());
    assert!(matches!(
        server.read_buffered(),
        Err(WsError::AlreadyClosed)
    ));
}
