//! A working round trip with compression on both ends: an echo server on a
//! free port, a client that connects to it, sends a few messages and closes.
//! Prints what the handshake negotiated and what came back.
//!
//! `cargo run -p sockwell-examples --example demo`

use sockwell_client::{ClientBuilder, ClientConfig, CloseCode, CloseFrame, DeflateConfig, Message};
use sockwell_server::ServerConfig;
use std::net::TcpListener;
use std::thread;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = thread::spawn(move || -> Result<(), sockwell_server::WsError> {
        let (stream, _) = listener.accept()?;
        let config = ServerConfig::default().with_extension(DeflateConfig::default());
        let mut socket = sockwell_server::accept_with_deadline(stream, config)
            .map_err(|e| std::io::Error::other(format!("handshake: {e}")))?;
        loop {
            match socket.read() {
                Ok(m) if m.is_data() => socket.send(m)?,
                Ok(_) => {}
                Err(sockwell_server::WsError::ConnectionClosed) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    });

    // One line turns compression on; the server above accepts it.
    let config =
        ClientConfig::default().with_extension(DeflateConfig::default().client_max_window_bits(12));
    let (mut socket, response) = ClientBuilder::new(format!("ws://{addr}/demo"))
        .config(config)
        .connect()?;
    println!("connected to ws://{addr}/demo: HTTP {}", response.status());
    let agreed: Vec<String> = socket
        .protocol()
        .extensions()
        .negotiated()
        .map(|e| e.to_string())
        .collect();
    println!("negotiated extensions: {}", agreed.join(", "));
    for message in [
        Message::text("hello"),
        Message::text("ä€𝄞 ".repeat(1000)),
        Message::binary(vec![0xAB; 100_000]),
    ] {
        let sent_len = message.len();
        socket.send(message)?;
        let echo = socket.read()?;
        println!("sent {sent_len} bytes, echo of {} bytes", echo.len());
    }
    socket.close(Some(CloseFrame::new(CloseCode::NORMAL, "done")))?;
    loop {
        match socket.read() {
            Ok(Message::Close(frame)) => println!("server closed with {frame:?}"),
            Ok(_) => {}
            Err(sockwell_client::WsError::ConnectionClosed) => break,
            Err(e) => return Err(e.into()),
        }
    }
    server.join().expect("server thread")?;
    println!("closing handshake complete");
    Ok(())
}
