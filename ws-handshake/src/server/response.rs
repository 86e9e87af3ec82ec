//! The server's answer (RFC 6455 §4.2.2, RFC 8441 §5): the 101 (or
//! HTTP/2 200) to a valid upgrade request, with the subprotocol chosen,
//! and the HTTP answers to requests that fail. Pure functions, shared by
//! every driver; [`super`] drives them over a stream.

use crate::headers::{has_token, single, tokens, write_headers};
use crate::{derive_accept_key, is_valid_key, HandshakeError};
use http::header::{
    HeaderName, HeaderValue, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST, SEC_WEBSOCKET_ACCEPT,
    SEC_WEBSOCKET_EXTENSIONS, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION,
    UPGRADE,
};
use http::{Method, Request, Response, StatusCode};

/// A response that refuses the upgrade, with an optional body.
pub type ErrorResponse = Response<Option<String>>;

/// Validates an upgrade request (§4.2.1) and builds the 101 response.
pub fn build_response(
    request: &Request<()>,
    subprotocols: &[String],
) -> Result<Response<()>, HandshakeError> {
    let headers = request.headers();
    match single(headers, &HOST) {
        Ok(Some(_)) => {}
        Ok(None) => return Err(HandshakeError::MissingHeader("Host")),
        Err(()) => {
            return Err(HandshakeError::InvalidHeader {
                name: "Host",
                reason: "appears more than once",
            })
        }
    }
    if !has_token(headers, &UPGRADE, "websocket") {
        return Err(HandshakeError::InvalidHeader {
            name: "Upgrade",
            reason: "must contain \"websocket\"",
        });
    }
    if !has_token(headers, &CONNECTION, "upgrade") {
        return Err(HandshakeError::InvalidHeader {
            name: "Connection",
            reason: "must contain \"Upgrade\"",
        });
    }
    check_version(headers)?;
    let key = single(headers, &SEC_WEBSOCKET_KEY)
        .map_err(|()| HandshakeError::InvalidHeader {
            name: "Sec-WebSocket-Key",
            reason: "appears more than once",
        })?
        .ok_or(HandshakeError::MissingHeader("Sec-WebSocket-Key"))?;
    if !is_valid_key(key.as_bytes()) {
        return Err(HandshakeError::InvalidHeader {
            name: "Sec-WebSocket-Key",
            reason: "must be 16 bytes in base64",
        });
    }
    let mut response = Response::new(());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = response.headers_mut();
    h.insert(UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(
        SEC_WEBSOCKET_ACCEPT,
        HeaderValue::from_str(&derive_accept_key(key.as_bytes())).map_err(http::Error::from)?,
    );
    choose_subprotocol(headers, subprotocols, &mut response)?;
    Ok(response)
}

/// `Sec-WebSocket-Version: 13`, once (RFC 6455 §4.2.1; RFC 8441 §5 keeps
/// it over HTTP/2).
fn check_version(headers: &http::HeaderMap) -> Result<(), HandshakeError> {
    let version = single(headers, &SEC_WEBSOCKET_VERSION)
        .map_err(|()| HandshakeError::UnsupportedVersion("(several)".to_owned()))?
        .ok_or(HandshakeError::MissingHeader("Sec-WebSocket-Version"))?;
    if version.as_bytes() != b"13" {
        return Err(HandshakeError::UnsupportedVersion(
            String::from_utf8_lossy(version.as_bytes()).into_owned(),
        ));
    }
    Ok(())
}

/// Picks the client's first offered subprotocol the server supports.
fn choose_subprotocol(
    headers: &http::HeaderMap,
    subprotocols: &[String],
    response: &mut Response<()>,
) -> Result<(), HandshakeError> {
    if let Some(chosen) =
        tokens(headers, &SEC_WEBSOCKET_PROTOCOL).find(|p| subprotocols.iter().any(|s| s == p))
    {
        response.headers_mut().insert(
            SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_str(chosen).map_err(http::Error::from)?,
        );
    }
    Ok(())
}

/// Validates a WebSocket request over HTTP/2 (RFC 8441 §4-5: an extended
/// `CONNECT` whose `:protocol` is `websocket`) and builds its 200 response.
///
/// `protocol` is the request's `:protocol` pseudo-header, which `http`
/// types keep outside the headers (hyper: the `hyper::ext::Protocol`
/// extension). There is no `Sec-WebSocket-Key` or `-Accept` over HTTP/2;
/// `Sec-WebSocket-Version`, `-Protocol` and `-Extensions` mean what they
/// mean over HTTP/1.1 (RFC 8441 §5).
pub fn build_connect_response(
    request: &Request<()>,
    protocol: Option<&str>,
    subprotocols: &[String],
) -> Result<Response<()>, HandshakeError> {
    if request.method() != Method::CONNECT {
        return Err(HandshakeError::MethodNotAllowed(
            request.method().to_string(),
        ));
    }
    match protocol {
        Some(p) if p.eq_ignore_ascii_case("websocket") => {}
        _ => {
            return Err(HandshakeError::InvalidHeader {
                name: ":protocol",
                reason: "must be \"websocket\" (RFC 8441 extended CONNECT)",
            })
        }
    }
    let headers = request.headers();
    check_version(headers)?;
    let mut response = Response::new(());
    *response.status_mut() = StatusCode::OK;
    *response.version_mut() = http::Version::HTTP_2;
    choose_subprotocol(headers, subprotocols, &mut response)?;
    Ok(response)
}

/// The response that refuses a request for `error` (its status, a short
/// text body, and the headers RFC 9110 asks for: `Allow` with a 405,
/// `Sec-WebSocket-Version` with a 426). `http2`: the request came over
/// HTTP/2, where the only upgrade is `CONNECT` and `Upgrade` is not sent.
/// A rejection by the server's callback is answered as the callback said.
pub fn error_response_for(error: &HandshakeError, http2: bool) -> ErrorResponse {
    if let HandshakeError::Rejected(response) = error {
        let mut copy = Response::new(response.body().clone());
        *copy.status_mut() = response.status();
        *copy.headers_mut() = response.headers().clone();
        return copy;
    }
    let status = error.http_status().unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = Response::new(Some(format!("{error}\n")));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if status == StatusCode::UPGRADE_REQUIRED {
        headers.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        if !http2 {
            // RFC 9110 §15.5.22: a 426 MUST name the protocol in Upgrade.
            headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
        }
    }
    if status == StatusCode::METHOD_NOT_ALLOWED {
        // RFC 9110 §15.5.6: a 405 MUST list the allowed methods.
        let allow = if http2 { "CONNECT" } else { "GET" };
        headers.insert(http::header::ALLOW, HeaderValue::from_static(allow));
    }
    response
}

/// The headers a 101 must keep whatever the callback does, as `response`
/// has them.
pub(super) fn required_headers(response: &Response<()>) -> Vec<(HeaderName, HeaderValue)> {
    // The extensions answer must match the stack built for it.
    [
        UPGRADE,
        CONNECTION,
        SEC_WEBSOCKET_ACCEPT,
        SEC_WEBSOCKET_EXTENSIONS,
    ]
    .into_iter()
    .filter_map(|name| {
        let value = response.headers().get(&name)?.clone();
        Some((name, value))
    })
    .collect()
}

/// The HTTP answer to a request that failed validation.
pub(super) fn error_response(error: &HandshakeError) -> Vec<u8> {
    serialize_error(&error_response_for(error, false))
}

/// A refusal as bytes: status line, headers (`Connection: close`, the
/// body's length and type) and body.
pub(super) fn serialize_error(response: &ErrorResponse) -> Vec<u8> {
    let status = response.status();
    let body = response.body().as_deref().unwrap_or_default();
    let mut headers = response.headers().clone();
    // RFC 9110 §7.8: whoever sends Upgrade sends the "upgrade" option too.
    let connection = if headers.contains_key(UPGRADE) {
        "Upgrade, close"
    } else {
        "close"
    };
    headers.insert(CONNECTION, HeaderValue::from_static(connection));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    if !body.is_empty() && !headers.contains_key(CONTENT_TYPE) {
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
    }
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    )
    .into_bytes();
    write_headers(&mut out, &headers);
    out.extend_from_slice(body.as_bytes());
    out
}
