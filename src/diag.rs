//! Diagnostics: every problem found in a user's site, with its place.
//!
//! Third-party positions (csv, toml, minijinja, lightningcss, pulldown-cmark) are converted
//! here, once, into 1-based `line:column` where the column counts characters. Rendering
//! gives a first line that stands alone (file:line:column: field: message), then the source
//! line and a caret.

use std::fmt;

/// The longest part of a source line a diagnostic shows, in characters.
pub const SHOWN_CHARS: usize = 200;

/// At most `max` characters of a value the user wrote, for a message (`…` where it was cut).
///
/// ```
/// assert_eq!(junheng::diag::shorten("港北区覃塘区", 3), "港北区…");
/// assert_eq!(junheng::diag::shorten("ab", 3), "ab");
/// ```
pub fn shorten(value: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match value.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &value[..end]).into(),
        None => value.into(),
    }
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The site cannot be published as it is.
    Error,
    /// Suspicious but possible; the build goes on.
    Warning,
    /// Worth knowing, nothing wrong (why a site shows no revision history, say).
    Note,
}

/// One problem in the user's site.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Path relative to the site root, with `/` separators.
    pub file: String,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: u32,
    /// 1-based column in characters; 0 when unknown.
    pub column: u32,
    /// The CSV header, front-matter key, config key or template variable concerned.
    pub field: Option<String>,
    /// What was expected and what was found, in the user's terms.
    pub message: String,
    /// The text of the offending line, shown under the message.
    pub source_line: Option<Box<str>>,
    /// Width of the underline, in characters (at least 1 when a source line is shown, at most
    /// [`SHOWN_CHARS`]).
    pub width: u16,
    /// Characters of the line left out before `source_line` (a long line is shown around the
    /// problem only).
    #[serde(skip)]
    pub shown_from: u32,
    /// For a workbook: the sheet and cell (`sheet 数据, cell B14`), shown instead of the line
    /// and column.
    pub cell: Option<Box<str>>,
}

impl Diagnostic {
    /// A new error about `file` with no position yet.
    pub fn error(file: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: file.into(),
            line: 0,
            column: 0,
            field: None,
            message: message.into(),
            source_line: None,
            width: 0,
            shown_from: 0,
            cell: None,
        }
    }

    /// A new warning about `file` with no position yet.
    pub fn warning(file: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(file, message) }
    }

    /// A new note about `file`.
    pub fn note(file: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Note, ..Diagnostic::error(file, message) }
    }

    /// Sets the line and column (1-based, characters).
    pub fn at(mut self, line: u32, column: u32) -> Self {
        self.line = line;
        self.column = column;
        self
    }

    /// Sets the field the problem concerns.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Attaches the source line and the width of the part to underline. A line longer than
    /// [`SHOWN_CHARS`] is shown around the column only, with `…` where it was cut.
    pub fn snippet(mut self, line_text: impl AsRef<str>, width: usize) -> Self {
        let line_text = line_text.as_ref();
        self.width = width.clamp(1, SHOWN_CHARS) as u16;
        self.shown_from = 0;
        if line_text.len() <= SHOWN_CHARS {
            self.source_line = Some(line_text.into());
            return self;
        }
        let from = (self.column as usize).saturating_sub(1 + SHOWN_CHARS / 3);
        let mut shown: String = line_text.chars().skip(from).take(SHOWN_CHARS + 1).collect();
        if shown.chars().count() > SHOWN_CHARS {
            shown = shown.chars().take(SHOWN_CHARS).collect::<String>() + "…";
        }
        if from > 0 {
            shown.insert(0, '…');
            self.shown_from = from as u32 - 1;
        }
        self.source_line = Some(shown.into_boxed_str());
        self
    }

    /// Places the diagnostic at a byte range of `text`, filling line, column and snippet.
    pub fn at_span(self, text: &str, start: usize, end: usize) -> Self {
        self.at_span_after(text, (1, 0), start, end)
    }

    /// [`Diagnostic::at_span`] when the 1-based line of an earlier offset is known (a CSV
    /// record's start): only the text between them is read, so placing a diagnostic costs
    /// the length of a record, not of the file.
    pub fn at_span_after(self, text: &str, known: (u32, usize), start: usize, end: usize) -> Self {
        let bytes = text.as_bytes();
        let mut start = start.min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let from = known.1.min(start);
        let line = known.0 + memchr::memchr_iter(b'\n', &bytes[from..start]).count() as u32;
        let line_start = memchr::memrchr(b'\n', &bytes[..start]).map_or(0, |i| i + 1);
        let line_end = memchr::memchr(b'\n', &bytes[start..]).map_or(text.len(), |i| start + i);
        let before = &text[line_start..start];
        let mut column = before.chars().count() as u32 + 1;
        // A byte-order mark is not a column the user can see.
        if line_start == 0 && before.starts_with('\u{feff}') {
            column -= 1;
        }
        let line_text = text[line_start..line_end].trim_end_matches('\r');
        let line_text = line_text.strip_prefix('\u{feff}').unwrap_or(line_text);
        let end = end.max(start).min(text.len());
        let width = text.get(start..end).map_or(1, |s| s.lines().next().unwrap_or("").chars().count());
        self.at(line, column).snippet(line_text, width)
    }

    /// The first line: `error: file:line:col: field `x`: message`.
    pub fn headline(&self) -> String {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        if self.file.is_empty() {
            return format!("{kind}: {}", self.message);
        }
        let mut s = format!("{kind}: {}", self.file);
        if let Some(cell) = &self.cell {
            s.push_str(&format!(": {cell}"));
        } else if self.line > 0 {
            s.push_str(&format!(":{}", self.line));
            if self.column > 0 {
                s.push_str(&format!(":{}", self.column));
            }
        }
        s.push_str(": ");
        if let Some(field) = &self.field {
            s.push_str(&format!("field `{field}`: "));
        }
        s.push_str(&self.message);
        s
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.headline())?;
        if let Some(src) = &self.source_line {
            let num = self.line.to_string();
            let pad = " ".repeat(num.len());
            writeln!(f, "{pad} |")?;
            writeln!(f, "{num} | {src}")?;
            // Align the caret by display width: CJK characters take two terminal cells.
            let caret = self.column.saturating_sub(1 + self.shown_from) as usize;
            let lead: usize = src.chars().take(caret).map(display_width).sum();
            let under: usize =
                src.chars().skip(caret).take(self.width.max(1) as usize).map(display_width).sum::<usize>().max(1);
            writeln!(f, "{pad} | {}{}", " ".repeat(lead), "^".repeat(under))?;
        }
        Ok(())
    }
}

