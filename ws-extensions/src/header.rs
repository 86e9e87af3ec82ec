//! `Sec-WebSocket-Extensions` (RFC 6455 §9.1): parsing and formatting.
//!
//! ```text
//! Sec-WebSocket-Extensions = extension-list
//! extension-list = 1#extension
//! extension = extension-token *( ";" extension-param )
//! extension-param = token [ "=" (token | quoted-string) ]
//! ```
//!
//! The header may come in several lines; each is a comma list. Extension and
//! parameter names are tokens compared case-insensitively (stored in lower
//! case); a quoted value must be a token once unquoted (§9.1).

use std::fmt;

/// One element of an extension list: an offer in a request, or the
/// response that accepts one (they share the grammar).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExtensionOffer {
    /// The extension token, in lower case.
    pub name: String,
    /// The parameters, in order, duplicates kept (the extension decides).
    pub params: Vec<ExtensionParam>,
}

/// `name` or `name=value`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExtensionParam {
    /// The parameter name, in lower case.
    pub name: String,
    /// The value, unquoted.
    pub value: Option<String>,
}

impl ExtensionOffer {
    /// An element with no parameters.
    pub fn new(name: impl Into<String>) -> Self {
        ExtensionOffer {
            name: name.into().to_ascii_lowercase(),
            params: Vec::new(),
        }
    }

    /// Adds a parameter (builder style).
    pub fn with_param(mut self, name: impl Into<String>, value: Option<String>) -> Self {
        self.params.push(ExtensionParam {
            name: name.into().to_ascii_lowercase(),
            value,
        });
        self
    }

    /// True if `name` is this extension, ignoring case.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

impl fmt::Display for ExtensionOffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for p in &self.params {
            write!(f, "; {}", p.name)?;
            if let Some(v) = &p.value {
                if !v.is_empty() && v.bytes().all(is_tchar) {
                    write!(f, "={v}")?;
                } else {
                    write!(f, "=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))?;
                }
            }
        }
        Ok(())
    }
}

/// A `Sec-WebSocket-Extensions` value that does not follow §9.1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason} at byte {position}")]
pub struct HeaderError {
    /// Byte offset in the header line.
    pub position: usize,
    /// What was expected there.
    pub reason: &'static str,
}

/// Formats elements as one header value: `a; x=1, b`.
pub fn format_extensions<'a>(items: impl IntoIterator<Item = &'a ExtensionOffer>) -> String {
    items
        .into_iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses every line of the header, in order, into one list.
pub fn parse_extensions<'a>(
    lines: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<ExtensionOffer>, HeaderError> {
    let mut out = Vec::new();
    for line in lines {
        Parser { s: line, at: 0 }.list(&mut out)?;
    }
    Ok(out)
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn err(&self, reason: &'static str) -> HeaderError {
        HeaderError {
            position: self.at,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    fn token(&mut self) -> Result<String, HeaderError> {
        let start = self.at;
        while self.peek().is_some_and(is_tchar) {
            self.at += 1;
        }
        if self.at == start {
            return Err(self.err("expected a token"));
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.at]).to_ascii_lowercase())
    }

    fn value(&mut self) -> Result<String, HeaderError> {
        if self.peek() != Some(b'"') {
            let start = self.at;
            while self.peek().is_some_and(is_tchar) {
                self.at += 1;
            }
            if self.at == start {
                return Err(self.err("expected a token or quoted string"));
            }
            return Ok(String::from_utf8_lossy(&self.s[start..self.at]).into_owned());
        }
        self.at += 1;
        let mut value = Vec::new();
        loop {
            match self.peek() {
                None => return Err(self.err("unterminated quoted string")),
                Some(b'"') => {
                    self.at += 1;
                    break;
                }
                Some(b'\\') => {
                    self.at += 1;
                    let escaped = self.peek().ok_or_else(|| self.err("unterminated escape"))?;
                    value.push(escaped);
                    self.at += 1;
                }
                Some(b) => {
                    value.push(b);
                    self.at += 1;
                }
            }
        }
        if value.is_empty() || !value.iter().copied().all(is_tchar) {
            return Err(self.err("quoted value is not a token"));
        }
        Ok(String::from_utf8_lossy(&value).into_owned())
    }

    fn list(&mut self, out: &mut Vec<ExtensionOffer>) -> Result<(), HeaderError> {
        loop {
            self.ows();
            match self.peek() {
                None => return Ok(()),
                // Empty list elements are allowed (RFC 7230 §7).
                Some(b',') => {
                    self.at += 1;
                    continue;
                }
                Some(_) => {}
            }
            let mut item = ExtensionOffer::new(self.token()?);
            loop {
                self.ows();
                match self.peek() {
                    Some(b';') => {
                        self.at += 1;
                        self.ows();
                        let name = self.token()?;
                        self.ows();
                        let value = if self.peek() == Some(b'=') {
                            self.at += 1;
                            self.ows();
                            Some(self.value()?)
                        } else {
                            None
                        };
                        item.params.push(ExtensionParam { name, value });
                    }
                    Some(b',') | None => break,
                    Some(_) => return Err(self.err("expected ';' or ','")),
                }
            }
            out.push(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(lines: &[&str]) -> Result<Vec<ExtensionOffer>, HeaderError> {
        parse_extensions(lines.iter().map(|l| l.as_bytes()))
    }

    #[test]
    fn parses_lists_params_quotes_and_several_lines() {
        let got = parse(&[
            "Permessage-Deflate; Client_Max_Window_Bits; server_max_window_bits=\"10\" ,, x-foo",
            "\tx-bar ; a = b",
        ])
        .unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].name, "permessage-deflate");
        assert_eq!(
            got[0].params,
            [
                ExtensionParam {
                    name: "client_max_window_bits".into(),
                    value: None
                },
                ExtensionParam {
                    name: "server_max_window_bits".into(),
                    value: Some("10".into())
                },
            ]
        );
        assert_eq!(got[1], ExtensionOffer::new("x-foo"));
        assert_eq!(
            got[2],
            ExtensionOffer::new("x-bar").with_param("a", Some("b".into()))
        );
        assert_eq!(
            format_extensions(&got),
            "permessage-deflate; client_max_window_bits; server_max_window_bits=10, x-foo, x-bar; a=b"
        );
    }

    #[test]
    fn rejects_malformed_values() {
        for bad in [
            "a;",
            "a; =1",
            "a; b=",
            "a; b=\"1 2\"",
            "a; b=\"unterminated",
            "a b",
            "a; b=c d",
            "\"a\"",
            "a; b=\"\"",
        ] {
            assert!(parse(&[bad]).is_err(), "{bad:?} should fail");
        }
        assert_eq!(parse(&["", " , "]).unwrap(), vec![]);
    }
}
