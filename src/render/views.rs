//! Plain view values for templates, made from what a page's [`Scope`] lets through.
//!
//! Everything a template shows is prepared here (statuses, latest composites, rankings); a
//! county's roll-up row is made once per render ([`rollup`]) and templates stay free of logic.

use std::collections::BTreeMap;

use std::sync::Arc;

use serde_json::{Value, json};

use super::context::{Context, object, record, to_template};
use super::scope::Scope;
use crate::engine::Sheet;
use crate::model::{Event, Level, Milestone, Scheme};

/// Status of a county in one regime: the latest step reached.
pub fn status(scope: &Scope, code: &str, scheme: Scheme) -> Value {
    match scope.status(code, scheme) {
        Some((step, m)) => {
            json!({ "step": step, "event": m.event.id(), "date": m.date.to_string() })
        }
        None => Value::Null,
    }
}

/// The latest school year with a verdict (a basic composite, or quality balance's verdict on
/// all seven coefficients), and each level's verdict that year: quality balance's where both
/// regimes have one (the later standard), else the basic composite.
fn latest_verdicts(sheets: &[Sheet]) -> Value {
    let judged = |s: &&Sheet| match s.scheme {
        Scheme::Basic => s.composite.is_some(),
        // A verdict on all seven coefficients needs all seven.
        Scheme::Quality => s.meets_all.is_some() && s.rows.iter().all(|r| r.cv.is_some()),
    };
    let Some(year) = sheets.iter().filter(judged).map(|s| s.school_year).max() else {
        return Value::Null;
    };
    let of = |level: Level| {
        let sheet =
            |scheme| sheets.iter().filter(judged).find(|s| (s.school_year, s.level, s.scheme) == (year, level, scheme));
        match (sheet(Scheme::Quality), sheet(Scheme::Basic).and_then(|s| s.composite.as_ref())) {
            (Some(q), _) => json!({ "scheme": "quality", "meets": q.meets_all }),
            (None, Some(c)) => json!({
                "scheme": "basic", "cv": c.cv, "cv_decimals": c.cv_decimals(), "threshold": c.threshold,
                "meets": c.meets, "basis": c.basis,
            }),
            (None, None) => Value::Null,
        }
    };
    json!({ "school_year": year.to_string(), "primary": of(Level::Primary), "junior": of(Level::Junior) })
}

/// The roll-up row of the county with `code` (its status and latest composites), made once
/// per render.
pub fn rollup<'r>(scope: &Scope<'r, '_>, code: &str) -> &'r Value {
    match scope.rollup_slot(code) {
        Some((row, own)) => row.get_or_init(|| county_row(&own, code)),
        None => &Value::Null,
    }
}

fn county_row(scope: &Scope, code: &str) -> Value {
    let c = scope.county(code).expect("roll-up rows are made for known counties");
    let (pref, pref_en) = scope
        .prefecture(&c.prefecture_code)
        .map_or((c.prefecture.clone(), None), |p| (p.name.clone(), p.name_en.clone()));
    let province_en = crate::model::area_name_en(&c.province_code, &c.province);
    json!({
        "code": c.code,
        "name": c.name,
        "name_en": c.name_en,
        "prefecture": { "code": c.prefecture_code, "name": pref, "name_en": pref_en },
        "province": { "code": c.province_code, "name": c.province, "name_en": province_en },
        "basic": status(scope, code, Scheme::Basic),
        "quality": status(scope, code, Scheme::Quality),
        "latest": latest_verdicts(scope.sheets_of(code)),
        "illustrative": shows_illustrative(scope, scope.sheets_of(code)),
    })
}

