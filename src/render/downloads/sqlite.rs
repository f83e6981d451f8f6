//! The SQLite database of the whole dataset (rusqlite, with its bundled SQLite): every table
//! typed, with primary and foreign keys and indexes for the questions people ask, a view of
//! each county's latest figures, and what the data are (descriptions, license, citation)
//! inside it; Datasette's metadata beside it. A large site gets one database per province.

use rusqlite::{Connection, params_from_iter, types::Value as Sql};

use super::*;

/// The national tables in the order the database is filled: those others refer to first, then
/// the rest, each in the order of [`NATIONAL`]. Every national table is in the database.
fn order() -> impl Iterator<Item = &'static National> {
    let referred = |n: &&National| REFERENCES.iter().any(|r| r.1 == n.name);
    NATIONAL.iter().filter(referred).chain(NATIONAL.iter().filter(move |n| !referred(n)))
}

/// Indexes beyond the primary keys: a school year across the country, an indicator's
/// ranking, a county's school rows.
const INDEXES: &[(&str, &str)] = &[
    ("indicators", "school_year, level, scheme, indicator"),
    ("results", "school_year, level, scheme, indicator"),
    ("schools", "county, school_year"),
    ("schools", "school_year, level"),
    ("school_results", "county, school_year"),
    ("milestones", "area, date"),
    ("changes", "area, school_year"),
];

/// Each county's latest school year, per level and regime, with every figure of it.
const LATEST: &str = "CREATE VIEW latest_results AS
SELECT r.* FROM results AS r
JOIN (SELECT county, level, scheme, MAX(school_year) AS school_year FROM results GROUP BY county, level, scheme) AS l
USING (county, level, scheme, school_year)";

/// A database of the whole site larger than this is gzipped (hosts take 25 MiB per file).
const GZIP_OVER: usize = 20 << 20;

/// A database of the site or of a province.
#[derive(Hash, Debug)]
struct Database<'r, 's> {
    scope: Scope<'r, 's>,
    words: &'r Words,
    /// The province whose rows it holds (code, name), else every row.
    province: Option<(String, String)>,
}

/// The job making the database of the whole site (`data/junheng.sqlite`), or, when a table is
/// split, the jobs making one database per province (`data/sqlite/<province>.sqlite.gz`).
pub(super) fn database_jobs<'r, 's>(reading: &'r Reading<'s>, words: &'r Words, split: bool) -> Vec<PartJob<'r>> {
    let tables =
        Reads::of(&[Read::Published, Read::Results, Read::Milestones, Read::Metrics, Read::Schools, Read::Revisions]);
    if !split {
        let inputs = Database { scope: reading.everywhere(tables), words, province: None };
        return vec![Job::new("data/junheng.sqlite", inputs, database)];
    }
    let probe = reading.site_wide();
    reading
        .site()
        .provinces
        .iter()
        .map(|p| {
            let areas = areas_of(&probe, &p.code);
            let inputs = Database {
                scope: reading.scope(areas, tables),
                words,
                province: Some((p.code.clone(), p.name.clone())),
            };
            Job::new(format!("data/sqlite/{}.sqlite.gz", p.code), inputs, database)
        })
        .collect()
}

fn database(i: &Database, sink: &dyn Sink) -> Arc<Part> {
    let code = i.province.as_ref().map(|p| p.0.as_str());
    let tables: Vec<DataTable> = order().filter_map(|n| (n.make)(&i.scope, code)).collect();
    // The database file, gzipped straight from SQLite's copy of it for a province's part, or
    // when the whole site's is larger than static hosts like (`data/junheng.sqlite.gz`).
    let province = i.province.as_ref().map(|p| p.0.as_str());
    let (bytes, gzipped) =
        to_sqlite(&tables, &i.scope, i.words, |file| match province.is_some() || file.len() > GZIP_OVER {
            true => (gzip(file), true),
            false => (file.to_vec(), false),
        });
    let stem = match province {
        Some(code) => format!("data/sqlite/{code}"),
        None => "data/junheng".to_string(),
    };
    let database = emit(sink, format!("{stem}.sqlite{}", if gzipped { ".gz" } else { "" }), bytes);
    let meta_path = format!("{stem}.metadata.json");
    let name = i.province.as_ref().map_or("junheng", |p| p.0.as_str());
    let metadata = emit(sink, meta_path, pretty(&datasette_metadata(name, &tables, &i.scope, i.words)));
    let doc = json!({ "files": [
        { "path": database.info.path, "name": database.info.path.trim_start_matches("data/"), "bytes": database.info.bytes },
        { "path": metadata.info.path, "name": metadata.info.path.trim_start_matches("data/"), "bytes": metadata.info.bytes },
    ] });
    Part::new((Vec::new(), vec![database, metadata]), None, None, None).with_database(doc)
}

/// The SQL type of a column.
fn sql_type(ty: Ty) -> &'static str {
    match ty {
        Ty::Str | Ty::Date => "TEXT",
        Ty::Num => "REAL",
        Ty::Int | Ty::Bool => "INTEGER",
    }
}

