//! Stage 3, pure: [`Analysed`] + [`Theme`] → every output file, in memory.
//!
//! Pages are planned first (path, template, context), then rendered; each plan entry is
//! independent, so rendering can run per county and in parallel.

pub mod charts;
mod context;
pub mod css;
mod deps;
pub mod downloads;
pub mod feeds;
pub mod markdown;
pub mod search;
pub mod templates;
pub mod views;

pub use crate::output::{Collect, Discard, OutputFile, Produced, Sink, Streamed};
use crate::output::{Counting, Tee};

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::{Value, json};

use crate::diag::{Diagnostic, Diagnostics};
use crate::engine::Analysed;
use crate::load::theme::Theme;
use crate::model::{Event, Level, NATIONAL_AREA, Page, Scheme};
use views::{Citations, Views};

/// How many county events the national timeline lists (the most recent ones).
const RECENT_COUNTY_EVENTS: usize = 60;

/// One page to render.
struct Planned<'a> {
    /// Directory-style URL path relative to the language root (`county/450802/`), or a file
    /// name (`404.html`).
    path: String,
    template: &'static str,
    title: String,
    context: Ctx<'a>,
    /// The hash of what the context is made from ([`deps::Deps`]), when the preview's cache
    /// is kept and the page kind declares it: a page whose inputs hash as before is reused
    /// without building its context.
    deps: Option<u64>,
}

/// A page's context, built when the page is rendered.
type Ctx<'a> = Box<dyn FnOnce() -> context::Context + Send + 'a>;

/// A context already built (small pages).
fn ready<'a>(v: Value) -> Ctx<'a> {
    Box::new(move || v.into())
}

/// The URL prefix of a language: `""` for the default, `en/` for English.
pub fn lang_prefix(lang: &str, default: &str) -> String {
    if lang == default { String::new() } else { format!("{}/", lang.to_lowercase()) }
}

/// Pages of an earlier render, reused when a page's inputs (the theme, its template and its
/// whole context) are unchanged: the preview server re-renders only the pages an edit touches,
/// without a dependency graph that could go stale. A cache made with `default()` keeps
/// nothing (a one-off build has no earlier render to reuse and skips the fingerprints).
#[derive(Debug, Default)]
pub struct PageCache {
    keep: bool,
    pages: rustc_hash::FxHashMap<String, (u64, bytes::Bytes)>,
    /// The hashes [`deps::Deps`] is made from, kept while what they hash is the same.
    hashes: deps::Kept,
    /// The download files by part, with the hashes of their inputs.
    downloads: downloads::DownloadMemo,
    /// All the download files and what pages need of them, with the hash of their inputs.
    whole_downloads: Option<(u64, Vec<OutputFile>, downloads::Downloads)>,
    /// Each county's download files hashed, with the hash of the downloads' inputs.
    files_keys: Option<(u64, Arc<Vec<u64>>)>,
    /// Pages rendered by the last call.
    pub rendered: usize,
    /// Pages reused by the last call.
    pub reused: usize,
}

impl PageCache {
    /// A cache that keeps every page for the next render.
    pub fn keeping() -> Self {
        PageCache { keep: true, ..PageCache::default() }
    }

    /// Whether what a render makes is kept for the next.
    pub fn keeps(&self) -> bool {
        self.keep
    }

    /// The number of pages and feeds kept (those the last render made).
    pub fn len(&self) -> usize {
        self.pages.len()
    }

    /// Whether no page is kept.
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }
}

/// Renders the whole site. Returns the files sorted by path, or every diagnostic.
pub fn render(site: &Analysed, theme: &Theme) -> Result<Vec<OutputFile>, Diagnostics> {
    render_cached(site, theme, &*style_for(site, theme)?, &mut PageCache::default())
}

/// Renders the whole site into `sink` as files are made (a build streams them to the output's
/// staging folder; `check` keeps none). On error the sink may have received part of the site:
/// the caller discards it.
pub fn render_into(site: &Analysed, theme: &Theme, sink: &dyn Sink) -> Result<Produced, Diagnostics> {
    render_to(site, theme, &*style_for(site, theme)?, &mut PageCache::default(), sink)
}

/// [`render`], reusing the pages of `cache` whose inputs did not change, and updating it.
pub fn render_cached(
    site: &Analysed,
    theme: &Theme,
    styled: &Styled,
    cache: &mut PageCache,
) -> Result<Vec<OutputFile>, Diagnostics> {
    let sink = Collect::default();
    render_to(site, theme, styled, cache, &sink)?;
    Ok(sink.into_files())
}

/// Fingerprint of what every page depends on besides its context: templates and UI strings.
fn theme_fingerprint(theme: &Theme, default_lang: &str) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    theme.templates.hash(&mut h);
    theme.strings.hash(&mut h);
    default_lang.hash(&mut h);
    h.finish()
}

