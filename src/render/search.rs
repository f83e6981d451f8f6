//! The finder's indexes: the counties (`search.json`: each county's name, code and pinyin), and
//! the schools of each province (`search/<province>.json`), loaded only when a school of that
//! province is looked for, so that no search downloads every school of the country.

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
    pinyin_keys_upto(name, 16)
}

/// [`pinyin_keys`] keeping at most `most` combinations.
fn pinyin_keys_upto(name: &str, most: usize) -> (String, String) {
    use pinyin::ToPinyinMulti;
    let mut combos: Vec<Vec<&'static str>> = vec![Vec::new()];
    for readings in name.to_pinyin_multi() {
        let Some(readings) = readings else { continue };
        let options: Vec<&'static str> = readings.into_iter().map(|p| p.plain()).collect();
        // Reading-major: the combinations kept vary the earlier characters' readings first,
        // later characters at their most common reading (覃塘区: tantangqu, qintangqu).
        combos = options
            .iter()
            .flat_map(|o| combos.iter().map(move |c| [c.as_slice(), &[*o]].concat()))
            .take(most)
            .collect();
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

/// Readings kept per school name: a long name has many characters of several readings, and
/// the index of a province's schools must stay small (docs/limits.md).
const SCHOOL_READINGS: usize = 2;

/// The schools finder's index of one province (`search/<province>.json`): its counties by code
/// (name, English name), and each school with a page (published school by school): id, name,
/// county, the number of its page of schools (1 for `county/<code>/schools/`), full pinyin and
/// initials (of its name, then of its town), and its town (empty where not given).
pub fn school_index(scope: &Scope, province: &str) -> Vec<u8> {
    let mut counties = serde_json::Map::new();
    let mut schools: Vec<Value> = Vec::new();
    for c in scope.counties().iter().filter(|c| c.province_code == province) {
        let years = scope.audited_years(&c.code);
        let rows = scope.schools_of(&c.code);
        let parts = super::pages::school_parts(rows, &years);
        if parts.is_empty() {
            continue;
        }
        counties.insert(c.code.clone(), json!([c.name, c.name_en]));
        // Each school's name and town in its latest audited school year.
        let mut names: std::collections::HashMap<&str, (&str, &str)> = std::collections::HashMap::new();
        for r in rows.iter().filter(|r| years.contains(&r.school_year)) {
            names.insert(&r.school_id, (&r.school_name, r.town.as_deref().unwrap_or_default()));
        }
        for (page, ids) in parts.iter().enumerate() {
            for id in ids {
                let (name, town) = names.get(id).copied().unwrap_or_default();
                let (mut full, mut initials) = pinyin_keys_upto(name, SCHOOL_READINGS);
                if !town.is_empty() {
                    let (f, i) = pinyin_keys_upto(town, SCHOOL_READINGS);
                    (full, initials) = (format!("{full} {f}"), format!("{initials} {i}"));
                }
                schools.push(json!([id, name, c.code, page + 1, full, initials, town]));
            }
        }
    }
    let mut out =
        serde_json::to_vec(&json!({ "counties": counties, "schools": schools })).expect("JSON of plain values");
    out.push(b'\n');
    out
}
