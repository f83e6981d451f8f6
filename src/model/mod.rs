//! The model: the typed, validated, cross-referenced [`Site`]. Pure: no disk access.
//!
//! [`validate`] checks each loaded table and the pages into the parts of a `Site`, pushing a
//! diagnostic for every cell that is not what the data format expects;
//! [`validate::assemble`] puts the parts together.

pub mod grouped;
pub mod revisions;
pub mod rules;
pub mod validate;
pub mod vocab;

use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};

use crate::config::Config;
pub use grouped::{AreaRow, Grouped};
pub use rules::{Indicator, RuleSet};

/// School level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// 小学.
    Primary = 0,
    /// 初中.
    Junior = 1,
}

/// Regime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// 基本均衡, 2012.
    Basic,
    /// 优质均衡, 2017.
    Quality,
}

impl Level {
    /// Both levels in display order.
    pub const ALL: [Level; 2] = [Level::Primary, Level::Junior];

    /// Parses `primary`/`junior` or `小学`/`初中`.
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "primary" | "小学" => Some(Level::Primary),
            "junior" | "初中" => Some(Level::Junior),
            _ => None,
        }
    }

    /// The id used in files.
    pub fn id(self) -> &'static str {
        match self {
            Level::Primary => "primary",
            Level::Junior => "junior",
        }
    }
}

impl Scheme {
    /// Both regimes in display order.
    pub const ALL: [Scheme; 2] = [Scheme::Basic, Scheme::Quality];

    /// Parses `basic`/`quality` or `基本均衡`/`优质均衡`.
    pub fn parse(s: &str) -> Option<Scheme> {
        match s {
            "basic" | "基本均衡" => Some(Scheme::Basic),
            "quality" | "优质均衡" => Some(Scheme::Quality),
            _ => None,
        }
    }

    /// The id used in files.
    pub fn id(self) -> &'static str {
        match self {
            Scheme::Basic => "basic",
            Scheme::Quality => "quality",
        }
    }
}

/// A school year, keyed by the year it starts (`2020-2021` → 2020).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SchoolYear(pub u16);

impl SchoolYear {
    /// Parses `2020-2021` (also `2020-2021学年`, `2020-2021学年度`).
    ///
    /// ```
    /// use junheng::model::SchoolYear;
    /// assert_eq!(SchoolYear::parse("2020-2021学年度"), Some(SchoolYear(2020)));
    /// assert_eq!(SchoolYear::parse("2020-2022"), None);
    /// ```
    pub fn parse(s: &str) -> Option<SchoolYear> {
        let s = s.trim_end_matches("学年度").trim_end_matches("学年");
        let (a, b) = s.split_once(['-', '—', '–'])?;
        let (a, b): (u16, u16) = (a.parse().ok()?, b.parse().ok()?);
        (a.to_string().len() == 4 && (1949..=2100).contains(&a) && b == a + 1).then_some(SchoolYear(a))
    }
}

impl fmt::Display for SchoolYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.0, self.0 + 1)
    }
}

impl Serialize for SchoolYear {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A date with the precision it was given: year, year-month or full date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartialDate {
    /// Year.
    pub year: i32,
    /// Month 1–12, if given.
    pub month: Option<u8>,
    /// Day of month, if given.
    pub day: Option<u8>,
}

impl PartialDate {
    /// Parses `YYYY`, `YYYY-MM`, `YYYY-MM-DD` (also `2016年1月`, `2016年1月5日`); checks the
    /// date exists.
    ///
    /// ```
    /// use junheng::model::PartialDate;
    /// assert_eq!(PartialDate::parse("2016-01").unwrap().to_string(), "2016-01");
    /// assert_eq!(PartialDate::parse("2016年1月").unwrap().to_string(), "2016-01");
    /// assert!(PartialDate::parse("2018-02-30").is_none());
    /// ```
    pub fn parse(s: &str) -> Option<PartialDate> {
        let s = s.trim();
        let parts: Vec<&str> = if s.contains('年') {
            let t = s.trim_end_matches('日').replace(['年', '月'], "-");
            return Self::parse(t.trim_end_matches('-'));
        } else {
            s.split('-').collect()
        };
        let num = |p: &str, len: usize| -> Option<u32> {
            (p.len() <= len && !p.is_empty() && p.chars().all(|c| c.is_ascii_digit())).then(|| p.parse().ok())?
        };
        let year = num(parts.first()?, 4)? as i32;
        if parts[0].len() != 4 {
            return None;
        }
        let month = match parts.get(1) {
            Some(p) => Some(num(p, 2)? as u8),
            None => None,
        };
        let day = match parts.get(2) {
            Some(p) => Some(num(p, 2)? as u8),
            None => None,
        };
        if parts.len() > 3 {
            return None;
        }
        if let Some(m) = month {
            let month = time::Month::try_from(m).ok()?;
            if let Some(d) = day {
                time::Date::from_calendar_date(year, month, d).ok()?;
            }
        }
        Some(PartialDate { year, month, day })
    }

