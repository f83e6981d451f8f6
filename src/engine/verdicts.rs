//! Verdicts: published rows and the engine's results merged into [`Sheet`]s, one per county,
//! school year, level and regime, with each indicator's verdict and the basic composite.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use super::Computed;
use crate::model::rules::Rules;
use crate::model::{IndicatorRef, Level, Reported, Scheme, SchoolYear};

/// One indicator line of a [`Sheet`], with its verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SheetRow {
    /// Indicator id.
    pub indicator: &'static str,
    /// The county value shown: computed from school data when they exist, else published.
    pub value: Option<f64>,
    /// The published county value.
    pub reported_value: Option<f64>,
    /// The county value computed from school data.
    pub computed_value: Option<f64>,
    /// The CV shown (computed when school data exist, else reported).
    pub cv: Option<f64>,
    /// The published CV.
    pub reported_cv: Option<f64>,
    /// Decimals the published CV was given with.
    pub reported_cv_decimals: Option<u8>,
    /// The CV computed from school data.
    pub computed_cv: Option<f64>,
    /// Published and computed CVs differ beyond the rounding of the published one.
    pub disagrees: Option<bool>,
    /// Quality balance: CV threshold; basic balance has none per indicator.
    pub threshold: Option<f64>,
    /// Quality balance: per-school standard.
    pub standard: Option<f64>,
    /// Whether the CV meets the threshold (quality only).
    pub meets: Option<bool>,
    /// Decimals of the value shown: those it was published with when it is the published one
    /// (4.80 stays 4.80), else the indicator's.
    pub decimals: u8,
    /// Source id of the published figures.
    pub source: Option<String>,
}

impl SheetRow {
    /// Decimals the value shown was published with, when it is the published one; `None` for
    /// a computed one (derived, not kept: a national site holds a million rows).
    pub fn value_decimals(&self) -> Option<u8> {
        (self.computed_value.is_none() && self.value.is_some()).then_some(self.decimals)
    }

    /// Decimals the CV shown was published with, when it is the published one (0.290 stays
    /// 0.290); `None` for a computed one, shown by the display rule.
    pub fn cv_decimals(&self) -> Option<u8> {
        self.reported_cv_decimals.filter(|_| self.computed_cv.is_none() && self.cv.is_some())
    }
}

/// Where a composite comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Mean of the 8 CVs computed from school data.
    Computed,
    /// Published.
    Reported,
    /// Mean of the 8 published CVs.
    MeanOfReported,
}

/// The basic-balance composite of a sheet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Composite {
    /// The composite CV shown and judged.
    pub cv: f64,
    /// Where it comes from.
    pub basis: Basis,
    /// The published composite (or the mean of the published CVs).
    pub reported_cv: Option<f64>,
    /// Decimals the published composite was given with.
    pub reported_cv_decimals: Option<u8>,
    /// The mean of the 8 computed CVs.
    pub computed_cv: Option<f64>,
    /// Published and computed differ beyond the rounding of the published one.
    pub disagrees: Option<bool>,
    /// A composite published beside all its published coefficients: their mean.
    pub reported_mean: Option<f64>,
    /// The published composite departs from `reported_mean` beyond their rounding.
    pub departs_from_mean: Option<bool>,
    /// Threshold for the level.
    pub threshold: f64,
    /// Verdict.
    pub meets: bool,
    /// Source id.
    pub source: Option<String>,
}

impl Composite {
    /// Decimals it was published with, when it is the published composite (shown as
    /// published); `None` for one computed, or the mean of published coefficients.
    pub fn cv_decimals(&self) -> Option<u8> {
        self.reported_cv_decimals.filter(|_| self.basis == Basis::Reported)
    }
}

