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
//! The decoder restarts zlib with the reset that keeps the window
//! ([`RawInflate::restart_keeping_window`]), which costs the same whatever
//! the window holds (see [`Inflater::restart`] for why that matters).
//!
//! What carries over between messages is one of three things ([`Carry`]):
//! nothing (no context takeover), the connection's own zlib state, or the
//! last 2^w bytes inflated ([`History`]), with a pooled decoder primed with
//! them for each message. A decoder is held for a whole message in every
//! case, so a restart inside a message works the same in all three.

use crate::history::History;
use crate::params::NAME;
use crate::pool::{count_priming, POOL};
use crate::raw_inflate::{Progress, RawInflate};
use sockwell_extensions::{DecodeOutput, ExtensionError};

/// The empty stored block that ends a sync flush; removed by the sender and
/// put back before inflating (§7.2.2).
pub(crate) const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Output grows by at least this much per step while inflating.
const MIN_GROWTH: usize = 4 << 10;

/// A message's last piece up to this size is inflated together with the
/// tail, in one call, from a copy on the stack: zlib decodes in its fast
/// loop only while enough input is left, so inflating a short message and
/// then the four tail bytes on their own ran both ends in the slow loop, and
/// cost a second call (perf, 1 KiB messages compressed to ~20 bytes: zlib's
/// slow-path copy 1.6 % of the server's samples, against 0.4 % for a peer
/// that inflates once).
const JOIN_TAIL_MAX: usize = 508;

/// What the decoder keeps from one message to the next.
///
/// Why a history is kept from the decoded output rather than read back from
/// zlib's window (`inflateGetDictionary`): zlib-rs's inflate window is
/// 32 KiB whatever the window bits, and that call copies all of it, where
/// a window of 2^12 needs 4 KiB.
pub(crate) enum Carry {
    /// Nothing: no context takeover (§7.2.3.2).
    Nothing,
    /// The connection's own zlib state, window and all (§7.2.3.1).
    Decoder,
    /// The window's bytes only (§7.2.3.1): each message borrows a pooled
    /// decoder, primed with them, and refreshes them when it ends.
    History(History),
}

/// Inflates what the peer compressed, one message after another.
pub(crate) struct Inflater {
    /// zlib's window bits (9..=15: zlib cannot inflate with 8, and 9 reads
    /// everything a window of 8 produces).
    bits: u8,
    /// What carries over from one message to the next.
    carry: Carry,
    /// With [`Carry::Decoder`], allocated on the first compressed message
    /// and kept; otherwise borrowed from the pool for one message.
    zlib: Option<RawInflate>,
    /// The current DEFLATE stream ended (BFINAL) and nothing followed yet.
    ended: bool,
    /// Idle decompressors the pool keeps.
    keep: usize,
    /// The bound on decompressors held between messages by busy
    /// connections, process-wide.
    busy: usize,
    /// With [`Carry::History`]: `zlib` is a borrowed decoder kept between
    /// messages (counted in the pool's held decompressors), its window the
    /// history continued, so the next message needs no priming.
    held: bool,
    /// A message is partly inflated: a held decoder cannot go back yet.
    mid_message: bool,
}

impl Inflater {
    /// `history`: with takeover, keep the window's bytes rather than a
    /// decoder (see [`Carry`]).
    pub(crate) fn new(
        window_bits: u8,
        takeover: bool,
        history: bool,
        keep: usize,
        busy: usize,
    ) -> Self {
        let bits = window_bits.clamp(9, 15);
        let carry = match (takeover, history) {
            (false, _) => Carry::Nothing,
            (true, false) => Carry::Decoder,
            (true, true) => Carry::History(History::new(bits)),
        };
        Inflater {
            bits,
            carry,
            zlib: None,
            ended: false,
            keep,
            busy,
            held: false,
            mid_message: false,
        }
    }

    /// Inflates one piece of a message's payload into `out`, failing
    /// rather than let it pass its limit. `fin` marks the message's last piece.
    pub(crate) fn decode(
        &mut self,
        input: &[u8],
        fin: bool,
        out: &mut DecodeOutput<'_>,
    ) -> Result<(), ExtensionError> {
        let start = out.len();
        self.mid_message = true;
        if fin && input.len() <= JOIN_TAIL_MAX {
            // §7.2.2: the tail the sender removed, appended to the payload.
            let mut joined = [0u8; JOIN_TAIL_MAX + TAIL.len()];
            joined[..input.len()].copy_from_slice(input);
            joined[input.len()..input.len() + TAIL.len()].copy_from_slice(&TAIL);
            self.inflate(&joined[..input.len() + TAIL.len()], out, true)?;
        } else {
            self.inflate(input, out, false)?;
            if fin && !self.ended {
                // §7.2.2: append the tail the sender removed. A stream that
                // ended with BFINAL and nothing after it needs no tail: it is
                // complete.
                self.inflate(&TAIL, out, false)?;
            }
        }
        if let Carry::History(history) = &mut self.carry {
            // The decoder was primed when the message began, so its history
            // can move on piece by piece: what this piece added to the
            // message (this decoder's output only; a stage before it in the
            // stack starts each piece afresh).
            history.push(out.as_slice().get(start..).unwrap_or_default());
        }
        if fin {
            self.end_message();
        }
        Ok(())
    }

