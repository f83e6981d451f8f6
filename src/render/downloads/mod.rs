//! The downloads, one format for each kind of reader: plain UTF-8 CSV for programs (a large
//! table gzipped, one file per province), workbooks (`.xlsx`) for Excel and WPS (each table, and
//! each county's results and school values), the static API with its JSON Schema for programs,
//! a Frictionless `datapackage.json` describing the CSV files, and `SHA256SUMS`.
//!
//! The input tables are written back in the input format, so a download is also a valid
//! junheng input (the round-trip tests rely on it).

mod api;
mod cells;
mod columns;
mod encode;
mod sqlite;
mod tables;
mod xlsx;

pub use api::{county_api, county_schema};
use cells::*;
pub use encode::sha256_hex;
use encode::*;
use tables::*;
use xlsx::{Book, to_xlsx};
pub use xlsx::{Words, entry_workbook};

use std::borrow::Cow;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rayon::prelude::*;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::scope::{Read, Reading, Reads, Scope};
use super::{OutputFile, Sink};
use crate::config::{AuditYears, Format};
use crate::job::Job;
use crate::model::{IndicatorRef, Scheme};
/// Where the API's JSON Schema is written.
pub const SCHEMA_PATH: &str = "api/schema/county.schema.json";

/// The name of every national table, in the order the downloads list them (`changes` only
/// on a site with a revision history): each goes out as CSV, as a workbook and into the
/// database.
pub fn table_names() -> impl Iterator<Item = &'static str> {
    NATIONAL.iter().map(|n| n.name)
}

/// A file of the downloads, as pages list it.
#[derive(Debug, Clone, PartialEq, Hash)]
pub struct FileInfo {
    /// Path in the output.
    pub path: String,
    /// Size.
    pub bytes: usize,
}

/// What the pages need to know of the downloads once they are written.
#[derive(Debug, Clone, PartialEq)]
pub struct Downloads {
    /// Every download file, sorted by path.
    pub files: Vec<FileInfo>,
    /// Each table documented for the downloads page: name, rows, columns, files.
    pub docs: Value,
    /// The files of the database (or of each province's), for the downloads page.
    pub databases: Value,
    /// The hash of both.
    hash: u64,
}

impl Hash for Downloads {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.hash.hash(h);
    }
}

/// The download files of one county (its API record, then its workbooks), from `files` sorted
/// by path.
pub fn files_of<'f>(files: &'f [FileInfo], code: &str) -> [&'f [FileInfo]; 2] {
    ["api/counties/", "data/counties/"].map(|dir| {
        let prefix = format!("{dir}{code}");
        let start = files.partition_point(|f| f.path < prefix);
        let len = files[start..].partition_point(|f| f.path.starts_with(&prefix));
        &files[start..start + len]
    })
}

/// Rows an Excel worksheet holds, the header row included.
const EXCEL_SHEET_ROWS: usize = 1_048_576;

/// A download file on its way to the sink: what the package and the checksums need of it.
#[derive(Debug, Clone, PartialEq, Hash)]
struct Written {
    info: FileInfo,
    sha256: String,
}

fn emit(sink: &dyn Sink, path: String, bytes: impl Into<bytes::Bytes>) -> Written {
    let bytes = bytes.into();
    let sha256 = sha256_hex(&bytes);
    let info = FileInfo { path: path.clone(), bytes: bytes.len() };
    sink.put(OutputFile::new(path, bytes));
    Written { info, sha256 }
}

/// How a table's CSV file is written.
#[derive(Debug, Clone, Copy, PartialEq, Hash)]
enum Csv {
    Plain,
    /// Gzipped (`.csv.gz`): the parts of a large table.
    Gzip,
}

