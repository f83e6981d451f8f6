//! The indicator engine (pure): school-level rows → difference coefficients, exactly as the
//! official method computes them (docs/domain.md §2–§5), with every intermediate kept for the
//! audit trail.
//!
//! 1. [`units`]: one row per school and level, with whole-school facilities apportioned
//!    between the levels of a combined school by weighted enrolment, and teaching points
//!    merged into their central school, kept, or left out as the rules say.
//! 2. [`coefficient`]: for one indicator, xᵢ = Rᵢ / Pᵢ (× 100 for "每百名学生"), the county
//!    value x̄ = ΣR / ΣP (the enrolment-weighted mean), the weighted population SD
//!    S = √(Σ (Pᵢ/P)(xᵢ − x̄)²) and CV = S / x̄, in full precision.
//! 3. [`compliance`]: quality balance per school: standards met, and the "≥ 6 met and the
//!    missed one ≥ 85 %" rule.
//!
//! Edge cases (docs/domain.md §4): schools with no students are skipped; no students at
//! all, or a county value of 0, give no CV (shown "—"); a single school gives CV 0; a school
//! lacking the resource figure is left out of that indicator and counted as missing.

mod analysed;
mod verdicts;

pub use analysed::Analysed;
pub use verdicts::{Basis, Composite, Sheet, SheetRow, disagrees, latest_row, sheets};

use std::collections::BTreeMap;

use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use crate::config::AuditYears;
use crate::model::rules::{Indicator, Rules, TeachingPoints};
use crate::model::{Level, SCHOOL_FIGURES, Scheme, SchoolRow, SchoolYear};

/// Share of a missed quality standard a school must still reach (docs/domain.md §1).
pub const QUALITY_MISSED_SHARE: f64 = 0.85;
/// Standards of 7 a school must meet in full (docs/domain.md §1).
pub const QUALITY_MIN_MET: usize = 6;

/// One school (or merged school) at one level, as counted by a regime.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unit {
    /// 学校标识码.
    pub school_id: Arc<str>,
    /// Name.
    pub school_name: Arc<str>,
    /// School type of the row.
    pub school_type: &'static str,
    /// Students of this level (Pᵢ), teaching points merged in included.
    pub students: f64,
    /// Share of the whole-school facilities counted at this level.
    pub facility_share: f64,
    /// Resources counted at this level, in the order of [`SCHOOL_FIGURES`] (facilities
    /// apportioned).
    pub resources: [Option<f64>; SCHOOL_FIGURES.len()],
    /// Ids of the teaching points merged into this unit.
    pub merged: Vec<Arc<str>>,
}

impl Unit {
    /// The resource figure of a column.
    pub fn resource(&self, column: &str) -> Option<f64> {
        column_index(column).and_then(|i| self.resources[i])
    }
}

/// The position of a `schools.csv` figure column in [`SCHOOL_FIGURES`].
pub fn column_index(column: &str) -> Option<usize> {
    SCHOOL_FIGURES.iter().position(|c| *c == column)
}

/// Why a coefficient could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoCv {
    /// No school with students and the resource figure.
    NoSchools,
    /// The county value is 0: the CV is undefined.
    ZeroMean,
}

/// One school's part in a coefficient.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Term {
    /// Index into the units of the sheet.
    pub unit: usize,
    /// Pᵢ.
    pub students: f64,
    /// Rᵢ.
    pub resource: f64,
    /// xᵢ.
    pub value: f64,
    /// Pᵢ / P.
    pub weight: f64,
    /// (Pᵢ/P)(xᵢ − x̄)².
    pub weighted_square: f64,
}

/// A coefficient with every step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coefficient {
    /// Indicator id.
    pub indicator: &'static str,
    /// The terms, one per school counted.
    pub terms: Vec<Term>,
    /// P = ΣPᵢ.
    pub total_students: f64,
    /// ΣRᵢ (× 100 for "每百名学生" indicators).
    pub total_resource: f64,
    /// x̄, the county value.
    pub mean: Option<f64>,
    /// Σ (Pᵢ/P)(xᵢ − x̄)².
    pub variance: Option<f64>,
    /// S.
    pub sd: Option<f64>,
    /// CV = S / x̄.
    pub cv: Option<f64>,
    /// Why there is no CV, if there is none.
    pub no_cv: Option<NoCv>,
    /// Units left out for lack of the resource figure.
    pub missing: Vec<usize>,
}

