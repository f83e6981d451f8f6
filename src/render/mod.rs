//! The render stage, pure: [`Analysed`] + [`Theme`] → every output file.
//!
//! The render hands out its work as jobs ([`crate::job::Job`]): each download part, each page
//! and each feed is a plain function of an inputs struct that holds what it reads (its
//! [`scope::Scope`] of the site and the values it is given). The pipeline
//! ([`crate::pipeline`]) runs them in order: [`assets`], the download parts
//! ([`downloads::part_jobs`], [`run_parts`]), the downloads page's record
//! ([`downloads::downloads_job`]), the rankings, the pages ([`page_jobs`]), then [`conclude`].

pub mod charts;
mod context;
pub mod css;
pub mod downloads;
pub mod feeds;
pub mod markdown;
pub mod pages;
pub mod scope;
pub mod search;
pub mod templates;
pub mod views;

pub use crate::output::{Collect, Discard, OutputFile, Produced, Sink};

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::Value;

use crate::diag::{Diagnostic, Diagnostics};
use crate::engine::Analysed;
use crate::job::Job;
use crate::load::theme::Theme;
use pages::{Frame, PageJob};
use scope::{Read, Reading, Reads};

/// The URL prefix of a language: `""` for the default, `en/` for English.
pub fn lang_prefix(lang: &str, default: &str) -> String {
    if lang == default { String::new() } else { format!("{}/", lang.to_lowercase()) }
}

