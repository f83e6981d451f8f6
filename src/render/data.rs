//! The downloads: every table as CSV (UTF-8 with BOM for Excel, plain UTF-8 for machines)
//! and JSON, per-county files, the static API with its JSON Schema, a Frictionless
//! `datapackage.json` describing every file of `data/`, and `SHA256SUMS`.
//!
//! The input tables are written back in the input format, so a download is also a valid
//! junheng input (the round-trip test relies on it).

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::OutputFile;
use crate::model::{IndicatorRef, SCHOOL_FIGURES, Scheme, Site};

/// Where the API's JSON Schema is written.
pub const SCHEMA_PATH: &str = "api/schema/county.schema.json";

/// Column type in a Table Schema.
#[derive(Clone, Copy)]
enum Ty {
    Str,
    Num,
    Int,
    Bool,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Str => "string",
            Ty::Num => "number",
            Ty::Int => "integer",
            Ty::Bool => "boolean",
        }
    }
}

/// A table of the downloads: name, columns and rows.
struct DataTable {
    name: &'static str,
    columns: Vec<(&'static str, Ty)>,
    primary_key: &'static [&'static str],
    rows: Vec<Vec<Cell>>,
}

/// One cell of a download.
#[derive(Debug, Clone)]
enum Cell {
    Null,
    Text(String),
    /// A number written in its shortest exact form.
    Num(f64),
    /// A published number, written in CSV with the decimals it was published with.
    Fixed(f64, Option<u8>),
    Int(u64),
    Bool(bool),
}

impl Cell {
    fn json(&self) -> Value {
        match self {
            Cell::Null => Value::Null,
            Cell::Text(s) => Value::String(s.clone()),
            Cell::Num(v) | Cell::Fixed(v, _) => json!(v),
            Cell::Int(v) => json!(v),
            Cell::Bool(b) => Value::Bool(*b),
        }
    }

    fn csv(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Text(s) => neutralize(s),
            Cell::Fixed(v, Some(d)) => format!("{v:.*}", *d as usize),
            Cell::Num(v) | Cell::Fixed(v, None) => v.to_string(),
            Cell::Int(v) => v.to_string(),
            Cell::Bool(b) => b.to_string(),
        }
    }
}

/// Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a
/// leading `'`, which Excel and LibreOffice show as text; the JSON keeps the exact value.
///
/// ```text
/// =HYPERLINK("…")  →  '=HYPERLINK("…")
/// ```
fn neutralize(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() }
}

fn s(v: impl Into<String>) -> Cell {
    Cell::Text(v.into())
}
fn opt_s(v: &Option<String>) -> Cell {
    v.as_ref().map_or(Cell::Null, |v| s(v.clone()))
}
fn num(v: Option<f64>) -> Cell {
    v.map_or(Cell::Null, Cell::Num)
}
fn fixed(v: Option<f64>, decimals: Option<u8>) -> Cell {
    v.map_or(Cell::Null, |v| Cell::Fixed(v, decimals))
}
fn opt_bool(v: Option<bool>) -> Cell {
    v.map_or(Cell::Null, Cell::Bool)
}

