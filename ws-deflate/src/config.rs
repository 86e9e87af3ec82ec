//! What a user configures; how it is negotiated is in `negotiation.rs`.

use crate::pool::POOL;
use sockwell_extensions::ExtensionFactory;
use std::sync::Arc;

/// What a connection with context takeover (RFC 7692 §7.2.3.1) keeps
/// between messages, in each direction that has it. A peer cannot tell the
/// two apart: both send what a kept inflater reads and accept the same;
/// they differ in memory per connection and CPU per message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TakeoverContext {
    /// The connection owns a zlib state per direction, made on its first
    /// message and kept: about 250–370 KiB for a compressor at any window
    /// (zlib-rs's hash table alone is a fixed 128 KiB) and a few KiB plus
    /// the window for a decompressor. Nothing is redone per message: the
    /// cheapest CPU for a few busy connections, for which memory does not
    /// count.
    Owned,
    /// The default. The connection keeps only the last 2^w bytes of each
    /// direction's compressed messages (its history: 8 KiB sent and 2 KiB
    /// received at the default windows, one allocation each, made on the
    /// first message) and borrows a zlib state from the process's shared
    /// pool when it needs one (see [`DeflateConfig::pooled_contexts`]). A
    /// borrowed state is primed from the history: sending, a `deflateReset`
    /// (which clears the 128 KiB hash table) and a `deflateSetDictionary`
    /// that hashes the history; receiving, an `inflateReset` and the
    /// history copied into the decoder's window. A busy connection then
    /// holds what it borrowed between messages, as it stands, so that its
    /// next messages need no priming (it continues like an owned state),
    /// and gives it back, reset, once it has been quiet for
    /// `WebSocketConfig::release_idle_state_after` (1 s by default; the
    /// engine's timers see to it) or when the sync driver's read finds
    /// the stream idle twice in a row. At most
    /// [`DeflateConfig::pooled_contexts`] states of each kind are held that
    /// way in the process; a connection that finds them all held gives its
    /// own back after each message. The memory of many idle connections
    /// with takeover is then their histories, not their zlib states.
    ///
    /// Measured at window 12, level 6, on small JSON messages (70–320
    /// bytes): an idle server connection after traffic both ways holds
    /// 9,648 bytes against 314,213 with owned states (`cargo test -p
    /// sockwell-deflate --test history_memory -- --nocapture`); the same ratio as
    /// owned states. CPU per message compressed and inflated
    /// (`deflate/small_json` in benches/benches/deflate.rs, one run on a
    /// loaded machine): on a busy connection, which holds its contexts,
    /// 7.4 µs against 6.9 µs owned; a message that has to prime (every
    /// message of 100 connections taken in turn, each going idle in
    /// between) 13.4 µs against 5.7 µs owned, most of the difference being
    /// the hash table's reset and the dictionary's hashing.
    #[default]
    History,
}

