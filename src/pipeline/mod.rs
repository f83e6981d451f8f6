//! The pipeline, written once: read `site.toml`, the revision history, load and check the data
//! tables, the pages and the theme (the model), run the engine, render, write. `build`,
//! `check`, the preview and the figures of each release of the history all run it.
//!
//! Each step is a plain `fn` of an inputs struct ([`steps`]) called through a [`Memo`]. A build
//! keeps nothing ([`Keep::Nothing`]): each step is called once, its inputs never hashed. The
//! preview keeps each value under the key of its inputs, so a rebuild makes again only what an
//! edit changed: the function is a `fn` pointer of its inputs only, so the key is computed from
//! exactly what the value is made of (dependencies are recorded by the call, never declared
//! beside it). Files enter by their [`crate::util::fs::Stamp`] and are forgotten when the
//! watcher reports them; a value the memory made enters its users' keys as its own key
//! ([`Made`]), so a rebuild that changed one narrative hashes a few integers per step, not the
//! data. In verify mode (every preview test, `JUNHENG_VERIFY=1 junheng serve`) every value
//! reused is also made again and must be equal; a mismatch fails naming the step, the slot
//! and what it was keyed on.
//!
//! Why not salsa: a spike with salsa 0.28 (2,854 county inputs, a page per county and
//! language, a per-county download, a national table and a home page reading every county)
//! revalidated all 11,400 queries after a one-county edit in 2–13 ms, so speed was not the
//! question. But salsa sets inputs, it does not compare them: the memory would still have to
//! find which counties an edit of a national file changed, which is the work of the keys here;
//! its database handles are not `Sync`, so rendering on rayon needs a handle per thread; and
//! its tracked functions take salsa structs, not the plain values the stages pass.

mod memo;
mod steps;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use memo::{AnyMemo, Ran};
pub use memo::{Keep, Made, Memo, Serialized};
use steps::*;

use crate::config::{CONFIG_FILE, Config};
use crate::diag::{Diagnostic, Diagnostics};
use crate::engine::{Analysed, Computed, Sheet};
use crate::error::{Error, Result};
use crate::format;
use crate::load::content::SourcePage;
use crate::load::theme::Theme;
use crate::load::{self, Folder, Source};
use crate::model::grouped::AreaOf;
use crate::model::revisions::{Change, Revisions};
use crate::model::rules::Rules;
use crate::model::validate::Parts;
use crate::model::{Grouped, Metric, Milestone, Page, Reported, SchoolRow};
use crate::output::{Collect, Counting, Discard, OutputFile, Produced, Sink};
use crate::render::downloads::{self, Downloads, Part as DownloadPart};
use crate::render::pages::Rankings;
use crate::render::scope::Reading;
use crate::revisions::{Cut, figures::Figure};
use crate::util::fs::stamp;
use crate::util::timing::Timer;
use crate::{model, render, write};

/// Where a run's files go.
#[derive(Debug, Clone, Copy)]
pub enum To<'a> {
    /// Nowhere: every file is made and dropped (`check`).
    Nowhere,
    /// Memory: the files come back in [`Outcome::files`] (the preview, tests).
    Memory,
    /// The output folder, swapped in when every file is written, so that a failed build leaves
    /// the previous output as it was (`build`; `None`: `output_dir` of `site.toml`).
    Folder(Option<&'a Path>),
}