fn tables(site: &Site) -> Vec<DataTable> {
    let mut out = Vec::new();
    out.push(DataTable {
        name: "counties",
        columns: vec![
            ("code", Ty::Str),
            ("name", Ty::Str),
            ("prefecture_code", Ty::Str),
            ("prefecture", Ty::Str),
            ("province_code", Ty::Str),
            ("province", Ty::Str),
            ("name_en", Ty::Str),
        ],
        primary_key: &["code"],
        rows: site
            .counties
            .iter()
            .map(|c| {
                vec![
                    s(&c.code),
                    s(&c.name),
                    s(&c.prefecture_code),
                    s(&c.prefecture),
                    s(&c.province_code),
                    s(&c.province),
                    opt_s(&c.name_en),
                ]
            })
            .collect(),
    });
    out.push(DataTable {
        name: "indicators",
        columns: vec![
            ("county", Ty::Str),
            ("school_year", Ty::Str),
            ("level", Ty::Str),
            ("scheme", Ty::Str),
            ("indicator", Ty::Str),
            ("value", Ty::Num),
            ("cv", Ty::Num),
            ("source", Ty::Str),
        ],
        primary_key: &["county", "school_year", "level", "scheme", "indicator"],
        rows: site
            .reported
            .iter()
            .map(|r| {
                vec![
                    s(&r.county),
                    s(r.school_year.to_string()),
                    s(r.level.id()),
                    s(r.scheme.id()),
                    s(r.indicator.id()),
                    fixed(r.value, r.value_decimals),
                    fixed(r.cv, r.cv_decimals),
                    opt_s(&r.source),
                ]
            })
            .collect(),
    });
    out.push(results_table(site, None));
    out.push(DataTable {
        name: "milestones",
        columns: vec![
            ("area", Ty::Str),
            ("date", Ty::Str),
            ("event", Ty::Str),
            ("title", Ty::Str),
            ("source", Ty::Str),
        ],
        primary_key: &[],
        rows: site
            .milestones
            .iter()
            .map(|m| vec![s(&m.area), s(m.date.to_string()), s(m.event.id()), s(&m.title), opt_s(&m.source)])
            .collect(),
    });
    out.push(DataTable {
        name: "metrics",
        columns: vec![
            ("area", Ty::Str),
            ("period", Ty::Str),
            ("metric", Ty::Str),
            ("value", Ty::Num),
            ("unit", Ty::Str),
            ("source", Ty::Str),
        ],
        primary_key: &["area", "period", "metric"],
        rows: site
            .metrics
            .iter()
            .map(|m| {
                vec![s(&m.area), s(&m.period.text), s(&m.metric), Cell::Num(m.value), opt_s(&m.unit), opt_s(&m.source)]
            })
            .collect(),
    });
    out.push(DataTable {
        name: "sources",
        columns: vec![("id", Ty::Str), ("title", Ty::Str), ("publisher", Ty::Str), ("date", Ty::Str), ("url", Ty::Str)],
        primary_key: &["id"],
        rows: site
            .sources
            .iter()
            .map(|x| {
                vec![
                    s(&x.id),
                    s(&x.title),
                    opt_s(&x.publisher),
                    x.date.map_or(Cell::Null, |d| s(d.to_string())),
                    opt_s(&x.url),
                ]
            })
            .collect(),
    });
    if !site.schools.is_empty() {
        let mut columns = vec![
            ("school_id", Ty::Str),
            ("school_name", Ty::Str),
            ("county", Ty::Str),
            ("school_year", Ty::Str),
            ("level", Ty::Str),
            ("school_type", Ty::Str),
            ("students", Ty::Int),
        ];
        columns.extend(SCHOOL_FIGURES.iter().map(|f| (*f, Ty::Num)));
        columns.extend([("senior_students", Ty::Int), ("parent_school_id", Ty::Str), ("source", Ty::Str)]);
        out.push(DataTable {
            name: "schools",
            columns,
            primary_key: &["school_id", "school_year", "level"],
            rows: site
                .schools
                .iter()
                .map(|r| {
                    let mut row = vec![
                        s(&r.school_id),
                        s(&r.school_name),
                        s(&r.county),
                        s(r.school_year.to_string()),
                        s(r.level.id()),
                        s(&r.school_type),
                        Cell::Int(r.students),
                    ];
                    row.extend(r.figures.iter().map(|(_, v)| num(*v)));
                    row.extend([
                        r.senior_students.map_or(Cell::Null, Cell::Int),
                        opt_s(&r.parent_school_id),
                        opt_s(&r.source),
                    ]);
                    row
                })
                .collect(),
        });
    }
    out
}

