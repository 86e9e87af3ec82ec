//! Handshake limits.

/// Caps on the HTTP head a peer can make this endpoint buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HandshakeLimits {
    /// Longest HTTP head (request or status line plus headers), in bytes.
    /// Default 16 KiB; a server answers 431 past it.
    pub max_head_size: usize,
    /// Most header lines. Default 64; a server answers 431 past it.
    pub max_headers: usize,
    /// Longest request line, in bytes. Default 8 KiB; a server answers 414 past it.
    pub max_request_line: usize,
    /// Most bytes of a refusal's body a client keeps (the body of a 401,
    /// 404 or 503 answer to its upgrade, which usually says why), read
    /// within the handshake timeout. Default 4 KiB.
    pub max_refusal_body: usize,
}

impl Default for HandshakeLimits {
    fn default() -> Self {
        HandshakeLimits {
            max_head_size: 16 << 10,
            max_headers: 64,
            max_request_line: 8 << 10,
            max_refusal_body: 4 << 10,
        }
    }
}
