//! The synthetic national site (a benchmark, not a timed test):
//! `cargo bench --features synthetic --bench national`.
//!
//! Generates `junheng::synthetic` (all 2,854 counties × `JUNHENG_BENCH_SCALE`, default 1;
//! `JUNHENG_BENCH_YEARS` school years, default 10; `JUNHENG_BENCH_SCHOOLS` schools per county,
//! default 70 — the national site), then times a cold build and a rebuild after editing
//! one county's published figure, each with its own peak memory (the peak is reset before each
//! build). `JUNHENG_BENCH_ONLY=preview` measures the preview only, `JUNHENG_BENCH_ONLY=history`
//! the revision history only (see `history`). `JUNHENG_BENCH_CURVE=1`
//! builds the site at scales 1, 3 and 10 and prints the growth ratios. Then the page-rendering comparison site (see `pages`) and the preview's one-county
//! edits (see `preview`). Under `cargo test` (no `--bench`) it runs a smoke size (every 40th
//! county: 72 in all, one school year of two schools each; `JUNHENG_BENCH_EVERY` changes it) as
//! a smoke test (CI) and checks the invariants of the demo: no diagnostics, a page per county,
//! byte-identical rebuilds, preview rebuilds equal to clean renders.

use std::path::{Path, PathBuf};

/// The allocator of the `junheng` binary, so the figures are the command's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::time::Instant;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Resets the process's peak resident set size (Linux `clear_refs`), so that the next reading
/// is the peak of what runs in between.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
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

/// Seconds and peak MiB of one build.
struct Figures {
    seconds: f64,
    peak_mib: u64,
}

fn timed_build(site: &Path, out: &Path) -> (junheng::BuildReport, Figures) {
    reset_peak_rss();
    let report = build(site, out);
    let figures = Figures { seconds: report.elapsed.as_secs_f64(), peak_mib: peak_rss_mib().unwrap_or(0) };
    (report, figures)
}

/// Generates a site of `opts`, builds it cold, edits one county and rebuilds; with `check`, also
/// the invariants (and a byte-identical third build). Returns the cold build's figures and the
/// folder to remove (see [`remove_later`]).
fn run(opts: &junheng::synthetic::Options, check: bool) -> (Figures, PathBuf) {
    let dir = std::env::temp_dir().join(format!("junheng-national-bench-{}-{}", std::process::id(), opts.scale));
    let _ = std::fs::remove_dir_all(&dir);
    let site = dir.join("site");
    let out = dir.join("out");
    let start = Instant::now();
    let summary = junheng::synthetic::generate(&site, opts).expect("generate");
    println!(
        "national ×{}: {} counties, {} school rows ({} years, ~{} schools per county) generated in {:.2} s",
        opts.scale,
        summary.counties,
        summary.school_rows,
        opts.years,
        opts.schools_per_county,
        start.elapsed().as_secs_f64()
    );
    let (cold, figures) = timed_build(&site, &out);
    assert!(cold.diagnostics.is_clean(), "diagnostics:\n{}", cold.diagnostics);
    println!(
        "national ×{}: cold build {} files in {:.2} s, peak memory {} MiB",
        opts.scale, cold.files, figures.seconds, figures.peak_mib
    );
    let pages = std::fs::read_dir(out.join("county")).unwrap().count();
    assert_eq!(pages, summary.counties, "a page per county");
    // What a static host is given: the whole output, and its largest file (hosts take at most
    // 25 MiB per file, and some 1 GB per site).
    let sizes: Vec<(u64, String)> = junheng::util::fs::walk_files(&out, "output")
        .unwrap()
        .into_iter()
        .map(|r| (std::fs::metadata(out.join(&r)).unwrap().len(), r))
        .collect();
    let total: u64 = sizes.iter().map(|s| s.0).sum();
    let largest = sizes.iter().max().expect("files were written");
    println!(
        "national ×{}: output {:.2} GiB in {} files, largest {:.1} MiB ({})",
        opts.scale,
        total as f64 / (1u64 << 30) as f64,
        sizes.len(),
        largest.0 as f64 / (1u64 << 20) as f64,
        largest.1
    );
    assert!(largest.0 <= 25 << 20, "a file over 25 MiB: {}", largest.1);

    // One county's published figure.
    let code = first_county(&site);
    let indicators = site.join("data/indicators.csv");
    let mut text = std::fs::read_to_string(&indicators).unwrap();
    let latest = junheng::synthetic::LAST_YEAR;
    text.push_str(&format!("{code},{latest}-{},primary,basic,composite,,0.31,synthetic\n", latest + 1));
    std::fs::write(&indicators, text).unwrap();
    let (_, edit) = timed_build(&site, &out);
    println!(
        "national ×{}: rebuild after a one-county edit {:.2} s, peak memory {} MiB",
        opts.scale, edit.seconds, edit.peak_mib
    );
    if check {
        // Byte-identical: a second build of the same inputs changes nothing.
        let snapshot = |p: &Path| -> Vec<(String, Vec<u8>)> {
            junheng::util::fs::walk_files(p, "output")
                .unwrap()
                .into_iter()
                .map(|r| (r.clone(), std::fs::read(p.join(&r)).unwrap()))
                .collect()
        };
        let before = snapshot(&out);
        build(&site, &out);
        assert!(before == snapshot(&out), "rebuild is not byte-identical");
    }
    (figures, dir)
}

