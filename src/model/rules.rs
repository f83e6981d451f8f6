//! The rules of both regimes as data: indicators, thresholds, per-school standards, the
//! combined-school split weights and the scope of teaching points.
//!
//! One table per regime, versioned by the document that sets it (docs/domain.md §1–§5). The
//! official values are constants; a site may override the ones docs/domain.md marks as settings
//! in `site.toml` `[rules]`, and pages state the rule set used and
//! every override. The indicator engine and the verdicts read the same [`Rules`] value.

use serde::Serialize;

use super::{Level, Scheme};
// The `[rules]` settings of `site.toml` are read with the configuration.
pub use crate::config::{EquipmentUnit, RuleOverrides, SplitWeights, TeachingPoints};

/// One indicator of one regime.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Indicator {
    /// Id used in `indicators.csv` (docs/domain.md §2–§3).
    pub id: &'static str,
    /// The regime it belongs to.
    pub scheme: Scheme,
    /// Decimals shown for the county value.
    pub decimals: u8,
    /// Per-school standard (quality balance) for primary and junior schools.
    pub standard: Option<[f64; 2]>,
    /// The `schools.csv` column holding the resource counted.
    pub resource: &'static str,
    /// True for "每百名学生" indicators (value × 100).
    pub per_hundred: bool,
}

impl Indicator {
    /// True when the resource is a whole-school facility, apportioned between levels.
    pub fn is_facility(&self) -> bool {
        FACILITY_COLUMNS.contains(&self.resource)
    }

    /// The per-school standard for a level, if this regime sets one.
    pub fn standard_for(&self, level: Level) -> Option<f64> {
        self.standard.map(|s| s[level as usize])
    }
}

/// The facility columns of `schools.csv`: whole-school figures split between levels.
pub const FACILITY_COLUMNS: &[&str] =
    &["teaching_area_m2", "sports_area_m2", "equipment_yuan", "computers", "books", "multimedia_rooms"];

/// A regime's rule set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleSet {
    /// The regime.
    pub scheme: Scheme,
    /// Identifier of the rule set, e.g. `教督〔2012〕3号`.
    pub document: &'static str,
    /// Year of the document.
    pub version: u16,
    /// Indicators in official order.
    pub indicators: &'static [Indicator],
    /// Basic: threshold of the composite; quality: threshold of each CV (primary, junior).
    pub cv_threshold: [f64; 2],
}

const fn ind(
    id: &'static str,
    scheme: Scheme,
    decimals: u8,
    standard: Option<[f64; 2]>,
    resource: &'static str,
    per_hundred: bool,
) -> Indicator {
    Indicator { id, scheme, decimals, standard, resource, per_hundred }
}

/// The 8 indicators of basic balance, in official order (docs/domain.md §2).
pub const BASIC_INDICATORS: &[Indicator] = &[
    ind("teaching_area", Scheme::Basic, 2, None, "teaching_area_m2", false),
    ind("sports_area", Scheme::Basic, 2, None, "sports_area_m2", false),
    ind("equipment_value", Scheme::Basic, 0, None, "equipment_yuan", false),
    ind("computers", Scheme::Basic, 2, None, "computers", true),
    ind("books", Scheme::Basic, 2, None, "books", false),
    ind("teacher_ratio", Scheme::Basic, 3, None, "teachers", false),
    ind("teachers_above_degree", Scheme::Basic, 3, None, "teachers_above_degree", false),
    ind("teachers_mid_title", Scheme::Basic, 3, None, "teachers_mid_title", false),
];

/// The 7 indicators of quality balance with their per-school standards (docs/domain.md §3).
pub const QUALITY_INDICATORS: &[Indicator] = &[
    ind("teachers_above_degree", Scheme::Quality, 2, Some([4.2, 5.3]), "teachers_above_degree", true),
    ind("teachers_backbone", Scheme::Quality, 2, Some([1.0, 1.0]), "teachers_backbone", true),
    ind("teachers_pe_art", Scheme::Quality, 2, Some([0.9, 0.9]), "teachers_pe_art", true),
    ind("teaching_area", Scheme::Quality, 2, Some([4.5, 5.8]), "teaching_area_m2", false),
    ind("sports_area", Scheme::Quality, 2, Some([7.5, 10.2]), "sports_area_m2", false),
    ind("equipment_value", Scheme::Quality, 0, Some([2000.0, 2500.0]), "equipment_yuan", false),
    ind("multimedia_rooms", Scheme::Quality, 2, Some([2.3, 2.4]), "multimedia_rooms", true),
];