/// permessage-deflate settings, for either role. Turn compression on by
/// giving one to the client or server config; it is off by default.
///
/// The same four parameters mean a request as a client and a demand or a cap
/// as a server:
///
/// | field | client offers | server answers |
/// | --- | --- | --- |
/// | `server_no_context_takeover` | asks the server to reset its context per message | resets its own context per message (always when asked) |
/// | `client_no_context_takeover` | promises to reset its own context (a hint, §7.1.1.2) | tells the client to reset its context |
/// | `server_max_window_bits` | asks the server for a window of at most 2^N | caps its own window (the answer echoes min(offer, cap), §7.1.2.1) |
/// | `client_max_window_bits` | offers its own window of at most 2^N (the parameter is always offered, so a server may lower it) | caps the client's window, when the client allows it |
///
/// # The defaults: context takeover in small windows
///
/// By default both sides keep their context between messages (context
/// takeover): each message may refer back to the ones before it, which is
/// what makes small, similar messages (JSON events, chat lines) compress.
/// What a connection keeps for it is the last 2^w bytes of each direction
/// ([`TakeoverContext::History`]), not a zlib state: zlib states are
/// borrowed from a pool shared by the process's connections
/// ([`pooled_contexts`](Self::pooled_contexts)) and held only while the
/// connection is busy. The windows bound that memory:
///
/// - A **server** keeps the last 2^13 bytes it sent between messages and
///   compresses a message that fits in them in a window of that size, a
///   larger one in the window the client allows (2^15 unless it asks for
///   less, or `server_max_window_bits` caps it): a small window makes
///   zlib-rs slide its 128 KiB hash table every 2^w bytes of input, a
///   large one lengthens the match search among small messages. It
///   announces no window of its own. When the
///   client offers `client_max_window_bits` (every
///   browser, Python `websockets` and Node `ws` do), the server caps the
///   client's window at 2^11 (2 KiB kept); when it does not, the client
///   could use 2^15, so the server answers `client_no_context_takeover`
///   instead (unless `client_no_context_takeover(false)` says to let it
///   keep its context anyway). An idle server connection thus keeps at
///   most 10 KiB of compression state.
/// - A **client** offers `client_max_window_bits` (without a value, so the
///   server may cap it) and asks for nothing else; it compresses in the
///   agreed window, keeping the last 2^13 bytes of it at most, and inflates
///   with the server's (keeping all of that window).
///
/// Measured on small JSON messages, server to client (see the README's
/// compression section for the commands and the comparison with Python
/// `websockets`): the default compresses about 4.1:1 where no context
/// takeover gets about 1.3:1.
///
/// Without context takeover in either direction
/// (`server_no_context_takeover(true).client_no_context_takeover(true)`),
/// a connection keeps nothing between messages, and a broadcast
/// (`sockwell_core::PreparedMessage`) is compressed once for every such
/// connection; pick it for large messages that compress well on their own,
/// or when memory counts more than bandwidth. [`context_takeover`](Self::context_takeover)
/// lets the client keep its context in every case; with
/// [`TakeoverContext::Owned`] a connection owns its zlib states (about
/// 250–370 KiB each way, the least CPU per message).
///
/// Window bits are 8..=15 (values outside are clamped). zlib, and so this
/// crate, cannot *compress* with a window of 8 (it silently uses 9, which a
/// peer limited to 8 could not decode). When the negotiated window for our
/// direction is 8, the extension honours it by sending every message
/// uncompressed — a per-message choice RFC 7692 §6 allows — while still
/// inflating what the peer compresses. It never asks for 8 unless configured to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeflateConfig {
    /// zlib level, 0 (store) to 9 (smallest). Default 6.
    pub level: u32,
    /// Messages shorter than this go uncompressed (compressing a few bytes
    /// costs more than it saves). Decided before compressing, so both
    /// windows stay in step. Default 32.
    pub min_compress_size: usize,
    /// See the table above. `None` (the default): a client does not ask,
    /// a server keeps its context unless the client asks otherwise.
    pub server_no_context_takeover: Option<bool>,
    /// See the table above. `None` (the default): a client keeps its
    /// context unless told otherwise; a server lets the client keep its
    /// context when it can cap the client's window (the client offered
    /// `client_max_window_bits`) and tells it to reset otherwise.
    pub client_no_context_takeover: Option<bool>,
    /// See the table above. Default `None`: a client does not ask; a server
    /// takes the window the client allows (and keeps the last 2^13 bytes of
    /// it between messages). A value also bounds that history.
    pub server_max_window_bits: Option<u8>,
    /// See the table above. Default `None`: a client offers the parameter
    /// without a value (and keeps the last 2^13 bytes it sent between
    /// messages); a server caps the window of a client that keeps its
    /// context at 11 bits (and leaves it at 15 otherwise).
    pub client_max_window_bits: Option<u8>,
    /// How many idle zlib contexts of each kind (and level and window
    /// size) the shared pool keeps for connections without context
    /// takeover (or with [`TakeoverContext::History`]), when one of this
    /// config's connections gives one back;
    /// more are made while more messages are in progress at once, and
    /// freed when they are done. Default 8.
    pub pooled_contexts: usize,
    /// With [`TakeoverContext::History`]: how many borrowed contexts of
    /// each kind busy connections may hold between messages, process-wide
    /// (see there). A connection that finds them all held primes a borrowed
    /// context for each message instead (a `deflateReset` of the 128 KiB
    /// hash table and the history's hashing, some microseconds). So this
    /// bounds the zlib memory of busy connections, about 300 KiB per
    /// compressor and decompressor pair at the default windows: 128 pairs,
    /// the default, make up to about 38 MiB while that many connections
    /// were active within the last `release_idle_state_after`. The
    /// allocator may keep that memory for the next burst once it is given
    /// back, so a process's resident size can show it. Chosen so that 100
    /// connections echoing small JSON keep theirs: with 64, a third of
    /// them primed for every message and cost 1.36x the CPU of owned
    /// states (1.19x with 128). 0 makes every message borrow and prime
    /// afresh.
    pub busy_contexts: usize,
    /// With context takeover, whether a connection owns its zlib states or
    /// keeps only its histories and borrows pooled states per message
    /// ([`TakeoverContext`]). The peer cannot tell them apart, so this is
    /// not negotiated. Default [`TakeoverContext::History`].
    pub takeover_context: TakeoverContext,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        DeflateConfig {
            level: 6,
            min_compress_size: 32,
            server_no_context_takeover: None,
            client_no_context_takeover: None,
            server_max_window_bits: None,
            client_max_window_bits: None,
            pooled_contexts: 8,
            busy_contexts: 128,
            takeover_context: TakeoverContext::History,
        }
    }
}

