//! A client that stays connected: when the connection is lost (the server
//! restarted, the network dropped), it reconnects with exponential backoff
//! and jitter, then carries on; a message that could not be sent is sent
//! again on the new connection.
//!
//! `cargo run -p sockwell-examples --example reconnect -- ws://127.0.0.1:9001/ 5`

use sockwell_client::{connect_async, AsyncMaybeTlsStream, ConnectError, Message, WebSocketStream};
use std::hash::{BuildHasher, RandomState};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

type Ws = WebSocketStream<AsyncMaybeTlsStream<TcpStream>>;

/// How long to wait between failed attempts.
#[derive(Clone, Debug)]
pub struct Backoff {
    /// The ceiling of the first wait; it doubles after each failure...
    pub initial: Duration,
    /// ... up to this.
    pub max: Duration,
}

impl Backoff {
    /// The wait after `failed` failures in a row: a random point between
    /// half the ceiling and the ceiling (`initial * 2^failed`, capped at
    /// `max`), so that clients cut off together do not all come back in
    /// the same instant.
    pub fn delay(&self, failed: u32) -> Duration {
        let ceiling = self
            .initial
            .saturating_mul(1 << failed.min(16))
            .min(self.max);
        ceiling / 2 + ceiling.mul_f64(random_fraction() / 2.0)
    }
}

/// A number in [0, 1): std's hasher keys are random (no rand crate needed).
fn random_fraction() -> f64 {
    let bits = RandomState::new().hash_one(0u8);
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// What the client went through, for the application to show or log.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// Connected, after `failed` attempts that were not.
    Connected {
        /// Attempts that failed before this one.
        failed: u32,
    },
    /// An attempt failed; the next one comes after `wait`.
    Retrying {
        /// Why it failed.
        error: String,
        /// The backoff before the next attempt.
        wait: Duration,
    },
    /// A text message from the server.
    Received(String),
    /// The connection was lost (why); reconnecting.
    Lost(String),
}

/// Sends each line of `outgoing` as a text message and reports what
/// happens on `events`, reconnecting to `url` whenever the connection is
/// lost, until `outgoing` is closed (then it closes the connection and
/// returns). Fails only for a URL it can never connect to.
pub async fn run(
    url: &str,
    backoff: &Backoff,
    mut outgoing: mpsc::Receiver<String>,
    events: mpsc::Sender<Event>,
) -> Result<(), ConnectError> {
    let mut unsent: Option<String> = None;
    loop {
        let mut ws = connect(url, backoff, &events).await?;
        let lost = loop {
            // What failed to go out on the last connection goes first.
            let line = match unsent.take() {
                Some(line) => Some(line),
                None => tokio::select! {
                    line = outgoing.recv() => line,
                    // read() is cancel-safe: nothing is lost when a line wins.
                    message = ws.read() => match message {
                        Ok(Message::Text(text)) => {
                            let _ = events.send(Event::Received(text.to_string())).await;
                            continue;
                        }
                        // Pings are answered by the engine; after the
                        // server's Close, the next read fails: reconnect.
                        Ok(_) => continue,
                        Err(e) => break e.to_string(),
                    },
                },
            };
            let Some(line) = line else {
                // Done: close, and wait (briefly) for the server's reply.
                let _ = ws.close(None).await;
                let drain = async { while ws.read().await.is_ok() {} };
                let _ = tokio::time::timeout(Duration::from_secs(5), drain).await;
                return Ok(());
            };
            if let Err(e) = ws.send(Message::text(line.as_str())).await {
                unsent = Some(line);
                break e.to_string();
            }
        };
        let _ = events.send(Event::Lost(lost)).await;
    }
}

/// Connects, retrying with backoff; gives up only on a URL error.
async fn connect(
    url: &str,
    backoff: &Backoff,
    events: &mpsc::Sender<Event>,
) -> Result<Ws, ConnectError> {
    let mut failed = 0;
    loop {
        match connect_async(url).await {
            Ok((ws, _response)) => {
                let _ = events.send(Event::Connected { failed }).await;
                return Ok(ws);
            }
            // A malformed URL, a scheme without its TLS feature: no retry helps.
            Err(e @ ConnectError::Url(_)) => return Err(e),
            Err(e) => {
                let wait = backoff.delay(failed);
                let error = e.to_string();
                let _ = events.send(Event::Retrying { error, wait }).await;
                tokio::time::sleep(wait).await;
                failed += 1;
            }
        }
    }
}
