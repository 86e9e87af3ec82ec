//! WebSocket extensions (RFC 6455 §9): the [`Extension`] trait an extension
//! author implements, its negotiation side [`ExtensionFactory`], the
//! `Sec-WebSocket-Extensions` parser and formatter, and the [`ExtensionStack`]
//! a connection runs its messages through.
//!
//! ```
//! use sockwell_extensions::{
//!     DecodeOutput, Extension, ExtensionError, ExtensionStack, MessageKind, Rsv,
//! };
//!
//! /// Sets RSV3 and reverses every binary message's bytes.
//! #[derive(Debug)]
//! struct Reverse;
//!
//! impl Extension for Reverse {
//!     fn name(&self) -> &str {
//!         "x-reverse"
//!     }
//!     fn reserved_bits(&self) -> Rsv {
//!         Rsv::RSV3
//!     }
//!     fn encode(
//!         &mut self,
//!         kind: MessageKind,
//!         payload: &[u8],
//!         out: &mut Vec<u8>,
//!     ) -> Result<Option<Rsv>, ExtensionError> {
//!         if kind == MessageKind::Text {
//!             return Ok(None); // passed on as it is, not copied
//!         }
//!         out.extend(payload.iter().rev());
//!         Ok(Some(Rsv::RSV3))
//!     }
//!     fn decodes(&self, rsv: Rsv) -> bool {
//!         rsv.contains(Rsv::RSV3)
//!     }
//!     fn decode(
//!         &mut self,
//!         input: &[u8],
//!         _fin: bool,
//!         out: &mut DecodeOutput<'_>,
//!     ) -> Result<(), ExtensionError> {
//!         // A one-frame toy: real extensions must handle messages split in
//!         // frames. `out` only appends, and refuses to pass the limit.
//!         let reversed: Vec<u8> = input.iter().rev().copied().collect();
//!         out.extend_from_slice(&reversed)
//!     }
//! }
//!
//! let mut stack = ExtensionStack::new();
//! stack.push(Box::new(Reverse)).unwrap();
//! let (wire, rsv) = stack.encode(MessageKind::Binary, b"abc").unwrap();
//! assert_eq!((wire, rsv), (&b"cba"[..], Rsv::RSV3));
//!
//! stack.begin_message(Rsv::RSV3).unwrap();
//! let mut message = Vec::new();
//! stack.decode(b"cba", true, &mut message, 1024).unwrap();
//! assert_eq!(message, b"abc");
//! ```
//!
//! # The map
//!
//! - [`Extension`], [`MessageKind`]: one negotiated extension on one
//!   connection (encode a message; decode it frame by frame under a size
//!   limit; optionally share an encoding between connections).
//! - [`SharedState`], [`SharedStateRef`], [`StateSharing`],
//!   [`StatefulEncoding`], [`NextState`], [`MessageId`]: shared encodings
//!   of broadcasts for extensions that keep state between messages,
//!   shared among the connections in the same state.
//! - [`DecodeOutput`]: where `decode` writes, the message so far, which
//!   an extension can only append to (so that text checked for UTF-8 as it
//!   arrived stays checked).
//! - [`ExtensionFactory`], [`Accepted`]: the negotiation side, configured once
//!   (offers as a client, accepts as a server, confirms the answer).
//! - [`client_offer`], [`server_negotiate`], [`client_confirm`],
//!   [`NegotiationError`]: the three steps of negotiation.
//! - [`ExtensionStack`]: the extensions agreed on a connection, run in
//!   negotiation order when sending and in reverse when receiving.
//! - [`Rsv`], [`RsvConflict`]: the three reserved header bits and their
//!   ownership (one extension per bit).
//! - [`ExtensionOffer`], [`ExtensionParam`], [`parse_extensions`],
//!   [`format_extensions`], [`HeaderError`]: the `Sec-WebSocket-Extensions`
//!   header (RFC 6455 §9.1).
//! - [`ExtensionError`]: what an extension fails with at run time, each
//!   variant with its close code (1009, 1007, 1002, 1011).
//!
//! # Negotiation
//!
//! The client sends [`client_offer`]; the server runs [`server_negotiate`]
//! (each factory accepts at most one offer; declined and unknown offers are
//! skipped, and so is an offer whose RSV bits an accepted extension owns);
//! the client checks the answer with [`client_confirm`] (an extension it did
//! not offer, a duplicate, or parameters the factory refuses fail the
//! handshake). Both ends get the same stack.
//!
//! This crate depends on no other `ws-*` crate, so a custom extension needs
//! only this one: the `custom-extension` crate of this repository
//! (`x-crc32`) is a complete example, and `docs/extensions.md` the guide.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod extension;
mod header;
mod negotiation;
mod output;
mod rsv;
mod shared;
mod stack;

pub use error::{ExtensionError, RsvConflict};
pub use extension::{Extension, MessageKind};
pub use header::{
    format_extensions, parse_extensions, ExtensionOffer, ExtensionParam, HeaderError,
};
pub use negotiation::{
    client_confirm, client_offer, server_negotiate, Accepted, ExtensionFactory, NegotiationError,
};
pub use output::DecodeOutput;
pub use rsv::Rsv;
pub use shared::{
    MessageId, NextState, SharedState, SharedStateRef, StateSharing, StatefulEncoding,
};
pub use stack::ExtensionStack;
