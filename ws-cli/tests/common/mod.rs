//! Running the `ws` binary: children with piped stdio, their stderr lines
//! watched for, everything bounded in time.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Long enough for a loaded 2-core machine; only a failing test waits it out.
pub const BOUND: Duration = Duration::from_secs(60);

/// A running `ws`.
pub struct Ws {
    child: Child,
    stderr: mpsc::Receiver<String>,
    stdout: mpsc::Receiver<Vec<u8>>,
    /// Every stderr line seen so far.
    pub seen: Vec<String>,
}

pub fn ws(args: &[&str]) -> Ws {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ws"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ws runs");
    let (err_tx, stderr) = mpsc::channel();
    let err = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines() {
            let Ok(line) = line else { break };
            if err_tx.send(line).is_err() {
                break;
            }
        }
    });
    let (out_tx, stdout) = mpsc::channel();
    let mut out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        let mut buf = vec![0; 64 << 10];
        loop {
            match out.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if out_tx.send(buf[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    Ws {
        child,
        stderr,
        stdout,
        seen: Vec::new(),
    }
}

impl Ws {
    /// Waits for a stderr line containing `needle`; the line.
    pub fn wait_for(&mut self, needle: &str) -> String {
        let until = Instant::now() + BOUND;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!("no stderr line with {needle:?}; saw {:?}", self.seen),
            }
        }
    }

    /// `ws serve`'s URL, from its first line.
    pub fn url(&mut self) -> String {
        let line = self.wait_for("listening on ");
        let url = line
            .split_whitespace()
            .nth(2)
            .expect("a URL after 'listening on'");
        url.to_owned()
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits for `n` lines of stdout; them, without their newlines.
    pub fn read_lines(&mut self, n: usize) -> Vec<String> {
        let until = Instant::now() + BOUND;
        let mut got = Vec::new();
        while got.iter().filter(|&&b| b == b'\n').count() < n {
            let left = until.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(chunk) => got.extend_from_slice(&chunk),
                Err(_) => panic!(
                    "stdout ended before {n} lines: {:?}",
                    String::from_utf8_lossy(&got)
                ),
            }
        }
        let text = String::from_utf8(got).expect("UTF-8 lines");
        text.lines().map(str::to_owned).collect()
    }

    pub fn stdin(&mut self) -> &mut ChildStdin {
        self.child.stdin.as_mut().expect("stdin still open")
    }

    pub fn write_line(&mut self, line: &str) {
        writeln!(self.stdin(), "{line}").expect("ws reads its stdin");
    }

    /// Ends stdin (a normal close follows).
    pub fn close_stdin(&mut self) {
        drop(self.child.stdin.take());
    }

    /// Reads exactly `n` bytes of stdout.
    pub fn read_stdout(&mut self, n: usize) -> Vec<u8> {
        let until = Instant::now() + BOUND;
        let mut got = Vec::new();
        while got.len() < n {
            let left = until.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(chunk) => got.extend_from_slice(&chunk),
                Err(_) => panic!("stdout ended after {} of {n} bytes", got.len()),
            }
        }
        got
    }

    /// Waits for the exit: status, all of stdout, all of stderr.
    pub fn finish(mut self) -> (ExitStatus, Vec<u8>, Vec<String>) {
        drop(self.child.stdin.take());
        let until = Instant::now() + BOUND;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() > until {
                let _ = self.child.kill();
                panic!("ws did not exit; stderr so far {:?}", self.seen);
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut out = Vec::new();
        while let Ok(chunk) = self.stdout.recv_timeout(BOUND) {
            out.extend_from_slice(&chunk);
        }
        while let Ok(line) = self.stderr.recv_timeout(BOUND) {
            self.seen.push(line);
        }
        (status, out, std::mem::take(&mut self.seen))
    }
}

impl Drop for Ws {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `ws serve` with these extra arguments, and its URL.
pub fn serve(extra: &[&str]) -> (Ws, String) {
    let mut args = vec!["serve", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let mut server = ws(&args);
    let url = server.url();
    (server, url)
}

/// A fresh directory for this test's files.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ws-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A WebSocket server for one connection (default settings) that runs
/// `script` on it, then reads until the connection ends; its `ws://` URL.
pub fn scripted_peer(
    script: impl FnOnce(&mut sockwell_server::WebSocket<std::net::TcpStream>) + Send + 'static,
) -> (String, std::thread::JoinHandle<()>) {
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/", tcp.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (conn, _) = tcp.accept().unwrap();
        let mut ws = sockwell_server::accept(conn).unwrap();
        script(&mut ws);
        while ws.read().is_ok() {}
    });
    (url, server)
}
