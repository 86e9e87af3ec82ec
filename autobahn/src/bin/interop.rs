//! Our side of the interop runs against Python `websockets` (see `interop/run.sh`).
//!
//! `interop server ADDR [FLAGS]`: echo server with permessage-deflate, prints
//! "listening on ADDR". `interop client URL [FLAGS]`: sends messages of several
//! sizes, checks every echo byte for byte, prints what was negotiated.
//! FLAGS: `--snct --cnct --smwb N --cmwb N`, the RFC 7692 parameters, and
//! `--async` for the tokio driver instead of the sync one.

use std::net::TcpListener;
use ws_client::{ClientConfig, DeflateConfig};
use ws_core::{Error, Message};
use ws_server::ServerConfig;

const SIZES: [usize; 9] = [0, 1, 125, 126, 1000, 65535, 65536, 200_000, 1 << 20];

fn deflate(flags: &[String]) -> Result<DeflateConfig, String> {
    let mut config = DeflateConfig::default();
    let mut it = flags.iter();
    while let Some(flag) = it.next() {
        let mut bits = || -> Result<u8, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or(format!("{flag} needs a number"))
        };
        config = match flag.as_str() {
            "--snct" => config.server_no_context_takeover(true),
            "--cnct" => config.client_no_context_takeover(true),
            "--smwb" => config.server_max_window_bits(bits()?),
            "--cmwb" => config.client_max_window_bits(bits()?),
            other => return Err(format!("unknown flag {other}")),
        };
    }
    Ok(config)
}

fn payloads() -> Vec<Message> {
    let mut x = 0x2545_f491_u32;
    let mut out = Vec::new();
    for size in SIZES {
        let text: String = (0..size / 40 + 1)
            .map(|i| format!("{{\"id\": {i}, \"name\": \"item\", \"price\": 12.5}}, "))
            .collect::<String>()[..size]
            .to_owned();
        out.push(Message::text(text));
        let bytes: Vec<u8> = (0..size)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        out.push(Message::binary(bytes));
    }
    out
}

/// Checks one echo.
fn check(sent: &Message, echo: &Message) -> Result<(), Box<dyn std::error::Error>> {
    if echo != sent {
        return Err(format!("echo of a message of {} bytes differs", sent.len()).into());
    }
    Ok(())
}

fn negotiated(protocol: &ws_core::Protocol) -> String {
    let agreed: Vec<String> = protocol
        .extensions()
        .negotiated()
        .map(|e| e.to_string())
        .collect();
    agreed.join(", ")
}

#[tokio::main(flavor = "current_thread")]
async fn client_async(url: &str, flags: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let config = ClientConfig::default().with_extension(deflate(flags)?);
    let (mut ws, _) = ws_client::connect_async_with_config(url, config).await?;
    println!("negotiated: {}", negotiated(ws.protocol()));
    let messages = payloads();
    for message in &messages {
        ws.send(message.clone()).await?;
        check(message, &ws.recv().await?)?;
    }
    println!("{} messages echoed byte-exact", messages.len());
    ws.close(None).await?;
    loop {
        match ws.recv().await {
            Ok(_) => {}
            Err(Error::ConnectionClosed) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
}

#[tokio::main]
async fn server_async(addr: &str, flags: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let deflate = deflate(flags)?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let config = ServerConfig::default().with_extension(deflate.clone());
        tokio::spawn(async move {
            match ws_server::accept_async_with_config(stream, config).await {
                Ok(mut ws) => {
                    if let Err(e) = autobahn::echo_async(&mut ws).await {
                        eprintln!("interop server: {}", autobahn::error_chain(&e));
                    }
                }
                Err(e) => eprintln!("interop server: handshake: {e}"),
            }
        });
    }
}

fn client(url: &str, flags: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let config = ClientConfig::default().with_extension(deflate(flags)?);
    let (mut ws, _) = ws_client::connect_with_config(url, config)?;
    println!("negotiated: {}", negotiated(ws.protocol()));
    let messages = payloads();
    for message in &messages {
        ws.send(message.clone())?;
        check(message, &ws.read()?)?;
    }
    println!("{} messages echoed byte-exact", messages.len());
    ws.close(None)?;
    loop {
        match ws.read() {
            Ok(_) => {}
            Err(Error::ConnectionClosed) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
}

fn server(addr: &str, flags: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let deflate = deflate(flags)?;
    let listener = TcpListener::bind(addr)?;
    println!("listening on {}", listener.local_addr()?);
    for stream in listener.incoming() {
        let config = ServerConfig::default().with_extension(deflate.clone());
        let Ok(stream) = stream else { continue };
        std::thread::spawn(
            move || match ws_server::accept_with_deadline(stream, config) {
                Ok(mut ws) => {
                    if let Err(e) = autobahn::echo(&mut ws) {
                        eprintln!("interop server: {}", autobahn::error_chain(&e));
                    }
                }
                Err(e) => eprintln!("interop server: handshake: {e}"),
            },
        );
    }
    Ok(())
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let tokio = args.iter().any(|a| a == "--async");
    args.retain(|a| a != "--async");
    let result = match (args.first().map(String::as_str), tokio) {
        (Some("client"), false) if args.len() >= 2 => client(&args[1], &args[2..]),
        (Some("server"), false) if args.len() >= 2 => server(&args[1], &args[2..]),
        (Some("client"), true) if args.len() >= 2 => client_async(&args[1], &args[2..]),
        (Some("server"), true) if args.len() >= 2 => server_async(&args[1], &args[2..]),
        _ => Err(
            "usage: interop client URL [FLAGS] [--async] | interop server ADDR [FLAGS] [--async]"
                .into(),
        ),
    };
    if let Err(e) = result {
        eprintln!("interop: {e}");
        std::process::exit(1);
    }
}
