//! The vocabularies of the data format: the values that `level`, `scheme`, `indicator`, `event`
//! and `school_type` take. Each value is an id (what CSV files, the API and programs use) with
//! the names the built-in theme shows for it in Chinese and in English; a cell may hold any of
//! the three, as a person filling in a workbook would write it. The workbooks junheng writes
//! show the Chinese names, so that they read back to the same site.
//!
//! The names are those of the built-in language files (`src/theme/i18n/`), read once: a site's
//! theme may show other words, but the data format's words are the same for every site.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::rules::RuleSet;
use super::{Event, IndicatorRef, Level, SCHOOL_TYPES, Scheme};
pub use crate::format::Vocab;

/// A value of a vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The id used in files.
    pub id: &'static str,
    /// The regime it belongs to (indicators only; an indicator of both regimes is a term of
    /// each).
    pub scheme: Option<Scheme>,
    /// The Chinese name.
    pub zh: String,
    /// The English name.
    pub en: String,
}

/// Other words read as a term: the short forms a bureau's own tables use.
const ALSO: &[(Vocab, &str, &str)] = &[
    (Vocab::SchoolType, "初级中学", "junior"),
    (Vocab::SchoolType, "九年一贯制", "nine_year"),
    (Vocab::SchoolType, "十二年一贯制", "twelve_year"),
    (Vocab::Level, "初级中学", "junior"),
    (Vocab::Scheme, "基本", "basic"),
    (Vocab::Scheme, "优质", "quality"),
];

const ZH: &str = include_str!("../theme/i18n/zh-CN.toml");
const EN: &str = include_str!("../theme/i18n/en.toml");

/// Every vocabulary's terms, and each term's words (normalised) to its index.
struct Vocabularies {
    /// By [`Vocab`] as an index.
    terms: [Vec<Term>; 5],
    words: HashMap<(Vocab, String), Vec<usize>>,
}

static VOCABULARIES: LazyLock<Vocabularies> = LazyLock::new(|| {
    let zh: toml::Table = ZH.parse().expect("the built-in Chinese strings are TOML");
    let en: toml::Table = EN.parse().expect("the built-in English strings are TOML");
    let word = |t: &toml::Table, key: &str| -> String {
        let mut v = t.get(key.split('.').next().unwrap_or_default());
        for part in key.split('.').skip(1) {
            v = v.and_then(|v| v.get(part));
        }
        v.and_then(|v| v.as_str()).unwrap_or_else(|| panic!("the built-in strings name `{key}`")).to_string()
    };
    let term = |id: &'static str, scheme: Option<Scheme>, key: String| Term {
        id,
        scheme,
        zh: word(&zh, &key),
        en: word(&en, &key),
    };
    let level = Level::ALL.iter().map(|l| term(l.id(), None, format!("level.{}", l.id()))).collect();
    let scheme = Scheme::ALL.iter().map(|s| term(s.id(), None, format!("scheme.{}", s.id()))).collect();
    let event = Event::IDS.iter().map(|e| term(e, None, format!("event.{e}"))).collect();
    let school_type = SCHOOL_TYPES.iter().map(|t| term(t, None, format!("school_type.{t}"))).collect();
    let mut indicators = Vec::new();
    for scheme in Scheme::ALL {
        for i in RuleSet::of(scheme).indicators {
            indicators.push(term(i.id, Some(scheme), format!("ind.{}.{}.name", scheme.id(), i.id)));
        }
    }
    indicators.push(term(IndicatorRef::Composite.id(), Some(Scheme::Basic), "table.composite".to_string()));
    let mut terms = [Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new()];
    for (vocab, list) in [
        (Vocab::Level, level),
        (Vocab::Scheme, scheme),
        (Vocab::Indicator, indicators),
        (Vocab::Event, event),
        (Vocab::SchoolType, school_type),
    ] {
        terms[vocab as usize] = list;
    }
    let mut words: HashMap<(Vocab, String), Vec<usize>> = HashMap::new();
    for vocab in Vocab::ALL {
        for (i, t) in terms[vocab as usize].iter().enumerate() {
            for w in [t.id, &t.zh, &t.en] {
                let at = words.entry((vocab, normal(w))).or_default();
                if !at.contains(&i) {
                    at.push(i);
                }
            }
        }
    }
    for &(vocab, alias, id) in ALSO {
        let at: Vec<usize> =
            terms[vocab as usize].iter().enumerate().filter(|(_, t)| t.id == id).map(|(i, _)| i).collect();
        words.entry((vocab, normal(alias))).or_default().extend(at);
    }
    Vocabularies { terms, words }
});

