//! One node: WebSocket members on one side, Redis pub/sub on the other.
//!
//! Three kinds of tasks share a [`Node`]:
//! - one per connection (`serve`): the handshake (the path names the
//!   room), the join, then the member's messages `PUBLISH`ed in order; a
//!   writer task per member sends what the room delivers;
//! - one Redis task (`redis_task`): the subscriptions (one per room with
//!   local members, kept in step with the rooms on every change), the fan
//!   out of each message received, and the reconnection with backoff.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::{MultiplexedConnection, PubSubSink, PubSubStream};
use sockwell_server::http::{Response, StatusCode};
use sockwell_server::{
    accept_hdr_async_with_config, CloseCode, CloseFrame, DeflateConfig, ErrorResponse, Message,
    PreparedMessage, ServerConfig, WsError, WsWriter,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

use crate::{channel, valid_name, Chat, Welcome};

/// How many messages may wait for one member before it is disconnected as
/// too slow (close code 1008): a member that misses messages must not stay
/// in the room as if it had them all.
pub const MEMBER_QUEUE: usize = 4096;

/// The first wait before reconnecting to Redis, doubled up to [`MAX_BACKOFF`].
pub const MIN_BACKOFF: Duration = Duration::from_millis(100);
/// The longest wait between two attempts to reconnect to Redis.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// A node's settings.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Where WebSocket clients connect.
    pub listen: SocketAddr,
    /// The Redis URL, `redis://HOST:PORT/`.
    pub redis: String,
    /// The node's name, in the messages its members publish.
    pub node: String,
}

enum Cmd {
    /// The rooms changed: subscribe and unsubscribe to match.
    Sync,
    /// Publishing on connection `generation` failed: reconnect.
    Lost(u64),
}

struct Room {
    members: HashMap<u64, mpsc::Sender<PreparedMessage>>,
    /// The node's subscription to the room is confirmed.
    active: bool,
    /// Members waiting for `active` before their welcome.
    waiting: Vec<oneshot::Sender<()>>,
}

/// The state a node's tasks share.
pub struct Node {
    name: String,
    rooms: Mutex<HashMap<String, Room>>,
    cmds: mpsc::UnboundedSender<Cmd>,
    /// The connection `PUBLISH` goes through, with its generation; `None`
    /// while Redis is unreachable.
    publisher: Mutex<Option<(u64, MultiplexedConnection)>>,
    next_client: AtomicU64,
}

/// Binds `config.listen`, prints `NODE listening on ws://ADDR/` on stdout,
/// and serves until the process ends.
pub async fn run(config: NodeConfig) -> Result<(), Box<dyn std::error::Error>> {
    let client = redis::Client::open(config.redis.as_str())?;
    let listener = TcpListener::bind(config.listen).await?;
    println!(
        "{} listening on ws://{}/",
        config.node,
        listener.local_addr()?
    );
    let (cmds, commands) = mpsc::unbounded_channel();
    let node = Arc::new(Node {
        name: config.node,
        rooms: Mutex::new(HashMap::new()),
        cmds,
        publisher: Mutex::new(None),
        next_client: AtomicU64::new(1),
    });
    tokio::spawn(redis_task(Arc::clone(&node), client, commands));
    // Compression at its defaults; the same settings for every member, so a
    // prepared message is compressed once per node where the states allow.
    let server = ServerConfig::default().with_extension(DeflateConfig::default());
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve(Arc::clone(&node), stream, server.clone()));
    }
}

