//! The pages, one job each: a page kind is a struct of what it shows beyond its scope, with
//! the function that builds its context ([`Kind::context`]); [`plan`] lists every page of one
//! language with its path, template, title and scope.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use serde_json::{Value, json};

use super::context::{self, Context};
use super::downloads::{self, Downloads};
use super::scope::{Read, Reading, Reads, Scope};
use super::views::{self, Citations};
use super::{Styled, charts, lang_prefix, markdown};
use crate::diag::Diagnostic;
use crate::engine::Analysed;
use crate::job::Job;
use crate::model::{Event, Level, NATIONAL_AREA, Page, Scheme};
use crate::output::{OutputFile, Sink};

mod indicators;
mod schools;

pub(crate) use schools::parts as school_parts;

use indicators::indicators;
pub use indicators::{Ranking, Rankings, rankings_job};

/// How many county events the national timeline lists (the most recent ones).
const RECENT_COUNTY_EVENTS: usize = 60;

/// A page's job: its files go to the sink; a template's failure is its diagnostic.
pub type PageJob<'a> = Job<'a, Result<(), Diagnostic>>;

/// What every page of one language shares: the theme's templates and strings, the language,
/// and the site's information and navigation in it.
pub struct Frame<'a> {
    pub(super) styled: &'a Styled,
    pub(super) lang: &'a str,
    pub(super) prefix: String,
    default_lang: &'a str,
    base_url: &'a str,
    languages: &'a [String],
    info: Value,
    nav: Value,
    hash: u64,
}

impl<'a> Frame<'a> {
    /// The frame of `lang`'s pages.
    pub fn new(site: &'a Analysed, styled: &'a Styled, lang: &'a str) -> Self {
        let c = &site.config;
        let default_lang = c.default_language();
        let (info, nav) = (site_info(site, lang), nav(site, lang));
        let mut h = std::hash::DefaultHasher::new();
        (styled.fingerprint, lang, default_lang, &c.base_url, &c.languages).hash(&mut h);
        crate::util::hash::add(&mut h, &(&info, &nav));
        let prefix = lang_prefix(lang, default_lang);
        Frame {
            styled,
            lang,
            prefix,
            default_lang,
            base_url: &c.base_url,
            languages: &c.languages,
            info,
            nav,
            hash: h.finish(),
        }
    }

    fn tr(&self) -> charts::Tr<'_> {
        charts::Tr::new(&self.styled.strings, self.lang)
    }
}

impl Hash for Frame<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.hash.hash(h);
    }
}

impl std::fmt::Debug for Frame<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "frame of {} #{:016x}", self.lang, self.hash)
    }
}

/// A kind of page: what it shows beyond its scope, and how its context is built from both.
trait Kind: Hash + std::fmt::Debug + Send + Sync {
    fn context(&self, scope: &Scope, f: &Frame) -> Context;
}

/// One page: where, with which template and title, what it reads ([`Scope`]) and its kind.
#[derive(Hash, Debug)]
struct Planned<'a, 'r, 's, K> {
    frame: &'a Frame<'a>,
    /// Directory-style URL path relative to the language root (`county/450802/`), or a file
    /// name (`404.html`).
    path: String,
    template: &'static str,
    title: String,
    scope: Scope<'r, 's>,
    kind: K,
}

/// Renders one page into `sink`.
fn page<K: Kind>(p: &Planned<K>, sink: &dyn Sink) -> Result<(), Diagnostic> {
    let f = p.frame;
    let prefix = &f.prefix;
    // The 404 page is served for missing URLs at any depth: its links start at the published
    // base path instead of being relative.
    let root = if p.path == "404.html" {
        super::base_path(f.base_url)
    } else {
        "../".repeat(prefix.matches('/').count() + p.path.matches('/').count())
    };
    let out_path =
        if p.path.ends_with(".html") { format!("{prefix}{}", p.path) } else { format!("{prefix}{}index.html", p.path) };
    let alternates: Vec<Value> = f
        .languages
        .iter()
        .map(|l| {
            let other = lang_prefix(l, f.default_lang);
            json!({ "lang": l, "href": format!("{root}{other}{}", p.path), "abs": format!("{}{other}{}", f.base_url, p.path) })
        })
        .collect();
    let mut ctx = p.kind.context(&p.scope, f);
    // A page that shows illustrative figures says so at its top: one that cites an
    // illustrative source, or whose own context says it shows some (a summary of counties).
    let cites_illustrative = ctx.json["sources"]
        .as_array()
        .is_some_and(|s| s.iter().any(|s| s["source"]["illustrative"] == Value::Bool(true)));
    let illustrative = cites_illustrative || ctx.json["illustrative"] == Value::Bool(true);
    let extra = json!({
        "illustrative": illustrative,
        "lang": f.lang, "lang_prefix": prefix, "root": root,
        "page_path": p.path, "page_title": p.title,
        "canonical": format!("{}{prefix}{}", f.base_url, p.path),
        "alternates": alternates, "css_version": f.styled.css_version,
        "site": f.info, "nav": f.nav,
    });
    super::merge(&mut ctx.json, extra);
    let styled = f.styled;
    let html = styled
        .env
        .get_template(p.template)
        .and_then(|t| super::templates::render_page(&t, context::to_template(ctx)))
        .map_err(|e| {
            let mut d = super::templates::template_diag(&styled.files, &styled.templates, &e, p.template);
            d.message = format!("{} (while rendering `{out_path}`)", d.message);
            d
        })?;
    sink.put(OutputFile::new(out_path, html));
    Ok(())
}

