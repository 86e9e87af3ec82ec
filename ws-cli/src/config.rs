//! The flags both roles share, turned into the libraries' configurations.

use crate::args::Args;
use sockwell_client::Keepalive;
use sockwell_client::{ClientConfig, WebSocketConfig};
use sockwell_server::ServerConfig;

/// Outgoing messages are cut into frames of this size: a peer with the
/// common 16 MiB frame limit takes a larger message in several frames.
const OUTGOING_FRAME: usize = 1 << 20;

/// The default `--max-message-size` of `ws serve --broadcast`: a room
/// keeps up to 256 messages for its slowest listener, and as many bytes
/// again of their framed copies (512 MiB in all: see `room`).
pub const BROADCAST_MAX_MESSAGE: usize = 1 << 20;

/// The default message limit of `ws serve` (a client keeps the library's
/// 64 MiB): an echo server holds up to one message per connection.
pub const SERVE_MAX_MESSAGE: usize = 16 << 20;

/// Connection settings: keepalive (`--ping-interval`: a ping after that
/// much silence, and as long again for an answer; 0 turns it off), the
/// message limit (`default_max` unless `--max-message-size` says), and
/// outgoing frames of at most [`OUTGOING_FRAME`].
fn websocket(args: &Args, default_max: Option<usize>) -> WebSocketConfig {
    let mut config = WebSocketConfig::default();
    match args.ping_interval {
        Some(Some(interval)) => config.keepalive = Some(Keepalive::new(interval, interval)),
        Some(None) => config.keepalive = None,
        None => {}
    }
    if let Some(max) = args.max_message_size.or(default_max) {
        // Frames are capped by the message limit only: a larger limit is
        // not held back by the 16 MiB frame default.
        config.limits.max_message_size = max;
        config.limits.max_frame_size = max;
    }
    config.max_outgoing_frame_size = Some(OUTGOING_FRAME);
    config
}

/// Room in the write queue for one message of `size` payload bytes: its
/// frames' headers (one per [`OUTGOING_FRAME`]), and some more for the
/// control frames (pongs, a Close) queued beside it.
pub fn write_room(size: usize) -> usize {
    let frames = 1 + size / OUTGOING_FRAME;
    size.saturating_add(frames * sockwell_core::MAX_HEADER_LEN)
        .saturating_add(64 << 10)
}

pub fn client(args: &Args) -> ClientConfig {
    let mut websocket = websocket(args, None);
    // At least the library's default, and room for a message as large as
    // the limit (a client rarely echoes, but a script may send as much).
    websocket.max_write_buffer_size = match args.max_write_buffer {
        Some(bytes) => bytes,
        None => websocket
            .max_write_buffer_size
            .max(write_room(websocket.limits.max_message_size)),
    };
    let mut config = ClientConfig::default().with_websocket_config(websocket);
    if let Some(limit) = args.handshake_timeout {
        config.handshake_timeout = Some(limit);
    }
    config.subprotocols = args.protocols.clone();
    if let Some(deflate) = &args.deflate {
        config = config.with_extension(deflate.clone());
    }
    config
}

pub fn server(args: &Args) -> ServerConfig {
    let mut config = ServerConfig::default();
    // A room keeps messages for its slowest listener: a lower default cap
    // keeps that bounded.
    let default_max = if args.broadcast {
        BROADCAST_MAX_MESSAGE
    } else {
        SERVE_MAX_MESSAGE
    };
    config.websocket = websocket(args, Some(default_max));
    // What a server queues follows what it accepts: an echo (or a room's
    // copy) of the largest message it takes, and its frame headers, fit;
    // no more than that is held per connection.
    config.websocket.max_write_buffer_size = args
        .max_write_buffer
        .unwrap_or_else(|| write_room(config.websocket.limits.max_message_size));
    if let Some(limit) = args.handshake_timeout {
        config.handshake_timeout = Some(limit);
    }
    config.subprotocols = args.protocols.clone();
    if let Some(deflate) = &args.deflate {
        config = config.with_extension(deflate.clone());
    }
    config
}

/// What was agreed, for a status line: `permessage-deflate; …` or `none`.
pub fn agreed(protocol: &sockwell_core::Protocol) -> String {
    let agreed: Vec<String> = protocol
        .extensions()
        .negotiated()
        .map(|offer| offer.to_string())
        .collect();
    if agreed.is_empty() {
        "no extensions".to_owned()
    } else {
        agreed.join(", ")
    }
}