/// Terminal cells a character takes: 2 for East Asian wide and full-width characters.
fn display_width(c: char) -> usize {
    let c = c as u32;
    let wide = matches!(c,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
    if wide { 2 } else { 1 }
}

/// A collector of diagnostics, sorted when read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

/// Places shown for the repeats of a problem beyond the first.
const REPEATS_SHOWN: usize = 5;

impl Diagnostics {
    /// The same problem (severity, field and message) found again further down a table is
    /// said once, at its first place, with the places of the others (a column filled in the
    /// same wrong way gives one message, not one a row). Order is kept.
    pub fn collapse_repeats(self) -> Diagnostics {
        let mut firsts: Vec<(Diagnostic, Vec<String>)> = Vec::new();
        let mut index: std::collections::HashMap<(Severity, Option<String>, String), usize> = Default::default();
        for d in self.items {
            let key = (d.severity, d.field.clone(), d.message.clone());
            match index.get(&key) {
                Some(&i) => {
                    let place = match d.cell.as_deref().and_then(|c| c.rsplit_once("cell ")) {
                        Some((_, cell)) => cell.to_string(),
                        None => format!("line {}", d.line),
                    };
                    firsts[i].1.push(place);
                }
                None => {
                    index.insert(key, firsts.len());
                    firsts.push((d, Vec::new()));
                }
            }
        }
        let items = firsts
            .into_iter()
            .map(|(mut d, others)| {
                if !others.is_empty() {
                    let more = if others.len() > REPEATS_SHOWN { ", …" } else { "" };
                    let shown = others[..others.len().min(REPEATS_SHOWN)].join(", ");
                    let rows = if others.len() == 1 { "row" } else { "rows" };
                    d.message = format!("{} (the same in {} more {rows}: {shown}{more})", d.message, others.len());
                }
                d
            })
            .collect();
        Diagnostics { items }
    }

    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    /// Moves every diagnostic of `other` into this collector.
    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    /// Keeps only the diagnostics for which `keep` is true.
    pub fn retain(&mut self, keep: impl FnMut(&Diagnostic) -> bool) {
        self.items.retain(keep);
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.severity == Severity::Error).count()
    }

    /// Number of warnings.
    pub fn warning_count(&self) -> usize {
        self.items.iter().filter(|d| d.severity == Severity::Warning).count()
    }

    /// True when at least one error was collected.
    pub fn has_errors(&self) -> bool {
        self.error_count() > 0
    }

    /// True when nothing was collected.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// True when there is no error or warning (notes aside).
    pub fn is_clean(&self) -> bool {
        self.items.iter().all(|d| d.severity == Severity::Note)
    }

    /// Turns every warning into an error (`--deny-warnings`).
    pub fn deny_warnings(&mut self) {
        for d in self.items.iter_mut().filter(|d| d.severity == Severity::Warning) {
            d.severity = Severity::Error;
        }
    }

    /// The diagnostics sorted by file, line, column, then message; duplicates removed.
    pub fn sorted(&self) -> Vec<Diagnostic> {
        let mut v = self.items.clone();
        v.sort_by(|a, b| {
            (&a.file, a.line, a.column, a.severity, &a.message)
                .cmp(&(&b.file, b.line, b.column, b.severity, &b.message))
        });
        v.dedup();
        v
    }

    /// The summary line, e.g. "2 errors, 1 warning".
    pub fn summary(&self) -> String {
        let plural = |n: usize, w: &str| {
            if n == 1 { format!("1 {w}") } else { format!("{n} {w}s") }
        };
        format!("{}, {}", plural(self.error_count(), "error"), plural(self.warning_count(), "warning"))
    }
}

