//! `site.toml` → [`RawConfig`] (serde, unknown keys refused) → [`Config`] (validated).
//!
//! Parsing is separate from loading so tests can feed strings ([`Config::parse`]); errors
//! name `site.toml`, the line, the column and the key.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::diag::{Diagnostic, Diagnostics};

/// The languages the default theme ships strings for.
pub const KNOWN_LANGUAGES: &[&str] = &["zh-CN", "en"];

/// A text given once, or per language: `title = "…"` or `[title] zh-CN = "…" en = "…"`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Localized {
    /// One text for every language.
    Plain(String),
    /// A text per language code.
    PerLanguage(BTreeMap<String, String>),
}

impl Localized {
    /// Every text given, whatever its language.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        let (one, many) = match self {
            Localized::Plain(s) => (Some(s.as_str()), None),
            Localized::PerLanguage(m) => (None, Some(m.values().map(String::as_str))),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }

    /// The text for `lang`, falling back to the first language given.
    pub fn get(&self, lang: &str, default_lang: &str) -> &str {
        match self {
            Localized::Plain(s) => s,
            Localized::PerLanguage(m) => {
                m.get(lang).or_else(|| m.get(default_lang)).or_else(|| m.values().next()).map_or("", String::as_str)
            }
        }
    }
}

/// `site.toml` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Site title.
    pub title: Localized,
    /// One-paragraph description for the home page and feeds.
    #[serde(default)]
    pub description: Option<Localized>,
    /// Absolute URL the site will be published at.
    pub base_url: String,
    /// Languages, the default first.
    #[serde(default = "default_languages")]
    pub languages: Vec<String>,
    /// The organisation publishing the portal.
    pub publisher: Localized,
    /// License of the data and texts (SPDX-like id, e.g. `CC-BY-4.0`).
    #[serde(default = "default_license")]
    pub license: String,
    /// Where the license text can be read.
    #[serde(default)]
    pub license_url: Option<String>,
    /// Theme folder name under `themes/`.
    #[serde(default = "default_theme")]
    pub theme: String,
    /// Output folder, relative to the site (overridden by `--output`).
    #[serde(default = "default_output")]
    pub output_dir: String,
    /// Display names (and units) of the free-form metrics of `metrics.csv`.
    #[serde(default)]
    pub metrics: BTreeMap<String, MetricInfo>,
    /// Behaviour settings.
    #[serde(default)]
    pub settings: Settings,
    /// Overrides of the secondary ([S]/[M]) rules of the indicator engine.
    #[serde(default)]
    pub rules: RuleOverrides,
    /// Which downloads are written.
    #[serde(default)]
    pub downloads: DownloadSettings,
    /// Encodings of files that are not to be sniffed: site-relative path → label (`gbk`, `utf-8`).
    #[serde(default)]
    pub encodings: BTreeMap<String, String>,
}

/// Display information of one metric id.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MetricInfo {
    /// Display name.
    pub name: Localized,
    /// Optional explanation shown under the series.
    #[serde(default)]
    pub description: Option<Localized>,
}

/// The `[downloads]` table: the formats the downloads are written in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DownloadSettings {
    /// The formats, each at most once (default: every one).
    #[serde(default = "every_format")]
    pub formats: Vec<Format>,
}

impl Default for DownloadSettings {
    fn default() -> Self {
        DownloadSettings { formats: every_format() }
    }
}

impl DownloadSettings {
    /// Whether the downloads are written in `format`.
    pub fn writes(&self, format: Format) -> bool {
        self.formats.contains(&format)
    }
}

/// A format the downloads can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The tables as CSV, with their Table Schemas and the data package that describes them.
    Csv,
    /// The tables as workbooks, and each county's workbook.
    Xlsx,
    /// The SQLite database (one per province when a table is split).
    Sqlite,
    /// Each county's JSON record, their index and its JSON Schema.
    Api,
}

impl Format {
    /// As `site.toml` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Sqlite => "sqlite",
            Format::Api => "api",
        }
    }
}

fn every_format() -> Vec<Format> {
    vec![Format::Csv, Format::Xlsx, Format::Sqlite, Format::Api]
}