/// What the plan of one language reads.
struct Plan<'a> {
    reading: &'a Reading<'a>,
    frame: &'a Frame<'a>,
    downloads: &'a Downloads,
    rankings: &'a Rankings,
    out: Vec<PageJob<'a>>,
}

impl<'a> Plan<'a> {
    fn push<K: Kind + 'a>(
        &mut self,
        path: String,
        template: &'static str,
        title: String,
        scope: Scope<'a, 'a>,
        kind: K,
    ) {
        let planned = Planned { frame: self.frame, path, template, title, scope, kind };
        let slot = format!("{}{}", self.frame.prefix, planned.path);
        self.out.push(Job::new(slot, planned, page::<K>));
    }

    fn site(&self) -> &'a Analysed {
        self.reading.site()
    }
}

/// Every page of `frame`'s language, as jobs.
pub fn plan<'a>(
    reading: &'a Reading<'a>,
    frame: &'a Frame<'a>,
    downloads: &'a Downloads,
    rankings: &'a Rankings,
) -> Vec<PageJob<'a>> {
    let mut p = Plan { reading, frame, downloads, rankings, out: Vec::new() };
    home(&mut p);
    counties(&mut p);
    schools::plan(&mut p);
    areas(&mut p);
    indicators(&mut p);
    national_timeline(&mut p);
    content(&mut p);
    changes(&mut p);
    misc(&mut p);
    p.out
}

fn site_info(site: &Analysed, lang: &str) -> Value {
    let c = &site.config;
    let dl = c.default_language();
    json!({
        "title": c.title.get(lang, dl),
        "description": c.description.as_ref().map(|d| d.get(lang, dl)),
        "publisher": c.publisher.get(lang, dl),
        "license": c.license, "license_url": c.license_url, "base_url": c.base_url,
        "history": !site.revisions.releases.is_empty(),
        "languages": c.languages, "default_language": dl,
        "formats": c.downloads.formats,
        "school_provinces": school_provinces(site),
        "finder_example": finder_example(site),
    })
}

/// What the finder's hint gives as examples, all the site's own: the first county whose name
/// has one reading in pinyin (覃塘区 is read Qintang or Tantang: the finder knows both, an
/// example shows one that is right), its name, pinyin, initials and code, else the first
/// county without pinyin; and the same of the first schools of the counties published school
/// by school.
fn finder_example(site: &Analysed) -> Value {
    let one_reading = |name: &str| {
        let (full, initials) = crate::render::search::pinyin_keys(name);
        (!full.is_empty() && !full.contains(' ')).then_some((full, initials))
    };
    let Some(first) = site.counties.first() else { return Value::Null };
    let (c, keys) = site.counties.iter().find_map(|c| Some((c, Some(one_reading(&c.name)?)))).unwrap_or((first, None));
    let schools = site.counties.iter().filter_map(|c| {
        let year = *site.audited_years(&c.code).last()?;
        Some(crate::model::year_rows(site.schools_of(&c.code), year))
    });
    let names: Vec<&str> = schools.flat_map(|rows| rows.iter().map(|r| &*r.school_name)).take(200).collect();
    let school = names.iter().find_map(|n| Some((*n, Some(one_reading(n)?.1)))).or(names.first().map(|n| (*n, None)));
    let (pinyin, initials) = keys.unzip();
    json!({
        "county": c.name, "county_en": c.name_en, "pinyin": pinyin, "initials": initials, "code": c.code,
        "school": school.as_ref().map(|s| s.0), "school_initials": school.and_then(|s| s.1),
    })
}

/// The provinces whose schools the finder can look for (`search/<code>.json`): those with a
/// county published school by school.
fn school_provinces(site: &Analysed) -> Value {
    // One pass over the engine's results, a county at a time (every page's frame is made at
    // each preview rebuild).
    let mut with_schools: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for county in site.computed.chunk_by(|a, b| a.county == b.county).filter(|c| c.iter().any(|k| k.audited)) {
        if let Ok(i) = site.counties.binary_search_by(|c| c.code.as_str().cmp(&county[0].county)) {
            with_schools.insert(&site.counties[i].province_code);
        }
    }
    site.provinces
        .iter()
        .filter(|p| with_schools.contains(p.code.as_str()))
        .map(|p| json!({ "code": p.code, "name": p.name, "name_en": p.name_en }))
        .collect()
}

