//! A message prepared once for many connections (`sockwell_core::PreparedMessage`)
//! with permessage-deflate: compressed once for every connection that can
//! take the same bytes, per connection for the others, and every receiver
//! decodes it.

use sockwell_core::{Message, PreparedMessage, Protocol, Role, WebSocketConfig};
use sockwell_deflate::{DeflateConfig, TakeoverContext};
use sockwell_extensions::{client_confirm, client_offer, server_negotiate};

/// A (client, server) pair negotiated as a handshake would.
fn pair(
    client: &DeflateConfig,
    server: &DeflateConfig,
    config: WebSocketConfig,
) -> (Protocol, Protocol) {
    let client_factories = vec![client.clone().into_factory()];
    let server_factories = vec![server.clone().into_factory()];
    let offer = client_offer(&client_factories).unwrap();
    let (answer, server_stack) = server_negotiate(&server_factories, [offer.as_bytes()]).unwrap();
    let answer = answer.expect("accepted");
    let client_stack = client_confirm(&client_factories, [answer.as_bytes()]).unwrap();
    (
        Protocol::new(Role::Client, config.clone()).with_extensions(client_stack),
        Protocol::new(Role::Server, config).with_extensions(server_stack),
    )
}

/// Everything `from` queued, handed to `to`; the messages that completes.
fn pump(from: &mut Protocol, to: &mut Protocol) -> (Vec<u8>, Vec<Message>) {
    let wire = from.pending_output().to_vec();
    from.advance_output(wire.len());
    to.receive(&wire);
    let mut got = Vec::new();
    while let Some(message) = to.read_buffered().unwrap() {
        got.push(message);
    }
    (wire, got)
}

/// Sends `prepared` from every pair's server; checks each client receives
/// exactly it; returns the bytes each connection put on the wire.
fn broadcast(pairs: &mut [(Protocol, Protocol)], prepared: &PreparedMessage) -> Vec<Vec<u8>> {
    pairs
        .iter_mut()
        .map(|(client, server)| {
            server.write_prepared(prepared).unwrap();
            let (wire, got) = pump(server, client);
            assert_eq!(got, vec![prepared.to_message()]);
            wire
        })
        .collect()
}

/// Without context takeover either way: every message is compressed on
/// its own, the same way for every such connection.
fn stateless() -> DeflateConfig {
    DeflateConfig::default()
        .server_no_context_takeover(true)
        .client_no_context_takeover(true)
}

fn chat_line(n: usize) -> String {
    format!(
        "{{\"room\": \"lobby\", \"from\": \"user-{n}\", \"text\": \"{}\"}}",
        "a broadcast to the whole room, compressed once. ".repeat(20)
    )
}

#[test]
fn one_compression_is_shared_by_every_connection_without_context_takeover() {
    let default = stateless();
    let mut pairs: Vec<_> = (0..5)
        .map(|_| pair(&default, &default, WebSocketConfig::default()))
        .collect();
    for n in 0..3 {
        let text = chat_line(n);
        let prepared = PreparedMessage::text(text.clone());
        let wires = broadcast(&mut pairs, &prepared);
        assert_eq!(prepared.encodings(), 1);
        assert!(
            wires.windows(2).all(|w| w[0] == w[1]),
            "the same bytes to all"
        );
        // Compressed: RSV1 set and far smaller than the text.
        assert_eq!(wires[0][0] & 0x40, 0x40);
        assert!(wires[0].len() < text.len() / 4, "{} bytes", wires[0].len());
    }
    // The connections go on with their own messages both ways.
    for (client, server) in &mut pairs {
        client.write(&Message::text(chat_line(9))).unwrap();
        assert_eq!(pump(client, server).1, vec![Message::text(chat_line(9))]);
        server.write(&Message::text(chat_line(8))).unwrap();
        assert_eq!(pump(server, client).1, vec![Message::text(chat_line(8))]);
    }
}

/// With the default (context takeover kept as a history), connections that
/// received the same messages share one compression of the next; one that
/// got a message of its own compresses for itself, and every client reads
/// every message.
#[test]
fn connections_in_step_share_one_compression_with_context_takeover() {
    let default = DeflateConfig::default();
    let mut pairs: Vec<_> = (0..5)
        .map(|_| pair(&default, &default, WebSocketConfig::default()))
        .collect();
    for n in 0..30 {
        if n == 10 {
            let (client, server) = &mut pairs[2];
            server.write(&Message::text(chat_line(99))).unwrap();
            assert_eq!(pump(server, client).1, vec![Message::text(chat_line(99))]);
        }
        let prepared = PreparedMessage::text(chat_line(n));
        let wires = broadcast(&mut pairs, &prepared);
        assert_eq!(prepared.encodings(), 1);
        assert_eq!(wires[0][0] & 0x40, 0x40);
        assert_eq!(wires[0], wires[4]);
        if n > 1 {
            // Context takeover: the repeated text is a reference back.
            assert!(wires[0].len() < 100, "{} bytes", wires[0].len());
        }
    }
}

