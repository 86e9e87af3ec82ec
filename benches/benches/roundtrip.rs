//! Messages through a whole connection, in memory: ours (the sans-IO
//! [`Protocol`] and the [`WebSocket`] driver) against tungstenite 0.30, side
//! by side in each group.
//!
//! Every group runs 16 B, 1 KiB, 64 KiB and 1 MiB messages, text and binary,
//! [`message_count`] of them per iteration (1000, 1000, 64, 4), and reports
//! the payload bytes moved per second. Client frames are masked, one frame per
//! message. Messages to send are built (each its own allocation) outside the
//! timed part; everything each implementation does with them is timed,
//! including dropping the messages it consumed or produced.
//!
//! - `roundtrip/<kind>`: a client encodes each message and a server decodes it.
//!   - `ours/protocol/<size>`: client `Protocol::write`, its `pending_output`
//!     handed to the server's `Protocol::receive`, `advance_output`, then the
//!     server's `read_buffered`.
//!   - `ours/driver/<size>`: `sockwell_core::WebSocket::send` on the client end of a
//!     [`duplex`] pipe, `read` on the server end.
//!   - `tungstenite/<size>`: the same with two `tungstenite::WebSocket`s made
//!     by `from_raw_socket`.
//! - `read/<kind>`: a server decodes client frames encoded once, outside the
//!   timed loop (the same bytes for everyone).
//!   - `ours/protocol/<size>`: `receive` in 64 KiB pieces (the size of the
//!     driver's largest read) and `read_buffered` until every message is out.
//!   - `ours/driver/<size>` and `tungstenite/<size>`: `read` from a
//!     [`ReplayStream`] over the bytes, rewound on every iteration.
//! - `write/<kind>`: a client encodes the messages into a buffer.
//!   - `ours/protocol/<size>`: `send`, then `pending_output` appended to the
//!     buffer and `advance_output`, for each message.
//!   - `ours/driver/<size>` and `tungstenite/<size>`: `write` each message to a
//!     [`SinkStream`], then `flush`.
//!
//! Connections are built once per benchmark and reused: every iteration
//! leaves them in a clean state (whole messages only), so this measures the
//! steady state, not setup. The allocator is held to fixed thresholds
//! ([`benches::steady_allocator`]): with glibc's adaptive ones, whether a
//! 64 KiB message page-faulted depended on the benchmarks run before it.

// `criterion_group!` defines undocumented `pub fn`s.
#![allow(missing_docs)]

use benches::{
    duplex, encode_client_messages, message_count, size_label, Kind, ReplayStream, SinkStream,
    SIZES,
};
use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkGroup, Criterion, Throughput,
};
use sockwell_core::{Message, Protocol, Role, WebSocket, WebSocketConfig};
use std::hint::black_box;
use tungstenite::protocol::{Role as TRole, WebSocket as TWebSocket};
use tungstenite::Message as TMessage;

/// The piece size fed to `Protocol::receive` on the read side.
const READ_CHUNK: usize = 64 << 10;

/// One kind and size of message, in both libraries' types, and its wire form.
struct Workload {
    kind: Kind,
    size: usize,
    count: usize,
    ours: Message,
    /// `count` copies of the message as a client sends them.
    wire: Vec<u8>,
}

impl Workload {
    fn new(kind: Kind, size: usize) -> Self {
        let ours = kind.ws_message(size);
        let count = message_count(size);
        let wire = encode_client_messages(&vec![ours.clone(); count]);
        Workload {
            kind,
            size,
            count,
            ours,
            wire,
        }
    }

    fn label(&self) -> String {
        size_label(self.size)
    }

    fn throughput(&self) -> Throughput {
        Throughput::Bytes((self.size * self.count) as u64)
    }

    /// `count` messages for sockwell-core, each with its own payload allocation.
    fn ours_batch(&self) -> Vec<Message> {
        vec![self.ours.clone(); self.count]
    }

    /// The same for tungstenite (deep copies: no shared `Bytes`).
    fn theirs_batch(&self) -> Vec<TMessage> {
        (0..self.count).map(|_| self.theirs_one()).collect()
    }

    fn theirs_one(&self) -> TMessage {
        match &self.ours {
            Message::Text(t) => TMessage::text(t.as_str()),
            Message::Binary(b) => TMessage::binary(b.clone()),
            _ => unreachable!("data messages only"),
        }
    }

    /// Asserts that a message read by tungstenite is the one sent.
    fn check_theirs(&self, got: TMessage) {
        assert_eq!(got.is_text(), self.kind == Kind::Text);
        assert_eq!(got.into_data(), self.ours.clone().into_data());
    }
}

