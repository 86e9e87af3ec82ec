//! Echo server for `wstest -m fuzzingclient`. Usage: `autobahn-server [ADDR]`
//! (default `127.0.0.1:9002`); prints the bound address on its first line.

use sockwell_server::{DeflateConfig, ServerConfig};
use std::net::TcpListener;
use std::thread;

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9002".into());
    let listener = TcpListener::bind(&addr)?;
    println!("listening on {}", listener.local_addr()?);
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let _ = stream.set_nodelay(true);
        // Accept permessage-deflate with whatever parameters the client offers.
        let config = ServerConfig::default().with_extension(DeflateConfig::default());
        thread::spawn(
            move || match sockwell_server::accept_with_deadline(stream, config) {
                Ok(mut socket) => {
                    // Errors end the connection; the engine already sent the Close.
                    if let Err(e) = autobahn::echo(&mut socket) {
                        eprintln!("connection ended: {}", autobahn::error_chain(&e));
                    }
                }
                Err(e) => eprintln!("handshake failed: {}", autobahn::error_chain(&e)),
            },
        );
    }
    Ok(())
}