/// Pupils of a whole school (its compulsory levels) above which it is over the size limit of
/// the 2017 method: 2,000, and 2,500 for nine-year and twelve-year schools.
pub fn school_size_limit(school_type: &str) -> u64 {
    if matches!(school_type, "nine_year" | "twelve_year") { 2500 } else { 2000 }
}

/// Pupils above which a class is large under the 2017 method: 45 in primary, 50 in junior
/// secondary school.
pub fn large_class_limit(level: Level) -> u32 {
    match level {
        Level::Primary => 45,
        Level::Junior => 50,
    }
}

/// Basic balance, 教督〔2012〕3号: composite ≤ 0.65 (primary), ≤ 0.55 (junior) [S].
pub const BASIC_2012: RuleSet = RuleSet {
    scheme: Scheme::Basic,
    document: "教督〔2012〕3号",
    version: 2012,
    indicators: BASIC_INDICATORS,
    cv_threshold: [0.65, 0.55],
};

/// Quality balance, 教督〔2017〕6号: each CV ≤ 0.50 (primary), ≤ 0.45 (junior) [V].
pub const QUALITY_2017: RuleSet = RuleSet {
    scheme: Scheme::Quality,
    document: "教督〔2017〕6号",
    version: 2017,
    indicators: QUALITY_INDICATORS,
    cv_threshold: [0.50, 0.45],
};

impl RuleSet {
    /// The official rule set of a regime.
    pub fn of(scheme: Scheme) -> &'static RuleSet {
        match scheme {
            Scheme::Basic => &BASIC_2012,
            Scheme::Quality => &QUALITY_2017,
        }
    }

    /// The indicator `id` of this regime.
    pub fn indicator(&self, id: &str) -> Option<&'static Indicator> {
        self.indicators.iter().find(|i| i.id == id)
    }

    /// The CV threshold for a level.
    pub fn threshold(&self, level: Level) -> f64 {
        self.cv_threshold[level as usize]
    }
}

/// The rules in force for a site: the official tables with the site's overrides applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rules {
    /// Basic balance.
    pub basic: RuleSet,
    /// Quality balance.
    pub quality: RuleSet,
    /// Combined-school split.
    pub split: SplitWeights,
    /// Teaching points in basic balance.
    pub teaching_points: TeachingPoints,
    /// Quality scope: teaching points under this many pupils are left out.
    pub quality_min_teaching_point_pupils: u32,
    /// Multiplier turning `equipment_yuan` into 元.
    pub equipment_factor: f64,
    /// The keys the site overrode, for pages to state.
    pub overridden: Vec<String>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules::with_overrides(&RuleOverrides::default())
    }
}

impl Rules {
    /// The official rules with `o` applied.
    pub fn with_overrides(o: &RuleOverrides) -> Rules {
        let mut basic = BASIC_2012;
        let mut overridden = Vec::new();
        if let Some(t) = o.basic_composite_threshold {
            basic.cv_threshold = t;
            overridden.push(format!("basic_composite_threshold = [{}, {}]", t[0], t[1]));
        }
        if let Some(s) = o.split {
            overridden.push(format!(
                "split = {{ nine_year_junior = {}, complete_secondary_senior = {}, twelve_year_junior = {}, twelve_year_senior = {} }}",
                s.nine_year_junior, s.complete_secondary_senior, s.twelve_year_junior, s.twelve_year_senior
            ));
        }
        if let Some(tp) = o.teaching_points {
            overridden.push(format!("teaching_points = {}", serde_json::to_value(tp).expect("plain enum")));
        }
        if let Some(n) = o.quality_min_teaching_point_pupils {
            overridden.push(format!("quality_min_teaching_point_pupils = {n}"));
        }
        if let Some(u) = o.equipment_unit {
            overridden.push(format!("equipment_unit = {}", serde_json::to_value(u).expect("plain enum")));
        }
        Rules {
            basic,
            quality: QUALITY_2017,
            split: o.split.unwrap_or_default(),
            teaching_points: o.teaching_points.unwrap_or(TeachingPoints::Merge),
            quality_min_teaching_point_pupils: o.quality_min_teaching_point_pupils.unwrap_or(50),
            equipment_factor: match o.equipment_unit {
                Some(EquipmentUnit::WanYuan) => 10_000.0,
                _ => 1.0,
            },
            overridden,
        }
    }