/// Sections with their titles, for the navigation (excluding the county narratives).
fn sections<'p>(pages: impl Iterator<Item = &'p Page>, lang: &str) -> Vec<(String, String, i64)> {
    let mut out: BTreeMap<String, (String, i64)> = BTreeMap::new();
    for p in pages.filter(|p| !p.section.is_empty() && p.section != "counties") {
        let entry = out.entry(p.section.clone()).or_insert_with(|| (p.section.clone(), i64::MAX));
        if p.slug == "_index" && (p.lang == lang || entry.1 == i64::MAX) {
            *entry = (p.title.clone(), p.weight.unwrap_or(0));
        }
    }
    let mut v: Vec<_> = out.into_iter().map(|(k, (t, w))| (k, t, w)).collect();
    v.sort_by(|a, b| (a.2, &a.0).cmp(&(b.2, &b.0)));
    v
}

fn nav(site: &Analysed, lang: &str) -> Value {
    Value::Array(
        sections(site.pages.iter(), lang)
            .into_iter()
            .map(|(s, t, _)| json!({ "path": format!("{s}/"), "title": t }))
            .collect(),
    )
}

/// The version of a page in `lang`, else in the default language, else any.
fn pick<'p>(scope: &Scope<'_, 'p>, section: &str, slug: &str, lang: &str) -> Option<&'p Page> {
    let dl = scope.config().default_language();
    let candidates = scope.pages_of(section, slug);
    candidates
        .iter()
        .find(|p| p.lang == lang)
        .or_else(|| candidates.iter().find(|p| p.lang == dl))
        .or_else(|| candidates.first())
}

/// A page ready to show; its Markdown headings start at `<h{top}>`.
fn page_view(p: &Page, lang: &str, top: u8, raw_html: crate::config::RawHtml, cites: &mut Citations) -> Value {
    for s in &p.sources {
        cites.number(&Some(s.clone()));
    }
    json!({
        "title": p.title, "date": p.date.map(|d| d.to_string()), "summary": p.summary,
        "lang": p.lang, "other_language": p.lang != lang,
        "html": markdown::to_html(&p.body, top, raw_html),
        "section": p.section, "slug": p.slug,
        "sources": p.sources,
    })
}

/// The newest date among the sources a page cites (the "data date" of a citation).
fn cited_date(scope: &Scope, cites: &Citations) -> Option<String> {
    cites.ids().iter().filter_map(|id| scope.source(id).and_then(|s| s.date)).max().map(|d| d.to_string())
}

/// The name of a county in `lang`.
/// A province's or prefecture's name in `lang`: the English name where it has one.
fn area_name(name: &str, name_en: &Option<String>, lang: &str) -> String {
    match name_en {
        Some(en) if lang == "en" => en.clone(),
        _ => name.to_string(),
    }
}

fn county_name(c: &crate::model::County, lang: &str) -> String {
    if lang == "en" { c.name_en.clone().unwrap_or_else(|| c.name.clone()) } else { c.name.clone() }
}

/// The tables a roll-up row reads (a county's status and latest composites).
const ROLLUP: [Read; 2] = [Read::Results, Read::Milestones];

/// The home page: the county list with each county's roll-up row and the site's progress.
#[derive(Hash, Debug)]
struct Home;

/// A home page lists every county up to this many; a larger site lists its provinces instead
/// (each province's page lists its counties), so the page a phone lands on first stays light
/// (docs/limits.md).
pub(super) const HOME_COUNTIES: usize = 500;

