//! The load stage for a data table saved as a workbook (`data/<table>.xlsx`, read with calamine): its
//! cells become the text of a CSV table, read as a CSV file is, and every diagnostic names the
//! sheet and cell (`sheet 数据, cell B14`) instead of a line of that text.
//!
//! The rows are those of the first sheet, and of each following sheet with the same header
//! row (a table longer than a sheet, split by school year). Numbers are written as they would be
//! typed (`2600`, not `2600.0`), whole dates as `2016-01-05`, booleans as `true`/`false`.
//!
//! A workbook is a zip of XML parts: the parts' declared sizes are checked against the limits
//! before anything is unpacked (the zip reader refuses a part longer than it declares), and
//! each sheet is read once, cell by cell, so that a stray cell at `XFD1048576` costs one cell,
//! not a grid of seventeen billion.

use std::io::Cursor;
use std::sync::Arc;

use calamine::{DataRef, Reader, Xlsx};
use rustc_hash::FxHashSet as HashSet;

use super::data::{InputFile, Places, Table, column_name};
use crate::diag::{Diagnostic, Diagnostics};
use crate::limits;

/// Reads the table of `spec` from the workbook `bytes` (the file `file`).
pub fn table(spec: &InputFile, file: &str, bytes: Vec<u8>, diags: &mut Diagnostics) -> Option<Table> {
    let not_a_workbook = |e: &dyn std::fmt::Display| {
        Diagnostic::error(
            file,
            format!(
                "expected an Excel workbook (.xlsx, as Excel, WPS or LibreOffice save it), found a file that cannot be read as one: {e}"
            ),
        )
    };
    if let Err(e) = check_parts(&bytes) {
        diags.push(match e {
            PartsError::Zip(e) => not_a_workbook(&e),
            PartsError::TooLarge(msg) => Diagnostic::error(file, msg),
        });
        return None;
    }
    let mut book = match Xlsx::new(Cursor::new(bytes)) {
        Ok(book) => book,
        Err(e) => {
            diags.push(not_a_workbook(&e));
            return None;
        }
    };
    let mut read = Read {
        spec,
        sheets: Vec::new(),
        lines: Vec::new(),
        header: None,
        digits: Vec::new(),
        first_column: 0,
        rows: 0,
        out: csv::WriterBuilder::new().flexible(true).from_writer(Vec::new()),
        numbers: Vec::new(),
        unsaved: Found::default(),
        last_row: 0,
    };
    for name in book.sheet_names() {
        let formulas = match formula_cells(&mut book, &name) {
            Ok(formulas) => formulas,
            Err(e) => {
                diags.push(Diagnostic::error(file, format!("sheet {name}: expected a worksheet, found {e}")));
                return None;
            }
        };
        let mut cells = match book.worksheet_cells_reader(&name) {
            Ok(cells) => cells,
            Err(e) => {
                diags.push(Diagnostic::error(file, format!("sheet {name}: expected a worksheet, found {e}")));
                return None;
            }
        };
        match read.sheet(file, &name, &mut cells, &formulas, diags) {
            Sheet::Read => {}
            Sheet::Other => break,
            Sheet::Failed => return None,
        }
    }
    read.report(file, diags);
    for name in read.sheets.clone() {
        // Merged cells keep their value in the first cell only: the others read as empty. One
        // warning a sheet names the first range and counts the others.
        let merged = book.merge_cells_by_sheet_name(&name).unwrap_or_default();
        if let Some(first) = merged.first() {
            let (start, end) = (first.start, first.end);
            let range = format!("{}:{}", cell_name(start), cell_name(end));
            let more = match merged.len() - 1 {
                0 => String::new(),
                n => format!(" (and {n} more merged ranges)"),
            };
            let mut d = Diagnostic::warning(
                file,
                format!(
                    "merged cells{more}: a merged cell keeps its value in its first cell ({}) only, and the others read as empty; unmerge them and fill in each cell",
                    cell_name(start)
                ),
            )
            .at(start.0.saturating_add(1), 0);
            d.cell = Some(format!("sheet {name}, cells {range}").into());
            diags.push(d);
        }
    }
    if read.header.is_none() {
        diags.push(Diagnostic::error(
            file,
            format!("expected a sheet with a header row of {}, found no cells", spec.allowed()),
        ));
        return None;
    }
    let text = String::from_utf8(read.out.into_inner().expect("CSV in memory")).expect("cells are text");
    let places = Arc::new(Places { sheets: read.sheets, lines: read.lines, first_column: read.first_column });
    // What reading the text finds (a missing column, a duplicated one) is placed in the workbook.
    let mut found = Diagnostics::new();
    let table = Table::parse_text(spec, file.to_string(), text, "xlsx", &mut found);
    for d in found.sorted() {
        diags.push(places.place(d, None));
    }
    table.map(|mut t| {
        t.set_workbook(places);
        t
    })
}

