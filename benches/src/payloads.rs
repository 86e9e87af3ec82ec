//! The workload, so that every implementation gets the same one: the message
//! sizes and their labels, the message count per iteration, the payloads
//! (ASCII text, pseudo-random binary; for the compression benchmarks, seeded
//! JSON records and incompressible bytes) and the message [`Kind`]s.

use std::fmt::Write as _;

use sockwell_core::Message;

/// The message sizes every size-parameterised benchmark runs: 16 B, 1 KiB,
/// 64 KiB and 1 MiB.
pub const SIZES: [usize; 4] = [16, 1 << 10, 64 << 10, 1 << 20];

/// Payload bytes one iteration of a message benchmark moves, at most: the
/// message count per iteration is derived from it (see [`message_count`]).
pub const BYTES_PER_ITERATION: usize = 4 << 20;

/// Upper bound on messages per iteration, so that small messages do not make
/// one iteration needlessly long.
pub const MAX_MESSAGES_PER_ITERATION: usize = 1000;

/// How many messages of `size` bytes one iteration sends: 1000 for 16 B and
/// 1 KiB, 64 for 64 KiB, 4 for 1 MiB.
pub fn message_count(size: usize) -> usize {
    (BYTES_PER_ITERATION / size.max(1)).clamp(1, MAX_MESSAGES_PER_ITERATION)
}

/// A short label for a size, as used in benchmark ids: `16B`, `1KiB`,
/// `64KiB`, `1MiB`.
pub fn size_label(size: usize) -> String {
    if size >= 1 << 20 && size.is_multiple_of(1 << 20) {
        format!("{}MiB", size >> 20)
    } else if size >= 1 << 10 && size.is_multiple_of(1 << 10) {
        format!("{}KiB", size >> 10)
    } else {
        format!("{size}B")
    }
}

/// `size` bytes of ASCII text (valid UTF-8, so text messages pass validation).
pub fn text_payload(size: usize) -> String {
    const WORDS: &[u8] = b"The quick brown fox jumps over the lazy dog; 0123456789! ";
    WORDS
        .iter()
        .copied()
        .cycle()
        .take(size)
        .map(char::from)
        .collect()
}

/// `size` pseudo-random bytes (a fixed-seed xorshift, so runs are comparable).
pub fn binary_payload(size: usize) -> Vec<u8> {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    (0..size).map(|_| (rng.next_u64() >> 24) as u8).collect()
}

/// `size` pseudo-random bytes from `seed`: incompressible, and different for
/// every seed (so a compressor with context takeover finds no match in what
/// it saw before).
pub fn random_payload(size: usize, seed: u64) -> Vec<u8> {
    let mut rng = XorShift::seeded(seed);
    (0..size).map(|_| (rng.next_u64() >> 24) as u8).collect()
}

/// A xorshift64 generator: fast, deterministic, good enough for payloads.
#[derive(Clone, Debug)]
struct XorShift(u64);