/// What a run made.
#[derive(Debug)]
pub struct Outcome {
    /// The files, sorted by path ([`To::Memory`]; else none).
    pub files: Vec<OutputFile>,
    /// How many files and bytes were made.
    pub produced: Produced,
    /// The output folder written ([`To::Folder`]).
    pub output: Option<PathBuf>,
    /// Warnings and notes (the site is publishable).
    pub diagnostics: Diagnostics,
    /// The configuration.
    pub config: Arc<Config>,
    /// Each data and content file read, with the encoding it was read as, sorted.
    pub encodings: Vec<(String, &'static str)>,
}

/// The memos of the steps that read a site's data tables and run the engine: a site folder's
/// in the pipeline, or a release's (which keep nothing).
struct DataMemos {
    register: Memo<Registered>,
    reported: Memo<Rows<Reported>>,
    milestones: Memo<Rows<Milestone>>,
    metrics: Memo<Rows<Metric>>,
    schools: Memo<Rows<SchoolRow>>,
    rules: Memo<Arc<Rules>>,
    county_results: Memo<Arc<Vec<Computed>>>,
    computed: Memo<Arc<Grouped<Computed>>>,
    sheets: Memo<Arc<Grouped<Sheet>>>,
}

/// The data tables checked, and the engine's results.
struct Data {
    register: Made<Registered>,
    reported: Made<Rows<Reported>>,
    milestones: Made<Rows<Milestone>>,
    metrics: Made<Rows<Metric>>,
    schools: Made<Rows<SchoolRow>>,
    rules: Made<Arc<Rules>>,
    computed: Made<Arc<Grouped<Computed>>>,
    sheets: Made<Arc<Grouped<Sheet>>>,
}

impl Data {
    /// Each table read, with the encoding it was read as.
    fn encodings(&self) -> Vec<(String, &'static str)> {
        let rows = [
            (format::INDICATORS.file, self.reported.2),
            (format::MILESTONES.file, self.milestones.2),
            (format::METRICS.file, self.metrics.2),
            (format::SCHOOLS.file, self.schools.2),
        ];
        let read = rows.into_iter().filter_map(|(f, e)| Some((f.to_string(), e?)));
        self.register.2.iter().cloned().chain(read).collect()
    }
}

impl DataMemos {
    fn new(keep: Keep) -> Self {
        DataMemos {
            register: Memo::new("register", keep),
            reported: Memo::new("published rows", keep),
            milestones: Memo::new("milestones", keep),
            metrics: Memo::new("metrics", keep),
            schools: Memo::new("schools", keep),
            rules: Memo::new("rules", keep),
            county_results: Memo::new("county results", keep),
            computed: Memo::new("results", keep),
            sheets: Memo::new("sheets", keep),
        }
    }

    /// Load, model and engine for the tables of `source`: every table read and checked, each
    /// county's results, the sheets. What reading and checking found goes to `diags`.
    fn data<S: Source>(&self, source: &S, config: &Config, diags: &mut Diagnostics) -> Result<Data> {
        let at = |spec: &'static format::InputFile| TableAt { source, spec, version: source.version(spec) };
        let inputs = RegisterInputs {
            counties: at(&format::COUNTIES),
            sources: at(&format::SOURCES),
            standards: at(&format::STANDARDS),
            present: source.present(),
        };
        let register = self.register.try_get("register", inputs, register::<S>)?;
        diags.extend(register.1.clone());
        let rows = |spec| RowsInputs { table: at(spec), register: &register };
        let reported =
            self.reported.try_get(format::INDICATORS.file, rows(&format::INDICATORS), published_rows::<S>)?;
        let milestones =
            self.milestones.try_get(format::MILESTONES.file, rows(&format::MILESTONES), milestone_rows::<S>)?;
        let metrics = self.metrics.try_get(format::METRICS.file, rows(&format::METRICS), metric_rows::<S>)?;
        let schools = self.schools.try_get(format::SCHOOLS.file, rows(&format::SCHOOLS), school_rows::<S>)?;
        for found in [&reported.1, &milestones.1, &metrics.1, &schools.1] {
            diags.extend(found.clone());
        }
        let rules = self.rules.get("rules", Serialized(&config.rules), steps::rules);
        let audit = config.settings.audit_years;
        // Each county's results, made again only when its school rows, the rules or the audited
        // years changed.
        let per_county: Vec<Made<Arc<Vec<Computed>>>> = (schools.0.runs().par_iter())
            .map(|(county, _)| {
                let rows = AreaOf { grouped: &schools.0, area: county };
                self.county_results.get(county, CountyRun { rows, rules: &rules, audit }, county_results)
            })
            .collect();
        let computed = self.computed.get("results", per_county, all_results);
        let sheets =
            self.sheets.get("sheets", SheetsInputs { reported: &reported, computed: &computed, rules: &rules }, sheets);
        Ok(Data { register, reported, milestones, metrics, schools, rules, computed, sheets })
    }

