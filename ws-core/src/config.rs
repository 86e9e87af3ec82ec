//! Roles, limits and connection settings.

use std::time::Duration;

/// Which end of the connection this endpoint is. Clients mask every frame
/// they send and servers require masked frames (RFC 6455 §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The endpoint that opened the connection.
    Client,
    /// The endpoint that accepted it.
    Server,
}

/// Caps on what a peer can make this endpoint buffer. Both apply to the
/// *decoded* size: a compressed message is measured after inflating, and
/// refused as soon as it passes the cap (close 1009), not after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest frame payload accepted, in bytes. Default 16 MiB.
    pub max_frame_size: usize,
    /// Largest message accepted, all its frames together, in bytes. Default 64 MiB.
    pub max_message_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_size: 16 << 20,
            max_message_size: 64 << 20,
        }
    }
}

impl Limits {
    /// No limit at all. Only for trusted peers.
    pub fn unlimited() -> Self {
        Limits {
            max_frame_size: usize::MAX,
            max_message_size: usize::MAX,
        }
    }

    /// Sets [`max_frame_size`](Self::max_frame_size).
    pub fn with_max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// Sets [`max_message_size`](Self::max_message_size).
    pub fn with_max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }
}

/// Settings of one connection.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebSocketConfig {
    /// Limits on incoming frames and messages.
    pub limits: Limits,
    /// When buffered outgoing bytes pass this, [`WebSocket::write`](crate::WebSocket::write)
    /// tries to write them out before returning, and the drivers read no
    /// more input until they are written ([`Protocol::wants_read`](crate::Protocol::wants_read)):
    /// a peer that does not read what we send meets backpressure. Default 128 KiB.
    pub write_buffer_size: usize,
    /// Hard cap on buffered outgoing bytes, control replies included: a
    /// message that would take the queue past it is refused with
    /// [`WsError::WriteBufferFull`](crate::WsError::WriteBufferFull) (so a message
    /// larger than this can never be sent). Default 256 MiB.
    pub max_write_buffer_size: usize,
    /// Split outgoing data messages into frames of at most this many payload
    /// bytes. `None` (default): one frame per message.
    pub max_outgoing_frame_size: Option<usize>,
    /// Server only: accept frames from a client that are not masked, which
    /// RFC 6455 §5.1 forbids. Default `false`.
    pub accept_unmasked_frames: bool,
    /// Detect a dead peer (sleep, hibernation, a silent network): see
    /// [`Keepalive`]. Default: on, a ping after 20 s of quiet and 20 s for an
    /// answer (as Python `websockets`), no idle timeout. `None` turns it off.
    pub keepalive: Option<Keepalive>,
    /// How long the closing handshake may take once a Close was sent or
    /// received: the peer's Close must arrive, and ours be written, within
    /// it; past it the connection fails with
    /// [`WsError::CloseTimeout`](crate::WsError::CloseTimeout) and the stream
    /// should be dropped (RFC 6455 §7.1.1 lets an endpoint close the
    /// connection when the peer does not). It also bounds how long the
    /// Close of a failed connection may wait for a stream that takes
    /// nothing. Default 10 s (as Python `websockets`); `None`: no limit.
    pub close_timeout: Option<Duration>,
    /// How long output that must go out may wait for a stream that takes
    /// none of it: more than [`write_buffer_size`](Self::write_buffer_size)
    /// queued (so reads wait too), the engine's own replies, or a Close.
    /// Past it the connection fails with
    /// [`WsError::WriteTimeout`](crate::WsError::WriteTimeout). Default `None`:
    /// a peer that stops reading is already caught by keepalive (a ping
    /// that cannot go out goes unanswered); this bounds the wait sooner,
    /// and also for a peer that keeps sending while it reads nothing.
    pub write_timeout: Option<Duration>,
    /// How long a connection must be quiet (no byte read or written)
    /// before its extensions give back what they hold only to be faster
    /// while busy ([`Extension::release_idle_state`](sockwell_extensions::Extension::release_idle_state)):
    /// with permessage-deflate's history-based context takeover, the zlib
    /// contexts a busy connection borrowed from the shared pool (about
    /// 250 KiB for a compressor), so that idle connections keep only their
    /// histories. Run by [`Protocol::poll_timers`](crate::Protocol::poll_timers),
    /// and only while some extension holds such state. Shorter saves memory
    /// sooner; longer spares a connection that sends every few seconds the
    /// cost of priming a context again for each message. Default 1 s;
    /// `None`: only when the sync driver finds the stream idle twice in a
    /// row.
    pub release_idle_state_after: Option<Duration>,
}