/// A word as it is compared: lower case, without spaces and punctuation (`Nine-year school`,
/// `nine_year` and `九年一贯制学校` compare with what a person might type for them).
fn normal(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation() && !"、，。·（）：；“”‘’".contains(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// What a cell holds, read against a vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// A term's id.
    Id(&'static str),
    /// A term of the vocabulary that belongs to another regime than the row's.
    OtherScheme(&'static Term),
    /// Nothing the vocabulary knows.
    Unknown,
}

impl Vocab {
    /// Its terms, in the order of the data format.
    pub fn terms(self) -> &'static [Term] {
        &VOCABULARIES.terms[self as usize]
    }

    /// The terms of the regime `scheme` (all when `scheme` is none or the vocabulary is not
    /// by regime).
    pub fn terms_of(self, scheme: Option<Scheme>) -> impl Iterator<Item = &'static Term> {
        self.terms().iter().filter(move |t| in_scheme(t, scheme))
    }

    /// Reads `text` (an id, a Chinese or English name, in any case and spacing) as a term of
    /// the regime `scheme` (indicators).
    pub fn read(self, text: &str, scheme: Option<Scheme>) -> Read {
        let terms = self.terms();
        // Ids and the Chinese names as written: most cells, without allocating.
        if let Some(t) = terms.iter().find(|t| (t.id == text || t.zh == text) && in_scheme(t, scheme)) {
            return Read::Id(t.id);
        }
        let Some(found) = VOCABULARIES.words.get(&(self, normal(text))) else { return Read::Unknown };
        match found.iter().map(|&i| &terms[i]).find(|t| in_scheme(t, scheme)) {
            Some(t) => Read::Id(t.id),
            None => found.first().map_or(Read::Unknown, |&i| Read::OtherScheme(&terms[i])),
        }
    }

    /// The id `text` names, if any (of the regime `scheme`).
    pub fn id(self, text: &str, scheme: Option<Scheme>) -> Option<&'static str> {
        match self.read(text, scheme) {
            Read::Id(id) => Some(id),
            _ => None,
        }
    }

    /// The Chinese name of the term `id` (of the regime `scheme`), for a workbook's cell.
    pub fn zh(self, id: &str, scheme: Option<Scheme>) -> Option<&'static str> {
        self.terms().iter().find(|t| t.id == id && in_scheme(t, scheme)).map(|t| t.zh.as_str())
    }

    /// What a cell of this vocabulary may hold, for a message: `` `primary` (小学, Primary) or
    /// `junior` (初中, Junior secondary) ``.
    pub fn expected(self, scheme: Option<Scheme>) -> String {
        one_of(self.terms_of(scheme))
    }
}

/// `terms` for a message: `` one of `primary` (小学, Primary) or `junior` (初中, Junior secondary) ``.
pub fn one_of<'t>(terms: impl Iterator<Item = &'t Term>) -> String {
    let terms: Vec<String> = terms.map(|t| format!("`{}` ({}, {})", t.id, t.zh, t.en)).collect();
    match terms.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("one of {} or {last}", rest.join(", ")),
        _ => terms.join(""),
    }
}

fn in_scheme(t: &Term, scheme: Option<Scheme>) -> bool {
    scheme.is_none() || t.scheme.is_none() || t.scheme == scheme
}

#[cfg(test)]
mod tests {
    use super::*;

    // Guards the vocabularies: every id and name reads back as its term, no word names two
    // terms of one regime, a name of the other regime is told apart.
    #[test]
    fn every_word_names_one_term() {
        for vocab in Vocab::ALL {
            for scheme in [None, Some(Scheme::Basic), Some(Scheme::Quality)] {
                for t in vocab.terms_of(scheme) {
                    for w in [t.id, &t.zh, &t.en] {
                        assert_eq!(vocab.read(w, scheme.or(t.scheme)), Read::Id(t.id), "{vocab:?} {w}");
                    }
                }
            }
        }
        for ((vocab, word), at) in &VOCABULARIES.words {
            for scheme in Scheme::ALL {
                let ids: std::collections::BTreeSet<_> = at
                    .iter()
                    .map(|&i| &vocab.terms()[i])
                    .filter(|t| in_scheme(t, Some(scheme)))
                    .map(|t| t.id)
                    .collect();
                assert!(ids.len() <= 1, "{vocab:?}: `{word}` names {ids:?}");
            }
        }
        let i = Vocab::Indicator;
        assert_eq!(
            i.read("每百名学生拥有高于规定学历教师数", Some(Scheme::Quality)),
            Read::Id("teachers_above_degree")
        );
        assert_eq!(i.read(" Computers per 100 students ", Some(Scheme::Basic)), Read::Id("computers"));
        assert!(
            matches!(i.read("生均高于规定学历教师数", Some(Scheme::Quality)), Read::OtherScheme(t) if t.scheme == Some(Scheme::Basic))
        );
        assert!(matches!(i.read("composite", Some(Scheme::Quality)), Read::OtherScheme(_)));
        assert_eq!(Vocab::SchoolType.read("Nine-year school", None), Read::Id("nine_year"));
        assert_eq!(Vocab::SchoolType.read("九年一贯制", None), Read::Id("nine_year"));
        assert_eq!(Vocab::Level.read("PRIMARY", None), Read::Id("primary"));
        assert_eq!(Vocab::Level.read("高中", None), Read::Unknown);
        assert_eq!(
            Vocab::Level.expected(None),
            "one of `primary` (小学, Primary) or `junior` (初中, Junior secondary)"
        );
        assert_eq!(i.zh("teachers_above_degree", Some(Scheme::Quality)), Some("每百名学生拥有高于规定学历教师数"));
    }

    // Guards the data format's description: docs/data-format.md lists every word of every
    // vocabulary as the loader reads it.
    #[test]
    fn the_data_format_lists_every_word() {
        let doc = include_str!("../../docs/data-format.md");
        for vocab in Vocab::ALL {
            for t in vocab.terms() {
                let row = format!("| `{}` | {} | {} |", t.id, t.zh, t.en);
                assert!(doc.contains(&row), "docs/data-format.md lacks {row}");
            }
        }
    }
}
