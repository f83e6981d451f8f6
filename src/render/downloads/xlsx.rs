//! Workbooks (`.xlsx`, through `rust_xlsxwriter`) for Excel and WPS: codes and ids as text
//! cells, figures as numbers at full precision with a display format, whole dates as dates, a
//! frozen header row with filters, and a sheet that explains the columns, the license and how
//! to cite the data.

use std::collections::BTreeMap;

use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, DocProperties, ExcelDateTime, Format, FormatBorder, Formula, Workbook,
    Worksheet,
};

use super::*;
use crate::config::Config;
use crate::format::Vocab;

/// The UI strings workbooks use (table and column descriptions, the explanation sheet's
/// labels, indicator names), per language: a job keyed on them is made again only when one
/// of these changes, not on any edit of the theme's strings.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Words(BTreeMap<String, BTreeMap<String, String>>, u64);

/// Hashed once: thousands of jobs are keyed on the same words.
impl std::hash::Hash for Words {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.1.hash(h);
    }
}

impl Words {
    /// The strings of `strings` that workbooks use.
    pub fn new(strings: &crate::render::templates::Strings) -> Self {
        let used = |k: &str| ["table_doc.", "column.", "workbook.", "ind.", "cite."].iter().any(|p| k.starts_with(p));
        let words: BTreeMap<String, BTreeMap<String, String>> = strings
            .iter()
            .map(|(lang, map)| {
                let map = map.iter().filter(|(k, _)| used(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
                (lang.clone(), map)
            })
            .collect();
        let mut h = std::hash::DefaultHasher::new();
        std::hash::Hash::hash(&words, &mut h);
        Words(words, std::hash::Hasher::finish(&h))
    }

    /// The string `key` of `lang` (the key itself when the theme lacks it: the theme check
    /// reports missing strings).
    pub(super) fn get(&self, lang: &str, key: &str) -> String {
        self.0.get(lang).and_then(|m| m.get(key)).map_or(key, String::as_str).to_string()
    }

    /// What a column holds, in `lang`.
    pub(super) fn meaning(&self, lang: &str, column: &str) -> String {
        match VALUE_COLUMNS.iter().find(|c| c.2 == column) {
            Some((scheme, id, _)) => {
                let name = self.get(lang, &format!("ind.{}.{id}.name", scheme.id()));
                self.get(lang, "column.indicator_value").replace("{name}", &name)
            }
            None => self.get(lang, &format!("column.{column}")),
        }
    }
}

/// What a workbook says about its table beyond the rows.
pub(super) struct Book<'a> {
    pub(super) words: &'a Words,
    pub(super) config: &'a Config,
    /// The table's part, when it holds some of the table's rows (a province's, a county's).
    pub(super) part: Option<String>,
    /// Whether each table's sheet is named after it (a county's workbook), else "data".
    pub(super) sheets_by_table: bool,
}

/// Worksheets of more cells than this keep one row in memory at a time (the rest goes to a
/// temporary file of `rust_xlsxwriter`'s), so that a large part never holds the build's
/// memory.
const LOW_MEMORY_CELLS: usize = 200_000;

/// Cells of a column looked at to size it.
const WIDTH_SAMPLE: usize = 2_000;

/// The tables as a workbook: each table's rows on a sheet of their own (one per school year when
/// they are more than a sheet holds), then the explanation sheet.
pub(super) fn to_xlsx(tables: &[&DataTable], book: &Book) -> Vec<u8> {
    to_xlsx_with(tables, book, EXCEL_SHEET_ROWS)
}

/// [`to_xlsx`] with sheets of at most `sheet_rows` rows, header included.
fn to_xlsx_with(tables: &[&DataTable], book: &Book, sheet_rows: usize) -> Vec<u8> {
    let config = book.config;
    let lang = config.default_language();
    let w = book.words;
    let title = |t: &DataTable| {
        let title = w.get(lang, &format!("table_doc.{}.title", t.name));
        match &book.part {
            Some(part) => format!("{title} ({part})"),
            None => title,
        }
    };
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(2000, 1, 1).expect("a valid date");
    wb.set_properties(
        &DocProperties::new()
            .set_title(title(tables[0]))
            .set_author(config.publisher.get(lang, lang))
            .set_comment("junheng")
            .set_creation_datetime(&created),
    );
    let formats = Formats::new();
    let mut lists = Lists::of(tables, lang);
    let mut placed = Vec::new();
    for t in tables {
        let name = match book.sheets_by_table {
            false => w.get(lang, "workbook.data"),
            true => w.get(lang, &format!("workbook.{}", t.name)),
        };
        placed.push((*t, data_sheets(&mut wb, t, &headers(t, lang), &name, sheet_rows, &formats, &lists)));
    }
    lists.add(&mut wb, &w.get(lang, "workbook.lists"), &placed, &formats);
    let titles: Vec<String> = tables.iter().map(|t| title(t)).collect();
    let about = own_name(&mut wb, &w.get(lang, "workbook.about"));
    about_sheet(wb.add_worksheet(), &about, tables, &titles, book, &formats);
    // Excel's own level: a third less time than the default 6 for files a twentieth larger.
    wb.set_zip_compression_level(3);
    wb.save_to_buffer().expect("a workbook of plain values")
}

/// The headers of a table's sheet: Chinese when the site's first language is.
fn headers(t: &DataTable, lang: &str) -> Vec<&'static str> {
    let zh = lang.starts_with("zh");
    t.columns.iter().map(|&(name, _)| if zh { columns::zh_header(t.name, name) } else { name }).collect()
}