impl Kind for Home {
    fn context(&self, scope: &Scope, f: &Frame) -> Context {
        let lang = f.lang;
        let rows: Vec<&Value> = scope.counties().iter().map(|c| views::rollup(scope, &c.code)).collect();
        let basic_recognised = rows.iter().filter(|r| r["basic"]["step"] == json!(4)).count();
        let quality_recognised = rows.iter().filter(|r| r["quality"]["step"] == json!(4)).count();
        let mut cites = Citations::default();
        let intro = pick(scope, "", "_index", lang)
            .map(|p| page_view(p, lang, 2, scope.config().settings.raw_html, &mut cites));
        // Per province: its counties, and how many are recognised under each regime.
        let by_province: Vec<Value> = if rows.len() > HOME_COUNTIES {
            scope
                .provinces()
                .iter()
                .map(|p| {
                    let own: Vec<&&Value> = rows.iter().filter(|r| r["province"]["code"] == p.code.as_str()).collect();
                    let recognised = |scheme: &str| own.iter().filter(|r| r[scheme]["step"] == json!(4)).count();
                    json!({ "code": p.code, "name": p.name, "name_en": p.name_en, "counties": own.len(),
                            "basic": recognised("basic"), "quality": recognised("quality") })
                })
                .collect()
        } else {
            Vec::new()
        };
        let counties = if by_province.is_empty() { rows.clone() } else { Vec::new() };
        json!({
            "intro": intro, "counties": counties, "province_table": by_province,
            "progress": { "counties": rows.len(), "basic_recognised": basic_recognised, "quality_recognised": quality_recognised,
                          "provinces": scope.provinces().len(), "prefectures": scope.prefectures().len() },
            "provinces": scope.provinces().iter().map(|p| json!({"code": p.code, "name": p.name, "name_en": p.name_en, "counties": p.counties.len()})).collect::<Vec<_>>(),
            "latest_pages": latest_pages(scope, lang, 5), "sources": cites.list(scope),
            "illustrative": counties.iter().any(|r| r["illustrative"] == Value::Bool(true)),
        })
        .into()
    }
}

fn home(p: &mut Plan) {
    let title = p.site().config.title.get(p.frame.lang, p.site().config.default_language()).to_string();
    let scope = p.reading.everywhere(Reads::of(&ROLLUP));
    p.push(String::new(), "index.html", title, scope, Home);
}

/// A county's page.
#[derive(Hash, Debug)]
struct County<'a> {
    code: String,
    name: String,
    /// Its download files.
    downloads: [&'a [downloads::FileInfo]; 2],
}

impl Kind for County<'_> {
    fn context(&self, scope: &Scope, f: &Frame) -> Context {
        let (code, lang, strings) = (self.code.as_str(), f.lang, &f.styled.strings);
        let mut cites = Citations::default();
        let mut years = views::county_years(scope, code, &mut cites);
        mark_revised(&mut years, &views::revised_items(scope, code));
        let timeline = views::timeline(scope, &[code], &mut cites);
        let mut series = views::series(scope, code, lang, &mut cites);
        charts::attach(&mut series, "chart", lang, strings);
        let trends = charts::county_trends(scope.sheets_of(code), scope.rules(), f.tr());
        let milestones = charts::milestones(&timeline, "milestones", f.tr());
        let narrative = pick(scope, "counties", code, lang)
            .map(|p| page_view(p, lang, 3, scope.config().settings.raw_html, &mut cites));
        let downloads: Vec<Value> =
            self.downloads.iter().flat_map(|f| *f).map(|f| json!({ "path": f.path, "bytes": f.bytes })).collect();
        let sources = cites.list(scope);
        let data_date = json!(cited_date(scope, &cites));
        let json = context::object([
            ("county", views::rollup(scope, code).clone()),
            ("display_name", json!(self.name)),
            ("years", years),
            ("timeline", timeline),
            ("milestones_chart", milestones),
            ("series", series),
            ("narrative", json!(narrative)),
            ("sources", json!(sources)),
            ("downloads", Value::Array(downloads)),
            ("has_data", json!(scope.has_data(code))),
            ("rules_overridden", json!(!scope.rules().overridden.is_empty())),
            ("data_date", data_date),
            ("revisions", views::revisions(scope, code)),
            ("schools", schools::school_list(scope, code)),
        ]);
        Context { json, values: vec![("trends", trends)] }
    }
}