/// The `CREATE TABLE` statement of a table.
fn create_table(t: &DataTable, names: &[&str]) -> String {
    let mut parts: Vec<String> = t
        .columns
        .iter()
        .map(|&(n, ty)| match ty {
            Ty::Bool => format!("\"{n}\" INTEGER CHECK (\"{n}\" IN (0, 1))"),
            _ => format!("\"{n}\" {}", sql_type(ty)),
        })
        .collect();
    if !t.primary_key.is_empty() {
        parts.push(format!("PRIMARY KEY ({})", t.primary_key.join(", ")));
    }
    for (columns, table, key) in foreign_keys(t).filter(|k| names.contains(&k.1)) {
        parts.push(format!("FOREIGN KEY ({}) REFERENCES {table} ({})", columns.join(", "), key.join(", ")));
    }
    let rowid = if t.primary_key.is_empty() { "" } else { " WITHOUT ROWID" };
    format!("CREATE TABLE {} (\n  {}\n){rowid}", t.name, parts.join(",\n  "))
}

fn sql_value(cell: &Cell) -> Sql {
    match cell {
        Cell::Null => Sql::Null,
        Cell::Text(s) => Sql::Text(s.to_string()),
        Cell::Num(v) | Cell::Fixed(v, _) => Sql::Real(*v),
        Cell::Int(v) => Sql::Integer(*v as i64),
        Cell::Bool(b) => Sql::Integer(i64::from(*b)),
    }
}

/// Why making the database cannot fail: an in-memory database of well-formed tables.
const IN_MEMORY: &str = "an in-memory SQLite database of well-formed tables";

/// The tables as a SQLite database file: the tables with their keys and indexes, the view of
/// the latest figures, and the tables `_about` (publisher, license, citation) and `_columns`
/// (each column's header, type, unit and meaning in each language), handed to `file` (which
/// makes the bytes written).
fn to_sqlite<T>(tables: &[DataTable], scope: &Scope, words: &Words, file: impl FnOnce(&[u8]) -> T) -> T {
    // SQLite's `memdb`: the database in one buffer of its own, which serializing hands over
    // without a copy (a name without a leading `/` is private to the connection).
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
        | rusqlite::OpenFlags::SQLITE_OPEN_CREATE
        | rusqlite::OpenFlags::SQLITE_OPEN_URI
        | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut db = Connection::open_with_flags("file:junheng?vfs=memdb", flags).expect(IN_MEMORY);
    // The file is made once and read many times: no journal, pages filled whole.
    db.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA page_size = 4096;").expect(IN_MEMORY);
    let tx = db.transaction().expect(IN_MEMORY);
    let names: Vec<&str> = tables.iter().map(|t| t.name).collect();
    for t in tables {
        tx.execute_batch(&create_table(t, &names)).expect(IN_MEMORY);
        let marks = vec!["?"; t.columns.len()].join(", ");
        let mut insert = tx.prepare(&format!("INSERT INTO {} VALUES ({marks})", t.name)).expect(IN_MEMORY);
        t.rows.each(|row| {
            // The model rejected duplicate rows (a diagnostic naming file and line), so no row
            // can clash with another on the table's primary key.
            insert
                .execute(params_from_iter(row.iter().map(sql_value)))
                .unwrap_or_else(|e| panic!("{}: a row unique by the model's checks was refused: {e}", t.name));
        });
    }
    for (table, columns) in INDEXES.iter().filter(|(t, _)| names.contains(t)) {
        let name = format!("{table}_by_{}", columns.replace(", ", "_"));
        tx.execute_batch(&format!("CREATE INDEX {name} ON {table} ({columns})")).expect(IN_MEMORY);
    }
    if names.contains(&"results") {
        tx.execute_batch(LATEST).expect(IN_MEMORY);
    }
    about_tables(&tx, tables, scope, words);
    tx.commit().expect(IN_MEMORY);
    db.execute_batch("ANALYZE").expect(IN_MEMORY);
    file(&db.serialize(rusqlite::MAIN_DB).expect(IN_MEMORY))
}

