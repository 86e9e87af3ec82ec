//! permessage-deflate (RFC 7692) as a [`ws_extensions::Extension`].
//!
//! [`DeflateConfig`] is the negotiation side (an
//! [`ExtensionFactory`](ws_extensions::ExtensionFactory)): every parameter of
//! RFC 7692 §7.1 in both roles, window bits 8..=15. [`PerMessageDeflate`] is
//! the per-connection codec: it compresses outgoing messages (sync flush,
//! tail removed, §7.2.1) and inflates incoming ones frame by frame, stopping
//! with close 1009 as soon as the decoded size passes the message limit, so a
//! compression bomb never allocates more than the limit.
//!
//! Backend: flate2 on zlib-rs (pure Rust, zlib-ng speed, supports window bits).
//!
//! ```
//! use ws_deflate::DeflateConfig;
//! use ws_extensions::{client_confirm, client_offer, server_negotiate, MessageKind, Rsv};
//!
//! let client_cfg = vec![DeflateConfig::default().into_factory()];
//! let server_cfg = vec![DeflateConfig::default().server_max_window_bits(10).into_factory()];
//!
//! let offer = client_offer(&client_cfg).unwrap();
//! assert_eq!(offer, "permessage-deflate; client_max_window_bits");
//! let (answer, mut server) = server_negotiate(&server_cfg, [offer.as_bytes()]).unwrap();
//! let answer = answer.unwrap();
//! // By default a server keeps no context between messages, in either
//! // direction: an idle connection holds no zlib state.
//! assert_eq!(
//!     answer,
//!     "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
//!      server_max_window_bits=10"
//! );
//! let mut client = client_confirm(&client_cfg, [answer.as_bytes()]).unwrap();
//!
//! let text = "a message that repeats, a message that repeats, a message that repeats";
//! let (wire, rsv) = client.encode(MessageKind::Text, text.as_bytes()).unwrap();
//! assert_eq!(rsv, Rsv::RSV1);
//! assert!(wire.len() < text.len());
//! let wire = wire.to_vec();
//!
//! server.begin_message(rsv).unwrap();
//! let mut decoded = Vec::new();
//! server.decode(&wire, true, &mut decoded, 1 << 20).unwrap();
//! assert_eq!(decoded, text.as_bytes());
//! ```

mod codec;
mod config;
mod inflate;
mod params;
mod pool;
mod raw_inflate;

pub use codec::PerMessageDeflate;
pub use config::DeflateConfig;
pub use params::NAME;