/// Every term of every coefficient computed for one county, one row per school and indicator:
/// enough to redo each coefficient in a spreadsheet.
fn school_terms_table(site: &Site, code: &str) -> DataTable {
    let mut rows = Vec::new();
    for c in site.computed_of(code) {
        let rules = site.rules.of(c.scheme);
        for (k, ind) in c.coefficients.iter().zip(rules.indicators) {
            let standard = ind.standard_for(c.level);
            for t in &k.terms {
                let u = &c.units[t.unit];
                rows.push(vec![
                    s(c.school_year.to_string()),
                    s(c.level.id()),
                    s(c.scheme.id()),
                    s(k.indicator),
                    s(&u.school_id),
                    s(&u.school_name),
                    s(&u.school_type),
                    Cell::Num(t.students),
                    Cell::Num(u.facility_share),
                    Cell::Num(t.resource),
                    Cell::Num(t.value),
                    Cell::Num(t.weight),
                    Cell::Num(t.weighted_square),
                    num(standard),
                    opt_bool(standard.map(|st| t.value >= st)),
                ]);
            }
        }
    }
    DataTable {
        name: "school_terms",
        columns: vec![
            ("school_year", Ty::Str),
            ("level", Ty::Str),
            ("scheme", Ty::Str),
            ("indicator", Ty::Str),
            ("school_id", Ty::Str),
            ("school_name", Ty::Str),
            ("school_type", Ty::Str),
            ("students", Ty::Num),
            ("facility_share", Ty::Num),
            ("resource", Ty::Num),
            ("value", Ty::Num),
            ("weight", Ty::Num),
            ("weighted_square", Ty::Num),
            ("standard", Ty::Num),
            ("meets_standard", Ty::Bool),
        ],
        primary_key: &["school_year", "level", "scheme", "indicator", "school_id"],
        rows,
    }
}

/// Every indicator with its verdict (and the composites), for all counties or one.
fn results_table(site: &Site, county: Option<&str>) -> DataTable {
    let sheets = match county {
        Some(code) => site.sheets_of(code),
        None => &site.sheets[..],
    };
    let mut rows = Vec::new();
    for sh in sheets {
        for r in &sh.rows {
            if r.value.is_none() && r.cv.is_none() && r.reported_cv.is_none() {
                continue;
            }
            rows.push(vec![
                s(&sh.county),
                s(sh.school_year.to_string()),
                s(sh.level.id()),
                s(sh.scheme.id()),
                s(r.indicator),
                num(r.value),
                num(r.cv),
                fixed(r.reported_cv, r.reported_cv_decimals),
                num(r.computed_cv),
                opt_bool(r.disagrees),
                num(r.threshold),
                num(r.standard),
                opt_bool(r.meets),
                s(sh.rules),
                opt_s(&r.source),
            ]);
        }
        if let Some(c) = &sh.composite {
            rows.push(vec![
                s(&sh.county),
                s(sh.school_year.to_string()),
                s(sh.level.id()),
                s(sh.scheme.id()),
                s(IndicatorRef::Composite.id()),
                Cell::Null,
                Cell::Num(c.cv),
                fixed(c.reported_cv, c.reported_cv_decimals),
                num(c.computed_cv),
                opt_bool(c.disagrees),
                Cell::Num(c.threshold),
                Cell::Null,
                Cell::Bool(c.meets),
                s(sh.rules),
                opt_s(&c.source),
            ]);
        }
    }
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
        rows,
    }
}

fn to_csv(t: &DataTable, bom: bool) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    w.write_record(t.columns.iter().map(|c| c.0)).expect("writing to memory cannot fail");
    for row in &t.rows {
        w.write_record(row.iter().map(Cell::csv)).expect("writing to memory cannot fail");
    }
    let body = w.into_inner().expect("writing to memory cannot fail");
    if bom { [b"\xef\xbb\xbf".as_slice(), &body].concat() } else { body }
}

