//! Echo load on loopback: starts each `echo_server` implementation pinned
//! to one core, drives it from this process pinned to the other, and reports
//! messages per second and the server's CPU time per echoed message.
//!
//! ```text
//! cargo build --release -p benches --example echo_server --example echo_load
//! target/release/examples/echo_load [--rounds 12] [--secs 0.5] [--impls a,b] [--cases a,b] [--json FILE]
//!     [--baseline PATH]
//! ```
//!
//! `--baseline PATH` also runs our implementations from another build of
//! `echo_server` (say, of the commit before a change), labelled
//! `ours-…@base`, in the same rounds: a change measured against what it
//! changes, in one run.
//!
//! Per case, every implementation's server is started and connected at
//! once; then the rounds run: in each, every implementation in turn gets a
//! slice of `--secs` under load while the others' connections sit idle
//! (an idle server uses no CPU); each round starts one implementation
//! further along, so none always goes first. Slices of a fraction of a
//! second, one implementation after another, spread the shared machine's
//! bursts of load over all implementations instead of hitting whichever
//! happened to run in a second-long window; the summary gives each
//! figure's median over the rounds. Each server's CPU time is the
//! scheduler's count in nanoseconds (see `benches::process_cpu`), read
//! before a slice and after its last reply arrived, so it covers exactly
//! the messages counted. The load generator is a minimal client (pre-built masked frames, replies
//! counted by their headers), checks the first echo of every connection
//! byte for byte, and reports its own CPU use so a saturated generator is
//! visible. In the `deflate-*` cases the client offers `permessage-deflate;
//! client_no_context_takeover` (so it can resend one pre-compressed frame)
//! and the server compresses at level 1 with a 32 KiB window and context
//! takeover.
//!
//! The `json-*` cases send small JSON messages (`benches::SmallJson`), each
//! connection a cycle of 256 distinct ones in order, and offer what
//! browsers offer, `permessage-deflate; client_max_window_bits`. The client
//! compresses the cycle once per server answer (level 6, a window of at
//! most 2^12 and no more than the answer allows): with the client's context
//! takeover, one compressor across the cycle, whose first message starts
//! from a fresh state and so can follow the cycle's last; with
//! `client_no_context_takeover`, each message alone. The servers run their
//! library's default permessage-deflate config (`ours-async`, `ours-sync`,
//! `sockudo-ws`), and ours also with owned zlib states and context takeover
//! at window 12 (`ours-*-owned`) and without context takeover
//! (`ours-*-none`): `echo_server --deflate-mode default|owned|none`. Each
//! sample also gives the ratio of plain payload bytes to echoed bytes on
//! the wire (frame headers included).

#![allow(missing_docs)]

use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod client;
mod config;
mod frames;

use benches::{pin_to_cpu, process_cpu, self_cpu};
use client::connection;
use config::{parse_args, server_of, Args, Case, CASES};
use frames::Frames;

struct Sample {
    msgs_per_s: f64,
    server_us_per_msg: f64,
    server_cpu: f64,
    load_cpu: f64,
    /// Plain payload bytes per echoed byte on the wire (frame headers
    /// included): the compression ratio the client sees.
    wire_ratio: f64,
}

