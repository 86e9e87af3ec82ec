//! The driver over non-blocking streams: a stream that returns `WouldBlock`
//! before every byte and moves one byte per call loses nothing.

mod common;

use common::{frame, mem_pair, parse_frames, peer_of, ChokingStream, MemStream};
use sockwell_core::{CloseCode, CloseFrame, Message, OpCode, Role, WebSocket, WebSocketConfig};
use std::io;

/// Text of exactly `len` bytes, mostly multi-byte code points.
fn text_of_len(len: usize) -> String {
    let unit = "ä€𝄞a"; // 2 + 3 + 4 + 1 bytes
    let mut s = unit.repeat(len / unit.len());
    while s.len() < len {
        s.push('z');
    }
    assert_eq!(s.len(), len);
    s
}

/// The sequence to send: text of many sizes (the big set includes the
/// 16-bit and 64-bit length boundaries), binary, empty messages and pings.
fn messages(big: bool) -> Vec<Message> {
    let sizes: &[usize] = if big {
        &[0, 125, 126, 65535, 65536, 200_000, 7]
    } else {
        &[0, 1, 2, 3, 4, 5, 125, 126, 1000, 9]
    };
    let mut msgs: Vec<Message> = sizes
        .iter()
        .map(|&n| Message::Text(text_of_len(n).into()))
        .collect();
    msgs.insert(1, Message::Ping(b"first".to_vec().into()));
    msgs.insert(
        3,
        Message::binary((0..3000u32).map(|i| (i * 31) as u8).collect::<Vec<_>>()),
    );
    msgs.insert(5, Message::Ping(vec![].into()));
    msgs.insert(6, Message::binary(Vec::new()));
    msgs.push(Message::Ping((vec![0xab; 125]).into()));
    msgs.push(Message::binary(&b"\xff\x00tail"[..]));
    msgs
}

type Choked = WebSocket<ChokingStream<MemStream>>;

/// One `read` attempt: a message is collected, `WouldBlock` is fine.
fn poll(ws: &mut Choked, out: &mut Vec<Message>) {
    match ws.read() {
        Ok(m) => out.push(m),
        Err(e) if e.is_would_block() => {}
        Err(e) => panic!("read failed: {e:?}"),
    }
}

/// Flushes `ws`, retrying on `WouldBlock`, and gives `other` a read
/// attempt between tries.
fn flush_retrying(ws: &mut Choked, other: &mut Choked, out: &mut Vec<Message>) {
    for _ in 0..10_000_000 {
        match ws.flush() {
            Ok(()) => return,
            Err(e) if e.is_would_block() => poll(other, out),
            Err(e) => panic!("flush failed: {e:?}"),
        }
    }
    panic!("flush never completed");
}

/// `sender` sends `messages(big)`; returns what the other side read and the
/// pongs the sender got back.
fn transfer(
    sender: Role,
    frame_size: Option<usize>,
    big: bool,
    choke: bool,
) -> (Vec<Message>, Vec<Message>) {
    let msgs = messages(big);
    let (a, b) = mem_pair();
    let mut config = WebSocketConfig::default();
    config.max_outgoing_frame_size = frame_size;
    let mut tx = WebSocket::from_raw_socket(ChokingStream::new(a, choke), sender, config);
    let mut rx = WebSocket::from_raw_socket(
        ChokingStream::new(b, choke),
        peer_of(sender),
        WebSocketConfig::default(),
    );
    let mut received = Vec::new();
    for m in &msgs {
        tx.write(m.clone()).unwrap();
        flush_retrying(&mut tx, &mut rx, &mut received);
    }
    let mut polls = 0;
    while received.len() < msgs.len() {
        poll(&mut rx, &mut received);
        polls += 1;
        assert!(
            polls < 10_000_000,
            "only {} messages arrived",
            received.len()
        );
    }
    // Pongs still queued on the receiver go out, and come back to the sender.
    let mut pongs = Vec::new();
    flush_retrying(&mut rx, &mut tx, &mut pongs);
    let pings = msgs
        .iter()
        .filter(|m| matches!(m, Message::Ping(_)))
        .count();
    let mut polls = 0;
    while pongs.len() < pings {
        poll(&mut tx, &mut pongs);
        polls += 1;
        assert!(polls < 1_000_000, "only {} pongs arrived", pongs.len());
    }
    // Nothing else is pending on either side.
    assert!(tx.read().unwrap_err().is_would_block());
    assert!(rx.read().unwrap_err().is_would_block());
    if choke {
        let total: usize = msgs.iter().map(Message::len).sum();
        assert!(rx.get_ref().injected > total, "the stream did not choke");
        assert!(tx.get_ref().injected > total, "the stream did not choke");
    }
    (received, pongs)
}

