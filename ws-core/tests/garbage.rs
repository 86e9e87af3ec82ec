//! Random garbage, and valid traffic with random faults, never panics the
//! engine; whenever it fails, exactly one Close with the error's code is queued.

mod common;

use common::{close_payload, frame, mask_for, single_close_code, XorShift};
use sockwell_core::{Message, Protocol, Role, WebSocketConfig, WsError};

const ROLES: [Role; 2] = [Role::Server, Role::Client];
const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CONT: u8 = 0x0;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xA;

/// Some input for the fuzz loop: pure noise, or mostly valid frames (data
/// messages, some fragmented, control frames) with a few random faults.
fn garbage(rng: &mut XorShift, role: Role) -> Vec<u8> {
    let len = rng.below(300);
    if rng.below(4) == 0 {
        return rng.bytes(len);
    }
    let faulty = rng.below(2) == 0;
    let mut out = Vec::new();
    while out.len() < len {
        let m = if faulty && rng.below(20) == 0 {
            mask_for(role).xor(Some([9; 4]))
        } else {
            mask_for(role)
        };
        let rsv = if faulty && rng.below(20) == 0 {
            rng.below(8) as u8
        } else {
            0
        };
        let (op, payload) = match rng.below(10) {
            0..=3 => (TEXT, "ä€𝄞x".repeat(rng.below(12)).into_bytes()),
            4..=6 => {
                let n = rng.below(140);
                (BINARY, rng.bytes(n))
            }
            7 => (PING, vec![b'!'; rng.below(2) * 5]),
            8 => (PONG, b"p".to_vec()),
            _ if rng.below(3) == 0 => (
                CLOSE,
                close_payload([1000, 1005, 3000, 999][rng.below(4)], b"r"),
            ),
            _ => ([CONT, 3, 0xB][rng.below(3)], b"?".to_vec()),
        };
        if op <= BINARY && payload.len() > 2 && rng.below(3) == 0 {
            // Fragmented, with a ping in the middle; may split a code point.
            let cut = 1 + rng.below(payload.len() - 1);
            out.extend(frame(false, rsv, op, m, &payload[..cut]));
            out.extend(frame(true, 0, PING, m, b"mid"));
            out.extend(frame(true, 0, CONT, m, &payload[cut..]));
        } else {
            out.extend(frame(true, rsv, op, m, &payload));
        }
    }
    out.truncate(len);
    if faulty {
        for _ in 0..rng.below(3).min(len) {
            let at = rng.below(out.len());
            out[at] ^= 1 << rng.below(8);
        }
    }
    out
}

#[test]
fn random_garbage_never_panics_and_failures_queue_one_close() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let (mut failures, mut closes, mut events) = (0, 0, 0);
    for iteration in 0..6000 {
        let role = ROLES[iteration % 2];
        let mut config = WebSocketConfig::default();
        if rng.below(2) == 0 {
            config.limits.max_frame_size = 64;
            config.limits.max_message_size = 200;
        }
        let input = garbage(&mut rng, role);
        let mut p = Protocol::new(role, config);
        let mut peer_close = None;
        let mut rest = &input[..];
        'feed: loop {
            let n = rest.len().min(1 + rng.below(64));
            p.receive(&rest[..n]);
            rest = &rest[n..];
            for _ in 0..400 {
                match p.read_buffered() {
                    Ok(Some(Message::Close(frame))) => peer_close = Some(frame),
                    Ok(Some(_)) => events += 1,
                    Ok(None) => break,
                    Err(WsError::Protocol(e)) => {
                        let code = e.close_code().as_u16();
                        assert_eq!(single_close_code(p.pending_output(), role), code, "{e:?}");
                        failures += 1;
                        break 'feed;
                    }
                    Err(WsError::ConnectionClosed) => {
                        let frame = peer_close.take().expect("a Close was received");
                        let code = frame.map_or(1000, |f| f.code.as_u16());
                        // Only the reply: a pong still pending is dropped.
                        assert_eq!(single_close_code(p.pending_output(), role), code);
                        closes += 1;
                        break 'feed;
                    }
                    Err(other) => panic!("unexpected {other:?}"),
                }
            }
            if rest.is_empty() {
                break;
            }
        }
    }
    // The generator reaches both outcomes often.
    assert!(
        failures > 1000 && closes > 50 && events > 3000,
        "{failures} failures, {closes} closes, {events} events"
    );
}
