//! Shared pieces of the Autobahn|Testsuite testees.

use sockwell_core::{WebSocket, WsError};
use sockwell_tokio::WebSocketStream;
use std::io::{Read, Write};
use tokio::io::{AsyncRead, AsyncWrite};

/// Echoes every text and binary message until the connection ends. Pings,
/// pongs and the closing handshake are the engine's business. Batched: the
/// echoes of everything that arrived together leave in one write.
pub fn echo<S: Read + Write>(socket: &mut WebSocket<S>) -> Result<(), WsError> {
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
                Err(WsError::ConnectionClosed) => return Ok(()),
                Err(e) => return Err(e),
            }
            next = socket.read_buffered();
        }
        socket.flush()?;
    }
}

/// [`echo`] for the async driver: receive, answer all that already arrived
/// (`try_recv`), flush once.
pub async fn echo_async<S: AsyncRead + AsyncWrite + Unpin>(
    socket: &mut WebSocketStream<S>,
) -> Result<(), WsError> {
    loop {
        let mut next = socket.read().await.map(Some);
        loop {
            match next {
                Ok(Some(message)) => {
                    if message.is_data() {
                        socket.write(message)?;
                        let protocol = socket.protocol();
                        if protocol.buffered_output() > protocol.config().write_buffer_size {
                            socket.flush().await?;
                        }
                    }
                }
                Ok(None) => break,
                Err(WsError::ConnectionClosed) => return Ok(()),
                Err(e) => return Err(e),
            }
            next = socket.read_buffered();
        }
        socket.flush().await?;
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
