//! Stage 1 for data: a CSV file → [`Table`], keeping each row's position.
//!
//! Decoding sniffs a BOM, then tries strict UTF-8, then GB18030 (what "CSV (逗号分隔)" on
//! Chinese Windows writes). Headers are matched against a [`Columns`] spec: Chinese aliases
//! are accepted, missing required, unknown and duplicated columns are reported.

use rustc_hash::FxHashMap as HashMap;

use crate::diag::{Diagnostic, Diagnostics, LineIndex};

/// The columns one input file may have.
#[derive(Debug, Clone, Copy)]
pub struct Columns {
    /// Site-relative file name, e.g. `data/counties.csv`.
    pub file: &'static str,
    /// Columns that must be present.
    pub required: &'static [&'static str],
    /// Columns that may be present.
    pub optional: &'static [&'static str],
    /// Accepted alternative headers: (alias, canonical).
    pub aliases: &'static [(&'static str, &'static str)],
}

impl Columns {
    fn canonical(&self, header: &str) -> Option<&'static str> {
        let h = header.trim();
        self.required
            .iter()
            .chain(self.optional)
            .find(|c| c.eq_ignore_ascii_case(h))
            .copied()
            .or_else(|| self.aliases.iter().find(|(a, _)| *a == h).map(|(_, c)| *c))
    }

    fn allowed(&self) -> String {
        self.required.iter().chain(self.optional).map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
    }
}

/// One data row.
#[derive(Debug, Clone)]
pub struct Row {
    /// 1-based line where the record starts.
    pub line: u32,
    /// Byte offset of the record in the decoded text.
    pub offset: usize,
    /// The cells, in file order.
    pub cells: csv::StringRecord,
}

/// A decoded, header-checked CSV file.
#[derive(Debug, Clone)]
pub struct Table {
    /// Site-relative path.
    pub file: String,
    /// Name of the encoding the file was read as.
    pub encoding: &'static str,
    /// The decoded text (BOM removed).
    pub text: String,
    /// Column name → cell index.
    index: HashMap<&'static str, usize>,
    /// The data rows.
    pub rows: Vec<Row>,
    line_index: LineIndex,
}

impl Table {
    /// Parses `bytes` as the file described by `spec`; problems go to `diags`.
    ///
    /// Returns `None` when the header is unusable (nothing can be read from the rows).
    pub fn parse(
        spec: &Columns,
        bytes: &[u8],
        forced: Option<&'static encoding_rs::Encoding>,
        diags: &mut Diagnostics,
    ) -> Option<Table> {
        match super::encoding::decode(spec.file, bytes, forced) {
            Ok((text, encoding)) => Self::parse_text(spec, spec.file.to_string(), text, encoding, diags),
            Err(d) => {
                diags.push(d);
                None
            }
        }
    }

    /// Parses already decoded text.
    pub fn parse_text(
        spec: &Columns,
        file: String,
        text: String,
        encoding: &'static str,
        diags: &mut Diagnostics,
    ) -> Option<Table> {
        let line_index = LineIndex::new(&text);
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
        let mut records = reader.records();
        let header = match records.next() {
            Some(Ok(h)) => h,
            Some(Err(e)) => {
                diags.push(csv_error(&file, &text, &e));
                return None;
            }
            None => {
                diags.push(
                    Diagnostic::error(
                        &file,
                        format!("expected a header line with {}, found an empty file", spec.allowed()),
                    )
                    .at(1, 1),
                );
                return None;
            }
        };
        let mut table =
            Table { file, encoding, text: String::new(), index: HashMap::default(), rows: Vec::new(), line_index };
        let mut ok = true;
        for (i, name) in header.iter().enumerate() {
            let at = |t: &Table, msg: String| t.header_diag(&text, i, msg);
            match spec.canonical(name) {
                Some(c) if table.index.contains_key(c) => {
                    diags.push(at(&table, format!("column `{c}` appears twice")).field(c));
                    ok = false;
                }
                Some(c) => {
                    table.index.insert(c, i);
                }
                None => {
                    let name = crate::load::cell::trim(name);
                    diags.push(
                        at(&table, format!("unknown column `{name}`, expected one of {}", spec.allowed())).field(name),
                    );
                }
            }
        }
        for req in spec.required {
            if !table.index.contains_key(req) {
                let d = Diagnostic::error(&table.file, format!("missing column `{req}` in the header line"))
                    .field(*req)
                    .snippet(
                        table.line_index.line_text(&text, 1),
                        header.iter().map(|h| h.chars().count() + 1).sum::<usize>().saturating_sub(1),
                    )
                    .at(1, 1);
                diags.push(d);
                ok = false;
            }
        }
        let width = header.len();
        for rec in records {
            match rec {
                Ok(cells) => {
                    let pos = cells.position().expect("csv records carry a position");
                    let row = Row { line: pos.line() as u32, offset: pos.byte() as usize, cells };
                    if row.cells.len() == 1 && crate::load::cell::trim(&row.cells[0]).is_empty() {
                        continue; // a blank line, as spreadsheets leave at the end
                    }
                    if row.cells.len() != width {
                        let d = Diagnostic::error(
                            &table.file,
                            format!("expected {width} fields like the header, found {}", row.cells.len()),
                        );
                        diags.push(table.place(&text, &row, row.cells.len().min(width).saturating_sub(1), d));
                        continue;
                    }
                    table.rows.push(row);
                }
                Err(e) => diags.push(csv_error(&table.file, &text, &e)),
            }
        }
        table.text = text;
        ok.then_some(table)
    }