/// The `[settings]` table.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Browser targets for CSS (a browserslist query).
    #[serde(default = "default_browsers")]
    pub browsers: String,
    /// Build pages for counties that appear in `counties.csv` but have no other data.
    #[serde(default = "yes")]
    pub pages_for_counties_without_data: bool,
    /// Raw HTML in Markdown: `sanitize` (keep safe markup, drop scripts) or `escape` (show as text).
    #[serde(default)]
    pub raw_html: RawHtml,
    /// Which school years get an audit page and a per-county school download.
    #[serde(default)]
    pub audit_years: AuditYears,
    /// A table grouped by county with more rows than this goes out in parts, one per province
    /// (its CSV gzipped), so that no file exceeds what static hosts take (25 MiB).
    #[serde(default = "default_split_rows")]
    pub split_rows: usize,
    /// What a release is in the site's git history: a tag, or every commit that changed `data/`.
    #[serde(default)]
    pub releases: ReleasesOf,
}

/// What a release of the site is (its revision history compares releases).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleasesOf {
    /// Each tag on the history of the checked-out commit.
    #[default]
    Tags,
    /// Each commit of the checked-out history (first parents) that changed `data/`.
    Commits,
}

fn default_split_rows() -> usize {
    200_000
}

/// The school years whose computations are published school by school (audit pages and the
/// per-county school downloads). Coefficients of every year are computed and shown either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditYears {
    /// Every school year with school data (a bureau's site: a few counties).
    #[default]
    All,
    /// Only each county's most recent school year with school data (a national portal:
    /// every year would be tens of gigabytes of audit pages).
    Latest,
}

/// What happens to raw HTML written in Markdown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawHtml {
    /// Safe markup (tables, `<br>`, `<sup>` …) is kept; scripts, styles, event handlers and
    /// `javascript:` links are removed (ammonia).
    #[default]
    Sanitize,
    /// Every tag is shown as text.
    Escape,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            browsers: default_browsers(),
            pages_for_counties_without_data: true,
            raw_html: RawHtml::default(),
            audit_years: AuditYears::default(),
            split_rows: default_split_rows(),
            releases: ReleasesOf::default(),
        }
    }
}

fn default_languages() -> Vec<String> {
    vec!["zh-CN".into(), "en".into()]
}
fn default_license() -> String {
    "CC-BY-4.0".into()
}
fn default_theme() -> String {
    "default".into()
}
fn default_output() -> String {
    "public".into()
}
fn default_browsers() -> String {
    // Phones in China run old WebViews (WeChat's X5, UC): keep targets conservative.
    "chrome >= 69, safari >= 12, firefox >= 78, ios_saf >= 12, android >= 69".into()
}
fn yes() -> bool {
    true
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Config {
    /// Site title.
    pub title: Localized,
    /// Description.
    pub description: Option<Localized>,
    /// Base URL, always ending with `/`.
    pub base_url: String,
    /// Languages, the default first.
    pub languages: Vec<String>,
    /// Publisher.
    pub publisher: Localized,
    /// License id.
    pub license: String,
    /// License URL.
    pub license_url: Option<String>,
    /// Theme name.
    pub theme: String,
    /// Output folder relative to the site.
    pub output_dir: String,
    /// Metric display names.
    pub metrics: BTreeMap<String, MetricInfo>,
    /// Settings.
    pub settings: Settings,
    /// Rule overrides.
    pub rules: RuleOverrides,
    /// Which downloads are written.
    pub downloads: DownloadSettings,
    /// Encodings named for some files (labels checked by [`Config::parse`]).
    pub encodings: BTreeMap<String, String>,
    /// What [`Config::parse`] found suspicious but possible (placeholders left from `junheng
    /// new`): the build reports them with the site's other warnings.
    #[serde(skip)]
    pub warnings: Vec<Diagnostic>,
}

/// What `junheng new` writes for the values a site must make its own: the address, and the
/// publisher in each language.
pub const STARTER_BASE_URL: &str = "https://example.org/";
/// The starter's publisher, in Chinese and in English.
pub const STARTER_PUBLISHER: [&str; 2] = ["示例县教育局", "Example County Education Bureau"];

/// Warnings for the starter's placeholders left in `site.toml`.
fn placeholders(text: &str, raw: &RawConfig) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let mut warn = |key: &str, value: &str, expected: &str| {
        let mut d = key_diagnostic(text, key);
        d.severity = crate::diag::Severity::Warning;
        d.message = format!("still `{value}`, the placeholder `junheng new` wrote: expected {expected}");
        found.push(d);
    };
    if raw.base_url.trim() == STARTER_BASE_URL {
        warn(
            "base_url",
            STARTER_BASE_URL,
            "the address the site will be published at (feeds, the sitemap and citations give it)",
        );
    }
    if let Some(name) = STARTER_PUBLISHER.iter().find(|p| raw.publisher.values().any(|v| v == **p)) {
        warn("publisher", name, "the name of the bureau that publishes the site");
    }
    found
}

