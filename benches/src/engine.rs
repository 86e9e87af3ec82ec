//! Fixtures built on `sockwell_core`'s engine ([`Protocol`]): the wire bytes of
//! masked client frames, and a client and a server with permessage-deflate
//! negotiated, with one message carried from one to the other.

use sockwell_core::{Message, Protocol, Role, WebSocketConfig};
use sockwell_deflate::DeflateConfig;
use sockwell_extensions::{client_confirm, client_offer, format_extensions, server_negotiate};

/// A client and a server [`Protocol`] (default [`WebSocketConfig`]) with
/// permessage-deflate negotiated the way the handshake does it: the client's
/// offer from `client` ([`client_offer`]), the server's answer from `server`
/// ([`server_negotiate`]), checked by the client ([`client_confirm`]).
/// Also returns the agreed `Sec-WebSocket-Extensions` response value.
///
/// Panics if the server declines or the client refuses the answer.
pub fn deflate_pair(
    client: &DeflateConfig,
    server: &DeflateConfig,
) -> (Protocol, Protocol, String) {
    let client_factories = vec![client.clone().into_factory()];
    let server_factories = vec![server.clone().into_factory()];
    let offer = client_offer(&client_factories).expect("the client offers permessage-deflate");
    let (response, server_stack) =
        server_negotiate(&server_factories, [offer.as_bytes()]).expect("a well-formed offer");
    let response = response.expect("the server accepts permessage-deflate");
    let client_stack =
        client_confirm(&client_factories, [response.as_bytes()]).expect("an acceptable answer");
    assert_eq!(format_extensions(client_stack.negotiated()), response);
    let client =
        Protocol::new(Role::Client, WebSocketConfig::default()).with_extensions(client_stack);
    let server =
        Protocol::new(Role::Server, WebSocketConfig::default()).with_extensions(server_stack);
    (client, server, response)
}

/// Carries one data message from `sender` to `receiver`: `send`, the whole
/// `pending_output` handed to `receive`, `advance_output`, `read_buffered`.
/// Returns the message as received and the number of bytes on the wire.
///
/// Panics if sending or decoding fails, or if the message is not complete
/// after its bytes were received.
pub fn deliver(
    sender: &mut Protocol,
    receiver: &mut Protocol,
    message: &Message,
) -> (Message, usize) {
    sender.write(message).expect("send");
    let out = sender.pending_output();
    let wire = out.len();
    receiver.receive(out);
    sender.advance_output(wire);
    let got = receiver
        .read_buffered()
        .expect("decode")
        .expect("a whole message");
    (got, wire)
}

/// The bytes a client puts on the wire for `messages` (masked frames, one
/// frame per message), encoded with `sockwell_core`'s engine.
pub fn encode_client_messages(messages: &[Message]) -> Vec<u8> {
    let mut client = Protocol::new(Role::Client, WebSocketConfig::default());
    let mut wire = Vec::new();
    for message in messages {
        client.write(message).expect("queue a data message");
        let out = client.pending_output();
        wire.extend_from_slice(out);
        let n = out.len();
        client.advance_output(n);
    }
    wire
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json_payload;

    #[test]
    fn deflate_pair_compresses_both_ways() {
        let config = DeflateConfig::default()
            .server_no_context_takeover(true)
            .client_no_context_takeover(true);
        let (mut client, mut server, agreed) = deflate_pair(&config, &config);
        assert_eq!(
            agreed,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
        );
        for seed in 0..3 {
            let message = Message::text(json_payload(4096, seed));
            let (got, wire) = deliver(&mut client, &mut server, &message);
            assert_eq!(got, message);
            assert!(wire < 4096 / 2, "{wire}");
            let (got, wire) = deliver(&mut server, &mut client, &message);
            assert_eq!(got, message);
            assert!(wire < 4096 / 2, "{wire}");
        }
    }
}
