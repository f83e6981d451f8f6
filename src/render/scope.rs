//! What a page or a download reads of the site: a [`Scope`] names the areas and the tables of
//! theirs that a job reads, lets only those through, and hashes exactly those.
//!
//! Every read of an area's rows goes through a scope's accessor, which checks that the scope
//! covers it and panics otherwise (in every build: a page that reads outside its scope fails the
//! first test that renders it). So a job's inputs, which hold its scope, always hash everything
//! the job reads, and the preview's memory cannot hand on a stale page. What is site-wide (the
//! configuration and rules, the areas' names, the sources, the pages other than county
//! narratives) is read freely and hashed once per render.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::OnceLock;

use rustc_hash::FxHashMap as HashMap;
use serde_json::{Value, json};

use crate::config::Config;
use crate::engine::{Analysed, Computed, Sheet};
use crate::model::rules::Rules;
use crate::model::{
    County, Metric, Milestone, NATIONAL_AREA, Page, Prefecture, Province, Reported, SchoolRow, SchoolYear, Source,
};

/// What of an area a scope can let through: one of its kinds of rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Read {
    /// Published rows.
    Published,
    /// School rows (and what the engine recomputes from them: an audit trail).
    Schools,
    /// The engine's results and the sheets (made from the published and the school rows).
    Results,
    /// Milestones.
    Milestones,
    /// Metrics.
    Metrics,
    /// A county's narratives.
    Narratives,
    /// The figures of an area revised in a release (the revision history).
    Revisions,
}

impl Read {
    const ALL: [Read; 7] = [
        Read::Published,
        Read::Schools,
        Read::Results,
        Read::Milestones,
        Read::Metrics,
        Read::Narratives,
        Read::Revisions,
    ];
}

/// An area as [`Scope::area`] describes it: kind, name, English name, path.
type AreaEntry = (&'static str, String, Option<String>, String);

/// A set of [`Read`]s: what of its areas a scope lets through.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Reads(u8);

impl Reads {
    /// Every table.
    pub const ALL: Reads = Reads(0b111_1111);

    /// The set of `tables`.
    pub const fn of(tables: &[Read]) -> Reads {
        let mut bits = 0;
        let mut i = 0;
        while i < tables.len() {
            bits |= 1 << tables[i] as u8;
            i += 1;
        }
        Reads(bits)
    }

    fn has(self, t: Read) -> bool {
        self.0 & (1 << t as u8) != 0
    }

    fn iter(self) -> impl Iterator<Item = Read> {
        Read::ALL.into_iter().filter(move |t| self.has(*t))
    }
}

impl std::fmt::Debug for Reads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// The site as a render reads it: the analysed site, with the hashes scopes are made of,
/// each computed once per render when first asked for (a build never asks).
pub struct Reading<'s> {
    site: &'s Analysed,
    /// Each county's roll-up row (status and latest composites), in the order of
    /// `site.counties`: made when a page first asks for it ([`Scope::rollup`]).
    rollups: Vec<OnceLock<Value>>,
    /// Area code → its kind, name, English name and path.
    areas: OnceLock<HashMap<String, AreaEntry>>,
    /// Whether anything is known of each county beyond its name (sheets, milestones, metrics
    /// or a narrative), in the order of `site.counties`.
    has_data: OnceLock<Vec<bool>>,
    /// What is site-wide, hashed.
    common: OnceLock<u64>,
    /// Each county's narratives, hashed.
    narratives: OnceLock<HashMap<String, u64>>,
    /// Each table of each area, hashed.
    by_area: OnceLock<HashMap<String, [u64; Read::ALL.len()]>>,
    /// The school years of each county published school by school.
    audited: OnceLock<HashMap<String, Vec<SchoolYear>>>,
    /// Each table over every area, hashed.
    all: [OnceLock<u64>; Read::ALL.len()],
}

