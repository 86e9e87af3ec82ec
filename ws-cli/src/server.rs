//! `ws serve ADDR`: an echo server, or with `--broadcast` a room where every
//! message goes to every other connection, compressed once for all of them
//! (`PreparedMessage`) when the connections' parameters allow it, within
//! the memory bound that [`room`] keeps.

use crate::args::Args;
use crate::failure::{self, describe_close, exit, Failure};
use crate::room::{self, Budget, Listener, Said};
use crate::{config, tls};
use sockwell_server::{
    CloseState, HandshakeError, Message, PreparedMessage, ServerConfig, WebSocketStream, WsError,
    WsWriter,
};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio::time::Instant;

/// The room: where what is said goes, and the budget of its framed copies.
#[derive(Clone)]
struct Room {
    says: broadcast::Sender<Arc<Said>>,
    budget: Arc<Budget>,
}

/// How long a connection may take none of what we send before it is dropped.
const WRITE_STALL: std::time::Duration = std::time::Duration::from_secs(60);

pub async fn serve(addr: &str, args: &Args) -> Result<(), Failure> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::new(exit::OTHER, format!("cannot listen on {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| Failure::new(exit::OTHER, format!("cannot listen on {addr}: {e}")))?;
    let acceptor = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => Some(tls::acceptor(cert, key)?),
        _ => None,
    };
    let scheme = if acceptor.is_some() { "wss" } else { "ws" };
    let mode = if args.broadcast { "broadcast" } else { "echo" };
    let compression = match &args.deflate {
        Some(_) => "permessage-deflate accepted",
        None => "no compression",
    };
    // Always printed (tests and scripts read the port from it).
    eprintln!("listening on {scheme}://{local}/ ({mode}, {compression})");
    let config = Arc::new(config::server(args));
    let room = Room {
        says: broadcast::channel(room::BACKLOG).0,
        budget: Arc::new(Budget::new(room::budget_for(
            config.websocket.limits.max_message_size,
        ))),
    };
    let quiet = args.quiet;
    let broadcast = args.broadcast;
    for id in 0u64.. {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of descriptors, a connection reset while queued: the
            // listener itself is fine.
            Err(e) => {
                eprintln!("accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let (config, room, acceptor) = (config.clone(), room.clone(), acceptor.clone());
        tokio::spawn(async move {
            let connection = Connection {
                id,
                peer,
                quiet,
                broadcast: broadcast.then_some(room),
            };
            // One deadline for the TLS and the WebSocket handshakes
            // together: a client that trickles its hello, or finishes TLS
            // slowly and then trickles its request, is dropped at it.
            let deadline = config
                .handshake_timeout
                .and_then(|limit| Instant::now().checked_add(limit));
            match acceptor {
                Some(acceptor) => match within(deadline, acceptor.accept(tcp)).await {
                    Some(Ok(tls)) => connection.run(tls, &config, deadline).await,
                    Some(Err(e)) => connection.log(format_args!("TLS handshake failed: {e}")),
                    None => connection.log(format_args!("TLS handshake timed out")),
                },
                None => connection.run(tcp, &config, deadline).await,
            }
        });
    }
    Ok(())
}

/// `Some(output)`, or `None` when `deadline` passed first.
async fn within<T>(
    deadline: Option<Instant>,
    work: impl std::future::Future<Output = T>,
) -> Option<T> {
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, work).await.ok(),
        None => Some(work.await),
    }
}

struct Connection {
    id: u64,
    peer: SocketAddr,
    quiet: bool,
    broadcast: Option<Room>,
}

impl Connection {
    fn log(&self, what: std::fmt::Arguments<'_>) {
        if !self.quiet {
            // What a client sent (a request, a reason) may be in it.
            let line = what.to_string();
            eprintln!("{}: {}", self.peer, failure::printable(&line));
        }
    }

