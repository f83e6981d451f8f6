//! The pipeline: load → model → engine → render → write, each stage a plain function of the
//! one before, returning a [`BuildReport`]. (The preview's incremental layer calls the same
//! stages: [`crate::incremental`].)

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use std::sync::Arc;

use crate::diag::{Diagnostic, Diagnostics};
use crate::error::{Error, Result};
use crate::model::revisions::{Release, Revisions};
use crate::output::OutputFile;
use crate::{engine, history, load, model, render, write};

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
    /// How long each stage took, in order (`load`, `schools`, `engine`, `downloads`, `pages`
    /// once per language, …), for benchmarks.
    pub stages: Vec<(&'static str, Duration)>,
}

/// A site rendered in memory.
#[derive(Debug)]
pub struct Rendered {
    /// The output files.
    pub files: Vec<OutputFile>,
    /// Warnings.
    pub diagnostics: Diagnostics,
    /// The configuration.
    pub config: crate::config::Config,
    /// Each data and content file with the encoding it was read as.
    pub encodings: Vec<(String, &'static str)>,
}

/// Everything but writing: the rendered files and the diagnostics.
pub fn render_site(site_root: &Path, deny_warnings: bool) -> Result<Rendered> {
    let (loaded, site, mut diags) = prepare(site_root, deny_warnings)?;
    match render::render(&site, &loaded.theme) {
        Ok(files) => Ok(Rendered { files, diagnostics: diags, config: loaded.config, encodings: loaded.encodings }),
        Err(ds) => {
            diags.extend(ds);
            Err(Error::Site(diags))
        }
    }
}

/// Loads the site, builds its model and runs the engine: the loaded inputs, the analysed site
/// and the warnings, or every diagnostic when the site has errors.
fn prepare(site_root: &Path, deny_warnings: bool) -> Result<(load::Loaded, engine::Analysed, Diagnostics)> {
    let mut diags = Diagnostics::new();
    let mut timer = crate::util::timing::Timer::start();
    // The history first: what it reads of past releases is dropped before the site is loaded.
    let (revisions, note) = revisions(site_root, &load::config(site_root)?);
    diags.extend(note);
    timer.done("history");
    let mut loaded = load::load_site(site_root, &mut diags)?;
    timer.done("load");
    let mut site = model::build::build_site(&mut loaded, &mut diags);
    site.revisions = revisions;
    // The model holds what rendering needs; the parsed tables (the largest part of memory at
    // national scale) are dropped before the engine runs.
    loaded.tables = load::Tables::default();
    timer.done("model");
    let diags = finish(diags, deny_warnings)?;
    Ok((loaded, engine::analyse(site), diags))
}

/// The site's revision history, read from the git repository it is in, with a note when it
/// has none (no repository, a shallow clone, no release yet) and a warning for what of it
/// cannot be read (a tag, a release whose files break a limit: left out).
pub fn revisions(site_root: &Path, config: &crate::config::Config) -> (Arc<Revisions>, Diagnostics) {
    let mut found = Diagnostics::new();
    let history = match load::history::open(site_root, config.settings.releases) {
        Ok(history) => history,
        Err(why) => {
            found.push(why.diagnostic());
            return (Arc::default(), found);
        }
    };
    let read = |f: &load::history::FileRef| history.read(f);
    let (snapshots, mut warnings) = release_snapshots(&history);
    let made = history::released(&snapshots, config, &read).and_then(|released| {
        let working =
            history::Snapshot { release: Release::unreleased(), files: load::history::working_files(site_root) };
        let unreleased = history::unreleased(&released, &working, config, &read)?;
        warnings.extend(released.left_out.iter().cloned());
        Ok((history::combine(&released, &unreleased), history::unreleased_note(&released, &unreleased)))
    });
    warnings.into_iter().for_each(|w| found.push(Diagnostic::warning("", w)));
    match made {
        Ok((revisions, unreleased)) => {
            if let Some(n) = unreleased {
                found.push(Diagnostic::note("", n));
            }
            (Arc::new(revisions), found)
        }
        Err(e) => {
            found.push(Diagnostic::warning("", format!("the revision history cannot be made: {e}")));
            (Arc::default(), found)
        }
    }
}

/// Each release of `history` with where its files are; a release whose files cannot be found
/// (a link in its tree) is left out, with the warnings of reading the repository.
pub fn release_snapshots(history: &load::history::History) -> (Vec<history::Snapshot>, Vec<String>) {
    let mut warnings = history.warnings.clone();
    let mut snapshots = Vec::new();
    for r in &history.releases {
        match history.files_of(r) {
            Ok(files) => snapshots.push(history::Snapshot { release: Release::of(r), files }),
            Err(e) => warnings.push(history::left_out(&r.name, &e)),
        }
    }
    (snapshots, warnings)
}

/// The diagnostics of a build that can go on to render (warnings only, or none), or all of
/// them as the error.
pub fn finish(mut diags: Diagnostics, deny_warnings: bool) -> Result<Diagnostics> {
    if deny_warnings {
        diags.deny_warnings();
    }
    if diags.has_errors() { Err(Error::Site(diags)) } else { Ok(diags) }
}

/// Everything but writing, keeping none of the output: the warnings and the encodings read,
/// or every diagnostic (`check`).
pub fn check_site(site_root: &Path, deny_warnings: bool) -> Result<(Diagnostics, Vec<(String, &'static str)>)> {
    let (loaded, site, mut diags) = prepare(site_root, deny_warnings)?;
    match render::render_into(&site, &loaded.theme, &crate::output::Discard) {
        Ok(_) => Ok((diags, loaded.encodings)),
        Err(ds) => {
            diags.extend(ds);
            Err(Error::Site(diags))
        }
    }
}

/// Builds the site and writes the output atomically. Files go to the staging folder as they
/// are rendered, so memory holds the model and the pages being rendered, never the whole site.
pub fn build(opts: &BuildOptions) -> Result<BuildReport> {
    let start = Instant::now();
    if !opts.site.is_dir() {
        return Err(Error::Usage(format!("the site folder `{}` does not exist", opts.site.display())));
    }
    crate::util::timing::take();
    let (loaded, site, mut diags) = prepare(&opts.site, opts.deny_warnings)?;
    let mut timer = crate::util::timing::Timer::start();
    let output = opts.output.clone().unwrap_or_else(|| opts.site.join(&loaded.config.output_dir));
    write::check_output_dir(&opts.site, &output)?;
    let staging = write::Staging::begin(&output)?;
    let produced = match render::render_into(&site, &loaded.theme, &staging) {
        Ok(p) => p,
        Err(ds) => {
            diags.extend(ds);
            // Dropping the staging folder leaves the previous output as it was.
            return Err(Error::Site(diags));
        }
    };
    timer.done("render and write");
    staging.commit()?;
    timer.done("swap");
    Ok(BuildReport {
        output,
        files: produced.files,
        bytes: produced.bytes,
        diagnostics: diags,
        elapsed: start.elapsed(),
        stages: crate::util::timing::take(),
    })
}
