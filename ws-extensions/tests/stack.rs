//! The extension stack: encoding in negotiation order, decoding in reverse,
//! the size limit, RSV bit ownership and conflicts, and the negotiated
//! parameters. The test-only extensions are described in `common`.

mod common;

use common::{factories, names, negotiate, TestExtension, TestFactory, Transform, TRAILER, XOR};
use sockwell_extensions::{
    parse_extensions, ExtensionError, ExtensionOffer, ExtensionStack, MessageKind, Rsv,
};

// ---------------------------------------------------------------- the stack

fn stack_of(list: &[(&'static str, Rsv, Transform)]) -> ExtensionStack {
    let mut stack = ExtensionStack::new();
    for &(name, bits, transform) in list {
        stack
            .push(TestExtension::boxed(name, bits, transform))
            .unwrap();
    }
    stack
}

const A: (&str, Rsv, Transform) = ("x-a", Rsv::RSV2, Transform::Append);
const B: (&str, Rsv, Transform) = ("x-b", Rsv::RSV3, Transform::Xor);

fn decode_all(stack: &mut ExtensionStack, rsv: Rsv, frames: &[&[u8]]) -> Vec<u8> {
    stack.begin_message(rsv).unwrap();
    let mut out = Vec::new();
    if !stack.decodes_current() {
        for f in frames {
            out.extend_from_slice(f);
        }
        return out;
    }
    for (i, f) in frames.iter().enumerate() {
        stack
            .decode(f, i + 1 == frames.len(), &mut out, 1 << 20)
            .unwrap();
    }
    out
}

#[test]
fn encode_runs_in_negotiation_order() {
    let payload = b"abc";

    let mut ab = stack_of(&[A, B]);
    let (wire, rsv) = ab.encode(MessageKind::Binary, payload).unwrap();
    // Append first, then XOR everything, the trailer included.
    assert_eq!(
        wire,
        [b'a' ^ XOR, b'b' ^ XOR, b'c' ^ XOR, TRAILER ^ XOR].as_slice()
    );
    assert_eq!(rsv, Rsv::RSV2.union(Rsv::RSV3));

    let mut ba = stack_of(&[B, A]);
    let (wire, rsv) = ba.encode(MessageKind::Binary, payload).unwrap();
    // XOR first, then append the trailer in the clear.
    assert_eq!(
        wire,
        [b'a' ^ XOR, b'b' ^ XOR, b'c' ^ XOR, TRAILER].as_slice()
    );
    assert_eq!(rsv, Rsv::RSV2.union(Rsv::RSV3));

    // Three stages, so both scratch buffers are used in turn.
    let mut aba = stack_of(&[A, B, ("x-a2", Rsv::RSV1, Transform::Append)]);
    let (wire, _) = aba.encode(MessageKind::Binary, payload).unwrap();
    assert_eq!(
        wire,
        [b'a' ^ XOR, b'b' ^ XOR, b'c' ^ XOR, TRAILER ^ XOR, TRAILER].as_slice()
    );
}

#[test]
fn decode_runs_in_reverse_order() {
    for order in [[A, B], [B, A]] {
        let mut tx = stack_of(&order);
        let mut rx = stack_of(&order);
        for payload in [&b"abc"[..], b"", b"a longer message, split in frames"] {
            let (wire, rsv) = tx.encode(MessageKind::Binary, payload).unwrap();
            let wire = wire.to_vec();
            assert_eq!(decode_all(&mut rx, rsv, &[&wire]), payload);
            // Frame by frame, including an empty final frame.
            let frames: Vec<&[u8]> = wire.chunks(3).chain([&[][..]]).collect();
            assert_eq!(decode_all(&mut rx, rsv, &frames), payload);
        }
        // Decoding with the other order's stack mangles the message.
        let mut other = stack_of(&[order[1], order[0]]);
        let (wire, rsv) = tx.encode(MessageKind::Binary, b"abc").unwrap();
        let wire = wire.to_vec();
        other.begin_message(rsv).unwrap();
        let mut out = Vec::new();
        assert!(
            other.decode(&wire, true, &mut out, 1024).is_err() || out != b"abc",
            "the order of the stack must matter"
        );
    }

    // Three stages decode back through both scratch buffers.
    let three = [A, B, ("x-a2", Rsv::RSV1, Transform::Append)];
    let mut tx = stack_of(&three);
    let mut rx = stack_of(&three);
    let (wire, rsv) = tx.encode(MessageKind::Binary, b"xyz").unwrap();
    let wire = wire.to_vec();
    assert_eq!(decode_all(&mut rx, rsv, &[&wire]), b"xyz");
    assert_eq!(decode_all(&mut rx, rsv, &[&wire[..2], &wire[2..]]), b"xyz");
    assert_eq!(
        decode_all(&mut rx, rsv, &[&wire[..4], &wire[4..], b""]),
        b"xyz"
    );
}

#[test]
fn decode_passes_the_limit_to_the_extensions() {
    // x-a decodes first here (into a scratch buffer, trailer removed), x-b
    // last, into `out`.
    let mut tx = stack_of(&[B, A]);
    let mut rx = stack_of(&[B, A]);
    let (wire, rsv) = tx.encode(MessageKind::Binary, b"0123456789").unwrap();
    let wire = wire.to_vec();
    rx.begin_message(rsv).unwrap();
    let mut out = Vec::new();
    rx.decode(&wire, true, &mut out, 10).unwrap();
    assert_eq!(out, b"0123456789");

    rx.begin_message(rsv).unwrap();
    let mut out = Vec::new();
    rx.decode(&wire[..6], false, &mut out, 9).unwrap();
    let err = rx.decode(&wire[6..], true, &mut out, 9).unwrap_err();
    assert!(matches!(err, ExtensionError::MessageTooLarge { limit: 9 }));
    assert_eq!(err.close_code(), 1009);
}

#[test]
fn an_extension_that_passes_leaves_its_bit_clear_and_is_not_asked_to_decode() {
    let mut tx = stack_of(&[A, B]);
    let mut rx = stack_of(&[A, B]);
    // x-b leaves text alone: only x-a's bit is set.
    let (wire, rsv) = tx.encode(MessageKind::Text, b"text").unwrap();
    assert_eq!(wire, b"text\xAA");
    assert_eq!(rsv, Rsv::RSV2);
    let wire = wire.to_vec();
    assert_eq!(decode_all(&mut rx, rsv, &[&wire]), b"text");
    // With x-b alone, a text message is not copied and carries no bit.
    let mut b_only = stack_of(&[B]);
    let payload = b"unchanged";
    let (wire, rsv) = b_only.encode(MessageKind::Text, payload).unwrap();
    assert_eq!(rsv, Rsv::NONE);
    assert!(std::ptr::eq(wire, payload.as_slice()));
}

#[test]
fn empty_stack_passes_payloads_unchanged_and_enforces_the_limit() {
    let mut stack = ExtensionStack::new();
    assert!(stack.is_empty());
    let payload = b"plain";
    let (wire, rsv) = stack.encode(MessageKind::Binary, payload).unwrap();
    assert_eq!(rsv, Rsv::NONE);
    assert!(std::ptr::eq(wire, payload.as_slice()));

    stack.begin_message(Rsv::NONE).unwrap();
    assert!(!stack.decodes_current());
    let mut out = Vec::new();
    stack.decode(b"12345", false, &mut out, 8).unwrap();
    let err = stack.decode(b"6789", true, &mut out, 8).unwrap_err();
    assert!(matches!(err, ExtensionError::MessageTooLarge { limit: 8 }));
    assert_eq!(err.close_code(), 1009);
    assert_eq!(out, b"12345");
}

#[test]
fn an_rsv_bit_no_extension_owns_fails_with_1002() {
    let mut stack = stack_of(&[A, B]);
    let err = stack.begin_message(Rsv::RSV1).unwrap_err();
    assert!(matches!(err, ExtensionError::Protocol { .. }), "{err:?}");
    assert_eq!(err.close_code(), 1002);
    // Owned bits together with an unowned one still fail.
    let err = stack.begin_message(Rsv::RSV1.union(Rsv::RSV2)).unwrap_err();
    assert_eq!(err.close_code(), 1002);
    // An empty stack owns nothing.
    let err = ExtensionStack::new().begin_message(Rsv::RSV3).unwrap_err();
    assert_eq!(err.close_code(), 1002);
    // Owned bits are fine; no bit at all is a message no extension decodes.
    stack.begin_message(Rsv::RSV2).unwrap();
    assert!(stack.decodes_current());
    stack.begin_message(Rsv::NONE).unwrap();
    assert!(!stack.decodes_current());
}

#[test]
fn pushing_a_conflicting_extension_fails_and_leaves_the_stack_unchanged() {
    let mut stack = stack_of(&[A]);
    let err = stack
        .push(TestExtension::boxed("x-c", Rsv::RSV2, Transform::Xor))
        .unwrap_err();
    assert_eq!((err.first.as_str(), err.second.as_str()), ("x-a", "x-c"));
    assert_eq!(err.bits, Rsv::RSV2.bits());
    assert_eq!(names(&stack), ["x-a"]);
    assert_eq!(stack.reserved_bits(), Rsv::RSV2);
    assert_eq!(stack.negotiated().count(), 1);
}

#[test]
fn negotiated_exposes_the_agreed_params() {
    let (_, fs) = factories(vec![TestFactory::a(), TestFactory::b()]);
    let (header, stack) = negotiate(&fs, "x-b; mode=fast; flag, x-a; level=\"3\"");
    assert_eq!(
        header.as_deref(),
        Some("x-b; mode=fast; flag, x-a; level=3")
    );
    let negotiated: Vec<&ExtensionOffer> = stack.negotiated().collect();
    let expected = parse_extensions([&b"x-b; mode=fast; flag, x-a; level=3"[..]]).unwrap();
    assert_eq!(negotiated, expected.iter().collect::<Vec<_>>());
    assert_eq!(negotiated[0].params[0].value.as_deref(), Some("fast"));
    assert_eq!(negotiated[0].params[1].value, None);
    assert_eq!(negotiated[1].params[0].value.as_deref(), Some("3"));

    // `push` records the bare name.
    let stack = stack_of(&[A]);
    assert_eq!(
        stack.negotiated().collect::<Vec<_>>(),
        [&ExtensionOffer::new("x-a")]
    );
}
