//! Async echo server for `wstest -m fuzzingclient`, on the tokio driver.
//! Usage: `autobahn-server-async [ADDR]` (default `127.0.0.1:9002`); prints
//! the bound address on its first line. Compression on, as the sync one.

use sockwell_server::{DeflateConfig, ServerConfig};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9002".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        // Accept permessage-deflate with whatever parameters the client offers.
        let config = ServerConfig::default().with_extension(DeflateConfig::default());
        tokio::spawn(async move {
            match sockwell_server::accept_async_with_config(stream, config).await {
                Ok(mut socket) => {
                    // Errors end the connection; the engine already sent the Close.
                    if let Err(e) = autobahn::echo_async(&mut socket).await {
                        eprintln!("connection ended: {}", autobahn::error_chain(&e));
                    }
                }
                Err(e) => eprintln!("handshake failed: {}", autobahn::error_chain(&e)),
            }
        });
    }
}
