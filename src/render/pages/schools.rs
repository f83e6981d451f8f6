//! The schools of a county, for parents: a list on the county page, each school's status in
//! words, and the schools' own sections, a few schools per page (`county/<code>/schools/`,
//! `county/<code>/schools/2/`, …), each at the anchor of its 学校标识码. A school shows its
//! most recent school year published school by school (`[settings] audit_years`) in full: how
//! it stands against each quality-balance standard and the rule, its basic-balance figures
//! beside the county's, where it lies among the county's schools, how much it moves each
//! coefficient; and its status in every such year.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Frame, Kind, Plan, county_name};
use crate::engine::{Coefficient, Computed, Place, Standing, Verdict};
use crate::model::rules::Rules;
use crate::model::{Level, Scheme, SchoolRow, SchoolYear, year_rows};
use crate::render::charts::{self, Strip, StripScale};
use crate::render::context::{Context, object};
use crate::render::scope::{Read, Reads, Scope};
use crate::render::templates::{format_cv, format_number};
use crate::render::views::Citations;

/// At most this many schools on one page: a county of hundreds of schools stays within a
/// phone's page weight (docs/limits.md).
pub(super) const PER_PAGE: usize = 80;

/// The schools published school by school of one county (rows of its audited `years`), by
/// id, split into the pages that show them: as many pages as [`PER_PAGE`] needs, filled evenly.
pub(crate) fn parts<'s>(rows: &'s [SchoolRow], years: &[SchoolYear]) -> Vec<Vec<&'s str>> {
    // Each year's rows are sorted by school (the model's order): one year's ids need no sort.
    // (Every preview rebuild plans every county's pages: this stays cheap.)
    let mut ids: Vec<&str> = years.iter().flat_map(|&y| year_rows(rows, y).iter().map(|r| &*r.school_id)).collect();
    if years.len() > 1 {
        ids.sort_unstable();
    }
    ids.dedup();
    if ids.is_empty() {
        return Vec::new();
    }
    let pages = ids.len().div_ceil(PER_PAGE);
    let size = ids.len().div_ceil(pages);
    ids.chunks(size).map(<[_]>::to_vec).collect()
}

/// How many pages [`parts`] makes of a county's schools (`rows`, `computed` its engine
/// results): one school year's count is the engine's; several years' ids are gathered.
fn page_count(rows: &[SchoolRow], computed: &[Computed], years: &[SchoolYear]) -> usize {
    let schools = match years {
        [year] => computed.iter().find(|k| k.school_year == *year).map_or(0, |k| k.school_ids),
        _ => parts(rows, years).iter().map(Vec::len).sum(),
    };
    schools.div_ceil(PER_PAGE)
}

/// The path of page `i` (from 0) of a county's schools.
pub(super) fn part_path(code: &str, i: usize) -> String {
    if i == 0 { format!("county/{code}/schools/") } else { format!("county/{code}/schools/{}/", i + 1) }
}

/// The page of each school of a county, by id.
fn page_of<'s>(parts: &[Vec<&'s str>]) -> BTreeMap<&'s str, usize> {
    parts.iter().enumerate().flat_map(|(i, ids)| ids.iter().map(move |id| (*id, i))).collect()
}

/// A school's status in one level of one school year under the quality-balance rule, as the
/// list and the years table say it: `state` is `meets`, `short` (`missed` standards), `merged`
/// (counted with its central school: that school's status), `left_out` (a teaching point
/// under the minimum) or `none` (no pupils, or no quality computation).
fn status(detail: &[Computed], id: &str, level: Level) -> Value {
    let Some(c) = detail.iter().find(|c| c.scheme == Scheme::Quality && c.level == level) else {
        return json!({ "level": level.id(), "state": "none" });
    };
    let verdict = |unit: usize| c.compliance_of(unit).map(|s| s.verdict());
    let (state, missed, central) = match c.place_of(id) {
        Place::Counted(u) => match verdict(u) {
            Some(Verdict::Meets) => ("meets", 0, None),
            Some(Verdict::FallsShort { missed }) => ("short", missed, None),
            None => ("none", 0, None),
        },
        Place::MergedInto(u) => ("merged", 0, Some(c.units[u].school_name.clone())),
        Place::LeftOut => ("left_out", 0, None),
        Place::Absent => ("none", 0, None),
    };
    json!({ "level": level.id(), "state": state, "missed": missed, "central": central })
}

