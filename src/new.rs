//! `junheng new DIR`: a minimal starter site that builds (with the built-in theme), and
//! `junheng eject`: the built-in theme's files written into a site, to own and change.

use std::path::Path;

use crate::error::{Error, Result};
use crate::util::fs;

const STARTER: &[(&str, &str)] = &[
    (
        "site.toml",
        "# junheng site configuration: every key is described in junheng's docs/reference.md.\ntitle = { zh-CN = \"县域义务教育均衡发展公开平台\", en = \"County Education Balance Portal\" }\nbase_url = \"https://example.org/\"\nlanguages = [\"zh-CN\", \"en\"]\npublisher = { zh-CN = \"示例县教育局\", en = \"Example County Education Bureau\" }\nlicense = \"CC-BY-4.0\"\nlicense_url = \"https://creativecommons.org/licenses/by/4.0/\"\n",
    ),
    ("content/_index.md", "+++\ntitle = \"欢迎\"\n+++\n\n本平台公开本县义务教育均衡发展的指标、进程与报告。\n"),
    (
        "content/counties/450804.md",
        "+++\ntitle = \"覃塘区义务教育均衡发展概况\"\nsources = [\"example-report\"]\n+++\n\n在这里用几段话介绍本县推进均衡发展的做法与进展（本文件名是县区代码）。\n",
    ),
    ("content/about/_index.md", "+++\ntitle = \"关于\"\n+++\n\n由县教育局维护。数据按 CC BY 4.0 许可发布。\n"),
];

/// The starter's rows, by table (in the order of its columns; the other tables start empty).
const STARTER_ROWS: &[(&str, &[&[&str]])] = &[
    ("counties", &[&["450804", "覃塘区", "450800", "贵港市", "450000", "广西壮族自治区", "Qintang District"]]),
    ("sources", &[&["example-report", "示例工作总结", "示例县教育局", "2021", ""]]),
    (
        "indicators",
        &[
            &["450804", "2020-2021", "primary", "basic", "composite", "", "0.27", "example-report"],
            &["450804", "2020-2021", "junior", "basic", "composite", "", "0.17", "example-report"],
        ],
    ),
    (
        "milestones",
        &[&["450804", "2016-01", "national_recognition", "通过国家义务教育基本均衡发展评估认定", "example-report"]],
    ),
];

/// How `junheng new` writes the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tables {
    /// Data-entry workbooks (`data/<table>.xlsx`), for a person with Excel or WPS.
    Workbooks,
    /// CSV files (`data/<table>.csv`), for programs and line-by-line diffs.
    Csv,
}

/// Creates a starter site in `dir` (which must not exist or be empty): every table (a few
/// starter rows in some) as `tables`, a home page, an about page and a county narrative.
pub fn new_site(dir: &Path, tables: Tables) -> Result<()> {
    if dir.exists() && std::fs::read_dir(dir).map_err(|e| Error::io("read folder", dir, e))?.next().is_some() {
        return Err(Error::Usage(format!(
            "`{}` is not empty: `junheng new` only writes into a new or empty folder",
            dir.display()
        )));
    }
    for (path, text) in STARTER {
        fs::write(&dir.join(path), text.as_bytes())?;
    }
    let words = words();
    for spec in crate::format::INPUT_FILES {
        let rows: Vec<Vec<&str>> = STARTER_ROWS
            .iter()
            .filter(|(t, _)| *t == spec.name)
            .flat_map(|(_, rows)| rows.iter().map(|r| r.to_vec()))
            .collect();
        match tables {
            Tables::Workbooks => {
                let bytes = crate::render::downloads::entry_workbook(spec, &rows, &words, "zh-CN");
                fs::write(&dir.join(workbook_file(spec)), &bytes)?;
            }
            Tables::Csv => {
                let mut out = csv::Writer::from_writer(Vec::new());
                let header = spec.columns.iter().map(|c| c.name);
                // Each row as wide as the header (the starter's rows leave the last columns empty).
                let width = spec.columns.len();
                let padded = rows.iter().map(|r| r.iter().copied().chain(std::iter::repeat("")).take(width));
                let written = std::iter::once(out.write_record(header))
                    .chain(padded.map(|r| out.write_record(r)))
                    .collect::<std::result::Result<Vec<_>, _>>();
                written.expect("CSV into memory");
                fs::write(&dir.join(spec.file), &out.into_inner().expect("CSV into memory"))?;
            }
        }
    }
    Ok(())
}

/// `junheng template DIR`: the data-entry workbook of every table, empty, into `dir` (made if
/// missing), with headers in `lang` (`zh-CN` or `en`); a workbook already there is kept.
/// Returns the files written and the files kept.
pub fn templates(dir: &Path, lang: &str) -> Result<(Vec<String>, Vec<String>)> {
    if !["zh-CN", "en"].contains(&lang) {
        return Err(Error::Usage(format!(
            "expected a language of the built-in theme, `zh-CN` or `en`, found `{lang}`"
        )));
    }
    let words = words();
    let (mut written, mut kept) = (Vec::new(), Vec::new());
    for spec in crate::format::INPUT_FILES {
        let name = format!("{}.xlsx", spec.name);
        let target = dir.join(&name);
        if target.exists() {
            kept.push(name);
        } else {
            fs::write(&target, &crate::render::downloads::entry_workbook(spec, &[], &words, lang))?;
            written.push(name);
        }
    }
    Ok((written, kept))
}

/// The workbook of a table: `data/<table>.xlsx`.
fn workbook_file(spec: &crate::format::InputFile) -> String {
    format!("{}.xlsx", spec.file.trim_end_matches(".csv"))
}

/// The built-in theme's words for the workbooks.
fn words() -> crate::render::downloads::Words {
    let languages = ["zh-CN".to_string(), "en".to_string()];
    crate::render::downloads::Words::new(&std::sync::Arc::new(crate::load::theme::built_in_strings(&languages)))
}

/// Writes each file of the built-in theme into the site's theme folder (`themes/default/`, or
/// the one `theme` names) where the site has no file of that path yet (a file already there
/// is the site's own and is kept). Returns the files written and the files kept.
pub fn eject(site: &Path) -> Result<(Vec<String>, Vec<String>)> {
    let toml = site.join("site.toml");
    if !toml.is_file() {
        return Err(Error::Usage(format!("`{}` has no `site.toml`: give the site's folder", site.display())));
    }
    // A `site.toml` with errors still names its theme for this; the build reports the errors.
    let text = String::from_utf8_lossy(&fs::read(&toml)?).into_owned();
    let theme = crate::config::Config::parse(&text).map_or_else(|_| "default".to_string(), |c| c.theme);
    let rel = format!("themes/{theme}");
    let (mut written, mut kept) = (Vec::new(), Vec::new());
    for (path, bytes) in crate::load::theme::BUILT_IN {
        let target = site.join(&rel).join(path);
        if target.exists() {
            kept.push(format!("{rel}/{path}"));
        } else {
            fs::write(&target, bytes)?;
            written.push(format!("{rel}/{path}"));
        }
    }
    Ok((written, kept))
}
