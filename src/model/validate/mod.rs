//! Builds the [`Site`] from what the load stage read, checking every cell and every reference.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::*;
use crate::diag::{Diagnostic, Diagnostics};
use crate::load::cell::{decimals, is_missing, parse_count, parse_decimal, trim};
use crate::load::data::{Row, Table};
use crate::model::rules::Rules;
use crate::model::vocab::{Read, Vocab};

/// Names the prefecture column uses for "no real prefecture" (docs/domain.md §7).
pub(crate) const PLACEHOLDER_PREFECTURES: &[&str] =
    &["市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "省直辖县级市"];

/// The checked parts of a site, each made by a function of its own inputs ([`register`],
/// [`published_rows`], [`milestone_rows`], [`metric_rows`], [`school_rows`], [`pages`]), so
/// that the pipeline can keep each one the preview's edits leave alone.
#[derive(Debug)]
pub struct Parts {
    /// The areas and sources.
    pub register: Register,
    /// As in [`Site::reported`].
    pub reported: Arc<Grouped<Reported>>,
    /// As in [`Site::milestones`].
    pub milestones: Arc<Grouped<Milestone>>,
    /// As in [`Site::metrics`].
    pub metrics: Arc<Grouped<Metric>>,
    /// As in [`Site::schools`].
    pub schools: Arc<Grouped<SchoolRow>>,
    /// As in [`Site::rules`].
    pub rules: Rules,
    /// As in [`Site::pages`].
    pub pages: Vec<Page>,
    /// As in [`Site::revisions`].
    pub revisions: Arc<crate::model::revisions::Revisions>,
}

/// The site made of its checked parts.
pub fn assemble(config: &crate::config::Config, parts: Parts) -> Site {
    let Parts { register, reported, milestones, metrics, schools, rules, pages, revisions } = parts;
    Site {
        config: config.clone(),
        counties: register.counties,
        prefectures: register.prefectures,
        provinces: register.provinces,
        reported,
        milestones,
        metrics,
        schools,
        sources: register.sources,
        standards: register.standards,
        rules,
        pages,
        revisions,
    }
}

/// The areas (counties, and the prefectures and provinces derived from them) and the sources:
/// what every table's rows are checked against.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Register {
    /// As in [`Site::counties`].
    pub counties: Arc<Vec<County>>,
    /// As in [`Site::prefectures`].
    pub prefectures: Arc<Vec<Prefecture>>,
    /// As in [`Site::provinces`].
    pub provinces: Arc<Vec<Province>>,
    /// As in [`Site::sources`].
    pub sources: Arc<Vec<Source>>,
    /// As in [`Site::standards`].
    pub standards: Arc<Vec<Standard>>,
    /// Whether references to counties and to sources can be judged (their tables were read
    /// without errors).
    check_counties: bool,
    check_sources: bool,
}

/// The [`Register`] of `counties.csv`, `sources.csv` and `standards.csv` (`files`: the data
/// files present, read or not).
pub fn register(
    counties_table: Option<&Table>,
    sources_table: Option<&Table>,
    standards_table: Option<&Table>,
    files: &std::collections::BTreeSet<String>,
    diags: &mut Diagnostics,
) -> Register {
    let sources = sources_table.map(|t| sources(t, diags)).unwrap_or_default();
    let errors_before = diags.error_count();
    let counties = counties_table.map(|t| counties(t, diags)).unwrap_or_default();
    let counties_clean = diags.error_count() == errors_before;
    let (prefectures, provinces) = derive_areas(&counties);
    let mut register = Register {
        // Without a clean county list (missing or with errors, reported already) references
        // to counties cannot be judged: a typo there would otherwise be repeated on every row.
        check_counties: counties_table.is_some() && counties_clean,
        // A table that exists but could not be read has already been reported; checking
        // references against it would only repeat that error on every row.
        check_sources: sources_table.is_some() || !files.contains(crate::format::SOURCES.file),
        counties: Arc::new(counties),
        prefectures: Arc::new(prefectures),
        provinces: Arc::new(provinces),
        sources: Arc::new(sources),
        standards: Arc::default(),
    };
    if let Some(t) = standards_table {
        register.standards = Arc::new(Refs::with(&register, |refs| standards(t, refs, &register.provinces, diags)));
    }
    register
}

/// The rows of `standards.csv`: basic-balance standards of a province or a county (the 2017
/// quality standards are national and built in).
fn standards(t: &Table, refs: &Refs, provinces: &[Province], diags: &mut Diagnostics) -> Vec<Standard> {
    let rows = each_row(t, diags, |c| {
        let area = c.code("area");
        let known = refs.counties.contains(area.as_str()) || provinces.iter().any(|p| p.code == area);
        if c.ok && refs.check_counties && !known {
            c.fail("area", "a province or county code of `data/counties.csv`");
        }
        let scheme = c.term("scheme", Vocab::Scheme, None);
        if scheme.is_some_and(|s| s != Scheme::Basic.id()) {
            c.fail("scheme", "`basic` (基本均衡): the 2017 quality standards are national and built in");
        }
        let level = c.term("level", Vocab::Level, None).and_then(Level::parse);
        let composite = IndicatorRef::Composite.id();
        let indicator = Vocab::Indicator.id(c.raw("indicator"), Some(Scheme::Basic)).filter(|i| *i != composite);
        if indicator.is_none() {
            let basic = Vocab::Indicator.terms_of(Some(Scheme::Basic)).filter(|t| t.id != composite);
            c.fail("indicator", &format!("a basic-balance indicator: {}", crate::model::vocab::one_of(basic)));
        }
        let standard = c.non_negative("standard");
        if standard.is_none() && c.ok {
            c.fail("standard", "the minimum a school must reach, a number like `4.5`");
        }
        let source = c.source(refs);
        scheme.filter(|s| *s == Scheme::Basic.id())?;
        Some(Standard { area, level: level?, indicator: indicator?, standard: standard?, source })
    });
    let mut v = reject_duplicates(t, rows, "this area, regime, level and indicator are", diags);
    v.sort_by(|a, b| (&a.area, a.level, a.indicator).cmp(&(&b.area, b.level, b.indicator)));
    v
}