impl DeflateConfig {
    /// Sets the zlib level (0..=9).
    pub fn level(mut self, level: u32) -> Self {
        self.level = level.min(9);
        self
    }

    /// Sets the size below which messages go uncompressed.
    pub fn min_compress_size(mut self, bytes: usize) -> Self {
        self.min_compress_size = bytes;
        self
    }

    /// Sets `server_no_context_takeover`: as a client, `true` asks for
    /// it; as a server, `false` keeps our context between messages (unless
    /// the client asks otherwise), `true` resets it.
    pub fn server_no_context_takeover(mut self, on: bool) -> Self {
        self.server_no_context_takeover = Some(on);
        self
    }

    /// Sets `client_no_context_takeover`: as a client, `true` resets our
    /// context per message; as a server, `false` lets the client keep
    /// its context (and ours inflates with a window of its own), `true`
    /// tells it to reset.
    pub fn client_no_context_takeover(mut self, on: bool) -> Self {
        self.client_no_context_takeover = Some(on);
        self
    }

    /// Keeps both contexts between messages in both roles: a server answers
    /// neither `*_no_context_takeover`, even to a client whose window it
    /// cannot cap (which then keeps up to 2^15 bytes of history, or a zlib
    /// state with [`TakeoverContext::Owned`]).
    pub fn context_takeover(self) -> Self {
        self.server_no_context_takeover(false)
            .client_no_context_takeover(false)
    }

    /// Sets how many idle contexts the shared pool keeps
    /// ([`pooled_contexts`](Self::pooled_contexts)).
    pub fn pooled_contexts(mut self, contexts: usize) -> Self {
        self.pooled_contexts = contexts;
        self
    }

    /// Sets how many borrowed contexts busy connections may hold between
    /// messages ([`busy_contexts`](Self::busy_contexts)).
    pub fn busy_contexts(mut self, contexts: usize) -> Self {
        self.busy_contexts = contexts;
        self
    }

    /// Sets what a connection with context takeover keeps between messages
    /// ([`takeover_context`](Self::takeover_context)).
    pub fn takeover_context(mut self, context: TakeoverContext) -> Self {
        self.takeover_context = context;
        self
    }

    /// Idle zlib contexts in the process's shared pool: (compressors,
    /// decompressors). For monitoring.
    pub fn pooled() -> (usize, usize) {
        POOL.idle()
    }

    /// Sets `server_max_window_bits` (clamped to 8..=15).
    pub fn server_max_window_bits(mut self, bits: u8) -> Self {
        self.server_max_window_bits = Some(bits.clamp(8, 15));
        self
    }

    /// Sets `client_max_window_bits` (clamped to 8..=15).
    pub fn client_max_window_bits(mut self, bits: u8) -> Self {
        self.client_max_window_bits = Some(bits.clamp(8, 15));
        self
    }

    /// This config as a factory for a client or server config's extension list.
    pub fn into_factory(self) -> Arc<dyn ExtensionFactory> {
        Arc::new(self)
    }
}
