//! The examples, guides and tests of the workspace that need more than one
//! of its crates: a client talking to a server, a custom extension over the
//! wire, and the README and the guides in `docs/`, whose examples are
//! compiled and run here as doc tests (`cargo test -p sockwell-examples
//! --doc`). Not published: it sits above every other crate, so that no
//! library crate depends, even for its tests, on one at its own level or
//! above.
//!
//! The library holds the logic of the everyday examples, so that each
//! example's `main` stays a few lines and its test (in `tests/`) runs the
//! same code: [`axum_chat`], [`reconnect`], [`json`], [`graceful_shutdown`].

#[cfg(feature = "axum")]
pub mod axum_chat;
#[cfg(feature = "tokio")]
pub mod graceful_shutdown;
#[cfg(feature = "tokio")]
pub mod json;
#[cfg(feature = "tokio")]
pub mod reconnect;

/// The README's examples, compiled as doc tests so that they stay true
/// (with the `tokio` feature, which its async example needs; it is on by
/// default).
#[cfg(all(doctest, feature = "tokio", feature = "axum"))]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// The guide to permessage-deflate (`docs/compression.md`), its examples
/// compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/compression.md")]
pub struct CompressionGuide;

/// The guide to writing an extension (`docs/extensions.md`).
#[cfg(doctest)]
#[doc = include_str!("../../docs/extensions.md")]
pub struct ExtensionsGuide;

/// The guide to non-blocking use and batching (`docs/non-blocking.md`).
#[cfg(doctest)]
#[doc = include_str!("../../docs/non-blocking.md")]
pub struct NonBlockingGuide;

/// The guide to limits and hostile peers (`docs/limits.md`).
#[cfg(doctest)]
#[doc = include_str!("../../docs/limits.md")]
pub struct LimitsGuide;

/// The guide to migrating from tungstenite
/// (`docs/migrating-from-tungstenite.md`); its blocks are `rust,ignore`.
#[cfg(doctest)]
#[doc = include_str!("../../docs/migrating-from-tungstenite.md")]
pub struct MigratingFromTungsteniteGuide;
