//! The downloads: every table as CSV (UTF-8 with BOM for Excel, plain UTF-8 for machines)
//! and JSON, per-county files, the static API with its JSON Schema, a Frictionless
//! `datapackage.json` describing every file of `data/`, and `SHA256SUMS`.
//!
//! The input tables are written back in the input format, so a download is also a valid
//! junheng input (the round-trip test relies on it).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{OutputFile, Sink, Streamed};
use crate::engine::Analysed;
use crate::model::{IndicatorRef, SCHOOL_FIGURES, Scheme};

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
struct DataTable<'a> {
    name: &'static str,
    columns: Vec<(&'static str, Ty)>,
    primary_key: &'static [&'static str],
    rows: Rows<'a>,
    /// The same rows in runs of one county each, in order, for a table grouped by county (the
    /// national school rows, published rows and results): a rebuild encodes again only the
    /// runs whose county's data changed. `None` for other tables.
    runs: Option<Runs<'a>>,
}

/// Makes a table's runs of rows by county (only when a rebuild assembles the table from them).
type Runs<'a> = Box<dyn Fn() -> Vec<(&'a str, Rows<'a>)> + Send + Sync + 'a>;

/// A row iterator made from the model.
type RowIter<'a> = Box<dyn Iterator<Item = Vec<Cell<'a>>> + 'a>;

/// The rows of a table: held, or made anew from the model for each format written, so that a
/// national table (millions of school rows) is never held whole.
enum Rows<'a> {
    Held(Vec<Vec<Cell<'a>>>),
    Made(usize, Box<dyn Fn() -> RowIter<'a> + Send + Sync + 'a>),
}

impl<'a> Rows<'a> {
    /// Rows made by `make`, which yields `len` rows each time.
    fn made(len: usize, make: impl Fn() -> RowIter<'a> + Send + Sync + 'a) -> Self {
        Rows::Made(len, Box::new(make))
    }

    fn len(&self) -> usize {
        match self {
            Rows::Held(rows) => rows.len(),
            Rows::Made(len, _) => *len,
        }
    }

    fn each(&self, mut f: impl FnMut(&[Cell<'a>])) {
        match self {
            Rows::Held(rows) => rows.iter().for_each(|r| f(r)),
            Rows::Made(_, make) => make().for_each(|r| f(&r)),
        }
    }
}

/// One cell of a download; text borrows from the model where it can.
#[derive(Debug, Clone)]
enum Cell<'a> {
    Null,
    Text(Cow<'a, str>),
    /// A number written in its shortest exact form.
    Num(f64),
    /// A published number, written in CSV with the decimals it was published with.
    Fixed(f64, Option<u8>),
    Int(u64),
    Bool(bool),
}

impl Cell<'_> {
    /// Writes the cell as a JSON value.
    fn write_json(&self, out: &mut Vec<u8>) {
        let written = match self {
            Cell::Null => serde_json::to_writer(&mut *out, &()),
            Cell::Text(s) => serde_json::to_writer(&mut *out, s),
            Cell::Num(v) | Cell::Fixed(v, _) => serde_json::to_writer(&mut *out, v),
            Cell::Int(v) => serde_json::to_writer(&mut *out, v),
            Cell::Bool(b) => serde_json::to_writer(&mut *out, b),
        };
        written.expect("JSON of plain values");
    }

    /// Writes the cell's CSV text into `buf` (cleared first).
    fn write_csv(&self, buf: &mut String) {
        use std::fmt::Write as _;
        buf.clear();
        let _ = match self {
            Cell::Null => Ok(()),
            Cell::Text(s) => {
                if needs_neutralizing(s) {
                    buf.push('\'');
                }
                buf.push_str(s);
                Ok(())
            }
            Cell::Fixed(v, Some(d)) => {
                crate::render::templates::write_fixed(buf, *v, *d as usize);
                Ok(())
            }
            Cell::Num(v) | Cell::Fixed(v, None) => {
                crate::render::templates::write_shortest(buf, *v);
                Ok(())
            }
            Cell::Int(v) => write!(buf, "{v}"),
            Cell::Bool(b) => write!(buf, "{b}"),
        };
    }
}

/// Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a
/// leading `'`, which Excel and LibreOffice show as text; the JSON keeps the exact value.
///
/// ```text
/// =HYPERLINK("…")  →  '=HYPERLINK("…")
/// ```
fn needs_neutralizing(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

fn s<'a>(v: impl Into<Cow<'a, str>>) -> Cell<'a> {
    Cell::Text(v.into())
}
fn opt_s(v: &Option<impl std::ops::Deref<Target = str>>) -> Cell<'_> {
    v.as_deref().map_or(Cell::Null, s)
}
fn num<'a>(v: Option<f64>) -> Cell<'a> {
    v.map_or(Cell::Null, Cell::Num)
}
fn fixed(v: Option<f64>, decimals: Option<u8>) -> Cell<'static> {
    v.map_or(Cell::Null, |v| Cell::Fixed(v, decimals))
}
fn opt_bool(v: Option<bool>) -> Cell<'static> {
    v.map_or(Cell::Null, Cell::Bool)
}

