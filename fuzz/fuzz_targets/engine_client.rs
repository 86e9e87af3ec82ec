//! The engine as a client, fed arbitrary bytes in arbitrary chunks, with and
//! without permessage-deflate: no panic, no message past the limit, bounded
//! output, and every failure closes with 1002, 1007 or 1009.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockwell_core::Role;

fuzz_target!(|data: &[u8]| ws_fuzz::drive_engine(Role::Client, data));
