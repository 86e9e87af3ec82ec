//! Random and mutated HTTP heads never panic the request or response parser.

use sockwell_handshake::{build_response, parse_request, HandshakeLimits};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const REQUEST: &[u8] = b"GET /chat?x=1 HTTP/1.1\r\nHost: example.com:80\r\nUpgrade: websocket\r\n\
Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: a, b\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";

#[test]
fn mutated_requests_never_panic() {
    let limits = HandshakeLimits::default();
    assert!(build_response(&parse_request(REQUEST, &limits).unwrap(), &[]).is_ok());
    let alphabet = b" \r\n:,;=/?\"\x00\x7f\xffGETHTP1.0-aZ";
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    for _ in 0..20_000 {
        let mut head = REQUEST.to_vec();
        for _ in 0..(1 + rng.next() % 4) {
            let at = (rng.next() as usize) % head.len();
            let b = alphabet[(rng.next() as usize) % alphabet.len()];
            match rng.next() % 3 {
                0 => head.insert(at, b),
                1 => head[at] = b,
                _ => {
                    head.remove(at);
                }
            }
        }
        if let Ok(request) = parse_request(&head, &limits) {
            let _ = build_response(&request, &["a".to_owned()]);
        }
    }
}
