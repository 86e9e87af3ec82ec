//! Every class of bad input fails the connection with the exact
//! `ProtocolError`, and queues exactly one Close frame with the RFC's code.

mod common;

use common::{close_payload, frame, header, mask_for, single_close_code};
use sockwell_core::{
    CloseState, Message, OpCode, Protocol, ProtocolError, Role, WebSocketConfig, WsError,
};

const ROLES: [Role; 2] = [Role::Server, Role::Client];
const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CONT: u8 = 0x0;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xA;

/// Drives `p` until it fails, then checks everything that must hold after a
/// protocol error: the close code, the queued Close frame, the state.
fn expect_failure(p: &mut Protocol, code: u16) -> ProtocolError {
    let mut events = 0;
    let err = loop {
        match p.read_buffered() {
            Ok(Some(_)) if events < 16 => events += 1,
            Ok(other) => panic!("expected a protocol error, got Ok({other:?})"),
            Err(WsError::Protocol(e)) => break e,
            Err(other) => panic!("expected WsError::Protocol, got {other:?}"),
        }
    };
    assert_eq!(err.close_code().as_u16(), code, "{err:?}");
    let role = p.role();
    assert_eq!(single_close_code(p.pending_output(), role), code, "{err:?}");
    assert_eq!(p.close_state(), CloseState::Closed);
    assert!(matches!(p.read_buffered(), Err(WsError::AlreadyClosed)));
    assert!(matches!(
        p.write(&Message::text("x")),
        Err(WsError::AlreadyClosed)
    ));
    err
}

fn fail_with(role: Role, config: WebSocketConfig, input: &[u8], code: u16) -> ProtocolError {
    let mut p = Protocol::new(role, config);
    p.receive(input);
    expect_failure(&mut p, code)
}

fn fail(role: Role, input: &[u8], code: u16) -> ProtocolError {
    fail_with(role, WebSocketConfig::default(), input, code)
}

/// A valid payload for any opcode (Close needs a status code).
fn payload_for(op: u8) -> Vec<u8> {
    if op == CLOSE {
        close_payload(1000, b"")
    } else {
        b"ab".to_vec()
    }
}

#[test]
fn reserved_opcodes_fail_with_1002() {
    for role in ROLES {
        for op in (3u8..=7).chain(0xB..=0xF) {
            for fin in [true, false] {
                let err = fail(role, &frame(fin, 0, op, mask_for(role), b"xy"), 1002);
                assert!(
                    matches!(err, ProtocolError::ReservedOpCode(o) if o == op),
                    "{err:?}"
                );
            }
        }
    }
}

#[test]
fn rsv_bits_without_extension_fail_with_1002() {
    let cases = [
        (TEXT, OpCode::Text, b"hi".to_vec()),
        (BINARY, OpCode::Binary, vec![1, 2]),
        (PING, OpCode::Ping, vec![]),
        (PONG, OpCode::Pong, vec![9]),
        (CLOSE, OpCode::Close, close_payload(1000, b"")),
    ];
    for role in ROLES {
        let m = mask_for(role);
        for rsv in 1u8..8 {
            for (op, opcode, payload) in &cases {
                let err = fail(role, &frame(true, rsv, *op, m, payload), 1002);
                assert!(
                    matches!(err, ProtocolError::InvalidRsv { rsv: r, opcode: o } if r == rsv && o == *opcode),
                    "{err:?}"
                );
            }
            // On a continuation of a message that started without them.
            let mut p = Protocol::new(role, WebSocketConfig::default());
            p.receive(&frame(false, 0, TEXT, m, b"a"));
            assert_eq!(p.read_buffered().unwrap(), None);
            p.receive(&frame(true, rsv, CONT, m, b"b"));
            let err = expect_failure(&mut p, 1002);
            assert!(matches!(
                err,
                ProtocolError::InvalidRsv { rsv: r, opcode: OpCode::Continuation } if r == rsv
            ));
        }
    }
}

