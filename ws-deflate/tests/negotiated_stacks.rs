//! Negotiated permessage-deflate stacks carrying data: a window of 8 bits
//! (which zlib cannot compress with, so that end sends uncompressed but
//! still inflates), and negotiated stacks driving the `sockwell_core` engine.

mod common;

use common::item;
use flate2::{Compress, Compression, FlushCompress};
use sockwell_core::{Message, OpCode, Protocol, Role, WebSocketConfig};
use sockwell_deflate::DeflateConfig;
use sockwell_extensions::{
    client_confirm, client_offer, server_negotiate, ExtensionFactory, ExtensionStack, MessageKind,
    Rsv,
};

/// Raw deflate of each message in turn (one stream, so context taken over),
/// sync-flushed with the tail removed (§7.2.1).
fn deflate_messages(window_bits: u8, messages: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut c = Compress::new_with_window_bits(Compression::best(), false, window_bits);
    messages
        .iter()
        .map(|m| {
            let mut out = Vec::with_capacity(m.len() + 64);
            let start = c.total_in();
            loop {
                let done = (c.total_in() - start) as usize;
                c.compress_vec(&m[done..], &mut out, FlushCompress::Sync)
                    .unwrap();
                if (c.total_in() - start) as usize == m.len() && out.len() < out.capacity() {
                    break;
                }
                out.reserve(out.capacity());
            }
            assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
            out.truncate(out.len() - 4);
            out
        })
        .collect()
}

fn inflate_one(stack: &mut ExtensionStack, wire: &[u8]) -> Vec<u8> {
    stack.begin_message(Rsv::RSV1).unwrap();
    assert!(stack.decodes_current());
    let mut out = Vec::new();
    stack.decode(wire, true, &mut out, 1 << 20).unwrap();
    out
}

// ---------------------------------------------------------------- window bits 8

/// Short repetitive text: every back-reference is 3 bytes back, well inside
/// a 256-byte window, so deflate at window 9 is valid deflate at window 8.
fn window8_messages() -> Vec<Vec<u8>> {
    vec![
        b"abc".repeat(60),
        b"abc".repeat(60),
        b"xyzxyzxyz, abcabcabc; xyzxyzxyz, abcabcabc".to_vec(),
    ]
}

#[test]
fn server_with_window_8_sends_uncompressed_and_still_inflates() {
    let server = vec![DeflateConfig::default().context_takeover().into_factory()];
    let (answer, mut stack) = server_negotiate(
        &server,
        [&b"permessage-deflate; server_max_window_bits=8; client_max_window_bits=8"[..]],
    )
    .unwrap();
    assert_eq!(
        answer.as_deref(),
        Some("permessage-deflate; server_max_window_bits=8; client_max_window_bits=8")
    );

    // Sending: zlib cannot compress at window 8, so every message goes as is.
    let payload = b"compressible compressible compressible compressible".repeat(20);
    let (wire, rsv) = stack.encode(MessageKind::Text, &payload).unwrap();
    assert_eq!(rsv, Rsv::NONE);
    assert!(std::ptr::eq(wire, payload.as_slice()), "not even copied");
    // The extension itself says so: Ok(None), nothing written.
    let accepted = DeflateConfig::default()
        .context_takeover()
        .accept(&item("permessage-deflate; server_max_window_bits=8"))
        .unwrap();
    assert_eq!(
        accepted.response.to_string(),
        "permessage-deflate; server_max_window_bits=8"
    );
    let mut ext = accepted.extension;
    let mut out = Vec::new();
    assert!(ext
        .encode(MessageKind::Binary, &payload, &mut out)
        .unwrap()
        .is_none());
    assert!(out.is_empty());

    // Receiving: the client compresses (window 8 data, here made by zlib at
    // window 9 with short distances), with context takeover.
    let messages = window8_messages();
    let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    let wires = deflate_messages(9, &refs);
    assert!(
        wires[1].len() < 10,
        "the second message refers to the first"
    );
    for (wire, expected) in wires.iter().zip(&messages) {
        assert_eq!(&inflate_one(&mut stack, wire), expected);
    }
    // Still sending uncompressed afterwards.
    assert_eq!(
        stack.encode(MessageKind::Binary, &payload).unwrap().1,
        Rsv::NONE
    );
}

