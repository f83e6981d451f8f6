//! Writes a synthetic national site (see `junheng::synthetic`):
//!
//! ```sh
//! cargo run --release --features synthetic --example national -- /tmp/national            # 2,854 counties, 10 school years
//! cargo run --release --features synthetic --example national -- /tmp/national10 --scale 10 --seed 7
//! cargo run --release --features synthetic --example national -- /tmp/pages --published-only --one-language  # pages of published figures
//! cargo run --release -- build --site /tmp/national
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut opts = junheng::synthetic::Options::default();
    while let Some(a) = args.next() {
        let mut number = |name: &str| -> Option<u64> {
            let v = args.next().and_then(|v| v.parse().ok());
            if v.is_none() {
                eprintln!("error: {name} expects a number");
            }
            v
        };
        match a.as_str() {
            "--scale" => match number("--scale") {
                Some(v) => opts.scale = v as usize,
                None => return ExitCode::from(2),
            },
            "--seed" => match number("--seed") {
                Some(v) => opts.seed = v,
                None => return ExitCode::from(2),
            },
            "--schools" => match number("--schools") {
                Some(v) => opts.schools_per_county = v as usize,
                None => return ExitCode::from(2),
            },
            "--years" => match number("--years") {
                Some(v) => opts.years = v as u16,
                None => return ExitCode::from(2),
            },
            "--published-only" => opts.published_only = true,
            "--one-language" => opts.one_language = true,
            _ if dir.is_none() && !a.starts_with('-') => dir = Some(std::path::PathBuf::from(a)),
            _ => {
                eprintln!(
                    "usage: national DIR [--scale N] [--seed N] [--years N] [--schools N] [--published-only] [--one-language]"
                );
                return ExitCode::from(2);
            }
        }
    }
    let Some(dir) = dir else {
        eprintln!(
            "usage: national DIR [--scale N] [--seed N] [--years N] [--schools N] [--published-only] [--one-language]"
        );
        return ExitCode::from(2);
    };
    if dir.join("site.toml").exists() {
        eprintln!("error: `{}` already holds a site", dir.display());
        return ExitCode::from(2);
    }
    match junheng::synthetic::generate(&dir, &opts) {
        Ok(s) => {
            println!("wrote {} counties and {} school rows into `{}`", s.counties, s.school_rows, dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
