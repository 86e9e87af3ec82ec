//! `ws`: a WebSocket client and server at the terminal, with
//! permessage-deflate (RFC 7692) and every one of its parameters.
//!
//! ```text
//! ws serve 127.0.0.1:9001                # an echo server
//! ws ws://127.0.0.1:9001/ --show-handshake   # chat with it: stdin lines out, messages in
//! ws send big.json ws://127.0.0.1:9001/  # one file as one message, with progress
//! ```
//!
//! `ws --help` lists every option and the exit statuses.

mod args;
mod chat;
mod client;
mod config;
mod failure;
mod progress;
mod room;
mod send;
mod server;
mod tls;
mod usage;

use args::{Args, Command};
use failure::{exit, Failure};
use std::io::Write;
use usage::USAGE;

fn main() {
    let status = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => run(&args),
        Err(e) => {
            eprintln!("ws: {e}");
            exit::USAGE
        }
    };
    // The stdin thread may be blocked in a read that never ends: leave
    // without waiting for it.
    let _ = std::io::stdout().flush();
    std::process::exit(status.into());
}

/// Runs the command; its exit status.
fn run(args: &Args) -> u8 {
    // A server spreads connections over the cores (one large compression
    // does not stall the others); a client needs one thread.
    let mut builder = match args.command {
        Command::Serve { .. } => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("ws: cannot start the runtime: {e}");
            return exit::OTHER;
        }
    };
    let result = runtime.block_on(async {
        match &args.command {
            Command::Help => {
                print!("{USAGE}");
                Ok(())
            }
            Command::Version => {
                println!("ws {}", env!("CARGO_PKG_VERSION"));
                Ok(())
            }
            Command::Chat { url } => chat::chat(url, args).await,
            Command::Send { file, url } => send::send(file, url, args).await,
            Command::Serve { addr } => server::serve(addr, args).await,
        }
    });
    match result {
        Ok(()) => 0,
        Err(Failure { status, message }) => {
            // Errors carry what the peer said (reasons, bodies, headers).
            eprintln!("ws: {}", failure::printable(&message));
            status
        }
    }
}
