//! Messages as the application sees them.

use crate::{CloseFrame, Utf8Bytes};
use bytes::Bytes;

/// A WebSocket message, or a control frame the application may want to see.
///
/// Reading yields pings and pongs too (the engine has already queued the
/// answer to a ping), and the peer's Close (the engine has already queued the
/// reply), so an application can observe every event without handling any.
///
/// Payloads are reference-counted ([`Bytes`], [`Utf8Bytes`]): a message
/// received is handed over without a copy, and cloning one to send it to
/// many connections copies nothing (a server queues a large payload as it
/// is, without copying it into its write buffer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A text message: valid UTF-8, checked as it arrives.
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
    /// A ping with its payload (at most 125 bytes).
    Ping(Bytes),
    /// A pong with its payload (at most 125 bytes).
    Pong(Bytes),
    /// A Close frame; `None` when it carried no status code.
    Close(Option<CloseFrame>),
}

impl Message {
    /// A text message (from a `String`, a `&str`, or [`Utf8Bytes`]).
    pub fn text(text: impl Into<Utf8Bytes>) -> Message {
        Message::Text(text.into())
    }

    /// A binary message (from a `Vec<u8>`, a `&'static [u8]`, or [`Bytes`]).
    pub fn binary(data: impl Into<Bytes>) -> Message {
        Message::Binary(data.into())
    }

    /// A ping with `data` as its payload.
    pub fn ping(data: impl Into<Bytes>) -> Message {
        Message::Ping(data.into())
    }

    /// A pong with `data` as its payload.
    pub fn pong(data: impl Into<Bytes>) -> Message {
        Message::Pong(data.into())
    }

    /// True for text and binary messages.
    pub fn is_data(&self) -> bool {
        matches!(self, Message::Text(_) | Message::Binary(_))
    }

    /// True for a text message.
    pub fn is_text(&self) -> bool {
        matches!(self, Message::Text(_))
    }

    /// True for a binary message.
    pub fn is_binary(&self) -> bool {
        matches!(self, Message::Binary(_))
    }

    /// True for a ping.
    pub fn is_ping(&self) -> bool {
        matches!(self, Message::Ping(_))
    }

    /// True for a pong.
    pub fn is_pong(&self) -> bool {
        matches!(self, Message::Pong(_))
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

    /// The payload bytes, consuming the message (no copy, except for a
    /// Close, whose payload is encoded).
    pub fn into_data(self) -> Bytes {
        match self {
            Message::Text(t) => t.into_bytes(),
            Message::Binary(d) | Message::Ping(d) | Message::Pong(d) => d,
            Message::Close(None) => Bytes::new(),
            Message::Close(Some(f)) => {
                let mut out = Vec::with_capacity(2 + f.reason.len());
                f.write_payload(&mut out);
                out.into()
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

    /// The payload as text, consuming the message: a text message's text
    /// as it is, a binary, ping or pong payload checked as UTF-8 (no
    /// copy), a Close's reason. Fails only when the bytes are not UTF-8.
    pub fn into_text(self) -> Result<Utf8Bytes, std::str::Utf8Error> {
        match self {
            Message::Text(t) => Ok(t),
            Message::Binary(d) | Message::Ping(d) | Message::Pong(d) => Utf8Bytes::try_from(d),
            Message::Close(None) => Ok(Utf8Bytes::default()),
            Message::Close(Some(f)) => Ok(f.reason.into()),
        }
    }

    /// The payload as text, borrowed: like [`into_text`](Self::into_text)
    /// without consuming the message.
    pub fn to_text(&self) -> Result<&str, std::str::Utf8Error> {
        match self {
            Message::Text(t) => Ok(t),
            Message::Binary(d) | Message::Ping(d) | Message::Pong(d) => std::str::from_utf8(d),
            Message::Close(None) => Ok(""),
            Message::Close(Some(f)) => Ok(&f.reason),
        }
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Message::Text(text.into())
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Message::Text(text.into())
    }
}

impl From<Utf8Bytes> for Message {
    fn from(text: Utf8Bytes) -> Self {
        Message::Text(text)
    }
}

impl From<Vec<u8>> for Message {
    fn from(data: Vec<u8>) -> Self {
        Message::Binary(data.into())
    }
}

impl From<&[u8]> for Message {
    fn from(data: &[u8]) -> Self {
        Message::Binary(Bytes::copy_from_slice(data))
    }
}

impl From<Bytes> for Message {
    fn from(data: Bytes) -> Self {
        Message::Binary(data)
    }
}

#[cfg(test)]
mod helper_tests {
    use super::*;
    use crate::CloseCode;

    #[test]
    fn kinds_and_text_of_every_message() {
        let text = Message::text("héllo");
        assert!(text.is_text() && text.is_data() && !text.is_binary());
        assert_eq!(text.len(), 6);
        assert_eq!(text.to_text(), Ok("héllo"));
        assert_eq!(text.clone().into_text().unwrap(), "héllo");
        assert_eq!(text.into_data(), Bytes::from_static("héllo".as_bytes()));

        let binary = Message::binary(&b"abc"[..]);
        assert!(binary.is_binary() && !binary.is_text());
        assert_eq!(binary.to_text(), Ok("abc"));
        assert_eq!(binary.into_text().unwrap(), "abc");

        let invalid = Message::binary(vec![0xff, 0xfe]);
        assert!(invalid.to_text().is_err());
        assert!(invalid.into_text().is_err());

        assert!(Message::ping(vec![]).is_ping() && Message::ping(vec![]).is_empty());
        assert!(Message::pong(&b"x"[..]).is_pong());

        let close = Message::Close(Some(CloseFrame {
            code: CloseCode::GOING_AWAY,
            reason: "bye".into(),
        }));
        assert_eq!(close.to_text(), Ok("bye"));
        assert_eq!(close.len(), 5);
        assert_eq!(close.into_text().unwrap(), "bye");
        assert_eq!(Message::Close(None).into_text().unwrap(), "");
    }
}
