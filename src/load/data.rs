//! The load stage for data: a CSV file → [`Table`], keeping each row's position.
//!
//! Decoding sniffs a BOM, then tries strict UTF-8, then GB18030 (what "CSV (逗号分隔)" on
//! Chinese Windows writes). Headers are matched against an [`InputFile`] declaration: Chinese aliases
//! are accepted, missing required, unknown and duplicated columns are reported.

use rustc_hash::FxHashMap as HashMap;

use crate::diag::{Diagnostic, Diagnostics};
pub use crate::format::InputFile;
use crate::limits;
use crate::util::text;

/// One data row: where it is in the file and where its cells are in the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// 1-based line where the record starts.
    pub line: u32,
    /// Byte offset of the record in the decoded text.
    pub offset: usize,
    /// True when the record had quotes: its cells were unescaped into the table's `spill`
    /// text; otherwise they are the file's own text from `offset`.
    spilled: bool,
    /// Where the cells start (in `text` or `spill`).
    base: usize,
    /// This row's first entry in the table's `ends`.
    first: usize,
}

/// A decoded, header-checked CSV file.
///
/// Cells are not stored one string each: a record without quotes is read in place from the
/// file's text (only each cell's end is kept, as an offset from the record's start), and a
/// quoted record's cells are unescaped once into one shared text. Files of 2 MiB or more are
/// parsed in parallel pieces of about 1 MiB cut at record boundaries.
#[derive(Debug, Clone, PartialEq)]
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
    /// Cells per row (the header's).
    width: usize,
    /// For each row, `width` cell ends, relative to the row's `base`; cell `k` starts one
    /// byte (the separator) after cell `k - 1` ends.
    ends: Ends,
    /// The unescaped cells of quoted records.
    spill: String,
    /// For a table read from a workbook: where each line of `text` came from.
    pub(super) workbook: Option<std::sync::Arc<Places>>,
}

/// The cell ends of a table: two bytes each when every record is shorter than 64 KiB (as
/// good as always: it halves what the ends of two million school rows take), else four.
#[derive(Debug, Clone, PartialEq)]
enum Ends {
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

impl Ends {
    /// Entry `at`.
    fn get(&self, at: usize) -> usize {
        match self {
            Ends::Narrow(ends) => usize::from(ends[at]),
            Ends::Wide(ends) => ends[at] as usize,
        }
    }

    /// Ends for `n` entries, wide when some entry needs it.
    fn with_capacity(n: usize, wide: bool) -> Ends {
        if wide { Ends::Wide(Vec::with_capacity(n)) } else { Ends::Narrow(Vec::with_capacity(n)) }
    }

    fn len(&self) -> usize {
        match self {
            Ends::Narrow(ends) => ends.len(),
            Ends::Wide(ends) => ends.len(),
        }
    }

    fn extend(&mut self, more: &[u32]) {
        match self {
            // A narrow table was chosen because every end fits.
            Ends::Narrow(ends) => ends.extend(more.iter().map(|&e| e as u16)),
            Ends::Wide(ends) => ends.extend_from_slice(more),
        }
    }
}

/// Records in one piece of a file, as [`parse_records`] reads them.
#[derive(Default)]
struct Piece {
    rows: Vec<Row>,
    ends: Vec<u32>,
    /// Some end does not fit in two bytes.
    wide: bool,
    spill: String,
    diags: Diagnostics,
}

/// Below this size a file is parsed in one piece.
const PIECE_BYTES: usize = 1 << 20;

impl Table {
    /// Parses `bytes` as the file described by `spec`; problems go to `diags`.
    ///
    /// Returns `None` when the header is unusable (nothing can be read from the rows).
    pub fn parse(
        spec: &InputFile,
        bytes: impl Into<Vec<u8>>,
        forced: Option<&'static encoding_rs::Encoding>,
        diags: &mut Diagnostics,
    ) -> Option<Table> {
        match super::encoding::decode(spec.file, bytes.into(), forced) {
            Ok((text, encoding)) => Self::parse_text(spec, spec.file.to_string(), text, encoding, diags),
            Err(d) => {
                diags.push(d);
                None
            }
        }
    }