/// `_about` and `_columns`.
fn about_tables(tx: &rusqlite::Transaction, tables: &[DataTable], scope: &Scope, words: &Words) {
    let config = scope.config();
    let lang = config.default_language();
    tx.execute_batch("CREATE TABLE _about (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID").expect(IN_MEMORY);
    let license = match &config.license_url {
        Some(u) => format!("{} ({u})", config.license),
        None => config.license.clone(),
    };
    for (key, value) in [
        ("title", config.title.get(lang, lang).to_string()),
        ("publisher", config.publisher.get(lang, lang).to_string()),
        ("url", config.base_url.clone()),
        ("license", license),
        ("cite", citation(config, words, lang)),
        ("made_by", "junheng".to_string()),
    ] {
        tx.execute("INSERT INTO _about VALUES (?1, ?2)", [key, value.as_str()]).expect(IN_MEMORY);
    }
    let languages = &config.languages;
    let meanings: Vec<String> =
        languages.iter().map(|l| format!("\"meaning_{}\" TEXT", l.replace('-', "_").to_lowercase())).collect();
    tx.execute_batch(&format!(
        "CREATE TABLE _columns (\"table\" TEXT, \"column\" TEXT, header TEXT, type TEXT, unit TEXT, {}, PRIMARY KEY (\"table\", \"column\")) WITHOUT ROWID",
        meanings.join(", ")
    ))
    .expect(IN_MEMORY);
    let marks = vec!["?"; 5 + languages.len()].join(", ");
    let mut insert = tx.prepare(&format!("INSERT INTO _columns VALUES ({marks})")).expect(IN_MEMORY);
    for t in tables {
        for &(name, ty) in &t.columns {
            let mut row = vec![
                Sql::Text(t.name.into()),
                Sql::Text(name.into()),
                Sql::Text(columns::zh_header(t.name, name).into()),
                Sql::Text(sql_type(ty).into()),
                columns::unit(name).map_or(Sql::Null, |u| Sql::Text(u.into())),
            ];
            row.extend(languages.iter().map(|l| Sql::Text(words.meaning(l, name))));
            insert.execute(params_from_iter(row)).expect(IN_MEMORY);
        }
    }
}

/// How to cite the dataset (GB/T 7714-2015), in `lang`.
pub(super) fn citation(config: &crate::config::Config, words: &Words, lang: &str) -> String {
    let publisher = config.publisher.get(lang, lang);
    let title = config.title.get(lang, lang);
    format!("{publisher}. {title}[DS/OL]. {}. {}data/.", words.get(lang, "cite.accessed"), config.base_url)
}

/// Datasette's metadata of the database `name`: title, license, source, and each table's and
/// column's description in the site's first language.
fn datasette_metadata(name: &str, tables: &[DataTable], scope: &Scope, words: &Words) -> Value {
    let config = scope.config();
    let lang = config.default_language();
    let described: serde_json::Map<String, Value> = tables
        .iter()
        .map(|t| {
            let columns: serde_json::Map<String, Value> =
                t.columns.iter().map(|&(n, _)| (n.to_string(), json!(words.meaning(lang, n)))).collect();
            let table = json!({
                "title": words.get(lang, &format!("table_doc.{}.title", t.name)),
                "description": words.get(lang, &format!("table_doc.{}.what", t.name)),
                "columns": columns,
            });
            (t.name.to_string(), table)
        })
        .collect();
    let mut metadata = json!({
        "title": config.title.get(lang, lang),
        "source": config.publisher.get(lang, lang),
        "source_url": config.base_url,
        "license": config.license,
        "databases": { name: { "tables": described } },
    });
    if let Some(url) = &config.license_url {
        metadata["license_url"] = json!(url);
    }
    metadata
}
