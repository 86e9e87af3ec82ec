//! The per-connection compressor and decompressor (RFC 7692 §7.2).

use crate::config::DeflateConfig;
use crate::inflate::{Inflater, TAIL};
use crate::params::{Params, NAME};
use flate2::{Compress, Compression, FlushCompress};
use ws_extensions::{Extension, ExtensionError, MessageKind, Rsv};

/// The agreement for one direction of the connection.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Direction {
    pub no_context_takeover: bool,
    pub window_bits: u8,
}

/// permessage-deflate on one connection: compresses what we send, inflates
/// what the peer compressed (messages whose first frame has RSV1).
///
/// zlib state is allocated on the first message that needs it, and reset,
/// not reallocated, after each message when there is no context takeover.
/// Incoming messages may end their DEFLATE data with a final block (BFINAL,
/// §7.2.3.4); with context takeover the decoder then keeps a copy of its
/// window (up to `1 << window_bits` bytes) to continue from.
pub struct PerMessageDeflate {
    agreed: Params,
    level: Compression,
    min_compress_size: usize,
    outgoing: Direction,
    incoming: Direction,
    compressor: Option<Compress>,
    inflater: Inflater,
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
        PerMessageDeflate {
            agreed,
            level: Compression::new(config.level.min(9)),
            min_compress_size: config.min_compress_size,
            outgoing,
            incoming,
            compressor: None,
            inflater: Inflater::new(incoming.window_bits, !incoming.no_context_takeover),
        }
    }

    /// True if outgoing messages can be compressed: zlib cannot honour a
    /// window of 8 bits, so then every message goes uncompressed.
    pub fn compresses(&self) -> bool {
        self.outgoing.window_bits >= 9
    }

    fn internal(e: impl std::error::Error + Send + Sync + 'static) -> ExtensionError {
        ExtensionError::Internal {
            extension: NAME.to_owned(),
            source: Box::new(e),
        }
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
        // Decided before compressing: skipping a message after compressing it
        // with context takeover would leave our window ahead of the peer's.
        // An empty message is smallest as it is; zlib would also refuse a
        // second sync flush in a row with no input in between.
        if !self.compresses() || payload.is_empty() || payload.len() < self.min_compress_size {
            return Ok(None);
        }
        let (level, bits) = (self.level, self.outgoing.window_bits);
        let c = self
            .compressor
            .get_or_insert_with(|| Compress::new_with_window_bits(level, false, bits));
        out.reserve(payload.len() / 2 + 64);
        let start_in = c.total_in();
        loop {
            let done = (c.total_in() - start_in) as usize;
            c.compress_vec(&payload[done..], out, FlushCompress::Sync)
                .map_err(Self::internal)?;
            let done = (c.total_in() - start_in) as usize;
            if done == payload.len() && out.len() < out.capacity() {
                break;
            }
            out.reserve(out.capacity().max(64));
        }
        // §7.2.1: remove the 0x00 0x00 0xff 0xff that ends the sync flush.
        if out.ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        } else {
            return Err(Self::internal(std::io::Error::other(
                "deflate output does not end with a sync flush",
            )));
        }
        if self.outgoing.no_context_takeover {
            c.reset();
            // Without context takeover nothing of this message stays in the
            // window, so sending it as it is cannot put the peer out of step.
            if out.len() >= payload.len() {
                return Ok(None);
            }
        }
        Ok(Some(Rsv::RSV1))
    }

    fn decodes(&self, rsv: Rsv) -> bool {
        rsv.contains(Rsv::RSV1)
    }

    fn decode(
        &mut self,
        input: &[u8],
        fin: bool,
        out: &mut Vec<u8>,
        max_len: usize,
    ) -> Result<(), ExtensionError> {
        self.inflater.decode(input, fin, out, max_len)
    }
}