/// Computes one coefficient over `units` (the audit trail keeps the terms).
///
/// ```
/// use junheng::engine::coefficient_of;
/// // Two schools: 100 pupils with 2 m² each, 300 pupils with 4 m² each.
/// let c = coefficient_of(&[(100.0, 200.0), (300.0, 1200.0)], 1.0);
/// assert_eq!(c.mean, Some(3.5)); // ΣR / ΣP = 1400 / 400, not (2 + 4) / 2
/// let sd = (0.25 * 1.5f64.powi(2) + 0.75 * 0.5f64.powi(2)).sqrt();
/// assert!((c.cv.unwrap() - sd / 3.5).abs() < 1e-12);
/// ```
pub fn coefficient_of(schools: &[(f64, f64)], scale: f64) -> Coefficient {
    let units: Vec<(usize, f64, Option<f64>)> =
        schools.iter().enumerate().map(|(i, (p, r))| (i, *p, Some(*r))).collect();
    coefficient("", &units, scale)
}

impl Coefficient {
    /// The coefficient the county would have without unit `unit` (leave-one-out): the same
    /// formula over the other schools' terms. A unit that is not counted leaves it as it is;
    /// without the only school there is none.
    ///
    /// ```
    /// use junheng::engine::coefficient_of;
    /// // 2, 4 and 6 m² per pupil for 100, 300 and 100 pupils: CV √1.6 ÷ 4; without the third,
    /// // the two schools of the example above: √0.75 ÷ 3.5.
    /// let c = coefficient_of(&[(100.0, 200.0), (300.0, 1200.0), (100.0, 600.0)], 1.0);
    /// assert!((c.cv.unwrap() - 1.6f64.sqrt() / 4.0).abs() < 1e-12);
    /// assert!((c.without(2).unwrap() - 0.75f64.sqrt() / 3.5).abs() < 1e-12);
    /// ```
    pub fn without(&self, unit: usize) -> Option<f64> {
        if !self.terms.iter().any(|t| t.unit == unit) {
            return self.cv;
        }
        // The formula of `coefficient` over the other terms, operation for operation (the same
        // figure to the bit), without building a coefficient: pages ask this of every school
        // and indicator. A term's resource is already scaled.
        let rest = || self.terms.iter().filter(|t| t.unit != unit);
        rest().next()?;
        let total_students: f64 = rest().map(|t| t.students).sum();
        let total_resource: f64 = rest().map(|t| t.resource).sum();
        let mean = total_resource / total_students;
        let mut variance = 0.0;
        for t in rest() {
            let value = t.resource / t.students;
            let weight = t.students / total_students;
            variance += weight * (value - mean) * (value - mean);
        }
        (mean != 0.0).then(|| variance.sqrt() / mean)
    }

    /// The value xᵢ of unit `unit`, if it is counted.
    pub fn value_of(&self, unit: usize) -> Option<f64> {
        self.terms.iter().find(|t| t.unit == unit).map(|t| t.value)
    }

    /// Where unit `unit` stands among the schools counted: how many have a lower value and
    /// how many a higher one (equal values are neither).
    pub fn position(&self, unit: usize) -> Option<(usize, usize)> {
        let x = self.value_of(unit)?;
        let lower = self.terms.iter().filter(|t| t.value < x).count();
        let higher = self.terms.iter().filter(|t| t.value > x).count();
        Some((lower, higher))
    }
}