fn tables(site: &Analysed) -> Vec<DataTable<'_>> {
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
        runs: None,
        rows: Rows::made(site.counties.len(), move || {
            Box::new(site.counties.iter().map(|c| {
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
        rows: reported_rows(&site.reported),
        // The model keeps the published rows sorted by county.
        runs: Some(Box::new(|| runs_by(&site.reported, |r| &r.county, reported_rows))),
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
        runs: None,
        rows: Rows::made(site.milestones.len(), move || {
            Box::new(
                site.milestones
                    .iter()
                    .map(|m| vec![s(&m.area), s(m.date.to_string()), s(m.event.id()), s(&m.title), opt_s(&m.source)]),
            )
        }),
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
        runs: None,
        rows: Rows::made(site.metrics.len(), move || {
            Box::new(site.metrics.iter().map(|m| {
                vec![s(&m.area), s(&m.period.text), s(&m.metric), Cell::Num(m.value), opt_s(&m.unit), opt_s(&m.source)]
            }))
        }),
    });
    out.push(DataTable {
        name: "sources",
        columns: vec![("id", Ty::Str), ("title", Ty::Str), ("publisher", Ty::Str), ("date", Ty::Str), ("url", Ty::Str)],
        primary_key: &["id"],
        runs: None,
        rows: Rows::made(site.sources.len(), move || {
            Box::new(site.sources.iter().map(|x| {
                vec![
                    s(&x.id),
                    s(&x.title),
                    opt_s(&x.publisher),
                    x.date.map_or(Cell::Null, |d| s(d.to_string())),
                    opt_s(&x.url),
                ]
            }))
        }),
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
            rows: school_rows(&site.schools),
            runs: Some(Box::new(|| runs_by(&site.schools, |r| &r.county, school_rows))),
        });
    }
    out
}

/// The published rows as the input file has them.
fn reported_rows(rows: &[crate::model::Reported]) -> Rows<'_> {
    Rows::made(rows.len(), move || {
        Box::new(rows.iter().map(|r| {
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

/// The school rows as the input file has them.
fn school_rows(rows: &[crate::model::SchoolRow]) -> Rows<'_> {
    Rows::made(rows.len(), move || {
        Box::new(rows.iter().map(|r| {
            let mut row = vec![
                s(&*r.school_id),
                s(&*r.school_name),
                s(&*r.county),
                s(r.school_year.to_string()),
                s(r.level.id()),
                s(r.school_type),
                Cell::Int(r.students),
            ];
            row.extend(r.figures.iter().map(num));
            row.extend([r.senior_students.map_or(Cell::Null, Cell::Int), opt_s(&r.parent_school_id), opt_s(&r.source)]);
            row
        }))
    })
}

/// `items`, grouped by county in runs of consecutive items, each with its rows: one run per
/// county when `items` are sorted by county (as the model keeps them).
fn runs_by<'a, T>(
    items: &'a [T],
    county: impl for<'x> Fn(&'x T) -> &'x str,
    rows: impl Fn(&'a [T]) -> Rows<'a>,
) -> Vec<(&'a str, Rows<'a>)> {
    items.chunk_by(|a, b| county(a) == county(b)).map(|run| (county(&run[0]), rows(run))).collect()
}

/// The computations of one county school by school, for the audited school years: one row per
/// school counted per school year, level and regime, with its pupils Pᵢ, its share of the
/// whole-school facilities and its value xᵢ of every indicator of that regime (columns
/// `basic_…`, `quality_…`). Each coefficient can be redone in a spreadsheet from these rows:
/// x̄ = Σ Pᵢxᵢ / Σ Pᵢ, S² = Σ (Pᵢ/P)(xᵢ − x̄)², CV = S / x̄.
fn school_terms_table<'a>(site: &'a Analysed, code: &str) -> DataTable<'a> {
    let audited = site.audited_years(code);
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
    for c in audited.iter().flat_map(|&year| site.detail_of(code, year)) {
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
        runs: None,
    }
}

/// The columns of the school download holding each indicator's per-school value, in the
/// rules' order (a unit test checks they match the rules).
const VALUE_COLUMNS: &[(Scheme, &str, &str)] = &[
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

/// Every indicator with its verdict (and the composites), for all counties or one.
fn results_table<'a>(site: &'a Analysed, county: Option<&str>) -> DataTable<'a> {
    let sheets = match county {
        Some(code) => site.sheets_of(code),
        None => &site.sheets[..],
    };
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
        // The national table only: a county's own is made whole.
        runs: county.is_none().then(|| -> Runs<'a> { Box::new(move || runs_by(sheets, |sh| &sh.county, sheet_rows)) }),
    }
}

/// Every shown indicator of the sheets with its verdict, and their composites.
fn sheet_rows(sheets: &[crate::engine::Sheet]) -> Rows<'_> {
    let shown = |r: &crate::engine::SheetRow| r.value.is_some() || r.cv.is_some() || r.reported_cv.is_some();
    // Counted here, made when written (the national table has a row per county, year, level,
    // regime and indicator).
    let len =
        sheets.iter().map(|sh| sh.rows.iter().filter(|r| shown(r)).count() + usize::from(sh.composite.is_some())).sum();
    Rows::made(len, move || {
        Box::new(sheets.iter().flat_map(move |sh| {
            let indicators = sh.rows.iter().filter(move |r| shown(r)).map(move |r| {
                vec![
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
                    Cell::Num(c.cv),
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

/// The table as CSV, behind `prefix`.
fn to_csv(t: &DataTable, prefix: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + t.rows.len() * 8 * t.columns.len());
    out.extend_from_slice(prefix);
    write_csv(t, &mut out);
    out
}

/// Writes the table as CSV to `out`, a writer that does not fail (memory or a [`Streamed`]
/// file, which records its own errors).
fn write_csv(t: &DataTable, out: impl std::io::Write) {
    let mut w = csv_writer(out);
    w.write_record(t.columns.iter().map(|c| c.0)).expect(FAILS);
    write_csv_rows(&t.rows, &mut w);
    w.flush().expect(FAILS);
}

/// Why writing a download cannot fail.
const FAILS: &str = "the downloads are written to memory or to a sink's file, which do not fail";

fn csv_writer<W: std::io::Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out)
}

/// Writes the rows as CSV records (each record is written alone: the records of a table are
/// the records of its runs one after another).
fn write_csv_rows<W: std::io::Write>(rows: &Rows, w: &mut csv::Writer<W>) {
    let mut buf = String::new();
    rows.each(|row| {
        for cell in row {
            cell.write_csv(&mut buf);
            w.write_field(&buf).expect(FAILS);
        }
        w.write_record(None::<&[u8]>).expect(FAILS);
    });
}

/// The rows as a JSON array of objects, one object per line: compact like CSV, still readable
/// and easy to split.
fn to_json(t: &DataTable) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + t.rows.len() * 24 * t.columns.len());
    write_json(t, &mut out, &mut |_| {});
    out
}

/// Appends [`to_json`]'s bytes to `out`, calling `row_done` after each row (a streamed file
/// takes and clears what `out` holds now and then).
fn write_json(t: &DataTable, out: &mut Vec<u8>, row_done: &mut dyn FnMut(&mut Vec<u8>)) {
    out.push(b'[');
    write_json_rows(&json_keys(t), &t.rows, out, row_done);
    out.extend_from_slice(b"\n]\n");
}

/// The keys of the table's JSON objects, each quoted and followed by a colon.
fn json_keys(t: &DataTable) -> Vec<Vec<u8>> {
    t.columns
        .iter()
        .map(|c| {
            let mut k = serde_json::to_vec(c.0).expect("JSON of a column name");
            k.push(b':');
            k
        })
        .collect()
}

/// Appends the rows as JSON objects, each on a new line, separated by commas: the rows of a
/// table are the rows of its runs joined with a comma.
fn write_json_rows(keys: &[Vec<u8>], rows: &Rows, out: &mut Vec<u8>, row_done: &mut dyn FnMut(&mut Vec<u8>)) {
    let mut first = true;
    rows.each(|r| {
        out.extend_from_slice(if first { b"\n{" } else { b",\n{" });
        first = false;
        for (i, (key, cell)) in keys.iter().zip(r).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(key);
            cell.write_json(out);
        }
        out.push(b'}');
        row_done(out);
    });
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
    hex(&Sha256::digest(bytes))
}

/// Bytes as lowercase hexadecimal.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file of the downloads, as pages list it.
#[derive(Debug, Clone)]
pub struct FileInfo {
    /// Path in the output.
    pub path: String,
    /// Size.
    pub bytes: usize,
}

/// What the pages need to know of the downloads once they are written.
#[derive(Debug, Clone)]
pub struct Downloads {
    /// Every download file, sorted by path.
    pub files: Vec<FileInfo>,
    /// Each table documented for the downloads page: name, rows, columns, files.
    pub docs: Value,
}

/// The download files of one county (its API record first), from `files` sorted by path.
pub fn files_of<'f>(files: &'f [FileInfo], code: &str) -> impl Iterator<Item = &'f FileInfo> {
    ["api/counties/", "data/counties/"].into_iter().flat_map(move |dir| {
        let prefix = format!("{dir}{code}");
        let start = files.partition_point(|f| f.path < prefix);
        files[start..].iter().take_while(move |f| f.path.starts_with(&prefix))
    })
}

/// Rows an Excel worksheet holds, the header row included.
const EXCEL_SHEET_ROWS: usize = 1_048_576;

/// Whether a table of `rows` data rows (and a header) fits one Excel worksheet.
fn fits_excel(rows: usize) -> bool {
    rows < EXCEL_SHEET_ROWS
}

/// A download file on its way to the sink: what the package and the checksums need of it.
#[derive(Debug, Clone)]
struct Written {
    info: FileInfo,
    sha256: String,
}

/// The download files of the build before, by part (a table, a county's files or API record),
/// with the hash of the part's inputs: a part whose inputs hash as before is handed on as it
/// was instead of being encoded again (the preview server keeps one).
#[derive(Debug, Default)]
pub struct DownloadMemo {
    old: HashMap<String, Arc<Part>>,
    new: std::sync::Mutex<HashMap<String, Arc<Part>>>,
    /// The tables grouped by county as the build before assembled them, by part.
    old_runs: HashMap<String, Arc<Assembled>>,
    new_runs: std::sync::Mutex<HashMap<String, Arc<Assembled>>>,
    /// Runs of rows encoded by the last build (the others were copied from the build before).
    encoding: AtomicUsize,
    /// What [`DownloadMemo::encoding`] counted, once the build is done.
    pub runs_encoded: usize,
}

/// A table grouped by county as a build assembled it: its files, and where each county's run
/// of rows lies in them with the SHA-256 state of each file before it.
#[derive(Debug)]
struct Assembled {
    /// The plain CSV; the Excel variant, when made, is the same bytes behind the mark.
    plain: bytes::Bytes,
    json: Option<bytes::Bytes>,
    runs: Vec<RunAt>,
}

/// One county's run of rows in an [`Assembled`] table.
#[derive(Debug)]
struct RunAt {
    county: String,
    key: u64,
    csv: std::ops::Range<usize>,
    json: std::ops::Range<usize>,
    /// The hashing state of the plain CSV, the Excel CSV and the JSON at the run's start.
    sha256: [Option<Sha256>; 3],
}

/// What a part of the downloads made: its datapackage resources and its files (shared: a
/// part handed on is not copied).
type Made = Arc<(Vec<Value>, Vec<Written>)>;

/// One part of the downloads: its inputs' hash, its files and what the package says of them.
#[derive(Debug)]
struct Part {
    key: u64,
    files: Vec<OutputFile>,
    made: Made,
}

/// The hashes of each part's inputs (see [`super::deps::Deps::download_key`]).
pub type PartKey<'k> = &'k (dyn Fn(&str) -> u64 + Sync);

impl DownloadMemo {
    /// The part `id` made by `make` (which writes its files into the sink it is given), or
    /// the kept one when `key` is as before; kept for the next build either way.
    fn part(
        &self,
        sink: &dyn Sink,
        id: String,
        key: u64,
        make: impl FnOnce(&dyn Sink) -> (Vec<Value>, Vec<Written>),
    ) -> Made {
        let part = match self.old.get(&id).filter(|p| p.key == key) {
            Some(part) => {
                part.files.iter().for_each(|f| sink.put(f.clone()));
                // Its runs still describe its files.
                if let Some(runs) = self.old_runs.get(&id) {
                    lock(&self.new_runs).insert(id.clone(), runs.clone());
                }
                part.clone()
            }
            None => {
                let recorded = super::Collect::default();
                let made = Arc::new(make(&super::Tee(sink, &recorded)));
                Arc::new(Part { key, files: recorded.into_files(), made })
            }
        };
        let made = part.made.clone();
        lock(&self.new).insert(id, part);
        made
    }

    /// [`DownloadMemo::part`] with the key of `part` when there is a memo; else just made.
    fn kept_or_made(
        memo: Option<(&DownloadMemo, PartKey)>,
        sink: &dyn Sink,
        id: String,
        part: &str,
        make: impl FnOnce(&dyn Sink) -> (Vec<Value>, Vec<Written>),
    ) -> Made {
        match memo {
            Some((m, key)) => m.part(sink, id, key(part), make),
            None => Arc::new(make(sink)),
        }
    }

    /// Keeps what this build made, for the next.
    fn turn(&mut self) {
        self.old = std::mem::take(self.new.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner));
        self.old_runs = std::mem::take(self.new_runs.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner));
        self.runs_encoded = std::mem::take(self.encoding.get_mut());
    }

    /// [`table_files`] of a table grouped by county (its `runs`), for the part `id`: a run
    /// whose county's key is as in the build before is copied from that build's files instead
    /// of being encoded again, and each file's SHA-256 resumes from its state before the first
    /// run that is not as before. The files are the same as [`table_files`] makes.
    fn table_files_by_run(
        &self,
        sink: &dyn Sink,
        t: &DataTable,
        id: &str,
        stem: &str,
        title: &str,
        key: PartKey,
    ) -> (Vec<Value>, Vec<Written>) {
        use rayon::prelude::*;
        let excel = fits_excel(t.rows.len());
        let with_json = excel && !stem.starts_with("counties/");
        let runs = t.runs.as_ref().map_or_else(Vec::new, |runs| runs());
        let keys: Vec<u64> = runs.iter().map(|(county, _)| key(county)).collect();
        // The build before's runs, by county; none when a county had two (the model keeps
        // rows sorted by county, so it does not happen).
        let old = self.old_runs.get(id).filter(|o| o.json.is_some() == with_json);
        let old_at: HashMap<&str, &RunAt> =
            old.map(|o| o.runs.iter().map(|r| (r.county.as_str(), r)).collect()).unwrap_or_default();
        let old = old.filter(|o| old_at.len() == o.runs.len());
        let json_keys = json_keys(t);
        let chunks: Vec<(bytes::Bytes, bytes::Bytes)> = runs
            .par_iter()
            .zip(&keys)
            .map(|((county, rows), key)| {
                if let Some((o, r)) = old.and_then(|o| old_at.get(county).filter(|r| r.key == *key).map(|r| (o, r))) {
                    let json = o.json.as_ref().map_or_else(bytes::Bytes::new, |j| j.slice(r.json.clone()));
                    return (o.plain.slice(r.csv.clone()), json);
                }
                self.encoding.fetch_add(1, Ordering::Relaxed);
                let mut w = csv_writer(Vec::new());
                write_csv_rows(rows, &mut w);
                let csv = w.into_inner().expect(FAILS);
                let mut json = Vec::new();
                if with_json {
                    write_json_rows(&json_keys, rows, &mut json, &mut |_| {});
                }
                (csv.into(), json.into())
            })
            .collect();
        // The runs before the first that is not as before start at the same bytes as then.
        let same = old.map_or(0, |o| {
            runs.iter().zip(&keys).zip(&o.runs).take_while(|(((c, _), k), r)| r.county == *c && r.key == **k).count()
        });
        let csv = || {
            let mut header = csv_writer(Vec::new());
            header.write_record(t.columns.iter().map(|c| c.0)).expect(FAILS);
            let header = header.into_inner().expect(FAILS);
            let mut out =
                Vec::with_capacity(BOM.len() + header.len() + chunks.iter().map(|c| c.0.len()).sum::<usize>());
            out.extend_from_slice(BOM);
            out.extend_from_slice(&header);
            let ranges: Vec<_> = chunks
                .iter()
                .map(|(c, _)| {
                    let start = out.len() - BOM.len();
                    out.extend_from_slice(c);
                    start..start + c.len()
                })
                .collect();
            (bytes::Bytes::from(out), ranges)
        };
        let json = || {
            with_json.then(|| {
                let mut out = Vec::with_capacity(8 + chunks.iter().map(|c| c.1.len() + 1).sum::<usize>());
                out.push(b'[');
                let mut any = false;
                let ranges: Vec<_> = chunks
                    .iter()
                    .map(|(_, c)| {
                        if any && !c.is_empty() {
                            out.push(b',');
                        }
                        any |= !c.is_empty();
                        let start = out.len();
                        out.extend_from_slice(c);
                        start..out.len()
                    })
                    .collect();
                out.extend_from_slice(b"\n]\n");
                (bytes::Bytes::from(out), ranges)
            })
        };
        let ((excel_bytes, csv_at), json) = rayon::join(csv, json);
        let plain = excel_bytes.slice(BOM.len()..);
        // Each file hashed from the state before the first run not as before.
        let resume =
            |which: usize| old.map(|o| (same, o.runs.iter().map(|r| r.sha256[which].clone()).collect::<Vec<_>>()));
        let plain_starts: Vec<usize> = csv_at.iter().map(|r| r.start).collect();
        let hash_plain = || sha256_resuming(&plain, &plain_starts, resume(0));
        let hash_excel = || {
            excel.then(|| {
                let starts: Vec<usize> = plain_starts.iter().map(|s| s + BOM.len()).collect();
                sha256_resuming(&excel_bytes, &starts, resume(1))
            })
        };
        let hash_json = || {
            json.as_ref().map(|(bytes, ranges)| {
                let starts: Vec<usize> = ranges.iter().map(|r| r.start).collect();
                sha256_resuming(bytes, &starts, resume(2))
            })
        };
        let ((plain_sha, excel_sha), json_sha) = rayon::join(|| rayon::join(hash_plain, hash_excel), hash_json);
        let put = |suffix: &str, bytes: bytes::Bytes, sha256: String| {
            let path = format!("data/{stem}{suffix}");
            let info = FileInfo { path: path.clone(), bytes: bytes.len() };
            sink.put(OutputFile::new(path, bytes));
            Written { info, sha256 }
        };
        let mut states: Vec<[Option<Sha256>; 3]> = vec![Default::default(); runs.len()];
        for (which, hashed) in [Some(&plain_sha), excel_sha.as_ref(), json_sha.as_ref()].into_iter().enumerate() {
            for (state, s) in states.iter_mut().zip(hashed.iter().flat_map(|h| &h.1)) {
                state[which] = Some(s.clone());
            }
        }
        let written = [
            Some(put(".csv", plain.clone(), plain_sha.0)),
            excel_sha.map(|(sha, _)| put("-excel.csv", excel_bytes, sha)),
            json.as_ref().zip(json_sha).map(|((bytes, _), (sha, _))| put(".json", bytes.clone(), sha)),
        ];
        let runs = runs
            .iter()
            .zip(keys)
            .zip(csv_at)
            .zip(states)
            .enumerate()
            .map(|(i, ((((county, _), key), csv), sha256))| RunAt {
                county: county.to_string(),
                key,
                csv,
                json: json.as_ref().map_or(0..0, |(_, ranges)| ranges[i].clone()),
                sha256,
            })
            .collect();
        let assembled = Assembled { plain, json: json.map(|(bytes, _)| bytes), runs };
        lock(&self.new_runs).insert(id.to_string(), Arc::new(assembled));
        described(t, stem, title, written)
    }
}

