//! The revision history: for each release of the site after the first, and for what is not
//! released yet, every published and computed figure that was added, removed or changed,
//! area by area.
//!
//! A release's figures are made by the same stages as a build's (each table parsed and
//! checked, the engine run over the school rows, the sheets) from the release's files. Only
//! the areas whose lines changed between two snapshots are read and computed again: each
//! table is first cut into its areas' lines ([`digest`]), and the two snapshots' figures of
//! those areas are made from just their lines ([`figures`]), then compared ([`diff`]). A
//! snapshot's bytes are read through the caller's reader, two snapshots at a time.

pub mod digest;
pub mod figures;

use std::collections::BTreeSet;
use std::sync::Arc;

pub use figures::{Delta, diff};

use crate::config::Config;
use crate::diag::Diagnostics;
use crate::error::Result;
use crate::format::{self, INPUT_FILES, InputFile};
use crate::load::Source;
use crate::load::data::Table;
use crate::load::git::{FileRef, Files};
use crate::model::Grouped;
use crate::model::revisions::{Change, Release, Revisions};
use digest::{Code, Digest};

/// One snapshot of the site: a release's files, or the site folder's.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The release.
    pub release: Release,
    /// Where its files are.
    pub files: Files,
}

/// Reads the bytes of a snapshot's file.
pub type Reader<'a> = dyn Fn(&FileRef) -> Result<Vec<u8>> + Sync + 'a;

/// A table of a snapshot, read.
#[derive(Clone)]
struct TableFile {
    file: FileRef,
    /// Its bytes (none once the history is made: read again if needed).
    bytes: Option<Arc<Vec<u8>>>,
    /// By area (none: not comparable line by line, or not compared).
    digest: Option<Arc<Digest>>,
}

impl TableFile {
    fn bytes(&self, read: &Reader) -> Result<Arc<Vec<u8>>> {
        match &self.bytes {
            Some(bytes) => Ok(bytes.clone()),
            None => Ok(Arc::new(read(&self.file)?)),
        }
    }
}

/// A snapshot, read.
struct State {
    config: Config,
    /// Each table of [`INPUT_FILES`] (metrics are never read: no figure comes from them).
    tables: Vec<Option<TableFile>>,
}

/// The areas to compare between two snapshots.
enum Areas {
    All,
    Some(BTreeSet<Code>),
}

impl Areas {
    fn has(&self, code: &Code) -> bool {
        match self {
            Areas::All => true,
            Areas::Some(set) => set.contains(code),
        }
    }
}

/// What the releases changed, and the latest release as read (without its files' bytes),
/// to compare the site folder with.
pub struct Released {
    /// The releases, oldest first.
    pub releases: Vec<Release>,
    /// What each release after the first changed, by release.
    pub changes: Vec<Change>,
    /// The releases left out (their files break a limit or cannot be read), each with why.
    pub left_out: Vec<String>,
    latest: Option<State>,
}

/// Each release of `history` with where its files are; a release whose files cannot be found
/// (a link in its tree) is left out, with the warnings of reading the repository.
pub fn snapshots(history: &crate::load::git::History) -> (Vec<Snapshot>, Vec<String>) {
    let mut warnings = history.warnings.clone();
    let mut snapshots = Vec::new();
    for r in &history.releases {
        match history.files_of(r) {
            Ok(files) => snapshots.push(Snapshot { release: Release::of(r), files }),
            Err(e) => warnings.push(left_out(&r.name, &e)),
        }
    }
    (snapshots, warnings)
}

/// Why a release is left out of the history, for a warning.
pub fn left_out(name: &str, e: &crate::error::Error) -> String {
    let why = match e {
        crate::error::Error::Site(d) => {
            d.sorted().first().map_or_else(|| e.to_string(), |d| format!("{}: {}", d.file, d.message))
        }
        other => other.to_string(),
    };
    format!("release `{}` is left out of the revision history: {why}", crate::diag::shorten(name, 80))
}

/// Equal when they tell the same history (the preview's verify mode compares them).
impl PartialEq for Released {
    fn eq(&self, other: &Self) -> bool {
        self.releases == other.releases && self.changes == other.changes
    }
}