/// An error on the key `key` of `site.toml` (placed on it when it is found), its message to fill.
fn key_diagnostic(text: &str, key: &str) -> Diagnostic {
    let d = Diagnostic::error(CONFIG_FILE, "").field(key);
    match find_key(text, key) {
        Some((s, e)) => d.at_span(text, s, e),
        None => d,
    }
}

/// Control characters in any value (TOML refuses them written as they are, not written as
/// escapes like `\u001b`), and the addresses a page links: `base_url` must be an `http(s)`
/// address, `license_url` too or a path of the site.
fn check_texts_and_addresses(text: &str, raw: &RawConfig, diags: &mut Diagnostics) {
    use crate::util::text::{control_message, is_safe_url, is_web_url};
    if let Ok(value) = toml::from_str::<toml::Value>(text) {
        let mut found = Vec::new();
        controls_in_values("", &value, &mut found);
        for (key, c) in found.into_iter().take(20) {
            let mut d = key_diagnostic(text, key.rsplit('.').next().unwrap_or(&key));
            d.message = control_message(c);
            d.field = Some(key);
            diags.push(d);
        }
    }
    let base_url = raw.base_url.trim();
    if !is_web_url(base_url) {
        let mut d = key_diagnostic(text, "base_url");
        let shown = crate::diag::shorten(base_url, 100);
        d.message = format!("expected an absolute URL like `https://edu.example.gov.cn/`, found `{shown}`");
        diags.push(d);
    }
    if let Some(url) = &raw.license_url
        && !(is_web_url(url) || (is_safe_url(url) && !url.contains(':')))
    {
        let mut d = key_diagnostic(text, "license_url");
        let shown = crate::diag::shorten(url, 100);
        d.message = format!(
            "expected an address starting with `https://` or `http://`, or a path of the site, found `{shown}`"
        );
        diags.push(d);
    }
}

/// Each text of a TOML value (with its dotted key) that holds a control character other than
/// tab and line break, and the first such character.
pub fn controls_in_values(key: &str, value: &toml::Value, found: &mut Vec<(String, char)>) {
    let join = |k: &str| if key.is_empty() { k.to_string() } else { format!("{key}.{k}") };
    match value {
        toml::Value::String(s) => {
            found.extend(crate::util::text::controls(s).next().map(|(_, c)| (key.to_string(), c)))
        }
        toml::Value::Array(items) => items.iter().for_each(|v| controls_in_values(key, v, found)),
        toml::Value::Table(t) => t.iter().for_each(|(k, v)| controls_in_values(&join(k), v, found)),
        _ => {}
    }
}

/// The file name, as diagnostics show it.
pub const CONFIG_FILE: &str = "site.toml";