/// Marks each indicator, composite and quality verdict of a county's sheets (as
/// [`views::county_years`] shows them) that was revised in a release: `revised: true`.
fn mark_revised(
    years: &mut Value,
    revised: &std::collections::BTreeSet<(String, &'static str, &'static str, &'static str)>,
) {
    use crate::model::revisions::{ALL_INDICATORS, COMPOSITE};
    for y in years.as_array_mut().into_iter().flatten() {
        let year = y["school_year"].as_str().unwrap_or_default().to_string();
        for s in y.get_mut("sheets").and_then(Value::as_array_mut).into_iter().flatten() {
            let (level, scheme) = (s["level"].as_str().unwrap_or_default(), s["scheme"].as_str().unwrap_or_default());
            let is =
                |item: &str| revised.iter().any(|(y, l, s, i)| *y == year && *l == level && *s == scheme && *i == item);
            let (composite, all) = (is(COMPOSITE), is(ALL_INDICATORS));
            let rows: Vec<bool> = s["rows"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| is(r["indicator"].as_str().unwrap_or_default()))
                .collect();
            for (r, revised) in s["rows"].as_array_mut().into_iter().flatten().zip(rows) {
                r["revised"] = json!(revised);
            }
            s["composite_revised"] = json!(composite);
            s["all_revised"] = json!(all);
        }
    }
}

/// A county's audit trail of one school year.
#[derive(Hash, Debug)]
struct Computation {
    code: String,
    name: String,
    year: crate::model::SchoolYear,
}

impl Kind for Computation {
    fn context(&self, scope: &Scope, f: &Frame) -> Context {
        let mut context = views::computation(scope, &self.code, self.year, f.tr());
        // The sources of the school rows the page computes from, in order of first use.
        let mut cites = Citations::default();
        for r in scope.schools_of(&self.code).iter().filter(|r| r.school_year == self.year) {
            cites.number(&r.source.as_deref().map(str::to_string));
        }
        context.json["sources"] = cites.list(scope);
        context.json["county"] = views::rollup(scope, &self.code).clone();
        context.json["school_links"] = schools::school_links(scope, &self.code);
        context.json["display_name"] = json!(self.name);
        context
    }
}

/// Each county's page, and its audit trail per school year with school data.
fn counties(p: &mut Plan) {
    let (site, lang) = (p.site(), p.frame.lang);
    let county_tables =
        Reads::of(&[Read::Results, Read::Milestones, Read::Metrics, Read::Narratives, Read::Revisions, Read::Schools]);
    for (i, c) in site.counties.iter().enumerate() {
        if !p.reading.page_built(i) {
            continue;
        }
        let downloads = downloads::files_of(&p.downloads.files, &c.code);
        let kind = County { code: c.code.clone(), name: county_name(c, lang), downloads };
        let scope = p.reading.scope_of(&c.code, county_tables);
        p.push(format!("county/{}/", c.code), "county.html", kind.name.clone(), scope, kind);
    }
    let audit_tables = Reads::of(&[Read::Schools, Read::Results, Read::Milestones]);
    for c in site.counties.iter() {
        for &year in p.reading.audited_years(&c.code) {
            let name = county_name(c, lang);
            let scope = p.reading.scope_of(&c.code, audit_tables);
            let path = format!("county/{}/computation/{year}/", c.code);
            let kind = Computation { code: c.code.clone(), name: name.clone(), year };
            p.push(path, "computation.html", format!("{name} {year}"), scope, kind);
        }
    }
}

/// A prefecture's or a province's roll-up.
#[derive(Hash, Debug)]
struct Area {
    code: String,
    province: bool,
}

impl Kind for Area {
    fn context(&self, scope: &Scope, f: &Frame) -> Context {
        let (lang, strings) = (f.lang, &f.styled.strings);
        let mut cites = Citations::default();
        // A prefecture's timeline cites before its series (sources are numbered in order).
        let timeline = (!self.province).then(|| views::timeline(scope, &[&self.code], &mut cites));
        let mut series = views::series(scope, &self.code, lang, &mut cites);
        charts::attach(&mut series, "chart", lang, strings);
        if self.province {
            let p = province(scope, &self.code);
            let rows: Vec<&Value> = p.counties.iter().map(|c| views::rollup(scope, c)).collect();
            let children: Vec<Value> = p.prefectures.iter().map(|c| scope.area(c)).collect();
            json!({ "area": { "kind": "province", "code": p.code, "name": p.name, "name_en": p.name_en, "parent": null },
                    "illustrative": rows.iter().any(|r| r["illustrative"] == Value::Bool(true)),
                    "counties": rows, "children": children, "timeline": [], "series": series,
                    "recognitions": charts::recognitions(&recognised(scope, &p.counties), &area_name(&p.name, &p.name_en, f.lang), f.tr()),
                    "sources": cites.list(scope) })
            .into()
        } else {
            let p = scope.prefecture(&self.code).expect("pages are planned for known prefectures");
            let rows: Vec<&Value> = p.counties.iter().map(|c| views::rollup(scope, c)).collect();
            json!({ "area": { "kind": "prefecture", "code": p.code, "name": p.name, "name_en": p.name_en,
                              "parent": scope.area(&p.province_code) },
                    "illustrative": rows.iter().any(|r| r["illustrative"] == Value::Bool(true)),
                    "counties": rows, "children": [], "timeline": timeline, "series": series,
                    "recognitions": charts::recognitions(&recognised(scope, &p.counties), &area_name(&p.name, &p.name_en, f.lang), f.tr()),
                    "sources": cites.list(scope) })
            .into()
        }
    }
}

fn province<'s>(scope: &Scope<'_, 's>, code: &str) -> &'s crate::model::Province {
    let provinces = scope.provinces();
    let i = provinces.binary_search_by(|p| p.code.as_str().cmp(code)).expect("pages are planned for known provinces");
    &provinces[i]
}

/// A province's timeline: its own milestones and those of its prefectures and counties.
#[derive(Hash, Debug)]
struct ProvinceTimeline {
    code: String,
}

impl Kind for ProvinceTimeline {
    fn context(&self, scope: &Scope, f: &Frame) -> Context {
        let p = province(scope, &self.code);
        let mut cites = Citations::default();
        let mut areas: Vec<&str> = vec![p.code.as_str()];
        areas.extend(p.prefectures.iter().map(String::as_str));
        areas.extend(p.counties.iter().map(String::as_str));
        let timeline = views::timeline(scope, &areas, &mut cites);
        json!({ "scope": scope.area(&p.code), "timeline": timeline, "progress": [],
                "recognitions": charts::recognitions(&recognised(scope, &p.counties), &area_name(&p.name, &p.name_en, f.lang), f.tr()),
                "sources": cites.list(scope) })
        .into()
    }
}

/// Each prefecture's and province's roll-up, and each province's timeline.
fn areas(p: &mut Plan) {
    let site = p.site();
    let lang = p.frame.lang;
    let name = |zh: &String, en: &Option<String>| area_name(zh, en, lang);
    let area_tables = Reads::of(&[Read::Results, Read::Milestones, Read::Metrics]);
    for a in site.prefectures.iter() {
        let mut areas: Vec<&str> = a.counties.iter().map(String::as_str).collect();
        areas.push(&a.code);
        let scope = p.reading.scope(areas, area_tables);
        p.push(
            format!("prefecture/{}/", a.code),
            "area.html",
            name(&a.name, &a.name_en),
            scope,
            Area { code: a.code.clone(), province: false },
        );
    }
    for a in site.provinces.iter() {
        let mut areas: Vec<&str> = a.counties.iter().map(String::as_str).collect();
        areas.extend(a.prefectures.iter().map(String::as_str));
        areas.push(&a.code);
        let scope = p.reading.scope(areas.clone(), area_tables);
        p.push(
            format!("province/{}/", a.code),
            "area.html",
            name(&a.name, &a.name_en),
            scope,
            Area { code: a.code.clone(), province: true },
        );
        let scope = p.reading.scope(areas, Reads::of(&[Read::Milestones]));
        p.push(
            format!("timeline/{}/", a.code),
            "timeline.html",
            name(&a.name, &a.name_en),
            scope,
            ProvinceTimeline { code: a.code.clone() },
        );
    }
}

/// The national timeline.
#[derive(Hash, Debug)]
struct NationalTimeline;

impl Kind for NationalTimeline {
    fn context(&self, scope: &Scope, f: &Frame) -> Context {
        let mut cites = Citations::default();
        let all_areas: Vec<&str> =
            std::iter::once(NATIONAL_AREA).chain(scope.provinces().iter().map(|p| p.code.as_str())).collect();
        let timeline = views::timeline(scope, &all_areas, &mut cites);
        let mut progress = views::series(scope, NATIONAL_AREA, f.lang, &mut cites);
        charts::attach(&mut progress, "chart", f.lang, &f.styled.strings);
        // The most recent county events only: a national scope has thousands; provinces list all.
        let county_events = {
            let mut recent: Vec<&crate::model::Milestone> =
                scope.counties().iter().flat_map(|c| scope.milestones_of(&c.code)).collect();
            recent.sort_by(|a, b| (b.date, b.event, &b.area).cmp(&(a.date, a.event, &a.area)));
            recent.truncate(RECENT_COUNTY_EVENTS);
            views::timeline_of(scope, recent, &mut cites)
        };
        json!({ "scope": scope.area(NATIONAL_AREA), "timeline": timeline, "progress": progress,
                "county_events": county_events,
                "provinces": scope.provinces().iter().map(|p| scope.area(&p.code)).collect::<Vec<_>>(),
                "sources": cites.list(scope) })
        .into()
    }
}

fn national_timeline(p: &mut Plan) {
    let scope = p.reading.everywhere(Reads::of(&[Read::Milestones, Read::Metrics]));
    p.push("timeline/".into(), "timeline.html", String::new(), scope, NationalTimeline);
}

/// A content page.
#[derive(Hash, Debug)]
struct ContentPage {
    section: String,
    slug: String,
    section_title: String,
}

impl Kind for ContentPage {
    fn context(&self, scope: &Scope, f: &Frame) -> Context {
        let p = pick(scope, &self.section, &self.slug, f.lang).expect("pages are planned for pages that exist");
        let mut cites = Citations::default();
        let view = page_view(p, f.lang, 2, scope.config().settings.raw_html, &mut cites);
        json!({ "page": view, "section": { "path": format!("{}/", self.section), "title": self.section_title },
                "sources": cites.list(scope) })
        .into()
    }
}

/// A section's own page, with its pages listed.
#[derive(Hash, Debug)]
struct Section {
    section: String,
    title: String,
}

impl Kind for Section {
    fn context(&self, scope: &Scope, f: &Frame) -> Context {
        let (section, lang) = (self.section.as_str(), f.lang);
        let mut cites = Citations::default();
        let own = pick(scope, section, "_index", lang)
            .map(|p| page_view(p, lang, 2, scope.config().settings.raw_html, &mut cites));
        let mut items = Vec::new();
        for slug in slugs(scope.pages(), section) {
            let Some(p) = pick(scope, section, slug, lang) else { continue };
            items.push(json!({ "title": p.title, "date": p.date.map(|d| d.to_string()), "slug": slug,
                               "weight": p.weight, "summary": p.summary.clone().unwrap_or_else(|| markdown::first_paragraph(&p.body, 120)),
                               "lang": p.lang }));
        }
        items.sort_by(|a, b| {
            let key = |v: &Value| {
                (v["weight"].as_i64().unwrap_or(0), std::cmp::Reverse(v["date"].as_str().unwrap_or("").to_string()))
            };
            key(a).cmp(&key(b)).then(a["slug"].as_str().cmp(&b["slug"].as_str()))
        });
        json!({ "section": { "path": format!("{section}/"), "title": self.title, "name": section },
                "own": own, "items": items, "sources": cites.list(scope) })
        .into()
    }
}

/// The slugs of a section's pages (not its own), in order, once each.
fn slugs<'p>(pages: impl Iterator<Item = &'p Page>, section: &str) -> Vec<&'p str> {
    let mut slugs: Vec<&str> =
        pages.filter(|p| p.section == section && p.slug != "_index").map(|p| p.slug.as_str()).collect();
    slugs.dedup();
    slugs
}