impl std::fmt::Debug for Released {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} releases, {} changes", self.releases.len(), self.changes.len())
    }
}

/// The changes of each release of `releases` (oldest first) from the one before. `current` is
/// the site's configuration, used for a release whose own `site.toml` cannot be read.
/// `make` makes a snapshot's figures.
pub fn released(releases: &[Snapshot], current: &Config, read: &Reader, make: &Figures) -> Result<Released> {
    let mut out = Released { releases: Vec::new(), changes: Vec::new(), left_out: Vec::new(), latest: None };
    for batch in releases.chunks(READ_AT_ONCE) {
        // A snapshot that cannot be read (a file over its limit) is left out, the others kept.
        let read_states: Vec<Option<State>> = match states(batch, out.latest.as_ref(), current, read) {
            Ok(states) => states.into_iter().map(Some).collect(),
            Err(_) => batch
                .iter()
                .map(|snapshot| match states(std::slice::from_ref(snapshot), out.latest.as_ref(), current, read) {
                    Ok(mut one) => one.pop(),
                    Err(e) => {
                        out.left_out.push(left_out(&snapshot.release.name, &e));
                        None
                    }
                })
                .collect(),
        };
        for (snapshot, state) in batch.iter().zip(read_states) {
            let Some(state) = state else { continue };
            if let Some(before) = &out.latest {
                let release = out.releases.len();
                match compare(before, &state, release, read, make) {
                    Ok(changes) => out.changes.extend(changes),
                    Err(e) => {
                        out.left_out.push(left_out(&snapshot.release.name, &e));
                        continue;
                    }
                }
            }
            out.releases.push(snapshot.release.clone());
            out.latest = Some(state);
        }
    }
    // Two tags may read the same once spelled as a path (`v1.0`, `v1-0`): the later one gets
    // its commit's short id too.
    let mut seen = BTreeSet::new();
    for r in &mut out.releases {
        if !seen.insert(r.slug.clone()) {
            r.slug = format!("{}-{}", r.slug, r.commit.as_deref().map_or("", |c| &c[..c.len().min(10)]));
            seen.insert(r.slug.clone());
        }
    }
    for part in out.latest.iter_mut().flat_map(|s| s.tables.iter_mut()).flatten() {
        part.bytes = None;
    }
    Ok(out)
}

/// What the site folder (`working`) changes from the latest release: "not released yet".
pub fn unreleased(
    released: &Released,
    working: &Snapshot,
    current: &Config,
    read: &Reader,
    make: &Figures,
) -> Result<Vec<Change>> {
    let Some(latest) = &released.latest else { return Ok(Vec::new()) };
    let state = states(std::slice::from_ref(working), Some(latest), current, read)?.pop().expect("one state");
    compare(latest, &state, released.releases.len(), read, make)
}

/// The note a build gives when the site folder differs from its latest release.
pub fn unreleased_note(released: &Released, unreleased: &[Change]) -> Option<String> {
    let latest = released.releases.last()?;
    let differ = match unreleased.len() {
        0 => return None,
        1 => "1 figure differs".to_string(),
        n => format!("{n} figures differ"),
    };
    Some(format!(
        "{differ} from the latest release `{}`: shown as not yet released until a release is tagged",
        latest.name
    ))
}

/// The revision history: the releases' changes, then what is not released yet (if anything).
pub fn combine(released: &Released, unreleased: &[Change]) -> Revisions {
    let mut releases = released.releases.clone();
    if !unreleased.is_empty() {
        releases.push(Release::unreleased());
    }
    let mut changes: Vec<Change> = released.changes.iter().chain(unreleased).cloned().collect();
    changes.sort_by(|a, b| (&a.key.area, a.release, &a.key).cmp(&(&b.key.area, b.release, &b.key)));
    Revisions { releases, changes: Grouped::new(changes) }
}