#[test]
fn unmasked_client_frame_to_server_fails_with_1002() {
    for op in [TEXT, BINARY, CONT, CLOSE, PING, PONG] {
        let err = fail(
            Role::Server,
            &frame(true, 0, op, None, &payload_for(op)),
            1002,
        );
        assert!(matches!(err, ProtocolError::UnmaskedFrame), "{op}: {err:?}");
    }
    // Unless explicitly allowed.
    let mut config = WebSocketConfig::default();
    config.accept_unmasked_frames = true;
    let mut p = Protocol::new(Role::Server, config);
    p.receive(&frame(true, 0, TEXT, None, b"ok"));
    assert_eq!(p.read_buffered().unwrap(), Some(Message::text("ok")));
}

#[test]
fn masked_server_frame_to_client_fails_with_1002() {
    for op in [TEXT, BINARY, CONT, CLOSE, PING, PONG] {
        let err = fail(
            Role::Client,
            &frame(true, 0, op, Some([1, 2, 3, 4]), &payload_for(op)),
            1002,
        );
        assert!(matches!(err, ProtocolError::MaskedFrame), "{op}: {err:?}");
    }
}

#[test]
fn fragmented_control_frames_fail_with_1002() {
    for role in ROLES {
        for op in [CLOSE, PING, PONG] {
            let err = fail(role, &frame(false, 0, op, mask_for(role), b""), 1002);
            assert!(
                matches!(err, ProtocolError::FragmentedControlFrame),
                "{err:?}"
            );
        }
    }
}

#[test]
fn control_frames_over_125_bytes_fail_with_1002() {
    for role in ROLES {
        let m = mask_for(role);
        for op in [CLOSE, PING, PONG] {
            let err = fail(role, &frame(true, 0, op, m, &[b'a'; 126]), 1002);
            assert!(
                matches!(err, ProtocolError::ControlFrameTooLong(126)),
                "{err:?}"
            );
            // The 64-bit form fails on the header alone.
            let err = fail(role, &header(true, 0, op, m, 70_000), 1002);
            assert!(
                matches!(err, ProtocolError::ControlFrameTooLong(70_000)),
                "{err:?}"
            );
        }
        // 125 bytes is fine.
        let mut p = Protocol::new(role, WebSocketConfig::default());
        p.receive(&frame(true, 0, PING, m, &[7; 125]));
        assert_eq!(
            p.read_buffered().unwrap(),
            Some(Message::Ping((vec![7; 125]).into()))
        );
    }
}

#[test]
fn length_with_msb_set_fails_with_1002() {
    for role in ROLES {
        for op in [TEXT, BINARY, CONT] {
            for len in [1u64 << 63, u64::MAX, (1 << 63) | 5] {
                let err = fail(role, &header(true, 0, op, mask_for(role), len), 1002);
                assert!(
                    matches!(err, ProtocolError::InvalidPayloadLength),
                    "{err:?}"
                );
            }
        }
    }
}

#[test]
fn continuation_without_start_fails_with_1002() {
    for role in ROLES {
        let m = mask_for(role);
        for fin in [true, false] {
            let err = fail(role, &frame(fin, 0, CONT, m, b"x"), 1002);
            assert!(
                matches!(err, ProtocolError::UnexpectedContinuation),
                "{err:?}"
            );
        }
        // After a complete message, too.
        let mut input = frame(true, 0, TEXT, m, b"done");
        input.extend(frame(true, 0, CONT, m, b"more"));
        let err = fail(role, &input, 1002);
        assert!(
            matches!(err, ProtocolError::UnexpectedContinuation),
            "{err:?}"
        );
    }
}

#[test]
fn new_data_frame_during_fragmented_message_fails_with_1002() {
    for role in ROLES {
        let m = mask_for(role);
        for (op, opcode) in [(TEXT, OpCode::Text), (BINARY, OpCode::Binary)] {
            let mut p = Protocol::new(role, WebSocketConfig::default());
            p.receive(&frame(false, 0, BINARY, m, b"ab"));
            assert_eq!(p.read_buffered().unwrap(), None);
            // Control frames may be interleaved.
            p.receive(&frame(true, 0, PING, m, b"p"));
            assert_eq!(
                p.read_buffered().unwrap(),
                Some(Message::Ping(b"p".to_vec().into()))
            );
            p.receive(&frame(true, 0, op, m, b"cd"));
            let err = expect_failure(&mut p, 1002);
            assert!(matches!(err, ProtocolError::ExpectedContinuation(o) if o == opcode));
        }
    }
}

