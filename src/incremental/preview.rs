//! The preview's build: the stages of [`crate::build`] called part by part through memos, so
//! that a rebuild makes again only what an edit changed. The result is always that of a clean
//! build (the tests compare them after every kind of edit, with verify mode on).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use super::memo::{Part, Ran};
use super::{Hashed, Made, Memo};
use crate::build::Rendered;
use crate::config::{AuditYears, CONFIG_FILE, Config};
use crate::diag::{Diagnostic, Diagnostics};
use crate::engine::{Analysed, Computed, Sheet};
use crate::error::{Error, Result};
use crate::history;
use crate::load::content::SourcePage;
use crate::load::data::Columns;
use crate::load::history::Unavailable;
use crate::load::theme::Theme;
use crate::load::{self, ContentFile, specs};
use crate::model::build::Register;
use crate::model::revisions::{Change, Release, Revisions};
use crate::model::rules::Rules;
use crate::model::{Grouped, Metric, Milestone, Page, Reported, SchoolRow};
use crate::render::downloads::{Downloads, Part as DownloadPart};
use crate::render::pages::Rankings;
use crate::render::scope::Reading;
use crate::util::fs::{Stamp, stamp};
use crate::{engine, model, render};

/// A file as the layer reads it: where, which version, in which encoding (when `site.toml`
/// names one).
#[derive(Debug, Clone, Hash)]
struct FileAt<'a> {
    root: &'a Path,
    file: &'a str,
    /// The file's stamp, and its workbook's (`data/schools.xlsx` for `data/schools.csv`).
    stamp: (Option<Stamp>, Option<Stamp>),
    encoding: Option<&'static str>,
}

impl<'a> FileAt<'a> {
    fn of(root: &'a Path, file: &'a str, config: Option<&Config>) -> Self {
        let encoding = config.and_then(|c| c.encoding_of(file)).map(|e| e.name());
        let book = file.starts_with("data/").then(|| stamp(&root.join(load::workbook_of(file)))).flatten();
        let stamps = (stamp(&root.join(file)), book);
        FileAt { root, file, stamp: stamps, encoding }
    }

    fn encoding(&self) -> load::Named {
        self.encoding.and_then(|name| encoding_rs::Encoding::for_label(name.as_bytes()))
    }

    /// The data table of `spec` at this version.
    fn table(&self, spec: &Columns, diags: &mut Diagnostics) -> Result<Option<load::data::Table>> {
        load::table(self.root, spec, self.encoding(), diags)
    }
}

/// Rows of one data file, checked: the rows, what reading and checking found, the encoding
/// the file was read as.
type Rows<T> = (Arc<Grouped<T>>, Diagnostics, Option<&'static str>);

/// The areas and sources, checked, with what reading and checking found and the files'
/// encodings.
type Registered = (Register, Diagnostics, Vec<(String, &'static str)>);

#[derive(Debug, Hash)]
struct RegisterInputs<'a> {
    counties: FileAt<'a>,
    sources: FileAt<'a>,
    files: &'a BTreeSet<String>,
}

fn register(i: &RegisterInputs) -> Result<Registered> {
    let mut diags = Diagnostics::new();
    let counties = i.counties.table(&specs::COUNTIES, &mut diags)?;
    let sources = i.sources.table(&specs::SOURCES, &mut diags)?;
    let register = model::build::register(counties.as_ref(), sources.as_ref(), i.files, &mut diags);
    let encodings = [counties, sources].into_iter().flatten().map(|t| (t.file, t.encoding)).collect();
    Ok((register, diags, encodings))
}

#[derive(Debug, Hash)]
struct RowsInputs<'a> {
    file: FileAt<'a>,
    register: &'a Made<Registered>,
}

/// Reads the file of `spec` and checks its rows with `check`.
fn rows_of<T>(
    i: &RowsInputs,
    spec: &Columns,
    check: fn(Option<&load::data::Table>, &Register, &mut Diagnostics) -> Arc<Grouped<T>>,
) -> Result<Rows<T>> {
    let mut diags = Diagnostics::new();
    let table = i.file.table(spec, &mut diags)?;
    let rows = check(table.as_ref(), &i.register.0, &mut diags);
    Ok((rows, diags, table.map(|t| t.encoding)))
}

fn published_rows(i: &RowsInputs) -> Result<Rows<Reported>> {
    rows_of(i, &specs::INDICATORS, model::build::published_rows)
}

fn milestone_rows(i: &RowsInputs) -> Result<Rows<Milestone>> {
    rows_of(i, &specs::MILESTONES, model::build::milestone_rows)
}

fn metric_rows(i: &RowsInputs) -> Result<Rows<Metric>> {
    rows_of(i, &specs::METRICS, model::build::metric_rows)
}

fn school_rows(i: &RowsInputs) -> Result<Rows<SchoolRow>> {
    rows_of(i, &specs::SCHOOLS, model::build::school_rows)
}

#[derive(Debug, Hash)]
struct PageAt<'a> {
    file: &'a ContentFile,
    at: FileAt<'a>,
}