impl Config {
    /// Parses and validates the text of `site.toml`.
    ///
    /// ```
    /// let err = junheng::config::Config::parse("title = 1\n").unwrap_err();
    /// assert!(err.sorted()[0].headline().starts_with("error: site.toml:1:9:"));
    /// ```
    pub fn parse(text: &str) -> Result<Config, Diagnostics> {
        let mut diags = Diagnostics::new();
        let raw: RawConfig = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(e) => {
                diags.push(toml_diagnostic(CONFIG_FILE, text, &e, 0));
                return Err(diags);
            }
        };
        let key_span = |key: &str| key_diagnostic(text, key);
        check_texts_and_addresses(text, &raw, &mut diags);
        let mut base_url = raw.base_url.trim().to_string();
        if !base_url.ends_with('/') {
            base_url.push('/');
        }
        if raw.languages.is_empty() {
            let mut d = key_span("languages");
            d.message = "expected at least one language, e.g. `[\"zh-CN\", \"en\"]`".into();
            diags.push(d);
        }
        for lang in &raw.languages {
            if !KNOWN_LANGUAGES.contains(&lang.as_str()) {
                let mut d = key_span("languages");
                d.message = format!("expected one of `zh-CN`, `en`, found `{lang}`");
                diags.push(d);
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for lang in &raw.languages {
            if !seen.insert(lang) {
                let mut d = key_span("languages");
                d.message = format!("language `{lang}` is listed twice");
                diags.push(d);
            }
        }
        if raw.theme.is_empty() || raw.theme.contains(['/', '\\', '\0']) || raw.theme.starts_with('.') {
            let mut d = key_span("theme");
            d.message = format!("expected a folder name under `themes/`, found `{}`", raw.theme);
            diags.push(d);
        }
        let check_localized = |key: &str, value: &Localized, diags: &mut Diagnostics| {
            if let Localized::PerLanguage(map) = value {
                for lang in map.keys() {
                    if !raw.languages.contains(lang) {
                        let mut d = key_span(key);
                        d.message = format!(
                            "expected a text per site language ({}), found language `{lang}`",
                            raw.languages.iter().map(|l| format!("`{l}`")).collect::<Vec<_>>().join(", ")
                        );
                        diags.push(d);
                    }
                }
            }
        };
        check_localized("title", &raw.title, &mut diags);
        check_localized("publisher", &raw.publisher, &mut diags);
        if let Some(d) = &raw.description {
            check_localized("description", d, &mut diags);
        }
        for (path, label) in &raw.encodings {
            let known = encoding_rs::Encoding::for_label(label.as_bytes()).is_some();
            let in_site = (path.starts_with("data/") || path.starts_with("content/"))
                && !path.split('/').any(|seg| seg.is_empty() || seg == "..");
            if !known || !in_site {
                let mut d = Diagnostic::error(CONFIG_FILE, "").field(format!("encodings.\"{path}\""));
                if let Some(i) = text.find(&format!("\"{path}\"")) {
                    d = d.at_span(text, i, i + path.len() + 2);
                }
                d.message = if in_site {
                    format!("expected an encoding like `utf-8`, `gbk`, `gb18030` or `utf-16le`, found `{label}`")
                } else {
                    format!("expected a file under `data/` or `content/`, found `{path}`")
                };
                diags.push(d);
            }
        }
        let formats = &raw.downloads.formats;
        let repeated = formats.iter().enumerate().find(|(i, f)| formats[..*i].contains(f));
        if formats.is_empty() || repeated.is_some() {
            let mut d = key_span("formats");
            d.message = match repeated {
                Some((_, f)) => format!("format `{}` is listed twice", f.name()),
                None => "expected at least one format of `csv`, `xlsx`, `sqlite`, `api`".into(),
            };
            diags.push(d.field("downloads.formats"));
        }
        if diags.has_errors() {
            return Err(diags);
        }
        let warnings = placeholders(text, &raw);
        Ok(Config {
            title: raw.title,
            description: raw.description,
            base_url,
            languages: raw.languages,
            publisher: raw.publisher,
            license: raw.license,
            license_url: raw.license_url,
            theme: raw.theme,
            output_dir: raw.output_dir,
            metrics: raw.metrics,
            settings: raw.settings,
            rules: raw.rules,
            warnings,
            downloads: raw.downloads,
            encodings: raw.encodings,
        })
    }

    /// The default (first) language.
    pub fn default_language(&self) -> &str {
        &self.languages[0]
    }

    /// The encoding named for `file` in `[encodings]`, if any.
    pub fn encoding_of(&self, file: &str) -> Option<&'static encoding_rs::Encoding> {
        self.encodings.get(file).and_then(|l| encoding_rs::Encoding::for_label(l.as_bytes()))
    }