/// The rows of `indicators.csv`, checked against `register`.
pub fn published_rows(table: Option<&Table>, register: &Register, diags: &mut Diagnostics) -> Arc<Grouped<Reported>> {
    Arc::new(Grouped::new(table.map(|t| Refs::with(register, |refs| reported(t, refs, diags))).unwrap_or_default()))
}

/// The rows of `milestones.csv`, checked against `register`.
pub fn milestone_rows(table: Option<&Table>, register: &Register, diags: &mut Diagnostics) -> Arc<Grouped<Milestone>> {
    Arc::new(Grouped::new(table.map(|t| Refs::with(register, |refs| milestones(t, refs, diags))).unwrap_or_default()))
}

/// The rows of `metrics.csv`, checked against `register`.
pub fn metric_rows(table: Option<&Table>, register: &Register, diags: &mut Diagnostics) -> Arc<Grouped<Metric>> {
    Arc::new(Grouped::new(table.map(|t| Refs::with(register, |refs| metrics(t, refs, diags))).unwrap_or_default()))
}

/// The rows of `schools.csv`, checked against `register`.
pub fn school_rows(table: Option<&Table>, register: &Register, diags: &mut Diagnostics) -> Arc<Grouped<SchoolRow>> {
    Arc::new(Grouped::new(table.map(|t| Refs::with(register, |refs| schools(t, refs, diags))).unwrap_or_default()))
}

/// The Markdown pages (drafts left out), their front matter checked against `register`.
pub fn pages(
    loaded: &[Arc<crate::load::content::SourcePage>],
    register: &Register,
    diags: &mut Diagnostics,
) -> Vec<Page> {
    Refs::with(register, |refs| content_pages(loaded, refs, diags))
}

struct Refs<'a> {
    check_counties: bool,
    check_sources: bool,
    sources: &'a HashSet<&'a str>,
    counties: HashSet<&'a str>,
    areas: HashSet<&'a str>,
}

impl Refs<'_> {
    /// Calls `f` with what references are checked against in `data`.
    fn with<T>(data: &Register, f: impl FnOnce(&Refs) -> T) -> T {
        let sources: HashSet<&str> = data.sources.iter().map(|s| s.id.as_str()).collect();
        f(&Refs {
            check_counties: data.check_counties,
            check_sources: data.check_sources,
            counties: data.counties.iter().map(|c| c.code.as_str()).collect(),
            areas: data
                .counties
                .iter()
                .map(|c| c.code.as_str())
                .chain(data.prefectures.iter().map(|p| p.code.as_str()))
                .chain(data.provinces.iter().map(|p| p.code.as_str()))
                .chain([NATIONAL_AREA])
                .collect(),
            sources: &sources,
        })
    }
}

/// A column of a table as [`Cells`] reads it: by its canonical name (looked up in the row's
/// table), or [`Resolved`] once per table.
trait Column: Copy {
    fn name(&self) -> &str;
    fn cell<'t>(&self, table: &'t Table, row: &Row) -> Option<&'t str>;
}

impl Column for &str {
    fn name(&self) -> &str {
        self
    }

    fn cell<'t>(&self, table: &'t Table, row: &Row) -> Option<&'t str> {
        table.get(row, self)
    }
}

/// A column looked up once for a whole table: the large files (two million school rows of
/// twenty columns) would otherwise look up each column's name on every row.
#[derive(Clone, Copy)]
struct Resolved {
    name: &'static str,
    index: Option<usize>,
}

impl Resolved {
    fn of(table: &Table, name: &'static str) -> Self {
        Resolved { name, index: table.column(name) }
    }
}

impl Column for Resolved {
    fn name(&self) -> &str {
        self.name
    }

    fn cell<'t>(&self, table: &'t Table, row: &Row) -> Option<&'t str> {
        self.index.map(|i| table.cell(row, i))
    }
}

/// A cell without the `'` a spreadsheet-safe CSV puts before text starting with `=`, `+`, `-`,
/// `@`, a tab or a carriage return (junheng's own downloads do): the text as it was.
fn unguarded(v: &str) -> &str {
    match v.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => v,
    }
}

/// Reads typed cells of one row, collecting errors.
struct Cells<'t, 'd> {
    table: &'t Table,
    row: &'t Row,
    diags: &'d mut Diagnostics,
    ok: bool,
}

