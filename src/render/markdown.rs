//! Markdown → HTML with pulldown-cmark. Raw HTML in a text is sanitized with ammonia (safe
//! markup kept, scripts and event handlers removed) or, with `raw_html = "escape"`, shown as
//! text: a narrative can never inject a script into a page.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

use crate::config::RawHtml;

/// Renders Markdown to HTML. The text's highest heading becomes `<h{top}>` and the others
/// keep their distance to it, so headings stay in order under the page's own headings.
///
/// ```
/// use junheng::config::RawHtml;
/// let md = "## 概况\n\n### 细节\n\n<script>x()</script>";
/// let html = junheng::render::markdown::to_html(md, 3, RawHtml::Escape);
/// assert!(html.contains("<h3>概况</h3>") && html.contains("<h4>细节</h4>"));
/// assert!(html.contains("&lt;script&gt;"));
/// assert!(!junheng::render::markdown::to_html(md, 3, RawHtml::Sanitize).contains("script"));
/// ```
pub fn to_html(markdown: &str, top: u8, raw_html: RawHtml) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH;
    let highest = Parser::new_ext(markdown, options)
        .filter_map(|e| match e {
            Event::Start(Tag::Heading { level, .. }) => Some(level as usize),
            _ => None,
        })
        .min()
        .unwrap_or(1);
    let shift_level = |l: pulldown_cmark::HeadingLevel| {
        let n = (l as usize + top as usize).saturating_sub(highest).clamp(1, 6);
        pulldown_cmark::HeadingLevel::try_from(n).expect("levels 1-6 are valid")
    };
    let escape = raw_html == RawHtml::Escape;
    let mut has_html = false;
    let events = Parser::new_ext(markdown, options).map(|e| match e {
        Event::Html(s) | Event::InlineHtml(s) if escape => Event::Text(s),
        e @ (Event::Html(_) | Event::InlineHtml(_)) => {
            has_html = true;
            e
        }
        Event::Start(Tag::Heading { level, id, classes, attrs }) => {
            Event::Start(Tag::Heading { level: shift_level(level), id, classes, attrs })
        }
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(shift_level(level))),
        e => e,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    if has_html {
        out = sanitizer().clean(&out).to_string();
    }
    out
}

/// ammonia's safe defaults, plus the `id`/`class` attributes pulldown-cmark's footnotes use.
fn sanitizer() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.add_generic_attributes(["id", "class"]);
    b
}

/// The text of the first paragraph, for summaries (at most `max` characters).
pub fn first_paragraph(markdown: &str, max: usize) -> String {
    let mut text = String::new();
    let mut in_para = false;
    for e in Parser::new(markdown) {
        match e {
            Event::Start(Tag::Paragraph) => in_para = true,
            Event::End(TagEnd::Paragraph) if in_para => break,
            Event::Text(t) | Event::Code(t) if in_para => text.push_str(&t),
            Event::SoftBreak if in_para => text.push(' '),
            _ => {}
        }
    }
    if text.chars().count() > max {
        text = text.chars().take(max).collect::<String>() + "…";
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    // Guards that raw HTML never passes through (inline or block).
    #[test]
    fn raw_html_is_escaped() {
        for md in ["<script>alert(1)</script>", "text <img src=x onerror=alert(1)> text"] {
            let html = to_html(md, 2, RawHtml::Escape);
            assert!(!html.contains("<script") && !html.contains("<img"), "{html}");
        }
    }

    // Guards sanitizing: safe markup kept, scripts, handlers and javascript: links removed.
    #[test]
    fn raw_html_is_sanitized() {
        let md = "a<br>b <sup>1</sup>\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)> [x](javascript:alert(1)) <a href=\"javascript:alert(2)\">y</a>";
        let html = to_html(md, 2, RawHtml::Sanitize);
        assert!(html.contains("<br>") && html.contains("<sup>1</sup>"), "{html}");
        for bad in ["<script", "onerror", "javascript:", "alert(1)</script"] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
    }

    // Guards summaries.
    #[test]
    fn first_paragraph_is_plain_text() {
        assert_eq!(first_paragraph("# T\n\n覃塘区 *2016* 年\n认定。\n\n二", 100), "覃塘区 2016 年 认定。");
        assert_eq!(first_paragraph("abcdef", 3), "abc…");
    }
}
