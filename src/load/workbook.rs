//! Stage 1 for a data table saved as a workbook (`data/<table>.xlsx`, read with calamine): its
//! cells become the text of a CSV table, read as a CSV file is, and every diagnostic names the
//! sheet and cell (`sheet 数据, cell B14`) instead of a line of that text.
//!
//! The rows are those of the first sheet, and of each following sheet with the same header
//! row (a table longer than a sheet, split by school year). Numbers are written as they would be
//! typed (`2600`, not `2600.0`), whole dates as `2016-01-05`, booleans as `true`/`false`.

use std::io::Cursor;
use std::sync::Arc;

use calamine::{Data, Reader, Xlsx};

use super::data::{Columns, Places, Table, column_name};
use crate::diag::{Diagnostic, Diagnostics};

/// Reads the table of `spec` from the workbook `bytes` (the file `file`).
pub fn table(spec: &Columns, file: &str, bytes: Vec<u8>, diags: &mut Diagnostics) -> Option<Table> {
    let mut book = match Xlsx::new(Cursor::new(bytes)) {
        Ok(book) => book,
        Err(e) => {
            diags.push(Diagnostic::error(
                file,
                format!("expected an Excel workbook (.xlsx, as Excel, WPS or LibreOffice save it), found a file that cannot be read as one: {e}"),
            ));
            return None;
        }
    };
    let names = book.sheet_names();
    let mut sheets = Vec::new();
    let mut lines = Vec::new();
    let mut header: Option<Vec<String>> = None;
    let mut first_column = 0;
    let mut out = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for name in &names {
        let range = match book.worksheet_range(name) {
            Ok(range) => range,
            Err(e) => {
                diags.push(Diagnostic::error(file, format!("sheet {name}: expected a worksheet, found {e}")));
                return None;
            }
        };
        let Some((top, left)) = range.start() else { continue };
        // Number formats: a figure shown with fixed decimals (`0.000`) is read as shown, so
        // that a published `0.270` keeps its precision.
        let styles = book.worksheet_style(name).ok();
        let decimals = |row: u32, col: u32| {
            let style = styles.as_ref()?.get((row, col))?;
            fixed_decimals(&style.number_format.as_ref()?.format_code)
        };
        let mut rows = range.rows().enumerate().filter(|(_, r)| r.iter().any(|c| !matches!(c, Data::Empty)));
        let Some((at, first)) = rows.next() else { continue };
        let texts: Vec<String> = first.iter().map(|c| cell_text(c, None).unwrap_or_default()).collect();
        match &header {
            // A later sheet continues the table when its header row is the same.
            Some(h) if *h != texts => break,
            Some(_) => {}
            None => {
                first_column = left;
                lines.push((sheets.len(), top + at as u32 + 1));
                out.write_record(&texts).expect("CSV in memory");
                header = Some(texts);
            }
        }
        sheets.push(name.clone());
        for (at, row) in rows {
            let sheet_row = top + at as u32 + 1;
            let mut record = Vec::with_capacity(row.len());
            for (i, cell) in row.iter().enumerate() {
                let shown = matches!(cell, Data::Float(_)).then(|| decimals(sheet_row - 1, left + i as u32)).flatten();
                record.push(cell_text(cell, shown).unwrap_or_else(|error| {
                    let mut d =
                        Diagnostic::error(file, format!("expected a value, found the spreadsheet error `{error}`"))
                            .at(sheet_row, 0);
                    d.cell = Some(format!("sheet {name}, cell {}{sheet_row}", column_name(left + i as u32)).into());
                    diags.push(d);
                    String::new()
                }));
            }
            lines.push((sheets.len() - 1, sheet_row));
            out.write_record(&record).expect("CSV in memory");
        }
    }
    if header.is_none() {
        diags.push(Diagnostic::error(
            file,
            format!("expected a sheet with a header row of {}, found no cells", spec.allowed()),
        ));
        return None;
    }
    let text = String::from_utf8(out.into_inner().expect("CSV in memory")).expect("cells are text");
    let places = Arc::new(Places { sheets, lines, first_column });
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
fn cell_text(cell: &Data, decimals: Option<usize>) -> Result<String, String> {
    Ok(match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(v) => v.to_string(),
        Data::Float(v) if decimals.is_some() => format!("{v:.*}", decimals.unwrap_or(0)),
        // Whole numbers without a fraction (Excel keeps every number as a float).
        Data::Float(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{}", *v as i64),
        Data::Float(v) => v.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => {
            let (y, m, day, h, min, s, ms) = d.to_ymd_hms_milli();
            match (h, min, s, ms) {
                (0, 0, 0, 0) => format!("{y:04}-{m:02}-{day:02}"),
                _ => format!("{y:04}-{m:02}-{day:02}T{h:02}:{min:02}:{s:02}"),
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => return Err(e.to_string()),
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
