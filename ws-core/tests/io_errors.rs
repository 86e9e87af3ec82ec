//! An I/O error that is not a timeout ends the connection: later calls say
//! `AlreadyClosed` instead of trying the broken stream again, so a caller
//! that goes on after an error does not spin on it (or repeat a write into
//! a broken stream).

use sockwell_core::{Message, Role, WebSocket, WebSocketConfig, WsError};
use std::io::{self, Read, Write};

/// A stream broken both ways that counts how often it is tried.
#[derive(Default)]
struct Broken {
    reads: usize,
    writes: usize,
}

impl Read for Broken {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        self.reads += 1;
        Err(io::ErrorKind::ConnectionReset.into())
    }
}

impl Write for Broken {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        self.writes += 1;
        Err(io::ErrorKind::BrokenPipe.into())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn socket() -> WebSocket<Broken> {
    WebSocket::from_raw_socket(Broken::default(), Role::Client, WebSocketConfig::default())
}

#[test]
fn a_read_error_is_reported_once_then_the_connection_is_over() {
    let mut ws = socket();
    assert!(matches!(ws.read(), Err(WsError::Io(e)) if e.kind() == io::ErrorKind::ConnectionReset));
    for _ in 0..3 {
        assert!(matches!(ws.read(), Err(WsError::AlreadyClosed)));
    }
    assert!(matches!(
        ws.send(Message::text("after")),
        Err(WsError::AlreadyClosed)
    ));
    assert_eq!(ws.get_ref().reads, 1, "the broken stream is read once");
    assert_eq!(ws.get_ref().writes, 0);
}

#[test]
fn a_write_error_is_reported_once_then_the_connection_is_over() {
    let mut ws = socket();
    assert!(
        matches!(ws.send(Message::text("hello")), Err(WsError::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe)
    );
    assert!(matches!(ws.flush(), Ok(())), "nothing is left to write");
    assert!(matches!(
        ws.send(Message::text("again")),
        Err(WsError::AlreadyClosed)
    ));
    assert!(matches!(ws.read(), Err(WsError::AlreadyClosed)));
    assert_eq!(ws.get_ref().writes, 1, "the broken stream is written once");
    assert_eq!(ws.get_ref().reads, 0);
}
