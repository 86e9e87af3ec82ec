//! Batching in the sync driver: `read()` writes control replies only, so a
//! loop can read everything that is ready (`read_buffered` needs no call on
//! the stream), queue each echo, and write them all with one flush.

mod common;

use common::{parse_frames, ws_pair, MemStream};
use sockwell_core::{Message, OpCode, WebSocketConfig};

/// Frames (opcode, payload) the client's end of the pipe has received.
fn arrived(client: &sockwell_core::WebSocket<MemStream>) -> Vec<(OpCode, Vec<u8>)> {
    parse_frames(&client.get_ref().take_incoming())
        .into_iter()
        .map(|(h, p)| (h.opcode, p))
        .collect()
}

#[test]
fn read_leaves_queued_messages_for_the_flush() {
    let (mut client, mut server) = ws_pair(WebSocketConfig::default(), WebSocketConfig::default());
    for i in 0..3 {
        server.write(Message::text(format!("echo {i}"))).unwrap();
    }
    client
        .send(Message::Ping(b"are you there".to_vec().into()))
        .unwrap();
    assert_eq!(
        server.read().unwrap(),
        Message::Ping(b"are you there".to_vec().into())
    );
    // Neither the queued echoes nor the pong were written by read().
    assert!(arrived(&client).is_empty());
    server.flush().unwrap();
    let frames = arrived(&client);
    let opcodes: Vec<OpCode> = frames.iter().map(|f| f.0).collect();
    assert_eq!(
        opcodes,
        [OpCode::Text, OpCode::Text, OpCode::Text, OpCode::Pong]
    );
    assert_eq!(frames[3].1, b"are you there");
}

#[test]
fn read_answers_a_ping_at_once_when_nothing_else_is_queued() {
    let (mut client, mut server) = ws_pair(WebSocketConfig::default(), WebSocketConfig::default());
    client.send(Message::Ping(b"1".to_vec().into())).unwrap();
    client.send(Message::Ping(b"2".to_vec().into())).unwrap();
    assert_eq!(server.read().unwrap(), Message::Ping(b"1".to_vec().into()));
    assert_eq!(arrived(&client), [(OpCode::Pong, b"1".to_vec())]);
    assert_eq!(server.read().unwrap(), Message::Ping(b"2".to_vec().into()));
    assert_eq!(arrived(&client), [(OpCode::Pong, b"2".to_vec())]);
}

#[test]
fn read_buffered_drains_what_arrived_without_touching_the_stream() {
    let (mut client, mut server) = ws_pair(WebSocketConfig::default(), WebSocketConfig::default());
    for i in 0..5 {
        client.write(Message::text(format!("m{i}"))).unwrap();
    }
    client.flush().unwrap();
    // One read call takes all five in.
    assert_eq!(server.read().unwrap(), Message::text("m0"));
    assert_eq!(server.get_ref().incoming_len(), 0);
    // More arrives on the stream, but read_buffered does not read it.
    client.send(Message::text("late")).unwrap();
    let mut rest = Vec::new();
    while let Some(m) = server.read_buffered().unwrap() {
        rest.push(m);
    }
    assert_eq!(
        rest,
        ["m1", "m2", "m3", "m4"].map(Message::text).to_vec(),
        "the buffered four, and not the late one"
    );
    assert!(server.get_ref().incoming_len() > 0);
    assert_eq!(server.read().unwrap(), Message::text("late"));
}

#[test]
fn an_echo_loop_answers_a_burst_with_one_write() {
    let (mut client, mut server) = ws_pair(WebSocketConfig::default(), WebSocketConfig::default());
    for i in 0..50 {
        client.write(Message::binary(vec![i; 20])).unwrap();
    }
    client.flush().unwrap();
    let before = server.get_ref().writes();
    let first = server.read().unwrap();
    server.write(first).unwrap();
    while let Some(m) = server.read_buffered().unwrap() {
        server.write(m).unwrap();
    }
    server.flush().unwrap();
    assert_eq!(
        server.get_ref().writes() - before,
        1,
        "one write for 50 echoes"
    );
    for i in 0..50 {
        assert_eq!(client.read().unwrap(), Message::binary(vec![i; 20]));
    }
}
