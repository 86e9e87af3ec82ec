//! Server-side negotiation: which of the client's offers `server_negotiate`
//! accepts, in what order, and what it answers. The test-only extensions are
//! described in `common`.

mod common;

use common::{factories, names, negotiate, TestFactory};
use sockwell_extensions::{server_negotiate, NegotiationError, Rsv};

// ---------------------------------------------------------------- server side

#[test]
fn server_accepts_offers_in_the_clients_order() {
    let (_, fs) = factories(vec![TestFactory::a(), TestFactory::b()]);
    let (header, stack) = negotiate(&fs, "x-b, x-a");
    assert_eq!(header.as_deref(), Some("x-b, x-a"));
    assert_eq!(names(&stack), ["x-b", "x-a"]);
    assert_eq!(stack.reserved_bits(), Rsv::RSV2.union(Rsv::RSV3));

    let (header, stack) = negotiate(&fs, "x-a, x-b");
    assert_eq!(header.as_deref(), Some("x-a, x-b"));
    assert_eq!(names(&stack), ["x-a", "x-b"]);
}

#[test]
fn each_factory_accepts_at_most_one_offer() {
    let (typed, fs) = factories(vec![TestFactory::a()]);
    let (header, stack) = negotiate(&fs, "x-a; n=1, x-a; n=2");
    assert_eq!(header.as_deref(), Some("x-a; n=1"));
    assert_eq!(names(&stack), ["x-a"]);
    // The second offer was never put to the factory.
    assert_eq!(typed[0].seen().len(), 1);
}

#[test]
fn unknown_offers_are_skipped() {
    let (_, fs) = factories(vec![TestFactory::a(), TestFactory::b()]);
    let (header, stack) = negotiate(&fs, "x-unknown; q=1, x-b, permessage-foo");
    assert_eq!(header.as_deref(), Some("x-b"));
    assert_eq!(names(&stack), ["x-b"]);

    let (header, stack) = negotiate(&fs, "x-unknown, x-other");
    assert_eq!(header, None);
    assert!(stack.is_empty());
    assert_eq!(stack.reserved_bits(), Rsv::NONE);

    let (header, stack) = negotiate(&fs, "");
    assert_eq!(header, None);
    assert!(stack.is_empty());
}

#[test]
fn declined_offer_falls_through_to_the_next_offer_of_the_same_extension() {
    let (typed, fs) = factories(vec![TestFactory::a()]);
    let (header, stack) = negotiate(&fs, "x-a; decline, x-b, x-a; n=2, x-a; n=3");
    assert_eq!(header.as_deref(), Some("x-a; n=2"));
    assert_eq!(names(&stack), ["x-a"]);
    assert_eq!(
        stack.negotiated().cloned().collect::<Vec<_>>()[0]
            .params
            .len(),
        1
    );
    let seen: Vec<String> = typed[0].seen().iter().map(ToString::to_string).collect();
    assert_eq!(seen, ["x-a; decline", "x-a; n=2"]);

    // Every offer declined: nothing negotiated.
    let (header, stack) = negotiate(&fs, "x-a; decline, x-a; decline");
    assert_eq!(header, None);
    assert!(stack.is_empty());
}

#[test]
fn names_and_params_are_matched_case_insensitively() {
    let (_, fs) = factories(vec![TestFactory::a()]);
    let (header, stack) = negotiate(&fs, "X-A; N=Value");
    // Names are lowered; values are kept as sent.
    assert_eq!(header.as_deref(), Some("x-a; n=Value"));
    assert_eq!(names(&stack), ["x-a"]);
}

#[test]
fn offers_may_span_several_header_lines() {
    let (_, fs) = factories(vec![TestFactory::a(), TestFactory::b()]);
    let (header, stack) =
        server_negotiate(&fs, [&b"x-unknown"[..], &b"x-b"[..], &b" , x-a"[..]]).unwrap();
    assert_eq!(header.as_deref(), Some("x-b, x-a"));
    assert_eq!(names(&stack), ["x-b", "x-a"]);
}

#[test]
fn server_accepts_only_the_first_of_two_extensions_claiming_one_rsv_bit() {
    let (_, fs) = factories(vec![TestFactory::a(), TestFactory::b(), TestFactory::c()]);
    let (header, stack) = negotiate(&fs, "x-a, x-c, x-b");
    assert_eq!(header.as_deref(), Some("x-a, x-b"));
    assert_eq!(names(&stack), ["x-a", "x-b"]);

    let (header, stack) = negotiate(&fs, "x-c, x-a");
    assert_eq!(header.as_deref(), Some("x-c"));
    assert_eq!(names(&stack), ["x-c"]);
    assert_eq!(stack.reserved_bits(), Rsv::RSV2);
}

#[test]
fn server_rejects_a_malformed_request_header() {
    let (_, fs) = factories(vec![TestFactory::a()]);
    for bad in ["x-a;", "x-a; p=\"1 2\"", "x-a x-b", "\"x-a\""] {
        assert!(
            matches!(
                server_negotiate(&fs, [bad.as_bytes()]),
                Err(NegotiationError::Header(_))
            ),
            "{bad:?}"
        );
    }
}