/// Computes a coefficient from (unit index, students, resource) triples.
fn coefficient(indicator: &'static str, units: &[(usize, f64, Option<f64>)], scale: f64) -> Coefficient {
    let mut missing = Vec::new();
    let mut counted = Vec::with_capacity(units.len());
    for &(i, p, r) in units {
        if p <= 0.0 {
            continue; // no students: not a school of this level this year
        }
        match r {
            Some(r) => counted.push((i, p, r * scale)),
            None => missing.push(i),
        }
    }
    let total_students: f64 = counted.iter().map(|t| t.1).sum();
    let total_resource: f64 = counted.iter().map(|t| t.2).sum();
    let mut c = Coefficient {
        indicator,
        terms: Vec::with_capacity(counted.len()),
        total_students,
        total_resource,
        mean: None,
        variance: None,
        sd: None,
        cv: None,
        no_cv: None,
        missing,
    };
    if counted.is_empty() {
        c.no_cv = Some(NoCv::NoSchools);
        return c;
    }
    let mean = total_resource / total_students;
    let mut variance = 0.0;
    for &(unit, p, r) in &counted {
        let value = r / p;
        let weight = p / total_students;
        let weighted_square = weight * (value - mean) * (value - mean);
        variance += weighted_square;
        c.terms.push(Term { unit, students: p, resource: r, value, weight, weighted_square });
    }
    let sd = variance.sqrt();
    c.mean = Some(mean);
    c.variance = Some(variance);
    c.sd = Some(sd);
    if mean == 0.0 {
        c.no_cv = Some(NoCv::ZeroMean);
    } else {
        c.cv = Some(sd / mean);
    }
    c
}

/// Where a school's figure stands against its quality-balance standard, as a parent reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Standing {
    /// At or above the standard.
    Meets,
    /// Below the standard, but at least 85 % of it: the one miss the rule allows.
    Near,
    /// Below 85 % of the standard.
    Below,
    /// No figure: it cannot be judged, so it is not met.
    Unknown,
}

impl Standing {
    /// Its id, as the pages' classes and the downloads write it.
    pub fn id(self) -> &'static str {
        match self {
            Standing::Meets => "meets",
            Standing::Near => "near",
            Standing::Below => "below",
            Standing::Unknown => "unknown",
        }
    }

    /// Where `value` stands against `standard`. A value that reaches a line up to the rounding
    /// of binary floating point (one part in 10⁹; figures are published to a few decimals)
    /// reaches it: a school at exactly 85 % of 2.3 rooms per hundred pupils is near, whichever
    /// way its division and `0.85 × 2.3` happen to round.
    pub fn of(value: Option<f64>, standard: f64) -> Standing {
        let reaches = |v: f64, line: f64| v >= line - line.abs() * ROUNDING;
        match value {
            None => Standing::Unknown,
            Some(v) if reaches(v, standard) => Standing::Meets,
            Some(v) if reaches(v, QUALITY_MISSED_SHARE * standard) => Standing::Near,
            Some(_) => Standing::Below,
        }
    }
}

/// Where a value stands against a basic-balance school standard a site declares (no 85 %
/// band: that is quality balance's rule): `meets`, `short` or `unknown` (no figure).
pub fn basic_state(value: Option<f64>, standard: f64) -> &'static str {
    match Standing::of(value, standard) {
        Standing::Meets => "meets",
        Standing::Unknown => "unknown",
        Standing::Near | Standing::Below => "short",
    }
}

/// How far below a line a value may be and still reach it: floating-point rounding only.
const ROUNDING: f64 = 1e-9;

/// A school's verdict under the quality-balance rule, as a parent reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It meets the rule: every standard, or all but one with that one at 85 % or more.
    Meets,
    /// It falls short of the rule, missing `missed` standards.
    FallsShort {
        /// How many standards it misses.
        missed: usize,
    },
}

/// Quality balance: one school's standards.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchoolCompliance {
    /// Index into the units of the sheet.
    pub unit: usize,
    /// Per indicator: (id, the school's value, the standard, met?). `None` value: no figure.
    pub checks: Vec<(&'static str, Option<f64>, f64, bool)>,
    /// Standards met.
    pub met: usize,
    /// "≥ 6 met and the missed one ≥ 85 % of its standard".
    pub passes: bool,
}

impl SchoolCompliance {
    /// Where each figure stands against its standard, in the order of [`SchoolCompliance::checks`].
    pub fn standings(&self) -> impl Iterator<Item = (&'static str, Standing)> + '_ {
        self.checks.iter().map(|c| (c.0, Standing::of(c.1, c.2)))
    }

    /// The school's verdict under the rule.
    pub fn verdict(&self) -> Verdict {
        if self.passes { Verdict::Meets } else { Verdict::FallsShort { missed: self.checks.len() - self.met } }
    }
}

/// Quality balance: the county's schools against the 7 standards.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compliance {
    /// Every school, in unit order.
    pub schools: Vec<SchoolCompliance>,
    /// Schools that do not pass (the gap list, 短板).
    pub failing: usize,
}

