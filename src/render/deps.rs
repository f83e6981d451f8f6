//! What pages are made from, hashed without building their contexts: the preview server
//! reuses a page whose inputs hash as before, so a one-county edit re-renders that county's
//! pages and the roll-ups, not every page.
//!
//! A page kind may declare its inputs here only if its context reads nothing else; the
//! testsuite checks cached rebuilds against clean renders after random sequences of edits.

use rustc_hash::FxHashMap as HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use crate::engine::{Analysed, Sheet};
use crate::model::{County, Grouped, Level, Prefecture, Province, Scheme, Source};
use crate::util::hash::add;
use rayon::prelude::*;

/// The areas and the sources, hashed; kept while they are the same (`Arc`).
pub type AreaHash = (Arc<Vec<County>>, Arc<Vec<Prefecture>>, Arc<Vec<Province>>, Arc<Vec<Source>>, u64);

/// Per indicator (regime and id): what its page's ranking reads of the sheets, hashed
/// ([`ranking_hashes`]); kept while the sheets and the counties are the same (`Arc`).
pub type RankingHashes = (Arc<Grouped<Sheet>>, Arc<Vec<County>>, Arc<HashMap<(Scheme, &'static str), u64>>);

/// The hashes a rebuild takes over while what they were made from is the same. (Each area's
/// rows are hashed by the tables themselves: [`Grouped::hash_of`].)
#[derive(Debug, Default)]
pub struct Kept {
    /// The areas and the sources.
    pub areas: Option<AreaHash>,
    /// What each indicator's ranking reads.
    pub rankings: Option<RankingHashes>,
}

/// The inputs of the pages that declare them, and of the downloads.
pub struct Deps<'s> {
    /// Everything site-wide: configuration and rules, the areas, the sources, the pages other
    /// than county narratives, the theme and the stylesheet's version.
    pub global: u64,
    /// The site-wide data: configuration and rules, the areas, the sources.
    pub site_data: u64,
    /// Per county: its data (published rows, milestones, metrics, school rows).
    pub data: HashMap<&'s str, u64>,
    /// Over all counties and areas, with the site-wide data: the school rows, the published
    /// rows, the milestones, the metrics.
    pub kinds: [u64; 4],
    /// Per county: its narratives.
    pub narrative: HashMap<&'s str, u64>,
    /// Everything but the theme: every county's data and narratives, the areas' own rows, the
    /// pages (the site's feed).
    pub everything: u64,
    /// The downloads: the site-wide data (not the theme or the pages), every county's data and
    /// the areas' own milestones and metrics.
    pub downloads: u64,
    /// The site (each area's rows hashed by its tables).
    site: &'s Analysed,
    /// Per indicator: what its ranking reads.
    rankings: Arc<HashMap<(Scheme, &'static str), u64>>,
}

impl<'s> Deps<'s> {
    /// Hashes the inputs of `site`, taking from `kept` the hashes of what is the same as
    /// before; returns the hashes to keep.
    pub fn of(site: &'s Analysed, theme: u64, css_version: &str, kept: Kept) -> (Self, Kept) {
        let Kept { areas: kept_areas, rankings: kept_rankings } = kept;
        let rankings = match kept_rankings {
            Some(k) if Arc::ptr_eq(&k.0, &site.sheets) && Arc::ptr_eq(&k.1, &site.counties) => k,
            _ => (site.sheets.clone(), site.counties.clone(), Arc::new(ranking_hashes(site))),
        };
        // The site-wide data: configuration and rules, the areas, the sources (the areas and
        // sources hashed again only when they are not the same as before).
        let areas = match kept_areas {
            Some(kept)
                if Arc::ptr_eq(&kept.0, &site.counties)
                    && Arc::ptr_eq(&kept.1, &site.prefectures)
                    && Arc::ptr_eq(&kept.2, &site.provinces)
                    && Arc::ptr_eq(&kept.3, &site.sources) =>
            {
                kept
            }
            _ => {
                let mut h = DefaultHasher::new();
                add(&mut h, &site.counties);
                add(&mut h, &site.prefectures);
                add(&mut h, &site.provinces);
                add(&mut h, &site.sources);
                let (c, p, v, s) = (&site.counties, &site.prefectures, &site.provinces, &site.sources);
                (c.clone(), p.clone(), v.clone(), s.clone(), h.finish())
            }
        };
        let mut h = DefaultHasher::new();
        add(&mut h, &site.config);
        add(&mut h, &site.rules);
        areas.4.hash(&mut h);
        let site_data = h.finish();
        let mut h = DefaultHasher::new();
        (site_data, theme, css_version).hash(&mut h);
        for p in site.pages.iter().filter(|p| p.section != "counties") {
            p.hash(&mut h);
        }
        let global = h.finish();
        let parts: HashMap<&str, [u64; 4]> = site
            .counties
            .iter()
            .map(|c| {
                let code = c.code.as_str();
                let [schools, reported] = [site.schools.hash_of(code), site.reported.hash_of(code)];
                (code, [schools, reported, site.milestones.hash_of(code), site.metrics.hash_of(code)])
            })
            .collect();
        let data: HashMap<&str, u64> = parts
            .iter()
            .map(|(code, p)| {
                let mut h = DefaultHasher::new();
                p.hash(&mut h);
                (*code, h.finish())
            })
            .collect();
        // Each kind of data over all counties (and the areas' own rows), for the national tables.
        let mut kinds = [0u64; 4];
        for (i, kind) in kinds.iter_mut().enumerate() {
            let mut h = DefaultHasher::new();
            site_data.hash(&mut h);
            for c in site.counties.iter() {
                parts[c.code.as_str()][i].hash(&mut h);
            }
            for code in site
                .prefectures
                .iter()
                .map(|p| p.code.as_str())
                .chain(site.provinces.iter().map(|p| p.code.as_str()))
                .chain([crate::model::NATIONAL_AREA])
            {
                match i {
                    2 => site.milestones.hash_of(code).hash(&mut h),
                    3 => site.metrics.hash_of(code).hash(&mut h),
                    _ => {}
                }
            }
            *kind = h.finish();
        }
        let narrative: HashMap<&str, u64> = site
            .counties
            .par_iter()
            .map(|c| {
                let mut h = DefaultHasher::new();
                site.pages_of("counties", &c.code).hash(&mut h);
                (c.code.as_str(), h.finish())
            })
            .collect();
        // Every kind of data: what the downloads read.
        let mut h = DefaultHasher::new();
        kinds.hash(&mut h);
        let downloads = h.finish();
        let mut h = DefaultHasher::new();
        (global, downloads).hash(&mut h);
        for c in site.counties.iter() {
            narrative[c.code.as_str()].hash(&mut h);
        }
        let everything = h.finish();
        let deps = Deps {
            global,
            site_data,
            data,
            kinds,
            narrative,
            downloads,
            everything,
            site,
            rankings: rankings.2.clone(),
        };
        let kept = Kept { areas: Some(areas), rankings: Some(rankings) };
        (deps, kept)
    }

    /// The inputs of an indicator's page: what is site-wide and what its ranking reads.
    pub fn indicator(&self, scheme: Scheme, id: &str) -> u64 {
        let mut h = DefaultHasher::new();
        (self.global, self.rankings.get(&(scheme, id))).hash(&mut h);
        h.finish()
    }

    /// The inputs of a part of the downloads: a national table by its name, or one county's
    /// files by its code. A table not named here depends on everything.
    pub fn download_key(&self, part: &str) -> u64 {
        let [schools, reported, milestones, metrics] = self.kinds;
        let mut h = DefaultHasher::new();
        part.hash(&mut h);
        match part {
            "counties" | "sources" => self.site_data.hash(&mut h),
            "indicators" => reported.hash(&mut h),
            "milestones" => milestones.hash(&mut h),
            "metrics" => metrics.hash(&mut h),
            "schools" | "school_terms" => schools.hash(&mut h),
            "results" => (reported, schools).hash(&mut h),
            code => match self.data.get(code) {
                Some(data) => (self.site_data, data).hash(&mut h),
                None => self.downloads.hash(&mut h),
            },
        }
        h.finish()
    }

    /// The inputs of a national page that reads only some kinds of data: what is site-wide and
    /// those kinds (0 school rows, 1 published rows, 2 milestones, 3 metrics) over all counties
    /// and areas.
    pub fn national(&self, kinds: &[usize]) -> u64 {
        let mut h = DefaultHasher::new();
        self.global.hash(&mut h);
        for &k in kinds {
            self.kinds[k].hash(&mut h);
        }
        h.finish()
    }

    /// The inputs of an area's page: what is site-wide, the data of its counties, and the
    /// milestones and metrics of the `areas` it shows.
    pub fn area(&self, counties: &[String], areas: &[&str]) -> u64 {
        let mut h = DefaultHasher::new();
        self.global.hash(&mut h);
        for c in counties {
            self.data.get(c.as_str()).hash(&mut h);
        }
        for a in areas {
            (self.site.milestones.hash_of(a), self.site.metrics.hash_of(a)).hash(&mut h);
        }
        h.finish()
    }

    /// The inputs of a county's page that shows none of its narratives (an audit trail): its
    /// data, what is site-wide, and `extra`.
    pub fn county_data_page(&self, code: &str, extra: impl Hash) -> u64 {
        let mut h = DefaultHasher::new();
        (self.global, self.data.get(code), extra).hash(&mut h);
        h.finish()
    }

    /// The inputs of a county's own pages: its data and narratives, what is site-wide, and
    /// `extra` (what else the page shows, e.g. its download files).
    pub fn county(&self, code: &str, extra: impl Hash) -> u64 {
        let mut h = DefaultHasher::new();
        (self.global, self.data.get(code), self.narrative.get(code), extra).hash(&mut h);
        h.finish()
    }
}

/// What each indicator's page shows of the sheets, hashed per regime and indicator: each
/// county's latest row of that indicator with a CV per level ([`crate::engine::latest_row`], as
/// the ranking picks it), with the county's code and names.
pub fn ranking_hashes(site: &Analysed) -> HashMap<(Scheme, &'static str), u64> {
    let indicators: Vec<(Scheme, &'static str)> = Scheme::ALL
        .into_iter()
        .flat_map(|scheme| site.rules.of(scheme).indicators.iter().map(move |i| (scheme, i.id)))
        .collect();
    let mut hashers: Vec<DefaultHasher> = vec![DefaultHasher::new(); indicators.len()];
    for c in site.counties.iter() {
        let sheets = site.sheets_of(&c.code);
        for ((scheme, id), h) in indicators.iter().zip(&mut hashers) {
            for level in Level::ALL {
                if let Some((year, r)) = crate::engine::latest_row(sheets, *scheme, level, id) {
                    (level, &c.code, &c.name, &c.name_en, year).hash(h);
                    (r.value.map(f64::to_bits), r.cv.map(f64::to_bits), r.meets, r.decimals).hash(h);
                }
            }
        }
    }
    indicators.into_iter().zip(hashers).map(|(key, h)| (key, h.finish())).collect()
}
