//! The pipeline: load → model → render → write, returning a [`BuildReport`].

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::diag::Diagnostics;
use crate::error::{Error, Result};
use crate::output::OutputFile;
use crate::{load, model, render, write};

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
    render_site_cached(site_root, deny_warnings, &mut Memo::default())
}

/// What a rebuild takes over from the build before it when its inputs did not change: the
/// preview server keeps one across rebuilds. The result is always that of a clean build.
#[derive(Debug, Default)]
pub struct Memo {
    /// The school rows and the engine's results, with what they were made from (none when a
    /// watcher reported one of those files changed: the results are then reused county by
    /// county only).
    schools: Option<(Option<SchoolsKey>, model::build::Schools)>,
    /// The other data, with what it was made from.
    data: Option<(DataKey, model::build::Data)>,
    /// The Markdown files as read.
    content: load::ContentMemo,
    /// Rendered pages.
    pub pages: render::PageCache,
}

/// What the school rows and the engine's results are made from: `schools.csv`, the files its
/// references are checked against, and the configuration (rules, audit years, encodings).
#[derive(Debug, Clone, PartialEq, Eq)]
struct SchoolsKey {
    /// None when the site has no school rows.
    schools: Option<crate::util::fs::Stamp>,
    counties: Option<crate::util::fs::Stamp>,
    sources: Option<crate::util::fs::Stamp>,
    config: Option<crate::util::fs::Stamp>,
}

impl SchoolsKey {
    fn of(site_root: &Path) -> Self {
        use crate::util::fs::stamp;
        SchoolsKey {
            schools: stamp(&site_root.join(load::specs::SCHOOLS.file)),
            counties: stamp(&site_root.join(load::specs::COUNTIES.file)),
            sources: stamp(&site_root.join(load::specs::SOURCES.file)),
            config: stamp(&site_root.join(crate::config::CONFIG_FILE)),
        }
    }
}

/// What the data other than the school rows is made from: its files and the configuration
/// (their stamps, in the order of [`DATA_FILES`]), and which of them a watcher reported since.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DataKey {
    stamps: [Option<crate::util::fs::Stamp>; 6],
    reported: [bool; 6],
}

/// The files of [`DataKey`], site-relative: the areas, the sources and the configuration,
/// which every table's rows are checked against, and the published rows, the milestones and
/// the metrics, each checked on its own.
const DATA_FILES: [&str; 6] = [
    load::specs::COUNTIES.file,
    load::specs::SOURCES.file,
    crate::config::CONFIG_FILE,
    load::specs::INDICATORS.file,
    load::specs::MILESTONES.file,
    load::specs::METRICS.file,
];

impl DataKey {
    fn of(site_root: &Path) -> Self {
        DataKey { stamps: DATA_FILES.map(|f| crate::util::fs::stamp(&site_root.join(f))), reported: [false; 6] }
    }

    /// Which of the published rows, milestones and metrics made from `self` a build of `now`
    /// can take over; `None` when none can (the areas, the sources or the configuration
    /// changed).
    fn reusable(&self, now: &DataKey) -> Option<[bool; 3]> {
        let same = |i: usize| !self.reported[i] && self.stamps[i] == now.stamps[i];
        (0..3).all(same).then(|| [3, 4, 5].map(same))
    }
}

impl Memo {
    /// A memo that keeps rendered pages too (the preview server).
    pub fn keeping() -> Self {
        Memo { schools: None, data: None, content: load::ContentMemo::default(), pages: render::PageCache::keeping() }
    }

    /// Forgets what was made from the site-relative `paths` (the watcher reported them
    /// changed): a file rewritten within one tick of the file-system clock at the same size
    /// keeps its [`crate::util::fs::Stamp`].
    pub fn forget(&mut self, paths: &[String]) {
        let inputs = [
            load::specs::SCHOOLS.file,
            load::specs::COUNTIES.file,
            load::specs::SOURCES.file,
            crate::config::CONFIG_FILE,
        ];
        if paths.iter().any(|p| inputs.contains(&p.as_str())) {
            if let Some((key, _)) = &mut self.schools {
                *key = None;
            }
        }
        if let Some((key, _)) = &mut self.data {
            for (i, file) in DATA_FILES.iter().enumerate() {
                key.reported[i] |= paths.iter().any(|p| p == file);
            }
        }
        paths.iter().for_each(|p| self.content.forget(p));
    }
}