    /// Parses already decoded text.
    pub fn parse_text(
        spec: &InputFile,
        file: String,
        text: String,
        encoding: &'static str,
        diags: &mut Diagnostics,
    ) -> Option<Table> {
        Self::parse_in_pieces(spec, file, text, encoding, PIECE_BYTES, diags)
    }

    fn parse_in_pieces(
        spec: &InputFile,
        file: String,
        text: String,
        encoding: &'static str,
        piece_bytes: usize,
        diags: &mut Diagnostics,
    ) -> Option<Table> {
        let (header, (body_line, body)) = match read_header(spec, &file, &text) {
            Ok(read) => read,
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        let mut table = Table {
            file,
            encoding,
            text: String::new(),
            index: HashMap::default(),
            rows: Vec::new(),
            width: header.len(),
            ends: Ends::Narrow(Vec::new()),
            spill: String::new(),
            workbook: None,
        };
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
        for req in spec.required() {
            if !table.index.contains_key(req) {
                let first_line = text.lines().next().unwrap_or("");
                let d = Diagnostic::error(&table.file, format!("missing column `{req}` in the header line"))
                    .field(req)
                    .snippet(
                        first_line.strip_prefix('\u{feff}').unwrap_or(first_line),
                        header.iter().map(|h| h.chars().count() + 1).sum::<usize>().saturating_sub(1),
                    )
                    .at(1, 1);
                diags.push(d);
                ok = false;
            }
        }
        let cuts = cut_points(text.as_bytes(), body, piece_bytes);
        let pieces: Vec<Piece> = if cuts.len() <= 2 {
            vec![parse_records(&table.file, &text, (body_line, body), text.len(), table.width)]
        } else {
            use rayon::prelude::*;
            // The line each piece starts on: line breaks counted in parallel, then summed.
            let breaks: Vec<u32> = cuts
                .par_windows(2)
                .map(|w| memchr::memchr_iter(b'\n', &text.as_bytes()[w[0]..w[1]]).count() as u32)
                .collect();
            let starts: Vec<(u32, usize)> = cuts[..cuts.len() - 1]
                .iter()
                .zip(breaks.iter().scan(body_line, |line, n| {
                    let at = *line;
                    *line += n;
                    Some(at)
                }))
                .map(|(&cut, line)| (line, cut))
                .collect();
            starts
                .par_iter()
                .zip(cuts[1..].par_iter())
                .map(|(&start, &end)| parse_records(&table.file, &text, start, end, table.width))
                .collect()
        };
        let rows = pieces.iter().map(|p| p.rows.len()).sum();
        table.rows.reserve_exact(rows);
        let wide = pieces.iter().any(|p| p.wide);
        table.ends = Ends::with_capacity(rows * table.width, wide);
        for piece in pieces {
            let (first, base) = (table.ends.len(), table.spill.len());
            table.rows.extend(piece.rows.into_iter().map(|mut r| {
                r.first += first;
                if r.spilled {
                    r.base += base;
                }
                r
            }));
            table.ends.extend(&piece.ends);
            table.spill.push_str(&piece.spill);
            diags.extend(piece.diags);
        }
        table.text = text;
        table.check_text(diags);
        ok.then_some(table)
    }

    /// Reports control characters in any cell, and texts longer than a spreadsheet cell holds
    /// (naming line and field); the rest of the table is read as usual.
    fn check_text(&self, diags: &mut Diagnostics) {
        const MAX_REPORTED: usize = 20;
        let mut reported = 0;
        let mut last_row = None;
        for (at, c) in text::controls(&self.text) {
            let row = self.rows.partition_point(|r| r.offset <= at).checked_sub(1);
            if row.is_some() && row == last_row {
                continue;
            }
            last_row = row;
            reported += 1;
            if reported > MAX_REPORTED {
                continue;
            }
            let in_row = row.map(|i| &self.rows[i]).and_then(|r| {
                (0..self.width).find_map(|i| {
                    let c = text::controls(self.cell(r, i)).next()?.1;
                    Some(self.cell_diag(r, self.name_of(i), Diagnostic::error(&self.file, text::control_message(c))))
                })
            });
            diags.push(in_row.unwrap_or_else(|| {
                let end = at + c.len_utf8();
                self.in_workbook(
                    Diagnostic::error(&self.file, text::control_message(c)).at_span(&self.text, at, end),
                    None,
                )
            }));
        }
        if reported > MAX_REPORTED {
            diags.push(Diagnostic::error(
                &self.file,
                format!("{} more lines hold control characters", reported - MAX_REPORTED),
            ));
        }
        // A cell can be longer than allowed only in a record longer than that.
        let ends = self.rows.iter().skip(1).map(|r| r.offset).chain([self.text.len()]);
        for (row, end) in self.rows.iter().zip(ends) {
            if end - row.offset <= limits::TEXT_CHARS {
                continue;
            }
            for i in 0..self.width {
                let n = self.cell(row, i).chars().count();
                if n > limits::TEXT_CHARS {
                    let msg = format!(
                        "expected a text of at most {} characters (what a spreadsheet cell holds), found {n}",
                        limits::TEXT_CHARS
                    );
                    diags.push(self.cell_diag(row, self.name_of(i), Diagnostic::error(&self.file, msg)));
                }
            }
        }
    }

    /// The canonical name of column `i` (the header's text for a column that is not in the
    /// format).
    fn name_of(&self, i: usize) -> &'static str {
        self.index.iter().find(|(_, at)| **at == i).map_or("", |(name, _)| *name)
    }

