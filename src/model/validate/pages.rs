//! The Markdown pages, checked against the site: their sources, their county, their paths.

use super::*;

pub(super) fn content_pages(
    loaded: &[Arc<crate::load::content::SourcePage>],
    refs: &Refs,
    diags: &mut Diagnostics,
) -> Vec<Page> {
    let mut out = Vec::new();
    let mut seen = HashSet::default();
    for p in loaded {
        let fm_diag = |key: &str, msg: String| -> Diagnostic {
            let mut d = Diagnostic::error(&p.file, msg).field(key);
            if let Some((line_no, line)) =
                p.text.lines().enumerate().find(|(_, l)| l.trim_start().starts_with(key) && l.contains('='))
            {
                let col = line.chars().take_while(|c| c.is_whitespace()).count() as u32 + 1;
                d = d.at(line_no as u32 + 1, col).snippet(line, key.chars().count());
            }
            d
        };
        let date = match &p.front.date {
            Some(d) => match PartialDate::parse(d) {
                Some(d) => Some(d),
                None => {
                    diags.push(fm_diag(
                        "date",
                        format!("expected a date like `2021`, `2021-03` or `2021-03-16` that exists, found `{d}`"),
                    ));
                    continue;
                }
            },
            None => None,
        };
        for s in &p.front.sources {
            if refs.check_sources && !refs.sources.contains(s.as_str()) {
                diags.push(fm_diag("sources", format!("unknown source `{s}`: expected an `id` of `data/sources.csv`")));
            }
        }
        if p.front.title.trim().is_empty() {
            diags.push(fm_diag("title", "expected a title, found an empty text".into()));
        }
        if p.section == "counties"
            && p.slug != "_index"
            && refs.check_counties
            && !refs.counties.contains(p.slug.as_str())
        {
            diags.push(Diagnostic::error(
                &p.file,
                format!(
                    "narrative for unknown county `{}`: expected `content/counties/<code>.md` with a code of `data/counties.csv`{}",
                    p.slug,
                    suggest_county(&p.slug, refs)
                ),
            ));
            continue;
        }
        if p.front.draft {
            continue;
        }
        if !seen.insert((p.section.as_str(), p.slug.as_str(), p.lang.as_str())) {
            diags.push(Diagnostic::error(
                &p.file,
                format!("a page `{}/{}` in language `{}` already exists", p.section, p.slug, p.lang),
            ));
            continue;
        }
        out.push(Page {
            file: p.file.clone(),
            section: p.section.clone(),
            slug: p.slug.clone(),
            lang: p.lang.clone(),
            title: p.front.title.clone(),
            date,
            summary: p.front.summary.clone(),
            sources: p.front.sources.clone(),
            weight: p.front.weight,
            body: p.body.clone(),
        });
    }
    out.sort_by(|a, b| (&a.section, &a.slug, &a.lang).cmp(&(&b.section, &b.slug, &b.lang)));
    out
}