    /// Runs the WebSocket handshake in what is left before `deadline`,
    /// then the connection.
    async fn run<S>(self, stream: S, config: &ServerConfig, deadline: Option<Instant>)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let limit = config.handshake_timeout;
        let mut config = config.clone();
        if let Some(deadline) = deadline {
            config.handshake_timeout = Some(deadline.saturating_duration_since(Instant::now()));
        }
        let ws = match sockwell_server::accept_async_with_config(stream, config.clone()).await {
            Ok(ws) => ws,
            Err(e) => {
                // A timeout names the whole limit, not the part left of it.
                let e = match (e, limit) {
                    (HandshakeError::Timeout(_), Some(limit)) => HandshakeError::Timeout(limit),
                    (e, _) => e,
                };
                return self.log(format_args!("handshake failed: {}", failure::chain(&e)));
            }
        };
        self.log(format_args!(
            "connected ({})",
            config::agreed(ws.protocol())
        ));
        let ended = match &self.broadcast {
            Some(room) => self.join(ws, room.clone()).await,
            None => echo(ws, &self).await,
        };
        match ended {
            Ok(frame) => self.log(format_args!("closed: {}", describe_close(frame.as_ref()))),
            Err(e) => self.log(format_args!("failed: {}", failure::chain(&e))),
        }
    }

    /// Broadcast: what this connection says goes to the others; what they
    /// say comes here. A listener that falls more than the backlog behind
    /// misses messages (and is told so on the server's stderr) rather than
    /// holding the room's memory.
    async fn join<S>(
        &self,
        ws: WebSocketStream<S>,
        room: Room,
    ) -> Result<Option<sockwell_server::CloseFrame>, WsError>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let encoding = room::encoding_of(ws.protocol());
        let (mut reader, half) = ws.into_split();
        let mut writer = Writer { half, encoding };
        let mut hears = room.says.subscribe();
        let (me, peer, quiet) = (self.id, self.peer, self.quiet);
        let mut speaking = tokio::spawn(async move {
            loop {
                match hears.recv().await {
                    Ok(said) if said.from == me => {}
                    Ok(said) => {
                        // A listener that takes nothing for this long is
                        // dropped, not waited for.
                        let sent = tokio::time::timeout(WRITE_STALL, async {
                            said.deliver(&mut writer).await?;
                            writer.half.flush().await
                        });
                        if !matches!(sent.await, Ok(Ok(()))) {
                            if !quiet {
                                eprintln!("{peer}: not reading; dropped");
                            }
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) if !quiet => {
                        eprintln!("{peer}: too slow, missed {missed} messages");
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        let mut close = None;
        let ended = loop {
            let received = tokio::select! {
                received = reader.read() => received,
                // The speaking half gave up on this listener: it goes.
                _ = &mut speaking => break Err(WsError::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the client stopped taking what the room says",
                ))),
            };
            match received {
                Ok(Message::Text(text)) => room.say(me, PreparedMessage::text(text)),
                Ok(Message::Binary(data)) => room.say(me, PreparedMessage::binary(data)),
                Ok(Message::Close(frame)) => close = frame,
                Ok(_) => {}
                Err(WsError::ConnectionClosed) => break Ok(close),
                Err(e) => break Err(e),
            }
        };
        speaking.abort();
        ended
    }
}

impl Room {
    fn say(&self, from: u64, message: PreparedMessage) {
        // Nobody listening is no failure: the message is dropped.
        let _ = self
            .says
            .send(Arc::new(Said::new(from, message, self.budget.clone())));
    }
}

/// A listener's writing half, and how its engine encodes prepared
/// messages (read before the split: the half does not show its engine).
struct Writer<S> {
    half: WsWriter<S>,
    encoding: Option<room::Encoding>,
}

impl<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin> Listener for Writer<S> {
    fn encoding(&self) -> Option<&room::Encoding> {
        self.encoding.as_ref()
    }

    fn queue_prepared(&mut self, message: &PreparedMessage) -> Result<(), WsError> {
        self.half.write_prepared(message)
    }

    fn queue(&mut self, message: Message) -> Result<(), WsError> {
        self.half.write(message)
    }
}

/// Echo: every data message goes back as it came. Everything that arrived
/// together is answered with one write. A client that sends but does not
/// read meets backpressure (nothing more is read from it), and after
/// [`WRITE_STALL`] without taking our answer it is dropped. A message whose
/// echo cannot be queued even in an empty queue (a `--max-write-buffer`
/// lower than the message) is answered with a Close (1009, and why), and
/// the connection closes cleanly: what the client still sends is read and
/// dropped until its Close.
async fn echo<S>(
    mut ws: WebSocketStream<S>,
    connection: &Connection,
) -> Result<Option<sockwell_server::CloseFrame>, WsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut close = None;
    loop {
        let mut next = Some(ws.read().await);
        while let Some(received) = next.take() {
            match received {
                // After our refusal (a Close), the rest is dropped until
                // the client's Close.
                Ok(Message::Text(_) | Message::Binary(_))
                    if ws.close_state() != CloseState::Open => {}
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                    if let Err(WsError::WriteBufferFull { .. }) = ws.write(message.clone()) {
                        // Too much queued at once: write it out, then queue.
                        flush_within(&mut ws).await?;
                        match ws.write(message.clone()) {
                            Err(WsError::WriteBufferFull { max }) => {
                                let why = format!(
                                    "cannot echo {} bytes: over the write buffer ({max} bytes)",
                                    message.len()
                                );
                                connection.log(format_args!("{why}; closing with 1009"));
                                let frame = sockwell_server::CloseFrame::new(
                                    sockwell_server::CloseCode::MESSAGE_TOO_BIG,
                                    why,
                                );
                                ws.close(Some(frame)).await?;
                            }
                            written => written?,
                        }
                    }
                }
                Ok(Message::Close(frame)) => close = frame,
                Ok(_) => {}
                Err(WsError::ConnectionClosed) => return Ok(close),
                Err(e @ WsError::Protocol(_)) => {
                    linger(&mut ws).await;
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
            next = ws.read_buffered().transpose();
        }
        flush_within(&mut ws).await?;
    }
}

/// After we failed the connection (a message too big, a protocol error),
/// our Close is on its way. Dropping the socket now, with the rest of the
/// client's message unread, would reset the connection, and the client
/// could lose our Close (and with it the reason) before reading it. So:
/// our side is shut, and what the client still sends is read and dropped
/// until it closes, for a short while and a bounded number of bytes.
async fn linger<S: AsyncRead + AsyncWrite + Unpin>(ws: &mut WebSocketStream<S>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const LINGER: std::time::Duration = std::time::Duration::from_secs(5);
    const LINGER_BYTES: usize = 64 << 20;
    let _ = tokio::time::timeout(LINGER, async {
        let _ = ws.flush().await;
        let stream = ws.get_mut();
        let _ = stream.shutdown().await;
        let mut scratch = vec![0u8; 16 << 10];
        let mut left = LINGER_BYTES;
        while left > 0 {
            match stream.read(&mut scratch).await {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    })
    .await;
}

async fn flush_within<S: AsyncRead + AsyncWrite + Unpin>(
    ws: &mut WebSocketStream<S>,
) -> Result<(), WsError> {
    match tokio::time::timeout(WRITE_STALL, ws.flush()).await {
        Ok(flushed) => flushed,
        Err(_) => Err(WsError::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("the client took nothing we sent for {WRITE_STALL:?}"),
        ))),
    }
}