/// The words of the vocabulary columns: in a Chinese workbook a cell shows the Chinese name
/// of its id (the loader reads either back); the columns of an input table get a drop-down of
/// the words, listed on a sheet of their own.
struct Lists {
    /// The lists' sheet (named once the data sheets are).
    name: String,
    /// Whether cells show the Chinese names.
    zh: bool,
    /// The vocabularies of the input tables' columns, each a column of the lists' sheet.
    vocabs: Vec<Vocab>,
}

impl Lists {
    fn of(tables: &[&DataTable], lang: &str) -> Lists {
        let mut vocabs = Vec::new();
        let input = tables.iter().filter(|t| crate::format::input_file(t.name).is_some());
        for v in input.flat_map(|t| t.columns.iter().filter_map(|c| crate::format::vocab(c.0))) {
            if !vocabs.contains(&v) {
                vocabs.push(v);
            }
        }
        Lists { name: String::new(), zh: lang.starts_with("zh"), vocabs }
    }

    /// Adds the lists' sheet, called `name` (or a variant no other sheet has), and the
    /// drop-downs of the input tables' sheets `placed` (each table with its sheets' indexes).
    fn add(&mut self, wb: &mut Workbook, name: &str, placed: &[(&DataTable, std::ops::Range<usize>)], f: &Formats) {
        if self.vocabs.is_empty() {
            return;
        }
        self.name = own_name(wb, name);
        for (t, sheets) in placed.iter().filter(|(t, _)| crate::format::input_file(t.name).is_some()) {
            let drop_downs: Vec<(u16, DataValidation)> = t
                .columns
                .iter()
                .enumerate()
                .filter_map(|(c, col)| Some((c as u16, self.validation(crate::format::vocab(col.0)?)?)))
                .collect();
            for i in sheets.clone() {
                let ws = wb.worksheet_from_index(i).expect("sheets were added");
                // Down to the sheet's last row, so that rows a person adds get it too.
                for (c, v) in &drop_downs {
                    ws.add_data_validation(1, *c, EXCEL_SHEET_ROWS as u32 - 1, *c, v)
                        .expect("a drop-down within the sheet");
                }
            }
        }
        self.sheet(wb.add_worksheet(), f);
    }

