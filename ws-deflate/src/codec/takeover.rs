//! Context takeover kept as histories ([`TakeoverContext::History`]):
//! compressing a message from the connection's history with a borrowed
//! compressor, for the connection alone or for every connection in step
//! (a broadcast), and the borrowed compressor a busy connection holds.
//!
//! [`TakeoverContext::History`]: crate::TakeoverContext::History

use super::{compress, PerMessageDeflate};
use crate::pool::{count_priming, POOL};
use flate2::{Compress, Compression};
use sockwell_extensions::{ExtensionError, MessageId, Rsv, StatefulEncoding};
use std::sync::Arc;

impl PerMessageDeflate {
    /// Compresses one message with context takeover from the history alone
    /// (§7.2.3.1): a compressor borrowed from the shared pool is primed with
    /// the last 2^w bytes sent compressed, which is all the peer's window
    /// holds, so the peer's inflater reads the DEFLATE bytes as it would
    /// read a kept compressor's (not always the same bytes: a fresh
    /// compressor may pick other matches). A message that does not shrink can still go as it is: it never
    /// enters the peer's window (§6), is not added to ours, and the
    /// compressor (whose state now holds it) goes back reset.
    ///
    /// After a message the connection keeps the borrowed compressor as it
    /// stands while it is busy (so the next message needs neither a reset
    /// nor a dictionary: it continues like an owned one), unless
    /// [`DeflateConfig::busy_contexts`](crate::DeflateConfig::busy_contexts)
    /// compressors are already held that way; it gives it back in
    /// [`Extension::release_idle_state`](sockwell_extensions::Extension::release_idle_state). The history is still brought up to
    /// date per message (a copy of the payload, cheap beside compressing
    /// it), so that giving back costs only the reset.
    ///
    /// `message` is the broadcast this message is (`None`: the
    /// connection's own), recorded in the history's key.
    pub(super) fn encode_history(
        &mut self,
        payload: &[u8],
        out: &mut Vec<u8>,
        message: Option<MessageId>,
    ) -> Result<Option<Rsv>, ExtensionError> {
        let bits = self.compress_bits(payload.len());
        if self
            .borrowed
            .as_ref()
            .is_some_and(|(_, held)| *held != bits)
        {
            // A message of the other size class: the held compressor's
            // window does not suit it.
            self.release_compressor();
        }
        let (level, keep, busy) = (self.level, self.keep, self.busy);
        let Some(sent) = &mut self.sent else {
            return Err(Self::internal(std::io::Error::other("no history")));
        };
        let held = self.borrowed.take();
        let was_held = held.is_some();
        let mut c = match held {
            Some((c, _)) => c,
            None => {
                count_priming();
                primed(level, bits, keep, sent.as_slice())?
            }
        };
        let result = compress(&mut c, payload, out);
        let shrank = result.is_ok() && out.len() < payload.len();
        if shrank && (was_held || POOL.held_compressors().try_hold(busy)) {
            sent.push(payload, message);
            self.borrowed = Some((c, bits));
            return Ok(Some(Rsv::RSV1));
        }
        if was_held {
            POOL.held_compressors().release();
        }
        c.reset();
        POOL.return_compressor(level, bits, c, keep);
        result?;
        if !shrank {
            return Ok(None);
        }
        sent.push(payload, message);
        Ok(Some(Rsv::RSV1))
    }

    /// Compresses one message for every connection whose history equals
    /// this one's (see [`crate::history`]): a pooled compressor primed
    /// with the history, as [`encode_history`](Self::encode_history) does
    /// for a connection alone, leaving this connection as it is. A message
    /// that does not shrink goes as it is for all of them, and no history
    /// changes.
    pub(super) fn encode_shared_history(
        &self,
        payload: &[u8],
        message: MessageId,
        out: &mut Vec<u8>,
    ) -> Result<StatefulEncoding, ExtensionError> {
        let Some(sent) = &self.sent else {
            return Err(Self::internal(std::io::Error::other("no history")));
        };
        let from = sent.key().clone();
        let unchanged = |from| StatefulEncoding {
            rsv: None,
            from,
            next: None,
        };
        if self.skips(payload) {
            return Ok(unchanged(from));
        }
        let (level, bits) = (self.level, self.compress_bits(payload.len()));
        let mut c = primed(level, bits, self.keep, sent.as_slice())?;
        let result = compress(&mut c, payload, out);
        c.reset();
        POOL.return_compressor(level, bits, c, self.keep);
        result?;
        if out.len() >= payload.len() {
            return Ok(unchanged(from));
        }
        Ok(StatefulEncoding {
            rsv: Some(Rsv::RSV1),
            from,
            next: Some(Arc::new(sent.successor(payload, message))),
        })
    }

    /// Gives a compressor held between messages back to the pool, reset.
    pub(super) fn release_compressor(&mut self) {
        if let Some((mut c, bits)) = self.borrowed.take() {
            c.reset();
            POOL.return_compressor(self.level, bits, c, self.keep);
            POOL.held_compressors().release();
        }
    }

    /// In history mode, the window to compress a message of `len` bytes
    /// with (any window up to the agreed one is valid: the peer's is at
    /// least that large). A message that fits the history compresses in a
    /// window of the history's size: a larger one would only lengthen the
    /// match search among earlier messages (measured: 1.7x the CPU per
    /// small JSON message at 15 than at 13). A larger message gets the
    /// agreed window: in a small one, zlib-rs slides its 128 KiB hash
    /// table every 2^w bytes of input (1.8x the CPU of sockudo-ws on 1 MiB
    /// messages at 13).
    pub(super) fn compress_bits(&self, len: usize) -> u8 {
        let history = self.outgoing.history_bits.min(self.outgoing.window_bits);
        if len > 1 << history {
            self.outgoing.window_bits
        } else {
            history
        }
    }
}

/// A compressor from the shared pool at `level` for windows of `1 << bits`
/// bytes, primed with `history` (`deflateSetDictionary`): what a message
/// compressed with it may refer back to. zlib takes a dictionary for raw
/// deflate only before any input (or at a block boundary): right after
/// the reset the pool made. On failure the compressor goes back.
fn primed(
    level: Compression,
    bits: u8,
    keep: usize,
    history: &[u8],
) -> Result<Compress, ExtensionError> {
    let mut c = POOL.compressor(level, bits);
    if !history.is_empty() {
        if let Err(e) = c.set_dictionary(history) {
            c.reset();
            POOL.return_compressor(level, bits, c, keep);
            return Err(PerMessageDeflate::internal(e));
        }
    }
    Ok(c)
}
