//! Messages as the application sees them.

use crate::CloseFrame;

/// A WebSocket message, or a control frame the application may want to see.
///
/// Reading yields pings and pongs too (the engine has already queued the
/// answer to a ping), and the peer's Close (the engine has already queued the
/// reply), so an application can observe every event without handling any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A text message: valid UTF-8, checked as it arrives.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
    /// A ping with its payload (at most 125 bytes).
    Ping(Vec<u8>),
    /// A pong with its payload (at most 125 bytes).
    Pong(Vec<u8>),
    /// A Close frame; `None` when it carried no status code.
    Close(Option<CloseFrame>),
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<String>) -> Message {
        Message::Text(text.into())
    }

    /// A binary message.
    pub fn binary(data: impl Into<Vec<u8>>) -> Message {
        Message::Binary(data.into())
    }

    /// True for text and binary messages.
    pub fn is_data(&self) -> bool {
        matches!(self, Message::Text(_) | Message::Binary(_))
    }

    /// True for a Close.
    pub fn is_close(&self) -> bool {
        matches!(self, Message::Close(_))
    }

    /// The payload length in bytes (for Close: code plus reason).
    pub fn len(&self) -> usize {
        match self {
            Message::Text(t) => t.len(),
            Message::Binary(d) | Message::Ping(d) | Message::Pong(d) => d.len(),
            Message::Close(None) => 0,
            Message::Close(Some(f)) => 2 + f.reason.len(),
        }
    }

    /// True if the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The payload bytes, consuming the message.
    pub fn into_data(self) -> Vec<u8> {
        match self {
            Message::Text(t) => t.into_bytes(),
            Message::Binary(d) | Message::Ping(d) | Message::Pong(d) => d,
            Message::Close(None) => Vec::new(),
            Message::Close(Some(f)) => {
                let mut out = Vec::with_capacity(2 + f.reason.len());
                f.write_payload(&mut out);
                out
            }
        }
    }

    /// The text of a text message, or `None`.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Message::Text(t) => Some(t),
            _ => None,
        }
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Message::Text(text)
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Message::Text(text.to_owned())
    }
}

impl From<Vec<u8>> for Message {
    fn from(data: Vec<u8>) -> Self {
        Message::Binary(data)
    }
}

impl From<&[u8]> for Message {
    fn from(data: &[u8]) -> Self {
        Message::Binary(data.to_vec())
    }
}
