//! Payload masking (RFC 6455 §5.3): XOR with a 4-byte key, eight bytes at a
//! time in safe code that the compiler vectorizes. On x86-64 CPUs with AVX2
//! (detected at run time) the same loops are compiled for 32-byte
//! registers; elsewhere, and for short payloads, the portable build runs.

use std::mem::MaybeUninit;

/// Least payload for the AVX2 build: below it the runtime check and the
/// call cost more than the wider registers save.
#[cfg(target_arch = "x86_64")]
const WIDE_MIN: usize = 128;

/// The CPU can run the AVX2 build (the answer is cached by std).
#[cfg(target_arch = "x86_64")]
#[inline]
fn wide(len: usize) -> bool {
    len >= WIDE_MIN && std::is_x86_feature_detected!("avx2")
}

/// XORs `buf` with `key`, as if `buf` started `offset` bytes into the payload.
///
/// The offset lets a payload that arrives in pieces be unmasked piece by piece.
/// There is no alignment requirement.
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    #[cfg(target_arch = "x86_64")]
    if wide(buf.len()) {
        // SAFETY: `mask_avx2` only requires AVX2, which the CPU has
        // (checked by `wide`).
        unsafe { x86::mask_avx2(buf, key, offset) };
        return;
    }
    mask_words(buf, key, offset);
}

/// Appends `src` masked with `key` (starting at payload offset 0) to `dst`.
pub fn extend_masked(dst: &mut Vec<u8>, src: &[u8], key: [u8; 4]) {
    extend_masked_at(dst, src, key, 0);
}

/// Appends `src` XORed with `key` to `dst`, as if `src` started `offset`
/// bytes into the payload: copy and mask in one pass over the bytes
/// (masking is its own inverse, so this unmasks too).
pub fn extend_masked_at(dst: &mut Vec<u8>, src: &[u8], key: [u8; 4], offset: usize) {
    dst.reserve(src.len());
    let spare = &mut dst.spare_capacity_mut()[..src.len()];
    #[cfg(target_arch = "x86_64")]
    if wide(src.len()) {
        // SAFETY: `copy_masked_avx2` only requires AVX2, which the CPU has
        // (checked by `wide`).
        unsafe { x86::copy_masked_avx2(spare, src, key, offset) };
    } else {
        copy_masked(spare, src, key, offset);
    }
    #[cfg(not(target_arch = "x86_64"))]
    copy_masked(spare, src, key, offset);
    let len = dst.len() + src.len();
    // SAFETY: `copy_masked` (either build) initialized all `src.len()`
    // bytes of the spare capacity (whole words, then the tail), which
    // `reserve` guaranteed.
    unsafe { dst.set_len(len) };
}

/// The portable loop of [`apply_mask`]; inlined into each build.
#[inline(always)]
fn mask_words(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let (key, word) = key_word(key, offset);
    let (words, tail) = buf.as_chunks_mut::<8>();
    for chunk in words {
        *chunk = (u64::from_ne_bytes(*chunk) ^ word).to_ne_bytes();
    }
    // Whole words advance the key by multiples of 4, so the tail starts at key[0].
    for (byte, k) in tail.iter_mut().zip(key.iter().cycle()) {
        *byte ^= k;
    }
}

/// The portable loop of [`extend_masked_at`]: writes every byte of `dst`
/// (which is as long as `src`); inlined into each build.
#[inline(always)]
fn copy_masked(dst: &mut [MaybeUninit<u8>], src: &[u8], key: [u8; 4], offset: usize) {
    debug_assert_eq!(dst.len(), src.len());
    let (key, word) = key_word(key, offset);
    let (dst_words, dst_tail) = dst.as_chunks_mut::<8>();
    let (src_words, src_tail) = src.as_chunks::<8>();
    for (d, s) in dst_words.iter_mut().zip(src_words) {
        *d = (u64::from_ne_bytes(*s) ^ word)
            .to_ne_bytes()
            .map(MaybeUninit::new);
    }
    for ((d, s), k) in dst_tail.iter_mut().zip(src_tail).zip(key.iter().cycle()) {
        d.write(s ^ k);
    }
}