/// Loads the site and builds its model: the loaded inputs, the model and the warnings, or
/// every diagnostic when the site has errors. Takes the school rows from `memo` when their
/// inputs did not change, and leaves this build's in it.
fn prepare(site_root: &Path, deny_warnings: bool, memo: &mut Memo) -> Result<(load::Loaded, model::Site, Diagnostics)> {
    let mut diags = Diagnostics::new();
    let mut timer = crate::util::timing::Timer::start();
    // Stamped before reading: a file changed while it is read gets a new stamp, and so is
    // read again next time.
    let key = SchoolsKey::of(site_root);
    // The school rows of the build before: taken whole when their inputs did not change, else
    // what is kept of them (the engine's results of the counties whose rows are as before).
    let (reuse, before) = match memo.schools.take() {
        Some((Some(k), s)) if k == key => (Some(s), None),
        // Only the results and the hashes are read: the rows go now.
        kept => (None, kept.map(|(_, s)| model::build::Schools { rows: Default::default(), ..s })),
    };
    let keep = memo.pages.keeps();
    let data_key = keep.then(|| DataKey::of(site_root));
    // The data of the build before, with which of its row tables can be taken over.
    let reuse_data = match (memo.data.take(), &data_key) {
        (Some((then, data)), Some(now)) => then.reusable(now).map(|parts| (data, parts)),
        _ => None,
    };
    // The files whose rows are taken over are not read.
    let skip_data: Vec<&str> = match &reuse_data {
        Some((_, kept)) => {
            let rows = DATA_FILES[3..].iter().zip(kept).filter(|(_, k)| **k).map(|(f, _)| f);
            DATA_FILES[..3].iter().chain(rows).copied().collect()
        }
        None => Vec::new(),
    };
    let mut loaded =
        load::load_site_reusing(site_root, &mut diags, reuse.is_some(), &skip_data, keep.then_some(&mut memo.content))?;
    timer.done("load");
    if let Some(encoding) = reuse.as_ref().and_then(|s| s.encoding) {
        loaded.encodings.push((load::specs::SCHOOLS.file.to_string(), encoding));
    }
    let (site, schools, data) = model::build::build_site_with(&mut loaded, &mut diags, reuse, before, reuse_data, keep);
    // The data files' encodings as the data has them (read now or taken over).
    loaded.encodings.retain(|(f, _)| !DATA_FILES.contains(&f.as_str()));
    loaded.encodings.extend(data.encodings.iter().cloned());
    loaded.encodings.sort();
    if let Some((hashes, _)) = &schools.hashes {
        memo.pages.know_school_hashes(site.schools.clone(), hashes.clone());
    }
    memo.schools = Some((Some(key), schools));
    memo.data = data_key.map(|k| (k, data));
    // The model holds what rendering needs; the parsed tables (the largest part of memory at
    // national scale) are dropped before rendering starts.
    loaded.tables = load::Tables::default();
    timer.done("model and engine");
    if deny_warnings {
        diags.deny_warnings();
    }
    if diags.has_errors() {
        return Err(Error::Site(diags));
    }
    Ok((loaded, site, diags))
}

/// [`render_site`], reusing what `memo` kept of the build before whose inputs did not change
/// (the preview server keeps one memo across rebuilds). The result is the same as without.
pub fn render_site_cached(site_root: &Path, deny_warnings: bool, memo: &mut Memo) -> Result<Rendered> {
    let (loaded, site, mut diags) = prepare(site_root, deny_warnings, memo)?;
    match render::render_cached(&site, &loaded.theme, &mut memo.pages) {
        Ok(files) => Ok(Rendered { files, diagnostics: diags, config: loaded.config, encodings: loaded.encodings }),
        Err(ds) => {
            diags.extend(ds);
            Err(Error::Site(diags))
        }
    }
}

/// Everything but writing, keeping none of the output: the warnings and the encodings read,
/// or every diagnostic (`check`).
pub fn check_site(site_root: &Path, deny_warnings: bool) -> Result<(Diagnostics, Vec<(String, &'static str)>)> {
    let (loaded, site, mut diags) = prepare(site_root, deny_warnings, &mut Memo::default())?;
    match render::render_to(&site, &loaded.theme, &mut render::PageCache::default(), &crate::output::Discard) {
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
    let (loaded, site, mut diags) = prepare(&opts.site, opts.deny_warnings, &mut Memo::default())?;
    let mut timer = crate::util::timing::Timer::start();
    let output = opts.output.clone().unwrap_or_else(|| opts.site.join(&loaded.config.output_dir));
    write::check_output_dir(&opts.site, &output)?;
    let staging = write::Staging::begin(&output)?;
    let produced = match render::render_to(&site, &loaded.theme, &mut render::PageCache::default(), &staging) {
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