#[test]
fn invalid_utf8_in_a_whole_text_message_fails_with_1007() {
    let bad: [&[u8]; 6] = [
        b"\xff",
        b"ok\xc0\x80",       // overlong
        b"\xed\xa0\x80",     // surrogate
        b"\xf4\x90\x80\x80", // above U+10FFFF
        b"ends mid code point \xe2\x82",
        b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
    ];
    for role in ROLES {
        for payload in bad {
            let err = fail(role, &frame(true, 0, TEXT, mask_for(role), payload), 1007);
            assert!(matches!(err, ProtocolError::InvalidUtf8), "{err:?}");
        }
    }
}

#[test]
fn invalid_utf8_fails_fast_inside_a_single_frame() {
    // Valid so far (the second ends inside "€"), then a byte that breaks it.
    let cases: [(&[u8], u8); 3] = [
        (b"abcd", 0xff),
        ("x\u{e4}".as_bytes(), 0x80),
        (b"y\xe2\x82", b'A'),
    ];
    for role in ROLES {
        for (good, bad) in cases {
            let mut payload = good.to_vec();
            payload.push(bad);
            payload.extend_from_slice(b" and much more text after the bad byte");
            let wire = frame(true, 0, TEXT, mask_for(role), &payload);
            let split = wire.len() - (payload.len() - good.len());
            let mut p = Protocol::new(role, WebSocketConfig::default());
            p.receive(&wire[..split]);
            assert_eq!(p.read_buffered().unwrap(), None, "valid prefix {good:?}");
            // Only the bad byte; the rest of the frame never arrives.
            p.receive(&wire[split..split + 1]);
            let err = expect_failure(&mut p, 1007);
            assert!(matches!(err, ProtocolError::InvalidUtf8), "{err:?}");
        }
    }
}

#[test]
fn code_point_split_across_frames() {
    for role in ROLES {
        let m = mask_for(role);
        // "𝄞" = F0 9D 84 9E split across two frames: valid.
        let mut p = Protocol::new(role, WebSocketConfig::default());
        p.receive(&frame(false, 0, TEXT, m, b"a\xf0\x9d"));
        assert_eq!(p.read_buffered().unwrap(), None);
        p.receive(&frame(true, 0, CONT, m, b"\x84\x9e"));
        assert_eq!(
            p.read_buffered().unwrap(),
            Some(Message::text("a\u{1d11e}"))
        );

        // The second frame's first byte cannot continue the code point.
        for fin in [true, false] {
            let mut p = Protocol::new(role, WebSocketConfig::default());
            p.receive(&frame(false, 0, TEXT, m, b"a\xf0\x9d"));
            assert_eq!(p.read_buffered().unwrap(), None);
            p.receive(&frame(fin, 0, CONT, m, b"A\x84\x9e"));
            let err = expect_failure(&mut p, 1007);
            assert!(matches!(err, ProtocolError::InvalidUtf8), "{err:?}");
        }

        // A message that ends inside a code point.
        let mut p = Protocol::new(role, WebSocketConfig::default());
        p.receive(&frame(false, 0, TEXT, m, b"a\xf0\x9d"));
        p.receive(&frame(true, 0, CONT, m, b"\x84"));
        let err = expect_failure(&mut p, 1007);
        assert!(matches!(err, ProtocolError::InvalidUtf8), "{err:?}");
    }
}

