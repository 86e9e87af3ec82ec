//! The opening handshake's deadline over real TCP: clients that trickle
//! their request in one byte at a time are all dropped by a blocking
//! thread-per-connection server once the deadline passes, while a normal
//! client is served meanwhile; and a client gives up on a server that never
//! answers. Waits are on events, with generous bounds.

use sockwell_client::{ClientConfig, Message};
use sockwell_server::{HandshakeError, ServerConfig};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

const SLOW_CLIENTS: usize = 40;
const DEADLINE: Duration = Duration::from_secs(1);
/// Bound on every wait: far above what any of this takes on a quiet machine.
const PATIENCE: Duration = Duration::from_secs(30);

/// A connection's handshake outcome and how long it took.
type Outcome = (Result<(), HandshakeError>, Duration);

/// A blocking echo server, a thread per connection, each handshake under
/// `DEADLINE`; reports each connection's handshake outcome and its time.
fn server() -> (String, mpsc::Receiver<Outcome>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let tx = tx.clone();
            thread::spawn(move || {
                let start = Instant::now();
                let config = ServerConfig::default().with_handshake_timeout(Some(DEADLINE));
                match sockwell_server::accept_with_deadline(stream, config) {
                    Ok(mut ws) => {
                        let _ = tx.send((Ok(()), start.elapsed()));
                        while let Ok(m) = ws.read() {
                            if m.is_data() && ws.send(m).is_err() {
                                break;
                            }
                        }
                    }
                    Err(e) => {
                        let _ = tx.send((Err(e), start.elapsed()));
                    }
                }
            });
        }
    });
    (url, rx)
}

#[test]
fn trickling_clients_are_dropped_at_the_deadline_while_others_are_served() {
    let (url, outcomes) = server();
    let addr = url
        .trim_start_matches("ws://")
        .trim_end_matches('/')
        .to_owned();
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    let slow: Vec<TcpStream> = (0..SLOW_CLIENTS)
        .map(|_| TcpStream::connect(&addr).unwrap())
        .collect();
    // One byte per client every 200 ms: the request would take ~30 s.
    let stop = Arc::new(AtomicBool::new(false));
    let trickle = {
        let streams: Vec<TcpStream> = slow.iter().map(|s| s.try_clone().unwrap()).collect();
        let stop = stop.clone();
        let request = request.into_bytes();
        thread::spawn(move || {
            let mut streams = streams;
            for byte in request.iter().cycle() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                for s in &mut streams {
                    // A dropped connection refuses: that is what we wait for.
                    let _ = s.write_all(&[*byte]);
                }
                thread::sleep(Duration::from_millis(200));
            }
        })
    };

    // A normal client is served while the slow ones hang on.
    let (mut ws, _) = sockwell_client::connect(&url).unwrap();
    assert_eq!(
        ws.read_timeout_restored(),
        None,
        "the client's socket timeouts are put back after its handshake"
    );
    ws.send(Message::text("hello")).unwrap();
    assert_eq!(ws.read().unwrap(), Message::text("hello"));

    let mut timed_out = 0;
    let mut served = 0;
    let start = Instant::now();
    while timed_out < SLOW_CLIENTS {
        let left = PATIENCE.saturating_sub(start.elapsed());
        let (outcome, took) = outcomes
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("only {timed_out} of {SLOW_CLIENTS} timed out"));
        match outcome {
            Ok(()) => served += 1,
            Err(HandshakeError::Timeout(after)) => {
                assert_eq!(after, DEADLINE);
                assert!(took >= DEADLINE, "dropped early: {took:?}");
                timed_out += 1;
            }
            Err(e) => panic!("unexpected handshake error: {e}"),
        }
    }
    assert_eq!(served, 1);
    stop.store(true, Ordering::SeqCst);
    trickle.join().unwrap();

    // The server closed every slow connection.
    for mut s in slow {
        s.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut buf = [0; 64];
        match s.read(&mut buf) {
            Ok(0) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            other => panic!("slow connection still open: {other:?}"),
        }
    }
    ws.close(None).unwrap();
}

#[test]
fn a_client_gives_up_on_a_server_that_never_answers() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    // Accepts the TCP connection, reads the request, says nothing.
    let silent = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut sink = [0; 1024];
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    });
    let config = ClientConfig::default().with_handshake_timeout(Some(Duration::from_millis(300)));
    let start = Instant::now();
    let err = sockwell_client::ClientBuilder::new(&url)
        .config(config)
        .connect()
        .unwrap_err();
    assert!(
        matches!(
            err,
            sockwell_client::ConnectError::Handshake(sockwell_server::HandshakeError::Timeout(_))
        ),
        "{err:?}"
    );
    assert!(start.elapsed() < PATIENCE);
    silent.join().unwrap();
}

/// A server that refuses the upgrade with a 403 whose `Content-Length`
/// promises more than it sends, and holds the connection open.
fn refuser_holding_the_body_open() -> (String, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let handle = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut request = Vec::new();
        let mut byte = [0; 1];
        while !request.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
            request.push(byte[0]);
        }
        stream
            .write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 100\r\n\r\nnot you")
            .unwrap();
        // Held until the client hangs up.
        let mut sink = [0; 64];
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    });
    (url, handle)
}

/// The refusal, with what came of its body, at the deadline.
fn assert_refused_at_the_deadline(
    err: sockwell_client::ConnectError,
    took: Duration,
    limit: Duration,
) {
    let sockwell_client::ConnectError::Handshake(
        sockwell_server::HandshakeError::UnexpectedStatus(response),
    ) = err
    else {
        panic!("not the refusal: {err:?}");
    };
    assert_eq!(response.status(), 403);
    assert_eq!(response.body().as_deref(), Some(&b"not you"[..]));
    assert!(took >= limit, "gave up on the body early: {took:?}");
    assert!(took < PATIENCE, "{took:?}");
}

#[test]
fn a_refusal_whose_body_never_ends_is_reported_at_the_deadline() {
    let (url, server) = refuser_holding_the_body_open();
    let limit = Duration::from_millis(700);
    let config = ClientConfig::default().with_handshake_timeout(Some(limit));
    let start = Instant::now();
    let err = sockwell_client::ClientBuilder::new(&url)
        .config(config)
        .connect()
        .unwrap_err();
    assert_refused_at_the_deadline(err, start.elapsed(), limit);
    server.join().unwrap();
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn async_a_refusal_whose_body_never_ends_is_reported_at_the_deadline() {
    let (url, server) = refuser_holding_the_body_open();
    let limit = Duration::from_millis(700);
    let config = ClientConfig::default().with_handshake_timeout(Some(limit));
    let start = Instant::now();
    let err = sockwell_client::ClientBuilder::new(&url)
        .config(config)
        .connect_async()
        .await
        .unwrap_err();
    assert_refused_at_the_deadline(err, start.elapsed(), limit);
    tokio::task::spawn_blocking(|| server.join().unwrap())
        .await
        .unwrap();
}

/// The read timeout of a connected client's socket.
trait ReadTimeout {
    fn read_timeout_restored(&self) -> Option<Duration>;
}

impl ReadTimeout for sockwell_client::WebSocket<sockwell_client::MaybeTlsStream<TcpStream>> {
    fn read_timeout_restored(&self) -> Option<Duration> {
        self.get_ref().get_ref().read_timeout().unwrap()
    }
}
