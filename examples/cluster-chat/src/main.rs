//! `cluster-chat --listen ADDR --redis redis://HOST:PORT/ [--node NAME]`: one
//! node of a chat whose nodes meet on Redis pub/sub. Clients connect to
//! `ws://ADDR/ROOM`; see the crate's README.md.

use std::process::ExitCode;

use sockwell_cluster_chat::node::{run, NodeConfig};
use sockwell_cluster_chat::valid_name;

const USAGE: &str = "usage: cluster-chat --listen ADDR --redis redis://HOST:PORT/ [--node NAME]";

fn parse(mut args: impl Iterator<Item = String>) -> Result<NodeConfig, String> {
    let (mut listen, mut redis, mut node) = (None, None, None);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--listen" => {
                listen = Some(
                    value
                        .parse()
                        .map_err(|e| format!("--listen {value}: {e}"))?,
                )
            }
            "--redis" => redis = Some(value),
            "--node" => node = Some(value),
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    let listen = listen.ok_or("--listen is required")?;
    let node = node.unwrap_or_else(|| format!("node-{}", std::process::id()));
    if !valid_name(&node) {
        return Err(format!(
            "--node {node}: letters, digits, _ - . only (at most 64)"
        ));
    }
    Ok(NodeConfig {
        listen,
        redis: redis.ok_or("--redis is required")?,
        node,
    })
}

fn main() -> ExitCode {
    let config = match parse(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cluster-chat: {e}");
            ExitCode::FAILURE
        }
    }
}
