//! The synthetic national site (a benchmark, not a timed test): `cargo bench --bench national`.
//!
//! Generates `junheng::synthetic` (all 2,854 counties; `JUNHENG_BENCH_YEARS` school years,
//! default 1, and `JUNHENG_BENCH_SCHOOLS` schools per county, default 20), then times a cold
//! build, a rebuild after editing one county's published figure, and reports the peak memory
//! (VmHWM). Under `cargo test` (no `--bench`) it runs a tiny size as a smoke test and checks the
//! invariants of the demo: no diagnostics, a page per county, byte-identical rebuilds.

use std::path::Path;
use std::time::Instant;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? / 1024)
}

fn build(site: &Path, out: &Path) -> junheng::BuildReport {
    junheng::build(&junheng::BuildOptions {
        site: site.to_path_buf(),
        output: Some(out.to_path_buf()),
        deny_warnings: false,
    })
    .unwrap_or_else(|e| panic!("the synthetic site must build: {e:?}"))
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let opts = junheng::synthetic::Options {
        years: env_number("JUNHENG_BENCH_YEARS", if full { 1 } else { 1 }) as u16,
        schools_per_county: env_number("JUNHENG_BENCH_SCHOOLS", if full { 20 } else { 2 }) as usize,
        scale: env_number("JUNHENG_BENCH_SCALE", 1) as usize,
        ..Default::default()
    };
    let dir = std::env::temp_dir().join(format!("junheng-national-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let site = dir.join("site");
    let out = dir.join("out");
    let start = Instant::now();
    let summary = junheng::synthetic::generate(&site, &opts).expect("generate");
    println!(
        "national: {} counties, {} school rows ({} years, ~{} schools per county) generated in {:.2} s",
        summary.counties,
        summary.school_rows,
        opts.years,
        opts.schools_per_county,
        start.elapsed().as_secs_f64()
    );
    let cold = build(&site, &out);
    assert!(cold.diagnostics.is_empty(), "diagnostics:\n{}", cold.diagnostics);
    println!("national: cold build {} files in {:.2} s", cold.files, cold.elapsed.as_secs_f64());
    let pages = std::fs::read_dir(out.join("county")).unwrap().count();
    assert_eq!(pages, summary.counties, "a page per county");

    // One county's published figure.
    let first = std::fs::read_to_string(site.join("data/counties.csv")).unwrap();
    let code = first.lines().nth(1).unwrap().split(',').next().unwrap().to_string();
    let indicators = site.join("data/indicators.csv");
    let mut text = std::fs::read_to_string(&indicators).unwrap();
    text.push_str(&format!("{code},2023-2024,primary,basic,composite,,0.31,synthetic\n"));
    std::fs::write(&indicators, text).unwrap();
    let edit = build(&site, &out);
    println!("national: rebuild after a one-county edit {:.2} s", edit.elapsed.as_secs_f64());
    if !full {
        // Byte-identical: a second build of the same inputs changes nothing.
        let snapshot = |p: &Path| -> Vec<(String, Vec<u8>)> {
            junheng::util::fs::walk_files(p)
                .unwrap()
                .into_iter()
                .map(|r| (r.clone(), std::fs::read(p.join(&r)).unwrap()))
                .collect()
        };
        let before = snapshot(&out);
        build(&site, &out);
        assert!(before == snapshot(&out), "rebuild is not byte-identical");
    }
    if let Some(mib) = peak_rss_mib() {
        println!(
            "national: peak memory {mib} MiB ({} cores)",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
