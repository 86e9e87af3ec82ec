//! Prints the first N messages of [`benches::SmallJson`] from SEED, one per
//! line: the corpus of `benches/small-json-compare.py`, so that a client
//! written in another language sends exactly the stream the Rust benchmarks
//! and tests use. The messages are single-line JSON (no newline inside).
//!
//! Usage: `small-json N SEED`.

use std::io::{BufWriter, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [count, seed] = &args[..] else {
        return Err("usage: small-json N SEED".into());
    };
    let count: usize = count.parse()?;
    let seed: u64 = seed.parse()?;
    let mut stream = benches::SmallJson::new(seed);
    let mut out = BufWriter::new(std::io::stdout().lock());
    for _ in 0..count {
        let message = stream.next_message();
        // One record per line is the format: a newline inside would break it.
        if message.contains('\n') {
            return Err(format!("a message holds a newline: {message:?}").into());
        }
        writeln!(out, "{message}")?;
    }
    out.flush()?;
    Ok(())
}