    fn memos(&self) -> [&dyn AnyMemo; 9] {
        [
            &self.register,
            &self.reported,
            &self.milestones,
            &self.metrics,
            &self.schools,
            &self.rules,
            &self.county_results,
            &self.computed,
            &self.sheets,
        ]
    }
}

/// The figures of a release's areas ([`Cut`]), made by the pipeline's load, model and engine
/// as a build makes them; nothing is kept.
fn release_figures(cut: &Cut) -> Result<Vec<Figure>> {
    let mut found = Diagnostics::new();
    let data = DataMemos::new(Keep::Nothing).data(cut, cut.config(), &mut found)?;
    Ok(crate::revisions::figures::figures(&data.reported.0, &data.sheets, &data.milestones.0))
}

/// The pipeline of one site folder, with what it keeps between runs.
pub struct Pipeline {
    root: PathBuf,
    keep: Keep,
    config: Memo<Arc<Config>>,
    released: Memo<MadeHistory>,
    unreleased: Memo<Arc<Vec<Change>>>,
    revisions: Memo<Arc<Revisions>>,
    tables: DataMemos,
    content: Memo<(Option<Arc<SourcePage>>, Diagnostics)>,
    pages: Memo<(Arc<Vec<Page>>, Diagnostics)>,
    theme: Memo<(Arc<Theme>, Diagnostics)>,
    styled: Memo<Arc<render::Styled>>,
    sizes: Memo<Ran<usize>>,
    parts: Memo<Ran<Arc<DownloadPart>>>,
    downloads: Memo<Ran<Arc<Downloads>>>,
    rankings: Memo<Ran<Rankings>>,
    rendered: Memo<Ran<()>>,
    /// What each step made and reused in the last run.
    last: Vec<(&'static str, usize, usize)>,
}

impl Pipeline {
    /// The pipeline of the site at `root`, keeping what `keep` says between runs (a build:
    /// nothing; the preview: values).
    pub fn new(root: &Path, keep: Keep) -> Self {
        Pipeline {
            root: root.to_path_buf(),
            keep,
            config: Memo::new("config", keep),
            released: Memo::new("released history", keep),
            unreleased: Memo::new("unreleased changes", keep),
            revisions: Memo::new("revisions", keep),
            tables: DataMemos::new(keep),
            content: Memo::new("content file", keep),
            pages: Memo::new("pages", keep),
            theme: Memo::new("theme", keep),
            styled: Memo::new("templates and styles", keep),
            sizes: Memo::new("table sizes", keep),
            parts: Memo::new("download parts", keep),
            downloads: Memo::new("downloads", keep),
            rankings: Memo::new("rankings", keep),
            rendered: Memo::new("pages and feeds", keep),
            last: Vec::new(),
        }
    }

    /// Runs the pipeline: the site's files go where `to` says. With `deny_warnings`, a warning
    /// stops the run as an error does. A site with errors returns every diagnostic.
    pub fn run(&mut self, to: To, deny_warnings: bool) -> Result<Outcome> {
        let outcome = self.run_once(to, deny_warnings);
        self.last = self.memos().iter().map(|m| m.counts()).collect();
        if outcome.is_ok() {
            // What this run did not ask for (a page gone, a file removed) is dropped.
            self.memos().iter().for_each(|m| m.sweep());
        }
        outcome
    }