    /// RFC 3339 timestamp at the start of the period (for feeds and sitemaps).
    pub fn rfc3339(&self) -> String {
        format!("{:04}-{:02}-{:02}T00:00:00Z", self.year, self.month.unwrap_or(1), self.day.unwrap_or(1))
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
        }
        if let Some(d) = self.day {
            write!(f, "-{d:02}")?;
        }
        Ok(())
    }
}

impl Serialize for PartialDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A milestone event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// 规划.
    Plan,
    /// 省级督导评估.
    ProvincialAssessment,
    /// 国家督导检查.
    NationalInspection,
    /// 国家认定.
    NationalRecognition,
    /// Quality balance: plan.
    QualityPlan,
    /// Quality balance: provincial assessment.
    QualityProvincialAssessment,
    /// Quality balance: national inspection.
    QualityNationalInspection,
    /// Quality balance: recognition.
    QualityRecognition,
    /// Anything else.
    Other,
}

impl Event {
    /// Every event id of the data format.
    pub const IDS: &'static [&'static str] = &[
        "plan",
        "provincial_assessment",
        "national_inspection",
        "national_recognition",
        "quality_plan",
        "quality_provincial_assessment",
        "quality_national_inspection",
        "quality_recognition",
        "other",
    ];
    const ALL: [Event; 9] = [
        Event::Plan,
        Event::ProvincialAssessment,
        Event::NationalInspection,
        Event::NationalRecognition,
        Event::QualityPlan,
        Event::QualityProvincialAssessment,
        Event::QualityNationalInspection,
        Event::QualityRecognition,
        Event::Other,
    ];

    /// Parses an event id.
    pub fn parse(s: &str) -> Option<Event> {
        Self::IDS.iter().position(|id| *id == s).map(|i| Self::ALL[i])
    }

    /// The id used in files.
    pub fn id(self) -> &'static str {
        Self::IDS[Self::ALL.iter().position(|e| *e == self).expect("every event is listed")]
    }

    /// The regime and the step (1 plan … 4 recognition) this event marks.
    pub fn step(self) -> Option<(Scheme, u8)> {
        use Event::*;
        Some(match self {
            Plan => (Scheme::Basic, 1),
            ProvincialAssessment => (Scheme::Basic, 2),
            NationalInspection => (Scheme::Basic, 3),
            NationalRecognition => (Scheme::Basic, 4),
            QualityPlan => (Scheme::Quality, 1),
            QualityProvincialAssessment => (Scheme::Quality, 2),
            QualityNationalInspection => (Scheme::Quality, 3),
            QualityRecognition => (Scheme::Quality, 4),
            Other => return None,
        })
    }
}

/// An entry of `sources.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    /// Id referenced by other files.
    pub id: String,
    /// Title of the document.
    pub title: String,
    /// Who published it.
    pub publisher: Option<String>,
    /// When.
    pub date: Option<PartialDate>,
    /// Where it can be read.
    pub url: Option<String>,
    /// Its figures are illustrative (invented for a demonstration or a training), not real:
    /// every page that shows them says so.
    pub illustrative: bool,
}

