//! The download tables: which rows and columns each table has, made from the analysed site.

use super::*;
use crate::engine::{Computed, Place, Standing, Verdict};
use crate::format;
use crate::model::rules::{BASIC_INDICATORS, QUALITY_INDICATORS};
use crate::model::{Level, SchoolYear, year_rows};

/// Makes a national table from what its scope lets through (none when the site has no rows for
/// it); for a table grouped by county, with `Some(province)`, the rows of that province's
/// counties.
pub(super) type MakeTable = for<'x, 'r, 's, 'c> fn(&'x Scope<'r, 's>, Option<&'c str>) -> Option<DataTable<'s>>;

/// A national table: its name, the tables of every area it reads, how it is made, and whether
/// it is grouped by county (its rows are each county's runs, one after another: a large one is
/// published in parts, one per province).
pub(super) struct National {
    pub(super) name: &'static str,
    pub(super) reads: Reads,
    pub(super) make: MakeTable,
    pub(super) grouped: bool,
}

/// The columns of an input file, as the tables written in its format have them.
fn columns_of(file: &format::InputFile) -> Vec<(&'static str, Ty)> {
    file.columns.iter().map(|c| (c.name, c.ty)).collect()
}

/// The runs of `of` of the counties in `province`, or every county's rows as one run.
/// (`all` is read only for the whole table: a province's scope lets through its counties only).
fn runs_of<'s, T: 's>(
    scope: &Scope<'_, 's>,
    province: Option<&str>,
    all: impl FnOnce() -> &'s [T],
    of: impl Fn(&str) -> &'s [T],
) -> Vec<&'s [T]> {
    match province {
        None => vec![all()],
        Some(p) => scope.counties().iter().filter(|c| c.province_code == p).map(|c| of(&c.code)).collect(),
    }
}

/// Every national table of the site, in the order the downloads list them.
pub(super) const NATIONAL: [National; 10] = [
    National { name: "counties", reads: Reads::of(&[]), make: counties_table, grouped: false },
    National { name: "indicators", reads: Reads::of(&[Read::Published]), make: indicators_table, grouped: true },
    National {
        name: "results",
        reads: Reads::of(&[Read::Results]),
        make: |site, province| Some(results_table(site, province)),
        grouped: true,
    },
    National { name: "milestones", reads: Reads::of(&[Read::Milestones]), make: milestones_table, grouped: false },
    National { name: "metrics", reads: Reads::of(&[Read::Metrics]), make: metrics_table, grouped: false },
    National { name: "standards", reads: Reads::of(&[]), make: standards_table, grouped: false },
    National { name: "sources", reads: Reads::of(&[]), make: sources_table, grouped: false },
    National { name: "schools", reads: Reads::of(&[Read::Schools]), make: schools_table, grouped: true },
    National {
        name: "school_results",
        reads: Reads::of(&[Read::Schools, Read::Results]),
        make: school_results_table,
        grouped: true,
    },
    National { name: "changes", reads: Reads::of(&[Read::Revisions]), make: changes_table, grouped: true },
];

/// The codes of the areas whose rows a province's part of a table holds: the country's, the
/// province's, its prefectures' and its counties'.
pub(super) fn areas_of<'s>(scope: &Scope<'_, 's>, province: &str) -> Vec<&'s str> {
    let mut areas = vec![
        crate::model::NATIONAL_AREA,
        scope.provinces().iter().find(|p| p.code == province).map_or("", |p| p.code.as_str()),
    ];
    areas.extend(scope.prefectures().iter().filter(|p| p.province_code == province).map(|p| p.code.as_str()));
    areas.extend(scope.counties().iter().filter(|c| c.province_code == province).map(|c| c.code.as_str()));
    // An area may be listed twice (a prefecture coded like its province): its rows once.
    areas.retain(|a| !a.is_empty());
    areas.sort_unstable();
    areas.dedup();
    areas
}

