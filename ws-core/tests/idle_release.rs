//! The sync driver lets extensions give back what they hold only while
//! busy (`Extension::release_idle_state`) when the stream is found idle
//! twice in a row (`WouldBlock` after `WouldBlock`, no byte in between),
//! not at each `WouldBlock` between the messages of a burst.

mod common;

use common::frame;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use ws_core::{Message, Protocol, Role, WebSocket, WebSocketConfig};
use ws_extensions::{DecodeOutput, Extension, ExtensionError, ExtensionStack, MessageKind, Rsv};

/// Claims RSV2, changes nothing, and counts its releases.
#[derive(Debug)]
struct Counting(Arc<AtomicUsize>);

impl Extension for Counting {
    fn name(&self) -> &str {
        "x-counting"
    }

    fn reserved_bits(&self) -> Rsv {
        Rsv::RSV2
    }

    fn encode(
        &mut self,
        _kind: MessageKind,
        _payload: &[u8],
        _out: &mut Vec<u8>,
    ) -> Result<Option<Rsv>, ExtensionError> {
        Ok(None)
    }

    fn decodes(&self, _rsv: Rsv) -> bool {
        false
    }

    fn decode(
        &mut self,
        input: &[u8],
        _fin: bool,
        out: &mut DecodeOutput<'_>,
    ) -> Result<(), ExtensionError> {
        out.extend_from_slice(input)
    }

    fn release_idle_state(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A non-blocking stream: what was put in (through a clone), then
/// `WouldBlock`.
#[derive(Clone, Default)]
struct Quiet(Arc<Mutex<VecDeque<u8>>>);

impl Quiet {
    fn put(&self, bytes: Vec<u8>) {
        self.0.lock().unwrap().extend(bytes);
    }
}

impl Read for Quiet {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut input = self.0.lock().unwrap();
        if input.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        input.read(buf)
    }
}

impl Write for Quiet {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn would_block(result: Result<Message, ws_core::Error>) {
    let e = result.expect_err("nothing to read");
    assert!(e.is_would_block(), "{e}");
}

/// A client on a `Quiet` stream whose one extension counts releases.
fn client() -> (WebSocket<Quiet>, Quiet, Arc<AtomicUsize>) {
    let releases = Arc::new(AtomicUsize::new(0));
    let mut stack = ExtensionStack::new();
    stack
        .push(Box::new(Counting(releases.clone())))
        .expect("RSV2 is free");
    let protocol = Protocol::new(Role::Client, WebSocketConfig::default()).with_extensions(stack);
    let stream = Quiet::default();
    let ws = WebSocket::from_protocol(stream.clone(), protocol);
    (ws, stream, releases)
}

/// Rounds of two messages, then two reads that find nothing.
fn rounds(
    stream: &Quiet,
    releases: &AtomicUsize,
    mut read: impl FnMut() -> Result<Message, ws_core::Error>,
) {
    for round in 0..3 {
        stream.put(frame(true, 0, 0x1, None, b"one"));
        stream.put(frame(true, 0, 0x1, None, b"two"));
        assert_eq!(read().unwrap(), Message::text("one"));
        assert_eq!(read().unwrap(), Message::text("two"));
        // Between two bursts: found idle once, still busy.
        would_block(read());
        assert_eq!(
            releases.load(Ordering::SeqCst),
            round,
            "round {round}: idle once"
        );
        // Idle again with nothing in between: quiet.
        would_block(read());
        assert_eq!(
            releases.load(Ordering::SeqCst),
            round + 1,
            "round {round}: idle twice"
        );
    }
}

#[test]
fn a_sync_connection_found_idle_twice_releases_its_extensions_state() {
    let (mut ws, stream, releases) = client();
    rounds(&stream, &releases, || ws.read());
}

#[test]
fn a_split_read_half_found_idle_twice_releases_its_extensions_state() {
    let (ws, stream, releases) = client();
    let (mut reader, _writer) = ws.split(io::sink());
    rounds(&stream, &releases, || reader.read());
}