    /// The words a cell of `vocab` may hold, once each, in the data format's order.
    fn words(&self, vocab: Vocab) -> Vec<&'static str> {
        let mut words: Vec<&'static str> = Vec::new();
        for t in vocab.terms() {
            let w = if self.zh { t.zh.as_str() } else { t.id };
            if !words.contains(&w) {
                words.push(w);
            }
        }
        words
    }

    /// The drop-down of a column of `vocab`, if the workbook lists it.
    fn validation(&self, vocab: Vocab) -> Option<DataValidation> {
        let at = self.vocabs.iter().position(|v| *v == vocab)?;
        let column = (b'A' + at as u8) as char;
        let range = format!("='{}'!${column}$2:${column}${}", self.name, self.words(vocab).len() + 1);
        // A warning, not a refusal: ids and English names are read as well.
        Some(
            DataValidation::new()
                .allow_list_formula(Formula::new(range))
                .set_error_style(DataValidationErrorStyle::Warning),
        )
    }

    fn sheet(&self, ws: &mut Worksheet, f: &Formats) {
        ws.set_name(&self.name).expect("a valid sheet name");
        for (c, &vocab) in self.vocabs.iter().enumerate() {
            let column = vocab.column();
            let header = if self.zh { column.zh } else { column.name };
            ws.write_string_with_format(0, c as u16, header, &f.header).expect("a header cell");
            let words = self.words(vocab);
            for (r, w) in words.iter().enumerate() {
                ws.write_string(r as u32 + 1, c as u16, *w).expect("a cell of the lists");
            }
            let width = words.iter().map(|w| text_width(w)).max().unwrap_or(8).max(text_width(header));
            ws.set_column_width(c as u16, width.clamp(8, 60) as f64 + 1.0).expect("a column width");
        }
    }
}

/// Adds the sheets of `t`'s rows to `wb`; returns their indexes.
fn data_sheets(
    wb: &mut Workbook,
    t: &DataTable,
    headers: &[&str],
    name: &str,
    sheet_rows: usize,
    f: &Formats,
    lists: &Lists,
) -> std::ops::Range<usize> {
    let first = wb.worksheets().len();
    let sheets = sheet_names(t, name, sheet_rows);
    let low_memory = t.rows.len().saturating_mul(t.columns.len()) > LOW_MEMORY_CELLS;
    for name in &sheets {
        let name = own_name(wb, name);
        // Without a temporary file for it (an unwritable temporary folder), a sheet is held in
        // memory like a small one.
        if !(low_memory && wb.add_worksheet_with_low_memory().is_ok()) {
            wb.add_worksheet();
        }
        let ws = wb.worksheets_mut().last_mut().expect("a sheet was just added");
        ws.set_name(&name).expect("sheet names are checked");
        start_sheet(ws, t, headers, f);
    }
    // Each sheet's next row, and each column's width so far.
    let mut next = vec![1u32; sheets.len()];
    let mut widths: Vec<usize> = headers.iter().map(|h| text_width(h)).collect();
    let year_at = t.columns.iter().position(|c| c.0 == "school_year");
    // The vocabulary of each column whose cells show names, and the regime of a row (an
    // indicator is named by its regime).
    let vocabs: Vec<Option<Vocab>> = t.columns.iter().map(|c| crate::format::vocab(c.0).filter(|_| lists.zh)).collect();
    let scheme_at = t.columns.iter().position(|c| c.0 == "scheme");
    let mut index = 0usize;
    t.rows.each(|row| {
        let sheet = match (sheets.len(), year_at.map(|i| &row[i])) {
            (1, _) => 0,
            (_, Some(Cell::Text(year))) => sheets.iter().position(|s| s == year.as_ref()).unwrap_or(0),
            _ => index / (sheet_rows - 1),
        };
        let ws = wb.worksheet_from_index(first + sheet).expect("sheets were added");
        let r = next[sheet];
        next[sheet] += 1;
        let scheme = match scheme_at.map(|i| &row[i]) {
            Some(Cell::Text(s)) => crate::model::Scheme::parse(s),
            _ => None,
        };
        for (c, cell) in row.iter().enumerate() {
            let name = match (vocabs[c], cell) {
                (Some(vocab), Cell::Text(id)) => vocab.zh(id, scheme),
                _ => None,
            };
            if index < WIDTH_SAMPLE {
                widths[c] = widths[c].max(name.map_or_else(|| cell_width(cell), text_width));
            }
            match name {
                Some(name) => {
                    ws.write_string(r, c as u16, name).expect("a cell within the sheet's limits");
                }
                None => write_cell(ws, r, c as u16, cell, t.columns[c], f),
            }
        }
        index += 1;
    });
    for (i, rows) in next.iter().enumerate() {
        let ws = wb.worksheet_from_index(first + i).expect("sheets were added");
        finish_sheet(ws, t, rows - 1, &widths);
    }
    first..first + sheets.len()
}

