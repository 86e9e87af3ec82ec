//! History mode on a busy connection: it holds the contexts it borrowed
//! between messages (no re-priming while it streams) and gives them back
//! when it goes quiet (`ExtensionStack::release_idle_state`). Counted with the
//! test-only per-thread priming counter, and checked against connections
//! that own their zlib states.

use crate::pool::PRIMINGS;
use crate::test_support::noise;
use crate::{DeflateConfig, TakeoverContext};
use sockwell_extensions::{
    client_confirm, client_offer, server_negotiate, ExtensionStack, MessageKind, Rsv,
};

const BITS: u8 = 12;
const LIMIT: usize = 1 << 20;

fn config(context: TakeoverContext, keep: usize) -> DeflateConfig {
    DeflateConfig::default()
        .context_takeover()
        .server_max_window_bits(BITS)
        .client_max_window_bits(BITS)
        .pooled_contexts(keep)
        .busy_contexts(keep)
        .takeover_context(context)
}

/// (client, server), each side with its own config (how it keeps context
/// is not negotiated).
fn pair(client: &DeflateConfig, server: &DeflateConfig) -> (ExtensionStack, ExtensionStack) {
    let client_factories = vec![client.clone().into_factory()];
    let server_factories = vec![server.clone().into_factory()];
    let offer = client_offer(&client_factories).unwrap();
    let (answer, server) = server_negotiate(&server_factories, [offer.as_bytes()]).unwrap();
    let client = client_confirm(&client_factories, [answer.unwrap().as_bytes()]).unwrap();
    (client, server)
}

/// A small JSON-like message, different each time.
fn message(n: usize) -> Vec<u8> {
    format!(
        r#"{{"type":"ticker","seq":{n},"symbol":"S{}","price":{}.{},"volume":{}}}"#,
        n % 7,
        100 + n * 37 % 91,
        n * 13 % 100,
        n * 7919 % 10_000
    )
    .into_bytes()
}

fn encode(stack: &mut ExtensionStack, payload: &[u8]) -> (Vec<u8>, Rsv) {
    let (wire, rsv) = stack.encode(MessageKind::Text, payload).unwrap();
    (wire.to_vec(), rsv)
}

/// Decodes one message in `pieces` frames; `between` runs after each
/// piece but the last.
fn decode(
    stack: &mut ExtensionStack,
    (wire, rsv): &(Vec<u8>, Rsv),
    pieces: usize,
    mut between: impl FnMut(&mut ExtensionStack),
) -> Vec<u8> {
    stack.begin_message(*rsv).unwrap();
    if !stack.decodes_current() {
        return wire.clone();
    }
    let mut out = Vec::new();
    let size = wire.len().div_ceil(pieces).max(1);
    let chunks: Vec<&[u8]> = wire.chunks(size).collect();
    for (i, piece) in chunks.iter().enumerate() {
        let fin = i + 1 == chunks.len();
        stack.decode(piece, fin, &mut out, LIMIT).unwrap();
        if !fin {
            between(stack);
        }
    }
    out
}

fn primings() -> usize {
    PRIMINGS.with(|n| n.get())
}

/// One round: the server sends message `n` (checked against an owned
/// server's bytes when `reference` is given, and inflated by the owned
/// client), the client sends message `n + 1` to the server.
fn round(
    client: &mut ExtensionStack,
    server: &mut ExtensionStack,
    reference: Option<&mut ExtensionStack>,
    n: usize,
) {
    let sent = encode(server, &message(n));
    assert_eq!(sent.1, Rsv::RSV1, "message {n} compressed");
    if let Some(reference) = reference {
        assert_eq!(sent, encode(reference, &message(n)), "message {n}'s bytes");
    }
    assert_eq!(decode(client, &sent, 1, |_| {}), message(n));
    let received = encode(client, &message(n + 1));
    assert_eq!(decode(server, &received, 1, |_| {}), message(n + 1));
}

#[test]
fn a_busy_connection_primes_once_and_again_after_going_idle() {
    let owned = config(TakeoverContext::Owned, 1000);
    // A bound high enough that other tests' held contexts never reach it.
    let history = config(TakeoverContext::History, 1000);
    let (mut client, mut server) = pair(&owned, &history);
    let (_, mut reference) = pair(&owned, &owned);
    let start = primings();
    for n in 0..40 {
        round(&mut client, &mut server, Some(&mut reference), n * 2);
    }
    // One compressor and one decompressor, borrowed for the first messages
    // and held since: the same bytes as a server that owns its states.
    assert_eq!(primings() - start, 2);
    assert!(server.holds_idle_state());
    server.release_idle_state();
    assert!(!server.holds_idle_state());
    for n in 40..80 {
        round(&mut client, &mut server, None, n * 2);
    }
    assert_eq!(primings() - start, 4, "primed again once after going idle");
}

#[test]
fn without_room_to_hold_every_message_primes() {
    let owned = config(TakeoverContext::Owned, 1000);
    // busy_contexts(0): no context may be held between messages.
    let history = config(TakeoverContext::History, 0);
    let (mut client, mut server) = pair(&owned, &history);
    let start = primings();
    for n in 0..10 {
        round(&mut client, &mut server, None, n * 2);
    }
    assert_eq!(primings() - start, 20);
}

#[test]
fn a_held_decoder_stays_through_a_release_in_the_middle_of_a_message() {
    let owned = config(TakeoverContext::Owned, 1000);
    let history = config(TakeoverContext::History, 1000);
    let (mut client, mut server) = pair(&owned, &history);
    let start = primings();
    for n in 0..20 {
        let wire = encode(&mut client, &message(n));
        // The engine releases after a quiet spell, which can fall
        // between two frames of a message.
        let got = decode(&mut server, &wire, 3, ExtensionStack::release_idle_state);
        assert_eq!(got, message(n), "message {n}");
    }
    // Released between messages' frames only: never while one was held
    // and a message was in progress, and the decoder primed once.
    assert_eq!(primings() - start, 1);
}

#[test]
fn a_message_sent_as_it_is_gives_the_held_compressor_back() {
    let owned = config(TakeoverContext::Owned, 1000);
    let history = config(TakeoverContext::History, 1000);
    let (mut client, mut server) = pair(&owned, &history);
    let noise = noise(300, 0x2545_f491_4f6c_dd1d);
    let start = primings();
    for n in 0..10 {
        let sent = encode(&mut server, &message(n));
        assert_eq!(decode(&mut client, &sent, 1, |_| {}), message(n));
        let sent = encode(&mut server, &noise);
        assert_eq!(sent.1, Rsv::NONE, "noise goes as it is");
        assert_eq!(decode(&mut client, &sent, 1, |_| {}), noise);
    }
    // The compressor's state held the noise, which the peer's window does
    // not: each message after noise starts on a primed compressor.
    assert_eq!(primings() - start, 10);
}
