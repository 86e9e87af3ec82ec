//! Echo load on loopback: starts each `echo_server` implementation in turn,
//! pinned to one core, drives it from this process pinned to the other, and
//! reports messages per second and the server's CPU time per echoed message.
//!
//! ```text
//! cargo build --release -p benches --example echo_server --example echo_load
//! target/release/examples/echo_load [--rounds 3] [--secs 2] [--impls a,b] [--cases a,b] [--json FILE]
//! ```
//!
//! Rounds are interleaved (round 1 of every case and implementation, then
//! round 2, ...), so a change in the machine's load spreads over all of them;
//! the summary gives each figure's median over the rounds. The load
//! generator is a minimal client (pre-built masked frames, replies counted
//! by their headers), checks the first echo of every connection byte for
//! byte, and reports its own CPU use so a saturated generator is visible.
//! With compression the client offers `permessage-deflate;
//! client_no_context_takeover` (so it can resend one pre-compressed frame)
//! and the server compresses at level 1 with a 32 KiB window and context
//! takeover.

#![allow(missing_docs)]

use std::io::{BufRead, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod client;

use benches::{pin_to_cpu, process_cpu, self_cpu};
use client::{client_frame, connection, payload};

const IMPLS: &[&str] = &[
    "ours-async",
    "ours-sync",
    "tungstenite",
    "tokio-tungstenite",
    "fastwebsockets",
    "sockudo-ws",
];
const DEFLATE_IMPLS: &[&str] = &["ours-async", "ours-sync", "sockudo-ws"];

#[derive(Clone, Copy)]
struct Case {
    name: &'static str,
    conns: usize,
    size: usize,
    in_flight: usize,
    deflate: bool,
}

const CASES: &[Case] = &[
    Case {
        name: "100x20B",
        conns: 100,
        size: 20,
        in_flight: 1,
        deflate: false,
    },
    Case {
        name: "100x20B-8",
        conns: 100,
        size: 20,
        in_flight: 8,
        deflate: false,
    },
    Case {
        name: "500x20B",
        conns: 500,
        size: 20,
        in_flight: 1,
        deflate: false,
    },
    Case {
        name: "100x1KiB",
        conns: 100,
        size: 1024,
        in_flight: 1,
        deflate: false,
    },
    Case {
        name: "10x1MiB",
        conns: 10,
        size: 1 << 20,
        in_flight: 1,
        deflate: false,
    },
    Case {
        name: "deflate-100x1KiB",
        conns: 100,
        size: 1024,
        in_flight: 1,
        deflate: true,
    },
    Case {
        name: "deflate-10x16KiB",
        conns: 10,
        size: 16 << 10,
        in_flight: 1,
        deflate: true,
    },
    Case {
        name: "deflate-4x1MiB",
        conns: 4,
        size: 1 << 20,
        in_flight: 1,
        deflate: true,
    },
];

struct Args {
    rounds: usize,
    secs: f64,
    impls: Vec<String>,
    cases: Vec<String>,
    json: Option<String>,
}

fn parse_args() -> Args {
    let mut args = Args {
        rounds: 3,
        secs: 2.0,
        impls: vec![],
        cases: vec![],
        json: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--rounds" => args.rounds = value().parse().expect("--rounds N"),
            "--secs" => args.secs = value().parse().expect("--secs SECONDS"),
            "--impls" => args.impls = value().split(',').map(str::to_string).collect(),
            "--cases" => args.cases = value().split(',').map(str::to_string).collect(),
            "--json" => args.json = Some(value()),
            _ => {
                panic!("unknown argument {a}; see the doc comment of benches/examples/echo_load/main.rs")
            }
        }
    }
    args
}

