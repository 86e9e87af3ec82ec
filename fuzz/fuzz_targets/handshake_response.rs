//! The client side of the opening handshake: the response parser, the
//! response checks against a known key, extension confirmation, and a whole
//! client handshake reading the bytes as the server's answer. No panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockwell_handshake::http::header::SEC_WEBSOCKET_EXTENSIONS;
use sockwell_handshake::{
    parse_response, validate_response, ClientConfig, ClientHandshake, HandshakeLimits,
};
use ws_fuzz::Canned;

/// RFC 6455 §1.3's example: the accept value of "dGhlIHNhbXBsZSBub25jZQ==".
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

fuzz_target!(|data: &[u8]| {
    let deflate = ws_fuzz::deflate_config(data.first().copied().unwrap_or(0));
    if let Ok(response) = parse_response(data, &HandshakeLimits::default()) {
        let offered = ["chat".to_owned(), "superchat".to_owned()];
        if validate_response(&response, ACCEPT, &offered).is_ok() {
            let answers = response
                .headers()
                .get_all(SEC_WEBSOCKET_EXTENSIONS)
                .iter()
                .map(|v| v.as_bytes());
            let _ = sockwell_extensions::client_confirm(&[deflate.clone().into_factory()], answers);
        }
    }
    let config = ClientConfig::default().with_extension(deflate);
    let mut stream = Canned::new(data);
    if let Ok(handshake) = ClientHandshake::new(&mut stream, "ws://example.com/chat", config) {
        // A random key: acceptance is all but impossible, failure must be clean.
        let _ = handshake.handshake().map(drop);
    }
});
