//! An extension is code the application chose, but the engine's promise
//! that a `Message::Text` holds UTF-8 must not rest on it: text is checked
//! piece by piece as it grows, so an extension must not be able to change
//! what was already checked. `DecodeOutput` makes rewriting or truncating
//! earlier bytes impossible to write (see its `compile_fail` example); what
//! an extension can still do is append anything, by copy or through the
//! spare capacity, in any piece. Each such append of invalid UTF-8 here
//! fails the connection with 1007, and no text message is delivered.

mod common;

use common::{frame, mask_for, single_close_code, PassThrough};
use sockwell_core::{Message, Protocol, ProtocolError, Role, WebSocketConfig, WsError};
use sockwell_extensions::{DecodeOutput, ExtensionError, ExtensionStack, Rsv};

/// What the hostile extension does besides passing its input on.
#[derive(Clone, Copy, Debug)]
enum Attack {
    /// Appends `0xff` (never valid in UTF-8) after the last piece's bytes.
    AppendOnLast,
    /// Writes `c3 28` (a lead byte, then no continuation) through the spare
    /// capacity after the last piece's bytes.
    SpareOnLast,
    /// Appends `e2 82` (the start of a three-byte character) to the first
    /// piece, and nothing completes it.
    IncompleteThenNothing,
    /// Appends `0xff` to the first piece, which is not the last.
    AppendOnFirst,
}

impl Attack {
    /// Attacks `out` after a piece was passed on (`first`: the first piece,
    /// `fin`: the last).
    fn apply(
        self,
        out: &mut DecodeOutput<'_>,
        first: bool,
        fin: bool,
    ) -> Result<(), ExtensionError> {
        match self {
            Attack::AppendOnLast if fin => out.extend_from_slice(&[0xff])?,
            Attack::SpareOnLast if fin => {
                out.reserve(2);
                let spare = out.spare_capacity_mut();
                spare[0].write(0xc3);
                spare[1].write(0x28);
                // SAFETY: the two bytes were just written.
                unsafe { out.advance_mut(2) };
            }
            Attack::IncompleteThenNothing if first => out.extend_from_slice(&[0xe2, 0x82])?,
            Attack::AppendOnFirst if first => out.extend_from_slice(&[0xff])?,
            _ => {}
        }
        Ok(())
    }
}

/// Claims RSV3, passes every piece on and then attacks.
fn hostile(attack: Attack) -> PassThrough {
    PassThrough::new("x-hostile", Rsv::RSV3)
        .after_piece(move |out, first, fin| attack.apply(out, first, fin))
}

/// A server with the hostile extension, fed a text message of two frames
/// (`"héllo"` and `" world"`, RSV3 on the first); returns what the engine
/// made of it and the Close code it queued.
fn receive_through(attack: Attack) -> (Result<Option<Message>, WsError>, u16) {
    let mut stack = ExtensionStack::new();
    stack
        .push(Box::new(hostile(attack)))
        .expect("one extension");
    let mut server = Protocol::new(Role::Server, WebSocketConfig::default()).with_extensions(stack);
    let mask = mask_for(Role::Server);
    server.receive(&frame(false, 0b001, 0x1, mask, "héllo".as_bytes()));
    server.receive(&frame(true, 0, 0x0, mask, b" world"));
    let mut result = server.read_buffered();
    // Drain: whatever the engine says, no text it hands over may be invalid.
    while let Ok(Some(message)) = &result {
        if let Message::Text(text) = message {
            assert!(
                std::str::from_utf8(text.as_bytes()).is_ok(),
                "{attack:?}: a text message holding invalid UTF-8: {:?}",
                text.as_bytes()
            );
        }
        result = server.read_buffered();
    }
    let code = single_close_code(server.pending_output(), Role::Server);
    (result, code)
}

fn assert_fails_with_1007(attack: Attack) {
    let (result, code) = receive_through(attack);
    assert!(
        matches!(result, Err(WsError::Protocol(ProtocolError::InvalidUtf8))),
        "{attack:?}: {result:?}"
    );
    assert_eq!(code, 1007, "{attack:?}");
}

#[test]
fn invalid_bytes_appended_to_the_last_piece_fail_with_1007() {
    assert_fails_with_1007(Attack::AppendOnLast);
}

#[test]
fn invalid_bytes_written_through_the_spare_capacity_fail_with_1007() {
    assert_fails_with_1007(Attack::SpareOnLast);
}

#[test]
fn an_incomplete_character_left_by_an_earlier_piece_fails_with_1007() {
    assert_fails_with_1007(Attack::IncompleteThenNothing);
}

#[test]
fn invalid_bytes_appended_to_an_earlier_piece_fail_with_1007() {
    assert_fails_with_1007(Attack::AppendOnFirst);
}
