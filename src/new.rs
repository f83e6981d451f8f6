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
    (
        "data/counties.csv",
        "code,name,prefecture_code,prefecture,province_code,province,name_en\n450804,覃塘区,450800,贵港市,450000,广西壮族自治区,Qintang District\n",
    ),
    ("data/sources.csv", "id,title,publisher,date,url\nexample-report,示例工作总结,示例县教育局,2021,\n"),
    (
        "data/indicators.csv",
        "county,school_year,level,scheme,indicator,value,cv,source\n450804,2020-2021,primary,basic,composite,,0.27,example-report\n450804,2020-2021,junior,basic,composite,,0.17,example-report\n",
    ),
    (
        "data/milestones.csv",
        "area,date,event,title,source\n450804,2016-01,national_recognition,通过国家义务教育基本均衡发展评估认定,example-report\n",
    ),
    ("content/_index.md", "+++\ntitle = \"欢迎\"\n+++\n\n本平台公开本县义务教育均衡发展的指标、进程与报告。\n"),
    (
        "content/counties/450804.md",
        "+++\ntitle = \"覃塘区义务教育均衡发展概况\"\nsources = [\"example-report\"]\n+++\n\n在这里用几段话介绍本县推进均衡发展的做法与进展（本文件名是县区代码）。\n",
    ),
    ("content/about/_index.md", "+++\ntitle = \"关于\"\n+++\n\n由县教育局维护。数据按 CC BY 4.0 许可发布。\n"),
];

/// Creates a starter site in `dir` (which must not exist or be empty).
pub fn new_site(dir: &Path) -> Result<()> {
    if dir.exists() && std::fs::read_dir(dir).map_err(|e| Error::io("read folder", dir, e))?.next().is_some() {
        return Err(Error::Usage(format!(
            "`{}` is not empty: `junheng new` only writes into a new or empty folder",
            dir.display()
        )));
    }
    for (path, text) in STARTER {
        fs::write(&dir.join(path), text.as_bytes())?;
    }
    // Every other table, with its header row: each column in its place, to fill in.
    for spec in crate::format::INPUT_FILES.iter().filter(|f| !STARTER.iter().any(|(p, _)| *p == f.file)) {
        let header: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
        fs::write(&dir.join(spec.file), format!("{}\n", header.join(",")).as_bytes())?;
    }
    Ok(())
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
