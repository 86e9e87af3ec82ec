//! Shared pieces of the Autobahn|Testsuite testees.

use std::io::{Read, Write};
use ws_core::{Error, Message, WebSocket};

/// Echoes every text and binary message until the connection ends. Pings,
/// pongs and the closing handshake are the engine's business.
pub fn echo<S: Read + Write>(socket: &mut WebSocket<S>) -> Result<(), Error> {
    loop {
        match socket.read() {
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => socket.send(message)?,
            Ok(_) => {}
            Err(Error::ConnectionClosed) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// `e` and its sources, one after the other: "a: b: c".
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