/// The content sections and their pages.
fn content(p: &mut Plan) {
    let (site, lang) = (p.site(), p.frame.lang);
    for (section, title, _) in sections(site.pages.iter(), lang) {
        for slug in slugs(site.pages.iter(), &section) {
            let candidates = site.pages_of(&section, slug);
            let Some(page) = candidates
                .iter()
                .find(|p| p.lang == lang)
                .or_else(|| candidates.iter().find(|p| p.lang == site.config.default_language()))
                .or_else(|| candidates.first())
            else {
                continue;
            };
            let kind = ContentPage { section: section.clone(), slug: slug.to_string(), section_title: title.clone() };
            let scope = p.reading.site_wide();
            p.push(format!("{section}/{slug}/"), "page.html", page.title.clone(), scope, kind);
        }
        let scope = p.reading.site_wide();
        p.push(format!("{section}/"), "section.html", title.clone(), scope, Section { section, title });
    }
}

/// The downloads page: each table with its files.
#[derive(Hash, Debug)]
struct DownloadList<'a> {
    downloads: &'a Downloads,
}

impl Kind for DownloadList<'_> {
    fn context(&self, _: &Scope, _: &Frame) -> Context {
        let d = self.downloads;
        let sums = d.files.iter().any(|f| f.path == "data/SHA256SUMS");
        json!({ "tables": d.docs, "databases": d.databases, "schema_path": downloads::SCHEMA_PATH, "sums": sums })
            .into()
    }
}

