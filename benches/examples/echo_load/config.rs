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
/// The implementations of the small-JSON cases: each library's default
/// permessage-deflate config, and ours also with owned zlib states and
/// with no context takeover (see [`server_of`]).
pub(crate) const JSON_IMPLS: &[&str] = &[
    "ours-async",
    "ours-async-owned",
    "ours-async-none",
    "ours-sync",
    "ours-sync-owned",
    "ours-sync-none",
    "sockudo-ws",
];

/// The `echo_server` implementation behind an implementation name, and the
/// `--deflate-mode` it runs with in the small-JSON cases: `ours-async-owned`
/// is `ours-async` in mode `owned`; a name without a mode suffix runs its
/// library's default config.
pub(crate) fn server_of(name: &str) -> (&str, &'static str) {
    for mode in ["owned", "none"] {
        if let Some(server) = name.strip_suffix(mode).and_then(|n| n.strip_suffix('-')) {
            return (server, mode);
        }
    }
    (name, "default")
}

/// What a case's messages are.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Payload {
    /// One message of `size` bytes of a short repeating pattern.
    Pattern,
    /// A cycle of [`JSON_CYCLE`] distinct small JSON messages from
    /// `benches::SmallJson`, one record each (70 to 320 bytes).
    JsonRecord,
    /// A cycle of [`JSON_CYCLE`] distinct JSON arrays of consecutive
    /// `SmallJson` records, each as many as fit in `size` bytes.
    JsonArray,
}

/// How many distinct messages a connection of a JSON case sends, in turn,
/// before it starts over.
pub(crate) const JSON_CYCLE: usize = 256;

#[derive(Clone, Copy)]
pub(crate) struct Case {
    pub(crate) name: &'static str,
    pub(crate) conns: usize,
    /// Bytes per message: the pattern's length; for a JSON array, the
    /// most it may have; for single JSON records, nominal (the cycle's
    /// average is 158).
    pub(crate) size: usize,
    pub(crate) in_flight: usize,
    pub(crate) deflate: bool,
    pub(crate) payload: Payload,
}

impl Case {
    /// The implementations this case can run.
    pub(crate) fn impls(&self) -> &'static [&'static str] {
        match (self.payload, self.deflate) {
            (Payload::Pattern, false) => IMPLS,
            (Payload::Pattern, true) => DEFLATE_IMPLS,
            _ => JSON_IMPLS,
        }
    }

    pub(crate) fn json(&self) -> bool {
        self.payload != Payload::Pattern
    }
}

pub(crate) const CASES: &[Case] = &[
    Case {
        name: "100x20B",
        conns: 100,
        size: 20,
        in_flight: 1,
        deflate: false,
        payload: Payload::Pattern,
    },
    Case {
        name: "100x20B-8",
        conns: 100,
        size: 20,
        in_flight: 8,
        deflate: false,
        payload: Payload::Pattern,
    },
    Case {
        name: "500x20B",
        conns: 500,
        size: 20,
        in_flight: 1,
        deflate: false,
        payload: Payload::Pattern,
    },
    Case {
        name: "100x1KiB",
        conns: 100,
        size: 1024,
        in_flight: 1,
        deflate: false,
        payload: Payload::Pattern,
    },
    Case {
        name: "10x1MiB",
        conns: 10,
        size: 1 << 20,
        in_flight: 1,
        deflate: false,
        payload: Payload::Pattern,
    },
    Case {
        name: "deflate-100x1KiB",
        conns: 100,
        size: 1024,
        in_flight: 1,
        deflate: true,
        payload: Payload::Pattern,
    },
    Case {
        name: "deflate-10x16KiB",
        conns: 10,
        size: 16 << 10,
        in_flight: 1,
        deflate: true,
        payload: Payload::Pattern,
    },
    Case {
        name: "deflate-4x1MiB",
        conns: 4,
        size: 1 << 20,
        in_flight: 1,
        deflate: true,
        payload: Payload::Pattern,
    },
    Case {
        name: "json-100x200B",
        conns: 100,
        size: 200,
        in_flight: 1,
        deflate: true,
        payload: Payload::JsonRecord,
    },
    Case {
        name: "json-100x1KiB",
        conns: 100,
        size: 1024,
        in_flight: 1,
        deflate: true,
        payload: Payload::JsonArray,
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
        all_impls().join(" "),
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
    if let Some(n) = args
        .impls
        .iter()
        .find(|n| !all_impls().contains(&n.as_str()))
    {
        usage_error(&format!("no implementation named {n:?}"));
    }
    args
}

/// Every implementation name, each once.
fn all_impls() -> Vec<&'static str> {
    let mut all: Vec<&str> = IMPLS.to_vec();
    all.extend(JSON_IMPLS.iter().filter(|i| !IMPLS.contains(i)));
    all
}