/// Why a workbook's parts are not unpacked.
enum PartsError {
    Zip(zip::result::ZipError),
    TooLarge(String),
}

/// Checks the sizes the workbook's zip directory declares for its parts against the limits.
fn check_parts(bytes: &[u8]) -> Result<(), PartsError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(PartsError::Zip)?;
    let mut total = 0u64;
    for i in 0..zip.len() {
        let part = zip.by_index_raw(i).map_err(PartsError::Zip)?;
        let (size, name) = (part.size(), part.name().unwrap_or_default().to_string());
        let (max, what) = if name.starts_with("xl/worksheets/") {
            (limits::WORKBOOK_SHEET_BYTES, "sheet")
        } else {
            (limits::WORKBOOK_PART_BYTES, "part other than a sheet")
        };
        if size > max {
            return Err(PartsError::TooLarge(format!(
                "expected each {what} of a workbook to unpack to at most {}, found `{}` of {}: is this a workbook saved by a spreadsheet?",
                limits::bytes(max),
                crate::diag::shorten(&name, 80),
                limits::bytes(size)
            )));
        }
        total = total.saturating_add(size);
    }
    if total > limits::WORKBOOK_TOTAL_BYTES {
        return Err(PartsError::TooLarge(format!(
            "expected a workbook that unpacks to at most {}, found one of {}",
            limits::bytes(limits::WORKBOOK_TOTAL_BYTES),
            limits::bytes(total)
        )));
    }
    Ok(())
}

/// The cells of sheet `name` that hold a formula (at most [`FORMULAS_KEPT`] of them), read
/// before its values: a formula whose result was never saved reads as an empty cell.
fn formula_cells<R: std::io::Read + std::io::Seek>(
    book: &mut Xlsx<R>,
    name: &str,
) -> Result<HashSet<(u32, u32)>, calamine::XlsxError> {
    let mut cells = book.worksheet_cells_reader(name)?;
    let mut found = HashSet::default();
    while let Some(cell) = cells.next_formula()? {
        if !cell.get_value().is_empty() && found.len() < FORMULAS_KEPT {
            found.insert(cell.get_position());
        }
    }
    Ok(found)
}

/// The formula cells of a sheet that are remembered: enough to name the first of them and
/// count the rest, in bounded memory.
const FORMULAS_KEPT: usize = 100_000;

/// A cell's name: `B14`.
fn cell_name((row, col): (u32, u32)) -> String {
    format!("{}{}", column_name(col), u64::from(row) + 1)
}

/// The first cell found with a problem (its sheet, position and text) and how many more.
#[derive(Default)]
struct Found {
    first: Option<(String, (u32, u32), String)>,
    more: usize,
}

impl Found {
    fn add(&mut self, sheet: &str, at: (u32, u32), text: impl FnOnce() -> String) {
        match self.first {
            None => self.first = Some((sheet.to_string(), at, text())),
            Some(_) => self.more += 1,
        }
    }

    /// `d` about the first cell, with the count of the others.
    fn diagnostic(&self, make: impl FnOnce(&str, String) -> Diagnostic) -> Option<Diagnostic> {
        let (sheet, at, text) = self.first.as_ref()?;
        let more = match self.more {
            0 => String::new(),
            n => format!(" (and {n} more like it)"),
        };
        let mut d = make(text, more).at(at.0.saturating_add(1), 0);
        d.cell = Some(format!("sheet {sheet}, cell {}", cell_name(*at)).into());
        Some(d)
    }
}