fn counties_table<'s>(scope: &Scope<'_, 's>, province: Option<&str>) -> Option<DataTable<'s>> {
    let all = scope.counties();
    let counties: Vec<&crate::model::County> = match province {
        None => all.iter().collect(),
        Some(p) => all.iter().filter(|c| c.province_code == p).collect(),
    };
    Some(DataTable {
        name: "counties",
        columns: columns_of(&format::COUNTIES),
        primary_key: format::COUNTIES.primary_key,
        rows: Rows::made(counties.len(), move || {
            Box::new(counties.clone().into_iter().map(|c| {
                vec![
                    s(&c.code),
                    s(&c.name),
                    s(&c.prefecture_code),
                    s(&c.prefecture),
                    s(&c.province_code),
                    s(&c.province),
                    opt_s(&c.name_en),
                ]
            }))
        }),
    })
}

fn indicators_table<'s>(scope: &Scope<'_, 's>, province: Option<&str>) -> Option<DataTable<'s>> {
    Some(DataTable {
        name: "indicators",
        columns: columns_of(&format::INDICATORS),
        primary_key: format::INDICATORS.primary_key,
        rows: reported_rows(runs_of(scope, province, || scope.reported(), |c| scope.reported_of(c))),
    })
}

fn milestones_table<'s>(scope: &Scope<'_, 's>, province: Option<&str>) -> Option<DataTable<'s>> {
    let milestones: Vec<&[crate::model::Milestone]> = match province {
        None => vec![scope.milestones()],
        Some(p) => areas_of(scope, p).into_iter().map(|a| scope.milestones_of(a)).collect(),
    };
    Some(DataTable {
        name: "milestones",
        columns: columns_of(&format::MILESTONES),
        primary_key: format::MILESTONES.primary_key,
        rows: Rows::made(milestones.iter().map(|m| m.len()).sum(), move || {
            Box::new(
                milestones
                    .clone()
                    .into_iter()
                    .flatten()
                    .map(|m| vec![s(&m.area), s(m.date.to_string()), s(m.event.id()), s(&m.title), opt_s(&m.source)]),
            )
        }),
    })
}

fn metrics_table<'s>(scope: &Scope<'_, 's>, province: Option<&str>) -> Option<DataTable<'s>> {
    let metrics: Vec<&[crate::model::Metric]> = match province {
        None => vec![scope.metrics()],
        Some(p) => areas_of(scope, p).into_iter().map(|a| scope.metrics_of(a)).collect(),
    };
    Some(DataTable {
        name: "metrics",
        columns: columns_of(&format::METRICS),
        primary_key: format::METRICS.primary_key,
        rows: Rows::made(metrics.iter().map(|m| m.len()).sum(), move || {
            Box::new(metrics.clone().into_iter().flatten().map(|m| {
                vec![s(&m.area), s(&m.period.text), s(&m.metric), Cell::Num(m.value), opt_s(&m.unit), opt_s(&m.source)]
            }))
        }),
    })
}

/// The basic-balance school standards the site declares, in the input format (none: no table).
fn standards_table<'s>(scope: &Scope<'_, 's>, _: Option<&str>) -> Option<DataTable<'s>> {
    let standards = scope.declared_standards();
    if standards.is_empty() {
        return None;
    }
    Some(DataTable {
        name: "standards",
        columns: columns_of(&format::STANDARDS),
        primary_key: format::STANDARDS.primary_key,
        rows: Rows::made(standards.len(), move || {
            Box::new(standards.iter().map(|x| {
                vec![
                    s(&x.area),
                    s(Scheme::Basic.id()),
                    s(x.level.id()),
                    s(x.indicator),
                    Cell::Num(x.standard),
                    opt_s(&x.source),
                ]
            }))
        }),
    })
}

fn sources_table<'s>(scope: &Scope<'_, 's>, _: Option<&str>) -> Option<DataTable<'s>> {
    let sources = scope.sources();
    Some(DataTable {
        name: "sources",
        columns: columns_of(&format::SOURCES),
        primary_key: format::SOURCES.primary_key,
        rows: Rows::made(sources.len(), move || {
            Box::new(sources.iter().map(|x| {
                vec![
                    s(&x.id),
                    s(&x.title),
                    opt_s(&x.publisher),
                    x.date.map_or(Cell::Null, |d| s(d.to_string())),
                    opt_s(&x.url),
                    Cell::Bool(x.illustrative),
                ]
            }))
        }),
    })
}