impl<'s> Reading<'s> {
    /// `site`, to be read through scopes.
    pub fn new(site: &'s Analysed) -> Self {
        let rollups = site.counties.iter().map(|_| OnceLock::new()).collect();
        Reading {
            site,
            rollups,
            areas: OnceLock::new(),
            has_data: OnceLock::new(),
            common: OnceLock::new(),
            narratives: OnceLock::new(),
            by_area: OnceLock::new(),
            audited: OnceLock::new(),
            all: Default::default(),
        }
    }

    /// Whether the county at `i` of `site.counties` gets a page (and a feed): anything is
    /// known of it, or the site asks for every county's page.
    pub fn page_built(&self, i: usize) -> bool {
        self.site.config.settings.pages_for_counties_without_data || self.has_data()[i]
    }

    fn has_data(&self) -> &[bool] {
        self.has_data.get_or_init(|| {
            use rayon::prelude::*;
            let s = self.site;
            s.counties
                .par_iter()
                .map(|c| {
                    !s.sheets_of(&c.code).is_empty()
                        || !s.milestones_of(&c.code).is_empty()
                        || !s.metrics_of(&c.code).is_empty()
                        || !s.pages_of("counties", &c.code).is_empty()
                })
                .collect()
        })
    }

    /// The school years of a county published school by school, oldest first (for planning:
    /// which audit pages and school tables there are).
    pub fn audited_years(&self, code: &str) -> &[SchoolYear] {
        let audited = self.audited.get_or_init(|| self.site.audited_years_by_county().into_iter().collect());
        audited.get(code).map_or(&[], Vec::as_slice)
    }

    fn index_of(&self, code: &str) -> Option<usize> {
        self.site.counties.binary_search_by(|c| c.code.as_str().cmp(code)).ok()
    }

    /// A scope of `tables` of the areas `areas`.
    pub fn scope(&self, areas: Vec<&'s str>, tables: Reads) -> Scope<'_, 's> {
        Scope { reading: self, areas: Areas::Of(areas), tables }
    }

    /// A scope of `tables` of the area `area`.
    pub fn scope_of(&self, area: &'s str, tables: Reads) -> Scope<'_, 's> {
        Scope { reading: self, areas: Areas::One(area), tables }
    }

    /// A scope of `tables` of every area.
    pub fn everywhere(&self, tables: Reads) -> Scope<'_, 's> {
        Scope { reading: self, areas: Areas::All, tables }
    }

    /// A scope of what is site-wide only.
    pub fn site_wide(&self) -> Scope<'_, 's> {
        Scope { reading: self, areas: Areas::Of(Vec::new()), tables: Reads::default() }
    }

