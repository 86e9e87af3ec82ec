//! The body of a refusal: when a server answers the upgrade with something
//! other than 101 (a 401, a 404, a 503), the reason is usually in the body.
//! The client reads a bounded prefix of it, so that its caller can show why.

use crate::deadline::Deadline;
use crate::machine::is_timeout;
use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use http::Response;
use std::io::{self, Read};

/// How the end of a response body is found (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// 1xx, 204, 304: no body.
    Empty,
    /// `Content-Length`.
    Length(usize),
    /// `Transfer-Encoding: chunked`: until the last (zero-size) chunk.
    Chunked,
    /// Neither: until the server closes the connection.
    UntilClose,
}

/// Collects at most `max` bytes of a refusal's body.
#[derive(Debug)]
pub(crate) struct BodyReader {
    raw: Vec<u8>,
    framing: Framing,
    max: usize,
    ended: bool,
}

impl BodyReader {
    /// Starts with the bytes that came after the head.
    pub(crate) fn new(response: &Response<()>, leftover: &[u8], max: usize) -> Self {
        let headers = response.headers();
        let status = response.status();
        let chunked = headers
            .get_all(TRANSFER_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case("chunked"));
        let length = headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<usize>().ok());
        let framing = if status.is_informational()
            || status == http::StatusCode::NO_CONTENT
            || status == http::StatusCode::NOT_MODIFIED
        {
            Framing::Empty
        } else if chunked {
            Framing::Chunked
        } else if let Some(n) = length {
            Framing::Length(n)
        } else {
            Framing::UntilClose
        };
        let mut reader = BodyReader {
            raw: leftover.to_vec(),
            framing,
            max,
            ended: false,
        };
        reader.raw.truncate(reader.raw_cap());
        reader
    }

    /// Chunk size lines and the trailer take room beyond the body's own
    /// bytes: the raw cap leaves space for them.
    fn raw_cap(&self) -> usize {
        match self.framing {
            Framing::Chunked => self.max.saturating_mul(2).saturating_add(64),
            _ => self.max,
        }
    }

    fn complete(&self) -> bool {
        if self.ended || self.raw.len() >= self.raw_cap() {
            return true;
        }
        match self.framing {
            Framing::Empty => true,
            Framing::Length(n) => self.raw.len() >= n.min(self.max),
            Framing::Chunked => decode_chunked(&self.raw).1,
            Framing::UntilClose => false,
        }
    }

    /// Reads until the body is complete, the cap is reached, the stream
    /// ends or fails, or the deadline passes: `false` on `WouldBlock`
    /// (call again). A failure only ends the body early: the refusal is
    /// what the caller needs to hear about.
    pub(crate) fn read<R: Read>(&mut self, stream: &mut R, deadline: Option<Deadline>) -> bool {
        let mut chunk = [0u8; 1024];
        while !self.complete() {
            if Deadline::check(deadline).is_err() {
                return true;
            }
            let room = (self.raw_cap() - self.raw.len()).min(chunk.len());
            match stream.read(&mut chunk[..room]) {
                Ok(0) => self.ended = true,
                Ok(n) => self.raw.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_timeout(&e) => return false,
                Err(_) => self.ended = true,
            }
        }
        true
    }

    /// The body collected so far, decoded from chunks if it was chunked,
    /// at most `max` bytes.
    pub(crate) fn into_body(self) -> Vec<u8> {
        let mut body = match self.framing {
            Framing::Empty => Vec::new(),
            Framing::Chunked => decode_chunked(&self.raw).0,
            Framing::Length(n) => {
                let mut raw = self.raw;
                raw.truncate(n);
                raw
            }
            Framing::UntilClose => self.raw,
        };
        body.truncate(self.max);
        body
    }
}

