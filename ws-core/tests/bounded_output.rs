//! Output stays bounded whatever the peer does: a peer that floods pings and
//! large messages over a connection whose stream never becomes writable
//! (it never reads what we send) meets backpressure instead of growing our
//! memory. Measured with a counting allocator, one test at a time.

mod common;
#[path = "common/heap.rs"]
mod heap;

use common::{frame, KEY};
use heap::{exclusive, peak_during};
use sockwell_core::{Limits, Message, Protocol, Role, WebSocket, WebSocketConfig, WsError};
use std::io::{self, Read, Write};

const MIB: usize = 1 << 20;
const PINGS: usize = 100_000;
const MESSAGES: usize = 10;

/// Peer input (already framed) that reads in chunks and then `WouldBlock`s;
/// every write `WouldBlock`s: a peer that sends and never reads.
struct NeverWritable {
    input: Vec<u8>,
    pos: usize,
}

impl Read for NeverWritable {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.input.len() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.input.len() - self.pos);
        buf[..n].copy_from_slice(&self.input[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Write for NeverWritable {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::ErrorKind::WouldBlock.into())
    }

    fn flush(&mut self) -> io::Result<()> {
        Err(io::ErrorKind::WouldBlock.into())
    }
}

/// 100,000 pings of 125 bytes with a 1 MiB binary message after every
/// 10,000 of them, as a client sends them (masked).
fn flood() -> Vec<u8> {
    let ping = frame(true, 0, 0x9, Some(KEY), &[0x5a; 125]);
    let big = frame(true, 0, 0x2, Some(KEY), &vec![0xa5; MIB]);
    let mut input = Vec::with_capacity(PINGS * ping.len() + MESSAGES * big.len());
    for i in 1..=PINGS {
        input.extend_from_slice(&ping);
        if i % (PINGS / MESSAGES) == 0 {
            input.extend_from_slice(&big);
        }
    }
    input
}

fn config(max_write: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .with_limits(
            Limits::default()
                .with_max_message_size(MIB)
                .with_max_frame_size(MIB),
        )
        .with_max_write_buffer_size(max_write)
}

#[derive(Debug, Default)]
struct Tally {
    pings: usize,
    messages: usize,
    refused_writes: usize,
}

/// Reads until the driver reports `WouldBlock` (then polls again many times,
/// as an event loop woken for nothing would), echoing data messages if `echo`.
fn run(ws: &mut WebSocket<NeverWritable>, echo: bool) -> Tally {
    let mut tally = Tally::default();
    let mut would_blocks = 0;
    while would_blocks < 1000 {
        match ws.read() {
            Ok(Message::Ping(_)) => tally.pings += 1,
            Ok(message) if message.is_data() => {
                tally.messages += 1;
                if echo {
                    match ws.write(message) {
                        Ok(()) => {}
                        Err(WsError::WriteBufferFull { .. }) => tally.refused_writes += 1,
                        Err(e) => panic!("write: {e}"),
                    }
                }
            }
            Ok(other) => panic!("unexpected {other:?}"),
            Err(e) if e.is_would_block() => would_blocks += 1,
            Err(e) => panic!("read: {e}"),
        }
        let queued = ws.protocol().buffered_output();
        assert!(
            queued <= ws.protocol().config().max_write_buffer_size,
            "{queued}"
        );
    }
    tally
}

#[test]
fn a_ping_flood_queues_one_pong_not_one_per_ping() {
    let _one = exclusive();
    let stream = NeverWritable {
        input: flood(),
        pos: 0,
    };
    let mut ws = WebSocket::from_raw_socket(stream, Role::Server, config(4 * MIB));
    let (tally, peak) = peak_during(|| run(&mut ws, false));
    eprintln!(
        "ping flood, no echo: {tally:?}, {} bytes queued, heap peak {peak} bytes",
        ws.protocol().buffered_output()
    );
    // Nothing was echoed, so nothing held the input back: all of it was read.
    assert_eq!(tally.pings, PINGS);
    assert_eq!(tally.messages, MESSAGES);
    assert_eq!(ws.get_ref().pos, ws.get_ref().input.len());
    // One pong (the latest ping's), not serialized while nothing can be written.
    assert!(ws.protocol().buffered_output() <= 125 + 14);
    // The read buffer, one message being assembled and the one handed over.
    assert!(peak <= 2 * MIB + 256 * 1024, "peak heap {peak} bytes");
}

#[test]
fn a_peer_that_never_reads_meets_backpressure() {
    let _one = exclusive();
    let max_write = 4 * MIB;
    let stream = NeverWritable {
        input: flood(),
        pos: 0,
    };
    let mut ws = WebSocket::from_raw_socket(stream, Role::Server, config(max_write));
    let (tally, peak) = peak_during(|| run(&mut ws, true));
    eprintln!(
        "ping flood, echoing: {tally:?}, {} of {} input bytes read, {} bytes queued, heap peak {peak} bytes",
        ws.get_ref().pos,
        ws.get_ref().input.len(),
        ws.protocol().buffered_output()
    );
    // The first echo filled the queue past `write_buffer_size`: reading stopped
    // there, so most of the flood is still with the peer.
    assert_eq!(tally.messages, 1, "{tally:?}");
    assert!(ws.get_ref().pos < ws.get_ref().input.len() / 5);
    let queued = ws.protocol().buffered_output();
    assert!(queued > MIB && queued <= max_write, "{queued}");
    assert!(
        peak <= max_write + 2 * MIB + 256 * 1024,
        "peak heap {peak} bytes"
    );
}

#[test]
fn a_full_write_buffer_refuses_what_does_not_fit() {
    let mut p = Protocol::new(Role::Server, config(3 * MIB));
    let big = Message::Binary((vec![1; MIB]).into());
    p.write(&big).unwrap();
    p.write(&big).unwrap();
    // 2 MiB + headers queued: a third MiB does not fit under 3 MiB.
    assert!(matches!(
        p.write(&big),
        Err(WsError::WriteBufferFull { .. })
    ));
    // Once the stream took some, it does.
    let n = p.pending_output().len();
    p.advance_output(n / 2);
    p.write(&big).unwrap();
    assert!(p.buffered_output() <= 3 * MIB);
}
