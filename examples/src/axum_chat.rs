//! A chat server in axum: a page at `/`, rooms at `/ws/{room}`.
//!
//! - Each message a member sends is prepared once ([`PreparedMessage`]) and
//!   sent to every member of its room with `send_prepared`: the frames
//!   (compressed once, permessage-deflate being on) are shared by all the
//!   members that can take the same bytes.
//! - Each member has a bounded queue (a tokio `broadcast` receiver of
//!   `queue` messages). A member that falls further behind is not dropped
//!   silently: it gets a Close 1013 (try again later) saying how many
//!   messages it missed, and may reconnect.
//!
//! `cargo run -p sockwell-examples --example axum_chat -- 127.0.0.1:3000`

use axum::extract::{Path, State};
use axum::response::{Html, Response};
use axum::routing::{any, get};
use axum::Router;
use sockwell_server::axum::{WebSocket, WebSocketUpgrade};
use sockwell_server::{CloseCode, CloseFrame, DeflateConfig, PreparedMessage, ServerConfig};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast::{self, error::RecvError, Receiver, Sender};

/// The rooms by name, each a broadcast channel of prepared messages.
#[derive(Clone)]
struct Chat {
    rooms: Arc<Mutex<HashMap<String, Sender<PreparedMessage>>>>,
    /// How many messages a member may be behind before it is told to leave.
    queue: usize,
}

/// The app: the page at `/`, a room at `/ws/{room}` (created by its first
/// member, removed with its last), each member `queue` messages of slack.
pub fn app(queue: usize) -> Router {
    let chat = Chat {
        rooms: Arc::default(),
        queue,
    };
    Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        // any(), not get(): WebSockets over HTTP/2 arrive as CONNECT.
        .route("/ws/{room}", any(join))
        .with_state(chat)
}

async fn join(
    ws: WebSocketUpgrade,
    Path(room): Path<String>,
    State(chat): State<Chat>,
) -> Response {
    let (sender, inbox) = {
        let mut rooms = chat.rooms.lock().unwrap();
        let sender = rooms
            .entry(room.clone())
            .or_insert_with(|| broadcast::channel(chat.queue).0);
        // Subscribed before the 101 answer: the member gets every message
        // sent after its connect returned.
        (sender.clone(), sender.subscribe())
    };
    let config = ServerConfig::default().with_extension(DeflateConfig::default());
    ws.config(config).on_upgrade(move |socket| async move {
        member(socket, sender, inbox).await;
        // The last one out removes the room.
        chat.rooms
            .lock()
            .unwrap()
            .retain(|_, s| s.receiver_count() > 0);
    })
}

/// One member: its messages go to the room, the room's come to it.
async fn member(
    socket: WebSocket,
    room: Sender<PreparedMessage>,
    mut inbox: Receiver<PreparedMessage>,
) {
    // The engine's stream, split: a task writes while this one reads.
    let (mut reader, mut writer) = socket.into_inner().into_split();
    let forward = tokio::spawn(async move {
        loop {
            match inbox.recv().await {
                Ok(prepared) => {
                    if writer.send_prepared(&prepared).await.is_err() {
                        return; // the connection is over
                    }
                }
                // More than `queue` messages behind: say so and close.
                Err(RecvError::Lagged(missed)) => {
                    let reason = format!("too slow: {missed} messages missed");
                    let frame = CloseFrame::new(CloseCode::TRY_AGAIN_LATER, reason);
                    let _ = writer.close(Some(frame)).await;
                    return;
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
    // Read until the member's Close (or its reply to ours) or an error;
    // pings are answered by the engine.
    while let Ok(message) = reader.read().await {
        if message.is_data() {
            // Prepared once, however many members the room has.
            let prepared = PreparedMessage::new(message).expect("a data message");
            // Fails only when no member is left to receive it.
            let _ = room.send(prepared);
        }
    }
    forward.abort();
    let _ = forward.await; // its receiver dropped before the room is checked
}

/// The page: pick a room, chat in it.
const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8"><title>sockwell chat</title>
<input id="room" value="lobby"><button id="join">join</button>
<pre id="log"></pre><input id="line" placeholder="say something" disabled>
<script>
let ws;
const log = (text) => document.getElementById("log").textContent += text + "\n";
document.getElementById("join").onclick = () => {
  if (ws) ws.close();
  const room = encodeURIComponent(document.getElementById("room").value);
  ws = new WebSocket(`ws://${location.host}/ws/${room}`);
  ws.onopen = () => { log(`joined ${room}`); line.disabled = false; };
  ws.onmessage = (event) => log(event.data);
  ws.onclose = (event) => log(`closed: ${event.code} ${event.reason}`);
};
const line = document.getElementById("line");
line.onkeydown = (event) => {
  if (event.key === "Enter" && line.value) { ws.send(line.value); line.value = ""; }
};
</script>
"#;