/// Whether any figure of `sheets` comes from an illustrative source (a published figure's, or
/// the school data a figure was computed from).
pub fn shows_illustrative(scope: &Scope, sheets: &[Sheet]) -> bool {
    // Most sites have no illustrative source: then nothing is looked up.
    if !scope.sources().iter().any(|s| s.illustrative) {
        return false;
    }
    let illustrative = |id: &str| scope.source(id).is_some_and(|s| s.illustrative);
    sheets.iter().any(|s| {
        s.school_sources.iter().flat_map(|s| s.iter()).any(|id| illustrative(id))
            || s.rows.iter().filter_map(|r| r.source.as_deref()).any(illustrative)
            || s.composite.as_ref().and_then(|c| c.source.as_deref()).is_some_and(illustrative)
    })
}

/// Numbers the sources cited on one page, in order of first citation.
#[derive(Default)]
pub struct Citations {
    order: Vec<String>,
}

impl Citations {
    /// The citation of source `id` on this page: its number (1-based) and id, citing it if new.
    pub fn cite(&mut self, id: &Option<String>) -> Value {
        match (self.number(id), id) {
            (Some(n), Some(id)) => object([("n", json!(n)), ("id", json!(id))]),
            _ => Value::Null,
        }
    }

    /// The number of source `id` on this page (1-based), citing it if new.
    pub fn number(&mut self, id: &Option<String>) -> Option<usize> {
        let id = id.as_ref()?;
        Some(match self.order.iter().position(|s| s == id) {
            Some(i) => i + 1,
            None => {
                self.order.push(id.clone());
                self.order.len()
            }
        })
    }

    /// The ids cited so far, in citation order.
    pub fn ids(&self) -> &[String] {
        &self.order
    }

    /// The cited sources with their numbers.
    pub fn list(&self, scope: &Scope) -> Value {
        Value::Array(
            self.order
                .iter()
                .enumerate()
                .filter_map(|(i, id)| scope.source(id).map(|s| json!({ "n": i + 1, "source": s })))
                .collect(),
        )
    }
}