    /// The site, for planning what to make (which pages exist, their paths and titles): a plan
    /// is made at every render, never reused, so it may read anything.
    pub fn site(&self) -> &'s Analysed {
        self.site
    }

    fn common(&self) -> u64 {
        *self.common.get_or_init(|| {
            let s = self.site;
            let mut h = DefaultHasher::new();
            crate::util::hash::add(&mut h, &s.config);
            crate::util::hash::add(&mut h, &s.rules);
            crate::util::hash::add(&mut h, &(&s.counties, &s.prefectures, &s.provinces));
            crate::util::hash::add(&mut h, &s.sources);
            s.revisions.releases.hash(&mut h);
            s.pages.iter().filter(|p| p.section != "counties").for_each(|p| p.hash(&mut h));
            h.finish()
        })
    }

    /// The hash of table `t` of `area`.
    fn hash_of(&self, t: Read, area: &str) -> u64 {
        // Every table of every area hashed at once (scopes ask for tens of thousands).
        let by_area = self.by_area.get_or_init(|| {
            use rayon::prelude::*;
            let s = self.site;
            let areas: Vec<&str> = (s.counties.iter().map(|c| c.code.as_str()))
                .chain(s.prefectures.iter().map(|p| p.code.as_str()))
                .chain(s.provinces.iter().map(|p| p.code.as_str()))
                .chain([NATIONAL_AREA])
                .collect();
            areas.into_par_iter().map(|a| (a.to_string(), Read::ALL.map(|t| self.table_hash(t, a)))).collect()
        });
        match by_area.get(area) {
            Some(hashes) => hashes[t as usize],
            None => self.table_hash(t, area),
        }
    }

    /// The hash of table `t` of `area`, made now.
    fn table_hash(&self, t: Read, area: &str) -> u64 {
        let s = self.site;
        match t {
            Read::Published => s.reported.hash_of(area),
            Read::Schools => s.schools.hash_of(area),
            // The engine's results and the sheets of a county are made from its published and
            // school rows, with the rules and settings (site-wide).
            Read::Results => {
                let mut h = DefaultHasher::new();
                (s.reported.hash_of(area), s.schools.hash_of(area)).hash(&mut h);
                h.finish()
            }
            Read::Milestones => s.milestones.hash_of(area),
            Read::Metrics => s.metrics.hash_of(area),
            Read::Revisions => s.revisions.changes.hash_of(area),
            Read::Narratives => {
                let narratives = self.narratives.get_or_init(|| {
                    use rayon::prelude::*;
                    let pages = &s.pages[s.pages.partition_point(|p| p.section.as_str() < "counties")..];
                    let pages = &pages[..pages.partition_point(|p| p.section == "counties")];
                    pages
                        .par_chunk_by(|a, b| a.slug == b.slug)
                        .map(|one| {
                            let mut h = DefaultHasher::new();
                            one.hash(&mut h);
                            (one[0].slug.clone(), h.finish())
                        })
                        .collect()
                });
                narratives.get(area).copied().unwrap_or_else(|| {
                    let mut h = DefaultHasher::new();
                    <[Page]>::hash(&[], &mut h);
                    h.finish()
                })
            }
        }
    }

    /// The hash of table `t` over every area.
    fn hash_of_all(&self, t: Read) -> u64 {
        *self.all[t as usize].get_or_init(|| {
            let s = self.site;
            let mut h = DefaultHasher::new();
            let areas: Vec<&str> = match t {
                Read::Published => s.reported.runs().iter().map(|r| r.0.as_str()).collect(),
                Read::Schools => s.schools.runs().iter().map(|r| r.0.as_str()).collect(),
                Read::Results => {
                    let mut both: Vec<&str> =
                        s.reported.runs().iter().chain(s.schools.runs()).map(|r| r.0.as_str()).collect();
                    both.sort_unstable();
                    both.dedup();
                    both
                }
                Read::Milestones => s.milestones.runs().iter().map(|r| r.0.as_str()).collect(),
                Read::Metrics => s.metrics.runs().iter().map(|r| r.0.as_str()).collect(),
                Read::Revisions => s.revisions.changes.runs().iter().map(|r| r.0.as_str()).collect(),
                Read::Narratives => s.counties.iter().map(|c| c.code.as_str()).collect(),
            };
            for area in areas {
                (area, self.hash_of(t, area)).hash(&mut h);
            }
            h.finish()
        })
    }
}

/// The areas of a scope.
#[derive(Clone, Debug)]
enum Areas<'s> {
    All,
    One(&'s str),
    Of(Vec<&'s str>),
}

impl Areas<'_> {
    fn as_slice(&self) -> &[&str] {
        match self {
            Areas::All => &[],
            Areas::One(area) => std::slice::from_ref(area),
            Areas::Of(areas) => areas,
        }
    }
}

/// What one job reads of the site: site-wide values, and `tables` of `areas`. Hashing a scope
/// hashes those; reading outside them panics.
#[derive(Clone)]
pub struct Scope<'r, 's> {
    reading: &'r Reading<'s>,
    areas: Areas<'s>,
    tables: Reads,
}

impl Hash for Scope<'_, '_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        let r = self.reading;
        r.common().hash(h);
        self.tables.hash(h);
        match &self.areas {
            Areas::All => self.tables.iter().for_each(|t| r.hash_of_all(t).hash(h)),
            areas => {
                let areas = areas.as_slice();
                areas.len().hash(h);
                for a in areas {
                    a.hash(h);
                    self.tables.iter().for_each(|t| r.hash_of(t, a).hash(h));
                }
            }
        }
    }
}