    /// Cell `i` of `row` (`i` from [`Table::column`]).
    pub fn cell(&self, row: &Row, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends.get(row.first + i - 1) + 1 };
        let end = self.ends.get(row.first + i);
        let text = if row.spilled { &self.spill } else { &self.text };
        text.get(row.base + start..row.base + end).unwrap_or("")
    }

    /// The cell of `row` in column `name` (a canonical name), if the column exists.
    pub fn get(&self, row: &Row, name: &str) -> Option<&str> {
        self.index.get(name).map(|&i| self.cell(row, i))
    }

    /// The index of column `name` (a canonical name) in every row, if the file has it: for
    /// reading a large file's cells without looking the column up on every row.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// True when the file has column `name`.
    pub fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// A diagnostic placed on the cell of `row` in column `name`.
    pub fn cell_diag(&self, row: &Row, name: &str, d: Diagnostic) -> Diagnostic {
        let d = d.field(name);
        let field = self.index.get(name).copied();
        let d = match field {
            Some(i) => place(&self.text, row.line, row.offset, i, d),
            None => d.at(row.line, 1),
        };
        self.in_workbook(d, field)
    }

    /// Marks the table as read from a workbook: its diagnostics name sheets and cells.
    pub(super) fn set_workbook(&mut self, places: std::sync::Arc<Places>) {
        self.workbook = Some(places);
    }

    /// `d`, placed on a line of this table, placed in the workbook it was read from (sheet,
    /// cell) when it was.
    fn in_workbook(&self, d: Diagnostic, field: Option<usize>) -> Diagnostic {
        match &self.workbook {
            Some(places) => places.place(d, field),
            None => d,
        }
    }

    /// An error on a cell: "expected …, found `…`".
    pub fn cell_error(&self, row: &Row, name: &str, expected: &str) -> Diagnostic {
        let found = self.get(row, name).unwrap_or("");
        let msg = if crate::load::cell::trim(found).is_empty() {
            format!("expected {expected}, found an empty cell")
        } else {
            format!("expected {expected}, found `{}`", crate::diag::shorten(found, 100))
        };
        self.cell_diag(row, name, Diagnostic::error(&self.file, msg))
    }