    /// A configuration for tests.
    pub fn default_for_test() -> Config {
        Config::parse("title = \"测试\"\nbase_url = \"https://example.org/\"\npublisher = \"测试局\"\n")
            .expect("the test configuration is valid")
    }
}

/// Converts a toml error into a diagnostic; `line_offset` shifts lines (front matter).
pub fn toml_diagnostic(file: &str, text: &str, e: &toml::de::Error, line_offset: u32) -> Diagnostic {
    let message = e.message().trim().replace('\n', " ");
    let message = tidy_serde_message(&message);
    let mut d = Diagnostic::error(file, message.clone());
    if let Some(span) = e.span() {
        d = d.at_span(text, span.start, span.end);
        d.line += line_offset;
        if let Some(field) = field_from_message(&message).or_else(|| key_at(text, span.start)) {
            d.field = Some(field);
        }
    }
    d
}

/// A YAML error (of front matter between `---` lines) as a diagnostic, placed in `text`'s
/// own lines, moved down `line_offset` lines.
pub fn yaml_diagnostic(file: &str, text: &str, e: &yaml_serde::Error, line_offset: u32) -> Diagnostic {
    let full = e.to_string();
    // The message ends with its place (` at line 2 column 1`), which the diagnostic gives.
    let message = full.rfind(" at line ").map_or(full.as_str(), |at| &full[..at]);
    let message = tidy_serde_message(&message.trim().replace('\n', " "));
    let mut d = Diagnostic::error(file, message.clone());
    if let Some(at) = e.location() {
        let start = at.index().min(text.len());
        let end = text[start..].find(['\n', ':']).map_or(text.len(), |n| start + n.max(1));
        d = d.at_span(text, start, end);
        d.line += line_offset;
        if let Some(field) = field_from_message(&message).or_else(|| key_at(text, start)) {
            d.field = Some(field);
        }
    }
    d
}

/// serde says "unknown field `x`, expected one of `a`, `b`"; keep that, lowercase the rest.
fn tidy_serde_message(message: &str) -> String {
    let m = message.trim_end_matches('.');
    if let Some(rest) = m.strip_prefix("unknown field ") {
        // serde writes "expected `a` or `b`" for two choices; keep one wording.
        let rest = match rest.split_once(", expected `") {
            Some((key, choices)) if !choices.starts_with("one of") && choices.contains("` or `") => {
                format!("{key}, expected one of `{}", choices.replacen("` or `", "`, `", 1))
            }
            _ => rest.to_string(),
        };
        return format!("unknown key {rest}");
    }
    if let Some(rest) = m.strip_prefix("missing field ") {
        return format!("missing key {rest}");
    }
    if m.starts_with("data did not match any variant of untagged enum Localized") {
        return "expected a text, or a table of texts per language like `{ zh-CN = \"…\", en = \"…\" }`".into();
    }
    let mut chars = m.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn field_from_message(message: &str) -> Option<String> {
    for prefix in ["unknown key `", "missing key `"] {
        if let Some(rest) = message.strip_prefix(prefix) {
            return rest.split('`').next().map(str::to_string);
        }
    }
    None
}

/// The key written at the start of the line containing `offset`, if any.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let start = text[..offset.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !key.starts_with('[')).then(|| key.to_string())
}

/// The byte span of a top-level `key =` in `text`.
fn find_key(text: &str, key: &str) -> Option<(usize, usize)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix(key)
            && rest.trim_start().starts_with('=')
        {
            let s = offset + (line.len() - trimmed.len());
            return Some((s, s + key.len()));
        }
        if trimmed.starts_with(&format!("[{key}]")) {
            let s = offset + (line.len() - trimmed.len());
            return Some((s, s + key.len() + 2));
        }
        offset += line.len();
    }
    None
}

// ---- The `[rules]` table: overrides of the rules docs/domain.md marks as settings. ----

