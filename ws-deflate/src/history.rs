//! Context takeover kept as bytes instead of a zlib state
//! ([`TakeoverContext::History`](crate::TakeoverContext::History)).
//!
//! With context takeover (RFC 7692 §7.2.3.1), all a message may refer back
//! to is the last 2^w bytes of the uncompressed payloads that went through
//! the same direction's compressor before it: the peer's inflater window. A
//! connection that keeps exactly those bytes can borrow any pooled zlib
//! context for one message and prime it with them (`deflateReset` +
//! `deflateSetDictionary`, `inflateReset` + `inflateSetDictionary`): the
//! DEFLATE bytes on the wire are those a kept state would have produced or
//! accepted. Only messages sent compressed (RSV1) enter the window; one
//! sent as it is does not (§6), and is not added here.

/// The last `capacity` bytes of a direction's compressed messages' payloads,
/// oldest first, in one allocation of exactly that size made on first use.
pub(crate) struct History {
    bytes: Vec<u8>,
    capacity: usize,
}

impl History {
    /// An empty history for a window of `1 << bits` bytes; nothing is
    /// allocated until the first message.
    pub(crate) fn new(bits: u8) -> Self {
        History {
            bytes: Vec::new(),
            capacity: 1 << bits,
        }
    }

    /// The bytes a message refers back to, oldest first.
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes
    }

    /// Appends a message's payload, dropping from the front what no longer
    /// fits in the window.
    pub(crate) fn push(&mut self, payload: &[u8]) {
        self.bytes.reserve_exact(self.capacity - self.bytes.len());
        if payload.len() >= self.capacity {
            self.bytes.clear();
            let start = payload.len() - self.capacity;
            self.bytes
                .extend_from_slice(payload.get(start..).unwrap_or_default());
            return;
        }
        let excess = (self.bytes.len() + payload.len()).saturating_sub(self.capacity);
        if excess > 0 {
            // A memmove of at most the window, cheap beside compressing.
            self.bytes.drain(..excess);
        }
        self.bytes.extend_from_slice(payload);
    }

    /// Heap held.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.bytes.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::History;

    #[test]
    fn keeps_the_last_window_of_bytes_in_one_allocation() {
        let mut history = History::new(9);
        let all: Vec<u8> = (0..2000u32).map(|i| (i % 251) as u8).collect();
        let mut sent = 0;
        for len in [1, 100, 300, 0, 511, 512, 513, 40] {
            history.push(&all[sent..sent + len]);
            sent += len;
            let start = sent.saturating_sub(512);
            assert_eq!(history.as_slice(), &all[start..sent], "after {sent} bytes");
            assert_eq!(history.held(), 512);
        }
    }
}