/// What changed from `before` to `after`, as changes of `release`.
fn compare(before: &State, after: &State, release: usize, read: &Reader, make: &Figures) -> Result<Vec<Change>> {
    let areas = changed(before, after, read)?;
    if matches!(&areas, Areas::Some(set) if set.is_empty()) {
        return Ok(Vec::new());
    }
    let (old, new) = rayon::join(|| figures_of(before, &areas, read, make), || figures_of(after, &areas, read, make));
    Ok(diff(&old?, &new?).into_iter().map(|d| Change { release, key: d.key, old: d.old, new: d.new }).collect())
}

/// How many snapshots are read at once: their largest files are read and cut into areas in
/// parallel (a national `schools.csv` takes a third of a second to inflate), and each is held
/// in memory until compared.
const READ_AT_ONCE: usize = 2;

/// Reads snapshots, reusing what `before` read of the same blobs; the files they do not share
/// are read (and cut into areas) in parallel.
fn states(batch: &[Snapshot], before: Option<&State>, current: &Config, read: &Reader) -> Result<Vec<State>> {
    use rayon::prelude::*;
    let configs = batch.iter().map(|s| config_of(s, current, read)).collect::<Result<Vec<Config>>>()?;
    // Each file not read yet, once: (snapshot, table).
    let mut wanted: Vec<(usize, usize)> = Vec::new();
    for (k, snapshot) in batch.iter().enumerate() {
        for (i, file) in snapshot.files.tables.iter().enumerate() {
            let Some(file) = file.as_ref().filter(|_| INPUT_FILES[i].file != format::METRICS.file) else { continue };
            let known = before.and_then(|b| b.tables[i].as_ref()).is_some_and(|p| p.file.same_blob(file))
                || wanted
                    .iter()
                    .any(|&(k2, i2)| i2 == i && batch[k2].files.tables[i].as_ref().is_some_and(|f| f.same_blob(file)));
            if !known {
                wanted.push((k, i));
            }
        }
    }
    let parts: Vec<TableFile> = wanted
        .par_iter()
        .map(|&(k, i)| {
            let file = batch[k].files.tables[i].as_ref().expect("a wanted file");
            part(INPUT_FILES[i], file, &configs[k], read)
        })
        .collect::<Result<_>>()?;
    let mut states: Vec<State> = Vec::new();
    for (k, (snapshot, config)) in batch.iter().zip(configs).enumerate() {
        let mut tables = Vec::new();
        for (i, file) in snapshot.files.tables.iter().enumerate() {
            let found = file.as_ref().filter(|_| INPUT_FILES[i].file != format::METRICS.file).map(|file| {
                let read_now = wanted.iter().position(|&w| w == (k, i)).map(|at| &parts[at]);
                let earlier = || {
                    let in_batch = wanted.iter().zip(&parts).find(|((_, i2), p)| *i2 == i && p.file.same_blob(file));
                    in_batch.map(|(_, p)| p).or_else(|| before.and_then(|b| b.tables[i].as_ref()))
                };
                read_now.or_else(earlier).expect("every file is read or known").clone()
            });
            tables.push(found);
        }
        states.push(State { config, tables });
    }
    Ok(states)
}

/// The configuration of a snapshot: its own `site.toml`, else (none, or one this junheng
/// cannot read) `current`.
fn config_of(snapshot: &Snapshot, current: &Config, read: &Reader) -> Result<Config> {
    Ok(match &snapshot.files.config {
        Some(f) => {
            let bytes = read(f)?;
            let text = String::from_utf8_lossy(&bytes);
            Config::parse(text.trim_start_matches('\u{feff}')).unwrap_or_else(|_| current.clone())
        }
        None => current.clone(),
    })
}

/// A table's file of a snapshot, read and cut into areas.
fn part(spec: &InputFile, file: &FileRef, config: &Config, read: &Reader) -> Result<TableFile> {
    let bytes = read(file)?;
    let digest = match spec.area {
        Some(key) if !file.path().ends_with(".xlsx") => {
            digest::digest(spec, key, &bytes, config.encoding_of(spec.file)).map(Arc::new)
        }
        _ => None,
    };
    Ok(TableFile { file: file.clone(), bytes: Some(Arc::new(bytes)), digest })
}

