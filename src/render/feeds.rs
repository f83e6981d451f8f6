//! `sitemap.xml` and the Atom feed of content and data updates. Dates come from the data,
//! never from the clock, so two builds of the same input are byte-identical.

use std::fmt::Write;

use super::scope::Scope;
use super::templates::Strings;
use crate::model::{Milestone, NATIONAL_AREA, Page, PartialDate};

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

/// How many entries a feed holds (the newest).
const FEED_LENGTH: usize = 50;

struct Entry {
    id: String,
    title: String,
    date: String,
    link: String,
    summary: String,
}

/// Shared context of one feed.
struct FeedCtx<'a, 'r, 's> {
    scope: &'a Scope<'r, 's>,
    lang: &'a str,
    base: String,
    strings: &'a Strings,
}

impl FeedCtx<'_, '_, '_> {
    fn new<'a, 'r, 's>(scope: &'a Scope<'r, 's>, lang: &'a str, strings: &'a Strings) -> FeedCtx<'a, 'r, 's> {
        let dl = scope.config().default_language();
        FeedCtx { scope, lang, base: format!("{}{}", scope.config().base_url, super::lang_prefix(lang, dl)), strings }
    }

    fn t(&self, key: &str) -> String {
        self.strings.get(self.lang).and_then(|m| m.get(key)).cloned().unwrap_or_else(|| key.to_string())
    }

    /// The dated ones of `pages` shown in this language (its own version, else the default
    /// language's), with their dates.
    fn dated_pages<'p>(&self, pages: &'p [Page]) -> impl Iterator<Item = (&'p PartialDate, &'p Page)> {
        let dl = self.scope.config().default_language();
        let lang = self.lang;
        pages.iter().filter_map(move |p| {
            let date = p.date.as_ref().filter(|_| p.slug != "_index")?;
            let shown = p.lang == lang
                || (p.lang == dl && !self.scope.pages_of(&p.section, &p.slug).iter().any(|q| q.lang == lang));
            shown.then_some((date, p))
        })
    }

    fn page_entry(&self, p: &Page, date: &PartialDate) -> Entry {
        let path =
            if p.section == "counties" { format!("county/{}/", p.slug) } else { format!("{}/{}/", p.section, p.slug) };
        // A narrative's link is its county page, which is also that county feed's id.
        let anchor = if p.section == "counties" { "#narrative" } else { "" };
        Entry {
            id: format!("{}{path}{anchor}", self.base),
            title: p.title.clone(),
            date: date.rfc3339(),
            link: format!("{}{path}", self.base),
            summary: p.summary.clone().unwrap_or_else(|| super::markdown::first_paragraph(&p.body, 200)),
        }
    }

    /// The entries of `pages` and `milestones` that can be among a feed's newest
    /// [`FEED_LENGTH`]: those dated no earlier than the newest ones (more in a tie); only
    /// they are made, so a national feed does not format every milestone of the country.
    fn newest_entries(&self, pages: &[Page], milestones: &[Milestone]) -> Vec<Entry> {
        enum Item<'a> {
            Page(&'a PartialDate, &'a Page),
            Milestone(&'a Milestone),
        }
        // The start of a date's period orders as its RFC 3339 text does (four-digit years).
        let start = |d: &PartialDate| (d.year, d.month.unwrap_or(1), d.day.unwrap_or(1));
        let mut items: Vec<_> = self
            .dated_pages(pages)
            .map(|(d, p)| (start(d), Item::Page(d, p)))
            .chain(milestones.iter().map(|m| (start(&m.date), Item::Milestone(m))))
            .collect();
        if items.len() > FEED_LENGTH {
            let (_, nth, _) = items.select_nth_unstable_by(FEED_LENGTH - 1, |a, b| b.0.cmp(&a.0));
            let cut = nth.0;
            items.retain(|(d, _)| *d >= cut);
        }
        items
            .into_iter()
            .map(|(_, item)| match item {
                Item::Page(date, p) => self.page_entry(p, date),
                Item::Milestone(m) => self.milestone_entry(m),
            })
            .collect()
    }

    fn milestone_entry(&self, m: &Milestone) -> Entry {
        let base = &self.base;
        let (link, area_name) = match self.scope.county(&m.area) {
            Some(c) => (format!("{base}county/{}/", c.code), c.name.clone()),
            None if m.area == NATIONAL_AREA => (format!("{base}timeline/"), String::new()),
            None => (format!("{base}timeline/{}0000/", &m.area[..2]), String::new()),
        };
        let label = self.t(&format!("event.{}", m.event.id()));
        Entry {
            id: format!("{link}#{}-{}", m.event.id(), m.date),
            title: if area_name.is_empty() {
                format!("{label}: {}", m.title)
            } else {
                format!("{area_name} · {label}: {}", m.title)
            },
            date: m.date.rfc3339(),
            link,
            summary: m.title.clone(),
        }
    }

    fn write(&self, title: &str, page: &str, mut entries: Vec<Entry>) -> String {
        let dl = self.scope.config().default_language();
        entries.sort_by(|a, b| b.date.cmp(&a.date).then(a.id.cmp(&b.id)));
        entries.truncate(FEED_LENGTH);
        let updated = entries.first().map_or("1970-01-01T00:00:00Z".to_string(), |e| e.date.clone());
        let home = format!("{}{page}", self.base);
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        let _ = writeln!(out, "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">", esc(self.lang));
        let _ = writeln!(out, "  <title>{}</title>", esc(title));
        let _ = writeln!(out, "  <id>{}</id>", esc(&home));
        let _ = writeln!(out, "  <link href=\"{}\"/>", esc(&home));
        let _ = writeln!(out, "  <link rel=\"self\" href=\"{}atom.xml\"/>", esc(&home));
        let _ = writeln!(out, "  <updated>{updated}</updated>");
        let _ =
            writeln!(out, "  <author><name>{}</name></author>", esc(self.scope.config().publisher.get(self.lang, dl)));
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
}

/// The Atom feed of one language: content pages and dated milestones, newest first.
pub fn atom(scope: &Scope, lang: &str, strings: &Strings) -> String {
    let f = FeedCtx::new(scope, lang, strings);
    let entries = f.newest_entries(scope.all_pages(), scope.milestones());
    f.write(scope.config().title.get(lang, scope.config().default_language()), "", entries)
}

/// One county's feed ("subscribe to my county"): its milestones, its narrative, and each school
/// year of data, dated by the newest source the figures cite.
pub fn county_atom(scope: &Scope, code: &str, name: &str, lang: &str, strings: &Strings) -> String {
    let f = FeedCtx::new(scope, lang, strings);
    // Its narratives only: scanning every page for each county would be quadratic.
    let mut entries = f.newest_entries(scope.pages_of("counties", code), scope.milestones_of(code));
    let mut years: Vec<_> = scope.sheets_of(code).iter().map(|s| s.school_year).collect();
    years.dedup();
    for year in years {
        let dated = scope
            .sheets_of(code)
            .iter()
            .filter(|s| s.school_year == year)
            .flat_map(|s| {
                s.rows
                    .iter()
                    .filter_map(|r| r.source.as_deref())
                    .chain(s.composite.iter().filter_map(|c| c.source.as_deref()))
            })
            .filter_map(|id| scope.source(id).and_then(|s| s.date))
            .max();
        if let Some(date) = dated {
            let link = format!("{}county/{code}/#y-{year}", f.base);
            entries.push(Entry {
                id: link.clone(),
                title: format!("{name} · {}", f.t("feed.data_entry").replace("{y}", &year.to_string())),
                date: date.rfc3339(),
                link,
                summary: f.t("feed.data_summary").replace("{y}", &year.to_string()),
            });
        }
    }
    // Each release that revised its figures.
    let releases = scope.releases();
    let changes = scope.revisions_of(code);
    for (i, r) in releases.iter().enumerate() {
        let (Some(time), n) = (r.time.as_ref(), changes.iter().filter(|c| c.release == i).count()) else { continue };
        if n == 0 {
            continue;
        }
        let link = format!("{}county/{code}/#revisions-h", f.base);
        let summary = f.t("feed.revision_summary").replace("{n}", &n.to_string());
        entries.push(Entry {
            id: format!("{}county/{code}/#revisions-{}", f.base, r.slug),
            title: format!("{name} · {}", f.t("feed.revision_entry").replace("{name}", &r.name)),
            date: time.clone(),
            link,
            summary: if r.summary().is_empty() { summary } else { format!("{summary} {}", r.summary()) },
        });
    }
    f.write(&format!("{name} · {}", f.t("feed.county_title")), &format!("county/{code}/"), entries)
}