fn to_json(t: &DataTable) -> Vec<u8> {
    let rows: Vec<Value> = t
        .rows
        .iter()
        .map(|r| {
            Value::Object(t.columns.iter().zip(r).map(|(c, v)| (c.0.to_string(), v.json())).collect::<Map<_, _>>())
        })
        .collect();
    let mut out = serde_json::to_vec_pretty(&rows).expect("JSON of plain values");
    out.push(b'\n');
    out
}

fn table_schema(t: &DataTable) -> Value {
    let fields: Vec<Value> = t.columns.iter().map(|(n, ty)| json!({ "name": n, "type": ty.name() })).collect();
    let mut schema = json!({ "fields": fields, "missingValues": [""] });
    if !t.primary_key.is_empty() {
        schema["primaryKey"] = json!(t.primary_key);
    }
    schema
}

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Every download file, sorted by path.
pub fn downloads(site: &Site) -> Vec<OutputFile> {
    use rayon::prelude::*;
    // Each table in its three formats with its datapackage resources; tables are built and
    // encoded in parallel, collected in order.
    let table_files = |t: &DataTable, stem: String, title: String| -> (Vec<Value>, Vec<OutputFile>) {
        let schema = table_schema(t);
        let mut resources = Vec::new();
        let mut files = Vec::new();
        for (suffix, bytes, format, encoding, media) in [
            (".csv", to_csv(t, false), "csv", "utf-8", "text/csv"),
            ("-excel.csv", to_csv(t, true), "csv", "utf-8-sig", "text/csv"),
            (".json", to_json(t), "json", "utf-8", "application/json"),
        ] {
            let path = format!("{stem}{suffix}");
            let name = path.trim_end_matches(".csv").trim_end_matches(".json").replace('/', "-").to_lowercase()
                + if suffix == ".json" { "-json" } else { "" };
            resources.push(json!({
                "name": name, "path": path, "title": title, "profile": "tabular-data-resource",
                "format": format, "mediatype": media, "encoding": encoding, "bytes": bytes.len(),
                "hash": format!("sha256:{}", sha256_hex(&bytes)), "schema": schema,
            }));
            files.push(OutputFile::new(format!("data/{path}"), bytes));
        }
        (resources, files)
    };
    let mut parts: Vec<(Vec<Value>, Vec<OutputFile>)> =
        tables(site).par_iter().map(|t| table_files(t, t.name.to_string(), t.name.to_string())).collect();
    let per_county: Vec<Vec<(Vec<Value>, Vec<OutputFile>)>> = site
        .counties
        .par_iter()
        .map(|c| {
            let mut out = Vec::new();
            if !site.computed_of(&c.code).is_empty() {
                let t = school_terms_table(site, &c.code);
                out.push(table_files(
                    &t,
                    format!("counties/{}-schools", c.code),
                    format!("schools {} {}", c.code, c.name),
                ));
            }
            if !site.sheets_of(&c.code).is_empty() {
                let t = results_table(site, Some(&c.code));
                out.push(table_files(&t, format!("counties/{}", c.code), format!("results {} {}", c.code, c.name)));
            }
            out
        })
        .collect();
    parts.extend(per_county.into_iter().flatten());
    let mut resources = Vec::new();
    let mut files = Vec::new();
    for (r, f) in parts {
        resources.extend(r);
        files.extend(f);
    }
    let c = &site.config;
    let dl = c.default_language();
    let package = json!({
        "profile": "tabular-data-package",
        "name": "junheng-portal-data",
        "title": c.title.get(dl, dl),
        "homepage": c.base_url,
        "licenses": [{ "name": c.license, "path": c.license_url }],
        "sources": site.sources.iter().map(|s| json!({ "title": s.title, "path": s.url })).collect::<Vec<_>>(),
        "resources": resources,
    });
    let mut pkg = serde_json::to_vec_pretty(&package).expect("JSON of plain values");
    pkg.push(b'\n');
    files.push(OutputFile::new("data/datapackage.json", pkg));

    files.par_extend(
        site.counties.par_iter().map(|county| {
            OutputFile::new(format!("api/counties/{}.json", county.code), county_api(site, &county.code))
        }),
    );
    let index: Vec<Value> = site
        .counties
        .iter()
        .map(|c| json!({ "code": c.code, "name": c.name, "path": format!("counties/{}.json", c.code) }))
        .collect();
    files.push(OutputFile::new("api/counties.json", pretty(&json!({ "counties": index }))));
    files.push(OutputFile::new(SCHEMA_PATH, pretty(&county_schema())));

    files.sort_by(|a, b| a.path.cmp(&b.path));
    let sums: String = files
        .iter()
        .filter(|f| f.path.starts_with("data/"))
        .map(|f| format!("{}  {}\n", sha256_hex(&f.bytes), f.path.trim_start_matches("data/")))
        .collect();
    files.push(OutputFile::new("data/SHA256SUMS", sums));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

fn pretty(v: &Value) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(v).expect("JSON of plain values");
    out.push(b'\n');
    out
}

