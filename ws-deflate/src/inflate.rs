//! The receive side (RFC 7692 §7.2.2): a raw DEFLATE decoder that inflates
//! a message frame by frame under a size limit, and that keeps going when
//! the peer ends its DEFLATE stream with a BFINAL block (§7.2.3.4).
//!
//! A compressor that cannot sync-flush may end every message with a final
//! block; the RFC then adds one `0x00` octet (an empty non-final stored
//! block's header) so that the appended `0x00 0x00 0xff 0xff` completes it.
//! Peers send both forms, with and without that octet. Bytes after the end
//! of a DEFLATE stream start a new stream; with context takeover, the new
//! stream refers back to the same window as if the stream had not ended.
//! zlib forgets its window when a stream is restarted, so the decoder keeps
//! its own copy of the last window-size bytes it produced ([`History`]).

use crate::params::NAME;
use flate2::{Decompress, FlushDecompress, Status};
use ws_extensions::ExtensionError;

/// The empty stored block that ends a sync flush; removed by the sender and
/// put back before inflating (§7.2.2).
pub(crate) const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Output grows by at least this much per step while inflating.
const MIN_GROWTH: usize = 4 << 10;

/// Inflates what the peer compressed, one message after another.
pub(crate) struct Inflater {
    /// zlib's window bits (9..=15: zlib cannot inflate with 8, and 9 reads
    /// everything a window of 8 produces).
    bits: u8,
    /// The window carries over from one message to the next.
    takeover: bool,
    /// Allocated on the first compressed message.
    zlib: Option<Decompress>,
    /// The current DEFLATE stream ended (BFINAL) and nothing followed yet.
    ended: bool,
    /// The last `1 << bits` bytes produced: the window to restart with.
    history: History,
}

impl Inflater {
    pub(crate) fn new(window_bits: u8, takeover: bool) -> Self {
        Inflater {
            bits: window_bits.clamp(9, 15),
            takeover,
            zlib: None,
            ended: false,
            history: History::default(),
        }
    }

    /// Inflates one piece of a message's payload into `out`, never letting
    /// `out` pass `max_len`. `fin` marks the message's last piece.
    pub(crate) fn decode(
        &mut self,
        input: &[u8],
        fin: bool,
        out: &mut Vec<u8>,
        max_len: usize,
    ) -> Result<(), ExtensionError> {
        let start = out.len();
        self.inflate(input, out, start, max_len)?;
        if fin && !self.ended {
            // §7.2.2: append the tail the sender removed. A stream that ended
            // with BFINAL and nothing after it needs no tail: it is complete.
            self.inflate(&TAIL, out, start, max_len)?;
        }
        let window = 1usize << self.bits;
        if fin && !self.takeover {
            // §7.2.3.2 (no context takeover): the next message starts afresh.
            if let Some(zlib) = &mut self.zlib {
                zlib.reset(false);
            }
            self.ended = false;
            self.history = History::default();
        } else {
            self.history.push(&out[start..], window);
        }
        Ok(())
    }

