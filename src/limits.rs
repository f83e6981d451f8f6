//! The limits a site folder is held to. A site is untrusted input (it is often built in CI from
//! contributions), so every read is bounded before the work starts: a file's size by its kind,
//! a table's rows, columns and text, a workbook's parts and extent, Markdown's nesting and the
//! work a template may do. Each breach is a clear error naming the file (and sheet, line or
//! field) and the limit. `docs/limits.md` lists them for users; keep the two in step.

/// What a file of the site is, for its size limit and for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `site.toml`.
    Config,
    /// A CSV data table.
    Table,
    /// A data table saved as a workbook (`.xlsx`).
    Workbook,
    /// A Markdown page of `content/`.
    Page,
    /// A theme's template, stylesheet or UI-string file.
    ThemeText,
    /// A theme's static file (an image, a script).
    Static,
}

impl FileKind {
    /// The largest file of this kind, in bytes.
    pub const fn max_bytes(self) -> u64 {
        match self {
            FileKind::Config => 1 << 20,
            FileKind::Table => 1 << 30,
            FileKind::Workbook => 256 << 20,
            FileKind::Page => 4 << 20,
            FileKind::ThemeText => 4 << 20,
            FileKind::Static => 64 << 20,
        }
    }

    /// What the file is, in a message ("a data table").
    pub const fn noun(self) -> &'static str {
        match self {
            FileKind::Config => "`site.toml`",
            FileKind::Table => "a CSV data table",
            FileKind::Workbook => "a data workbook",
            FileKind::Page => "a Markdown page",
            FileKind::ThemeText => "a theme's template, stylesheet or UI-string file",
            FileKind::Static => "a theme's static file",
        }
    }
}

/// The largest sheet of a workbook, uncompressed, as the workbook's own directory declares it
/// (the zip reader refuses a part longer than it declares). A sheet is read as it is unpacked,
/// never held whole.
pub const WORKBOOK_SHEET_BYTES: u64 = 1 << 30;

/// Any other part of a workbook (its shared strings, styles), uncompressed: these are held in
/// memory while the sheets are read.
pub const WORKBOOK_PART_BYTES: u64 = 256 << 20;

/// All parts of a workbook together, uncompressed.
pub const WORKBOOK_TOTAL_BYTES: u64 = 2 << 30;

/// Rows of one sheet: Excel's own last row.
pub const SHEET_ROWS: u32 = 1_048_576;

/// Data rows of one table (a national site's ten school years are about 2.2 million).
pub const TABLE_ROWS: usize = 5_000_000;

/// Columns of a table's header (the widest table of the format has 21).
pub const TABLE_COLUMNS: usize = 64;

/// One record (line) of a CSV table, in bytes.
pub const RECORD_BYTES: usize = 1 << 20;

/// Characters of one text field: what a workbook cell can hold, so every download opens.
pub const TEXT_CHARS: usize = 32_767;

/// Nesting of a Markdown text: block quotes, lists and raw HTML elements inside each other.
pub const MARKDOWN_DEPTH: usize = 64;

/// The work one template may do to make one page or feed (minijinja's fuel: an instruction
/// costs one, 64 bytes of text made or written cost one, so it also bounds the memory a
/// template's strings take to about 256 MiB). The national site's largest page, an indicator
/// ranking of 2,854 counties, takes 0.7 million.
pub const TEMPLATE_FUEL: u64 = 4_000_000;

/// The largest page or feed a template may write, in bytes.
pub const PAGE_OUTPUT_BYTES: usize = 64 << 20;

/// Folders inside each other below `content/` or a theme's folder.
pub const FOLDER_DEPTH: usize = 16;

/// Human-readable size: `256 MiB`, `4 MiB`, `1 GiB`.
pub fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 && n % (1 << 30) == 0 => format!("{} GiB", n >> 30),
        n if n >= 1 << 20 => format!("{:.0} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.0} KiB", n as f64 / 1024.0),
        n => format!("{n} bytes"),
    }
}

#[cfg(test)]
mod tests {
    // Guards the sizes limits are stated in.
    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(super::bytes(1 << 30), "1 GiB");
        assert_eq!(super::bytes(256 << 20), "256 MiB");
        assert_eq!(super::bytes(3 << 29), "1536 MiB");
        assert_eq!(super::bytes(2048), "2 KiB");
        assert_eq!(super::bytes(12), "12 bytes");
    }
}
