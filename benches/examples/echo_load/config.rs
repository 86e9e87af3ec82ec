//! What a run covers: the implementations, the cases, and the command line
//! that picks among them.

use std::path::PathBuf;

pub(crate) const IMPLS: &[&str] = &[
    "ours-async",
    "ours-sync",
    "tungstenite",
    "tokio-tungstenite",
    "fastwebsockets",
    "sockudo-ws",
];
pub(crate) const DEFLATE_IMPLS: &[&str] = &["ours-async", "ours-sync", "sockudo-ws"];

#[derive(Clone, Copy)]
pub(crate) struct Case {
    pub(crate) name: &'static str,
    pub(crate) conns: usize,
    pub(crate) size: usize,
    pub(crate) in_flight: usize,
    pub(crate) deflate: bool,
}

pub(crate) const CASES: &[Case] = &[
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

pub(crate) struct Args {
    pub(crate) rounds: usize,
    pub(crate) secs: f64,
    pub(crate) impls: Vec<String>,
    pub(crate) cases: Vec<String>,
    pub(crate) json: Option<String>,
    pub(crate) baseline: Option<PathBuf>,
}

/// The flags, and the names `--impls` and `--cases` accept.
fn usage() -> String {
    let cases: Vec<&str> = CASES.iter().map(|c| c.name).collect();
    format!(
        "usage: echo_load [--rounds N] [--secs SECONDS] [--impls a,b] [--cases a,b] \
         [--json FILE] [--baseline PATH]\nimpls: {}\ncases: {}\n(all of each by default)",
        IMPLS.join(" "),
        cases.join(" ")
    )
}

/// Prints what went wrong and the usage, and exits with status 2 (no
/// panic backtrace for a mistyped flag).
fn usage_error(problem: &str) -> ! {
    eprintln!("echo_load: {problem}\n{}", usage());
    std::process::exit(2)
}

pub(crate) fn parse_args() -> Args {
    let mut args = Args {
        rounds: 12,
        secs: 0.5,
        impls: vec![],
        cases: vec![],
        json: None,
        baseline: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        if a == "--help" || a == "-h" {
            println!("{}", usage());
            std::process::exit(0);
        }
        let value = it
            .next()
            .unwrap_or_else(|| usage_error(&format!("{a} needs a value")));
        let number = |what: &str| -> f64 {
            match value.parse::<f64>() {
                Ok(n) if n > 0.0 => n,
                _ => usage_error(&format!("{a} takes {what}, not {value:?}")),
            }
        };
        match a.as_str() {
            "--rounds" => {
                args.rounds = value
                    .parse()
                    .ok()
                    .filter(|&n: &usize| n > 0)
                    .unwrap_or_else(|| {
                        usage_error(&format!("{a} takes a number of rounds, not {value:?}"))
                    })
            }
            "--secs" => args.secs = number("a number of seconds"),
            "--impls" => args.impls = value.split(',').map(str::to_string).collect(),
            "--cases" => args.cases = value.split(',').map(str::to_string).collect(),
            "--json" => args.json = Some(value),
            "--baseline" => args.baseline = Some(value.into()),
            _ => usage_error(&format!("unknown argument {a}")),
        }
    }
    if let Some(n) = args
        .cases
        .iter()
        .find(|n| !CASES.iter().any(|c| c.name == *n))
    {
        usage_error(&format!("no case named {n:?}"));
    }
    if let Some(n) = args.impls.iter().find(|n| !IMPLS.contains(&n.as_str())) {
        usage_error(&format!("no implementation named {n:?}"));
    }
    args
}
