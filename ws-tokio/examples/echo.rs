//! An async echo server that batches: it receives what arrived, answers all
//! of it (`try_recv` + `feed`), then flushes once. A client in the same
//! process sends a burst with compression on and checks the echoes.
//!
//! `cargo run -p sockwell-tokio --example echo` (or `-- serve 127.0.0.1:9002` to
//! only serve).

use sockwell_deflate::DeflateConfig;
use sockwell_tokio::{ClientConfig, Message, ServerConfig, WebSocketStream, WsError};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;

async fn echo<S: AsyncRead + AsyncWrite + Unpin>(
    ws: &mut WebSocketStream<S>,
) -> Result<(), WsError> {
    loop {
        let mut next = Some(ws.read().await?);
        while let Some(message) = next {
            if message.is_data() {
                ws.write(message)?;
            }
            next = ws.read_buffered()?;
        }
        ws.flush().await?; // one write for the whole batch
    }
}

async fn serve(listener: TcpListener) {
    loop {
        let Ok((tcp, peer)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let config = ServerConfig::default().with_extension(DeflateConfig::default());
            match sockwell_tokio::accept_async_with_config(tcp, config).await {
                Ok(mut ws) => match echo(&mut ws).await {
                    Err(WsError::ConnectionClosed) | Ok(()) => {}
                    Err(e) => eprintln!("{peer}: {e}"),
                },
                Err(e) => eprintln!("{peer}: handshake: {e}"),
            }
        });
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [mode, addr] = &args[..] {
        if mode == "serve" {
            let listener = TcpListener::bind(addr).await?;
            println!("echo server on ws://{}", listener.local_addr()?);
            serve(listener).await;
        }
    }
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(serve(listener));

    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let config = ClientConfig::default().with_extension(DeflateConfig::default());
    let (mut ws, _) =
        sockwell_tokio::client_async_with_config(format!("ws://{addr}/"), tcp, config).await?;
    for agreed in ws.protocol().extensions().negotiated() {
        println!("negotiated: {agreed}");
    }
    // A burst: fed, then flushed with one write.
    for i in 0..100 {
        ws.write(Message::text(format!("message {i}")))?;
    }
    ws.flush().await?;
    for i in 0..100 {
        assert_eq!(ws.read().await?, Message::text(format!("message {i}")));
    }
    println!("100 echoes received");
    ws.close(None).await?;
    while ws.read().await.is_ok() {}
    println!("closed");
    Ok(())
}