#[test]
fn server_cap_of_8_is_announced_and_honoured() {
    let client = vec![DeflateConfig::default().context_takeover().into_factory()];
    let server = vec![DeflateConfig::default()
        .context_takeover()
        .server_max_window_bits(8)
        .into_factory()];
    let offer = client_offer(&client).unwrap();
    let (answer, mut server_stack) = server_negotiate(&server, [offer.as_bytes()]).unwrap();
    let answer = answer.unwrap();
    assert_eq!(
        answer,
        "permessage-deflate; server_max_window_bits=8; client_max_window_bits=11"
    );
    let mut client_stack = client_confirm(&client, [answer.as_bytes()]).unwrap();

    let payload = b"hello hello hello hello hello hello hello hello".repeat(4);
    // Server -> client: uncompressed.
    let (wire, rsv) = server_stack.encode(MessageKind::Text, &payload).unwrap();
    assert_eq!(rsv, Rsv::NONE);
    assert_eq!(wire, payload.as_slice());
    // Client -> server: compressed at 15, inflated by the server.
    let (wire, rsv) = client_stack.encode(MessageKind::Text, &payload).unwrap();
    assert_eq!(rsv, Rsv::RSV1);
    assert!(wire.len() < payload.len());
    let wire = wire.to_vec();
    assert_eq!(inflate_one(&mut server_stack, &wire), payload);
}

#[test]
fn client_with_window_8_sends_uncompressed_and_still_inflates() {
    let client = vec![DeflateConfig::default()
        .context_takeover()
        .server_max_window_bits(8)
        .client_max_window_bits(8)
        .into_factory()];
    let server = vec![DeflateConfig::default().context_takeover().into_factory()];
    let offer = client_offer(&client).unwrap();
    assert_eq!(
        offer,
        "permessage-deflate; server_max_window_bits=8; client_max_window_bits=8"
    );
    let (answer, mut server_stack) = server_negotiate(&server, [offer.as_bytes()]).unwrap();
    let answer = answer.unwrap();
    let mut client_stack = client_confirm(&client, [answer.as_bytes()]).unwrap();

    let payload = b"window eight window eight window eight window eight".repeat(8);
    for stack in [&mut client_stack, &mut server_stack] {
        let (wire, rsv) = stack.encode(MessageKind::Binary, &payload).unwrap();
        assert_eq!(rsv, Rsv::NONE);
        assert_eq!(wire, payload.as_slice());
    }

    // The client inflates what a window-8 server would send.
    let messages = window8_messages();
    let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    for (wire, expected) in deflate_messages(9, &refs).iter().zip(&messages) {
        assert_eq!(&inflate_one(&mut client_stack, wire), expected);
    }
}

// ---------------------------------------------------------------- engine

/// Moves everything `from` has queued into `to`, returning the bytes.
fn pump(from: &mut Protocol, to: &mut Protocol) -> Vec<u8> {
    let out = from.pending_output().to_vec();
    from.advance_output(out.len());
    to.receive(&out);
    out
}

#[test]
fn negotiated_stacks_drive_the_engine_both_ways() {
    let client_cfg = vec![DeflateConfig::default()
        .context_takeover()
        .client_no_context_takeover(true)
        .into_factory()];
    let server_cfg = vec![DeflateConfig::default()
        .context_takeover()
        .server_max_window_bits(10)
        .into_factory()];
    let offer = client_offer(&client_cfg).unwrap();
    let (answer, server_stack) = server_negotiate(&server_cfg, [offer.as_bytes()]).unwrap();
    let client_stack = client_confirm(&client_cfg, [answer.unwrap().as_bytes()]).unwrap();
    let mut config = WebSocketConfig::default();
    config.max_outgoing_frame_size = Some(7);
    let mut client = Protocol::new(Role::Client, config.clone()).with_extensions(client_stack);
    let mut server = Protocol::new(Role::Server, config).with_extensions(server_stack);

    let text = "compress me, compress me, compress me, compress me, compress me";
    for _ in 0..3 {
        client.write(&Message::text(text)).unwrap();
        let wire = pump(&mut client, &mut server);
        // First frame: Text with RSV1; the rest continuation frames without it.
        let (first, _) = sockwell_core::FrameHeader::parse(&wire).unwrap().unwrap();
        assert_eq!(first.opcode, OpCode::Text);
        assert_eq!(first.rsv, Rsv::RSV1);
        assert!(!first.fin);
        assert_eq!(server.read_buffered().unwrap(), Some(Message::text(text)));

        server.write(&Message::binary(text.as_bytes())).unwrap();
        let wire = pump(&mut server, &mut client);
        let (first, _) = sockwell_core::FrameHeader::parse(&wire).unwrap().unwrap();
        assert_eq!(first.opcode, OpCode::Binary);
        assert_eq!(first.rsv, Rsv::RSV1);
        assert_eq!(
            client.read_buffered().unwrap(),
            Some(Message::binary(text.as_bytes()))
        );
    }
}
