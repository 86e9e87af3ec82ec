//! Async testee client for `wstest -m fuzzingserver`, on the tokio driver:
//! runs every case the server lists, then asks it to write its reports.
//! Usage: `autobahn-client-async [BASE_URL] [AGENT]` (default
//! `ws://127.0.0.1:9001`, `ws-rs-async`). Compression offered as the sync one.

use sockwell_client::{ClientConfig, DeflateConfig};
use sockwell_core::Message;

/// Offers permessage-deflate with `client_no_context_takeover` and a bare
/// `client_max_window_bits`, so the fuzzing server can accept with any of the
/// parameter sets of cases 13.* (it declines offers that lack them).
fn config() -> ClientConfig {
    ClientConfig::default()
        .with_extension(DeflateConfig::default().client_no_context_takeover(true))
}

/// Runs the closing handshake to its end (errors are the case's business).
async fn finish<S>(socket: &mut sockwell_client::WebSocketStream<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let _ = socket.close(None).await;
    while socket.read().await.is_ok() {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "ws://127.0.0.1:9001".into());
    let agent = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "ws-rs-async".into());

    let (mut socket, _) = sockwell_client::connect_async(format!("{base}/getCaseCount")).await?;
    let count: u32 = match socket.read().await? {
        Message::Text(text) => text.trim().parse()?,
        other => return Err(format!("unexpected case count message {other:?}").into()),
    };
    finish(&mut socket).await;

    for case in 1..=count {
        let url = format!("{base}/runCase?case={case}&agent={agent}");
        match sockwell_client::ClientBuilder::new(url)
            .config(config())
            .connect_async()
            .await
        {
            Ok((mut socket, _)) => {
                let _ = autobahn::echo_async(&mut socket).await;
            }
            Err(e) => eprintln!("case {case}: {e}"),
        }
    }

    let url = format!("{base}/updateReports?agent={agent}");
    let (mut socket, _) = sockwell_client::connect_async(url).await?;
    finish(&mut socket).await;
    println!("ran {count} cases");
    Ok(())
}
