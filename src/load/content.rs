//! The load stage for content: `content/**/*.md` → [`SourcePage`] (front matter, TOML between `+++`
//! lines or YAML between `---` lines, then Markdown). Front-matter errors are shifted to the
//! file's own line numbers.

use serde::Deserialize;

use crate::config::{toml_diagnostic, yaml_diagnostic};
use crate::diag::{Diagnostic, Diagnostics};
use crate::util::markdown::{Finding, findings};

/// Front matter as written.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    /// Page title.
    pub title: String,
    /// Date of the text, `YYYY`, `YYYY-MM` or `YYYY-MM-DD`: written as text, or as a TOML
    /// date or date-time (`date = 2024-06-01`, `2024-06-01T09:30:00+08:00`: its date as
    /// written), or a YAML year (`date: 2024`).
    #[serde(default, deserialize_with = "date_text")]
    pub date: Option<String>,
    /// One-sentence summary for lists and feeds.
    #[serde(default)]
    pub summary: Option<String>,
    /// Ids of `sources.csv` the text relies on.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Drafts are checked but not published.
    #[serde(default)]
    pub draft: bool,
    /// Order in lists (lower first); dates order pages with equal weight.
    #[serde(default)]
    pub weight: Option<i64>,
}

/// The `date` of front matter as text: a string (a date-time's date part), a TOML date or
/// date-time, or a year as a number.
fn date_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a date like 2024-06-01, 2024-06 or 2024")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            // `2024-06-01T09:30:00+08:00` or `2024-06-01 09:30`: the date as written.
            let bytes = v.as_bytes();
            let date_time = bytes.len() > 10
                && matches!(bytes[10], b'T' | b't' | b' ')
                && bytes[..10]
                    .iter()
                    .enumerate()
                    .all(|(i, b)| if i == 4 || i == 7 { *b == b'-' } else { b.is_ascii_digit() });
            Ok(Some(if date_time { v[..10].to_string() } else { v.to_string() }))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            match v {
                1000..=9999 => Ok(Some(v.to_string())),
                _ => Err(E::invalid_value(serde::de::Unexpected::Unsigned(v), &self)),
            }
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            match u64::try_from(v) {
                Ok(v) => self.visit_u64(v),
                Err(_) => Err(E::invalid_value(serde::de::Unexpected::Signed(v), &self)),
            }
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            // A TOML date or date-time.
            let at = toml::value::Datetime::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
            match at.date {
                Some(date) => Ok(Some(date.to_string())),
                None => Err(serde::de::Error::custom("expected a date like 2024-06-01, found a time of day")),
            }
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(Visitor)
}

/// A Markdown file as read.
#[derive(Debug, Clone, PartialEq)]
pub struct SourcePage {
    /// Site-relative path (`content/reports/x.md`).
    pub file: String,
    /// Section folder (`""` for the home page, `counties`, `reports`, …).
    pub section: String,
    /// File stem without language suffix (`_index` for a section's own text).
    pub slug: String,
    /// Language code, from a `.en.md` style suffix or the site's default language.
    pub lang: String,
    /// Parsed front matter.
    pub front: FrontMatter,
    /// Line (1-based) of the front-matter's first key, to place diagnostics.
    pub front_line: u32,
    /// The Markdown body (shared with the model's page: a rebuild copies no text).
    pub body: std::sync::Arc<str>,
    /// Line (1-based) where the body starts.
    pub body_line: u32,
    /// The whole file text, to place diagnostics.
    pub text: String,
    /// The encoding the file was read as.
    pub encoding: &'static str,
}

/// Splits a `content/` relative path into section, slug and language.
///
/// ```
/// use junheng::load::content::split_path;
/// let langs = ["zh-CN".to_string(), "en".to_string()];
/// assert_eq!(split_path("reports/a.en.md", &langs), Some(("reports".into(), "a".into(), Some("en".into()))));
/// assert_eq!(split_path("_index.md", &langs), Some(("".into(), "_index".into(), None)));
/// assert_eq!(split_path("a/b/c.md", &langs), None);
/// ```
pub fn split_path(rel: &str, languages: &[String]) -> Option<(String, String, Option<String>)> {
    let stem = rel.strip_suffix(".md")?;
    let (section, name) = match stem.split_once('/') {
        Some((s, n)) if !n.contains('/') => (s.to_string(), n),
        Some(_) => return None,
        None => (String::new(), stem),
    };
    for lang in languages {
        if let Some(base) = name.strip_suffix(&format!(".{lang}")) {
            return Some((section, base.to_string(), Some(lang.clone())));
        }
    }
    Some((section, name.to_string(), None))
}