#[test]
fn close_payload_errors() {
    for role in ROLES {
        let m = mask_for(role);
        let err = fail(
            role,
            &frame(true, 0, CLOSE, m, &close_payload(1000, b"ok\xff")),
            1007,
        );
        assert!(matches!(err, ProtocolError::InvalidCloseReason), "{err:?}");
        let err = fail(role, &frame(true, 0, CLOSE, m, &[0x03]), 1002);
        assert!(matches!(err, ProtocolError::InvalidClosePayload), "{err:?}");
        for code in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
            let err = fail(
                role,
                &frame(true, 0, CLOSE, m, &close_payload(code, b"")),
                1002,
            );
            assert!(
                matches!(err, ProtocolError::InvalidCloseCode(c) if c == code),
                "{err:?}"
            );
        }
        // Valid codes are accepted and echoed in the reply.
        for code in [1000u16, 1003, 1007, 1014, 3000, 4999] {
            let mut p = Protocol::new(role, WebSocketConfig::default());
            p.receive(&frame(
                true,
                0,
                CLOSE,
                m,
                &close_payload(code, "€".as_bytes()),
            ));
            match p.read_buffered().unwrap() {
                Some(Message::Close(Some(f))) => {
                    assert_eq!((f.code.as_u16(), f.reason.as_str()), (code, "€"));
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(single_close_code(p.pending_output(), role), code);
        }
    }
}

#[test]
fn frame_over_max_frame_size_fails_on_the_header_with_1009() {
    let mut config = WebSocketConfig::default();
    config.limits.max_frame_size = 100;
    for role in ROLES {
        let m = mask_for(role);
        for (op, len) in [(TEXT, 101u64), (BINARY, 70_000), (BINARY, 1 << 40)] {
            // The header alone: no payload byte has arrived.
            let err = fail_with(role, config.clone(), &header(true, 0, op, m, len), 1009);
            assert!(
                matches!(err, ProtocolError::FrameTooLarge { size, max: 100 } if size == len),
                "{err:?}"
            );
        }
        // A continuation over the limit, too.
        let mut p = Protocol::new(role, config.clone());
        p.receive(&frame(false, 0, BINARY, m, b"a"));
        assert_eq!(p.read_buffered().unwrap(), None);
        p.receive(&header(true, 0, CONT, m, 101));
        let err = expect_failure(&mut p, 1009);
        assert!(matches!(
            err,
            ProtocolError::FrameTooLarge {
                size: 101,
                max: 100
            }
        ));
        // Exactly at the limit is fine.
        let mut p = Protocol::new(role, config.clone());
        p.receive(&frame(true, 0, BINARY, m, &[5; 100]));
        assert_eq!(
            p.read_buffered().unwrap(),
            Some(Message::binary(vec![5; 100]))
        );
    }
}

#[test]
fn message_over_max_message_size_fails_with_1009() {
    let mut config = WebSocketConfig::default();
    config.limits.max_message_size = 100;
    for role in ROLES {
        let m = mask_for(role);
        for op in [TEXT, BINARY] {
            let mut p = Protocol::new(role, config.clone());
            p.receive(&frame(false, 0, op, m, &[b'a'; 60]));
            assert_eq!(p.read_buffered().unwrap(), None);
            p.receive(&frame(false, 0, CONT, m, &[b'b'; 30]));
            assert_eq!(p.read_buffered().unwrap(), None);
            // 90 + 11 > 100: refused on the header.
            p.receive(&header(true, 0, CONT, m, 11));
            let err = expect_failure(&mut p, 1009);
            assert!(
                matches!(err, ProtocolError::MessageTooLarge { max: 100 }),
                "{err:?}"
            );
        }
        // 60 + 40 = 100 is fine.
        let mut p = Protocol::new(role, config.clone());
        p.receive(&frame(false, 0, BINARY, m, &[1; 60]));
        p.receive(&frame(true, 0, CONT, m, &[2; 40]));
        let expected: Vec<u8> = [[1u8; 60].as_slice(), &[2; 40]].concat();
        assert_eq!(
            p.read_buffered().unwrap(),
            Some(Message::Binary(expected.into()))
        );
        // A single frame over the message limit but within the frame limit.
        let err = fail_with(role, config.clone(), &header(true, 0, TEXT, m, 101), 1009);
        assert!(
            matches!(err, ProtocolError::MessageTooLarge { max: 100 }),
            "{err:?}"
        );
    }
}
