//! The sync driver against peers that would hold a connection forever:
//! one that stops reading (while we echo what it sent, and while we only
//! send), and one that never answers our Close. Real TCP sockets with
//! socket timeouts on our side (what lets a blocking driver come back to
//! its timers), the peer's with a small receive buffer that the test never
//! reads. Each is dropped by a timer: keepalive within interval + timeout,
//! the close timeout at its deadline.

use socket2::SockRef;
use sockwell_core::{Keepalive, Message, Role, WebSocket, WebSocketConfig, WsError};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

const INTERVAL: Duration = Duration::from_millis(300);
const TIMEOUT: Duration = Duration::from_millis(300);
/// Timers on a loaded machine run late, never early.
const SLACK: Duration = Duration::from_secs(5);
/// The socket timeouts: how often a blocked call comes back to the timers.
const TICK: Duration = Duration::from_millis(50);

fn config() -> WebSocketConfig {
    WebSocketConfig::default().with_keepalive_config(Some(Keepalive::new(INTERVAL, TIMEOUT)))
}

/// Our server end (the opening handshake is not what is tested), with
/// read and write timeouts, and a peer socket with a 4 KiB receive buffer.
fn connect(config: WebSocketConfig) -> (WebSocket<TcpStream>, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let peer = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    SockRef::from(&peer).set_recv_buffer_size(4096).unwrap();
    let (ours, _) = listener.accept().unwrap();
    ours.set_read_timeout(Some(TICK)).unwrap();
    ours.set_write_timeout(Some(TICK)).unwrap();
    (WebSocket::from_raw_socket(ours, Role::Server, config), peer)
}

/// A masked binary frame (mask key 0: the payload goes as it is).
fn client_frame(len: usize) -> Vec<u8> {
    let mut frame = vec![0x82, 0x80 | 127];
    frame.extend_from_slice(&(len as u64).to_be_bytes());
    frame.extend_from_slice(&[0; 4]);
    frame.resize(frame.len() + len, 0x5a);
    frame
}

/// Runs `step` until it fails with something other than a socket timeout
/// (which only says "call again"), a minute at most.
fn until_error(mut step: impl FnMut() -> Result<(), WsError>) -> WsError {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        match step() {
            Ok(()) => {}
            Err(e) if e.is_would_block() => {}
            Err(e) => return e,
        }
    }
    panic!("no timer ended the connection within a minute");
}

fn assert_on_time(err: &WsError, took: Duration) {
    eprintln!("dropped after {took:?}: {err:?}");
    assert!(matches!(err, WsError::KeepaliveTimeout), "{err:?}");
    assert!(took >= INTERVAL + TIMEOUT, "too early: {took:?}");
    assert!(took < INTERVAL + TIMEOUT + SLACK, "too late: {took:?}");
}

#[test]
fn a_peer_that_stops_reading_is_dropped_while_we_echo() {
    let (mut ws, mut peer) = connect(config());
    // The peer sends 16 x 512 KiB (until we stop reading) and reads nothing.
    peer.set_write_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let sending = std::thread::spawn(move || {
        for _ in 0..16 {
            if peer.write_all(&client_frame(512 << 10)).is_err() {
                break;
            }
        }
        peer
    });
    let started = Instant::now();
    // Echo without flushing: `read` must write the queue out before it
    // reads more (backpressure), and that write never ends.
    let err = until_error(|| {
        let message = ws.read()?;
        if message.is_data() {
            ws.write(message)?;
        }
        Ok(())
    });
    assert_on_time(&err, started.elapsed());
    drop(sending.join());
}

#[test]
fn a_peer_that_stops_reading_is_dropped_while_we_send() {
    let (mut ws, _peer) = connect(config());
    let started = Instant::now();
    let mut queued = false;
    let err = until_error(|| {
        // A timed-out send keeps its message queued: flush, do not resend.
        if queued {
            ws.flush()?;
        }
        queued = true;
        ws.send(Message::binary(vec![7; 64 << 10]))
    });
    assert_on_time(&err, started.elapsed());
    // Over: nothing is tried on the stream again.
    assert!(matches!(
        ws.send(Message::text("more")),
        Err(WsError::AlreadyClosed)
    ));
}

#[test]
fn a_peer_that_never_answers_our_close_is_dropped_at_the_close_timeout() {
    let close_timeout = Duration::from_millis(500);
    let config = WebSocketConfig::default()
        .with_keepalive_config(None)
        .with_close_timeout(Some(close_timeout));
    let (mut ws, _peer) = connect(config);
    let started = Instant::now();
    ws.close(None).unwrap();
    let err = until_error(|| ws.read().map(drop));
    let took = started.elapsed();
    eprintln!("dropped after {took:?}: {err:?}");
    assert!(matches!(err, WsError::CloseTimeout), "{err:?}");
    assert!(took >= close_timeout, "too early: {took:?}");
    assert!(took < close_timeout + SLACK, "too late: {took:?}");
}
