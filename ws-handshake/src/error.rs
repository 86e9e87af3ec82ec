//! Handshake errors. On the server side each knows the HTTP status it is
//! answered with.

use http::StatusCode;
use std::io;

/// Why an opening handshake failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The stream failed.
    #[error("I/O error during the opening handshake")]
    Io(#[from] io::Error),
    /// The stream ended before the handshake was complete.
    #[error("stream ended during the opening handshake")]
    UnexpectedEof,
    /// The HTTP head could not be parsed.
    #[error("malformed HTTP head")]
    Parse(#[from] httparse::Error),
    /// The HTTP head is longer than allowed.
    #[error("HTTP head exceeds {max} bytes")]
    HeadTooLarge {
        /// [`HandshakeLimits::max_head_size`](crate::HandshakeLimits::max_head_size).
        max: usize,
    },
    /// More header lines than allowed.
    #[error("more than {max} header lines")]
    TooManyHeaders {
        /// [`HandshakeLimits::max_headers`](crate::HandshakeLimits::max_headers).
        max: usize,
    },
    /// The request line is longer than allowed.
    #[error("request line exceeds {max} bytes")]
    RequestLineTooLong {
        /// [`HandshakeLimits::max_request_line`](crate::HandshakeLimits::max_request_line).
        max: usize,
    },
    /// Not a GET request (§4.2.1 item 1).
    #[error("method {0} is not GET")]
    MethodNotAllowed(String),
    /// Not HTTP/1.1 (§4.1, §4.2.1 item 1).
    #[error("HTTP version is not 1.1")]
    UnsupportedHttpVersion,
    /// A required header is missing.
    #[error("missing {0} header")]
    MissingHeader(&'static str),
    /// A header has a value the handshake does not allow.
    #[error("invalid {name} header: {reason}")]
    InvalidHeader {
        /// The header.
        name: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `Sec-WebSocket-Version` is not 13; the server answers 426 (§4.4).
    #[error("unsupported WebSocket version {0:?}")]
    UnsupportedVersion(String),
    /// The request's `Origin` is not one the server's
    /// [`OriginPolicy`](crate::OriginPolicy) allows (`None`: the request had
    /// none); the server answers 403.
    #[error("origin {} is not allowed", .0.as_deref().map_or("(none)".to_owned(), |o| format!("{o:?}")))]
    ForbiddenOrigin(Option<String>),
    /// The server's callback refused the request with this response.
    #[error("request rejected with status {}", .0.status())]
    Rejected(Box<http::Response<Option<String>>>),
    /// The server answered with a status other than 101 (2xx for an
    /// HTTP/2 extended CONNECT). The body holds what the server said why,
    /// when the handshake read it: at most
    /// [`HandshakeLimits::max_refusal_body`](crate::HandshakeLimits::max_refusal_body)
    /// bytes, as sent (decoded from chunks); `None` where the transport's
    /// body was not read.
    #[error("server answered with status {}", .0.status())]
    UnexpectedStatus(Box<http::Response<Option<Vec<u8>>>>),
    /// `Sec-WebSocket-Accept` does not match the key we sent (§4.1 item 4).
    #[error("Sec-WebSocket-Accept does not match the key")]
    AcceptMismatch,
    /// The server chose a subprotocol we did not offer (§4.1 item 6).
    #[error("server chose subprotocol {0:?}, which was not offered")]
    UnexpectedSubprotocol(String),
    /// Extension negotiation failed: a malformed header, or (client) an
    /// answer that does not match the offer.
    #[error("extension negotiation failed")]
    Extension(#[source] sockwell_extensions::NegotiationError),
    /// The request cannot be built from what the caller gave.
    #[error("invalid request: {0}")]
    InvalidRequest(&'static str),
    /// An `http` type could not be built.
    #[error("invalid HTTP value")]
    Http(#[from] http::Error),
    /// The handshake was not done within its timeout (the config's
    /// `handshake_timeout`): the peer is too slow, or stalling on purpose.
    #[error("opening handshake did not complete within {0:?}")]
    Timeout(std::time::Duration),
}

impl HandshakeError {
    /// The status a server answers this error with, if it is the client's fault.
    pub fn http_status(&self) -> Option<StatusCode> {
        Some(match self {
            HandshakeError::Parse(_)
            | HandshakeError::MissingHeader(_)
            | HandshakeError::InvalidHeader { .. }
            | HandshakeError::Extension(_) => StatusCode::BAD_REQUEST,
            HandshakeError::HeadTooLarge { .. } | HandshakeError::TooManyHeaders { .. } => {
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
            }
            HandshakeError::RequestLineTooLong { .. } => StatusCode::URI_TOO_LONG,
            HandshakeError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            HandshakeError::UnsupportedHttpVersion => StatusCode::HTTP_VERSION_NOT_SUPPORTED,
            HandshakeError::UnsupportedVersion(_) => StatusCode::UPGRADE_REQUIRED,
            HandshakeError::ForbiddenOrigin(_) => StatusCode::FORBIDDEN,
            HandshakeError::Rejected(r) => r.status(),
            _ => return None,
        })
    }
}

/// The result of a handshake step on a stream that may block.
#[derive(Debug, thiserror::Error)]
pub enum ResumableError<H> {
    /// The stream returned `WouldBlock`. Call `handshake()` on the value
    /// again when the stream is ready; nothing was lost.
    #[error("handshake interrupted by WouldBlock")]
    Interrupted(H),
    /// The handshake failed.
    #[error("handshake failed")]
    Failure(#[source] HandshakeError),
}

impl<H> From<HandshakeError> for ResumableError<H> {
    fn from(e: HandshakeError) -> Self {
        ResumableError::Failure(e)
    }
}

impl<H> ResumableError<H> {
    /// The failure, if this is not an interruption.
    pub fn into_failure(self) -> Option<HandshakeError> {
        match self {
            ResumableError::Failure(e) => Some(e),
            ResumableError::Interrupted(_) => None,
        }
    }
}
