//! A `recv()` dropped inside `tokio::select!` loses no byte and no message:
//! the peer trickles its frames in one byte at a time, and the receiving
//! side cancels its `recv` every time another branch is ready first.

use sockwell_tokio::{Message, Role, WebSocketConfig, WebSocketStream};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

const KEY: [u8; 4] = [0x0f, 0xf0, 0x55, 0xaa];

/// A masked client frame.
fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0x80 | opcode];
    match payload.len() {
        n @ 0..=125 => out.push(0x80 | n as u8),
        n => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(&KEY);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ KEY[i % 4]));
    out
}

fn message(i: usize) -> Message {
    if i.is_multiple_of(3) {
        Message::binary(vec![i as u8; i * 7 % 300])
    } else {
        Message::text(format!("message {i} {}", "é".repeat(i % 40)))
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_cancelled_recv_loses_nothing() {
    const COUNT: usize = 200;
    let (mut peer, ours) = tokio::io::duplex(64);
    let writer = tokio::spawn(async move {
        for i in 0..COUNT {
            let (opcode, payload) = match message(i) {
                Message::Text(t) => (0x1, t.into_bytes()),
                Message::Binary(b) => (0x2, b),
                _ => unreachable!(),
            };
            for byte in frame(opcode, &payload) {
                peer.write_all(&[byte]).await.unwrap();
                tokio::task::yield_now().await;
            }
        }
        peer
    });
    let mut ws = WebSocketStream::from_raw_socket(ours, Role::Server, WebSocketConfig::default());
    let mut received = Vec::new();
    let mut cancelled = 0usize;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while received.len() < COUNT {
        assert!(tokio::time::Instant::now() < deadline, "took too long");
        tokio::select! {
            biased;
            message = ws.read() => received.push(message.unwrap()),
            () = tokio::task::yield_now() => cancelled += 1,
        }
    }
    eprintln!("{COUNT} messages received whole and in order; recv cancelled {cancelled} times");
    let expected: Vec<Message> = (0..COUNT).map(message).collect();
    assert_eq!(received, expected);
    assert!(
        cancelled > 1000,
        "recv was cancelled only {cancelled} times"
    );
    drop(writer.await.unwrap());
}