    /// After a message's last piece: gives a borrowed decoder back, or
    /// holds it while the connection is busy (history mode).
    fn end_message(&mut self) {
        self.mid_message = false;
        let keeps = match self.carry {
            Carry::Decoder => true,
            Carry::History(_) => {
                self.zlib.is_some() && (self.held || POOL.held_inflaters().try_hold(self.busy))
            }
            Carry::Nothing => false,
        };
        if keeps {
            // The stream goes on from where it is; a BFINAL at the end of
            // this message makes the next one restart it (`ended`).
            self.held = matches!(self.carry, Carry::History(_));
            return;
        }
        // §7.2.3.2, or a history that already holds this message: the next
        // message starts on a reset (and, with a history, primed) decoder.
        if let Some(mut zlib) = self.zlib.take() {
            zlib.reset();
            POOL.return_inflater(self.bits, zlib, self.keep);
        }
        self.ended = false;
    }

    /// True while a decoder is held between messages in history mode.
    pub(crate) fn holds(&self) -> bool {
        self.held
    }

    /// Gives back a decoder held between messages in history mode (reset,
    /// to the pool), for a connection gone quiet; one in the middle of a
    /// message stays until the message ends.
    pub(crate) fn release_held(&mut self) {
        if self.mid_message {
            return;
        }
        if let Carry::History(history) = &mut self.carry {
            history.compact();
        }
        if !self.held {
            return;
        }
        self.held = false;
        POOL.held_inflaters().release();
        if let Some(mut zlib) = self.zlib.take() {
            zlib.reset();
            POOL.return_inflater(self.bits, zlib, self.keep);
        }
        self.ended = false;
    }

    /// The decoder for this message: the connection's own, or one borrowed
    /// from the pool (primed with the history, if any).
    fn decoder(&mut self) -> Result<&mut RawInflate, ExtensionError> {
        let zlib = match self.zlib.take() {
            Some(zlib) => zlib,
            None => match &self.carry {
                Carry::Decoder => RawInflate::new(self.bits).map_err(invalid)?,
                Carry::Nothing => POOL.inflater(self.bits).map_err(invalid)?,
                Carry::History(history) => {
                    count_priming();
                    let mut zlib = POOL.inflater(self.bits).map_err(invalid)?;
                    if !history.as_slice().is_empty() {
                        if let Err(e) = zlib.set_dictionary(history.as_slice()) {
                            zlib.reset();
                            POOL.return_inflater(self.bits, zlib, self.keep);
                            return Err(invalid(e));
                        }
                    }
                    zlib
                }
            },
        };
        Ok(self.zlib.insert(zlib))
    }

    /// `tail_appended`: `input` ends with the [`TAIL`] the caller put back;
    /// if the stream ends (BFINAL) right before it, those four bytes are
    /// left alone, as they would not have been inflated on their own.
    fn inflate(
        &mut self,
        input: &[u8],
        out: &mut DecodeOutput<'_>,
        tail_appended: bool,
    ) -> Result<(), ExtensionError> {
        let max_len = out.max_len();
        let mut consumed = 0;
        loop {
            if self.ended {
                let rest = input.len() - consumed;
                if rest == 0 || (tail_appended && rest == TAIL.len()) {
                    return Ok(());
                }
                self.restart();
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
            let zlib = self.decoder()?;
            let result = zlib.inflate(&input[consumed..], out);
            // Checked before the result: corrupt data can fill the output
            // up to the byte past the limit and only then fail.
            if out.len() > max_len {
                // The byte past the limit only told us so; the message is
                // dropped with the error.
                return Err(ExtensionError::MessageTooLarge { limit: max_len });
            }
            let (n, progress) = result.map_err(invalid)?;
            consumed += n;
            match progress {
                Progress::StreamEnd => self.ended = true,
                Progress::Ok => {
                    if consumed == input.len() && out.len() < out.capacity() {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Starts a new DEFLATE stream after one that ended with BFINAL, with the
    /// window as it stood.
    ///
    /// Why a restart must cost next to nothing: an empty final block is two
    /// bytes (`03 00`), so a peer can end a stream every two bytes of a
    /// message that inflates to nothing. Reading the window out and setting
    /// it back as a dictionary cost a 32 KiB allocation and two copies of
    /// the window per restart, 13x the CPU per input byte of ordinary
    /// compressed text (`deflate/restarts` in benches/benches/deflate.rs).
    /// zlib's reset that keeps the window costs a few stores, so a message
    /// of restarts costs per byte about what any message does (1.8x there,
    /// the cost of one zlib call per two bytes). Capping the
    /// restarts instead would have to guess how many final blocks a
    /// legitimate peer sends per message (one per message for a compressor
    /// that cannot sync-flush; one per frame for one that compresses frame
    /// by frame), and charging them against the size limit would refuse
    /// such a peer's large messages before their time.
    fn restart(&mut self) {
        self.ended = false;
        if let Some(zlib) = &mut self.zlib {
            zlib.restart_keeping_window();
        }
    }
}

impl Drop for Inflater {
    fn drop(&mut self) {
        if self.held {
            // Keeps the count of held decoders right; the decoder itself
            // is freed with `zlib`.
            POOL.held_inflaters().release();
        }
    }
}

fn invalid(e: impl std::error::Error + Send + Sync + 'static) -> ExtensionError {
    ExtensionError::InvalidPayload {
        extension: NAME.to_owned(),
        source: Box::new(e),
    }
}
