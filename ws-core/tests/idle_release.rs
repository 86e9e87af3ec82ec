//! The sync driver lets extensions give back what they hold only while
//! busy (`Extension::release_idle_state`) when the stream is found idle
//! twice in a row (`WouldBlock` after `WouldBlock`, no byte in between),
//! not at each `WouldBlock` between the messages of a burst; and the
//! engine's timers (`Protocol::poll_timers`, which both drivers run) give it
//! back after `WebSocketConfig::release_idle_state_after` without traffic,
//! waking for it only while an extension holds such state.

mod common;

use common::{frame, PassThrough};
use sockwell_core::{Message, Protocol, Role, WebSocket, WebSocketConfig};
use sockwell_extensions::{ExtensionStack, Rsv};
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Claims RSV2, changes nothing, and counts its releases in `releases`; it
/// holds idle state while `holds` is set (a release clears it).
fn counting(releases: Arc<AtomicUsize>, holds: Arc<AtomicBool>) -> PassThrough {
    PassThrough::new("x-counting", Rsv::RSV2).counting(releases, holds)
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

fn would_block(result: Result<Message, sockwell_core::WsError>) {
    let e = result.expect_err("nothing to read");
    assert!(e.is_would_block(), "{e}");
}

/// A client on a `Quiet` stream whose one extension counts releases.
fn client() -> (WebSocket<Quiet>, Quiet, Arc<AtomicUsize>) {
    let releases = Arc::new(AtomicUsize::new(0));
    let mut stack = ExtensionStack::new();
    stack
        .push(Box::new(counting(
            releases.clone(),
            Arc::new(AtomicBool::new(false)),
        )))
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
    mut read: impl FnMut() -> Result<Message, sockwell_core::WsError>,
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

#[test]
fn the_timers_release_idle_state_after_a_quiet_spell() {
    let releases = Arc::new(AtomicUsize::new(0));
    let holds = Arc::new(AtomicBool::new(false));
    let mut stack = ExtensionStack::new();
    stack
        .push(Box::new(counting(releases.clone(), holds.clone())))
        .expect("RSV2 is free");
    let config = WebSocketConfig::default()
        .with_keepalive_config(None)
        .with_release_idle_state_after(Some(Duration::from_secs(1)));
    let mut p = Protocol::new(Role::Server, config).with_extensions(stack);
    let t0 = Instant::now();
    let ms = Duration::from_millis;
    // Nothing held: no timer at all.
    assert_eq!(p.poll_timers(t0).unwrap(), None);
    holds.store(true, Ordering::SeqCst);
    assert_eq!(p.poll_timers(t0).unwrap(), Some(t0 + ms(1000)));
    // Traffic moves the deadline: a byte in, then a message out.
    p.receive(&frame(true, 0, 0x1, Some([1, 2, 3, 4]), b"busy"));
    assert_eq!(p.read_buffered().unwrap(), Some(Message::text("busy")));
    assert_eq!(p.poll_timers(t0 + ms(600)).unwrap(), Some(t0 + ms(1600)));
    p.write(&Message::text("answer")).unwrap();
    let n = p.pending_output().len();
    p.advance_output(n);
    assert_eq!(p.poll_timers(t0 + ms(1500)).unwrap(), Some(t0 + ms(2500)));
    assert_eq!(releases.load(Ordering::SeqCst), 0, "never while busy");
    // Quiet for the whole spell: released once, and no timer after it.
    assert_eq!(p.poll_timers(t0 + ms(2500)).unwrap(), None);
    assert_eq!(releases.load(Ordering::SeqCst), 1);
    assert_eq!(p.poll_timers(t0 + ms(9000)).unwrap(), None);
    assert_eq!(releases.load(Ordering::SeqCst), 1);
}

#[test]
fn the_quiet_release_can_be_turned_off() {
    let releases = Arc::new(AtomicUsize::new(0));
    let mut stack = ExtensionStack::new();
    stack
        .push(Box::new(counting(
            releases.clone(),
            Arc::new(AtomicBool::new(true)),
        )))
        .expect("RSV2 is free");
    let config = WebSocketConfig::default()
        .with_keepalive_config(None)
        .with_release_idle_state_after(None);
    let mut p = Protocol::new(Role::Server, config).with_extensions(stack);
    let t0 = Instant::now();
    assert_eq!(p.poll_timers(t0).unwrap(), None);
    assert_eq!(p.poll_timers(t0 + Duration::from_secs(60)).unwrap(), None);
    assert_eq!(releases.load(Ordering::SeqCst), 0);
}
