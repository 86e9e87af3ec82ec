//! A working round trip: an echo server on a free port, a client that
//! connects to it, sends a few messages and closes. Prints what the
//! handshake negotiated and what came back.
//!
//! `cargo run -p ws-client --example demo`

use std::net::TcpListener;
use std::thread;
use ws_client::{connect, CloseCode, CloseFrame, Message};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = thread::spawn(move || -> Result<(), ws_server::WsError> {
        let (stream, _) = listener.accept()?;
        let mut socket = ws_server::accept(stream)
            .map_err(|e| std::io::Error::other(format!("handshake: {e}")))?;
        loop {
            match socket.read() {
                Ok(m) if m.is_data() => socket.send(m)?,
                Ok(_) => {}
                Err(ws_server::WsError::ConnectionClosed) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    });

    let (mut socket, response) = connect(format!("ws://{addr}/demo"))?;
    println!("connected to ws://{addr}/demo: HTTP {}", response.status());
    let extensions: Vec<&str> = socket
        .protocol()
        .extensions()
        .extensions()
        .map(|e| e.name())
        .collect();
    println!(
        "negotiated extensions: {}",
        if extensions.is_empty() {
            "none".to_owned()
        } else {
            extensions.join(", ")
        }
    );
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
            Err(ws_client::WsError::ConnectionClosed) => break,
            Err(e) => return Err(e.into()),
        }
    }
    server.join().expect("server thread")?;
    println!("closing handshake complete");
    Ok(())
}
