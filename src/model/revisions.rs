//! The site's revision history as rendering reads it: its releases and every figure that
//! changed in each (the `history` module makes it from the site's git history).

use serde::Serialize;

use super::{AreaRow, Grouped, Level, Scheme, SchoolYear};

/// Which figure of an indicator (or of a sheet, or of a milestone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The published county value.
    Value,
    /// The published coefficient (or composite).
    Cv,
    /// The county value computed from school rows.
    ComputedValue,
    /// The coefficient (or composite) computed from school rows.
    ComputedCv,
    /// The verdict: an indicator's (quality), the composite's (basic) or the whole sheet's
    /// (quality, all indicators).
    Meets,
    /// A milestone: its date and title.
    Milestone,
}

impl Field {
    /// Every field, in order.
    pub const ALL: [Field; 6] =
        [Field::Value, Field::Cv, Field::ComputedValue, Field::ComputedCv, Field::Meets, Field::Milestone];

    /// The id used in files.
    pub fn id(self) -> &'static str {
        match self {
            Field::Value => "value",
            Field::Cv => "cv",
            Field::ComputedValue => "computed_value",
            Field::ComputedCv => "computed_cv",
            Field::Meets => "meets",
            Field::Milestone => "milestone",
        }
    }
}

/// The item of a sheet a verdict on every indicator belongs to.
pub const ALL_INDICATORS: &str = "all";
/// The item of a composite.
pub const COMPOSITE: &str = "composite";

/// What a figure is, the same in every release.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Key {
    /// County (or, for a milestone, any area) code.
    pub area: String,
    /// School year (none for a milestone).
    pub school_year: Option<SchoolYear>,
    /// Level (none for a milestone).
    pub level: Option<Level>,
    /// Regime (none for a milestone).
    pub scheme: Option<Scheme>,
    /// Indicator id, [`COMPOSITE`], [`ALL_INDICATORS`], or a milestone's event id.
    pub item: &'static str,
    /// Which figure.
    pub field: Field,
}

/// A release of the site, or what is not released yet.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Release {
    /// The tag's name or the commit's short id; empty for what is not released yet.
    pub name: String,
    /// Where its changes page goes (`changes/<slug>/`): the name with every character other
    /// than letters, digits, `-` and `_` as `-`, or the commit's short id for a name with no
    /// letter or digit of those or longer than 40 characters (`unreleased` for what is not released
    /// yet).
    pub slug: String,
    /// The commit, in full (none: not released yet).
    pub commit: Option<String>,
    /// The commit's date in the committer's time zone, `YYYY-MM-DD` (none: not released yet).
    pub date: Option<String>,
    /// The commit's time with the committer's offset, RFC 3339 (none: not released yet).
    pub time: Option<String>,
    /// The release's message (the annotated tag's, else the commit's), trimmed.
    pub message: String,
}

impl Release {
    /// The release of a tagged (or chosen) commit.
    pub fn of(r: &crate::load::git::ReleaseRef) -> Release {
        let local = time::UtcOffset::from_whole_seconds(r.offset)
            .ok()
            .and_then(|offset| Some(time::OffsetDateTime::from_unix_timestamp(r.seconds).ok()?.to_offset(offset)));
        let date = local.map(|t| format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()));
        let time = local.map(|t| {
            let (h, m, _) = t.offset().as_hms();
            let sign = if r.offset < 0 { '-' } else { '+' };
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                h.unsigned_abs(),
                m.unsigned_abs()
            )
        });
        let slug: String =
            r.name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
        // A name of other characters (`第一版`), or too long for a folder's name: the commit's
        // short id.
        let readable = slug.chars().any(|c| c.is_ascii_alphanumeric()) && slug.len() <= 40;
        let slug = if readable { slug } else { r.commit[..10].to_string() };
        Release { name: r.name.clone(), slug, commit: Some(r.commit.clone()), date, time, message: r.message.clone() }
    }

    /// What is in the site folder but in no release.
    pub fn unreleased() -> Release {
        Release {
            name: String::new(),
            slug: "unreleased".into(),
            commit: None,
            date: None,
            time: None,
            message: String::new(),
        }
    }

    /// The first line of the message.
    pub fn summary(&self) -> &str {
        self.message.lines().next().unwrap_or("")
    }
}

/// A figure that changed in a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The release (an index into [`Revisions::releases`]).
    pub release: usize,
    /// What the figure is.
    pub key: Key,
    /// Before (none: added).
    pub old: Option<String>,
    /// After (none: removed).
    pub new: Option<String>,
}

impl AreaRow for Change {
    fn area(&self) -> &str {
        &self.key.area
    }

    fn fingerprint(&self, h: &mut std::hash::DefaultHasher) {
        std::hash::Hash::hash(self, h);
    }
}

impl std::hash::Hash for Change {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (self.release, &self.key, &self.old, &self.new).hash(h);
    }
}

/// The site's revision history.
#[derive(Debug)]
pub struct Revisions {
    /// The releases oldest first, then what is not released yet (when anything is).
    pub releases: Vec<Release>,
    /// The changes, sorted by area, release and figure.
    pub changes: Grouped<Change>,
}

impl Default for Revisions {
    fn default() -> Self {
        Revisions { releases: Vec::new(), changes: Grouped::new(Vec::new()) }
    }
}

impl PartialEq for Revisions {
    fn eq(&self, other: &Self) -> bool {
        self.releases == other.releases && *self.changes == *other.changes
    }
}