/// What a theme makes before any page: its templates compiled with their UI strings, and its
/// stylesheets processed (by file name), with the version the pages link them with.
pub struct Styled {
    env: minijinja::Environment<'static>,
    strings: templates::Strings,
    css: Vec<(String, bytes::Bytes)>,
    css_version: String,
    /// The stylesheets' problems (a stylesheet with a problem is left out): reported by every
    /// render with this theme.
    problems: Vec<Diagnostic>,
}

/// Equal when everything but the compiled templates is (they are compiled from the theme's
/// sources, which the stylesheets' version does not cover): what verify mode can compare.
impl PartialEq for Styled {
    fn eq(&self, other: &Self) -> bool {
        (&self.strings, &self.css, &self.css_version, &self.problems)
            == (&other.strings, &other.css, &other.css_version, &other.problems)
    }
}

impl std::fmt::Debug for Styled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Styled").field("css_version", &self.css_version).finish_non_exhaustive()
    }
}

/// Compiles `theme`'s templates with their UI strings (checking the strings text built in Rust
/// needs) and processes its stylesheets for `browsers`; `default_lang` is the site's first
/// language. Template and UI-string problems are errors; a stylesheet's problem is kept in
/// the result and reported by the render.
pub fn style(
    theme: &Theme,
    languages: &[String],
    default_lang: &str,
    browsers: &str,
) -> Result<Arc<Styled>, Diagnostics> {
    let mut diags = Diagnostics::new();
    // Strings used by text built in Rust (chart summaries), checked once here.
    for lang in languages {
        for key in charts::KEYS.iter().filter(|k| !theme.strings.get(lang).is_some_and(|m| m.contains_key(**k))) {
            diags.push(
                Diagnostic::error(
                    format!("{}/i18n/{lang}.toml", theme.dir),
                    format!("missing UI string `{key}` (used by the chart summaries)"),
                )
                .field(*key),
            );
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let strings: templates::Strings = Arc::new(theme.strings.clone());
    let env = match templates::environment(theme, strings.clone(), default_lang.to_string()) {
        Ok(env) => env,
        Err(ds) => {
            ds.into_iter().for_each(|d| diags.push(d));
            return Err(diags);
        }
    };
    let (mut css, mut problems, mut css_hash) = (Vec::new(), Vec::new(), String::new());
    for (name, source) in &theme.css {
        match css::process(&format!("{}/css/{name}", theme.dir), source, browsers) {
            Ok(code) => {
                css_hash.push_str(&downloads::sha256_hex(code.as_bytes())[..12]);
                css.push((name.clone(), bytes::Bytes::from(code)));
            }
            Err(d) => problems.push(d),
        }
    }
    let css_version = downloads::sha256_hex(css_hash.as_bytes())[..10].to_string();
    Ok(Arc::new(Styled { env, strings, css, css_version, problems }))
}

/// [`style`] for `site`'s configuration.
pub fn style_for(site: &Analysed, theme: &Theme) -> Result<Arc<Styled>, Diagnostics> {
    let c = &site.config;
    style(theme, &c.languages, c.default_language(), &c.settings.browsers)
}

/// Renders the whole site into `sink`, reusing the pages of `cache` whose inputs did not
/// change. On error the sink may have received part of the site: the caller discards it.
pub fn render_to(
    site: &Analysed,
    theme: &Theme,
    styled: &Styled,
    cache: &mut PageCache,
    sink: &dyn Sink,
) -> Result<Produced, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut timer = crate::util::timing::Timer::start();
    let dl = site.config.default_language().to_string();
    let fingerprint = theme_fingerprint(theme, &dl);
    // A stylesheet's problem is reported with whatever else the pages find.
    styled.problems.iter().for_each(|d| diags.push(d.clone()));
    let Styled { env, strings, css, css_version, .. } = styled;
    let sink = Counting { inner: sink, paths: Default::default(), bytes: Default::default() };
    // Stylesheets and static files first: pages link the stylesheet with its hash.
    for (name, code) in css {
        sink.put(OutputFile::new(format!("assets/{name}"), code.clone()));
    }
    for (name, bytes) in &theme.static_files {
        sink.put(OutputFile::new(format!("assets/{name}"), bytes.clone()));
    }
    timer.done("templates and styles");
    let keep = cache.keep;
    let deps = keep.then(|| {
        let (deps, kept) = deps::Deps::of(site, fingerprint, css_version, std::mem::take(&mut cache.hashes));
        cache.hashes = kept;
        deps
    });
    timer.done("dependencies");
    let views = Views::new(site);
    timer.done("views");
    let kept = cache.whole_downloads.take().filter(|(k, _, _)| deps.as_ref().is_some_and(|d| d.downloads == *k));
    let download_files = match (kept, &deps) {
        // Nothing the downloads read changed: hand them all on.
        (Some((key, files, downloads)), _) => {
            files.iter().for_each(|f| sink.put(f.clone()));
            cache.whole_downloads = Some((key, files, downloads.clone()));
            downloads
        }
        // Some part did: make the parts that changed.
        (None, Some(deps)) => {
            let key = |part: &str| deps.download_key(part);
            let recorded = Collect::default();
            let downloads = downloads::downloads_with(site, &Tee(&sink, &recorded), Some((&mut cache.downloads, &key)));
            cache.whole_downloads = Some((deps.downloads, recorded.into_files(), downloads.clone()));
            downloads
        }
        (None, None) => downloads::downloads(site, &sink),
    };
    // Each county's download files, hashed for its page's key (when pages are kept; as before
    // when the downloads' inputs are).
    let files_keys: Arc<Vec<u64>> = match (cache.files_keys.take(), &deps) {
        (Some((key, kept)), Some(d)) if key == d.downloads => kept,
        (_, None) => Arc::default(),
        (_, Some(_)) => Arc::new(
            site.counties
                .par_iter()
                .map(|c| {
                    key_of(
                        downloads::files_of(&download_files.files, &c.code)
                            .map(|f| (&f.path, f.bytes))
                            .collect::<Vec<_>>(),
                    )
                })
                .collect(),
        ),
    };
    cache.files_keys = deps.as_ref().map(|d| (d.downloads, files_keys.clone()));
    timer.done("downloads");
    // The pages kept from the last render are read while rendering; only pages that are new
    // or changed are collected, and put in afterwards (a rebuild changes few).
    let mut old_pages = std::mem::take(&mut cache.pages);
    let changed_pages: std::sync::Mutex<Vec<(String, (u64, bytes::Bytes))>> = Default::default();
    let kept_pages = std::sync::atomic::AtomicUsize::new(0);
    let (rendered, reused) = (std::sync::atomic::AtomicUsize::new(0), std::sync::atomic::AtomicUsize::new(0));
    // The paths of the default language's pages (not the 404 page), for the sitemap.
    let mut sitemap_paths: Vec<String> = Vec::new();
    let site_infos: HashMap<&str, (Value, Value)> =
        site.config.languages.iter().map(|l| (l.as_str(), (site_info(site, l), nav(site, l)))).collect();
    // A page or feed goes to the sink, and is kept for the next rebuild when it has a key
    // (`unchanged`: it is the one kept from the last render, under its path and key).
    let hand_on = |path: String, key: Option<u64>, bytes: bytes::Bytes, unchanged: bool| {
        if let Some(key) = key {
            kept_pages.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if !unchanged {
                changed_pages
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push((path.clone(), (key, bytes.clone())));
            }
        }
        sink.put(OutputFile::new(path, bytes));
    };
    // A feed, the sitemap or the search index: the one kept when its key is as before, or made.
    let kept_or_made = |path: String, key: Option<u64>, make: &dyn Fn() -> bytes::Bytes| {
        let (bytes, unchanged) = match old_pages.get(&path).filter(|(k, _)| Some(*k) == key) {
            Some((_, bytes)) => (bytes.clone(), true),
            None => (make(), false),
        };
        hand_on(path, key, bytes, unchanged);
    };
    let template_times = crate::util::timing::printing().then(crate::util::timing::TemplateTimes::default);
    for lang in &site.config.languages {
        let prefix = lang_prefix(lang, &dl);
        let planned_pages = plan(site, &views, lang, &download_files, strings, deps.as_ref(), &files_keys);
        if lang == &dl {
            sitemap_paths.extend(planned_pages.iter().filter(|p| !p.path.ends_with(".html")).map(|p| p.path.clone()));
        }
        let (info, navigation) = &site_infos[lang.as_str()];
        // Contexts are built, rendered and handed to the sink page by page, in parallel: a
        // page's context lives only while it renders.
        let errors: Vec<Diagnostic> = planned_pages
            .into_par_iter()
            .filter_map(|planned| {
                // The 404 page is served for missing URLs at any depth: its links start at the
                // published base path instead of being relative.
                let root_of = || {
                    let depth = prefix.matches('/').count() + planned.path.matches('/').count();
                    if planned.path == "404.html" { base_path(&site.config.base_url) } else { "../".repeat(depth) }
                };
                let out_path = if planned.path.ends_with(".html") {
                    format!("{prefix}{}", planned.path)
                } else {
                    format!("{prefix}{}index.html", planned.path)
                };
                let hash_key = |h: &mut std::hash::DefaultHasher| {
                    fingerprint.hash(h);
                    planned.template.hash(h);
                    lang.hash(h);
                };
                let declared = planned.deps.map(|d| {
                    let mut h = std::hash::DefaultHasher::new();
                    hash_key(&mut h);
                    d.hash(&mut h);
                    h.finish()
                });
                let known = declared.and_then(|k| old_pages.get(&out_path).filter(|(old, _)| *old == k));
                let (key, bytes, unchanged) = match known {
                    Some((key, bytes)) => {
                        reused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        (Some(*key), bytes.clone(), true)
                    }
                    None => {
                        let root = root_of();
                        let alternates: Vec<Value> = site
                            .config
                            .languages
                            .iter()
                            .map(|l| {
                                json!({ "lang": l, "href": format!("{root}{}{}", lang_prefix(l, &dl), planned.path),
                                              "abs": format!("{}{}{}", site.config.base_url, lang_prefix(l, &dl), planned.path) })
                            })
                            .collect();
                        let started = template_times.as_ref().map(|_| std::time::Instant::now());
                        let mut ctx = (planned.context)();
                        let extra = json!({
                            "lang": lang, "lang_prefix": prefix, "root": root,
                            "page_path": planned.path, "page_title": planned.title,
                            "canonical": format!("{}{prefix}{}", site.config.base_url, planned.path),
                            "alternates": alternates, "css_version": css_version,
                            "site": info, "nav": navigation,
                        });
                        merge(&mut ctx.json, extra);
                        let key = declared.or_else(|| {
                            keep.then(|| {
                                let mut h = std::hash::DefaultHasher::new();
                                hash_key(&mut h);
                                serde_json::to_vec(&ctx).unwrap_or_default().hash(&mut h);
                                h.finish()
                            })
                        });
                        match old_pages.get(&out_path).filter(|(k, _)| declared.is_none() && Some(*k) == key) {
                            Some((_, bytes)) => {
                                reused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                (key, bytes.clone(), true)
                            }
                            None => {
                                let built = started.map(|_| std::time::Instant::now());
                                let result = env
                                    .get_template(planned.template)
                                    .and_then(|t| t.render(context::to_template(ctx)))
                                    .map_err(|e| {
                                        let mut d = templates::template_diag(&theme.dir, &theme.templates, &e);
                                        d.message = format!("{} (while rendering `{out_path}`)", d.message);
                                        d
                                    });
                                if let (Some(times), Some(started), Some(built)) = (&template_times, started, built) {
                                    times.add(planned.template, built - started, built.elapsed());
                                }
                                match result {
                                    Ok(s) => {
                                        rendered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                        (key, bytes::Bytes::from(s), false)
                                    }
                                    Err(d) => return Some(d),
                                }
                            }
                        }
                    }
                };
                hand_on(out_path, key, bytes, unchanged);
                None
            })
            .collect();
        errors.into_iter().for_each(|d| diags.push(d));
        timer.done("pages");
        if let Some(times) = &template_times {
            times.print(&format!("pages ({lang}) of"));
        }
        // Feeds, reused like pages when their inputs hash as before.
        let feed = |path: String, deps: Option<u64>, make: &dyn Fn() -> String| {
            kept_or_made(path, deps.map(|d| key_of((fingerprint, "feed", lang, d))), &|| make().into());
        };
        feed(format!("{prefix}atom.xml"), deps.as_ref().map(|d| d.everything), &|| feeds::atom(site, lang, strings));
        site.counties.par_iter().enumerate().filter(|(i, _)| views.page_built(*i)).for_each(|(_, c)| {
            let name = if lang == "en" { c.name_en.as_deref().unwrap_or(&c.name) } else { &c.name };
            feed(format!("{prefix}county/{}/atom.xml", c.code), deps.as_ref().map(|d| d.county(&c.code, ())), &|| {
                feeds::county_atom(site, &c.code, name, lang, strings)
            });
        });
        timer.done("feeds");
    }
    // The sitemap and the search index, reused like pages when their inputs hash as before.
    let sitemap_key =
        keep.then(|| key_of((fingerprint, &site.config.base_url, &site.config.languages, &sitemap_paths)));
    kept_or_made("sitemap.xml".into(), sitemap_key, &|| {
        let pages: Vec<(String, Vec<(String, String)>)> = sitemap_paths
            .iter()
            .map(|path| {
                let alts = site
                    .config
                    .languages
                    .iter()
                    .map(|l| (l.clone(), format!("{}{}{path}", site.config.base_url, lang_prefix(l, &dl))))
                    .collect();
                (format!("{}{path}", site.config.base_url), alts)
            })
            .collect();
        feeds::sitemap(&pages).into()
    });
    let search_key = deps.as_ref().map(|d| key_of((fingerprint, "search.json", d.site_data)));
    kept_or_made("search.json".into(), search_key, &|| search::search_index(site).into());
    sink.put(OutputFile::new(
        "robots.txt",
        format!("User-agent: *\nAllow: /\n\nSitemap: {}sitemap.xml\n", site.config.base_url),
    ));
    timer.done("sitemap and search");
    (cache.rendered, cache.reused) = (rendered.into_inner(), reused.into_inner());
    if diags.has_errors() {
        cache.pages = old_pages;
        return Err(diags);
    }
    let mut paths = sink.paths.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    paths.par_sort_unstable();
    if let Some(w) = paths.windows(2).find(|w| w[0] == w[1]) {
        diags
            .push(Diagnostic::error("content", format!("two outputs would be written to `{}`: rename one page", w[0])));
        cache.pages = old_pages;
        return Err(diags);
    }
    // The pages kept: the last render's, with those that changed put in; pages no longer
    // made (the paths are unique, so then the count differs) are dropped.
    old_pages.extend(changed_pages.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner));
    if old_pages.len() != kept_pages.into_inner() {
        old_pages.retain(|path, _| paths.binary_search(path).is_ok());
    }
    cache.pages = old_pages;
    Ok(Produced { files: paths.len(), bytes: sink.bytes.into_inner() })
}

