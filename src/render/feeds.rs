//! `sitemap.xml` and the Atom feed of content and data updates. Dates come from the data,
//! never from the clock, so two builds of the same input are byte-identical.

use std::fmt::Write;

use super::templates::Strings;
use crate::model::{NATIONAL_AREA, Site};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The sitemap: each page of the default language with its alternates.
pub fn sitemap(pages: &[(String, Vec<(String, String)>)]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n",
    );
    for (loc, alts) in pages {
        let _ = writeln!(out, "  <url>\n    <loc>{}</loc>", esc(loc));
        for (lang, href) in alts {
            let _ =
                writeln!(out, "    <xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{}\"/>", esc(lang), esc(href));
        }
        out.push_str("  </url>\n");
    }
    out.push_str("</urlset>\n");
    out
}

struct Entry {
    id: String,
    title: String,
    date: String,
    link: String,
    summary: String,
}

/// The Atom feed of one language: content pages and dated milestones, newest first.
pub fn atom(site: &Site, lang: &str, strings: &Strings) -> String {
    let dl = site.config.default_language();
    let prefix = super::lang_prefix(lang, dl);
    let base = format!("{}{prefix}", site.config.base_url);
    let t = |key: &str| strings.get(lang).and_then(|m| m.get(key)).cloned().unwrap_or_else(|| key.to_string());
    let mut entries = Vec::new();
    for p in site.pages.iter().filter(|p| p.slug != "_index" && p.date.is_some()) {
        let is_translation_missing =
            p.lang != lang && site.pages.iter().any(|q| q.section == p.section && q.slug == p.slug && q.lang == lang);
        if is_translation_missing || (p.lang != lang && p.lang != dl) {
            continue;
        }
        let path =
            if p.section == "counties" { format!("county/{}/", p.slug) } else { format!("{}/{}/", p.section, p.slug) };
        entries.push(Entry {
            id: format!("{base}{path}"),
            title: p.title.clone(),
            date: p.date.expect("filtered on date").rfc3339(),
            link: format!("{base}{path}"),
            summary: p.summary.clone().unwrap_or_else(|| super::markdown::first_paragraph(&p.body, 200)),
        });
    }
    for m in &site.milestones {
        let (link, area_name) = match site.county(&m.area) {
            Some(c) => (format!("{base}county/{}/", c.code), c.name.clone()),
            None if m.area == NATIONAL_AREA => (format!("{base}timeline/"), String::new()),
            None => {
                let prov = site.provinces.iter().find(|p| p.code == m.area).map(|p| p.code.clone());
                (format!("{base}timeline/{}/", prov.unwrap_or_else(|| m.area[..2].to_string() + "0000")), String::new())
            }
        };
        let label = t(&format!("event.{}", m.event.id()));
        entries.push(Entry {
            id: format!("{link}#{}-{}", m.event.id(), m.date),
            title: if area_name.is_empty() {
                format!("{label}: {}", m.title)
            } else {
                format!("{area_name} · {label}: {}", m.title)
            },
            date: m.date.rfc3339(),
            link,
            summary: m.title.clone(),
        });
    }
    entries.sort_by(|a, b| b.date.cmp(&a.date).then(a.id.cmp(&b.id)));
    entries.truncate(50);
    let updated = entries.first().map_or("1970-01-01T00:00:00Z".to_string(), |e| e.date.clone());
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let _ = writeln!(out, "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">", esc(lang));
    let _ = writeln!(out, "  <title>{}</title>", esc(site.config.title.get(lang, dl)));
    let _ = writeln!(out, "  <id>{}</id>", esc(&base));
    let _ = writeln!(out, "  <link href=\"{}\"/>", esc(&base));
    let _ = writeln!(out, "  <link rel=\"self\" href=\"{}atom.xml\"/>", esc(&base));
    let _ = writeln!(out, "  <updated>{updated}</updated>");
    let _ = writeln!(out, "  <author><name>{}</name></author>", esc(site.config.publisher.get(lang, dl)));
    for e in entries {
        let _ = write!(
            out,
            "  <entry>\n    <title>{}</title>\n    <id>{}</id>\n    <link href=\"{}\"/>\n    <updated>{}</updated>\n    <summary>{}</summary>\n  </entry>\n",
            esc(&e.title),
            esc(&e.id),
            esc(&e.link),
            e.date,
            esc(&e.summary)
        );
    }
    out.push_str("</feed>\n");
    out
}
