//! permessage-deflate negotiation (RFC 7692 §7.1), server side: what a
//! server configured by `DeflateConfig` accepts, declines and answers.

mod common;

use common::{confirm, item};
use sockwell_deflate::DeflateConfig;
use sockwell_extensions::{server_negotiate, ExtensionFactory, Rsv};

/// The server's response to `offer`, or `None` if declined.
fn accept(server: &DeflateConfig, offer: &str) -> Option<String> {
    server
        .accept(&item(offer))
        .map(|accepted| accepted.response.to_string())
}

/// A server that keeps its context and lets the client keep its own, with
/// windows of 15, so that each answer names only what the offer and the
/// caps ask for.
fn keeping() -> DeflateConfig {
    DeflateConfig::default()
        .context_takeover()
        .server_max_window_bits(15)
        .client_max_window_bits(15)
}

// ---------------------------------------------------------------- server side

#[test]
fn a_default_server_keeps_both_contexts_and_caps_the_clients_window() {
    let server = DeflateConfig::default();
    // A browser's offer: the client's window can be capped, so both keep
    // their context: ours in our window (15, as the client allows; the
    // server keeps only the last 2^13 bytes between messages), the
    // client's capped at 2^11.
    assert_eq!(
        accept(&server, "permessage-deflate; client_max_window_bits").as_deref(),
        Some("permessage-deflate; client_max_window_bits=11")
    );
    // Smaller windows asked for are granted; the client's is capped.
    assert_eq!(
        accept(
            &server,
            "permessage-deflate; client_max_window_bits=10; server_max_window_bits=10"
        )
        .as_deref(),
        Some("permessage-deflate; server_max_window_bits=10; client_max_window_bits=10")
    );
    assert_eq!(
        accept(
            &server,
            "permessage-deflate; client_max_window_bits=15; server_max_window_bits=15"
        )
        .as_deref(),
        Some("permessage-deflate; server_max_window_bits=15; client_max_window_bits=11")
    );
    // A client that cannot be capped (no client_max_window_bits) would make
    // us keep 2^15 bytes of its messages: it is told to reset instead.
    assert_eq!(
        accept(&server, "permessage-deflate").as_deref(),
        Some("permessage-deflate; client_no_context_takeover")
    );
    // ... unless the server is told to let it keep its context anyway.
    assert_eq!(
        accept(
            &server.clone().client_no_context_takeover(false),
            "permessage-deflate"
        )
        .as_deref(),
        Some("permessage-deflate")
    );
    // Either may be turned off alone; a direction that keeps nothing keeps
    // its largest window (nothing to bound).
    assert_eq!(
        accept(
            &server.clone().server_no_context_takeover(true),
            "permessage-deflate; client_max_window_bits"
        )
        .as_deref(),
        Some("permessage-deflate; server_no_context_takeover; client_max_window_bits=11")
    );
    assert_eq!(
        accept(
            &server.clone().client_no_context_takeover(true),
            "permessage-deflate; client_max_window_bits"
        )
        .as_deref(),
        Some("permessage-deflate; client_no_context_takeover")
    );
    // A client asking for server_no_context_takeover always gets it.
    assert_eq!(
        accept(
            &server,
            "permessage-deflate; server_no_context_takeover; client_max_window_bits"
        )
        .as_deref(),
        Some("permessage-deflate; server_no_context_takeover; client_max_window_bits=11")
    );
}

#[test]
fn server_declines_duplicate_parameters() {
    let server = keeping();
    for offer in [
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
        "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
        "permessage-deflate; server_max_window_bits=10; server_max_window_bits=11",
        "permessage-deflate; client_max_window_bits; client_max_window_bits",
        "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
        "permessage-deflate; Server_No_Context_Takeover; server_no_context_takeover",
    ] {
        assert_eq!(accept(&server, offer), None, "{offer}");
    }
}

#[test]
fn server_declines_invalid_values() {
    let server = keeping();
    for offer in [
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=010",
        "permessage-deflate; server_max_window_bits=abc",
        "permessage-deflate; server_max_window_bits=0",
        "permessage-deflate; server_max_window_bits=-9",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; client_max_window_bits=16",
        "permessage-deflate; client_max_window_bits=7",
        "permessage-deflate; client_max_window_bits=09",
        "permessage-deflate; client_max_window_bits=abc",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; client_no_context_takeover=true",
    ] {
        assert_eq!(accept(&server, offer), None, "{offer}");
    }
}

#[test]
fn server_declines_unknown_parameters() {
    let server = keeping();
    for offer in [
        "permessage-deflate; foo",
        "permessage-deflate; x=1",
        "permessage-deflate; client_max_window_bits; max_window_bits=10",
        "permessage-deflate; server_no_context_takeover; mux",
    ] {
        assert_eq!(accept(&server, offer), None, "{offer}");
    }
}

