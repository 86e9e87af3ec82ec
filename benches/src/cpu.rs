//! Processes and CPUs for the echo load tool (`examples/echo_load`,
//! `examples/echo_server.rs`): pinning, and CPU time used. Measured on
//! Linux; elsewhere pinning does nothing and the CPU times that the
//! platform cannot give are NaN, so that everything builds (and the
//! throughput figures still mean something) off Linux.

/// Pins this process (and the threads it starts afterwards) to one CPU;
/// says so on stderr if the kernel refuses. Linux only: elsewhere it does
/// nothing but say so on stderr.
pub fn pin_to_cpu(cpu: usize) {
    #[cfg(target_os = "linux")]
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET and
    // sched_setaffinity only read and write that local set.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            eprintln!(
                "sched_setaffinity({cpu}) failed: {}",
                std::io::Error::last_os_error()
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    eprintln!("not pinned to CPU {cpu}: pinning is implemented for Linux only");
}

/// CPU time of process `pid` in seconds: the sum over its live threads of
/// the scheduler's own count of time on a CPU (`/proc/PID/task/*/schedstat`,
/// nanoseconds), not `/proc/PID/stat`'s clock ticks, which are 10 ms apart
/// and would be a few percent of a short slice. A thread that has exited is
/// not counted (the echo servers' threads live as long as their connections).
/// NaN off Linux (no `/proc`).
#[cfg(target_os = "linux")]
pub fn process_cpu(pid: u32) -> f64 {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("process tasks");
    let mut ns: u64 = 0;
    for task in tasks.flatten() {
        // A thread may exit between the listing and the read.
        let Ok(stat) = std::fs::read_to_string(task.path().join("schedstat")) else {
            continue;
        };
        ns += stat
            .split(' ')
            .next()
            .and_then(|f| f.parse::<u64>().ok())
            .expect("schedstat: time on CPU");
    }
    ns as f64 / 1e9
}

/// CPU time of process `pid`: not measured off Linux (NaN).
#[cfg(not(target_os = "linux"))]
pub fn process_cpu(_pid: u32) -> f64 {
    f64::NAN
}

/// User + system CPU time of this process, in seconds (`getrusage`, on
/// every Unix; NaN elsewhere).
#[cfg(unix)]
pub fn self_cpu() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// User + system CPU time of this process: not measured here (NaN).
#[cfg(not(unix))]
pub fn self_cpu() -> f64 {
    f64::NAN
}

/// Fixes glibc's allocator thresholds for a benchmark process: buffers up
/// to 64 MiB come from the heap (not a fresh `mmap` each), and freed memory
/// at the heap's top is not handed back to the kernel. By default glibc
/// raises its mmap threshold the first time a large mmapped block is freed
/// and trims the heap whenever its free top passes 128 KiB, so whether a
/// 64 KiB or 1 MiB message page-faults its memory in depends on what the
/// benchmarks before it in the same process allocated: the same criterion
/// id, ours or tungstenite's, ran 4x apart from one run to the next. Fixed
/// thresholds measure every library in the steady state of a long-running
/// process whose heap has grown. Does nothing on other platforms.
pub fn steady_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's tuning parameters; it is
    // called before the benchmarks allocate anything they keep.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}