/// What happens to teaching points (教学点) in the basic-balance computation [M].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TeachingPoints {
    /// Counted as part of their central school (`parent_school_id`): the default.
    Merge,
    /// Counted as schools of their own.
    Separate,
    /// Left out.
    Exclude,
}

/// Weights of the combined-school split [S]: enrolment of each part is multiplied by its
/// weight, and facilities are shared in proportion (docs/domain.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SplitWeights {
    /// 九年一贯制: weight of junior students (primary = 1).
    #[serde(default = "w_1_1")]
    pub nine_year_junior: f64,
    /// 完全中学: weight of senior-high students (junior = 1).
    #[serde(default = "w_1_2")]
    pub complete_secondary_senior: f64,
    /// 十二年一贯制: weight of junior students (primary = 1).
    #[serde(default = "w_1_1")]
    pub twelve_year_junior: f64,
    /// 十二年一贯制: weight of senior-high students (primary = 1).
    #[serde(default = "w_1_32")]
    pub twelve_year_senior: f64,
}

fn w_1_1() -> f64 {
    1.1
}
fn w_1_2() -> f64 {
    1.2
}
fn w_1_32() -> f64 {
    1.32
}

impl Default for SplitWeights {
    fn default() -> Self {
        SplitWeights {
            nine_year_junior: w_1_1(),
            complete_secondary_senior: w_1_2(),
            twelve_year_junior: w_1_1(),
            twelve_year_senior: w_1_32(),
        }
    }
}

impl SplitWeights {
    /// Weights of (primary, junior, senior) students for a school type.
    pub fn for_type(&self, school_type: &str) -> [f64; 3] {
        match school_type {
            "nine_year" => [1.0, self.nine_year_junior, 0.0],
            "complete_secondary" => [0.0, 1.0, self.complete_secondary_senior],
            "twelve_year" => [1.0, self.twelve_year_junior, self.twelve_year_senior],
            _ => [1.0, 1.0, 0.0],
        }
    }
}

/// The `[rules]` table of `site.toml`: overrides of the [S]/[M] rules only.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleOverrides {
    /// Basic balance composite thresholds `[primary, junior]` (official: `[0.65, 0.55]`).
    #[serde(default)]
    pub basic_composite_threshold: Option<[f64; 2]>,
    /// Combined-school split weights.
    #[serde(default)]
    pub split: Option<SplitWeights>,
    /// Teaching points in basic balance: `merge` (default), `separate` or `exclude`.
    #[serde(default)]
    pub teaching_points: Option<TeachingPoints>,
    /// Quality balance leaves out teaching points with fewer pupils than this (official: 50).
    #[serde(default)]
    pub quality_min_teaching_point_pupils: Option<u32>,
    /// Unit of `equipment_yuan` in `schools.csv`: `yuan` (default) or `wan_yuan` (万元, × 10000).
    #[serde(default)]
    pub equipment_unit: Option<EquipmentUnit>,
}