    /// A diagnostic placed at the start of `row`.
    pub fn row_diag(&self, row: &Row, d: Diagnostic) -> Diagnostic {
        self.in_workbook(place(&self.text, row.line, row.offset, 0, d), None)
    }

    fn header_diag(&self, text: &str, i: usize, msg: String) -> Diagnostic {
        place(text, 1, 0, i, Diagnostic::error(&self.file, msg))
    }
}

/// The header record of `text` and where the body starts (line, byte offset), once the text is
/// known to be within the limits; an empty file, an unreadable or too wide header is an error.
fn read_header(spec: &InputFile, file: &str, text: &str) -> Result<(csv::StringRecord, (u32, usize)), Diagnostic> {
    if let Some(d) = over_limits(file, text) {
        return Err(d);
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut header = csv::StringRecord::new();
    match reader.read_record(&mut header) {
        Ok(true) => {}
        Ok(false) => {
            let msg = format!("expected a header line with {}, found an empty file", spec.allowed());
            return Err(Diagnostic::error(file, msg).at(1, 1));
        }
        Err(e) => return Err(csv_error(file, text, (1, 0), &e)),
    }
    if header.len() > limits::TABLE_COLUMNS {
        let msg = format!("expected a header of at most {} columns, found {}", limits::TABLE_COLUMNS, header.len());
        return Err(Diagnostic::error(file, msg).at_span(text, 0, 0));
    }
    Ok((header, (reader.position().line() as u32, reader.position().byte() as usize)))
}

/// A line longer than a record may be, or more lines than a table may have: found before the
/// text is parsed, so that neither costs more than the scan.
fn over_limits(file: &str, text: &str) -> Option<Diagnostic> {
    let (mut start, mut line) = (0usize, 1u32);
    for end in memchr::memchr_iter(b'\n', text.as_bytes()).chain([text.len()]) {
        if end - start > limits::RECORD_BYTES {
            let msg = format!(
                "expected lines of at most {}, found one of {}: is this a data table?",
                limits::bytes(limits::RECORD_BYTES as u64),
                limits::bytes((end - start) as u64)
            );
            return Some(Diagnostic::error(file, msg).at_span_after(text, (line, start), start, start));
        }
        if line as usize > limits::TABLE_ROWS + 1 {
            let msg = format!("expected at most {} rows, found more lines", limits::TABLE_ROWS);
            return Some(Diagnostic::error(file, msg).at(line, 1));
        }
        start = end + 1;
        line += 1;
    }
    None
}

/// Places `d` on field `field` of the record at `offset`, which starts on `line`.
fn place(text: &str, line: u32, offset: usize, field: usize, d: Diagnostic) -> Diagnostic {
    let (start, end) = field_span(text, offset, field);
    let mut d = d.at_span_after(text, (line, offset), start, end);
    if end == start {
        d.width = 1;
    }
    d
}

/// Where to cut `bytes[from..]` into pieces of about `piece_bytes` that start at record
/// boundaries: the first entry is `from`, the last `bytes.len()`. A newline is a boundary
/// when it is outside quotes; when a quote stands where RFC 4180 puts none (a stray `"`
/// inside a cell), where quoting ends cannot be told without parsing, and the file is one
/// piece.
fn cut_points(bytes: &[u8], from: usize, piece_bytes: usize) -> Vec<usize> {
    let len = bytes.len().saturating_sub(from);
    let pieces = len / piece_bytes.max(1);
    let whole = vec![from, bytes.len()];
    if pieces < 2 {
        return whole;
    }
    let mut quotes = Quotes { bytes, pos: from, inside: false };
    let mut cuts = vec![from];
    for k in 1..pieces {
        let mut pos = (from + len / pieces * k).max(*cuts.last().unwrap_or(&from));
        loop {
            let Some(nl) = memchr::memchr(b'\n', &bytes[pos..]).map(|i| pos + i) else {
                pos = bytes.len();
                break;
            };
            if quotes.advance(nl).is_none() {
                return whole;
            }
            pos = nl + 1;
            if !quotes.inside {
                break;
            }
        }
        if pos >= bytes.len() {
            break;
        }
        if pos > *cuts.last().unwrap_or(&from) {
            cuts.push(pos);
        }
    }
    cuts.push(bytes.len());
    cuts
}

/// Follows the quotes of CSV text from its start to tell whether a position is inside a
/// quoted cell.
struct Quotes<'a> {
    bytes: &'a [u8],
    /// Quotes before this offset have been read.
    pos: usize,
    /// Whether `pos` is inside a quoted cell.
    inside: bool,
}

