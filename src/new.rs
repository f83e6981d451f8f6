//! `junheng new DIR`: a minimal starter site that builds, with the default theme copied in.

use std::path::Path;

use crate::error::{Error, Result};
use crate::util::fs;

/// The default theme, embedded so `new` works from an installed binary.
/// `tests/testsuite/new.rs` checks this list against `themes/default/`.
pub const DEFAULT_THEME: &[(&str, &[u8])] = &[
    ("css/site.css", include_bytes!("../themes/default/css/site.css")),
    ("i18n/en.toml", include_bytes!("../themes/default/i18n/en.toml")),
    ("i18n/zh-CN.toml", include_bytes!("../themes/default/i18n/zh-CN.toml")),
    ("static/favicon.svg", include_bytes!("../themes/default/static/favicon.svg")),
    ("static/finder.js", include_bytes!("../themes/default/static/finder.js")),
    ("static/sort.js", include_bytes!("../themes/default/static/sort.js")),
    ("templates/404.html", include_bytes!("../themes/default/templates/404.html")),
    ("templates/area.html", include_bytes!("../themes/default/templates/area.html")),
    ("templates/base.html", include_bytes!("../themes/default/templates/base.html")),
    ("templates/computation.html", include_bytes!("../themes/default/templates/computation.html")),
    ("templates/county.html", include_bytes!("../themes/default/templates/county.html")),
    ("templates/downloads.html", include_bytes!("../themes/default/templates/downloads.html")),
    ("templates/index.html", include_bytes!("../themes/default/templates/index.html")),
    ("templates/indicator.html", include_bytes!("../themes/default/templates/indicator.html")),
    ("templates/indicators.html", include_bytes!("../themes/default/templates/indicators.html")),
    ("templates/macros.html", include_bytes!("../themes/default/templates/macros.html")),
    ("templates/page.html", include_bytes!("../themes/default/templates/page.html")),
    ("templates/section.html", include_bytes!("../themes/default/templates/section.html")),
    ("templates/timeline.html", include_bytes!("../themes/default/templates/timeline.html")),
];

const STARTER: &[(&str, &str)] = &[
    (
        "site.toml",
        "# junheng site configuration: see README.md for every key.\ntitle = { zh-CN = \"县域义务教育均衡发展公开平台\", en = \"County Education Balance Portal\" }\nbase_url = \"https://example.org/\"\nlanguages = [\"zh-CN\", \"en\"]\npublisher = { zh-CN = \"示例县教育局\", en = \"Example County Education Bureau\" }\nlicense = \"CC-BY-4.0\"\nlicense_url = \"https://creativecommons.org/licenses/by/4.0/\"\n",
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
    for (path, bytes) in DEFAULT_THEME {
        fs::write(&dir.join("themes/default").join(path), bytes)?;
    }
    Ok(())
}