impl<'t> Cells<'t, '_> {
    fn raw(&self, name: impl Column) -> &'t str {
        unguarded(trim(name.cell(self.table, self.row).unwrap_or("")))
    }

    fn fail(&mut self, name: impl Column, expected: &str) {
        self.diags.push(self.table.cell_error(self.row, name.name(), expected));
        self.ok = false;
    }

    fn text(&mut self, name: impl Column, expected: &str) -> String {
        self.text_str(name, expected).to_string()
    }

    fn text_str(&mut self, name: impl Column, expected: &str) -> &'t str {
        let v = self.raw(name);
        if is_missing(v) {
            self.fail(name, expected);
        }
        v
    }

    fn opt_text(&self, name: impl Column) -> Option<String> {
        self.opt_str(name).map(str::to_string)
    }

    fn opt_str(&self, name: impl Column) -> Option<&'t str> {
        let v = self.raw(name);
        (!is_missing(v)).then_some(v)
    }

    fn code(&mut self, name: impl Column) -> String {
        self.code_str(name).to_string()
    }

    fn code_str(&mut self, name: impl Column) -> &'t str {
        let v = self.raw(name);
        // The national code that a spreadsheet turned into the number 0.
        if v.len() < 6 && !v.is_empty() && v.bytes().all(|b| b == b'0') {
            let d = Diagnostic::warning(
                &self.table.file,
                format!(
                    "read `{v}` as `{NATIONAL_AREA}`: a spreadsheet dropped the leading zeros of the code (save the table as a workbook, or format the column as text)"
                ),
            );
            self.diags.push(self.table.cell_diag(self.row, name.name(), d));
            return NATIONAL_AREA;
        }
        if !(v.len() == 6 && v.bytes().all(|b| b.is_ascii_digit())) {
            self.fail(name, "a 6-digit code like `450802`");
        }
        v
    }

    fn parsed<T>(&mut self, name: impl Column, expected: &str, parse: impl Fn(&str) -> Option<T>) -> Option<T> {
        let v = self.raw(name);
        let r = parse(v);
        if r.is_none() {
            self.fail(name, expected);
        }
        r
    }

    /// A word of `vocab` (of the regime `scheme`, for indicators): its id. A word of the other
    /// regime is told as such.
    fn term(&mut self, name: impl Column, vocab: Vocab, scheme: Option<Scheme>) -> Option<&'static str> {
        let v = self.raw(name);
        let expected = match vocab.read(v, scheme) {
            Read::Id(id) => return Some(id),
            Read::Unknown => vocab.expected(scheme),
            Read::OtherScheme(t) => {
                let (own, other) = (scheme.map_or("", Scheme::id), t.scheme.map_or("", Scheme::id));
                match vocab.zh(t.id, scheme) {
                    Some(zh) => format!(
                        "{own} balance's name for this indicator, `{zh}` (or `{}`): the one found is {other} balance's, which counts differently",
                        t.id
                    ),
                    None if t.id == IndicatorRef::Composite.id() => {
                        format!("an indicator of {own} balance (it has no composite): {}", vocab.expected(scheme))
                    }
                    None => format!(
                        "an indicator of {own} balance (the one found is {other} balance's): {}",
                        vocab.expected(scheme)
                    ),
                }
            }
        };
        self.fail(name, &expected);
        None
    }

    /// A school year (`2020-2021`); a bare calendar year gets the two school years it could
    /// mean.
    fn school_year(&mut self, name: impl Column) -> Option<SchoolYear> {
        let v = self.raw(name);
        let r = SchoolYear::parse(v);
        if r.is_none() {
            let bare = crate::load::cell::trim(v).parse::<u16>().ok().filter(|y| (1900..2200).contains(y));
            match bare {
                Some(y) => self.fail(
                    name,
                    &format!(
                        "a school year of two calendar years: `{y}-{}` (from autumn {y}) or `{}-{y}` (to summer {y})",
                        y + 1,
                        y - 1
                    ),
                ),
                None => self.fail(name, "a school year like `2020-2021`"),
            }
        }
        r
    }

    fn decimal(&mut self, name: impl Column) -> Option<f64> {
        match parse_decimal(self.raw(name)) {
            Ok(v) => v,
            Err(expected) => {
                self.fail(name, expected);
                None
            }
        }
    }

    fn non_negative(&mut self, name: impl Column) -> Option<f64> {
        let v = self.decimal(name);
        if v.is_some_and(|v| v < 0.0) {
            self.fail(name, "a number ≥ 0");
            return None;
        }
        v
    }

    /// A whole number kept in a smaller type `T`; one it cannot hold fails with `expected`.
    fn count_in<T: TryFrom<u64>>(&mut self, name: impl Column, expected: &str) -> Option<T> {
        let n = self.count(name)?;
        let kept = T::try_from(n).ok();
        if kept.is_none() {
            self.fail(name, expected);
        }
        kept
    }

    fn count(&mut self, name: impl Column) -> Option<u64> {
        match parse_count(self.raw(name)) {
            Ok(v) => v,
            Err(expected) => {
                self.fail(name, expected);
                None
            }
        }
    }

    fn source(&mut self, refs: &Refs) -> Option<String> {
        self.source_str(refs).map(str::to_string)
    }

    fn source_str(&mut self, refs: &Refs) -> Option<&'t str> {
        self.source_in(refs, "source")
    }

    /// [`Cells::source_str`] of column `name` (the `source` column, resolved once).
    fn source_in(&mut self, refs: &Refs, name: impl Column) -> Option<&'t str> {
        let id = self.raw(name);
        if is_missing(id) {
            return None;
        }
        if refs.check_sources && !refs.sources.contains(id) {
            let d = Diagnostic::error(
                &self.table.file,
                format!("unknown source `{id}`: expected an `id` of `data/sources.csv`"),
            );
            self.diags.push(self.table.cell_diag(self.row, name.name(), d));
        }
        Some(id)
    }

    fn county(&mut self, name: impl Column, refs: &Refs) -> String {
        self.county_str(name, refs).to_string()
    }

    fn county_str(&mut self, name: impl Column, refs: &Refs) -> &'t str {
        let code = self.code_str(name);
        if self.ok && refs.check_counties && !refs.counties.contains(code) {
            let d = Diagnostic::error(
                &self.table.file,
                format!(
                    "unknown county code `{code}`: expected a `code` of `data/counties.csv`{}",
                    suggest_county(code, refs)
                ),
            );
            self.diags.push(self.table.cell_diag(self.row, name.name(), d));
            self.ok = false;
        }
        code
    }

    fn area(&mut self, refs: &Refs) -> String {
        let code = self.code("area");
        if self.ok && refs.check_counties && !refs.areas.contains(code.as_str()) {
            let d = Diagnostic::error(
                &self.table.file,
                format!(
                    "unknown area `{code}`: expected a county, prefecture or province code of `data/counties.csv`, or `{NATIONAL_AREA}` for the whole country"
                ),
            );
            self.diags.push(self.table.cell_diag(self.row, "area", d));
            self.ok = false;
        }
        code
    }
}