/// The county finder's static index (`search.json`): code, name, English name, prefecture,
/// province, full pinyin and pinyin initials (港北区 → `gangbeiqu`, `gbq`).
pub fn search_index(site: &Site) -> Vec<u8> {
    let rows: Vec<Value> = site
        .counties
        .iter()
        .map(|c| {
            let prefecture = site
                .prefectures
                .iter()
                .find(|p| p.code == c.prefecture_code)
                .map_or(c.prefecture.as_str(), |p| p.name.as_str());
            let (full, initials) = pinyin_keys(&c.name);
            json!([c.code, c.name, c.name_en, prefecture, c.province, full, initials])
        })
        .collect();
    let mut out = serde_json::to_vec(&rows).expect("JSON of plain values");
    out.push(b'\n');
    out
}

/// Every reading of a name in pinyin, space-separated, and their initials: characters with
/// several readings (都 du/dou, 覃 qin/tan) give several keys, so place names are found under
/// their local reading. At most 16 combinations are kept.
///
/// ```
/// let (full, initials) = junheng::render::data::pinyin_keys("尧都区");
/// assert!(full.split(' ').any(|k| k == "yaoduqu"));
/// assert!(initials.split(' ').any(|k| k == "ydq"));
/// ```
pub fn pinyin_keys(name: &str) -> (String, String) {
    use pinyin::ToPinyinMulti;
    let mut combos: Vec<Vec<&'static str>> = vec![Vec::new()];
    for readings in name.to_pinyin_multi() {
        let Some(readings) = readings else { continue };
        let options: Vec<&'static str> = readings.into_iter().map(|p| p.plain()).collect();
        combos =
            combos.iter().flat_map(|c| options.iter().map(move |o| [c.as_slice(), &[*o]].concat())).take(16).collect();
    }
    // Keep the most common reading first; drop repeats (tones differ, plain spellings do not).
    let unique = |keys: Vec<String>| -> String {
        let mut seen = std::collections::HashSet::new();
        keys.into_iter().filter(|k| seen.insert(k.clone())).collect::<Vec<_>>().join(" ")
    };
    let full = unique(combos.iter().map(|c| c.concat()).collect());
    let initials = unique(combos.iter().map(|c| c.iter().filter_map(|s| s.chars().next()).collect()).collect());
    (full, initials)
}

