//! DEFLATE streams that end (BFINAL) and restart inside one message: what
//! each restart costs. `03 00` is an empty final block, so a message made
//! of them inflates to nothing while the decoder starts a new stream every
//! two bytes. A restart must cost a small fixed amount, not something that
//! grows with the window: the measure here is deterministic, allocation
//! calls during the decode (a restart that read out the window and set it
//! back as a dictionary allocated 32 KiB each time and copied the window
//! twice); `deflate/restarts` in benches/benches/deflate.rs has the time.
//!
//! Its own test binary: it counts allocations with a `#[global_allocator]`.

use flate2::{Compress, Compression, FlushCompress};
use sockwell_core::{Message, Protocol, Role, WebSocketConfig};
use sockwell_deflate::DeflateConfig;
use sockwell_extensions::{client_confirm, client_offer, server_negotiate, ExtensionStack, Rsv};

#[path = "../../ws-core/tests/common/heap.rs"]
mod heap;

use heap::{allocations_during, exclusive};

/// An empty fixed-Huffman block with BFINAL set: the smallest DEFLATE
/// stream (10 bits, padded to two bytes).
const EMPTY_FINAL: [u8; 2] = [0x03, 0x00];

/// `03 00` pairs in 8 MiB.
const PAIRS: usize = 4 << 20;

/// Allocations a message may make whatever its restarts: the decoder's
/// zlib state on the first message, the output growing by doubling.
const FEW: usize = 64;

/// A server-side stack that inflates what the client compresses, with or
/// without client context takeover.
fn server_stack(takeover: bool) -> ExtensionStack {
    let client = vec![DeflateConfig::default()
        .client_no_context_takeover(!takeover)
        .into_factory()];
    let server = vec![DeflateConfig::default().into_factory()];
    let offer = client_offer(&client).unwrap();
    let (answer, stack) = server_negotiate(&server, [offer.as_bytes()]).unwrap();
    client_confirm(&client, [answer.unwrap().as_bytes()]).unwrap();
    stack
}

/// Decodes one compressed message in pieces of `piece` bytes under a
/// 64 MiB limit; returns the message and the allocations made meanwhile.
fn inflate_counting(stack: &mut ExtensionStack, wire: &[u8], piece: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let (result, allocations) = allocations_during(|| {
        stack.begin_message(Rsv::RSV1)?;
        let chunks: Vec<&[u8]> = wire.chunks(piece).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            stack.decode(chunk, i + 1 == chunks.len(), &mut out, 64 << 20)?;
        }
        Ok::<_, sockwell_extensions::ExtensionError>(())
    });
    result.expect("a valid message");
    (out, allocations)
}

#[test]
fn eight_mib_of_empty_final_blocks_restart_without_allocating() {
    let _lock = exclusive();
    let wire = EMPTY_FINAL.repeat(PAIRS);
    for takeover in [true, false] {
        // Whole, and in 64 KiB frames (a stream may end at a frame's end).
        for piece in [wire.len(), 64 << 10] {
            let mut stack = server_stack(takeover);
            let (out, allocations) = inflate_counting(&mut stack, &wire, piece);
            assert!(out.is_empty(), "empty blocks inflate to nothing");
            // Before: one 32 KiB allocation per restart, 4 Mi of them.
            assert!(
                allocations <= FEW,
                "{PAIRS} restarts (takeover {takeover}, pieces of {piece}): {allocations} allocations"
            );
        }
    }
}

/// `plain` compressed as one raw DEFLATE stream primed with `dictionary`,
/// ended with BFINAL (`final_block`) or with a sync flush whose tail is
/// removed (RFC 7692 §7.2.1).
fn compress(plain: &[u8], dictionary: &[u8], final_block: bool) -> Vec<u8> {
    let mut zlib = Compress::new_with_window_bits(Compression::default(), false, 15);
    if !dictionary.is_empty() {
        zlib.set_dictionary(dictionary).unwrap();
    }
    let flush = if final_block {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    let mut out = Vec::with_capacity(plain.len() + 1024);
    zlib.compress_vec(plain, &mut out, flush).unwrap();
    assert_eq!(zlib.total_in() as usize, plain.len());
    if !final_block {
        assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
        out.truncate(out.len() - 4);
    }
    out
}

#[test]
fn restarts_after_a_window_of_text_refer_back_to_it_and_copy_nothing() {
    let _lock = exclusive();
    // 24 KiB of text (deflate reaches back nearly 32 KiB) that does not
    // repeat within itself much, so that the second copy is back-references
    // across all the restarts into the window.
    let text: Vec<u8> = (0..)
        .flat_map(|i: u32| format!("{i:08x} {} ", i.wrapping_mul(2_654_435_761)).into_bytes())
        .take(24 << 10)
        .collect();
    let mut wire = compress(&text, &[], true);
    wire.extend_from_slice(&EMPTY_FINAL.repeat(PAIRS / 8));
    let again = compress(&text, &text, false);
    assert!(
        again.len() < text.len() / 8,
        "the repeat is back-references"
    );
    wire.extend_from_slice(&again);
    for takeover in [true, false] {
        for piece in [wire.len(), 4 << 10] {
            let mut stack = server_stack(takeover);
            let (out, allocations) = inflate_counting(&mut stack, &wire, piece);
            assert!(out.len() == 2 * text.len(), "{} bytes", out.len());
            assert!(out[..text.len()] == text[..] && out[text.len()..] == text[..]);
            // Before: one 32 KiB allocation per restart (and two copies of
            // the full window), half a million of them.
            assert!(
                allocations <= FEW,
                "{} restarts after 24 KiB: {allocations} allocations",
                PAIRS / 8
            );
        }
    }
}

#[test]
fn a_message_of_empty_final_blocks_is_an_empty_message_to_the_engine() {
    let _lock = exclusive();
    let payload = EMPTY_FINAL.repeat(PAIRS);
    let key = [0x37, 0xfa, 0x21, 0x3d];
    // A masked text frame with RSV1, 8 MiB of payload.
    let mut frame = vec![0x80 | 0x40 | 0x01, 0x80 | 127];
    frame.extend_from_slice(&(payload.len() as u64).to_be_bytes());
    frame.extend_from_slice(&key);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    let mut server =
        Protocol::new(Role::Server, WebSocketConfig::default()).with_extensions(server_stack(true));
    let (result, allocations) = allocations_during(|| server.receive_next(&mut frame));
    assert_eq!(result.unwrap(), Some(Message::text("")));
    assert!(allocations <= FEW, "{allocations} allocations");
}
