//! The write buffer: encoded frames waiting for the stream.
//!
//! Its memory stays within what the configured limit allows: growth doubles
//! but never past the limit (unless one frame alone needs more), the prefix
//! the stream already took is dropped once it passes half of the buffer (so
//! a peer that reads slowly does not pin sent bytes in memory), and after a
//! burst the buffer shrinks back: once it has drained twice in a row having
//! held under a quarter of its capacity (a stream of large messages keeps its
//! memory instead of reallocating it for every message).
//!
//! A large payload the application handed over by value is not copied: it
//! waits in the queue as its own piece ([`push_owned`](WriteBuffer::push_owned)),
//! after the frame header written into the buffer, and goes out with the
//! bytes around it in one vectored write.

use bytes::Bytes;
use std::collections::VecDeque;
use std::io::IoSlice;

#[derive(Debug, Default)]
pub(crate) struct WriteBuffer {
    data: Vec<u8>,
    /// Bytes of `data` already handed to the stream.
    pos: usize,
    /// Payloads queued by value, in order, each after the first `at` bytes
    /// of `data` (`pos <= at` for each).
    owned: VecDeque<Owned>,
    /// Unwritten bytes in `owned`.
    owned_len: usize,
    /// The last drain found the buffer mostly unused.
    drained_small: bool,
}

#[derive(Debug)]
struct Owned {
    at: usize,
    bytes: Bytes,
    /// Bytes of `bytes` already handed to the stream.
    pos: usize,
}

impl WriteBuffer {
    /// The bytes to write next (the first contiguous piece).
    pub(crate) fn pending(&self) -> &[u8] {
        match self.owned.front() {
            Some(o) if o.at == self.pos => &o.bytes[o.pos..],
            Some(o) => &self.data[self.pos..o.at],
            None => &self.data[self.pos..],
        }
    }