/// Writes one table (or part of one) as `data/<stem>.csv[.gz]` and `data/<stem>.xlsx` (of the
/// rows of `for_workbook` if given); returns the CSV file's datapackage resource and the files.
fn table_files<'s>(
    sink: &dyn Sink,
    t: &DataTable<'s>,
    for_workbook: Option<&DataTable<'s>>,
    stem: &str,
    csv: Csv,
    book: &Book,
) -> (Vec<Value>, Vec<Written>) {
    let formats = &book.config.downloads;
    let csv_file = || match csv {
        _ if !formats.writes(Format::Csv) => None,
        Csv::Plain => Some(emit(sink, format!("data/{stem}.csv"), to_csv(t))),
        Csv::Gzip => Some(emit(sink, format!("data/{stem}.csv.gz"), to_csv_gz(t))),
    };
    let workbook = || {
        let tables = [for_workbook.unwrap_or(t)];
        formats.writes(Format::Xlsx).then(|| emit(sink, format!("data/{stem}.xlsx"), to_xlsx(&tables, book)))
    };
    let (csv_file, workbook) = rayon::join(csv_file, workbook);
    let resources = csv_file
        .iter()
        .map(|written| {
            let mut resource = json!({
                "name": stem.replace('/', "-").to_lowercase(), "path": written.info.path.trim_start_matches("data/"),
                "title": book.part.as_ref().map_or_else(|| t.name.to_string(), |p| format!("{} ({p})", t.name)),
                "profile": "tabular-data-resource", "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                "bytes": written.info.bytes, "hash": format!("sha256:{}", written.sha256),
                "schema": format!("schemas/{}.json", t.name),
            });
            if csv == Csv::Gzip {
                resource["compression"] = json!("gz");
            }
            resource
        })
        .collect();
    (resources, csv_file.into_iter().chain(workbook).collect())
}

/// What one part of the downloads made (a national table or a province's part of one, a
/// county's workbook or its API record): its datapackage resources and files, and its table's
/// documentation and Table Schema.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Part {
    resources: Vec<Value>,
    written: Vec<Written>,
    /// A national table's documentation for the downloads page (the parts of a table each
    /// document theirs: the page joins them).
    doc: Option<Value>,
    /// The documentation of the tables of the county workbooks (their columns: the page lists
    /// them once), a list.
    pattern_doc: Option<Value>,
    schema: Option<(&'static str, Value)>,
    /// A database's files, for the downloads page.
    database: Option<Value>,
    /// The hash of all of the above.
    hash: u64,
}

impl Part {
    fn new(
        (resources, written): (Vec<Value>, Vec<Written>),
        doc: Option<Value>,
        pattern_doc: Option<Value>,
        schema: Option<(&'static str, Value)>,
    ) -> Arc<Self> {
        let mut h = std::hash::DefaultHasher::new();
        written.hash(&mut h);
        crate::util::hash::add(&mut h, &(&resources, &doc, &pattern_doc, &schema));
        Arc::new(Part { resources, written, doc, pattern_doc, schema, database: None, hash: h.finish() })
    }

    /// The part, with a database's files listed for the downloads page.
    fn with_database(self: Arc<Self>, files: Value) -> Arc<Self> {
        let mut part = Arc::unwrap_or_clone(self);
        let mut h = std::hash::DefaultHasher::new();
        part.hash.hash(&mut h);
        crate::util::hash::add(&mut h, &files);
        part.hash = h.finish();
        part.database = Some(files);
        Arc::new(part)
    }
}

impl Hash for Part {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.hash.hash(h);
    }
}

/// The job making a part of the downloads.
pub type PartJob<'r> = Job<'r, Arc<Part>>;

/// A national table, or a province's part of one.
#[derive(Hash, Debug)]
struct NationalTable<'r, 's> {
    scope: Scope<'r, 's>,
    words: &'r Words,
    /// Its index in [`NATIONAL`].
    table: usize,
    /// The province whose counties' rows the part holds.
    province: Option<(String, String)>,
}

fn national_table(i: &NationalTable, sink: &dyn Sink) -> Arc<Part> {
    let National { name, make, .. } = NATIONAL[i.table];
    let code = i.province.as_ref().map(|p| p.0.as_str());
    let Some(t) = make(&i.scope, code) else { return Arc::default() };
    // A province without rows of this table has no part of it.
    if code.is_some() && t.rows.len() == 0 {
        return Arc::default();
    }
    let mut book = Book {
        words: i.words,
        config: i.scope.config(),
        part: i.province.as_ref().map(|p| p.1.clone()),
        sheets_by_table: false,
    };
    // A national portal's workbook of a province's school rows holds each county's latest
    // school year, as its audit pages do: a spreadsheet of ten years of every school is for
    // no one (programs and databases get every year).
    let latest = code.filter(|_| name == "schools" && i.scope.config().settings.audit_years == AuditYears::Latest);
    let latest = latest.and_then(|code| latest_schools_table(&i.scope, code));
    if latest.is_some() {
        let label = i.words.get(i.scope.config().default_language(), "workbook.latest_years");
        book.part = book.part.map(|p| format!("{p}, {label}"));
    }
    let made = match code {
        Some(code) => table_files(sink, &t, latest.as_ref(), &format!("{name}/{code}"), Csv::Gzip, &book),
        None => table_files(sink, &t, None, name, Csv::Plain, &book),
    };
    let doc = table_doc(&t, &made.1, true);
    let schema = i.scope.config().downloads.writes(Format::Csv).then(|| (t.name, table_schema(&t, code.is_some())));
    Part::new(made, Some(doc), None, schema)
}

