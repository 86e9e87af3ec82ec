//! permessage-deflate (RFC 7692) as a [`sockwell_extensions::Extension`].
//!
//! ```
//! use sockwell_deflate::DeflateConfig;
//! use sockwell_extensions::{client_confirm, client_offer, server_negotiate, MessageKind, Rsv};
//!
//! // What a client and a server config hold, and the three steps of the handshake.
//! let client_cfg = vec![DeflateConfig::default().into_factory()];
//! let server_cfg = vec![DeflateConfig::default().server_max_window_bits(10).into_factory()];
//!
//! let offer = client_offer(&client_cfg).unwrap();
//! assert_eq!(offer, "permessage-deflate; client_max_window_bits");
//! let (answer, mut server) = server_negotiate(&server_cfg, [offer.as_bytes()]).unwrap();
//! let answer = answer.unwrap();
//! // By default both sides keep their context between messages (context
//! // takeover), within small windows: the server's own (capped at 2^10
//! // here) and the client's, capped at 2^11 since the client offered
//! // `client_max_window_bits`. An idle connection keeps only the last
//! // 2^w bytes each way, not a zlib state.
//! assert_eq!(
//!     answer,
//!     "permessage-deflate; server_max_window_bits=10; client_max_window_bits=11"
//! );
//! let mut client = client_confirm(&client_cfg, [answer.as_bytes()]).unwrap();
//!
//! // A message through both stacks: compressed (RSV1 set), then inflated.
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
//!
//! Applications do not call these steps: they give a [`DeflateConfig`] to
//! the client or server config (`ClientConfig::default().with_extension(
//! DeflateConfig::default())` in `sockwell-client`, the same in `sockwell-server`) and
//! the handshake runs them.
//!
//! # The map
//!
//! - [`DeflateConfig`]: the settings and the negotiation side (an
//!   [`ExtensionFactory`](sockwell_extensions::ExtensionFactory)): every parameter
//!   of RFC 7692 §7.1 in both roles, window bits 8..=15, the level, the size
//!   below which messages go uncompressed, the shared pool of zlib contexts,
//!   and [`TakeoverContext`]: what a connection with context takeover keeps
//!   between messages (its own zlib states, or only the last 2^w bytes each
//!   way, priming a pooled context per message).
//! - [`PerMessageDeflate`]: the per-connection codec. It compresses outgoing
//!   messages (sync flush, tail removed, §7.2.1) and inflates incoming ones
//!   frame by frame, stopping with close 1009 as soon as the decoded size
//!   passes the message limit, so a compression bomb never allocates more
//!   than the limit.
//! - [`NAME`]: the extension token, `permessage-deflate`.
//!
//! Backend: flate2 on zlib-rs (pure Rust, zlib-ng speed, supports window
//! bits). What each parameter costs in memory and ratio, measured:
//! `docs/compression.md` in the repository.

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(test)]
mod broadcast_tests;
#[cfg(test)]
mod busy_tests;
mod codec;
mod config;
mod history;
mod inflate;
mod negotiation;
mod params;
mod pool;
mod raw_inflate;
#[cfg(test)]
mod test_support;

pub use codec::PerMessageDeflate;
pub use config::{DeflateConfig, TakeoverContext};
pub use params::NAME;