/// The largest difference coefficient a publication could plausibly give: county figures of
/// schools spread far wider than any balance report shows have a CV near 1.
const MAX_CV: f64 = 1.5;

/// The national county list (NBS 2023 codes), for "did you mean" hints.
pub const NATIONAL_COUNTIES: &str = include_str!("../counties-national.csv");

/// The national county list, read once: code → full name (province, prefecture, county), and
/// each county's own name → its codes (`鸠江区` → `340207`).
struct National {
    by_code: BTreeMap<&'static str, String>,
    by_name: BTreeMap<&'static str, Vec<&'static str>>,
}

fn national() -> &'static National {
    static LIST: std::sync::OnceLock<National> = std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        let mut list = National { by_code: BTreeMap::new(), by_name: BTreeMap::new() };
        for l in NATIONAL_COUNTIES.lines().skip(1) {
            let f: Vec<&str> = l.split(',').collect();
            if f.len() == 6 {
                let prefecture = if f[3] == "市辖区" || f[3] == "县" { "" } else { f[3] };
                list.by_code.insert(f[0], format!("{}{prefecture}{}", f[5], f[1]));
                list.by_name.entry(f[1]).or_default().push(f[0]);
            }
        }
        list
    })
}

/// " (N more rows like it)" after a problem said once for a table, or nothing.
pub(super) fn more_rows(others: usize) -> String {
    match others {
        0 => String::new(),
        1 => " (1 more row like it)".to_string(),
        n => format!(" ({n} more rows like it)"),
    }
}

/// The code among `candidates` one edit from `code`, with its name.
fn near_code<'c>(code: &str, candidates: impl Iterator<Item = (&'c str, &'c str)>) -> Option<(&'c str, &'c str)> {
    candidates
        .map(|(c, name)| (strsim::damerau_levenshtein(code, c), c, name))
        .filter(|(d, _, _)| *d == 1)
        .min()
        .map(|(_, c, name)| (c, name))
}

/// A hint for an unknown county code of a data row: its entry in the national list (a row to
/// add, or a county row whose code is the slip), else a near code of the site, else a near
/// code of the national list.
fn suggest_county(code: &str, refs: &Refs) -> String {
    let national = &national().by_code;
    let near_site = near_code(code, refs.counties.iter().map(|c| (*c, "")));
    if let Some(name) = national.get(code) {
        return match near_site.filter(|(c, _)| !national.contains_key(c)) {
            Some((c, _)) => format!(
                "; `{code}` is {name} in the national list, and the county row `{c}` is not in it: correct that row's code in `data/counties.csv`?"
            ),
            None => format!("; `{code}` is {name} in the national list: add a row for it to `data/counties.csv`"),
        };
    }
    if let Some((c, _)) = near_site {
        return format!("; did you mean `{c}`?");
    }
    match near_code(code, national.iter().map(|(c, n)| (*c, n.as_str()))) {
        Some((c, name)) => format!("; did you mean `{c}` ({name})?"),
        None => String::new(),
    }
}

