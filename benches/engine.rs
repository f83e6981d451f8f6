//! Benchmarks (not timed tests): `cargo bench --bench engine`.
//!
//! - the indicator engine over 200,000 synthetic school rows (one school year of a
//!   national-scale site: 2,854 counties × ~70 schools, combined schools and teaching
//!   points included);
//! - a full build of the demo site (load → model → engine → render → write).
//!
//! Each figure is the median of repeated runs, printed with the machine's core count.

use std::hint::black_box;

/// The allocator of the `junheng` binary, so the figures are the command's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::time::{Duration, Instant};

use junheng::engine;
use junheng::model::rules::Rules;
use junheng::model::{Level, SCHOOL_FIGURES, SchoolRow, SchoolYear};

/// A small deterministic generator (64-bit LCG) so runs are comparable.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
}

fn synthetic_rows(target: usize) -> Vec<SchoolRow> {
    let mut rng = Lcg(20_201);
    let mut rows = Vec::with_capacity(target + 100);
    let mut county = 0;
    while rows.len() < target {
        let code = format!("{:06}", 110_000 + county);
        let n = 50 + (rng.next() * 40.0) as usize;
        for s in 0..n {
            let ty = match s % 20 {
                0 => "nine_year",
                1 => "teaching_point",
                2..=6 => "junior",
                _ => "primary",
            };
            let levels: &[Level] = match ty {
                "nine_year" => &[Level::Primary, Level::Junior],
                "junior" => &[Level::Junior],
                _ => &[Level::Primary],
            };
            let students = rng.range(40.0, 2500.0).round();
            let facilities: Vec<f64> =
                [4.8, 8.5, 2400.0, 0.11, 30.0, 0.025].iter().map(|per| per * students * rng.range(0.5, 1.5)).collect();
            for &level in levels {
                let teachers = students * rng.range(0.04, 0.09);
                let figures: [Option<f64>; SCHOOL_FIGURES.len()] =
                    std::array::from_fn(|i| Some(if i < 6 { facilities[i] } else { teachers * rng.range(0.1, 1.0) }));
                rows.push(SchoolRow {
                    school_id: format!("{code}{s:04}").into(),
                    school_name: format!("学校{s}").into(),
                    county: code.as_str().into(),
                    school_year: SchoolYear(2020),
                    level,
                    school_type: ty,
                    students: students as u32,
                    figures: figures.into(),
                    senior_students: None,
                    parent_school_id: (ty == "teaching_point").then(|| format!("{code}{:04}", s + 1).into()),
                    source: None,
                    town: None,
                    classes: None,
                    large_classes: None,
                });
            }
        }
        county += 1;
    }
    rows.sort_by(|a, b| {
        (&a.county, a.school_year, &a.school_id, a.level).cmp(&(&b.county, b.school_year, &b.school_id, b.level))
    });
    rows
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rows = synthetic_rows(200_000);
    let rules = Rules::default();
    let runs: Vec<Duration> = (0..7)
        .map(|_| {
            let start = Instant::now();
            black_box(engine::compute(black_box(&rows), &rules));
            start.elapsed()
        })
        .collect();
    println!(
        "engine: {} school rows, {} cores: median {:.1} ms over {} runs",
        rows.len(),
        cores,
        median(runs.clone()).as_secs_f64() * 1e3,
        runs.len()
    );

    let site = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile_dir();
    let runs: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            junheng::build(&junheng::BuildOptions {
                site: site.to_path_buf(),
                output: Some(out.clone()),
                deny_warnings: false,
            })
            .expect("the demo site builds");
            start.elapsed()
        })
        .collect();
    println!("demo build: median {:.1} ms over {} runs", median(runs.clone()).as_secs_f64() * 1e3, runs.len());
    let _ = std::fs::remove_dir_all(&out);
}

fn tempfile_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("junheng-bench-{}", std::process::id()))
}