fn main() {
    let args = parse_args();
    pin_to_cpu(1);
    let server_bin = std::env::current_exe()
        .unwrap()
        .with_file_name("echo_server");
    assert!(
        server_bin.exists(),
        "build the echo_server example first (see the doc comment)"
    );
    let cases: Vec<Case> = CASES
        .iter()
        .copied()
        .filter(|c| args.cases.is_empty() || args.cases.iter().any(|n| n == c.name))
        .collect();
    let mut json = args
        .json
        .as_ref()
        .map(|p| std::fs::File::create(p).expect("--json file"));
    let mut results: Vec<(String, String, Vec<Sample>)> = Vec::new();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for case in &cases {
        let mut impls: Vec<Impl> = case
            .impls()
            .iter()
            .filter(|i| args.impls.is_empty() || args.impls.iter().any(|n| n == *i))
            .map(|i| Impl {
                label: i.to_string(),
                name: i,
                bin: server_bin.clone(),
            })
            .collect();
        if let Some(base) = &args.baseline {
            let ours: Vec<&str> = impls
                .iter()
                .map(|i| i.name)
                .filter(|n| n.starts_with("ours-"))
                .collect();
            impls.extend(ours.into_iter().map(|name| Impl {
                label: format!("{name}@base"),
                name,
                bin: base.clone(),
            }));
        }
        if impls.is_empty() {
            continue;
        }
        let frames = Rc::new(Frames::new(case));
        let samples = rt.block_on(run_case(&impls, case, &frames, &args));
        for (round, imp, sample) in samples {
            eprintln!(
                "round {round} {:<17} {:<21} {:>10.0} msg/s {:>9.2} µs/msg server {:>4.0}% load {:>4.0}% wire {:>6.2}:1",
                case.name, imp, sample.msgs_per_s, sample.server_us_per_msg,
                sample.server_cpu * 100.0, sample.load_cpu * 100.0, sample.wire_ratio
            );
            if let Some(f) = json.as_mut() {
                writeln!(
                    f,
                    r#"{{"round":{round},"case":"{}","impl":"{imp}","conns":{},"size":{},"msg_bytes":{:.1},"in_flight":{},"deflate":{},"json":{},"msgs_per_s":{:.1},"server_us_per_msg":{:.3},"server_cpu":{:.3},"load_cpu":{:.3},"wire_ratio":{:.3}}}"#,
                    case.name, case.conns, case.size, frames.average_size(), case.in_flight,
                    case.deflate, case.json(), sample.msgs_per_s, sample.server_us_per_msg,
                    sample.server_cpu, sample.load_cpu, sample.wire_ratio
                )
                .unwrap();
            }
            match results
                .iter_mut()
                .find(|(c, i, _)| c == case.name && i == imp)
            {
                Some((_, _, samples)) => samples.push(sample),
                None => results.push((case.name.into(), imp.to_string(), vec![sample])),
            }
        }
    }
    println!(
        "| case | implementation | msgs/s | server CPU µs/msg | server CPU | load generator CPU | wire ratio |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    for (case, imp, samples) in &results {
        let med = |f: fn(&Sample) -> f64| median(samples.iter().map(f).collect());
        println!(
            "| {case} | {imp} | {:.0} | {:.2} | {:.0}% | {:.0}% | {:.2} |",
            med(|s| s.msgs_per_s),
            med(|s| s.server_us_per_msg),
            med(|s| s.server_cpu) * 100.0,
            med(|s| s.load_cpu) * 100.0,
            med(|s| s.wire_ratio)
        );
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One server to measure: `name` (an implementation of `config`, which
/// [`server_of`] maps to `echo_server`'s IMPL and mode) run from `bin`,
/// reported as `label`.
struct Impl {
    label: String,
    name: &'static str,
    bin: PathBuf,
}

/// Starts `echo_server IMPL` pinned to CPU 0; returns it and its address.
/// The pattern cases with compression run it with `--deflate`; the JSON
/// cases with `--deflate-mode` and the mode `imp` names.
fn start_server(bin: &Path, imp: &str, case: &Case) -> (Server, String) {
    let (server, mode) = server_of(imp);
    let mut cmd = Command::new(bin);
    cmd.arg(server).args(["--cpu", "0"]).stdout(Stdio::piped());
    if case.json() {
        cmd.args(["--deflate-mode", mode]);
    } else if case.deflate {
        cmd.arg("--deflate");
    }
    let mut server = Server(cmd.spawn().expect("start echo_server"));
    let mut line = String::new();
    BufReader::new(server.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .expect("server address")
        .to_string();
    (server, addr)
}

/// One implementation's connections during a case: switched on for its
/// slices, counting echoes, and how many are in the middle of one.
pub(crate) struct Slot {
    pub(crate) count: AtomicU64,
    pub(crate) busy: AtomicUsize,
    /// Plain payload bytes of the echoed messages counted.
    pub(crate) plain: AtomicU64,
    /// Their bytes on the wire, frame headers included.
    pub(crate) wire: AtomicU64,
}

/// Runs one case: every implementation's server started and connected,
/// a warm-up slice each, then `args.rounds` rounds of one slice each.
/// Returns (round, implementation, sample) in the order they ran.
async fn run_case<'a>(
    impls: &'a [Impl],
    case: &Case,
    frames: &Rc<Frames>,
    args: &Args,
) -> Vec<(usize, &'a str, Sample)> {
    let servers: Vec<(Server, String)> = impls
        .iter()
        .map(|imp| start_server(&imp.bin, imp.name, case))
        .collect();
    let local = tokio::task::LocalSet::new();
    let samples = local
        .run_until(async {
            let mut slots = Vec::new();
            for (imp, (server, addr)) in impls.iter().zip(&servers) {
                let slot = Rc::new(Slot {
                    count: AtomicU64::new(0),
                    busy: AtomicUsize::new(0),
                    plain: AtomicU64::new(0),
                    wire: AtomicU64::new(0),
                });
                let (on, active) = tokio::sync::watch::channel(false);
                let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(case.conns);
                for _ in 0..case.conns {
                    let (addr, frames) = (addr.clone(), frames.clone());
                    let (slot, active, ready) = (slot.clone(), active.clone(), ready_tx.clone());
                    let (case, imp) = (*case, imp.label.clone());
                    tokio::task::spawn_local(async move {
                        if let Err(e) =
                            connection(&addr, &case, &frames, &slot, active, ready).await
                        {
                            panic!("{imp} connection: {e}");
                        }
                    });
                }
                for _ in 0..case.conns {
                    tokio::time::timeout(Duration::from_secs(30), ready_rx.recv())
                        .await
                        .expect("connections ready in 30 s")
                        .expect("a connection failed");
                }
                slots.push((imp.label.as_str(), server.0.id(), slot, on));
            }
            for (_, pid, slot, on) in &slots {
                slice(*pid, slot, on, 0.3).await; // warm-up
            }
            let mut samples = Vec::new();
            for round in 1..=args.rounds {
                // Each round starts with the next implementation, so none
                // always runs first.
                let first = (round - 1) % slots.len();
                for (imp, pid, slot, on) in slots[first..].iter().chain(&slots[..first]) {
                    samples.push((round, *imp, slice(*pid, slot, on, args.secs).await));
                }
            }
            samples
            // Dropping the slots' senders ends the connections' loops.
        })
        .await;
    drop(local);
    drop(servers);
    samples
}

/// One slice: the slot's connections echo for `secs`, then finish the
/// exchange they are in; the server's CPU time and the echoes counted from
/// before the start to after the last reply.
async fn slice(pid: u32, slot: &Slot, on: &tokio::sync::watch::Sender<bool>, secs: f64) -> Sample {
    let (p0, w0) = (
        slot.plain.load(Ordering::Relaxed),
        slot.wire.load(Ordering::Relaxed),
    );
    let (n0, c0, l0, t0) = (
        slot.count.load(Ordering::Relaxed),
        process_cpu(pid),
        self_cpu(),
        Instant::now(),
    );
    on.send_replace(true);
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    on.send_replace(false);
    let drained = Instant::now();
    while slot.busy.load(Ordering::Relaxed) > 0 {
        assert!(
            drained.elapsed() < Duration::from_secs(30),
            "connections still busy 30 s after their slice"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let (n1, c1, l1, t1) = (
        slot.count.load(Ordering::Relaxed),
        process_cpu(pid),
        self_cpu(),
        Instant::now(),
    );
    let (p1, w1) = (
        slot.plain.load(Ordering::Relaxed),
        slot.wire.load(Ordering::Relaxed),
    );
    let elapsed = (t1 - t0).as_secs_f64();
    let n = (n1 - n0).max(1) as f64;
    Sample {
        msgs_per_s: n / elapsed,
        server_us_per_msg: (c1 - c0) * 1e6 / n,
        server_cpu: (c1 - c0) / elapsed,
        load_cpu: (l1 - l0) / elapsed,
        wire_ratio: (p1 - p0) as f64 / (w1 - w0).max(1) as f64,
    }
}