/// Warns of a county row whose code is not in the national list, or whose prefecture or
/// province code is not the one its code names (a county code begins with its prefecture's
/// four digits and its province's two).
fn check_county_codes(t: &Table, rows: &[(&Row, County)], diags: &mut Diagnostics) {
    let national = &national().by_code;
    let six_digits = |c: &str| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit());
    for (row, c) in rows.iter().filter(|(_, c)| six_digits(&c.code) && c.code != NATIONAL_AREA) {
        let mut warn = |field: &str, message: String| {
            diags.push(t.cell_diag(row, field, Diagnostic::warning(&t.file, message)));
        };
        if !national.contains_key(c.code.as_str()) {
            // The county of that name in the list (in the same province first), else a near code.
            let named = |same_province: bool| {
                self::national()
                    .by_name
                    .get(c.name.as_str())
                    .into_iter()
                    .flatten()
                    .find(|code| !same_province || code[..2] == c.code[..2])
            };
            let hint = match named(true).or_else(|| named(false)) {
                Some(code) => format!("; {} there is `{code}` ({})", c.name, national[code]),
                None => match near_code(&c.code, national.iter().map(|(c, n)| (*c, n.as_str()))) {
                    Some((near, name)) => format!("; did you mean `{near}` ({name})?"),
                    None => String::new(),
                },
            };
            warn(
                "code",
                format!(
                    "`{}` is not a county code of the national list (2023){hint}. A county created or renamed since then keeps its own code; otherwise correct it (data rows name counties by this code)",
                    c.code
                ),
            );
        }
        for (field, given, expected) in [
            ("prefecture_code", &c.prefecture_code, format!("{}00", &c.code[..4])),
            ("province_code", &c.province_code, format!("{}0000", &c.code[..2])),
        ] {
            if *given != expected {
                warn(
                    field,
                    format!(
                        "found `{given}` for county `{}`: expected `{expected}` (a county code begins with the codes of its prefecture and province)",
                        c.code
                    ),
                );
            }
        }
    }
}

fn each_row<'t, T>(
    table: &'t Table,
    diags: &mut Diagnostics,
    mut f: impl FnMut(&mut Cells<'t, '_>) -> Option<T>,
) -> Vec<(&'t Row, T)> {
    let mut out = Vec::with_capacity(table.rows.len());
    let mut found = Diagnostics::new();
    for row in &table.rows {
        let mut cells = Cells { table, row, diags: &mut found, ok: true };
        let v = f(&mut cells);
        if cells.ok
            && let Some(v) = v
        {
            out.push((row, v));
        }
    }
    diags.extend(found.collapse_repeats());
    out
}

/// [`each_row`] in parallel, for the large files: results and problems keep file order.
/// `f` also gets a state `S` for each run of rows a thread reads (rows next to each other in a
/// file are often about the same things).
///
/// The results are collected straight into one vector (a row gives at most one): two million
/// rows of `schools.csv` are half a gigabyte, which must not be held twice.
#[allow(clippy::filter_map_identity)]
fn each_row_par<'t, T: Send, S: Default>(
    table: &'t Table,
    diags: &mut Diagnostics,
    f: impl Fn(&mut S, &mut Cells<'t, '_>) -> Option<T> + Sync,
) -> Vec<(&'t Row, T)> {
    use rayon::prelude::*;
    let found = std::sync::Mutex::new(Vec::new());
    let rows: Vec<Option<(&'t Row, T)>> = table
        .rows
        .par_iter()
        .enumerate()
        .with_min_len(4096)
        .map_init(S::default, |state, (i, row)| {
            let mut problems = Diagnostics::new();
            let mut cells = Cells { table, row, diags: &mut problems, ok: true };
            let v = f(state, &mut cells);
            let ok = cells.ok;
            if !problems.is_empty() {
                found.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((i, problems));
            }
            v.filter(|_| ok).map(|v| (row, v))
        })
        .collect();
    let mut found = found.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    found.sort_unstable_by_key(|(i, _)| *i);
    let mut problems = Diagnostics::new();
    found.into_iter().for_each(|(_, p)| problems.extend(p));
    diags.extend(problems.collapse_repeats());
    // In place (`flatten` would copy): an `Option` of a pair holding a reference is the size
    // of the pair.
    rows.into_iter().filter_map(|row| row).collect()
}

/// A row type's identity: two rows with the same key are duplicates.
trait Keyed {
    /// The key, borrowed from the row.
    type Key<'a>: std::hash::Hash + Eq
    where
        Self: 'a;
    /// This row's key.
    fn key(&self) -> Self::Key<'_>;
}

impl Keyed for Source {
    type Key<'a> = &'a str;
    fn key(&self) -> &str {
        &self.id
    }
}

impl Keyed for County {
    type Key<'a> = &'a str;
    fn key(&self) -> &str {
        &self.code
    }
}

impl Keyed for Reported {
    type Key<'a> = (&'a str, SchoolYear, Level, Scheme, IndicatorRef);
    fn key(&self) -> Self::Key<'_> {
        (&self.county, self.school_year, self.level, self.scheme, self.indicator)
    }
}

impl Keyed for Milestone {
    type Key<'a> = (&'a str, PartialDate, Event, &'a str);
    fn key(&self) -> Self::Key<'_> {
        (&self.area, self.date, self.event, &self.title)
    }
}

impl Keyed for Standard {
    type Key<'a> = (&'a str, Level, &'a str);
    fn key(&self) -> Self::Key<'_> {
        (&self.area, self.level, self.indicator)
    }
}

