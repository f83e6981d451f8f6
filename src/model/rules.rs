//! The rules of both regimes as data: indicators, thresholds and per-school standards.
//!
//! One table per regime, versioned by the document that sets it (DOMAIN.md §1–3). Pages state
//! which rule set was used; the indicator engine reads the same tables.

use serde::Serialize;

use super::{Level, Scheme};

/// One indicator of one regime.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Indicator {
    /// Id used in `indicators.csv` (DOMAIN.md tables 2–3).
    pub id: &'static str,
    /// The regime it belongs to.
    pub scheme: Scheme,
    /// Decimals shown for the county value.
    pub decimals: u8,
    /// Per-school standard (quality balance) for primary and junior schools.
    pub standard: Option<[f64; 2]>,
}

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

const fn ind(id: &'static str, scheme: Scheme, decimals: u8, standard: Option<[f64; 2]>) -> Indicator {
    Indicator { id, scheme, decimals, standard }
}

/// The 8 indicators of basic balance, in official order.
pub const BASIC_INDICATORS: &[Indicator] = &[
    ind("teaching_area", Scheme::Basic, 2, None),
    ind("sports_area", Scheme::Basic, 2, None),
    ind("equipment_value", Scheme::Basic, 0, None),
    ind("computers", Scheme::Basic, 2, None),
    ind("books", Scheme::Basic, 2, None),
    ind("teacher_ratio", Scheme::Basic, 3, None),
    ind("teachers_above_degree", Scheme::Basic, 3, None),
    ind("teachers_mid_title", Scheme::Basic, 3, None),
];

/// The 7 indicators of quality balance with their per-school standards.
pub const QUALITY_INDICATORS: &[Indicator] = &[
    ind("teachers_above_degree", Scheme::Quality, 2, Some([4.2, 5.3])),
    ind("teachers_backbone", Scheme::Quality, 2, Some([1.0, 1.0])),
    ind("teachers_pe_art", Scheme::Quality, 2, Some([0.9, 0.9])),
    ind("teaching_area", Scheme::Quality, 2, Some([4.5, 5.8])),
    ind("sports_area", Scheme::Quality, 2, Some([7.5, 10.2])),
    ind("equipment_value", Scheme::Quality, 0, Some([2000.0, 2500.0])),
    ind("multimedia_rooms", Scheme::Quality, 2, Some([2.3, 2.4])),
];

/// Basic balance, 教督〔2012〕3号: composite ≤ 0.65 (primary), ≤ 0.55 (junior).
pub const BASIC_2012: RuleSet = RuleSet {
    scheme: Scheme::Basic,
    document: "教督〔2012〕3号",
    version: 2012,
    indicators: BASIC_INDICATORS,
    cv_threshold: [0.65, 0.55],
};

/// Quality balance, 教督〔2017〕6号: each CV ≤ 0.50 (primary), ≤ 0.45 (junior).
pub const QUALITY_2017: RuleSet = RuleSet {
    scheme: Scheme::Quality,
    document: "教督〔2017〕6号",
    version: 2017,
    indicators: QUALITY_INDICATORS,
    cv_threshold: [0.50, 0.45],
};

impl RuleSet {
    /// The rule set of a regime.
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

impl Indicator {
    /// The per-school standard for a level, if this regime sets one.
    pub fn standard_for(&self, level: Level) -> Option<f64> {
        self.standard.map(|s| s[level as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Guards the counts and thresholds of DOMAIN.md §1–3.
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
    }
}
