//! Decodes what Python's zlib produced (raw deflate, sync flush, tail
//! removed), with context takeover: later messages refer back to earlier ones.

use sockwell_deflate::DeflateConfig;
use sockwell_extensions::{client_confirm, client_offer, server_negotiate, Rsv};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn inflates_python_zlib_messages_with_context_takeover() {
    let client = vec![DeflateConfig::default().context_takeover().into_factory()];
    let server = vec![DeflateConfig::default().context_takeover().into_factory()];
    let offer = client_offer(&client).unwrap();
    let (answer, mut stack) = server_negotiate(&server, [offer.as_bytes()]).unwrap();
    client_confirm(&client, [answer.unwrap().as_bytes()]).unwrap();
    let wire = [
        "f248cdc9c9d75128cf2fca49515430340200",
        "f240e30300",
        "42e31b53ca0700",
        "42371f00",
    ];
    let expected: [&[u8]; 4] = [
        b"Hello, world! 12",
        b"Hello, world! 12",
        &b"Hello, world! 13".repeat(5),
        b"Hello, world! 12",
    ];
    for (w, e) in wire.iter().zip(expected) {
        stack.begin_message(Rsv::RSV1).unwrap();
        let mut out = Vec::new();
        stack.decode(&hex(w), true, &mut out, 1 << 20).unwrap();
        assert_eq!(out, e);
    }
}
