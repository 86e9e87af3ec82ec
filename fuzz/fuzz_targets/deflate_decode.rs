//! permessage-deflate decoding under a limit (RFC 7692 §7.2.2): arbitrary
//! bytes as compressed messages, cut into frames, through a negotiated
//! stack. No panic, and the output never passes the limit whatever the
//! bytes inflate to.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockwell_extensions::Rsv;
use ws_fuzz::{deflate_config, deflate_stacks};

const LIMIT: usize = 64 << 10;

fuzz_target!(|data: &[u8]| {
    let [setup, piece, rest @ ..] = data else {
        return;
    };
    let (_client, mut server) = deflate_stacks(deflate_config(*setup));
    let piece = usize::from(*piece % 64) + 1;
    // Messages are separated by 0xff 0xff 0xff (a run a peer may also send).
    for message in rest.split(|&b| b == 0xff).filter(|m| !m.is_empty()) {
        if server.begin_message(Rsv::RSV1).is_err() {
            return;
        }
        let mut out = Vec::new();
        let frames: Vec<&[u8]> = message.chunks(piece).collect();
        for (i, frame) in frames.iter().enumerate() {
            let result = server.decode(frame, i + 1 == frames.len(), &mut out, LIMIT);
            assert!(out.len() <= LIMIT, "{} bytes decoded", out.len());
            if let Err(e) = result {
                assert!(matches!(e.close_code(), 1007 | 1009), "{e:?}");
                return;
            }
        }
    }
});
