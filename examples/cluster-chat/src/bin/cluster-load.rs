//! `cluster-load [--nodes 3] [--subscribers 1000] [--secs 5] [--window 64]`:
//! a bounded load run. Starts a `redis-server` of its own (from PATH) and
//! `--nodes` `cluster-chat` nodes (the binary beside this one), connects
//! `--subscribers` members to one room on each node (permessage-deflate
//! offered) and one publisher per node, lets each publisher keep `--window`
//! messages in flight (sent, not yet back through Redis) for `--secs`
//! seconds, and prints the messages delivered per second across all
//! subscribers, with any disconnection or order violation seen.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use sockwell_client::{ClientBuilder, ClientConfig, DeflateConfig, Message};
use sockwell_cluster_chat::harness::{NodeProcess, RedisServer};
use sockwell_cluster_chat::{Chat, Welcome};
use tokio::sync::Semaphore;

struct Args {
    nodes: usize,
    subscribers: usize,
    secs: f64,
    window: usize,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        nodes: 3,
        subscribers: 1000,
        secs: 5.0,
        window: 64,
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--nodes" => parsed.nodes = value.parse().map_err(|e| bad(&e))?,
            "--subscribers" => parsed.subscribers = value.parse().map_err(|e| bad(&e))?,
            "--secs" => parsed.secs = value.parse().map_err(|e| bad(&e))?,
            "--window" => parsed.window = value.parse().map_err(|e| bad(&e))?,
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    if parsed.nodes == 0 || parsed.window == 0 || !(0.1..=60.0).contains(&parsed.secs) {
        return Err("--nodes and --window at least 1, --secs within 0.1..=60".into());
    }
    Ok(parsed)
}

#[derive(Default)]
struct Counters {
    welcomed: AtomicU64,
    delivered: AtomicU64,
    published: AtomicU64,
    disconnected: AtomicU64,
    out_of_order: AtomicU64,
}

/// One subscriber: counts what it receives and checks each publisher's
/// sequence numbers go up by one.
async fn subscriber(url: String, counters: Arc<Counters>, connecting: Arc<Semaphore>) {
    let permit = connecting.acquire().await.expect("open");
    let config = ClientConfig::default().with_extension(DeflateConfig::default());
    let Ok((mut ws, _)) = ClientBuilder::new(url.as_str())
        .config(config)
        .connect_async()
        .await
    else {
        counters.disconnected.fetch_add(1, Ordering::Relaxed);
        return;
    };
    match ws.next().await {
        Some(Ok(message)) if message.as_text().and_then(Welcome::parse).is_some() => {
            counters.welcomed.fetch_add(1, Ordering::Relaxed);
        }
        _ => {
            counters.disconnected.fetch_add(1, Ordering::Relaxed);
            return;
        }
    }
    drop(permit);
    let mut last: HashMap<(String, u64), u64> = HashMap::new();
    while let Some(Ok(message)) = ws.next().await {
        if let Some(chat) = message.as_text().and_then(Chat::parse) {
            let seq = last.entry((chat.node, chat.client)).or_insert(0);
            if *seq != 0 && chat.seq != *seq + 1 {
                counters.out_of_order.fetch_add(1, Ordering::Relaxed);
            }
            *seq = chat.seq;
            counters.delivered.fetch_add(1, Ordering::Relaxed);
        }
    }
    counters.disconnected.fetch_add(1, Ordering::Relaxed);
}

