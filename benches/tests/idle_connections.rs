//! 10,000 concurrent idle connections to one async echo server on
//! loopback, each after one 1 KiB JSON message each way: the server's heap
//! per idle connection, without and with permessage-deflate (the default
//! `DeflateConfig` on both sides: context takeover both ways, kept as the
//! last 2^13 bytes sent and 2^11 received, the zlib states going back to
//! the shared pool once a connection has been quiet for
//! `WebSocketConfig::release_idle_state_after`, 1 s). The clients run in a process of their
//! own (`idle-clients`), so only the server is counted, and each process
//! stays under its file-descriptor limit, which this test raises to the
//! hard one. Every wait is on an event, bounded generously.
//!
//! Ignored by `cargo test`: it opens 2 x 10,000 sockets and needs a hard
//! open-file limit above 11,000, and it is only meaningful in release.
//! `cargo test --release -p benches --test idle_connections -- --ignored --nocapture`
//! runs it and prints the figures (the README's table quotes them); CI
//! runs it so. Unix only (the open-file limit is `setrlimit`'s).
#![cfg(unix)]

#[path = "../../ws-core/tests/common/heap.rs"]
mod heap;

use sockwell_deflate::DeflateConfig;
use sockwell_server::ServerConfig;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 10_000;
const PATIENCE: Duration = Duration::from_secs(300);

/// Raises the soft open-file limit to the hard one; returns it.
fn raise_fd_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable rlimit.
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
        0
    );
    limit.rlim_cur = limit.rlim_max;
    // SAFETY: `limit` is a valid rlimit with cur <= max.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
    limit.rlim_cur
}

async fn wait_until(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Serves `CONNECTIONS` idle clients; returns the server's heap bytes per
/// open connection.
async fn measure(deflate: bool) -> usize {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let open = Arc::new(AtomicUsize::new(0));
    let server = {
        let open = open.clone();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let open = open.clone();
                tokio::spawn(async move {
                    let mut config = ServerConfig::default();
                    if deflate {
                        config = config.with_extension(DeflateConfig::default());
                    }
                    let Ok(mut ws) = sockwell_server::accept_async_with_config(tcp, config).await
                    else {
                        return;
                    };
                    open.fetch_add(1, Ordering::SeqCst);
                    while let Ok(message) = ws.read().await {
                        if message.is_data() && ws.send(message).await.is_err() {
                            break;
                        }
                    }
                    open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        })
    };
    let baseline = heap::live();
    let mut args = vec![url, CONNECTIONS.to_string()];
    if deflate {
        args.push("--deflate".into());
    }
    let mut clients = Command::new(env!("CARGO_BIN_EXE_idle-clients"))
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = clients.stdout.take().unwrap();
    let started = Instant::now();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    });
    let line = tokio::time::timeout(PATIENCE, line).await.unwrap().unwrap();
    assert_eq!(line.trim(), format!("connected {CONNECTIONS}"));
    wait_until("the server side of every handshake", || {
        open.load(Ordering::SeqCst) == CONNECTIONS
    })
    .await;
    let opened_in = started.elapsed();
    // The connections' borrowed zlib states go back after a quiet second:
    // measure once the heap has stopped shrinking (it does not grow: no
    // traffic).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut live = heap::live();
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = heap::live();
        if live.saturating_sub(now) < 64 << 10 || started.elapsed() > PATIENCE {
            live = now;
            break;
        }
        live = now;
    }
    let per_connection = live.saturating_sub(baseline) / CONNECTIONS;
    eprintln!(
        "{CONNECTIONS} idle connections{}, after one 1 KiB JSON message each way: \
         {per_connection} heap bytes each on the server (opened in {opened_in:?})",
        if deflate {
            " with permessage-deflate"
        } else {
            ""
        },
    );
    // Hang up: the clients exit, every server task ends.
    drop(clients.stdin.take());
    clients.wait().unwrap();
    wait_until("every server connection to end", || {
        open.load(Ordering::SeqCst) == 0
    })
    .await;
    server.abort();
    per_connection
}

#[test]
#[ignore = "2 x 10,000 sockets and a raised fd limit; run in release with --ignored (.ci/run does)"]
fn ten_thousand_idle_connections() {
    let limit = raise_fd_limit();
    assert!(
        limit as usize > CONNECTIONS + 1000,
        "the hard open-file limit ({limit}) is too low for {CONNECTIONS} connections"
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let plain = rt.block_on(measure(false));
    let deflate = rt.block_on(measure(true));
    // A quiet connection holds no read or write buffer (the task, the
    // stream, the engine and the timer remain), and with the default
    // permessage-deflate no zlib state either, only its two histories
    // (10 KiB): zlib states are borrowed from the shared pool.
    assert!(plain <= 8 << 10, "{plain} bytes per idle connection");
    assert!(
        deflate <= 16 << 10,
        "{deflate} bytes per idle connection with deflate"
    );
}
