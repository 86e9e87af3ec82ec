//! Broadcasts (`sockwell_core::PreparedMessage`) with context takeover kept as
//! histories: the receivers in step share one compression of each message
//! (counted with the test-only per-thread compression counter), a
//! receiver that diverged (a message of its own, a late join, a
//! reconnect) compresses for itself until its window holds the same
//! broadcasts as the group's, and every receiver's stream is checked with
//! an inflater of its own (flate2, raw deflate, window 15, kept across
//! messages as a peer's is), not with this crate's decoder.

use crate::pool::COMPRESSIONS;
use crate::test_support::noise;
use crate::DeflateConfig;
use flate2::{Decompress, FlushDecompress};
use sockwell_core::{Message, PreparedMessage, Protocol, Role, WebSocketConfig};
use sockwell_extensions::{client_offer, server_negotiate, StateSharing};

/// A server connection with permessage-deflate as negotiated by default,
/// and what its peer keeps to read it: an inflater of its own.
struct Receiver {
    server: Protocol,
    inflater: Decompress,
}

impl Receiver {
    fn new(server_config: &DeflateConfig, config: WebSocketConfig) -> Self {
        let client = vec![DeflateConfig::default().into_factory()];
        let offer = client_offer(&client).unwrap();
        let server = vec![server_config.clone().into_factory()];
        let (answer, stack) = server_negotiate(&server, [offer.as_bytes()]).unwrap();
        let answer = answer.unwrap();
        assert!(!answer.contains("server_no_context_takeover"), "{answer}");
        Receiver {
            server: Protocol::new(Role::Server, config).with_extensions(stack),
            inflater: Decompress::new_with_window_bits(false, 15),
        }
    }

    fn default() -> Self {
        Self::new(&DeflateConfig::default(), WebSocketConfig::default())
    }

    /// Takes what the server queued: the wire bytes, and the messages in
    /// them as the peer's own inflater reads them.
    fn take(&mut self) -> (Vec<u8>, Vec<Vec<u8>>) {
        let wire = self.server.pending_output().to_vec();
        self.server.advance_output(wire.len());
        let mut messages = Vec::new();
        let mut at = 0;
        let mut current: Option<(bool, Vec<u8>)> = None;
        while at < wire.len() {
            let (b0, b1) = (wire[at], wire[at + 1]);
            assert_eq!(b1 & 0x80, 0, "server frames are not masked");
            at += 2;
            let len = match b1 & 0x7f {
                126 => {
                    at += 2;
                    u16::from_be_bytes([wire[at - 2], wire[at - 1]]) as usize
                }
                127 => {
                    at += 8;
                    u64::from_be_bytes(wire[at - 8..at].try_into().unwrap()) as usize
                }
                n => n as usize,
            };
            let payload = &wire[at..at + len];
            at += len;
            match b0 & 0x0f {
                1 | 2 => {
                    assert!(current.is_none());
                    current = Some((b0 & 0x40 != 0, payload.to_vec()));
                }
                0 => {
                    assert_eq!(b0 & 0x70, 0, "RSV bits on a continuation");
                    current.as_mut().unwrap().1.extend_from_slice(payload);
                }
                op => panic!("opcode {op}"),
            }
            if b0 & 0x80 != 0 {
                let (compressed, mut data) = current.take().unwrap();
                if compressed {
                    data.extend_from_slice(&[0, 0, 0xff, 0xff]);
                    data = inflate(&mut self.inflater, &data);
                }
                messages.push(data);
            }
        }
        assert!(current.is_none(), "a message left unfinished");
        (wire, messages)
    }

    /// How the connection's history stands among the others'.
    fn sharing(&self) -> StateSharing {
        self.server.extensions().shared_state().unwrap().sharing
    }

    /// True if both connections' histories have the same key object (in
    /// step: the same history, or a copy of it under the same key).
    fn same_history(&self, other: &Receiver) -> bool {
        let a = self.server.extensions().shared_state().unwrap().state;
        let b = other.server.extensions().shared_state().unwrap().state;
        std::ptr::addr_eq(a, b)
    }
}

/// Inflates one message (its tail put back) with a window kept across
/// messages.
fn inflate(inflater: &mut Decompress, input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() * 4 + 64);
    let start = inflater.total_in();
    loop {
        let done = (inflater.total_in() - start) as usize;
        inflater
            .decompress_vec(&input[done..], &mut out, FlushDecompress::Sync)
            .unwrap();
        let done = (inflater.total_in() - start) as usize;
        if done == input.len() && out.len() < out.capacity() {
            return out;
        }
        out.reserve(out.capacity().max(64));
    }
}