impl Quotes<'_> {
    /// Reads the quotes before `end`; `None` at a quote that neither opens a cell (after a
    /// separator or line break) nor closes one (before a separator or line break) nor is
    /// doubled inside one.
    fn advance(&mut self, end: usize) -> Option<()> {
        let b = self.bytes;
        while self.pos < end {
            let Some(i) = memchr::memchr(b'"', &b[self.pos..end]).map(|i| self.pos + i) else {
                self.pos = end;
                break;
            };
            if self.inside {
                match b.get(i + 1) {
                    Some(b'"') => {
                        self.pos = i + 2;
                        continue;
                    }
                    None | Some(b',' | b'\n' | b'\r') => self.inside = false,
                    Some(_) => return None,
                }
            } else {
                match i.checked_sub(1).map(|p| b[p]) {
                    None | Some(b',' | b'\n' | b'\r') => self.inside = true,
                    Some(_) => return None,
                }
            }
            self.pos = i + 1;
        }
        Some(())
    }
}

/// Reads the records of `text[start.1..end]` (which starts on line `start.0`) into a
/// [`Piece`]; rows whose field count differs from `width` are reported, not kept.
fn parse_records(file: &str, text: &str, start: (u32, usize), end: usize, width: usize) -> Piece {
    let (first_line, from) = start;
    let bytes = text.as_bytes();
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&bytes[from..end.max(from)]);
    let mut record = csv::ByteRecord::new();
    let mut piece = Piece::default();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                piece.diags.push(csv_error(file, text, (first_line, from), &e));
                break;
            }
        }
        let Some(pos) = record.position() else { continue };
        let mut line = (first_line + pos.line() as u32).saturating_sub(1);
        let mut offset = from + pos.byte() as usize;
        // After a CRLF line the reader's position is the LF, one line short: start the
        // record at its first byte instead (records never start with a line break).
        while let Some(&b) = bytes.get(offset).filter(|b| matches!(b, b'\n' | b'\r')) {
            line += u32::from(b == b'\n');
            offset += 1;
        }
        if record.len() == 1 && crate::load::cell::trim(&String::from_utf8_lossy(&record[0])).is_empty() {
            continue; // a blank line, as spreadsheets leave at the end
        }
        if record.len() != width {
            let d = Diagnostic::error(file, format!("expected {width} fields like the header, found {}", record.len()));
            piece.diags.push(place(text, line, offset, record.len().min(width).saturating_sub(1), d));
            continue;
        }
        // In place when the record's text is its cells joined by commas (no quotes).
        let joined = record.as_slice().len() + width - 1;
        let plain = bytes.get(offset..offset + joined).is_some_and(|raw| memchr::memchr(b'"', raw).is_none())
            && matches!(bytes.get(offset + joined), None | Some(b'\n' | b'\r'));
        let (base, spilled) = if plain { (offset, false) } else { (piece.spill.len(), true) };
        let mut at = 0usize;
        for (i, cell) in record.iter().enumerate() {
            if spilled {
                if i > 0 {
                    piece.spill.push(',');
                }
                // Cells of valid UTF-8 text cut at ASCII quotes and commas stay valid.
                piece.spill.push_str(&String::from_utf8_lossy(cell));
                at = piece.spill.len() - base;
            } else {
                at += usize::from(i > 0) + cell.len();
            }
            let Ok(end) = u32::try_from(at) else {
                piece.diags.push(place(
                    text,
                    line,
                    offset,
                    i,
                    Diagnostic::error(file, "expected a record shorter than 4 GiB, found a longer one"),
                ));
                if spilled {
                    piece.spill.truncate(base);
                }
                piece.ends.truncate(piece.rows.len() * width);
                break;
            };
            piece.wide |= end > u32::from(u16::MAX);
            piece.ends.push(end);
        }
        if piece.ends.len() == (piece.rows.len() + 1) * width {
            piece.rows.push(Row { line, offset, spilled, base, first: piece.rows.len() * width });
        }
    }
    piece
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