/// The hash of `parts`: a reuse key.
fn key_of(parts: impl Hash) -> u64 {
    use std::hash::BuildHasher;
    std::hash::BuildHasherDefault::<std::hash::DefaultHasher>::default().hash_one(parts)
}

/// The newest date among the sources a page cites (the "data date" of a citation).
fn cited_date(site: &Analysed, cites: &Citations) -> Option<String> {
    cites.ids().iter().filter_map(|id| site.source(id).and_then(|s| s.date)).max().map(|d| d.to_string())
}

/// The path part of the base URL (`https://a.org/portal/` → `/portal/`).
fn base_path(base_url: &str) -> String {
    let after_scheme = base_url.split_once("://").map_or(base_url, |(_, rest)| rest);
    match after_scheme.find('/') {
        Some(i) => after_scheme[i..].to_string(),
        None => "/".to_string(),
    }
}

fn merge(target: &mut Value, extra: Value) {
    if let (Value::Object(t), Value::Object(e)) = (target, extra) {
        for (k, v) in e {
            t.entry(k).or_insert(v);
        }
    }
}

fn site_info(site: &Analysed, lang: &str) -> Value {
    let c = &site.config;
    let dl = c.default_language();
    json!({
        "title": c.title.get(lang, dl),
        "description": c.description.as_ref().map(|d| d.get(lang, dl)),
        "publisher": c.publisher.get(lang, dl),
        "license": c.license, "license_url": c.license_url, "base_url": c.base_url,
        "languages": c.languages, "default_language": dl,
    })
}

