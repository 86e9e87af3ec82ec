//! The read buffer: bytes from the stream that the engine has not consumed.
//!
//! The stream reads straight into the buffer's free tail (no intermediate
//! copy). Zeroed memory is reused across reads, so there is no memset per
//! read. The engine consumes data payloads as they arrive, so what stays in
//! here is at most a partial header or a control frame: the buffer grows to
//! [`MAX_READ_CHUNK`] while reads keep filling it, and shrinks back to 8 KiB
//! when the stream is found idle twice in a row (not once between two
//! bursts: regrowing, zeroed, for every burst costs more than the bursts).

use std::io::{self, Read};

/// Smallest allocation, and the least free space worth a read call.
const MIN_READ_CHUNK: usize = 8 << 10;
/// Largest size the buffer grows to.
pub(crate) const MAX_READ_CHUNK: usize = 64 << 10;

/// Bytes the frame decoder takes its input from: the read buffer, or a
/// caller's slice decoded in place ([`SliceInput`]).
pub(crate) trait Input {
    /// The unconsumed bytes.
    fn filled(&self) -> &[u8];
    /// The unconsumed bytes, to unmask in place.
    fn filled_mut(&mut self) -> &mut [u8];
    /// Marks the first `n` unconsumed bytes as consumed.
    fn consume(&mut self, n: usize);
}

/// A caller's bytes as decoder input: what the decoder does not consume
/// stays in `bytes[consumed..]`.
pub(crate) struct SliceInput<'a> {
    pub(crate) bytes: &'a mut [u8],
    pub(crate) consumed: usize,
}

impl Input for SliceInput<'_> {
    fn filled(&self) -> &[u8] {
        &self.bytes[self.consumed..]
    }

    fn filled_mut(&mut self) -> &mut [u8] {
        &mut self.bytes[self.consumed..]
    }

    fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.bytes.len() - self.consumed);
        self.consumed += n;
    }
}

impl Input for ReadBuffer {
    fn filled(&self) -> &[u8] {
        ReadBuffer::filled(self)
    }

    fn filled_mut(&mut self) -> &mut [u8] {
        ReadBuffer::filled_mut(self)
    }

    fn consume(&mut self, n: usize) {
        ReadBuffer::consume(self, n);
    }
}

#[derive(Debug, Default)]
pub(crate) struct ReadBuffer {
    /// Initialized storage; `head..tail` is the unconsumed data.
    data: Vec<u8>,
    head: usize,
    tail: usize,
    /// The last read filled all the free space: traffic is heavy, grow.
    last_read_full: bool,
    /// The stream was found idle, and no byte has come since.
    idle_once: bool,
    /// Bytes received over the connection's life (keepalive's sign of life).
    total: u64,
}

impl ReadBuffer {
    pub(crate) fn filled(&self) -> &[u8] {
        &self.data[self.head..self.tail]
    }

    pub(crate) fn filled_mut(&mut self) -> &mut [u8] {
        &mut self.data[self.head..self.tail]
    }

    pub(crate) fn total_received(&self) -> u64 {
        self.total
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.head == self.tail
    }