fn source_page(i: &PageAt) -> Result<(Option<Arc<SourcePage>>, Diagnostics)> {
    load::page(i.at.root, i.file, i.at.encoding())
}

#[derive(Debug, Hash)]
struct PagesInputs<'a> {
    read: Vec<Made<(Option<Arc<SourcePage>>, Diagnostics)>>,
    register: &'a Made<Registered>,
}

fn pages(i: &PagesInputs) -> (Arc<Vec<Page>>, Diagnostics) {
    let read: Vec<Arc<SourcePage>> = i.read.iter().filter_map(|r| r.0.clone()).collect();
    let mut diags = Diagnostics::new();
    let pages = model::build::pages(&read, &i.register.0, &mut diags);
    (Arc::new(pages), diags)
}

#[derive(Debug, Hash)]
struct ThemeAt<'a> {
    root: &'a Path,
    name: &'a str,
    languages: &'a [String],
    /// Each file of the theme's folder with its stamp.
    files: Vec<(String, Option<Stamp>)>,
}

fn theme(i: &ThemeAt) -> Result<(Arc<Theme>, Diagnostics)> {
    let mut diags = Diagnostics::new();
    let theme = load::theme::load(i.root, i.name, i.languages, &mut diags)?;
    Ok((Arc::new(theme), diags))
}

#[derive(Debug, Hash)]
struct StyleInputs<'a> {
    theme: &'a Made<(Arc<Theme>, Diagnostics)>,
    languages: &'a [String],
    default_lang: &'a str,
    browsers: &'a str,
}

fn styled(i: &StyleInputs) -> std::result::Result<Arc<render::Styled>, Diagnostics> {
    render::style(&i.theme.0, i.languages, i.default_lang, i.browsers)
}

fn config(i: &FileAt) -> Result<Arc<Config>> {
    load::config(i.root).map(Arc::new)
}

#[derive(Debug, Hash)]
struct CountyRun<'a> {
    rows: Hashed<'a, [SchoolRow]>,
    rules: Hashed<'a, Rules>,
    audit: AuditYears,
}

fn county_results(i: &CountyRun) -> Arc<Vec<Computed>> {
    Arc::new(engine::compute_with(i.rows.value(), i.rules.value(), i.audit))
}

#[allow(clippy::ptr_arg)] // a memoized function takes its inputs struct by reference
fn all_results(runs: &Vec<Made<Arc<Vec<Computed>>>>) -> Arc<Grouped<Computed>> {
    Arc::new(Grouped::new(runs.iter().flat_map(|r| r.iter().cloned()).collect()))
}

#[derive(Debug, Hash)]
struct SheetsInputs<'a> {
    reported: &'a Made<Rows<Reported>>,
    computed: &'a Made<Arc<Grouped<Computed>>>,
    rules: Hashed<'a, Rules>,
}

fn sheets(i: &SheetsInputs) -> Arc<Grouped<Sheet>> {
    Arc::new(Grouped::new(engine::sheets(&i.reported.0, i.computed, i.rules.value())))
}

