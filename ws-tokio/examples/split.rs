//! Split a connection into a reader task and a writer task, then reunite
//! them. The writer sends a numbered stream while the reader takes the
//! echoes (and its engine answers the server's pings on its own).
//!
//! `cargo run -p sockwell-tokio --example split`

use sockwell_tokio::{Message, WsError};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        let mut ws = sockwell_tokio::accept_async(tcp).await?;
        ws.send(Message::Ping(b"hi".to_vec().into())).await?;
        loop {
            match ws.read().await {
                Ok(m) if m.is_data() => ws.send(m).await?,
                Ok(_) => {}
                Err(WsError::ConnectionClosed) => {
                    return Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
                }
                Err(e) => return Err(e.into()),
            }
        }
    });

    let (ws, _) = sockwell_tokio::client_async(
        format!("ws://{addr}/"),
        tokio::net::TcpStream::connect(addr).await?,
    )
    .await?;
    let (mut reader, mut writer) = ws.into_split();
    let sending = tokio::spawn(async move {
        for i in 0..1000u32 {
            writer
                .send(Message::binary(i.to_be_bytes().to_vec()))
                .await?;
        }
        Ok::<_, WsError>(writer)
    });
    let mut next = 0u32;
    while next < 1000 {
        match reader.read().await? {
            Message::Binary(b) => {
                assert_eq!(b[..], next.to_be_bytes());
                next += 1;
            }
            Message::Ping(p) => println!(
                "server pinged {:?}; the reader answered",
                String::from_utf8_lossy(&p)
            ),
            _ => {}
        }
    }
    println!("1000 echoes in order");
    let writer = sending.await??;
    let mut ws = reader.reunite(writer)?;
    ws.close(None).await?;
    while ws.read().await.is_ok() {}
    println!("reunited and closed");
    Ok(())
}
