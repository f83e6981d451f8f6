//! Markdown → HTML with pulldown-cmark. Raw HTML in a narrative is shown as text, never
//! passed through, so a text cannot inject markup or scripts into a page.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// Renders Markdown to HTML. The text's highest heading becomes `<h{top}>` and the others
/// keep their distance to it, so headings stay in order under the page's own headings.
///
/// ```
/// let html = junheng::render::markdown::to_html("## 概况\n\n### 细节\n\n<script>x()</script>", 3);
/// assert!(html.contains("<h3>概况</h3>") && html.contains("<h4>细节</h4>"));
/// assert!(html.contains("&lt;script&gt;"));
/// ```
pub fn to_html(markdown: &str, top: u8) -> String {
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
    let events = Parser::new_ext(markdown, options).map(|e| match e {
        Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
        Event::Start(Tag::Heading { level, id, classes, attrs }) => {
            Event::Start(Tag::Heading { level: shift_level(level), id, classes, attrs })
        }
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(shift_level(level))),
        e => e,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
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
            let html = to_html(md, 2);
            assert!(!html.contains("<script") && !html.contains("<img"), "{html}");
        }
    }

    // Guards summaries.
    #[test]
    fn first_paragraph_is_plain_text() {
        assert_eq!(first_paragraph("# T\n\n覃塘区 *2016* 年\n认定。\n\n二", 100), "覃塘区 2016 年 认定。");
        assert_eq!(first_paragraph("abcdef", 3), "abc…");
    }
}