    /// The cell of `row` in column `name` (a canonical name), if the column exists.
    pub fn get<'r>(&self, row: &'r Row, name: &str) -> Option<&'r str> {
        self.index.get(name).and_then(|&i| row.cells.get(i))
    }

    /// True when the file has column `name`.
    pub fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// A diagnostic placed on the cell of `row` in column `name`.
    pub fn cell_diag(&self, row: &Row, name: &str, d: Diagnostic) -> Diagnostic {
        let d = d.field(name);
        match self.index.get(name) {
            Some(&i) => self.place(&self.text, row, i, d),
            None => d.at(row.line, 1),
        }
    }

    /// An error on a cell: "expected …, found `…`".
    pub fn cell_error(&self, row: &Row, name: &str, expected: &str) -> Diagnostic {
        let found = self.get(row, name).unwrap_or("");
        let msg = if crate::load::cell::trim(found).is_empty() {
            format!("expected {expected}, found an empty cell")
        } else {
            format!("expected {expected}, found `{found}`")
        };
        self.cell_diag(row, name, Diagnostic::error(&self.file, msg))
    }

    /// A diagnostic placed at the start of `row`.
    pub fn row_diag(&self, row: &Row, d: Diagnostic) -> Diagnostic {
        self.place(&self.text, row, 0, d)
    }

    fn header_diag(&self, text: &str, i: usize, msg: String) -> Diagnostic {
        let row = Row { line: 1, offset: 0, cells: csv::StringRecord::new() };
        self.place(text, &row, i, Diagnostic::error(&self.file, msg))
    }

    fn place(&self, text: &str, row: &Row, field: usize, d: Diagnostic) -> Diagnostic {
        let (start, end) = field_span(text, row.offset, field);
        let mut d = d.at_span(text, start, end);
        if end == start {
            d.width = 1;
        }
        d
    }
}

/// Byte span of field `n` (0-based) of the record starting at `offset`, quotes included.
fn field_span(text: &str, offset: usize, n: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let mut i = offset.min(bytes.len());
    let mut field = 0;
    let mut start = i;
    let mut in_quotes = false;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => in_quotes = !in_quotes,
            b',' if !in_quotes => {
                if field == n {
                    return (start, i);
                }
                field += 1;
                start = i + 1;
            }
            b'\n' | b'\r' if !in_quotes => break,
            _ => {}
        }
        i += 1;
    }
    (start, i)
}

fn csv_error(file: &str, text: &str, e: &csv::Error) -> Diagnostic {
    let msg = format!("this line is not valid CSV: {e}");
    match e.position() {
        Some(p) => Diagnostic::error(file, msg).at_span(text, p.byte() as usize, p.byte() as usize + 1),
        None => Diagnostic::error(file, msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: Columns = Columns {
        file: "data/t.csv",
        required: &["code", "name"],
        optional: &["name_en"],
        aliases: &[("代码", "code"), ("名称", "name")],
    };

    // Guards decoding: UTF-8, UTF-8 with BOM and GBK bytes all give the same text.
    #[test]
    fn decodes_bom_utf8_and_gbk() {
        let (gbk, _, _) = encoding_rs::GBK.encode("代码,名称\n450802,港北区\n");
        for (bytes, enc) in [
            ("代码,名称\n450802,港北区\n".as_bytes().to_vec(), "UTF-8"),
            ([b"\xef\xbb\xbf".as_slice(), "代码,名称\n450802,港北区\n".as_bytes()].concat(), "UTF-8 with BOM"),
            (gbk.into_owned(), "GB18030"),
        ] {
            let mut ds = Diagnostics::new();
            let t = Table::parse(&SPEC, &bytes, None, &mut ds).unwrap();
            assert!(ds.is_empty(), "{ds}");
            assert_eq!(t.encoding, enc);
            assert_eq!(t.get(&t.rows[0], "name"), Some("港北区"));
        }
    }

    // Guards header problems: unknown and duplicated columns, missing required ones.
    #[test]
    fn header_problems() {
        let mut ds = Diagnostics::new();
        let t = Table::parse(&SPEC, b"code,colour,code\n1,2,3\n", None, &mut ds);
        assert!(t.is_none());
        let msgs: Vec<_> = ds.sorted().iter().map(|d| (d.column, d.message.clone())).collect();
        assert_eq!(msgs[0].0, 1);
        assert!(msgs.iter().any(|(c, m)| *c == 6 && m.starts_with("unknown column `colour`")));
        assert!(msgs.iter().any(|(c, m)| *c == 13 && m == "column `code` appears twice"));
        assert!(msgs.iter().any(|(_, m)| m == "missing column `name` in the header line"));
    }

    // Guards cell positions in characters, with quotes and CJK before the cell.
    #[test]
    fn cell_positions() {
        let mut ds = Diagnostics::new();
        let t = Table::parse(&SPEC, "code,name\n\"45,1\",港北区\n".as_bytes(), None, &mut ds).unwrap();
        let d = t.cell_error(&t.rows[0], "name", "x");
        assert_eq!((d.line, d.column, d.width), (2, 8, 3));
        let d = t.cell_error(&t.rows[0], "code", "x");
        assert_eq!((d.line, d.column), (2, 1));
    }

    // Guards the field-count check, reported on the row and not aborting the file.
    #[test]
    fn ragged_rows() {
        let mut ds = Diagnostics::new();
        let t = Table::parse(&SPEC, b"code,name\n1,a,extra\n2,b\n\n", None, &mut ds).unwrap();
        assert_eq!(t.rows.len(), 1);
        let d = &ds.sorted()[0];
        assert_eq!((d.line, d.message.as_str()), (2, "expected 2 fields like the header, found 3"));
    }
}