/// Removes the folders of the bench's parts once all are measured. On a file system without
/// a journal (this machine's ext4), creating files within minutes of deleting many is far
/// slower (ext4 then checks every inode it could reuse for a recent deletion): deleting one
/// part's 30,000 files as it ends would be charged to the builds of the next part.
fn remove_later(dirs: Vec<PathBuf>) {
    for dir in dirs {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn main() {
    // As the `junheng` binary does (see its `main`): its allocator settings, no transparent
    // huge pages.
    junheng::util::alloc::tune_mimalloc();
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    let full = std::env::args().any(|a| a == "--bench");
    let opts = junheng::synthetic::Options {
        years: env_number("JUNHENG_BENCH_YEARS", if full { 10 } else { 1 }) as u16,
        schools_per_county: env_number("JUNHENG_BENCH_SCHOOLS", if full { 70 } else { 2 }) as usize,
        scale: env_number("JUNHENG_BENCH_SCALE", 1) as usize,
        // The smoke run (CI) takes every 40th county: 72 counties in every province, in seconds.
        every: env_number("JUNHENG_BENCH_EVERY", if full { 1 } else { 40 }) as usize,
        ..Default::default()
    };
    println!("national: {} cores", std::thread::available_parallelism().map_or(1, |n| n.get()));
    if full && env_number("JUNHENG_BENCH_CURVE", 0) == 1 {
        // Each size's folders are removed before the next (the 10× output alone is 27 GB).
        let curve: Vec<(usize, Figures)> = [1, 3, 10]
            .into_iter()
            .map(|scale| {
                let (figures, dir) = run(&junheng::synthetic::Options { scale, ..opts }, false);
                remove_later(vec![dir]);
                (scale, figures)
            })
            .collect();
        let base = &curve[0].1;
        for (scale, f) in &curve {
            println!(
                "national curve ×{scale}: {:.2} s ({:.2}× the ×1 time), peak {} MiB ({:.2}×)",
                f.seconds,
                f.seconds / base.seconds,
                f.peak_mib,
                f.peak_mib as f64 / base.peak_mib.max(1) as f64
            );
        }
        let pages = pages(&junheng::synthetic::Options { published_only: true, one_language: true, ..opts }, !full);
        remove_later(vec![pages]);
        return;
    }
    if std::env::var("JUNHENG_BENCH_ONLY").is_ok_and(|v| v == "history") {
        remove_later(vec![history(&opts, !full)]);
        return;
    }
    if std::env::var("JUNHENG_BENCH_ONLY").is_ok_and(|v| v == "preview") {
        let schools = preview(&opts, !full);
        let published = preview(&junheng::synthetic::Options { published_only: true, ..opts }, !full);
        remove_later(vec![schools, published]);
        return;
    }
    let (_, national) = run(&opts, !full);
    let pages = pages(&junheng::synthetic::Options { published_only: true, one_language: true, ..opts }, !full);
    // Last: what the preview keeps in memory would count in the figures of the builds after it.
    let schools = preview(&opts, !full);
    // A portal of published figures only (no school rows), in both languages.
    let published = preview(&junheng::synthetic::Options { published_only: true, ..opts }, !full);
    let history = history(&opts, !full);
    remove_later(vec![national, pages, schools, published, history]);
}

/// Runs git in `dir` (a fixed identity, no user configuration).
fn git(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.org")
        .env("GIT_COMMITTER_NAME", "bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.org")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

/// The revision history's cost: the site in a git repository with ten releases (`v1`, then
/// nine each correcting one school row and one milestone title in another province), built
/// cold with its history and without it (the repository's folder moved away), alternately,
/// three times each; then the preview's narrative edit with the history kept. With `check`
/// (the smoke run: three releases), the changes table must hold what the releases changed.
fn history(opts: &junheng::synthetic::Options, check: bool) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("junheng-history-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (site, out) = (dir.join("site"), dir.join("out"));
    junheng::synthetic::generate(&site, opts).expect("generate");
    let releases = if check { 3 } else { 10 };
    let start = Instant::now();
    git(&site, &["init", "-q", "-b", "main"]);
    git(&site, &["add", "-A"]);
    git(&site, &["commit", "-q", "-m", "v1"]);
    git(&site, &["tag", "-a", "v1", "-m", "v1"]);
    let edit_line = |rel: &str, at: usize, edit: &dyn Fn(&mut Vec<String>)| {
        let path = site.join(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        let at = 1 + at % (lines.len() - 1);
        let mut cells: Vec<String> = lines[at].split(',').map(str::to_string).collect();
        edit(&mut cells);
        let joined = cells.join(",");
        lines[at] = &joined;
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    };
    for r in 2..=releases {
        let schools = std::fs::read_to_string(site.join("data/schools.csv")).unwrap().lines().count();
        edit_line("data/schools.csv", r * schools / (releases + 1), &|c| {
            c[6] = (c[6].parse::<u64>().unwrap() + 37).to_string()
        });
        edit_line("data/milestones.csv", r * 997, &|c| c[3].push_str("（更正）"));
        git(&site, &["commit", "-q", "-am", &format!("v{r}")]);
        git(&site, &["tag", "-a", &format!("v{r}"), "-m", &format!("release {r}")]);
    }
    println!("history: {releases} releases committed in {:.2} s", start.elapsed().as_secs_f64());
    let (git_dir, away) = (site.join(".git"), dir.join("git-away"));
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for round in 0..if check { 1 } else { 3 } {
        let _ = std::fs::remove_dir_all(&out);
        let (report, figures) = timed_build(&site, &out);
        let stage = report.stages.iter().find(|(l, _)| *l == "history").map_or(0.0, |(_, d)| d.as_secs_f64());
        println!(
            "history: round {round}: with {:.2} s (history {stage:.2} s, peak {} MiB)",
            figures.seconds, figures.peak_mib
        );
        with.push(figures.seconds);
        if check {
            let changes = std::fs::read_to_string(out.join("data/changes.csv")).unwrap();
            let releases_seen: std::collections::BTreeSet<&str> =
                changes.lines().skip(1).filter_map(|l| l.split(',').next()).collect();
            assert_eq!(releases_seen.into_iter().collect::<Vec<_>>(), ["v2", "v3"], "{changes}");
            assert!(changes.contains(",computed_cv,") && changes.contains(",milestone,"), "{changes}");
        }
        std::fs::rename(&git_dir, &away).unwrap();
        let _ = std::fs::remove_dir_all(&out);
        let (_, figures) = timed_build(&site, &out);
        println!("history: round {round}: without {:.2} s", figures.seconds);
        without.push(figures.seconds);
        std::fs::rename(&away, &git_dir).unwrap();
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (a, b) = (median(&mut with), median(&mut without));
    println!("history: cold build with {releases} releases {a:.2} s, without {b:.2} s: +{:.2} s", a - b);
    let mut memo = junheng::pipeline::Pipeline::new(
        &site,
        if check { junheng::pipeline::Keep::Verified } else { junheng::pipeline::Keep::Values },
    );
    memo.run(junheng::pipeline::To::Memory, false).expect("render");
    let narrative = format!("content/counties/{}.md", first_county(&site));
    let mut times = Vec::new();
    for n in 0..if check { 2 } else { 9 } {
        let path = site.join(&narrative);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{text}\n追加一段 {n}。\n")).unwrap();
        memo.forget(std::slice::from_ref(&narrative));
        let start = Instant::now();
        memo.run(junheng::pipeline::To::Memory, false).expect("render");
        times.push(start.elapsed().as_secs_f64());
        let made = |part: &str| memo.counts().iter().find(|c| c.0 == part).map_or(0, |c| c.1);
        assert_eq!((made("released history"), made("unreleased changes")), (0, 0), "a narrative edit reads no history");
    }
    println!("history: preview, one county's narrative edited: {:.3} s", median(&mut times));
    dir
}

/// The preview's one-county edits: the site is rendered once into memory keeping what can be
/// reused (as `junheng serve` does), then one county's narrative, one of its metrics and one
/// of its school rows (on a site of published figures only, one of its published coefficients)
/// are edited in turn and the site rendered again; prints each rebuild's time (the median of
/// nine edits; of three for the school row, which re-reads `schools.csv`).
/// With `check`, verify mode is on: each rebuild must equal a clean render.
fn preview(opts: &junheng::synthetic::Options, check: bool) -> PathBuf {
    let kind = if opts.published_only { "published" } else { "schools" };
    let dir = std::env::temp_dir().join(format!("junheng-preview-{kind}-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let site = dir.join("site");
    junheng::synthetic::generate(&site, opts).expect("generate");
    let code = first_county(&site);
    // As `junheng serve` sets it.
    junheng::util::alloc::tune_mimalloc_for_preview();
    // Verify mode in the smoke run (CI): whatever a rebuild reuses is made again and compared.
    let mut memo = junheng::pipeline::Pipeline::new(
        &site,
        if check { junheng::pipeline::Keep::Verified } else { junheng::pipeline::Keep::Values },
    );
    let start = Instant::now();
    memo.run(junheng::pipeline::To::Memory, false).expect("render");
    println!("preview ({kind}): first render {:.2} s", start.elapsed().as_secs_f64());
    let rewrite = |rel: &str, edit: &dyn Fn(String) -> String| {
        let path = site.join(rel);
        std::fs::write(&path, edit(std::fs::read_to_string(&path).unwrap())).unwrap();
    };
    // Replaces field `field` of the first row of `rel` that starts with the county's code or
    // has it in column `column`, with `value`.
    let set_field = |rel: &str, column: usize, field: usize, value: String| {
        rewrite(rel, &|text| {
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            let row = lines.iter().position(|l| l.split(',').nth(column) == Some(code.as_str())).unwrap();
            let mut cells: Vec<&str> = lines[row].split(',').collect();
            cells[field] = &value;
            lines[row] = cells.join(",");
            lines.join("\n") + "\n"
        })
    };
    let mut timed = |what: &str, rel: &str, edits: u32, edit: &dyn Fn(u32)| {
        let mut times = Vec::new();
        for n in 0..edits {
            edit(n);
            memo.forget(&[rel.to_string()]);
            let start = Instant::now();
            // With `check`, verify mode makes again whatever the rebuild reused and compares.
            memo.run(junheng::pipeline::To::Memory, false).unwrap_or_else(|e| panic!("{what}: {e}"));
            times.push(start.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        println!("preview ({kind}): rebuild after one county's {what} edited: {:.3} s", times[times.len() / 2]);
    };
    // Two edits of each when checking (each is compared with a clean render).
    let edits = if check { 2 } else { 9 };
    let narrative = format!("content/counties/{code}.md");
    timed("narrative", &narrative, edits, &|n| rewrite(&narrative, &|t| format!("{t}\n追加一段 {n}。\n")));
    timed("metric", "data/metrics.csv", edits, &|n| set_field("data/metrics.csv", 0, 3, (900 + n).to_string()));
    if opts.published_only {
        // The coefficient (`cv`) of the county's first published row.
        timed("published figure", "data/indicators.csv", edits, &|n| {
            set_field("data/indicators.csv", 0, 6, format!("0.{}", 300 + n))
        });
    } else {
        timed("school row", "data/schools.csv", edits.min(3), &|n| {
            set_field("data/schools.csv", 2, 6, (4321 + n).to_string())
        });
    }
    dir
}

/// The page-rendering comparison: every county (2,854) with published coefficients
/// only (8 indicators and the composite × 2 levels × the school years), a timeline and a ~2 KB
/// narrative, in one language. Reports the cold build and its stages: `pages` is the
/// rendering and writing of the HTML pages and feeds (the downloads are a stage of their own).
fn pages(opts: &junheng::synthetic::Options, check: bool) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("junheng-pages-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (site, out) = (dir.join("site"), dir.join("out"));
    let summary = junheng::synthetic::generate(&site, opts).expect("generate");
    assert_eq!(summary.school_rows, 0, "published figures only");
    let (report, figures) = timed_build(&site, &out);
    assert!(report.diagnostics.is_clean(), "diagnostics:\n{}", report.diagnostics);
    let stage =
        |name: &str| report.stages.iter().filter(|(l, _)| *l == name).map(|(_, d)| d.as_secs_f64()).sum::<f64>();
    println!(
        "pages: {} counties × {} school years, one language: cold build {} files in {:.2} s, peak memory {} MiB; stages: pages {:.2} s, downloads {:.2} s, load {:.2} s",
        summary.counties,
        opts.years,
        report.files,
        figures.seconds,
        figures.peak_mib,
        stage("pages"),
        stage("downloads"),
        stage("load")
    );
    if check {
        assert!(stage("pages") > 0.0, "the pages stage is timed");
        let page = std::fs::read_to_string(out.join("county").join(first_county(&site)).join("index.html")).unwrap();
        assert!(page.contains("composite") || page.contains("综合"), "a county page with its coefficients");
        assert!(!out.join("en").exists(), "one language");
    }
    dir
}

/// The code of the first county of a generated site.
fn first_county(site: &Path) -> String {
    let counties = std::fs::read_to_string(site.join("data/counties.csv")).unwrap();
    counties.lines().nth(1).unwrap().split(',').next().unwrap().to_string()
}
