//! Helpers shared by the unit tests.

/// `len` bytes no compressor shrinks: the low bytes of a xorshift64
/// sequence started from `seed` (made odd, so never the stuck state 0).
pub(crate) fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}
