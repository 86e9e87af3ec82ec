//! Random bytes fed to the inflater, frame by frame, never panic and never
//! pass the size limit: each message either decodes or fails with an error.

use ws_deflate::DeflateConfig;
use ws_extensions::{client_confirm, client_offer, server_negotiate, ExtensionError, Rsv};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_compressed_payloads_fail_cleanly() {
    let factories = vec![DeflateConfig::default().into_factory()];
    let offer = client_offer(&factories).unwrap();
    let (answer, _) = server_negotiate(&factories, [offer.as_bytes()]).unwrap();
    let answer = answer.unwrap();
    let mut rng = XorShift(0xdead_beef_cafe_f00d);
    let limit = 4096;
    let (mut ok, mut failed) = (0, 0);
    for _ in 0..3_000 {
        // A fresh stack per message: after an error the connection is gone.
        let mut stack = client_confirm(&factories, [answer.as_bytes()]).unwrap();
        stack.begin_message(Rsv::RSV1).unwrap();
        let len = (rng.next() % 300) as usize;
        let payload: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let mut out = Vec::new();
        let mut result = Ok(());
        let pieces: Vec<&[u8]> = payload.chunks(1 + (rng.next() % 64) as usize).collect();
        for (i, piece) in pieces.iter().enumerate() {
            result = stack.decode(piece, i + 1 == pieces.len(), &mut out, limit);
            if result.is_err() {
                break;
            }
        }
        if pieces.is_empty() {
            result = stack.decode(&[], true, &mut out, limit);
        }
        assert!(out.len() <= limit);
        match result {
            Ok(()) => ok += 1,
            Err(ExtensionError::InvalidPayload { .. } | ExtensionError::MessageTooLarge { .. }) => {
                failed += 1
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert!(failed > 0 && ok > 0, "ok {ok}, failed {failed}");
}
