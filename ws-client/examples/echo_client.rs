//! A blocking client for an echo server, with permessage-deflate offered:
//! it says what was agreed, sends a text, a binary and a large text
//! message, checks that each comes back unchanged, and closes.
//!
//! `cargo run -p sockwell-client --example echo_client -- ws://127.0.0.1:9001/`
//! (against `cargo run -p sockwell-server --example sync_echo`, `ws serve`, or
//! any echo server).

use sockwell_client::{ClientConfig, CloseCode, CloseFrame, DeflateConfig, Message, WsError};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or("ws://127.0.0.1:9001/".into());
    let config = ClientConfig::default().with_extension(DeflateConfig::default());
    let (mut ws, response) = sockwell_client::ClientBuilder::new(url.as_str())
        .config(config)
        .connect()?;
    println!("connected to {url}: {}", response.status());
    for agreed in ws.protocol().extensions().negotiated() {
        println!("agreed: {agreed}");
    }
    let messages = [
        Message::text("hello"),
        Message::binary(vec![0u8, 1, 2, 3, 255]),
        Message::text("a line that compresses well. ".repeat(2000)),
    ];
    // Queued, then written together.
    for message in &messages {
        ws.write(message.clone())?;
    }
    ws.flush()?;
    for sent in &messages {
        let echoed = loop {
            match ws.read()? {
                message if message.is_data() => break message,
                _ => continue, // a ping or pong
            }
        };
        if &echoed != sent {
            return Err(format!(
                "echo differs: sent {} bytes, got {}",
                sent.len(),
                echoed.len()
            )
            .into());
        }
        println!("echoed {} bytes", echoed.len());
    }
    ws.close(Some(CloseFrame::new(CloseCode::NORMAL, "done")))?;
    // Read until the server's Close reply has arrived.
    loop {
        match ws.read() {
            Ok(Message::Close(frame)) => println!("server closed: {frame:?}"),
            Ok(_) => {}
            Err(WsError::ConnectionClosed) => break,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