/// Sections with their titles, for the navigation (excluding the county narratives).
fn sections(site: &Analysed, lang: &str) -> Vec<(String, String, i64)> {
    let mut out: BTreeMap<String, (String, i64)> = BTreeMap::new();
    for p in site.pages.iter().filter(|p| !p.section.is_empty() && p.section != "counties") {
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
        sections(site, lang).into_iter().map(|(s, t, _)| json!({ "path": format!("{s}/"), "title": t })).collect(),
    )
}

/// The version of a page in `lang`, else in the default language, else any.
fn pick<'p>(site: &'p Analysed, section: &str, slug: &str, lang: &str) -> Option<&'p Page> {
    let dl = site.config.default_language();
    let candidates = site.pages_of(section, slug);
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

/// What every page kind's plan reads.
#[derive(Clone, Copy)]
struct Plan<'a, 'd> {
    site: &'a Analysed,
    views: &'a Views<'a>,
    lang: &'a str,
    downloads: &'a downloads::Downloads,
    strings: &'a templates::Strings,
    deps: Option<&'d deps::Deps<'d>>,
    files_keys: &'d [u64],
    global: Option<u64>,
    tr: charts::Tr<'a>,
    title: &'a str,
}

fn plan<'a>(
    site: &'a Analysed,
    views: &'a Views<'a>,
    lang: &'a str,
    downloads: &'a downloads::Downloads,
    strings: &'a templates::Strings,
    deps: Option<&deps::Deps>,
    files_keys: &[u64],
) -> Vec<Planned<'a>> {
    let dl = site.config.default_language();
    let title = site.config.title.get(lang, dl);
    let tr = charts::Tr::new(strings, lang);
    let p = Plan { site, views, lang, downloads, strings, deps, files_keys, global: deps.map(|d| d.global), tr, title };
    let mut out = Vec::new();
    for kind in [home, counties, areas, indicators, national_timeline, content, misc] {
        kind(&p, &mut out);
    }
    out
}

