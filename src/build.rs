//! `junheng build`: the pipeline ([`crate::pipeline`]) run once into the output folder.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::diag::Diagnostics;
use crate::error::{Error, Result};
use crate::pipeline::{Keep, Pipeline, To};

/// Options of a build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The site folder.
    pub site: PathBuf,
    /// The output folder; `None` uses `output_dir` of `site.toml` relative to the site.
    pub output: Option<PathBuf>,
    /// Treat warnings as errors.
    pub deny_warnings: bool,
}

/// What a successful build did.
#[derive(Debug)]
pub struct BuildReport {
    /// Where the output went.
    pub output: PathBuf,
    /// Number of files written.
    pub files: usize,
    /// Total bytes written.
    pub bytes: usize,
    /// Warnings (the build succeeded despite them).
    pub diagnostics: Diagnostics,
    /// Wall time.
    pub elapsed: Duration,
    /// How long each stage took, in order (`history`, `data and engine`, `content`, `theme`,
    /// `downloads`, `pages`, …), for benchmarks.
    pub stages: Vec<(&'static str, Duration)>,
}

/// Builds the site and writes the output atomically. Files go to the staging folder as they
/// are rendered, so memory holds the model and the pages being rendered, never the whole site.
pub fn build(opts: &BuildOptions) -> Result<BuildReport> {
    let start = Instant::now();
    if !opts.site.is_dir() {
        return Err(Error::Usage(format!("the site folder `{}` does not exist", opts.site.display())));
    }
    crate::util::timing::take();
    let outcome =
        Pipeline::new(&opts.site, Keep::Nothing).run(To::Folder(opts.output.as_deref()), opts.deny_warnings)?;
    Ok(BuildReport {
        output: outcome.output.unwrap_or_default(),
        files: outcome.produced.files,
        bytes: outcome.produced.bytes,
        diagnostics: outcome.diagnostics,
        elapsed: start.elapsed(),
        stages: crate::util::timing::take(),
    })
}
