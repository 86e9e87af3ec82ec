//! Negotiation (RFC 6455 §9.1): client offer -> server accept -> client confirm.

use crate::header::{format_extensions, parse_extensions, ExtensionOffer, HeaderError};
use crate::{Extension, ExtensionStack, RsvConflict};
use std::fmt;
use std::sync::Arc;

/// The negotiation side of an extension: configured once, it makes the
/// offers (client), accepts or declines offers (server), checks the answer
/// (client), and builds one [`Extension`] per connection.
pub trait ExtensionFactory: Send + Sync + fmt::Debug {
    /// The extension token this factory negotiates.
    fn name(&self) -> &str;

    /// Client: the offers for `Sec-WebSocket-Extensions`, most preferred first.
    fn offers(&self) -> Vec<ExtensionOffer>;

    /// Server: accept `offer` with the parameters of the response and the
    /// extension instance, or decline it (`None`: the next offer is tried).
    /// An offer with unknown, duplicate or invalid parameters is declined,
    /// never an error.
    fn accept(&self, offer: &ExtensionOffer) -> Option<Accepted>;

    /// Client: check the server's `response` against what was offered and
    /// build the instance, or say why the handshake must fail.
    fn confirm(&self, response: &ExtensionOffer) -> Result<Box<dyn Extension>, NegotiationError>;
}

/// A server's acceptance of one offer.
#[derive(Debug)]
pub struct Accepted {
    /// What goes into the response header for this extension.
    pub response: ExtensionOffer,
    /// The instance for this connection.
    pub extension: Box<dyn Extension>,
}

/// Why negotiation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NegotiationError {
    /// The header does not follow RFC 6455 §9.1.
    #[error("malformed Sec-WebSocket-Extensions header")]
    Header(#[from] HeaderError),
    /// The server answered an extension the client did not offer.
    #[error("server accepted extension {0:?}, which was not offered")]
    NotOffered(String),
    /// The server answered the same extension twice.
    #[error("server accepted extension {0:?} more than once")]
    Duplicate(String),
    /// The server's parameters are not acceptable.
    #[error("invalid response for {extension}: {reason}")]
    InvalidResponse {
        /// The extension.
        extension: String,
        /// What is wrong.
        reason: String,
    },
    /// Two negotiated extensions claim the same RSV bit.
    #[error("conflicting RSV bits")]
    RsvConflict(#[from] RsvConflict),
}

/// Client: the `Sec-WebSocket-Extensions` value offering every factory's
/// offers, or `None` when there is nothing to offer.
pub fn client_offer(factories: &[Arc<dyn ExtensionFactory>]) -> Option<String> {
    let offers: Vec<ExtensionOffer> = factories.iter().flat_map(|f| f.offers()).collect();
    (!offers.is_empty()).then(|| format_extensions(&offers))
}

/// Server: walks the client's offers in order; each factory accepts at most
/// one of them. Offers of unknown extensions, declined offers, and offers
/// whose RSV bits an already accepted extension owns are skipped. Returns the
/// response header value (if anything was accepted) and the stack.
pub fn server_negotiate<'a>(
    factories: &[Arc<dyn ExtensionFactory>],
    request_lines: impl IntoIterator<Item = &'a [u8]>,
) -> Result<(Option<String>, ExtensionStack), NegotiationError> {
    let offers = parse_extensions(request_lines)?;
    let mut stack = ExtensionStack::new();
    let mut accepted_by: Vec<usize> = Vec::new();
    for offer in &offers {
        for (i, factory) in factories.iter().enumerate() {
            if accepted_by.contains(&i) || !offer.is(factory.name()) {
                continue;
            }
            let Some(accepted) = factory.accept(offer) else {
                continue;
            };
            if stack
                .push_negotiated(accepted.extension, accepted.response)
                .is_ok()
            {
                accepted_by.push(i);
                break;
            }
        }
    }
    let header = (!stack.is_empty()).then(|| format_extensions(stack.negotiated()));
    Ok((header, stack))
}

/// Client: validates the server's `Sec-WebSocket-Extensions` lines and builds
/// the same stack, in the server's order.
pub fn client_confirm<'a>(
    factories: &[Arc<dyn ExtensionFactory>],
    response_lines: impl IntoIterator<Item = &'a [u8]>,
) -> Result<ExtensionStack, NegotiationError> {
    let responses = parse_extensions(response_lines)?;
    let mut stack = ExtensionStack::new();
    for response in responses {
        if stack.negotiated().any(|n| n.is(&response.name)) {
            return Err(NegotiationError::Duplicate(response.name));
        }
        let factory = factories
            .iter()
            .find(|f| response.is(f.name()))
            .ok_or_else(|| NegotiationError::NotOffered(response.name.clone()))?;
        let extension = factory.confirm(&response)?;
        stack.push_negotiated(extension, response)?;
    }
    Ok(stack)
}