/// Applies the per-school rule of quality balance to `units`.
pub fn compliance(units: &[Unit], indicators: &[Indicator], level: Level) -> Compliance {
    let schools: Vec<SchoolCompliance> = units
        .iter()
        .enumerate()
        .filter(|(_, u)| u.students > 0.0)
        .map(|(i, u)| {
            let checks: Vec<_> = indicators
                .iter()
                .filter_map(|ind| {
                    let standard = ind.standard_for(level)?;
                    let scale = if ind.per_hundred { 100.0 } else { 1.0 };
                    let value = column_index(ind.resource).and_then(|i| u.resources[i]).map(|r| r * scale / u.students);
                    Some((ind.id, value, standard, Standing::of(value, standard) == Standing::Meets))
                })
                .collect();
            let met = checks.iter().filter(|c| c.3).count();
            let missed_close = checks.iter().filter(|c| !c.3).all(|c| Standing::of(c.1, c.2) == Standing::Near);
            let passes = met == checks.len() || (met >= QUALITY_MIN_MET && missed_close);
            SchoolCompliance { unit: i, checks, met, passes }
        })
        .collect();
    let failing = schools.iter().filter(|s| !s.passes).count();
    Compliance { schools, failing }
}

/// Everything computed for one county × school year × level × regime.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Computed {
    /// County code.
    pub county: Arc<str>,
    /// School year.
    pub school_year: SchoolYear,
    /// Level.
    pub level: Level,
    /// Regime.
    pub scheme: Scheme,
    /// The schools counted.
    pub units: Vec<Unit>,
    /// One coefficient per indicator of the regime, in official order.
    pub coefficients: Vec<Coefficient>,
    /// Basic: the mean of the 8 computed CVs, when all 8 exist.
    pub composite: Option<f64>,
    /// Quality: the per-school standards.
    pub compliance: Option<Compliance>,
    /// Teaching points left out (quality scope or `teaching_points = "exclude"`).
    pub excluded_points: Vec<Arc<str>>,
    /// Teaching points whose central school was not found (counted on their own).
    pub orphan_points: Vec<Arc<str>>,
    /// Schools counted (with pupils at this level).
    pub schools: usize,
    /// Distinct schools in the county's rows of this school year, every level (its pages of
    /// schools show each once): planning those pages needs no pass over the rows.
    pub school_ids: usize,
    /// The sources the county's school rows of this school year name, in order of first use.
    pub sources: Arc<[Arc<str>]>,
    /// False when the school-by-school detail (units, terms, per-school compliance) was
    /// dropped after computing ([`compute_with`]; [`detail`] recomputes it).
    pub detailed: bool,
    /// Whether this school year is published school by school (audit pages and school
    /// downloads; `[settings] audit_years`).
    pub audited: bool,
}

impl Computed {
    /// Drops the school-by-school detail, keeping the coefficients, composite and counts.
    fn summarize(&mut self) {
        self.detailed = false;
        self.units = Vec::new();
        for k in &mut self.coefficients {
            k.terms = Vec::new();
            k.missing = Vec::new();
        }
        if let Some(c) = &mut self.compliance {
            c.schools = Vec::new();
        }
        self.excluded_points = Vec::new();
        self.orphan_points = Vec::new();
    }
}

/// Where a school is in one computation (a county, school year, level and regime).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// Counted as unit `0` (a school, or a central school with its teaching points merged in).
    Counted(usize),
    /// A teaching point counted with its central school, unit `0`.
    MergedInto(usize),
    /// A teaching point left out (under the quality regime's minimum of pupils, or as the
    /// site's rules say).
    LeftOut,
    /// Not in this computation (not of this level, or no pupils at it).
    Absent,
}

impl Computed {
    /// Where school `id` is in this computation.
    pub fn place_of(&self, id: &str) -> Place {
        for (i, u) in self.units.iter().enumerate() {
            if &*u.school_id == id {
                return if u.students > 0.0 { Place::Counted(i) } else { Place::Absent };
            }
            if u.merged.iter().any(|m| &**m == id) {
                return Place::MergedInto(i);
            }
        }
        if self.excluded_points.iter().any(|p| &**p == id) { Place::LeftOut } else { Place::Absent }
    }