/// The same loops, compiled for AVX2: safe code, `unsafe` only to call
/// on a CPU not known to have AVX2 (see [`wide`]).
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::mem::MaybeUninit;

    #[target_feature(enable = "avx2")]
    pub(super) fn mask_avx2(buf: &mut [u8], key: [u8; 4], offset: usize) {
        super::mask_words(buf, key, offset);
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn copy_masked_avx2(
        dst: &mut [MaybeUninit<u8>],
        src: &[u8],
        key: [u8; 4],
        offset: usize,
    ) {
        super::copy_masked(dst, src, key, offset);
    }
}

/// The key as it stands `offset` bytes into the payload, and that key
/// repeated over an 8-byte word.
#[inline(always)]
fn key_word(key: [u8; 4], offset: usize) -> ([u8; 4], u64) {
    let mut k = key;
    k.rotate_left(offset % 4);
    let word = u64::from_ne_bytes([k[0], k[1], k[2], k[3], k[0], k[1], k[2], k[3]]);
    (k, word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(buf: &mut [u8], key: [u8; 4], offset: usize) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b ^= key[(i + offset) % 4];
        }
    }

    /// Long enough to run both builds (the wide one from 128 bytes).
    fn data() -> Vec<u8> {
        (0..400u32).map(|i| (i * 7 + 3) as u8).collect()
    }

    #[test]
    fn matches_bytewise_reference_at_every_alignment_offset_and_length() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let data = data();
        for align in 0..16 {
            for len in 0..(data.len() - align) {
                for offset in 0..4 {
                    let mut fast = data.clone();
                    let mut slow = data.clone();
                    apply_mask(&mut fast[align..align + len], key, offset);
                    reference(&mut slow[align..align + len], key, offset);
                    assert_eq!(fast, slow, "align {align} len {len} offset {offset}");
                }
            }
        }
    }

    #[test]
    fn extend_masked_at_matches_the_reference() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let data = data();
        for align in 0..9 {
            for len in 0..(data.len() - align) {
                for offset in 0..4 {
                    let mut slow = data[align..align + len].to_vec();
                    reference(&mut slow, key, offset);
                    let mut fast = vec![9u8; align % 3];
                    extend_masked_at(&mut fast, &data[align..align + len], key, offset);
                    assert_eq!(&fast[..align % 3], &vec![9u8; align % 3][..]);
                    assert_eq!(
                        &fast[align % 3..],
                        &slow[..],
                        "align {align} len {len} offset {offset}"
                    );
                }
            }
        }
    }

    /// The portable build on its own (on an AVX2 machine the public
    /// functions take the wide one for long payloads), against the
    /// public functions, on every length, offset and alignment.
    #[test]
    fn the_portable_build_agrees_with_the_dispatched_one() {
        let key = [0xa1, 0x02, 0xf3, 0x44];
        let data = data();
        for align in 0..9 {
            for len in 0..(data.len() - align) {
                for offset in 0..4 {
                    let src = &data[align..align + len];
                    let mut portable = src.to_vec();
                    mask_words(&mut portable, key, offset);
                    let mut dispatched = src.to_vec();
                    apply_mask(&mut dispatched, key, offset);
                    assert_eq!(portable, dispatched, "len {len} offset {offset}");
                    let mut copied = vec![MaybeUninit::uninit(); len];
                    copy_masked(&mut copied, src, key, offset);
                    // SAFETY: `copy_masked` writes every byte of `copied`.
                    let copied: Vec<u8> =
                        copied.iter().map(|b| unsafe { b.assume_init() }).collect();
                    assert_eq!(copied, portable, "len {len} offset {offset}");
                }
            }
        }
    }

    #[test]
    fn piecewise_equals_whole() {
        let key = [1, 2, 3, 4];
        let data: Vec<u8> = (0..=255).collect();
        let mut whole = data.clone();
        apply_mask(&mut whole, key, 0);
        let mut pieces = data.clone();
        let mut at = 0;
        for step in [1, 7, 3, 64, 5, 100, 2] {
            let end = (at + step).min(pieces.len());
            apply_mask(&mut pieces[at..end], key, at);
            at = end;
        }
        apply_mask(&mut pieces[at..], key, at);
        assert_eq!(whole, pieces);
    }

    #[test]
    fn rfc_example_hello() {
        // RFC 6455 §5.7: masked "Hello" with key 37 fa 21 3d.
        let mut buf = *b"Hello";
        apply_mask(&mut buf, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(buf, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
        let mut out = Vec::new();
        extend_masked(&mut out, b"Hello", [0x37, 0xfa, 0x21, 0x3d]);
        assert_eq!(out, buf);
    }
}
