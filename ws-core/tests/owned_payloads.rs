//! Messages given by value (`Protocol::write_owned`): large payloads are
//! queued without a copy, between the bytes of other frames, and must come
//! out byte-exact and in order however the writes cut them, in both roles
//! (a client masks the payload in place).

use sockwell_core::{Message, Protocol, Role, WebSocket, WebSocketConfig, MAX_IO_SLICES};
use std::io::{self, IoSlice, Read, Write};

/// A deterministic pseudo-random generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Moves queued output from `from` to `to` through vectored writes that
/// take a random number of bytes (1..=max) each.
fn pump(from: &mut Protocol, to: &mut Protocol, rng: &mut Rng, max: usize) {
    loop {
        let mut slices = [IoSlice::new(&[]); MAX_IO_SLICES];
        let n = from.pending_output_vectored(&mut slices);
        if n == 0 {
            return;
        }
        let mut budget = 1 + rng.next() as usize % max;
        let mut taken = Vec::new();
        for s in &slices[..n] {
            let take = s.len().min(budget);
            taken.extend_from_slice(&s[..take]);
            budget -= take;
            if budget == 0 {
                break;
            }
        }
        from.advance_output(taken.len());
        to.receive(&taken);
    }
}

fn messages(rng: &mut Rng) -> Vec<Message> {
    let mut out = Vec::new();
    for i in 0..30 {
        let size = match i % 5 {
            0 => 10,
            1 => 16 << 10,
            2 => 100_000 + i,
            3 => 0,
            _ => (1 << 20) + 3,
        };
        if i % 2 == 0 {
            out.push(Message::Binary(rng.bytes(size).into()));
        } else {
            out.push(Message::text("é".repeat(size / 2)));
        }
    }
    out
}

#[test]
fn owned_payloads_arrive_exact_in_both_roles_however_writes_cut_them() {
    for (from_role, to_role) in [(Role::Client, Role::Server), (Role::Server, Role::Client)] {
        for max in [7, 1000, 70_000, usize::MAX / 2] {
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ max as u64);
            let mut from = Protocol::new(from_role, WebSocketConfig::default());
            let mut to = Protocol::new(to_role, WebSocketConfig::default());
            let sent = messages(&mut rng);
            let mut received = Vec::new();
            for (i, m) in sent.iter().enumerate() {
                from.write_owned(m.clone()).unwrap();
                if i % 3 == 0 {
                    // A ping between them; its pong goes back.
                    from.write_ping(b"p").unwrap();
                }
                if i % 4 == 3 {
                    pump(&mut from, &mut to, &mut rng, max);
                    while let Some(m) = to.read_buffered().unwrap() {
                        if m.is_data() {
                            received.push(m);
                        }
                    }
                }
            }
            pump(&mut from, &mut to, &mut rng, max);
            while let Some(m) = to.read_buffered().unwrap() {
                if m.is_data() {
                    received.push(m);
                }
            }
            assert_eq!(received.len(), sent.len(), "{from_role:?} max {max}");
            assert!(received == sent, "{from_role:?} max {max}: payloads differ");
        }
    }
}

/// A stream that takes at most `max` bytes per call and counts the calls
/// that got more than one piece.
struct Sink {
    data: Vec<u8>,
    max: usize,
    vectored_calls: usize,
}

impl Read for Sink {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::ErrorKind::WouldBlock.into())
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(self.max);
        self.data.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.vectored_calls += 1;
        let mut left = self.max;
        for b in bufs {
            let n = b.len().min(left);
            self.data.extend_from_slice(&b[..n]);
            left -= n;
        }
        Ok(self.max - left)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_sync_driver_writes_large_messages_with_their_headers_in_one_vectored_write() {
    let mut rng = Rng(42);
    let payload = rng.bytes(1 << 20);
    let sink = Sink {
        data: Vec::new(),
        max: usize::MAX,
        vectored_calls: 0,
    };
    // Room for both before a write is due.
    let config = WebSocketConfig::default().with_write_buffer_size(4 << 20);
    let mut ws = WebSocket::from_raw_socket(sink, Role::Server, config);
    ws.write(Message::Binary(payload.clone().into())).unwrap();
    ws.write(Message::Binary(payload.clone().into())).unwrap();
    ws.flush().unwrap();
    let sink = ws.get_ref();
    assert_eq!(sink.vectored_calls, 1, "one write for both messages");
    // Header: FIN + binary, 127 (64-bit length), then the length.
    assert_eq!(sink.data.len(), 2 * (10 + payload.len()));
    assert_eq!(&sink.data[..2], &[0x82, 127]);
    assert_eq!(&sink.data[10..10 + payload.len()], &payload[..]);
    assert_eq!(&sink.data[20 + payload.len()..], &payload[..]);
}

#[test]
fn a_shared_payload_is_sent_without_a_copy_by_a_server_and_left_intact_by_a_client() {
    let payload = sockwell_core::Bytes::from(Rng(7).bytes(100_000));
    // Server: three connections, one payload; each queues it as it is.
    for _ in 0..3 {
        let mut server = Protocol::new(Role::Server, WebSocketConfig::default());
        server
            .write_owned(Message::Binary(payload.clone()))
            .unwrap();
        let mut slices = [IoSlice::new(&[]); MAX_IO_SLICES];
        let n = server.pending_output_vectored(&mut slices);
        assert_eq!(n, 2, "header, then the payload itself");
        assert_eq!(slices[1].as_ptr(), payload.as_ptr(), "not copied");
    }
    // Client: the payload is masked on the wire, never in the caller's copy.
    let mut client = Protocol::new(Role::Client, WebSocketConfig::default());
    let mut server = Protocol::new(Role::Server, WebSocketConfig::default());
    let kept = payload.clone();
    client.write_owned(Message::Binary(payload)).unwrap();
    let mut rng = Rng(3);
    pump(&mut client, &mut server, &mut rng, 5000);
    assert_eq!(kept, sockwell_core::Bytes::from(Rng(7).bytes(100_000)));
    assert_eq!(server.read_buffered().unwrap(), Some(Message::Binary(kept)));
}