/// A lock, taken even if a thread panicked holding it.
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The SHA-256 of `file` in hex, and the hasher's state at each of `starts` (ascending
/// offsets). `resume` holds the states a build before took at its own starts, and how many
/// of them lie before bytes that are as then: hashing resumes from the last such state.
fn sha256_resuming(
    file: &[u8],
    starts: &[usize],
    resume: Option<(usize, Vec<Option<Sha256>>)>,
) -> (String, Vec<Sha256>) {
    let mut states = Vec::with_capacity(starts.len());
    // The state at `starts[i]` is valid while the bytes before it are as then: for i ≤ same.
    let resumed = resume.and_then(|(same, old)| {
        let i = same.min(starts.len().checked_sub(1)?);
        let kept: Option<Vec<Sha256>> = old.into_iter().take(i + 1).collect();
        kept.filter(|k| k.len() == i + 1)
    });
    let (mut hasher, from) = match resumed {
        Some(mut kept) => {
            let hasher = kept.pop().expect("one state at least");
            let from = kept.len();
            states = kept;
            (hasher, from)
        }
        None => {
            let mut hasher = Sha256::new();
            hasher.update(&file[..starts.first().copied().unwrap_or(file.len())]);
            (hasher, 0)
        }
    };
    for (i, &start) in starts.iter().enumerate().skip(from) {
        states.push(hasher.clone());
        hasher.update(&file[start..starts.get(i + 1).copied().unwrap_or(file.len())]);
    }
    (hex(&hasher.finalize()), states)
}