    /// The quality-balance standards of unit `unit`, if this is a quality computation.
    pub fn compliance_of(&self, unit: usize) -> Option<&SchoolCompliance> {
        self.compliance.as_ref()?.schools.iter().find(|s| s.unit == unit)
    }
}

/// Runs the engine over every county × school year in `schools` (sorted as the model sorts),
/// keeping every school-by-school detail.
pub fn compute(schools: &[SchoolRow], rules: &Rules) -> Vec<Computed> {
    groups(schools).par_iter().flat_map_iter(|range| detail(&schools[range.clone()], rules)).collect()
}

/// The runs of `schools` (sorted as the model sorts) of one county × school year.
fn groups(schools: &[SchoolRow]) -> Vec<std::ops::Range<usize>> {
    let mut groups = Vec::new();
    let mut start = 0;
    while start < schools.len() {
        let key = (&schools[start].county, schools[start].school_year);
        let end = start + schools[start..].iter().take_while(|s| (&s.county, s.school_year) == key).count();
        groups.push(start..end);
        start = end;
    }
    groups
}

/// [`compute`] for a site: the coefficients, composites and counts of every county × school
/// year, without the school-by-school detail (units, terms, per-school checks), which
/// [`detail`] recomputes for one county and school year when a page or a download shows it.
/// At national scale the detail of even one school year is half a gigabyte; recomputing one
/// county's costs well under a millisecond. `audit` marks the school years published school
/// by school ([`Computed::audited`]). County × school year groups are computed in parallel;
/// the result keeps their order.
pub fn compute_with(schools: &[SchoolRow], rules: &Rules, audit: AuditYears) -> Vec<Computed> {
    let groups = groups(schools);
    let mut computed: Vec<Computed> = groups
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, range)| {
            let rows = &schools[range.clone()];
            let latest = groups.get(i + 1).is_none_or(|next| schools[next.start].county != rows[0].county);
            let audited = audit == AuditYears::All || latest;
            detail(rows, rules)
                .into_iter()
                .map(move |mut c| {
                    c.summarize();
                    c.audited = audited;
                    c
                })
                .collect::<Vec<_>>()
        })
        .collect();
    // One list of sources for each distinct list: most counties name the same few.
    let mut lists: rustc_hash::FxHashSet<Arc<[Arc<str>]>> = rustc_hash::FxHashSet::default();
    for c in &mut computed {
        match lists.get(&c.sources) {
            Some(shared) => c.sources = shared.clone(),
            None => {
                lists.insert(c.sources.clone());
            }
        }
    }
    computed
}

/// Every computation, school by school, of one county × school year: `rows` are that
/// county's rows of that year, sorted as the model sorts them.
pub fn detail(rows: &[SchoolRow], rules: &Rules) -> Vec<Computed> {
    // The rows are sorted by school: a school's levels are neighbours.
    let ids = rows.chunk_by(|a, b| a.school_id == b.school_id).count();
    let sources = sources_of(rows);
    Scheme::ALL
        .iter()
        .flat_map(|&scheme| Level::ALL.iter().map(move |&level| (scheme, level)))
        .filter_map(|(scheme, level)| compute_sheet(rows, scheme, level, rules, ids, &sources))
        .collect()
}

/// The columns counted for teachers: a level's own figures, never apportioned.
fn is_teacher_column(c: &str) -> bool {
    c.starts_with("teachers")
}

