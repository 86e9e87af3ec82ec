//! Client-side negotiation: what `client_offer` sends, what `client_confirm`
//! accepts or refuses in the server's answer, and a full negotiation between
//! both ends. The test-only extensions are described in `common`.

mod common;

use common::{confirm, factories, names, negotiate, TestFactory};
use sockwell_extensions::{
    client_confirm, client_offer, ExtensionOffer, ExtensionStack, MessageKind, NegotiationError,
    Rsv,
};

// ---------------------------------------------------------------- client offer

#[test]
fn client_offer_lists_every_factorys_offers_in_order() {
    let (_, fs) = factories(vec![
        TestFactory::a().offering(vec![
            ExtensionOffer::new("x-a").with_param("p", Some("1".into())),
            ExtensionOffer::new("x-a"),
        ]),
        TestFactory::b(),
    ]);
    assert_eq!(client_offer(&fs).as_deref(), Some("x-a; p=1, x-a, x-b"));
    assert_eq!(client_offer(&[]), None);
    let (_, silent) = factories(vec![TestFactory::a().offering(vec![])]);
    assert_eq!(client_offer(&silent), None);
}

// ---------------------------------------------------------------- client side

#[test]
fn client_confirm_builds_the_stack_in_the_servers_order() {
    let (_, fs) = factories(vec![TestFactory::a(), TestFactory::b()]);
    let stack = confirm(&fs, "x-b; p=1, x-a").unwrap();
    assert_eq!(names(&stack), ["x-b", "x-a"]);
    let negotiated: Vec<String> = stack.negotiated().map(ToString::to_string).collect();
    assert_eq!(negotiated, ["x-b; p=1", "x-a"]);
}

#[test]
fn client_confirm_refuses_an_extension_not_offered() {
    let (_, fs) = factories(vec![TestFactory::a()]);
    match confirm(&fs, "x-a, x-b") {
        Err(NegotiationError::NotOffered(name)) => assert_eq!(name, "x-b"),
        other => panic!("expected NotOffered, got {other:?}"),
    }
}

#[test]
fn client_confirm_refuses_the_same_extension_twice() {
    let (_, fs) = factories(vec![TestFactory::a(), TestFactory::b()]);
    match confirm(&fs, "x-a, x-b, X-A") {
        Err(NegotiationError::Duplicate(name)) => assert_eq!(name, "x-a"),
        other => panic!("expected Duplicate, got {other:?}"),
    }
    // Also across header lines.
    match client_confirm(&fs, [&b"x-a"[..], &b"x-a"[..]]) {
        Err(NegotiationError::Duplicate(name)) => assert_eq!(name, "x-a"),
        other => panic!("expected Duplicate, got {other:?}"),
    }
}

#[test]
fn client_confirm_refuses_two_extensions_claiming_one_rsv_bit() {
    let (_, fs) = factories(vec![TestFactory::a(), TestFactory::c()]);
    match confirm(&fs, "x-a, x-c") {
        Err(NegotiationError::RsvConflict(conflict)) => {
            assert_eq!(conflict.first, "x-a");
            assert_eq!(conflict.second, "x-c");
            assert_eq!(conflict.bits, Rsv::RSV2.bits());
        }
        other => panic!("expected RsvConflict, got {other:?}"),
    }
}

#[test]
fn client_confirm_refuses_a_malformed_header() {
    let (_, fs) = factories(vec![TestFactory::a()]);
    for bad in [
        "x-a;",
        "x-a; =1",
        "x-a; p=",
        "x-a x-b",
        "x-a; p=\"unterminated",
    ] {
        assert!(
            matches!(confirm(&fs, bad), Err(NegotiationError::Header(_))),
            "{bad:?}"
        );
    }
}

#[test]
fn client_confirm_passes_on_the_factorys_refusal() {
    let (_, fs) = factories(vec![TestFactory::a()]);
    assert!(matches!(
        confirm(&fs, "x-a; bad"),
        Err(NegotiationError::InvalidResponse { extension, .. }) if extension == "x-a"
    ));
}

#[test]
fn client_confirm_of_an_empty_response_is_an_empty_stack() {
    let (_, fs) = factories(vec![TestFactory::a(), TestFactory::b()]);
    for empty in ["", " ", ",", " , ,"] {
        let stack = confirm(&fs, empty).unwrap();
        assert!(stack.is_empty(), "{empty:?}");
        assert_eq!(stack.reserved_bits(), Rsv::NONE);
        assert_eq!(stack.negotiated().count(), 0);
    }
    let stack = client_confirm(&fs, std::iter::empty::<&[u8]>()).unwrap();
    assert!(stack.is_empty());
}

#[test]
fn full_negotiation_gives_both_ends_the_same_stack() {
    let (_, client) = factories(vec![
        TestFactory::b(),
        TestFactory::a().offering(vec![
            ExtensionOffer::new("x-a").with_param("decline", None),
            ExtensionOffer::new("x-a").with_param("level", Some("3".into())),
        ]),
    ]);
    let (_, server) = factories(vec![TestFactory::a(), TestFactory::b()]);
    let offer = client_offer(&client).unwrap();
    assert_eq!(offer, "x-b, x-a; decline, x-a; level=3");
    let (answer, mut server_stack) = negotiate(&server, &offer);
    let answer = answer.unwrap();
    assert_eq!(answer, "x-b, x-a; level=3");
    let mut client_stack = confirm(&client, &answer).unwrap();
    assert_eq!(names(&client_stack), names(&server_stack));
    assert_eq!(
        client_stack.negotiated().collect::<Vec<_>>(),
        server_stack.negotiated().collect::<Vec<_>>()
    );

    let round_trip = |tx: &mut ExtensionStack, rx: &mut ExtensionStack| {
        let (wire, rsv) = tx.encode(MessageKind::Binary, b"round trip").unwrap();
        let wire = wire.to_vec();
        assert_eq!(rsv, Rsv::RSV2.union(Rsv::RSV3));
        rx.begin_message(rsv).unwrap();
        let mut out = Vec::new();
        rx.decode(&wire, true, &mut out, 1024).unwrap();
        assert_eq!(out, b"round trip");
    };
    round_trip(&mut client_stack, &mut server_stack);
    round_trip(&mut server_stack, &mut client_stack);
}