/// Every figure revised in a release (release, commit and date empty: not released yet), when
/// the site has a revision history. A province's part holds its areas' changes and, as its
/// database does, the country's own (milestones of `000000`).
fn changes_table<'s>(scope: &Scope<'_, 's>, province: Option<&str>) -> Option<DataTable<'s>> {
    let releases = scope.releases();
    if releases.is_empty() {
        return None;
    }
    let changes: Vec<&crate::model::revisions::Change> = match province {
        None => scope.revisions().iter().collect(),
        Some(p) => areas_of(scope, p).into_iter().flat_map(|a| scope.revisions_of(a)).collect(),
    };
    Some(DataTable {
        name: "changes",
        columns: vec![
            ("release", Ty::Str),
            ("commit", Ty::Str),
            ("date", Ty::Date),
            ("area", Ty::Str),
            ("school_year", Ty::Str),
            ("level", Ty::Str),
            ("scheme", Ty::Str),
            ("indicator", Ty::Str),
            ("field", Ty::Str),
            ("old", Ty::Str),
            ("new", Ty::Str),
        ],
        primary_key: &[],
        rows: Rows::made(changes.len(), move || {
            Box::new(changes.clone().into_iter().map(|c| {
                let r = &releases[c.release];
                let k = &c.key;
                vec![
                    if r.commit.is_some() { s(&r.name) } else { Cell::Null },
                    opt_s(&r.commit),
                    opt_s(&r.date),
                    s(&k.area),
                    k.school_year.map_or(Cell::Null, |y| s(y.to_string())),
                    k.level.map_or(Cell::Null, |l| s(l.id())),
                    k.scheme.map_or(Cell::Null, |x| s(x.id())),
                    s(k.item),
                    s(k.field.id()),
                    opt_s(&c.old),
                    opt_s(&c.new),
                ]
            }))
        }),
    })
}

/// The school rows as the input file has them, when the site has any.
fn schools_table<'s>(scope: &Scope<'_, 's>, province: Option<&str>) -> Option<DataTable<'s>> {
    let schools = runs_of(scope, province, || &scope.schools()[..], |c| scope.schools_of(c));
    if province.is_none() && schools.iter().all(|run| run.is_empty()) {
        return None;
    }
    Some(DataTable {
        name: "schools",
        columns: columns_of(&format::SCHOOLS),
        primary_key: format::SCHOOLS.primary_key,
        rows: school_rows(schools),
    })
}

/// The school rows of a province of a national portal (`audit_years = "latest"`) as its workbook
/// has them: each county's latest school year (every year is in the CSV and the database).
pub(super) fn latest_schools_table<'s>(scope: &Scope<'_, 's>, province: &str) -> Option<DataTable<'s>> {
    let t = schools_table(scope, Some(province))?;
    let latest: rustc_hash::FxHashMap<&str, String> = scope
        .counties()
        .iter()
        .filter(|c| c.province_code == province)
        .filter_map(|c| {
            scope.schools_of(&c.code).iter().map(|r| r.school_year).max().map(|y| (c.code.as_str(), y.to_string()))
        })
        .collect();
    let at = |name: &str| t.columns.iter().position(|c| c.0 == name).expect("the school table's columns");
    let (county, year) = (at("county"), at("school_year"));
    let keep = move |row: &[Cell]| match (&row[county], &row[year]) {
        (Cell::Text(c), Cell::Text(y)) => latest.get(c.as_ref()).is_some_and(|l| l == y.as_ref()),
        _ => false,
    };
    Some(DataTable { rows: t.rows.filtered(keep), ..t })
}

/// One school's results at one level of one school year: against the quality-balance standards,
/// and the basic-balance standards the site declares (`standards.csv`).
pub(super) struct SchoolResult<'s> {
    pub(super) row: &'s crate::model::SchoolRow,
    /// Pupils of the whole school that school year, and its size limit.
    pub(super) pupils: u64,
    pub(super) limit: u64,
    /// Its quality-balance verdict: `meets`, `falls_short`, `merged` (a teaching point counted
    /// with its central school, whose figures it has), `not_assessed` (a teaching point under
    /// the minimum of pupils); none: no pupils at that level.
    pub(super) verdict: Option<&'static str>,
    /// The quality-balance standards met (its central school's, merged).
    pub(super) met: Option<usize>,
    /// Per standard: the regime, the indicator, the standard, the school's value and where it
    /// stands (`meets`, `near`, `below`, `unknown`; a basic-balance standard `meets`, `short`
    /// or `unknown`; none: not assessed).
    pub(super) checks: Vec<Check>,
}