/// Where the revision history is read from: the repository's state (HEAD and every tag) and
/// the configuration; or why there is none.
#[derive(Debug, Hash)]
struct HistoryAt<'a> {
    root: &'a Path,
    state: std::result::Result<Vec<(String, String)>, Unavailable>,
    config: &'a Made<Arc<Config>>,
}

/// What the releases changed (read once per repository state), or why there is no history.
fn released(i: &HistoryAt) -> Arc<std::result::Result<history::Released, Unavailable>> {
    let made = i.state.clone().and_then(|_| {
        let history = load::history::open(i.root, i.config.settings.releases)?;
        let (snapshots, warnings) = crate::build::release_snapshots(&history);
        let mut released = history::released(&snapshots, i.config, &|f| history.read(f))
            .map_err(|e| Unavailable::warning(format!("the revision history cannot be made: {e}")))?;
        released.left_out.splice(0..0, warnings);
        Ok(released)
    });
    Arc::new(made)
}

/// The site folder's data files compared with the latest release.
#[derive(Debug, Hash)]
struct WorkingAt<'a> {
    released: &'a Made<Arc<std::result::Result<history::Released, Unavailable>>>,
    files: Vec<FileAt<'a>>,
    config: &'a Made<Arc<Config>>,
}

/// What is not released yet.
fn unreleased(i: &WorkingAt) -> Arc<Vec<Change>> {
    let Ok(released) = &***i.released else { return Arc::default() };
    let root = i.files[0].root;
    let made = load::history::open(root, i.config.settings.releases).map_err(|u| u.why).and_then(|history| {
        let working = history::Snapshot { release: Release::unreleased(), files: load::history::working_files(root) };
        history::unreleased(released, &working, i.config, &|f| history.read(f)).map_err(|e| e.to_string())
    });
    // The repository changed under the preview: the next rebuild reads it again.
    Arc::new(made.unwrap_or_default())
}

#[derive(Debug, Hash)]
struct RevisionsOf<'a> {
    released: &'a Made<Arc<std::result::Result<history::Released, Unavailable>>>,
    unreleased: &'a Made<Arc<Vec<Change>>>,
}

fn revisions(i: &RevisionsOf) -> Arc<Revisions> {
    match &***i.released {
        Ok(released) => Arc::new(history::combine(released, i.unreleased)),
        Err(_) => Arc::default(),
    }
}

/// The preview's build: every stage memoized, and the rendered pages kept.
pub struct Preview {
    root: PathBuf,
    config: Memo<Arc<Config>>,
    register: Memo<Registered>,
    reported: Memo<Rows<Reported>>,
    milestones: Memo<Rows<Milestone>>,
    metrics: Memo<Rows<Metric>>,
    schools: Memo<Rows<SchoolRow>>,
    content: Memo<(Option<Arc<SourcePage>>, Diagnostics)>,
    pages: Memo<(Arc<Vec<Page>>, Diagnostics)>,
    theme: Memo<(Arc<Theme>, Diagnostics)>,
    styled: Memo<Arc<render::Styled>>,
    county_results: Memo<Arc<Vec<Computed>>>,
    computed: Memo<Arc<Grouped<Computed>>>,
    sheets: Memo<Arc<Grouped<Sheet>>>,
    released: Memo<Arc<std::result::Result<history::Released, Unavailable>>>,
    unreleased: Memo<Arc<Vec<Change>>>,
    revisions: Memo<Arc<Revisions>>,
    parts: Memo<Ran<Arc<DownloadPart>>>,
    downloads: Memo<Ran<Arc<Downloads>>>,
    rankings: Memo<Ran<Rankings>>,
    rendered: Memo<Ran<()>>,
    /// What each part made and reused in the last rebuild.
    last: Vec<(&'static str, usize, usize)>,
    /// How many files the last rebuild made.
    files: std::sync::atomic::AtomicUsize,
}

impl Preview {
    /// A preview of the site at `root`; with `verify`, whatever a rebuild reuses is made
    /// again and compared (tests).
    pub fn new(root: &Path, verify: bool) -> Self {
        Preview {
            root: root.to_path_buf(),
            config: Memo::new("config", verify),
            register: Memo::new("register", verify),
            reported: Memo::new("published rows", verify),
            milestones: Memo::new("milestones", verify),
            metrics: Memo::new("metrics", verify),
            schools: Memo::new("schools", verify),
            content: Memo::new("content file", verify),
            pages: Memo::new("pages", verify),
            theme: Memo::new("theme", verify),
            styled: Memo::new("templates and styles", verify),
            county_results: Memo::new("county results", verify),
            computed: Memo::new("results", verify),
            sheets: Memo::new("sheets", verify),
            released: Memo::new("released history", verify),
            unreleased: Memo::new("unreleased changes", verify),
            revisions: Memo::new("revisions", verify),
            parts: Memo::new("download parts", verify),
            downloads: Memo::new("downloads", verify),
            rankings: Memo::new("rankings", verify),
            rendered: Memo::new("pages and feeds", verify),
            last: Vec::new(),
            files: Default::default(),
        }
    }

