//! A chat room: every text message a client sends is broadcast to every
//! connected client (itself included), through a tokio broadcast channel,
//! with permessage-deflate on. Each line is prepared once
//! (`PreparedMessage`): with the server's default compression (no context
//! kept between messages) it is compressed once for the whole room, not
//! once per listener. Each connection is split: a reader task feeds the
//! room, a writer task sends what the room says (a listener that falls
//! behind the room is closed with 1013 and told how much it missed, never
//! dropped silently). Three clients in the same
//! process chat and check that everyone heard everything.
//!
//! `cargo run -p sockwell-tokio --example chat`

use sockwell_deflate::DeflateConfig;
use sockwell_tokio::{
    ClientConfig, CloseCode, CloseFrame, Message, PreparedMessage, ServerConfig, WsError,
};
use std::collections::BTreeSet;
use tokio::net::TcpListener;
use tokio::sync::broadcast;

async fn serve(listener: TcpListener, room: broadcast::Sender<PreparedMessage>) {
    let config = ServerConfig::default().with_extension(DeflateConfig::default());
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let (room, config) = (room.clone(), config.clone());
        tokio::spawn(async move {
            let Ok(ws) = sockwell_tokio::accept_async_with_config(tcp, config).await else {
                return;
            };
            let (mut reader, mut writer) = ws.into_split();
            let mut hears = room.subscribe();
            let speaking = tokio::spawn(async move {
                loop {
                    let line = match hears.recv().await {
                        Ok(line) => line,
                        // This listener fell more than the channel's 64
                        // lines behind: say so with a Close (1013, try
                        // again later) rather than leave a silent gap.
                        Err(broadcast::error::RecvError::Lagged(missed)) => {
                            let reason = format!("too slow: {missed} lines missed");
                            let frame = CloseFrame {
                                code: CloseCode::TRY_AGAIN_LATER,
                                reason,
                            };
                            let _ = writer.close(Some(frame)).await;
                            break;
                        }
                        Err(broadcast::error::RecvError::Closed) => break,
                    };
                    if writer.send_prepared(&line).await.is_err() {
                        break;
                    }
                    if line.encodings() > 1 {
                        eprintln!("a line was compressed more than once");
                    }
                }
            });
            loop {
                match reader.read().await {
                    Ok(Message::Text(line)) => {
                        // Prepared once: compressed by the first writer
                        // that sends it, shared by the others.
                        let _ = room.send(PreparedMessage::text(line));
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            speaking.abort();
        });
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (room, _) = broadcast::channel(64);
    tokio::spawn(serve(listener, room));

    let names = ["ann", "bob", "cid"];
    let mut clients = Vec::new();
    for _ in names {
        let config = ClientConfig::default().with_extension(DeflateConfig::default());
        let (ws, response) = sockwell_tokio::client_async_with_config(
            format!("ws://{addr}/"),
            tokio::net::TcpStream::connect(addr).await?,
            config,
        )
        .await?;
        if clients.is_empty() {
            let agreed = response.headers().get("sec-websocket-extensions");
            println!("negotiated: {agreed:?}");
        }
        clients.push(ws);
    }
    // Everyone is connected; now everyone speaks once.
    for (ws, name) in clients.iter_mut().zip(names) {
        ws.send(Message::text(format!("{name}: hello"))).await?;
    }
    for (ws, name) in clients.iter_mut().zip(names) {
        let mut heard = BTreeSet::new();
        while heard.len() < names.len() {
            match ws.read().await? {
                Message::Text(line) => {
                    heard.insert(line);
                }
                _ => continue,
            }
        }
        println!("{name} heard {heard:?}");
        ws.close(None).await?;
        loop {
            match ws.read().await {
                Err(WsError::ConnectionClosed) => break,
                Err(e) => return Err(e.into()),
                Ok(_) => {}
            }
        }
    }
    Ok(())
}
