//! Encoders: a table as CSV (plain, or with a BOM for Excel) and as JSON, streamed, with their
//! SHA-256.

use super::*;

/// The table as CSV, behind `prefix`.
pub(super) fn to_csv(t: &DataTable, prefix: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + t.rows.len() * 8 * t.columns.len());
    out.extend_from_slice(prefix);
    write_csv(t, &mut out);
    out
}

/// Writes the table as CSV to `out`, a writer that does not fail (memory or a [`Streamed`]
/// file, which records its own errors).
pub(super) fn write_csv(t: &DataTable, out: impl std::io::Write) {
    let mut w = csv_writer(out);
    w.write_record(t.columns.iter().map(|c| c.0)).expect(FAILS);
    write_csv_rows(&t.rows, &mut w);
    w.flush().expect(FAILS);
}

/// Why writing a download cannot fail.
pub(super) const FAILS: &str = "the downloads are written to memory or to a sink's file, which do not fail";

pub(super) fn csv_writer<W: std::io::Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out)
}

/// Writes the rows as CSV records (each record is written alone: the records of a table are
/// the records of its runs one after another).
pub(super) fn write_csv_rows<W: std::io::Write>(rows: &Rows, w: &mut csv::Writer<W>) {
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
pub(super) fn to_json(t: &DataTable) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + t.rows.len() * 24 * t.columns.len());
    write_json(t, &mut out, &mut |_| {});
    out
}

/// Appends [`to_json`]'s bytes to `out`, calling `row_done` after each row (a streamed file
/// takes and clears what `out` holds now and then).
pub(super) fn write_json(t: &DataTable, out: &mut Vec<u8>, row_done: &mut dyn FnMut(&mut Vec<u8>)) {
    out.push(b'[');
    write_json_rows(&json_keys(t), &t.rows, out, row_done);
    out.extend_from_slice(b"\n]\n");
}

/// The keys of the table's JSON objects, each quoted and followed by a colon.
pub(super) fn json_keys(t: &DataTable) -> Vec<Vec<u8>> {
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
pub(super) fn write_json_rows(
    keys: &[Vec<u8>],
    rows: &Rows,
    out: &mut Vec<u8>,
    row_done: &mut dyn FnMut(&mut Vec<u8>),
) {
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

pub(super) fn table_schema(t: &DataTable) -> Value {
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
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The byte-order mark before the Excel variant of a CSV file.
pub(super) const BOM: &[u8] = b"\xef\xbb\xbf";

/// Tables of this many cells or more are streamed to sinks that take streams.
pub(super) const STREAM_CELLS: usize = 1 << 20;

/// A streamed download file on its way: its SHA-256 and size are kept as it is written.
pub(super) struct Hashing<'s> {
    pub(super) path: String,
    pub(super) file: Box<dyn Streamed + 's>,
    pub(super) sha256: Sha256,
    pub(super) bytes: usize,
}

impl<'s> Hashing<'s> {
    pub(super) fn new(path: String, file: Box<dyn Streamed + 's>) -> Self {
        Hashing { path, file, sha256: Sha256::new(), bytes: 0 }
    }

    /// Writes `bytes` (a streamed file does not fail: its sink records errors).
    pub(super) fn write_all_of(&mut self, bytes: &[u8]) {
        use std::io::Write as _;
        let _ = self.write_all(bytes);
    }

    pub(super) fn finish(self) -> Written {
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
pub(super) struct Both<'a, 'b, 's>(pub(super) &'a mut Hashing<'s>, pub(super) &'b mut Hashing<'s>);

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
