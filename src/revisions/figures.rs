//! The figures a release shows, each under a key that stays the same across releases, and
//! what changed between two releases' figures.

use serde::Serialize;

use crate::engine::Sheet;
use crate::model::revisions::{ALL_INDICATORS, COMPOSITE, Field, Key};
use crate::model::{IndicatorRef, Level, Milestone, Reported, Scheme, SchoolYear};

/// A figure as shown: published figures with the decimals they were published with, computed
/// ones in full (the shortest text that reads back as the same number), verdicts `true` or
/// `false`, a milestone as `date title`.
pub type Figure = (Key, String);

/// The figures of published rows, sheets and milestones (of some areas).
pub fn figures(reported: &[Reported], sheets: &[Sheet], milestones: &[Milestone]) -> Vec<Figure> {
    let mut out = Vec::new();
    let sheet_key = |area: &str, y: SchoolYear, l: Level, s: Scheme, item: &'static str, field: Field| Key {
        area: area.to_string(),
        school_year: Some(y),
        level: Some(l),
        scheme: Some(s),
        item,
        field,
    };
    for r in reported {
        let item = match r.indicator {
            IndicatorRef::Indicator(id) => id,
            IndicatorRef::Composite => COMPOSITE,
        };
        let key = |field| sheet_key(&r.county, r.school_year, r.level, r.scheme, item, field);
        if let Some(v) = r.value {
            out.push((key(Field::Value), published(v, r.value_decimals)));
        }
        if let Some(v) = r.cv {
            out.push((key(Field::Cv), published(v, r.cv_decimals)));
        }
    }
    for s in sheets {
        let key = |item, field| sheet_key(&s.county, s.school_year, s.level, s.scheme, item, field);
        for row in &s.rows {
            if let Some(v) = row.computed_value {
                out.push((key(row.indicator, Field::ComputedValue), computed(v)));
            }
            if let Some(v) = row.computed_cv {
                out.push((key(row.indicator, Field::ComputedCv), computed(v)));
            }
            if let Some(meets) = row.meets {
                out.push((key(row.indicator, Field::Meets), meets.to_string()));
            }
        }
        if let Some(c) = &s.composite {
            if let Some(v) = c.computed_cv {
                out.push((key(COMPOSITE, Field::ComputedCv), computed(v)));
            }
            out.push((key(COMPOSITE, Field::Meets), c.meets.to_string()));
        }
        if let Some(all) = s.meets_all {
            out.push((key(ALL_INDICATORS, Field::Meets), all.to_string()));
        }
    }
    for m in milestones {
        let key = Key {
            area: m.area.clone(),
            school_year: None,
            level: None,
            scheme: None,
            item: m.event.id(),
            field: Field::Milestone,
        };
        out.push((key, format!("{} {}", m.date, m.title)));
    }
    out.sort_unstable();
    out
}

fn published(v: f64, decimals: Option<u8>) -> String {
    match decimals {
        Some(d) => format!("{v:.*}", usize::from(d)),
        None => computed(v),
    }
}

fn computed(v: f64) -> String {
    format!("{v}")
}

/// One figure added, removed or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delta {
    /// What the figure is.
    pub key: Key,
    /// Before (none: added).
    pub old: Option<String>,
    /// After (none: removed).
    pub new: Option<String>,
}

/// What changed from `old` to `new` (both sorted, as [`figures`] makes them). A key may hold
/// several figures (milestones of one event): those in both are unchanged, the others are
/// paired in order as changed, and what is left over is added or removed.
pub fn diff(old: &[Figure], new: &[Figure]) -> Vec<Delta> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        let key = match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) => a.0.clone().min(b.0.clone()),
            (Some(a), None) => a.0.clone(),
            (None, Some(b)) => b.0.clone(),
            (None, None) => unreachable!("the loop runs while either has figures"),
        };
        let run = |v: &[Figure], from: usize| from + v[from..].iter().take_while(|f| f.0 == key).count();
        let (i_end, j_end) = (run(old, i), run(new, j));
        let mut before: Vec<&String> = old[i..i_end].iter().map(|f| &f.1).collect();
        let mut after: Vec<&String> = new[j..j_end].iter().map(|f| &f.1).collect();
        before.retain(|v| match after.iter().position(|w| w == v) {
            Some(at) => {
                after.remove(at);
                false
            }
            None => true,
        });
        // Milestones: one that kept its date or its title is the same milestone, revised.
        let date = |v: &str| v.split_once(' ').map_or(v, |(d, _)| d).to_string();
        let title = |v: &str| v.split_once(' ').map_or("", |(_, t)| t).to_string();
        let mut pairs: Vec<(Option<&String>, Option<&String>)> = Vec::new();
        for same in [date, title] {
            before.retain(|v| match after.iter().position(|w| same(w) == same(v)) {
                Some(at) => {
                    pairs.push((Some(*v), Some(after.remove(at))));
                    false
                }
                None => true,
            });
        }
        for k in 0..before.len().max(after.len()) {
            pairs.push((before.get(k).copied(), after.get(k).copied()));
        }
        for (o, n) in pairs {
            out.push(Delta { key: key.clone(), old: o.cloned(), new: n.cloned() });
        }
        (i, j) = (i_end, j_end);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn milestone(date: &str, title: &str) -> Figure {
        let key = Key {
            area: "450802".into(),
            school_year: None,
            level: None,
            scheme: None,
            item: "other",
            field: Field::Milestone,
        };
        (key, format!("{date} {title}"))
    }

    #[test]
    fn figures_of_one_key_are_paired_after_the_unchanged_ones() {
        let old = vec![milestone("2016", "a"), milestone("2017", "b"), milestone("2018", "c")];
        let new = vec![milestone("2016", "a"), milestone("2018", "c!")];
        let d = diff(&old, &new);
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].old.as_deref(), d[0].new.as_deref()), (Some("2018 c"), Some("2018 c!")));
        assert_eq!((d[1].old.as_deref(), d[1].new.as_deref()), (Some("2017 b"), None));
        assert!(diff(&old, &old).is_empty());
    }
}
