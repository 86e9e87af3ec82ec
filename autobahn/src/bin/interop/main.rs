//! Our side of the interop runs against Python `websockets` (see `interop/run.sh`).
//!
//! `interop server ADDR [FLAGS]`: echo server with permessage-deflate, prints
//! "listening on ADDR". `interop client URL [FLAGS]`: sends messages of several
//! sizes, checks every echo byte for byte, prints what was negotiated.
//! FLAGS: `--snct --cnct --smwb N --cmwb N`, the RFC 7692 parameters, and
//! `--async` for the tokio driver instead of the sync one.
//!
//! `wss://`: `interop server ADDR --tls CERT_PEM KEY_PEM` serves over TLS
//! (rustls; CERT_PEM may hold the whole chain), and `interop client
//! wss://… --ca CA_PEM` trusts that CA instead of the public roots.
//! `interop cert DIR` writes a CA (`ca.pem`) and a certificate for
//! localhost and 127.0.0.1 signed by it (`cert.pem`, `key.pem`) for such runs.
//!
//! The web glue: `interop server ADDR --axum` serves the echo on every path
//! through the axum extractor (`sockwell_server::axum`), HTTP/1.1 and HTTP/2 with
//! prior knowledge on one port, and with `--tls` ALPN `h2` and `http/1.1`;
//! `interop client URL --h2` runs its messages over an HTTP/2 extended
//! CONNECT (RFC 8441) instead of an HTTP/1.1 upgrade.

mod peers_async;
mod peers_sync;
mod tls;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sockwell_client::{ClientConfig, Connector, DeflateConfig};
use sockwell_core::{Message, WsError};
use sockwell_server::{ResumableError, ServerConfig};
use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use peers_async::{client_async, client_h2, server_async, server_axum};
use peers_sync::{client, server};
use tls::{cert, client_tls, server_tls};

type BoxError = Box<dyn std::error::Error>;

/// Takes `--NAME VALUE…` (`count` values) out of `args`.
fn take_option(
    args: &mut Vec<String>,
    name: &str,
    count: usize,
) -> Result<Option<Vec<String>>, String> {
    let Some(at) = args.iter().position(|a| a == name) else {
        return Ok(None);
    };
    if args.len() < at + 1 + count {
        return Err(format!("{name} needs {count} value(s)"));
    }
    let values = args.drain(at..at + 1 + count).skip(1).collect();
    Ok(Some(values))
}

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

fn negotiated(protocol: &sockwell_core::Protocol) -> String {
    let agreed: Vec<String> = protocol
        .extensions()
        .negotiated()
        .map(|e| e.to_string())
        .collect();
    agreed.join(", ")
}

fn run(mut args: Vec<String>) -> Result<(), Box<dyn std::error::Error>> {
    let tokio = args.iter().any(|a| a == "--async");
    let web = args.iter().any(|a| a == "--axum" || a == "--h2");
    args.retain(|a| a != "--async" && a != "--axum" && a != "--h2");
    let tls = match take_option(&mut args, "--tls", 2)? {
        Some(files) => Some(server_tls(&files[0], &files[1])?),
        None => None,
    };
    let connector = match take_option(&mut args, "--ca", 1)? {
        Some(files) => Some(client_tls(&files[0])?),
        None => None,
    };
    if web {
        return match args.first().map(String::as_str) {
            Some("client") if args.len() >= 2 => client_h2(&args[1], &args[2..], connector),
            Some("server") if args.len() >= 2 => server_axum(&args[1], &args[2..], tls),
            _ => Err("--h2 goes with client, --axum with server".into()),
        };
    }
    match (args.first().map(String::as_str), tokio) {
        (Some("cert"), _) if args.len() == 2 => Ok(cert(&args[1])?),
        (Some("client"), false) if args.len() >= 2 => client(&args[1], &args[2..], connector),
        (Some("server"), false) if args.len() >= 2 => server(&args[1], &args[2..], tls),
        (Some("client"), true) if args.len() >= 2 => client_async(&args[1], &args[2..], connector),
        (Some("server"), true) if args.len() >= 2 => server_async(&args[1], &args[2..], tls),
        _ => Err(
            "usage: interop client URL [--ca CA_PEM] [FLAGS] [--async | --h2] \
                  | interop server ADDR [--tls CERT_PEM KEY_PEM] [FLAGS] [--async | --axum] \
                  | interop cert DIR"
                .into(),
        ),
    }
}

fn main() {
    if let Err(e) = run(std::env::args().skip(1).collect()) {
        // The whole chain: the cause of a TLS failure is in a source.
        eprintln!("interop: {}", autobahn::error_chain(e.as_ref()));
        std::process::exit(1);
    }
}