/// The sheets of a county grouped by school year (latest first), rows ready to show.
///
/// The latest school year of each level × regime is shown in full; an earlier year carries
/// only its school year and flags (`full`, `computed`, `audited`): its figures are shown by the
/// trend tables (`charts::county_trends`) and the downloads. Its sources are still cited, as the
/// page lists every source of its figures.
pub fn county_years(scope: &Scope, code: &str, cites: &mut Citations) -> Value {
    let sheets = scope.sheets_of(code);
    let audited = scope.audited_years(code);
    let mut latest: BTreeMap<(u8, u8), u16> = BTreeMap::new();
    for s in sheets {
        let y = latest.entry((s.level as u8, s.scheme as u8)).or_default();
        *y = (*y).max(s.school_year.0);
    }
    let full: std::collections::BTreeSet<u16> = latest.into_values().collect();
    // Per school year (latest first): whether any sheet was computed, and the full sheets.
    let mut by_year: BTreeMap<std::cmp::Reverse<u16>, (bool, Vec<Value>)> = BTreeMap::new();
    for s in sheets {
        let year = by_year.entry(std::cmp::Reverse(s.school_year.0)).or_default();
        year.0 |= s.schools.is_some();
        if !full.contains(&s.school_year.0) {
            for r in &s.rows {
                cites.number(&r.source);
            }
            if let Some(c) = &s.composite {
                cites.number(&c.source);
            }
            for id in s.school_sources.iter().flat_map(|s| s.iter()) {
                cites.number(&Some(id.to_string()));
            }
            continue;
        }
        let rows: Vec<Value> = s
            .rows
            .iter()
            .map(|r| {
                object([
                    ("indicator", json!(r.indicator)),
                    ("value", json!(r.value)),
                    ("cv", json!(r.cv)),
                    ("cv_decimals", json!(r.cv_decimals())),
                    ("reported_cv", json!(r.reported_cv)),
                    ("reported_cv_decimals", json!(r.reported_cv_decimals)),
                    ("reported_value", json!(r.reported_value)),
                    ("computed_value", json!(r.computed_value)),
                    ("disagrees", json!(r.disagrees)),
                    ("computed_cv", json!(r.computed_cv)),
                    ("threshold", json!(r.threshold)),
                    ("standard", json!(r.standard)),
                    ("meets", json!(r.meets)),
                    ("decimals", json!(r.decimals)),
                    // The national standard with the indicator's decimals (the value's may be
                    // those it was published with).
                    ("standard_decimals", json!(scope.rules().of(s.scheme).indicator(r.indicator).map(|i| i.decimals))),
                    ("src", cites.cite(&r.source)),
                ])
            })
            .collect();
        let composite = s.composite.as_ref().map(|c| {
            object([
                ("cv", json!(c.cv)),
                ("cv_decimals", json!(c.cv_decimals())),
                ("basis", json!(c.basis)),
                ("reported_cv", json!(c.reported_cv)),
                ("reported_cv_decimals", json!(c.reported_cv_decimals)),
                ("computed_cv", json!(c.computed_cv)),
                ("disagrees", json!(c.disagrees)),
                ("reported_mean", json!(c.reported_mean)),
                ("departs_from_mean", json!(c.departs_from_mean)),
                ("threshold", json!(c.threshold)),
                ("meets", json!(c.meets)),
                ("src", cites.cite(&c.source)),
            ])
        });
        year.1.push(object([
            ("level", json!(s.level)),
            ("scheme", json!(s.scheme)),
            ("rules", json!(s.rules)),
            ("rows", Value::Array(rows)),
            ("composite", composite.unwrap_or(Value::Null)),
            ("meets_all", json!(s.meets_all)),
            ("has_rows", json!(s.rows.iter().any(|r| r.value.is_some() || r.cv.is_some() || r.reported_cv.is_some()))),
            ("threshold", json!(scope.rules().of(s.scheme).threshold(s.level))),
            ("schools", json!(s.schools)),
            // The sources of the school data the figures were computed from.
            (
                "school_src",
                Value::Array(
                    s.school_sources
                        .iter()
                        .flat_map(|s| s.iter())
                        .map(|id| cites.cite(&Some(id.to_string())))
                        .collect(),
                ),
            ),
            ("failing_schools", json!(s.failing_schools)),
        ]));
    }
    Value::Array(
        by_year
            .into_iter()
            .map(|(y, (computed, sheets))| {
                let school_year = ("school_year", json!(crate::model::SchoolYear(y.0).to_string()));
                let computed = ("computed", json!(computed));
                let audited = ("audited", json!(audited.contains(&crate::model::SchoolYear(y.0))));
                if full.contains(&y.0) {
                    object([school_year, ("sheets", Value::Array(sheets)), computed, audited, ("full", json!(true))])
                } else {
                    object([school_year, computed, audited, ("full", json!(false))])
                }
            })
            .collect(),
    )
}

/// Milestones of some areas, sorted by date, with area and citation.
pub fn timeline(scope: &Scope, areas: &[&str], cites: &mut Citations) -> Value {
    timeline_of(scope, areas.iter().flat_map(|a| scope.milestones_of(a)).collect(), cites)
}

/// Some milestones sorted by date, with area and citation.
pub fn timeline_of(scope: &Scope, mut items: Vec<&Milestone>, cites: &mut Citations) -> Value {
    items.sort_by(|a, b| (a.date, a.event, &a.area).cmp(&(b.date, b.event, &b.area)));
    Value::Array(
        items
            .into_iter()
            .map(|m| {
                json!({
                    "date": m.date.to_string(), "event": m.event.id(), "title": m.title,
                    "area": scope.area(&m.area), "src": cites.cite(&m.source),
                    "scheme": m.event.step().map(|(s, _)| s.id()), "is_other": m.event == Event::Other,
                })
            })
            .collect(),
    )
}

