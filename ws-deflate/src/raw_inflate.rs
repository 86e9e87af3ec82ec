//! A raw DEFLATE decoder on zlib-rs's zlib API (`libz-rs-sys`), for the one
//! thing flate2 does not expose: starting a new stream that keeps the
//! decoder's window (`inflateResetKeep`). A stream that ended with a BFINAL
//! block and is followed by more data restarts that way, so the decoder
//! keeps no copy of its own output (which cost a memcpy of every message
//! and up to 32 KiB per connection), and a restart costs a few stores.
//!
//! Every `unsafe` call is here, each with its reason; the rest of the crate
//! sees a safe type.

use libz_rs_sys as z;
use sockwell_extensions::DecodeOutput;
use std::ffi::CStr;
use std::fmt;

/// A raw (headerless) inflate stream.
pub(crate) struct RawInflate {
    /// Boxed: zlib keeps a pointer back to the stream in its state, so the
    /// stream must not move after `inflateInit2_`.
    strm: Box<z::z_stream>,
}

/// How one call went.
pub(crate) enum Progress {
    /// More input is needed or the output is full.
    Ok,
    /// The DEFLATE stream ended (a BFINAL block was completed).
    StreamEnd,
}

/// Corrupt DEFLATE data (zlib's message), or zlib out of memory.
#[derive(Debug)]
pub(crate) struct InflateError(&'static str);

impl fmt::Display for InflateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for InflateError {}

impl RawInflate {
    /// A decoder for windows of up to `1 << bits` bytes (`bits` in 9..=15).
    pub(crate) fn new(bits: u8) -> Result<Self, InflateError> {
        debug_assert!((9..=15).contains(&bits));
        let mut strm = Box::new(z::z_stream::default());
        // SAFETY: `strm` is a default stream (null buffers, zlib-rs's own
        // allocator), boxed so it stays put; the version and size are those
        // of the library we link.
        let ret = unsafe {
            z::inflateInit2_(
                &mut *strm,
                -i32::from(bits),
                z::zlibVersion(),
                std::mem::size_of::<z::z_stream>() as i32,
            )
        };
        match ret {
            z::Z_OK => Ok(RawInflate { strm }),
            _ => Err(InflateError("zlib could not allocate a decoder")),
        }
    }

    /// Inflates `input` into the spare capacity of `out` (sync flush);
    /// returns how many input bytes were consumed.
    pub(crate) fn inflate(
        &mut self,
        input: &[u8],
        out: &mut DecodeOutput<'_>,
    ) -> Result<(usize, Progress), InflateError> {
        let avail_in = input.len().min(u32::MAX as usize);
        let spare = out.spare_capacity_mut();
        let avail_out = spare.len().min(u32::MAX as usize);
        self.strm.next_in = input.as_ptr();
        self.strm.avail_in = avail_in as u32;
        self.strm.next_out = spare.as_mut_ptr().cast();
        self.strm.avail_out = avail_out as u32;
        // SAFETY: `next_in` points to `avail_in` readable bytes of `input`
        // and `next_out` to `avail_out` writable bytes of `out`'s spare
        // capacity, both borrowed for the whole call; the stream was
        // initialized by `new`.
        let ret = unsafe { z::inflate(&mut *self.strm, z::Z_SYNC_FLUSH) };
        let consumed = avail_in - self.strm.avail_in as usize;
        let produced = avail_out - self.strm.avail_out as usize;
        // SAFETY: zlib wrote exactly `produced` bytes at the start of the
        // spare capacity (what it took off `avail_out`).
        unsafe { out.advance_mut(produced) };
        // Nothing dangles once the borrows end.
        self.strm.next_in = std::ptr::null();
        self.strm.next_out = std::ptr::null_mut();
        match ret {
            z::Z_OK | z::Z_BUF_ERROR => Ok((consumed, Progress::Ok)),
            z::Z_STREAM_END => Ok((consumed, Progress::StreamEnd)),
            z::Z_MEM_ERROR => Err(InflateError("zlib ran out of memory")),
            _ => Err(InflateError(self.message())),
        }
    }

    /// zlib's description of the last error.
    fn message(&self) -> &'static str {
        if self.strm.msg.is_null() {
            return "invalid DEFLATE data";
        }
        // SAFETY: zlib-rs sets `msg` only to static NUL-terminated strings.
        let msg = unsafe { CStr::from_ptr(self.strm.msg) };
        msg.to_str().unwrap_or("invalid DEFLATE data")
    }

    /// Forgets the stream and its window (the next data starts afresh).
    pub(crate) fn reset(&mut self) {
        // SAFETY: the stream was initialized by `new`.
        unsafe { z::inflateReset(&mut *self.strm) };
    }

    /// Primes a reset decoder with the bytes a stream may refer back to
    /// (the connection's history, at most the window): zlib's
    /// `inflateSetDictionary`, which a raw stream accepts at any time.
    pub(crate) fn set_dictionary(&mut self, dictionary: &[u8]) -> Result<(), InflateError> {
        let len = u32::try_from(dictionary.len())
            .map_err(|_| InflateError("dictionary larger than a window"))?;
        // SAFETY: `dictionary` is `len` readable bytes, borrowed for the
        // call (zlib copies them into its window); the stream was
        // initialized by `new`.
        let ret = unsafe { z::inflateSetDictionary(&mut *self.strm, dictionary.as_ptr(), len) };
        match ret {
            z::Z_OK => Ok(()),
            _ => Err(InflateError("zlib refused the dictionary")),
        }
    }

    /// Starts a new DEFLATE stream that refers back to the window as it
    /// stands, as if the last stream had not ended: zlib's
    /// `inflateResetKeep` (declared in zlib.h among its undocumented
    /// functions; what `inflateReset` does, minus forgetting the window).
    /// It costs a few stores, whatever the window holds, where reading the
    /// window out and setting it back as a dictionary copied it twice.
    pub(crate) fn restart_keeping_window(&mut self) {
        // SAFETY: the stream was initialized by `new`.
        unsafe { z::inflateResetKeep(&mut *self.strm) };
    }
}

impl Drop for RawInflate {
    fn drop(&mut self) {
        // SAFETY: the stream was initialized by `new` and is ended once.
        unsafe { z::inflateEnd(&mut *self.strm) };
    }
}

// SAFETY: the stream's state is owned by this value alone (no shared
// pointers); zlib-rs's allocator is thread-safe.
unsafe impl Send for RawInflate {}
// SAFETY: `&RawInflate` only reads (`message`), which zlib allows from any
// thread.
unsafe impl Sync for RawInflate {}