fn compressions() -> usize {
    COMPRESSIONS.with(|n| n.get())
}

/// A chat line, some 300-600 bytes, that compresses against earlier ones.
fn chat_line(n: usize) -> String {
    format!(
        r#"{{"room":"lobby","seq":{n},"from":"user-{}","text":"{}"}}"#,
        n * 7919 % 1000,
        "the room's news, said once for everyone in it. ".repeat(6 + n % 7)
    )
}

/// Sends `prepared` to each receiver in turn and checks that every one
/// reads exactly it; returns the compressions it took and each wire.
fn broadcast(receivers: &mut [Receiver], prepared: &PreparedMessage) -> (usize, Vec<Vec<u8>>) {
    let before = compressions();
    for receiver in receivers.iter_mut() {
        receiver.server.write_prepared(prepared).unwrap();
    }
    let made = compressions() - before;
    let expected = prepared.payload().to_vec();
    let wires = receivers
        .iter_mut()
        .map(|receiver| {
            let (wire, messages) = receiver.take();
            assert_eq!(messages, vec![expected.clone()]);
            wire
        })
        .collect();
    (made, wires)
}

fn text(n: usize) -> PreparedMessage {
    PreparedMessage::text(chat_line(n))
}

#[test]
fn receivers_in_step_share_one_compression_and_one_history() {
    let mut receivers: Vec<_> = (0..50).map(|_| Receiver::default()).collect();
    for n in 0..40 {
        let prepared = match n {
            // Below min_compress_size: as it is, for everyone, no history.
            7 => PreparedMessage::text("hi"),
            // Does not shrink: compressed once, sent as it is to all.
            13 => PreparedMessage::binary(noise(700, n as u64)),
            _ => text(n),
        };
        let (made, wires) = broadcast(&mut receivers, &prepared);
        assert_eq!(made, usize::from(n != 7), "message {n}");
        assert_eq!(prepared.encodings(), 1);
        assert!(wires.windows(2).all(|w| w[0] == w[1]), "the same bytes");
        let compressed = wires[0][0] & 0x40 != 0;
        assert_eq!(compressed, n != 7 && n != 13, "message {n}");
        if n > 2 && compressed {
            // Context takeover: far smaller than the message on its own.
            assert!(wires[0].len() < prepared.payload().len() / 4, "{n}");
        }
        for receiver in &receivers {
            assert_eq!(receiver.sharing(), StateSharing::Shared);
            assert!(receiver.same_history(&receivers[0]));
        }
    }
}

/// Broadcasts messages `range` to `receivers`; returns the compressions
/// of each.
fn stream(receivers: &mut [Receiver], range: std::ops::Range<usize>) -> Vec<usize> {
    range
        .map(|n| {
            let prepared = text(n);
            let (made, _) = broadcast(receivers, &prepared);
            made
        })
        .collect()
}

/// How many broadcasts of [`chat_line`] from `from` on fill a window of
/// 2^13 bytes.
fn window_fill(from: usize) -> usize {
    let mut bytes = 0;
    (from..)
        .take_while(|&n| {
            let before = bytes;
            bytes += chat_line(n).len();
            before < 1 << 13
        })
        .count()
}

#[test]
fn a_receiver_with_a_message_of_its_own_compresses_alone_until_its_window_is_refilled() {
    // The diverged receiver is tried first (it then makes the encoding
    // the others find equal) and in the middle.
    for diverged in [0, 4] {
        let mut receivers: Vec<_> = (0..10).map(|_| Receiver::default()).collect();
        assert_eq!(stream(&mut receivers, 0..20), vec![1; 20]);
        // Messages of its own, compressed against its history.
        let own = chat_line(900) + "just for you";
        receivers[diverged]
            .server
            .write(&Message::text(own.clone()))
            .unwrap();
        receivers[diverged]
            .server
            .write(&Message::text(own.clone()))
            .unwrap();
        let (_, messages) = receivers[diverged].take();
        assert_eq!(messages, vec![own.as_bytes(), own.as_bytes()]);
        assert_eq!(receivers[diverged].sharing(), StateSharing::Private);
        // It compresses for itself, holding a borrowed compressor as a busy
        // connection does, until its own messages have left the window.
        let fill = window_fill(20);
        let made = stream(&mut receivers, 20..20 + fill);
        assert_eq!(made, vec![2; fill]);
        assert!(receivers[diverged].server.extensions().holds_idle_state());
        // Then it meets the group: one compression again, one history.
        let made = stream(&mut receivers, 20 + fill..40 + fill);
        assert_eq!(made, vec![1; 20]);
        for receiver in &receivers {
            assert!(receiver.same_history(&receivers[1]));
            assert_eq!(receiver.sharing(), StateSharing::Shared);
        }
        // The compressor it held went back when it took the group's history.
        assert!(!receivers[diverged].server.extensions().holds_idle_state());
    }
}

