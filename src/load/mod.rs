//! The load stage (the first): read the site folder. Only this stage (with `write` and `util::fs`) touches the
//! disk; everything it returns is a plain value with positions kept for diagnostics.

pub mod cell;
pub mod content;
pub mod data;
pub mod encoding;
pub mod git;
pub mod theme;
pub mod workbook;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use crate::config::{CONFIG_FILE, Config};
use crate::diag::{Diagnostic, Diagnostics};
use crate::error::{Error, Result};
use crate::format::{self, InputFile};
use crate::limits::FileKind;
use crate::util::fs;
use data::Table;

/// Where the pipeline reads a site's data tables from: the site folder ([`Folder`]), or a
/// release's files read from git (`crate::revisions::Cut`).
pub trait Source: Sync {
    /// What tells one version of a table's file from another: part of the key a value made
    /// from the table is kept under (the preview's memory).
    type Version: std::hash::Hash + std::fmt::Debug + Send + Sync;

    /// The version of the table of `spec` (nothing when the pipeline keeps nothing).
    fn version(&self, spec: &InputFile) -> Self::Version;

    /// The table of `spec`: `None` when there is none, or when it cannot be read (the problem
    /// is in `diags`).
    fn table(&self, spec: &InputFile, diags: &mut Diagnostics) -> Result<Option<Table>>;

    /// The tables present (read or not), each as its CSV file's name.
    fn present(&self) -> BTreeSet<String>;
}

/// The site folder's tables, in the encodings `site.toml` names.
pub struct Folder<'a> {
    root: &'a Path,
    config: &'a Config,
    stamped: bool,
}

impl<'a> Folder<'a> {
    /// The tables of the site at `root`; `stamped`: with versions (each file's and its
    /// workbook's stamp), else none (nothing is kept).
    pub fn new(root: &'a Path, config: &'a Config, stamped: bool) -> Self {
        Folder { root, config, stamped }
    }
}

/// A table file's version: its stamp, its workbook's, and the encoding `site.toml` names.
pub type Stamps = Option<(Option<fs::Stamp>, Option<fs::Stamp>, Option<&'static str>)>;

impl Source for Folder<'_> {
    type Version = Stamps;

    fn version(&self, spec: &InputFile) -> Stamps {
        self.stamped.then(|| {
            let stamp = |rel: &str| fs::stamp(&self.root.join(rel));
            (stamp(spec.file), stamp(&workbook_of(spec.file)), self.config.encoding_of(spec.file).map(|e| e.name()))
        })
    }

    fn table(&self, spec: &InputFile, diags: &mut Diagnostics) -> Result<Option<Table>> {
        table(self.root, spec, self.config.encoding_of(spec.file), diags)
    }

    fn present(&self) -> BTreeSet<String> {
        data_files(self.root)
    }
}

/// Reads and checks `site.toml`.
pub fn config(root: &Path) -> Result<Config> {
    if fs::site_entry(root, CONFIG_FILE) == fs::Entry::Missing {
        return Err(Error::Usage(format!(
            "no `{CONFIG_FILE}` in `{}`: is this a junheng site? (`junheng new DIR` makes one)",
            root.display()
        )));
    }
    let bytes = fs::read_site_file(root, CONFIG_FILE, FileKind::Config)?;
    let text = match encoding::decode(CONFIG_FILE, bytes, None) {
        Ok((text, _)) => text,
        Err(d) => {
            let mut ds = Diagnostics::new();
            ds.push(d);
            return Err(Error::Site(ds));
        }
    };
    Config::parse(&text).map_err(Error::Site)
}

/// An encoding named in `site.toml` for a file (`[encodings]`), else none: sniffed.
pub type Named = Option<&'static encoding_rs::Encoding>;

/// Reads the data file of `spec` (in `encoding` if named): `None` when there is none, or when
/// it cannot be read (the problem is in `diags`).
pub fn table(root: &Path, spec: &InputFile, encoding: Named, diags: &mut Diagnostics) -> Result<Option<Table>> {
    let book = workbook_of(spec.file);
    match (is_present(root, spec.file), is_present(root, &book)) {
        (true, true) => {
            diags.push(Diagnostic::error(
                &book,
                format!("expected one file for this table, found both `{}` and `{book}`: keep one", spec.file),
            ));
            Ok(None)
        }
        (true, false) => Ok(Table::parse(spec, fs::read_site_file(root, spec.file, FileKind::Table)?, encoding, diags)),
        (false, true) => Ok(workbook::table(spec, &book, fs::read_site_file(root, &book, FileKind::Workbook)?, diags)),
        (false, false) => Ok(None),
    }
}