/// True for slugs and section names that are safe as one URL/path segment.
pub fn is_safe_segment(s: &str) -> bool {
    !s.is_empty() && s.len() <= 100 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Parses one Markdown file; problems go to `diags`.
pub fn parse_page(
    file: &str,
    section: String,
    slug: String,
    lang: String,
    text: String,
    diags: &mut Diagnostics,
) -> Option<SourcePage> {
    let body_start = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let bom = text.len() - body_start.len();
    let mut lines = body_start.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    let fence = first.trim_end();
    if fence != "+++" && fence != "---" {
        diags.push(
            Diagnostic::error(
                file,
                "expected front matter: a `+++` line, TOML keys (`title = \"…\"`), then `+++` (or YAML between `---` lines)",
            )
            .at_span(&text, bom, bom + fence.len()),
        );
        return None;
    }
    let fm_start = bom + first.len();
    let mut offset = fm_start;
    let mut fm_end = None;
    for line in lines {
        if line.trim_end() == fence {
            fm_end = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let Some((fm_end, body_off)) = fm_end else {
        diags.push(
            Diagnostic::error(file, format!("the front matter is not closed: expected a second `{fence}` line"))
                .at(1, 1),
        );
        return None;
    };
    let front_text = &text[fm_start..fm_end];
    let parsed = match fence {
        "+++" => toml::from_str(front_text).map_err(|e| {
            let mut d = toml_diagnostic(file, front_text, &e, 1);
            // TOML has no partial dates: `date = 2024-03` is a syntax error, `"2024-03"` is not.
            if let Some(value) = d.source_line.as_deref().and_then(unquoted_partial_date) {
                d.message.push_str(&format!(" (a date that is not a whole day must be quoted: `date = \"{value}\"`)"));
            }
            d
        }),
        // An empty YAML document is no mapping: give serde an empty one, so that the missing
        // title is what is reported.
        _ if front_text.trim().is_empty() => yaml_serde::from_str("{}").map_err(|e| yaml_diagnostic(file, "", &e, 1)),
        _ => yaml_serde::from_str(front_text).map_err(|e| yaml_diagnostic(file, front_text, &e, 1)),
    };
    let front: FrontMatter = match parsed {
        Ok(f) => f,
        Err(mut d) => {
            if d.line == 0 {
                d = d.at(2, 1);
            }
            diags.push(d);
            return None;
        }
    };
    let body_line = text[..body_off].matches('\n').count() as u32 + 1;
    check_text(file, &text, body_off, diags);
    // Escapes (`\u0007` in TOML, `\a` in YAML) make control characters the text does not show.
    let fields = [("title", Some(&front.title)), ("summary", front.summary.as_ref()), ("date", front.date.as_ref())];
    let texts =
        fields.into_iter().filter_map(|(k, v)| Some((k, v?))).chain(front.sources.iter().map(|s| ("sources", s)));
    for (key, value) in texts {
        if let Some((_, c)) = crate::util::text::controls(value).next() {
            // The key's line in the front matter (`title = …`, `title: …`).
            let line = front_text.lines().position(|l| l.trim_start().starts_with(key)).map_or(0, |i| i + 1);
            diags
                .push(Diagnostic::error(file, crate::util::text::control_message(c)).field(key).at(line as u32 + 1, 1));
        }
    }
    Some(SourcePage {
        file: file.to_string(),
        section,
        slug,
        lang,
        front,
        front_line: 2,
        body: text[body_off..].into(),
        body_line,
        text,
        encoding: "UTF-8",
    })
}

/// Reports what a page's text must not hold: control characters (anywhere), links and images
/// to a script (`javascript:` and every other scheme but `http`, `https` and `mailto`; they
/// are dropped from the page), and nesting deeper than the limit.
fn check_text(file: &str, text: &str, body_off: usize, diags: &mut Diagnostics) {
    let mut lines = std::collections::BTreeSet::new();
    for (at, c) in crate::util::text::controls(text) {
        let d = Diagnostic::error(file, crate::util::text::control_message(c)).at_span(text, at, at + c.len_utf8());
        if lines.insert(d.line) && lines.len() <= 20 {
            diags.push(d);
        }
    }
    for (at, finding) in findings(&text[body_off..]) {
        let at = body_off + at;
        diags.push(
            match finding {
                Finding::UnsafeUrl(url) => Diagnostic::warning(
                    file,
                    format!(
                        "link to `{}` removed: expected an `http`, `https` or `mailto` address or a path of the site",
                        crate::diag::shorten(&url, 60)
                    ),
                ),
                Finding::TooDeep => Diagnostic::error(
                    file,
                    format!(
                        "expected block quotes, lists and HTML elements nested at most {} deep, found deeper ones",
                        crate::limits::MARKDOWN_DEPTH
                    ),
                ),
            }
            .at_span(text, at, at + 1),
        );
    }
}

/// The value of a front-matter line `date = 2024-03` (or `2024`): a year, or a year and month,
/// not quoted, which TOML cannot read as a date.
fn unquoted_partial_date(line: &str) -> Option<&str> {
    let (key, value) = line.split_once('=')?;
    let value = value.trim();
    let ok = |part: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
    };
    let mut parts = value.split('-');
    let whole = ok(parts.next()?, 4..=4) && parts.next().is_none_or(|m| ok(m, 1..=2)) && parts.next().is_none();
    (key.trim() == "date" && whole).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Option<SourcePage>, Diagnostics) {
        let mut ds = Diagnostics::new();
        let p = parse_page("content/a.md", "".into(), "a".into(), "zh-CN".into(), text.into(), &mut ds);
        (p, ds)
    }

    // Guards front matter splitting and the body's line number.
    #[test]
    fn splits_front_matter() {
        let (p, ds) = parse("+++\ntitle = \"关于\"\ndate = \"2021-03\"\n+++\n\n正文\n");
        assert!(ds.is_empty());
        let p = p.unwrap();
        assert_eq!(p.front.title, "关于");
        assert_eq!(p.front.date.as_deref(), Some("2021-03"));
        assert_eq!(&*p.body, "\n正文\n");
        assert_eq!(p.body_line, 5);
    }

    // Guards the hint for a partial date written as TOML would a whole one: quote it.
    #[test]
    fn an_unquoted_partial_date_is_told_to_be_quoted() {
        let (_, ds) = parse("+++\ntitle = \"x\"\ndate = 2024-03\n+++\n");
        let d = &ds.sorted()[0];
        assert_eq!(d.line, 3);
        assert!(d.message.contains("must be quoted: `date = \"2024-03\"`"), "{}", d.message);
        assert_eq!(unquoted_partial_date("date = 2024"), Some("2024"));
        assert_eq!(unquoted_partial_date("  date=2024-3 "), Some("2024-3"));
        assert_eq!(unquoted_partial_date("date = \"2024-03\""), None);
        assert_eq!(unquoted_partial_date("title = 2024-03"), None);
    }

    // Guards front-matter errors being placed at the file's own line and naming the key.
    #[test]
    fn front_matter_errors_are_shifted() {
        let (_, ds) = parse("+++\ntitle = \"x\"\nauthor = \"me\"\n+++\n");
        let d = &ds.sorted()[0];
        assert_eq!((d.line, d.column), (3, 1));
        assert_eq!(d.field.as_deref(), Some("author"));
        assert!(d.message.contains("expected one of `title`"), "{}", d.message);
        let (_, ds) = parse("+++\ntitle = 3\n+++\n");
        assert_eq!(ds.sorted()[0].line, 2);
    }

    // Guards what a page must not hold: control characters (an error on their line), script
    // links (a warning: they are dropped) and nesting too deep (an error).
    #[test]
    fn control_characters_script_links_and_deep_nesting() {
        let (_, ds) = parse("+++\ntitle = \"a\\u001bb\"\n+++\n\nok\n\nbell\u{7}\n");
        let found: Vec<_> = ds.sorted().iter().map(|d| (d.line, d.message.clone())).collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0], (2, "expected text without control characters, found U+001B".to_string()));
        assert_eq!(found[1].0, 7);
        let (p, ds) = parse("+++\ntitle = \"a\"\n+++\n\n[x](javascript:alert(1))\n");
        assert!(p.is_some() && !ds.has_errors());
        let d = &ds.sorted()[0];
        assert_eq!((d.line, d.column), (5, 1));
        assert!(d.message.starts_with("link to `javascript:alert(1)` removed"), "{}", d.message);
        let (_, ds) = parse(&format!("+++\ntitle = \"a\"\n+++\n{}", "<div>".repeat(50_000)));
        assert!(ds.sorted()[0].message.contains("nested at most 64 deep"), "{}", ds.sorted()[0].message);
    }

    // Guards files without or with unclosed front matter.
    #[test]
    fn missing_front_matter() {
        assert!(parse("# hello\n").1.has_errors());
        assert!(parse("+++\ntitle = \"x\"\n").1.has_errors());
    }

    // Guards front matter as Zola, Hugo and Markdown editors write it: TOML dates and
    // date-times, and YAML between `---` lines, with the same keys and the same placed errors.
    // See: #24
    #[test]
    fn toml_dates_and_yaml_front_matter() {
        let date = |text: &str| {
            let (p, ds) = parse(text);
            assert!(!ds.has_errors(), "{text}: {}", ds.sorted()[0].message);
            p.unwrap().front.date
        };
        assert_eq!(date("+++\ntitle = \"a\"\ndate = 2024-06-01\n+++\n").as_deref(), Some("2024-06-01"));
        assert_eq!(date("+++\ntitle = \"a\"\ndate = 2024-06-01T09:30:00+08:00\n+++\n").as_deref(), Some("2024-06-01"));
        assert_eq!(date("+++\ntitle = \"a\"\ndate = 2024-06-01 09:30:00\n+++\n").as_deref(), Some("2024-06-01"));
        assert_eq!(date("+++\ntitle = \"a\"\ndate = \"2024-06\"\n+++\n").as_deref(), Some("2024-06"));
        let (_, ds) = parse("+++\ntitle = \"a\"\ndate = 09:30:00\n+++\n");
        assert!(ds.sorted()[0].message.contains("time of day"), "{}", ds.sorted()[0].message);
        assert_eq!(ds.sorted()[0].line, 3);

        let (p, ds) = parse("---\ntitle: 关于本站\ndate: 2024-06-01\nsources: [a, b]\ndraft: false\n---\n\n正文\n");
        assert!(ds.is_empty(), "{}", ds.sorted()[0].message);
        let p = p.unwrap();
        assert_eq!(p.front.title, "关于本站");
        assert_eq!(p.front.date.as_deref(), Some("2024-06-01"));
        assert_eq!(p.front.sources, ["a", "b"]);
        assert_eq!((&*p.body, p.body_line), ("\n正文\n", 7));
        assert_eq!(date("---\ntitle: a\ndate: 2024\n---\n").as_deref(), Some("2024"));
        assert_eq!(date("---\ntitle: a\ndate: 2024-06-01T09:30:00+08:00\n---\n").as_deref(), Some("2024-06-01"));
        // The same errors, placed on the file's own lines.
        let (_, ds) = parse("---\ntitle: x\nauthor: me\n---\n");
        let d = &ds.sorted()[0];
        assert_eq!((d.line, d.column, d.field.as_deref()), (3, 1, Some("author")), "{}", d.message);
        assert!(d.message.contains("expected one of `title`"), "{}", d.message);
        let (_, ds) = parse("---\ntitle: x\ndate: [1]\n---\n");
        assert_eq!(ds.sorted()[0].line, 3, "{}", ds.sorted()[0].message);
        let (_, ds) = parse("---\n---\n");
        assert!(ds.sorted()[0].message.contains("title"), "{}", ds.sorted()[0].message);
        assert!(parse("---\ntitle: x\n").1.has_errors(), "unclosed");
    }
}
