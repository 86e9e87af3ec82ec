//! How a [`DeflateConfig`] is negotiated (RFC 7692 §5, §7.1): the client's
//! offer, the server's answer to an offer, the client's check of that
//! answer, each ending in the connection's [`PerMessageDeflate`].

use crate::codec::{Direction, PerMessageDeflate};
use crate::params::{Params, NAME};
use crate::DeflateConfig;
use sockwell_extensions::{
    Accepted, Extension, ExtensionFactory, ExtensionOffer, NegotiationError,
};

/// How much of what we sent a connection with context takeover keeps
/// between messages (in history mode), unless a smaller window was agreed
/// or configured: 2^13 bytes. A message that fits in it is compressed in a
/// window of that size, a larger one in the agreed window (see
/// the codec's `compress_bits`); either way back-references stay in
/// the peer's window. Chosen by measurement on small JSON messages (see
/// the README's compression section): with 2^12 zlib-rs at level 6
/// compresses them 3.7:1, below Python `websockets`' 3.9:1 (C zlib, window
/// 12); with 2^13, 4.1:1.
const OWN_HISTORY_BITS: u8 = 13;

/// The window a server caps a client's at unless configured otherwise
/// (when the client offers `client_max_window_bits`, as browsers do): 2^11
/// bytes of what the peer sent, kept per connection (all of the peer's
/// window must be). With the 8 KiB sent,
/// an idle async server connection then costs under 16 KiB in all
/// (`benches/tests/idle_connections.rs`); at 12 it cost 17.3 KiB.
const PEER_WINDOW_BITS: u8 = 11;

impl DeflateConfig {
    fn clamp(bits: Option<u8>) -> Option<u8> {
        bits.map(|b| b.clamp(8, 15))
    }

    /// The single offer a client makes.
    fn offer_params(&self) -> Params {
        Params {
            server_no_context_takeover: self.server_no_context_takeover.unwrap_or(false),
            client_no_context_takeover: self.client_no_context_takeover.unwrap_or(false),
            server_max_window_bits: Self::clamp(self.server_max_window_bits),
            client_max_window_bits: Some(Self::clamp(self.client_max_window_bits)),
        }
    }
}

impl ExtensionFactory for DeflateConfig {
    fn name(&self) -> &str {
        NAME
    }

    fn offers(&self) -> Vec<ExtensionOffer> {
        vec![self.offer_params().to_offer()]
    }

    fn accept(&self, offer: &ExtensionOffer) -> Option<Accepted> {
        let offer = Params::parse(offer).ok()?;
        let server_takeover =
            !(offer.server_no_context_takeover || self.server_no_context_takeover.unwrap_or(false));
        let own_cap = Self::clamp(self.server_max_window_bits).unwrap_or(15);
        let server_bits = offer.server_max_window_bits.unwrap_or(15).min(own_cap);
        // By default the client keeps its context when its window can be
        // capped; one that cannot be (no client_max_window_bits offered)
        // would make the connection keep 32 KiB of its messages, so it is
        // told to reset instead.
        let configured_peer_cap = Self::clamp(self.client_max_window_bits);
        let client_no_context_takeover = self.client_no_context_takeover.unwrap_or(
            offer.client_max_window_bits.is_none()
                && configured_peer_cap.unwrap_or(PEER_WINDOW_BITS) < 15,
        );
        let peer_cap = configured_peer_cap.unwrap_or(if client_no_context_takeover {
            15
        } else {
            PEER_WINDOW_BITS
        });
        let client_bits = match offer.client_max_window_bits {
            // The client did not say it can limit its window: it uses up to 15.
            None => None,
            Some(value) => {
                let bits = value.unwrap_or(15).min(peer_cap);
                (value.is_some() || bits < 15).then_some(bits)
            }
        };
        let response = Params {
            server_no_context_takeover: !server_takeover,
            client_no_context_takeover,
            // §7.1.2.1: an accepted server_max_window_bits MUST be echoed;
            // a smaller window than asked MAY be announced.
            server_max_window_bits: (offer.server_max_window_bits.is_some() || server_bits < 15)
                .then_some(server_bits),
            client_max_window_bits: client_bits.map(Some),
        };
        let extension = PerMessageDeflate::new(
            self,
            response,
            Direction {
                no_context_takeover: response.server_no_context_takeover,
                window_bits: server_bits,
                history_bits: server_bits
                    .min(Self::clamp(self.server_max_window_bits).unwrap_or(OWN_HISTORY_BITS)),
            },
            Direction {
                // Only the response binds the client. Its own
                // client_no_context_takeover in the offer is a hint (§7.1.1.2)
                // that some clients (Autobahn's among them) send while keeping
                // their context, so the inflater keeps its window.
                no_context_takeover: response.client_no_context_takeover,
                window_bits: client_bits.unwrap_or(15),
                history_bits: client_bits.unwrap_or(15),
            },
        );
        Some(Accepted {
            response: response.to_offer(),
            extension: Box::new(extension),
        })
    }

    fn confirm(&self, response: &ExtensionOffer) -> Result<Box<dyn Extension>, NegotiationError> {
        let invalid = |reason: String| NegotiationError::InvalidResponse {
            extension: NAME.to_owned(),
            reason,
        };
        let answer = Params::parse(response).map_err(invalid)?;
        let offer = self.offer_params();
        if offer.server_no_context_takeover && !answer.server_no_context_takeover {
            return Err(invalid(
                "server_no_context_takeover was requested but not acknowledged".into(),
            ));
        }
        if let Some(asked) = offer.server_max_window_bits {
            match answer.server_max_window_bits {
                None => {
                    return Err(invalid(
                        "server_max_window_bits was requested but not echoed".into(),
                    ))
                }
                Some(bits) if bits > asked => {
                    return Err(invalid(format!(
                        "server_max_window_bits={bits} exceeds the requested {asked}"
                    )))
                }
                Some(_) => {}
            }
        }
        let client_bits = match answer.client_max_window_bits {
            None => offer.client_max_window_bits.flatten().unwrap_or(15),
            Some(None) => {
                return Err(invalid(
                    "client_max_window_bits in a response needs a value".into(),
                ))
            }
            Some(Some(bits)) => match offer.client_max_window_bits.flatten() {
                Some(limit) if bits > limit => {
                    return Err(invalid(format!(
                        "client_max_window_bits={bits} exceeds the offered {limit}"
                    )))
                }
                _ => bits,
            },
        };
        let no_context_takeover =
            answer.client_no_context_takeover || self.client_no_context_takeover.unwrap_or(false);
        let extension = PerMessageDeflate::new(
            self,
            answer,
            Direction {
                no_context_takeover,
                window_bits: client_bits,
                history_bits: client_bits
                    .min(Self::clamp(self.client_max_window_bits).unwrap_or(OWN_HISTORY_BITS)),
            },
            Direction {
                no_context_takeover: answer.server_no_context_takeover,
                window_bits: answer.server_max_window_bits.unwrap_or(15),
                history_bits: answer.server_max_window_bits.unwrap_or(15),
            },
        );
        Ok(Box::new(extension))
    }
}