/// The page for missing URLs.
#[derive(Hash, Debug)]
struct NotFound;

impl Kind for NotFound {
    fn context(&self, _: &Scope, _: &Frame) -> Context {
        json!({}).into()
    }
}

/// The downloads page and the 404 page.
/// Above this many changes, a release's page lists how many each area has, not each change.
const CHANGES_LISTED: usize = 500;

/// The revision history: each release with what it changed.
#[derive(Hash, Debug)]
struct ChangesIndex;

impl Kind for ChangesIndex {
    fn context(&self, scope: &Scope, _f: &Frame) -> Context {
        let releases = scope.releases();
        let mut counts = vec![(0usize, std::collections::BTreeSet::new()); releases.len()];
        for c in scope.revisions() {
            counts[c.release].0 += 1;
            counts[c.release].1.insert(c.key.area.as_str());
        }
        let rows: Vec<Value> = releases
            .iter()
            .zip(&counts)
            .enumerate()
            .rev()
            .map(|(i, (r, (n, areas)))| {
                json!({ "release": views::release_view(r), "count": n, "areas": areas.len(), "first": i == 0 })
            })
            .collect();
        json!({ "release": null, "releases": rows }).into()
    }
}

/// What one release changed, by province and area.
#[derive(Hash, Debug)]
struct ReleaseChanges {
    release: usize,
}

