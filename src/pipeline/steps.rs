//! The pipeline's steps as the memos call them: each a plain `fn` of an inputs struct that
//! derives (or spells out) `Hash`, so that the key a value is kept under is made of exactly
//! what the value is made of. A step reads nothing but its inputs.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use super::Made;
use crate::config::{AuditYears, Config};
use crate::diag::Diagnostics;
use crate::engine::{self, Computed, Sheet};
use crate::error::Result;
use crate::format::InputFile;
use crate::load::content::SourcePage;
use crate::load::git::{History, Unavailable};
use crate::load::theme::Theme;
use crate::load::{self, ContentFile, Source};
use crate::model::grouped::AreaOf;
use crate::model::revisions::{Change, Release, Revisions};
use crate::model::rules::Rules;
use crate::model::validate::Register;
use crate::model::{Grouped, Metric, Milestone, Page, Reported, SchoolRow};
use crate::render;
use crate::revisions::{self, Released};
use crate::util::fs::Stamp;

/// A file of the site folder at one version (its stamp; none when nothing is kept), in the
/// encoding `site.toml` names for it.
#[derive(Debug, Clone, Hash)]
pub(super) struct FileAt<'a> {
    pub(super) root: &'a Path,
    pub(super) file: &'a str,
    pub(super) stamp: Option<Stamp>,
    pub(super) encoding: Option<&'static str>,
}

impl FileAt<'_> {
    fn encoding(&self) -> load::Named {
        self.encoding.and_then(|name| encoding_rs::Encoding::for_label(name.as_bytes()))
    }
}

/// `site.toml`, read and checked.
pub(super) fn config(i: &FileAt) -> Result<Arc<Config>> {
    load::config(i.root).map(Arc::new)
}

/// The rules of `[rules]`: hashed through their JSON form, so that an edit of `site.toml`
/// elsewhere keeps every county's results.
pub(super) fn rules(i: &super::Serialized<crate::config::RuleOverrides>) -> Arc<Rules> {
    Arc::new(Rules::with_overrides(i.0))
}

/// A table of a [`Source`] at one version.
pub(super) struct TableAt<'a, S: Source> {
    pub(super) source: &'a S,
    pub(super) spec: &'static InputFile,
    pub(super) version: S::Version,
}

impl<S: Source> TableAt<'_, S> {
    fn read(&self, diags: &mut Diagnostics) -> Result<Option<load::data::Table>> {
        self.source.table(self.spec, diags)
    }
}

impl<S: Source> std::hash::Hash for TableAt<'_, S> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (self.spec.file, &self.version).hash(h);
    }
}

impl<S: Source> std::fmt::Debug for TableAt<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at {:?}", self.spec.file, self.version)
    }
}

/// Rows of one data file, checked: the rows, what reading and checking found, the encoding
/// the file was read as.
pub(super) type Rows<T> = (Arc<Grouped<T>>, Diagnostics, Option<&'static str>);

/// The areas and sources, checked, with what reading and checking found and the files'
/// encodings.
pub(super) type Registered = (Register, Diagnostics, Vec<(String, &'static str)>);

pub(super) struct RegisterInputs<'a, S: Source> {
    pub(super) counties: TableAt<'a, S>,
    pub(super) sources: TableAt<'a, S>,
    pub(super) standards: TableAt<'a, S>,
    pub(super) present: BTreeSet<String>,
}

impl<S: Source> std::hash::Hash for RegisterInputs<'_, S> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (&self.counties, &self.sources, &self.standards, &self.present).hash(h);
    }
}

impl<S: Source> std::fmt::Debug for RegisterInputs<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}, {:?}, {:?}, {:?}", self.counties, self.sources, self.standards, self.present)
    }
}

pub(super) fn register<S: Source>(i: &RegisterInputs<S>) -> Result<Registered> {
    let mut diags = Diagnostics::new();
    load::require_counties(&i.present, &mut diags);
    let counties = i.counties.read(&mut diags)?;
    let sources = i.sources.read(&mut diags)?;
    let standards = i.standards.read(&mut diags)?;
    let register = crate::model::validate::register(
        counties.as_ref(),
        sources.as_ref(),
        standards.as_ref(),
        &i.present,
        &mut diags,
    );
    let encodings = [counties, sources, standards].into_iter().flatten().map(|t| (t.file, t.encoding)).collect();
    Ok((register, diags, encodings))
}

