//! The tokio driver's client and server, the HTTP/2 client and the axum server.

use super::*;

#[tokio::main(flavor = "current_thread")]
pub(crate) async fn client_async(
    url: &str,
    flags: &[String],
    connector: Option<Connector>,
) -> Result<(), Box<dyn std::error::Error>> {
    let config = ClientConfig::default().with_extension(deflate(flags)?);
    let (mut ws, _) = sockwell_client::ClientBuilder::new(url)
        .config(config)
        .connector(connector)
        .connect_async()
        .await?;
    println!("negotiated: {}", negotiated(ws.protocol()));
    println!("tls: {}", if ws.get_ref().is_tls() { "on" } else { "off" });
    let messages = payloads();
    for message in &messages {
        ws.send(message.clone()).await?;
        check(message, &ws.read().await?)?;
    }
    println!("{} messages echoed byte-exact", messages.len());
    ws.close(None).await?;
    loop {
        match ws.read().await {
            Ok(_) => {}
            Err(WsError::ConnectionClosed) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
}

#[tokio::main]
pub(crate) async fn server_async(
    addr: &str,
    flags: &[String],
    tls: Option<Arc<rustls::ServerConfig>>,
) -> Result<(), Box<dyn std::error::Error>> {
    let deflate = deflate(flags)?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening on {}", listener.local_addr()?);
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let config = ServerConfig::default().with_extension(deflate.clone());
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let result = match acceptor {
                None => serve_async(stream, config).await,
                // A client that stalls in the TLS handshake is dropped
                // after the handshake timeout too.
                Some(acceptor) => {
                    let limit = config.handshake_timeout.unwrap_or(Duration::MAX);
                    match tokio::time::timeout(limit, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => serve_async(tls, config).await,
                        Ok(Err(e)) => Err(format!("TLS handshake: {e}")),
                        Err(_) => Err("TLS handshake: timed out".to_string()),
                    }
                }
            };
            if let Err(e) = result {
                eprintln!("interop server: {e}");
            }
        });
    }
}

pub(crate) async fn serve_async<S>(stream: S, config: ServerConfig) -> Result<(), String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut ws = sockwell_server::accept_async_with_config(stream, config)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    autobahn::echo_async(&mut ws)
        .await
        .map_err(|e| autobahn::error_chain(&e))
}

#[tokio::main(flavor = "current_thread")]
pub(crate) async fn client_h2(
    url: &str,
    flags: &[String],
    connector: Option<Connector>,
) -> Result<(), Box<dyn std::error::Error>> {
    let config = ClientConfig::default().with_extension(deflate(flags)?);
    let (_connection, mut ws, response) = sockwell_client::ClientBuilder::new(url)
        .config(config)
        .connector(connector)
        .connect_h2()
        .await?;
    println!("negotiated: {}", negotiated(ws.protocol()));
    println!("http2: on (status {})", response.status().as_u16());
    println!(
        "tls: {}",
        if url.starts_with("wss:") { "on" } else { "off" }
    );
    let messages = payloads();
    for message in &messages {
        ws.send(message.clone()).await?;
        check(message, &ws.read().await?)?;
    }
    println!("{} messages echoed byte-exact", messages.len());
    ws.close(None).await?;
    loop {
        match ws.read().await {
            Ok(_) => {}
            Err(WsError::ConnectionClosed) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
}

/// `server ADDR --axum`: the echo through the axum extractor, on hyper's
/// auto connection builder (HTTP/1.1, and HTTP/2 with the extended CONNECT
/// setting; over TLS with ALPN when `tls` is given).
#[tokio::main]
pub(crate) async fn server_axum(
    addr: &str,
    flags: &[String],
    tls: Option<Arc<rustls::ServerConfig>>,
) -> Result<(), Box<dyn std::error::Error>> {
    use axum::routing::any;
    use sockwell_server::axum::WebSocketUpgrade;
    let config = ServerConfig::default().with_extension(deflate(flags)?);
    let handler = move |upgrade: WebSocketUpgrade| {
        let config = config.clone();
        let version = if upgrade.is_http2() {
            "HTTP/2"
        } else {
            "HTTP/1.1"
        };
        async move {
            upgrade.config(config).on_upgrade(move |mut ws| async move {
                if let Err(e) = autobahn::echo_async(ws.get_mut()).await {
                    eprintln!("interop server ({version}): {}", autobahn::error_chain(&e));
                }
            })
        }
    };
    let app = axum::Router::new().fallback(any(handler));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening on {}", listener.local_addr()?);
    let acceptor = tls.map(|tls| {
        let mut tls = (*tls).clone();
        tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        tokio_rustls::TlsAcceptor::from(Arc::new(tls))
    });
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let mut builder =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            builder.http2().enable_connect_protocol();
            let service = hyper_util::service::TowerToHyperService::new(app);
            let served = match acceptor {
                None => {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    builder.serve_connection_with_upgrades(io, service).await
                }
                Some(acceptor) => {
                    let limit = Duration::from_secs(10);
                    let tls = match tokio::time::timeout(limit, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => tls,
                        Ok(Err(e)) => return eprintln!("interop server: TLS handshake: {e}"),
                        Err(_) => return eprintln!("interop server: TLS handshake: timed out"),
                    };
                    let io = hyper_util::rt::TokioIo::new(tls);
                    builder.serve_connection_with_upgrades(io, service).await
                }
            };
            if let Err(e) = served {
                eprintln!("interop server: HTTP: {e}");
            }
        });
    }
}