impl Keyed for Metric {
    type Key<'a> = (&'a str, &'a Period, &'a str);
    fn key(&self) -> Self::Key<'_> {
        (&self.area, &self.period, &self.metric)
    }
}

impl Keyed for SchoolRow {
    type Key<'a> = (&'a str, SchoolYear, Level);
    fn key(&self) -> Self::Key<'_> {
        (&self.school_id, self.school_year, self.level)
    }
}

/// Calls `found(i, first)` for each item `i` whose key an earlier item `first` (the first
/// with that key) already had, in the order of `i`. The table holds 4-byte indices, keys are
/// looked up in the items: at two million school rows a map of borrowed keys cost ten times
/// the memory. The keys are split by hash into one table per thread, filled in parallel (a
/// key's items all fall in one table, in their order).
fn first_of_each_key<'a, T: Sync, K: std::hash::Hash + Eq>(
    items: &'a [T],
    key: impl Fn(&'a T) -> K + Sync,
    mut found: impl FnMut(usize, usize),
) {
    use std::hash::BuildHasher;
    let hasher = rustc_hash::FxBuildHasher;
    let shards = rayon::current_num_threads().max(1);
    // The shard of a hash: its high bits, spread over the shards.
    let shard_of = |h: u64| ((u128::from(h) * shards as u128) >> 64) as usize;
    let pairs: Vec<Vec<(u32, u32)>> = (0..shards)
        .into_par_iter()
        .map(|shard| {
            let hash = |i: u32| hasher.hash_one(key(&items[i as usize]));
            let mut table = hashbrown::HashTable::<u32>::with_capacity(items.len() / shards + 1);
            let mut pairs = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let k = key(item);
                let h = hasher.hash_one(&k);
                if shard_of(h) != shard {
                    continue;
                }
                match table.entry(h, |&j| key(&items[j as usize]) == k, |&j| hash(j)) {
                    hashbrown::hash_table::Entry::Occupied(first) => pairs.push((i as u32, *first.get())),
                    hashbrown::hash_table::Entry::Vacant(slot) => {
                        slot.insert(i as u32);
                    }
                }
            }
            pairs
        })
        .collect();
    let mut pairs = pairs.concat();
    pairs.sort_unstable();
    pairs.into_iter().for_each(|(i, first)| found(i as usize, first as usize));
}

/// Reports rows whose key was already seen (`what` names the key's columns) and drops them.
fn reject_duplicates<T: Keyed + Sync>(
    table: &Table,
    rows: Vec<(&Row, T)>,
    what: &str,
    diags: &mut Diagnostics,
) -> Vec<T> {
    // First the duplicates are found with keys borrowed from the rows, then the rows are
    // moved out: no key is copied.
    let mut duplicates: Vec<(usize, u32)> = Vec::new();
    first_of_each_key(&rows, |(_, v)| v.key(), |i, first| duplicates.push((i, rows[first].0.line)));
    if duplicates.is_empty() {
        return rows.into_iter().map(|(_, v)| v).collect();
    }
    let mut next = duplicates.iter().peekable();
    // `filter_map` over the vector's own iterator collects in place: no second copy of a
    // national table.
    rows.into_iter()
        .enumerate()
        .filter_map(|(i, (row, v))| match next.next_if(|(d, _)| *d == i) {
            Some((_, first)) => {
                diags.push(table.row_diag(
                    row,
                    Diagnostic::error(&table.file, format!("duplicate row: {what} already given on line {first}")),
                ));
                None
            }
            None => Some(v),
        })
        .collect()
}

fn sources(t: &Table, diags: &mut Diagnostics) -> Vec<Source> {
    let rows = each_row(t, diags, |c| {
        let id = c.text("id", "a source id like `guigang-2021`");
        if !id.is_empty() && !crate::load::content::is_safe_segment(&id) {
            c.fail("id", "an id of letters, digits, `-` and `_`");
        }
        let title = c.text("title", "the title of the document");
        let date = match c.opt_text("date") {
            Some(_) => c.parsed("date", "a date like `2021`, `2021-03` or `2021-03-16`", PartialDate::parse),
            None => None,
        };
        let url = c.opt_text("url");
        if let Some(u) = &url
            && !crate::util::text::is_web_url(u)
        {
            c.fail("url", "an address starting with `https://` or `http://`");
        }
        let illustrative = c
            .parsed("illustrative", "`true` (its figures are illustrative, not real) or `false`", |v| {
                match v.to_lowercase().as_str() {
                    _ if is_missing(v) => Some(false),
                    "false" | "no" | "0" | "否" => Some(false),
                    "true" | "yes" | "1" | "是" => Some(true),
                    _ => None,
                }
            })
            .unwrap_or(false);
        Some(Source { id, title, publisher: c.opt_text("publisher"), date, url, illustrative })
    });
    let mut v = reject_duplicates(t, rows, "this source id is", diags);
    v.sort_by(|a, b| a.id.cmp(&b.id));
    v
}

