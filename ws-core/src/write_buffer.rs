//! The write buffer: encoded frames waiting for the stream.
//!
//! Its memory stays within what the configured limit allows: growth doubles
//! but never past the limit (unless one frame alone needs more), the prefix
//! the stream already took is dropped once it passes half of the buffer (so
//! a peer that reads slowly does not pin sent bytes in memory), and after a
//! burst the buffer shrinks back: once it has drained twice in a row having
//! held under a quarter of its capacity (a stream of large messages keeps its
//! memory instead of reallocating it for every message).

#[derive(Debug, Default)]
pub(crate) struct WriteBuffer {
    data: Vec<u8>,
    /// Bytes of `data` already handed to the stream.
    pos: usize,
    /// The last drain found the buffer mostly unused.
    drained_small: bool,
}

impl WriteBuffer {
    /// The bytes to write next.
    pub(crate) fn pending(&self) -> &[u8] {
        &self.data[self.pos..]
    }

    /// Bytes queued and not yet written.
    pub(crate) fn len(&self) -> usize {
        self.data.len() - self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos == self.data.len()
    }

    /// Drops everything queued (nothing of it may have been written).
    pub(crate) fn clear(&mut self) {
        self.data.clear();
        self.pos = 0;
    }

    /// Memory held, in bytes.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.data.capacity()
    }

    /// Marks `n` pending bytes as written. Once all are, the buffer shrinks
    /// to `keep` if a burst grew it past four times that and the burst is
    /// over (two drains in a row with under a quarter of it used).
    pub(crate) fn advance(&mut self, n: usize, keep: usize) {
        self.pos = (self.pos + n).min(self.data.len());
        if self.pos == self.data.len() {
            let small = self.data.len() < self.data.capacity() / 4;
            self.data.clear();
            self.pos = 0;
            let was_small = std::mem::replace(&mut self.drained_small, small);
            if small && was_small && self.data.capacity() > 4 * keep.max(1 << 16) {
                self.data.shrink_to(keep);
            }
        } else if self.pos > self.data.len() / 2 {
            // Moves less than what is dropped: amortized O(1) per byte.
            self.data.drain(..self.pos);
            self.pos = 0;
        }
    }

    /// The buffer to append `extra` more bytes to, with room reserved:
    /// doubling, capped at `limit` (or exactly what is needed, if more).
    pub(crate) fn reserve(&mut self, extra: usize, limit: usize) -> &mut Vec<u8> {
        if self.data.capacity() - self.data.len() < extra {
            if self.pos > 0 {
                self.data.drain(..self.pos);
                self.pos = 0;
            }
            let needed = self.data.len().saturating_add(extra);
            if self.data.capacity() < needed {
                let target = needed.max((self.data.capacity() * 2).min(limit));
                self.data.reserve_exact(target - self.data.len());
            }
        }
        &mut self.data
    }
}

#[cfg(test)]
mod tests {
    use super::WriteBuffer;

    #[test]
    fn growth_stops_at_the_limit() {
        let mut buf = WriteBuffer::default();
        for _ in 0..1000 {
            buf.reserve(1000, 100_000).extend_from_slice(&[1; 1000]);
        }
        assert_eq!(buf.len(), 1_000_000);
        // Past the limit, one frame at a time: no doubling.
        assert!(buf.capacity() < 1_000_000 + 100_000, "{}", buf.capacity());
    }

    #[test]
    fn the_sent_prefix_is_dropped_past_half() {
        let mut buf = WriteBuffer::default();
        buf.reserve(100, 1 << 20).extend((0..100).map(|i| i as u8));
        buf.advance(40, 1 << 16);
        assert_eq!(buf.pending()[0], 40);
        assert_eq!(buf.pos, 40, "under half: kept");
        buf.advance(20, 1 << 16);
        assert_eq!(buf.pos, 0, "past half: compacted");
        assert_eq!(
            buf.pending(),
            &(60..100).map(|i| i as u8).collect::<Vec<_>>()[..]
        );
        buf.advance(40, 1 << 16);
        assert!(buf.is_empty());
    }

    #[test]
    fn a_drained_burst_shrinks_back_once_it_is_over() {
        let mut buf = WriteBuffer::default();
        // A stream of 1 MiB messages keeps its memory from one to the next.
        for _ in 0..3 {
            buf.reserve(1 << 20, 1 << 30)
                .extend_from_slice(&vec![0; 1 << 20]);
            buf.advance(1 << 20, 1 << 10);
            assert!(buf.capacity() >= 1 << 20);
        }
        // Then small messages: the second small drain gives it back.
        buf.reserve(10, 1 << 30).extend_from_slice(&[1; 10]);
        buf.advance(10, 1 << 10);
        assert!(buf.capacity() >= 1 << 20);
        buf.reserve(10, 1 << 30).extend_from_slice(&[1; 10]);
        buf.advance(10, 1 << 10);
        assert!(buf.capacity() <= 1 << 16, "{}", buf.capacity());
    }
}