/// The names of a table's sheets: `name`, or one per school year when the rows are more than
/// a sheet holds (numbered parts when the table has no school year).
fn sheet_names(t: &DataTable, name: &str, sheet_rows: usize) -> Vec<String> {
    if t.rows.len() < sheet_rows {
        return vec![sheet_name(name)];
    }
    match t.columns.iter().position(|c| c.0 == "school_year") {
        Some(at) => {
            let mut years = std::collections::BTreeSet::new();
            t.rows.each(|row| {
                if let Cell::Text(y) = &row[at]
                    && !years.contains(y.as_ref())
                {
                    years.insert(y.to_string());
                }
            });
            years.into_iter().collect()
        }
        None => (1..=t.rows.len().div_ceil(sheet_rows - 1)).map(|i| sheet_name(&format!("{name} {i}"))).collect(),
    }
}

/// A valid sheet name: at most 31 characters, none of `[]:*?/\`, not starting or ending with
/// `'`, not empty (the words of a theme name sheets).
fn sheet_name(name: &str) -> String {
    let name: String = name.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
    match name.trim_matches('\'') {
        "" => "sheet".to_string(),
        trimmed => trimmed.to_string(),
    }
}

/// [`sheet_name`] of `name`, numbered (`name (2)`) when a sheet of `wb` has it already (sheet
/// names are compared without case) or it is the name Excel keeps for itself.
fn own_name(wb: &mut Workbook, name: &str) -> String {
    let names: Vec<String> = wb.worksheets().iter().map(|w| w.name().to_lowercase()).collect();
    let taken = |n: &str| n.eq_ignore_ascii_case("history") || names.contains(&n.to_lowercase());
    let base = sheet_name(name);
    (1..)
        .map(|i| match i {
            1 => base.clone(),
            i => {
                let suffix = format!(" ({i})");
                let kept: String = base.chars().take(31 - suffix.chars().count()).collect();
                format!("{kept}{suffix}")
            }
        })
        .find(|n| !taken(n))
        .expect("a free name")
}

/// The formats cells use, made once per workbook.
struct Formats {
    header: Format,
    text: Format,
    coefficient: Format,
    date: Format,
    /// Numbers published with 0 to 6 decimals.
    decimals: Vec<Format>,
    bold: Format,
    wrap: Format,
}

impl Formats {
    fn new() -> Self {
        Formats {
            header: Format::new().set_bold().set_border_bottom(FormatBorder::Thin).set_text_wrap(),
            text: Format::new().set_num_format("@"),
            coefficient: Format::new().set_num_format("0.000"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            decimals: (0..=6)
                .map(|d| {
                    Format::new().set_num_format(if d == 0 { "0".to_string() } else { format!("0.{}", "0".repeat(d)) })
                })
                .collect(),
            bold: Format::new().set_bold(),
            wrap: Format::new().set_text_wrap(),
        }
    }
}

/// Columns of coefficients (shown with three decimals, as published tables print them).
fn is_coefficient(column: &str) -> bool {
    matches!(column, "cv" | "reported_cv" | "computed_cv" | "threshold")
}

fn start_sheet(ws: &mut Worksheet, t: &DataTable, headers: &[&str], f: &Formats) {
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &f.header).expect("a header cell");
        // Text columns stay text when a person types into them (codes keep their zeros), and
        // coefficients show three decimals, as published tables print them.
        let (name, ty) = t.columns[c];
        let format = match ty {
            Ty::Str => Some(&f.text),
            Ty::Num if is_coefficient(name) => Some(&f.coefficient),
            _ => None,
        };
        if let Some(format) = format {
            ws.set_column_format(c as u16, format).expect("a column format");
        }
    }
    ws.set_freeze_panes(1, 0).expect("the header row frozen");
}