/// One standard of a [`SchoolResult`]: (regime, indicator, standard, value, state).
pub(super) type Check = (Scheme, &'static str, f64, Option<f64>, Option<&'static str>);

/// The results of every school of `rows` (one county's rows of one school year, as the model
/// sorts them), from the engine's school-by-school `detail` of that year; `standard` gives the
/// site's basic-balance standards (county, level, indicator).
pub(super) fn school_results<'s>(
    rows: &'s [crate::model::SchoolRow],
    detail: &[Computed],
    standard: &dyn Fn(&str, Level, &str) -> Option<f64>,
) -> Vec<SchoolResult<'s>> {
    rows.iter()
        .map(|r| {
            let pupils: u64 = rows.iter().filter(|o| o.school_id == r.school_id).map(|o| u64::from(o.students)).sum();
            let of = |scheme| detail.iter().find(|c| c.scheme == scheme && c.level == r.level);
            let unit = |c: &Computed| match c.place_of(&r.school_id) {
                Place::Counted(u) | Place::MergedInto(u) => Some(u),
                Place::LeftOut | Place::Absent => None,
            };
            let c = of(Scheme::Quality);
            let place = c.map(|c| c.place_of(&r.school_id));
            let compliance = c.and_then(|c| c.compliance_of(unit(c)?));
            let verdict = match place {
                Some(Place::MergedInto(_)) => Some("merged"),
                Some(Place::LeftOut) => Some("not_assessed"),
                _ => compliance.map(|s| match s.verdict() {
                    Verdict::Meets => "meets",
                    Verdict::FallsShort { .. } => "falls_short",
                }),
            };
            let mut checks: Vec<_> = QUALITY_INDICATORS
                .iter()
                .filter_map(|i| {
                    let standard = i.standard_for(r.level)?;
                    let check = compliance.and_then(|s| s.checks.iter().find(|k| k.0 == i.id));
                    Some((
                        Scheme::Quality,
                        i.id,
                        standard,
                        check.and_then(|k| k.1),
                        check.map(|k| Standing::of(k.1, k.2).id()),
                    ))
                })
                .collect();
            if let Some(b) = of(Scheme::Basic) {
                let u = unit(b);
                for k in &b.coefficients {
                    let Some(standard) = standard(&r.county, r.level, k.indicator) else { continue };
                    let value = u.and_then(|u| k.value_of(u));
                    checks.push((
                        Scheme::Basic,
                        k.indicator,
                        standard,
                        value,
                        u.map(|_| crate::engine::basic_state(value, standard)),
                    ));
                }
            }
            let limit = crate::model::rules::school_size_limit(r.school_type);
            SchoolResult { row: r, pupils, limit, verdict, met: compliance.map(|s| s.met), checks }
        })
        .collect()
}

/// The standards a school of county `code` at `level` is held to (the length of its
/// [`SchoolResult::checks`]): the quality-balance ones, and the basic-balance ones declared.
/// (Counted for every school row of the audited years whenever the downloads are planned,
/// each preview rebuild included: the declared ones are looked up only where there are any.)
fn standards_at(
    code: &str,
    level: Level,
    standard: &dyn Fn(&str, Level, &str) -> Option<f64>,
    declared: bool,
) -> usize {
    let quality = QUALITY_INDICATORS.iter().filter(|i| i.standard_for(level).is_some()).count();
    let basic =
        if declared { BASIC_INDICATORS.iter().filter(|i| standard(code, level, i.id).is_some()).count() } else { 0 };
    quality + basic
}