/// A county-level unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct County {
    /// 6-digit code.
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// English name, if given.
    pub name_en: Option<String>,
    /// Prefecture code.
    pub prefecture_code: String,
    /// Prefecture name as given (may be the placeholder `市辖区`).
    pub prefecture: String,
    /// Province code.
    pub province_code: String,
    /// Province name.
    pub province: String,
}

/// A prefecture, derived from the counties.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prefecture {
    /// 6-digit code.
    pub code: String,
    /// Name to show: the province's for placeholder prefectures (`市辖区`, `县`).
    pub name: String,
    /// Province code.
    pub province_code: String,
    /// Codes of its counties, sorted.
    pub counties: Vec<String>,
    /// English name, from the built-in list of the national list's areas ([`area_name_en`]).
    pub name_en: Option<String>,
}

/// A province, derived from the counties.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Province {
    /// 6-digit code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Codes of its prefectures, sorted.
    pub prefectures: Vec<String>,
    /// Codes of its counties, sorted.
    pub counties: Vec<String>,
    /// English name, from the built-in list of the national list's areas ([`area_name_en`]).
    pub name_en: Option<String>,
}

/// What an `indicators.csv` row reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(untagged)]
pub enum IndicatorRef {
    /// One indicator of the regime (index into its rule set).
    Indicator(&'static str),
    /// The basic-balance composite.
    #[serde(serialize_with = "ser_composite")]
    Composite,
}

fn ser_composite<S: Serializer>(s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("composite")
}

impl IndicatorRef {
    /// The id used in files.
    pub fn id(&self) -> &'static str {
        match self {
            IndicatorRef::Indicator(id) => id,
            IndicatorRef::Composite => "composite",
        }
    }
}

/// One published row of `indicators.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reported {
    /// County code.
    pub county: String,
    /// School year.
    pub school_year: SchoolYear,
    /// Level.
    pub level: Level,
    /// Regime.
    pub scheme: Scheme,
    /// Indicator or composite.
    pub indicator: IndicatorRef,
    /// County value (全县平均值).
    pub value: Option<f64>,
    /// Decimals the value was published with.
    pub value_decimals: Option<u8>,
    /// Difference coefficient.
    pub cv: Option<f64>,
    /// Decimals the CV was published with.
    pub cv_decimals: Option<u8>,
    /// Source id.
    pub source: Option<String>,
}

/// Hashed field by field, figures by presence and bits (the preview's reuse keys: nearly a
/// million published rows take a few milliseconds, where their JSON took a tenth of a second).
impl std::hash::Hash for Reported {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (&self.county, self.school_year, self.level, self.scheme, self.indicator).hash(h);
        (self.value.map(f64::to_bits), self.value_decimals, self.cv.map(f64::to_bits), self.cv_decimals).hash(h);
        self.source.hash(h);
    }
}

/// A row of `milestones.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Milestone {
    /// County, prefecture or province code (`000000`: the whole country).
    pub area: String,
    /// Date with its precision.
    pub date: PartialDate,
    /// What happened.
    pub event: Event,
    /// Short text.
    pub title: String,
    /// Source id.
    pub source: Option<String>,
}

/// A period of `metrics.csv`: a year, a school year or a span.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    /// First year covered.
    pub start: i32,
    /// Last year covered.
    pub end: i32,
    /// As written.
    pub text: String,
}

impl Period {
    /// Parses `2013`, `2020-2021` or `2013/2018`.
    pub fn parse(s: &str) -> Option<Period> {
        let s = s.trim();
        let year = |p: &str| (p.len() == 4 && p.chars().all(|c| c.is_ascii_digit())).then(|| p.parse::<i32>().ok())?;
        if let Some(y) = year(s) {
            return Some(Period { start: y, end: y, text: s.into() });
        }
        if let Some(sy) = SchoolYear::parse(s) {
            return Some(Period { start: sy.0 as i32, end: sy.0 as i32 + 1, text: sy.to_string() });
        }
        let (a, b) = s.split_once('/')?;
        let (a, b) = (year(a)?, year(b)?);
        (a <= b).then(|| Period { start: a, end: b, text: format!("{a}/{b}") })
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// A row of `standards.csv`: the basic-balance standard a school of a province (or of one
/// county) must reach for an indicator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Standard {
    /// A province code (its counties) or a county code (over its province's).
    pub area: String,
    /// Level.
    pub level: Level,
    /// A basic-balance indicator id.
    pub indicator: &'static str,
    /// The minimum, in the indicator's unit.
    pub standard: f64,
    /// Source id.
    pub source: Option<String>,
}

/// A row of `metrics.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    /// Area code.
    pub area: String,
    /// Period.
    pub period: Period,
    /// Metric id.
    pub metric: String,
    /// Value.
    pub value: f64,
    /// Unit as written.
    pub unit: Option<String>,
    /// Source id.
    pub source: Option<String>,
}

