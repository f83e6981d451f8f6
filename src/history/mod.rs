//! The revision history: for each release of the site after the first, and for what is not
//! released yet, every published and computed figure that was added, removed or changed,
//! area by area.
//!
//! A release's figures are made by the same stages as a build's (each table parsed and
//! checked, the engine run over the school rows, the sheets) from the release's files. Only
//! the areas whose lines changed between two snapshots are read and computed again: each
//! table is first cut into its areas' lines ([`digest`]), and the two snapshots' figures of
//! those areas are made from just their lines ([`figures`]), then compared ([`diff`]). A
//! snapshot's bytes are read through the caller's reader, one snapshot after the other.

pub mod digest;
pub mod figures;

use std::collections::BTreeSet;
use std::sync::Arc;

pub use figures::{Delta, diff};

use crate::config::Config;
use crate::error::Result;
use crate::load::history::{FileRef, Files};
use crate::load::{DATA_FILES, data::Table, specs};
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

/// The column each table's rows belong to an area by (none: read whole, never compared).
fn area_column(spec: &crate::load::data::Columns) -> Option<&'static str> {
    match spec.file {
        f if f == specs::COUNTIES.file => Some("code"),
        f if f == specs::INDICATORS.file || f == specs::SCHOOLS.file => Some("county"),
        f if f == specs::MILESTONES.file => Some("area"),
        _ => None,
    }
}

/// A table of a snapshot, read.
#[derive(Clone)]
struct Part {
    file: FileRef,
    bytes: Arc<Vec<u8>>,
    /// By area (none: not comparable line by line, or not compared).
    digest: Option<Arc<Digest>>,
}

