//! A blocking connection split across threads: one thread writes a
//! numbered stream of messages (two writer handles, from two threads,
//! through the same lock, so frames never interleave), the main thread
//! reads the echoes and checks that each thread's messages come back whole
//! and in the order that thread sent them. Pings from the server are
//! answered by the reading half on its own.
//!
//! `cargo run -p sockwell-examples --example split_threads`

use sockwell_client::{ClientConfig, CloseCode, CloseFrame, DeflateConfig, Message, WsError};
use std::net::{TcpListener, TcpStream};

/// An echo server for one connection, in a thread, that pings first.
fn echo_server(listener: TcpListener) {
    std::thread::spawn(
        move || -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
            let (tcp, _) = listener.accept()?;
            let config =
                sockwell_server::ServerConfig::default().with_extension(DeflateConfig::default());
            let mut ws = sockwell_server::accept_with_deadline(tcp, config)?;
            ws.send(Message::ping(&b"are you there"[..]))?;
            loop {
                match ws.read() {
                    Ok(message) if message.is_data() => ws.send(message)?,
                    Ok(_) => {}
                    Err(WsError::ConnectionClosed) => return Ok(()),
                    Err(e) => return Err(e.into()),
                }
            }
        },
    );
}

const PER_THREAD: usize = 500;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    echo_server(listener);

    let tcp = TcpStream::connect(addr)?;
    let config = ClientConfig::default().with_extension(DeflateConfig::default());
    let (ws, _) =
        sockwell_client::client_with_config(format!("ws://{addr}/"), tcp.try_clone()?, config)
            .map_err(|e| format!("handshake: {e:?}"))?;
    // The socket keeps `tcp` for reading; the writers get a second handle.
    let (mut reader, writer) = ws.split(tcp);

    let writers: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|name| {
            let writer = writer.clone();
            std::thread::spawn(move || -> Result<(), WsError> {
                for i in 0..PER_THREAD {
                    writer.send(Message::text(format!("{name} {i}")))?;
                }
                Ok(())
            })
        })
        .collect();

    let mut next = [0usize; 2];
    while next.iter().sum::<usize>() < 2 * PER_THREAD {
        let Message::Text(text) = reader.read()? else {
            continue; // the ping was answered by the engine
        };
        let (name, i) = text.split_once(' ').ok_or("malformed echo")?;
        let slot = usize::from(name == "b");
        if i.parse::<usize>()? != next[slot] {
            return Err(format!("thread {name}: expected {}, got {i}", next[slot]).into());
        }
        next[slot] += 1;
    }
    for handle in writers {
        handle.join().expect("writer thread")?;
    }
    println!(
        "{} echoes from 2 writer threads, each in order",
        2 * PER_THREAD
    );

    writer.close(Some(CloseFrame::new(CloseCode::NORMAL, "done")))?;
    loop {
        match reader.read() {
            Err(WsError::ConnectionClosed) => break,
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
    }
    println!("closed");
    Ok(())
}
