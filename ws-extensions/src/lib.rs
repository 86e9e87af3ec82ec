//! WebSocket extensions (RFC 6455 §9): the [`Extension`] trait an extension
//! author implements, its negotiation side [`ExtensionFactory`], the
//! `Sec-WebSocket-Extensions` parser and formatter, and the [`ExtensionStack`]
//! a connection runs its messages through.
//!
//! Negotiation: the client sends [`client_offer`]; the server runs
//! [`server_negotiate`] (each factory accepts at most one offer; declined and
//! unknown offers are skipped); the client checks the answer with
//! [`client_confirm`] (an extension it did not offer, a duplicate, or
//! parameters the factory refuses fail the handshake). Both ends get the same
//! stack.
//!
//! This crate depends on no other `ws-*` crate, so a custom extension needs
//! only this one.
//!
//! ```
//! use ws_extensions::{Extension, ExtensionError, ExtensionStack, MessageKind, Rsv};
//!
//! /// Sets RSV3 and reverses every binary message's bytes.
//! #[derive(Debug)]
//! struct Reverse;
//!
//! impl Extension for Reverse {
//!     fn name(&self) -> &str { "x-reverse" }
//!     fn reserved_bits(&self) -> Rsv { Rsv::RSV3 }
//!     fn encode(&mut self, kind: MessageKind, payload: &[u8], out: &mut Vec<u8>)
//!         -> Result<Option<Rsv>, ExtensionError> {
//!         if kind == MessageKind::Text { return Ok(None); }
//!         out.extend(payload.iter().rev());
//!         Ok(Some(Rsv::RSV3))
//!     }
//!     fn decodes(&self, rsv: Rsv) -> bool { rsv.contains(Rsv::RSV3) }
//!     fn decode(&mut self, input: &[u8], _fin: bool, out: &mut Vec<u8>, max_len: usize)
//!         -> Result<(), ExtensionError> {
//!         // A one-frame toy: real extensions must handle messages split in frames.
//!         if out.len() + input.len() > max_len {
//!             return Err(ExtensionError::MessageTooLarge { limit: max_len });
//!         }
//!         out.extend(input.iter().rev());
//!         Ok(())
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

mod error;
mod extension;
mod header;
mod negotiation;
mod rsv;
mod stack;

pub use error::{ExtensionError, RsvConflict};
pub use extension::{Extension, MessageKind};
pub use header::{
    format_extensions, parse_extensions, ExtensionOffer, ExtensionParam, HeaderError,
};
pub use negotiation::{
    client_confirm, client_offer, server_negotiate, Accepted, ExtensionFactory, NegotiationError,
};
pub use rsv::Rsv;
pub use stack::ExtensionStack;
