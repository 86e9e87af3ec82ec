//! The per-connection compressor and decompressor (RFC 7692 §7.2).

mod takeover;

use crate::config::{DeflateConfig, TakeoverContext};
use crate::history::{SentHistory, Successor};
use crate::inflate::{Inflater, TAIL};
use crate::params::{Params, NAME};
use crate::pool::{count_compression, POOL};
use flate2::{Compress, Compression, FlushCompress};
use sockwell_extensions::{
    DecodeOutput, Extension, ExtensionError, MessageId, MessageKind, Rsv, SharedStateRef,
    StatefulEncoding,
};
use std::any::Any;

/// The agreement for one direction of the connection.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Direction {
    pub no_context_takeover: bool,
    /// The agreed window: what the inflater must accept, what the
    /// compressor uses.
    pub window_bits: u8,
    /// With context takeover as histories, how much of the direction's
    /// messages is kept between them (at most the window): all a message
    /// may refer back to before itself once the context was primed again.
    pub history_bits: u8,
}

/// permessage-deflate on one connection: compresses what we send, inflates
/// what the peer compressed (messages whose first frame has RSV1).
///
/// With context takeover, a direction's zlib state is the connection's own,
/// allocated on the first message that needs it
/// ([`TakeoverContext::Owned`]), or the connection keeps only the last 2^w
/// bytes of that direction's messages and borrows a pooled context primed
/// with them for each message ([`TakeoverContext::History`]). Without, the
/// connection holds none between messages: it borrows a context from a pool
/// shared by the process's connections and gives it back, reset, when the
/// message is done (see [`DeflateConfig`]).
pub struct PerMessageDeflate {
    agreed: Params,
    level: Compression,
    min_compress_size: usize,
    outgoing: Direction,
    incoming: Direction,
    /// Our own compressor (context takeover, [`TakeoverContext::Owned`]).
    compressor: Option<Compress>,
    /// What we sent compressed, the last 2^w bytes (context takeover,
    /// [`TakeoverContext::History`]).
    sent: Option<SentHistory>,
    /// A compressor borrowed in history mode and held between messages
    /// while the connection is busy: its state is `sent` continued.
    /// With the window bits it compresses with.
    borrowed: Option<(Compress, u8)>,
    inflater: Inflater,
    /// Idle contexts the pool keeps.
    keep: usize,
    /// The bound on contexts held between messages, process-wide.
    busy: usize,
}

impl std::fmt::Debug for PerMessageDeflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PerMessageDeflate")
            .field("agreed", &self.agreed.to_offer().to_string())
            .field("outgoing", &self.outgoing)
            .field("incoming", &self.incoming)
            .finish_non_exhaustive()
    }
}

impl PerMessageDeflate {
    pub(crate) fn new(
        config: &DeflateConfig,
        agreed: Params,
        outgoing: Direction,
        incoming: Direction,
    ) -> Self {
        let keep = config.pooled_contexts;
        let history = config.takeover_context == TakeoverContext::History;
        let sent = (history && !outgoing.no_context_takeover && outgoing.window_bits >= 9)
            .then(|| SentHistory::new(outgoing.history_bits.clamp(9, outgoing.window_bits)));
        PerMessageDeflate {
            agreed,
            level: Compression::new(config.level.min(9)),
            min_compress_size: config.min_compress_size,
            outgoing,
            incoming,
            compressor: None,
            sent,
            borrowed: None,
            inflater: Inflater::new(
                incoming.window_bits,
                !incoming.no_context_takeover,
                history,
                keep,
                config.busy_contexts,
            ),
            keep,
            busy: config.busy_contexts,
        }
    }

    /// True if outgoing messages can be compressed: zlib cannot honour a
    /// window of 8 bits, so then every message goes uncompressed.
    pub fn compresses(&self) -> bool {
        self.outgoing.window_bits >= 9
    }

    /// Messages sent as they are, decided before compressing: skipping a
    /// message after compressing it with context takeover would leave our
    /// window ahead of the peer's. An empty message is smallest as it is;
    /// zlib would also refuse a second sync flush in a row with no input in
    /// between.
    fn skips(&self, payload: &[u8]) -> bool {
        !self.compresses() || payload.is_empty() || payload.len() < self.min_compress_size
    }

    /// Compresses one message without context takeover, with a compressor
    /// borrowed from the shared pool (§7.2.3.2: each message starts afresh).
    fn encode_pooled(
        &self,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<Rsv>, ExtensionError> {
        let (level, bits) = (self.level, self.outgoing.window_bits);
        let mut c = POOL.compressor(level, bits);
        let result = compress(&mut c, payload, out);
        c.reset();
        POOL.return_compressor(level, bits, c, self.keep);
        result?;
        // Nothing of this message stays in a window, so sending it as it
        // is cannot put the peer out of step.
        if out.len() >= payload.len() {
            return Ok(None);
        }
        Ok(Some(Rsv::RSV1))
    }

    /// Compresses a message for this connection alone; `message` is the
    /// broadcast it is, if it is one (recorded in a history).
    fn encode_as(
        &mut self,
        payload: &[u8],
        out: &mut Vec<u8>,
        message: Option<MessageId>,
    ) -> Result<Option<Rsv>, ExtensionError> {
        if self.skips(payload) {
            return Ok(None);
        }
        if self.outgoing.no_context_takeover {
            return self.encode_pooled(payload, out);
        }
        let (level, bits) = (self.level, self.outgoing.window_bits);
        if self.sent.is_some() {
            return self.encode_history(payload, out, message);
        }
        let c = self
            .compressor
            .get_or_insert_with(|| Compress::new_with_window_bits(level, false, bits));
        compress(c, payload, out)?;
        Ok(Some(Rsv::RSV1))
    }

    fn internal(e: impl std::error::Error + Send + Sync + 'static) -> ExtensionError {
        ExtensionError::Internal {
            extension: NAME.to_owned(),
            source: Box::new(e),
        }
    }
}

/// Compresses a whole message with a sync flush and removes the flush's
/// `0x00 0x00 0xff 0xff` (§7.2.1).
fn compress(c: &mut Compress, payload: &[u8], out: &mut Vec<u8>) -> Result<(), ExtensionError> {
    count_compression();
    out.reserve(payload.len() / 2 + 64);
    let start_in = c.total_in();
    loop {
        let done = (c.total_in() - start_in) as usize;
        c.compress_vec(&payload[done..], out, FlushCompress::Sync)
            .map_err(PerMessageDeflate::internal)?;
        let done = (c.total_in() - start_in) as usize;
        if done == payload.len() && out.len() < out.capacity() {
            break;
        }
        out.reserve(out.capacity().max(64));
    }
    if out.ends_with(&TAIL) {
        out.truncate(out.len() - TAIL.len());
        Ok(())
    } else {
        Err(PerMessageDeflate::internal(std::io::Error::other(
            "deflate output does not end with a sync flush",
        )))
    }
}

impl Extension for PerMessageDeflate {
    fn name(&self) -> &str {
        NAME
    }

