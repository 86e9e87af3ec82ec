//! The upgrade request as data (RFC 6455 §4.2.1): parsing a request head
//! and checking its `Origin`. Pure functions, so that any driver (sync,
//! async, hyper) reuses them; [`super`] drives them over a stream.

use crate::headers::{check_parsed, to_header_map, tokens};
use crate::{HandshakeError, HandshakeLimits, OriginPolicy};
use http::header::{ORIGIN, SEC_WEBSOCKET_PROTOCOL};
use http::{HeaderMap, Method, Request, Uri};

/// Parses a request head into an `http` request (no validation yet).
pub fn parse_request(head: &[u8], limits: &HandshakeLimits) -> Result<Request<()>, HandshakeError> {
    let mut slots = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let mut parsed = httparse::Request::new(&mut slots);
    check_parsed(parsed.parse(head), limits)?;
    let method = parsed.method.unwrap_or_default();
    if method != "GET" {
        return Err(HandshakeError::MethodNotAllowed(method.to_owned()));
    }
    if parsed.version != Some(1) {
        return Err(HandshakeError::UnsupportedHttpVersion);
    }
    let uri: Uri =
        parsed
            .path
            .unwrap_or_default()
            .parse()
            .map_err(|_| HandshakeError::InvalidHeader {
                name: "request target",
                reason: "not a valid URI",
            })?;
    let mut request = Request::new(());
    *request.method_mut() = Method::GET;
    *request.uri_mut() = uri;
    *request.version_mut() = http::Version::HTTP_11;
    *request.headers_mut() = to_header_map(parsed.headers)?;
    Ok(request)
}

/// Checks the request's `Origin` against `policy`: a request it does not
/// allow (or one with several `Origin` headers) fails with
/// [`HandshakeError::ForbiddenOrigin`], answered 403. See [`OriginPolicy`] for the
/// attack this stops.
pub fn check_origin(request: &Request<()>, policy: &OriginPolicy) -> Result<(), HandshakeError> {
    if matches!(policy, OriginPolicy::Any) {
        return Ok(());
    }
    let mut values = request.headers().get_all(ORIGIN).iter();
    let origin = values.next();
    let text = origin.map(|v| String::from_utf8_lossy(v.as_bytes()));
    if values.next().is_some() {
        return Err(HandshakeError::ForbiddenOrigin(
            text.map(|t| t.into_owned()),
        ));
    }
    let readable = origin.and_then(|v| v.to_str().ok());
    if origin.is_some() && readable.is_none() {
        // Not visible ASCII: no origin a browser sends.
        return Err(HandshakeError::ForbiddenOrigin(
            text.map(|t| t.into_owned()),
        ));
    }
    if policy.allows(readable) {
        Ok(())
    } else {
        Err(HandshakeError::ForbiddenOrigin(
            text.map(|t| t.into_owned()),
        ))
    }
}

/// The subprotocols a request offers (`Sec-WebSocket-Protocol`, every
/// line, comma-separated), in the client's order of preference, as the
/// handshake reads them: trimmed, empty ones skipped.
///
/// ```
/// use sockwell_handshake::http::{header::SEC_WEBSOCKET_PROTOCOL, HeaderMap, HeaderValue};
/// let mut headers = HeaderMap::new();
/// headers.append(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static("chat.v2, chat"));
/// headers.append(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(" , mqtt"));
/// let offered: Vec<&str> = sockwell_handshake::requested_subprotocols(&headers).collect();
/// assert_eq!(offered, ["chat.v2", "chat", "mqtt"]);
/// ```
pub fn requested_subprotocols(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    tokens(headers, &SEC_WEBSOCKET_PROTOCOL)
}
