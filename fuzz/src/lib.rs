//! Pieces shared by the fuzz targets: negotiated permessage-deflate stacks,
//! a frame builder, an in-memory stream, and the engine driver that the two
//! engine targets run in each role.

use sockwell_core::{Limits, Message, Protocol, Role, WebSocketConfig, WsError};
use sockwell_deflate::DeflateConfig;
use sockwell_extensions::{client_confirm, client_offer, server_negotiate, ExtensionStack};
use std::io::{self, Read, Write};

/// Message and frame limit of the engines under fuzzing: small enough that a
/// bomb is refused fast, large enough for real messages.
pub const LIMIT: usize = 256 << 10;

/// The deflate parameter sets a stack can be negotiated with, picked by a byte.
pub fn deflate_config(pick: u8) -> DeflateConfig {
    let config = DeflateConfig::default();
    match pick % 5 {
        0 => config.context_takeover(),
        1 => config
            .client_no_context_takeover(true)
            .server_no_context_takeover(true),
        2 => config
            .context_takeover()
            .client_max_window_bits(9)
            .server_max_window_bits(10),
        3 => config.server_max_window_bits(8).client_max_window_bits(8),
        // The defaults of each role (a server keeps no context).
        _ => config,
    }
}

/// The stacks of both ends after a negotiation with `config` on both sides:
/// `(client, server)`.
pub fn deflate_stacks(config: DeflateConfig) -> (ExtensionStack, ExtensionStack) {
    let client = vec![config.clone().into_factory()];
    let server = vec![config.into_factory()];
    let offer = client_offer(&client).expect("an offer");
    let (answer, server_stack) =
        server_negotiate(&server, [offer.as_bytes()]).expect("the server negotiates");
    let answer = answer.expect("the server accepts its own kind of offer");
    let client_stack = client_confirm(&client, [answer.as_bytes()]).expect("the client confirms");
    (client_stack, server_stack)
}

/// Engine settings with fuzzing-sized limits.
pub fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .with_limits(
            Limits::default()
                .with_max_message_size(LIMIT)
                .with_max_frame_size(LIMIT),
        )
        .with_max_write_buffer_size(4 * LIMIT)
}

/// A whole frame: FIN, RSV bits (`0b100` = RSV1), opcode, optional mask.
pub fn frame(fin: bool, rsv: u8, opcode: u8, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | ((rsv & 7) << 4) | (opcode & 0x0f)];
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..=125 => out.push(mask_bit | n as u8),
        n @ 126..=0xffff => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match mask {
        Some(key) => {
            out.extend_from_slice(&key);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

/// Feeds `data` to an engine of `role` in chunks whose sizes come from the
/// data itself, taking every event; checks what must hold whatever arrives.
///
/// The first byte picks the chunk size and whether permessage-deflate is
/// negotiated (and with which parameters); the engine also sends now and
/// then, so output and input interleave.
pub fn drive_engine(role: Role, data: &[u8]) {
    let [setup, input @ ..] = data else { return };
    let chunk = usize::from(setup & 0x1f) + 1;
    let mut engine = Protocol::new(role, config());
    if setup & 0x20 != 0 {
        let (client, server) = deflate_stacks(deflate_config(setup >> 6));
        engine = engine.with_extensions(match role {
            Role::Client => client,
            Role::Server => server,
        });
    }
    for (i, piece) in input.chunks(chunk).enumerate() {
        // Every other piece goes in the way the async driver hands input
        // over: buffers released while waiting, the bytes decoded in place.
        let mut first = if i % 2 == 1 {
            engine.release_idle_buffers();
            let mut scratch = piece.to_vec();
            Some(engine.receive_next(&mut scratch))
        } else {
            engine.receive(piece);
            None
        };
        loop {
            match first.take().unwrap_or_else(|| engine.read_buffered()) {
                Ok(None) => break,
                Ok(Some(message)) => {
                    assert!(message.len() <= LIMIT, "a message past the limit");
                    if message.is_data() && i % 3 == 0 {
                        // Echo now and then; the send may be refused, never panic.
                        let _ = engine.write(&message);
                    }
                }
                Err(WsError::Protocol(e)) => {
                    let code = e.close_code().as_u16();
                    assert!(
                        matches!(code, 1002 | 1007 | 1009),
                        "close code {code} for {e:?}"
                    );
                    // Failed for good: the Close is queued, nothing more is read.
                    assert!(engine.wants_write());
                    assert!(engine.read_buffered().is_err());
                    return;
                }
                Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => return,
                Err(e) => panic!("unexpected error {e:?}"),
            }
        }
        // The stream takes half of what is queued each round.
        let n = engine.pending_output().len() / 2;
        engine.advance_output(n);
        assert!(engine.buffered_output() <= 4 * LIMIT + 256);
    }
    let _ = engine.write(&Message::ping(&b"still here"[..]));
}

/// A stream that reads from fixed input and keeps what is written.
pub struct Canned {
    input: io::Cursor<Vec<u8>>,
    /// What the endpoint under test wrote.
    pub written: Vec<u8>,
}

impl Canned {
    /// A stream whose reads return `input`, then end of stream.
    pub fn new(input: &[u8]) -> Self {
        Canned {
            input: io::Cursor::new(input.to_vec()),
            written: Vec::new(),
        }
    }
}

impl Read for Canned {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.input.read(buf)
    }
}

impl Write for Canned {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
