//! Negotiation (offer / accept / confirm) and the extension stack, with
//! small test-only extensions:
//!
//! - `x-a` owns RSV2 and appends a trailer byte to every message;
//! - `x-b` owns RSV3 and XORs every byte of binary messages (text passes);
//! - `x-c` owns RSV2 too, so it conflicts with `x-a`.
//!
//! Appending then XORing is not the same as XORing then appending, so the
//! wire bytes show the order the stack applied them in.
//!
//! Shared by the negotiation and stack tests.

#![allow(dead_code)]

use sockwell_extensions::{
    client_confirm, server_negotiate, Accepted, DecodeOutput, Extension, ExtensionError,
    ExtensionFactory, ExtensionOffer, ExtensionStack, MessageKind, NegotiationError, Rsv,
};
use std::sync::{Arc, Mutex};

pub const TRAILER: u8 = 0xAA;
pub const XOR: u8 = 0x55;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transform {
    /// Appends `TRAILER` to every message; decoding checks and removes it.
    Append,
    /// XORs every byte of binary messages with `XOR`.
    Xor,
}

#[derive(Debug)]
pub struct TestExtension {
    name: &'static str,
    bits: Rsv,
    transform: Transform,
    /// Decoding `Append`: the last byte seen, held back until it is known
    /// whether it is the trailer (the message's last byte).
    held: Option<u8>,
}

impl TestExtension {
    pub fn boxed(name: &'static str, bits: Rsv, transform: Transform) -> Box<dyn Extension> {
        Box::new(TestExtension {
            name,
            bits,
            transform,
            held: None,
        })
    }
}

impl Extension for TestExtension {
    fn name(&self) -> &str {
        self.name
    }

    fn reserved_bits(&self) -> Rsv {
        self.bits
    }

    fn encode(
        &mut self,
        kind: MessageKind,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<Rsv>, ExtensionError> {
        assert!(out.is_empty(), "out must be empty on entry");
        match self.transform {
            Transform::Append => {
                out.extend_from_slice(payload);
                out.push(TRAILER);
            }
            Transform::Xor => {
                if kind == MessageKind::Text {
                    return Ok(None);
                }
                out.extend(payload.iter().map(|b| b ^ XOR));
            }
        }
        Ok(Some(self.bits))
    }

    fn decodes(&self, rsv: Rsv) -> bool {
        rsv.intersects(self.bits)
    }

    fn decode(
        &mut self,
        input: &[u8],
        fin: bool,
        out: &mut DecodeOutput<'_>,
    ) -> Result<(), ExtensionError> {
        let emit = match self.transform {
            Transform::Append => (self.held.is_some() as usize + input.len()).saturating_sub(1),
            Transform::Xor => input.len(),
        };
        if out.len() + emit > out.max_len() {
            return Err(ExtensionError::MessageTooLarge {
                limit: out.max_len(),
            });
        }
        match self.transform {
            Transform::Append => {
                // Stream: everything but the last byte seen so far is payload.
                for &b in input {
                    if let Some(prev) = self.held.replace(b) {
                        out.extend_from_slice(&[prev])?;
                    }
                }
                if fin && self.held.take() != Some(TRAILER) {
                    return Err(ExtensionError::Protocol {
                        extension: self.name.to_owned(),
                        reason: "missing trailer".into(),
                    });
                }
            }
            Transform::Xor => {
                let decoded: Vec<u8> = input.iter().map(|b| b ^ XOR).collect();
                out.extend_from_slice(&decoded)?;
            }
        }
        Ok(())
    }
}

/// A factory that offers its extension with the given parameters, accepts
/// any offer without a `decline` parameter (echoing its parameters), and
/// confirms any response without a `bad` parameter. It records every offer
/// it was asked about.
#[derive(Debug)]
pub struct TestFactory {
    name: &'static str,
    bits: Rsv,
    transform: Transform,
    offers: Vec<ExtensionOffer>,
    seen: Mutex<Vec<ExtensionOffer>>,
}

impl TestFactory {
    pub fn new(name: &'static str, bits: Rsv, transform: Transform) -> Self {
        TestFactory {
            name,
            bits,
            transform,
            offers: vec![ExtensionOffer::new(name)],
            seen: Mutex::new(Vec::new()),
        }
    }

    pub fn a() -> Self {
        Self::new("x-a", Rsv::RSV2, Transform::Append)
    }

    pub fn b() -> Self {
        Self::new("x-b", Rsv::RSV3, Transform::Xor)
    }

    pub fn c() -> Self {
        Self::new("x-c", Rsv::RSV2, Transform::Xor)
    }

    pub fn offering(mut self, offers: Vec<ExtensionOffer>) -> Self {
        self.offers = offers;
        self
    }

    pub fn seen(&self) -> Vec<ExtensionOffer> {
        self.seen.lock().unwrap().clone()
    }

    pub fn extension(&self) -> Box<dyn Extension> {
        TestExtension::boxed(self.name, self.bits, self.transform)
    }
}

impl ExtensionFactory for TestFactory {
    fn name(&self) -> &str {
        self.name
    }

    fn offers(&self) -> Vec<ExtensionOffer> {
        self.offers.clone()
    }

    fn accept(&self, offer: &ExtensionOffer) -> Option<Accepted> {
        assert!(offer.is(self.name), "asked about {offer} by name");
        self.seen.lock().unwrap().push(offer.clone());
        if offer.params.iter().any(|p| p.name == "decline") {
            return None;
        }
        Some(Accepted {
            response: offer.clone(),
            extension: self.extension(),
        })
    }

    fn confirm(&self, response: &ExtensionOffer) -> Result<Box<dyn Extension>, NegotiationError> {
        if response.params.iter().any(|p| p.name == "bad") {
            return Err(NegotiationError::InvalidResponse {
                extension: self.name.to_owned(),
                reason: "bad".into(),
            });
        }
        Ok(self.extension())
    }
}

pub fn factories(
    list: Vec<TestFactory>,
) -> (Vec<Arc<TestFactory>>, Vec<Arc<dyn ExtensionFactory>>) {
    let typed: Vec<Arc<TestFactory>> = list.into_iter().map(Arc::new).collect();
    let dynamic = typed
        .iter()
        .map(|f| Arc::clone(f) as Arc<dyn ExtensionFactory>)
        .collect();
    (typed, dynamic)
}

pub fn negotiate(
    factories: &[Arc<dyn ExtensionFactory>],
    request: &str,
) -> (Option<String>, ExtensionStack) {
    server_negotiate(factories, [request.as_bytes()]).expect("well-formed request")
}

pub fn names(stack: &ExtensionStack) -> Vec<String> {
    stack.extensions().map(|e| e.name().to_owned()).collect()
}

pub fn confirm(
    factories: &[Arc<dyn ExtensionFactory>],
    response: &str,
) -> Result<ExtensionStack, NegotiationError> {
    client_confirm(factories, [response.as_bytes()])
}