/// The areas whose figures may differ between two snapshots.
fn changed(before: &State, after: &State, read: &Reader) -> Result<Areas> {
    let rules = |c: &Config| (c.rules.clone(), c.encodings.clone());
    if rules(&before.config) != rules(&after.config) {
        return Ok(Areas::All);
    }
    let mut areas = BTreeSet::new();
    for (i, spec) in INPUT_FILES.iter().enumerate() {
        if spec.area.is_none() {
            continue;
        }
        let fingerprints = |p: &TableFile| p.digest.as_ref().map(|d| d.fingerprints());
        match (&before.tables[i], &after.tables[i]) {
            (None, None) => {}
            (Some(a), Some(b)) if a.file.same_blob(&b.file) => {}
            (a, b) => {
                let none = Some(Vec::new());
                let (Some(fa), Some(fb)) =
                    (a.as_ref().map_or(none.clone(), fingerprints), b.as_ref().map_or(none, fingerprints))
                else {
                    // A table not comparable line by line (a workbook): whole, unless unchanged.
                    if let (Some(a), Some(b)) = (a, b)
                        && a.bytes(read)? == b.bytes(read)?
                    {
                        continue;
                    }
                    return Ok(Areas::All);
                };
                let (fa, fb): (BTreeSet<_>, BTreeSet<_>) = (fa.into_iter().collect(), fb.into_iter().collect());
                areas.extend(fa.symmetric_difference(&fb).map(|(code, _)| *code));
            }
        }
    }
    Ok(Areas::Some(areas))
}

/// A snapshot's tables cut to the lines of some areas (the counties and sources whole): what
/// the pipeline reads to make those areas' figures as a build makes them.
pub struct Cut<'a> {
    state: &'a State,
    areas: &'a Areas,
    read: &'a Reader<'a>,
}

impl Cut<'_> {
    /// The snapshot's configuration.
    pub fn config(&self) -> &Config {
        &self.state.config
    }
}

impl Source for Cut<'_> {
    /// A snapshot's figures are never kept.
    type Version = ();

    fn version(&self, _: &InputFile) {}

    fn table(&self, spec: &InputFile, diags: &mut Diagnostics) -> Result<Option<Table>> {
        let (state, areas) = (self.state, self.areas);
        let Some(part) = INPUT_FILES.iter().position(|s| s.file == spec.file).and_then(|i| state.tables[i].as_ref())
        else {
            return Ok(None);
        };
        let cut = match (&part.digest, areas) {
            (Some(d), Areas::Some(_)) if spec.file != format::COUNTIES.file => Some(d),
            _ => None,
        };
        // None of the areas has a line in this table: nothing to read.
        if cut.is_some_and(|d| !d.has_any(|c| areas.has(c))) {
            return Ok(None);
        }
        let all = part.bytes(self.read)?;
        let bytes = match cut {
            Some(d) => d.cut(&all, |c| areas.has(c)),
            None => all.to_vec(),
        };
        Ok(if part.file.path().ends_with(".xlsx") {
            crate::load::workbook::table(spec, part.file.path(), bytes, diags)
        } else {
            Table::parse(spec, bytes, state.config.encoding_of(spec.file), diags)
        })
    }

    fn present(&self) -> BTreeSet<String> {
        INPUT_FILES
            .iter()
            .zip(&self.state.tables)
            .filter(|(_, p)| p.is_some())
            .map(|(s, _)| s.file.to_string())
            .collect()
    }
}

/// Makes the figures of a snapshot's areas from their tables ([`Cut`]): the pipeline's load,
/// model and engine, then [`figures::figures`].
pub type Figures<'a> = dyn Fn(&Cut) -> Result<Vec<figures::Figure>> + Sync + 'a;

/// The figures of `areas` in a snapshot, made by `make`.
fn figures_of(state: &State, areas: &Areas, read: &Reader, make: &Figures) -> Result<Vec<figures::Figure>> {
    let mut figures = make(&Cut { state, areas, read })?;
    if let Areas::Some(set) = areas {
        figures.retain(|(key, _)| key.area.as_bytes().try_into().is_ok_and(|c: &Code| set.contains(c)));
    }
    Ok(figures)
}