fn config() -> WebSocketConfig {
    WebSocketConfig::default()
}

/// One benchmark of a workload: ours through the engine, ours through the
/// driver, tungstenite.
type Bench = fn(&mut BenchmarkGroup<'_, WallTime>, &Workload);

/// Runs the three side by side in one criterion group per message kind, for
/// every size, so their figures come from the same run.
fn side_by_side(c: &mut Criterion, name: &str, benches: [Bench; 3]) {
    for kind in Kind::ALL {
        let mut group = c.benchmark_group(format!("{name}/{}", kind.name()));
        for size in SIZES {
            let w = Workload::new(kind, size);
            group.throughput(w.throughput());
            for bench in benches {
                bench(&mut group, &w);
            }
        }
        group.finish();
    }
}

// ---------------------------------------------------------------- round trip

fn roundtrip(c: &mut Criterion) {
    benches::steady_allocator();
    side_by_side(
        c,
        "roundtrip",
        [roundtrip_protocol, roundtrip_driver, roundtrip_tungstenite],
    );
}

fn roundtrip_protocol(group: &mut BenchmarkGroup<'_, WallTime>, w: &Workload) {
    let mut client = Protocol::new(Role::Client, config());
    let mut server = Protocol::new(Role::Server, config());
    let mut run = |messages: Vec<Message>| {
        let mut bytes = 0;
        for message in messages {
            client.write(&message).expect("send");
            let out = client.pending_output();
            server.receive(out);
            let n = out.len();
            client.advance_output(n);
            let got = server.read_buffered().expect("decode").expect("whole");
            bytes += got.len();
            black_box(got);
        }
        bytes
    };
    assert_eq!(run(w.ours_batch()), w.size * w.count);
    group.bench_function(format!("ours/protocol/{}", w.label()), |b| {
        b.iter_batched(|| w.ours_batch(), &mut run, BatchSize::LargeInput)
    });
}

fn roundtrip_driver(group: &mut BenchmarkGroup<'_, WallTime>, w: &Workload) {
    let (a, b) = duplex();
    let mut client = WebSocket::from_raw_socket(a, Role::Client, config());
    let mut server = WebSocket::from_raw_socket(b, Role::Server, config());
    client.send(w.ours.clone()).unwrap();
    assert_eq!(server.read().unwrap(), w.ours);
    let mut run = |messages: Vec<Message>| {
        let mut bytes = 0;
        for message in messages {
            client.send(message).expect("send");
            let got = server.read().expect("read");
            bytes += got.len();
            black_box(got);
        }
        bytes
    };
    assert_eq!(run(w.ours_batch()), w.size * w.count);
    group.bench_function(format!("ours/driver/{}", w.label()), |b| {
        b.iter_batched(|| w.ours_batch(), &mut run, BatchSize::LargeInput)
    });
}

fn roundtrip_tungstenite(group: &mut BenchmarkGroup<'_, WallTime>, w: &Workload) {
    let (a, b) = duplex();
    let mut client = TWebSocket::from_raw_socket(a, TRole::Client, None);
    let mut server = TWebSocket::from_raw_socket(b, TRole::Server, None);
    client.send(w.theirs_one()).unwrap();
    w.check_theirs(server.read().unwrap());
    let mut run = |messages: Vec<TMessage>| {
        let mut bytes = 0;
        for message in messages {
            client.send(message).expect("send");
            let got = server.read().expect("read");
            bytes += got.len();
            black_box(got);
        }
        bytes
    };
    assert_eq!(run(w.theirs_batch()), w.size * w.count);
    group.bench_function(format!("tungstenite/{}", w.label()), |b| {
        b.iter_batched(|| w.theirs_batch(), &mut run, BatchSize::LargeInput)
    });
}

// ---------------------------------------------------------------- read side

fn read(c: &mut Criterion) {
    benches::steady_allocator();
    side_by_side(c, "read", [read_protocol, read_driver, read_tungstenite]);
}

fn read_protocol(group: &mut BenchmarkGroup<'_, WallTime>, w: &Workload) {
    let mut server = Protocol::new(Role::Server, config());
    let mut run = || {
        let mut chunks = w.wire.chunks(READ_CHUNK);
        let mut bytes = 0;
        let mut received = 0;
        while received < w.count {
            match server.read_buffered().expect("decode") {
                Some(message) => {
                    bytes += message.len();
                    received += 1;
                    black_box(message);
                }
                None => server.receive(chunks.next().expect("more input")),
            }
        }
        assert!(chunks.next().is_none());
        bytes
    };
    assert_eq!(run(), w.size * w.count);
    group.bench_function(format!("ours/protocol/{}", w.label()), |b| b.iter(&mut run));
}

fn read_driver(group: &mut BenchmarkGroup<'_, WallTime>, w: &Workload) {
    // Check the content once, on a connection of its own.
    let mut check = WebSocket::from_raw_socket(ReplayStream::new(&w.wire), Role::Server, config());
    for _ in 0..w.count {
        assert_eq!(check.read().unwrap(), w.ours);
    }
    assert!(check.get_ref().is_exhausted());
    let mut server = WebSocket::from_raw_socket(ReplayStream::new(&w.wire), Role::Server, config());
    let mut run = || {
        server.get_mut().rewind();
        let mut bytes = 0;
        for _ in 0..w.count {
            let message = server.read().expect("read");
            bytes += message.len();
            black_box(message);
        }
        bytes
    };
    assert_eq!(run(), w.size * w.count);
    group.bench_function(format!("ours/driver/{}", w.label()), |b| b.iter(&mut run));
}

fn read_tungstenite(group: &mut BenchmarkGroup<'_, WallTime>, w: &Workload) {
    // Check the content once, on a connection of its own.
    let mut check = TWebSocket::from_raw_socket(ReplayStream::new(&w.wire), TRole::Server, None);
    for _ in 0..w.count {
        w.check_theirs(check.read().unwrap());
    }
    assert!(check.get_ref().is_exhausted());
    let mut server = TWebSocket::from_raw_socket(ReplayStream::new(&w.wire), TRole::Server, None);
    let mut run = || {
        server.get_mut().rewind();
        let mut bytes = 0;
        for _ in 0..w.count {
            let message = server.read().expect("read");
            bytes += message.len();
            black_box(message);
        }
        bytes
    };
    assert_eq!(run(), w.size * w.count);
    group.bench_function(format!("tungstenite/{}", w.label()), |b| b.iter(&mut run));
}

// ---------------------------------------------------------------- write side

fn write(c: &mut Criterion) {
    benches::steady_allocator();
    side_by_side(
        c,
        "write",
        [write_protocol, write_driver, write_tungstenite],
    );
}

/// Room for everything one iteration writes, so the sink never grows while timed.
fn sink_for(w: &Workload) -> SinkStream {
    SinkStream::with_capacity(w.wire.len() + 1024)
}

fn write_protocol(group: &mut BenchmarkGroup<'_, WallTime>, w: &Workload) {
    let mut client = Protocol::new(Role::Client, config());
    let mut sink = sink_for(w);
    let mut run = |messages: Vec<Message>| {
        sink.clear();
        let buf = sink.buffer_mut();
        for message in messages {
            client.write(&message).expect("send");
            let out = client.pending_output();
            buf.extend_from_slice(out);
            let n = out.len();
            client.advance_output(n);
        }
        black_box(sink.contents().len())
    };
    assert_eq!(run(w.ours_batch()), w.wire.len());
    group.bench_function(format!("ours/protocol/{}", w.label()), |b| {
        b.iter_batched(|| w.ours_batch(), &mut run, BatchSize::LargeInput)
    });
}

fn write_driver(group: &mut BenchmarkGroup<'_, WallTime>, w: &Workload) {
    let mut client = WebSocket::from_raw_socket(sink_for(w), Role::Client, config());
    let mut run = |messages: Vec<Message>| {
        client.get_mut().clear();
        for message in messages {
            client.write(message).expect("write");
        }
        client.flush().expect("flush");
        black_box(client.get_ref().contents().len())
    };
    assert_eq!(run(w.ours_batch()), w.wire.len());
    group.bench_function(format!("ours/driver/{}", w.label()), |b| {
        b.iter_batched(|| w.ours_batch(), &mut run, BatchSize::LargeInput)
    });
}

fn write_tungstenite(group: &mut BenchmarkGroup<'_, WallTime>, w: &Workload) {
    let mut client = TWebSocket::from_raw_socket(sink_for(w), TRole::Client, None);
    let mut run = |messages: Vec<TMessage>| {
        client.get_mut().clear();
        for message in messages {
            client.write(message).expect("write");
        }
        client.flush().expect("flush");
        black_box(client.get_ref().contents().len())
    };
    // Same frames, same size on the wire (only the mask keys differ).
    assert_eq!(run(w.theirs_batch()), w.wire.len());
    group.bench_function(format!("tungstenite/{}", w.label()), |b| {
        b.iter_batched(|| w.theirs_batch(), &mut run, BatchSize::LargeInput)
    });
}

criterion_group!(message_benches, roundtrip, read, write);
criterion_main!(message_benches);