fn counties(t: &Table, diags: &mut Diagnostics) -> Vec<County> {
    let rows = each_row(t, diags, |c| {
        let code = c.code("code");
        let name = c.text("name", "the county's name");
        let prefecture_code = c.code("prefecture_code");
        let prefecture = c.text("prefecture", "the prefecture's name");
        let province_code = c.code("province_code");
        let province = c.text("province", "the province's name");
        Some(County {
            code,
            name,
            name_en: c.opt_text("name_en"),
            prefecture_code,
            prefecture,
            province_code,
            province,
        })
    });
    check_county_codes(t, &rows, diags);
    // A prefecture or province must carry one name and one parent throughout.
    let mut first_seen: HashMap<String, (String, u32)> = HashMap::default();
    for (row, c) in &rows {
        for (field, key, value) in [
            ("prefecture", &c.prefecture_code, format!("{}|{}", c.prefecture, c.province_code)),
            ("province", &c.province_code, c.province.clone()),
        ] {
            match first_seen.get(key.as_str()) {
                Some((v, line)) if *v != value => diags.push(t.cell_diag(
                    row,
                    field,
                    Diagnostic::error(
                        &t.file,
                        format!(
                            "code `{key}` was given another name or province on line {line}: expected one name per code"
                        ),
                    ),
                )),
                Some(_) => {}
                None => {
                    first_seen.insert(key.clone(), (value, row.line));
                }
            }
        }
    }
    let mut v = reject_duplicates(t, rows, "this county code is", diags);
    v.sort_by(|a, b| a.code.cmp(&b.code));
    v
}

fn derive_areas(counties: &[County]) -> (Vec<Prefecture>, Vec<Province>) {
    let mut prefs: BTreeMap<&str, Prefecture> = BTreeMap::new();
    let mut provs: BTreeMap<&str, Province> = BTreeMap::new();
    for c in counties {
        let p = prefs.entry(&c.prefecture_code).or_insert_with(|| Prefecture {
            code: c.prefecture_code.clone(),
            name: if PLACEHOLDER_PREFECTURES.contains(&c.prefecture.as_str()) {
                c.province.clone()
            } else {
                c.prefecture.clone()
            },
            province_code: c.province_code.clone(),
            counties: Vec::new(),
            name_en: super::area_name_en(&c.prefecture_code, &c.prefecture).map(str::to_string),
        });
        p.counties.push(c.code.clone());
        let pv = provs.entry(&c.province_code).or_insert_with(|| Province {
            code: c.province_code.clone(),
            name: c.province.clone(),
            prefectures: Vec::new(),
            counties: Vec::new(),
            name_en: super::area_name_en(&c.province_code, &c.province).map(str::to_string),
        });
        pv.counties.push(c.code.clone());
        if pv.prefectures.last() != Some(&c.prefecture_code) && !pv.prefectures.contains(&c.prefecture_code) {
            pv.prefectures.push(c.prefecture_code.clone());
        }
    }
    let mut provinces: Vec<Province> = provs.into_values().collect();
    for p in &mut provinces {
        p.prefectures.sort();
    }
    (prefs.into_values().collect(), provinces)
}

fn reported(t: &Table, refs: &Refs, diags: &mut Diagnostics) -> Vec<Reported> {
    let [county_col, year_col, level_col, scheme_col, indicator_col, value_col, cv_col, source_col] =
        ["county", "school_year", "level", "scheme", "indicator", "value", "cv", "source"].map(|n| Resolved::of(t, n));
    let rows = each_row_par(t, diags, |_: &mut (), c| {
        let county = c.county(county_col, refs);
        let school_year = c.school_year(year_col);
        let level = c.term(level_col, Vocab::Level, None).and_then(Level::parse);
        let scheme = c.term(scheme_col, Vocab::Scheme, None).and_then(Scheme::parse);
        let indicator = scheme.and_then(|s| match c.term(indicator_col, Vocab::Indicator, Some(s))? {
            "composite" => Some(IndicatorRef::Composite),
            id => Some(IndicatorRef::Indicator(id)),
        });
        let value = c.non_negative(value_col);
        let cv = c.non_negative(cv_col);
        if let Some(v) = cv.filter(|v| *v > MAX_CV) {
            // The decimal point moved (0.344 typed as 34.4), or a percentage: the figure with
            // the point moved left until it is plausible, with the digits it was typed with.
            let (mut meant, mut places) = (v, usize::from(decimals(c.raw(cv_col)).unwrap_or(0)));
            while meant > MAX_CV {
                meant /= 10.0;
                places += 1;
            }
            let d = Diagnostic::warning(
                &c.table.file,
                format!(
                    "found {v}: a difference coefficient above {MAX_CV} is beyond any published one; did you mean {meant:.places$}? (a slip of the decimal point, or a percentage)"
                ),
            );
            c.diags.push(c.table.cell_diag(c.row, "cv", d));
        }
        let value_decimals = decimals(c.raw(value_col));
        let cv_decimals = decimals(c.raw(cv_col));
        if indicator == Some(IndicatorRef::Composite) && value.is_some() {
            c.fail(value_col, "an empty cell: the composite is given in `cv`");
        }
        let source = c.source_in(refs, source_col).map(str::to_string);
        Some(Reported {
            county,
            school_year: school_year?,
            level: level?,
            scheme: scheme?,
            indicator: indicator?,
            value,
            value_decimals,
            cv,
            cv_decimals,
            source,
        })
    });
    check_composites(t, &rows, diags);
    check_sources_given(t, &rows, |r: &Reported| r.source.is_none() && (r.value.is_some() || r.cv.is_some()), diags);
    let mut v = reject_duplicates(t, rows, "this county, school year, level, scheme and indicator are", diags);
    // Each row's place, borrowed (rows are unique by it: duplicates were rejected).
    fn order(r: &Reported) -> (&str, SchoolYear, Level, Scheme, usize) {
        let pos = match r.indicator {
            IndicatorRef::Composite => usize::MAX,
            IndicatorRef::Indicator(id) => {
                RuleSet::of(r.scheme).indicators.iter().position(|i| i.id == id).unwrap_or(0)
            }
        };
        (r.county.as_str(), r.school_year, r.level, r.scheme, pos)
    }
    v.par_sort_unstable_by(|a, b| order(a).cmp(&order(b)));
    v
}