/// A county's own workbook: its indicators and verdicts, and its schools as computed in the
/// audited school years (programs read the same from its API record).
#[derive(Hash, Debug)]
struct CountyBook<'r, 's> {
    scope: Scope<'r, 's>,
    words: &'r Words,
    code: String,
    /// Whether its part describes the county workbooks (their tables' columns: the first
    /// county's with both tables does; every county's tables have the same).
    describes: bool,
}

fn county_book(i: &CountyBook, sink: &dyn Sink) -> Arc<Part> {
    let scope = &i.scope;
    let c = scope.county(&i.code).expect("parts are planned for known counties");
    let results = county_results(scope, &c.code);
    let schools = (!scope.audited_years(&c.code).is_empty()).then(|| school_terms_table(scope, &c.code));
    let tables: Vec<&DataTable> = [Some(&results), schools.as_ref()].into_iter().flatten().collect();
    let part = Some(format!("{} {}", c.code, c.name));
    let book = Book { words: i.words, config: scope.config(), part, sheets_by_table: true };
    let written = emit(sink, format!("data/counties/{}.xlsx", c.code), to_xlsx(&tables, &book));
    let docs = i.describes.then(|| {
        let mut results = table_doc(&results, &[], false);
        results["name"] = json!("county_results");
        json!([results, schools.as_ref().map(|t| table_doc(t, &[], false))])
    });
    Part::new((Vec::new(), vec![written]), None, docs, None)
}

/// A county's API record.
#[derive(Hash, Debug)]
struct CountyRecord<'r, 's> {
    scope: Scope<'r, 's>,
    code: String,
}

fn county_record(i: &CountyRecord, sink: &dyn Sink) -> Arc<Part> {
    let path = format!("api/counties/{}.json", i.code);
    Part::new((Vec::new(), vec![emit(sink, path, county_api(&i.scope, &i.code))]), None, None, None)
}

/// The parts of the downloads as jobs, in the order the package lists them.
pub struct PartJobs<'r> {
    /// The national tables (a large one by province).
    pub tables: Vec<PartJob<'r>>,
    /// The database, or one per province.
    pub databases: Vec<PartJob<'r>>,
    /// Each county's workbook, then each county's API record.
    pub counties: Vec<PartJob<'r>>,
}

/// A national table whose number of rows decides whether it goes out in parts.
#[derive(Hash, Debug)]
struct TableSize<'r, 's> {
    scope: Scope<'r, 's>,
    /// Its index in [`NATIONAL`].
    table: usize,
}

/// The jobs counting the rows of each national table grouped by county, in the order of
/// [`NATIONAL`] (0 for the others): what [`part_jobs`] splits. A national table of results has
/// a million rows; the count is made again only when what the table reads changed.
pub fn size_jobs<'r>(reading: &'r Reading<'_>) -> Vec<Job<'r, usize>> {
    (NATIONAL.iter().enumerate())
        .map(|(table, n)| {
            let scope = reading.everywhere(if n.grouped { n.reads } else { Reads::of(&[]) });
            Job::new(format!("rows of {}", n.name), TableSize { scope, table }, table_rows)
        })
        .collect()
}

fn table_rows(i: &TableSize, _: &dyn Sink) -> usize {
    let n = &NATIONAL[i.table];
    if !n.grouped {
        return 0;
    }
    (n.make)(&i.scope, None).map_or(0, |t| t.rows.len())
}

