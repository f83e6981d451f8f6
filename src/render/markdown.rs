//! Markdown → HTML with pulldown-cmark. Raw HTML in a text is sanitized with ammonia (safe
//! markup kept, scripts and event handlers removed) or, with `raw_html = "escape"`, shown as
//! text: a narrative can never inject a script into a page.

use pulldown_cmark::{Event, Parser, Tag, TagEnd, html};

use crate::config::RawHtml;
use crate::util::markdown::{Depth, OPTIONS};
use crate::util::text::is_safe_url;

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
    let parsed: Vec<Event<'_>> = Parser::new_ext(markdown, OPTIONS).collect();
    let highest = parsed
        .iter()
        .filter_map(|e| match e {
            Event::Start(Tag::Heading { level, .. }) => Some(*level as usize),
            _ => None,
        })
        .min()
        .unwrap_or(1);
    let shift_level = |l: pulldown_cmark::HeadingLevel| {
        let n = (l as usize + top as usize).saturating_sub(highest).clamp(1, 6);
        pulldown_cmark::HeadingLevel::try_from(n).expect("levels 1-6 are valid")
    };
    // Nesting too deep for the sanitizer (the load stage reports it) is shown as text.
    let mut depth = Depth::default();
    parsed.iter().for_each(|e| _ = depth.step(e));
    let escape = raw_html == RawHtml::Escape || depth.too_deep();
    let mut has_html = false;
    // Links to other schemes than http, https and mailto are shown as their text, images to
    // them not at all (the load stage warns of each), in every raw-HTML mode.
    let mut dropped_link = false;
    let events = parsed.into_iter().filter_map(|e| {
        Some(match e {
            Event::Start(Tag::Link { ref dest_url, .. }) if !is_safe_url(dest_url) => {
                dropped_link = true;
                return None;
            }
            Event::End(TagEnd::Link) if dropped_link => {
                dropped_link = false;
                return None;
            }
            Event::Start(Tag::Image { link_type, ref dest_url, title, id }) if !is_safe_url(dest_url) => {
                Event::Start(Tag::Image { link_type, dest_url: "".into(), title, id })
            }
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
        })
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

    // Guards links and images with a script, in every raw-HTML mode: the link keeps its text,
    // the image loses its target; safe links stay.
    #[test]
    fn script_links_are_dropped_in_every_mode() {
        let md = "[x](javascript:alert('md')) <javascript:alert(2)> [r][ref] ![i](javascript:alert(3)) [ok](https://e.org/) [rel](../450802/)\n\n[ref]: JavaScript:alert(4)";
        for mode in [RawHtml::Escape, RawHtml::Sanitize] {
            let html = to_html(md, 2, mode);
            let lower = html.to_ascii_lowercase();
            assert!(!lower.contains("=\"javascript:") && !lower.contains("=javascript:"), "{mode:?}: {html}");
            assert!(html.contains(">x<") || html.contains("x "), "{html}");
            assert!(
                html.contains(r#"<a href="https://e.org/">ok</a>"#) && html.contains(r#"href="../450802/""#),
                "{html}"
            );
        }
    }

    // Guards raw HTML nested too deep: shown as text, never handed to the sanitizer.
    #[test]
    fn deep_raw_html_is_text() {
        let n = crate::limits::MARKDOWN_DEPTH + 1;
        let md = format!("{}x{}", "<div>".repeat(n), "</div>".repeat(n));
        let html = to_html(&md, 2, RawHtml::Sanitize);
        assert!(html.contains("&lt;div&gt;") && !html.contains("<div>"), "{html}");
    }

    // Guards summaries.
    #[test]
    fn first_paragraph_is_plain_text() {
        assert_eq!(first_paragraph("# T\n\n覃塘区 *2016* 年\n认定。\n\n二", 100), "覃塘区 2016 年 认定。");
        assert_eq!(first_paragraph("abcdef", 3), "abc…");
    }
}