/// A row of `schools.csv`, typed.
///
/// A national site holds about two million of these, so a row is kept small: the county,
/// school type and source are shared (one allocation per distinct value, not per row), and
/// the figures are stored without an `Option` per figure.
#[derive(Debug, Clone, PartialEq, Hash, Serialize)]
pub struct SchoolRow {
    /// 学校标识码, kept as text.
    pub school_id: Arc<str>,
    /// Name.
    pub school_name: Arc<str>,
    /// County code.
    pub county: Arc<str>,
    /// School year.
    pub school_year: SchoolYear,
    /// Level of this row.
    pub level: Level,
    /// School type id (one of [`SCHOOL_TYPES`]).
    pub school_type: &'static str,
    /// Students of this level.
    pub students: u32,
    /// Whole-school facility figures and this level's teacher counts, in the order of
    /// [`SCHOOL_FIGURES`].
    pub figures: Figures,
    /// Senior-high students (complete/twelve-year schools).
    pub senior_students: Option<u32>,
    /// Parent school of a teaching point.
    pub parent_school_id: Option<Arc<str>>,
    /// Source id.
    pub source: Option<Arc<str>>,
    /// The town (乡镇) the school is in, where given.
    pub town: Option<Arc<str>>,
    /// Classes of this level, where given.
    pub classes: Option<u16>,
    /// Of those, the classes over the size the 2017 method allows (45 pupils in primary, 50 in
    /// junior secondary school), where given.
    pub large_classes: Option<u16>,
}

/// The figures of a school row, in the order of [`SCHOOL_FIGURES`], each present or not:
/// half the size of an array of `Option<f64>`. Serialised as that array.
///
/// ```
/// use junheng::model::Figures;
/// let mut given = [None; 11];
/// given[0] = Some(0.0);
/// given[10] = Some(2.5);
/// let f = Figures::from(given);
/// assert_eq!((f.get(0), f.get(1), f.get(10)), (Some(0.0), None, Some(2.5)));
/// assert_eq!(f.iter().collect::<Vec<_>>(), given);
/// assert_eq!(serde_json::to_string(&f).unwrap(), "[0.0,null,null,null,null,null,null,null,null,null,2.5]");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Figures {
    values: [f64; SCHOOL_FIGURES.len()],
    /// Bit `i` set: figure `i` is present.
    present: u16,
}

impl Figures {
    /// Figure `i` (an index into [`SCHOOL_FIGURES`]), if present.
    pub fn get(&self, i: usize) -> Option<f64> {
        (self.present & (1 << i) != 0).then(|| self.values[i])
    }

    /// The figures in order, each present or not.
    pub fn iter(&self) -> impl Iterator<Item = Option<f64>> + use<> {
        let f = *self;
        (0..SCHOOL_FIGURES.len()).map(move |i| f.get(i))
    }
}

impl From<[Option<f64>; SCHOOL_FIGURES.len()]> for Figures {
    fn from(figures: [Option<f64>; SCHOOL_FIGURES.len()]) -> Self {
        let mut f = Figures::default();
        for (i, v) in figures.into_iter().enumerate() {
            if let Some(v) = v {
                f.values[i] = v;
                f.present |= 1 << i;
            }
        }
        f
    }
}

/// Hashed as the figures present and their bits (`0.0` and `-0.0` differ, as in their JSON):
/// the preview hashes two million school rows to see which counties changed.
impl std::hash::Hash for Figures {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.present.hash(h);
        for v in self.iter().flatten() {
            v.to_bits().hash(h);
        }
    }
}

