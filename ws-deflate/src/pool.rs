//! zlib contexts shared by every connection of the process (RFC 7692
//! §7.2.3.2 makes them stateless between messages without context
//! takeover).
//!
//! A compressor of zlib-rs costs about 320 KiB whatever its window (its hash
//! table is a fixed 128 KiB), a decompressor a few KiB plus its window. A
//! connection without context takeover needs one only while it compresses
//! or inflates a message; between messages the context goes back here,
//! reset, for the next connection that needs one. The pool keeps at most
//! [`DeflateConfig::pooled_contexts`](crate::DeflateConfig::pooled_contexts)
//! idle contexts of each kind, level and window size; what is checked out
//! beyond that is freed on return. So a server's compression memory follows
//! the number of messages in progress at once, not the number of
//! connections. A connection with context takeover kept as histories
//! ([`TakeoverContext::History`](crate::TakeoverContext::History)) borrows
//! from the same shelves, one message at a time, and primes what it
//! borrows from its history. The pool is one per process (not per config) so that a
//! server that builds its config per connection still shares it.

use crate::raw_inflate::{InflateError, RawInflate};
use flate2::{Compress, Compression};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Window sizes zlib works with (9..=15 bits), for each level (0..=9).
const SLOTS: usize = 7 * 10;

/// Where contexts of a level and window size wait.
fn slot(level: u32, bits: u8) -> usize {
    level.min(9) as usize * 7 + usize::from(bits.clamp(9, 15) - 9)
}

/// Idle contexts, by level and window size.
struct Shelf<T> {
    slots: Mutex<[Vec<T>; SLOTS]>,
}

impl<T> Shelf<T> {
    const fn new() -> Self {
        Shelf {
            slots: Mutex::new([const { Vec::new() }; SLOTS]),
        }
    }

    fn lock(&self) -> MutexGuard<'_, [Vec<T>; SLOTS]> {
        // A panic while holding the lock leaves only whole contexts behind.
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn take(&self, slot: usize) -> Option<T> {
        self.lock()[slot].pop()
    }

    fn put(&self, slot: usize, context: T, keep: usize) {
        let mut slots = self.lock();
        let shelf = &mut slots[slot];
        if shelf.len() < keep {
            shelf.push(context);
        }
    }

    fn idle(&self) -> usize {
        self.lock().iter().map(Vec::len).sum()
    }
}

/// The process's shared contexts.
pub(crate) static POOL: ContextPool = ContextPool::new();

/// Idle compressors and decompressors.
pub(crate) struct ContextPool {
    compressors: Shelf<Compress>,
    inflaters: Shelf<RawInflate>,
    /// Borrowed compressors that busy connections hold between messages.
    held_compressors: Holds,
    /// Borrowed decompressors that busy connections hold between messages.
    held_inflaters: Holds,
}

/// How many borrowed contexts of one kind busy connections hold between
/// messages (history mode), so that their number stays bounded: a
/// connection that finds the bound reached gives its context back after
/// the message, as if it were idle.
pub(crate) struct Holds(AtomicUsize);

impl Holds {
    const fn new() -> Self {
        Holds(AtomicUsize::new(0))
    }

    /// Counts one more held context if fewer than `bound` are held.
    pub(crate) fn try_hold(&self, bound: usize) -> bool {
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < bound).then_some(n + 1)
            })
            .is_ok()
    }

    /// One held context went back (or was dropped).
    pub(crate) fn release(&self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl ContextPool {
    const fn new() -> Self {
        ContextPool {
            compressors: Shelf::new(),
            inflaters: Shelf::new(),
            held_compressors: Holds::new(),
            held_inflaters: Holds::new(),
        }
    }

    /// The count of compressors held by busy connections.
    pub(crate) fn held_compressors(&self) -> &Holds {
        &self.held_compressors
    }

    /// The count of decompressors held by busy connections.
    pub(crate) fn held_inflaters(&self) -> &Holds {
        &self.held_inflaters
    }

    /// A reset compressor at `level` for windows of `1 << bits` bytes.
    pub(crate) fn compressor(&self, level: Compression, bits: u8) -> Compress {
        self.compressors
            .take(slot(level.level(), bits))
            .unwrap_or_else(|| Compress::new_with_window_bits(level, false, bits))
    }

    /// Takes back a compressor (reset by the caller) for later messages.
    pub(crate) fn return_compressor(
        &self,
        level: Compression,
        bits: u8,
        compressor: Compress,
        keep: usize,
    ) {
        self.compressors
            .put(slot(level.level(), bits), compressor, keep);
    }

    /// A reset decompressor for windows of up to `1 << bits` bytes.
    pub(crate) fn inflater(&self, bits: u8) -> Result<RawInflate, InflateError> {
        match self.inflaters.take(slot(0, bits)) {
            Some(inflater) => Ok(inflater),
            None => RawInflate::new(bits),
        }
    }

    /// Takes back a decompressor (reset by the caller).
    pub(crate) fn return_inflater(&self, bits: u8, inflater: RawInflate, keep: usize) {
        self.inflaters.put(slot(0, bits), inflater, keep);
    }

    /// Idle contexts held: (compressors, decompressors).
    pub(crate) fn idle(&self) -> (usize, usize) {
        (self.compressors.idle(), self.inflaters.idle())
    }
}

#[cfg(test)]
thread_local! {
    /// Contexts this thread borrowed for a message in history mode (each
    /// one primed, or started afresh with an empty history).
    pub(crate) static PRIMINGS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts a history-mode borrow, for the tests that check a busy
/// connection does not re-prime; nothing outside tests.
#[inline]
pub(crate) fn count_priming() {
    #[cfg(test)]
    PRIMINGS.with(|n| n.set(n.get() + 1));
}

#[cfg(test)]
thread_local! {
    /// Messages this thread compressed (each a whole message through one
    /// compressor, whatever came of it).
    pub(crate) static COMPRESSIONS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts a message compressed, for the tests that check a broadcast is
/// compressed once for the connections in step; nothing outside tests.
#[inline]
pub(crate) fn count_compression() {
    #[cfg(test)]
    COMPRESSIONS.with(|n| n.set(n.get() + 1));
}