    /// Forgets what was read from the site-relative `paths` (the watcher reported them
    /// changed): a file rewritten within one tick of the file system's clock at the same size
    /// keeps its stamp.
    pub fn forget(&mut self, paths: &[String]) {
        for p in paths {
            // A table's workbook is kept under its CSV file's name.
            let p = &load::table_file(p);
            self.config.forget(p);
            if p == specs::COUNTIES.file || p == specs::SOURCES.file {
                self.register.forget("register");
            }
            self.reported.forget(p);
            self.milestones.forget(p);
            self.metrics.forget(p);
            self.schools.forget(p);
            self.content.forget(p);
            if p.starts_with("data/") || p == CONFIG_FILE {
                self.unreleased.forget("unreleased");
            }
            if p.starts_with("themes/") {
                self.theme.forget("theme");
            }
        }
    }

    /// How many values each part made and reused in the last rebuild, by part.
    pub fn counts(&self) -> Vec<(&'static str, usize, usize)> {
        self.last.clone()
    }

    /// How many pages and feeds the last rebuild made and reused.
    pub fn pages_made_and_reused(&self) -> (usize, usize) {
        self.last.iter().find(|p| p.0 == self.rendered.name()).map_or((0, 0), |p| (p.1, p.2))
    }

    /// How many pages and feeds are kept for the next rebuild.
    pub fn pages_kept(&self) -> usize {
        self.rendered.kept()
    }

    fn memos(&self) -> [&dyn Part; 20] {
        [
            &self.config,
            &self.register,
            &self.reported,
            &self.milestones,
            &self.metrics,
            &self.schools,
            &self.content,
            &self.pages,
            &self.theme,
            &self.styled,
            &self.county_results,
            &self.computed,
            &self.sheets,
            &self.released,
            &self.unreleased,
            &self.revisions,
            &self.parts,
            &self.downloads,
            &self.rankings,
            &self.rendered,
        ]
    }

    /// Builds the site in memory, making again only what changed since the last call.
    pub fn render(&mut self) -> Result<Rendered> {
        let rendered = self.rebuild();
        self.last = self.memos().iter().map(|p| p.counts()).collect();
        rendered
    }

    fn rebuild(&self) -> Result<Rendered> {
        let mut diags = Diagnostics::new();
        let (site, theme, encodings) = self.analysed(&mut diags)?;
        let mut diags = crate::build::finish(diags, false)?;
        let mut timer = crate::util::timing::Timer::start();
        let c = &site.config;
        let inputs = StyleInputs {
            theme: &theme,
            languages: &c.languages,
            default_lang: c.default_language(),
            browsers: &c.settings.browsers,
        };
        let styled = match self.styled.try_get("styled", inputs, styled) {
            Ok(styled) => styled,
            Err(ds) => {
                diags.extend(ds);
                return Err(Error::Site(diags));
            }
        };
        let files = match self.render_jobs(&site, &theme.0, &styled) {
            Ok(files) => files,
            Err(ds) => {
                diags.extend(ds);
                return Err(Error::Site(diags));
            }
        };
        timer.done("render");
        self.sweep();
        Ok(Rendered { files, diagnostics: diags, config: site.config.clone(), encodings })
    }