/// Everything known for one county × school year × level × regime.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sheet {
    /// County code.
    pub county: String,
    /// School year.
    pub school_year: SchoolYear,
    /// Level.
    pub level: Level,
    /// Regime.
    pub scheme: Scheme,
    /// The rule set document used.
    pub rules: &'static str,
    /// One row per indicator of the regime, in official order.
    pub rows: Vec<SheetRow>,
    /// Basic balance: the composite, if published or derivable.
    pub composite: Option<Composite>,
    /// Quality balance: all 7 CVs present and within threshold.
    pub meets_all: Option<bool>,
    /// Schools counted by the engine (none: no school data).
    pub schools: Option<usize>,
    /// The sources of the school data computed from, in order of first use.
    pub school_sources: Option<std::sync::Arc<[std::sync::Arc<str>]>>,
    /// Quality balance: schools failing the per-school rule (the gap list).
    pub failing_schools: Option<usize>,
}

/// True when `computed` differs from `reported` by more than the rounding of `reported`
/// (half a unit of its last decimal; 3 decimals when unknown).
///
/// ```
/// use junheng::engine::disagrees;
/// assert!(!disagrees(0.27, Some(2), 0.2749));
/// assert!(disagrees(0.27, Some(2), 0.2751));
/// assert!(disagrees(0.270, Some(3), 0.2706));
/// ```
pub fn disagrees(reported: f64, decimals: Option<u8>, computed: f64) -> bool {
    let half_unit = 0.5 * 10f64.powi(-(decimals.unwrap_or(3) as i32));
    (computed - reported).abs() > half_unit * (1.0 + 1e-9)
}

/// Merges published rows and computed results into sheets and derives the verdicts: a
/// computed figure is shown and judged where school data exist, the published one otherwise.
pub fn sheets(reported: &[Reported], computed: &[Computed], rules: &Rules) -> Vec<Sheet> {
    type Key<'a> = (&'a str, SchoolYear, Level, Scheme);
    let mut groups: BTreeMap<Key, (Vec<&Reported>, Option<&Computed>)> = BTreeMap::new();
    for r in reported {
        groups.entry((&r.county, r.school_year, r.level, r.scheme)).or_default().0.push(r);
    }
    for c in computed {
        groups.entry((&c.county, c.school_year, c.level, c.scheme)).or_default().1 = Some(c);
    }
    let groups: Vec<_> = groups.into_iter().collect();
    groups
        .into_par_iter()
        .map(|((county, school_year, level, scheme), (rows, comp))| {
            let rule_set = rules.of(scheme);
            let threshold = rule_set.threshold(level);
            let quality = scheme == Scheme::Quality;
            let sheet_rows: Vec<SheetRow> = rule_set
                .indicators
                .iter()
                .enumerate()
                .map(|(i, ind)| {
                    let r = rows.iter().find(|r| r.indicator == IndicatorRef::Indicator(ind.id));
                    let c = comp.map(|c| &c.coefficients[i]);
                    let reported_cv = r.and_then(|r| r.cv);
                    let reported_cv_decimals = r.and_then(|r| r.cv_decimals);
                    let computed_cv = c.and_then(|c| c.cv);
                    let computed_value = c.and_then(|c| c.mean);
                    let cv = computed_cv.or(if comp.is_some() { None } else { reported_cv });
                    SheetRow {
                        indicator: ind.id,
                        value: computed_value.or(r.and_then(|r| r.value)),
                        reported_value: r.and_then(|r| r.value),
                        computed_value,
                        cv,
                        reported_cv,
                        reported_cv_decimals,
                        computed_cv,
                        disagrees: match (reported_cv, computed_cv) {
                            (Some(rep), Some(com)) => Some(disagrees(rep, reported_cv_decimals, com)),
                            _ => None,
                        },
                        threshold: quality.then_some(threshold),
                        standard: ind.standard_for(level),
                        meets: if quality { cv.map(|cv| cv <= threshold) } else { None },
                        decimals: r
                            .filter(|_| computed_value.is_none())
                            .and_then(|r| r.value_decimals)
                            .unwrap_or(ind.decimals),
                        source: r.and_then(|r| r.source.clone()),
                    }
                })
                .collect();
            let composite = (scheme == Scheme::Basic).then(|| composite(&rows, &sheet_rows, comp, threshold)).flatten();
            Sheet {
                county: county.to_string(),
                school_year,
                level,
                scheme,
                rules: rule_set.document,
                meets_all: quality.then(|| sheet_rows.iter().all(|r| r.meets == Some(true))),
                rows: sheet_rows,
                composite,
                schools: comp.map(|c| c.schools),
                school_sources: comp.map(|c| c.sources.clone()),
                failing_schools: comp.and_then(|c| c.compliance.as_ref()).map(|c| c.failing),
            }
        })
        .collect()
}

