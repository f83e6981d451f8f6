//! Stage timings: every build records how long its stages took (in [`BuildReport::stages`],
//! for benchmarks), and prints them with the resident memory on stderr when `JUNHENG_TIMINGS`
//! is set (for profiling builds; off by default).
//!
//! [`BuildReport::stages`]: crate::BuildReport::stages

use std::cell::RefCell;
use std::time::{Duration, Instant};

thread_local! {
    /// The stages timed on this thread since the last [`take`]. A build's stages all end on
    /// the thread that runs the build (parallel work joins before a stage ends), so builds on
    /// other threads do not mix in.
    static STAGES: RefCell<Vec<(&'static str, Duration)>> = const { RefCell::new(Vec::new()) };
}

/// Measures from its creation; `done` records the elapsed time under a label.
pub struct Timer {
    start: Instant,
    print: bool,
}

impl Timer {
    /// Starts timing.
    pub fn start() -> Timer {
        Timer { start: Instant::now(), print: std::env::var_os("JUNHENG_TIMINGS").is_some() }
    }

    /// Records the stage `label` (and prints `timing: <label> <ms>, rss <MiB>` when asked
    /// to), then restarts.
    pub fn done(&mut self, label: &'static str) {
        let elapsed = self.start.elapsed();
        STAGES.with(|s| s.borrow_mut().push((label, elapsed)));
        if self.print {
            eprintln!("timing: {label} {:.1} ms, rss {} MiB", elapsed.as_secs_f64() * 1e3, rss_mib());
        }
        self.start = Instant::now();
    }
}

/// The stages recorded on this thread since the last call, in order; clears them.
pub fn take() -> Vec<(&'static str, Duration)> {
    STAGES.with(|s| std::mem::take(&mut *s.borrow_mut()))
}

/// The resident set size in MiB (Linux; 0 elsewhere).
fn rss_mib() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
        .unwrap_or(0);
    pages * 4096 / (1 << 20)
}

#[cfg(test)]
mod tests {
    // Guards stage recording: stages come back in order, per thread, and are cleared.
    #[test]
    fn stages_are_recorded_per_thread() {
        super::take();
        let mut t = super::Timer::start();
        t.done("one");
        t.done("two");
        std::thread::spawn(|| super::Timer::start().done("elsewhere")).join().unwrap();
        let labels: Vec<_> = super::take().into_iter().map(|(l, _)| l).collect();
        assert_eq!(labels, ["one", "two"]);
        assert!(super::take().is_empty());
    }
}