/// The home page: the county list with each county's roll-up row and the site's progress.
fn home<'a>(p: &Plan<'a, '_>, out: &mut Vec<Planned<'a>>) {
    let Plan { site, views, lang, deps, title, .. } = *p;
    // Home (the roll-up contexts are built only when the page is not reused).
    out.push(Planned {
        path: String::new(),
        template: "index.html",
        title: title.to_string(),
        context: Box::new(move || {
            let rows: Vec<&Value> = (0..site.counties.len()).map(|i| views.rollup(i)).collect();
            let basic_recognised = rows.iter().filter(|r| r["basic"]["step"] == json!(4)).count();
            let quality_recognised = rows.iter().filter(|r| r["quality"]["step"] == json!(4)).count();
            let mut cites = Citations::default();
            let intro = pick(site, "", "_index", lang)
                .map(|p| page_view(p, lang, 2, site.config.settings.raw_html, &mut cites));
            let latest: Vec<Value> = latest_pages(site, lang, 5);
            json!({
                "intro": intro, "counties": rows,
                "progress": { "counties": rows.len(), "basic_recognised": basic_recognised, "quality_recognised": quality_recognised,
                              "provinces": site.provinces.len(), "prefectures": site.prefectures.len() },
                "provinces": site.provinces.iter().map(|p| json!({"code": p.code, "name": p.name, "counties": p.counties.len()})).collect::<Vec<_>>(),
                "latest_pages": latest, "sources": cites.list(site),
            }).into()
        }),
        // Statuses (milestones) and latest composites (sheets).
        deps: deps.map(|d| d.national(&[0, 1, 2])),
    });
}

