//! Messages whose DEFLATE data ends with a final block (BFINAL = 1), as a
//! compressor that cannot sync-flush sends them (RFC 7692 §7.2.3.4): the
//! RFC's own example, series of such messages with context takeover (each
//! referring back into earlier ones), and final-block and sync-flushed
//! messages mixed, each fed whole and in small pieces.

use flate2::{Compress, Compression, FlushCompress};
use sockwell_core::{Message, Protocol, Role, WebSocketConfig};
use sockwell_deflate::DeflateConfig;
use sockwell_extensions::{
    client_confirm, client_offer, server_negotiate, ExtensionError, ExtensionStack, Rsv,
};

/// "Hello" in one DEFLATE block with BFINAL set (§7.2.3.4) ...
const HELLO_FINAL: [u8; 7] = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
/// ... and the same followed by the `0x00` octet the RFC adds so that the
/// appended `0x00 0x00 0xff 0xff` completes an empty stored block.
const HELLO_FINAL_RFC: [u8; 8] = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];

/// A server-side stack that inflates what the client compresses, with or
/// without client context takeover.
fn server_stack(client_takeover: bool) -> ExtensionStack {
    let client = vec![DeflateConfig::default()
        .context_takeover()
        .client_no_context_takeover(!client_takeover)
        .into_factory()];
    let server = vec![DeflateConfig::default().context_takeover().into_factory()];
    let offer = client_offer(&client).unwrap();
    let (answer, stack) = server_negotiate(&server, [offer.as_bytes()]).unwrap();
    client_confirm(&client, [answer.unwrap().as_bytes()]).unwrap();
    stack
}

/// Decodes one compressed message, handing it over in pieces of `piece` bytes.
fn inflate(stack: &mut ExtensionStack, wire: &[u8], piece: usize) -> Result<Vec<u8>, String> {
    stack.begin_message(Rsv::RSV1).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let mut chunks: Vec<&[u8]> = wire.chunks(piece.max(1)).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    let last = chunks.len() - 1;
    for (i, chunk) in chunks.into_iter().enumerate() {
        stack
            .decode(chunk, i == last, &mut out, 1 << 20)
            .map_err(|e| format!("{e}: {:?}", std::error::Error::source(&e)))?;
    }
    Ok(out)
}

/// A sender that ends some messages with a final block. To keep its
/// context after a final block it starts a new stream primed with the last
/// 32 KiB it sent (the window), as zlib's `deflateSetDictionary` allows.
struct Sender {
    zlib: Compress,
    takeover: bool,
    /// The stream was ended by the last message: restart before the next.
    ended: bool,
    sent: Vec<u8>,
}

impl Sender {
    fn new(takeover: bool) -> Self {
        Sender {
            zlib: Compress::new_with_window_bits(Compression::default(), false, 15),
            takeover,
            ended: false,
            sent: Vec::new(),
        }
    }

    fn message(&mut self, plain: &[u8], final_block: bool, rfc_octet: bool) -> Vec<u8> {
        if self.ended || !self.takeover {
            self.zlib.reset();
            if self.takeover {
                let window = &self.sent[self.sent.len().saturating_sub(1 << 15)..];
                self.zlib.set_dictionary(window).unwrap();
            }
        }
        let flush = if final_block {
            FlushCompress::Finish
        } else {
            FlushCompress::Sync
        };
        let mut out = Vec::with_capacity(plain.len() + 64);
        let start = self.zlib.total_in();
        loop {
            let done = (self.zlib.total_in() - start) as usize;
            let status = self
                .zlib
                .compress_vec(&plain[done..], &mut out, flush)
                .unwrap();
            let all_in = (self.zlib.total_in() - start) as usize == plain.len();
            if all_in
                && (status == flate2::Status::StreamEnd
                    || (!final_block && out.len() < out.capacity()))
            {
                break;
            }
            out.reserve(out.capacity().max(64));
        }
        if final_block {
            if rfc_octet {
                out.push(0x00);
            }
        } else {
            assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
            out.truncate(out.len() - 4);
        }
        self.ended = final_block;
        self.sent.extend_from_slice(plain);
        out
    }
}