/// What a theme makes before any page: its templates compiled with their UI strings, and its
/// stylesheets processed (by file name), with the version the pages link them with.
pub struct Styled {
    env: minijinja::Environment<'static>,
    /// Where the theme's files came from, and its templates (a template's error names its file
    /// and line).
    files: crate::load::theme::ThemeFiles,
    templates: std::collections::BTreeMap<String, String>,
    /// The hash of what the pages' look is made of: templates, UI strings, stylesheets, the
    /// languages.
    fingerprint: u64,
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

impl Styled {
    /// The theme's UI strings, per language.
    pub fn strings(&self) -> &templates::Strings {
        &self.strings
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
                    theme.files.path(&format!("i18n/{lang}.toml")),
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
        match css::process(&theme.files.path(&format!("css/{name}")), source, browsers) {
            Ok(code) => {
                css_hash.push_str(&downloads::sha256_hex(code.as_bytes())[..12]);
                css.push((name.clone(), bytes::Bytes::from(code)));
            }
            Err(d) => problems.push(d),
        }
    }
    let css_version = downloads::sha256_hex(css_hash.as_bytes())[..10].to_string();
    let mut h = std::hash::DefaultHasher::new();
    (&theme.files, &theme.templates, &theme.strings, &css_version, languages, default_lang).hash(&mut h);
    let (files, templates, fingerprint) = (theme.files.clone(), theme.templates.clone(), h.finish());
    Ok(Arc::new(Styled { env, files, templates, fingerprint, strings, css, css_version, problems }))
}

/// The stylesheets and the theme's static files (pages link the stylesheet with its hash).
pub fn assets(theme: &Theme, styled: &Styled, sink: &dyn Sink) {
    for (name, code) in &styled.css {
        sink.put(OutputFile::new(format!("assets/{name}"), code.clone()));
    }
    for (name, bytes) in &theme.static_files {
        sink.put(OutputFile::new(format!("assets/{name}"), bytes.clone()));
    }
}

/// Runs the download parts: the databases one after another (a province's database is held
/// whole while it is made: two at once would be the build's peak of memory) while the other
/// thread makes the tables and the counties' files; work-stealing then shares those.
pub fn run_parts(
    jobs: &downloads::PartJobs,
    run: impl Fn(&downloads::PartJob) -> Arc<downloads::Part> + Sync,
) -> Vec<Arc<downloads::Part>> {
    let (databases, mut parts): (Vec<_>, Vec<_>) = rayon::join(
        || jobs.databases.iter().map(&run).collect(),
        || jobs.tables.par_iter().chain(&jobs.counties).map(&run).collect(),
    );
    parts.splice(jobs.tables.len()..jobs.tables.len(), databases);
    parts
}

/// The frame of each language's pages.
pub fn frames<'a>(site: &'a Analysed, styled: &'a Styled) -> Vec<Frame<'a>> {
    site.config.languages.iter().map(|lang| Frame::new(site, styled, lang)).collect()
}

/// Every page and feed of every language, the sitemap and the search index, as jobs.
pub fn page_jobs<'a>(
    reading: &'a Reading<'a>,
    frames: &'a [Frame<'a>],
    downloads: &'a downloads::Downloads,
    rankings: &'a pages::Rankings,
) -> Vec<PageJob<'a>> {
    let site = reading.site();
    // Each language's pages and feeds, planned in parallel.
    let per_language: Vec<Vec<PageJob>> = frames
        .par_iter()
        .map(|frame| {
            let mut jobs = pages::plan(reading, frame, downloads, rankings);
            let scope = reading.everywhere(Reads::of(&[Read::Milestones, Read::Narratives]));
            jobs.push(Job::new(format!("{}atom.xml", frame.prefix), SiteFeed { frame, scope }, site_feed));
            let county_tables = Reads::of(&[Read::Milestones, Read::Narratives, Read::Results, Read::Revisions]);
            for (i, c) in site.counties.iter().enumerate().filter(|(i, _)| reading.page_built(*i)) {
                let scope = reading.scope_of(&c.code, county_tables);
                let slot = format!("{}county/{}/atom.xml", frame.prefix, c.code);
                jobs.push(Job::new(slot, CountyFeed { frame, scope, index: i }, county_feed));
            }
            jobs
        })
        .collect();
    // The default language's pages (not the 404 page or the feeds), for the sitemap.
    let sitemap_paths = frames
        .iter()
        .zip(&per_language)
        .find(|(f, _)| f.prefix.is_empty())
        .map(|(_, jobs)| jobs.iter().map(|j| j.slot()).filter(|p| !p.ends_with(".html") && !p.ends_with(".xml")))
        .into_iter()
        .flatten()
        .map(str::to_string)
        .collect();
    let mut jobs: Vec<PageJob> = per_language.into_iter().flatten().collect();
    let c = &site.config;
    let sitemap = Sitemap { base_url: &c.base_url, languages: &c.languages, paths: sitemap_paths };
    jobs.push(Job::new("sitemap.xml", sitemap, self::sitemap));
    jobs.push(Job::new("search.json", SearchIndex { scope: reading.site_wide() }, search_index));
    // The schools of each province with any, for the finder.
    let tables = scope::Reads::of(&[scope::Read::Schools, scope::Read::Results]);
    for p in site.provinces.iter() {
        let counties: Vec<&str> =
            site.counties.iter().filter(|c| c.province_code == p.code).map(|c| c.code.as_str()).collect();
        if counties.iter().all(|c| reading.audited_years(c).is_empty()) {
            continue;
        }
        let inputs = SchoolIndex { scope: reading.scope(counties, tables), province: p.code.clone() };
        jobs.push(Job::new(format!("search/{}.json", p.code), inputs, school_index));
    }
    jobs
}

/// The schools finder's index of a province.
#[derive(Hash, Debug)]
struct SchoolIndex<'r, 's> {
    scope: scope::Scope<'r, 's>,
    province: String,
}

fn school_index(i: &SchoolIndex, sink: &dyn Sink) -> Result<(), Diagnostic> {
    sink.put(OutputFile::new(format!("search/{}.json", i.province), search::school_index(&i.scope, &i.province)));
    Ok(())
}