fn finish_sheet(ws: &mut Worksheet, t: &DataTable, rows: u32, widths: &[usize]) {
    let last = (t.columns.len() - 1) as u16;
    ws.autofilter(0, 0, rows.max(1), last).expect("filters on the header row");
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, (*w).clamp(6, 60) as f64 + 1.0).expect("a column width");
    }
}

fn write_cell(ws: &mut Worksheet, r: u32, c: u16, cell: &Cell, (name, ty): (&str, Ty), f: &Formats) {
    let written = match cell {
        Cell::Null => return,
        Cell::Text(s) if matches!(ty, Ty::Date) => match whole_date(s) {
            Some(d) => ws.write_datetime_with_format(r, c, d, &f.date).map(|_| ()),
            None => ws.write_string_with_format(r, c, &*clip(s.as_ref()), &f.text).map(|_| ()),
        },
        // A cell without a format of its own takes its column's (set by `start_sheet`): text
        // cells and coefficients go without one, as a format per cell costs the writer a lookup.
        Cell::Text(s) => ws.write_string(r, c, &*clip(s.as_ref())).map(|_| ()),
        Cell::Fixed(v, Some(3)) if is_coefficient(name) => ws.write_number(r, c, *v).map(|_| ()),
        Cell::Fixed(v, Some(d)) => ws.write_number_with_format(r, c, *v, &f.decimals[(*d as usize).min(6)]).map(|_| ()),
        Cell::Num(v) | Cell::Fixed(v, None) => ws.write_number(r, c, *v).map(|_| ()),
        Cell::Int(v) => ws.write_number(r, c, *v as f64).map(|_| ()),
        Cell::Bool(b) => ws.write_boolean(r, c, *b).map(|_| ()),
    };
    written.expect("a cell within the sheet's limits");
}

/// At most what a cell holds. Texts of the data are held to it when they are read, so this
/// cuts only a theme's own text (a UI string), never a figure.
fn clip(s: &str) -> std::borrow::Cow<'_, str> {
    if s.len() <= crate::limits::TEXT_CHARS {
        return s.into();
    }
    match s.char_indices().nth(crate::limits::TEXT_CHARS) {
        Some((end, _)) => s[..end].into(),
        None => s.into(),
    }
}

/// A date with year, month and day (`2016-01-05`); partial dates stay text.
fn whole_date(s: &str) -> Option<ExcelDateTime> {
    let b = s.as_bytes();
    let shaped = b.len() == 10 && b[4] == b'-' && b[7] == b'-';
    shaped.then(|| ExcelDateTime::parse_from_str(s).ok()).flatten()
}

/// The width of a text in character cells (a CJK character takes two).
fn text_width(s: &str) -> usize {
    s.chars().map(|c| if (c as u32) >= 0x2E80 { 2 } else { 1 }).sum()
}

fn cell_width(cell: &Cell) -> usize {
    match cell {
        Cell::Null => 0,
        Cell::Text(s) => text_width(s),
        Cell::Num(_) | Cell::Fixed(..) => 12,
        Cell::Int(v) => v.to_string().len(),
        Cell::Bool(_) => 5,
    }
}

