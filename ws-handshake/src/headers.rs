//! Header helpers: token lists (RFC 7230 §7) compared case-insensitively,
//! and header lines as they go on the wire.

use crate::{HandshakeError, HandshakeLimits};
use http::header::{HeaderMap, HeaderName, HeaderValue};

/// Maps httparse's verdict on a head the reader found complete.
pub(crate) fn check_parsed(
    result: httparse::Result<usize>,
    limits: &HandshakeLimits,
) -> Result<(), HandshakeError> {
    match result {
        Ok(httparse::Status::Complete(_)) => Ok(()),
        // The reader saw the blank line, so httparse should too.
        Ok(httparse::Status::Partial) => Err(HandshakeError::Parse(httparse::Error::Token)),
        Err(httparse::Error::TooManyHeaders) => Err(HandshakeError::TooManyHeaders {
            max: limits.max_headers,
        }),
        Err(e) => Err(e.into()),
    }
}

/// Copies parsed header lines into a `HeaderMap`, in order, repeats kept.
pub(crate) fn to_header_map(parsed: &[httparse::Header<'_>]) -> Result<HeaderMap, HandshakeError> {
    let mut map = HeaderMap::with_capacity(parsed.len());
    for h in parsed {
        let name = HeaderName::from_bytes(h.name.as_bytes()).map_err(http::Error::from)?;
        let value = HeaderValue::from_bytes(h.value).map_err(http::Error::from)?;
        map.append(name, value);
    }
    Ok(map)
}

/// True if any `name` header holds `token` in its comma-separated list.
pub(crate) fn has_token(headers: &HeaderMap, name: &HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Every token of every `name` header, in order.
pub(crate) fn tokens<'a>(
    headers: &'a HeaderMap,
    name: &'a HeaderName,
) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The single value of `name`; `Err(())` if it appears more than once.
pub(crate) fn single<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
) -> Result<Option<&'a http::HeaderValue>, ()> {
    let mut all = headers.get_all(name).iter();
    let first = all.next();
    if all.next().is_some() {
        return Err(());
    }
    Ok(first)
}

/// Writes `headers` as head lines, then the blank line that ends the head.
pub(crate) fn write_headers(out: &mut Vec<u8>, headers: &http::HeaderMap) {
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::CONNECTION;

    #[test]
    fn token_lists_across_lines_and_case() {
        let mut h = HeaderMap::new();
        h.append(CONNECTION, "keep-alive".parse().unwrap());
        h.append(CONNECTION, "foo, UpGrade ".parse().unwrap());
        assert!(has_token(&h, &CONNECTION, "upgrade"));
        assert!(!has_token(&h, &CONNECTION, "close"));
        assert_eq!(
            tokens(&h, &CONNECTION).collect::<Vec<_>>(),
            ["keep-alive", "foo", "UpGrade"]
        );
        assert!(single(&h, &CONNECTION).is_err());
    }
}