/// The byte-order mark before the Excel variant of a CSV file.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Tables of this many cells or more are streamed to sinks that take streams.
const STREAM_CELLS: usize = 1 << 20;

/// A streamed download file on its way: its SHA-256 and size are kept as it is written.
struct Hashing<'s> {
    path: String,
    file: Box<dyn Streamed + 's>,
    sha256: Sha256,
    bytes: usize,
}

impl<'s> Hashing<'s> {
    fn new(path: String, file: Box<dyn Streamed + 's>) -> Self {
        Hashing { path, file, sha256: Sha256::new(), bytes: 0 }
    }

    /// Writes `bytes` (a streamed file does not fail: its sink records errors).
    fn write_all_of(&mut self, bytes: &[u8]) {
        use std::io::Write as _;
        let _ = self.write_all(bytes);
    }

    fn finish(self) -> Written {
        self.file.finish();
        let sha256 = hex(&self.sha256.finalize());
        Written { info: FileInfo { path: self.path, bytes: self.bytes }, sha256 }
    }
}

impl std::io::Write for Hashing<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.sha256.update(&buf[..n]);
        self.bytes += n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Writes the same bytes to two writers.
struct Both<'a, 'b, 's>(&'a mut Hashing<'s>, &'b mut Hashing<'s>);