/// Each county's page, and its audit trail per school year with school data.
fn counties<'a>(p: &Plan<'a, '_>, out: &mut Vec<Planned<'a>>) {
    let Plan { site, views, lang, downloads, strings, deps, files_keys, tr, .. } = *p;
    // Counties and their audit trails (one page per county and school year with school data).
    for (i, c) in site.counties.iter().enumerate() {
        if !views.page_built(i) {
            continue;
        }
        let name = if lang == "en" { c.name_en.clone().unwrap_or_else(|| c.name.clone()) } else { c.name.clone() };
        out.push(Planned {
            path: format!("county/{}/", c.code),
            template: "county.html",
            title: name.clone(),
            context: Box::new(move || {
                let mut cites = Citations::default();
                let years = views::county_years(site, &c.code, &mut cites);
                let timeline = views::timeline(views, &[&c.code], &mut cites);
                let mut series = views::series(site, &c.code, lang, &mut cites);
                charts::attach(&mut series, "chart", lang, strings);
                let trends = charts::county_trends(site.sheets_of(&c.code), &site.rules, tr);
                let milestones = charts::milestones(&timeline, "milestones", tr);
                let narrative = pick(site, "counties", &c.code, lang)
                    .map(|p| page_view(p, lang, 3, site.config.settings.raw_html, &mut cites));
                let downloads: Vec<Value> = downloads::files_of(&downloads.files, &c.code)
                    .map(|f| json!({ "path": f.path, "bytes": f.bytes }))
                    .collect();
                let sources = cites.list(site);
                let data_date = json!(cited_date(site, &cites));
                let json = context::object([
                    ("county", views.rollup(i).clone()),
                    ("display_name", json!(name)),
                    ("years", years),
                    ("timeline", timeline),
                    ("milestones_chart", milestones),
                    ("series", series),
                    ("narrative", json!(narrative)),
                    ("sources", json!(sources)),
                    ("downloads", Value::Array(downloads)),
                    ("has_data", json!(views.has_data[i])),
                    ("rules_overridden", json!(!site.rules.overridden.is_empty())),
                    ("data_date", data_date),
                ]);
                context::Context { json, values: vec![("trends", trends)] }
            }),
            deps: deps.map(|d| d.county(&c.code, files_keys[i])),
        });
    }
    for c in site.counties.iter() {
        for &year in views.audited_years(&c.code) {
            let name = if lang == "en" { c.name_en.clone().unwrap_or_else(|| c.name.clone()) } else { c.name.clone() };
            out.push(Planned {
                path: format!("county/{}/computation/{year}/", c.code),
                template: "computation.html",
                title: format!("{name} {year}"),
                context: Box::new(move || {
                    let mut context = views::computation(site, &c.code, year, tr);
                    context.json["county"] = views.rollup_of(&c.code).clone();
                    context.json["display_name"] = json!(name);
                    context
                }),
                // The audit trail shows no narrative.
                deps: deps.map(|d| d.county_data_page(&c.code, year.0)),
            });
        }
    }
}