fn check_transfer(sender: Role, frame_size: Option<usize>, big: bool) {
    let expected = messages(big);
    let expected_pongs: Vec<Message> = expected
        .iter()
        .filter_map(|m| match m {
            Message::Ping(p) => Some(Message::Pong(p.clone())),
            _ => None,
        })
        .collect();
    let (plain, plain_pongs) = transfer(sender, frame_size, big, false);
    assert!(plain == expected, "plain stream altered the messages");
    assert_eq!(plain_pongs, expected_pongs);
    let (choked, choked_pongs) = transfer(sender, frame_size, big, true);
    assert_eq!(choked.len(), plain.len());
    for (i, (c, p)) in choked.iter().zip(&plain).enumerate() {
        assert!(
            c == p,
            "message {i} differs ({} vs {} bytes)",
            c.len(),
            p.len()
        );
    }
    assert_eq!(choked_pongs, plain_pongs);
}

// Reading one byte per call costs the engine an 8 KiB buffer refill per
// byte (it frees its read buffer whenever a read finds the stream idle),
// so the big set goes through the choke once per direction. Frames of at
// most 70 000 bytes: only the 200 000-byte message is fragmented (3 frames).

#[test]
fn client_to_server_big_messages() {
    check_transfer(Role::Client, Some(70_000), true);
}

#[test]
fn server_to_client_big_messages() {
    check_transfer(Role::Server, Some(70_000), true);
}

#[test]
fn tiny_frames_split_code_points() {
    for sender in [Role::Client, Role::Server] {
        for frame_size in [None, Some(1), Some(3), Some(125)] {
            check_transfer(sender, frame_size, false);
        }
    }
}

#[test]
fn max_outgoing_frame_size_really_fragments() {
    for (role, masked) in [(Role::Client, true), (Role::Server, false)] {
        let (a, b) = mem_pair();
        let mut config = WebSocketConfig::default();
        config.max_outgoing_frame_size = Some(1000);
        let mut ws = WebSocket::from_raw_socket(a, role, config);
        ws.send(Message::binary(vec![1u8; 2500])).unwrap();
        ws.send(Message::text("")).unwrap();
        let frames = parse_frames(&b.take_incoming());
        let shape: Vec<_> = frames
            .iter()
            .map(|(h, p)| (h.fin, h.opcode, p.len(), h.mask.is_some()))
            .collect();
        assert_eq!(
            shape,
            [
                (false, OpCode::Binary, 1000, masked),
                (false, OpCode::Continuation, 1000, masked),
                (true, OpCode::Continuation, 500, masked),
                (true, OpCode::Text, 0, masked),
            ]
        );
    }
}

/// A stream that is never ready, counting the calls made on it.
#[derive(Debug, Default)]
struct NeverReady {
    reads: usize,
    writes: usize,
}

impl io::Read for NeverReady {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        self.reads += 1;
        Err(io::ErrorKind::WouldBlock.into())
    }
}

