//! Tests of the model's checks.

use super::*;

// Guards the sharded search for repeated keys: on a pool of several threads, every item
// whose key came before is found once, with the first item of that key, in item order.
#[test]
fn first_of_each_key_finds_what_a_plain_map_finds() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_pcg::Pcg64::seed_from_u64(7);
    let items: Vec<(String, u16)> =
        (0..20_000).map(|_| (format!("k{}", rng.random_range(0..3_000)), rng.random_range(0..3))).collect();
    let mut expected = Vec::new();
    let mut first: std::collections::HashMap<(&str, u16), usize> = Default::default();
    for (i, (k, n)) in items.iter().enumerate() {
        match first.get(&(k.as_str(), *n)) {
            Some(&f) => expected.push((i, f)),
            None => {
                first.insert((k.as_str(), *n), i);
            }
        }
    }
    for threads in [1, 2, 5] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let mut found = Vec::new();
        pool.install(|| first_of_each_key(&items, |(k, n)| (k.as_str(), *n), |i, f| found.push((i, f))));
        assert_eq!(found, expected, "{threads} threads");
    }
}

fn parse_schools(text: String) -> (Vec<SchoolRow>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let t = Table::parse_text(&crate::format::SCHOOLS, "data/schools.csv".into(), text, "UTF-8", &mut diags).unwrap();
    let sources = HashSet::default();
    let refs = Refs {
        check_counties: false,
        check_sources: false,
        sources: &sources,
        counties: HashSet::default(),
        areas: HashSet::default(),
    };
    let rows = schools(&t, &refs, &mut diags);
    (rows, diags)
}

// Guards the parallel reading of school rows: across many runs of rows, every bad row is
// reported (the same problem once, at its first row, naming the others) and left out, every
// good one kept exactly once.
#[test]
fn every_school_row_is_read_once_in_parallel() {
    let mut text = String::from("school_id,school_name,county,school_year,level,school_type,students\n");
    let bad = [3, 4_500, 19_999];
    for i in 0..20_000 {
        let students = if bad.contains(&i) { "many".to_string() } else { (100 + i % 7).to_string() };
        text.push_str(&format!("{i:010},学校{i},450802,2020-2021,primary,primary,{students}\n"));
    }
    let (rows, diags) = parse_schools(text);
    assert_eq!(rows.len(), 20_000 - bad.len());
    let errors: Vec<_> = diags.sorted().into_iter().filter(|d| d.severity == crate::diag::Severity::Error).collect();
    assert_eq!(errors.iter().map(|d| d.line).collect::<Vec<_>>(), [bad[0] as u32 + 2]);
    let others = format!("(the same in 2 more rows: line {}, line {})", bad[1] + 2, bad[2] + 2);
    assert!(errors[0].message.ends_with(&others), "{}", errors[0].message);
    assert!(rows.windows(2).all(|w| w[0].school_id < w[1].school_id));
}

// Guards the interning of school texts: a school's id and name are one allocation for all
// its rows (years, levels), a parent's id is shared with the parent's rows, and the rows
// read the same texts as before.
#[test]
fn school_texts_are_kept_once() {
    let text = "school_id,school_name,county,school_year,level,school_type,students,parent_school_id\n\
        4508020001,甲小学,450802,2020-2021,primary,primary,300,\n\
        4508020002,乙教学点,450802,2020-2021,primary,teaching_point,20,4508020001\n\
        4508020001,甲小学,450802,2021-2022,primary,primary,310,\n\
        4508020003,丙学校,450802,2021-2022,primary,nine_year,200,\n\
        4508020003,丙学校,450802,2021-2022,junior,nine_year,150,\n";
    let (rows, diags) = parse_schools(text.into());
    assert!(!diags.has_errors(), "{diags:?}");
    let of = |id: &str| rows.iter().filter(|r| &*r.school_id == id).collect::<Vec<_>>();
    let (a, c) = (of("4508020001"), of("4508020003"));
    assert_eq!((a.len(), c.len()), (2, 2));
    assert!(Arc::ptr_eq(&a[0].school_id, &a[1].school_id) && Arc::ptr_eq(&a[0].school_name, &a[1].school_name));
    assert!(Arc::ptr_eq(&c[0].school_id, &c[1].school_id) && &*c[1].school_name == "丙学校");
    let point = &of("4508020002")[0];
    assert!(Arc::ptr_eq(point.parent_school_id.as_ref().unwrap(), &a[0].school_id));
}
