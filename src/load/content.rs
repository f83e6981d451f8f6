//! Stage 1 for content: `content/**/*.md` → [`SourcePage`] (TOML front matter between `+++`
//! lines, then Markdown). Front-matter errors are shifted to the file's own line numbers.

use serde::Deserialize;

use crate::config::toml_diagnostic;
use crate::diag::{Diagnostic, Diagnostics};

/// Front matter as written.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    /// Page title.
    pub title: String,
    /// Date of the text, `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[serde(default)]
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
    if first.trim_end() != "+++" {
        diags.push(
            Diagnostic::error(file, "expected front matter: a `+++` line, TOML keys (`title = \"…\"`), then `+++`")
                .at_span(&text, bom, bom + first.trim_end().len()),
        );
        return None;
    }
    let fm_start = bom + first.len();
    let mut offset = fm_start;
    let mut fm_end = None;
    for line in lines {
        if line.trim_end() == "+++" {
            fm_end = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let Some((fm_end, body_off)) = fm_end else {
        diags.push(Diagnostic::error(file, "the front matter is not closed: expected a second `+++` line").at(1, 1));
        return None;
    };
    let front_text = &text[fm_start..fm_end];
    let front: FrontMatter = match toml::from_str(front_text) {
        Ok(f) => f,
        Err(e) => {
            let mut d = toml_diagnostic(file, front_text, &e, 1);
            if d.line == 0 {
                d = d.at(2, 1);
            }
            diags.push(d);
            return None;
        }
    };
    let body_line = text[..body_off].matches('\n').count() as u32 + 1;
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

    // Guards files without or with unclosed front matter.
    #[test]
    fn missing_front_matter() {
        assert!(parse("# hello\n").1.has_errors());
        assert!(parse("+++\ntitle = \"x\"\n").1.has_errors());
    }
}