#[test]
fn connections_that_join_or_reconnect_meet_the_group_once_their_window_is_full() {
    let mut receivers: Vec<_> = (0..10).map(|_| Receiver::default()).collect();
    assert_eq!(stream(&mut receivers, 0..15), vec![1; 15]);
    // Two connections join, and one reconnects (a new connection, a new
    // peer inflater): the three start from the same empty history.
    receivers.push(Receiver::default());
    receivers.push(Receiver::default());
    receivers[3] = Receiver::default();
    let fill = window_fill(15);
    let made = stream(&mut receivers, 15..15 + fill);
    // The group's compression, and one for the three newcomers together.
    assert_eq!(made, vec![2; fill]);
    assert!(receivers[10].same_history(&receivers[11]));
    assert!(receivers[3].same_history(&receivers[11]));
    assert!(!receivers[3].same_history(&receivers[0]));
    let made = stream(&mut receivers, 15 + fill..30 + fill);
    assert_eq!(made, vec![1; 15]);
    for receiver in &receivers {
        assert!(receiver.same_history(&receivers[0]));
    }
}

#[test]
fn a_receiver_that_falls_behind_makes_the_group_history_again() {
    let mut group: Vec<_> = (0..5).map(|_| Receiver::default()).collect();
    let mut late = vec![Receiver::default()];
    let prepared: Vec<_> = (0..40).map(text).collect();
    let mut made = 0;
    let mut lagging = None;
    for message in &prepared {
        made += broadcast(&mut group, message).0;
        // The late receiver gets each message after the group has taken
        // the next one: nobody holds the history it moves to any more.
        if let Some(previous) = lagging.replace(message) {
            made += broadcast(&mut late, previous).0;
            assert_eq!(previous.encodings(), 1);
            // Its history is a copy of its own: nobody held the one the
            // message led to.
            assert_eq!(late[0].sharing(), StateSharing::Lone);
        }
    }
    made += broadcast(&mut late, lagging.unwrap()).0;
    assert_eq!(made, prepared.len(), "one compression per message");
    // Sent in step again, it takes the group's next history.
    group.append(&mut late);
    assert_eq!(broadcast(&mut group, &text(99)).0, 1);
    assert_eq!(group[5].sharing(), StateSharing::Shared);
}

#[test]
fn fragmented_and_other_windows_are_groups_of_their_own() {
    let mut fragmented = WebSocketConfig::default();
    fragmented.max_outgoing_frame_size = Some(4);
    let small_window = DeflateConfig::default().server_max_window_bits(10);
    let mut receivers = Vec::new();
    for _ in 0..3 {
        receivers.push(Receiver::default());
        receivers.push(Receiver::new(&DeflateConfig::default(), fragmented.clone()));
        receivers.push(Receiver::new(&small_window, WebSocketConfig::default()));
    }
    for n in 0..30 {
        let prepared = text(n);
        let (made, wires) = broadcast(&mut receivers, &prepared);
        assert_eq!((made, prepared.encodings()), (3, 3), "message {n}");
        for kind in 0..3 {
            assert_eq!(wires[kind], wires[kind + 3], "message {n} kind {kind}");
            assert_eq!(wires[kind], wires[kind + 6]);
        }
        // Fragmented: the first frame has RSV1 and no FIN.
        assert_eq!(wires[1][0] & 0xc0, 0x40, "message {n}");
    }
}

#[test]
fn many_lone_receivers_compress_for_themselves_past_the_message_limit() {
    // Every receiver joins at a different point of the stream: each history
    // is its own until its window fills; past a few, a message keeps no
    // encoding for them and they compress for themselves.
    let mut receivers = Vec::new();
    let mut n = 0;
    for _ in 0..12 {
        receivers.push(Receiver::default());
        let prepared = text(n);
        let (made, _) = broadcast(&mut receivers, &prepared);
        assert_eq!(made, receivers.len());
        assert!(prepared.encodings() <= 9, "{}", prepared.encodings());
        n += 1;
    }
    // Then they all meet.
    let made = stream(&mut receivers, n..n + window_fill(n) + 3);
    assert_eq!(made.last(), Some(&1), "{made:?}");
}