/// The composite: computed from school data, else published, else the mean of 8 published CVs.
fn composite(
    rows: &[&Reported],
    sheet_rows: &[SheetRow],
    comp: Option<&Computed>,
    threshold: f64,
) -> Option<Composite> {
    let given = rows.iter().find(|r| r.indicator == IndicatorRef::Composite);
    let published: Vec<f64> = sheet_rows.iter().filter_map(|r| r.reported_cv).collect();
    let (reported_cv, reported_cv_decimals, reported_basis) = match given.and_then(|g| g.cv) {
        Some(cv) => (Some(cv), given.and_then(|g| g.cv_decimals), Basis::Reported),
        None if published.len() == sheet_rows.len() => {
            (Some(published.iter().sum::<f64>() / published.len() as f64), Some(3), Basis::MeanOfReported)
        }
        None => (None, None, Basis::Reported),
    };
    // A published composite checked against the published coefficients beside it.
    let against_mean = match (given.and_then(|g| g.cv), published.len() == sheet_rows.len()) {
        (Some(cv), true) => {
            let cvs: Vec<(f64, Option<u8>)> =
                sheet_rows.iter().filter_map(|r| Some((r.reported_cv?, r.reported_cv_decimals))).collect();
            Some(crate::model::rules::composite_against_mean(cv, reported_cv_decimals, &cvs))
        }
        _ => None,
    };
    let computed_cv = comp.and_then(|c| c.composite);
    let (cv, basis) = match (computed_cv, reported_cv) {
        (Some(c), _) => (c, Basis::Computed),
        (None, Some(r)) if comp.is_none() => (r, reported_basis),
        _ => return None,
    };
    Some(Composite {
        cv,
        basis,
        reported_cv,
        reported_cv_decimals,
        computed_cv,
        disagrees: match (reported_cv, computed_cv) {
            (Some(r), Some(c)) => Some(disagrees(r, reported_cv_decimals, c)),
            _ => None,
        },
        reported_mean: against_mean.map(|m| m.0),
        departs_from_mean: against_mean.map(|m| m.1),
        threshold,
        meets: cv <= threshold,
        source: given.and_then(|g| g.source.clone()),
    })
}

