//! The extension stack with a hostile extension beside permessage-deflate,
//! under a server engine: the hostile one passes on, drops, cuts short, or
//! appends arbitrary bytes to what it decodes (by copy or through the spare
//! capacity), or fails, as the fuzz input says, piece by piece. Whatever it
//! does, every text message the engine delivers is valid UTF-8 (what
//! `Utf8Bytes::as_str` relies on), no message passes the limit, nothing
//! panics, and a failure closes with 1002, 1007 or 1009.
//!
//! Input: a setup byte (deflate parameters, which extension runs first,
//! chunk size), a script length byte and the script (the hostile
//! extension's moves, cycled through), then the bytes a client sends.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockwell_core::{Message, Protocol, Role, WsError};
use sockwell_extensions::{
    client_offer, parse_extensions, DecodeOutput, Extension, ExtensionError, ExtensionStack,
    MessageKind, Rsv,
};
use ws_fuzz::{config, deflate_config, LIMIT};

/// Claims RSV2, decodes every message, and does what its script says.
#[derive(Debug)]
struct Hostile {
    script: Vec<u8>,
    at: usize,
}

impl Hostile {
    fn next(&mut self) -> u8 {
        let byte = self.script.get(self.at).copied().unwrap_or(0);
        self.at = (self.at + 1) % self.script.len().max(1);
        byte
    }

    /// The next `n` script bytes, as arbitrary output.
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next()).collect()
    }
}

impl Extension for Hostile {
    fn name(&self) -> &str {
        "x-hostile"
    }

    fn reserved_bits(&self) -> Rsv {
        Rsv::RSV2
    }

    fn encode(
        &mut self,
        _kind: MessageKind,
        _payload: &[u8],
        _out: &mut Vec<u8>,
    ) -> Result<Option<Rsv>, ExtensionError> {
        Ok(None)
    }

    fn decodes(&self, _rsv: Rsv) -> bool {
        true
    }

    fn decode(
        &mut self,
        input: &[u8],
        _fin: bool,
        out: &mut DecodeOutput<'_>,
    ) -> Result<(), ExtensionError> {
        let op = self.next();
        let n = usize::from(op >> 3);
        match op & 7 {
            // Drop this piece.
            0 => {}
            // Pass on only the first `n` bytes.
            1 => out.extend_from_slice(&input[..n.min(input.len())])?,
            // Pass it on, then append arbitrary bytes.
            2 => {
                out.extend_from_slice(input)?;
                let extra = self.bytes(n);
                out.extend_from_slice(&extra)?;
            }
            // Append arbitrary bytes through the spare capacity (past the
            // limit too: the stack must catch that), then pass it on.
            3 => {
                let extra = self.bytes(n);
                out.reserve(extra.len());
                let spare = out.spare_capacity_mut();
                for (slot, &b) in spare.iter_mut().zip(&extra) {
                    slot.write(b);
                }
                // SAFETY: the first `extra.len()` spare bytes were just
                // written (`reserve` made room for them).
                unsafe { out.advance_mut(extra.len()) };
                out.extend_from_slice(input)?;
            }
            // Fail.
            4 => {
                return Err(ExtensionError::InvalidPayload {
                    extension: "x-hostile".to_owned(),
                    source: "scripted failure".into(),
                })
            }
            // Pass it on as it is.
            _ => out.extend_from_slice(input)?,
        }
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let [setup, script_len, rest @ ..] = data else {
        return;
    };
    let script_len = usize::from(*script_len % 32).min(rest.len());
    let (script, input) = rest.split_at(script_len);

    // permessage-deflate as a server accepts a client's offer.
    let factory = deflate_config(setup & 7).into_factory();
    let offer = client_offer(std::slice::from_ref(&factory)).expect("an offer");
    let offers = parse_extensions([offer.as_bytes()]).expect("our own offer parses");
    let Some(accepted) = offers.iter().find_map(|o| factory.accept(o)) else {
        return;
    };
    let hostile = Box::new(Hostile {
        script: script.to_vec(),
        at: 0,
    });
    // Negotiation order: the first negotiated decodes last, into the message.
    let mut stack = ExtensionStack::new();
    let pushed = if setup & 8 != 0 {
        stack
            .push(hostile)
            .and_then(|()| stack.push(accepted.extension))
    } else {
        stack
            .push(accepted.extension)
            .and_then(|()| stack.push(hostile))
    };
    pushed.expect("RSV1 and RSV2: no conflict");
    let mut engine = Protocol::new(Role::Server, config()).with_extensions(stack);

    let chunk = usize::from(setup >> 4) * 16 + 1;
    for piece in input.chunks(chunk) {
        engine.receive(piece);
        loop {
            match engine.read_buffered() {
                Ok(None) => break,
                Ok(Some(message)) => {
                    assert!(message.len() <= LIMIT, "a message past the limit");
                    if let Message::Text(text) = &message {
                        assert!(
                            std::str::from_utf8(text.as_bytes()).is_ok(),
                            "a text message holding invalid UTF-8: {:?}",
                            text.as_bytes()
                        );
                    }
                }
                Err(WsError::Protocol(e)) => {
                    let code = e.close_code().as_u16();
                    assert!(
                        matches!(code, 1002 | 1007 | 1009),
                        "close code {code} for {e:?}"
                    );
                    return;
                }
                Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => return,
                Err(e) => panic!("unexpected error {e:?}"),
            }
        }
        let n = engine.pending_output().len();
        engine.advance_output(n);
    }
});
