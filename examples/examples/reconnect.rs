//! A client that reconnects with backoff (the logic: `examples/src/reconnect.rs`).
//! It sends COUNT numbered messages, one every half second, prints what
//! happens (stop and restart the server meanwhile to see it reconnect),
//! and exits once every message came back.
//!
//! `cargo run -p sockwell-examples --example reconnect -- ws://127.0.0.1:9001/ 5`
//! (against `ws serve 127.0.0.1:9001`, an echo server).

use sockwell_examples::reconnect::{run, Backoff, Event};
use std::time::Duration;
use tokio::sync::mpsc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().unwrap_or("ws://127.0.0.1:9001/".into());
    let count: usize = args.next().map_or(Ok(5), |n| n.parse())?;
    let backoff = Backoff {
        initial: Duration::from_millis(200),
        max: Duration::from_secs(10),
    };
    let (lines, outgoing) = mpsc::channel(16);
    let (events, mut event) = mpsc::channel(16);
    let client = tokio::spawn(async move { run(&url, &backoff, outgoing, events).await });

    let (mut sent, mut echoed) = (0, 0);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    while echoed < count {
        tokio::select! {
            _ = tick.tick(), if sent < count => {
                sent += 1;
                lines.send(format!("message {sent}")).await?;
            }
            event = event.recv() => match event {
                Some(event) => {
                    println!("{event:?}");
                    echoed += matches!(event, Event::Received(_)) as usize;
                }
                None => break, // the client gave up: its error is below
            },
        }
    }
    // Closing the channel tells the client to close the connection.
    drop(lines);
    client.await??;
    Ok(())
}