/// The workbook's rows as they are read, sheet after sheet, written as CSV text.
struct Read<'s> {
    spec: &'s InputFile,
    /// For each column of the table (from its header): whether it holds identifiers in digits.
    digits: Vec<bool>,
    /// Number cells in a column of identifiers, by column.
    numbers: Vec<Found>,
    /// Formulas without a saved result.
    unsaved: Found,
    /// The last row of the current sheet read into the table (its header's, at first).
    last_row: u32,
    sheets: Vec<String>,
    /// For each line of `out`: the sheet (index in `sheets`) and its row (1-based).
    lines: Vec<(usize, u32)>,
    header: Option<Vec<String>>,
    first_column: u32,
    rows: usize,
    out: csv::Writer<Vec<u8>>,
}

/// How reading a sheet ended.
enum Sheet {
    /// Its rows continue the table (or it has none).
    Read,
    /// Its header differs: it is not part of the table, nor are the sheets after it.
    Other,
    /// It cannot be read (the problem is in the diagnostics).
    Failed,
}

/// One row of a sheet as it is read: its cells' columns and texts.
struct Row {
    at: u32,
    cells: Vec<(u32, String)>,
}

impl Read<'_> {
    /// Reads the sheet `name`, cell by cell (`formulas`: the cells that hold one).
    fn sheet<R: std::io::Read + std::io::Seek>(
        &mut self,
        file: &str,
        name: &str,
        cells: &mut calamine::XlsxCellReader<'_, R>,
        formulas: &HashSet<(u32, u32)>,
        diags: &mut Diagnostics,
    ) -> Sheet {
        // A diagnostic on a cell: its sheet and address shown, its row as the line (for order).
        let error = |(row, col): (u32, u32), msg: String| {
            let mut d = Diagnostic::error(file, msg).at(row.saturating_add(1), 0);
            d.cell = Some(format!("sheet {name}, cell {}{}", column_name(col), u64::from(row) + 1).into());
            d
        };
        let mut row: Option<Row> = None;
        // This sheet's header: its first column and width, once read.
        let mut table: Option<(u32, u32)> = None;
        let mut outside_reported = false;
        loop {
            let (cell, style) = match cells.next_cell_with_style_id() {
                Ok(Some(next)) => next,
                Ok(None) => break,
                Err(e) => {
                    diags.push(Diagnostic::error(file, format!("sheet {name}: expected a worksheet, found {e}")));
                    return Sheet::Failed;
                }
            };
            let (r, c) = cell.get_position();
            if r >= limits::SHEET_ROWS {
                diags.push(error(
                    (r, c),
                    format!(
                        "expected rows up to {}, the last row of a sheet, found a cell past it",
                        limits::SHEET_ROWS
                    ),
                ));
                return Sheet::Failed;
            }
            if let Some(current) = &row
                && r != current.at
            {
                if r < current.at {
                    diags.push(error(
                        (r, c),
                        "expected the rows of a sheet in order, found this cell after a later row: save the workbook again with a spreadsheet".into(),
                    ));
                    return Sheet::Failed;
                }
                let done = row.take().expect("a row is being read");
                match self.row(file, name, done, &mut table, diags) {
                    Some(Sheet::Read) | None => {}
                    Some(other) => return other,
                }
                if self.rows > limits::TABLE_ROWS {
                    diags.push(error(
                        (r, c),
                        format!("expected a table of at most {} rows, found more", limits::TABLE_ROWS),
                    ));
                    return Sheet::Failed;
                }
            }
            if matches!(cell.get_value(), DataRef::Empty) {
                if formulas.contains(&(r, c)) {
                    self.unsaved.add(name, (r, c), String::new);
                }
                continue;
            }
            // A value outside the table's columns (a stray cell far to the right, say) is
            // reported once per sheet, and left out.
            let outside = match table {
                Some((left, width)) => c < left || c >= left + width,
                None => {
                    c > row.as_ref().and_then(|r| r.cells.first()).map_or(c, |f| f.0) + limits::TABLE_COLUMNS as u32
                }
            };
            if outside {
                if !outside_reported {
                    diags.push(error(
                        (r, c),
                        "expected no value outside the table's columns (those of its header row), found one".into(),
                    ));
                    outside_reported = true;
                }
                continue;
            }
            // Number formats: a figure shown with fixed decimals (`0.000`) is read as shown, so
            // that a published `0.270` keeps its precision.
            let decimals = matches!(cell.get_value(), DataRef::Float(_))
                .then(|| cells.styles().get(style)?.number_format.as_ref().and_then(|f| fixed_decimals(&f.format_code)))
                .flatten();
            let text = cell_text(cell.get_value(), decimals).unwrap_or_else(|e| {
                diags.push(error((r, c), format!("expected a value, found the spreadsheet error `{e}`")));
                String::new()
            });
            // An identifier kept as a number (a spreadsheet drops its leading zeros).
            if let Some((left, _)) = table
                && matches!(cell.get_value(), DataRef::Float(_) | DataRef::Int(_))
                && self.digits.get((c - left) as usize) == Some(&true)
            {
                self.numbers[(c - left) as usize].add(name, (r, c), || text.clone());
            }
            row.get_or_insert_with(|| Row { at: r, cells: Vec::new() }).cells.push((c, text));
        }
        match row.map(|done| self.row(file, name, done, &mut table, diags)) {
            Some(Some(other @ (Sheet::Other | Sheet::Failed))) => other,
            _ => Sheet::Read,
        }
    }

    /// Adds a row of sheet `name` (its header row when `table` is not known yet): `Some` when
    /// the sheet's header ends the table.
    fn row(
        &mut self,
        file: &str,
        name: &str,
        mut row: Row,
        table: &mut Option<(u32, u32)>,
        diags: &mut Diagnostics,
    ) -> Option<Sheet> {
        let sheet_row = row.at + 1;
        let at = |(r, c): (u32, u32), d: Diagnostic| {
            let mut d = d.at(r.saturating_add(1), 0);
            d.cell = Some(format!("sheet {name}, cell {}", cell_name((r, c))).into());
            d
        };
        let record: Vec<String> = match *table {
            // A lone value below the table, past empty rows: a stray cell or a note, not a row.
            Some((_, width)) if width > 2 && row.cells.len() == 1 && row.at > self.last_row + 1 => {
                let (c, text) = &row.cells[0];
                let gap = row.at - self.last_row - 1;
                diags.push(at(
                    (row.at, *c),
                    Diagnostic::error(
                        file,
                        format!(
                            "expected a row of the table, found a lone value `{}` {gap} empty rows below it: a stray cell or a note? delete it (a note belongs on another sheet)",
                            crate::diag::shorten(text, 40)
                        ),
                    ),
                ));
                return None;
            }
            Some((left, width)) => {
                self.last_row = row.at;
                let mut record = vec![String::new(); width as usize];
                for (c, text) in row.cells {
                    record[(c - left) as usize] = text;
                }
                record
            }
            None => {
                // The header row ends at its first empty cell: a value past it widened the table.
                let gap = row.cells.windows(2).position(|w| w[1].0 > w[0].0 + 1);
                let mut widened = None;
                if let Some(i) = gap {
                    let (end, (c, text)) = (row.cells[i].0 + 1, &row.cells[i + 1]);
                    widened = Some(at(
                        (row.at, *c),
                        Diagnostic::error(
                            file,
                            format!(
                                "expected the header row to end at its first empty cell ({}), found `{}` beyond it: a stray cell? delete it, or give the columns between headers",
                                cell_name((row.at, end)),
                                crate::diag::shorten(text, 40)
                            ),
                        ),
                    ));
                    row.cells.truncate(i + 1);
                }
                self.last_row = row.at;
                let left = row.cells.iter().map(|c| c.0).min().unwrap_or(0);
                let right = row.cells.iter().map(|c| c.0).max().unwrap_or(0);
                let mut texts = vec![String::new(); (right - left + 1) as usize];
                for (c, text) in row.cells {
                    texts[(c - left) as usize] = text;
                }
                *table = Some((left, right - left + 1));
                match &self.header {
                    // A later sheet continues the table when its header row is the same.
                    Some(h) if *h != texts => return Some(Sheet::Other),
                    _ => {
                        if let Some(d) = widened {
                            diags.push(d);
                        }
                    }
                }
                match &self.header {
                    Some(_) => {
                        self.sheets.push(name.to_string());
                    }
                    None => {
                        let column = |h: &String| self.spec.canonical(h).and_then(|c| self.spec.column(c));
                        self.digits = texts.iter().map(|h| column(h).is_some_and(|c| c.digits)).collect();
                        self.numbers = texts.iter().map(|_| Found::default()).collect();
                        self.first_column = left;
                        self.sheets.push(name.to_string());
                        self.lines.push((self.sheets.len() - 1, sheet_row));
                        self.write(&texts);
                        self.header = Some(texts);
                    }
                }
                return None;
            }
        };
        self.lines.push((self.sheets.len() - 1, sheet_row));
        self.rows += 1;
        self.write(&record);
        None
    }

    /// What reading the sheets found beyond single cells: identifiers kept as numbers (a
    /// warning per column, even when no zero was lost yet), formulas without saved results.
    fn report(&self, file: &str, diags: &mut Diagnostics) {
        let header = self.header.as_deref().unwrap_or_default();
        for (found, h) in self.numbers.iter().zip(header) {
            let field = self.spec.canonical(h).unwrap_or_default();
            let d = found.diagnostic(|text, more| {
                Diagnostic::warning(
                    file,
                    format!(
                        "found the number {text}{more}: an identifier stored as a number loses its leading zeros (0145080401 becomes 145080401) when it is edited; format the column as text (设置单元格格式 → 文本) and type the ids again, or start from the workbook `junheng template` writes"
                    ),
                )
                .field(field)
            });
            if let Some(d) = d {
                diags.push(d);
            }
        }
        let d = self.unsaved.diagnostic(|_, more| {
            Diagnostic::error(
                file,
                format!(
                    "expected a value, found a formula without a saved result{more}: the workbook was written by a program that does not compute formulas; open it in Excel, WPS or LibreOffice and save it again"
                ),
            )
        });
        if let Some(d) = d {
            diags.push(d);
        }
    }

    fn write(&mut self, record: &[String]) {
        self.out.write_record(record).expect("CSV in memory");
    }
}