    /// The render stage's jobs, each run through its memo, as [`render::render_to`] runs them
    /// but that every part of the downloads runs at once.
    fn render_jobs(
        &self,
        site: &Analysed,
        theme: &Theme,
        styled: &render::Styled,
    ) -> std::result::Result<Vec<crate::output::OutputFile>, Diagnostics> {
        let mut timer = crate::util::timing::Timer::start();
        // Room for as many files as the last rebuild made.
        let sink = crate::output::Collect::with_capacity(self.files.load(std::sync::atomic::Ordering::Relaxed));
        render::assets(theme, styled, &sink);
        let reading = Reading::new(site);
        let words = render::downloads::Words::new(styled.strings());
        let jobs = render::downloads::part_jobs(&reading, &words);
        timer.done("download jobs");
        // All at once: the preview holds every file anyway (a build makes the national tables
        // one after another, to bound its memory).
        let parts = (jobs.tables.par_iter().chain(&jobs.databases).chain(&jobs.counties))
            .map(|job| self.parts.run(job, &sink))
            .collect();
        timer.done("download parts");
        let downloads = self.downloads.run(&render::downloads::downloads_job(&reading, parts), &sink);
        timer.done("downloads");
        let rankings = self.rankings.run(&render::pages::rankings_job(&reading), &sink);
        timer.done("rankings");
        let frames = render::frames(site, styled);
        let jobs = render::page_jobs(&reading, &frames, &downloads, &rankings);
        timer.done("page jobs");
        let errors: Vec<Diagnostic> =
            jobs.par_iter().filter_map(|job| self.rendered.try_run(job, &sink).err()).collect();
        timer.done("pages");
        render::finish(&site.config.base_url, styled, errors, &sink)?;
        let files = sink.into_files();
        self.files.store(files.len(), std::sync::atomic::Ordering::Relaxed);
        render::unique(files.iter().map(|f| f.path.as_str()))?;
        timer.done("finish");
        Ok(files)
    }

    fn sweep(&self) {
        self.memos().iter().for_each(|p| p.sweep());
    }

