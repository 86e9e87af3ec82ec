//! A conversation of small JSON messages, what most WebSocket traffic is:
//! market ticker updates, chat lines and presence changes, 70 to 320 bytes
//! each (about 180 on average), from a seeded generator so that every
//! implementation and every run gets the same stream.
//!
//! Self-contained (no dependency, not even on this crate's other modules):
//! sockwell-deflate's tests include this file by path to run the same stream
//! through its codec.

/// The shortest message [`SmallJson`] makes.
pub const SMALL_JSON_MIN: usize = 70;
/// The longest message [`SmallJson`] makes.
pub const SMALL_JSON_MAX: usize = 320;

const SYMBOLS: [&str; 8] = [
    "BTC-USD", "ETH-USD", "SOL-USD", "ETH-BTC", "ADA-USD", "DOGE-USD", "XRP-EUR", "LTC-USD",
];
const ROOMS: [&str; 5] = ["general", "random", "support", "releases", "trading"];
const NAMES: [&str; 10] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
];
const STATUSES: [&str; 4] = ["online", "away", "busy", "offline"];
const DEVICES: [&str; 3] = ["web", "ios", "android"];
const WORDS: [&str; 32] = [
    "the", "deploy", "is", "done", "can", "you", "check", "logs", "on", "staging", "again",
    "looks", "good", "to", "me", "thanks", "build", "failed", "retry", "please", "meeting", "in",
    "five", "minutes", "price", "moved", "fast", "today", "lunch", "anyone", "ok", "sure",
];

/// An endless, deterministic stream of small JSON messages (see the module
/// documentation). The same seed gives the same stream.
#[derive(Clone, Debug)]
pub struct SmallJson {
    state: u64,
    seq: u64,
    /// Milliseconds since the epoch, advancing a little per message.
    time_ms: u64,
    /// Each symbol's last price in cents: a ticker moves from where it was
    /// (a random walk), as a market's does, rather than jumping anywhere.
    prices: [u64; SYMBOLS.len()],
}

impl SmallJson {
    /// A stream from `seed`.
    pub fn new(seed: u64) -> Self {
        SmallJson {
            // xorshift must not start at 0.
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            seq: 1_000_000 + seed % 1000,
            time_ms: 1_765_030_216_000,
            prices: [4_312_517, 231_044, 14_250, 5_357, 61, 17, 213, 8_702],
        }
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }

    /// The next message, [`SMALL_JSON_MIN`] to [`SMALL_JSON_MAX`] bytes.
    pub fn next_message(&mut self) -> String {
        self.seq += 1;
        self.time_ms += 1 + self.next_u64() % 250;
        let message = match self.below(10) {
            0..=4 => self.ticker(),
            5..=7 => self.chat(),
            _ => self.presence(),
        };
        debug_assert!((SMALL_JSON_MIN..=SMALL_JSON_MAX).contains(&message.len()));
        message
    }

    /// `count` messages.
    pub fn messages(&mut self, count: usize) -> Vec<String> {
        (0..count).map(|_| self.next_message()).collect()
    }

    fn ticker(&mut self) -> String {
        let which = self.below(SYMBOLS.len());
        let symbol = SYMBOLS[which];
        let last = self.prices[which];
        // A move of up to 0.1% either way, at least a cent.
        let step = 1 + self.next_u64() % (last / 1000 + 1);
        let price = if self.below(2) == 0 {
            last + step
        } else {
            last.saturating_sub(step).max(2)
        };
        self.prices[which] = price;
        let spread = 1 + self.next_u64() % 4;
        let size = 1 + self.next_u64() % 500_000;
        let side = if self.below(2) == 0 { "buy" } else { "sell" };
        format!(
            r#"{{"type":"ticker","symbol":"{symbol}","seq":{},"price":"{}.{:02}","size":"0.{size:06}","side":"{side}","best_bid":"{}.{:02}","best_ask":"{}.{:02}","ts":{}}}"#,
            self.seq,
            price / 100,
            price % 100,
            price.saturating_sub(spread) / 100,
            price.saturating_sub(spread) % 100,
            (price + spread) / 100,
            (price + spread) % 100,
            self.time_ms,
        )
    }

    fn chat(&mut self) -> String {
        let room = self.pick(&ROOMS);
        let user = self.below(NAMES.len());
        // Ids ordered by time, as most chat services make them.
        let id = (self.time_ms << 12) | (self.seq & 0xfff);
        let mut text = String::new();
        for _ in 0..3 + self.below(22) {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(self.pick(&WORDS));
        }
        let head = format!(
            r#"{{"type":"chat","room":"{room}","id":"msg_{id:016x}","user":{{"id":{},"name":"{}"}},"text":""#,
            1000 + user,
            NAMES[user],
        );
        let tail = format!(r#"","ts":{}}}"#, self.time_ms);
        // The words are ASCII: cutting anywhere leaves valid UTF-8.
        text.truncate(SMALL_JSON_MAX - head.len() - tail.len());
        format!("{head}{text}{tail}")
    }

    fn presence(&mut self) -> String {
        let user = self.below(NAMES.len());
        let status = self.pick(&STATUSES);
        let device = self.pick(&DEVICES);
        format!(
            r#"{{"type":"presence","user":{{"id":{},"name":"{}"}},"status":"{status}","device":"{device}","ts":{}}}"#,
            1000 + user,
            NAMES[user],
            self.time_ms,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{SmallJson, SMALL_JSON_MAX, SMALL_JSON_MIN};

    #[test]
    fn messages_are_small_and_the_stream_is_repeatable() {
        let messages = SmallJson::new(7).messages(2000);
        assert_eq!(messages, SmallJson::new(7).messages(2000));
        assert_ne!(messages, SmallJson::new(8).messages(2000));
        for m in &messages {
            assert!((SMALL_JSON_MIN..=SMALL_JSON_MAX).contains(&m.len()), "{m}");
        }
        let average = messages.iter().map(String::len).sum::<usize>() / messages.len();
        assert!((120..=240).contains(&average), "average {average} bytes");
    }
}