/// The latest row of one indicator with a CV among one county's `sheets` of a regime and level,
/// with its school year: what an indicator's ranking shows of that county.
pub fn latest_row<'s>(
    sheets: &'s [Sheet],
    scheme: Scheme,
    level: Level,
    indicator: &str,
) -> Option<(SchoolYear, &'s SheetRow)> {
    sheets
        .iter()
        .filter(|s| s.scheme == scheme && s.level == level)
        .filter_map(|s| s.rows.iter().find(|r| r.indicator == indicator && r.cv.is_some()).map(|r| (s.school_year, r)))
        .max_by_key(|(y, _)| *y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::coefficient_of;
    use crate::model::rules::RuleOverrides;

    fn rep(ind: IndicatorRef, cv: Option<f64>) -> Reported {
        Reported {
            county: "450802".into(),
            school_year: SchoolYear(2020),
            level: Level::Primary,
            scheme: Scheme::Basic,
            indicator: ind,
            value: None,
            value_decimals: None,
            cv,
            cv_decimals: Some(3),
            source: None,
        }
    }

    fn basic_rows(cvs: &[f64]) -> Vec<Reported> {
        BASIC_2012_IDS.iter().zip(cvs).map(|(id, cv)| rep(IndicatorRef::Indicator(id), Some(*cv))).collect()
    }

    // Guards the composite: mean of the 8 published CVs when not given, and its verdict.
    #[test]
    fn composite_is_mean_of_eight_when_not_given() {
        let rows = basic_rows(&[0.393, 0.578, 0.372, 0.246, 0.208, 0.311, 0.311, 0.455]);
        let s = &sheets(&rows, &[], &Rules::default())[0];
        let c = s.composite.as_ref().unwrap();
        assert!((c.cv - 0.35925).abs() < 1e-12);
        assert!(c.basis == Basis::MeanOfReported && c.meets);
        // Seven CVs are not enough to derive a composite.
        assert!(sheets(&rows[..7], &[], &Rules::default())[0].composite.is_none());
    }

    // Guards that a published composite wins and is judged against the level's threshold,
    // including a site's override of the [S] threshold.
    #[test]
    fn published_composite_is_used() {
        let mut r = rep(IndicatorRef::Composite, Some(0.70));
        let c = sheets(&[r.clone()], &[], &Rules::default())[0].composite.clone().unwrap();
        assert!(c.basis == Basis::Reported && !c.meets && c.threshold == 0.65);
        r.level = Level::Junior;
        r.cv = Some(0.56);
        assert!(!sheets(&[r.clone()], &[], &Rules::default())[0].composite.clone().unwrap().meets);
        let loose =
            Rules::with_overrides(&RuleOverrides { basic_composite_threshold: Some([0.7, 0.6]), ..Default::default() });
        assert!(sheets(&[r], &[], &loose)[0].composite.clone().unwrap().meets);
    }

    fn computed_for(cv_target: &[f64]) -> Computed {
        // Two-school coefficients chosen to give the target CVs exactly enough for the test.
        let coefficients = BASIC_2012_IDS
            .iter()
            .zip(cv_target)
            .map(|(id, cv)| {
                // Equal pupils, values 1 ± cv give a weighted CV of exactly `cv`.
                let mut c = coefficient_of(&[(100.0, 100.0 * (1.0 - cv)), (100.0, 100.0 * (1.0 + cv))], 1.0);
                c.indicator = id;
                c
            })
            .collect::<Vec<_>>();
        let composite = Some(coefficients.iter().filter_map(|c| c.cv).sum::<f64>() / 8.0);
        Computed {
            county: "450802".into(),
            school_year: SchoolYear(2020),
            level: Level::Primary,
            scheme: Scheme::Basic,
            units: vec![],
            coefficients,
            composite,
            compliance: None,
            excluded_points: vec![],
            orphan_points: vec![],
            schools: 0,
            school_ids: 0,
            sources: std::sync::Arc::from([]),
            detailed: true,
            audited: true,
        }
    }

    // Guards reported vs computed: the computed figure is shown, disagreements beyond the
    // published rounding are flagged, agreements are not.
    #[test]
    fn computed_wins_and_disagreements_are_flagged() {
        let cvs = [0.2, 0.3, 0.25, 0.2, 0.1, 0.3, 0.3, 0.35];
        let mut rows = basic_rows(&[0.2, 0.3, 0.25, 0.2, 0.1, 0.3, 0.3, 0.351]);
        rows[7].cv_decimals = Some(3);
        rows.push(Reported { cv_decimals: Some(2), ..rep(IndicatorRef::Composite, Some(0.25)) });
        let s = &sheets(&rows, &[computed_for(&cvs)], &Rules::default())[0];
        assert!((s.rows[0].cv.unwrap() - 0.2).abs() < 1e-12);
        assert_eq!(s.rows[0].disagrees, Some(false));
        // 0.351 published with 3 decimals vs 0.35 computed: beyond ±0.0005.
        assert_eq!(s.rows[7].disagrees, Some(true));
        let c = s.composite.as_ref().unwrap();
        assert_eq!(c.basis, Basis::Computed);
        assert!((c.computed_cv.unwrap() - 0.25).abs() < 1e-12);
        assert_eq!(c.disagrees, Some(false));
    }

    // Guards the published 长春 table (shared/reference): each district's composite is the mean
    // of its 8 CVs within ±0.001, and every verdict reproduces.
    #[test]
    fn changchun_reference_table_reproduces() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/reference/jilin-changchun-5-districts-cv.csv");
        let mut reader = csv::Reader::from_path(path).unwrap();
        let headers = reader.headers().unwrap().clone();
        let mut checked = 0;
        for rec in reader.records() {
            let rec = rec.unwrap();
            if &rec[4] != "差异系数" {
                continue;
            }
            let level = Level::parse(&rec[3]).unwrap();
            let cvs: Vec<f64> = (5..13).map(|i| rec[i].parse().unwrap()).collect();
            let published: f64 = rec[headers.iter().position(|h| h == "composite").unwrap()].parse().unwrap();
            let mut rows = basic_rows(&cvs);
            for r in &mut rows {
                r.level = level;
            }
            let derived = sheets(&rows, &[], &Rules::default())[0].composite.clone().unwrap();
            assert!((derived.cv - published).abs() <= 0.001, "{} {:?}: {} vs {published}", &rec[2], level, derived.cv);
            let mut with_published = rows.clone();
            with_published.push(Reported { level, ..rep(IndicatorRef::Composite, Some(published)) });
            let given = sheets(&with_published, &[], &Rules::default())[0].composite.clone().unwrap();
            assert_eq!(derived.meets, given.meets, "{}", &rec[2]);
            assert!(given.meets, "every 长春 district passed basic balance");
            checked += 1;
        }
        assert_eq!(checked, 10);
    }

    const BASIC_2012_IDS: [&str; 8] = [
        "teaching_area",
        "sports_area",
        "equipment_value",
        "computers",
        "books",
        "teacher_ratio",
        "teachers_above_degree",
        "teachers_mid_title",
    ];

    // Guards the published composite checked against the published coefficients beside it:
    // 0.05 above their mean departs, a composite within rounding does not, and a sheet without
    // all its coefficients is not judged.
    // See: #24
    #[test]
    fn a_published_composite_is_checked_against_the_mean() {
        let ids = ["teaching_area", "sports_area", "equipment_value", "computers", "books", "teacher_ratio"];
        let mut rows: Vec<Reported> = ids.iter().map(|id| rep(IndicatorRef::Indicator(id), Some(0.40))).collect();
        rows.push(rep(IndicatorRef::Indicator("teachers_above_degree"), Some(0.38)));
        rows.push(rep(IndicatorRef::Indicator("teachers_mid_title"), Some(0.38)));
        let with = |composite: f64| {
            let mut all = rows.clone();
            all.push(rep(IndicatorRef::Composite, Some(composite)));
            sheets(&all, &[], &Rules::default())[0].composite.clone().unwrap()
        };
        let far = with(0.395 + 0.05);
        assert_eq!((far.departs_from_mean, far.cv), (Some(true), 0.445), "shown as published, flagged");
        assert!((far.reported_mean.unwrap() - 0.395).abs() < 1e-12);
        assert_eq!(with(0.3955).departs_from_mean, Some(false), "within the rounding of 3 decimals");
        assert_eq!(with(0.394).departs_from_mean, Some(false));
        let mut seven = rows[..7].to_vec();
        seven.push(rep(IndicatorRef::Composite, Some(0.9)));
        assert_eq!(sheets(&seven, &[], &Rules::default())[0].composite.clone().unwrap().departs_from_mean, None);
    }
}