/// Adds `robots.txt` to `sink`; reports `errors` with the stylesheets' problems.
pub fn conclude(base_url: &str, styled: &Styled, errors: Vec<Diagnostic>, sink: &dyn Sink) -> Result<(), Diagnostics> {
    let mut diags = Diagnostics::new();
    // A stylesheet's problem is reported with whatever else the pages find.
    styled.problems.iter().for_each(|d| diags.push(d.clone()));
    errors.into_iter().for_each(|d| diags.push(d));
    sink.put(OutputFile::new("robots.txt", format!("User-agent: *\nAllow: /\n\nSitemap: {base_url}sitemap.xml\n")));
    if diags.has_errors() { Err(diags) } else { Ok(()) }
}

/// Fails when two outputs have one path (`paths` sorted).
pub fn unique<'p>(paths: impl Iterator<Item = &'p str>) -> Result<(), Diagnostics> {
    let mut last = None;
    for path in paths {
        if last == Some(path) {
            let mut diags = Diagnostics::new();
            diags.push(Diagnostic::error(
                "content",
                format!("two outputs would be written to `{path}`: rename one page"),
            ));
            return Err(diags);
        }
        last = Some(path);
    }
    Ok(())
}

/// The site's feed in one language: content pages and dated milestones.
#[derive(Hash, Debug)]
struct SiteFeed<'a, 'r, 's> {
    frame: &'a Frame<'a>,
    scope: scope::Scope<'r, 's>,
}

fn site_feed(i: &SiteFeed, sink: &dyn Sink) -> Result<(), Diagnostic> {
    let atom = feeds::atom(&i.scope, i.frame.lang, &i.frame.styled.strings);
    sink.put(OutputFile::new(format!("{}atom.xml", i.frame.prefix), atom));
    Ok(())
}

/// A county's feed in one language.
#[derive(Hash, Debug)]
struct CountyFeed<'a, 'r, 's> {
    frame: &'a Frame<'a>,
    scope: scope::Scope<'r, 's>,
    index: usize,
}

fn county_feed(i: &CountyFeed, sink: &dyn Sink) -> Result<(), Diagnostic> {
    let c = &i.scope.counties()[i.index];
    let lang = i.frame.lang;
    let name = if lang == "en" { c.name_en.as_deref().unwrap_or(&c.name) } else { &c.name };
    let atom = feeds::county_atom(&i.scope, &c.code, name, lang, &i.frame.styled.strings);
    sink.put(OutputFile::new(format!("{}county/{}/atom.xml", i.frame.prefix, c.code), atom));
    Ok(())
}

/// The sitemap: every page of every language, each with the full set of alternates (every
/// language, itself included, and `x-default`: the default language's).
#[derive(Hash, Debug)]
struct Sitemap<'a> {
    base_url: &'a str,
    languages: &'a [String],
    paths: Vec<String>,
}

fn sitemap(i: &Sitemap, sink: &dyn Sink) -> Result<(), Diagnostic> {
    let default = i.languages.first().map_or("", String::as_str);
    let pages: Vec<(String, Vec<(String, String)>)> = i
        .paths
        .iter()
        .flat_map(|path| {
            let url = move |l: &str| format!("{}{}{path}", i.base_url, lang_prefix(l, default));
            let mut alts: Vec<(String, String)> = i.languages.iter().map(|l| (l.clone(), url(l))).collect();
            alts.push(("x-default".to_string(), url(default)));
            i.languages.iter().map(move |l| (url(l), alts.clone()))
        })
        .collect();
    sink.put(OutputFile::new("sitemap.xml", feeds::sitemap(&pages)));
    Ok(())
}

/// The county finder's index.
#[derive(Hash, Debug)]
struct SearchIndex<'r, 's> {
    scope: scope::Scope<'r, 's>,
}

fn search_index(i: &SearchIndex, sink: &dyn Sink) -> Result<(), Diagnostic> {
    sink.put(OutputFile::new("search.json", search::search_index(&i.scope)));
    Ok(())
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