/// Each school's quality-balance results ([`SchoolResult`]) in the school years published school
/// by school: a row per school, school year, level and standard, each with the school's
/// standards met, verdict and size. Made county by county while written.
fn school_results_table<'s>(scope: &Scope<'_, 's>, province: Option<&str>) -> Option<DataTable<'s>> {
    let counties: Vec<(&'s str, Vec<SchoolYear>)> = scope
        .counties()
        .iter()
        .filter(|c| province.is_none_or(|p| c.province_code == p))
        .map(|c| (c.code.as_str(), scope.audited_years(&c.code)))
        .filter(|(_, years)| !years.is_empty())
        .collect();
    let codes: Vec<&str> = counties.iter().map(|c| c.0).collect();
    let detail_of = std::sync::Arc::new(scope.details_of(&codes));
    let standard = std::sync::Arc::new(scope.standards());
    let declared = scope.has_standards();
    let schools: Vec<&'s [crate::model::SchoolRow]> = codes.iter().map(|c| scope.schools_of(c)).collect();
    let len = counties
        .iter()
        .zip(&schools)
        .flat_map(|((_, years), rows)| years.iter().flat_map(|&y| year_rows(rows, y)))
        .map(|r| standards_at(&r.county, r.level, &*standard, declared))
        .sum();
    if len == 0 && province.is_none() {
        return None;
    }
    let columns = vec![
        ("school_id", Ty::Str),
        ("county", Ty::Str),
        ("school_year", Ty::Str),
        ("level", Ty::Str),
        ("scheme", Ty::Str),
        ("indicator", Ty::Str),
        ("school_value", Ty::Num),
        ("standard", Ty::Num),
        ("state", Ty::Str),
        ("standards_met", Ty::Int),
        ("verdict", Ty::Str),
        ("school_students", Ty::Int),
        ("size_limit", Ty::Int),
        ("over_size_limit", Ty::Bool),
    ];
    let rows = Rows::made(len, move || {
        let (detail_of, standard) = (detail_of.clone(), standard.clone());
        Box::new(counties.clone().into_iter().zip(schools.clone()).flat_map(move |((code, years), rows)| {
            let (detail_of, standard) = (detail_of.clone(), standard.clone());
            years.into_iter().flat_map(move |year| {
                let rows = year_rows(rows, year);
                let results = school_results(rows, &detail_of(code, year), &*standard);
                results.into_iter().flat_map(move |r| {
                    r.checks
                        .iter()
                        .map(|&(scheme, indicator, standard, value, standing)| {
                            vec![
                                s(&*r.row.school_id),
                                s(code),
                                s(year.to_string()),
                                s(r.row.level.id()),
                                s(scheme.id()),
                                s(indicator),
                                num(value),
                                Cell::Num(standard),
                                standing.map_or(Cell::Null, s),
                                r.met.map_or(Cell::Null, |m| Cell::Int(m as u64)),
                                r.verdict.map_or(Cell::Null, s),
                                Cell::Int(r.pupils),
                                Cell::Int(r.limit),
                                Cell::Bool(r.pupils > r.limit),
                            ]
                        })
                        .collect::<Vec<_>>()
                })
            })
        }))
    });
    Some(DataTable {
        name: "school_results",
        columns,
        primary_key: &["school_id", "school_year", "level", "scheme", "indicator"],
        rows,
    })
}

/// The published rows as the input file has them, from runs of them.
pub(super) fn reported_rows(runs: Vec<&[crate::model::Reported]>) -> Rows<'_> {
    Rows::made(runs.iter().map(|r| r.len()).sum(), move || {
        Box::new(runs.clone().into_iter().flatten().map(|r| {
            vec![
                s(&*r.county),
                s(r.school_year.to_string()),
                s(r.level.id()),
                s(r.scheme.id()),
                s(r.indicator.id()),
                fixed(r.value, r.value_decimals),
                fixed(r.cv, r.cv_decimals),
                opt_s(&r.source),
            ]
        }))
    })
}

