//! The server's answer: parsed, checked against §4.1 (or RFC 8441 §5),
//! and the extensions it agreed to confirmed.

use crate::headers::{check_parsed, has_token, single, to_header_map, tokens};
use crate::{HandshakeError, HandshakeLimits};
use http::header::{
    CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_EXTENSIONS, SEC_WEBSOCKET_PROTOCOL, UPGRADE,
};
use http::{Response, StatusCode};
use sockwell_extensions::{client_confirm, ExtensionFactory, ExtensionStack};
use std::sync::Arc;

/// Parses a response head into an `http` response (no validation yet: see
/// [`validate_response`]).
pub fn parse_response(
    head: &[u8],
    limits: &HandshakeLimits,
) -> Result<Response<()>, HandshakeError> {
    let mut slots = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let mut parsed = httparse::Response::new(&mut slots);
    check_parsed(parsed.parse(head), limits)?;
    if parsed.version != Some(1) {
        return Err(HandshakeError::UnsupportedHttpVersion);
    }
    let status = StatusCode::from_u16(parsed.code.unwrap_or(0))
        .map_err(|_| HandshakeError::Parse(httparse::Error::Status))?;
    let mut response = Response::new(());
    *response.status_mut() = status;
    *response.version_mut() = http::Version::HTTP_11;
    *response.headers_mut() = to_header_map(parsed.headers)?;
    Ok(response)
}

/// Checks a response against §4.1's list (the client's items 1–6).
pub fn validate_response(
    response: &Response<()>,
    expected_accept: &str,
    offered_subprotocols: &[String],
) -> Result<(), HandshakeError> {
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        let mut copy = Response::new(None);
        *copy.status_mut() = response.status();
        *copy.headers_mut() = response.headers().clone();
        return Err(HandshakeError::UnexpectedStatus(Box::new(copy)));
    }
    let headers = response.headers();
    if !has_token(headers, &UPGRADE, "websocket") {
        return Err(HandshakeError::InvalidHeader {
            name: "Upgrade",
            reason: "must be \"websocket\"",
        });
    }
    if !has_token(headers, &CONNECTION, "upgrade") {
        return Err(HandshakeError::InvalidHeader {
            name: "Connection",
            reason: "must contain \"Upgrade\"",
        });
    }
    let accept = single(headers, &SEC_WEBSOCKET_ACCEPT)
        .map_err(|()| HandshakeError::InvalidHeader {
            name: "Sec-WebSocket-Accept",
            reason: "appears more than once",
        })?
        .ok_or(HandshakeError::MissingHeader("Sec-WebSocket-Accept"))?;
    if accept.as_bytes() != expected_accept.as_bytes() {
        return Err(HandshakeError::AcceptMismatch);
    }
    check_subprotocol(headers, offered_subprotocols)
}

/// At most one subprotocol chosen, and one that was offered.
fn check_subprotocol(
    headers: &http::HeaderMap,
    offered_subprotocols: &[String],
) -> Result<(), HandshakeError> {
    let mut chosen = tokens(headers, &SEC_WEBSOCKET_PROTOCOL);
    if let Some(protocol) = chosen.next() {
        if chosen.next().is_some() {
            return Err(HandshakeError::InvalidHeader {
                name: "Sec-WebSocket-Protocol",
                reason: "names more than one subprotocol",
            });
        }
        if !offered_subprotocols.iter().any(|p| p == protocol) {
            return Err(HandshakeError::UnexpectedSubprotocol(protocol.to_owned()));
        }
    }
    Ok(())
}

/// Checks the answer to an extended CONNECT (RFC 8441 §5): a 2xx status
/// (any other is [`HandshakeError::UnexpectedStatus`]) and at most one subprotocol,
/// one that was offered. [`confirm_extensions`] checks the extensions.
pub fn validate_connect_response(
    response: &Response<()>,
    offered_subprotocols: &[String],
) -> Result<(), HandshakeError> {
    if !response.status().is_success() {
        let mut copy = Response::new(None);
        *copy.status_mut() = response.status();
        *copy.headers_mut() = response.headers().clone();
        return Err(HandshakeError::UnexpectedStatus(Box::new(copy)));
    }
    check_subprotocol(response.headers(), offered_subprotocols)
}

/// Checks the server's `Sec-WebSocket-Extensions` against what was offered
/// and builds the negotiated stack (RFC 6455 §9.1, §4.1 item 5).
pub fn confirm_extensions(
    offered: &[Arc<dyn ExtensionFactory>],
    response: &Response<()>,
) -> Result<ExtensionStack, HandshakeError> {
    let lines = response
        .headers()
        .get_all(SEC_WEBSOCKET_EXTENSIONS)
        .iter()
        .map(|v| v.as_bytes());
    client_confirm(offered, lines).map_err(HandshakeError::Extension)
}
