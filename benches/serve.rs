//! Save-to-reload latency of `junheng serve` (a benchmark, not a timed test):
//! `cargo bench --bench serve`.
//!
//! For each site: start `junheng serve --port 0` on a copy, open the live-reload event stream
//! as a browser does, then repeatedly change one row of `data/indicators.csv` (the demo) or
//! `data/counties.csv` (the national county list) and time from the write to the `reload`
//! event (which is sent only once the new site is complete). Prints the median.
//! Under `cargo test` (no `--bench` argument) it runs three edits per site, as a smoke test.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A copy of `parts` of `root` in a fresh folder.
fn copy_site(root: &Path, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("junheng-serve-bench-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for part in ["site.toml", "data", "content", "themes"] {
        let from = root.join(part);
        if from.is_dir() {
            copy_dir(&from, &dir.join(part));
        } else if from.is_file() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::copy(&from, dir.join(part)).unwrap();
        }
    }
    dir
}

/// Median save-to-reload latency over `edits` edits of `file`, toggling `from` and `to`.
fn latency(site: &Path, file: &str, from: &str, to: &str, edits: usize) -> Duration {
    let mut child = Command::new(env!("CARGO_BIN_EXE_junheng"))
        .args(["serve", "--port", "0", "--site"])
        .arg(site)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let addr = loop {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0, "serve exited");
        if let Some(rest) = line.strip_prefix("serving ") {
            let start = rest.find("http://").unwrap() + 7;
            break rest[start..].split('/').next().unwrap().to_string();
        }
    };
    // Keep reading serve's output so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in out.lines() {});
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream.write_all(b"GET /__junheng/events HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut events = BufReader::new(stream);
    let mut line = String::new();
    while !line.starts_with("retry:") {
        line.clear();
        events.read_line(&mut line).unwrap();
    }
    let path = site.join(file);
    let original = std::fs::read_to_string(&path).unwrap();
    assert!(original.contains(from), "{file} has no {from:?}");
    let mut times = Vec::new();
    for i in 0..edits {
        let text = if i % 2 == 0 { original.replacen(from, to, 1) } else { original.clone() };
        let start = Instant::now();
        std::fs::write(&path, text).unwrap();
        loop {
            line.clear();
            assert!(events.read_line(&mut line).unwrap() > 0, "event stream closed");
            if line.starts_with("data:") && line.contains("\"kind\":\"reload\"") {
                break;
            }
        }
        times.push(start.elapsed());
        std::thread::sleep(Duration::from_millis(300));
    }
    let _ = child.kill();
    let _ = child.wait();
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let edits = if full { 21 } else { 3 };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let demo = copy_site(repo, "demo");
    let d = latency(&demo, "data/indicators.csv", ",0.21,guigang", ",0.22,guigang", edits);
    println!(
        "serve, demo site, one-row edit → reload event: median {:.0} ms over {edits} edits ({cores} cores)",
        d.as_secs_f64() * 1e3
    );
    let _ = std::fs::remove_dir_all(&demo);
    let national = copy_site(&repo.join("tests/fixtures/national"), "national");
    let d = latency(&national, "data/counties.csv", "东城区", "东城区（改）", edits);
    println!(
        "serve, national county list (2,854 counties), one-row edit → reload event: median {:.0} ms over {edits} edits ({cores} cores)",
        d.as_secs_f64() * 1e3
    );
    let _ = std::fs::remove_dir_all(&national);
}