/// One WebSocket connection: handshake on `/ROOM`, join, publish its
/// messages, leave.
async fn serve(node: Arc<Node>, stream: TcpStream, config: ServerConfig) {
    let mut room = None;
    let callback = |request: &sockwell_server::http::Request<()>, response: Response<()>| {
        let name = request.uri().path().trim_start_matches('/');
        if !valid_name(name) {
            let mut refusal = ErrorResponse::new(Some(
                "connect to /ROOM (letters, digits, _ - . ; at most 64)".to_owned(),
            ));
            *refusal.status_mut() = StatusCode::NOT_FOUND;
            return Err(refusal);
        }
        room = Some(name.to_owned());
        Ok::<Response<()>, ErrorResponse>(response)
    };
    let ws = match accept_hdr_async_with_config(stream, callback, config).await {
        Ok(ws) => ws,
        Err(_) => return, // refused or broken handshakes are the client's business
    };
    let room = room.expect("set by the callback");
    let (mut reader, mut writer) = ws.into_split();
    let mut closer = writer.clone();

    let client = node.next_client.fetch_add(1, Ordering::Relaxed);
    let (deliver, mut deliveries) = mpsc::channel(MEMBER_QUEUE);
    if !node.join(&room, client, deliver).await {
        return; // the node is shutting down
    }
    let welcome = Welcome {
        node: node.name.clone(),
        client,
        room: room.clone(),
    };
    if writer
        .send(Message::text(welcome.to_string()))
        .await
        .is_err()
    {
        node.leave(&room, client);
        return;
    }
    let sender = tokio::spawn(async move {
        while let Some(first) = deliveries.recv().await {
            if write_batch(&mut writer, first, &mut deliveries)
                .await
                .is_err()
            {
                return;
            }
        }
        // The room let go of this member: it fell behind.
        let _ = writer
            .close(Some(CloseFrame {
                code: CloseCode::POLICY_VIOLATION,
                reason: "too slow: messages were dropped".to_owned(),
            }))
            .await;
    });

    let mut seq = 0;
    let mut closing = false;
    loop {
        match reader.read().await {
            Ok(Message::Text(text)) if !closing => {
                seq += 1;
                let chat = Chat {
                    node: node.name.clone(),
                    client,
                    seq,
                    text: text.to_string(),
                };
                node.publish(&room, chat.to_string()).await;
            }
            Ok(Message::Binary(_)) if !closing => {
                // The chat is text; read on until the client's Close.
                closing = true;
                let refusal = CloseFrame {
                    code: CloseCode::UNSUPPORTED_DATA,
                    reason: "text messages only".to_owned(),
                };
                if closer.close(Some(refusal)).await.is_err() {
                    break;
                }
            }
            Ok(_) => {} // pings and pongs (the engine answers), or closing
            Err(_) => break,
        }
    }
    node.leave(&room, client);
    sender.abort();
}

/// Sends `first` and whatever else is queued already, then flushes once.
async fn write_batch(
    writer: &mut WsWriter<TcpStream>,
    first: PreparedMessage,
    queue: &mut mpsc::Receiver<PreparedMessage>,
) -> Result<(), WsError> {
    let mut next = Some(first);
    while let Some(message) = next.take() {
        match writer.write_prepared(&message) {
            Err(WsError::WriteBufferFull { .. }) => {
                writer.flush().await?;
                writer.write_prepared(&message)?;
            }
            other => other?,
        }
        next = queue.try_recv().ok();
    }
    writer.flush().await
}

impl Node {
    /// Adds a member and waits until the room's subscription is active.
    async fn join(&self, room: &str, client: u64, deliver: mpsc::Sender<PreparedMessage>) -> bool {
        let (ready, wait) = oneshot::channel();
        {
            let mut rooms = self.rooms.lock().unwrap();
            let entry = rooms.entry(room.to_owned()).or_insert_with(|| Room {
                members: HashMap::new(),
                active: false,
                waiting: Vec::new(),
            });
            entry.members.insert(client, deliver);
            if entry.active {
                return true;
            }
            entry.waiting.push(ready);
        }
        let _ = self.cmds.send(Cmd::Sync);
        wait.await.is_ok()
    }

    /// Removes a member; the last one out removes the room (and so its
    /// subscription).
    fn leave(&self, room: &str, client: u64) {
        let mut rooms = self.rooms.lock().unwrap();
        if let Some(entry) = rooms.get_mut(room) {
            entry.members.remove(&client);
            if entry.members.is_empty() {
                rooms.remove(room);
                let _ = self.cmds.send(Cmd::Sync);
            }
        }
    }

    /// `PUBLISH`es one message. Never retried: a message that fails here is
    /// lost, and never delivered twice.
    async fn publish(&self, room: &str, payload: String) {
        let publisher = self.publisher.lock().unwrap().clone();
        let Some((generation, mut connection)) = publisher else {
            eprintln!("redis: down, message to {room} dropped");
            return;
        };
        let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
            .arg(channel(room))
            .arg(payload)
            .query_async(&mut connection)
            .await;
        if let Err(e) = sent {
            eprintln!("redis: PUBLISH to {room} failed ({e}), message dropped");
            if e.is_connection_dropped() || e.is_io_error() || e.is_unrecoverable_error() {
                let _ = self.cmds.send(Cmd::Lost(generation));
            }
        }
    }