impl XorShift {
    /// A generator whose state is `seed` run through splitmix64 (never zero).
    fn seeded(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        XorShift((z ^ (z >> 31)) | 1)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n` (`n > 0`; the slight modulo bias does not matter here).
    fn below(&mut self, n: u64) -> u64 {
        (self.next_u64() >> 11) % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Exactly `size` bytes of JSON text, as an API or event stream would send:
/// an array of records with the same keys and a few enumerated values, but
/// ids, timestamps, amounts and a 64-bit hex session token that vary from
/// record to record. Records are about 250 bytes; what is left at the end
/// after the last whole record is filled by a final `{"note": "..."}`
/// record (or spaces when even that does not fit). Different seeds give
/// different records. ASCII only, so it is valid UTF-8.
pub fn json_payload(size: usize, seed: u64) -> String {
    const EVENTS: &[&str] = &[
        "page_view",
        "click",
        "add_to_cart",
        "remove_from_cart",
        "checkout",
        "purchase",
        "login",
        "logout",
    ];
    const COUNTRIES: &[&str] = &["FR", "DE", "US", "GB", "JP", "BR", "IN", "ES", "IT", "CA"];
    const DEVICES: &[&str] = &["desktop", "mobile", "tablet"];
    const BROWSERS: &[&str] = &["firefox", "chrome", "safari", "edge"];
    const FILLER: &str = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do \
                          eiusmod tempor incididunt ut labore et dolore magna aliqua ";

    let mut rng = XorShift::seeded(seed);
    let mut out = String::with_capacity(size);
    if size < 2 {
        out.extend(std::iter::repeat_n(' ', size));
        return out;
    }
    out.push('[');
    let mut id = 1_000_000 + rng.below(9_000_000);
    let mut ts = 1_718_000_000_000 + rng.below(1_000_000_000);
    let mut record = String::with_capacity(512);
    loop {
        record.clear();
        let separator = if out.len() > 1 { "," } else { "" };
        let (amount, cents) = (rng.below(500), rng.below(100));
        write!(
            record,
            "{separator}{{\"id\":{id},\"user_id\":\"u{user}\",\"session\":\"{session:016x}\",\
             \"event\":\"{event}\",\"timestamp\":{ts},\"page\":\"/products/{product}\",\
             \"amount\":{amount}.{cents:02},\"currency\":\"EUR\",\"quantity\":{quantity},\
             \"country\":\"{country}\",\"device\":\"{device}\",\"browser\":\"{browser}\",\
             \"logged_in\":{logged_in}}}",
            user = 10_000 + rng.below(90_000),
            session = rng.next_u64(),
            event = rng.pick(EVENTS),
            product = rng.below(5000),
            quantity = 1 + rng.below(5),
            country = rng.pick(COUNTRIES),
            device = rng.pick(DEVICES),
            browser = rng.pick(BROWSERS),
            logged_in = rng.below(2) == 1,
        )
        .expect("writing to a String");
        // Keep one byte for the closing bracket.
        if out.len() + record.len() + 1 > size {
            break;
        }
        out.push_str(&record);
        id += 1 + rng.below(3);
        ts += rng.below(5000);
    }
    let separator = if out.len() > 1 { "," } else { "" };
    let note_overhead = separator.len() + r#"{"note":""}"#.len();
    let room = size - out.len() - 1;
    if room >= note_overhead {
        out.push_str(separator);
        out.push_str(r#"{"note":""#);
        out.extend(FILLER.chars().cycle().take(room - note_overhead));
        out.push_str(r#""}"#);
    } else {
        out.extend(std::iter::repeat_n(' ', room));
    }
    out.push(']');
    debug_assert_eq!(out.len(), size);
    out
}

/// The message kinds the message benchmarks run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Text messages ([`text_payload`]).
    Text,
    /// Binary messages ([`binary_payload`]).
    Binary,
}

impl Kind {
    /// Both kinds.
    pub const ALL: [Kind; 2] = [Kind::Text, Kind::Binary];

    /// `text` or `binary`, as used in group names.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Binary => "binary",
        }
    }

    /// A `sockwell_core` message of this kind and `size` bytes.
    pub fn ws_message(self, size: usize) -> Message {
        match self {
            Kind::Text => Message::Text(text_payload(size).into()),
            Kind::Binary => Message::Binary(binary_payload(size).into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_counts() {
        assert_eq!(
            SIZES.map(size_label),
            ["16B", "1KiB", "64KiB", "1MiB"].map(String::from)
        );
        assert_eq!(SIZES.map(message_count), [1000, 1000, 64, 4]);
    }

    #[test]
    fn payloads_have_the_requested_size() {
        for size in SIZES {
            assert_eq!(text_payload(size).len(), size);
            assert_eq!(binary_payload(size).len(), size);
        }
    }

    #[test]
    fn json_payloads_have_the_requested_size_and_vary_with_the_seed() {
        for size in [0, 1, 2, 10, 13, 100, 300, 1 << 10, 64 << 10, 1 << 20] {
            let json = json_payload(size, 7);
            assert_eq!(json.len(), size, "{json}");
            if size >= 2 {
                assert!(json.starts_with('[') && json.ends_with(']'), "{json}");
            }
        }
        let json = json_payload(1 << 10, 1);
        assert!(json.contains(r#""event":"#) && json.contains(r#"{"note":"#));
        assert_ne!(json, json_payload(1 << 10, 2));
        assert_eq!(json, json_payload(1 << 10, 1));
    }

    #[test]
    fn random_payloads_vary_with_the_seed() {
        assert_eq!(random_payload(1000, 3), random_payload(1000, 3));
        assert_ne!(random_payload(1000, 3), random_payload(1000, 4));
        assert_eq!(random_payload(70_000, 3).len(), 70_000);
    }
}
