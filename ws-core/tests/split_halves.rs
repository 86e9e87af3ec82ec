//! Split halves under write failures: bytes leave the queue only once
//! written (timeouts lose nothing), a broken stream is reported on both
//! halves, a message that arrived is returned before a write error, and the
//! read half never waits behind the other half's large write. The read
//! half decodes whatever the read sizes, and drives keepalive when a read
//! times out.

mod common;

use common::{frame, parse_frames, KEY};
use sockwell_core::{Message, OpCode, Role, WebSocket, WebSocketConfig, WsError};
use std::io::{self, Read, Write};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

/// Bytes a writer put on the "wire", shared with the test.
type Wire = Arc<Mutex<Vec<u8>>>;

/// Peer input for the read half: frames as a client sends them.
fn client_frames(frames: &[(u8, &[u8])]) -> io::Cursor<Vec<u8>> {
    let mut bytes = Vec::new();
    for (opcode, payload) in frames {
        bytes.extend(frame(true, 0, *opcode, Some(KEY), payload));
    }
    io::Cursor::new(bytes)
}

fn server<R: Read + Write>(input: R) -> WebSocket<R> {
    WebSocket::from_raw_socket(input, Role::Server, WebSocketConfig::default())
}

/// A reader as a `Read + Write` (its writes are never used: the halves
/// write through the writer given to `split`).
struct Input<R>(R);

