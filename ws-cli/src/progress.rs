//! Bytes written to and read from the socket, counted: for the progress
//! line of `ws send` on stderr, and to tell a slow peer from a silent one.

use std::io::IsTerminal;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How often the progress line is redrawn.
const TICK: Duration = Duration::from_millis(250);

/// Counts of bytes written and read, shared with whoever reports them.
#[derive(Clone, Debug, Default)]
pub struct Counter(Arc<[AtomicU64; 2]>);

const WRITTEN: usize = 0;
const READ: usize = 1;

impl Counter {
    pub fn wrap<S>(&self, stream: S) -> Counted<S> {
        Counted {
            stream,
            counter: self.clone(),
        }
    }

    /// Bytes written.
    pub fn get(&self) -> u64 {
        self.0[WRITTEN].load(Ordering::Relaxed)
    }

    /// Bytes moved either way: changes while the peer makes progress.
    pub fn activity(&self) -> u64 {
        self.0[WRITTEN].load(Ordering::Relaxed) + self.0[READ].load(Ordering::Relaxed)
    }

    fn add(&self, which: usize, n: usize) {
        self.0[which].fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// A stream whose reads and writes are counted.
#[derive(Debug)]
pub struct Counted<S> {
    stream: S,
    counter: Counter,
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.stream).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = result {
            self.counter.add(READ, buf.filled().len() - before);
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.stream).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = result {
            self.counter.add(WRITTEN, n);
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = result {
            self.counter.add(WRITTEN, n);
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// `1.5 MiB`.
pub fn human(bytes: f64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} {}", UNITS[0])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `(74 % saved)`: how much smaller `wire` is than `read`.
pub fn saved(read: u64, wire: u64) -> String {
    if read == 0 {
        return String::new();
    }
    let saved = 100.0 - wire as f64 / read as f64 * 100.0;
    format!(" ({saved:.0} % saved)")
}

/// The progress line, redrawn every [`TICK`] while a transfer runs:
/// bytes read from the input (and a percentage when its size is known),
/// bytes on the wire (with compression: and the share saved), the rate.
pub struct Progress {
    counter: Counter,
    base: u64,
    ticker: Option<tokio::task::JoinHandle<()>>,
    /// Set once a line was drawn on a terminal (it then needs ending).
    drawn: Arc<std::sync::atomic::AtomicBool>,
}

impl Progress {
    /// `read`: bytes taken from the input so far; `total`: its size, if
    /// known; `compressed`: the wire carries them compressed.
    pub fn start(
        counter: Counter,
        read: Arc<AtomicU64>,
        total: Option<u64>,
        compressed: bool,
        quiet: bool,
    ) -> Progress {
        let base = counter.get();
        let drawn = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let ticker = (!quiet).then(|| {
            let counter = counter.clone();
            let drawn = drawn.clone();
            // A terminal gets one line redrawn; a file or pipe a line per second.
            let terminal = std::io::stderr().is_terminal();
            tokio::spawn(async move {
                let started = Instant::now();
                let mut ticks = 0u32;
                loop {
                    tokio::time::sleep(TICK).await;
                    ticks += 1;
                    if !terminal && !ticks.is_multiple_of(4) {
                        continue;
                    }
                    let taken = read.load(Ordering::Relaxed);
                    let sent = counter.get().saturating_sub(base);
                    let rate = sent as f64 / started.elapsed().as_secs_f64();
                    let percent = total
                        .filter(|&t| t > 0)
                        .map(|t| {
                            format!(" ({:.0} %)", (taken as f64 / t as f64 * 100.0).min(100.0))
                        })
                        .unwrap_or_default();
                    let saved = if compressed {
                        saved(taken, sent)
                    } else {
                        String::new()
                    };
                    let line = format!(
                        "read {}{percent}, sent {} on the wire{saved}, {}/s",
                        human(taken as f64),
                        human(sent as f64),
                        human(rate)
                    );
                    if terminal {
                        drawn.store(true, Ordering::Relaxed);
                        eprint!("\r{line}   ");
                    } else {
                        eprintln!("{line}");
                    }
                }
            })
        });
        Progress {
            counter,
            base,
            ticker,
            drawn,
        }
    }

    /// Stops the line; the bytes written since the start.
    pub fn finish(self) -> u64 {
        if let Some(ticker) = self.ticker {
            ticker.abort();
            if self.drawn.load(Ordering::Relaxed) {
                eprintln!();
            }
        }
        self.counter.get() - self.base
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[test]
    fn human_sizes() {
        assert_eq!(human(512.0), "512 B");
        assert_eq!(human(1536.0), "1.5 KiB");
        assert_eq!(human(3.0 * 1024.0 * 1024.0), "3.0 MiB");
        assert_eq!(saved(1000, 260), " (74 % saved)");
        assert_eq!(saved(0, 10), "");
    }

    #[tokio::test]
    async fn writes_are_counted() {
        let counter = Counter::default();
        let (a, mut peer) = tokio::io::duplex(64);
        let mut counted = counter.wrap(a);
        counted.write_all(b"hello").await.unwrap();
        counted.write_all(b", world").await.unwrap();
        assert_eq!(counter.get(), 12);
        peer.write_all(b"back").await.unwrap();
        let mut got = [0; 4];
        tokio::io::AsyncReadExt::read_exact(&mut counted, &mut got)
            .await
            .unwrap();
        assert_eq!((counter.get(), counter.activity()), (12, 16));
    }
}