impl std::io::Write for Both<'_, '_, '_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write_all(buf)?;
        self.1.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()?;
        self.1.flush()
    }
}

fn emit(sink: &dyn Sink, path: String, bytes: impl Into<bytes::Bytes>) -> Written {
    let bytes = bytes.into();
    let sha256 = sha256_hex(&bytes);
    let info = FileInfo { path: path.clone(), bytes: bytes.len() };
    sink.put(OutputFile::new(path, bytes));
    Written { info, sha256 }
}

/// Each table's Table Schema, written once and referenced by the resources that share it.
type Schemas = std::sync::Mutex<std::collections::BTreeMap<&'static str, Value>>;

/// Writes one table in its formats; returns its datapackage resources and files.
fn table_files(sink: &dyn Sink, t: &DataTable, stem: String, title: String) -> (Vec<Value>, Vec<Written>) {
    // A table too long for an Excel sheet goes out as plain CSV only (an Excel file that
    // opens cut short, or a JSON array of millions of objects, serves nobody). Per-county
    // files are CSV only: each county's JSON is its API record.
    let fits = fits_excel(t.rows.len());
    // Files are written as soon as they are encoded. The Excel variant is the same bytes
    // behind a byte-order mark: encoded once, and the plain file is a view of it past the
    // mark (no copy). The JSON is encoded meanwhile when a thread is free to take it.
    let path = |suffix: &str| format!("{stem}{suffix}");
    // A large table goes to a sink that writes files as they come (a build), never whole in
    // memory: both CSV files from one encoding, the JSON a row at a time.
    let large = t.rows.len().saturating_mul(t.columns.len()) >= STREAM_CELLS;
    let csv = || {
        let plain_path = format!("data/{}", path(".csv"));
        if let Some(plain) = large.then(|| sink.stream(&plain_path)).flatten() {
            let excel_path = format!("data/{}", path("-excel.csv"));
            let mut plain = Hashing::new(plain_path, plain);
            let mut excel = fits.then(|| sink.stream(&excel_path)).flatten().map(|f| Hashing::new(excel_path, f));
            match &mut excel {
                Some(excel) => {
                    excel.write_all_of(BOM);
                    write_csv(t, Both(excel, &mut plain));
                }
                None => write_csv(t, &mut plain),
            }
            return (excel.map(Hashing::finish), Some(plain.finish()));
        }
        let excel_bytes = bytes::Bytes::from(to_csv(t, BOM));
        let excel = fits.then(|| emit(sink, format!("data/{}", path("-excel.csv")), excel_bytes.clone()));
        (excel, Some(emit(sink, plain_path, excel_bytes.slice(BOM.len()..))))
    };
    let json = || {
        if !fits || stem.starts_with("counties/") {
            return None;
        }
        let json_path = format!("data/{}", path(".json"));
        if let Some(file) = large.then(|| sink.stream(&json_path)).flatten() {
            let mut file = Hashing::new(json_path, file);
            let mut out = Vec::with_capacity(1 << 17);
            write_json(t, &mut out, &mut |out| {
                if out.len() >= 1 << 16 {
                    file.write_all_of(out);
                    out.clear();
                }
            });
            file.write_all_of(&out);
            return Some(file.finish());
        }
        Some(emit(sink, json_path, to_json(t)))
    };
    let ((excel, plain), json) = rayon::join(csv, json);
    described(t, &stem, &title, [plain, excel, json])
}

/// The datapackage resources of a table's files (plain CSV, Excel CSV, JSON, each if written),
/// and the files.
fn described(t: &DataTable, stem: &str, title: &str, written: [Option<Written>; 3]) -> (Vec<Value>, Vec<Written>) {
    let schema = format!("schemas/{}.json", t.name);
    let [plain, excel, json] = written;
    let mut resources = Vec::new();
    let mut files = Vec::new();
    for (suffix, written, format, encoding, media) in [
        (".csv", plain, "csv", "utf-8", "text/csv"),
        ("-excel.csv", excel, "csv", "utf-8-sig", "text/csv"),
        (".json", json, "json", "utf-8", "application/json"),
    ] {
        let Some(written) = written else { continue };
        let path = format!("{stem}{suffix}");
        let name = path.trim_end_matches(".csv").trim_end_matches(".json").replace('/', "-").to_lowercase()
            + if suffix == ".json" { "-json" } else { "" };
        resources.push(json!({
            "name": name, "path": path, "title": title, "profile": "tabular-data-resource",
            "format": format, "mediatype": media, "encoding": encoding, "bytes": written.info.bytes,
            "hash": format!("sha256:{}", written.sha256), "schema": schema,
        }));
        files.push(written);
    }
    (resources, files)
}

/// Writes every download into `sink`: the tables, per-county files, the API, the package and
/// the checksums. Tables are encoded in parallel and dropped once written.
pub fn downloads(site: &Analysed, sink: &dyn Sink) -> Downloads {
    downloads_with(site, sink, None)
}