impl Kind for ReleaseChanges {
    fn context(&self, scope: &Scope, f: &Frame) -> Context {
        let changes: Vec<&crate::model::revisions::Change> =
            scope.revisions().iter().filter(|c| c.release == self.release).collect();
        let detailed = changes.len() <= CHANGES_LISTED;
        // Province → area → changes (the country's own milestones under `000000`).
        let mut grouped: BTreeMap<&str, BTreeMap<&str, Vec<&crate::model::revisions::Change>>> = BTreeMap::new();
        for c in &changes {
            let area = c.key.area.as_str();
            let province = if let Some(county) = scope.county(area) {
                county.province_code.as_str()
            } else if let Some(prefecture) = scope.prefecture(area) {
                prefecture.province_code.as_str()
            } else {
                area
            };
            grouped.entry(province).or_default().entry(area).or_default().push(c);
        }
        let name = |code: &str| -> (String, String, String) {
            let a = scope.area(code);
            let kind = a["kind"].as_str().unwrap_or_default().to_string();
            let name = match scope.county(code) {
                Some(c) => county_name(c, f.lang),
                None if code == NATIONAL_AREA => f.tr().t("revisions.national"),
                None => a[if f.lang == "en" && a["name_en"].is_string() { "name_en" } else { "name" }]
                    .as_str()
                    .unwrap_or(code)
                    .to_string(),
            };
            (name, a["path"].as_str().unwrap_or_default().to_string(), kind)
        };
        let provinces: Vec<Value> = grouped
            .into_iter()
            .map(|(code, areas)| {
                let (pname, ppath, _) = name(code);
                let count: usize = areas.values().map(Vec::len).sum();
                let areas: Vec<Value> = areas
                    .into_iter()
                    .map(|(code, changes)| {
                        let (name, path, kind) = name(code);
                        let list: Vec<Value> =
                            if detailed { changes.iter().map(|c| views::change_view(c)).collect() } else { Vec::new() };
                        json!({ "code": code, "name": name, "path": path, "kind": kind, "count": changes.len(), "changes": list })
                    })
                    .collect();
                json!({ "code": code, "name": pname, "path": if code == NATIONAL_AREA { String::new() } else { ppath }, "count": count, "areas": areas })
            })
            .collect();
        let areas: usize = provinces.iter().map(|p| p["areas"].as_array().map_or(0, Vec::len)).sum();
        json!({ "release": views::release_view(&scope.releases()[self.release]), "count": changes.len(),
                "areas": areas, "detailed": detailed, "provinces": provinces })
        .into()
    }
}

/// The revision history's pages: none without a history.
fn changes(p: &mut Plan) {
    let releases = &p.site().revisions.releases;
    if releases.is_empty() {
        return;
    }
    let tr = p.frame.tr();
    let scope = p.reading.everywhere(Reads::of(&[Read::Revisions]));
    p.push("changes/".into(), "changes.html", tr.t("revisions.history"), scope, ChangesIndex);
    let changed: std::collections::BTreeSet<usize> = p.site().revisions.changes.iter().map(|c| c.release).collect();
    for (i, r) in releases.iter().enumerate().filter(|(i, _)| changed.contains(i)) {
        let name = if r.commit.is_none() { tr.t("revisions.unreleased") } else { r.name.clone() };
        let title = tr.t("revisions.release_title").replace("{name}", &name);
        let scope = p.reading.everywhere(Reads::of(&[Read::Revisions]));
        p.push(format!("changes/{}/", r.slug), "changes.html", title, scope, ReleaseChanges { release: i });
    }
}

fn misc(p: &mut Plan) {
    let scope = p.reading.site_wide();
    let downloads = p.downloads;
    p.push("downloads/".into(), "downloads.html", String::new(), scope, DownloadList { downloads });
    let scope = p.reading.site_wide();
    p.push("404.html".into(), "404.html", String::new(), scope, NotFound);
}

/// Years in which the counties of an area were recognised, per regime.
fn recognised(scope: &Scope, counties: &[String]) -> Vec<(i32, &'static str)> {
    counties
        .iter()
        .flat_map(|c| scope.milestones_of(c))
        .filter_map(|m| match m.event {
            Event::NationalRecognition => Some((m.date.year, "basic")),
            Event::QualityRecognition => Some((m.date.year, "quality")),
            _ => None,
        })
        .collect()
}

fn latest_pages(scope: &Scope, lang: &str, n: usize) -> Vec<Value> {
    let mut seen = std::collections::BTreeSet::new();
    let mut pages: Vec<&Page> = Vec::new();
    for p in scope.pages().filter(|p| !p.section.is_empty() && p.slug != "_index" && p.date.is_some()) {
        if seen.insert((&p.section, &p.slug))
            && let Some(chosen) = pick(scope, &p.section, &p.slug, lang)
        {
            pages.push(chosen);
        }
    }
    pages.sort_by(|a, b| b.date.cmp(&a.date).then(a.slug.cmp(&b.slug)));
    pages
        .into_iter()
        .take(n)
        .map(|p| json!({ "title": p.title, "date": p.date.map(|d| d.to_string()), "path": format!("{}/{}/", p.section, p.slug), "lang": p.lang }))
        .collect()
}
