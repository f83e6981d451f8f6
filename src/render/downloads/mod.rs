//! The downloads: every table as CSV (UTF-8 with BOM for Excel, plain UTF-8 for machines)
//! and JSON, per-county files, the static API with its JSON Schema, a Frictionless
//! `datapackage.json` describing every file of `data/`, and `SHA256SUMS`.
//!
//! The input tables are written back in the input format, so a download is also a valid
//! junheng input (the round-trip test relies on it).

mod api;
mod cells;
mod encode;
mod runs;
mod tables;

pub use api::{county_api, county_schema};
use cells::*;
pub use encode::sha256_hex;
use encode::*;
pub use runs::{Run, assembled_job, run_jobs};
use tables::*;

use std::borrow::Cow;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rayon::prelude::*;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::scope::{Reading, Scope, Table, Tables};
use super::{OutputFile, Sink, Streamed};
use crate::job::Job;
use crate::model::{IndicatorRef, SCHOOL_FIGURES, Scheme};
/// Where the API's JSON Schema is written.
pub const SCHEMA_PATH: &str = "api/schema/county.schema.json";

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
    /// The hash of both.
    hash: u64,
}

impl Hash for Downloads {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.hash.hash(h);
    }
}

/// The download files of one county (its API record, then its tables), from `files` sorted by
/// path.
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

/// Whether a table of `rows` data rows (and a header) fits one Excel worksheet.
fn fits_excel(rows: usize) -> bool {
    rows < EXCEL_SHEET_ROWS
}

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

/// What one part of the downloads made (a national table, a county's table or its API record):
/// its datapackage resources and files, and its table's documentation and Table Schema.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Part {
    resources: Vec<Value>,
    written: Vec<Written>,
    /// A national table's documentation for the downloads page.
    doc: Option<Value>,
    /// A per-county table's documentation (its columns: the page lists it once).
    pattern_doc: Option<Value>,
    schema: Option<(&'static str, Value)>,
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
        Arc::new(Part { resources, written, doc, pattern_doc, schema, hash: h.finish() })
    }
}

impl Hash for Part {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.hash.hash(h);
    }
}

/// The job making a part of the downloads.
pub type PartJob<'r> = Job<'r, Arc<Part>>;

/// A national table.
#[derive(Hash, Debug)]
struct NationalTable<'r, 's> {
    scope: Scope<'r, 's>,
    /// Its index in [`NATIONAL`].
    table: usize,
}

fn national_table(i: &NationalTable, sink: &dyn Sink) -> Arc<Part> {
    let National { name, make, .. } = NATIONAL[i.table];
    let Some(t) = make(&i.scope, None) else { return Arc::default() };
    let made = table_files(sink, &t, name.to_string(), name.to_string());
    let doc = table_doc(&t, &made.1, true);
    Part::new(made, Some(doc), None, Some((t.name, table_schema(&t))))
}

/// One of a county's own tables.
#[derive(Hash, Debug)]
struct CountyTable<'r, 's> {
    scope: Scope<'r, 's>,
    code: String,
    /// Its school rows counted in each coefficient (else its results).
    school_terms: bool,
    /// Whether its part describes the table (its schema and columns: the first county's does;
    /// every county's table has the same).
    describes: bool,
}

