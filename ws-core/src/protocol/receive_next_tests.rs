//! `receive_next`: decoding a caller's bytes in place must be exactly
//! `receive` followed by `read_buffered`, at any split of the input.

use super::*;
use crate::header::FrameHeader;
use crate::{CloseCode, OpCode, ProtocolError};

/// One masked client frame.
fn frame(fin: bool, opcode: OpCode, payload: &[u8]) -> Vec<u8> {
    super::direct_tests::frame(fin, opcode, payload, [0x37, 0xfa, 0x21, 0x3d])
}

/// What a server engine reports and queues for `wire` cut into reads at
/// `cuts`, each read handed over by `receive_next` (`in_place`) or by
/// `receive`, then `read_buffered` until it needs more input; like a
/// driver, it stops at the first error or the peer's Close.
fn run(wire: &[u8], cuts: &[usize], in_place: bool) -> (Vec<Result<Message, String>>, Vec<u8>) {
    let mut p = Protocol::new(Role::Server, WebSocketConfig::default());
    let mut events = Vec::new();
    // Whether to ask for the next event.
    let note = |r: Result<Option<Message>, WsError>, events: &mut Vec<_>| match r {
        Ok(Some(m)) => {
            let closed = matches!(m, Message::Close(_));
            events.push(Ok(m));
            !closed
        }
        Ok(None) => false,
        Err(e) => {
            events.push(Err(format!("{e:?}")));
            false
        }
    };
    let finished = |events: &Vec<Result<Message, String>>| {
        matches!(events.last(), Some(Err(_) | Ok(Message::Close(_))))
    };
    let mut at = 0;
    for &end in cuts.iter().chain([&wire.len()]) {
        if finished(&events) {
            break;
        }
        let mut read = wire[at..end].to_vec();
        at = end;
        let mut more = if in_place {
            note(p.receive_next(&mut read), &mut events)
        } else {
            p.receive(&read);
            true
        };
        while more {
            more = note(p.read_buffered(), &mut events);
        }
        // A released buffer between reads, as the async driver does.
        p.release_idle_buffers();
    }
    let out = p.pending_output().to_vec();
    (events, out)
}

fn conversation() -> Vec<u8> {
    let mut wire = Vec::new();
    wire.extend(frame(true, OpCode::Text, "héllo wörld".as_bytes()));
    wire.extend(frame(true, OpCode::Ping, b"ping!"));
    wire.extend(frame(false, OpCode::Binary, &[1, 2, 3, 4, 5]));
    wire.extend(frame(true, OpCode::Pong, b""));
    wire.extend(frame(true, OpCode::Continuation, &[6; 300]));
    wire.extend(frame(true, OpCode::Text, b""));
    let mut close = 1000u16.to_be_bytes().to_vec();
    close.extend_from_slice(b"done");
    wire.extend(frame(true, OpCode::Close, &close));
    wire
}

#[test]
fn in_place_decoding_equals_receive_then_read_buffered_at_any_cut() {
    let wire = conversation();
    let expected = run(&wire, &[], false);
    assert_eq!(expected.0.len(), 6, "{:?}", expected.0);
    for a in 0..=wire.len() {
        assert_eq!(run(&wire, &[a], true), expected, "cut at {a}");
        // And a second cut a little further on.
        for b in (a..=wire.len()).step_by(7) {
            assert_eq!(run(&wire, &[a, b], true), expected, "cuts at {a}, {b}");
        }
    }
    // The Close reply is queued (it supersedes the pong not yet written).
    let (_, out) = expected;
    let (close, n) = FrameHeader::parse(&out).unwrap().unwrap();
    assert_eq!(close.opcode, OpCode::Close);
    assert_eq!(&out[n..n + 2], &1000u16.to_be_bytes());
}

#[test]
fn a_violation_in_place_fails_with_the_rfc_code_and_keeps_nothing_after_it() {
    let mut wire = frame(true, OpCode::Text, b"ok");
    // Invalid UTF-8 in a text frame: 1007 (RFC 6455 §8.1).
    wire.extend(frame(true, OpCode::Text, &[0xc3, 0x28]));
    wire.extend(frame(true, OpCode::Text, b"never seen"));
    for cut in 0..=wire.len() {
        let (events, out) = run(&wire, &[cut], true);
        assert_eq!(events.len(), 2, "cut at {cut}: {events:?}");
        assert_eq!(events[0], Ok(Message::text("ok")));
        let err = format!("{:?}", WsError::Protocol(ProtocolError::InvalidUtf8));
        assert_eq!(events[1], Err(err), "cut at {cut}");
        let (close, n) = FrameHeader::parse(&out).unwrap().unwrap();
        assert_eq!(close.opcode, OpCode::Close);
        assert_eq!(
            &out[n..n + 2],
            &u16::from(CloseCode::INVALID_PAYLOAD).to_be_bytes()
        );
    }
}

#[test]
fn only_what_follows_the_message_is_kept() {
    let mut p = Protocol::new(Role::Server, WebSocketConfig::default());
    let mut wire = frame(true, OpCode::Binary, &[9; 1024]);
    let first = wire.len();
    wire.extend(frame(true, OpCode::Text, b"next"));
    let tail = wire.len() - first;
    let m = p.receive_next(&mut wire).unwrap();
    assert_eq!(m, Some(Message::binary(vec![9; 1024])));
    assert_eq!(p.rx.filled().len(), tail);
    assert_eq!(p.rx.total_received(), wire.len() as u64);
    assert_eq!(p.read_buffered().unwrap(), Some(Message::text("next")));
    assert!(p.rx.is_empty());
    // One message exactly: nothing kept, no storage taken.
    p.release_idle_buffers();
    let mut one = frame(true, OpCode::Text, b"solo");
    assert_eq!(
        p.receive_next(&mut one).unwrap(),
        Some(Message::text("solo"))
    );
    assert!(p.rx.is_released());
}
