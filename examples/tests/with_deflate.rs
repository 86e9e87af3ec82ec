//! x-crc32 negotiated together with permessage-deflate on one connection:
//! the stack order, RSV ownership and conflicts.

use custom_extension::{Crc32Config, NAME};
use sockwell_core::{CloseCode, Message, Protocol, ProtocolError, Role, WebSocketConfig, WsError};
use sockwell_deflate::DeflateConfig;
use sockwell_extensions::{
    client_confirm, client_offer, server_negotiate, ExtensionFactory, NegotiationError, Rsv,
};
use std::net::TcpListener;
use std::sync::Arc;

fn both() -> Vec<Arc<dyn ExtensionFactory>> {
    vec![
        DeflateConfig::default().into_factory(),
        Crc32Config::default().into_factory(),
    ]
}

/// Client and server engines with the stacks the real negotiation built.
fn engines() -> (Protocol, Protocol, String) {
    let offer = client_offer(&both()).unwrap();
    let (answer, server_stack) = server_negotiate(&both(), [offer.as_bytes()]).unwrap();
    let answer = answer.unwrap();
    let client_stack = client_confirm(&both(), [answer.as_bytes()]).unwrap();
    let client =
        Protocol::new(Role::Client, WebSocketConfig::default()).with_extensions(client_stack);
    let server =
        Protocol::new(Role::Server, WebSocketConfig::default()).with_extensions(server_stack);
    (client, server, answer)
}

fn json(n: usize) -> String {
    (0..n)
        .map(|i| format!("{{\"id\":{i},\"ok\":true}}"))
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn both_negotiated_in_order_and_both_rsv_bits_on_the_wire() {
    let (mut client, mut server, answer) = engines();
    // A server keeps its context in a window of 2^13 by default and caps
    // the client's at 2^11: it says so.
    assert_eq!(
        answer,
        "permessage-deflate; client_max_window_bits=11, x-crc32"
    );
    let text = json(200);
    client.write(&Message::text(text.clone())).unwrap();
    let wire = client.pending_output().to_vec();
    client.advance_output(wire.len());
    // First header byte: FIN, RSV1 (deflate), RSV2 (crc), opcode text.
    assert_eq!(wire[0], 0x80 | 0x40 | 0x20 | 0x1);
    assert!(
        wire.len() < text.len() / 2,
        "compressed: {} bytes",
        wire.len()
    );
    server.receive(&wire);
    assert_eq!(
        server.read_buffered().unwrap(),
        Some(Message::Text(text.into()))
    );
}

#[test]
fn corrupted_checksum_fails_with_1007() {
    let (mut client, mut server, _) = engines();
    client.write(&Message::binary(vec![7u8; 5000])).unwrap();
    let mut wire = client.pending_output().to_vec();
    let last = wire.len() - 1;
    wire[last] ^= 0x01;
    server.receive(&wire);
    let err = server.read_buffered().unwrap_err();
    match err {
        WsError::Protocol(e @ ProtocolError::Extension(_)) => {
            assert_eq!(e.close_code(), CloseCode::INVALID_PAYLOAD)
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn an_extension_claiming_deflates_rsv1_is_declined_by_the_server() {
    let server = vec![
        DeflateConfig::default().into_factory(),
        Crc32Config { bit: Rsv::RSV1 }.into_factory(),
    ];
    let offer = client_offer(&both()).unwrap();
    let (answer, stack) = server_negotiate(&server, [offer.as_bytes()]).unwrap();
    assert_eq!(
        answer.as_deref(),
        Some("permessage-deflate; client_max_window_bits=11")
    );
    assert_eq!(stack.extensions().count(), 1);
}

#[test]
fn a_response_with_two_owners_of_rsv1_fails_the_client() {
    let client = vec![
        DeflateConfig::default().into_factory(),
        Crc32Config { bit: Rsv::RSV1 }.into_factory(),
    ];
    let err = client_confirm(&client, [&b"permessage-deflate, x-crc32"[..]]).unwrap_err();
    assert!(matches!(err, NegotiationError::RsvConflict(_)), "{err:?}");
}

#[test]
fn over_tcp_with_client_and_server_configs() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let config = sockwell_server::ServerConfig::default()
            .with_extension(DeflateConfig::default())
            .with_extension(Crc32Config::default());
        let mut ws = sockwell_server::accept_with_config(stream, config).unwrap();
        loop {
            match ws.read() {
                Ok(m) if m.is_data() => ws.send(m).unwrap(),
                Ok(_) => {}
                Err(WsError::ConnectionClosed) => break,
                Err(e) => panic!("server: {e:?}"),
            }
        }
    });
    let config = sockwell_client::ClientConfig::default()
        .with_extension(DeflateConfig::default())
        .with_extension(Crc32Config::default());
    let (mut ws, response) = sockwell_client::ClientBuilder::new(format!("ws://{addr}/"))
        .config(config)
        .connect()
        .unwrap();
    assert_eq!(
        response.headers()["sec-websocket-extensions"],
        "permessage-deflate; client_max_window_bits=11, x-crc32"
    );
    let names: Vec<String> = ws
        .protocol()
        .extensions()
        .negotiated()
        .map(|n| n.name.clone())
        .collect();
    assert_eq!(names, ["permessage-deflate", NAME]);
    for size in [0usize, 1, 31, 32, 5_000, 300_000] {
        let message = Message::text(json(size / 16 + 1)[..size].to_owned());
        ws.send(message.clone()).unwrap();
        assert_eq!(ws.read().unwrap(), message);
    }
    ws.close(None).unwrap();
    loop {
        match ws.read() {
            Ok(_) => {}
            Err(WsError::ConnectionClosed) => break,
            Err(e) => panic!("client: {e:?}"),
        }
    }
    server.join().unwrap();
}