    fn inflate(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        start: usize,
        max_len: usize,
    ) -> Result<(), ExtensionError> {
        let mut consumed = 0;
        loop {
            if self.ended {
                if consumed == input.len() {
                    return Ok(());
                }
                self.restart(&out[start..])?;
            }
            if out.len() == out.capacity() {
                if out.len() >= max_len.saturating_add(1) {
                    return Err(ExtensionError::MessageTooLarge { limit: max_len });
                }
                // Geometric growth, capped one byte past the limit: enough to
                // tell "exactly at the limit" from "past it".
                let target = (out.len() * 2)
                    .max(out.len() + MIN_GROWTH)
                    .min(max_len.saturating_add(1));
                out.reserve_exact(target - out.len());
            }
            let bits = self.bits;
            let zlib = self
                .zlib
                .get_or_insert_with(|| Decompress::new_with_window_bits(false, bits));
            let before_in = zlib.total_in();
            let result = zlib.decompress_vec(&input[consumed..], out, FlushDecompress::Sync);
            consumed += (zlib.total_in() - before_in) as usize;
            // Checked before the result: corrupt data can fill the output
            // up to the byte past the limit and only then fail.
            if out.len() > max_len {
                // The byte past the limit only told us so: `out` never
                // passes `max_len` (the `Extension::decode` contract).
                out.truncate(max_len);
                return Err(ExtensionError::MessageTooLarge { limit: max_len });
            }
            match result.map_err(invalid)? {
                Status::StreamEnd => self.ended = true,
                Status::Ok | Status::BufError => {
                    if consumed == input.len() && out.len() < out.capacity() {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Starts a new DEFLATE stream after one that ended with BFINAL, with the
    /// window as it stood: the bytes kept from earlier pieces, then `recent`
    /// (what this piece produced so far).
    fn restart(&mut self, recent: &[u8]) -> Result<(), ExtensionError> {
        self.ended = false;
        let bits = self.bits;
        let zlib = self
            .zlib
            .get_or_insert_with(|| Decompress::new_with_window_bits(false, bits));
        zlib.reset(false);
        let window = 1usize << self.bits;
        let dictionary = self.history.window_with(recent, window);
        if !dictionary.is_empty() {
            zlib.set_dictionary(&dictionary).map_err(invalid)?;
        }
        Ok(())
    }
}

fn invalid(e: impl std::error::Error + Send + Sync + 'static) -> ExtensionError {
    ExtensionError::InvalidPayload {
        extension: NAME.to_owned(),
        source: Box::new(e),
    }
}

/// The last bytes a decoder produced, at most one window: a ring that fills
/// up, then overwrites its oldest byte. Nothing is zeroed or moved per push.
#[derive(Default)]
struct History {
    bytes: Vec<u8>,
    /// Once full, where the oldest byte is (the next one to overwrite).
    oldest: usize,
}

impl History {
    fn push(&mut self, new: &[u8], window: usize) {
        if new.len() >= window {
            self.bytes.clear();
            self.bytes.extend_from_slice(&new[new.len() - window..]);
            self.oldest = 0;
            return;
        }
        let fits = (window - self.bytes.len()).min(new.len());
        self.bytes.extend_from_slice(&new[..fits]);
        let mut rest = &new[fits..];
        // Full: overwrite from the oldest byte on, wrapping at most once
        // (`rest` is shorter than the window).
        while !rest.is_empty() {
            let n = rest.len().min(window - self.oldest);
            self.bytes[self.oldest..self.oldest + n].copy_from_slice(&rest[..n]);
            self.oldest = (self.oldest + n) % window;
            rest = &rest[n..];
        }
    }

    /// The last `window` bytes of this history followed by `recent`, in order.
    fn window_with(&self, recent: &[u8], window: usize) -> Vec<u8> {
        let (newer, older) = self.bytes.split_at(self.oldest);
        let mut all = Vec::with_capacity(self.bytes.len() + recent.len());
        all.extend_from_slice(older);
        all.extend_from_slice(newer);
        all.extend_from_slice(recent);
        let keep = all.len().min(window);
        all.drain(..all.len() - keep);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::History;

    #[test]
    fn history_keeps_the_last_window_in_order() {
        let mut h = History::default();
        let mut all = Vec::new();
        for (i, n) in [3usize, 5, 1, 7, 0, 16, 2, 9].into_iter().enumerate() {
            let piece: Vec<u8> = (0..n).map(|j| (i * 31 + j) as u8).collect();
            h.push(&piece, 8);
            all.extend_from_slice(&piece);
            let expect = &all[all.len().saturating_sub(8)..];
            assert_eq!(h.window_with(&[], 8), expect, "after piece {i}");
        }
        let mut expect = all[all.len() - 5..].to_vec();
        expect.extend_from_slice(b"abc");
        assert_eq!(h.window_with(b"abc", 8), expect);
    }
}