/// The levels of a school in one school year's rows of its county (sorted by school, level).
fn rows_of<'s>(rows: &'s [SchoolRow], id: &str) -> impl Iterator<Item = &'s SchoolRow> {
    rows.iter().filter(move |r| &*r.school_id == id)
}

/// The engine's school-by-school computations of a county, per audited school year.
struct Details {
    years: Vec<(SchoolYear, Vec<Computed>)>,
}

impl Details {
    fn of(scope: &Scope, code: &str, years: &[SchoolYear]) -> Details {
        Details { years: years.iter().map(|&y| (y, scope.detail_of(code, y))).collect() }
    }

    fn of_year(&self, year: SchoolYear) -> &[Computed] {
        self.years.iter().find(|(y, _)| *y == year).map_or(&[], |(_, d)| d.as_slice())
    }
}

/// The county page's list of its schools: by name (in pinyin order), never ranked; each with
/// its type, its status in words in its latest audited school year, and the link to its
/// section.
pub(super) fn school_list(scope: &Scope, code: &str) -> Value {
    let years = scope.audited_years(code);
    let rows = scope.schools_of(code);
    let parts = parts(rows, &years);
    if parts.is_empty() {
        return Value::Null;
    }
    // Each school's latest audited year; the engine's detail of only those years.
    let latest: Vec<(&str, usize, SchoolYear)> = page_of(&parts)
        .into_iter()
        .map(|(id, page)| {
            let year = years.iter().rev().find(|y| rows_of(year_rows(rows, **y), id).next().is_some());
            (id, page, *year.expect("a school on a page has a row in an audited year"))
        })
        .collect();
    let mut needed: Vec<SchoolYear> = latest.iter().map(|l| l.2).collect();
    needed.sort_unstable();
    needed.dedup();
    let details = Details::of(scope, code, &needed);
    let mut list: Vec<(String, Value)> = latest
        .into_iter()
        .map(|(id, page, year)| {
            let own: Vec<&SchoolRow> = rows_of(year_rows(rows, year), id).collect();
            let statuses: Vec<Value> = own.iter().map(|r| status(details.of_year(year), id, r.level)).collect();
            let name = own[0].school_name.to_string();
            let key = sort_key(&name);
            let older = Some(&year) != years.last();
            let mut entry = json!({ "id": id, "name": name, "type": own[0].school_type, "older": older,
                                "href": format!("{}#{id}", part_path(code, page).trim_start_matches(&format!("county/{code}/"))),
                                "year": year.to_string() });
            entry["status"] = Value::Array(statuses);
            (key, entry)
        })
        .collect();
    list.sort_by(|a, b| a.0.cmp(&b.0));
    object([
        ("schools", Value::Array(list.into_iter().map(|(_, v)| v).collect())),
        ("pages", json!(parts.len())),
        ("min_pupils", json!(scope.rules().quality_min_teaching_point_pupils)),
    ])
}

/// A name's sort key: its pinyin (most common readings), then the name itself.
fn sort_key(name: &str) -> String {
    use pinyin::ToPinyin;
    let mut key: String = name
        .to_pinyin()
        .zip(name.chars())
        .map(|(p, c)| p.map_or_else(|| c.to_string(), |p| p.plain().to_string()))
        .collect::<Vec<_>>()
        .join(" ");
    key.push('\u{0}');
    key.push_str(name);
    key
}

/// The link of each school from a county's computation pages (`county/<code>/computation/<year>/`),
/// by id: relative, as short as it can be (a row per school and sheet).
pub(super) fn school_links(scope: &Scope, code: &str) -> Value {
    let years = scope.audited_years(code);
    let parts = parts(scope.schools_of(code), &years);
    let county = format!("county/{code}/");
    Value::Object(
        page_of(&parts)
            .into_iter()
            .map(|(id, page)| {
                let path = part_path(code, page);
                (id.to_string(), Value::String(format!("../../{}#{id}", &path[county.len()..])))
            })
            .collect(),
    )
}

