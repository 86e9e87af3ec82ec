//! Message assembly: fragments -> one message, with size limits on the
//! decoded size and UTF-8 checked as the bytes arrive (RFC 6455 §5.4, §8.1).

use crate::mask::{apply_mask, extend_masked_at};
use crate::{Message, ProtocolError, Utf8Bytes};
use sockwell_extensions::{ExtensionStack, MessageKind};
use std::mem::MaybeUninit;

/// Most bytes reserved up front for a frame whose length the peer announced:
/// a peer that announces 16 MiB and sends nothing gets no 16 MiB allocation.
const MAX_PREALLOCATION: usize = 1 << 20;

/// Room beyond the previous decoded size reserved for a message that passes
/// through extensions, so that one of the same size ends with spare room
/// instead of one more (doubling) reallocation.
const HINT_SLACK: usize = 4 << 10;

#[derive(Debug, Default)]
pub(crate) struct Assembler {
    kind: Option<MessageKind>,
    buf: Vec<u8>,
    /// Prefix of `buf` known to be valid UTF-8 (text messages). Sound
    /// because `buf` only grows while a message is assembled: nothing that
    /// writes to it (the extension stack included) can change this prefix.
    utf8_checked: usize,
    /// The current message passes through the extension stack.
    via_extensions: bool,
    /// Chunks pushed so far for the current message.
    chunks: usize,
    /// Decoded size of the last message that passed through extensions: a
    /// compressed frame does not announce its decoded size, and messages on
    /// one connection tend to resemble each other, so the next one starts
    /// with that much room instead of growing (and copying) by doubling.
    decoded_hint: usize,
}

impl Assembler {
    pub(crate) fn in_progress(&self) -> bool {
        self.kind.is_some()
    }

    pub(crate) fn begin(&mut self, kind: MessageKind, via_extensions: bool) {
        self.kind = Some(kind);
        self.via_extensions = via_extensions;
        self.utf8_checked = 0;
        self.chunks = 0;
        self.buf.clear();
    }

    /// Announces a frame of `len` payload bytes (checked against the limit
    /// when no extension changes the size).
    pub(crate) fn reserve_frame(
        &mut self,
        len: u64,
        max_message: usize,
    ) -> Result<(), ProtocolError> {
        if self.via_extensions {
            if self.buf.capacity() == 0 && self.decoded_hint > 0 {
                // Bounded by the limit: the hint is a size this peer made us
                // decode, which the limit allowed.
                let room = (self.decoded_hint.saturating_add(HINT_SLACK))
                    .min(max_message.saturating_add(1));
                self.buf.reserve_exact(room);
            }
            return Ok(());
        }
        let total = (self.buf.len() as u64).saturating_add(len);
        if total > max_message as u64 {
            return Err(ProtocolError::MessageTooLarge { max: max_message });
        }
        self.buf.reserve((len as usize).min(MAX_PREALLOCATION));
        Ok(())
    }

    /// Adds a piece of (unmasked) frame payload. `last` is set on the final
    /// piece of the message's final frame.
    /// `mask` is the frame's key and the chunk's offset in the frame's
    /// payload, if the chunk is still masked: it is unmasked here, in place
    /// for the extensions or while it is copied into the message.
    pub(crate) fn push(
        &mut self,
        chunk: &mut [u8],
        mask: Option<([u8; 4], usize)>,
        last: bool,
        extensions: &mut ExtensionStack,
        max_message: usize,
    ) -> Result<(), ProtocolError> {
        if self.via_extensions {
            if let Some((key, offset)) = mask {
                apply_mask(chunk, key, offset);
            }
            extensions.decode(chunk, last, &mut self.buf, max_message)?;
        } else {
            if self.buf.len().saturating_add(chunk.len()) > max_message {
                return Err(ProtocolError::MessageTooLarge { max: max_message });
            }
            match mask {
                Some((key, offset)) => extend_masked_at(&mut self.buf, chunk, key, offset),
                None => self.buf.extend_from_slice(chunk),
            }
        }
        self.chunks += 1;
        // The last piece is checked with the whole message in `finish`; a
        // message that arrives in one piece is thus validated exactly once.
        if !last {
            self.check_new_text()?;
        }
        Ok(())
    }

