//! The flags both roles share, turned into the libraries' configurations.

use crate::args::Args;
use ws_client::Keepalive;
use ws_client::{ClientConfig, WebSocketConfig};
use ws_server::ServerConfig;

/// Connection settings: keepalive (`--ping-interval`: a ping after that
/// much silence, and as long again for an answer) and the message limit.
pub fn websocket(args: &Args) -> WebSocketConfig {
    let mut config = WebSocketConfig::default();
    if let Some(interval) = args.ping_interval {
        config.keepalive = Some(Keepalive::new(interval, interval));
    }
    // A room keeps up to ROOM_BACKLOG messages for its slowest listener:
    // a lower default cap keeps that bounded (256 MiB at 1 MiB each).
    let max = match args.max_message_size {
        None if args.broadcast => Some(crate::server::BROADCAST_MAX_MESSAGE),
        max => max,
    };
    if let Some(max) = max {
        config.limits.max_message_size = max;
        config.limits.max_frame_size = config.limits.max_frame_size.min(max);
    }
    config
}

pub fn client(args: &Args) -> ClientConfig {
    let mut config = ClientConfig::default().with_websocket_config(websocket(args));
    config.subprotocols = args.protocols.clone();
    if let Some(deflate) = &args.deflate {
        config = config.with_extension(deflate.clone());
    }
    config
}

pub fn server(args: &Args) -> ServerConfig {
    let mut config = ServerConfig::default();
    config.websocket = websocket(args);
    config.subprotocols = args.protocols.clone();
    if let Some(deflate) = &args.deflate {
        config = config.with_extension(deflate.clone());
    }
    config
}

/// What was agreed, for a status line: `permessage-deflate; …` or `none`.
pub fn agreed(protocol: &ws_core::Protocol) -> String {
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
