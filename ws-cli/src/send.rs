//! `ws send FILE URL`: one file, one message, a progress line on stderr.

use crate::args::Args;
use crate::client::{connect, read_all, stalled, while_active, Ended};
use crate::config;
use crate::failure::{self, exit, Failure};
use crate::progress::{Counter, Progress};
use sockwell_client::{CloseCode, CloseFrame, Message};
use std::io::Read;
use std::path::Path;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

/// The file, or stdin for `-`.
fn read_input(file: &Path) -> Result<Vec<u8>, Failure> {
    let cannot = |e: std::io::Error| {
        Failure::new(exit::OTHER, format!("cannot read {}: {e}", file.display()))
    };
    if file.as_os_str() == "-" {
        let mut data = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut data)
            .map_err(cannot)?;
        return Ok(data);
    }
    std::fs::read(file).map_err(cannot)
}

pub async fn send(file: &Path, url: &str, args: &Args) -> Result<(), Failure> {
    let data = read_input(file)?;
    let size = data.len();
    let message = if args.text {
        let text = String::from_utf8(data).map_err(|_| {
            let complaint = format!("{} is not UTF-8 (drop --text)", file.display());
            Failure::new(exit::OTHER, complaint)
        })?;
        Message::text(text)
    } else {
        Message::binary(data)
    };
    let mut config = config::client(args);
    // The whole message is queued at once: room for it and its frame
    // headers, whatever its size (the library's default is 256 MiB).
    let room = size + size / 64 + (1 << 20);
    config.websocket.max_write_buffer_size = config.websocket.max_write_buffer_size.max(room);
    let counter = Counter::default();
    let ws = connect(url, args, config, &counter).await?;
    let compressed = ws.protocol().extensions().negotiated().next().is_some();
    let (mut reader, mut writer) = ws.into_split();
    // What the server says back (an echo, its Close) is read and dropped
    // on the side. While most of the message is still queued the driver
    // writes before it reads more, so a server that answers while still
    // receiving meets backpressure instead of growing our memory.
    let reading =
        tokio::spawn(
            async move { read_all(&mut reader, true, &AtomicUsize::new(0), |_| true).await },
        );
    let started = Instant::now();
    let progress = Progress::start(counter.clone(), (!compressed).then_some(size), args.quiet);
    let result = while_active(&counter, writer.send(message)).await;
    let wire = progress.finish();
    let elapsed = started.elapsed();
    match result {
        Some(Ok(())) => {}
        None => return Err(stalled()),
        // The server may have closed with a reason (1009: too big): say it.
        Some(Err(e)) => {
            let why = tokio::time::timeout(Duration::from_secs(2), reading).await;
            return Err(match why {
                Ok(Ok(Ended::Closed(frame))) if !failure::is_normal(frame.as_ref()) => {
                    Failure::closed("the server", frame.as_ref())
                }
                _ => Failure::new(
                    exit::ABNORMAL_CLOSE,
                    format!("sending failed: {}", failure::chain(&e)),
                ),
            });
        }
    }
    if !args.quiet {
        eprintln!(
            "sent {} ({size} bytes) as {wire} bytes on the wire in {:.2} s",
            file.display(),
            elapsed.as_secs_f64()
        );
    }
    let bye = writer.close(Some(CloseFrame::new(CloseCode::NORMAL, "")));
    if while_active(&counter, bye).await.is_none() {
        return Err(stalled());
    }
    match while_active(&counter, reading).await {
        Some(ended) => ended
            .expect("the reader does not panic")
            .outcome(Some(CloseCode::NORMAL)),
        None => Err(stalled()),
    }
}