/// Each prefecture's and province's roll-up, and each province's timeline.
fn areas<'a>(p: &Plan<'a, '_>, out: &mut Vec<Planned<'a>>) {
    let Plan { site, views, lang, strings, deps, tr, .. } = *p;
    // Prefectures and provinces.
    for p in site.prefectures.iter() {
        out.push(Planned {
            path: format!("prefecture/{}/", p.code),
            template: "area.html",
            title: p.name.clone(),
            context: Box::new(move || {
                let rows: Vec<&Value> = p.counties.iter().map(|c| views.rollup_of(c)).collect();
                let mut cites = Citations::default();
                let timeline = views::timeline(views, &[&p.code], &mut cites);
                let mut series = views::series(site, &p.code, lang, &mut cites);
                charts::attach(&mut series, "chart", lang, strings);
                json!({ "area": { "kind": "prefecture", "code": p.code, "name": p.name,
                                  "parent": views.area(&p.province_code) },
                        "counties": rows, "children": [], "timeline": timeline, "series": series,
                        "recognitions": charts::recognitions(&recognised(site, &p.counties), &p.name, tr),
                        "sources": cites.list(site) })
                .into()
            }),
            deps: deps.map(|d| d.area(&p.counties, &[&p.code])),
        });
    }
    for p in site.provinces.iter() {
        out.push(Planned {
            path: format!("province/{}/", p.code),
            template: "area.html",
            title: p.name.clone(),
            context: Box::new(move || {
                let rows: Vec<&Value> = p.counties.iter().map(|c| views.rollup_of(c)).collect();
                let children: Vec<Value> = p.prefectures.iter().map(|c| views.area(c)).collect();
                let mut cites = Citations::default();
                let mut series = views::series(site, &p.code, lang, &mut cites);
                charts::attach(&mut series, "chart", lang, strings);
                json!({ "area": { "kind": "province", "code": p.code, "name": p.name, "parent": null },
                        "counties": rows, "children": children, "timeline": [], "series": series,
                        "recognitions": charts::recognitions(&recognised(site, &p.counties), &p.name, tr),
                        "sources": cites.list(site) })
                .into()
            }),
            deps: deps.map(|d| {
                let mut areas = vec![p.code.as_str()];
                areas.extend(p.prefectures.iter().map(String::as_str));
                d.area(&p.counties, &areas)
            }),
        });
        out.push(Planned {
            path: format!("timeline/{}/", p.code),
            template: "timeline.html",
            title: p.name.clone(),
            context: Box::new(move || {
                let mut cites = Citations::default();
                let mut areas: Vec<&str> = vec![p.code.as_str()];
                areas.extend(p.prefectures.iter().map(String::as_str));
                areas.extend(p.counties.iter().map(String::as_str));
                let timeline = views::timeline(views, &areas, &mut cites);
                json!({ "scope": views.area(&p.code), "timeline": timeline, "progress": [],
                        "recognitions": charts::recognitions(&recognised(site, &p.counties), &p.name, tr),
                        "sources": cites.list(site) })
                .into()
            }),
            deps: deps.map(|d| {
                let mut areas = vec![p.code.as_str()];
                areas.extend(p.prefectures.iter().map(String::as_str));
                d.area(&p.counties, &areas)
            }),
        });
    }
}

/// Each indicator's ranking, and the list of indicators.
fn indicators<'a>(p: &Plan<'a, '_>, out: &mut Vec<Planned<'a>>) {
    let Plan { site, views, deps, global, .. } = *p;
    // Indicators.
    let mut index = Vec::new();
    for scheme in Scheme::ALL {
        let rules = site.rules.of(scheme);
        for ind in rules.indicators {
            index.push(json!({ "scheme": scheme, "id": ind.id }));
            out.push(Planned {
                path: format!("indicators/{}/{}/", scheme.id(), ind.id),
                template: "indicator.html",
                title: ind.id.to_string(),
                context: Box::new(move || {
                    let levels: Vec<Value> = Level::ALL
                        .iter()
                        .map(|&level| {
                            context::object([
                                ("level", json!(level)),
                                ("threshold", json!(rules.threshold(level))),
                                ("standard", json!(ind.standard_for(level))),
                                ("ranking", views::ranking(views, scheme, ind.id, level)),
                            ])
                        })
                        .collect();
                    context::object([
                        ("indicator", json!({ "scheme": scheme, "id": ind.id, "decimals": ind.decimals })),
                        ("rules", json!({ "document": rules.document, "version": rules.version })),
                        ("levels", Value::Array(levels)),
                    ])
                    .into()
                }),
                // What the rankings show of the sheets (and what is site-wide).
                deps: deps.map(|d| d.indicator(scheme, ind.id)),
            });
        }
    }
    out.push(Planned {
        path: "indicators/".into(),
        template: "indicators.html",
        title: String::new(),
        context: ready(json!({ "indicators": index, "basic": &site.rules.basic, "quality": &site.rules.quality })),
        deps: global,
    });
}

/// The national timeline.
fn national_timeline<'a>(p: &Plan<'a, '_>, out: &mut Vec<Planned<'a>>) {
    let Plan { site, views, lang, strings, deps, .. } = *p;
    // National timeline.
    out.push(Planned {
        path: "timeline/".into(),
        template: "timeline.html",
        title: String::new(),
        context: Box::new(move || {
            let mut cites = Citations::default();
            let all_areas: Vec<&str> =
                std::iter::once(NATIONAL_AREA).chain(site.provinces.iter().map(|p| p.code.as_str())).collect();
            let timeline = views::timeline(views, &all_areas, &mut cites);
            let mut progress = views::series(site, NATIONAL_AREA, lang, &mut cites);
            charts::attach(&mut progress, "chart", lang, strings);
            // The most recent county events only: a national site has thousands; provinces list all.
            let county_events = {
                let mut recent: Vec<&crate::model::Milestone> =
                    site.counties.iter().flat_map(|c| site.milestones_of(&c.code)).collect();
                recent.sort_by(|a, b| (b.date, b.event, &b.area).cmp(&(a.date, a.event, &a.area)));
                recent.truncate(RECENT_COUNTY_EVENTS);
                views::timeline_of(views, recent, &mut cites)
            };
            json!({ "scope": views.area(NATIONAL_AREA), "timeline": timeline, "progress": progress,
                    "county_events": county_events,
                    "provinces": site.provinces.iter().map(|p| views.area(&p.code)).collect::<Vec<_>>(),
                    "sources": cites.list(site) })
            .into()
        }),
        deps: deps.map(|d| d.national(&[2, 3])),
    });
}

