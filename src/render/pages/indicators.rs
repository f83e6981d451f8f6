//! The indicators' pages: each indicator's ranking of the counties, and their list.

use super::*;

/// What each indicator's page ranks: every county's latest coefficient of the indicator per
/// level, made from every county's sheets by one job ([`rankings_job`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    scheme: Scheme,
    id: &'static str,
    /// Per level ([`Level::ALL`]), the ranked rows.
    levels: Vec<Vec<views::Ranked>>,
    /// The hash of `levels`: what an indicator's page is keyed on.
    hash: u64,
}

impl Hash for Ranking {
    fn hash<H: Hasher>(&self, h: &mut H) {
        (self.scheme, self.id, self.hash).hash(h);
    }
}

/// Every indicator's ranking.
pub type Rankings = std::sync::Arc<Vec<Ranking>>;

#[derive(Hash, Debug)]
struct RankingInputs<'r, 's> {
    scope: Scope<'r, 's>,
}

fn rankings(i: &RankingInputs, _: &dyn Sink) -> Rankings {
    use rayon::prelude::*;
    let scope = &i.scope;
    let indicators: Vec<(Scheme, &'static str)> = Scheme::ALL
        .into_iter()
        .flat_map(|scheme| scope.rules().of(scheme).indicators.iter().map(move |ind| (scheme, ind.id)))
        .collect();
    let rankings = indicators
        .into_par_iter()
        .map(|(scheme, id)| {
            let levels: Vec<_> = Level::ALL.iter().map(|&level| views::ranking(scope, scheme, id, level)).collect();
            let mut h = std::hash::DefaultHasher::new();
            levels.hash(&mut h);
            Ranking { scheme, id, levels, hash: h.finish() }
        })
        .collect();
    std::sync::Arc::new(rankings)
}

/// The job ranking every indicator (it reads every county's sheets).
pub fn rankings_job<'a>(reading: &'a Reading<'a>) -> Job<'a, Rankings> {
    let scope = reading.everywhere(Reads::of(&[Read::Results]));
    Job::new("rankings", RankingInputs { scope }, rankings)
}

/// Ranks on one page of an indicator's ranking, per level: a national ranking (2,854 counties a
/// level) is split into pages of ranks 1–1,000, 1,001–2,000, … so that each stays light for a
/// phone (docs/limits.md); every rank is in the `results` download.
pub(super) const RANKS_PER_PAGE: usize = 1000;

/// The path of page `i` (from 0) of an indicator's ranking.
fn ranking_path(r: &Ranking, i: usize) -> String {
    let base = format!("indicators/{}/{}/", r.scheme.id(), r.id);
    if i == 0 { base } else { format!("{base}{}/", i + 1) }
}

/// One page of an indicator's ranking.
#[derive(Hash, Debug)]
struct Indicator<'a> {
    ranking: &'a Ranking,
    /// This page (from 0) and how many there are.
    part: usize,
    parts: usize,
}

impl Kind for Indicator<'_> {
    fn context(&self, scope: &Scope, _: &Frame) -> Context {
        let Ranking { scheme, id, levels, .. } = self.ranking;
        let ranks = self.part * RANKS_PER_PAGE..(self.part + 1) * RANKS_PER_PAGE;
        let longest = levels.iter().map(Vec::len).max().unwrap_or(0);
        let rules = scope.rules().of(*scheme);
        let ind = rules.indicators.iter().find(|i| i.id == *id).expect("rankings are made from the rules");
        let levels: Vec<Value> = Level::ALL
            .iter()
            .zip(levels)
            .map(|(&level, ranking)| {
                context::object([
                    ("level", json!(level)),
                    ("threshold", json!(rules.threshold(level))),
                    ("standard", json!(ind.standard_for(level))),
                    (
                        "ranking",
                        views::ranking_view(
                            scope,
                            &ranking[ranks.start.min(ranking.len())..ranks.end.min(ranking.len())],
                            ranks.start + 1,
                        ),
                    ),
                    ("total", json!(ranking.len())),
                ])
            })
            .collect();
        let illustrative = levels
            .iter()
            .flat_map(|l| l["ranking"].as_array().into_iter().flatten())
            .any(|r| r["illustrative"] == Value::Bool(true));
        context::object([
            ("illustrative", json!(illustrative)),
            ("indicator", json!({ "scheme": scheme, "id": ind.id, "decimals": ind.decimals })),
            ("rules", json!({ "document": rules.document, "version": rules.version })),
            ("levels", Value::Array(levels)),
            ("part", json!(self.part + 1)),
            (
                "pages",
                Value::Array(
                    (0..self.parts)
                        .map(|i| {
                            json!({ "n": i + 1, "path": ranking_path(self.ranking, i),
                "first": i * RANKS_PER_PAGE + 1, "last": ((i + 1) * RANKS_PER_PAGE).min(longest) })
                        })
                        .collect(),
                ),
            ),
        ])
        .into()
    }
}

/// The list of indicators.
#[derive(Hash, Debug)]
struct IndicatorList;

impl Kind for IndicatorList {
    fn context(&self, scope: &Scope, _: &Frame) -> Context {
        let rules = scope.rules();
        let index: Vec<Value> = Scheme::ALL
            .into_iter()
            .flat_map(|scheme| rules.of(scheme).indicators.iter().map(move |i| json!({ "scheme": scheme, "id": i.id })))
            .collect();
        json!({ "indicators": index, "basic": &rules.basic, "quality": &rules.quality }).into()
    }
}

/// Each indicator's ranking, and the list of indicators.
pub(super) fn indicators(p: &mut Plan) {
    let rankings = p.rankings;
    for ranking in rankings.iter() {
        let longest = ranking.levels.iter().map(Vec::len).max().unwrap_or(0);
        let parts = longest.div_ceil(RANKS_PER_PAGE).max(1);
        for part in 0..parts {
            let scope = p.reading.site_wide();
            let kind = Indicator { ranking, part, parts };
            p.push(ranking_path(ranking, part), "indicator.html", ranking.id.to_string(), scope, kind);
        }
    }
    let scope = p.reading.site_wide();
    p.push("indicators/".into(), "indicators.html", String::new(), scope, IndicatorList);
}
