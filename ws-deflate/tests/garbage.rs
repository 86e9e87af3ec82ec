//! Random bytes fed to the inflater, frame by frame, never panic and never
//! pass the size limit: each message either decodes or fails with an error.

use sockwell_deflate::DeflateConfig;
use sockwell_extensions::{client_confirm, client_offer, server_negotiate, ExtensionError, Rsv};

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
    let factories = vec![DeflateConfig::default().context_takeover().into_factory()];
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

/// Regression (fuzz target `deflate_decode`, crash-9ae6a5b0): corrupt data
/// that first inflates up to one byte past the limit and only then fails
/// left that byte in the output: the limit must hold on the error path too.
#[test]
fn output_never_passes_the_limit_when_the_data_fails_after_it() {
    const INPUT: &str = "7MExAQAAAMKgrOtfwhoeQAAAAQYAAAAAAAAAAAAAAAAAAAAAAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1ampqampqAAAAAAAACAAAAAAAAAAAAAAAAAAA";
    let wire = base64_decode(INPUT);
    let client = vec![DeflateConfig::default()
        .context_takeover()
        .client_no_context_takeover(true)
        .server_no_context_takeover(true)
        .into_factory()];
    let server = vec![DeflateConfig::default()
        .context_takeover()
        .client_no_context_takeover(true)
        .server_no_context_takeover(true)
        .into_factory()];
    let offer = sockwell_extensions::client_offer(&client).unwrap();
    let (_, mut stack) =
        sockwell_extensions::server_negotiate(&server, [offer.as_bytes()]).unwrap();
    const LIMIT: usize = 64 << 10;
    stack.begin_message(sockwell_extensions::Rsv::RSV1).unwrap();
    let mut out = Vec::new();
    let chunks: Vec<&[u8]> = wire.chunks(64).collect();
    let mut failed = false;
    for (i, chunk) in chunks.iter().enumerate() {
        let result = stack.decode(chunk, i + 1 == chunks.len(), &mut out, LIMIT);
        assert!(out.len() <= LIMIT, "{} bytes decoded", out.len());
        if let Err(e) = result {
            assert!(matches!(e.close_code(), 1007 | 1009), "{e:?}");
            failed = true;
            break;
        }
    }
    assert!(failed, "the data is corrupt");
}

/// Standard base64 (the fuzzer's artifact encoding), for the regression input.
fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base64") as u32;
        bits = (bits << 6) | v;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}