/// `api/counties/<code>.json`: everything known for one county (DATA-FORMAT.md).
pub fn county_api(site: &Site, code: &str) -> Vec<u8> {
    let c = site.county(code).expect("API files are made for known counties");
    let sheets: Vec<Value> = site
        .sheets_of(code)
        .iter()
        .map(|sh| {
            let indicators: Vec<Value> = sh
                .rows
                .iter()
                .map(|r| {
                    json!({
                        "indicator": r.indicator, "value": r.value, "reported_value": r.reported_value,
                        "computed_value": r.computed_value, "cv": r.cv, "reported_cv": r.reported_cv,
                        "computed_cv": r.computed_cv, "disagrees": r.disagrees, "threshold": r.threshold,
                        "standard": r.standard, "meets": r.meets, "source": r.source,
                    })
                })
                .collect();
            let mut v = json!({
                "school_year": sh.school_year.to_string(), "level": sh.level, "scheme": sh.scheme, "rules": sh.rules,
                "schools": sh.schools, "indicators": indicators,
            });
            if sh.scheme == Scheme::Quality {
                v["failing_schools"] = json!(sh.failing_schools);
            }
            if sh.scheme == Scheme::Basic {
                v["composite"] = match &sh.composite {
                    Some(c) => json!({ "cv": c.cv, "basis": c.basis, "reported_cv": c.reported_cv,
                                       "computed_cv": c.computed_cv, "disagrees": c.disagrees,
                                       "threshold": c.threshold, "meets": c.meets, "source": c.source }),
                    None => {
                        json!({ "cv": null, "basis": null, "reported_cv": null, "computed_cv": null, "disagrees": null,
                                "threshold": site.rules.basic.threshold(sh.level), "meets": null, "source": null })
                    }
                };
            } else {
                v["meets_all"] = json!(sh.meets_all);
            }
            v
        })
        .collect();
    let milestones: Vec<Value> = site
        .milestones_of(code)
        .iter()
        .map(|m| {
            json!({
                "date": m.date.to_string(), "event": m.event.id(), "title": m.title, "source": m.source,
            })
        })
        .collect();
    let metrics: Vec<Value> = site
        .metrics_of(code)
        .iter()
        .map(|m| {
            json!({
                "period": m.period, "metric": m.metric, "value": m.value, "unit": m.unit, "source": m.source,
            })
        })
        .collect();
    let mut cited: Vec<&str> = site
        .sheets_of(code)
        .iter()
        .flat_map(|sh| {
            sh.rows
                .iter()
                .filter_map(|r| r.source.as_deref())
                .chain(sh.composite.iter().filter_map(|c| c.source.as_deref()))
        })
        .chain(site.milestones_of(code).iter().filter_map(|m| m.source.as_deref()))
        .chain(site.metrics_of(code).iter().filter_map(|m| m.source.as_deref()))
        .collect();
    cited.sort();
    cited.dedup();
    let sources: Vec<Value> = cited.iter().filter_map(|id| site.source(id)).map(|s| json!(s)).collect();
    let status = |scheme| match site.status(code, scheme) {
        Some((step, m)) => {
            json!({ "step": step, "event": m.event.id(), "date": m.date.to_string() })
        }
        None => Value::Null,
    };
    pretty(&json!({
        "$schema": "../schema/county.schema.json",
        "schema_version": 1,
        "county": c,
        "status": { "basic": status(Scheme::Basic), "quality": status(Scheme::Quality) },
        "sheets": sheets,
        "milestones": milestones,
        "metrics": metrics,
        "sources": sources,
    }))
}

