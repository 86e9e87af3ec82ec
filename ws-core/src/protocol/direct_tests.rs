//! Reads straight into the message (`payload_read_space` /
//! `commit_payload_read`), as an async driver makes them.

use super::*;
use crate::header::FrameHeader;
use crate::mask::apply_mask;
use crate::{CloseCode, OpCode, ProtocolError};
use sockwell_extensions::Rsv;

/// Feeds `wire` to `p` in reads of at most `step` bytes, the way a driver
/// does: into the message when the engine offers it, else into the read
/// buffer. Returns the messages (or the error) and how many bytes went
/// straight into a message.
fn feed(p: &mut Protocol, wire: &[u8], step: usize) -> (Result<Vec<Message>, WsError>, usize) {
    let mut messages = Vec::new();
    let mut direct = 0;
    let mut at = 0;
    loop {
        loop {
            match p.read_buffered() {
                Ok(Some(m)) => messages.push(m),
                Ok(None) => break,
                Err(e) => return (Err(e), direct),
            }
        }
        if at == wire.len() {
            return (Ok(messages), direct);
        }
        let n = step.min(wire.len() - at);
        if let Some(space) = p.payload_read_space() {
            let n = n.min(space.len());
            for (slot, byte) in space.iter_mut().zip(&wire[at..at + n]) {
                slot.write(*byte);
            }
            // SAFETY: the loop above initialized the first `n` bytes of the
            // slice, and `n` is at most its length.
            unsafe { p.commit_payload_read(n) };
            direct += n;
            at += n;
        } else {
            p.receive(&wire[at..at + n]);
            at += n;
        }
    }
}

/// One masked client frame.
pub(super) fn frame(fin: bool, opcode: OpCode, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    let header = FrameHeader {
        fin,
        rsv: Rsv::NONE,
        opcode,
        mask: Some(key),
        payload_len: payload.len() as u64,
    };
    let mut out = Vec::new();
    header.write_to(&mut out);
    let start = out.len();
    out.extend_from_slice(payload);
    apply_mask(&mut out[start..], key, 0);
    out
}

fn server() -> Protocol {
    Protocol::new(Role::Server, WebSocketConfig::default())
}

#[test]
fn a_large_masked_frame_is_read_into_its_message_at_any_read_size() {
    let payload: Vec<u8> = (0..300_000u32).map(|i| (i * 31 + 7) as u8).collect();
    let mut wire = frame(true, OpCode::Binary, &payload, [0x12, 0x34, 0x56, 0x78]);
    wire.extend(frame(true, OpCode::Binary, b"next", [9, 8, 7, 6]));
    for step in [1000, 4093, 65_537, 1 << 20] {
        let mut p = server();
        let (messages, direct) = feed(&mut p, &wire, step);
        let messages = messages.unwrap();
        assert_eq!(messages.len(), 2, "step {step}");
        assert_eq!(
            messages[0],
            Message::Binary(payload.clone().into()),
            "step {step}"
        );
        assert_eq!(messages[1], Message::Binary(b"next".to_vec().into()));
        // Most of the payload skipped the read buffer (unless the first
        // read brought it all); the next frame's header never went into
        // the message.
        if step < payload.len() / 2 {
            assert!(direct > payload.len() / 2, "step {step}: {direct}");
        } else {
            assert_eq!(direct, 0, "step {step}");
        }
        assert!(direct <= payload.len());
    }
}

#[test]
fn the_space_offered_ends_at_the_frame_and_only_for_large_frames() {
    let mut p = server();
    let payload = vec![5u8; 40 << 10];
    let wire = frame(true, OpCode::Binary, &payload, [1, 2, 3, 4]);
    // The header and 10 bytes of payload, as a read would bring them.
    p.receive(&wire[..wire.len() - payload.len() + 10]);
    assert_eq!(p.read_buffered().unwrap(), None);
    assert_eq!(
        p.payload_read_space().map(|s| s.len()),
        Some(payload.len() - 10)
    );
    // A small frame: read buffer as usual.
    let mut q = server();
    let small = frame(true, OpCode::Binary, &[1; 1000], [1, 2, 3, 4]);
    q.receive(&small[..10]);
    assert_eq!(q.read_buffered().unwrap(), None);
    assert!(q.payload_read_space().is_none());
    // Between frames, or with bytes buffered: none either.
    assert!(server().payload_read_space().is_none());
}

#[test]
fn invalid_utf8_read_into_the_message_fails_before_the_frame_ends() {
    let mut text = "é".repeat(60_000).into_bytes();
    text[50_000] = 0xff;
    let wire = frame(true, OpCode::Text, &text, [0xaa, 0xbb, 0xcc, 0xdd]);
    let mut p = server();
    // Stop feeding at 80,000 bytes: the error must come from what arrived.
    let (result, direct) = feed(&mut p, &wire[..80_000], 16 << 10);
    assert!(direct > 0);
    assert!(matches!(
        result,
        Err(WsError::Protocol(ProtocolError::InvalidUtf8))
    ));
    // The connection closes with 1007 (RFC 6455 §8.1).
    let out = p.pending_output().to_vec();
    assert_eq!(out[0], 0x88, "a final Close frame");
    assert_eq!(
        u16::from_be_bytes([out[2], out[3]]),
        CloseCode::INVALID_PAYLOAD.as_u16()
    );
}

#[test]
fn characters_split_between_direct_reads_and_fragments_are_valid() {
    let text = "a€😀".repeat(30_000);
    let bytes = text.as_bytes();
    let cut = 70_001; // inside a multi-byte character
    let mut wire = frame(false, OpCode::Text, &bytes[..cut], [3, 1, 4, 1]);
    wire.extend(frame(
        true,
        OpCode::Continuation,
        &bytes[cut..],
        [5, 9, 2, 6],
    ));
    for step in [7919, 32 << 10, 100_003] {
        let mut p = server();
        let (messages, direct) = feed(&mut p, &wire, step);
        assert!(direct > 0, "step {step}");
        assert_eq!(messages.unwrap(), vec![Message::Text(text.clone().into())]);
    }
}

#[test]
fn limits_hold_for_reads_into_the_message() {
    let mut config = WebSocketConfig::default();
    config.limits.max_message_size = 100 << 10;
    let mut wire = frame(false, OpCode::Binary, &[1; 60 << 10], [1, 1, 1, 1]);
    wire.extend(frame(
        true,
        OpCode::Continuation,
        &[2; 60 << 10],
        [1, 1, 1, 1],
    ));
    let mut p = Protocol::new(Role::Server, config);
    let (result, direct) = feed(&mut p, &wire, 16 << 10);
    // Part of the first fragment went straight into the message; the
    // second was refused at its header, before any of its payload was
    // taken.
    assert!(direct > 0 && direct < 60 << 10, "{direct}");
    assert!(matches!(
        result,
        Err(WsError::Protocol(ProtocolError::MessageTooLarge { .. }))
    ));
}

#[test]
fn a_client_reads_unmasked_server_frames_into_the_message() {
    let payload: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    let mut server = server();
    server
        .write(&Message::Binary(payload.clone().into()))
        .unwrap();
    let wire = server.pending_output().to_vec();
    let mut client = Protocol::new(Role::Client, WebSocketConfig::default());
    let (messages, direct) = feed(&mut client, &wire, 50_000);
    assert!(direct > 0);
    assert_eq!(messages.unwrap(), vec![Message::Binary(payload.into())]);
}