/// Unit of the equipment value column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EquipmentUnit {
    /// 元 (the default).
    Yuan,
    /// 万元: multiplied by 10,000.
    WanYuan,
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "title = \"t\"\nbase_url = \"https://example.org\"\npublisher = \"p\"\n";

    // Guards defaults and base_url normalisation.
    #[test]
    fn minimal_config_gets_defaults() {
        let c = Config::parse(MINIMAL).unwrap();
        assert_eq!(c.base_url, "https://example.org/");
        assert_eq!(c.languages, vec!["zh-CN", "en"]);
        assert_eq!(c.theme, "default");
    }

    // Guards the unknown-key error: names the key, lists the allowed ones, points at the line.
    #[test]
    fn unknown_key_names_allowed_ones() {
        let text = format!("{MINIMAL}colour = \"red\"\n");
        let d = &Config::parse(&text).unwrap_err().sorted()[0];
        assert_eq!(d.line, 4);
        assert_eq!(d.column, 1);
        assert_eq!(d.field.as_deref(), Some("colour"));
        assert!(d.message.starts_with("unknown key `colour`, expected one of `title`"), "{}", d.message);
        assert!(d.message.contains("`base_url`"), "{}", d.message);
    }

    // Guards unknown keys inside a nested table.
    #[test]
    fn unknown_setting_is_an_error() {
        let text = format!("{MINIMAL}[settings]\nbrowser = \"x\"\n");
        let d = &Config::parse(&text).unwrap_err().sorted()[0];
        assert_eq!((d.line, d.field.as_deref()), (5, Some("browser")));
        assert!(d.message.contains("expected one of `browsers`"), "{}", d.message);
    }

    // Guards semantic validation of languages and base_url.
    #[test]
    fn bad_values_are_reported_together() {
        let text = "title = \"t\"\nbase_url = \"example.org\"\npublisher = \"p\"\nlanguages = [\"zh-CN\", \"fr\"]\n";
        let ds = Config::parse(text).unwrap_err().sorted();
        assert_eq!(ds.len(), 2);
        assert_eq!(ds[0].line, 2);
        assert!(ds[1].message.contains("found `fr`"));
    }

    // Guards `[downloads] formats`: every format by default, a chosen list kept, and a list
    // that is empty, repeats a format or names an unknown one refused on its line.
    #[test]
    fn download_formats() {
        assert_eq!(Config::parse(MINIMAL).unwrap().downloads.formats.len(), 4);
        let with = |formats: &str| Config::parse(&format!("{MINIMAL}[downloads]\nformats = [{formats}]\n"));
        let chosen = with("\"csv\", \"api\"").unwrap().downloads;
        assert!(chosen.writes(Format::Csv) && chosen.writes(Format::Api) && !chosen.writes(Format::Xlsx));
        for (formats, expected) in [
            ("", "expected at least one format of `csv`, `xlsx`, `sqlite`, `api`"),
            ("\"csv\", \"csv\"", "format `csv` is listed twice"),
            ("\"pdf\"", "unknown variant `pdf`, expected one of `csv`, `xlsx`, `sqlite`, `api`"),
        ] {
            let d = &with(formats).unwrap_err().sorted()[0];
            assert_eq!(d.line, 5, "{formats}: {d:?}");
            assert!(d.message.contains(expected), "{formats}: {}", d.message);
        }
    }

    // Guards per-language texts.
    #[test]
    fn localized_lookup() {
        let text = "title = { zh-CN = \"标题\", en = \"Title\" }\nbase_url = \"https://e.org/\"\npublisher = \"p\"\n";
        let c = Config::parse(text).unwrap();
        assert_eq!(c.title.get("en", "zh-CN"), "Title");
        assert_eq!(c.title.get("zh-CN", "zh-CN"), "标题");
        assert_eq!(c.publisher.get("en", "zh-CN"), "p");
    }

    // Guards the addresses of site.toml: no script in the footer's license link, no control
    // character anywhere.
    #[test]
    fn addresses_are_web_or_site_paths() {
        let with = |extra: &str| Config::parse(&format!("{MINIMAL}{extra}"));
        assert!(with("license_url = \"https://creativecommons.org/licenses/by/4.0/\"\n").is_ok());
        assert!(with("license_url = \"/about/license/\"\n").is_ok());
        for bad in ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "//evil.example/"] {
            let ds = with(&format!("license_url = \"{bad}\"\n")).unwrap_err().sorted();
            assert_eq!((ds[0].line, ds[0].field.as_deref()), (4, Some("license_url")), "{bad}");
        }
        let ds = Config::parse("title = \"t\\u001b[2J\"\nbase_url = \"https://e.org\"\npublisher = \"p\\u0007\"\n");
        let ds = ds.unwrap_err().sorted();
        assert_eq!(ds.len(), 2, "{ds:?}");
        assert_eq!((ds[0].line, ds[0].field.as_deref()), (1, Some("title")));
        assert!(ds[0].message.ends_with("found U+001B"), "{}", ds[0].message);
        assert_eq!((ds[1].line, ds[1].field.as_deref()), (3, Some("publisher")));
        // Written as they are, TOML itself refuses them.
        assert!(Config::parse("title = \"t\u{7}\"\nbase_url = \"https://e.org\"\npublisher = \"p\"\n").is_err());
    }
}