impl Serialize for Figures {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// The school types of the data format.
pub const SCHOOL_TYPES: &[&str] =
    &["primary", "junior", "nine_year", "complete_secondary", "twelve_year", "teaching_point"];

pub use crate::format::SCHOOL_FIGURES;

/// A content page (or a county narrative).
#[derive(Debug, Clone, PartialEq, Hash, Serialize)]
pub struct Page {
    /// Site-relative source file.
    pub file: String,
    /// Section (`""` home, `counties`, `reports`, …).
    pub section: String,
    /// Slug (`_index` for a section's own text).
    pub slug: String,
    /// Language of the text.
    pub lang: String,
    /// Title.
    pub title: String,
    /// Date.
    pub date: Option<PartialDate>,
    /// Summary.
    pub summary: Option<String>,
    /// Source ids.
    pub sources: Vec<String>,
    /// Order.
    pub weight: Option<i64>,
    /// Markdown body.
    pub body: Arc<str>,
}

/// The whole site, validated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Site {
    /// Configuration.
    pub config: Config,
    /// Counties sorted by code.
    pub counties: std::sync::Arc<Vec<County>>,
    /// Prefectures sorted by code.
    pub prefectures: std::sync::Arc<Vec<Prefecture>>,
    /// Provinces sorted by code.
    pub provinces: std::sync::Arc<Vec<Province>>,
    /// Published rows, sorted.
    pub reported: std::sync::Arc<Grouped<Reported>>,
    /// Milestones sorted by area, date, event.
    pub milestones: std::sync::Arc<Grouped<Milestone>>,
    /// Metrics sorted by area, metric, period.
    pub metrics: std::sync::Arc<Grouped<Metric>>,
    /// School rows sorted by county, school year, school id, level.
    pub schools: std::sync::Arc<Grouped<SchoolRow>>,
    /// Sources sorted by id.
    pub sources: std::sync::Arc<Vec<Source>>,
    /// Basic-balance school standards, sorted by area, level and indicator (empty: none declared).
    pub standards: std::sync::Arc<Vec<Standard>>,
    /// The rules in force (official tables with the site's overrides).
    pub rules: rules::Rules,
    /// Published pages (drafts removed), sorted by section, slug, language.
    pub pages: Vec<Page>,
    /// The revision history (empty without one).
    #[serde(skip)]
    pub revisions: std::sync::Arc<revisions::Revisions>,
}

/// The run of `items` (sorted by `key`) whose key is `code`.
pub fn slice_of<'a, T>(items: &'a [T], code: &str, key: impl Fn(&T) -> &str) -> &'a [T] {
    &items[range_of(items, code, key)]
}

/// Where [`slice_of`]'s run lies in `items`.
pub fn range_of<T>(items: &[T], code: &str, key: impl Fn(&T) -> &str) -> std::ops::Range<usize> {
    let start = items.partition_point(|x| key(x) < code);
    let end = items.partition_point(|x| key(x) <= code);
    start..end
}

/// The rows of school year `year` among one county's school rows (sorted as the model sorts
/// them: by school year, then school and level).
pub fn year_rows(rows: &[SchoolRow], year: SchoolYear) -> &[SchoolRow] {
    let (start, end) =
        (rows.partition_point(|r| r.school_year < year), rows.partition_point(|r| r.school_year <= year));
    &rows[start..end]
}

/// The code that stands for the whole country in `area` columns.
pub const NATIONAL_AREA: &str = "000000";

impl Site {
    /// The pages of `section` with `slug`, one per language (the pages are sorted, so this is
    /// a binary search, not a scan).
    pub fn pages_of(&self, section: &str, slug: &str) -> &[Page] {
        fn key(p: &Page) -> (&str, &str) {
            (&p.section, &p.slug)
        }
        let start = self.pages.partition_point(|p| key(p) < (section, slug));
        let end = start + self.pages[start..].partition_point(|p| key(p) == (section, slug));
        &self.pages[start..end]
    }

    /// The county with `code`.
    pub fn county(&self, code: &str) -> Option<&County> {
        self.counties.binary_search_by(|c| c.code.as_str().cmp(code)).ok().map(|i| &self.counties[i])
    }