/// The content sections and their pages.
fn content<'a>(p: &Plan<'a, '_>, out: &mut Vec<Planned<'a>>) {
    let Plan { site, lang, global, .. } = *p;
    // Content sections.
    for (section, section_title, _) in sections(site, lang) {
        let mut cites = Citations::default();
        let own = pick(site, &section, "_index", lang)
            .map(|p| page_view(p, lang, 2, site.config.settings.raw_html, &mut cites));
        let mut slugs: Vec<&str> =
            site.pages.iter().filter(|p| p.section == section && p.slug != "_index").map(|p| p.slug.as_str()).collect();
        slugs.dedup();
        let mut items = Vec::new();
        for slug in slugs {
            let Some(p) = pick(site, &section, slug, lang) else {
                continue;
            };
            let mut page_cites = Citations::default();
            let view = page_view(p, lang, 2, site.config.settings.raw_html, &mut page_cites);
            items.push(json!({ "title": p.title, "date": p.date.map(|d| d.to_string()), "slug": slug,
                               "weight": p.weight, "summary": p.summary.clone().unwrap_or_else(|| markdown::first_paragraph(&p.body, 120)),
                               "lang": p.lang }));
            out.push(Planned {
                path: format!("{section}/{slug}/"),
                template: "page.html",
                title: p.title.clone(),
                context: ready(
                    json!({ "page": view, "section": { "path": format!("{section}/"), "title": section_title },
                                  "sources": page_cites.list(site) }),
                ),
                deps: global,
            });
        }
        items.sort_by(|a, b| {
            let key = |v: &Value| {
                (v["weight"].as_i64().unwrap_or(0), std::cmp::Reverse(v["date"].as_str().unwrap_or("").to_string()))
            };
            key(a).cmp(&key(b)).then(a["slug"].as_str().cmp(&b["slug"].as_str()))
        });
        out.push(Planned {
            path: format!("{section}/"),
            template: "section.html",
            title: section_title.clone(),
            context: ready(
                json!({ "section": { "path": format!("{section}/"), "title": section_title, "name": section },
                              "own": own, "items": items, "sources": cites.list(site) }),
            ),
            deps: global,
        });
    }
}

/// The downloads page and the 404 page.
fn misc<'a>(p: &Plan<'a, '_>, out: &mut Vec<Planned<'a>>) {
    let Plan { downloads, global, .. } = *p;
    // Downloads and 404.
    out.push(Planned {
        path: "downloads/".into(),
        template: "downloads.html",
        title: String::new(),
        context: ready(json!({ "tables": downloads.docs,
                          "schema_path": downloads::SCHEMA_PATH })),
        deps: None,
    });
    out.push(Planned {
        path: "404.html".into(),
        template: "404.html",
        title: String::new(),
        context: ready(json!({})),
        deps: global,
    });
}

/// Years in which the counties of an area were recognised, per regime.
fn recognised(site: &Analysed, counties: &[String]) -> Vec<(i32, &'static str)> {
    counties
        .iter()
        .flat_map(|c| site.milestones_of(c))
        .filter_map(|m| match m.event {
            Event::NationalRecognition => Some((m.date.year, "basic")),
            Event::QualityRecognition => Some((m.date.year, "quality")),
            _ => None,
        })
        .collect()
}

fn latest_pages(site: &Analysed, lang: &str, n: usize) -> Vec<Value> {
    let mut seen = std::collections::BTreeSet::new();
    let mut pages: Vec<&Page> = Vec::new();
    for p in site
        .pages
        .iter()
        .filter(|p| !p.section.is_empty() && p.section != "counties" && p.slug != "_index" && p.date.is_some())
    {
        if seen.insert((&p.section, &p.slug)) {
            if let Some(chosen) = pick(site, &p.section, &p.slug, lang) {
                pages.push(chosen);
            }
        }
    }
    pages.sort_by(|a, b| b.date.cmp(&a.date).then(a.slug.cmp(&b.slug)));
    pages
        .into_iter()
        .take(n)
        .map(|p| json!({ "title": p.title, "date": p.date.map(|d| d.to_string()), "path": format!("{}/{}/", p.section, p.slug), "lang": p.lang }))
        .collect()
}
