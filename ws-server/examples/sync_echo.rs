//! A blocking echo server: a thread per connection, permessage-deflate
//! accepted, every message that arrived together answered with one write.
//!
//! `cargo run -p sockwell-server --example sync_echo -- 127.0.0.1:9001`, then
//! `cargo run -p sockwell-client --example echo_client -- ws://127.0.0.1:9001/`
//! (or `ws ws://127.0.0.1:9001/` from `sockwell-cli`). Port 0 picks a free port;
//! the first line printed says which.

use sockwell_server::{DeflateConfig, ServerConfig, WebSocket, WsError};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

fn echo(ws: &mut WebSocket<TcpStream>) -> Result<(), WsError> {
    loop {
        let message = ws.read()?; // waits for the peer
        if message.is_data() {
            ws.write(message)?; // queued, not written yet
        }
        // Everything that already arrived is answered before one flush.
        while let Some(message) = ws.read_buffered()? {
            if message.is_data() {
                ws.write(message)?;
            }
        }
        ws.flush()?;
    }
}

fn handle(tcp: TcpStream, config: ServerConfig) {
    let peer = tcp.peer_addr().map_or("?".to_owned(), |a| a.to_string());
    let _ = tcp.set_nodelay(true);
    // The keepalive (a ping after 20 s of silence, by default) runs when a
    // read comes back empty-handed: give reads a timeout so they do.
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
    let mut ws = match sockwell_server::accept_with_deadline(tcp, config) {
        Ok(ws) => ws,
        Err(e) => return eprintln!("{peer}: handshake failed: {e}"),
    };
    let agreed: Vec<String> = ws
        .protocol()
        .extensions()
        .negotiated()
        .map(ToString::to_string)
        .collect();
    println!("{peer}: connected, extensions: {agreed:?}");
    loop {
        match echo(&mut ws) {
            Err(WsError::ConnectionClosed) => return println!("{peer}: closed"),
            // A read timeout: nothing arrived; the keepalive had its turn.
            Err(WsError::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(WsError::Io(e)) if e.kind() == std::io::ErrorKind::TimedOut => continue,
            Err(e) => return eprintln!("{peer}: {e}"),
            Ok(()) => unreachable!("echo only returns with an error"),
        }
    }
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:9001".into());
    let listener = TcpListener::bind(&addr)?;
    println!("listening on ws://{}/", listener.local_addr()?);
    let config = ServerConfig::default().with_extension(DeflateConfig::default());
    for tcp in listener.incoming() {
        let Ok(tcp) = tcp else { continue };
        let config = config.clone();
        std::thread::spawn(move || handle(tcp, config));
    }
    Ok(())
}
