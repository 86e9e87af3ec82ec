//! Roles, limits and connection settings.

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
}

/// Settings of one connection.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebSocketConfig {
    /// Limits on incoming frames and messages.
    pub limits: Limits,
    /// When buffered outgoing bytes pass this, [`WebSocket::write`](crate::WebSocket::write)
    /// tries to write them out before returning. Default 128 KiB.
    pub write_buffer_size: usize,
    /// Hard cap on buffered outgoing bytes: a write that finds at least this
    /// many still queued fails with [`Error::WriteBufferFull`](crate::Error::WriteBufferFull).
    /// Default 256 MiB.
    pub max_write_buffer_size: usize,
    /// Split outgoing data messages into frames of at most this many payload
    /// bytes. `None` (default): one frame per message.
    pub max_outgoing_frame_size: Option<usize>,
    /// Server only: accept frames from a client that are not masked, which
    /// RFC 6455 §5.1 forbids. Default `false`.
    pub accept_unmasked_frames: bool,
}

impl Default for WebSocketConfig {
    fn default() -> Self {
        WebSocketConfig {
            limits: Limits::default(),
            write_buffer_size: 128 << 10,
            max_write_buffer_size: 256 << 20,
            max_outgoing_frame_size: None,
            accept_unmasked_frames: false,
        }
    }
}
