//! The upgrade request: the headers §4.1 requires (HTTP/1.1), or its
//! extended CONNECT form (RFC 8441), and its bytes.

use super::ClientConfig;
use crate::headers::{tokens, write_headers};
use crate::HandshakeError;
use http::header::{
    HeaderValue, CONNECTION, HOST, SEC_WEBSOCKET_EXTENSIONS, SEC_WEBSOCKET_KEY,
    SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::Request;
use sockwell_extensions::client_offer;

/// Adds the headers §4.1 requires to `request`, keeping the caller's others.
pub fn prepare_request(
    request: &mut Request<()>,
    key: &str,
    subprotocols: &[String],
) -> Result<(), HandshakeError> {
    let uri = request.uri().clone();
    match uri.scheme_str() {
        Some("ws" | "wss" | "http" | "https") => {}
        _ => {
            return Err(HandshakeError::InvalidRequest(
                "URL scheme must be ws or wss",
            ))
        }
    }
    let authority = uri
        .authority()
        .ok_or(HandshakeError::InvalidRequest("URL has no host"))?;
    let headers = request.headers_mut();
    if !headers.contains_key(HOST) {
        let host = authority.as_str().rsplit('@').next().unwrap_or_default();
        headers.insert(
            HOST,
            HeaderValue::from_str(host).map_err(http::Error::from)?,
        );
    }
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
    headers.insert(
        SEC_WEBSOCKET_KEY,
        HeaderValue::from_str(key).map_err(http::Error::from)?,
    );
    if !subprotocols.is_empty() {
        let list = subprotocols.join(", ");
        headers.append(
            SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_str(&list).map_err(http::Error::from)?,
        );
    }
    Ok(())
}

/// The request as bytes: `GET <path?query> HTTP/1.1`, then the headers.
pub(super) fn serialize_request(request: &Request<()>) -> Result<Vec<u8>, HandshakeError> {
    let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"GET ");
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    write_headers(&mut out, request.headers());
    Ok(out)
}

/// Turns a WebSocket request into its HTTP/2 form (RFC 8441 §4-5): method
/// `CONNECT`, version `HTTP/2`, the URL's scheme as `https` (`wss`) or
/// `http` (`ws`), `Sec-WebSocket-Version: 13`, the subprotocols and the
/// extension offers of `config`; the caller's other headers are kept. The
/// `:protocol` pseudo-header (`websocket`) is not a header in `http`'s
/// types: the HTTP/2 client adds it (`h2::ext::Protocol`). There is no
/// `Sec-WebSocket-Key` over HTTP/2, nor `Upgrade`, `Connection` or `Host`
/// (`:authority` says it, without the URL's `user:password@`). Returns the subprotocols offered, for
/// [`validate_connect_response`](crate::validate_connect_response).
pub fn prepare_connect_request(
    request: &mut Request<()>,
    config: &ClientConfig,
) -> Result<Vec<String>, HandshakeError> {
    let uri = request.uri().clone();
    let scheme = match uri.scheme_str() {
        Some("wss" | "https") => "https",
        Some("ws" | "http") => "http",
        _ => {
            return Err(HandshakeError::InvalidRequest(
                "URL scheme must be ws or wss",
            ))
        }
    };
    let authority = uri
        .authority()
        .ok_or(HandshakeError::InvalidRequest("URL has no host"))?;
    // `:authority` must not carry `user:password@` (RFC 9113 §8.3.1), as
    // `Host` does not over HTTP/1.1.
    let host = authority.as_str().rsplit('@').next().unwrap_or_default();
    let authority = http::uri::Authority::try_from(host).map_err(http::Error::from)?;
    let path = uri
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| http::uri::PathAndQuery::from_static("/"));
    *request.uri_mut() = http::Uri::builder()
        .scheme(scheme)
        .authority(authority)
        .path_and_query(path)
        .build()?;
    *request.method_mut() = http::Method::CONNECT;
    *request.version_mut() = http::Version::HTTP_2;
    let headers = request.headers_mut();
    for name in [HOST, CONNECTION, UPGRADE, SEC_WEBSOCKET_KEY] {
        headers.remove(name);
    }
    headers.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
    if !config.subprotocols.is_empty() {
        let list = config.subprotocols.join(", ");
        headers.append(
            SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_str(&list).map_err(http::Error::from)?,
        );
    }
    if let Some(offer) = client_offer(&config.extensions) {
        headers.append(
            SEC_WEBSOCKET_EXTENSIONS,
            HeaderValue::from_str(&offer).map_err(http::Error::from)?,
        );
    }
    Ok(tokens(headers, &SEC_WEBSOCKET_PROTOCOL)
        .map(str::to_owned)
        .collect())
}