/// The JSON Schema of `api/counties/<code>.json` (version 1; additions only).
pub fn county_schema() -> Value {
    let num_or_null = json!({ "type": ["number", "null"] });
    let str_or_null = json!({ "type": ["string", "null"] });
    let status = json!({ "oneOf": [{ "type": "null" }, { "type": "object",
        "required": ["step", "event", "date"],
        "properties": { "step": { "type": "integer", "minimum": 1, "maximum": 4 }, "event": { "type": "string" },
                        "date": { "type": "string", "pattern": "^\\d{4}(-\\d{2}(-\\d{2})?)?$" } } }] });
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "county.schema.json",
        "title": "junheng county record",
        "description": "Everything known for one county: indicators per school year, level and scheme with verdicts, milestones, metrics and sources.",
        "type": "object",
        "required": ["schema_version", "county", "status", "sheets", "milestones", "metrics", "sources"],
        "properties": {
            "$schema": { "type": "string" },
            "schema_version": { "const": 1 },
            "county": { "type": "object", "required": ["code", "name", "prefecture_code", "province_code"],
                "properties": { "code": { "type": "string", "pattern": "^\\d{6}$" }, "name": { "type": "string" },
                    "name_en": str_or_null, "prefecture_code": { "type": "string" }, "prefecture": { "type": "string" },
                    "province_code": { "type": "string" }, "province": { "type": "string" } } },
            "status": { "type": "object", "properties": { "basic": status, "quality": status } },
            "sheets": { "type": "array", "items": { "type": "object",
                "required": ["school_year", "level", "scheme", "rules", "indicators"],
                "properties": {
                    "school_year": { "type": "string", "pattern": "^\\d{4}-\\d{4}$" },
                    "level": { "enum": ["primary", "junior"] },
                    "scheme": { "enum": ["basic", "quality"] },
                    "rules": { "type": "string" },
                    "indicators": { "type": "array", "items": { "type": "object",
                        "required": ["indicator", "value", "cv", "reported_cv", "computed_cv", "threshold", "standard", "meets"],
                        "properties": { "indicator": { "type": "string" }, "value": num_or_null, "cv": num_or_null,
                            "reported_value": num_or_null, "computed_value": num_or_null, "disagrees": { "type": ["boolean", "null"] },
                            "reported_cv": num_or_null, "computed_cv": num_or_null, "threshold": num_or_null,
                            "standard": num_or_null, "meets": { "type": ["boolean", "null"] }, "source": str_or_null } } },
                    "schools": { "type": ["integer", "null"], "description": "schools counted by the engine; null without school data" },
                    "failing_schools": { "type": ["integer", "null"], "description": "quality balance: schools failing the per-school rule" },
                    "composite": { "type": "object", "required": ["cv", "threshold", "meets"],
                        "properties": { "cv": num_or_null, "basis": { "enum": ["computed", "reported", "mean_of_reported", null] },
                            "reported_cv": num_or_null, "computed_cv": num_or_null, "disagrees": { "type": ["boolean", "null"] },
                            "threshold": { "type": "number" }, "meets": { "type": ["boolean", "null"] }, "source": str_or_null } },
                    "meets_all": { "type": ["boolean", "null"] } } } },
            "milestones": { "type": "array", "items": { "type": "object", "required": ["date", "event", "title"] } },
            "metrics": { "type": "array", "items": { "type": "object", "required": ["period", "metric", "value"] } },
            "sources": { "type": "array", "items": { "type": "object", "required": ["id", "title"] } }
        }
    })
}

/// Documentation of each table for the downloads page: name, columns and its files.
pub fn table_docs(site: &Site, files: &[OutputFile]) -> Value {
    let mut docs = tables(site);
    // Per-county files: described once, with the pattern of their names.
    if let Some(c) = site.computed.first() {
        docs.push(school_terms_table(site, &c.county));
    }
    Value::Array(
        docs.iter()
            .map(|t| {
                let stem = format!("data/{}", t.name);
                let own: Vec<Value> = files
                    .iter()
                    .filter(|f| f.path.strip_prefix(&stem).is_some_and(|rest| [".csv", "-excel.csv", ".json"].contains(&rest)))
                    .map(|f| json!({ "path": f.path, "name": f.path.trim_start_matches("data/"), "bytes": f.bytes.len() }))
                    .collect();
                let rows = if t.name == "school_terms" { Value::Null } else { json!(t.rows.len()) };
                json!({ "name": t.name, "rows": rows, "files": own,
                        "columns": t.columns.iter().map(|(n, ty)| json!({ "name": n, "type": ty.name() })).collect::<Vec<_>>() })
            })
            .collect(),
    )
}
