//! Stage 1: read the site folder. Only this stage (with `write` and `util::fs`) touches the
//! disk; everything it returns is a plain value with positions kept for diagnostics.

pub mod cell;
pub mod content;
pub mod data;
pub mod encoding;
pub mod theme;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::config::{CONFIG_FILE, Config};
use crate::diag::{Diagnostic, Diagnostics};
use crate::error::{Error, Result};
use crate::util::fs;
use data::{Columns, Table};

/// The column specs of the input format (DATA-FORMAT.md, version 1).
pub mod specs {
    use super::Columns;

    /// `data/counties.csv`.
    pub const COUNTIES: Columns = Columns {
        file: "data/counties.csv",
        required: &["code", "name", "prefecture_code", "prefecture", "province_code", "province"],
        optional: &["name_en"],
        aliases: &[
            ("代码", "code"),
            ("区划代码", "code"),
            ("名称", "name"),
            ("县区", "name"),
            ("地市代码", "prefecture_code"),
            ("地市", "prefecture"),
            ("省份代码", "province_code"),
            ("省份", "province"),
            ("英文名", "name_en"),
        ],
    };
    /// `data/indicators.csv`.
    pub const INDICATORS: Columns = Columns {
        file: "data/indicators.csv",
        required: &["county", "school_year", "level", "scheme", "indicator"],
        optional: &["value", "cv", "source"],
        aliases: &[
            ("县区代码", "county"),
            ("学年", "school_year"),
            ("学段", "level"),
            ("评估类型", "scheme"),
            ("指标", "indicator"),
            ("全县平均值", "value"),
            ("差异系数", "cv"),
            ("来源", "source"),
        ],
    };
    /// `data/schools.csv`.
    pub const SCHOOLS: Columns = Columns {
        file: "data/schools.csv",
        required: &["school_id", "school_name", "county", "school_year", "level", "school_type", "students"],
        optional: &[
            "teaching_area_m2",
            "sports_area_m2",
            "equipment_yuan",
            "computers",
            "books",
            "multimedia_rooms",
            "teachers",
            "teachers_above_degree",
            "teachers_mid_title",
            "teachers_backbone",
            "teachers_pe_art",
            "senior_students",
            "parent_school_id",
            "source",
        ],
        aliases: &[
            ("学校标识码", "school_id"),
            ("学校名称", "school_name"),
            ("县区代码", "county"),
            ("学年", "school_year"),
            ("学段", "level"),
            ("办学类型", "school_type"),
            ("在校生数", "students"),
        ],
    };
    /// `data/milestones.csv`.
    pub const MILESTONES: Columns = Columns {
        file: "data/milestones.csv",
        required: &["area", "date", "event", "title"],
        optional: &["source"],
        aliases: &[("地区代码", "area"), ("日期", "date"), ("事件", "event"), ("标题", "title"), ("来源", "source")],
    };
    /// `data/metrics.csv`.
    pub const METRICS: Columns = Columns {
        file: "data/metrics.csv",
        required: &["area", "period", "metric", "value"],
        optional: &["unit", "source"],
        aliases: &[
            ("地区代码", "area"),
            ("时期", "period"),
            ("指标", "metric"),
            ("数值", "value"),
            ("单位", "unit"),
            ("来源", "source"),
        ],
    };
    /// `data/sources.csv`.
    pub const SOURCES: Columns = Columns {
        file: "data/sources.csv",
        required: &["id", "title"],
        optional: &["publisher", "date", "url"],
        aliases: &[("编号", "id"), ("标题", "title"), ("发布者", "publisher"), ("日期", "date"), ("网址", "url")],
    };
}

/// The data tables of a site; `None` for a missing optional file.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    /// `counties.csv` (required).
    pub counties: Option<Table>,
    /// `indicators.csv`.
    pub indicators: Option<Table>,
    /// `schools.csv`.
    pub schools: Option<Table>,
    /// `milestones.csv`.
    pub milestones: Option<Table>,
    /// `metrics.csv`.
    pub metrics: Option<Table>,
    /// `sources.csv`.
    pub sources: Option<Table>,
    /// What reading `schools.csv` reported (also in the build's diagnostics), kept with the
    /// school rows a rebuild may reuse.
    pub schools_read: Diagnostics,
    /// What reading the other tables reported (also in the build's diagnostics), kept with the
    /// data a rebuild may reuse.
    pub data_read: Diagnostics,
}

/// Everything read from a site folder.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The validated configuration.
    pub config: Config,
    /// The data tables.
    pub tables: Tables,
    /// The Markdown pages (shared with what the preview server keeps: [`ContentMemo`]).
    pub pages: Vec<Arc<content::SourcePage>>,
    /// The theme.
    pub theme: Arc<theme::Theme>,
    /// Site-relative paths of the data files present (read or not).
    pub files: std::collections::BTreeSet<String>,
    /// Each data and content file read, with the encoding it was read as.
    pub encodings: Vec<(String, &'static str)>,
}

