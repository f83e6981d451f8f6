//! The search index of the county finder (`search.json`): each county's name, code and pinyin.

use serde_json::{Value, json};

use super::scope::Scope;

/// The county finder's static index (`search.json`): code, name, English name, prefecture,
/// province, full pinyin and pinyin initials (港北区 → `gangbeiqu`, `gbq`).
pub fn search_index(scope: &Scope) -> Vec<u8> {
    let rows: Vec<Value> = scope
        .counties()
        .iter()
        .map(|c| {
            let prefecture = scope.prefecture(&c.prefecture_code).map_or(c.prefecture.as_str(), |p| p.name.as_str());
            let (full, initials) = pinyin_keys(&c.name);
            json!([c.code, c.name, c.name_en, prefecture, c.province, full, initials])
        })
        .collect();
    let mut out = serde_json::to_vec(&rows).expect("JSON of plain values");
    out.push(b'\n');
    out
}

/// Every reading of a name in pinyin, space-separated, and their initials: characters with
/// several readings (都 du/dou, 覃 qin/tan) give several keys, so place names are found under
/// their local reading. At most 16 combinations are kept.
///
/// ```
/// let (full, initials) = junheng::render::search::pinyin_keys("尧都区");
/// assert!(full.split(' ').any(|k| k == "yaoduqu"));
/// assert!(initials.split(' ').any(|k| k == "ydq"));
/// ```
pub fn pinyin_keys(name: &str) -> (String, String) {
    use pinyin::ToPinyinMulti;
    let mut combos: Vec<Vec<&'static str>> = vec![Vec::new()];
    for readings in name.to_pinyin_multi() {
        let Some(readings) = readings else { continue };
        let options: Vec<&'static str> = readings.into_iter().map(|p| p.plain()).collect();
        combos =
            combos.iter().flat_map(|c| options.iter().map(move |o| [c.as_slice(), &[*o]].concat())).take(16).collect();
    }
    // Keep the most common reading first; drop repeats (tones differ, plain spellings do not).
    let unique = |keys: Vec<String>| -> String {
        let mut seen = std::collections::HashSet::new();
        keys.into_iter().filter(|k| seen.insert(k.clone())).collect::<Vec<_>>().join(" ")
    };
    let full = unique(combos.iter().map(|c| c.concat()).collect());
    let initials = unique(combos.iter().map(|c| c.iter().filter_map(|s| s.chars().next()).collect()).collect());
    (full, initials)
}
