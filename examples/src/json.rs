//! Typed JSON messages with serde: each text message is a [`Request`],
//! answered with a [`Reply`]. A message that is not one is refused as
//! RFC 6455 §7.4.1 says: Close 1007 (invalid payload: text that does not
//! hold a valid request) or Close 1003 (unsupported data: a binary
//! message, which this server does not accept), with the reason.
//!
//! `cargo run -p sockwell-examples --example json -- 127.0.0.1:9001`, then
//! `echo '{"type":"add","a":2,"b":3}' | ws ws://127.0.0.1:9001/`

use serde::{Deserialize, Serialize};
use sockwell_server::{accept_async, CloseCode, CloseFrame, Message, WebSocketStream, WsError};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// What a client asks: `{"type":"add","a":2,"b":3}`, `{"type":"upper","text":"hi"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// Add two numbers.
    Add {
        /// The first.
        a: i64,
        /// The second.
        b: i64,
    },
    /// Upper-case a text.
    Upper {
        /// The text.
        text: String,
    },
}

/// The answer: `{"type":"sum","value":5}`, `{"type":"upper","text":"HI"}`,
/// or `{"type":"error","message":"..."}` for a valid request that failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    /// The sum.
    Sum {
        /// `a + b`.
        value: i64,
    },
    /// The text, upper-cased.
    Upper {
        /// The result.
        text: String,
    },
    /// The request was valid but could not be done (the connection stays).
    Error {
        /// Why.
        message: String,
    },
}

fn answer(request: Request) -> Reply {
    match request {
        Request::Add { a, b } => match a.checked_add(b) {
            Some(value) => Reply::Sum { value },
            None => Reply::Error {
                message: "the sum overflows i64".into(),
            },
        },
        Request::Upper { text } => Reply::Upper {
            text: text.to_uppercase(),
        },
    }
}

/// Accepts connections on `listener`, one task each, until it fails.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    loop {
        let (tcp, _) = listener.accept().await?;
        tokio::spawn(async move {
            if let Ok(ws) = accept_async(tcp).await {
                let _ = session(ws).await;
            }
        });
    }
}

/// One connection: a reply for each request, until the client closes or
/// sends something that is not a request.
pub async fn session(mut ws: WebSocketStream<TcpStream>) -> Result<(), WsError> {
    loop {
        let request: Request = match ws.read().await {
            Ok(Message::Text(text)) => match serde_json::from_str(text.as_str()) {
                Ok(request) => request,
                // §7.4.1, 1007: data in a message inconsistent with its type.
                Err(e) => {
                    let reason = format!("invalid request: {e}");
                    return refuse(&mut ws, CloseCode::INVALID_PAYLOAD, &reason).await;
                }
            },
            // §7.4.1, 1003: a type of data the endpoint cannot accept.
            Ok(Message::Binary(_)) => {
                let reason = "binary messages are not accepted: send JSON text";
                return refuse(&mut ws, CloseCode::UNSUPPORTED_DATA, reason).await;
            }
            // Pings are answered by the engine; after the client's Close
            // (replied to by the engine), the next read ends the loop.
            Ok(_) => continue,
            Err(WsError::ConnectionClosed) => return Ok(()),
            Err(e) => return Err(e),
        };
        let reply = serde_json::to_string(&answer(request)).expect("a Reply serializes");
        ws.send(Message::text(reply)).await?;
    }
}

/// Closes with `code` and `reason`, then waits (briefly) for the reply.
async fn refuse(
    ws: &mut WebSocketStream<TcpStream>,
    code: CloseCode,
    reason: &str,
) -> Result<(), WsError> {
    // A Close frame's payload is at most 125 bytes: 2 of code, 123 of reason.
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    ws.close(Some(CloseFrame::new(code, &reason[..end])))
        .await?;
    let drain = async { while ws.read().await.is_ok() {} };
    let _ = tokio::time::timeout(Duration::from_secs(5), drain).await;
    Ok(())
}
