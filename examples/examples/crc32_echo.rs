//! A custom extension on a real connection: `x-crc32` negotiated beside
//! permessage-deflate over TCP, as `permessage-deflate, x-crc32` (so the
//! checksum covers the compressed bytes). Prints what was agreed and checks
//! an echo.
//!
//! `cargo run -p sockwell-examples --example crc32_echo`

use custom_extension::Crc32Config;
use sockwell_client::{ClientConfig, DeflateConfig, Message, WsError};
use sockwell_server::ServerConfig;
use std::net::TcpListener;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    // Both sides list the same extensions; the client's order decides.
    let server = std::thread::spawn(move || -> Result<(), WsError> {
        let (tcp, _) = listener.accept().map_err(WsError::Io)?;
        let config = ServerConfig::default()
            .with_extension(DeflateConfig::default())
            .with_extension(Crc32Config::default());
        let mut ws = sockwell_server::accept_with_deadline(tcp, config)
            .map_err(|e| WsError::Io(std::io::Error::other(e)))?;
        loop {
            match ws.read() {
                Ok(message) if message.is_data() => ws.send(message)?,
                Ok(_) => {}
                Err(WsError::ConnectionClosed) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    });

    let config = ClientConfig::default()
        .with_extension(DeflateConfig::default())
        .with_extension(Crc32Config::default());
    let (mut ws, response) = sockwell_client::ClientBuilder::new(format!("ws://{addr}/"))
        .config(config)
        .connect()?;
    println!(
        "Sec-WebSocket-Extensions: {:?}",
        response.headers().get("sec-websocket-extensions")
    );
    for agreed in ws.protocol().extensions().negotiated() {
        println!("agreed: {agreed}");
    }
    let sent = Message::text("checked and compressed ".repeat(100));
    ws.send(sent.clone())?;
    let echoed = ws.read()?;
    assert_eq!(echoed, sent, "the echo differs");
    println!(
        "echo of {} bytes passed both extensions both ways",
        sent.len()
    );
    ws.close(None)?;
    while !matches!(ws.read(), Err(WsError::ConnectionClosed)) {}
    server.join().expect("server thread")?;
    Ok(())
}
