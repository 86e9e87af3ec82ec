//! The server side of the opening handshake: the request parser, and a
//! whole server handshake (with permessage-deflate offered) reading the
//! bytes as a client's request. No panic; a refusal is answered with the
//! HTTP status its error names, an acceptance with 101.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockwell_handshake::{
    parse_request, HandshakeLimits, NoCallback, ServerConfig, ServerHandshake,
};
use ws_fuzz::Canned;

fuzz_target!(|data: &[u8]| {
    let _ = parse_request(data, &HandshakeLimits::default());
    let config = ServerConfig::default()
        .with_extension(ws_fuzz::deflate_config(data.first().copied().unwrap_or(0)));
    let mut stream = Canned::new(data);
    let outcome = ServerHandshake::new(&mut stream, NoCallback, config)
        .handshake()
        .map(drop)
        .map_err(|e| e.into_failure().expect("a canned stream never blocks"));
    let written = String::from_utf8_lossy(&stream.written);
    match outcome {
        Ok(()) => assert!(written.starts_with("HTTP/1.1 101 "), "{written:?}"),
        Err(e) => match e.http_status() {
            // The callback-less server answers every refusal itself.
            Some(status) => {
                let head = format!("HTTP/1.1 {} ", status.as_u16());
                assert!(written.starts_with(&head), "{e}: {written:?}");
            }
            // Not the client's fault (the stream ended): nothing was answered.
            None => assert!(written.is_empty(), "{e}: {written:?}"),
        },
    }
});