/// A snapshot, read.
struct State {
    config: Config,
    /// Each table of [`DATA_FILES`] (metrics are never read: no figure comes from them).
    tables: Vec<Option<Part>>,
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

/// The revisions between `snapshots` (oldest first; the last is the site folder as it is,
/// whose changes, if any, are "not released yet"). `current` is the site's configuration,
/// used for a release whose own `site.toml` cannot be read.
pub fn revisions(snapshots: &[Snapshot], current: &Config, read: &Reader) -> Result<Revisions> {
    let mut releases = Vec::new();
    let mut changes = Vec::new();
    let mut previous: Option<State> = None;
    for snapshot in snapshots {
        let state = state(snapshot, previous.as_ref(), current, read)?;
        if let Some(before) = &previous {
            let areas = changed(before, &state);
            if !matches!(&areas, Areas::Some(set) if set.is_empty()) {
                let (old, new) = rayon::join(|| figures_of(before, &areas), || figures_of(&state, &areas));
                let release = releases.len();
                changes.extend(diff(&old, &new).into_iter().map(|d| Change { release, key: d.key, old: d.old, new: d.new }));
            }
        }
        let released = snapshot.release.commit.is_some();
        if released || changes.last().is_some_and(|c: &Change| c.release == releases.len()) {
            releases.push(snapshot.release.clone());
        }
        previous = Some(state);
    }
    // Two tags may read the same once spelled as a path (`v1.0`, `v1-0`): the later one gets
    // its commit's short id too.
    let mut seen = BTreeSet::new();
    for r in &mut releases {
        if !seen.insert(r.slug.clone()) {
            r.slug = format!("{}-{}", r.slug, r.commit.as_deref().map_or("", |c| &c[..c.len().min(10)]));
            seen.insert(r.slug.clone());
        }
    }
    changes.sort_by(|a, b| (&a.key.area, a.release, &a.key).cmp(&(&b.key.area, b.release, &b.key)));
    Ok(Revisions { releases, changes: Grouped::new(changes) })
}

/// Reads a snapshot, reusing what `before` read of the same blobs.
fn state(snapshot: &Snapshot, before: Option<&State>, current: &Config, read: &Reader) -> Result<State> {
    let config = match &snapshot.files.config {
        Some(f) => {
            let bytes = read(f)?;
            let text = String::from_utf8_lossy(&bytes);
            Config::parse(text.trim_start_matches('\u{feff}')).unwrap_or_else(|_| current.clone())
        }
        None => current.clone(),
    };
    let mut tables = Vec::new();
    for (i, (spec, file)) in DATA_FILES.iter().zip(&snapshot.files.tables).enumerate() {
        let Some(file) = file else {
            tables.push(None);
            continue;
        };
        if spec.file == specs::METRICS.file {
            tables.push(None);
            continue;
        }
        let reused = before.and_then(|b| b.tables[i].as_ref()).filter(|p| p.file.same_blob(file));
        if let Some(part) = reused {
            tables.push(Some(part.clone()));
            continue;
        }
        let bytes = read(file)?;
        let digest = match area_column(spec) {
            Some(key) if !file.path().ends_with(".xlsx") => {
                digest::digest(spec, key, &bytes, config.encoding_of(spec.file)).map(Arc::new)
            }
            _ => None,
        };
        tables.push(Some(Part { file: file.clone(), bytes: Arc::new(bytes), digest }));
    }
    Ok(State { config, tables })
}

/// The areas whose figures may differ between two snapshots.
fn changed(before: &State, after: &State) -> Areas {
    let rules = |c: &Config| (c.rules.clone(), c.encodings.clone());
    if rules(&before.config) != rules(&after.config) {
        return Areas::All;
    }
    let mut areas = BTreeSet::new();
    for (i, spec) in DATA_FILES.iter().enumerate() {
        if area_column(spec).is_none() {
            continue;
        }
        let fingerprints = |p: &Part| p.digest.as_ref().map(|d| d.fingerprints());
        match (&before.tables[i], &after.tables[i]) {
            (None, None) => {}
            (Some(a), Some(b)) if a.file.same_blob(&b.file) || a.bytes == b.bytes => {}
            (a, b) => {
                let (Some(fa), Some(fb)) = (a.as_ref().map_or(Some(Vec::new()), fingerprints), b.as_ref().map_or(Some(Vec::new()), fingerprints)) else {
                    return Areas::All;
                };
                let (fa, fb): (BTreeSet<_>, BTreeSet<_>) = (fa.into_iter().collect(), fb.into_iter().collect());
                areas.extend(fa.symmetric_difference(&fb).map(|(code, _)| *code));
            }
        }
    }
    Areas::Some(areas)
}

/// The figures of `areas` in a snapshot: its tables cut to those areas' lines (the counties
/// and sources whole), checked and computed as a build does.
fn figures_of(state: &State, areas: &Areas) -> Vec<figures::Figure> {
    let mut diags = crate::diag::Diagnostics::new();
    let config = &state.config;
    let table = |i: usize, diags: &mut crate::diag::Diagnostics| -> Option<Table> {
        let spec = DATA_FILES[i];
        let part = state.tables[i].as_ref()?;
        let bytes = match (&part.digest, areas) {
            (Some(d), Areas::Some(_)) if spec.file != specs::COUNTIES.file => d.cut(&part.bytes, |c| areas.has(c)),
            _ => part.bytes.to_vec(),
        };
        if part.file.path().ends_with(".xlsx") {
            crate::load::workbook::table(spec, part.file.path(), bytes, diags)
        } else {
            Table::parse(spec, bytes, config.encoding_of(spec.file), diags)
        }
    };
    let index = |spec: &crate::load::data::Columns| DATA_FILES.iter().position(|s| s.file == spec.file).expect("a data file");
    let counties = table(index(&specs::COUNTIES), &mut diags);
    let sources = table(index(&specs::SOURCES), &mut diags);
    let files: BTreeSet<String> =
        DATA_FILES.iter().zip(&state.tables).filter(|(_, p)| p.is_some()).map(|(s, _)| s.file.to_string()).collect();
    let register = crate::model::build::register(counties.as_ref(), sources.as_ref(), &files, &mut diags);
    let reported = crate::model::build::published_rows(table(index(&specs::INDICATORS), &mut diags).as_ref(), &register, &mut diags);
    let milestones = crate::model::build::milestone_rows(table(index(&specs::MILESTONES), &mut diags).as_ref(), &register, &mut diags);
    let schools = crate::model::build::school_rows(table(index(&specs::SCHOOLS), &mut diags).as_ref(), &register, &mut diags);
    let rules = crate::model::rules::Rules::with_overrides(&config.rules);
    let computed = crate::engine::compute_with(&schools, &rules, config.settings.audit_years);
    let sheets = crate::engine::sheets(&reported, &computed, &rules);
    let mut figures = figures::figures(&reported, &sheets, &milestones);
    if let Areas::Some(set) = areas {
        figures.retain(|(key, _)| key.area.as_bytes().try_into().is_ok_and(|c: &Code| set.contains(c)));
    }
    figures
}
