//! A server that stops cleanly on Ctrl-C or SIGTERM (the logic:
//! `examples/src/graceful_shutdown.rs`): Close 1001 to every client, their
//! replies awaited for at most 5 s.
//!
//! `cargo run -p sockwell-examples --example graceful_shutdown -- 127.0.0.1:9001`

use sockwell_examples::graceful_shutdown::{serve, signal};
use std::time::Duration;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:9001".into());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!(
        "echo on ws://{}/ (Ctrl-C or SIGTERM stops it)",
        listener.local_addr()?
    );
    let report = serve(listener, signal(), Duration::from_secs(5)).await;
    println!(
        "stopped: {} closed cleanly, {} cut off",
        report.closed, report.cut_off
    );
    Ok(())
}
