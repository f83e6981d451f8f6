//! Encoders: a table as CSV (gzipped for the parts of a large table), its Table Schema, SHA-256.

use super::*;

/// The table as CSV.
pub(super) fn to_csv(t: &DataTable) -> Vec<u8> {
    write_csv(t, Vec::with_capacity(64 + t.rows.len() * 8 * t.columns.len()))
}

/// The table as gzipped CSV (compressed as it is written: the CSV is never held whole; no file
/// name or time in the header, so the same rows give the same file).
pub(super) fn to_csv_gz(t: &DataTable) -> Vec<u8> {
    let out = Vec::with_capacity(64 + t.rows.len() * 2 * t.columns.len());
    let gz = flate2::GzBuilder::new().write(out, flate2::Compression::default());
    write_csv(t, gz).finish().expect(FAILS)
}

/// Writes the table as CSV into `out`, a writer to memory; returns it.
fn write_csv<W: std::io::Write>(t: &DataTable, out: W) -> W {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out);
    w.write_record(t.columns.iter().map(|c| c.0)).expect(FAILS);
    let mut buf = String::new();
    t.rows.each(|row| {
        for cell in row {
            cell.write_csv(&mut buf);
            w.write_field(&buf).expect(FAILS);
        }
        w.write_record(None::<&[u8]>).expect(FAILS);
    });
    w.into_inner().expect(FAILS)
}

/// Why writing a download cannot fail.
pub(super) const FAILS: &str = "the downloads are written to memory, which does not fail";

/// The Table Schema of a table: its fields with types and constraints, its primary key, and its
/// foreign keys (county codes to the counties table, source ids to the sources table, a
/// school's rows to its school row). A table published in parts (one per province, `split`)
/// refers only to tables published whole: the parts of a table refer to no one resource (each
/// province's database holds those keys).
pub(super) fn table_schema(t: &DataTable, split: bool) -> Value {
    let fields: Vec<Value> = t
        .columns
        .iter()
        .map(|&(n, ty)| match columns::constraints(t.name, n, ty) {
            Some(c) => json!({ "name": n, "type": ty.name(), "constraints": c }),
            None => json!({ "name": n, "type": ty.name() }),
        })
        .collect();
    let mut schema = json!({ "fields": fields, "missingValues": [""] });
    if !t.primary_key.is_empty() {
        schema["primaryKey"] = json!(t.primary_key);
    }
    let whole = |table: &str| !split || super::NATIONAL.iter().any(|n| n.name == table && !n.grouped);
    let keys: Vec<Value> = foreign_keys(t)
        .filter(|k| whole(k.1))
        .map(|(columns, table, key)| json!({ "fields": columns, "reference": { "resource": table, "fields": key } }))
        .collect();
    if !keys.is_empty() {
        schema["foreignKeys"] = json!(keys);
    }
    schema
}

/// What columns of those names refer to: (columns, table, its key columns). A school's row
/// of a table refers to its row of the school data (school, school year and level).
pub(super) const REFERENCES: [(&[&str], &str, &[&str]); 3] = [
    (&["county"], "counties", &["code"]),
    (&["source"], "sources", &["id"]),
    (&["school_id", "school_year", "level"], "schools", &["school_id", "school_year", "level"]),
];

/// The foreign keys of a table: each set of its columns that refers to another table.
pub(super) fn foreign_keys<'t>(
    t: &'t DataTable,
) -> impl Iterator<Item = (&'static [&'static str], &'static str, &'static [&'static str])> + 't {
    REFERENCES.into_iter().filter(|(columns, table, _)| {
        t.name != *table && columns.iter().all(|column| t.columns.iter().any(|c| c.0 == *column))
    })
}

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Bytes as lowercase hexadecimal.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Gzip of `bytes` (no file name or time in the header: the same bytes give the same file).
pub(super) fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut gz = flate2::GzBuilder::new().write(Vec::with_capacity(bytes.len() / 4), flate2::Compression::default());
    gz.write_all(bytes).expect(FAILS);
    gz.finish().expect(FAILS)
}