/// The parts of the downloads as jobs; `sizes` are the national tables' rows ([`size_jobs`]).
pub fn part_jobs<'r, 's>(reading: &'r Reading<'s>, words: &'r Words, sizes: &[usize]) -> PartJobs<'r> {
    let site = reading.site();
    let mut national = Vec::new();
    let mut split = false;
    for (table, n) in NATIONAL.iter().enumerate() {
        let everywhere = reading.everywhere(n.reads);
        // A large table grouped by county goes out in parts, one per province (CSV gzipped):
        // each part stays far below the 25 MiB that common static hosts take per file, and a
        // workbook of it opens in a spreadsheet.
        let split_rows = site.config.settings.split_rows;
        let large = n.grouped && sizes[table] > split_rows;
        split |= large;
        if !large {
            let inputs = NationalTable { scope: everywhere, words, table, province: None };
            national.push(Job::new(format!("table {}", n.name), inputs, national_table));
            continue;
        }
        for p in site.provinces.iter() {
            // The province's areas: its counties (the runs of a table grouped by county), and
            // the country, the province and its prefectures (their revised milestones).
            let areas = areas_of(&reading.site_wide(), &p.code);
            let province = Some((p.code.clone(), p.name.clone()));
            let inputs = NationalTable { scope: reading.scope(areas, n.reads), words, table, province };
            national.push(Job::new(format!("table {}/{}", n.name, p.code), inputs, national_table));
        }
    }
    let formats = &site.config.downloads;
    // The database (one per province when a table is split).
    let databases =
        if formats.writes(Format::Sqlite) { sqlite::database_jobs(reading, words, split) } else { Vec::new() };
    // The first county's workbook with both tables describes them all.
    let first = site.counties.iter().find(|c| !reading.audited_years(&c.code).is_empty());
    let first = first.or_else(|| site.counties.iter().find(|c| !site.sheets_of(&c.code).is_empty()));
    let own = Reads::of(&[Read::Schools, Read::Results]);
    let record = Reads::of(&[Read::Results, Read::Schools, Read::Milestones, Read::Metrics, Read::Revisions]);
    let per_county: Vec<[Option<PartJob>; 2]> = site
        .counties
        .par_iter()
        .map(|c| {
            let code = c.code.clone();
            let book = (formats.writes(Format::Xlsx) && !site.sheets_of(&c.code).is_empty()).then(|| {
                let describes = first.is_some_and(|f| f.code == c.code);
                let inputs = CountyBook { scope: reading.scope_of(&c.code, own), words, code: code.clone(), describes };
                Job::new(format!("data/counties/{code}.xlsx"), inputs, county_book)
            });
            let record = formats.writes(Format::Api).then(|| {
                let slot = format!("api/counties/{code}.json");
                Job::new(slot, CountyRecord { scope: reading.scope_of(&c.code, record), code }, county_record)
            });
            [book, record]
        })
        .collect();
    // Each county's workbooks, then the API records.
    let mut counties: Vec<PartJob> = Vec::with_capacity(per_county.len() * 3);
    let mut records = Vec::with_capacity(per_county.len());
    for [book, record] in per_county {
        counties.extend(book);
        records.extend(record);
    }
    counties.extend(records);
    PartJobs { tables: national, databases, counties }
}

/// What the parts make together: the data package, the Table Schemas, the API's index and
/// schema, and the checksums.
#[derive(Hash, Debug)]
struct Whole<'r, 's> {
    scope: Scope<'r, 's>,
    parts: Vec<Arc<Part>>,
}

/// The job that makes the package, the schemas, the API's index and schema and the checksums
/// of `parts`, and lists every download.
pub fn downloads_job<'r, 's>(reading: &'r Reading<'s>, parts: Vec<Arc<Part>>) -> Job<'r, Arc<Downloads>> {
    Job::new("downloads", Whole { scope: reading.site_wide(), parts }, whole)
}

fn whole(i: &Whole, sink: &dyn Sink) -> Arc<Downloads> {
    let scope = &i.scope;
    let parts = &i.parts;
    let mut docs = joined_docs(parts.iter().filter_map(|p| p.doc.as_ref()));
    // The county workbooks' tables are described once each.
    let county_docs =
        parts.iter().filter_map(|p| p.pattern_doc.as_ref()).flat_map(|d| d.as_array().cloned().unwrap_or_default());
    docs.extend(county_docs.filter(|d| !d.is_null()));
    let schemas: std::collections::BTreeMap<&str, &Value> =
        parts.iter().filter_map(|p| p.schema.as_ref().map(|(n, s)| (*n, s))).collect();
    let mut own = Vec::new();
    for (name, schema) in schemas {
        own.push(emit(sink, format!("data/schemas/{name}.json"), pretty(schema)));
    }
    let formats = &scope.config().downloads;
    // The data package describes the CSV files: it is written with them.
    if formats.writes(Format::Csv) {
        let resources: Vec<&Value> = parts.iter().flat_map(|p| &p.resources).collect();
        own.push(emit(sink, "data/datapackage.json".into(), package_json(scope, resources)));
    }
    if formats.writes(Format::Api) {
        let index: Vec<Value> = scope
            .counties()
            .iter()
            .map(|c| json!({ "code": c.code, "name": c.name, "path": format!("counties/{}.json", c.code) }))
            .collect();
        own.push(emit(sink, "api/counties.json".into(), pretty(&json!({ "counties": index }))));
        own.push(emit(sink, SCHEMA_PATH.into(), pretty(&county_schema())));
    }
    let mut files: Vec<&Written> = parts.iter().flat_map(|p| &p.written).chain(&own).collect();
    files.sort_by(|a, b| a.info.path.cmp(&b.info.path));
    let sums: String = files
        .iter()
        .filter(|f| f.info.path.starts_with("data/"))
        .map(|f| format!("{}  {}\n", f.sha256, f.info.path.trim_start_matches("data/")))
        .collect();
    // The checksums of the files of `data/`, when there are any.
    let sums = (!sums.is_empty()).then(|| emit(sink, "data/SHA256SUMS".into(), sums.into_bytes()));
    let mut files: Vec<FileInfo> = files.into_iter().chain(&sums).map(|f| f.info.clone()).collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let docs = Value::Array(docs);
    let databases: Value = parts.iter().filter_map(|p| p.database.clone()).collect();
    let mut h = std::hash::DefaultHasher::new();
    files.hash(&mut h);
    crate::util::hash::add(&mut h, &(&docs, &databases));
    Arc::new(Downloads { files, docs, databases, hash: h.finish() })
}

