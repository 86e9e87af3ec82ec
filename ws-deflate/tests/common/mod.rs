//! Helpers shared by the permessage-deflate negotiation tests (RFC 7692
//! §7.1): one extension item parsed from a header, and a client confirming
//! a server's response through `DeflateConfig` as an `ExtensionFactory`.

#![allow(dead_code)]

use sockwell_deflate::DeflateConfig;
use sockwell_extensions::{
    parse_extensions, Extension, ExtensionFactory, ExtensionOffer, NegotiationError,
};

pub fn item(header: &str) -> ExtensionOffer {
    let mut items = parse_extensions([header.as_bytes()]).expect("well-formed header");
    assert_eq!(items.len(), 1, "{header}");
    items.remove(0)
}

pub fn confirm(
    client: &DeflateConfig,
    response: &str,
) -> Result<Box<dyn Extension>, NegotiationError> {
    client.confirm(&item(response))
}