impl io::Write for NeverReady {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        self.writes += 1;
        Err(io::ErrorKind::WouldBlock.into())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn idle_read_makes_exactly_one_read_call() {
    for role in [Role::Client, Role::Server] {
        let mut ws =
            WebSocket::from_raw_socket(NeverReady::default(), role, WebSocketConfig::default());
        for call in 1..=3 {
            let err = ws.read().unwrap_err();
            assert!(err.is_would_block(), "{err:?}");
            assert_eq!(ws.get_ref().reads, call);
        }
        assert_eq!(ws.get_ref().writes, 0);
        // Half a header already buffered: still one read per call.
        let mut ws = WebSocket::from_partially_read(
            NeverReady::default(),
            &[0x81],
            role,
            WebSocketConfig::default(),
        );
        assert!(ws.read().unwrap_err().is_would_block());
        assert_eq!(ws.get_ref().reads, 1);
    }
}

#[test]
fn ping_is_answered_before_read_returns() {
    for role in [Role::Client, Role::Server] {
        let (a, mut peer) = mem_pair();
        let mut ws = WebSocket::from_raw_socket(a, role, WebSocketConfig::default());
        let m = common::mask_for(role);
        io::Write::write_all(&mut peer, &frame(true, 0, 0x9, m, b"are you there")).unwrap();
        assert_eq!(
            ws.read().unwrap(),
            Message::Ping(b"are you there".to_vec().into())
        );
        // Already on the wire, without any flush by the application.
        let frames = parse_frames(&peer.take_incoming());
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].0.opcode, OpCode::Pong);
        assert_eq!(frames[0].0.mask.is_some(), role == Role::Client);
        assert_eq!(frames[0].1, b"are you there");
        assert!(ws.read().unwrap_err().is_would_block());
    }
}

#[test]
fn close_reply_is_written_before_read_returns() {
    for role in [Role::Client, Role::Server] {
        let (a, mut peer) = mem_pair();
        let mut ws = WebSocket::from_raw_socket(a, role, WebSocketConfig::default());
        let m = common::mask_for(role);
        let payload = common::close_payload(4001, b"bye");
        io::Write::write_all(&mut peer, &frame(true, 0, 0x8, m, &payload)).unwrap();
        assert_eq!(
            ws.read().unwrap(),
            Message::Close(Some(CloseFrame::new(CloseCode::from(4001), "bye")))
        );
        assert_eq!(common::single_close_code(&peer.take_incoming(), role), 4001);
        assert!(matches!(
            ws.read(),
            Err(sockwell_core::WsError::ConnectionClosed)
        ));
    }
}

#[test]
fn pong_and_close_reply_survive_a_choking_writer() {
    for role in [Role::Client, Role::Server] {
        let (a, mut peer) = mem_pair();
        let mut ws = WebSocket::from_raw_socket(
            ChokingStream::new(a, true),
            role,
            WebSocketConfig::default(),
        );
        let m = common::mask_for(role);
        let mut input = frame(true, 0, 0x9, m, b"ping!");
        input.extend(frame(true, 0, 0x8, m, &common::close_payload(1000, b"")));
        io::Write::write_all(&mut peer, &input).unwrap();
        let mut got = Vec::new();
        let mut end = None;
        for _ in 0..100_000 {
            match ws.read() {
                Ok(msg) => got.push(msg),
                Err(e) if e.is_would_block() => {}
                Err(e) => {
                    end = Some(e);
                    break;
                }
            }
        }
        assert!(
            matches!(end, Some(sockwell_core::WsError::ConnectionClosed)),
            "{end:?}"
        );
        assert_eq!(got[0], Message::Ping(b"ping!".to_vec().into()));
        assert!(matches!(&got[1], Message::Close(Some(f)) if f.code == CloseCode::NORMAL));
        // Both answers, whole and in order, byte by byte through the choke.
        let frames = parse_frames(&peer.take_incoming());
        let ops: Vec<_> = frames.iter().map(|(h, p)| (h.opcode, p.clone())).collect();
        assert_eq!(
            ops,
            [
                (OpCode::Pong, b"ping!".to_vec()),
                (OpCode::Close, vec![0x03, 0xe8])
            ]
        );
    }
}