pub(super) struct RowsInputs<'a, S: Source> {
    pub(super) table: TableAt<'a, S>,
    pub(super) register: &'a Made<Registered>,
}

impl<S: Source> std::hash::Hash for RowsInputs<'_, S> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (&self.table, self.register).hash(h);
    }
}

impl<S: Source> std::fmt::Debug for RowsInputs<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}, register {:?}", self.table, self.register)
    }
}

/// Reads the table and checks its rows with `check`.
fn rows_of<S: Source, T>(
    i: &RowsInputs<S>,
    check: fn(Option<&load::data::Table>, &Register, &mut Diagnostics) -> Arc<Grouped<T>>,
) -> Result<Rows<T>> {
    let mut diags = Diagnostics::new();
    let table = i.table.read(&mut diags)?;
    let rows = check(table.as_ref(), &i.register.0, &mut diags);
    Ok((rows, diags, table.map(|t| t.encoding)))
}

pub(super) fn published_rows<S: Source>(i: &RowsInputs<S>) -> Result<Rows<Reported>> {
    rows_of(i, crate::model::validate::published_rows)
}

pub(super) fn milestone_rows<S: Source>(i: &RowsInputs<S>) -> Result<Rows<Milestone>> {
    rows_of(i, crate::model::validate::milestone_rows)
}

pub(super) fn metric_rows<S: Source>(i: &RowsInputs<S>) -> Result<Rows<Metric>> {
    rows_of(i, crate::model::validate::metric_rows)
}

pub(super) fn school_rows<S: Source>(i: &RowsInputs<S>) -> Result<Rows<SchoolRow>> {
    rows_of(i, crate::model::validate::school_rows)
}

#[derive(Debug, Hash)]
pub(super) struct CountyRun<'a> {
    pub(super) rows: AreaOf<'a, SchoolRow>,
    pub(super) rules: &'a Made<Arc<Rules>>,
    pub(super) audit: AuditYears,
}

pub(super) fn county_results(i: &CountyRun) -> Arc<Vec<Computed>> {
    Arc::new(engine::compute_with(i.rows.rows(), i.rules, i.audit))
}

#[allow(clippy::ptr_arg)] // a memoized function takes its inputs struct by reference
pub(super) fn all_results(runs: &Vec<Made<Arc<Vec<Computed>>>>) -> Arc<Grouped<Computed>> {
    Arc::new(Grouped::new(runs.iter().flat_map(|r| r.iter().cloned()).collect()))
}

#[derive(Debug, Hash)]
pub(super) struct SheetsInputs<'a> {
    pub(super) reported: &'a Made<Rows<Reported>>,
    pub(super) computed: &'a Made<Arc<Grouped<Computed>>>,
    pub(super) rules: &'a Made<Arc<Rules>>,
}

pub(super) fn sheets(i: &SheetsInputs) -> Arc<Grouped<Sheet>> {
    Arc::new(Grouped::new(engine::sheets(&i.reported.0, i.computed, i.rules)))
}

#[derive(Debug, Hash)]
pub(super) struct PageAt<'a> {
    pub(super) file: &'a ContentFile,
    pub(super) at: FileAt<'a>,
}

pub(super) fn source_page(i: &PageAt) -> Result<(Option<Arc<SourcePage>>, Diagnostics)> {
    load::page(i.at.root, i.file, i.at.encoding())
}

#[derive(Debug, Hash)]
pub(super) struct PagesInputs<'a> {
    pub(super) read: Vec<Made<(Option<Arc<SourcePage>>, Diagnostics)>>,
    pub(super) register: &'a Made<Registered>,
}

pub(super) fn pages(i: &PagesInputs) -> (Arc<Vec<Page>>, Diagnostics) {
    let read: Vec<Arc<SourcePage>> = i.read.iter().filter_map(|r| r.0.clone()).collect();
    let mut diags = Diagnostics::new();
    let pages = crate::model::validate::pages(&read, &i.register.0, &mut diags);
    (Arc::new(pages), diags)
}