/// Reads the site at `root`. I/O and configuration errors abort; data problems are collected.
pub fn load_site(root: &Path, diags: &mut Diagnostics) -> Result<Loaded> {
    load_site_with(root, diags, false)
}

/// [`load_site`], leaving `schools.csv` unread when `skip_schools` (a rebuild reuses the
/// school rows of the build before; the file is still listed in [`Loaded::files`]).
pub fn load_site_with(root: &Path, diags: &mut Diagnostics, skip_schools: bool) -> Result<Loaded> {
    load_site_reusing(root, diags, skip_schools, &[], None)
}

/// [`load_site_with`], leaving the data files named in `skip_data` unread too (a rebuild takes
/// their rows over from the build before), and taking the Markdown files that did not change from
/// `content`, leaving this build's in it (the preview server).
pub fn load_site_reusing(
    root: &Path,
    diags: &mut Diagnostics,
    skip_schools: bool,
    skip_data: &[&str],
    content: Option<&mut ContentMemo>,
) -> Result<Loaded> {
    let config_path = root.join(CONFIG_FILE);
    if !config_path.is_file() {
        return Err(Error::Usage(format!(
            "no `{CONFIG_FILE}` in `{}`: is this a junheng site? (`junheng new DIR` makes one)",
            root.display()
        )));
    }
    let bytes = fs::read(&config_path)?;
    let text = match encoding::decode(CONFIG_FILE, bytes, None) {
        Ok((text, _)) => text,
        Err(d) => {
            let mut ds = Diagnostics::new();
            ds.push(d);
            return Err(Error::Site(ds));
        }
    };
    let config = Config::parse(&text).map_err(Error::Site)?;
    let tables = load_tables(root, &config, diags, skip_schools, skip_data)?;
    let mut content = content.map(|memo| {
        if memo.config != text {
            *memo = ContentMemo { config: text.clone(), ..ContentMemo::default() };
        }
        memo
    });
    let pages = load_content(root, &config, diags, content.as_deref_mut())?;
    let theme = match content {
        Some(memo) => memo.theme(root, &config, diags)?,
        None => Arc::new(theme::load(root, &config.theme, &config.languages, diags)?),
    };
    let files =
        [&specs::COUNTIES, &specs::INDICATORS, &specs::SCHOOLS, &specs::MILESTONES, &specs::METRICS, &specs::SOURCES]
            .iter()
            .filter(|s| root.join(s.file).is_file())
            .map(|s| s.file.to_string())
            .collect();
    let mut encodings: Vec<(String, &'static str)> =
        [&tables.counties, &tables.indicators, &tables.schools, &tables.milestones, &tables.metrics, &tables.sources]
            .into_iter()
            .flatten()
            .map(|t| (t.file.clone(), t.encoding))
            .chain(pages.iter().map(|p| (p.file.clone(), p.encoding)))
            .collect();
    encodings.sort();
    Ok(Loaded { config, tables, pages, theme, files, encodings })
}

/// Reads the data tables of `root/data/`: all but `schools.csv` when `skip_schools`, and but
/// the other files named in `skip_data` (site-relative).
pub fn load_tables(
    root: &Path,
    config: &Config,
    diags: &mut Diagnostics,
    skip_schools: bool,
    skip_data: &[&str],
) -> Result<Tables> {
    let read = |spec: &Columns, diags: &mut Diagnostics| -> Result<Option<Table>> {
        let path = root.join(spec.file);
        if !path.is_file() {
            return Ok(None);
        }
        Ok(Table::parse(spec, fs::read(&path)?, config.encoding_of(spec.file), diags))
    };
    let mut schools_read = Diagnostics::new();
    let schools = if skip_schools { None } else { read(&specs::SCHOOLS, &mut schools_read)? };
    diags.extend(schools_read.clone());
    let mut data_read = Diagnostics::new();
    let mut data = |spec: &Columns| if skip_data.contains(&spec.file) { Ok(None) } else { read(spec, &mut data_read) };
    let tables = Tables {
        counties: data(&specs::COUNTIES)?,
        indicators: data(&specs::INDICATORS)?,
        schools,
        milestones: data(&specs::MILESTONES)?,
        metrics: data(&specs::METRICS)?,
        sources: data(&specs::SOURCES)?,
        schools_read,
        data_read,
    };
    diags.extend(tables.data_read.clone());
    if tables.counties.is_none() && !root.join(specs::COUNTIES.file).is_file() {
        diags.push(Diagnostic::error(
            specs::COUNTIES.file,
            "missing required file: expected `data/counties.csv` with columns `code,name,prefecture_code,prefecture,province_code,province`",
        ));
    }
    Ok(tables)
}

/// The Markdown files of the build before, kept by the preview server: a file whose
/// [`fs::Stamp`] did not change is not read again. Only files read without a problem are kept
/// (a file with one is read again, so its diagnostics are reported again).
#[derive(Debug, Default)]
pub struct ContentMemo {
    /// The configuration they were read with (its languages and encodings decide how).
    config: String,
    files: HashMap<String, (fs::Stamp, Arc<content::SourcePage>)>,
    /// The theme as read, with the stamps of its files (kept when it was read without a
    /// problem).
    theme: Option<(ThemeStamps, Arc<theme::Theme>)>,
}

/// Each file of a theme's folder (relative to it) with its stamp.
type ThemeStamps = Vec<(String, Option<fs::Stamp>)>;

impl ContentMemo {
    /// Forgets the file at the site-relative `path` (the watcher reported it changed).
    pub fn forget(&mut self, path: &str) {
        self.files.remove(path);
        if path.starts_with("themes/") {
            self.theme = None;
        }
    }

    /// The theme of `config`: the one kept when none of its files changed (same names, same
    /// stamps), else read again.
    fn theme(&mut self, root: &Path, config: &Config, diags: &mut Diagnostics) -> Result<Arc<theme::Theme>> {
        let dir = root.join("themes").join(&config.theme);
        let stamps: ThemeStamps = if dir.is_dir() {
            fs::walk_files(&dir)?
                .into_iter()
                .map(|f| {
                    let stamp = fs::stamp(&dir.join(&f));
                    (f, stamp)
                })
                .collect()
        } else {
            Vec::new()
        };
        if let Some((_, theme)) = self.theme.as_ref().filter(|(s, _)| *s == stamps) {
            return Ok(theme.clone());
        }
        let mut found = Diagnostics::new();
        let theme = Arc::new(theme::load(root, &config.theme, &config.languages, &mut found)?);
        self.theme = found.is_empty().then(|| (stamps, theme.clone()));
        diags.extend(found);
        Ok(theme)
    }
}

/// Reads `content/**/*.md`: the files not in `memo` (or changed since) in parallel.
fn load_content(
    root: &Path,
    config: &Config,
    diags: &mut Diagnostics,
    memo: Option<&mut ContentMemo>,
) -> Result<Vec<Arc<content::SourcePage>>> {
    use rayon::prelude::*;
    let dir = root.join("content");
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    /// A file to read, or one kept.
    enum Item {
        Read { rel: String, file: String, section: String, slug: String, lang: String, stamp: Option<fs::Stamp> },
        Kept(fs::Stamp, Arc<content::SourcePage>),
    }
    let mut found = Vec::new();
    for rel in fs::walk_files(&dir)? {
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
        found.push((rel, file, section, slug, lang));
    }
    // Stamped before reading (a file changed while it is read gets a new stamp), in parallel:
    // a national site's thousands of narratives are stamped on every rebuild.
    let kept_files = memo.as_deref();
    let items: Vec<Item> = found
        .into_par_iter()
        .map(|(rel, file, section, slug, lang)| {
            let stamp = kept_files.and_then(|_| fs::stamp(&dir.join(&rel)));
            let kept = kept_files.and_then(|m| m.files.get(&file)).filter(|(s, _)| Some(s) == stamp.as_ref());
            match kept {
                Some((stamp, page)) => Item::Kept(*stamp, page.clone()),
                None => {
                    let lang = lang.unwrap_or_else(|| config.default_language().to_string());
                    Item::Read { rel, file, section, slug, lang, stamp }
                }
            }
        })
        .collect();
    let read: Vec<(Option<Arc<content::SourcePage>>, Option<fs::Stamp>, Diagnostics)> = items
        .into_par_iter()
        .map(|item| {
            let mut found = Diagnostics::new();
            let (rel, file, section, slug, lang, stamp) = match item {
                Item::Kept(stamp, page) => return Ok((Some(page), Some(stamp), found)),
                Item::Read { rel, file, section, slug, lang, stamp } => (rel, file, section, slug, lang, stamp),
            };
            let page = match encoding::decode(&file, fs::read(&dir.join(&rel))?, config.encoding_of(&file)) {
                Ok((text, enc)) => content::parse_page(&file, section, slug, lang, text, &mut found).map(|mut p| {
                    p.encoding = enc;
                    Arc::new(p)
                }),
                Err(d) => {
                    found.push(d);
                    None
                }
            };
            Ok((page, stamp, found))
        })
        .collect::<Result<_>>()?;
    let mut kept = HashMap::new();
    let mut pages = Vec::new();
    for (page, stamp, found) in read {
        if let (Some(page), Some(stamp), true) = (&page, stamp, found.is_empty()) {
            kept.insert(page.file.clone(), (stamp, page.clone()));
        }
        diags.extend(found);
        pages.extend(page);
    }
    if let Some(memo) = memo {
        memo.files = kept;
    }
    Ok(pages)
}
