//! Testee client for `wstest -m fuzzingserver`: runs every case the server
//! lists, then asks it to write its reports.
//! Usage: `autobahn-client [BASE_URL] [AGENT]` (default `ws://127.0.0.1:9001`, `ws-rs`).

use sockwell_client::{ClientConfig, DeflateConfig};
use sockwell_core::Message;

/// Offers permessage-deflate with `client_no_context_takeover` and a bare
/// `client_max_window_bits`, so the fuzzing server can accept with any of the
/// parameter sets of cases 13.* (it declines offers that lack them).
fn config() -> ClientConfig {
    ClientConfig::default()
        .with_extension(DeflateConfig::default().client_no_context_takeover(true))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "ws://127.0.0.1:9001".into());
    let agent = std::env::args().nth(2).unwrap_or_else(|| "ws-rs".into());

    let (mut socket, _) = sockwell_client::connect(format!("{base}/getCaseCount"))?;
    let count: u32 = match socket.read()? {
        Message::Text(text) => text.trim().parse()?,
        other => return Err(format!("unexpected case count message {other:?}").into()),
    };
    let _ = socket.close(None);
    while socket.read().is_ok() {}

    for case in 1..=count {
        let url = format!("{base}/runCase?case={case}&agent={agent}");
        match sockwell_client::ClientBuilder::new(url)
            .config(config())
            .connect()
        {
            Ok((mut socket, _)) => {
                let _ = autobahn::echo(&mut socket);
            }
            Err(e) => eprintln!("case {case}: {e}"),
        }
    }

    let (mut socket, _) = sockwell_client::connect(format!("{base}/updateReports?agent={agent}"))?;
    let _ = socket.close(None);
    while socket.read().is_ok() {}
    println!("ran {count} cases");
    Ok(())
}