/// Metrics of an area grouped into series, named in `lang`.
pub fn series(scope: &Scope, area: &str, lang: &str, cites: &mut Citations) -> Value {
    let mut by_metric: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for m in scope.metrics_of(area) {
        by_metric.entry(&m.metric).or_default().push(json!({
            "period": m.period, "value": m.value, "unit": m.unit, "src": cites.cite(&m.source),
        }));
    }
    let dl = scope.config().default_language();
    Value::Array(
        by_metric
            .into_iter()
            .map(|(id, points)| {
                let info = scope.config().metrics.get(id);
                json!({
                    "id": id,
                    "name": info.map_or(id.to_string(), |i| i.name.get(lang, dl).to_string()),
                    "description": info.and_then(|i| i.description.as_ref()).map(|d| d.get(lang, dl).to_string()),
                    "points": points,
                })
            })
            .collect(),
    )
}

/// A county's place in an indicator's ranking: its latest coefficient of the indicator and level
/// ([`crate::engine::latest_row`]), with the county by its index in the site's counties.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked {
    county: usize,
    school_year: crate::model::SchoolYear,
    value: Option<f64>,
    cv: f64,
    meets: Option<bool>,
    /// The value's decimals: as published, else the indicator's.
    decimals: u8,
    /// A published CV's decimals.
    cv_decimals: Option<u8>,
    /// Whether the county shows illustrative figures ([`shows_illustrative`]).
    illustrative: bool,
}

impl std::hash::Hash for Ranked {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let figures = (self.value.map(f64::to_bits), self.cv.to_bits(), self.meets, self.decimals, self.cv_decimals);
        (self.county, self.school_year, figures, self.illustrative).hash(h);
    }
}

/// Every county's latest CV of one indicator and level, ranked (lowest CV first).
pub fn ranking(scope: &Scope, scheme: Scheme, indicator: &str, level: Level) -> Vec<Ranked> {
    let mut rows: Vec<Ranked> = scope
        .counties()
        .iter()
        .enumerate()
        .filter_map(|(county, c)| {
            let (school_year, r) = crate::engine::latest_row(scope.sheets_of(&c.code), scheme, level, indicator)?;
            let cv = r.cv.expect("a latest row has a CV");
            let decimals = r.decimals;
            Some(Ranked {
                county,
                school_year,
                value: r.value,
                cv,
                meets: r.meets,
                decimals,
                cv_decimals: r.cv_decimals(),
                illustrative: shows_illustrative(scope, scope.sheets_of(&c.code)),
            })
        })
        .collect();
    // Counties are sorted by code: a stable sort ranks ties by code.
    rows.sort_by(|a, b| a.cv.total_cmp(&b.cv));
    rows
}

/// A ranking as its page shows it, with each county's code and names; `rows` rank from
/// `first` (1 for the top of the ranking).
pub fn ranking_view(scope: &Scope, rows: &[Ranked], first: usize) -> Value {
    let counties = scope.counties();
    Value::Array(
        rows.iter()
            .enumerate()
            .map(|(i, r)| {
                let c = &counties[r.county];
                object([
                    ("code", json!(c.code)),
                    ("name", json!(c.name)),
                    ("name_en", json!(c.name_en)),
                    ("school_year", json!(r.school_year.to_string())),
                    ("value", json!(r.value)),
                    ("cv", json!(r.cv)),
                    ("cv_decimals", json!(r.cv_decimals)),
                    ("meets", json!(r.meets)),
                    ("decimals", json!(r.decimals)),
                    ("rank", json!(first + i)),
                    ("illustrative", json!(r.illustrative)),
                ])
            })
            .collect(),
    )
}