impl<R: Read> Read for Input<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R> Write for Input<R> {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        unreachable!("the halves write through their writer")
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Takes at most 7 bytes per call and times out on every third call.
struct Flaky {
    wire: Wire,
    calls: usize,
}

impl Write for Flaky {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls.is_multiple_of(3) {
            return Err(io::ErrorKind::TimedOut.into());
        }
        let n = buf.len().min(7);
        self.wire.lock().unwrap().extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn timeouts_lose_no_byte_and_keep_the_order() {
    let wire = Wire::default();
    let (_reader, writer) = server(Input(client_frames(&[]))).split(Flaky {
        wire: wire.clone(),
        calls: 0,
    });
    let messages: Vec<Message> = (0..40)
        .map(|i| Message::binary(vec![i as u8; i * 13]))
        .collect();
    let mut timeouts = 0;
    for m in &messages {
        let mut result = writer.send(m.clone());
        // A timeout leaves the rest queued: flush until it is all out.
        while let Err(WsError::Io(e)) = &result {
            assert_eq!(e.kind(), io::ErrorKind::TimedOut);
            timeouts += 1;
            result = writer.flush();
        }
        result.unwrap();
    }
    assert!(timeouts > 20, "the writer timed out {timeouts} times");
    let frames = parse_frames(&wire.lock().unwrap());
    let got: Vec<Message> = frames
        .into_iter()
        .map(|(h, p)| {
            assert_eq!(h.opcode, OpCode::Binary);
            Message::Binary(p.into())
        })
        .collect();
    assert_eq!(got, messages);
}

/// Accepts `ok_bytes` bytes, then fails every call with a broken pipe.
struct Breaks {
    ok_bytes: usize,
}

impl Write for Breaks {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.ok_bytes == 0 {
            return Err(io::Error::new(io::ErrorKind::BrokenPipe, "peer gone"));
        }
        let n = buf.len().min(self.ok_bytes);
        self.ok_bytes -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn is_broken_pipe(result: Result<impl std::fmt::Debug, WsError>) -> bool {
    matches!(result, Err(WsError::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe)
}

#[test]
fn a_broken_writer_is_reported_on_both_halves_after_what_arrived() {
    let input = client_frames(&[(0x9, b"ping"), (0x1, b"one"), (0x1, b"two")]);
    let (mut reader, writer) = server(Input(input)).split(Breaks { ok_bytes: 3 });
    // The pong fails after 3 bytes; the ping itself is still delivered, and
    // so are the messages that had already arrived with it.
    assert_eq!(
        reader.read().unwrap(),
        Message::Ping(b"ping".to_vec().into())
    );
    assert_eq!(reader.read().unwrap(), Message::text("one"));
    assert_eq!(reader.read().unwrap(), Message::text("two"));
    // Then the read half reports the broken stream, and so does the writer,
    // every time.
    assert!(is_broken_pipe(reader.read()));
    assert!(is_broken_pipe(writer.send(Message::text("late"))));
    assert!(is_broken_pipe(writer.flush()));
    assert!(is_broken_pipe(reader.read()));
}

/// Blocks inside `write` until the test opens the gate; says when it is in.
struct Gated {
    wire: Wire,
    gate: Arc<(Mutex<bool>, Condvar)>,
    entered: mpsc::Sender<()>,
}

impl Write for Gated {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let _ = self.entered.send(());
        let (open, cv) = &*self.gate;
        let mut open = open.lock().unwrap();
        while !*open {
            open = cv.wait(open).unwrap();
        }
        self.wire.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_read_half_does_not_wait_behind_a_large_write() {
    let wire = Wire::default();
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let (entered_tx, entered) = mpsc::channel();
    let input = client_frames(&[(0x9, b"hello?"), (0x1, b"after the ping")]);
    let (mut reader, writer) = server(Input(input)).split(Gated {
        wire: wire.clone(),
        gate: gate.clone(),
        entered: entered_tx,
    });
    let big = Message::binary(vec![7; 1 << 20]);
    let sender = {
        let big = big.clone();
        thread::spawn(move || writer.send(big))
    };
    // The writer is stuck inside its first write, holding the writer lock.
    entered
        .recv_timeout(Duration::from_secs(30))
        .expect("the writer starts writing");
    // The read half still delivers both messages: it leaves the pong queued.
    assert_eq!(
        reader.read().unwrap(),
        Message::Ping(b"hello?".to_vec().into())
    );
    assert_eq!(reader.read().unwrap(), Message::text("after the ping"));
    // Let the writer go: it writes the big message, then the queued pong.
    *gate.0.lock().unwrap() = true;
    gate.1.notify_all();
    sender.join().unwrap().unwrap();
    let frames = parse_frames(&wire.lock().unwrap());
    let opcodes: Vec<OpCode> = frames.iter().map(|(h, _)| h.opcode).collect();
    assert_eq!(opcodes, [OpCode::Binary, OpCode::Pong]);
    assert_eq!(frames[0].1.len(), 1 << 20);
    assert_eq!(frames[1].1, b"hello?");
}

/// Hands its input out in pieces of a fixed cycle of sizes (from one byte
/// to all of it). Writes are dropped (the unsplit
/// socket answers through them; the halves write through their writer).
struct Pieces {
    input: io::Cursor<Vec<u8>>,
    sizes: std::iter::Cycle<std::slice::Iter<'static, usize>>,
}

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (*self.sizes.next().unwrap()).min(buf.len());
        self.input.read(&mut buf[..n])
    }
}

impl Write for Pieces {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Records what the write half wrote.
struct Record(Wire);

impl Write for Record {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_read_half_delivers_what_the_socket_does_whatever_the_read_sizes() {
    // Text, a ping, a message in three fragments, a 20 KiB binary (more
    // than one read chunk), empty text, then invalid UTF-8: every message
    // and the 1007 failure must come out as the unsplit socket gives them.
    let big: Vec<u8> = (0..20_000u32).map(|i| (i * 7) as u8).collect();
    let mut bytes = Vec::new();
    for (fin, opcode, payload) in [
        (true, 0x1, &b"hello"[..]),
        (true, 0x9, b"are you there"),
        (false, 0x2, b"frag"),
        (false, 0x0, b"men"),
        (true, 0x0, b"ted"),
        (true, 0x2, &big),
        (true, 0x1, b""),
        (true, 0x1, b"\xff\xfe"),
    ] {
        bytes.extend(frame(fin, 0, opcode, Some(KEY), payload));
    }
    let mut expected = Vec::new();
    let mut plain = server(Pieces {
        input: io::Cursor::new(bytes.clone()),
        sizes: [usize::MAX].iter().cycle(),
    });
    let expected_error = loop {
        match plain.read() {
            Ok(m) => expected.push(m),
            Err(e) => break e.to_string(),
        }
    };
    assert_eq!(expected.len(), 5, "ping, three messages and the empty text");
    for sizes in [
        &[1usize, 3, 7][..],
        &[2, 8192, 5],
        &[8192],
        &[100, 9000, 31],
    ] {
        let sizes: &'static [usize] = Vec::leak(sizes.to_vec());
        let input = Pieces {
            input: io::Cursor::new(bytes.clone()),
            sizes: sizes.iter().cycle(),
        };
        let wire: Wire = Arc::default();
        let (mut reader, _writer) = server(input).split(Record(wire.clone()));
        let mut got = Vec::new();
        let error = loop {
            match reader.read() {
                Ok(m) => got.push(m),
                Err(e) => break e.to_string(),
            }
        };
        assert_eq!(got, expected, "read sizes {sizes:?}");
        assert_eq!(error, expected_error, "read sizes {sizes:?}");
        let sent = parse_frames(&wire.lock().unwrap());
        let kinds: Vec<OpCode> = sent.iter().map(|(h, _)| h.opcode).collect();
        assert_eq!(kinds, [OpCode::Pong, OpCode::Close], "read sizes {sizes:?}");
        assert_eq!(sent[0].1, b"are you there");
        assert_eq!(u16::from_be_bytes([sent[1].1[0], sent[1].1[1]]), 1007);
    }
}

/// Input that never comes: every read times out, as a socket's read with
/// a read timeout does when the peer is silent.
struct Silent;

impl Read for Silent {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::ErrorKind::WouldBlock.into())
    }
}

#[test]
fn the_read_half_drives_keepalive_on_read_timeouts() {
    // Zero durations: due at once, so the test need not sleep.
    let config = WebSocketConfig::default().with_keepalive(Duration::ZERO, Duration::ZERO);
    let ws = WebSocket::from_raw_socket(Input(Silent), Role::Server, config);
    let wire: Wire = Arc::default();
    let (mut reader, _writer) = ws.split(Record(wire.clone()));
    // The first timeout pings; the next, past the (zero) pong timeout,
    // fails the connection and sends Close 1011.
    let err = reader.read().unwrap_err();
    assert!(err.is_would_block(), "{err:?}");
    let err = reader.read().unwrap_err();
    assert!(matches!(err, WsError::KeepaliveTimeout), "{err:?}");
    let sent = parse_frames(&wire.lock().unwrap());
    let kinds: Vec<OpCode> = sent.iter().map(|(h, _)| h.opcode).collect();
    assert_eq!(kinds, [OpCode::Ping, OpCode::Close]);
    assert_eq!(&sent[1].1[..2], &1011u16.to_be_bytes());
    assert!(matches!(reader.read(), Err(WsError::AlreadyClosed)));

    // Keepalive off: a timeout is only a timeout, and nothing is written.
    let config = WebSocketConfig::default().with_keepalive_config(None);
    let ws = WebSocket::from_raw_socket(Input(Silent), Role::Server, config);
    let wire: Wire = Arc::default();
    let (mut reader, _writer) = ws.split(Record(wire.clone()));
    for _ in 0..3 {
        let err = reader.read().unwrap_err();
        assert!(err.is_would_block(), "{err:?}");
    }
    assert!(wire.lock().unwrap().is_empty());
}

/// Input arriving in separate bursts; each read takes as much of the
/// current burst as the buffer holds and records the buffer's size.
struct Arrivals {
    bursts: std::collections::VecDeque<io::Cursor<Vec<u8>>>,
    offered: Arc<Mutex<Vec<usize>>>,
}

impl Read for Arrivals {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.offered.lock().unwrap().push(buf.len());
        while let Some(burst) = self.bursts.front_mut() {
            match burst.read(buf)? {
                0 => drop(self.bursts.pop_front()),
                n => return Ok(n),
            }
        }
        Ok(0)
    }
}

#[test]
fn the_read_half_grows_its_reads_in_a_burst_and_shrinks_them_after() {
    let big = vec![7u8; 16 << 10];
    let mut burst = Vec::new();
    for _ in 0..16 {
        burst.extend(frame(true, 0, 0x2, Some(KEY), &big));
    }
    let mut bursts = std::collections::VecDeque::from([io::Cursor::new(burst)]);
    for text in ["a", "b", "c"] {
        bursts.push_back(io::Cursor::new(frame(
            true,
            0,
            0x1,
            Some(KEY),
            text.as_bytes(),
        )));
    }
    let offered = Arc::<Mutex<Vec<usize>>>::default();
    let input = Input(Arrivals {
        bursts,
        offered: offered.clone(),
    });
    let (mut reader, _writer) = server(input).split(Record(Arc::default()));
    for _ in 0..16 {
        assert_eq!(reader.read().unwrap(), Message::Binary(big.clone().into()));
    }
    for text in ["a", "b", "c"] {
        assert_eq!(reader.read().unwrap(), Message::text(text));
    }
    let offered = offered.lock().unwrap().clone();
    // 256 KiB: 8 + 16 + 32 KiB, then 64 KiB reads (at most 9 reads, where
    // 8 KiB reads throughout would take 33).
    assert_eq!(
        offered[..4],
        [8 << 10, 16 << 10, 32 << 10, 64 << 10],
        "{offered:?}"
    );
    assert_eq!(offered.iter().max(), Some(&(64 << 10)));
    let burst_reads = offered.len() - 3;
    assert!(burst_reads <= 9, "{offered:?}");
    // The first small message comes in a large read; after it, 8 KiB.
    assert_eq!(
        offered[offered.len() - 2..],
        [8 << 10, 8 << 10],
        "{offered:?}"
    );
}