/// One page of a county's schools.
#[derive(Hash, Debug)]
struct Schools {
    code: String,
    name: String,
    /// This page (from 0) and how many there are. Its schools are found again when it is
    /// rendered: the page is keyed on the county's school rows (its scope), not on their ids.
    part: usize,
    parts: usize,
}

/// The charts' groups of one page: the strips of each school year, level and regime, drawn
/// once, with where they put values.
#[derive(Default)]
struct Groups {
    made: Vec<((SchoolYear, Level, Scheme), String, StripScale)>,
    svg: String,
    words: Vec<Words>,
}

/// One indicator's figures in a school's table.
struct Figures<'a> {
    indicator: &'a str,
    decimals: usize,
    value: Option<f64>,
    /// A per-100-pupils figure of a school under the teaching points' minimum (marked `*`).
    small: bool,
    /// The county's value (shown in the basic-balance table).
    mean: Option<f64>,
    standard: Option<f64>,
    /// [`Standing::id`] or [`crate::engine::basic_state`].
    standing: Option<&'static str>,
}

/// The words of a page's tables of one regime, looked up once a page and escaped: each
/// indicator's short name and unit, the states, the "no figure" text.
struct Words {
    scheme: Scheme,
    /// Each indicator's id, short name and unit (escaped), and short name as written.
    indicators: Vec<(&'static str, String, String, String)>,
    states: Vec<(&'static str, String)>,
    no_figure: String,
    /// The sentences of a school's sheet, as written (their `{…}` filled in here; the template
    /// escapes them).
    verdict_meets: String,
    verdict_short: String,
    chart_summary: String,
    biggest: String,
    moves_little: String,
}

impl Words {
    fn of(scheme: Scheme, rules: &Rules, f: &Frame) -> Words {
        let (tr, esc) = (f.tr(), crate::render::templates::escape_html);
        let ind = |id: &str, part: &str| tr.t(&format!("ind.{}.{id}.{part}", scheme.id()));
        Words {
            scheme,
            indicators: rules
                .of(scheme)
                .indicators
                .iter()
                .map(|i| {
                    let short = ind(i.id, "short");
                    (i.id, esc(&short), esc(&ind(i.id, "unit")), short)
                })
                .collect(),
            states: ["meets", "near", "below", "short", "unknown"]
                .into_iter()
                .map(|s| (s, esc(&tr.t(&format!("standing.{s}")))))
                .collect(),
            no_figure: esc(&tr.t("school.no_figure")),
            verdict_meets: format!("✓ {}", tr.t("school.verdict_meets")),
            verdict_short: format!("✗ {}", tr.t("school.verdict_short")),
            chart_summary: tr.t("school.chart_summary"),
            biggest: tr.t("school.biggest"),
            moves_little: tr.t("school.moves_little"),
        }
    }

    /// The rule's verdict on a school in words.
    fn verdict(&self, verdict: Verdict, met: usize, total: usize) -> String {
        let text = match verdict {
            Verdict::Meets => self.verdict_meets.replace("{met}", &met.to_string()),
            Verdict::FallsShort { missed } => self.verdict_short.replace("{missed}", &missed.to_string()),
        };
        text.replace("{total}", &total.to_string())
    }

    /// Where a school lies among the county's `n` schools, in words.
    fn summary(&self, n: usize, above: usize, below: usize) -> String {
        self.chart_summary
            .replace("{n}", &n.to_string())
            .replace("{above}", &above.to_string())
            .replace("{below}", &below.to_string())
    }

    /// The coefficient the school moves most, with and without it, in words.
    fn moves(&self, biggest: Option<(f64, &str, f64, f64)>) -> String {
        let Some((_, indicator, cv, without)) = biggest else { return self.moves_little.clone() };
        let short = self.indicators.iter().find(|i| i.0 == indicator).map_or("", |i| i.3.as_str());
        self.biggest
            .replace("{indicator}", short)
            .replace("{without}", &format_cv(without))
            .replace("{cv}", &format_cv(cv))
    }

    /// Writes the row of `x` to `out`: indicator, school, then the standard and the state
    /// (quality), or the county and, where the table is `judged` (standards declared), the
    /// standard and the state (basic). End tags are left out, as HTML allows.
    fn row(&self, out: &mut String, x: &Figures, judged: bool) {
        let (label, unit) =
            self.indicators.iter().find(|i| i.0 == x.indicator).map_or(("", ""), |i| (i.1.as_str(), i.2.as_str()));
        let figure = |out: &mut String, v: Option<f64>, star: bool| match v {
            Some(v) => {
                out.push_str(&format_number(v, x.decimals));
                out.push(' ');
                out.push_str(unit);
                if star {
                    out.push('*');
                }
            }
            None => out.push_str(&self.no_figure),
        };
        out.push_str("<tr><th>");
        out.push_str(label);
        out.push_str("<td>");
        figure(out, x.value, x.small);
        if self.scheme == Scheme::Basic {
            out.push_str("<td>");
            figure(out, x.mean, false);
        }
        if !judged {
            return;
        }
        match (x.standard, x.standing) {
            (Some(s), Some(state)) => {
                // A declared basic standard missed (`short`) looks as a quality one below 85 %.
                let class = if state == "short" { "below" } else { state };
                let text = self.states.iter().find(|s| s.0 == state).map_or("", |s| s.1.as_str());
                out.push_str("<td>≥ ");
                out.push_str(&format_number(s, x.decimals));
                out.push_str("<td class=\"");
                out.push_str(class);
                out.push_str("\">");
                out.push_str(text);
            }
            _ => out.push_str("<td>—<td>—"),
        }
    }
}

impl Groups {
    /// The words of `scheme`'s tables.
    fn words(&mut self, scheme: Scheme, rules: &Rules, f: &Frame) -> &Words {
        if let Some(i) = self.words.iter().position(|w| w.scheme == scheme) {
            return &self.words[i];
        }
        self.words.push(Words::of(scheme, rules, f));
        self.words.last().expect("just pushed")
    }

    /// The group of `c`'s strips: its id and scale.
    fn of(&mut self, c: &Computed, f: &Frame) -> (String, usize) {
        let key = (c.school_year, c.level, c.scheme);
        if let Some(i) = self.made.iter().position(|m| m.0 == key) {
            return (self.made[i].1.clone(), i);
        }
        let tr = f.tr();
        let strips: Vec<Strip> = c
            .coefficients
            .iter()
            .map(|k| {
                let mean = k.mean.filter(|m| *m > 0.0);
                let standard = standard_of(c, k);
                Strip {
                    label: tr.t(&format!("ind.{}.{}.short", c.scheme.id(), k.indicator)),
                    ratios: mean.map(|m| k.terms.iter().map(|t| t.value / m).collect()).unwrap_or_default(),
                    standard: standard.zip(mean).map(|(s, m)| s / m),
                }
            })
            .collect();
        // Short ids: each page's sections refer to these hundreds of times.
        let id = format!("g{}", self.made.len());
        let (svg, scale) = charts::strips_group(&id, &strips, &tr.t("chart.strips_mean"));
        self.svg.push_str(&svg);
        self.made.push((key, id.clone(), scale));
        (id, self.made.len() - 1)
    }
}

/// Two letters naming a level and a regime in an element id (`pq`: primary, quality).
fn short_id(level: Level, scheme: Scheme) -> &'static str {
    match (level, scheme) {
        (Level::Primary, Scheme::Quality) => "pq",
        (Level::Primary, Scheme::Basic) => "pb",
        (Level::Junior, Scheme::Quality) => "jq",
        (Level::Junior, Scheme::Basic) => "jb",
    }
}

/// The quality-balance standard of coefficient `k` of `c` for its level (none for basic).
fn standard_of(c: &Computed, k: &Coefficient) -> Option<f64> {
    (c.scheme == Scheme::Quality)
        .then(|| crate::model::rules::QUALITY_INDICATORS.iter().find(|i| i.id == k.indicator))
        .flatten()
        .and_then(|i| i.standard_for(c.level))
}

impl Kind for Schools {
    fn context(&self, scope: &Scope, f: &Frame) -> Context {
        let code = self.code.as_str();
        let years = scope.audited_years(code);
        let rows = scope.schools_of(code);
        let details = Details::of(scope, code, &years);
        let mut cites = Citations::default();
        let mut groups = Groups::default();
        let parts = parts(rows, &years);
        let mut schools: Vec<(String, Value)> = parts
            .get(self.part)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|id| {
                let v = school(scope, f, code, id, rows, &years, &details, &mut cites, &mut groups);
                (sort_key(v["name"].as_str().unwrap_or_default()), v)
            })
            .collect();
        schools.sort_by(|a, b| a.0.cmp(&b.0));
        let pages: Vec<Value> = (0..self.parts).map(|i| json!({ "n": i + 1, "path": part_path(code, i) })).collect();
        object([
            ("county", crate::render::views::rollup(scope, code).clone()),
            ("display_name", json!(self.name)),
            ("schools", Value::Array(schools.into_iter().map(|(_, v)| v).collect())),
            ("part", json!(self.part + 1)),
            ("pages", Value::Array(pages)),
            ("groups", json!(groups.svg)),
            ("min_pupils", json!(scope.rules().quality_min_teaching_point_pupils)),
            ("basic_standards", json!(scope.has_standards())),
            ("years", json!(years.len())),
            ("meanings", meanings(scope.rules())),
            ("sources", cites.list(scope)),
        ])
        .into()
    }
}