    fn run_once(&self, to: To, deny_warnings: bool) -> Result<Outcome> {
        let root = self.root.as_path();
        let mut diags = Diagnostics::new();
        let mut timer = Timer::start();
        let config = self.config.try_get(CONFIG_FILE, self.file_at(CONFIG_FILE, None), steps::config)?;
        config.warnings.iter().for_each(|w| diags.push(w.clone()));
        // The history first: what it reads of past releases is dropped before the site is read.
        let revisions = self.revisions(&config, &mut diags);
        timer.done("history");
        let (site, encodings) = self.analysed(&config, revisions, &mut diags)?;
        let theme = self.theme.try_get("theme", self.theme_at(&config)?, steps::theme)?;
        diags.extend(theme.1.clone());
        timer.done("theme");
        let mut diags = publishable(diags, deny_warnings)?;
        let c = &site.config;
        let inputs = StyleInputs {
            theme: &theme,
            languages: &c.languages,
            default_lang: c.default_language(),
            browsers: &c.settings.browsers,
        };
        let styled = self.styled.try_get("styled", inputs, steps::styled).map_err(|ds| fail(&mut diags, ds))?;
        let outcome = |produced, files, output| Outcome {
            files,
            produced,
            output,
            diagnostics: Diagnostics::new(),
            config: (*config).clone(),
            encodings,
        };
        let mut outcome = match to {
            To::Nowhere => {
                let produced =
                    self.render_counted(&site, &theme.0, &styled, &Discard).map_err(|ds| fail(&mut diags, ds))?;
                outcome(produced, Vec::new(), None)
            }
            To::Memory => {
                let files = self.render_in_memory(&site, &theme.0, &styled).map_err(|ds| fail(&mut diags, ds))?;
                let produced = Produced { files: files.len(), bytes: files.iter().map(|f| f.bytes.len()).sum() };
                outcome(produced, files, None)
            }
            To::Folder(output) => {
                let output = output.map_or_else(|| root.join(&config.output_dir), Path::to_path_buf);
                write::check_output_dir(root, &output)?;
                let staging = write::Staging::begin(&output)?;
                // On error, dropping the staging folder leaves the previous output as it was.
                let produced =
                    self.render_counted(&site, &theme.0, &styled, &staging).map_err(|ds| fail(&mut diags, ds))?;
                timer.done("render and write");
                staging.commit()?;
                timer.done("swap");
                outcome(produced, Vec::new(), Some(output))
            }
        };
        outcome.diagnostics = diags;
        Ok(outcome)
    }

