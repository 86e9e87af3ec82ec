//! Compress with one end's stack, inflate with the other's, through the real
//! negotiation, for every parameter combination.

use sockwell_deflate::{DeflateConfig, TakeoverContext};
use sockwell_extensions::{
    client_confirm, client_offer, server_negotiate, ExtensionStack, MessageKind,
};

fn negotiate(
    client: DeflateConfig,
    server: DeflateConfig,
) -> (ExtensionStack, ExtensionStack, String) {
    let client = vec![client.into_factory()];
    let server = vec![server.into_factory()];
    let offer = client_offer(&client).unwrap();
    let (answer, server_stack) = server_negotiate(&server, [offer.as_bytes()]).unwrap();
    let answer = answer.expect("accepted");
    let client_stack = client_confirm(&client, [answer.as_bytes()]).unwrap();
    (client_stack, server_stack, answer)
}

/// Sends `messages` from `tx` to `rx`, each split into frames of `frame` bytes.
fn transfer(tx: &mut ExtensionStack, rx: &mut ExtensionStack, messages: &[Vec<u8>], frame: usize) {
    for m in messages {
        let (wire, rsv) = tx.encode(MessageKind::Binary, m).unwrap();
        let wire = wire.to_vec();
        rx.begin_message(rsv).unwrap();
        let mut out = Vec::new();
        if rx.decodes_current() {
            let chunks: Vec<&[u8]> = if wire.is_empty() {
                vec![&[][..]]
            } else {
                wire.chunks(frame).collect()
            };
            let n = chunks.len();
            for (i, c) in chunks.into_iter().enumerate() {
                rx.decode(c, i + 1 == n, &mut out, usize::MAX).unwrap();
            }
        } else {
            out = wire;
        }
        assert_eq!(&out, m, "message of {} bytes", m.len());
    }
}

/// `len` incompressible bytes (xorshift32 from `seed`).
fn noise(len: usize, mut seed: u32) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed as u8
        })
        .collect()
}

fn messages() -> Vec<Vec<u8>> {
    let text = b"{\"id\": 12, \"name\": \"widget\", \"tags\": [\"a\", \"b\"]} ".repeat(50);
    let noise = noise(70_000, 0x1234_5678);
    vec![
        text.clone(),
        Vec::new(),
        b"short".to_vec(),
        text.clone(),
        noise,
        text[..100].to_vec(),
        text,
    ]
}

#[test]
fn every_parameter_combination_round_trips_both_ways() {
    for bits in [9u8, 10, 12, 15] {
        for snct in [false, true] {
            for cnct in [false, true] {
                let client = DeflateConfig::default()
                    .context_takeover()
                    .server_no_context_takeover(snct)
                    .client_no_context_takeover(cnct)
                    .server_max_window_bits(bits)
                    .client_max_window_bits(bits)
                    .min_compress_size(0);
                let server = DeflateConfig::default()
                    .context_takeover()
                    .server_max_window_bits(15)
                    .client_max_window_bits(15)
                    .min_compress_size(0);
                let (mut c, mut s, answer) = negotiate(client, server);
                for frame in [1, 7, 1000, usize::MAX] {
                    transfer(&mut c, &mut s, &messages(), frame);
                    transfer(&mut s, &mut c, &messages(), frame);
                }
                assert!(
                    answer.contains(&format!("server_max_window_bits={bits}")),
                    "{answer}"
                );
            }
        }
    }
}

#[test]
fn incompressible_messages_go_as_they_are_unless_a_kept_state_compressed_them() {
    let noise = noise(4096, 0x9e37_79b9);
    for context in [TakeoverContext::Owned, TakeoverContext::History] {
        for no_takeover in [false, true] {
            let client = DeflateConfig::default()
                .context_takeover()
                .takeover_context(context)
                .client_no_context_takeover(no_takeover);
            let (mut c, mut s, _) = negotiate(client, DeflateConfig::default().context_takeover());
            let (wire, rsv) = c.encode(MessageKind::Binary, &noise).unwrap();
            // A kept zlib state must choose before compressing: it compresses
            // even though the message grew. Without takeover, or with the
            // history alone (which leaves out a message sent as it is), the
            // smaller original goes out.
            let as_it_is = no_takeover || context == TakeoverContext::History;
            assert_eq!(rsv.is_empty(), as_it_is, "{context:?}, {no_takeover}");
            assert_eq!(wire.len() == noise.len(), as_it_is);
            let wire = wire.to_vec();
            s.begin_message(rsv).unwrap();
            let mut out = Vec::new();
            if s.decodes_current() {
                s.decode(&wire, true, &mut out, usize::MAX).unwrap();
            } else {
                out = wire;
            }
            assert_eq!(out, noise);
            // And the connection goes on in step.
            transfer(&mut c, &mut s, &messages(), 1000);
        }
    }
}