/// A CSV reader's error, placed in `text` (the reader started at `start`: line, offset).
fn csv_error(file: &str, text: &str, start: (u32, usize), e: &csv::Error) -> Diagnostic {
    let msg = format!("this line is not valid CSV: {e}");
    match e.position() {
        Some(p) => {
            let at = start.1 + p.byte() as usize;
            Diagnostic::error(file, msg).at_span_after(text, start, at, at + 1)
        }
        None => Diagnostic::error(file, msg),
    }
}

/// Where each line of a table read from a workbook came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Places {
    pub(super) sheets: Vec<String>,
    /// For line `n` (1-based) of the table's text, entry `n - 1`: the sheet (its index in
    /// `sheets`) and the row (1-based), and the column of the sheet where the table's first
    /// column is (0-based: a table need not start at column A).
    pub(super) lines: Vec<(usize, u32)>,
    pub(super) first_column: u32,
}

impl Places {
    /// `d`, placed on line `d.line` of the table's text (and on its cell `field`), placed in the
    /// workbook.
    pub fn place(&self, mut d: Diagnostic, field: Option<usize>) -> Diagnostic {
        let Some(&(sheet, row)) = self.lines.get((d.line as usize).wrapping_sub(1)) else { return d };
        let sheet = &self.sheets[sheet];
        d.cell = Some(
            match field {
                Some(i) => format!("sheet {sheet}, cell {}{row}", column_name(self.first_column + i as u32)),
                None => format!("sheet {sheet}, row {row}"),
            }
            .into(),
        );
        d.line = row;
        d
    }
}