    /// Load, model and engine: the analysed site, with each file read and its encoding.
    fn analysed(
        &self,
        config: &Config,
        revisions: Arc<Revisions>,
        diags: &mut Diagnostics,
    ) -> Result<(Analysed, Vec<(String, &'static str)>)> {
        let mut timer = Timer::start();
        let data = self.tables.data(&Folder::new(&self.root, config, self.keep != Keep::Nothing), config, diags)?;
        timer.done("data and engine");
        let (pages, page_encodings) = self.pages(config, &data.register, diags)?;
        timer.done("content");
        let mut encodings = data.encodings();
        encodings.extend(page_encodings);
        encodings.sort();
        let parts = Parts {
            register: data.register.0.clone(),
            reported: data.reported.0.clone(),
            milestones: data.milestones.0.clone(),
            metrics: data.metrics.0.clone(),
            schools: data.schools.0.clone(),
            rules: (**data.rules).clone(),
            pages: (*pages.0).clone(),
            revisions,
        };
        let site = Analysed {
            site: model::validate::assemble(config, parts),
            computed: (*data.computed).clone(),
            sheets: (*data.sheets).clone(),
        };
        Ok((site, encodings))
    }

    /// A file of the site folder, with its stamp when values are kept.
    fn file_at<'a>(&'a self, file: &'a str, config: Option<&Config>) -> FileAt<'a> {
        let stamp = (self.keep != Keep::Nothing).then(|| stamp(&self.root.join(file))).flatten();
        let encoding = config.and_then(|c| c.encoding_of(file)).map(|e| e.name());
        FileAt { root: &self.root, file, stamp, encoding }
    }

    /// The revision history: the releases' changes read again only when the repository's HEAD
    /// or tags moved (or `site.toml` changed), what is not released yet when a data file did.
    fn revisions(&self, config: &Made<Arc<Config>>, diags: &mut Diagnostics) -> Arc<Revisions> {
        let history = load::git::open(&self.root, config.settings.releases);
        let released = self.released.get("released", HistoryAt { history: &history, config }, steps::released);
        match &**released {
            Err(why) => diags.push(why.diagnostic()),
            Ok(released) => released.left_out.iter().for_each(|w| diags.push(Diagnostic::warning("", w.clone()))),
        }
        let files = (crate::format::INPUT_FILES.iter())
            .flat_map(|s| [s.file.to_string(), load::workbook_of(s.file)])
            .chain([CONFIG_FILE.to_string()])
            .collect::<Vec<String>>();
        let files = files.iter().map(|f| self.file_at(f, Some(config))).collect();
        let working = WorkingAt { released: &released, history: &history, files, config };
        let unreleased = self.unreleased.get("unreleased", working, steps::unreleased);
        if let Ok(released) = &**released
            && let Some(note) = crate::revisions::unreleased_note(released, &unreleased)
        {
            diags.push(Diagnostic::note("", note));
        }
        let of = RevisionsOf { released: &released, unreleased: &unreleased };
        (*self.revisions.get("revisions", of, steps::revisions)).clone()
    }

    /// The Markdown pages, each file read again only when it changed; with the encodings read.
    #[allow(clippy::type_complexity)]
    fn pages(
        &self,
        config: &Config,
        register: &Made<Registered>,
        diags: &mut Diagnostics,
    ) -> Result<(Made<(Arc<Vec<Page>>, Diagnostics)>, Vec<(String, &'static str)>)> {
        let listed = load::content_files(&self.root, config, diags)?;
        let read = (listed.par_iter())
            .map(|f| {
                self.content.try_get(&f.file, PageAt { file: f, at: self.file_at(&f.file, Some(config)) }, source_page)
            })
            .collect::<Result<Vec<_>>>()?;
        read.iter().for_each(|r| diags.extend(r.1.clone()));
        let encodings = read.iter().filter_map(|r| r.0.as_ref()).map(|p| (p.file.clone(), p.encoding)).collect();
        let pages = self.pages.get("pages", PagesInputs { read, register }, steps::pages);
        diags.extend(pages.1.clone());
        Ok((pages, encodings))
    }

    fn theme_at<'a>(&'a self, config: &'a Config) -> Result<ThemeAt<'a>> {
        let rel = format!("themes/{}", config.theme);
        let dir = self.root.join(&rel);
        let files = if self.keep != Keep::Nothing && crate::util::fs::site_dir(&self.root, &rel)? {
            crate::util::fs::walk_files(&dir, &rel)?
                .into_iter()
                .map(|f| {
                    let stamp = stamp(&dir.join(&f));
                    (f, stamp)
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(ThemeAt { root: &self.root, name: &config.theme, languages: &config.languages, files })
    }

    /// The render stage's jobs, in order, each run through its memo: the assets, the sizes of
    /// the national tables, the download parts, the downloads' record, the rankings, every page
    /// and feed, then `robots.txt`.
    fn render(
        &self,
        site: &Analysed,
        theme: &Theme,
        styled: &render::Styled,
        sink: &dyn Sink,
    ) -> std::result::Result<(), Diagnostics> {
        let mut timer = Timer::start();
        render::assets(theme, styled, sink);
        let reading = Reading::new(site);
        let words = downloads::Words::new(styled.strings());
        let sizes: Vec<usize> = downloads::size_jobs(&reading).iter().map(|job| self.sizes.run(job, sink)).collect();
        let parts = render::run_parts(&downloads::part_jobs(&reading, &words, &sizes), |job| self.parts.run(job, sink));
        let downloads = self.downloads.run(&downloads::downloads_job(&reading, parts), sink);
        timer.done("downloads");
        let rankings = self.rankings.run(&render::pages::rankings_job(&reading), sink);
        let frames = render::frames(site, styled);
        let jobs = render::page_jobs(&reading, &frames, &downloads, &rankings);
        let errors: Vec<Diagnostic> =
            jobs.par_iter().filter_map(|job| self.rendered.try_run(job, sink).err()).collect();
        timer.done("pages");
        render::conclude(&site.config.base_url, styled, errors, sink)
    }

    /// [`Pipeline::render`] into `sink` (the output's staging folder, or nowhere), counting the
    /// files and bytes that pass and failing when two files share a path.
    fn render_counted(
        &self,
        site: &Analysed,
        theme: &Theme,
        styled: &render::Styled,
        sink: &dyn Sink,
    ) -> std::result::Result<Produced, Diagnostics> {
        let counting = Counting { inner: sink, paths: Default::default(), bytes: Default::default() };
        self.render(site, theme, styled, &counting)?;
        let mut paths = counting.paths.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        paths.par_sort_unstable();
        render::unique(paths.iter().map(String::as_str))?;
        Ok(Produced { files: paths.len(), bytes: counting.bytes.into_inner() })
    }

    /// [`Pipeline::render`] in memory: the files, sorted by path, failing when two share one.
    fn render_in_memory(
        &self,
        site: &Analysed,
        theme: &Theme,
        styled: &render::Styled,
    ) -> std::result::Result<Vec<OutputFile>, Diagnostics> {
        let sink = Collect::default();
        self.render(site, theme, styled, &sink)?;
        let files = sink.into_files();
        render::unique(files.iter().map(|f| f.path.as_str()))?;
        Ok(files)
    }

    /// Forgets what was read from the site-relative `paths` (the watcher reported them
    /// changed): a file rewritten within one tick of the file system's clock at the same size
    /// keeps its stamp.
    pub fn forget(&mut self, paths: &[String]) {
        for p in paths {
            // A table's workbook is kept under its CSV file's name.
            let p = &load::table_file(p);
            self.config.forget(p);
            if p == format::COUNTIES.file || p == format::SOURCES.file {
                self.tables.register.forget("register");
            }
            self.tables.reported.forget(p);
            self.tables.milestones.forget(p);
            self.tables.metrics.forget(p);
            self.tables.schools.forget(p);
            self.content.forget(p);
            if p.starts_with("data/") || p == CONFIG_FILE {
                self.unreleased.forget("unreleased");
            }
            if p.starts_with("themes/") {
                self.theme.forget("theme");
            }
        }
    }

    fn memos(&self) -> Vec<&dyn AnyMemo> {
        let mut memos: Vec<&dyn AnyMemo> = vec![&self.config, &self.released, &self.unreleased, &self.revisions];
        memos.extend(self.tables.memos());
        memos.extend([
            &self.content as &dyn AnyMemo,
            &self.pages,
            &self.theme,
            &self.styled,
            &self.sizes,
            &self.parts,
            &self.downloads,
            &self.rankings,
            &self.rendered,
        ]);
        memos
    }

    /// The configuration the last run read (none before a run, or when `site.toml` could not
    /// be read and nothing is kept).
    pub fn config(&self) -> Option<Arc<Config>> {
        self.config.kept(CONFIG_FILE)
    }

    /// How many values each step made and reused in the last run, by step.
    pub fn counts(&self) -> Vec<(&'static str, usize, usize)> {
        self.last.clone()
    }

    /// How many pages and feeds the last run made and reused.
    pub fn pages_made_and_reused(&self) -> (usize, usize) {
        self.last.iter().find(|p| p.0 == self.rendered.name()).map_or((0, 0), |p| (p.1, p.2))
    }

    /// How many pages and feeds are kept for the next run.
    pub fn pages_kept(&self) -> usize {
        self.rendered.len()
    }
}

/// The diagnostics of a site that can go on to render (warnings only, or none), or all of
/// them as the error.
fn publishable(mut diags: Diagnostics, deny_warnings: bool) -> Result<Diagnostics> {
    if deny_warnings {
        diags.deny_warnings();
    }
    if diags.has_errors() { Err(Error::Site(diags)) } else { Ok(diags) }
}

/// A failed render: what was found before, with the render's diagnostics.
fn fail(diags: &mut Diagnostics, found: Diagnostics) -> Error {
    let mut all = std::mem::take(diags);
    all.extend(found);
    Error::Site(all)
}

/// Renders the site at `root` in memory, keeping nothing: its files, sorted by path, or every
/// diagnostic.
pub fn in_memory(root: &Path, deny_warnings: bool) -> Result<Outcome> {
    Pipeline::new(root, Keep::Nothing).run(To::Memory, deny_warnings)
}

/// Load, model and engine for the site at `root`, without its revision history: the analysed
/// site, or every diagnostic (tests read a site's model this way).
pub fn analyse(root: &Path) -> Result<Analysed> {
    let pipeline = Pipeline::new(root, Keep::Nothing);
    let mut diags = Diagnostics::new();
    let config = load::config(root)?;
    let (site, _) = pipeline.analysed(&config, Arc::default(), &mut diags)?;
    publishable(diags, false)?;
    Ok(site)
}
