//! [`DecodeOutput`]: where [`Extension::decode`](crate::Extension::decode)
//! writes, a message buffer that can only grow.

use crate::ExtensionError;
use std::mem::MaybeUninit;

/// The decoded message so far, which an extension's
/// [`decode`](crate::Extension::decode) can only append to.
///
/// Why append-only: a text message is checked for UTF-8 piece by piece as
/// it grows (RFC 6455 §8.1: fail fast), and the bytes checked so far are
/// not checked again when the message ends. If an extension could rewrite
/// or drop bytes it had already produced, a message could end up holding
/// bytes that were never checked, behind a `str`. So this type hands out
/// no `&mut` to bytes already written: an extension appends
/// ([`extend_from_slice`](Self::extend_from_slice)) or writes into the
/// spare room after them ([`spare_capacity_mut`](Self::spare_capacity_mut)
/// and [`advance_mut`](Self::advance_mut), for a decoder such as zlib that
/// writes straight into the buffer), and reads back at most through
/// [`as_slice`](Self::as_slice).
///
/// It also carries the message's size limit,
/// [`max_len`](Self::max_len): [`extend_from_slice`](Self::extend_from_slice)
/// refuses to pass it, and the stack fails the message with
/// [`ExtensionError::MessageTooLarge`] if a decode leaves more behind.
///
/// Nothing here gives access to the buffer itself, so this does not
/// compile:
///
/// ```compile_fail
/// fn rewrite(out: &mut sockwell_extensions::DecodeOutput<'_>) {
///     let bytes: &mut Vec<u8> = &mut *out;
///     bytes[0] = 0xff;
/// }
/// ```
#[derive(Debug)]
pub struct DecodeOutput<'a> {
    buf: &'a mut Vec<u8>,
    max_len: usize,
}

impl<'a> DecodeOutput<'a> {
    /// Output appended to `buf` (whose bytes stay as they are), for a
    /// message of at most `max_len` bytes.
    pub fn new(buf: &'a mut Vec<u8>, max_len: usize) -> Self {
        DecodeOutput { buf, max_len }
    }

    /// Bytes of the message decoded so far (this piece's and earlier ones').
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True if nothing was decoded yet.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The most bytes the message may hold (the connection's message size
    /// limit); a decoder fails with [`ExtensionError::MessageTooLarge`]
    /// rather than pass it, before allocating past it.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Bytes [`len`](Self::len) can reach without a reallocation.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// The message decoded so far, to read.
    pub fn as_slice(&self) -> &[u8] {
        self.buf
    }

    /// Appends `bytes`, or fails with [`ExtensionError::MessageTooLarge`]
    /// (appending nothing) if the message would pass
    /// [`max_len`](Self::max_len).
    pub fn extend_from_slice(&mut self, bytes: &[u8]) -> Result<(), ExtensionError> {
        if self.buf.len().saturating_add(bytes.len()) > self.max_len {
            return Err(ExtensionError::MessageTooLarge {
                limit: self.max_len,
            });
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// Makes room for at least `additional` more bytes, growing the
    /// capacity geometrically ([`Vec::reserve`]). Not bounded by
    /// [`max_len`](Self::max_len): ask only for what may be written.
    pub fn reserve(&mut self, additional: usize) {
        self.buf.reserve(additional);
    }

    /// Makes room for exactly `additional` more bytes ([`Vec::reserve_exact`]):
    /// for a decoder that grows the message itself, up to the limit.
    pub fn reserve_exact(&mut self, additional: usize) {
        self.buf.reserve_exact(additional);
    }

    /// The room after the message's bytes (uninitialized), for a decoder
    /// that writes in place; the bytes it writes count once
    /// [`advance_mut`](Self::advance_mut) says so.
    pub fn spare_capacity_mut(&mut self) -> &mut [MaybeUninit<u8>] {
        self.buf.spare_capacity_mut()
    }

    /// Adds to the message the first `n` bytes of
    /// [`spare_capacity_mut`](Self::spare_capacity_mut).
    ///
    /// # Safety
    /// Those `n` bytes were initialized (written) since the spare room was
    /// last taken. (They need not be valid UTF-8: the message is checked
    /// after the extension returns.)
    ///
    /// # Panics
    /// If `n` is more than the spare room.
    pub unsafe fn advance_mut(&mut self, n: usize) {
        let len = self.buf.len();
        assert!(
            n <= self.buf.capacity() - len,
            "advance_mut past the spare capacity"
        );
        // SAFETY: `len + n` is within the capacity (checked above) and the
        // caller guarantees that the `n` bytes after `len` are initialized.
        unsafe { self.buf.set_len(len + n) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_within_the_limit_only() {
        let mut buf = b"ab".to_vec();
        let mut out = DecodeOutput::new(&mut buf, 5);
        out.extend_from_slice(b"cde").unwrap();
        assert!(matches!(
            out.extend_from_slice(b"f"),
            Err(ExtensionError::MessageTooLarge { limit: 5 })
        ));
        assert_eq!(out.as_slice(), b"abcde");
        assert_eq!(buf, b"abcde");
    }

    #[test]
    fn spare_capacity_is_after_the_message() {
        let mut buf = b"ab".to_vec();
        let mut out = DecodeOutput::new(&mut buf, 16);
        out.reserve(3);
        let spare = out.spare_capacity_mut();
        assert!(spare.len() >= 3);
        spare[0].write(b'c');
        // SAFETY: the first spare byte was just written.
        unsafe { out.advance_mut(1) };
        assert_eq!(out.as_slice(), b"abc");
        assert_eq!(out.len(), 3);
    }

    #[test]
    #[should_panic(expected = "advance_mut past the spare capacity")]
    fn advance_past_the_spare_room_panics() {
        let mut buf = Vec::with_capacity(2);
        let mut out = DecodeOutput::new(&mut buf, 16);
        let room = out.spare_capacity_mut().len();
        // SAFETY: never reached: the call panics before touching the length.
        unsafe { out.advance_mut(room + 1) };
    }
}
