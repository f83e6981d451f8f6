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

/// Whether timings are printed (`JUNHENG_TIMINGS` is set).
pub fn printing() -> bool {
    std::env::var_os("JUNHENG_TIMINGS").is_some()
}

impl Timer {
    /// Starts timing.
    pub fn start() -> Timer {
        Timer { start: Instant::now(), print: printing() }
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

/// The time pages of each template took, summed over the threads that rendered them: for
/// theme authors and profiling, printed after each language's pages when timings are.
#[derive(Default)]
pub struct TemplateTimes(std::sync::Mutex<std::collections::BTreeMap<&'static str, (usize, Duration, Duration)>>);

impl TemplateTimes {
    /// Records one page of `template`: building its context, then rendering it.
    pub fn add(&self, template: &'static str, context: Duration, render: Duration) {
        let mut times = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let t = times.entry(template).or_default();
        *t = (t.0 + 1, t.1 + context, t.2 + render);
    }

    /// Prints [`TemplateTimes::lines`] and clears the times.
    pub fn print(&self, label: &str) {
        self.lines(label).iter().for_each(|line| eprintln!("{line}"));
    }

    /// A line per template, the slowest first (`timing: <label> county.html: 2854 rendered,
    /// contexts 551.0 ms, rendering 1092.6 ms (all threads)`); clears the times.
    pub fn lines(&self, label: &str) -> Vec<String> {
        let mut times: Vec<_> = std::mem::take(&mut *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
            .into_iter()
            .collect();
        times.sort_by_key(|(_, (_, context, render))| std::cmp::Reverse(*context + *render));
        times
            .into_iter()
            .map(|(template, (pages, context, render))| {
                format!(
                    "timing: {label} {template}: {pages} rendered, contexts {:.1} ms, rendering {:.1} ms (all threads)",
                    context.as_secs_f64() * 1e3,
                    render.as_secs_f64() * 1e3
                )
            })
            .collect()
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

    // Guards the template times: pages of a template add up, the slowest template first.
    #[test]
    fn template_times_add_up_slowest_first() {
        use std::time::Duration;
        let times = super::TemplateTimes::default();
        times.add("page.html", Duration::from_millis(1), Duration::from_millis(2));
        times.add("county.html", Duration::from_millis(3), Duration::from_millis(4));
        times.add("page.html", Duration::from_millis(1), Duration::from_millis(1));
        assert_eq!(
            times.lines("pages (en) of"),
            [
                "timing: pages (en) of county.html: 1 rendered, contexts 3.0 ms, rendering 4.0 ms (all threads)",
                "timing: pages (en) of page.html: 2 rendered, contexts 2.0 ms, rendering 3.0 ms (all threads)",
            ]
        );
        assert!(times.lines("again").is_empty(), "printed times are cleared");
    }
}