    pub(crate) fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.tail - self.head);
        self.head += n;
        if self.head == self.tail {
            self.head = 0;
            self.tail = 0;
        }
    }

    /// Appends bytes the caller read elsewhere (sans-IO input). A
    /// released buffer comes back at exactly their size (no zeroed chunk
    /// for a small message).
    pub(crate) fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.idle_once &= bytes.is_empty();
        if self.is_small() {
            // Nothing buffered and no chunk to read into: the bytes, in
            // storage of their size (reused if it is large enough).
            self.data.clear();
            self.data.extend_from_slice(bytes);
            self.head = 0;
            self.tail = bytes.len();
            self.total += bytes.len() as u64;
            return;
        }
        self.make_room(bytes.len());
        self.data[self.tail..self.tail + bytes.len()].copy_from_slice(bytes);
        self.tail += bytes.len();
        self.total += bytes.len() as u64;
    }

    /// One `read` call into the free tail. `Ok(0)` is end of stream.
    pub(crate) fn read_from<R: Read + ?Sized>(&mut self, reader: &mut R) -> io::Result<usize> {
        match reader.read(self.spare()) {
            Ok(n) => {
                self.commit(n);
                Ok(n)
            }
            Err(e) => {
                if e.kind() == io::ErrorKind::WouldBlock {
                    self.idle();
                }
                Err(e)
            }
        }
    }

    /// The free tail to read into (initialized memory), sized by the
    /// growth policy: larger while reads keep filling it.
    pub(crate) fn spare(&mut self) -> &mut [u8] {
        let want = if self.last_read_full {
            (self.data.len() * 2).clamp(MIN_READ_CHUNK, MAX_READ_CHUNK)
        } else {
            self.data.len().max(MIN_READ_CHUNK)
        };
        self.make_room(want.saturating_sub(self.tail - self.head).max(1));
        &mut self.data[self.tail..]
    }

    /// Marks `n` bytes of [`spare`](Self::spare) as read.
    pub(crate) fn commit(&mut self, n: usize) {
        let n = n.min(self.data.len() - self.tail);
        self.idle_once &= n == 0;
        self.last_read_full = self.tail + n == self.data.len();
        self.tail += n;
        self.total += n as u64;
    }

    /// Counts `n` bytes that a read put elsewhere (straight into a
    /// message): a sign of life, and the stream is not idle.
    pub(crate) fn note_received_elsewhere(&mut self, n: usize) {
        self.idle_once &= n == 0;
        self.total += n as u64;
    }

    /// The stream was found idle ([`idle`](Self::idle)) and no byte has
    /// come since.
    pub(crate) fn found_idle(&self) -> bool {
        self.idle_once
    }

    /// The stream has nothing for now. The second time in a row (the
    /// connection went quiet, not just between two bursts), give back what
    /// heavy traffic grew, keeping the base chunk (freeing it would cost an
    /// 8 KiB memset per wakeup).
    pub(crate) fn idle(&mut self) {
        if !std::mem::replace(&mut self.idle_once, true) {
            return;
        }
        if self.is_empty() && self.data.len() > MIN_READ_CHUNK {
            self.data = vec![0; MIN_READ_CHUNK];
            self.last_read_full = false;
        }
    }

    /// The stream has nothing for now, and the caller can read into
    /// scratch space of its own (an async driver's stack): with nothing
    /// buffered, storage of at most the base chunk is freed (a quiet
    /// connection holds none; the next bytes come back through
    /// [`extend_from_slice`](Self::extend_from_slice) at their size), and
    /// a larger one follows [`idle`](Self::idle)'s policy, so bursts of
    /// large messages keep their room between bursts.
    pub(crate) fn release_if_idle(&mut self) {
        if self.is_empty() && self.data.len() <= MIN_READ_CHUNK {
            self.data = Vec::new();
            self.head = 0;
            self.tail = 0;
            self.last_read_full = false;
        } else {
            self.idle();
        }
    }

    /// No storage (released by [`release_if_idle`](Self::release_if_idle)).
    #[cfg(test)]
    pub(crate) fn is_released(&self) -> bool {
        self.data.is_empty()
    }

    /// Nothing buffered, and no storage worth reading into: released, or
    /// only the exact size of what [`extend_from_slice`](Self::extend_from_slice)
    /// last brought. A reader with scratch space of its own reads there
    /// and hands the bytes over, instead of growing this storage (zeroed)
    /// to a whole chunk for a read that may find nothing.
    pub(crate) fn is_small(&self) -> bool {
        self.is_empty() && self.data.len() < MIN_READ_CHUNK
    }

    /// Ensures at least `extra` free bytes after `tail`, compacting first.
    fn make_room(&mut self, extra: usize) {
        if self.data.len() - self.tail >= extra {
            return;
        }
        if self.head > 0 {
            self.data.copy_within(self.head..self.tail, 0);
            self.tail -= self.head;
            self.head = 0;
        }
        let needed = self.tail + extra;
        if self.data.len() < needed {
            self.data.resize(needed.max(MIN_READ_CHUNK), 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_consumes_and_compacts() {
        let mut buf = ReadBuffer::default();
        let mut src: &[u8] = b"hello world";
        assert_eq!(buf.read_from(&mut src).unwrap(), 11);
        assert_eq!(buf.filled(), b"hello world");
        buf.consume(6);
        assert_eq!(buf.filled(), b"world");
        buf.extend_from_slice(b"!");
        assert_eq!(buf.filled(), b"world!");
        buf.consume(6);
        assert!(buf.is_empty());
    }

    #[test]
    fn grows_under_heavy_traffic_and_stays_capped() {
        let mut buf = ReadBuffer::default();
        let big = vec![7u8; 1 << 20];
        let mut src: &[u8] = &big;
        let mut sizes = Vec::new();
        for _ in 0..8 {
            let n = buf.read_from(&mut src).unwrap();
            sizes.push(n);
            let len = buf.filled().len();
            buf.consume(len);
        }
        assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");
        assert_eq!(*sizes.last().unwrap(), MAX_READ_CHUNK);
    }

    #[test]
    fn idle_nonblocking_read_shrinks_to_the_base_chunk() {
        struct Idle;
        impl Read for Idle {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::ErrorKind::WouldBlock.into())
            }
        }
        let mut buf = ReadBuffer::default();
        let big = vec![1u8; 1 << 20];
        let mut src: &[u8] = &big;
        for _ in 0..6 {
            buf.read_from(&mut src).unwrap();
            let n = buf.filled().len();
            buf.consume(n);
        }
        assert_eq!(buf.data.len(), MAX_READ_CHUNK);
        // Idle once: between two bursts, perhaps. The memory is kept.
        assert!(buf.read_from(&mut Idle).is_err());
        assert_eq!(buf.data.len(), MAX_READ_CHUNK);
        // Data again: still busy.
        let mut more: &[u8] = &big[..100];
        buf.read_from(&mut more).unwrap();
        buf.consume(100);
        assert!(buf.read_from(&mut Idle).is_err());
        assert_eq!(buf.data.len(), MAX_READ_CHUNK);
        // Idle twice in a row: quiet now, give it back.
        assert!(buf.read_from(&mut Idle).is_err());
        assert_eq!(buf.data.len(), MIN_READ_CHUNK);
    }

    #[test]
    fn a_quiet_connection_releases_a_small_buffer_and_keeps_a_grown_one() {
        let mut buf = ReadBuffer::default();
        let mut src: &[u8] = b"a small message";
        buf.read_from(&mut src).unwrap();
        // Something left unconsumed: kept.
        buf.release_if_idle();
        assert!(!buf.is_released());
        assert_eq!(buf.filled(), b"a small message");
        buf.consume(15);
        buf.release_if_idle();
        assert!(buf.is_released());
        assert_eq!(buf.data.capacity(), 0);
        // The next bytes come back at their size, then reads grow as before.
        buf.extend_from_slice(b"next");
        assert_eq!(buf.filled(), b"next");
        assert_eq!(buf.data.len(), 4);
        let mut more: &[u8] = b" and more";
        buf.read_from(&mut more).unwrap();
        assert_eq!(buf.filled(), b"next and more");
        assert_eq!(buf.total_received(), 28);
        buf.consume(13);

        // A buffer grown by heavy traffic is kept between bursts.
        let big = vec![1u8; 1 << 20];
        let mut src: &[u8] = &big;
        for _ in 0..6 {
            buf.read_from(&mut src).unwrap();
            let n = buf.filled().len();
            buf.consume(n);
        }
        assert_eq!(buf.data.len(), MAX_READ_CHUNK);
        buf.release_if_idle();
        assert_eq!(buf.data.len(), MAX_READ_CHUNK);
        // Quiet twice in a row: back to the base chunk, then released.
        buf.release_if_idle();
        assert_eq!(buf.data.len(), MIN_READ_CHUNK);
        buf.release_if_idle();
        assert!(buf.is_released());
    }
}
