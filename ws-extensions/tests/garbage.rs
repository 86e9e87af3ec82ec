//! Random and mutated `Sec-WebSocket-Extensions` values never panic the
//! parser, and whatever parses formats back to something that parses alike.

use sockwell_extensions::{format_extensions, parse_extensions};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_and_mutated_headers_never_panic_and_round_trip() {
    let seeds: [&[u8]; 4] = [
        b"permessage-deflate; client_max_window_bits; server_max_window_bits=10",
        b"x-a; p=\"quoted\", x-b;q , ,x-c",
        b"a;b=c;d=\"e\\\"f\"",
        b"",
    ];
    let alphabet = b" \t,;=\"\\abcXYZ019-_~\x00\x7f\xff\xc3";
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for i in 0..20_000 {
        let mut line = seeds[i % seeds.len()].to_vec();
        for _ in 0..(rng.next() % 6) {
            let at = (rng.next() as usize) % (line.len() + 1);
            let b = alphabet[(rng.next() as usize) % alphabet.len()];
            match rng.next() % 3 {
                0 => line.insert(at, b),
                1 if at < line.len() => line[at] = b,
                _ if at < line.len() => {
                    line.remove(at);
                }
                _ => {}
            }
        }
        if let Ok(items) = parse_extensions([line.as_slice()]) {
            let again = format_extensions(&items);
            let reparsed = parse_extensions([again.as_bytes()])
                .unwrap_or_else(|e| panic!("{again:?} from {line:?}: {e}"));
            assert_eq!(reparsed, items, "{line:?}");
        }
    }
}
