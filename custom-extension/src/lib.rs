//! `x-crc32`: an example of a custom WebSocket extension, built on
//! `sockwell-extensions` alone.
//!
//! ```
//! use custom_extension::Crc32Config;
//! use sockwell_extensions::{client_confirm, client_offer, server_negotiate, MessageKind, Rsv};
//!
//! // Negotiated as a handshake would: offer, accept, confirm.
//! let ours = vec![Crc32Config::default().into_factory()];
//! let offer = client_offer(&ours).unwrap();
//! let (answer, mut server) = server_negotiate(&ours, [offer.as_bytes()]).unwrap();
//! let mut client = client_confirm(&ours, [answer.unwrap().as_bytes()]).unwrap();
//!
//! // "hi" goes out with its 4-byte checksum and RSV2, and comes back checked.
//! let (wire, rsv) = client.encode(MessageKind::Text, b"hi").unwrap();
//! assert_eq!((wire.len(), rsv), (6, Rsv::RSV2));
//! let wire = wire.to_vec();
//! server.begin_message(rsv).unwrap();
//! let mut out = Vec::new();
//! server.decode(&wire, true, &mut out, 1024).unwrap();
//! assert_eq!(out, b"hi");
//! ```
//!
//! On a real connection it goes in the client and server configs, beside
//! permessage-deflate or alone:
//! `ClientConfig::default().with_extension(Crc32Config::default())`.
//!
//! # The map
//!
//! - [`Crc32Config`]: the negotiation side ([`ExtensionFactory`]): offers
//!   `x-crc32` with no parameters, declines an offer with any, and refuses
//!   an answer with any.
//! - [`Crc32Extension`]: the per-connection side ([`Extension`]).
//! - [`Crc32`]: the checksum itself (CRC-32/ISO-HDLC, table-driven).
//! - [`NAME`]: the extension token.
//!
//! # What it does
//!
//! Sending, it appends the CRC-32 of the message payload (as the extension
//! sees it) in 4 big-endian bytes and sets RSV2 on the first frame; receiving a
//! message with RSV2, it checks and strips the checksum, frame by frame,
//! holding back only the last 4 bytes it has seen. A mismatch fails the
//! connection with 1007.
//!
//! Negotiated after permessage-deflate (`permessage-deflate, x-crc32`), the
//! checksum covers the compressed bytes: the stack runs extensions in
//! negotiation order when sending and in reverse when receiving. The guide
//! `docs/extensions.md` walks through this crate.

mod crc32;

pub use crc32::Crc32;
use sockwell_extensions::{
    Accepted, DecodeOutput, Extension, ExtensionError, ExtensionFactory, ExtensionOffer,
    MessageKind, NegotiationError, Rsv,
};
use std::sync::Arc;

/// The extension token.
pub const NAME: &str = "x-crc32";

/// The negotiation side. `bit` is the RSV bit it claims (RSV2 by default;
/// tests set RSV1 to show the conflict with permessage-deflate).
#[derive(Clone, Copy, Debug)]
pub struct Crc32Config {
    /// The RSV bit this extension owns.
    pub bit: Rsv,
}

impl Default for Crc32Config {
    fn default() -> Self {
        Crc32Config { bit: Rsv::RSV2 }
    }
}

impl Crc32Config {
    /// As a factory for a client or server config.
    pub fn into_factory(self) -> Arc<dyn ExtensionFactory> {
        Arc::new(self)
    }
}

impl ExtensionFactory for Crc32Config {
    fn name(&self) -> &str {
        NAME
    }

    fn offers(&self) -> Vec<ExtensionOffer> {
        vec![ExtensionOffer::new(NAME)]
    }

    fn accept(&self, offer: &ExtensionOffer) -> Option<Accepted> {
        // No parameters are defined: an offer with any is declined.
        offer.params.is_empty().then(|| Accepted {
            response: ExtensionOffer::new(NAME),
            extension: Box::new(Crc32Extension::new(self.bit)),
        })
    }

    fn confirm(&self, response: &ExtensionOffer) -> Result<Box<dyn Extension>, NegotiationError> {
        if !response.params.is_empty() {
            return Err(NegotiationError::InvalidResponse {
                extension: NAME.to_owned(),
                reason: "x-crc32 takes no parameters".to_owned(),
            });
        }
        Ok(Box::new(Crc32Extension::new(self.bit)))
    }
}

/// The per-connection part.
#[derive(Debug)]
pub struct Crc32Extension {
    bit: Rsv,
    /// Receiving: CRC of the bytes already passed on.
    crc: Crc32,
    /// Receiving: the last (up to) 4 bytes seen, which may be the checksum.
    held: Vec<u8>,
}

impl Crc32Extension {
    fn new(bit: Rsv) -> Self {
        Crc32Extension {
            bit,
            crc: Crc32::default(),
            held: Vec::with_capacity(8),
        }
    }
}

impl Extension for Crc32Extension {
    fn name(&self) -> &str {
        NAME
    }

    fn reserved_bits(&self) -> Rsv {
        self.bit
    }

    fn encode(
        &mut self,
        _kind: MessageKind,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<Rsv>, ExtensionError> {
        let mut crc = Crc32::default();
        crc.update(payload);
        out.reserve(payload.len() + 4);
        out.extend_from_slice(payload);
        out.extend_from_slice(&crc.finish().to_be_bytes());
        Ok(Some(self.bit))
    }

    fn decodes(&self, rsv: Rsv) -> bool {
        rsv.contains(self.bit)
    }

    fn decode(
        &mut self,
        input: &[u8],
        fin: bool,
        out: &mut DecodeOutput<'_>,
    ) -> Result<(), ExtensionError> {
        // Everything but the last 4 bytes seen so far is payload.
        self.held.extend_from_slice(input);
        let release = self.held.len().saturating_sub(4);
        // Appends only, and fails (appending nothing) past the size limit.
        out.extend_from_slice(&self.held[..release])?;
        self.crc.update(&self.held[..release]);
        self.held.drain(..release);
        if fin {
            let crc = std::mem::take(&mut self.crc).finish();
            let held = std::mem::take(&mut self.held);
            if held.len() != 4 || held != crc.to_be_bytes() {
                return Err(ExtensionError::InvalidPayload {
                    extension: NAME.to_owned(),
                    source: "CRC-32 mismatch".into(),
                });
            }
        }
        Ok(())
    }
}