    /// Room after the message's bytes for up to `want` more payload bytes
    /// of an unmasked-in-place frame (uninitialized), for a read straight
    /// into the message. `None` if the message passes through extensions
    /// (its bytes are not the payload's).
    pub(crate) fn direct_space(&mut self, want: usize) -> Option<&mut [MaybeUninit<u8>]> {
        if self.via_extensions || self.kind.is_none() {
            return None;
        }
        // `want` is within the frame, whose size `reserve_frame` checked
        // against the limit; reserve at most MAX_PREALLOCATION at a time,
        // so a peer that announces much and sends little gets little.
        self.buf.reserve(want.min(MAX_PREALLOCATION));
        let spare = self.buf.spare_capacity_mut();
        let len = spare.len().min(want);
        Some(&mut spare[..len])
    }

    /// Takes `n` bytes that a read put into [`direct_space`](Self::direct_space),
    /// unmasking them in place (`mask`: the frame's key and these bytes'
    /// offset in its payload).
    ///
    /// # Safety
    /// The first `n` bytes of the last `direct_space` slice are initialized,
    /// and `n` is at most its length.
    pub(crate) unsafe fn commit_direct(&mut self, n: usize, mask: Option<([u8; 4], usize)>) {
        let start = self.buf.len();
        debug_assert!(n <= self.buf.capacity() - start);
        // SAFETY: the caller guarantees that `n` bytes of the spare capacity
        // right after `len` (what `direct_space` returned) are initialized.
        unsafe { self.buf.set_len(start + n) };
        if let Some((key, offset)) = mask {
            apply_mask(&mut self.buf[start..], key, offset);
        }
        self.chunks += 1;
    }

    /// Checks text that arrived since the last check (pushed, or read
    /// straight into the message, see [`commit_direct`](Self::commit_direct)),
    /// so that invalid UTF-8 fails the connection before the message ends.
    pub(crate) fn check_new_text(&mut self) -> Result<(), ProtocolError> {
        if self.kind == Some(MessageKind::Text) && self.utf8_checked < self.buf.len() {
            self.check_utf8()?;
        }
        Ok(())
    }

    /// Validates what arrived since the last check. An incomplete code point
    /// at the end is fine (its rest may come in the next piece); any byte that
    /// can start no valid sequence fails at once.
    fn check_utf8(&mut self) -> Result<(), ProtocolError> {
        match simdutf8::compat::from_utf8(&self.buf[self.utf8_checked..]) {
            Ok(_) => self.utf8_checked = self.buf.len(),
            Err(e) if e.error_len().is_none() => self.utf8_checked += e.valid_up_to(),
            Err(_) => return Err(ProtocolError::InvalidUtf8),
        }
        Ok(())
    }

    /// Completes the message and hands it over.
    pub(crate) fn finish(&mut self) -> Result<Message, ProtocolError> {
        let kind = self.kind.take();
        let mut data = std::mem::take(&mut self.buf);
        if self.via_extensions {
            self.decoded_hint = data.len();
        }
        // Inflating and fragment assembly grow the buffer by doubling; don't
        // hand the application a message that holds twice its size.
        if data.capacity() - data.len() > data.len() / 4 + 4096 {
            data.shrink_to_fit();
        }
        match kind {
            Some(MessageKind::Text) => {
                // What came before `utf8_checked` was validated as it arrived
                // and ends at a character boundary: check only the rest.
                // Those bytes are still the ones checked: extensions only
                // append to the message (`DecodeOutput` hands them no `&mut`
                // to earlier bytes), as do the copy and the direct read.
                let checked = std::mem::take(&mut self.utf8_checked).min(data.len());
                if simdutf8::basic::from_utf8(&data[checked..]).is_err() {
                    return Err(ProtocolError::InvalidUtf8);
                }
                // Every byte is validated now: the prefix up to
                // `utf8_checked` piece by piece as it arrived (each check
                // ending at a character boundary), the rest just above.
                Ok(Message::Text(Utf8Bytes::from_validated(data.into())))
            }
            _ => Ok(Message::Binary(data.into())),
        }
    }
}
