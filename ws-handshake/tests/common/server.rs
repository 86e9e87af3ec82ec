//! The server handshake run on raw request bytes, for the tests of what it
//! accepts and refuses.

use super::{parse_head, request, valid_headers_except, Head, MemStream};
use sockwell_handshake::http::Request;
use sockwell_handshake::{
    Callback, HandshakeError, NoCallback, ResumableError, ServerConfig, ServerHandshake,
};

pub const BAD_REQUEST: &str = "HTTP/1.1 400 Bad Request";

/// Runs the server handshake on `input` (EOF after it) and returns the
/// outcome and everything the server wrote.
pub fn run<C: Callback>(
    input: impl AsRef<[u8]>,
    callback: C,
    config: ServerConfig,
) -> (Result<Request<()>, HandshakeError>, Vec<u8>) {
    let stream = MemStream::with_input(input);
    let result = match ServerHandshake::new(stream.clone(), callback, config).handshake() {
        Ok((_ws, request)) => Ok(request),
        Err(ResumableError::Failure(e)) => Err(e),
        Err(ResumableError::Interrupted(_)) => panic!("in-memory stream never blocks"),
    };
    (result, stream.output())
}

/// A request `config`'s server must refuse with `status_line`: returns the
/// error and the parsed response, after checking what every error response
/// must carry.
pub fn reject_with(
    input: impl AsRef<[u8]>,
    config: ServerConfig,
    status_line: &str,
) -> (HandshakeError, Head) {
    let (result, written) = run(input, NoCallback, config);
    let err = result.expect_err("request must be refused");
    let head = parse_head(&written);
    assert_eq!(head.start_line, status_line, "for {err:?}");
    let connection = head.get("connection").unwrap().to_ascii_lowercase();
    assert!(
        connection.split(',').any(|t| t.trim() == "close"),
        "{connection}"
    );
    let len: usize = head.get("content-length").unwrap().parse().unwrap();
    assert_eq!(len, head.rest.len(), "content-length matches the body");
    assert_eq!(
        err.http_status().map(|s| s.as_u16()),
        status_line[9..12].parse().ok(),
        "http_status() agrees with what was written"
    );
    (err, head)
}

/// A request with every valid header but those starting with `skip`, plus `extra`.
pub fn without(skip: &[&str], extra: &[&str]) -> String {
    let mut headers = valid_headers_except(skip);
    headers.extend_from_slice(extra);
    request("GET /chat HTTP/1.1", &headers)
}