/// Warns where a published basic composite departs from the mean of the coefficients published
/// beside it (all of the regime's indicators) by more than their rounding allows.
fn check_composites(t: &Table, rows: &[(&Row, Reported)], diags: &mut Diagnostics) {
    // A sheet's composite (its row and coefficient) and its indicators' coefficients.
    type Sheet<'a> = (Option<(&'a Row, &'a Reported, f64)>, Vec<(f64, Option<u8>)>);
    let mut sheets: BTreeMap<(&str, SchoolYear, Level), Sheet> = BTreeMap::new();
    for (row, r) in rows.iter().filter(|(_, r)| r.scheme == Scheme::Basic) {
        let sheet = sheets.entry((r.county.as_str(), r.school_year, r.level)).or_default();
        match (r.indicator, r.cv) {
            (IndicatorRef::Composite, Some(cv)) => sheet.0 = Some((*row, r, cv)),
            (IndicatorRef::Indicator(_), Some(cv)) => sheet.1.push((cv, r.cv_decimals)),
            _ => {}
        }
    }
    let indicators = RuleSet::of(Scheme::Basic).indicators.len();
    for (composite, cvs) in sheets.values().filter(|s| s.1.len() == indicators) {
        let Some((row, r, given)) = *composite else {
            continue;
        };
        let (mean, departs) = rules::composite_against_mean(given, r.cv_decimals, cvs);
        if departs {
            let d = Diagnostic::warning(
                &t.file,
                format!(
                    "the published composite {given} differs from {mean:.3}, the mean of the {indicators} coefficients published beside it, by more than their rounding allows: check the figure and its source"
                ),
            );
            diags.push(t.cell_diag(row, "cv", d));
        }
    }
}

fn milestones(t: &Table, refs: &Refs, diags: &mut Diagnostics) -> Vec<Milestone> {
    let rows = each_row(t, diags, |c| {
        let area = c.area(refs);
        let date = c.parsed("date", "a date like `2016`, `2016-01` or `2016-01-15` that exists", PartialDate::parse);
        let event = c.term("event", Vocab::Event, None).and_then(Event::parse);
        let title = c.text("title", "a short text for the timeline");
        let source = c.source(refs);
        Some(Milestone { area, date: date?, event: event?, title, source })
    });
    let mut v = reject_duplicates(t, rows, "this area, date, event and title are", diags);
    v.sort_by(|a, b| (&a.area, a.date, a.event, &a.title).cmp(&(&b.area, b.date, b.event, &b.title)));
    v
}

fn metrics(t: &Table, refs: &Refs, diags: &mut Diagnostics) -> Vec<Metric> {
    let rows = each_row(t, diags, |c| {
        let area = c.area(refs);
        let period = c.parsed("period", "a period like `2013`, `2020-2021` or `2013/2018`", Period::parse);
        let metric = c.text("metric", "a metric id like `big_classes`");
        if !metric.is_empty() && !crate::load::content::is_safe_segment(&metric) {
            c.fail("metric", "a metric id of letters, digits, `-` and `_`");
        }
        let value = c.decimal("value");
        if value.is_none() && c.ok {
            c.fail("value", "a decimal number like `12.50`");
        }
        let source = c.source(refs);
        Some(Metric { area, period: period?, metric, value: value?, unit: c.opt_text("unit"), source })
    });
    check_sources_given(t, &rows, |m: &Metric| m.source.is_none(), diags);
    let mut v = reject_duplicates(t, rows, "this area, period and metric are", diags);
    v.sort_by(|a, b| (&a.area, &a.metric, &a.period).cmp(&(&b.area, &b.metric, &b.period)));
    v
}

/// Warns, once for the table, of figures given without a source (every figure of the site
/// links to where it was published): names the first and counts the others.
fn check_sources_given<T>(t: &Table, rows: &[(&Row, T)], unsourced: impl Fn(&T) -> bool, diags: &mut Diagnostics) {
    let mut missing = rows.iter().filter(|(_, r)| unsourced(r));
    let Some((row, _)) = missing.next() else { return };
    let others = more_rows(missing.count());
    let d = Diagnostic::warning(
        &t.file,
        format!(
            "a figure without a source{others}: expected the `id` of its publication in `data/sources.csv`, so that readers can check it"
        ),
    );
    diags.push(t.cell_diag(row, "source", d));
}

mod pages;
mod schools;

use pages::content_pages;
use schools::schools;

#[cfg(test)]
mod tests;
