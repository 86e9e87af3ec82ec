//! Opens many WebSocket connections to a server, sends one 1 KiB JSON text
//! message on each and waits for its echo, then keeps them open, idle: the
//! load side of `tests/idle_connections.rs` (a process of its own, so that
//! the server's memory is measured alone and each process stays under its
//! file-descriptor limit).
//!
//! Usage: `idle-clients URL COUNT [--deflate]`. Prints `connected COUNT`
//! once every connection has had its echo, then holds them (answering
//! pings) until its standard input closes.

use sockwell_client::{ClientConfig, DeflateConfig};
use sockwell_core::Message;
use std::io::Read;
use tokio::sync::Semaphore;

/// Handshakes in flight at once: keeps the server's listen backlog from
/// overflowing.
const IN_FLIGHT: usize = 256;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, count, rest @ ..] = &args[..] else {
        return Err("usage: idle-clients URL COUNT [--deflate]".into());
    };
    let count: usize = count.parse()?;
    let deflate = rest.iter().any(|a| a == "--deflate");
    let permits = std::sync::Arc::new(Semaphore::new(IN_FLIGHT));
    let (opened_tx, mut opened) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..count {
        let permit = permits.clone().acquire_owned().await?;
        let (url, opened_tx) = (url.clone(), opened_tx.clone());
        tokio::spawn(async move {
            let mut config = ClientConfig::default();
            if deflate {
                config = config.with_extension(DeflateConfig::default());
            }
            let message = Message::text(benches::json_payload(1 << 10, 7));
            let result = async {
                let (mut ws, _) = sockwell_client::ClientBuilder::new(url)
                    .config(config)
                    .connect_async()
                    .await
                    .map_err(|e| e.to_string())?;
                ws.send(message.clone()).await.map_err(|e| e.to_string())?;
                match ws.read().await {
                    Ok(echo) if echo == message => Ok(ws),
                    Ok(_) => Err("a wrong echo".to_owned()),
                    Err(e) => Err(e.to_string()),
                }
            }
            .await;
            drop(permit);
            match result {
                Ok(mut ws) => {
                    let _ = opened_tx.send(Ok(()));
                    // Idle, but alive: the engine answers the server's pings.
                    while ws.read().await.is_ok() {}
                }
                Err(e) => {
                    let _ = opened_tx.send(Err(e));
                }
            }
        });
    }
    for _ in 0..count {
        if let Some(Err(e)) = opened.recv().await {
            return Err(format!("a connection failed: {e}").into());
        }
    }
    println!("connected {count}");
    // Hold until the test closes our standard input.
    tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    })
    .await?;
    Ok(())
}