    /// The prefecture with `code`.
    pub fn prefecture(&self, code: &str) -> Option<&Prefecture> {
        self.prefectures.binary_search_by(|p| p.code.as_str().cmp(code)).ok().map(|i| &self.prefectures[i])
    }

    /// The source with `id`.
    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.binary_search_by(|s| s.id.as_str().cmp(id)).ok().map(|i| &self.sources[i])
    }

    /// The basic-balance standard of `indicator` for a school of county `code` at `level`: the
    /// county's own, else its province's (`standards.csv`).
    pub fn standard_for(&self, code: &str, level: Level, indicator: &str) -> Option<&Standard> {
        if self.standards.is_empty() {
            return None;
        }
        let county = self.counties.binary_search_by(|c| c.code.as_str().cmp(code)).ok();
        let province = county.map(|i| self.counties[i].province_code.as_str());
        let of = |area: &str| {
            slice_of(&self.standards, area, |s| s.area.as_str())
                .iter()
                .find(|s| s.level == level && s.indicator == indicator)
        };
        of(code).or_else(|| of(province?))
    }

    /// The published rows of one county, in order.
    pub fn reported_of(&self, code: &str) -> &[Reported] {
        self.reported.of(code)
    }

    /// The milestones of one area, by date.
    pub fn milestones_of(&self, area: &str) -> &[Milestone] {
        self.milestones.of(area)
    }

    /// The metrics of one area.
    pub fn metrics_of(&self, area: &str) -> &[Metric] {
        self.metrics.of(area)
    }

    /// The school rows of one county.
    pub fn schools_of(&self, code: &str) -> &[SchoolRow] {
        self.schools.of(code)
    }

    /// The latest step reached in a regime by a county: (step 1–4, milestone).
    pub fn status(&self, code: &str, scheme: Scheme) -> Option<(u8, &Milestone)> {
        self.milestones_of(code)
            .iter()
            .filter_map(|m| m.event.step().filter(|(s, _)| *s == scheme).map(|(_, step)| (step, m)))
            .max_by_key(|(step, m)| (*step, m.date))
    }
}

impl AreaRow for Reported {
    fn area(&self) -> &str {
        &self.county
    }

    fn fingerprint(&self, h: &mut std::hash::DefaultHasher) {
        std::hash::Hash::hash(self, h);
    }
}

impl AreaRow for SchoolRow {
    fn area(&self) -> &str {
        &self.county
    }

    fn fingerprint(&self, h: &mut std::hash::DefaultHasher) {
        std::hash::Hash::hash(self, h);
    }
}

impl AreaRow for Milestone {
    fn area(&self) -> &str {
        &self.area
    }
}

impl AreaRow for Metric {
    fn area(&self) -> &str {
        &self.area
    }
}

/// The English names of the provinces and prefectures of the national county list
/// (`scripts/area-names-en.py` writes it): code, Chinese name, English name.
const AREAS_EN: &str = include_str!("areas-en.csv");

/// The English name of the province or prefecture `code` called `name` (placeholder
/// prefectures, 市辖区 and the like, are shown with their province's name, and named so): none
/// for a code not in the national list, or named otherwise there (a site's own area).
///
/// ```
/// use junheng::model::area_name_en;
/// assert_eq!(area_name_en("450800", "贵港市"), Some("Guigang"));
/// assert_eq!(area_name_en("450000", "广西壮族自治区"), Some("Guangxi Zhuang Autonomous Region"));
/// assert_eq!(area_name_en("110100", "北京市"), Some("Beijing"));
/// assert_eq!(area_name_en("450800", "另一个市"), None);
/// ```
pub fn area_name_en(code: &str, name: &str) -> Option<&'static str> {
    AREAS_EN.lines().skip(1).find_map(|line| {
        let mut f = line.splitn(3, ',');
        let (c, zh, en) = (f.next()?, f.next()?, f.next()?);
        let placeholder = validate::PLACEHOLDER_PREFECTURES.contains(&zh);
        (c == code && (zh == name || placeholder)).then_some(en)
    })
}