    /// Hands one message received from Redis to the room's members, prepared
    /// once. A member whose queue is full is dropped from the room.
    fn fan_out(&self, room: &str, payload: &[u8]) {
        let Ok(text) = std::str::from_utf8(payload) else {
            return;
        };
        let Ok(prepared) = PreparedMessage::new(Message::text(text)) else {
            return;
        };
        let mut rooms = self.rooms.lock().unwrap();
        let Some(entry) = rooms.get_mut(room) else {
            return; // the last member left; the unsubscribe is on its way
        };
        entry.members.retain(|_, member| {
            match member.try_send(prepared.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => false, // too slow: closed
                Err(mpsc::error::TrySendError::Closed(_)) => true, // leaving already
            }
        });
        if entry.members.is_empty() {
            rooms.remove(room);
            let _ = self.cmds.send(Cmd::Sync);
        }
    }

    /// The rooms that have local members.
    fn wanted(&self) -> HashSet<String> {
        self.rooms.lock().unwrap().keys().cloned().collect()
    }

    /// Marks the subscribed rooms active and lets their waiting members in.
    fn activate(&self, subscribed: &HashSet<String>) {
        let mut rooms = self.rooms.lock().unwrap();
        for (name, room) in rooms.iter_mut() {
            if subscribed.contains(name) {
                room.active = true;
                for ready in room.waiting.drain(..) {
                    let _ = ready.send(());
                }
            }
        }
    }

    /// Redis is gone: every room waits for its new subscription.
    fn deactivate(&self) {
        *self.publisher.lock().unwrap() = None;
        for room in self.rooms.lock().unwrap().values_mut() {
            room.active = false;
        }
    }
}

/// Subscribes to the rooms with members and unsubscribes from the others.
async fn sync(
    node: &Node,
    sink: &mut PubSubSink,
    subscribed: &mut HashSet<String>,
) -> redis::RedisResult<()> {
    let wanted = node.wanted();
    for room in wanted.difference(subscribed).cloned().collect::<Vec<_>>() {
        sink.subscribe(channel(&room)).await?;
        subscribed.insert(room);
    }
    for room in subscribed.difference(&wanted).cloned().collect::<Vec<_>>() {
        sink.unsubscribe(channel(&room)).await?;
        subscribed.remove(&room);
    }
    node.activate(subscribed);
    Ok(())
}

async fn connect(
    client: &redis::Client,
) -> redis::RedisResult<(PubSubSink, PubSubStream, MultiplexedConnection)> {
    let (sink, stream) = client.get_async_pubsub().await?.split();
    let publisher = client.get_multiplexed_async_connection().await?;
    Ok((sink, stream, publisher))
}

/// The node's Redis side: connects (with backoff), keeps one subscription
/// per room with local members, fans out what arrives, and starts over when
/// the connection is lost.
async fn redis_task(
    node: Arc<Node>,
    client: redis::Client,
    mut commands: mpsc::UnboundedReceiver<Cmd>,
) {
    let mut backoff = MIN_BACKOFF;
    let mut generation = 0;
    let mut ever_connected = false;
    loop {
        // Whatever ends a connection (or the attempt at one), the node
        // waits out the backoff before the next.
        let why = 'connection: {
            let attempt = tokio::time::timeout(Duration::from_secs(5), connect(&client)).await;
            let (mut sink, mut stream, publisher) = match attempt {
                Ok(Ok(connected)) => connected,
                Ok(Err(e)) => break 'connection format!("cannot connect ({e})"),
                Err(_) => break 'connection "cannot connect (timed out)".to_owned(),
            };
            generation += 1;
            *node.publisher.lock().unwrap() = Some((generation, publisher));
            let mut subscribed = HashSet::new();
            if let Err(e) = sync(&node, &mut sink, &mut subscribed).await {
                node.deactivate();
                break 'connection format!("subscribing failed ({e})");
            }
            eprintln!(
                "redis: {} (connection {generation}), subscribed to {} room(s)",
                if ever_connected {
                    "reconnected"
                } else {
                    "connected"
                },
                subscribed.len()
            );
            ever_connected = true;
            backoff = MIN_BACKOFF;
            let why = loop {
                tokio::select! {
                    command = commands.recv() => match command {
                        Some(Cmd::Sync) => {
                            if let Err(e) = sync(&node, &mut sink, &mut subscribed).await {
                                break e.to_string();
                            }
                        }
                        Some(Cmd::Lost(lost)) if lost == generation => {
                            break "PUBLISH failed".to_owned();
                        }
                        Some(Cmd::Lost(_)) => {}
                        None => return,
                    },
                    message = stream.next() => match message {
                        Some(message) => {
                            if let Some(room) = message.get_channel_name().strip_prefix("chat:") {
                                node.fan_out(room, message.get_payload_bytes());
                            }
                        }
                        None => break "subscription closed".to_owned(),
                    },
                }
            };
            node.deactivate();
            format!("connection {generation} lost ({why})")
        };
        eprintln!("redis: {why}; reconnecting in {backoff:?}");
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}