/// Decodes as much of a chunked body as is there: the data, and whether the
/// last chunk was seen. Malformed chunk framing ends the body where it starts.
fn decode_chunked(mut raw: &[u8]) -> (Vec<u8>, bool) {
    let mut body = Vec::new();
    loop {
        let Some(line_end) = raw.windows(2).position(|w| w == b"\r\n") else {
            return (body, false);
        };
        let line = &raw[..line_end];
        // Chunk extensions (";name=value") follow the size.
        let size = line.split(|&b| b == b';').next().unwrap_or_default();
        let Some(size) = std::str::from_utf8(size)
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
        else {
            return (body, true);
        };
        raw = &raw[line_end + 2..];
        if size == 0 {
            return (body, true);
        }
        let take = size.min(raw.len());
        body.extend_from_slice(&raw[..take]);
        if take < size || raw.len() < size + 2 {
            return (body, false);
        }
        raw = &raw[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn response(headers: &[(&str, &str)], status: u16) -> Response<()> {
        let mut builder = Response::builder().status(status);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap()
    }

    fn read_all(response: &Response<()>, leftover: &[u8], rest: &[u8], max: usize) -> Vec<u8> {
        let mut reader = BodyReader::new(response, leftover, max);
        assert!(reader.read(&mut Cursor::new(rest), None));
        reader.into_body()
    }

    #[test]
    fn content_length_stops_at_the_length() {
        let r = response(&[("content-length", "5")], 404);
        assert_eq!(read_all(&r, b"he", b"lloEXTRA", 100), b"hello");
    }

    #[test]
    fn the_cap_bounds_every_framing() {
        let r = response(&[("content-length", "100000")], 500);
        assert_eq!(read_all(&r, b"", &[b'x'; 100000], 10), [b'x'; 10]);
        let r = response(&[], 500);
        assert_eq!(read_all(&r, b"", &[b'y'; 5000], 7), [b'y'; 7]);
        let r = response(&[("transfer-encoding", "chunked")], 500);
        let mut chunked = b"ffff\r\n".to_vec();
        chunked.extend_from_slice(&[b'z'; 5000]);
        assert_eq!(read_all(&r, b"", &chunked, 8), [b'z'; 8]);
    }

    #[test]
    fn chunked_bodies_are_decoded_and_end_at_the_last_chunk() {
        let r = response(&[("transfer-encoding", "chunked")], 401);
        let raw = b"5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\n\r\nNEXT";
        assert_eq!(read_all(&r, &raw[..3], &raw[3..], 100), b"hello, world");
        // The reader stopped at the last chunk: it does not wait for more.
        let reader = BodyReader::new(&r, raw, 100);
        assert!(reader.complete());
        assert_eq!(reader.into_body(), b"hello, world");
    }

    #[test]
    fn until_close_reads_to_the_end_and_no_content_has_no_body() {
        let r = response(&[], 403);
        assert_eq!(read_all(&r, b"go ", b"away", 100), b"go away");
        let r = response(&[("content-length", "9")], 304);
        assert_eq!(read_all(&r, b"", b"ignored", 100), b"");
    }

    #[test]
    fn would_block_resumes_without_losing_bytes() {
        struct Trickle(Vec<&'static [u8]>);
        impl Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                match self.0.pop() {
                    Some(b"") => Err(io::ErrorKind::WouldBlock.into()),
                    Some(bytes) => {
                        buf[..bytes.len()].copy_from_slice(bytes);
                        Ok(bytes.len())
                    }
                    None => Ok(0),
                }
            }
        }
        let r = response(&[("content-length", "6")], 429);
        let mut reader = BodyReader::new(&r, b"", 100);
        let mut stream = Trickle(vec![b"low", b"", b"s", b"", b"", b"slo"]);
        assert!(!reader.read(&mut stream, None));
        assert!(!reader.read(&mut stream, None));
        assert!(!reader.read(&mut stream, None));
        assert!(reader.read(&mut stream, None));
        assert_eq!(reader.into_body(), b"sloslo");
    }
}