/// The decimals of a number format that shows a fixed number of them (`0`, `0.000`,
/// `#,##0.00`).
fn fixed_decimals(code: &str) -> Option<usize> {
    if code.is_empty() || !code.chars().all(|c| matches!(c, '0' | '#' | ',' | '.')) || !code.contains('0') {
        return None;
    }
    Some(code.split_once('.').map_or(0, |(_, d)| d.chars().filter(|c| *c == '0').count()))
}

/// A cell's text as a person would type it (a number with `decimals` fixed ones, when its
/// format shows so many), or the spreadsheet error it holds.
fn cell_text(cell: &DataRef<'_>, decimals: Option<usize>) -> Result<String, String> {
    Ok(match cell {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Int(v) => v.to_string(),
        DataRef::Float(v) if decimals.is_some() => format!("{v:.*}", decimals.unwrap_or(0)),
        // Whole numbers without a fraction (Excel keeps every number as a float).
        DataRef::Float(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{}", *v as i64),
        DataRef::Float(v) => v.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => {
            let (y, m, day, h, min, s, ms) = d.to_ymd_hms_milli();
            match (h, min, s, ms) {
                (0, 0, 0, 0) => format!("{y:04}-{m:02}-{day:02}"),
                _ => format!("{y:04}-{m:02}-{day:02}T{h:02}:{min:02}:{s:02}"),
            }
        }
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => return Err(e.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Guards the number formats read as fixed decimals (`0.270` stays three decimals).
    #[test]
    fn fixed_decimal_formats() {
        let found: Vec<Option<usize>> =
            ["0.000", "0", "#,##0.00", "General", "0.0%", "yyyy-mm-dd", "@"].map(fixed_decimals).to_vec();
        assert_eq!(found, [Some(3), Some(0), Some(2), None, None, None, None]);
    }

    // Guards the names of columns in diagnostics: A … Z, then AA, AB ….
    #[test]
    fn column_names() {
        assert_eq!(["A", "B", "Z", "AA", "AZ", "BA"], [0, 1, 25, 26, 51, 52].map(column_name));
    }
}