/// The documentation of each national table, its parts' files and rows joined.
fn joined_docs<'a>(docs: impl Iterator<Item = &'a Value>) -> Vec<Value> {
    let mut joined: Vec<Value> = Vec::new();
    for doc in docs {
        match joined.iter_mut().find(|d| d["name"] == doc["name"]) {
            Some(d) => {
                let files = doc["files"].as_array().cloned().unwrap_or_default();
                d["files"].as_array_mut().expect("files are a list").extend(files);
                d["rows"] = json!(d["rows"].as_u64().unwrap_or(0) + doc["rows"].as_u64().unwrap_or(0));
                d["parts"] = json!(true);
            }
            None => joined.push(doc.clone()),
        }
    }
    joined
}

/// The Frictionless data package (`datapackage.json`) describing `resources`.
fn package_json(scope: &Scope, resources: Vec<&Value>) -> Vec<u8> {
    let c = scope.config();
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
        // A license without a URL has no `path` (as for sources).
        licenses: match &c.license_url {
            Some(url) => json!([{ "name": c.license, "path": url }]),
            None => json!([{ "name": c.license }]),
        },
        // A source without a URL has no `path` (the package profile wants a string or nothing).
        sources: scope
            .sources()
            .iter()
            .map(|s| match &s.url {
                Some(url) => json!({ "title": s.title, "path": url }),
                None => json!({ "title": s.title }),
            })
            .collect(),
        resources,
    };
    pretty(&package)
}

/// Documentation of a table for the downloads page: name, rows, columns (with their workbook
/// header) and its files.
fn table_doc(t: &DataTable, files: &[Written], count_rows: bool) -> Value {
    let own: Vec<Value> = files
        .iter()
        .map(|f| json!({ "path": f.info.path, "name": f.info.path.trim_start_matches("data/"), "bytes": f.info.bytes }))
        .collect();
    let rows = if count_rows { json!(t.rows.len()) } else { Value::Null };
    let columns: Vec<Value> = t
        .columns
        .iter()
        .map(|&(n, ty)| {
            let (scheme, indicator) = match VALUE_COLUMNS.iter().find(|c| c.2 == n) {
                Some((scheme, id, _)) => (json!(scheme), json!(id)),
                None => (Value::Null, Value::Null),
            };
            json!({
                "name": n, "header": columns::zh_header(t.name, n), "type": ty.name(), "unit": columns::unit(n),
                "scheme": scheme, "indicator": indicator,
            })
        })
        .collect();
    // What a program reads: the first CSV file, with the columns to keep as text (codes whose
    // leading zeros a number would lose), for the one line the downloads page gives.
    let csv = files.iter().map(|f| &f.info.path).find(|p| p.ends_with(".csv") || p.ends_with(".csv.gz"));
    let text: Vec<&str> = t.columns.iter().map(|c| c.0).filter(|n| crate::format::digits(n)).collect();
    json!({ "name": t.name, "rows": rows, "files": own, "columns": columns, "parts": false, "csv": csv, "text_columns": text })
}

/// Indented JSON with a final newline (the package, the schemas, the API's county index).
fn pretty(v: &impl serde::Serialize) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(v).expect("JSON of plain values");
    out.push(b'\n');
    out
}