/// Text that repeats across messages, so that with context takeover later
/// messages are mostly back-references into earlier ones.
fn chat(i: usize) -> Vec<u8> {
    format!(
        "{{\"user\":\"user-{}\",\"text\":\"the quick brown fox jumps over the lazy dog\",\"seq\":{i}}}",
        i % 3
    )
    .into_bytes()
}

#[test]
fn the_rfc_example_decodes_with_and_without_takeover() {
    for takeover in [true, false] {
        let mut stack = server_stack(takeover);
        for wire in [
            &HELLO_FINAL[..],
            &HELLO_FINAL_RFC,
            &HELLO_FINAL,
            &HELLO_FINAL_RFC,
        ] {
            for piece in [1, 3, wire.len()] {
                let out = inflate(&mut stack, wire, piece).unwrap();
                assert_eq!(
                    out, b"Hello",
                    "takeover {takeover}, {wire:02x?} in {piece}s"
                );
            }
        }
    }
}

#[test]
fn a_series_of_final_block_messages_keeps_the_window() {
    for rfc_octet in [false, true] {
        let mut sender = Sender::new(true);
        let mut stack = server_stack(true);
        for i in 0..40 {
            let plain = chat(i);
            let wire = sender.message(&plain, true, rfc_octet);
            if i >= 3 {
                // Proof that the message refers back into earlier ones.
                assert!(
                    wire.len() * 3 < plain.len(),
                    "{} vs {}",
                    wire.len(),
                    plain.len()
                );
            }
            let piece = [wire.len(), 1, 2, 5][i % 4];
            assert_eq!(
                inflate(&mut stack, &wire, piece).unwrap(),
                plain,
                "message {i}"
            );
        }
    }
}

#[test]
fn final_block_and_sync_flushed_messages_mixed() {
    for takeover in [true, false] {
        let mut sender = Sender::new(takeover);
        let mut stack = server_stack(takeover);
        // Runs of sync-flushed messages between final-block ones, with and
        // without the RFC's extra octet; some messages larger than a window.
        let pattern = [false, false, true, false, true, true, false];
        for i in 0..42 {
            let mut plain = chat(i);
            if i % 10 == 9 {
                plain = plain.repeat(800); // ~60 KiB: longer than the window
            }
            let final_block = pattern[i % pattern.len()];
            let wire = sender.message(&plain, final_block, i % 2 == 0);
            let piece = [wire.len(), 7, 1][i % 3];
            let out = inflate(&mut stack, &wire, piece).unwrap();
            assert_eq!(out, plain, "message {i}, takeover {takeover}");
        }
    }
}

#[test]
fn garbage_after_the_final_block_is_invalid_data() {
    let mut stack = server_stack(true);
    // 0xff after the stream's end: a block header with the reserved type 3.
    let mut wire = HELLO_FINAL.to_vec();
    wire.push(0xff);
    let err = stack.begin_message(Rsv::RSV1).and_then(|()| {
        let mut out = Vec::new();
        stack.decode(&wire, true, &mut out, 1 << 20)
    });
    assert!(
        matches!(err, Err(ExtensionError::InvalidPayload { .. })),
        "{err:?}"
    );
}

/// Through the engine, as a server: the message is delivered and no Close
/// (the 1007 this used to answer with) is queued.
#[test]
fn a_server_engine_delivers_final_block_messages() {
    let mut server =
        Protocol::new(Role::Server, WebSocketConfig::default()).with_extensions(server_stack(true));
    let key = [1u8, 2, 3, 4];
    for wire in [&HELLO_FINAL[..], &HELLO_FINAL_RFC] {
        let mut frame = vec![0x80 | 0x40 | 0x1, 0x80 | wire.len() as u8];
        frame.extend_from_slice(&key);
        frame.extend(wire.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        server.receive(&frame);
        assert_eq!(
            server.read_buffered().unwrap(),
            Some(Message::text("Hello"))
        );
        assert!(!server.wants_write(), "nothing to answer");
    }
}
