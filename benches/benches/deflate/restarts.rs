//! `deflate/restarts`: what a compressed message costs per input byte when
//! it is built to make the inflater restart, against an ordinary compressed
//! message of the same size, through the same server-side engine.
//!
//! - `restarts/8MiB`: one text frame whose payload is `03 00` repeated to
//!   8 MiB: each pair is an empty DEFLATE block with BFINAL set, so the
//!   payload inflates to nothing while ending (and, after it, starting) a
//!   DEFLATE stream every two bytes (RFC 7692 §7.2.3.4 allows streams that
//!   end with BFINAL; the decoder starts a new one for what follows).
//! - `ordinary/8MiB`: one text frame of about 8 MiB of JSON records
//!   compressed the usual way (raw deflate, level 6, window 15, a sync
//!   flush every 64 KiB of text, the last flush's tail removed).
//!
//! One iteration hands one masked client frame to a fresh server-role
//! `Protocol` (built outside timing, permessage-deflate negotiated with the
//! default [`DeflateConfig`], a 256 MiB message limit) with `receive_next`,
//! which unmasks and inflates in place; throughput is the frame's payload
//! size, so the two ids compare per input byte. Whether the engine accepts
//! the restart frame or closes the connection on it, the iteration ends
//! there. Before timing, the CPU time per MiB of each input is measured over
//! a few runs (`getrusage`) and printed with their ratio.

use super::{LEVEL, WINDOW_BITS};
use benches::{json_payload, self_cpu};
use criterion::{BatchSize, Criterion, Throughput};
use flate2::{Compress, Compression, FlushCompress};
use sockwell_core::{Limits, Protocol, Role, WebSocketConfig};
use sockwell_deflate::DeflateConfig;
use sockwell_extensions::{client_confirm, client_offer, server_negotiate};

/// Size of each input, in payload bytes (the ordinary one ends at the first
/// sync flush past it).
const INPUT: usize = 8 << 20;

/// The mask key of every frame (any key will do; not zero, so unmasking
/// does the work it does on a real connection).
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// Runs that the printed CPU figures average over.
const CPU_RUNS: usize = 3;

pub(crate) fn restarts(c: &mut Criterion) {
    let restart_payload: Vec<u8> = [0x03, 0x00].repeat(INPUT / 2);
    let ordinary_payload = ordinary_compressed();
    let inputs = [
        ("restarts", masked_text_frame(&restart_payload)),
        ("ordinary", masked_text_frame(&ordinary_payload)),
    ];
    let sizes = [restart_payload.len(), ordinary_payload.len()];

    let mut per_mib = [0.0; 2];
    for (i, (name, frame)) in inputs.iter().enumerate() {
        let outcome = run(server(), &mut frame.clone());
        let mut cpu = 0.0;
        for _ in 0..CPU_RUNS {
            let (mut server, mut frame) = (server(), frame.clone());
            let start = self_cpu();
            std::hint::black_box(run_in(&mut server, &mut frame));
            cpu += self_cpu() - start;
        }
        per_mib[i] = cpu / CPU_RUNS as f64 / (sizes[i] as f64 / (1 << 20) as f64);
        eprintln!(
            "deflate/restarts/{name}: {} payload bytes, {:.4} s CPU per MiB of input; {outcome}",
            sizes[i], per_mib[i]
        );
    }
    eprintln!(
        "deflate/restarts: CPU per input byte, 03 00 pairs / ordinary compressed text = {:.2}",
        per_mib[0] / per_mib[1]
    );

    let mut group = c.benchmark_group("deflate/restarts");
    group.sample_size(10);
    for ((name, frame), size) in inputs.iter().zip(sizes) {
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(format!("{name}/8MiB"), |b| {
            b.iter_batched(
                || (server(), frame.clone()),
                |(mut server, mut frame)| run_in(&mut server, &mut frame),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

/// A server-role engine with permessage-deflate negotiated from the
/// default config, and room for a large decoded message.
fn server() -> Protocol {
    let client = vec![DeflateConfig::default().into_factory()];
    let server = vec![DeflateConfig::default().into_factory()];
    let offer = client_offer(&client).expect("an offer");
    let (answer, stack) = server_negotiate(&server, [offer.as_bytes()]).expect("an answer");
    client_confirm(&client, [answer.expect("accepted").as_bytes()]).expect("confirmed");
    let limits = Limits::default()
        .with_max_frame_size(INPUT * 2)
        .with_max_message_size(256 << 20);
    Protocol::new(Role::Server, WebSocketConfig::default().with_limits(limits))
        .with_extensions(stack)
}

/// Hands `frame` to `server`; the outcome, for the printed line.
fn run(mut server: Protocol, frame: &mut [u8]) -> String {
    match server.receive_next(frame) {
        Ok(Some(message)) => format!("accepted, {} bytes decoded", message.len()),
        Ok(None) => "incomplete".to_owned(),
        Err(e) => format!("refused: {e}"),
    }
}

/// The timed part: decode `frame`, whatever the outcome.
fn run_in(server: &mut Protocol, frame: &mut [u8]) -> bool {
    server.receive_next(frame).is_ok()
}

/// JSON text compressed as a peer does it, sync flushes included, until
/// the compressed bytes pass [`INPUT`]; the last flush's tail removed.
fn ordinary_compressed() -> Vec<u8> {
    let mut zlib = Compress::new_with_window_bits(Compression::new(LEVEL), false, WINDOW_BITS);
    let mut out = Vec::with_capacity(INPUT + (1 << 20));
    let mut seed = 0;
    while out.len() < INPUT {
        let text = json_payload(64 << 10, seed);
        seed += 1;
        let start = zlib.total_in();
        loop {
            let done = (zlib.total_in() - start) as usize;
            out.reserve(64 << 10);
            zlib.compress_vec(&text.as_bytes()[done..], &mut out, FlushCompress::Sync)
                .expect("compress");
            if (zlib.total_in() - start) as usize == text.len() && out.len() < out.capacity() {
                break;
            }
        }
    }
    assert!(out.ends_with(&super::TAIL));
    out.truncate(out.len() - super::TAIL.len());
    out
}

/// One masked client text frame with RSV1 (compressed) carrying `payload`.
fn masked_text_frame(payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x80 | 0x40 | 0x01, 0x80 | 127];
    frame.extend_from_slice(&(payload.len() as u64).to_be_bytes());
    frame.extend_from_slice(&MASK);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    frame
}