impl std::fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.areas {
            Areas::All => write!(f, "scope {:?} of every area", self.tables),
            Areas::Of(a) if a.len() > 8 => write!(f, "scope {:?} of {} areas", self.tables, a.len()),
            a => write!(f, "scope {:?} of {:?}", self.tables, a.as_slice()),
        }
    }
}

impl<'r, 's> Scope<'r, 's> {
    /// Panics unless the scope lets `t` of `area` through.
    fn check(&self, t: Read, area: &str) {
        let covered = self.tables.has(t)
            && match &self.areas {
                Areas::All => true,
                areas => areas.as_slice().contains(&area),
            };
        assert!(covered, "a render job read {t:?} of `{area}` outside its {self:?}: add it to the job's scope");
    }

    /// Panics unless the scope lets `t` of every area through.
    fn check_all(&self, t: Read) {
        assert!(
            self.tables.has(t) && matches!(self.areas, Areas::All),
            "a render job read all of {t:?} outside its {self:?}: add it to the job's scope"
        );
    }

    /// The site, for what is site-wide.
    fn site(&self) -> &'s Analysed {
        self.reading.site
    }

    /// The configuration.
    pub fn config(&self) -> &'s Config {
        &self.site().config
    }

    /// The rules in force.
    pub fn rules(&self) -> &'s Rules {
        &self.site().rules
    }

    /// The counties, sorted by code.
    pub fn counties(&self) -> &'s [County] {
        &self.site().counties
    }

    /// The prefectures, sorted by code.
    pub fn prefectures(&self) -> &'s [Prefecture] {
        &self.site().prefectures
    }

    /// The provinces, sorted by code.
    pub fn provinces(&self) -> &'s [Province] {
        &self.site().provinces
    }

    /// The sources, sorted by id.
    pub fn sources(&self) -> &'s [Source] {
        &self.site().sources
    }

    /// The county with `code`.
    pub fn county(&self, code: &str) -> Option<&'s County> {
        self.site().county(code)
    }

    /// The prefecture with `code`.
    pub fn prefecture(&self, code: &str) -> Option<&'s Prefecture> {
        self.site().prefecture(code)
    }

    /// The source with `id`.
    pub fn source(&self, id: &str) -> Option<&'s Source> {
        self.site().source(id)
    }

    /// The basic-balance standard of `indicator` for a school of county `code` at `level`, where
    /// the site declares one (`standards.csv`; site-wide, as the sources).
    pub fn standard_for(
        &self,
        code: &str,
        level: crate::model::Level,
        indicator: &str,
    ) -> Option<&'s crate::model::Standard> {
        self.site().standard_for(code, level, indicator)
    }

    /// [`Scope::standard_for`]'s figure, to call later (a table of every school is made while it
    /// is written).
    pub fn standards(&self) -> impl Fn(&str, crate::model::Level, &str) -> Option<f64> + Send + Sync + 's {
        let site = self.site();
        move |code, level, indicator| site.standard_for(code, level, indicator).map(|s| s.standard)
    }

    /// The basic-balance standards the site declares (site-wide, as the sources).
    pub fn declared_standards(&self) -> &'s [crate::model::Standard] {
        &self.site().standards
    }

    /// Whether the site declares any basic-balance standard.
    pub fn has_standards(&self) -> bool {
        !self.site().standards.is_empty()
    }

    /// The pages other than county narratives, sorted by section, slug, language.
    pub fn pages(&self) -> impl Iterator<Item = &'s Page> + use<'s> {
        self.site().pages.iter().filter(|p| p.section != "counties")
    }

    /// The pages of `section` with `slug`, one per language (a county's narratives when the
    /// section is `counties`).
    pub fn pages_of(&self, section: &str, slug: &str) -> &'s [Page] {
        if section == "counties" {
            self.check(Read::Narratives, slug);
        }
        self.site().pages_of(section, slug)
    }

    /// Every page, county narratives included.
    pub fn all_pages(&self) -> &'s [Page] {
        self.check_all(Read::Narratives);
        &self.site().pages
    }

    /// The sheets of a county.
    pub fn sheets_of(&self, code: &str) -> &'s [Sheet] {
        self.check(Read::Results, code);
        self.site().sheets_of(code)
    }

    /// Every county's sheets.
    pub fn sheets(&self) -> &'s [Sheet] {
        self.check_all(Read::Results);
        &self.site().sheets
    }

    /// The engine's results of a county.
    pub fn computed_of(&self, code: &str) -> &'s [Computed] {
        self.check(Read::Results, code);
        self.site().computed_of(code)
    }

    /// Every county's engine results.
    pub fn computed(&self) -> &'s [Computed] {
        self.check_all(Read::Results);
        &self.site().computed
    }

    /// The school years of a county published school by school, oldest first.
    pub fn audited_years(&self, code: &str) -> Vec<SchoolYear> {
        self.check(Read::Results, code);
        self.site().audited_years(code)
    }

    /// The engine's computations of a county and school year, school by school.
    pub fn detail_of(&self, code: &str, year: SchoolYear) -> Vec<Computed> {
        self.check(Read::Schools, code);
        self.site().detail_of(code, year)
    }

    /// [`Scope::detail_of`] for the counties `codes`, to call later (a table of every school
    /// is made while it is written, never held whole): the reads are checked now.
    pub fn details_of(&self, codes: &[&str]) -> impl Fn(&str, SchoolYear) -> Vec<Computed> + Send + Sync + 's {
        codes.iter().for_each(|code| self.check(Read::Schools, code));
        let site = self.site();
        move |code, year| site.detail_of(code, year)
    }

    /// The milestones of an area.
    pub fn milestones_of(&self, area: &str) -> &'s [Milestone] {
        self.check(Read::Milestones, area);
        self.site().milestones_of(area)
    }

    /// Every milestone.
    pub fn milestones(&self) -> &'s [Milestone] {
        self.check_all(Read::Milestones);
        &self.site().milestones
    }

    /// The metrics of an area.
    pub fn metrics_of(&self, area: &str) -> &'s [Metric] {
        self.check(Read::Metrics, area);
        self.site().metrics_of(area)
    }

    /// Every metric.
    pub fn metrics(&self) -> &'s [Metric] {
        self.check_all(Read::Metrics);
        &self.site().metrics
    }

    /// The published rows of a county.
    pub fn reported_of(&self, code: &str) -> &'s [Reported] {
        self.check(Read::Published, code);
        self.site().reported_of(code)
    }

    /// Every published row.
    pub fn reported(&self) -> &'s [Reported] {
        self.check_all(Read::Published);
        &self.site().reported
    }

    /// The school rows of a county.
    pub fn schools_of(&self, code: &str) -> &'s [SchoolRow] {
        self.check(Read::Schools, code);
        self.site().schools_of(code)
    }

    /// Every school row, with each county's run.
    pub fn schools(&self) -> &'s crate::model::Grouped<SchoolRow> {
        self.check_all(Read::Schools);
        &self.site().schools
    }

    /// Where the roll-up row of the county with `code` is kept for this render (its status
    /// and latest composites: `views::rollup`), with a scope of what it is made of;
    /// `None` for an unknown county.
    pub fn rollup_slot(&self, code: &str) -> Option<(&'r OnceLock<Value>, Scope<'r, 's>)> {
        self.check(Read::Results, code);
        self.check(Read::Milestones, code);
        let r = self.reading;
        let i = r.index_of(code)?;
        let own = r.scope_of(&r.site.counties[i].code, Reads::of(&[Read::Results, Read::Milestones]));
        Some((&r.rollups[i], own))
    }

    /// Whether anything is known of the county with `code` beyond its name.
    pub fn has_data(&self, code: &str) -> bool {
        for t in [Read::Results, Read::Milestones, Read::Metrics, Read::Narratives] {
            self.check(t, code);
        }
        self.reading.index_of(code).is_some_and(|i| self.reading.has_data()[i])
    }

    /// The area of a code as `{code, kind, name, path}`.
    pub fn area(&self, code: &str) -> Value {
        let areas = self.reading.areas.get_or_init(|| {
            let s = self.site();
            let mut areas = HashMap::default();
            for p in s.provinces.iter() {
                areas.insert(
                    p.code.clone(),
                    ("province", p.name.clone(), p.name_en.clone(), format!("province/{}/", p.code)),
                );
            }
            for p in s.prefectures.iter() {
                areas.insert(
                    p.code.clone(),
                    ("prefecture", p.name.clone(), p.name_en.clone(), format!("prefecture/{}/", p.code)),
                );
            }
            for c in s.counties.iter() {
                areas.insert(
                    c.code.clone(),
                    ("county", c.name.clone(), c.name_en.clone(), format!("county/{}/", c.code)),
                );
            }
            areas.insert(NATIONAL_AREA.into(), ("national", String::new(), None, "timeline/".into()));
            areas
        });
        match areas.get(code) {
            Some((kind, name, name_en, path)) => {
                json!({ "code": code, "kind": kind, "name": name, "name_en": name_en, "path": path })
            }
            None => json!({ "code": code, "kind": "unknown", "name": code, "path": "" }),
        }
    }

    /// The releases of the revision history (site-wide), oldest first.
    pub fn releases(&self) -> &'s [crate::model::revisions::Release] {
        &self.site().revisions.releases
    }

    /// The figures of an area revised, by release.
    pub fn revisions_of(&self, area: &str) -> &'s [crate::model::revisions::Change] {
        self.check(Read::Revisions, area);
        self.site().revisions.changes.of(area)
    }

    /// Every revised figure.
    pub fn revisions(&self) -> &'s [crate::model::revisions::Change] {
        self.check_all(Read::Revisions);
        &self.site().revisions.changes
    }

    /// The latest step reached in a regime by a county: (step 1–4, milestone).
    pub fn status(&self, code: &str, scheme: crate::model::Scheme) -> Option<(u8, &'s Milestone)> {
        self.check(Read::Milestones, code);
        self.site().status(code, scheme)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Analysed {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        crate::pipeline::analyse(root).expect("the demo site loads")
    }

    // Guards the scopes' two promises: a read outside a scope panics, and a scope's hash
    // changes exactly when what it lets through changes.
    #[test]
    fn scopes_let_through_and_hash_only_what_they_name() {
        let site = demo();
        let code = site.counties[0].code.as_str();
        let other = site.counties[1].code.as_str();
        let reading = Reading::new(&site);
        let scope = reading.scope(vec![code], Reads::of(&[Read::Milestones]));
        scope.milestones_of(code);
        let outside = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| scope.milestones_of(other)));
        assert!(outside.is_err(), "another county's milestones are outside the scope");
        let outside = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| scope.sheets_of(code)));
        assert!(outside.is_err(), "the county's sheets are outside the scope");
        let key = |site: &Analysed, areas: Vec<&str>, tables: Reads| {
            let reading = Reading::new(site);
            let mut h = DefaultHasher::new();
            reading.scope(areas, tables).hash(&mut h);
            h.finish()
        };
        let mut edited = site.clone();
        let mut milestones: Vec<Milestone> = edited.milestones.to_vec();
        let at = milestones.iter().position(|m| m.area == other).expect("a milestone of the second county");
        milestones[at].title.push('!');
        edited.site.milestones = std::sync::Arc::new(milestones.into());
        let both = || vec![code, other];
        let (ms, results) = (Reads::of(&[Read::Milestones]), Reads::of(&[Read::Results]));
        assert_eq!(key(&site, vec![code], ms), key(&edited, vec![code], ms));
        assert_ne!(key(&site, both(), ms), key(&edited, both(), ms));
        assert_eq!(key(&site, both(), results), key(&edited, both(), results));
        let everywhere = |site: &Analysed, t: Reads| {
            let mut h = DefaultHasher::new();
            Reading::new(site).everywhere(t).hash(&mut h);
            h.finish()
        };
        assert_ne!(everywhere(&site, ms), everywhere(&edited, ms));
        assert_eq!(everywhere(&site, results), everywhere(&edited, results));
    }
}
