//! Shared pieces of the Autobahn|Testsuite testees.

use std::io::{Read, Write};
use ws_core::{Error, WebSocket};

/// Echoes every text and binary message until the connection ends. Pings,
/// pongs and the closing handshake are the engine's business. Batched: the
/// echoes of everything that arrived together leave in one write.
pub fn echo<S: Read + Write>(socket: &mut WebSocket<S>) -> Result<(), Error> {
    loop {
        let mut next = socket.read().map(Some);
        loop {
            match next {
                Ok(Some(message)) => {
                    if message.is_data() {
                        socket.write(message)?;
                    }
                }
                Ok(None) => break,
                Err(Error::ConnectionClosed) => return Ok(()),
                Err(e) => return Err(e),
            }
            next = socket.read_buffered();
        }
        socket.flush()?;
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
