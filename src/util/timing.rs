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
            eprintln!("timing: {label} {:.1} ms", start.elapsed().as_secs_f64() * 1e3);
            self.0 = Some(Instant::now());
        }
    }
}