    /// The rule set of a regime.
    pub fn of(&self, scheme: Scheme) -> &RuleSet {
        match scheme {
            Scheme::Basic => &self.basic,
            Scheme::Quality => &self.quality,
        }
    }
}

/// The mean of a sheet's published coefficients, and whether a published composite `given`
/// departs from it by more than their rounding allows: half a unit of the composite's last
/// decimal plus the mean of the coefficients' half units (3 decimals when unknown).
///
/// ```
/// use junheng::model::rules::composite_against_mean;
/// let cvs = [(0.39, Some(2)); 8];
/// let (mean, departs) = composite_against_mean(0.443, Some(3), &cvs);
/// assert!((mean - 0.39).abs() < 1e-12 && departs);
/// assert!(!composite_against_mean(0.394, Some(3), &cvs).1, "within 0.0005 + 0.005");
/// ```
pub fn composite_against_mean(given: f64, given_decimals: Option<u8>, cvs: &[(f64, Option<u8>)]) -> (f64, bool) {
    let half = |d: Option<u8>| 0.5 * 10f64.powi(-(d.unwrap_or(3) as i32));
    let n = cvs.len().max(1) as f64;
    let mean = cvs.iter().map(|c| c.0).sum::<f64>() / n;
    let allowed = half(given_decimals) + cvs.iter().map(|c| half(c.1)).sum::<f64>() / n;
    (mean, (given - mean).abs() > allowed * (1.0 + 1e-9))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Guards the counts and thresholds of docs/domain.md §1–§3.
    #[test]
    fn tables_match_the_documents() {
        assert_eq!(BASIC_2012.indicators.len(), 8);
        assert_eq!(QUALITY_2017.indicators.len(), 7);
        assert_eq!(BASIC_2012.threshold(Level::Primary), 0.65);
        assert_eq!(BASIC_2012.threshold(Level::Junior), 0.55);
        assert_eq!(QUALITY_2017.threshold(Level::Junior), 0.45);
        let area = QUALITY_2017.indicator("sports_area").unwrap();
        assert_eq!(area.standard_for(Level::Junior), Some(10.2));
        assert!(BASIC_2012.indicator("multimedia_rooms").is_none());
        assert!(area.is_facility());
        assert!(!QUALITY_2017.indicator("teachers_backbone").unwrap().is_facility());
    }

    // Guards the split weights of docs/domain.md §5 and their overrides.
    #[test]
    fn split_weights_and_overrides() {
        let r = Rules::default();
        assert_eq!(r.split.for_type("nine_year"), [1.0, 1.1, 0.0]);
        assert_eq!(r.split.for_type("complete_secondary"), [0.0, 1.0, 1.2]);
        assert_eq!(r.split.for_type("twelve_year"), [1.0, 1.1, 1.32]);
        assert!(r.overridden.is_empty());
        let o: RuleOverrides =
            toml::from_str("basic_composite_threshold = [0.6, 0.5]\nteaching_points = \"exclude\"\n").unwrap();
        let r = Rules::with_overrides(&o);
        assert_eq!(r.basic.threshold(Level::Junior), 0.5);
        assert_eq!(r.teaching_points, TeachingPoints::Exclude);
        assert_eq!(r.overridden.len(), 2);
        assert_eq!(r.overridden[1], "teaching_points = \"exclude\"");
    }
}
