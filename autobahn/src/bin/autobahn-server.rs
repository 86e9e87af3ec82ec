//! Echo server for `wstest -m fuzzingclient`. Usage: `autobahn-server [ADDR]`
//! (default `127.0.0.1:9002`); prints the bound address on its first line.

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
        thread::spawn(move || match ws_server::accept(stream) {
            Ok(mut socket) => {
                // Errors end the connection; the engine already sent the Close.
                let _ = autobahn::echo(&mut socket);
            }
            Err(e) => eprintln!("handshake failed: {e:?}"),
        });
    }
    Ok(())
}