/// Keepalive: when nothing has arrived for `interval`, send a ping; when
/// still nothing arrives within `timeout` after it, fail the connection with
/// [`WsError::KeepaliveTimeout`](crate::WsError::KeepaliveTimeout) (and a Close
/// with 1011, in case the peer still listens). Optionally, close a
/// connection on which no data message went either way for `idle_timeout`
/// ([`WsError::IdleTimeout`](crate::WsError::IdleTimeout), Close 1001).
///
/// Any incoming byte counts as a sign of life, not only the pong. The engine
/// is driven by [`Protocol::poll_timers`](crate::Protocol::poll_timers).
/// The async driver runs it on timers, while it waits to read and while it
/// waits to write. The sync [`WebSocket`](crate::WebSocket) driver runs it
/// when a read or a write of the stream cannot go on (`WouldBlock`, or a
/// socket timeout), so a blocking stream needs timeouts (e.g.
/// `TcpStream::set_read_timeout` and `set_write_timeout`, a fraction of
/// `interval`) for its calls to come back and notice a dead peer.
///
/// While reads wait because too much output is queued (backpressure), the
/// bytes the stream takes count as a sign of life as well: a peer that
/// stopped reading gets no ping through and fails within `interval` +
/// `timeout`.
///
/// Defaults: `interval` 20 s, `timeout` 20 s (Python `websockets`' choice:
/// a dead peer is noticed within 40 s), no idle timeout (closing an idle
/// but healthy connection is the application's policy; sockudo-ws uses 120 s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Keepalive {
    /// Quiet time after which a ping is sent.
    pub interval: Duration,
    /// Time after that ping within which something must arrive.
    pub timeout: Duration,
    /// Time without a data message, sent or received, after which the
    /// connection is closed. `None`: never.
    pub idle_timeout: Option<Duration>,
}

impl Keepalive {
    /// The payload of every keepalive ping, and so of the peer's pong that
    /// answers it (RFC 6455 §5.5.3): a reader that shows pongs can tell
    /// keepalive's from others by it.
    pub const PING_PAYLOAD: &'static [u8] = b"keepalive";

    /// A ping after `interval` of quiet, answered within `timeout`.
    pub fn new(interval: Duration, timeout: Duration) -> Self {
        Keepalive {
            interval,
            timeout,
            idle_timeout: None,
        }
    }

    /// Sets [`idle_timeout`](Self::idle_timeout).
    pub fn with_idle_timeout(mut self, idle: Option<Duration>) -> Self {
        self.idle_timeout = idle;
        self
    }
}

impl Default for Keepalive {
    fn default() -> Self {
        Keepalive::new(Duration::from_secs(20), Duration::from_secs(20))
    }
}

impl WebSocketConfig {
    /// Sets the limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets [`write_buffer_size`](Self::write_buffer_size).
    pub fn with_write_buffer_size(mut self, bytes: usize) -> Self {
        self.write_buffer_size = bytes;
        self
    }

    /// Sets [`max_write_buffer_size`](Self::max_write_buffer_size).
    pub fn with_max_write_buffer_size(mut self, bytes: usize) -> Self {
        self.max_write_buffer_size = bytes;
        self
    }

    /// Turns keepalive on with this ping interval and pong timeout: see [`Keepalive`].
    pub fn with_keepalive(mut self, interval: Duration, timeout: Duration) -> Self {
        self.keepalive = Some(Keepalive::new(interval, timeout));
        self
    }

    /// Sets [`close_timeout`](Self::close_timeout).
    pub fn with_close_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// Sets [`write_timeout`](Self::write_timeout).
    pub fn with_write_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Sets [`release_idle_state_after`](Self::release_idle_state_after).
    pub fn with_release_idle_state_after(mut self, quiet: Option<Duration>) -> Self {
        self.release_idle_state_after = quiet;
        self
    }

    /// Sets the keepalive settings; `None` turns keepalive off.
    pub fn with_keepalive_config(mut self, keepalive: Option<Keepalive>) -> Self {
        self.keepalive = keepalive;
        self
    }
}

impl Default for WebSocketConfig {
    fn default() -> Self {
        WebSocketConfig {
            limits: Limits::default(),
            write_buffer_size: 128 << 10,
            max_write_buffer_size: 256 << 20,
            max_outgoing_frame_size: None,
            accept_unmasked_frames: false,
            keepalive: Some(Keepalive::default()),
            close_timeout: Some(Duration::from_secs(10)),
            write_timeout: None,
            release_idle_state_after: Some(Duration::from_secs(1)),
        }
    }
}