/// Every diagnostic, sorted; a failed build's notes are left out (what is wrong comes first, and
/// alone).
impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed = self.has_errors();
        for d in self.sorted().into_iter().filter(|d| !(failed && d.severity == Severity::Note)) {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Maps byte offsets of a text to 1-based line and character column.
///
/// ```
/// use junheng::diag::LineIndex;
/// let text = "a,b\n港北,x\n";
/// let index = LineIndex::new(text);
/// assert_eq!(index.line_col(text, 0), (1, 1));
/// assert_eq!(index.line_col(text, 4), (2, 1));
/// // `x` comes after two 3-byte characters and a comma: character column 4.
/// assert_eq!(index.line_col(text, 11), (2, 4));
/// ```
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes the line starts of `text`.
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The 1-based line and character column of byte `offset` (clamped to the text).
    pub fn line_col(&self, text: &str, offset: usize) -> (u32, u32) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let mut col = text[start..offset].chars().count() + 1;
        // A byte-order mark is not a column the user can see.
        if line == 0 && text.starts_with('\u{feff}') && col > 1 {
            col -= 1;
        }
        (line as u32 + 1, col as u32)
    }

    /// The byte offset where 1-based `line` starts.
    pub fn line_start(&self, line: u32) -> usize {
        self.starts.get(line.saturating_sub(1) as usize).copied().unwrap_or(usize::MAX)
    }

    /// The text of 1-based `line`, without its line ending or a leading BOM.
    pub fn line_text<'t>(&self, text: &'t str, line: u32) -> &'t str {
        let i = line.saturating_sub(1) as usize;
        let Some(&start) = self.starts.get(i) else {
            return "";
        };
        let end = self.starts.get(i + 1).copied().unwrap_or(text.len());
        let s = text[start..end].trim_end_matches(['\n', '\r']);
        s.strip_prefix('\u{feff}').unwrap_or(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Guards the offset → line:column conversion at line 1, line N, BOM and multi-byte text.
    #[test]
    fn line_index_positions() {
        let cases: &[(&str, usize, (u32, u32))] = &[
            ("abc", 0, (1, 1)),
            ("abc", 2, (1, 3)),
            ("abc\ndef", 4, (2, 1)),
            ("abc\ndef", 6, (2, 3)),
            ("abc\r\ndef", 5, (2, 1)),
            ("\u{feff}code,name", 3, (1, 1)),
            ("\u{feff}code,name", 8, (1, 6)),
            ("港北区,x", 10, (1, 5)),
            ("a\n\nb", 3, (3, 1)),
            ("abc", 99, (1, 4)),
        ];
        for &(text, offset, want) in cases {
            assert_eq!(LineIndex::new(text).line_col(text, offset), want, "{text:?} @ {offset}");
        }
    }

    // Guards the rendered shape of a diagnostic, including caret alignment under CJK text.
    #[test]
    fn renders_with_caret() {
        let text = "code,name\n450802,港北区,oops\n";
        let start = text.find("oops").unwrap();
        let d = Diagnostic::error("data/counties.csv", "expected 6 fields, found 3").field("name").at_span(
            text,
            start,
            start + 4,
        );
        let out = d.to_string();
        assert_eq!(
            out,
            "error: data/counties.csv:2:12: field `name`: expected 6 fields, found 3\n  |\n2 | 450802,港北区,oops\n  |               ^^^^\n"
        );
    }

    // Guards sorting by file and line, and the summary wording.
    #[test]
    fn sorted_and_summarised() {
        let mut ds = Diagnostics::new();
        ds.push(Diagnostic::error("b.csv", "x").at(1, 1));
        ds.push(Diagnostic::warning("a.csv", "y").at(9, 1));
        ds.push(Diagnostic::error("a.csv", "z").at(2, 1));
        let files: Vec<_> = ds.sorted().iter().map(|d| (d.file.clone(), d.line)).collect();
        assert_eq!(files, vec![("a.csv".into(), 2), ("a.csv".into(), 9), ("b.csv".into(), 1)]);
        assert_eq!(ds.summary(), "2 errors, 1 warning");
    }
}