/// Units of one county × year × level for a regime (facilities split, points handled).
pub fn units(
    rows: &[SchoolRow],
    scheme: Scheme,
    level: Level,
    rules: &Rules,
) -> (Vec<Unit>, Vec<Arc<str>>, Vec<Arc<str>>) {
    // Enrolment of each level of each school, for the split.
    let mut by_school: BTreeMap<&str, [f64; 3]> = BTreeMap::new();
    for r in rows {
        let e = by_school.entry(&r.school_id).or_insert([0.0; 3]);
        e[r.level as usize] = r.students as f64;
        if let Some(s) = r.senior_students {
            e[2] = s as f64;
        }
    }
    let mut units: Vec<Unit> = Vec::new();
    let mut points: Vec<&SchoolRow> = Vec::new();
    let mut excluded = Vec::new();
    for r in rows.iter().filter(|r| r.level == level) {
        if r.school_type == "teaching_point" {
            let too_small = scheme == Scheme::Quality && r.students < rules.quality_min_teaching_point_pupils;
            let policy = if scheme == Scheme::Quality { TeachingPoints::Merge } else { rules.teaching_points };
            if too_small || policy == TeachingPoints::Exclude {
                excluded.push(r.school_id.clone());
                continue;
            }
            if policy == TeachingPoints::Merge {
                points.push(r);
                continue;
            }
        }
        let enrol = by_school[&*r.school_id];
        let w = rules.split.for_type(r.school_type);
        let weighted: f64 = (0..3).map(|i| w[i] * enrol[i]).sum();
        let share = if weighted > 0.0 { w[level as usize] * enrol[level as usize] / weighted } else { 0.0 };
        units.push(unit_of(r, share, rules));
    }
    let mut orphans = Vec::new();
    for p in points {
        let own = unit_of(p, 1.0, rules);
        match units.iter_mut().find(|u| p.parent_school_id.as_deref() == Some(&*u.school_id)) {
            Some(parent) => {
                parent.students += own.students;
                for (a, b) in parent.resources.iter_mut().zip(&own.resources) {
                    *a = match (*a, *b) {
                        (Some(x), Some(y)) => Some(x + y),
                        (x, None) => x,
                        (None, y) => y,
                    };
                }
                parent.merged.push(p.school_id.clone());
            }
            None => {
                orphans.push(p.school_id.clone());
                units.push(own);
            }
        }
    }
    (units, excluded, orphans)
}

fn unit_of(r: &SchoolRow, share: f64, rules: &Rules) -> Unit {
    let resources = std::array::from_fn(|i| {
        let col = SCHOOL_FIGURES[i];
        r.figures.get(i).map(|v| {
            let v = if col == "equipment_yuan" { v * rules.equipment_factor } else { v };
            if is_teacher_column(col) { v } else { v * share }
        })
    });
    Unit {
        school_id: r.school_id.clone(),
        school_name: r.school_name.clone(),
        school_type: r.school_type,
        students: r.students as f64,
        facility_share: share,
        resources,
        merged: Vec::new(),
    }
}

/// The sources `rows` name, each once, in order of first use.
fn sources_of(rows: &[SchoolRow]) -> Arc<[Arc<str>]> {
    let mut sources: Vec<Arc<str>> = Vec::new();
    for s in rows.iter().filter_map(|r| r.source.as_ref()) {
        if !sources.contains(s) {
            sources.push(s.clone());
        }
    }
    sources.into()
}

/// One regime's computation of one level; `school_ids` is the rows' number of schools and
/// `sources` the sources they name.
fn compute_sheet(
    rows: &[SchoolRow],
    scheme: Scheme,
    level: Level,
    rules: &Rules,
    school_ids: usize,
    sources: &Arc<[Arc<str>]>,
) -> Option<Computed> {
    let (units, excluded_points, orphan_points) = units(rows, scheme, level, rules);
    if units.iter().all(|u| u.students <= 0.0) {
        return None;
    }
    let rule_set = rules.of(scheme);
    let coefficients: Vec<Coefficient> = rule_set
        .indicators
        .iter()
        .map(|ind| {
            let column = column_index(ind.resource);
            let triples: Vec<_> =
                units.iter().enumerate().map(|(i, u)| (i, u.students, column.and_then(|c| u.resources[c]))).collect();
            coefficient(ind.id, &triples, if ind.per_hundred { 100.0 } else { 1.0 })
        })
        .collect();
    let composite = (scheme == Scheme::Basic && coefficients.iter().all(|c| c.cv.is_some()))
        .then(|| coefficients.iter().filter_map(|c| c.cv).sum::<f64>() / coefficients.len() as f64);
    let compliance = (scheme == Scheme::Quality).then(|| compliance(&units, rule_set.indicators, level));
    Some(Computed {
        county: rows[0].county.clone(),
        school_year: rows[0].school_year,
        level,
        scheme,
        coefficients,
        composite,
        compliance,
        excluded_points,
        orphan_points,
        schools: units.iter().filter(|u| u.students > 0.0).count(),
        school_ids,
        sources: sources.clone(),
        detailed: true,
        audited: true,
        units,
    })
}

#[cfg(test)]
mod tests;