/// The school rows as the input file has them, from runs of them.
pub(super) fn school_rows(runs: Vec<&[crate::model::SchoolRow]>) -> Rows<'_> {
    Rows::made(runs.iter().map(|r| r.len()).sum(), move || {
        Box::new(runs.clone().into_iter().flatten().map(|r| {
            let mut row = vec![
                s(&*r.school_id),
                s(&*r.school_name),
                s(&*r.county),
                s(r.school_year.to_string()),
                s(r.level.id()),
                s(r.school_type),
                Cell::Int(r.students.into()),
            ];
            row.extend(r.figures.iter().map(num));
            let int = |n: Option<u32>| n.map_or(Cell::Null, |n| Cell::Int(n.into()));
            row.extend([int(r.senior_students), opt_s(&r.parent_school_id), opt_s(&r.source)]);
            let count = |n: Option<u16>| n.map_or(Cell::Null, |n| Cell::Int(n.into()));
            row.extend([opt_s(&r.town), count(r.classes), count(r.large_classes)]);
            row
        }))
    })
}

/// The computations of one county school by school, for the audited school years: one row per
/// school counted per school year, level and regime, with its pupils Pᵢ, its share of the
/// whole-school facilities and its value xᵢ of every indicator of that regime (columns
/// `basic_…`, `quality_…`). Each coefficient can be redone in a spreadsheet from these rows:
/// x̄ = Σ Pᵢxᵢ / Σ Pᵢ, S² = Σ (Pᵢ/P)(xᵢ − x̄)², CV = S / x̄.
pub(super) fn school_terms_table<'s>(scope: &Scope<'_, 's>, code: &str) -> DataTable<'s> {
    let audited = scope.audited_years(code);
    let mut columns = vec![
        ("school_year", Ty::Str),
        ("level", Ty::Str),
        ("scheme", Ty::Str),
        ("school_id", Ty::Str),
        ("school_name", Ty::Str),
        ("school_type", Ty::Str),
        ("students", Ty::Num),
        ("facility_share", Ty::Num),
    ];
    let value_columns = VALUE_COLUMNS;
    columns.extend(value_columns.iter().map(|&(_, _, name)| (name, Ty::Num)));
    columns.extend([("standards_met", Ty::Int), ("passes", Ty::Bool)]);
    let mut rows = Vec::new();
    for c in audited.iter().flat_map(|&year| scope.detail_of(code, year)) {
        let first = value_columns.iter().position(|&(sc, _, _)| sc == c.scheme).unwrap_or(0);
        let mut unit_rows: Vec<Vec<Cell>> = c
            .units
            .iter()
            .map(|u| {
                let mut row = vec![
                    s(c.school_year.to_string()),
                    s(c.level.id()),
                    s(c.scheme.id()),
                    s(u.school_id.to_string()),
                    s(u.school_name.to_string()),
                    s(u.school_type),
                    Cell::Num(u.students),
                    Cell::Num(u.facility_share),
                ];
                row.resize(row.len() + value_columns.len() + 2, Cell::Null);
                row
            })
            .collect();
        for (i, k) in c.coefficients.iter().enumerate() {
            for t in &k.terms {
                unit_rows[t.unit][8 + first + i] = Cell::Num(t.value);
            }
        }
        if let Some(comp) = &c.compliance {
            let at = 8 + value_columns.len();
            for sc in &comp.schools {
                unit_rows[sc.unit][at] = Cell::Int(sc.met as u64);
                unit_rows[sc.unit][at + 1] = Cell::Bool(sc.passes);
            }
        }
        rows.extend(unit_rows);
    }
    DataTable {
        name: "school_terms",
        columns,
        primary_key: &["school_year", "level", "scheme", "school_id"],
        rows: Rows::Held(rows),
    }
}

/// The columns of the school download holding each indicator's per-school value, in the
/// rules' order (a unit test checks they match the rules).
pub(super) const VALUE_COLUMNS: &[(Scheme, &str, &str)] = &[
    (Scheme::Basic, "teaching_area", "basic_teaching_area"),
    (Scheme::Basic, "sports_area", "basic_sports_area"),
    (Scheme::Basic, "equipment_value", "basic_equipment_value"),
    (Scheme::Basic, "computers", "basic_computers"),
    (Scheme::Basic, "books", "basic_books"),
    (Scheme::Basic, "teacher_ratio", "basic_teacher_ratio"),
    (Scheme::Basic, "teachers_above_degree", "basic_teachers_above_degree"),
    (Scheme::Basic, "teachers_mid_title", "basic_teachers_mid_title"),
    (Scheme::Quality, "teachers_above_degree", "quality_teachers_above_degree"),
    (Scheme::Quality, "teachers_backbone", "quality_teachers_backbone"),
    (Scheme::Quality, "teachers_pe_art", "quality_teachers_pe_art"),
    (Scheme::Quality, "teaching_area", "quality_teaching_area"),
    (Scheme::Quality, "sports_area", "quality_sports_area"),
    (Scheme::Quality, "equipment_value", "quality_equipment_value"),
    (Scheme::Quality, "multimedia_rooms", "quality_multimedia_rooms"),
];