/// The audit trail of one county and school year: every school with its students and its
/// value of each indicator, then every sum from which each coefficient follows.
///
/// The sheets (hundreds of schools × indicators per page, the largest tables of a national
/// site) are template values ([`record`]s and [`AuditCell`]s), not JSON; each sheet carries
/// the strip chart of its schools (`charts::computation`).
pub fn computation(scope: &Scope, code: &str, year: crate::model::SchoolYear, tr: super::charts::Tr) -> Context {
    use minijinja::Value as T;
    let detail = scope.detail_of(code, year);
    let sheets: Vec<T> = detail
        .iter()
        .map(|c| {
            let name = |i: usize| c.units[i].school_name.clone();
            let rules = scope.rules().of(c.scheme);
            let standards: Vec<Option<f64>> = rules
                .indicators
                .iter()
                .map(|ind| ind.standard_for(c.level).filter(|_| c.scheme == crate::model::Scheme::Quality))
                .collect();
            // xᵢ of every unit (row) and indicator (column); None when the figure is missing.
            let mut values = vec![vec![None; c.coefficients.len()]; c.units.len()];
            for (k, coefficient) in c.coefficients.iter().enumerate() {
                for t in &coefficient.terms {
                    values[t.unit][k] = Some(t.value);
                }
            }
            let coefficients: Vec<Value> = c
                .coefficients
                .iter()
                .zip(rules.indicators)
                .map(|(k, ind)| {
                    json!({ "indicator": k.indicator, "resource": ind.resource, "per_hundred": ind.per_hundred,
                            "standard": ind.standard_for(c.level), "facility": ind.is_facility(),
                            "total_students": k.total_students, "total_resource": k.total_resource,
                            "mean": k.mean, "variance": k.variance, "sd": k.sd, "cv": k.cv, "no_cv": k.no_cv,
                            "missing": k.missing.iter().map(|i| name(*i)).collect::<Vec<_>>() })
                })
                .collect();
            let chart = super::charts::computation(c.level, c.scheme, &coefficients, &values, tr);
            let schools: Vec<T> = c
                .units
                .iter()
                .zip(values)
                .map(|(u, row)| {
                    let cells: Vec<T> = row
                        .into_iter()
                        .zip(&standards)
                        .map(|(v, s)| {
                            let low = matches!((v, s), (Some(v), Some(s)) if v < *s);
                            T::from_object(AuditCell { v, low })
                        })
                        .collect();
                    record([
                        ("id", T::from(u.school_id.clone())),
                        ("name", T::from(u.school_name.clone())),
                        ("type", T::from(u.school_type)),
                        ("students", T::from(u.students)),
                        ("share", T::from(u.facility_share)),
                        ("merged", u.merged.iter().cloned().map(T::from).collect()),
                        ("values", T::from(cells)),
                    ])
                })
                .collect();
            let compliance = c.compliance.as_ref().map(|comp| {
                let failing: Vec<Value> = comp
                    .schools
                    .iter()
                    .filter(|s| !s.passes)
                    .map(|s| {
                        // Moved in with `object`: `json!` would serialize (copy) every value.
                        let missed: Vec<Value> = s
                            .checks
                            .iter()
                            .filter(|ch| !ch.3)
                            .map(|ch| {
                                json!({ "indicator": ch.0, "value": ch.1, "standard": ch.2,
                                        "share": ch.1.map(|v| v / ch.2) })
                            })
                            .collect();
                        object([
                            ("name", json!(name(s.unit))),
                            ("id", json!(c.units[s.unit].school_id)),
                            ("met", json!(s.met)),
                            ("missed", Value::Array(missed)),
                        ])
                    })
                    .collect();
                object([("failing", Value::Array(failing)), ("total", json!(comp.schools.len()))])
            });
            record([
                ("level", T::from(c.level.id())),
                ("scheme", T::from(c.scheme.id())),
                ("document", T::from(rules.document)),
                ("threshold", T::from(rules.threshold(c.level))),
                ("schools", T::from(schools)),
                ("coefficients", to_template(Value::Array(coefficients))),
                ("composite", T::from(c.composite)),
                ("compliance", compliance.map_or(T::from(()), to_template)),
                ("excluded_points", c.excluded_points.iter().cloned().map(T::from).collect()),
                ("orphan_points", c.orphan_points.iter().cloned().map(T::from).collect()),
                ("chart", chart.map_or(T::from(()), to_template)),
            ])
        })
        .collect();
    let r = scope.rules();
    Context {
        json: object([
            ("school_year", json!(year.to_string())),
            (
                "rules",
                json!({ "split": r.split, "teaching_points": r.teaching_points,
                        "quality_min_teaching_point_pupils": r.quality_min_teaching_point_pupils,
                        "equipment_factor": r.equipment_factor, "overridden": r.overridden }),
            ),
        ]),
        values: vec![("sheets", minijinja::Value::from(sheets))],
    }
}

