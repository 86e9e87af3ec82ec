//! Incremental UTF-8 validation (RFC 6455 §8.1) against std: a text message
//! cut into fragments at arbitrary points is delivered iff std accepts the
//! whole, byte for byte; otherwise it fails with 1007 no later than the
//! fragment holding the byte that shows the first invalid sequence (fail
//! fast), or at the end if the text is only cut short.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockwell_core::{Message, Protocol, Role, WsError};
use ws_fuzz::{config, frame};

const KEY: [u8; 4] = [0x11, 0x22, 0x33, 0x44];

fuzz_target!(|data: &[u8]| {
    let [cuts, rest @ ..] = data else { return };
    let cuts = usize::from(cuts % 8).min(rest.len());
    let (positions, text) = rest.split_at(cuts);
    let mut bounds: Vec<usize> = positions
        .iter()
        .map(|&p| {
            if text.is_empty() {
                0
            } else {
                usize::from(p) % text.len()
            }
        })
        .collect();
    bounds.push(0);
    bounds.push(text.len());
    bounds.sort_unstable();
    bounds.dedup();
    let pieces: Vec<&[u8]> = bounds.windows(2).map(|w| &text[w[0]..w[1]]).collect();
    let pieces = if pieces.is_empty() {
        vec![&text[..0]]
    } else {
        pieces
    };

    // The last fragment by which the engine must have failed.
    let expected = std::str::from_utf8(text);
    let fail_by = match &expected {
        Ok(_) => None,
        Err(e) => Some(match e.error_len() {
            Some(len) => {
                // The invalid sequence, and the byte after it (which may be
                // what shows it cannot continue): all a validator can need.
                let seen = (e.valid_up_to() + len + 1).min(text.len());
                bounds
                    .iter()
                    .skip(1)
                    .position(|&end| end >= seen)
                    .unwrap_or(pieces.len() - 1)
            }
            None => pieces.len() - 1,
        }),
    };

    let mut server = Protocol::new(Role::Server, config());
    for (i, piece) in pieces.iter().enumerate() {
        let (fin, opcode) = (i + 1 == pieces.len(), if i == 0 { 0x1 } else { 0x0 });
        server.receive(&frame(fin, 0, opcode, Some(KEY), piece));
        match server.read_buffered() {
            Ok(None) => assert!(!fin, "a whole message and no event"),
            Ok(Some(Message::Text(t))) => {
                assert!(fin);
                assert_eq!(t.as_bytes(), text);
                assert!(expected.is_ok());
                return;
            }
            Ok(Some(other)) => panic!("unexpected {other:?}"),
            Err(WsError::Protocol(e)) => {
                assert_eq!(e.close_code().as_u16(), 1007, "{e:?}");
                let by = fail_by.expect("std accepts this text");
                assert!(i <= by, "failed at fragment {i}, should by {by}");
                return;
            }
            Err(e) => panic!("unexpected error {e:?}"),
        }
        if let Some(by) = fail_by {
            assert!(i < by, "fragment {i} passed, but std fails by {by}");
        }
    }
});
