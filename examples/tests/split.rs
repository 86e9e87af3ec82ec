//! Split halves over real TCP: one thread writes while another reads, and
//! the read half answers pings on its own.

use sockwell_client::{Message, WsError};
use std::net::TcpListener;
use std::thread;

/// Echoes data; on "ping-me" it pings and reports whether the pong came.
fn server() -> (std::net::SocketAddr, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut ws = sockwell_server::accept(stream).unwrap();
        loop {
            match ws.read() {
                Ok(Message::Text(t)) if t == "ping-me" => {
                    ws.send(Message::Ping(b"p".to_vec().into())).unwrap();
                    let reply = loop {
                        match ws.read().unwrap() {
                            Message::Pong(p) => {
                                break format!("pong {}", String::from_utf8_lossy(&p))
                            }
                            Message::Text(t) => ws.send(Message::Text(t)).unwrap(),
                            _ => {}
                        }
                    };
                    ws.send(Message::text(reply)).unwrap();
                }
                Ok(m) if m.is_data() => ws.send(m).unwrap(),
                Ok(_) => {}
                Err(WsError::ConnectionClosed) => return,
                Err(e) => panic!("server: {e:?}"),
            }
        }
    });
    (addr, handle)
}

#[test]
fn one_thread_writes_while_another_reads() {
    let (addr, server) = server();
    let (ws, _) = sockwell_client::connect(format!("ws://{addr}/")).unwrap();
    let writer_stream = ws.get_ref().get_ref().try_clone().unwrap();
    let (mut reader, writer) = ws.split(writer_stream);

    let sender = thread::spawn(move || {
        for i in 0..300 {
            writer.send(Message::text(format!("message {i}"))).unwrap();
        }
        writer
    });
    for i in 0..300 {
        assert_eq!(
            reader.read().unwrap(),
            Message::text(format!("message {i}"))
        );
    }
    let writer = sender.join().unwrap();

    // The read half answers the server's ping without the write half.
    writer.send(Message::text("ping-me")).unwrap();
    assert_eq!(reader.read().unwrap(), Message::Ping(b"p".to_vec().into()));
    assert_eq!(reader.read().unwrap(), Message::text("pong p"));

    writer.close(None).unwrap();
    loop {
        match reader.read() {
            Ok(Message::Close(_)) => {}
            Err(WsError::ConnectionClosed) => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(matches!(
        writer.send(Message::text("late")),
        Err(WsError::AlreadyClosed)
    ));
    server.join().unwrap();
}

/// Both ends split, each with a writer thread sending eight 1 MiB messages
/// with pings between them while its reader thread reads the other side's.
/// Blocking sockets: a reader that waited for the writer lock, or a pong
/// that got lost or interleaved into a frame, would hang or corrupt this.
#[test]
fn both_ends_send_megabytes_both_ways_while_pinging() {
    const COUNT: u8 = 8;
    const SIZE: usize = 1 << 20;

    /// Returns the messages read and whether the last ping was answered
    /// (earlier ones may be answered by one pong: RFC 6455 §5.5.3).
    fn pump<R, W>(
        reader: sockwell_core::ReadHalf<R, W>,
        writer: sockwell_core::WriteHalf<W>,
    ) -> (usize, bool)
    where
        R: std::io::Read + Send + 'static,
        W: std::io::Write + Send + 'static,
    {
        let sending = thread::spawn(move || {
            for i in 0..COUNT {
                writer.send(Message::binary(vec![i; SIZE])).unwrap();
                writer.send(Message::Ping(vec![i].into())).unwrap();
            }
            writer
        });
        let mut reader = reader;
        // Until everything of the peer's arrived (its last ping included, so
        // that our answer to it goes out before we hang up) and our last
        // ping was answered.
        let (mut messages, mut last_pong, mut last_ping) = (0, false, false);
        while messages < COUNT as usize || !last_pong || !last_ping {
            match reader.read().unwrap() {
                Message::Binary(data) => {
                    assert_eq!(data.len(), SIZE);
                    assert!(data.iter().all(|&b| b == messages as u8));
                    messages += 1;
                }
                Message::Pong(p) => last_pong |= p[..] == [COUNT - 1],
                Message::Ping(p) => last_ping |= p[..] == [COUNT - 1],
                other => panic!("unexpected {other:?}"),
            }
        }
        drop(sending.join().unwrap());
        (messages, last_pong)
    }

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let ws = sockwell_server::accept(stream).unwrap();
        let writer = ws.get_ref().try_clone().unwrap();
        let (reader, writer) = ws.split(writer);
        pump(reader, writer)
    });
    let (ws, _) = sockwell_client::connect(format!("ws://{addr}/")).unwrap();
    let writer = ws.get_ref().get_ref().try_clone().unwrap();
    let (reader, writer) = ws.split(writer);
    let client = pump(reader, writer);
    assert_eq!(client, (COUNT as usize, true));
    assert_eq!(server.join().unwrap(), (COUNT as usize, true));
}