#[test]
fn a_declined_offer_falls_through_to_the_next_deflate_offer() {
    let server = vec![keeping().into_factory()];
    let (answer, stack) = server_negotiate(
        &server,
        [
            &b"permessage-deflate; server_max_window_bits=7, permessage-deflate; foo, \
            permessage-deflate; server_max_window_bits=11"[..],
        ],
    )
    .unwrap();
    assert_eq!(
        answer.as_deref(),
        Some("permessage-deflate; server_max_window_bits=11")
    );
    assert_eq!(stack.reserved_bits(), Rsv::RSV1);

    // Nothing acceptable: no extension, no header.
    let (answer, stack) = server_negotiate(
        &server,
        [&b"permessage-deflate; server_max_window_bits=16"[..]],
    )
    .unwrap();
    assert_eq!(answer, None);
    assert!(stack.is_empty());
}

#[test]
fn server_answers_a_plain_offer_plainly() {
    let server = keeping();
    assert_eq!(
        accept(&server, "permessage-deflate").as_deref(),
        Some("permessage-deflate")
    );
    // A bare client_max_window_bits with no cap: 15 is the default, not echoed.
    assert_eq!(
        accept(&server, "permessage-deflate; client_max_window_bits").as_deref(),
        Some("permessage-deflate")
    );
    // Quoted values are fine (§7.1: the value may be a quoted string).
    assert_eq!(
        accept(&server, "permessage-deflate; server_max_window_bits=\"12\"").as_deref(),
        Some("permessage-deflate; server_max_window_bits=12")
    );
}

#[test]
fn server_echoes_server_max_window_bits() {
    assert_eq!(
        accept(&keeping(), "permessage-deflate; server_max_window_bits=10").as_deref(),
        Some("permessage-deflate; server_max_window_bits=10")
    );
    // The server's own cap wins when it is lower...
    assert_eq!(
        accept(
            &keeping().server_max_window_bits(9),
            "permessage-deflate; server_max_window_bits=10"
        )
        .as_deref(),
        Some("permessage-deflate; server_max_window_bits=9")
    );
    // ...and the client's request when it is.
    assert_eq!(
        accept(
            &keeping().server_max_window_bits(12),
            "permessage-deflate; server_max_window_bits=10"
        )
        .as_deref(),
        Some("permessage-deflate; server_max_window_bits=10")
    );
    // A server cap is announced even when the client asked for nothing.
    assert_eq!(
        accept(&keeping().server_max_window_bits(11), "permessage-deflate").as_deref(),
        Some("permessage-deflate; server_max_window_bits=11")
    );
}

#[test]
fn server_limits_the_client_window_only_when_the_client_allows_it() {
    let server = keeping().client_max_window_bits(10);
    // No client_max_window_bits in the offer: the client may not be able to
    // limit its window, so the response must not name it (§7.1.2.2).
    let answer = accept(&server, "permessage-deflate").unwrap();
    assert!(!answer.contains("client_max_window_bits"), "{answer}");
    assert_eq!(answer, "permessage-deflate");
    let answer = accept(&server, "permessage-deflate; server_max_window_bits=12").unwrap();
    assert!(!answer.contains("client_max_window_bits"), "{answer}");

    // A bare client_max_window_bits: the server picks its cap.
    assert_eq!(
        accept(&server, "permessage-deflate; client_max_window_bits").as_deref(),
        Some("permessage-deflate; client_max_window_bits=10")
    );
    // A value: the lower of the client's value and the server's cap.
    assert_eq!(
        accept(&server, "permessage-deflate; client_max_window_bits=12").as_deref(),
        Some("permessage-deflate; client_max_window_bits=10")
    );
    assert_eq!(
        accept(&server, "permessage-deflate; client_max_window_bits=9").as_deref(),
        Some("permessage-deflate; client_max_window_bits=9")
    );
    // Without a server cap, a client value is echoed as given.
    assert_eq!(
        accept(&keeping(), "permessage-deflate; client_max_window_bits=11").as_deref(),
        Some("permessage-deflate; client_max_window_bits=11")
    );
}

#[test]
fn server_no_context_takeover_is_acknowledged() {
    assert_eq!(
        accept(&keeping(), "permessage-deflate; server_no_context_takeover").as_deref(),
        Some("permessage-deflate; server_no_context_takeover")
    );
    // Also when the server decides it on its own.
    assert_eq!(
        accept(
            &keeping().server_no_context_takeover(true),
            "permessage-deflate"
        )
        .as_deref(),
        Some("permessage-deflate; server_no_context_takeover")
    );
    // The server may demand that the client reset its context.
    assert_eq!(
        accept(
            &keeping().client_no_context_takeover(true),
            "permessage-deflate"
        )
        .as_deref(),
        Some("permessage-deflate; client_no_context_takeover")
    );
    // A client's own client_no_context_takeover is a hint, not echoed.
    assert_eq!(
        accept(&keeping(), "permessage-deflate; client_no_context_takeover").as_deref(),
        Some("permessage-deflate")
    );
}

#[test]
fn server_answers_every_parameter_together() {
    let server = keeping().client_max_window_bits(12);
    let answer = accept(
        &server,
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
         server_max_window_bits=10; client_max_window_bits",
    )
    .unwrap();
    assert_eq!(
        answer,
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; \
         client_max_window_bits=12"
    );
    // A client offering that config accepts this answer.
    let client = keeping()
        .server_no_context_takeover(true)
        .client_no_context_takeover(true)
        .server_max_window_bits(10);
    confirm(&client, &answer).unwrap();
}