/// Every indicator with its verdict (and the composites): of every county, or the counties of a
/// province.
pub(super) fn results_table<'s>(scope: &Scope<'_, 's>, province: Option<&str>) -> DataTable<'s> {
    results_of(runs_of(scope, province, || scope.sheets(), |c| scope.sheets_of(c)))
}

/// The results of one county.
pub(super) fn county_results<'s>(scope: &Scope<'_, 's>, code: &str) -> DataTable<'s> {
    results_of(vec![scope.sheets_of(code)])
}

fn results_of(sheets: Vec<&[crate::engine::Sheet]>) -> DataTable<'_> {
    DataTable {
        name: "results",
        columns: vec![
            ("county", Ty::Str),
            ("school_year", Ty::Str),
            ("level", Ty::Str),
            ("scheme", Ty::Str),
            ("indicator", Ty::Str),
            ("value", Ty::Num),
            ("cv", Ty::Num),
            ("reported_cv", Ty::Num),
            ("computed_cv", Ty::Num),
            ("disagrees", Ty::Bool),
            ("threshold", Ty::Num),
            ("standard", Ty::Num),
            ("meets", Ty::Bool),
            ("rules", Ty::Str),
            ("source", Ty::Str),
        ],
        primary_key: &["county", "school_year", "level", "scheme", "indicator"],
        rows: sheet_rows(sheets),
    }
}

/// Every shown indicator of the sheets (runs of them) with its verdict, and their composites.
pub(super) fn sheet_rows(runs: Vec<&[crate::engine::Sheet]>) -> Rows<'_> {
    let shown = |r: &crate::engine::SheetRow| r.value.is_some() || r.cv.is_some() || r.reported_cv.is_some();
    // Counted here, made when written (the national table has a row per county, year, level,
    // regime and indicator).
    let len = {
        use rayon::prelude::*;
        runs.par_iter()
            .flat_map(|run| run.par_iter())
            .map(|sh| sh.rows.iter().filter(|r| shown(r)).count() + usize::from(sh.composite.is_some()))
            .sum()
    };
    Rows::made(len, move || {
        Box::new(runs.clone().into_iter().flatten().flat_map(move |sh| {
            let indicators = sh.rows.iter().filter(move |r| shown(r)).map(move |r| {
                vec![
                    s(&sh.county),
                    s(sh.school_year.to_string()),
                    s(sh.level.id()),
                    s(sh.scheme.id()),
                    s(r.indicator),
                    // The figures shown, a published one with its decimals (0.290 stays 0.290).
                    fixed(r.value, r.value_decimals()),
                    fixed(r.cv, r.cv_decimals()),
                    fixed(r.reported_cv, r.reported_cv_decimals),
                    num(r.computed_cv),
                    opt_bool(r.disagrees),
                    num(r.threshold),
                    num(r.standard),
                    opt_bool(r.meets),
                    s(sh.rules),
                    opt_s(&r.source),
                ]
            });
            let composite = sh.composite.iter().map(move |c| {
                vec![
                    s(&sh.county),
                    s(sh.school_year.to_string()),
                    s(sh.level.id()),
                    s(sh.scheme.id()),
                    s(IndicatorRef::Composite.id()),
                    Cell::Null,
                    fixed(Some(c.cv), c.cv_decimals()),
                    fixed(c.reported_cv, c.reported_cv_decimals),
                    num(c.computed_cv),
                    opt_bool(c.disagrees),
                    Cell::Num(c.threshold),
                    Cell::Null,
                    Cell::Bool(c.meets),
                    s(sh.rules),
                    opt_s(&c.source),
                ]
            });
            indicators.chain(composite)
        }))
    })
}
