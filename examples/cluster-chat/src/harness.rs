//! Child processes for the test and the load generator: a `redis-server` of
//! their own and `cluster-chat` nodes, each killed when dropped.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A `redis-server` child process on 127.0.0.1, without persistence.
pub struct RedisServer {
    child: Child,
    port: u16,
}

/// A free TCP port on 127.0.0.1 (bound, then released).
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl RedisServer {
    /// Starts `redis-server` (from `PATH`) on a free port.
    pub fn start() -> Result<RedisServer, String> {
        let port = free_port().map_err(|e| format!("no free port: {e}"))?;
        RedisServer::start_on(port)
    }

    /// Starts `redis-server` (from `PATH`) on `port` and waits until it
    /// accepts connections (at most 10 s). The error says how to install it
    /// when it is not on `PATH`.
    pub fn start_on(port: u16) -> Result<RedisServer, String> {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                format!(
                    "cannot run redis-server ({e}): it must be on PATH \
                     (Debian/Ubuntu: apt-get install redis-server)"
                )
            })?;
        let mut server = RedisServer { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("redis-server on port {port} exited: {status}"));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "redis-server on port {port} not listening after 10 s"
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its URL, `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills it and waits for it to exit.
    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A `cluster-chat` node child process.
pub struct NodeProcess {
    child: Child,
    url: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl NodeProcess {
    /// Starts the `cluster-chat` binary at `exe` as node `name` on a free
    /// port against `redis`, and waits for the URL it prints (at most 30 s).
    /// Its stderr is copied to ours, prefixed with its name, and kept
    /// ([`NodeProcess::log`]).
    pub fn start(exe: &Path, name: &str, redis: &str) -> Result<NodeProcess, String> {
        let mut child = Command::new(exe)
            .args(["--listen", "127.0.0.1:0", "--redis", redis, "--node", name])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("piped");
        let (prefix, lines) = (name.to_owned(), Arc::clone(&log));
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[{prefix}] {line}");
                lines.lock().unwrap().push(line);
            }
        });
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
            let url = lines.find_map(|line| {
                let at = line.find("ws://")?;
                Some(line[at..].split_whitespace().next()?.to_owned())
            });
            let _ = tx.send(url);
            lines.for_each(drop); // keeps the pipe drained
        });
        let mut node = NodeProcess {
            child,
            url: String::new(),
            log,
        };
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(Some(url)) => {
                node.url = url;
                Ok(node)
            }
            _ => Err(format!("node {name} printed no ws:// URL")),
        }
    }

    /// Its base URL, `ws://127.0.0.1:PORT/` (append the room).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The lines it wrote on stderr so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Kills it (SIGKILL) and waits for it to exit.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