/// The explanation sheet: who publishes the data under which license and how to cite it, then
/// for each table what it holds and one row per column (header, field name, type, unit,
/// meaning in each language).
fn about_sheet(ws: &mut Worksheet, name: &str, tables: &[&DataTable], titles: &[String], book: &Book, f: &Formats) {
    let config = book.config;
    let w = book.words;
    let lang = config.default_language();
    ws.set_name(name).expect("a valid sheet name");
    let mut r = 0u32;
    let mut cell = |r: u32, c: u16, text: &str, format: Option<&Format>| {
        let text = &*clip(text);
        match format {
            Some(format) => ws.write_string_with_format(r, c, text, format),
            None => ws.write_string(r, c, text),
        }
        .expect("a cell of the explanation sheet");
    };
    let publisher = config.publisher.get(lang, lang);
    let license = match &config.license_url {
        Some(u) => format!("{} ({u})", config.license),
        None => config.license.clone(),
    };
    let citation = super::sqlite::citation(config, w, lang);
    for (key, value) in [
        ("workbook.publisher", publisher.to_string()),
        ("workbook.url", format!("{}downloads/", config.base_url)),
        ("workbook.license", license),
        ("workbook.cite", citation),
        ("workbook.made_by", "junheng".to_string()),
    ] {
        cell(r, 0, &w.get(lang, key), Some(&f.bold));
        cell(r, 1, &value, None);
        r += 1;
    }
    let languages = &config.languages;
    for (t, title) in tables.iter().zip(titles) {
        r += 1;
        cell(r, 0, title, Some(&f.bold));
        r += 1;
        cell(r, 0, &w.get(lang, &format!("table_doc.{}.what", t.name)), None);
        r += 1;
        let mut labels: Vec<String> = ["workbook.header", "workbook.field", "workbook.type", "workbook.unit"]
            .iter()
            .map(|k| w.get(lang, k))
            .collect();
        labels.extend(languages.iter().map(|l| format!("{} ({l})", w.get(l, "workbook.meaning"))));
        for (c, label) in labels.iter().enumerate() {
            cell(r, c as u16, label, Some(&f.header));
        }
        for (&(name, ty), header) in t.columns.iter().zip(headers(t, lang)) {
            r += 1;
            cell(r, 0, header, None);
            cell(r, 1, name, None);
            cell(r, 2, ty.name(), None);
            if let Some(unit) = columns::unit(name) {
                cell(r, 3, unit, None);
            }
            for (j, l) in languages.iter().enumerate() {
                cell(r, 4 + j as u16, &w.meaning(l, name), Some(&f.wrap));
            }
        }
        r += 1;
    }
    for (c, width) in [24.0, 24.0, 10.0, 8.0].into_iter().chain(languages.iter().map(|_| 60.0)).enumerate() {
        ws.set_column_width(c as u16, width).expect("a column width");
    }
}