    /// Fills `out` with the pieces to write next, in order; returns how many.
    pub(crate) fn pending_vectored<'a>(&'a self, out: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        let mut pos = self.pos;
        let mut owned = self.owned.iter();
        let mut next = owned.next();
        while n < out.len() {
            let piece: &[u8] = match next {
                Some(o) if o.at == pos => {
                    let piece = &o.bytes[o.pos..];
                    next = owned.next();
                    piece
                }
                Some(o) => {
                    let piece = &self.data[pos..o.at];
                    pos = o.at;
                    piece
                }
                None if pos < self.data.len() => {
                    let piece = &self.data[pos..];
                    pos = self.data.len();
                    piece
                }
                None => break,
            };
            if !piece.is_empty() {
                out[n] = IoSlice::new(piece);
                n += 1;
            }
        }
        n
    }

    /// Bytes queued and not yet written.
    pub(crate) fn len(&self) -> usize {
        self.data.len() - self.pos + self.owned_len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos == self.data.len() && self.owned.is_empty()
    }

    /// With nothing queued, frees storage of at most `small` bytes (a
    /// quiet connection holds no write buffer; a larger one is kept for the
    /// next burst, under [`advance`](Self::advance)'s policy).
    pub(crate) fn release_if_empty(&mut self, small: usize) {
        if !self.is_empty() {
            return;
        }
        if self.data.capacity() <= small {
            self.data = Vec::new();
            self.pos = 0;
            self.drained_small = false;
        }
        if self.owned.capacity() > 0 {
            self.owned = VecDeque::new();
        }
    }

    /// Drops everything queued (nothing of it may have been written).
    pub(crate) fn clear(&mut self) {
        self.data.clear();
        self.pos = 0;
        self.owned.clear();
        self.owned_len = 0;
    }

    /// Queues `bytes` as they are, after what is in the buffer now.
    pub(crate) fn push_owned(&mut self, bytes: Bytes) {
        if bytes.is_empty() {
            return;
        }
        self.owned_len += bytes.len();
        self.owned.push_back(Owned {
            at: self.data.len(),
            bytes,
            pos: 0,
        });
    }

    /// Drops the first `n` bytes of `data` (all written), keeping the
    /// owned pieces where they were.
    fn compact(&mut self) {
        let n = self.pos;
        self.data.drain(..n);
        self.pos = 0;
        for o in &mut self.owned {
            o.at -= n;
        }
    }

    /// Memory held, in bytes.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.data.capacity()
    }

    /// Marks `n` pending bytes as written. Once all are, the buffer shrinks
    /// to `keep` if a burst grew it past four times that and the burst is
    /// over (two drains in a row with under a quarter of it used).
    pub(crate) fn advance(&mut self, mut n: usize, keep: usize) {
        while n > 0 {
            let took = match self.owned.front_mut() {
                Some(o) if o.at == self.pos => {
                    let took = n.min(o.bytes.len() - o.pos);
                    o.pos += took;
                    self.owned_len -= took;
                    if o.pos == o.bytes.len() {
                        self.owned.pop_front();
                    }
                    took
                }
                Some(o) => {
                    let took = n.min(o.at - self.pos);
                    self.pos += took;
                    took
                }
                None => {
                    let took = n.min(self.data.len() - self.pos);
                    self.pos += took;
                    took
                }
            };
            if took == 0 {
                break;
            }
            n -= took;
        }
        if self.is_empty() {
            let small = self.data.len() < self.data.capacity() / 4;
            self.data.clear();
            self.pos = 0;
            let was_small = std::mem::replace(&mut self.drained_small, small);
            if small && was_small && self.data.capacity() > 4 * keep.max(1 << 16) {
                self.data.shrink_to(keep);
            }
        } else if self.pos > self.data.len() / 2 {
            // Moves less than what is dropped: amortized O(1) per byte.
            self.compact();
        }
    }

    /// The buffer to append `extra` more bytes to, with room reserved:
    /// doubling, capped at `limit` (or exactly what is needed, if more).
    pub(crate) fn reserve(&mut self, extra: usize, limit: usize) -> &mut Vec<u8> {
        if self.data.capacity() - self.data.len() < extra {
            if self.pos > 0 {
                self.compact();
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

    /// Writes everything through `pending_vectored` in steps of `step`
    /// bytes (cutting pieces anywhere), returning what came out.
    fn drain_vectored(buf: &mut WriteBuffer, step: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while !buf.is_empty() {
            let mut slices = [std::io::IoSlice::new(&[]); 3];
            let n = buf.pending_vectored(&mut slices);
            assert!(n > 0);
            let mut left = step;
            for s in &slices[..n] {
                let take = s.len().min(left);
                out.extend_from_slice(&s[..take]);
                left -= take;
            }
            let wrote = step - left;
            let before = buf.len();
            buf.advance(wrote, 16);
            assert_eq!(buf.len(), before - wrote);
        }
        out
    }

    #[test]
    fn owned_pieces_go_out_in_order_however_writes_cut_them() {
        for step in [1, 2, 3, 5, 7, 64, 1000] {
            let mut buf = WriteBuffer::default();
            let mut expect = Vec::new();
            for i in 0..20u8 {
                let inline = vec![i; (i as usize * 7) % 5];
                buf.reserve(inline.len(), 1 << 20)
                    .extend_from_slice(&inline);
                expect.extend_from_slice(&inline);
                let owned = vec![100 + i; (i as usize * 13) % 11];
                expect.extend_from_slice(&owned);
                buf.push_owned(owned.into());
                // Pushing while part is written moves the inline bytes.
                if i % 4 == 3 {
                    let got = drain_vectored(&mut buf, step);
                    assert_eq!(got, expect, "step {step}");
                    expect.clear();
                }
            }
            assert_eq!(drain_vectored(&mut buf, step), expect, "step {step}");
        }
    }

    #[test]
    fn compaction_keeps_owned_pieces_in_place() {
        let mut buf = WriteBuffer::default();
        buf.reserve(10, 1 << 20).extend_from_slice(&[1; 10]);
        buf.push_owned(vec![2; 5].into());
        buf.reserve(4, 1 << 20).extend_from_slice(&[3; 4]);
        buf.advance(8, 16);
        // Room for more than what is left forces a compaction of `data`.
        buf.reserve(1000, 1 << 20).extend_from_slice(&[4; 1000]);
        let mut expect = vec![1; 2];
        expect.extend_from_slice(&[2; 5]);
        expect.extend_from_slice(&[3; 4]);
        expect.extend_from_slice(&[4; 1000]);
        assert_eq!(buf.len(), expect.len());
        assert_eq!(drain_vectored(&mut buf, 3), expect);
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