#[derive(Debug, Hash)]
pub(super) struct ThemeAt<'a> {
    pub(super) root: &'a Path,
    pub(super) name: &'a str,
    pub(super) languages: &'a [String],
    /// Each file of the theme's folder with its stamp (none when nothing is kept).
    pub(super) files: Vec<(String, Option<Stamp>)>,
}

pub(super) fn theme(i: &ThemeAt) -> Result<(Arc<Theme>, Diagnostics)> {
    let mut diags = Diagnostics::new();
    let theme = load::theme::load(i.root, i.name, i.languages, &mut diags)?;
    Ok((Arc::new(theme), diags))
}

#[derive(Debug, Hash)]
pub(super) struct StyleInputs<'a> {
    pub(super) theme: &'a Made<(Arc<Theme>, Diagnostics)>,
    pub(super) languages: &'a [String],
    pub(super) default_lang: &'a str,
    pub(super) browsers: &'a str,
}

pub(super) fn styled(i: &StyleInputs) -> std::result::Result<Arc<render::Styled>, Diagnostics> {
    render::style(&i.theme.0, i.languages, i.default_lang, i.browsers)
}

/// The releases of a repository (or why there are none): keyed on its state (HEAD and every
/// tag) and the configuration.
pub(super) struct HistoryAt<'a> {
    pub(super) history: &'a std::result::Result<History, Unavailable>,
    pub(super) config: &'a Made<Arc<Config>>,
}

impl std::hash::Hash for HistoryAt<'_> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.history.as_ref().map(|h| &h.state).hash(h);
        self.config.hash(h);
    }
}

impl std::fmt::Debug for HistoryAt<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "history at {:?}, config {:?}", self.history.as_ref().map(|h| &h.state), self.config)
    }
}

/// A released history, or why there is none.
pub(super) type MadeHistory = Arc<std::result::Result<Released, Unavailable>>;

/// What the releases changed, each release's figures made by the pipeline
/// ([`super::release_figures`]).
pub(super) fn released(i: &HistoryAt) -> MadeHistory {
    let made = match i.history {
        Err(why) => Err(why.clone()),
        Ok(history) => {
            let (snapshots, warnings) = revisions::snapshots(history);
            revisions::released(&snapshots, i.config, &|f| history.read(f), &super::release_figures)
                .map(|mut released| {
                    released.left_out.splice(0..0, warnings);
                    released
                })
                .map_err(|e| Unavailable::warning(format!("the revision history cannot be made: {e}")))
        }
    };
    Arc::new(made)
}

/// The site folder's data files compared with the latest release.
pub(super) struct WorkingAt<'a> {
    pub(super) released: &'a Made<MadeHistory>,
    pub(super) history: &'a std::result::Result<History, Unavailable>,
    /// Each data file and `site.toml`, at its version.
    pub(super) files: Vec<FileAt<'a>>,
    pub(super) config: &'a Made<Arc<Config>>,
}

impl std::hash::Hash for WorkingAt<'_> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        // The repository's state is in the released history's key.
        (self.released, &self.files, self.config).hash(h);
    }
}

impl std::fmt::Debug for WorkingAt<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} {:?} {:?}", self.released, self.files, self.config)
    }
}

/// What is not released yet.
pub(super) fn unreleased(i: &WorkingAt) -> Arc<Vec<Change>> {
    let (Ok(released), Ok(history)) = (&***i.released, i.history) else { return Arc::default() };
    let root = history.root();
    let working = revisions::Snapshot { release: Release::unreleased(), files: load::git::working_files(root) };
    let made = revisions::unreleased(released, &working, i.config, &|f| history.read(f), &super::release_figures);
    // The repository changed under the preview: the next rebuild reads it again.
    Arc::new(made.unwrap_or_default())
}

#[derive(Debug, Hash)]
pub(super) struct RevisionsOf<'a> {
    pub(super) released: &'a Made<MadeHistory>,
    pub(super) unreleased: &'a Made<Arc<Vec<Change>>>,
}

pub(super) fn revisions(i: &RevisionsOf) -> Arc<Revisions> {
    match &***i.released {
        Ok(released) => Arc::new(revisions::combine(released, i.unreleased)),
        Err(_) => Arc::default(),
    }
}