/// [`downloads`], handing on the parts of `memo` whose inputs (hashed by the key function)
/// did not change, and keeping this build's parts in it.
pub fn downloads_with(site: &Analysed, sink: &dyn Sink, mut memo: Option<(&mut DownloadMemo, PartKey)>) -> Downloads {
    let made = downloads_in(site, sink, memo.as_ref().map(|(m, k)| (&**m, *k)));
    if let Some((m, _)) = &mut memo {
        m.turn();
    }
    made
}

fn downloads_in<'s>(site: &'s Analysed, sink: &dyn Sink, memo: Option<(&DownloadMemo, PartKey)>) -> Downloads {
    use rayon::prelude::*;
    // Each table in its formats with its datapackage resources. Per-county files go out as
    // CSV only (for Excel and plain); the API holds each county in JSON.
    // Each table's schema is written once and referenced by the resources that share it.
    let schemas = Schemas::default();
    let register = |t: &DataTable| {
        lock(&schemas).entry(t.name).or_insert_with(|| table_schema(t));
    };
    // `part` names what the files are made from (a table, or a county's data).
    let table_files = |t: &DataTable, stem: String, title: String, part: &str| {
        // The schema is registered whether the files are made or handed on.
        register(t);
        let id = format!("table {stem}");
        match memo {
            // A table grouped by county is assembled from its counties' runs.
            Some((m, key)) if t.runs.is_some() => {
                m.part(sink, id.clone(), key(part), |s| m.table_files_by_run(s, t, &id, &stem, &title, key))
            }
            _ => DownloadMemo::kept_or_made(memo, sink, id, part, |s| table_files(s, t, stem, title)),
        }
    };
    // A county's table, built only when its files are made (or its schema is not yet known).
    let county_files = |name: &str, build: &dyn Fn() -> DataTable<'s>, stem: String, title: String, code: &str| {
        let known = lock(&schemas).contains_key(name);
        match memo {
            Some((m, key)) if known => {
                m.part(sink, format!("table {stem}"), key(code), |s| self::table_files(s, &build(), stem, title))
            }
            _ => table_files(&build(), stem, title, code),
        }
    };
    let tables = tables(site);
    // The national tables are encoded one after another (a national encoding is hundreds of
    // megabytes: two at once would be the build's peak of memory) while the other thread
    // makes the per-county files; work-stealing then shares those between both.
    let national = || -> Vec<Made> {
        tables.iter().map(|t| table_files(t, t.name.to_string(), t.name.to_string(), t.name)).collect()
    };
    let counties = || -> Vec<Vec<Made>> {
        site.counties
            .par_iter()
            .map(|c| {
                let mut out = Vec::new();
                if !site.audited_years(&c.code).is_empty() {
                    out.push(county_files(
                        "school_terms",
                        &|| school_terms_table(site, &c.code),
                        format!("counties/{}-schools", c.code),
                        format!("schools {} {}", c.code, c.name),
                        &c.code,
                    ));
                }
                if !site.sheets_of(&c.code).is_empty() {
                    out.push(county_files(
                        "results",
                        &|| results_table(site, Some(&c.code)),
                        format!("counties/{}", c.code),
                        format!("results {} {}", c.code, c.name),
                        &c.code,
                    ));
                }
                out
            })
            .collect()
    };
    let (mut parts, per_county) = rayon::join(national, counties);
    let mut docs: Vec<Value> = tables.iter().zip(&parts).map(|(t, made)| table_doc(t, &made.1, true)).collect();
    drop(tables);
    // Per-county files are described once, with the pattern of their names.
    if let Some(c) = site.counties.iter().find(|c| !site.audited_years(&c.code).is_empty()) {
        docs.push(table_doc(&school_terms_table(site, &c.code), &[], false));
    }
    parts.extend(per_county.into_iter().flatten());
    // What the parts made is read in place (a part handed on is shared with the memo).
    let resources: Vec<&Value> = parts.iter().flat_map(|made| &made.0).collect();
    let mut own = Vec::new();
    for (name, schema) in schemas.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
        own.push(emit(sink, format!("data/schemas/{name}.json"), pretty(&schema)));
    }
    let c = &site.config;
    let dl = c.default_language();
    /// The package, with its resources borrowed (the keys in this order, as written).
    #[derive(serde::Serialize)]
    struct Package<'a> {
        profile: &'a str,
        name: &'a str,
        title: &'a str,
        homepage: &'a str,
        licenses: Value,
        sources: Vec<Value>,
        resources: Vec<&'a Value>,
    }
    let package = Package {
        profile: "tabular-data-package",
        name: "junheng-portal-data",
        title: c.title.get(dl, dl),
        homepage: &c.base_url,
        licenses: json!([{ "name": c.license, "path": c.license_url }]),
        sources: site.sources.iter().map(|s| json!({ "title": s.title, "path": s.url })).collect(),
        resources,
    };
    own.push(emit(sink, "data/datapackage.json".into(), pretty(&package)));
    let api: Vec<Made> = site
        .counties
        .par_iter()
        .map(|county| {
            let path = format!("api/counties/{}.json", county.code);
            DownloadMemo::kept_or_made(memo, sink, path.clone(), &county.code, |s| {
                (Vec::new(), vec![emit(s, path, county_api(site, &county.code))])
            })
        })
        .collect();
    let index: Vec<Value> = site
        .counties
        .iter()
        .map(|c| json!({ "code": c.code, "name": c.name, "path": format!("counties/{}.json", c.code) }))
        .collect();
    own.push(emit(sink, "api/counties.json".into(), pretty(&json!({ "counties": index }))));
    own.push(emit(sink, SCHEMA_PATH.into(), pretty(&county_schema())));
    let mut files: Vec<&Written> = parts.iter().chain(&api).flat_map(|made| &made.1).chain(&own).collect();
    files.sort_by(|a, b| a.info.path.cmp(&b.info.path));
    let sums: String = files
        .iter()
        .filter(|f| f.info.path.starts_with("data/"))
        .map(|f| format!("{}  {}\n", f.sha256, f.info.path.trim_start_matches("data/")))
        .collect();
    let sums = emit(sink, "data/SHA256SUMS".into(), sums.into_bytes());
    let mut files: Vec<FileInfo> = files.into_iter().chain([&sums]).map(|f| f.info.clone()).collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Downloads { files, docs: Value::Array(docs) }
}

