//! `Sec-WebSocket-Extensions` (RFC 6455 §9.1): the parser never panics and
//! what it accepts formats back to a header that parses the same; a server
//! negotiating permessage-deflate over it, and a client confirming it as an
//! answer, fail cleanly or agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockwell_extensions::{client_confirm, format_extensions, parse_extensions, server_negotiate};

fuzz_target!(|data: &[u8]| {
    if let Ok(items) = parse_extensions([data]) {
        let formatted = format_extensions(&items);
        let again = parse_extensions([formatted.as_bytes()]).expect("our own format parses");
        assert_eq!(again, items, "{formatted:?}");
    }
    let pick = data.first().copied().unwrap_or(0);
    let server = vec![
        ws_fuzz::deflate_config(pick).into_factory(),
        ws_fuzz::deflate_config(pick.wrapping_add(1)).into_factory(),
    ];
    if let Ok((Some(answer), _stack)) = server_negotiate(&server, [data]) {
        // The server's answer is always a well-formed header.
        parse_extensions([answer.as_bytes()]).expect("the answer parses");
    }
    let client = vec![ws_fuzz::deflate_config(pick).into_factory()];
    let _ = client_confirm(&client, [data]);
});
