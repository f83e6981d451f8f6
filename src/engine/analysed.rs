//! [`Analysed`]: the validated site with what the engine computed from its school rows and
//! the sheets that merge those results with the published figures (their verdicts and
//! composites). The pipeline puts it together.

use std::sync::Arc;

use super::{Computed, Sheet, detail};
use crate::model::{AreaRow, Grouped, SchoolYear, Site};

/// A site with the engine's results: what rendering reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysed {
    /// The validated site.
    pub site: Site,
    /// What the engine computed from the school rows, sorted like the sheets.
    pub computed: Arc<Grouped<Computed>>,
    /// Sheets, sorted by county, school year, level, regime.
    pub sheets: Arc<Grouped<Sheet>>,
}

impl std::ops::Deref for Analysed {
    type Target = Site;

    fn deref(&self) -> &Site {
        &self.site
    }
}

impl Analysed {
    /// The sheets of one county, in order.
    pub fn sheets_of(&self, code: &str) -> &[Sheet] {
        self.sheets.of(code)
    }

    /// Where [`Analysed::sheets_of`] lies in `sheets`.
    pub fn sheets_range(&self, code: &str) -> std::ops::Range<usize> {
        self.sheets.range_of(code)
    }

    /// What the engine computed for one county.
    pub fn computed_of(&self, code: &str) -> &[Computed] {
        self.computed.of(code)
    }

    /// The school years of one county published school by school (audit pages, school
    /// downloads), oldest first, as `[settings] audit_years` asks.
    pub fn audited_years(&self, code: &str) -> Vec<SchoolYear> {
        audited_in(self.computed_of(code))
    }

    /// [`Analysed::audited_years`] of every county with any, in one pass over the engine's
    /// results (pages of every county ask for them).
    pub fn audited_years_by_county(&self) -> rustc_hash::FxHashMap<String, Vec<SchoolYear>> {
        self.computed
            .chunk_by(|a, b| a.county == b.county)
            .map(|one| (one[0].county.to_string(), audited_in(one)))
            .filter(|(_, years)| !years.is_empty())
            .collect()
    }

    /// The engine's computations of one county and school year school by school (the site
    /// keeps only their results: `engine::compute_with`), recomputed from its school rows.
    pub fn detail_of(&self, code: &str, year: SchoolYear) -> Vec<Computed> {
        detail(crate::model::year_rows(self.schools_of(code), year), &self.rules)
    }
}

/// The school years of one county's engine results (sorted by school year) that are
/// published school by school, oldest first.
fn audited_in(computed: &[Computed]) -> Vec<SchoolYear> {
    let mut years: Vec<SchoolYear> = computed.iter().filter(|k| k.audited).map(|k| k.school_year).collect();
    years.dedup();
    years
}

impl AreaRow for Computed {
    fn area(&self) -> &str {
        &self.county
    }
}

impl AreaRow for Sheet {
    fn area(&self) -> &str {
        &self.county
    }
}