/// Documentation of a table for the downloads page: name, rows, columns and its files.
fn table_doc(t: &DataTable, files: &[Written], count_rows: bool) -> Value {
    let own: Vec<Value> = files
        .iter()
        .map(|f| json!({ "path": f.info.path, "name": f.info.path.trim_start_matches("data/"), "bytes": f.info.bytes }))
        .collect();
    let rows = if count_rows { json!(t.rows.len()) } else { Value::Null };
    let csv_only = !fits_excel(t.rows.len());
    let columns: Vec<Value> = t
        .columns
        .iter()
        .map(|(n, ty)| match VALUE_COLUMNS.iter().find(|c| c.2 == *n) {
            Some((scheme, id, _)) => json!({ "name": n, "type": ty.name(), "scheme": scheme, "indicator": id }),
            None => json!({ "name": n, "type": ty.name(), "scheme": null, "indicator": null }),
        })
        .collect();
    json!({ "name": t.name, "rows": rows, "files": own, "columns": columns, "csv_only": csv_only })
}

/// Indented JSON with a final newline (the package, the schemas, the API's county index).
fn pretty(v: &impl serde::Serialize) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(v).expect("JSON of plain values");
    out.push(b'\n');
    out
}

/// The county finder's static index (`search.json`): code, name, English name, prefecture,
/// province, full pinyin and pinyin initials (港北区 → `gangbeiqu`, `gbq`).
pub fn search_index(site: &Analysed) -> Vec<u8> {
    let rows: Vec<Value> = site
        .counties
        .iter()
        .map(|c| {
            let prefecture = site.prefecture(&c.prefecture_code).map_or(c.prefecture.as_str(), |p| p.name.as_str());
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
pub fn county_api(site: &Analysed, code: &str) -> Vec<u8> {
    let c = site.county(code).expect("API files are made for known counties");
    // Sheets are the bulk of a record: written straight from the model (fields in the order
    // of the schema), not through `serde_json` maps.
    let sheets: Vec<ApiSheet> = site
        .sheets_of(code)
        .iter()
        .map(|sh| {
            let basic = sh.scheme == Scheme::Basic;
            ApiSheet {
                school_year: sh.school_year.to_string(),
                level: sh.level,
                scheme: sh.scheme,
                rules: sh.rules,
                schools: sh.schools,
                indicators: sh.rows.iter().map(ApiRow).collect(),
                failing_schools: (!basic).then_some(sh.failing_schools),
                composite: basic.then(|| match &sh.composite {
                    Some(c) => ApiComposite {
                        cv: Some(c.cv),
                        basis: Some(c.basis),
                        reported_cv: c.reported_cv,
                        computed_cv: c.computed_cv,
                        disagrees: c.disagrees,
                        threshold: c.threshold,
                        meets: Some(c.meets),
                        source: c.source.as_deref(),
                    },
                    None => ApiComposite {
                        cv: None,
                        basis: None,
                        reported_cv: None,
                        computed_cv: None,
                        disagrees: None,
                        threshold: site.rules.basic.threshold(sh.level),
                        meets: None,
                        source: None,
                    },
                }),
                meets_all: (!basic).then_some(sh.meets_all),
            }
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
    let record = ApiCounty {
        schema: "../schema/county.schema.json",
        schema_version: 1,
        county: c,
        status: ApiStatus { basic: status(Scheme::Basic), quality: status(Scheme::Quality) },
        sheets,
        milestones,
        metrics,
        sources,
    };
    let mut out = serde_json::to_vec(&record).expect("JSON of plain values");
    out.push(b'\n');
    out
}

/// `api/counties/<code>.json` (see [`county_schema`]).
#[derive(serde::Serialize)]
struct ApiCounty<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    schema_version: u32,
    county: &'a crate::model::County,
    status: ApiStatus,
    sheets: Vec<ApiSheet<'a>>,
    milestones: Vec<Value>,
    metrics: Vec<Value>,
    sources: Vec<Value>,
}

#[derive(serde::Serialize)]
struct ApiStatus {
    basic: Value,
    quality: Value,
}

/// One sheet of an API record: quality sheets end with `failing_schools` and `meets_all`,
/// basic ones with `composite`.
#[derive(serde::Serialize)]
struct ApiSheet<'a> {
    school_year: String,
    level: crate::model::Level,
    scheme: Scheme,
    rules: &'static str,
    schools: Option<usize>,
    indicators: Vec<ApiRow<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failing_schools: Option<Option<usize>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    composite: Option<ApiComposite<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    meets_all: Option<Option<bool>>,
}

#[derive(serde::Serialize)]
struct ApiComposite<'a> {
    cv: Option<f64>,
    basis: Option<crate::engine::Basis>,
    reported_cv: Option<f64>,
    computed_cv: Option<f64>,
    disagrees: Option<bool>,
    threshold: f64,
    meets: Option<bool>,
    source: Option<&'a str>,
}

/// An indicator row of an API record: the public fields of a [`crate::engine::SheetRow`].
struct ApiRow<'a>(&'a crate::engine::SheetRow);

impl serde::Serialize for ApiRow<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let r = self.0;
        let mut s = serializer.serialize_struct("ApiRow", 12)?;
        s.serialize_field("indicator", r.indicator)?;
        s.serialize_field("value", &r.value)?;
        s.serialize_field("reported_value", &r.reported_value)?;
        s.serialize_field("computed_value", &r.computed_value)?;
        s.serialize_field("cv", &r.cv)?;
        s.serialize_field("reported_cv", &r.reported_cv)?;
        s.serialize_field("computed_cv", &r.computed_cv)?;
        s.serialize_field("disagrees", &r.disagrees)?;
        s.serialize_field("threshold", &r.threshold)?;
        s.serialize_field("standard", &r.standard)?;
        s.serialize_field("meets", &r.meets)?;
        s.serialize_field("source", &r.source)?;
        s.end()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    // Guards the school download's value columns against the rules: one per indicator, in order.
    #[test]
    fn value_columns_follow_the_rules() {
        let rules = crate::model::rules::Rules::default();
        let expected: Vec<(Scheme, String)> = Scheme::ALL
            .iter()
            .flat_map(|&sc| rules.of(sc).indicators.iter().map(move |i| (sc, format!("{}_{}", sc.id(), i.id))))
            .collect();
        let actual: Vec<(Scheme, String)> = VALUE_COLUMNS
            .iter()
            .map(|&(sc, id, name)| {
                assert_eq!(name, format!("{}_{id}", sc.id()));
                (sc, name.to_string())
            })
            .collect();
        assert_eq!(actual, expected);
    }

    /// A sink that takes streams (as a build does) and keeps what they wrote.
    #[derive(Default)]
    struct Streams(crate::render::Collect);

    struct Buffer<'a>(&'a Streams, String, Vec<u8>);

    impl std::io::Write for Buffer<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.2.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Streamed for Buffer<'_> {
        fn finish(self: Box<Self>) {
            self.0.0.put(OutputFile::new(format!("streamed/{}", self.1), self.2));
        }
    }

    impl Sink for Streams {
        fn put(&self, file: OutputFile) {
            self.0.put(file);
        }

        fn stream(&self, path: &str) -> Option<Box<dyn Streamed + '_>> {
            Some(Box::new(Buffer(self, path.to_string(), Vec::new())))
        }
    }

    // Guards streamed downloads: a table large enough to be streamed gives, file for file, the
    // bytes (CSV with and without the byte-order mark, JSON) and the package entries (sizes,
    // SHA-256) of the same table made in memory.
    #[test]
    fn streamed_tables_equal_tables_made_whole() {
        let rows = STREAM_CELLS / 8 + 1;
        let row = |i: usize| {
            vec![
                Cell::Int(i as u64),
                s(format!("学校{i}, \"甲\"")),
                Cell::Num(i as f64 / 7.0),
                Cell::Fixed(0.5 + i as f64, Some(2)),
                Cell::Null,
                Cell::Bool(i % 2 == 0),
                s("450802"),
                Cell::Num(-1e-7 * i as f64),
            ]
        };
        let table = || DataTable {
            name: "results",
            columns: vec![
                ("i", Ty::Int),
                ("name", Ty::Str),
                ("x", Ty::Num),
                ("fixed", Ty::Num),
                ("none", Ty::Str),
                ("b", Ty::Bool),
                ("county", Ty::Str),
                ("y", Ty::Num),
            ],
            primary_key: &[],
            rows: Rows::made(rows, move || Box::new((0..rows).map(row))),
            runs: None,
        };
        let whole = crate::render::Collect::default();
        let (whole_resources, whole_written) = table_files(&whole, &table(), "t".into(), "t".into());
        let streams = Streams::default();
        let (streamed_resources, streamed_written) = table_files(&streams, &table(), "t".into(), "t".into());
        assert_eq!(whole_resources, streamed_resources);
        let key = |w: &Written| (w.info.path.clone(), w.info.bytes, w.sha256.clone());
        assert_eq!(
            whole_written.iter().map(key).collect::<Vec<_>>(),
            streamed_written.iter().map(key).collect::<Vec<_>>()
        );
        let whole = whole.into_files();
        let streamed = streams.0.into_files();
        assert_eq!(whole.len(), 3);
        assert_eq!(streamed.len(), 3, "every file streamed");
        for (w, s) in whole.iter().zip(&streamed) {
            assert_eq!(format!("streamed/{}", w.path), s.path);
            assert!(w.bytes == s.bytes, "{} differs", w.path);
        }
    }

    // Guards the Excel sheet limit: a table one row too long for a worksheet is published as
    // plain CSV only; one that fits keeps all three formats.
    #[test]
    fn tables_beyond_an_excel_sheet_are_csv_only() {
        let paths = |rows: usize| {
            let t = DataTable {
                name: "sources",
                columns: vec![("n", Ty::Int)],
                primary_key: &[],
                rows: Rows::Held(vec![vec![Cell::Int(1)]; rows]),
                runs: None,
            };
            let sink = crate::render::Collect::default();
            let (resources, _) = table_files(&sink, &t, "t".into(), "t".into());
            let files: Vec<String> = sink.into_files().into_iter().map(|f| f.path).collect();
            assert_eq!(resources.len(), files.len());
            files
        };
        assert_eq!(paths(EXCEL_SHEET_ROWS - 1), ["data/t-excel.csv", "data/t.csv", "data/t.json"]);
        assert_eq!(paths(EXCEL_SHEET_ROWS), ["data/t.csv"]);
    }

    // Guards the tables assembled from runs (the preview's national tables): after each edit
    // (a county's rows changed, one emptied, one gone, one new, none) the files, sizes and
    // SHA-256 sums equal those of the table made whole, and only the runs whose county's key
    // changed were encoded again.
    #[test]
    fn tables_assembled_from_runs_equal_tables_made_whole() {
        let row = |county: &str, i: u32, v: u32| {
            vec![
                s(county.to_string()),
                Cell::Int(u64::from(i)),
                s(format!("学校{i}, \"{v}\"")),
                Cell::Num(f64::from(v) / 7.0),
            ]
        };
        // Each build: (county, rows, version of its rows).
        let builds: [&[(&str, u32, u32)]; 5] = [
            &[("A", 3, 0), ("B", 0, 0), ("C", 2, 0), ("D", 4, 0)],
            &[("A", 3, 0), ("B", 0, 0), ("C", 2, 1), ("D", 4, 0)],
            &[("A", 1, 2), ("B", 0, 0), ("C", 2, 1), ("E", 2, 0)],
            &[("A", 1, 2), ("B", 0, 0), ("C", 2, 1), ("E", 2, 0)],
            &[("A", 0, 3), ("B", 0, 0), ("C", 0, 2), ("E", 0, 1)],
        ];
        let encoded = [4, 1, 2, 0, 3];
        let mut memo = DownloadMemo::default();
        for (build, expected) in builds.iter().zip(encoded) {
            let runs: Vec<(&str, Vec<Vec<Cell>>)> =
                build.iter().map(|&(c, n, v)| (c, (0..n).map(|i| row(c, i, v)).collect())).collect();
            let table = || DataTable {
                name: "results",
                columns: vec![("county", Ty::Str), ("i", Ty::Int), ("name", Ty::Str), ("x", Ty::Num)],
                primary_key: &[],
                rows: Rows::Held(runs.iter().flat_map(|(_, rows)| rows.clone()).collect()),
                runs: Some(Box::new(|| runs.iter().map(|(c, rows)| (*c, Rows::Held(rows.clone()))).collect())),
            };
            let versions: HashMap<&str, u64> = build.iter().map(|&(c, n, v)| (c, u64::from(n * 100 + v))).collect();
            let key = |county: &str| versions[county];
            let assembled = crate::render::Collect::default();
            let (resources, written) = memo.table_files_by_run(&assembled, &table(), "table t", "t", "t", &key);
            memo.turn();
            let whole = crate::render::Collect::default();
            let (whole_resources, whole_written) = table_files(&whole, &table(), "t".into(), "t".into());
            assert_eq!(resources, whole_resources, "{build:?}");
            let sums = |w: &[Written]| w.iter().map(|w| (w.info.path.clone(), w.sha256.clone())).collect::<Vec<_>>();
            assert_eq!(sums(&written), sums(&whole_written));
            assert!(assembled.into_files() == whole.into_files(), "{build:?}");
            assert_eq!(memo.runs_encoded, expected, "{build:?}");
        }
    }
}
