//! permessage-deflate negotiation (RFC 7692 §7.1), client side: what a
//! client configured by `DeflateConfig` offers, and what it refuses in a
//! server's answer.

mod common;

use common::{confirm, item};
use sockwell_deflate::DeflateConfig;
use sockwell_extensions::{
    client_confirm, client_offer, server_negotiate, ExtensionOffer, NegotiationError, Rsv,
};

fn assert_invalid_response(client: &DeflateConfig, response: &str) {
    match confirm(client, response) {
        Err(NegotiationError::InvalidResponse { extension, reason }) => {
            assert_eq!(extension, "permessage-deflate");
            assert!(!reason.is_empty());
        }
        Err(other) => panic!("{response}: expected InvalidResponse, got {other:?}"),
        Ok(ext) => panic!("{response}: expected InvalidResponse, got {ext:?}"),
    }
}

// ---------------------------------------------------------------- client offer

#[test]
fn client_offers() {
    let offer = |c: DeflateConfig| client_offer(&[c.into_factory()]).unwrap();
    assert_eq!(
        offer(DeflateConfig::default().context_takeover()),
        "permessage-deflate; client_max_window_bits"
    );
    assert_eq!(
        offer(
            DeflateConfig::default()
                .context_takeover()
                .server_no_context_takeover(true)
                .client_no_context_takeover(true)
                .server_max_window_bits(10)
                .client_max_window_bits(12)
        ),
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
         server_max_window_bits=10; client_max_window_bits=12"
    );
    // Out-of-range settings are clamped to 8..=15.
    assert_eq!(
        offer(
            DeflateConfig::default()
                .context_takeover()
                .server_max_window_bits(3)
                .client_max_window_bits(200)
        ),
        "permessage-deflate; server_max_window_bits=8; client_max_window_bits=15"
    );
}

// ---------------------------------------------------------------- client side

#[test]
fn client_accepts_valid_responses() {
    let client = DeflateConfig::default().context_takeover();
    for response in [
        "permessage-deflate",
        "permessage-deflate; server_no_context_takeover",
        "permessage-deflate; client_no_context_takeover",
        "permessage-deflate; server_max_window_bits=12",
        "permessage-deflate; client_max_window_bits=9",
        "permessage-deflate; server_max_window_bits=8; client_max_window_bits=8",
    ] {
        assert!(confirm(&client, response).is_ok(), "{response}");
    }
}

#[test]
fn client_refuses_unknown_parameters() {
    let client = DeflateConfig::default().context_takeover();
    assert_invalid_response(&client, "permessage-deflate; foo");
    assert_invalid_response(
        &client,
        "permessage-deflate; server_max_window_bits=10; x=1",
    );
}

#[test]
fn client_refuses_duplicate_parameters() {
    let client = DeflateConfig::default().context_takeover();
    assert_invalid_response(
        &client,
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
    );
    assert_invalid_response(
        &client,
        "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
    );
    assert_invalid_response(
        &client,
        "permessage-deflate; client_max_window_bits=10; client_max_window_bits=10",
    );
}

#[test]
fn client_refuses_invalid_values() {
    let client = DeflateConfig::default().context_takeover();
    for response in [
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; client_max_window_bits=016",
        "permessage-deflate; server_no_context_takeover=1",
    ] {
        assert_invalid_response(&client, response);
    }
}

#[test]
fn client_requires_the_requested_server_max_window_bits_echoed() {
    let client = DeflateConfig::default()
        .context_takeover()
        .server_max_window_bits(10);
    assert_invalid_response(&client, "permessage-deflate");
    assert_invalid_response(&client, "permessage-deflate; client_max_window_bits=10");
    // Larger than requested.
    assert_invalid_response(&client, "permessage-deflate; server_max_window_bits=11");
    assert_invalid_response(&client, "permessage-deflate; server_max_window_bits=15");
    // Equal or smaller is fine.
    confirm(&client, "permessage-deflate; server_max_window_bits=10").unwrap();
    confirm(&client, "permessage-deflate; server_max_window_bits=9").unwrap();
    confirm(&client, "permessage-deflate; server_max_window_bits=8").unwrap();
}

#[test]
fn client_requires_a_value_for_client_max_window_bits() {
    assert_invalid_response(
        &DeflateConfig::default().context_takeover(),
        "permessage-deflate; client_max_window_bits",
    );
    assert_invalid_response(
        &DeflateConfig::default()
            .context_takeover()
            .client_max_window_bits(10),
        "permessage-deflate; client_max_window_bits",
    );
}

#[test]
fn client_refuses_a_client_window_above_its_offer() {
    let client = DeflateConfig::default()
        .context_takeover()
        .client_max_window_bits(10);
    assert_invalid_response(&client, "permessage-deflate; client_max_window_bits=12");
    assert_invalid_response(&client, "permessage-deflate; client_max_window_bits=11");
    confirm(&client, "permessage-deflate; client_max_window_bits=10").unwrap();
    confirm(&client, "permessage-deflate; client_max_window_bits=9").unwrap();
    // Not named in the answer: the client keeps to what it offered.
    confirm(&client, "permessage-deflate").unwrap();
}

#[test]
fn client_requires_server_no_context_takeover_acknowledged() {
    let client = DeflateConfig::default()
        .context_takeover()
        .server_no_context_takeover(true);
    assert_invalid_response(&client, "permessage-deflate");
    assert_invalid_response(&client, "permessage-deflate; client_no_context_takeover");
    confirm(&client, "permessage-deflate; server_no_context_takeover").unwrap();
}

#[test]
fn client_confirm_errors_surface_through_the_negotiation() {
    let client = vec![DeflateConfig::default().context_takeover().into_factory()];
    assert!(matches!(
        client_confirm(&client, [&b"permessage-deflate; foo"[..]]),
        Err(NegotiationError::InvalidResponse { .. })
    ));
    assert!(matches!(
        client_confirm(&client, [&b"permessage-deflate, permessage-deflate"[..]]),
        Err(NegotiationError::Duplicate(_))
    ));
    assert!(matches!(
        client_confirm(&client, [&b"x-webkit-deflate-frame"[..]]),
        Err(NegotiationError::NotOffered(_))
    ));
    // The server declined: no extension.
    assert!(client_confirm(&client, std::iter::empty::<&[u8]>())
        .unwrap()
        .is_empty());
}

#[test]
fn negotiated_params_are_what_the_response_said() {
    let client = vec![DeflateConfig::default()
        .context_takeover()
        .server_max_window_bits(10)
        .into_factory()];
    let server = vec![DeflateConfig::default()
        .context_takeover()
        .client_max_window_bits(11)
        .into_factory()];
    let offer = client_offer(&client).unwrap();
    let (answer, server_stack) = server_negotiate(&server, [offer.as_bytes()]).unwrap();
    let answer = answer.unwrap();
    assert_eq!(
        answer,
        "permessage-deflate; server_max_window_bits=10; client_max_window_bits=11"
    );
    let client_stack = client_confirm(&client, [answer.as_bytes()]).unwrap();
    for stack in [&server_stack, &client_stack] {
        let agreed: Vec<&ExtensionOffer> = stack.negotiated().collect();
        assert_eq!(agreed, [&item(&answer)]);
        assert_eq!(stack.reserved_bits(), Rsv::RSV1);
    }
}