/// A connection that owns its zlib state (`TakeoverContext::Owned`) cannot
/// share a compression: its compressor's state is its own. (With the
/// default, context takeover kept as a history, the connections in step
/// share one: see the crate's `broadcast_tests`.)
#[test]
fn a_connection_that_owns_its_context_compresses_for_itself() {
    let default = stateless();
    let keeping = DeflateConfig::default().takeover_context(TakeoverContext::Owned);
    let (mut shared_client, mut shared_server) =
        pair(&default, &default, WebSocketConfig::default());
    let (mut own_client, mut own_server) = pair(&keeping, &keeping, WebSocketConfig::default());
    assert!(own_server.extensions().shared_encoding().is_none());
    for n in 0..4 {
        let text = chat_line(n);
        let prepared = PreparedMessage::text(text.clone());
        own_server.write_prepared(&prepared).unwrap();
        shared_server.write_prepared(&prepared).unwrap();
        // Interleaved with a message of its own: the kept window stays in
        // step with the peer's.
        own_server
            .write(&Message::binary(text.clone().into_bytes()))
            .unwrap();
        let (wire, got) = pump(&mut own_server, &mut own_client);
        assert_eq!(
            got,
            vec![
                Message::text(text.clone()),
                Message::binary(text.clone().into_bytes())
            ]
        );
        assert_eq!(wire[0] & 0x40, 0x40);
        assert_eq!(
            pump(&mut shared_server, &mut shared_client).1,
            vec![Message::text(text)]
        );
        // Only the sharing connection made (and keeps) an encoding.
        assert_eq!(prepared.encodings(), 1);
    }
}

#[test]
fn different_windows_and_frame_sizes_get_encodings_of_their_own() {
    let default = stateless();
    let small_window = stateless().server_max_window_bits(10);
    let mut fragmented = WebSocketConfig::default();
    fragmented.max_outgoing_frame_size = Some(100);
    let mut pairs = vec![
        pair(&default, &default, WebSocketConfig::default()),
        pair(&default, &small_window, WebSocketConfig::default()),
        pair(&default, &default, fragmented.clone()),
        pair(&default, &default, WebSocketConfig::default()),
        pair(&default, &small_window, WebSocketConfig::default()),
    ];
    let text = chat_line(1) + &chat_line(2);
    let prepared = PreparedMessage::text(text.clone());
    let wires = broadcast(&mut pairs, &prepared);
    assert_eq!(prepared.encodings(), 3);
    assert_eq!(wires[0], wires[3]);
    assert_eq!(wires[1], wires[4]);
    // Fragmented: the first frame has RSV1 and no FIN.
    assert_eq!(wires[2][0] & 0xc0, 0x40);
}

#[test]
fn a_client_masks_a_prepared_message_itself() {
    let default = DeflateConfig::default();
    let (mut a_client, mut a_server) = pair(&default, &default, WebSocketConfig::default());
    let (mut b_client, mut b_server) = pair(&default, &default, WebSocketConfig::default());
    let prepared = PreparedMessage::binary(chat_line(3).into_bytes());
    a_client.write_prepared(&prepared).unwrap();
    b_client.write_prepared(&prepared).unwrap();
    let (a_wire, a_got) = pump(&mut a_client, &mut a_server);
    let (b_wire, b_got) = pump(&mut b_client, &mut b_server);
    assert_eq!(a_got, vec![prepared.to_message()]);
    assert_eq!(b_got, a_got);
    assert_eq!(a_wire[1] & 0x80, 0x80, "masked");
    assert_ne!(a_wire, b_wire, "each client has its own masking keys");
    assert_eq!(prepared.encodings(), 0);
}

#[test]
fn small_messages_and_window_8_go_uncompressed_to_all() {
    let default = DeflateConfig::default();
    let window8 = DeflateConfig::default().server_max_window_bits(8);
    let mut pairs = vec![
        pair(&default, &default, WebSocketConfig::default()),
        pair(&default, &window8, WebSocketConfig::default()),
    ];
    for text in ["hi", &chat_line(4)] {
        let prepared = PreparedMessage::text(text);
        for (client, server) in &mut pairs {
            server.write_prepared(&prepared).unwrap();
            assert_eq!(pump(server, client).1, vec![Message::text(text)]);
        }
    }
    // Below the threshold nothing is compressed, on either connection.
    let prepared = PreparedMessage::text("hi");
    let (client, server) = &mut pairs[0];
    server.write_prepared(&prepared).unwrap();
    let (wire, _) = pump(server, client);
    assert_eq!(wire[0] & 0x40, 0);
}

#[test]
fn control_messages_cannot_be_prepared() {
    assert!(PreparedMessage::new(Message::Ping(Default::default())).is_err());
    assert!(PreparedMessage::new(Message::Close(None)).is_err());
}
