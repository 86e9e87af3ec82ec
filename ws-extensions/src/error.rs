//! Errors of extensions at run time and of negotiation.

use std::error::Error as StdError;

/// An error an extension meets while transforming a message. Each variant
/// knows the close code the connection fails with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtensionError {
    /// The decoded message would pass the configured limit (close 1009).
    #[error("decoded message exceeds the limit of {limit} bytes")]
    MessageTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The payload cannot be decoded, e.g. corrupt compressed data (close 1007).
    #[error("{extension} could not decode the message payload")]
    InvalidPayload {
        /// The extension's name.
        extension: String,
        /// What the decoder said.
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
    /// The peer broke a rule of the extension's framing (close 1002).
    #[error("{extension}: {reason}")]
    Protocol {
        /// The extension's name.
        extension: String,
        /// Which rule was broken.
        reason: String,
    },
    /// The extension failed for a reason of its own, not the peer's (close 1011).
    #[error("{extension} failed")]
    Internal {
        /// The extension's name.
        extension: String,
        /// The cause.
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
}

impl ExtensionError {
    /// The close code (RFC 6455 §7.4.1) that this error fails the connection with.
    pub fn close_code(&self) -> u16 {
        match self {
            ExtensionError::MessageTooLarge { .. } => 1009,
            ExtensionError::InvalidPayload { .. } => 1007,
            ExtensionError::Protocol { .. } => 1002,
            ExtensionError::Internal { .. } => 1011,
        }
    }
}

/// Two negotiated extensions claim the same RSV bit.
#[derive(Debug, thiserror::Error)]
#[error("extensions {first} and {second} both claim RSV bits {bits:#05b}")]
pub struct RsvConflict {
    /// The extension already in the stack.
    pub first: String,
    /// The extension that was being added.
    pub second: String,
    /// The shared bits (RSV1 = `0b100`).
    pub bits: u8,
}
