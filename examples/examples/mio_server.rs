//! One thread, many connections: a non-blocking echo server on a `mio`
//! event loop. Handshakes and connections resume where `WouldBlock`
//! stopped them; everything that arrived is answered, then written with
//! one flush; what the socket does not take yet waits in the engine for the
//! next writable event. Handshakes that outlive their deadline are dropped.
//!
//! `cargo run -p sockwell-examples --example mio_server` runs it with 20 blocking
//! clients in threads that each check 50 echoes, and stops when they are
//! done; `-- serve 127.0.0.1:9003` only serves.

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use sockwell_server::{
    DeflateConfig, Message, NoCallback, ResumableError, ServerConfig, ServerHandshake, WebSocket,
    WsError,
};
use std::collections::HashMap;
use std::io::ErrorKind::WouldBlock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const LISTENER: Token = Token(0);

/// Boxed, so that moving a connection in and out of the map moves a pointer.
enum Connection {
    Handshaking(Box<ServerHandshake<TcpStream, NoCallback>>),
    Open(Box<WebSocket<TcpStream>>),
}

/// Reads until the socket has nothing more, queues the echoes, flushes
/// once. `Ok(false)` when the connection is over.
fn echo_ready(ws: &mut WebSocket<TcpStream>, echoed: &mut usize) -> Result<bool, WsError> {
    loop {
        match ws.read() {
            Ok(message) if message.is_data() => {
                ws.write(message)?;
                *echoed += 1;
            }
            Ok(_) => {} // pings are answered by the engine
            Err(WsError::Io(e)) if e.kind() == WouldBlock => break,
            Err(WsError::ConnectionClosed) => return Ok(false),
            Err(e) => return Err(e),
        }
    }
    match ws.flush() {
        // The rest stays queued until the socket is writable again.
        Err(WsError::Io(e)) if e.kind() == WouldBlock => Ok(true),
        Err(e) => Err(e),
        Ok(()) => Ok(true),
    }
}

/// Advances one connection after an event; `false` to drop it.
fn advance(connection: Connection, echoed: &mut usize) -> Option<Connection> {
    match connection {
        Connection::Handshaking(handshake) => match handshake.handshake() {
            Ok((ws, _request)) => {
                let mut ws = Box::new(ws);
                // Bytes that came with the request may hold messages already.
                match echo_ready(&mut ws, echoed) {
                    Ok(true) => Some(Connection::Open(ws)),
                    _ => None,
                }
            }
            Err(ResumableError::Interrupted(handshake)) => {
                Some(Connection::Handshaking(Box::new(handshake)))
            }
            Err(ResumableError::Failure(e)) => {
                eprintln!("handshake failed: {e}");
                None
            }
        },
        Connection::Open(mut ws) => match echo_ready(&mut ws, echoed) {
            Ok(true) => Some(Connection::Open(ws)),
            Ok(false) => None,
            Err(e) => {
                eprintln!("connection failed: {e}");
                None
            }
        },
    }
}

/// The event loop; returns when `done()` says so.
fn serve(mut listener: TcpListener, done: impl Fn() -> bool) -> std::io::Result<()> {
    let config = ServerConfig::default().with_extension(DeflateConfig::default());
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut events = Events::with_capacity(256);
    let mut connections: HashMap<Token, Connection> = HashMap::new();
    let (mut next, mut echoed, mut wakeups) = (1usize, 0usize, 0usize);
    while !done() {
        poll.poll(&mut events, Some(Duration::from_millis(100)))?;
        wakeups += 1;
        for event in events.iter() {
            if event.token() == LISTENER {
                loop {
                    let (mut tcp, _) = match listener.accept() {
                        Ok(accepted) => accepted,
                        Err(e) if e.kind() == WouldBlock => break,
                        Err(e) => return Err(e),
                    };
                    let token = Token(next);
                    next += 1;
                    tcp.set_nodelay(true)?;
                    poll.registry().register(
                        &mut tcp,
                        token,
                        Interest::READABLE | Interest::WRITABLE,
                    )?;
                    let handshake = ServerHandshake::new(tcp, NoCallback, config.clone());
                    connections.insert(token, Connection::Handshaking(Box::new(handshake)));
                }
                continue;
            }
            let Some(connection) = connections.remove(&event.token()) else {
                continue;
            };
            if let Some(connection) = advance(connection, &mut echoed) {
                connections.insert(event.token(), connection);
            }
        }
        // A client that never finishes its request loses its slot.
        let now = Instant::now();
        connections.retain(|_, c| match c {
            Connection::Handshaking(h) => h.deadline().is_none_or(|at| at > now),
            Connection::Open(_) => true,
        });
    }
    println!("{echoed} messages echoed in {wakeups} wakeups of one thread");
    Ok(())
}

fn client(addr: std::net::SocketAddr, id: usize) -> Result<(), Box<dyn std::error::Error>> {
    let config = sockwell_client::ClientConfig::default().with_extension(DeflateConfig::default());
    let (mut ws, _) = sockwell_client::ClientBuilder::new(format!("ws://{addr}/"))
        .config(config)
        .connect()?;
    for i in 0..50 {
        let sent = Message::text(format!("client {id} message {i} {}", "x".repeat(i * 10)));
        ws.send(sent.clone())?;
        let echoed = ws.read()?;
        if echoed != sent {
            return Err(format!("client {id}: echo {i} differs").into());
        }
    }
    ws.close(None)?;
    while !matches!(ws.read(), Err(WsError::ConnectionClosed)) {}
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [serve_word, addr] = args.as_slice() {
        if serve_word == "serve" {
            let listener = TcpListener::bind(addr.parse()?)?;
            println!("listening on ws://{}/", listener.local_addr()?);
            return Ok(serve(listener, || false)?);
        }
    }
    let listener = TcpListener::bind("127.0.0.1:0".parse()?)?;
    let addr = listener.local_addr()?;
    let finished = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..20)
        .map(|id| {
            let finished = finished.clone();
            std::thread::spawn(move || {
                let result = client(addr, id).map_err(|e| e.to_string());
                finished.fetch_add(1, Ordering::SeqCst);
                result
            })
        })
        .collect();
    serve(listener, || finished.load(Ordering::SeqCst) == 20)?;
    for client in clients {
        client.join().expect("client thread")?;
    }
    println!("20 clients x 50 messages: every echo checked");
    Ok(())
}