/// One publisher: keeps `window` messages in flight until `until`.
async fn publisher(url: String, window: usize, until: Instant, counters: Arc<Counters>) {
    let (ws, _) = ClientBuilder::new(url.as_str())
        .connect_async()
        .await
        .expect("publisher connects");
    let (mut reader, mut writer) = ws.into_split();
    let me = match reader.next().await {
        Some(Ok(Message::Text(text))) => Welcome::parse(&text).expect("welcome"),
        other => panic!("no welcome: {other:?}"),
    };
    let credits = Arc::new(Semaphore::new(window));
    let acks = Arc::clone(&credits);
    let echoes = tokio::spawn(async move {
        while let Some(Ok(message)) = reader.next().await {
            if let Some(chat) = message.as_text().and_then(Chat::parse) {
                if chat.node == me.node && chat.client == me.client {
                    acks.add_permits(1);
                }
            }
        }
    });
    let payload = "x".repeat(64);
    while Instant::now() < until {
        let Ok(Ok(credit)) =
            tokio::time::timeout(Duration::from_millis(100), credits.acquire()).await
        else {
            continue;
        };
        credit.forget();
        if writer.send(Message::text(payload.as_str())).await.is_err() {
            break;
        }
        counters.published.fetch_add(1, Ordering::Relaxed);
    }
    echoes.abort();
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!(
                "{e}\nusage: cluster-load [--nodes 3] [--subscribers 1000] [--secs 5] [--window 64]"
            );
            return ExitCode::from(2);
        }
    };
    let exe: PathBuf = std::env::current_exe()
        .expect("own path")
        .with_file_name(format!("cluster-chat{}", std::env::consts::EXE_SUFFIX));
    let redis = match RedisServer::start() {
        Ok(redis) => redis,
        Err(e) => {
            eprintln!("cluster-load: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut nodes = Vec::new();
    for i in 0..args.nodes {
        match NodeProcess::start(&exe, &format!("n{i}"), &redis.url()) {
            Ok(node) => nodes.push(node),
            Err(e) => {
                eprintln!("cluster-load: {e} (build it: cargo build -p sockwell-cluster-chat)");
                return ExitCode::FAILURE;
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let code = runtime.block_on(measure(&args, &nodes));
    drop(nodes);
    drop(redis);
    code
}

async fn measure(args: &Args, nodes: &[NodeProcess]) -> ExitCode {
    let counters = Arc::new(Counters::default());
    let total = args.nodes * args.subscribers;
    // At most 100 subscribers between connect and welcome at a time.
    let connecting = Arc::new(Semaphore::new(100));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for node in nodes {
        for _ in 0..args.subscribers {
            let url = format!("{}load", node.url());
            let task = subscriber(url, Arc::clone(&counters), Arc::clone(&connecting));
            tasks.push(tokio::spawn(task));
        }
    }
    while counters.welcomed.load(Ordering::Relaxed) < total as u64 {
        if counters.disconnected.load(Ordering::Relaxed) > 0 {
            eprintln!("cluster-load: a subscriber could not join");
            return ExitCode::FAILURE;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "{total} subscribers connected in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let until = Instant::now() + Duration::from_secs_f64(args.secs + 0.5);
    let mut publishers = Vec::new();
    for node in nodes {
        let url = format!("{}load", node.url());
        let task = publisher(url, args.window, until, Arc::clone(&counters));
        publishers.push(tokio::spawn(task));
    }
    // Half a second of warm-up, then the measured window.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (d0, p0, t0) = (
        counters.delivered.load(Ordering::Relaxed),
        counters.published.load(Ordering::Relaxed),
        Instant::now(),
    );
    tokio::time::sleep(Duration::from_secs_f64(args.secs)).await;
    let (d1, p1, elapsed) = (
        counters.delivered.load(Ordering::Relaxed),
        counters.published.load(Ordering::Relaxed),
        t0.elapsed().as_secs_f64(),
    );
    for publisher in publishers {
        let _ = publisher.await;
    }
    for task in &tasks {
        task.abort();
    }
    let disconnected = counters.disconnected.load(Ordering::Relaxed);
    let out_of_order = counters.out_of_order.load(Ordering::Relaxed);
    println!(
        "nodes {} x subscribers {} = {total}, {:.1} s: {:.0} messages/s delivered, \
         {:.0} messages/s published, {disconnected} disconnected, {out_of_order} out of order",
        args.nodes,
        args.subscribers,
        elapsed,
        (d1 - d0) as f64 / elapsed,
        (p1 - p0) as f64 / elapsed,
    );
    if disconnected > 0 || out_of_order > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