struct Sample {
    msgs_per_s: f64,
    server_us_per_msg: f64,
    server_cpu: f64,
    load_cpu: f64,
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
    for round in 1..=args.rounds {
        for case in &cases {
            let impls = if case.deflate { DEFLATE_IMPLS } else { IMPLS };
            for imp in impls
                .iter()
                .filter(|i| args.impls.is_empty() || args.impls.iter().any(|n| n == *i))
            {
                let sample = rt.block_on(run_one(&server_bin, imp, case, args.secs));
                eprintln!(
                    "round {round} {:<17} {:<17} {:>10.0} msg/s {:>9.2} µs/msg server {:>4.0}% load {:>4.0}%",
                    case.name, imp, sample.msgs_per_s, sample.server_us_per_msg,
                    sample.server_cpu * 100.0, sample.load_cpu * 100.0
                );
                if let Some(f) = json.as_mut() {
                    writeln!(
                        f,
                        r#"{{"round":{round},"case":"{}","impl":"{imp}","conns":{},"size":{},"in_flight":{},"deflate":{},"msgs_per_s":{:.1},"server_us_per_msg":{:.3},"server_cpu":{:.3},"load_cpu":{:.3}}}"#,
                        case.name, case.conns, case.size, case.in_flight, case.deflate,
                        sample.msgs_per_s, sample.server_us_per_msg, sample.server_cpu, sample.load_cpu
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
    }
    println!(
        "| case | implementation | msgs/s | server CPU µs/msg | server CPU | load generator CPU |"
    );
    println!("|---|---|---:|---:|---:|---:|");
    for (case, imp, samples) in &results {
        let med = |f: fn(&Sample) -> f64| median(samples.iter().map(f).collect());
        println!(
            "| {case} | {imp} | {:.0} | {:.2} | {:.0}% | {:.0}% |",
            med(|s| s.msgs_per_s),
            med(|s| s.server_us_per_msg),
            med(|s| s.server_cpu) * 100.0,
            med(|s| s.load_cpu) * 100.0
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

async fn run_one(bin: &std::path::Path, imp: &str, case: &Case, secs: f64) -> Sample {
    let mut cmd = Command::new(bin);
    cmd.arg(imp).args(["--cpu", "0"]).stdout(Stdio::piped());
    if case.deflate {
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

    let payload = Rc::new(payload(case.size));
    let frame = Rc::new(client_frame(&payload, case.deflate).repeat(case.in_flight));
    let count = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(case.conns);
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async {
            for _ in 0..case.conns {
                let (addr, payload, frame) = (addr.clone(), payload.clone(), frame.clone());
                let (count, stop, ready) = (count.clone(), stop.clone(), ready_tx.clone());
                let case = *case;
                tokio::task::spawn_local(async move {
                    if let Err(e) =
                        connection(&addr, &case, &payload, &frame, &count, &stop, ready).await
                    {
                        if !stop.load(Ordering::Relaxed) {
                            panic!("connection: {e}");
                        }
                    }
                });
            }
            for _ in 0..case.conns {
                tokio::time::timeout(Duration::from_secs(30), ready_rx.recv())
                    .await
                    .expect("connections ready in 30 s")
                    .expect("a connection failed");
            }
            tokio::time::sleep(Duration::from_millis(500)).await; // warm-up
            let (n0, c0, l0, t0) = (
                count.load(Ordering::Relaxed),
                process_cpu(server.0.id()),
                self_cpu(),
                Instant::now(),
            );
            tokio::time::sleep(Duration::from_secs_f64(secs)).await;
            let (n1, c1, l1, t1) = (
                count.load(Ordering::Relaxed),
                process_cpu(server.0.id()),
                self_cpu(),
                Instant::now(),
            );
            stop.store(true, Ordering::Relaxed);
            let elapsed = (t1 - t0).as_secs_f64();
            let n = (n1 - n0).max(1) as f64;
            Sample {
                msgs_per_s: n / elapsed,
                server_us_per_msg: (c1 - c0) * 1e6 / n,
                server_cpu: (c1 - c0) / elapsed,
                load_cpu: (l1 - l0) / elapsed,
            }
        })
        .await
}