    /// Load, model and engine: the analysed site, its theme and the encodings read; every
    /// problem goes to `diags`.
    #[allow(clippy::type_complexity)]
    fn analysed(
        &self,
        diags: &mut Diagnostics,
    ) -> Result<(Analysed, Made<(Arc<Theme>, Diagnostics)>, Vec<(String, &'static str)>)> {
        let root = self.root.as_path();
        let mut timer = crate::util::timing::Timer::start();
        let config = self.config.try_get(CONFIG_FILE, FileAt::of(root, CONFIG_FILE, None), config)?;
        let files = load::data_files(root);
        load::require_counties(&files, diags);
        let at = |spec: &'static Columns| FileAt::of(root, spec.file, Some(&config));
        let register = self.register.try_get(
            "register",
            RegisterInputs { counties: at(&specs::COUNTIES), sources: at(&specs::SOURCES), files: &files },
            register,
        )?;
        diags.extend(register.1.clone());
        let rows = |spec: &'static Columns| RowsInputs { file: at(spec), register: &register };
        let reported = self.reported.try_get(specs::INDICATORS.file, rows(&specs::INDICATORS), published_rows)?;
        let milestones = self.milestones.try_get(specs::MILESTONES.file, rows(&specs::MILESTONES), milestone_rows)?;
        let metrics = self.metrics.try_get(specs::METRICS.file, rows(&specs::METRICS), metric_rows)?;
        let schools = self.schools.try_get(specs::SCHOOLS.file, rows(&specs::SCHOOLS), school_rows)?;
        for part in [&reported.1, &milestones.1, &metrics.1, &schools.1] {
            diags.extend(part.clone());
        }
        timer.done("data");
        let listed = load::content_files(root, &config, diags)?;
        let read = listed
            .par_iter()
            .map(|f| {
                let at = FileAt::of(root, &f.file, Some(&config));
                self.content.try_get(&f.file, PageAt { file: f, at }, source_page)
            })
            .collect::<Result<Vec<_>>>()?;
        read.iter().for_each(|r| diags.extend(r.1.clone()));
        let page_encodings: Vec<(String, &'static str)> =
            read.iter().filter_map(|r| r.0.as_ref()).map(|p| (p.file.clone(), p.encoding)).collect();
        let pages = self.pages.get("pages", PagesInputs { read, register: &register }, pages);
        diags.extend(pages.1.clone());
        let theme = self.theme.try_get("theme", self.theme_at(&config)?, theme)?;
        diags.extend(theme.1.clone());
        timer.done("content and theme");
        let site = model::build::assemble(
            &config,
            &register.0,
            reported.0.clone(),
            milestones.0.clone(),
            metrics.0.clone(),
            schools.0.clone(),
            (*pages.0).clone(),
        );
        let rules = Hashed::serialized(&site.rules);
        let computed = self.results(&site, rules);
        let sheets =
            self.sheets.get("sheets", SheetsInputs { reported: &reported, computed: &computed, rules }, sheets);
        timer.done("engine");
        let mut encodings: Vec<(String, &'static str)> = register.2.clone();
        encodings.extend(
            [(specs::INDICATORS.file, reported.2), (specs::MILESTONES.file, milestones.2)]
                .into_iter()
                .chain([(specs::METRICS.file, metrics.2), (specs::SCHOOLS.file, schools.2)])
                .filter_map(|(f, e)| Some((f.to_string(), e?))),
        );
        encodings.extend(page_encodings);
        encodings.sort();
        let mut site = Analysed { site, computed: (*computed).clone(), sheets: (*sheets).clone() };
        site.site.revisions = self.history(&config, diags);
        timer.done("history");
        Ok((site, theme, encodings))
    }

    /// The revision history: the releases' changes read again only when the repository's HEAD
    /// or tags moved (or `site.toml` changed), what is not released yet when a data file did.
    fn history(&self, config: &Made<Arc<Config>>, diags: &mut Diagnostics) -> Arc<Revisions> {
        let root = self.root.as_path();
        let state = load::history::open(root, config.settings.releases).map(|h| h.state);
        let released = self.released.get("released", HistoryAt { root, state, config }, released);
        match &**released {
            Err(why) => diags.push(why.diagnostic()),
            Ok(released) => released.left_out.iter().for_each(|w| diags.push(Diagnostic::warning("", w.clone()))),
        }
        let files = (load::DATA_FILES.iter().map(|s| s.file))
            .chain([CONFIG_FILE])
            .map(|f| FileAt::of(root, f, Some(config)))
            .collect();
        let unreleased =
            self.unreleased.get("unreleased", WorkingAt { released: &released, files, config }, unreleased);
        if let Ok(released) = &**released
            && let Some(note) = history::unreleased_note(released, &unreleased)
        {
            diags.push(Diagnostic::note("", note));
        }
        (*self.revisions.get("revisions", RevisionsOf { released: &released, unreleased: &unreleased }, revisions))
            .clone()
    }

    /// The engine's results: each county's computed again only when its school rows, the rules
    /// or the audited years changed.
    fn results(&self, site: &model::Site, rules: Hashed<Rules>) -> Made<Arc<Grouped<Computed>>> {
        let audit = site.config.settings.audit_years;
        let per_county: Vec<Made<Arc<Vec<Computed>>>> = site
            .schools
            .runs()
            .par_iter()
            .map(|(county, range)| {
                let rows = Hashed::with_hash(&site.schools[range.clone()], site.schools.hash_of(county));
                self.county_results.get(county, CountyRun { rows, rules, audit }, county_results)
            })
            .collect();
        self.computed.get("results", per_county, all_results)
    }

    fn theme_at<'a>(&'a self, config: &'a Config) -> Result<ThemeAt<'a>> {
        let rel = format!("themes/{}", config.theme);
        let dir = self.root.join(&rel);
        let files = if crate::util::fs::site_dir(&self.root, &rel)? {
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
}
