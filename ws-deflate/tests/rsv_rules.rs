//! RSV1 belongs to permessage-deflate only on the first frame of a data
//! message (RFC 7692 §6, §6.1): on a continuation or control frame it is a
//! protocol error (1002), and the "compressed" flag of one message does not
//! leak into the next.

use sockwell_core::{CloseCode, Message, Protocol, ProtocolError, Role, WebSocketConfig, WsError};
use sockwell_deflate::DeflateConfig;
use sockwell_extensions::{client_confirm, client_offer, server_negotiate};

/// A server engine with permessage-deflate negotiated, and the client stack.
fn server() -> Protocol {
    let factories = vec![DeflateConfig::default().context_takeover().into_factory()];
    let offer = client_offer(&factories).unwrap();
    let (answer, stack) = server_negotiate(&factories, [offer.as_bytes()]).unwrap();
    client_confirm(&factories, [answer.unwrap().as_bytes()]).unwrap();
    Protocol::new(Role::Server, WebSocketConfig::default()).with_extensions(stack)
}

/// A masked client frame (mask key 0, so the payload is as given).
fn frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126);
    let mut out = vec![first_byte, 0x80 | payload.len() as u8, 0, 0, 0, 0];
    out.extend_from_slice(payload);
    out
}

fn assert_fails_with_1002(server: &mut Protocol) {
    match server.read_buffered() {
        Err(WsError::Protocol(e @ ProtocolError::InvalidRsv { .. })) => {
            assert_eq!(e.close_code(), CloseCode::PROTOCOL_ERROR)
        }
        other => panic!("expected InvalidRsv, got {other:?}"),
    }
    let out = server.pending_output().to_vec();
    assert_eq!(&out[..4], &[0x88, 0x02, 0x03, 0xea], "Close 1002");
}

#[test]
fn rsv1_on_a_continuation_frame_is_a_protocol_error() {
    let mut server = server();
    // Uncompressed first fragment, then a continuation with RSV1.
    server.receive(&frame(0x01, b"abc"));
    server.receive(&frame(0x80 | 0x40, b"def"));
    assert_fails_with_1002(&mut server);
}

#[test]
fn rsv1_on_a_continuation_of_a_compressed_message_is_a_protocol_error() {
    let mut server = server();
    server.receive(&frame(0x40 | 0x01, &[0xf2, 0x48, 0x05, 0x00]));
    server.receive(&frame(0x80 | 0x40, &[0x00]));
    assert_fails_with_1002(&mut server);
}

#[test]
fn rsv1_on_control_frames_is_a_protocol_error() {
    for opcode in [0x8u8, 0x9, 0xA] {
        let mut server = server();
        server.receive(&frame(0x80 | 0x40 | opcode, b""));
        assert_fails_with_1002(&mut server);
    }
}

#[test]
fn the_compressed_flag_is_per_message() {
    let mut server = server();
    // "Hello" compressed (raw deflate, sync flush, tail removed), then the
    // same bytes as a plain binary message without RSV1: must not be inflated.
    let compressed = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    server.receive(&frame(0x80 | 0x40 | 0x1, &compressed));
    assert_eq!(
        server.read_buffered().unwrap(),
        Some(Message::text("Hello"))
    );
    server.receive(&frame(0x80 | 0x2, &compressed));
    assert_eq!(
        server.read_buffered().unwrap(),
        Some(Message::Binary(compressed.to_vec().into()))
    );
}
