//! An async (tokio) client with permessage-deflate offered, for `ws://` or
//! `wss://` (certificates checked against the Mozilla roots): it says what
//! the server agreed to, sends two text messages, checks that each comes
//! back unchanged (an echo server), and closes.
//!
//! `cargo run -p sockwell-client --features tokio-rustls --example async_client -- wss://HOST/PATH`
//! (or `ws://127.0.0.1:9001/` against `ws serve 127.0.0.1:9001`).

use sockwell_client::{
    ClientBuilder, ClientConfig, CloseCode, CloseFrame, DeflateConfig, Message, WsError,
};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .ok_or("usage: async_client ws://HOST[:PORT]/PATH or wss://...")?;
    // Offer compression with its default settings; the server may decline.
    let config = ClientConfig::default().with_extension(DeflateConfig::default());
    let (mut ws, response) = ClientBuilder::new(url.as_str())
        .config(config)
        .connect_async()
        .await?;
    println!("connected to {url}: {}", response.status());
    let mut agreed = ws.protocol().extensions().negotiated().peekable();
    if agreed.peek().is_none() {
        println!("no extension agreed (the server declined compression)");
    }
    for extension in agreed {
        println!("agreed: {extension}");
    }

    let long = "a line that compresses well. ".repeat(1000);
    for text in ["hello", long.as_str()] {
        ws.send(Message::text(text)).await?;
        // The next text or binary message (pings are answered by the engine).
        let echoed = loop {
            match ws.read().await? {
                message if message.is_data() => break message,
                _ => {}
            }
        };
        if echoed.as_text() != Some(text) {
            return Err(format!(
                "echo differs: sent {} bytes, got {}",
                text.len(),
                echoed.len()
            )
            .into());
        }
        println!("echoed {} bytes", text.len());
    }

    ws.close(Some(CloseFrame::new(CloseCode::NORMAL, "done")))
        .await?;
    // Read until the server's Close reply.
    loop {
        match ws.read().await {
            Ok(Message::Close(frame)) => println!("server closed: {frame:?}"),
            Ok(_) => {}
            Err(WsError::ConnectionClosed) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
}