/// The indicators whose meanings the page explains: each regime's, quality first (a
/// parent's question).
fn meanings(rules: &Rules) -> Value {
    [Scheme::Quality, Scheme::Basic]
        .iter()
        .flat_map(|&s| rules.of(s).indicators.iter().map(move |i| json!({ "scheme": s.id(), "indicator": i.id })))
        .collect()
}

/// Everything a school's section shows.
#[allow(clippy::too_many_arguments)]
fn school(
    scope: &Scope,
    f: &Frame,
    code: &str,
    id: &str,
    rows: &[SchoolRow],
    years: &[SchoolYear],
    details: &Details,
    cites: &mut Citations,
    groups: &mut Groups,
) -> Value {
    let seen: Vec<SchoolYear> =
        years.iter().copied().filter(|y| rows_of(year_rows(rows, *y), id).next().is_some()).collect();
    let year = *seen.last().expect("a school on a page has a row in an audited year");
    let own: Vec<&SchoolRow> = rows_of(year_rows(rows, year), id).collect();
    let first = own[0];
    let detail = details.of_year(year);
    let pupils: u64 = own.iter().map(|r| u64::from(r.students)).sum();
    let limit = crate::model::rules::school_size_limit(first.school_type);
    let source = cites.cite(&first.source.as_ref().map(|s| s.to_string()));
    let levels: Vec<Value> = own
        .iter()
        .map(|r| {
            let sheets: Vec<Value> = [Scheme::Quality, Scheme::Basic]
                .iter()
                .filter_map(|&scheme| detail.iter().find(|c| c.scheme == scheme && c.level == r.level))
                .map(|c| {
                    let mut sh = sheet(c, id, scope, f, groups);
                    let source = sh["standard_source"].as_str().map(str::to_string);
                    sh["standard_cite"] = cites.cite(&source);
                    sh
                })
                .collect();
            let classes = r.classes.filter(|n| *n > 0).map(|n| {
                json!({ "n": n, "size": f64::from(r.students) / f64::from(n), "large": r.large_classes,
                        "limit": crate::model::rules::large_class_limit(r.level) })
            });
            let mut level = json!({ "level": r.level.id(), "students": r.students });
            level["classes"] = classes.unwrap_or_default();
            level["status"] = status(detail, id, r.level);
            level["sheets"] = Value::Array(sheets);
            level
        })
        .collect();
    let history: Vec<Value> = seen
        .iter()
        .flat_map(|&y| {
            let d = details.of_year(y);
            rows_of(year_rows(rows, y), id)
                .map(|r| {
                    let mut h = json!({ "year": y.to_string(), "level": r.level.id(), "students": r.students });
                    h["status"] = status(d, id, r.level);
                    h
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let mut v = json!({
        "id": id, "name": first.school_name, "type": first.school_type, "county": code, "town": first.town,
        "year": year.to_string(), "parent": first.parent_school_id,
        "size": { "pupils": pupils, "limit": limit, "over": pupils > limit }, "years": seen.len(),
    });
    // Moved in, not copied (`json!` serialises a copy of each value it is given).
    v["source"] = source;
    v["levels"] = Value::Array(levels);
    v["history"] = Value::Array(history);
    v
}

/// One regime's figures of a school at one level: each indicator with the school's value
/// (its unit's: a teaching point merged into its central school has that school's), the
/// county's, the standard and where the value stands (quality), its place among the county's
/// schools, and the coefficient with and without it; then the verdict and the chart.
fn sheet(c: &Computed, id: &str, scope: &Scope, f: &Frame, groups: &mut Groups) -> Value {
    let rules = scope.rules();
    let (place, unit) = match c.place_of(id) {
        Place::Counted(u) => ("counted", Some(u)),
        Place::MergedInto(u) => ("merged", Some(u)),
        Place::LeftOut => ("left_out", None),
        Place::Absent => ("absent", None),
    };
    let base = json!({ "scheme": c.scheme.id(), "level": c.level.id(), "place": place, "schools": c.schools,
                       "central": unit.filter(|_| place == "merged").map(|u| c.units[u].school_name.clone()) });
    let Some(u) = unit else { return base };
    let small = c.units[u].students < f64::from(rules.quality_min_teaching_point_pupils);
    let indicator = |id: &str| rules.of(c.scheme).indicators.iter().find(|i| i.id == id);
    let mut biggest: Option<(f64, &str, f64, f64)> = None;
    let (mut above, mut below) = (0, 0);
    // The table's rows are made here, not in the template: a national site has millions of
    // them (two languages, 15 a school), and their labels, figures and states in words are
    // the same few strings, looked up once a page ([`Words`]).
    // The basic-balance standards the site declares for each indicator, looked up once; the
    // table gets a standard and a state column where there is any (quality's always has).
    let declared: Vec<Option<&crate::model::Standard>> = match c.scheme {
        Scheme::Quality => Vec::new(),
        Scheme::Basic => c.coefficients.iter().map(|k| scope.standard_for(&c.county, c.level, k.indicator)).collect(),
    };
    let declares = declared.iter().any(Option::is_some);
    let judged = c.scheme == Scheme::Quality || declares;
    let words = groups.words(c.scheme, rules, f);
    let mut body = String::with_capacity(64 * c.coefficients.len());
    for (i, k) in c.coefficients.iter().enumerate() {
        let value = k.value_of(u);
        // Quality: the national standard; basic: the one the site declares, if any.
        let (standard, standing) = match c.scheme {
            Scheme::Quality => {
                let s = standard_of(c, k);
                (s, s.map(|s| Standing::of(value, s).id()))
            }
            Scheme::Basic => {
                let s = declared[i].map(|s| s.standard);
                (s, s.map(|s| crate::engine::basic_state(value, s)))
            }
        };
        if let (Some(cv), Some(w)) = (k.cv, k.without(u)) {
            let change = (cv - w).abs();
            if change > biggest.map_or(0.0, |b| b.0) {
                biggest = Some((change, k.indicator, cv, w));
            }
        }
        match (value, k.mean) {
            (Some(v), Some(m)) if v > m => above += 1,
            (Some(v), Some(m)) if v < m => below += 1,
            _ => {}
        }
        let ind = indicator(k.indicator);
        let small = small && ind.is_some_and(|i| i.per_hundred);
        let decimals = ind.map_or(2, |i| usize::from(i.decimals));
        let figures = Figures { indicator: k.indicator, decimals, value, small, mean: k.mean, standard, standing };
        words.row(&mut body, &figures, judged);
    }
    // A change the page would show (three decimals) or none worth a sentence.
    let biggest = biggest.filter(|b| b.0 >= 0.0005);
    let verdict = c.compliance_of(u).map(|s| {
        let v = s.verdict();
        object([
            ("meets", json!(v == Verdict::Meets)),
            ("text", Value::String(words.verdict(v, s.met, s.checks.len()))),
        ])
    });
    let summary = words.summary(c.schools, above, below);
    let moves = words.moves(biggest);
    let (group, g) = groups.of(c, f);
    let marks: Vec<Option<f64>> =
        c.coefficients.iter().map(|k| Some(k.value_of(u)? / k.mean.filter(|m| *m > 0.0)?)).collect();
    let caption = format!("c{id}{}", short_id(c.level, c.scheme));
    let svg = charts::marked_strips(&caption, &group, &groups.made[g].2, &marks);
    let mut v = base;
    v["standards"] = json!(declares);
    // Rows of the quality table: indicator, school, standard, state; of the basic table:
    // indicator, school, county, and where standards are declared, standard and state.
    v["rows"] = Value::String(body);
    // The source of the basic-balance standards shown (the first one with a source).
    v["standard_source"] = json!(declared.iter().find_map(|s| s.and_then(|s| s.source.clone())));
    v["verdict"] = verdict.unwrap_or_default();
    v["small"] = json!(small);
    v["chart"] =
        object([("svg", Value::String(svg)), ("caption", Value::String(caption)), ("summary", Value::String(summary))]);
    v["moves"] = Value::String(moves);
    v
}

/// Each county's pages of schools.
pub(super) fn plan(p: &mut Plan) {
    let (site, lang) = (p.site(), p.frame.lang);
    let tables = Reads::of(&[Read::Schools, Read::Results, Read::Milestones]);
    for c in site.counties.iter() {
        let years = p.reading.audited_years(&c.code);
        if years.is_empty() {
            continue;
        }
        // Every preview rebuild plans every county's pages: only how many, nothing allocated.
        let pages = page_count(site.schools_of(&c.code), site.computed_of(&c.code), years);
        let name = county_name(c, lang);
        let title = p.frame.tr().t("school.page_title").replace("{name}", &name);
        for i in 0..pages {
            let scope = p.reading.scope_of(&c.code, tables);
            let kind = Schools { code: c.code.clone(), name: name.clone(), part: i, parts: pages };
            p.push(part_path(&c.code, i), "schools.html", title.clone(), scope, kind);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, year: u16) -> SchoolRow {
        SchoolRow {
            school_id: id.into(),
            school_name: id.into(),
            county: "450804".into(),
            school_year: SchoolYear(year),
            level: Level::Primary,
            school_type: "primary",
            students: 100,
            figures: Default::default(),
            senior_students: None,
            parent_school_id: None,
            source: None,
            town: None,
            classes: None,
            large_classes: None,
        }
    }

    // Guards the pages of a county's schools: every school of the audited years once, by id,
    // pages filled evenly (81 schools: 41 and 40, not 80 and 1), none when no year is audited.
    #[test]
    fn schools_are_split_evenly_by_id_over_as_few_pages_as_fit() {
        let mut rows: Vec<SchoolRow> = (0..81).rev().map(|i| row(&format!("{:010}", i), 2020)).collect();
        rows.push(row("0000000099", 2019));
        // A junior row of one school too: one school, however many levels.
        rows.push(SchoolRow { level: Level::Junior, ..row("0000000005", 2020) });
        // As the model sorts a county's rows.
        rows.sort_by(|a, b| (a.school_year, &a.school_id, a.level).cmp(&(b.school_year, &b.school_id, b.level)));
        let parts = parts(&rows, &[SchoolYear(2020)]);
        assert_eq!(parts.iter().map(Vec::len).collect::<Vec<_>>(), [41, 40]);
        // The count of pages from the engine's count of a year's schools, or from the ids.
        let computed = crate::engine::compute(&rows, &crate::model::rules::Rules::default());
        assert_eq!(page_count(&rows, &computed, &[SchoolYear(2020)]), 2);
        assert_eq!(page_count(&rows, &computed, &[SchoolYear(2019)]), 1);
        assert_eq!(page_count(&rows, &computed, &[SchoolYear(2019), SchoolYear(2020)]), 2);
        assert_eq!(parts[0][0], "0000000000");
        assert!(parts.concat().windows(2).all(|w| w[0] < w[1]));
        assert!(!parts.concat().contains(&"0000000099"), "a school of a year not published school by school");
        assert_eq!(super::parts(&rows, &[SchoolYear(2019), SchoolYear(2020)]).concat().len(), 82);
        assert!(super::parts(&rows, &[]).is_empty());
        assert_eq!(
            (part_path("450804", 0), part_path("450804", 1)),
            ("county/450804/schools/".to_string(), "county/450804/schools/2/".to_string())
        );
    }
}
