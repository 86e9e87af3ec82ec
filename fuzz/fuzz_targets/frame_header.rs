//! The frame header decoder (RFC 6455 §5.2): never panics; what it accepts
//! re-encodes (minimally) to a header that decodes the same; a prefix of an
//! accepted header is "incomplete", never an error. A length in a longer
//! form than needed is accepted, as most peers do (§5.2 asks senders for
//! the minimal form; nothing is ambiguous about the longer one).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockwell_core::{FrameHeader, MAX_HEADER_LEN};

fuzz_target!(|data: &[u8]| {
    let Ok(Some((header, len))) = FrameHeader::parse(data) else {
        return;
    };
    assert!(len <= data.len() && len <= MAX_HEADER_LEN);
    assert!(len >= header.encoded_len());
    for short in 0..len {
        assert!(matches!(FrameHeader::parse(&data[..short]), Ok(None)));
    }
    let mut encoded = Vec::new();
    header.write_to(&mut encoded);
    assert_eq!(
        FrameHeader::parse(&encoded).unwrap(),
        Some((header, encoded.len()))
    );
});