/// A data-entry workbook of the input table `spec`, for a person to fill in: its sheet of rows
/// (the headers in `lang`, codes as text, drop-downs for the vocabulary columns) holding
/// `rows` (texts as the input format writes them), the lists of words, and an explanation
/// sheet: how to fill it in, then each column with whether it is required, its type, unit,
/// meaning in both languages, the words it takes and an example, then a whole example row.
/// Saved into a site's `data/`, it reads as the table.
pub fn entry_workbook(
    spec: &'static crate::format::InputFile,
    rows: &[Vec<&str>],
    words: &Words,
    lang: &str,
) -> Vec<u8> {
    let cells = |row: &Vec<&str>| -> Vec<Cell<'static>> {
        spec.columns
            .iter()
            .zip(row.iter().map(|v| v.to_string()).chain(std::iter::repeat(String::new())))
            .map(|(c, v)| match c.ty {
                _ if v.is_empty() => Cell::Null,
                Ty::Num | Ty::Int => v.parse().map_or_else(|_| Cell::Text(v.clone().into()), Cell::Num),
                _ => Cell::Text(v.into()),
            })
            .collect()
    };
    let t = DataTable {
        name: spec.name,
        columns: spec.columns.iter().map(|c| (c.name, c.ty)).collect(),
        primary_key: spec.primary_key,
        rows: Rows::Held(rows.iter().map(cells).collect()),
    };
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(2000, 1, 1).expect("a valid date");
    let title = words.get(lang, &format!("table_doc.{}.title", spec.name));
    wb.set_properties(&DocProperties::new().set_title(&title).set_comment("junheng").set_creation_datetime(&created));
    let f = Formats::new();
    let mut lists = Lists::of(&[&t], lang);
    let headers = headers(&t, lang);
    let sheets = data_sheets(&mut wb, &t, &headers, &words.get(lang, "workbook.data"), EXCEL_SHEET_ROWS, &f, &lists);
    lists.add(&mut wb, &words.get(lang, "workbook.lists"), &[(&t, sheets)], &f);
    let about = own_name(&mut wb, &words.get(lang, "workbook.about"));
    let ws = wb.add_worksheet();
    ws.set_name(&about).expect("a valid sheet name");
    let mut cell = |r: u32, c: u16, text: &str, format: Option<&Format>| {
        match format {
            Some(format) => ws.write_string_with_format(r, c, text, format),
            None => ws.write_string(r, c, text),
        }
        .expect("a cell of the explanation sheet");
    };
    cell(0, 0, &title, Some(&f.bold));
    cell(1, 0, &words.get(lang, &format!("table_doc.{}.what", spec.name)), None);
    cell(2, 0, &words.get(lang, "workbook.how_to"), None);
    let languages = ["zh-CN", "en"];
    let mut labels: Vec<String> =
        ["workbook.header", "workbook.field", "workbook.required", "workbook.type", "workbook.unit"]
            .iter()
            .map(|k| words.get(lang, k))
            .collect();
    labels.extend(languages.iter().map(|l| format!("{} ({l})", words.get(l, "workbook.meaning"))));
    labels.extend(["workbook.words", "workbook.example"].iter().map(|k| words.get(lang, k)));
    let mut r = 4;
    for (c, label) in labels.iter().enumerate() {
        cell(r, c as u16, label, Some(&f.header));
    }
    let shown = |c: &crate::format::Column, v: &'static str| match c.vocab {
        Some(vocab) if lists.zh => vocab.zh(v, example_scheme(spec)).unwrap_or(v),
        _ => v,
    };
    for (c, header) in spec.columns.iter().zip(&headers) {
        r += 1;
        cell(r, 0, header, None);
        cell(r, 1, c.name, None);
        cell(r, 2, &words.get(lang, if c.required { "workbook.yes" } else { "workbook.no" }), None);
        // A person's words for the type and unit (a program reads them from the Table Schema).
        cell(r, 3, &words.get(lang, &format!("workbook.type_{}", c.ty.name())), None);
        if let Some(unit) = c.unit {
            cell(r, 4, &words.get(lang, &format!("workbook.unit_{}", unit.replace('²', "2"))), None);
        }
        for (j, l) in languages.iter().enumerate() {
            cell(r, 5 + j as u16, &words.meaning(l, c.name), Some(&f.wrap));
        }
        if let Some(vocab) = c.vocab {
            let mut list: Vec<String> = Vec::new();
            for t in vocab.terms() {
                let w = if lists.zh { format!("{}（{}）", t.zh, t.id) } else { format!("{} ({})", t.id, t.en) };
                if !list.contains(&w) {
                    list.push(w);
                }
            }
            cell(r, 7, &list.join(if lists.zh { "、" } else { ", " }), Some(&f.wrap));
        }
        cell(r, 8, shown(c, c.example), None);
    }
    // The example as a row of the data sheet, marked as such: it is not read from here.
    r += 2;
    cell(r, 0, &words.get(lang, "workbook.example_row"), Some(&f.bold));
    r += 1;
    for (j, (c, header)) in spec.columns.iter().zip(&headers).enumerate() {
        cell(r, j as u16, header, Some(&f.header));
        cell(r + 1, j as u16, shown(c, c.example), None);
    }
    for (c, width) in [24.0, 20.0, 8.0, 8.0, 8.0, 40.0, 40.0, 50.0, 20.0].into_iter().enumerate() {
        ws.set_column_width(c as u16, width).expect("a column width");
    }
    wb.set_zip_compression_level(3);
    wb.save_to_buffer().expect("a workbook of plain values")
}

