//! Shared fixtures for the criterion benchmarks under `benches/benches/`.
//!
//! Nothing here touches the network: every benchmark runs over in-memory
//! streams so that what is measured is the WebSocket code, not the kernel.
//!
//! Everything is re-exported here, at the crate root; the fixtures live in
//! one module per concept:
//!
//! - `streams` (`src/streams.rs`), the in-memory streams:
//!   - [`ReplayStream`]: serves a pre-encoded byte buffer (a
//!     [`Cursor`](std::io::Cursor) over a borrowed slice) and discards writes;
//!     rewind it to replay the same bytes. This is the read side of a
//!     benchmark whose input was encoded once, outside the timed loop.
//!   - [`SinkStream`]: appends every write to a `Vec<u8>` that keeps its
//!     capacity across iterations, and has nothing to read. The write side.
//!   - [`duplex`]: a connected pair of in-memory streams ([`PipeEnd`]), for a
//!     full client-to-server round trip through two drivers.
//! - `payloads` (`src/payloads.rs`), the workload, so that every
//!   implementation gets the same one:
//!   - [`SIZES`], [`message_count`], [`size_label`]: the message sizes, the
//!     messages per iteration and the labels used in benchmark ids.
//!   - [`text_payload`], [`binary_payload`], [`Kind`]: the payloads and the
//!     message kinds of the message benchmarks.
//!   - [`json_payload`], [`random_payload`]: seeded payloads for the
//!     compression benchmarks (repetitive JSON records, incompressible bytes).
//! - `small_json` (`src/small_json.rs`): [`SmallJson`], a seeded stream of
//!   small JSON messages (ticker, chat, presence; 70–320 bytes), the traffic
//!   context takeover is for. sockwell-deflate's tests include the file by path.
//! - `engine` (`src/engine.rs`), fixtures on `sockwell_core`'s engine:
//!   - [`encode_client_messages`]: the wire bytes of N masked client frames,
//!     encoded with `sockwell_core`'s engine.
//!   - [`deflate_pair`], [`deliver`]: a client and a server
//!     [`Protocol`](sockwell_core::Protocol) with permessage-deflate negotiated the
//!     way a handshake does it, and one message carried from one to the other.
//! - `cpu` (`src/cpu.rs`), for the echo load tool: [`pin_to_cpu`],
//!   [`process_cpu`], [`self_cpu`]; for the criterion benches that move
//!   large messages: [`steady_allocator`].

mod cpu;
mod engine;
mod payloads;
mod small_json;
mod streams;

pub use cpu::{pin_to_cpu, process_cpu, self_cpu, steady_allocator};
pub use engine::{deflate_pair, deliver, encode_client_messages};
pub use payloads::{
    binary_payload, json_payload, message_count, random_payload, size_label, text_payload, Kind,
    BYTES_PER_ITERATION, MAX_MESSAGES_PER_ITERATION, SIZES,
};
pub use small_json::{SmallJson, SMALL_JSON_MAX, SMALL_JSON_MIN};
pub use streams::{duplex, PipeEnd, ReplayStream, SinkStream};