/// One school's value of one indicator in an audit trail (`v`, none when missing) and whether
/// it is below the indicator's per-school standard (`low`).
#[derive(Debug)]
pub struct AuditCell {
    v: Option<f64>,
    low: bool,
}

impl minijinja::value::Object for AuditCell {
    fn repr(self: &Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &minijinja::Value) -> Option<minijinja::Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<minijinja::Value> {
        match key {
            "v" => Some(self.v.into()),
            "low" => Some(self.low.into()),
            _ => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Str(&["v", "low"])
    }
}

/// A release as pages show it.
pub fn release_view(r: &crate::model::revisions::Release) -> Value {
    json!({ "name": r.name, "slug": r.slug, "date": r.date, "summary": r.summary(), "message": r.message,
            "commit": r.commit.as_deref().map(|c| &c[..c.len().min(10)]), "unreleased": r.commit.is_none() })
}

/// One revised figure as pages show it: what it is, and its old and new value, computed figures
/// with as many decimals (3 or more) as it takes to tell them apart.
pub fn change_view(c: &crate::model::revisions::Change) -> Value {
    use crate::model::revisions::Field;
    let k = &c.key;
    let kind = match k.field {
        Field::Meets => "verdict",
        Field::Milestone => "milestone",
        _ => "number",
    };
    let (old, new) = match k.field {
        Field::ComputedValue | Field::ComputedCv => shown_apart(c.old.as_deref(), c.new.as_deref()),
        _ => (c.old.clone(), c.new.clone()),
    };
    json!({ "school_year": k.school_year.map(|y| y.to_string()), "level": k.level, "scheme": k.scheme,
            "item": k.item, "field": k.field, "kind": kind, "old": old, "new": new })
}

/// Two computed figures with 3 decimals, or more where 3 would show them equal.
fn shown_apart(old: Option<&str>, new: Option<&str>) -> (Option<String>, Option<String>) {
    let parse = |v: Option<&str>| v.and_then(|v| v.parse::<f64>().ok());
    let (a, b) = (parse(old), parse(new));
    let decimals = (3..=10)
        .find(|&d| match (a, b) {
            (Some(a), Some(b)) => format!("{a:.d$}") != format!("{b:.d$}"),
            _ => true,
        })
        .unwrap_or(10);
    let show = |v: Option<f64>| v.map(|v| format!("{v:.decimals$}"));
    (show(a), show(b))
}

/// An area's revised figures, by release (latest first).
pub fn revisions(scope: &Scope, area: &str) -> Value {
    let releases = scope.releases();
    let changes = scope.revisions_of(area);
    let mut by_release: BTreeMap<std::cmp::Reverse<usize>, Vec<Value>> = BTreeMap::new();
    for c in changes {
        by_release.entry(std::cmp::Reverse(c.release)).or_default().push(change_view(c));
    }
    Value::Array(
        by_release
            .into_iter()
            .map(|(r, changes)| json!({ "release": release_view(&releases[r.0]), "changes": changes }))
            .collect(),
    )
}

/// The figures of `area` revised at least once, as `(school year, level, scheme, item)`, for
/// the marks on its sheets.
pub fn revised_items(
    scope: &Scope,
    area: &str,
) -> std::collections::BTreeSet<(String, &'static str, &'static str, &'static str)> {
    scope
        .revisions_of(area)
        .iter()
        .filter_map(|c| {
            let k = &c.key;
            Some((k.school_year?.to_string(), k.level?.id(), k.scheme?.id(), k.item))
        })
        .collect()
}
