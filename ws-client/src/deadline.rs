//! One deadline for the whole of [`connect`](crate::connect): name
//! resolution, the TCP connect (every address together), TLS and the
//! WebSocket handshake share [`ClientConfig::handshake_timeout`]
//! (ARCHITECTURE.md, "Timers"). Each step gets only what the steps before
//! it left, and every blocking read or write is given the time left as its
//! socket timeout, so that a server trickling one byte at a time cannot
//! hold the connect past the deadline.
//!
//! [`ClientConfig::handshake_timeout`]: crate::ClientConfig::handshake_timeout

use crate::ConnectError;
use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// When the connect must be done by, and the timeout it came from (which
/// the [`Timeout`](sockwell_handshake::HandshakeError::Timeout) error names).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    at: Instant,
    limit: Duration,
}

impl Deadline {
    /// The deadline `limit` from now; `None` for no limit.
    pub(crate) fn from_now(limit: Option<Duration>) -> Option<Deadline> {
        let now = Instant::now();
        limit.map(|limit| Deadline {
            // A limit too large to add is no limit in practice.
            at: now
                .checked_add(limit)
                .unwrap_or_else(|| now + Duration::from_secs(u32::MAX.into())),
            limit,
        })
    }

    /// The time left, or the timeout error once none is.
    pub(crate) fn left(self) -> Result<Duration, ConnectError> {
        match self.at.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => Ok(left),
            _ => Err(self.expired()),
        }
    }

    /// The handshake timeout error.
    pub(crate) fn expired(self) -> ConnectError {
        ConnectError::Handshake(sockwell_handshake::HandshakeError::Timeout(self.limit))
    }

    /// The instant it passes.
    #[cfg(feature = "tokio")]
    pub(crate) fn at(self) -> Instant {
        self.at
    }
}

/// What is left of an optional deadline (`None`: no limit).
pub(crate) fn time_left(deadline: Option<Deadline>) -> Result<Option<Duration>, ConnectError> {
    deadline.map(Deadline::left).transpose()
}

/// Sets a socket's read and write timeouts to the time left before the
/// next blocking call on it: a read or write that would outlast the
/// deadline comes back with `WouldBlock` (or `TimedOut`) instead.
#[cfg(feature = "rustls")]
pub(crate) fn before_io(
    socket: &TcpStream,
    deadline: Option<Deadline>,
) -> Result<(), ConnectError> {
    if let Some(left) = time_left(deadline)? {
        // Both only fail for a zero duration, which `left` never is.
        let _ = socket.set_read_timeout(Some(left));
        let _ = socket.set_write_timeout(Some(left));
    }
    Ok(())
}

/// Connects to the first address of `host` that accepts, resolution and
/// every attempt within `deadline`.
pub(crate) fn tcp_connect(
    host: &str,
    port: u16,
    deadline: Option<Deadline>,
) -> Result<TcpStream, ConnectError> {
    let failed = |source| ConnectError::Connect {
        host: format!("{host}:{port}"),
        source,
    };
    let addrs = resolve(host, port, deadline)?.map_err(failed)?;
    let mut last = io::Error::new(io::ErrorKind::NotFound, "host has no address");
    for addr in addrs {
        let attempt = match time_left(deadline)? {
            Some(left) => TcpStream::connect_timeout(&addr, left),
            None => TcpStream::connect(addr),
        };
        match attempt {
            Ok(stream) => return Ok(stream),
            Err(e) => last = e,
        }
    }
    // An attempt cut short by the deadline is the deadline's doing.
    time_left(deadline)?;
    Err(failed(last))
}

/// The addresses of `host`, the lookup bounded by the time left. The
/// system resolver (`getaddrinfo`) cannot be interrupted, so a lookup
/// under a deadline runs on a thread of its own and is waited for until
/// the deadline: past it, the connect fails and the lookup is left to end
/// on its own (its result dropped).
fn resolve(
    host: &str,
    port: u16,
    deadline: Option<Deadline>,
) -> Result<io::Result<Vec<SocketAddr>>, ConnectError> {
    let lookup = move |host: &str| (host, port).to_socket_addrs().map(Iterator::collect);
    let Some(deadline) = deadline else {
        return Ok(lookup(host));
    };
    // An address needs no lookup, nor a thread.
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(Ok(vec![SocketAddr::new(ip, port)]));
    }
    let (tx, rx) = mpsc::channel();
    let owned = host.to_owned();
    let spawned = std::thread::Builder::new()
        .name("sockwell-client resolve".into())
        .spawn(move || {
            // The receiver is gone if the deadline passed first.
            let _ = tx.send(lookup(&owned));
        });
    if let Err(e) = spawned {
        return Ok(Err(e));
    }
    match rx.recv_timeout(deadline.left()?) {
        Ok(found) => Ok(found),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(deadline.expired()),
        Err(mpsc::RecvTimeoutError::Disconnected) => Ok(Err(io::Error::other(
            "the name lookup thread ended without an answer",
        ))),
    }
}

/// Runs `work` until `deadline` at most (`None`: no limit); past it, the
/// handshake's timeout error naming the whole limit. The one timer of
/// every async connect (TCP, TLS, HTTP/2 and the handshake).
#[cfg(feature = "tokio")]
pub(crate) async fn within<T>(
    deadline: Option<Deadline>,
    work: impl std::future::Future<Output = Result<T, ConnectError>>,
) -> Result<T, ConnectError> {
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline.at().into(), work)
            .await
            .map_err(|_| deadline.expired())?,
        None => work.await,
    }
}
