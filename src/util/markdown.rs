//! What the site's Markdown may hold, found in one pass of the parser: the load stage reports
//! it (with lines), the render stage drops what must not reach a page whatever the setting.

use pulldown_cmark::{Event, Options, Parser, Tag};

use crate::limits::MARKDOWN_DEPTH;
use crate::util::text::is_safe_url;

/// The Markdown extensions pages are written with.
pub const OPTIONS: Options =
    Options::ENABLE_TABLES.union(Options::ENABLE_FOOTNOTES).union(Options::ENABLE_STRIKETHROUGH);

/// Something in a Markdown text that does not reach the page as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// A link or image whose target has a scheme other than `http`, `https` or `mailto`
    /// (`javascript:`): the link is shown as its text, the image not at all.
    UnsafeUrl(String),
    /// Blocks or raw HTML elements nested deeper than [`MARKDOWN_DEPTH`].
    TooDeep,
}

/// Each finding of `markdown` with its byte offset (at most one [`Finding::TooDeep`], where
/// the nesting first goes too deep).
///
/// ```
/// use junheng::util::markdown::{Finding, findings};
/// let f = findings("[x](javascript:alert(1)) [y](https://e.org)\n\n![i](data:x)");
/// assert_eq!(f, [(0, Finding::UnsafeUrl("javascript:alert(1)".into())), (45, Finding::UnsafeUrl("data:x".into()))]);
/// assert_eq!(findings(&">".repeat(100)), [(64, Finding::TooDeep)]);
/// ```
pub fn findings(markdown: &str) -> Vec<(usize, Finding)> {
    let mut found = Vec::new();
    let mut depth = Depth::default();
    for (event, range) in Parser::new_ext(markdown, OPTIONS).into_offset_iter() {
        if let Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) = &event
            && !is_safe_url(dest_url)
        {
            found.push((range.start, Finding::UnsafeUrl(dest_url.to_string())));
        }
        if !depth.too_deep() && depth.step(&event) {
            found.push((range.start, Finding::TooDeep));
        }
    }
    found
}

/// The nesting of a text's blocks and raw HTML elements, followed event by event.
#[derive(Debug, Default)]
pub struct Depth {
    blocks: usize,
    html: usize,
    over: bool,
}

impl Depth {
    /// Follows one event; true when the nesting goes over [`MARKDOWN_DEPTH`] here.
    pub fn step(&mut self, event: &Event<'_>) -> bool {
        match event {
            Event::Start(_) => self.blocks += 1,
            Event::End(_) => self.blocks = self.blocks.saturating_sub(1),
            Event::Html(html) | Event::InlineHtml(html) => self.html_tags(html),
            _ => {}
        }
        let over = !self.over && (self.blocks > MARKDOWN_DEPTH || self.html > MARKDOWN_DEPTH);
        self.over |= over;
        over
    }

    /// True once the nesting went over the limit.
    pub fn too_deep(&self) -> bool {
        self.over
    }

    /// Follows the opening and closing tags of a piece of raw HTML (void and self-closing
    /// elements open nothing; comments and declarations are skipped).
    fn html_tags(&mut self, html: &str) {
        const VOID: [&str; 14] = [
            "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track",
            "wbr",
        ];
        let mut rest = html;
        while let Some(at) = rest.find('<') {
            rest = &rest[at + 1..];
            if rest.starts_with('/') {
                self.html = self.html.saturating_sub(1);
                continue;
            }
            let name: String = rest.chars().take_while(char::is_ascii_alphanumeric).collect();
            if name.is_empty() {
                continue;
            }
            let tag_end = rest.find('>').unwrap_or(rest.len());
            let self_closing = rest[..tag_end].ends_with('/');
            if !self_closing && !VOID.iter().any(|v| name.eq_ignore_ascii_case(v)) {
                self.html += 1;
                if self.html > MARKDOWN_DEPTH {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Guards the nesting count of raw HTML: void, self-closing and closed elements open
    // nothing; 64 nested `<div>`s pass, 65 do not.
    #[test]
    fn raw_html_nesting() {
        let deep = |n: usize| format!("{}x{}", "<div>".repeat(n), "</div>".repeat(n));
        assert!(findings(&deep(MARKDOWN_DEPTH)).is_empty());
        assert_eq!(findings(&deep(MARKDOWN_DEPTH + 1)), [(0, Finding::TooDeep)]);
        let flat = "<p>a<br>b<img src=x/><hr/></p>\n\n".repeat(200);
        assert!(findings(&flat).is_empty());
        assert_eq!(findings(&format!("{}x", "> ".repeat(100))).len(), 1);
    }
}