#[cfg(test)]
mod tests {
    use std::hash::{DefaultHasher, Hash, Hasher};
    use std::sync::Arc;

    use super::*;

    // Guards the English pages' area names: every province and prefecture of the national
    // list has one (placeholder prefectures their province's), none is left in Chinese.
    #[test]
    fn every_province_and_prefecture_of_the_national_list_has_an_english_name() {
        let mut areas = 0;
        for line in validate::NATIONAL_COUNTIES.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            for (code, name) in [(f[2], f[3]), (f[4], f[5])] {
                let en = area_name_en(code, name).unwrap_or_else(|| panic!("{code} {name} has no English name"));
                assert!(en.is_ascii() || en.contains('ü') || en.contains('ê'), "{code} {name}: {en}");
                assert!(en.chars().next().is_some_and(|c| c.is_ascii_uppercase()), "{code}: {en}");
                areas += 1;
            }
        }
        assert!(areas > 5000);
        assert_eq!(area_name_en("110100", "市辖区"), Some("Beijing"));
        assert_eq!(area_name_en("652900", "阿克苏地区"), Some("Aksu Prefecture"));
        assert_eq!(area_name_en("610100", "西安市"), Some("Xi'an"));
    }

    fn hash_of(row: &SchoolRow) -> u64 {
        let mut h = DefaultHasher::new();
        row.hash(&mut h);
        h.finish()
    }

    // Guards the school rows' hash (how the preview sees which counties' rows changed): a
    // change to any field, a figure's presence or the sign of a zero changes it.
    #[test]
    fn a_school_row_hash_changes_with_every_field() {
        let mut figures = [None; SCHOOL_FIGURES.len()];
        figures[0] = Some(120.5);
        figures[3] = Some(0.0);
        let row = SchoolRow {
            school_id: Arc::from("4508020001"),
            school_name: Arc::from("港北区第一小学"),
            county: Arc::from("450802"),
            school_year: SchoolYear::parse("2023-2024").unwrap(),
            level: Level::Primary,
            school_type: "primary",
            students: 1200,
            figures: Figures::from(figures),
            senior_students: None,
            parent_school_id: None,
            source: Some(Arc::from("gx-2024")),
            town: None,
            classes: None,
            large_classes: None,
        };
        assert_eq!(hash_of(&row), hash_of(&row.clone()));
        let figure = |i: usize, v: Option<f64>| {
            let mut f = figures;
            f[i] = v;
            Figures::from(f)
        };
        let changed = [
            SchoolRow { school_id: Arc::from("4508020002"), ..row.clone() },
            SchoolRow { school_name: Arc::from("港北区第二小学"), ..row.clone() },
            SchoolRow { county: Arc::from("450803"), ..row.clone() },
            SchoolRow { school_year: SchoolYear::parse("2022-2023").unwrap(), ..row.clone() },
            SchoolRow { level: Level::Junior, ..row.clone() },
            SchoolRow { school_type: "nine_year", ..row.clone() },
            SchoolRow { students: 1201, ..row.clone() },
            SchoolRow { figures: figure(0, Some(120.6)), ..row.clone() },
            SchoolRow { figures: figure(1, Some(0.0)), ..row.clone() },
            SchoolRow { figures: figure(0, None), ..row.clone() },
            // The same value under the next figure.
            SchoolRow {
                figures: Figures::from({
                    let mut f = figures;
                    (f[0], f[1]) = (None, f[0]);
                    f
                }),
                ..row.clone()
            },
            SchoolRow { figures: figure(3, Some(-0.0)), ..row.clone() },
            SchoolRow { senior_students: Some(0), ..row.clone() },
            SchoolRow { town: Some(Arc::from("港城街道")), ..row.clone() },
            SchoolRow { classes: Some(24), ..row.clone() },
            SchoolRow { large_classes: Some(2), ..row.clone() },
            SchoolRow { parent_school_id: Some(Arc::from("4508020000")), ..row.clone() },
            SchoolRow { source: None, ..row.clone() },
        ];
        for (i, other) in changed.iter().enumerate() {
            assert_ne!(hash_of(other), hash_of(&row), "change {i}");
        }
    }
}