/// `A`, `B`, … `Z`, `AA` … for a 0-based column.
pub(super) fn column_name(mut i: u32) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).expect("ASCII letters")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Column;

    const SPEC: InputFile = InputFile {
        name: "t",
        file: "data/t.csv",
        columns: &[
            Column::new("code", "代码").required(),
            Column::new("name", "名称").required(),
            Column::new("name_en", "英文名"),
        ],
        area: None,
        primary_key: &[],
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
            let t = Table::parse(&SPEC, bytes, None, &mut ds).unwrap();
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

    // Guards positions in files saved with CRLF line ends (Excel on Windows): the csv
    // reader's own record position is the LF of the line before.
    #[test]
    fn crlf_positions() {
        let mut ds = Diagnostics::new();
        let t = Table::parse(&SPEC, "code,name\r\n1,港北区\r\n2\r\n\r\n3,b\r\n".as_bytes(), None, &mut ds).unwrap();
        let d = t.cell_error(&t.rows[0], "name", "x");
        assert_eq!((d.line, d.column, d.source_line.as_deref()), (2, 3, Some("1,港北区")));
        assert_eq!((t.rows[1].line, t.get(&t.rows[1], "code")), (5, Some("3")));
        let d = &ds.sorted()[0];
        assert_eq!((d.line, d.column, d.message.as_str()), (3, 1, "expected 2 fields like the header, found 1"));
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

    /// Rows as (line, offset, cells) and the diagnostics' text.
    type Parsed = (Vec<(u32, usize, Vec<String>)>, Vec<String>);

    fn parsed(text: &str, piece_bytes: usize) -> Parsed {
        let mut ds = Diagnostics::new();
        let t = Table::parse_in_pieces(&SPEC, SPEC.file.into(), text.into(), "UTF-8", piece_bytes, &mut ds);
        let rows = t
            .map(|t| {
                t.rows
                    .iter()
                    .map(|r| (r.line, r.offset, (0..t.width).map(|i| t.cell(r, i).to_string()).collect()))
                    .collect()
            })
            .unwrap_or_default();
        (rows, ds.sorted().iter().map(|d| d.to_string()).collect())
    }

    // Guards the two widths of cell ends: a record of 64 KiB or more (quoted or not) makes the
    // table keep four-byte ends, and its cells and the other rows read the same in pieces and
    // whole; an ordinary table keeps two-byte ends.
    #[test]
    fn long_records_keep_wide_ends() {
        let long = "长".repeat(30_000);
        let mut text = String::from("code,name\n");
        for i in 0..2_000 {
            text.push_str(&format!("{i},港北区{i}\n"));
        }
        text.push_str(&format!("x,{long}\n\"y\",\"{long}\"\"\"\n"));
        for i in 0..2_000 {
            text.push_str(&format!("{i},b{i}\n"));
        }
        let whole = parsed(&text, usize::MAX);
        assert_eq!(whole, parsed(&text, 4096));
        assert_eq!(whole.0.len(), 4_002);
        assert_eq!(whole.0[2_000].2, ["x".to_string(), long.clone()]);
        assert_eq!(whole.0[2_001].2, ["y".to_string(), format!("{long}\"")]);
        assert_eq!(whole.0[4_001].2, ["1999", "b1999"]);
        let mut ds = Diagnostics::new();
        let t = Table::parse(&SPEC, text.as_bytes(), None, &mut ds).unwrap();
        assert!(matches!(t.ends, Ends::Wide(_)));
        let t = Table::parse(&SPEC, "code,name\n1,a\n".as_bytes(), None, &mut ds).unwrap();
        assert!(matches!(t.ends, Ends::Narrow(_)));
    }

    // Guards cutting a file into pieces: any text parses in pieces exactly as in one piece
    // (cells, lines, offsets, diagnostics), with quoted line breaks, doubled quotes, CRLF,
    // blank and ragged lines, and stray quotes (which keep the file whole).
    #[test]
    fn pieces_parse_like_the_whole() {
        use proptest::prelude::*;
        let cell = prop::sample::select(vec!["1", "港北", "", "\"a,b\"", "\"x\ny\"", "\"q\"\"q\"", "a\"b", " "]);
        let line = prop::collection::vec(cell, 1..4).prop_map(|c| c.join(","));
        let ending = prop::sample::select(vec!["\n", "\r\n", "\n\n"]);
        let rows = prop::collection::vec((line, ending), 0..40)
            .prop_map(|rows| rows.into_iter().map(|(l, e)| format!("{l}{e}")).collect::<String>());
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases: 256,
            failure_persistence: None,
            ..Default::default()
        });
        runner
            .run(&(rows, 1usize..24), |(rows, piece)| {
                let text = format!("code,name\n{rows}");
                prop_assert_eq!(parsed(&text, piece), parsed(&text, usize::MAX));
                Ok(())
            })
            .unwrap();
        // And the cutting does happen: a file of plain and quoted rows is cut into pieces.
        let text = format!("code,name\n{}", "1,\"a\nb\"\n2,x\n".repeat(50));
        let cuts = cut_points(text.as_bytes(), 10, 64);
        assert!(cuts.len() > 5, "{cuts:?}");
        assert!(cuts[1..cuts.len() - 1].iter().all(|&c| !text[..c].ends_with("a\n")), "{cuts:?}");
        assert_eq!(
            cut_points("code\n1\"2\n".repeat(40).as_bytes(), 5, 8).len(),
            2,
            "a stray quote keeps the file whole"
        );
    }
}
