//! The handshake deadline: a peer that never finishes its opening handshake
//! (say, one byte per second) must not hold a connection, or a blocking
//! server's thread, forever. Python `websockets` gives up after 10 s.
//!
//! Each handshake takes a deadline from its config. Resumed after
//! `WouldBlock` (or a stream timeout), a handshake past its deadline fails
//! with [`HandshakeError::Timeout`](crate::HandshakeError::Timeout). A blocking stream only
//! comes back from a read if it has a timeout: for streams that implement
//! [`IoTimeouts`], `complete()` sets their read and write timeouts to the
//! time left before each step and restores them afterwards.

use crate::{HandshakeError, ResumableError};
use std::io;
use std::time::{Duration, Instant};

/// A stream whose blocking reads and writes can be given a timeout, so that
/// a handshake deadline can interrupt them (socket timeouts).
pub trait IoTimeouts {
    /// The current read timeout.
    fn read_timeout(&self) -> io::Result<Option<Duration>>;
    /// The current write timeout.
    fn write_timeout(&self) -> io::Result<Option<Duration>>;
    /// Sets the read timeout (`None`: block without limit).
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
    /// Sets the write timeout (`None`: block without limit).
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
}

macro_rules! socket_timeouts {
    ($($ty:ty),*) => {$(
        impl IoTimeouts for $ty {
            fn read_timeout(&self) -> io::Result<Option<Duration>> {
                <$ty>::read_timeout(self)
            }
            fn write_timeout(&self) -> io::Result<Option<Duration>> {
                <$ty>::write_timeout(self)
            }
            fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
                <$ty>::set_read_timeout(self, timeout)
            }
            fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
                <$ty>::set_write_timeout(self, timeout)
            }
        }
    )*};
}

socket_timeouts!(std::net::TcpStream);
#[cfg(unix)]
socket_timeouts!(std::os::unix::net::UnixStream);

/// When a handshake must be done by, and the timeout it came from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    at: Instant,
    after: Duration,
}

impl Deadline {
    pub(crate) fn from_now(timeout: Option<Duration>) -> Option<Deadline> {
        timeout.map(|after| Deadline {
            // A timeout too large to add is no deadline in practice.
            at: Instant::now()
                .checked_add(after)
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(u32::MAX.into())),
            after,
        })
    }

    pub(crate) fn at(&self) -> Instant {
        self.at
    }

    /// Fails once the deadline has passed.
    pub(crate) fn check(deadline: Option<Deadline>) -> Result<(), HandshakeError> {
        match deadline {
            Some(d) if Instant::now() >= d.at => Err(HandshakeError::Timeout(d.after)),
            _ => Ok(()),
        }
    }
}

/// Socket timeouts are set at most this long, so that a read started just
/// before the deadline does not outlast it by much: the handshake checks the
/// deadline before each read, and the socket timeout bounds that read.
const TICK: Duration = Duration::from_millis(250);

/// Runs a resumable handshake to its end on a blocking stream: before each
/// step the stream's timeouts are set to the time left (at most [`TICK`],
/// never more than the caller's own), so a read that would block past the
/// deadline comes back and the handshake fails with [`HandshakeError::Timeout`]. The
/// caller's timeouts are put back on success.
///
/// On a non-blocking stream this would spin until done or the deadline:
/// drive such streams with `handshake()` from an event loop instead.
pub(crate) fn complete<S, H, T>(
    mut handshake: H,
    deadline: Option<Deadline>,
    stream: fn(&H) -> &S,
    step: fn(H) -> Result<T, ResumableError<H>>,
    stream_after: fn(&T) -> &S,
) -> Result<T, HandshakeError>
where
    S: IoTimeouts,
{
    let saved_read = stream(&handshake).read_timeout()?;
    let saved_write = stream(&handshake).write_timeout()?;
    loop {
        if let Some(d) = deadline {
            // A zero timeout is refused by sockets; the step itself reports
            // the deadline once it has passed.
            let left =
                d.at.saturating_duration_since(Instant::now())
                    .clamp(Duration::from_millis(1), TICK);
            let s = stream(&handshake);
            s.set_read_timeout(Some(saved_read.map_or(left, |t| t.min(left))))?;
            s.set_write_timeout(Some(saved_write.map_or(left, |t| t.min(left))))?;
        }
        match step(handshake) {
            Ok(done) => {
                if deadline.is_some() {
                    stream_after(&done).set_read_timeout(saved_read)?;
                    stream_after(&done).set_write_timeout(saved_write)?;
                }
                return Ok(done);
            }
            Err(ResumableError::Interrupted(again)) => handshake = again,
            Err(ResumableError::Failure(e)) => return Err(e),
        }
    }
}