fn county_table(i: &CountyTable, sink: &dyn Sink) -> Arc<Part> {
    let site = &i.scope;
    let c = site.county(&i.code).expect("parts are planned for known counties");
    let (t, stem, title) = if i.school_terms {
        let (stem, title) = (format!("counties/{}-schools", c.code), format!("schools {} {}", c.code, c.name));
        (school_terms_table(site, &c.code), stem, title)
    } else {
        (results_table(site, Some(&c.code)), format!("counties/{}", c.code), format!("results {} {}", c.code, c.name))
    };
    let made = table_files(sink, &t, stem, title);
    let (doc, schema) = match i.describes {
        true => (Some(table_doc(&t, &[], false)), Some((t.name, table_schema(&t)))),
        false => (None, None),
    };
    Part::new(made, None, doc, schema)
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

/// The parts of the downloads as jobs: the national tables, and each county's files and API
/// record (in the order the package lists them).
pub fn part_jobs<'r, 's>(reading: &'r Reading<'s>) -> (Vec<PartJob<'r>>, Vec<PartJob<'r>>) {
    let site = reading.site();
    let national = NATIONAL
        .iter()
        .enumerate()
        .map(|(table, n)| {
            let inputs = NationalTable { scope: reading.everywhere(n.reads), table };
            Job::new(format!("table {}", n.name), inputs, national_table)
        })
        .collect();
    // The first county's school table describes them all (the national results table
    // describes the counties' results).
    let first_audited = site.counties.iter().find(|c| !reading.audited_years(&c.code).is_empty());
    let own = Tables::of(&[Table::Schools, Table::Results]);
    let record = Tables::of(&[Table::Results, Table::Milestones, Table::Metrics]);
    let per_county: Vec<[Option<PartJob>; 3]> = site
        .counties
        .par_iter()
        .map(|c| {
            let code = c.code.clone();
            let schools = (!reading.audited_years(&c.code).is_empty()).then(|| {
                let describes = first_audited.is_some_and(|f| f.code == c.code);
                let table = CountyTable {
                    scope: reading.scope_of(&c.code, own),
                    code: code.clone(),
                    school_terms: true,
                    describes,
                };
                Job::new(format!("table counties/{code}-schools"), table, county_table)
            });
            let results = (!site.sheets_of(&c.code).is_empty()).then(|| {
                let table = CountyTable {
                    scope: reading.scope_of(&c.code, own),
                    code: code.clone(),
                    school_terms: false,
                    describes: false,
                };
                Job::new(format!("table counties/{code}"), table, county_table)
            });
            let slot = format!("api/counties/{code}.json");
            let record = Job::new(slot, CountyRecord { scope: reading.scope_of(&c.code, record), code }, county_record);
            [schools, results, Some(record)]
        })
        .collect();
    // The package lists each county's tables, then the API records follow.
    let mut counties: Vec<PartJob> = Vec::with_capacity(per_county.len() * 3);
    let mut records = Vec::with_capacity(per_county.len());
    for [schools, results, record] in per_county {
        counties.extend(schools.into_iter().chain(results));
        records.extend(record);
    }
    counties.extend(records);
    (national, counties)
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
    let site = &i.scope;
    let parts = &i.parts;
    let mut docs: Vec<Value> = parts.iter().filter_map(|p| p.doc.clone()).collect();
    // Per-county files are described once, with the pattern of their names.
    docs.extend(parts.iter().find_map(|p| p.pattern_doc.clone()));
    let schemas: std::collections::BTreeMap<&str, &Value> =
        parts.iter().filter_map(|p| p.schema.as_ref().map(|(n, s)| (*n, s))).collect();
    let mut own = Vec::new();
    for (name, schema) in schemas {
        own.push(emit(sink, format!("data/schemas/{name}.json"), pretty(schema)));
    }
    let resources: Vec<&Value> = parts.iter().flat_map(|p| &p.resources).collect();
    own.push(emit(sink, "data/datapackage.json".into(), package_json(site, resources)));
    let index: Vec<Value> = site
        .counties()
        .iter()
        .map(|c| json!({ "code": c.code, "name": c.name, "path": format!("counties/{}.json", c.code) }))
        .collect();
    own.push(emit(sink, "api/counties.json".into(), pretty(&json!({ "counties": index }))));
    own.push(emit(sink, SCHEMA_PATH.into(), pretty(&county_schema())));
    let mut files: Vec<&Written> = parts.iter().flat_map(|p| &p.written).chain(&own).collect();
    files.sort_by(|a, b| a.info.path.cmp(&b.info.path));
    let sums: String = files
        .iter()
        .filter(|f| f.info.path.starts_with("data/"))
        .map(|f| format!("{}  {}\n", f.sha256, f.info.path.trim_start_matches("data/")))
        .collect();
    let sums = emit(sink, "data/SHA256SUMS".into(), sums.into_bytes());
    let mut files: Vec<FileInfo> = files.into_iter().chain([&sums]).map(|f| f.info.clone()).collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let docs = Value::Array(docs);
    let mut h = std::hash::DefaultHasher::new();
    files.hash(&mut h);
    crate::util::hash::add(&mut h, &docs);
    Arc::new(Downloads { files, docs, hash: h.finish() })
}

/// The Frictionless data package (`datapackage.json`) describing `resources`.
fn package_json(site: &Scope, resources: Vec<&Value>) -> Vec<u8> {
    let c = site.config();
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
        // A source without a URL has no `path` (the package profile wants a string or nothing).
        sources: site
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
}
