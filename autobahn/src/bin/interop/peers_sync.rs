//! The sync driver's client and server (plain and TLS).

use super::*;

pub(crate) fn client(
    url: &str,
    flags: &[String],
    connector: Option<Connector>,
) -> Result<(), Box<dyn std::error::Error>> {
    let config = ClientConfig::default().with_extension(deflate(flags)?);
    let (mut ws, _) = sockwell_client::ClientBuilder::new(url)
        .config(config)
        .connector(connector)
        .connect()?;
    println!("negotiated: {}", negotiated(ws.protocol()));
    println!("tls: {}", if ws.get_ref().is_tls() { "on" } else { "off" });
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
            Err(WsError::ConnectionClosed) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
}

pub(crate) fn server(
    addr: &str,
    flags: &[String],
    tls: Option<Arc<rustls::ServerConfig>>,
) -> Result<(), Box<dyn std::error::Error>> {
    let deflate = deflate(flags)?;
    let listener = TcpListener::bind(addr)?;
    println!("listening on {}", listener.local_addr()?);
    for stream in listener.incoming() {
        let config = ServerConfig::default().with_extension(deflate.clone());
        let Ok(stream) = stream else { continue };
        let tls = tls.clone();
        std::thread::spawn(move || {
            let result = match tls {
                None => sockwell_server::accept_with_deadline(stream, config)
                    .map_err(|e| format!("handshake: {e}"))
                    .and_then(|mut ws| {
                        autobahn::echo(&mut ws).map_err(|e| autobahn::error_chain(&e))
                    }),
                Some(tls) => serve_tls(stream, tls, config),
            };
            if let Err(e) = result {
                eprintln!("interop server: {e}");
            }
        });
    }
    Ok(())
}

/// The sync echo over rustls. The TLS handshake is driven to completion
/// first, under the same deadline as the WebSocket handshake, so a stall
/// names the layer it happened in; short socket timeouts during both
/// handshakes let the deadline be checked between reads.
pub(crate) fn serve_tls(
    mut tcp: TcpStream,
    tls: Arc<rustls::ServerConfig>,
    config: ServerConfig,
) -> Result<(), String> {
    let started = std::time::Instant::now();
    let limit = config.handshake_timeout.unwrap_or(Duration::from_secs(10));
    let tick = Some(Duration::from_millis(250));
    tcp.set_read_timeout(tick).map_err(|e| e.to_string())?;
    tcp.set_write_timeout(tick).map_err(|e| e.to_string())?;
    let mut conn = rustls::ServerConnection::new(tls).map_err(|e| e.to_string())?;
    let (mut read, mut written) = (0, 0);
    while conn.is_handshaking() {
        if started.elapsed() > limit {
            return Err(format!(
                "TLS handshake: not complete after {:?} ({read} bytes read, {written} written)",
                started.elapsed()
            ));
        }
        match conn.complete_io(&mut tcp) {
            Ok((r, w)) => (read, written) = (read + r, written + w),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(format!("TLS handshake: {e}")),
        }
    }
    let tls_done = started.elapsed();
    let mut attempt =
        sockwell_server::accept_with_config(rustls::StreamOwned::new(conn, tcp), config);
    let mut ws = loop {
        match attempt {
            Ok(ws) => break ws,
            Err(ResumableError::Interrupted(mid)) => attempt = mid.handshake().map(|(ws, _)| ws),
            Err(ResumableError::Failure(e)) => {
                return Err(format!(
                    "WebSocket handshake after TLS (TLS took {tls_done:?}): {}",
                    autobahn::error_chain(&e)
                ))
            }
        }
    };
    let sock = &ws.get_ref().sock;
    sock.set_read_timeout(None).map_err(|e| e.to_string())?;
    sock.set_write_timeout(None).map_err(|e| e.to_string())?;
    autobahn::echo(&mut ws).map_err(|e| autobahn::error_chain(&e))
}
