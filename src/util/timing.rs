//! Stage timings on stderr when `JUNHENG_TIMINGS` is set (for profiling builds; off by default).

use std::time::Instant;

/// Measures from its creation; `done` prints the elapsed time with a label.
pub struct Timer(Option<Instant>);

impl Timer {
    /// Starts timing (a no-op unless `JUNHENG_TIMINGS` is set).
    pub fn start() -> Timer {
        Timer(std::env::var_os("JUNHENG_TIMINGS").map(|_| Instant::now()))
    }

    /// Prints `timing: <label> <ms>` and restarts.
    pub fn done(&mut self, label: &str) {
        if let Some(start) = self.0 {
            eprintln!("timing: {label} {:.1} ms, rss {} MiB", start.elapsed().as_secs_f64() * 1e3, rss_mib());
            self.0 = Some(Instant::now());
        }
    }
}

/// The resident set size in MiB (Linux; 0 elsewhere).
fn rss_mib() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
        .unwrap_or(0);
    pages * 4096 / (1 << 20)
}