/// The regime of a file's example row (its indicator is named as that regime names it).
fn example_scheme(spec: &crate::format::InputFile) -> Option<crate::model::Scheme> {
    spec.column("scheme").and_then(|c| crate::model::Scheme::parse(c.example))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Guards sheet names from a theme's words: a name two sheets would share, Excel's own
    // `History` and one of apostrophes only give workbooks with distinct valid names (never a
    // panic), and the drop-downs point at the lists' sheet by the name it got.
    #[test]
    fn sheet_names_from_a_theme_are_made_valid_and_distinct() {
        use calamine::Reader as _;
        let toml = "title = \"t\"\nbase_url = \"https://example.org/\"\npublisher = \"p\"\nlanguages = [\"zh-CN\"]\n";
        let config = Config::parse(toml).unwrap();
        let own = [("workbook.data", "数据"), ("workbook.lists", "数据"), ("workbook.about", "History")];
        let strings: BTreeMap<String, BTreeMap<String, String>> =
            [("zh-CN".to_string(), own.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())]
                .into_iter()
                .collect();
        let words = Words::new(&std::sync::Arc::new(strings));
        let book = Book { words: &words, config: &config, part: None, sheets_by_table: false };
        let t = DataTable {
            name: "schools",
            columns: vec![("level", Ty::Str)],
            primary_key: &[],
            rows: Rows::Held(vec![vec![s("primary")]]),
        };
        let bytes = to_xlsx_with(&[&t], &book, 11);
        let cursor = std::io::Cursor::new(bytes.clone());
        let mut wb = calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(cursor).unwrap();
        assert_eq!(wb.sheet_names(), ["数据", "数据 (2)", "History (2)"]);
        assert_eq!(wb.worksheet_range("数据").unwrap().get((1, 0)).unwrap().to_string(), "小学");
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut sheet = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(), &mut sheet).unwrap();
        assert!(sheet.contains("'数据 (2)'!$A$2:$A$3"), "the drop-down names the lists' sheet: {sheet}");
        for odd in ["'''", "", "a/b[c]"] {
            assert!(!sheet_name(odd).is_empty() && !sheet_name(odd).starts_with('\''), "{odd}");
        }
    }

    // Guards tables longer than a sheet: their rows go to one sheet per school year (in order),
    // each with its header; a table without school years is cut into numbered sheets.
    #[test]
    fn long_tables_get_a_sheet_per_school_year() {
        use calamine::Reader as _;
        let config = Config::parse("title = \"t\"\nbase_url = \"https://example.org/\"\npublisher = \"p\"\n").unwrap();
        let words = Words::default();
        let book = Book { words: &words, config: &config, part: None, sheets_by_table: false };
        let years = ["2019-2020", "2020-2021", "2021-2022"];
        let rows: Vec<Vec<Cell>> = (0..30).map(|i| vec![s(years[i % 3]), Cell::Int(i as u64)]).collect();
        let t = DataTable {
            name: "results",
            columns: vec![("school_year", Ty::Str), ("n", Ty::Int)],
            primary_key: &[],
            rows: Rows::Held(rows),
        };
        let bytes = to_xlsx_with(&[&t], &book, 11);
        let mut wb = calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(wb.sheet_names(), ["2019-2020", "2020-2021", "2021-2022", "workbook.about"]);
        let first = wb.worksheet_range("2020-2021").unwrap();
        assert_eq!(first.height(), 11, "a header and ten rows");
        assert_eq!(first.get((1, 1)).unwrap().to_string(), "1");
        let t = DataTable {
            name: "results",
            columns: vec![("n", Ty::Int)],
            primary_key: &[],
            rows: Rows::Held((0..25).map(|i| vec![Cell::Int(i)]).collect()),
        };
        let bytes = to_xlsx_with(&[&t], &book, 11);
        let wb = calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(wb.sheet_names(), ["workbook.data 1", "workbook.data 2", "workbook.data 3", "workbook.about"]);
    }
}