    fn reserved_bits(&self) -> Rsv {
        Rsv::RSV1
    }

    fn encode(
        &mut self,
        _kind: MessageKind,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<Rsv>, ExtensionError> {
        self.encode_as(payload, out, None)
    }

    /// Without context takeover each message is compressed on its own, the
    /// same way on every connection with the same level, window and
    /// threshold: a broadcast compresses it once for all of them. With
    /// context takeover kept as a history ([`TakeoverContext::History`]),
    /// the same holds for the connections whose histories are equal (the
    /// [`shared_state`](Extension::shared_state)). A window of 8 bits
    /// sends every message as it is. A connection that owns its zlib
    /// state ([`TakeoverContext::Owned`]) compresses for itself.
    ///
    /// [`TakeoverContext::History`]: crate::TakeoverContext::History
    /// [`TakeoverContext::Owned`]: crate::TakeoverContext::Owned
    fn shared_encoding(&self) -> Option<String> {
        let history = self.sent.is_some();
        (self.outgoing.no_context_takeover || history || !self.compresses()).then(|| {
            format!(
                "{NAME}; level={}; window_bits={}; min_compress_size={}{}",
                self.level.level(),
                if self.compresses() {
                    self.outgoing.window_bits
                } else {
                    0
                },
                self.min_compress_size,
                if history {
                    format!("; takeover; history_bits={}", self.outgoing.history_bits)
                } else {
                    String::new()
                }
            )
        })
    }

    fn encode_shared(
        &self,
        _kind: MessageKind,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<Rsv>, ExtensionError> {
        if self.skips(payload) && self.sent.is_none() {
            return Ok(None);
        }
        if !self.outgoing.no_context_takeover {
            return Err(Self::internal(std::io::Error::other(
                "a shared encoding with context takeover starts from a history",
            )));
        }
        self.encode_pooled(payload, out)
    }

    /// With context takeover kept as a history: the history, which the
    /// connections that received the same messages share.
    fn shared_state(&self) -> Option<SharedStateRef<'_>> {
        let sent = self.sent.as_ref()?;
        Some(SharedStateRef {
            state: &**sent.key(),
            sharing: sent.sharing(),
        })
    }

    fn encode_shared_from_state(
        &self,
        _kind: MessageKind,
        payload: &[u8],
        message: MessageId,
        out: &mut Vec<u8>,
    ) -> Result<StatefulEncoding, ExtensionError> {
        self.encode_shared_history(payload, message, out)
    }

    /// Moves to the history after a broadcast compressed for every
    /// connection with this one's. A compressor held since the last
    /// message goes back: its state does not hold the broadcast.
    fn adopt_shared_state(&mut self, next: &(dyn Any + Send + Sync), payload: &[u8]) {
        let (Some(next), Some(_)) = (next.downcast_ref::<Successor>(), &self.sent) else {
            debug_assert!(false, "a shared state that is not a history");
            return;
        };
        self.release_compressor();
        if let Some(sent) = &mut self.sent {
            sent.adopt(next, payload);
        }
    }

    fn encode_prepared(
        &mut self,
        _kind: MessageKind,
        payload: &[u8],
        message: MessageId,
        out: &mut Vec<u8>,
    ) -> Result<Option<Rsv>, ExtensionError> {
        self.encode_as(payload, out, Some(message))
    }

    fn decodes(&self, rsv: Rsv) -> bool {
        rsv.contains(Rsv::RSV1)
    }

    fn decode(
        &mut self,
        input: &[u8],
        fin: bool,
        out: &mut DecodeOutput<'_>,
    ) -> Result<(), ExtensionError> {
        self.inflater.decode(input, fin, out)
    }

    /// In history mode, gives back the zlib contexts held since the last
    /// messages (reset, to the shared pool): the next message primes a
    /// borrowed one from the histories again.
    fn release_idle_state(&mut self) {
        self.release_compressor();
        self.inflater.release_held();
        if let Some(sent) = &mut self.sent {
            sent.compact();
        }
    }

    fn holds_idle_state(&self) -> bool {
        self.borrowed.is_some() || self.inflater.holds()
    }
}

impl Drop for PerMessageDeflate {
    fn drop(&mut self) {
        // Keeps the count of held contexts right (the inflater gives back
        // its own).
        self.release_compressor();
    }
}
