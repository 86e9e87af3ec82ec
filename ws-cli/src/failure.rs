//! What failed, said once, and the exit status that goes with it.

use sockwell_client::{CloseFrame, HandshakeError};
use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;

/// Exit statuses (also in `ws --help`).
pub mod exit {
    pub const OTHER: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const CONNECT: u8 = 3;
    pub const TLS: u8 = 4;
    pub const HANDSHAKE: u8 = 5;
    pub const ABNORMAL_CLOSE: u8 = 6;
}

/// A failure of a command: a message for stderr and an exit status.
#[derive(Debug)]
pub struct Failure {
    pub status: u8,
    pub message: String,
}

impl Failure {
    pub fn new(status: u8, message: impl Into<String>) -> Self {
        Failure {
            status,
            message: message.into(),
        }
    }

    /// The peer closed with a code that is not a normal ending.
    pub fn closed(by: &str, frame: Option<&CloseFrame>) -> Self {
        Failure::new(
            exit::ABNORMAL_CLOSE,
            format!("closed by {by}: {}", describe_close(frame)),
        )
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// `1000 (normal closure) "bye"`.
pub fn describe_close(frame: Option<&CloseFrame>) -> String {
    let Some(frame) = frame else {
        return "no status code".to_owned();
    };
    let code = frame.code.as_u16();
    let name = match code {
        1000 => "normal closure",
        1001 => "going away",
        1002 => "protocol error",
        1003 => "unsupported data",
        1007 => "invalid payload data",
        1008 => "policy violation",
        1009 => "message too big",
        1010 => "mandatory extension",
        1011 => "internal error",
        1012 => "service restart",
        1013 => "try again later",
        1014 => "bad gateway",
        3000..=3999 => "registered",
        4000..=4999 => "private use",
        _ => "unknown",
    };
    if frame.reason.is_empty() {
        format!("{code} ({name})")
    } else {
        // Quoted, and escaped as Rust's Debug does (control characters too).
        format!("{code} ({name}) {:?}", frame.reason.as_str())
    }
}

/// Text from the peer made safe for a terminal: control characters (C0
/// but newline and tab, DEL, C1; ESC among them) are written as escapes
/// (`\u{1b}`), so a refusal body or a reason cannot clear the screen,
/// move the cursor or retitle the window.
pub fn printable(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.contains(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Is this close code one that ends a conversation normally?
pub fn is_normal(frame: Option<&CloseFrame>) -> bool {
    frame.is_none_or(|f| matches!(f.code.as_u16(), 1000 | 1001))
}

/// An error and its sources, each said once: `a: b: c`.
pub fn chain(error: &dyn StdError) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let said = e.to_string();
        // Some libraries repeat their source in their own message.
        if !out.ends_with(&said) {
            out.push_str(": ");
            out.push_str(&said);
        }
        source = e.source();
    }
    out
}

/// A failed connect, classified: TCP, TLS, or the upgrade itself. A
/// refusal carries its status and the body the server sent.
pub fn from_connect(error: sockwell_client::ConnectError) -> Failure {
    let status = match &error {
        sockwell_client::ConnectError::Url(_) => exit::USAGE,
        sockwell_client::ConnectError::Connect { .. } => exit::CONNECT,
        sockwell_client::ConnectError::Tls { .. } => exit::TLS,
        sockwell_client::ConnectError::Handshake(HandshakeError::InvalidRequest(_)) => exit::USAGE,
        sockwell_client::ConnectError::Handshake(HandshakeError::Http(_)) => exit::USAGE,
        sockwell_client::ConnectError::Handshake(_) => exit::HANDSHAKE,
        _ => exit::OTHER,
    };
    let mut message = chain(&error);
    if error.is_ca_used_as_end_entity() {
        message.push_str(
            "\nhint: give the server a leaf certificate (CA:FALSE) signed by a CA, and trust \
             that CA with --ca FILE; --insecure skips the check (for testing only)",
        );
    }
    if let sockwell_client::ConnectError::Handshake(HandshakeError::UnexpectedStatus(response)) =
        &error
    {
        let reason = response.status().canonical_reason().unwrap_or("");
        message = format!(
            "handshake refused: the server answered {} {reason}",
            response.status().as_u16()
        );
        if let Some(body) = response.body().as_deref().filter(|b| !b.is_empty()) {
            message.push('\n');
            message.push_str(&printable(String::from_utf8_lossy(body).trim_end()));
        }
    }
    Failure::new(status, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sockwell_client::CloseCode;

    #[test]
    fn close_codes_are_named_and_reasons_quoted() {
        let frame = CloseFrame::new(CloseCode::MESSAGE_TOO_BIG, "too long");
        assert_eq!(
            describe_close(Some(&frame)),
            "1009 (message too big) \"too long\""
        );
        assert_eq!(describe_close(None), "no status code");
        assert!(is_normal(Some(&CloseFrame::new(CloseCode::NORMAL, ""))));
        assert!(!is_normal(Some(&frame)));
    }

    #[test]
    fn control_characters_are_escaped_but_newlines_and_tabs_kept() {
        assert_eq!(printable("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(
            printable("\x1b[2Jgone\r\x07\x7f\u{9b}31m"),
            "\\u{1b}[2Jgone\\r\\u{7}\\u{7f}\\u{9b}31m"
        );
        let frame = CloseFrame::new(CloseCode::from(4000), "\x1b]0;title\x07");
        assert!(!describe_close(Some(&frame)).contains(char::is_control));
    }

    #[test]
    fn a_chain_says_each_source_once() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("TCP connection to h:1 failed")
            }
        }
        impl StdError for Outer {
            fn source(&self) -> Option<&(dyn StdError + 'static)> {
                Some(&self.0)
            }
        }
        let e = Outer(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "refused",
        ));
        assert_eq!(chain(&e), "TCP connection to h:1 failed: refused");
    }
}