/// True when something is at `rel` that is not a folder: a file, or something that is refused
/// when it is read (a link, a pipe).
pub fn is_present(root: &Path, rel: &str) -> bool {
    !matches!(fs::site_entry(root, rel), fs::Entry::Missing | fs::Entry::Dir)
}

/// The workbook that may stand for a CSV file of `data/`: `data/schools.xlsx` for
/// `data/schools.csv`.
pub fn workbook_of(csv: &str) -> String {
    format!("{}.xlsx", csv.strip_suffix(".csv").unwrap_or(csv))
}

/// The data file a path of `data/` stands for: the CSV file of a table's workbook, else the path.
pub fn table_file(path: &str) -> String {
    match format::INPUT_FILES.iter().find(|s| workbook_of(s.file) == path) {
        Some(s) => s.file.to_string(),
        None => path.to_string(),
    }
}

/// The site-relative paths of the tables present (read or not), each as its CSV file's name
/// (whether it is a CSV file or a workbook).
pub fn data_files(root: &Path) -> BTreeSet<String> {
    format::INPUT_FILES
        .iter()
        .filter(|s| is_present(root, s.file) || is_present(root, &workbook_of(s.file)))
        .map(|s| s.file.to_string())
        .collect()
}

/// Reports a missing `counties.csv` (`files`: [`data_files`]).
pub fn require_counties(files: &BTreeSet<String>, diags: &mut Diagnostics) {
    if !files.contains(format::COUNTIES.file) {
        diags.push(Diagnostic::error(
            format::COUNTIES.file,
            "missing required file: expected `data/counties.csv` with columns `code,name,prefecture_code,prefecture,province_code,province`",
        ));
    }
}

/// A Markdown file of `content/`, where it goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContentFile {
    /// Path relative to `content/`.
    pub rel: String,
    /// Site-relative path.
    pub file: String,
    /// Section folder.
    pub section: String,
    /// File stem without language suffix.
    pub slug: String,
    /// Language of the text.
    pub lang: String,
}

/// The Markdown files of `content/**/*.md`; a file in the wrong place is reported, not listed.
pub fn content_files(root: &Path, config: &Config, diags: &mut Diagnostics) -> Result<Vec<ContentFile>> {
    if !fs::site_dir(root, "content")? {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for rel in fs::walk_files(&root.join("content"), "content")? {
        if !rel.ends_with(".md") {
            continue;
        }
        let file = format!("content/{rel}");
        let Some((section, slug, lang)) = content::split_path(&rel, &config.languages) else {
            diags
                .push(Diagnostic::error(&file, "expected `content/<section>/<name>.md`: sections are one folder deep"));
            continue;
        };
        let bad = [&section, &slug]
            .into_iter()
            .find(|s| !(s.is_empty() && *s == &section) && s.as_str() != "_index" && !content::is_safe_segment(s));
        if let Some(bad) = bad {
            diags.push(Diagnostic::error(
                &file,
                format!("expected a file or folder name of letters, digits, `-` and `_`, found `{bad}`"),
            ));
            continue;
        }
        let lang = lang.unwrap_or_else(|| config.default_language().to_string());
        found.push(ContentFile { rel, file, section, slug, lang });
    }
    Ok(found)
}

/// Reads one Markdown file (in `encoding` if named): the page (none when it cannot be read)
/// with what reading it found.
pub fn page(root: &Path, f: &ContentFile, encoding: Named) -> Result<(Option<Arc<content::SourcePage>>, Diagnostics)> {
    let mut found = Diagnostics::new();
    let bytes = fs::read_site_file(root, &f.file, FileKind::Page)?;
    let page = match encoding::decode(&f.file, bytes, encoding) {
        Ok((text, enc)) => {
            content::parse_page(&f.file, f.section.clone(), f.slug.clone(), f.lang.clone(), text, &mut found).map(
                |mut p| {
                    p.encoding = enc;
                    Arc::new(p)
                },
            )
        }
        Err(d) => {
            found.push(d);
            None
        }
    };
    Ok((page, found))
}
