//! Tests of the engine: hand-computed cases and properties of the coefficient.

use proptest::prelude::*;

use super::*;
use crate::model::rules::{QUALITY_INDICATORS, RuleOverrides};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

// Guards the enrolment weighting: the CV must differ from the unweighted and the n−1 ones.
#[test]
fn weighted_not_unweighted_nor_sample() {
    // Pupils 100 and 300 with 2 and 4 m² each.
    let c = coefficient_of(&[(100.0, 200.0), (300.0, 1200.0)], 1.0);
    let weighted = 0.75f64.sqrt() / 3.5; // mean 3.5, variance 0.25·1.5² + 0.75·0.5²
    assert!(close(c.cv.unwrap(), weighted), "{:?}", c.cv);
    let unweighted = 1.0 / 3.0; // mean 3, population SD 1
    let sample = 2f64.sqrt() / 3.0; // n−1
    assert!(!close(c.cv.unwrap(), unweighted) && !close(c.cv.unwrap(), sample));
}

// Guards a three-school case computed by hand (books per pupil 30, 20, 40).
#[test]
fn three_schools_by_hand() {
    let c = coefficient_of(&[(200.0, 6000.0), (500.0, 10000.0), (300.0, 12000.0)], 1.0);
    assert_eq!(c.total_students, 1000.0);
    assert!(close(c.mean.unwrap(), 28.0));
    assert!(close(c.variance.unwrap(), 76.0)); // 0.2·2² + 0.5·8² + 0.3·12²
    assert!(close(c.cv.unwrap(), 76f64.sqrt() / 28.0));
    assert!(close(c.terms[1].weighted_square, 32.0));
}

// Guards the documented edge cases: one school, no pupils, zero mean, missing figures.
#[test]
fn edge_cases() {
    assert_eq!(coefficient_of(&[(120.0, 600.0)], 1.0).cv, Some(0.0));
    let c = coefficient_of(&[(0.0, 600.0)], 1.0);
    assert_eq!((c.cv, c.no_cv), (None, Some(NoCv::NoSchools)));
    let c = coefficient_of(&[(10.0, 0.0), (20.0, 0.0)], 1.0);
    assert_eq!((c.cv, c.no_cv, c.mean), (None, Some(NoCv::ZeroMean), Some(0.0)));
    // A school without students is skipped, not counted as zero.
    let with_empty = coefficient_of(&[(100.0, 200.0), (0.0, 0.0), (300.0, 1200.0)], 1.0);
    assert!(close(with_empty.cv.unwrap(), 0.75f64.sqrt() / 3.5));
    let units = [(0, 100.0, Some(200.0)), (1, 50.0, None), (2, 300.0, Some(1200.0))];
    let c = coefficient("books", &units, 1.0);
    assert_eq!(c.missing, vec![1]);
    assert_eq!(c.terms.len(), 2);
}

// Guards "每百名学生" scaling: values × 100, CV unchanged.
#[test]
fn per_hundred_scales_values_not_cv() {
    let a = coefficient_of(&[(100.0, 10.0), (300.0, 60.0)], 100.0);
    let b = coefficient_of(&[(100.0, 10.0), (300.0, 60.0)], 1.0);
    assert!(close(a.mean.unwrap(), 17.5));
    assert!(close(a.cv.unwrap(), b.cv.unwrap()));
}

fn row(id: &str, level: Level, ty: &'static str, students: u32, area: f64, teachers: f64) -> SchoolRow {
    let mut figures = [None; SCHOOL_FIGURES.len()];
    figures[0] = Some(area);
    figures[6] = Some(teachers);
    SchoolRow {
        school_id: id.into(),
        school_name: id.into(),
        county: "450804".into(),
        school_year: SchoolYear(2020),
        level,
        school_type: ty,
        students,
        figures: figures.into(),
        senior_students: None,
        parent_school_id: None,
        source: None,
        town: None,
        classes: None,
        large_classes: None,
    }
}

// Guards the combined-school split: facilities apportioned by weighted enrolment, teachers not.
#[test]
fn combined_schools_are_split() {
    let rules = Rules::default();
    let rows = vec![
        row("9", Level::Primary, "nine_year", 600, 10400.0, 30.0),
        row("9", Level::Junior, "nine_year", 400, 10400.0, 35.0),
    ];
    let (p, _, _) = units(&rows, Scheme::Basic, Level::Primary, &rules);
    let (j, _, _) = units(&rows, Scheme::Basic, Level::Junior, &rules);
    assert!(close(p[0].facility_share, 600.0 / 1040.0));
    assert!(close(p[0].resource("teaching_area_m2").unwrap(), 6000.0));
    assert!(close(j[0].resource("teaching_area_m2").unwrap(), 4400.0));
    assert_eq!(j[0].resource("teachers"), Some(35.0));
    // 完全中学: junior B/(B + 1.2C).
    let mut cs = row("c", Level::Junior, "complete_secondary", 800, 14000.0, 60.0);
    cs.senior_students = Some(500);
    let (u, _, _) = units(&[cs], Scheme::Basic, Level::Junior, &rules);
    assert!(close(u[0].facility_share, 800.0 / 1400.0));
    // 十二年一贯制: A/(A + 1.1B + 1.32C) and 1.1B/(…).
    let mut a = row("t", Level::Primary, "twelve_year", 300, 6520.0, 20.0);
    let mut b = row("t", Level::Junior, "twelve_year", 200, 6520.0, 20.0);
    a.senior_students = Some(100);
    b.senior_students = Some(100);
    let rows = vec![a, b];
    let (p, _, _) = units(&rows, Scheme::Basic, Level::Primary, &rules);
    let (j, _, _) = units(&rows, Scheme::Basic, Level::Junior, &rules);
    assert!(close(p[0].resource("teaching_area_m2").unwrap(), 3000.0));
    assert!(close(j[0].resource("teaching_area_m2").unwrap(), 2200.0));
}

// Guards teaching points: merged into the parent by default, out of quality scope under 50.
#[test]
fn teaching_points() {
    let mut point = row("p", Level::Primary, "teaching_point", 40, 300.0, 3.0);
    point.parent_school_id = Some("c".into());
    let mut big_point = row("q", Level::Primary, "teaching_point", 60, 400.0, 4.0);
    big_point.parent_school_id = Some("c".into());
    let mut orphan = row("o", Level::Primary, "teaching_point", 70, 400.0, 4.0);
    orphan.parent_school_id = Some("nowhere".into());
    let rows = vec![row("c", Level::Primary, "primary", 500, 2500.0, 30.0), point, big_point, orphan];
    let rules = Rules::default();
    let (u, excluded, orphans) = units(&rows, Scheme::Basic, Level::Primary, &rules);
    assert_eq!(u[0].students, 600.0);
    assert_eq!(u[0].resource("teaching_area_m2"), Some(3200.0));
    assert_eq!(u[0].merged, ["p", "q"].map(Arc::from));
    assert!(excluded.is_empty());
    assert_eq!(orphans, [Arc::from("o")]);
    let (u, excluded, _) = units(&rows, Scheme::Quality, Level::Primary, &rules);
    assert_eq!(u[0].students, 560.0);
    assert_eq!(excluded, [Arc::from("p")]);
    let rules =
        Rules::with_overrides(&RuleOverrides { teaching_points: Some(TeachingPoints::Separate), ..Default::default() });
    let (u, _, _) = units(&rows, Scheme::Basic, Level::Primary, &rules);
    assert_eq!(u.len(), 4);
    let rules =
        Rules::with_overrides(&RuleOverrides { teaching_points: Some(TeachingPoints::Exclude), ..Default::default() });
    let (u, excluded, _) = units(&rows, Scheme::Basic, Level::Primary, &rules);
    assert_eq!((u.len(), excluded.len()), (1, 3));
}

// Guards what a school's page says of the county's coefficient: worked by hand, teaching
// space of 2, 4 and 6 m² per pupil for 100, 300 and 100 pupils has county value 4 and variance
// 0.2·2² + 0.6·0² + 0.2·2² = 1.6; without the third school the two others give 3.5 and
// 0.25·1.5² + 0.75·0.5² = 0.75; without the second, 4 and 0.5·2² + 0.5·2² = 4 (CV 0.5).
#[test]
fn without_a_school_the_coefficient_is_that_of_the_others() {
    let c = coefficient_of(&[(100.0, 200.0), (300.0, 1200.0), (100.0, 600.0)], 1.0);
    assert!(close(c.cv.unwrap(), 1.6f64.sqrt() / 4.0));
    assert!(close(c.without(2).unwrap(), 0.75f64.sqrt() / 3.5));
    assert!(close(c.without(1).unwrap(), 0.5));
    assert_eq!(c.without(7), c.cv, "a school not counted changes nothing");
    assert_eq!(coefficient_of(&[(100.0, 200.0)], 1.0).without(0), None, "no school left, no coefficient");
    // Per-hundred figures: the terms are scaled once, not twice.
    let h = coefficient_of(&[(100.0, 2.0), (300.0, 12.0), (100.0, 6.0)], 100.0);
    assert!(close(h.without(2).unwrap(), 0.75f64.sqrt() / 3.5));
    assert_eq!((c.position(0), c.position(1), c.position(2)), (Some((0, 2)), Some((1, 1)), Some((2, 0))));
    assert_eq!(c.value_of(1), Some(4.0));
    // The same figure, to the bit, as the whole formula over the other schools (uneven values,
    // where another order of sums would differ in the last bits).
    let odd = [(137.0, 911.3), (29.0, 71.9), (1043.0, 7345.1), (311.0, 1999.7)];
    let o = coefficient_of(&odd, 1.0);
    for i in 0..odd.len() {
        let mut rest = odd.to_vec();
        rest.remove(i);
        assert_eq!(o.without(i).map(f64::to_bits), coefficient_of(&rest, 1.0).cv.map(f64::to_bits));
    }
}

// Guards where a school is in each computation: counted, merged into its central school,
// left out as a teaching point under 50 pupils (quality), or absent from a level.
#[test]
fn a_school_is_counted_merged_left_out_or_absent() {
    let mut small = row("p", Level::Primary, "teaching_point", 40, 300.0, 3.0);
    small.parent_school_id = Some("c".into());
    let mut big = row("q", Level::Primary, "teaching_point", 60, 400.0, 4.0);
    big.parent_school_id = Some("c".into());
    let rows = vec![
        row("c", Level::Primary, "primary", 500, 2500.0, 30.0),
        small,
        big,
        row("j", Level::Junior, "junior", 400, 2400.0, 30.0),
    ];
    let all = detail(&rows, &Rules::default());
    let of = |scheme, level| all.iter().find(|c| c.scheme == scheme && c.level == level).unwrap();
    let (basic, quality) = (of(Scheme::Basic, Level::Primary), of(Scheme::Quality, Level::Primary));
    assert_eq!(basic.place_of("c"), Place::Counted(0));
    assert_eq!(basic.place_of("p"), Place::MergedInto(0));
    assert_eq!(quality.place_of("p"), Place::LeftOut);
    assert_eq!(quality.place_of("q"), Place::MergedInto(0));
    assert_eq!(quality.place_of("j"), Place::Absent);
    assert_eq!(of(Scheme::Quality, Level::Junior).place_of("j"), Place::Counted(0));
    assert!(quality.compliance_of(0).is_some() && basic.compliance_of(0).is_none());
}

fn quality_unit(values: [f64; 7]) -> Unit {
    // 100 pupils, so per-hundred resources equal their value and per-pupil ones are ×100.
    let mut resources = [None; SCHOOL_FIGURES.len()];
    for (ind, v) in QUALITY_INDICATORS.iter().zip(values) {
        let r = if ind.per_hundred { v } else { v * 100.0 };
        resources[column_index(ind.resource).unwrap()] = Some(r);
    }
    Unit {
        school_id: "s".into(),
        school_name: "s".into(),
        school_type: "primary",
        students: 100.0,
        facility_share: 1.0,
        resources,
        merged: vec![],
    }
}

// Guards the per-school quality rule: ≥ 6 met and the missed one ≥ 85 % of its standard.
#[test]
fn quality_school_rule() {
    let ok = [4.2, 1.0, 0.9, 4.5, 7.5, 2000.0, 2.3];
    let mut near = ok;
    near[4] = 7.5 * 0.9; // sports area at 90 %
    let mut far = ok;
    far[4] = 7.5 * 0.8; // at 80 %
    let mut two = near;
    two[0] = 4.0;
    let units = vec![quality_unit(ok), quality_unit(near), quality_unit(far), quality_unit(two)];
    let c = compliance(&units, QUALITY_INDICATORS, Level::Primary);
    let passes: Vec<_> = c.schools.iter().map(|s| (s.met, s.passes)).collect();
    assert_eq!(passes, vec![(7, true), (6, true), (6, false), (5, false)]);
    assert_eq!(c.failing, 2);
}

// Guards what a parent reads of each standard and of the school: at a standard it is met, just
// under it and down to exactly 85 % it is near (the one miss the rule allows), just under 85 %
// and well under it is below, a missing figure is unknown; six met with the seventh at exactly
// 85 % meets the rule, at just under 85 % or with a figure missing it falls short.
#[test]
fn a_school_stands_against_each_standard_as_the_rule_says() {
    let primary: Vec<f64> = QUALITY_INDICATORS.iter().map(|i| i.standard_for(Level::Primary).unwrap()).collect();
    let at = |k: usize, share: f64| {
        let mut values: [f64; 7] = primary.clone().try_into().unwrap();
        values[k] = primary[k] * share;
        values
    };
    for (k, ind) in QUALITY_INDICATORS.iter().enumerate() {
        for (share, standing, verdict) in [
            (1.0, Standing::Meets, Verdict::Meets),
            (0.999, Standing::Near, Verdict::Meets),
            (0.85, Standing::Near, Verdict::Meets),
            (0.849, Standing::Below, Verdict::FallsShort { missed: 1 }),
            (0.5, Standing::Below, Verdict::FallsShort { missed: 1 }),
        ] {
            let c = compliance(&[quality_unit(at(k, share))], QUALITY_INDICATORS, Level::Primary);
            let school = &c.schools[0];
            let standings: Vec<(&str, Standing)> = school.standings().collect();
            assert_eq!(standings[k], (ind.id, standing), "{} at {share}", ind.id);
            assert!(standings.iter().enumerate().all(|(i, s)| i == k || s.1 == Standing::Meets));
            assert_eq!(school.verdict(), verdict, "{} at {share}", ind.id);
        }
    }
    // Two near misses: only one is allowed.
    let mut two = at(0, 0.9);
    two[1] = primary[1] * 0.9;
    let c = compliance(&[quality_unit(two)], QUALITY_INDICATORS, Level::Primary);
    assert_eq!(c.schools[0].verdict(), Verdict::FallsShort { missed: 2 });
    // A figure missing is not met and not near.
    let mut unit = quality_unit(at(0, 1.0));
    unit.resources[column_index(QUALITY_INDICATORS[4].resource).unwrap()] = None;
    let c = compliance(&[unit], QUALITY_INDICATORS, Level::Primary);
    assert_eq!(c.schools[0].standings().nth(4).unwrap().1, Standing::Unknown);
    assert_eq!(c.schools[0].verdict(), Verdict::FallsShort { missed: 1 });
    assert_eq!(Standing::of(Some(0.85 * 4.5), 4.5), Standing::Near, "exactly 85 % of 4.5 m² is near");
}

proptest! {
    // Guards invariance of the CV to scaling every resource by one constant.
    #[test]
    fn cv_invariant_to_scaling(schools in prop::collection::vec((1.0f64..5000.0, 0.1f64..1e6), 1..40), k in 0.001f64..1000.0) {
        let a = coefficient_of(&schools, 1.0).cv.unwrap();
        let scaled: Vec<_> = schools.iter().map(|(p, r)| (*p, r * k)).collect();
        let b = coefficient_of(&scaled, 1.0).cv.unwrap();
        prop_assert!((a - b).abs() <= 1e-9 * (1.0 + a.abs()));
    }

    // Guards invariance to the order of the schools.
    #[test]
    fn cv_invariant_to_permutation(schools in prop::collection::vec((1.0f64..5000.0, 0.1f64..1e6), 1..40), seed in any::<u64>()) {
        let a = coefficient_of(&schools, 1.0).cv.unwrap();
        let mut shuffled = schools.clone();
        let n = shuffled.len();
        let mut x = seed;
        for i in (1..n).rev() {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (x >> 33) as usize % (i + 1));
        }
        let b = coefficient_of(&shuffled, 1.0).cv.unwrap();
        prop_assert!((a - b).abs() <= 1e-9 * (1.0 + a.abs()));
    }

    // Guards invariance to splitting a school into two identical halves (weighting by pupils).
    #[test]
    fn cv_invariant_to_splitting_a_school(schools in prop::collection::vec((1.0f64..5000.0, 0.1f64..1e6), 1..40), pick in any::<prop::sample::Index>()) {
        let a = coefficient_of(&schools, 1.0).cv.unwrap();
        let i = pick.index(schools.len());
        let mut split = schools.clone();
        let (p, r) = split[i];
        split[i] = (p / 2.0, r / 2.0);
        split.push((p / 2.0, r / 2.0));
        let b = coefficient_of(&split, 1.0).cv.unwrap();
        prop_assert!((a - b).abs() <= 1e-9 * (1.0 + a.abs()));
    }

    // Guards CV = 0 when every school has the same value per pupil.
    #[test]
    fn cv_zero_when_schools_are_equal(pupils in prop::collection::vec(1.0f64..5000.0, 1..40), x in 0.01f64..1e4) {
        let schools: Vec<_> = pupils.iter().map(|p| (*p, p * x)).collect();
        prop_assert!(coefficient_of(&schools, 1.0).cv.unwrap() < 1e-9);
    }
}

// Guards the site's engine run: every county × year keeps its coefficients (in the order of
// `compute`) without the school-by-school detail, `audit_years = "latest"` marks each county's
// latest year as audited, and `detail` recomputes a county-year exactly as `compute` did.
#[test]
fn site_results_are_summaries_and_detail_recomputes_them() {
    let rules = Rules::default();
    let mut rows = Vec::new();
    for (county, year) in [("450802", 2019), ("450802", 2020), ("450804", 2018), ("450804", 2020)] {
        for (id, students, area) in [("a", 300, 1500.0), ("b", 500, 1800.0)] {
            let mut r = row(&format!("{county}{id}"), Level::Primary, "primary", students, area + year as f64, 20.0);
            r.county = county.into();
            r.school_year = SchoolYear(year);
            rows.push(r);
        }
    }
    let all = compute(&rows, &rules);
    let latest = compute_with(&rows, &rules, AuditYears::Latest);
    assert_eq!(all.len(), latest.len());
    for (a, l) in all.iter().zip(&latest) {
        assert_eq!((&a.county, a.school_year, a.level, a.scheme), (&l.county, l.school_year, l.level, l.scheme));
        assert_eq!(
            a.coefficients.iter().map(|k| k.cv).collect::<Vec<_>>(),
            l.coefficients.iter().map(|k| k.cv).collect::<Vec<_>>()
        );
        assert_eq!((a.composite, a.schools), (l.composite, l.schools));
        assert!(a.detailed && a.audited && !a.units.is_empty());
        assert!(!l.detailed && l.units.is_empty() && l.coefficients.iter().all(|k| k.terms.is_empty()));
        assert_eq!(l.audited, l.school_year == SchoolYear(2020), "{} {}", l.county, l.school_year);
    }
    assert!(compute_with(&rows, &rules, AuditYears::All).iter().all(|c| c.audited && !c.detailed));
    let of_year: Vec<_> =
        rows.iter().filter(|r| &*r.county == "450804" && r.school_year == SchoolYear(2020)).cloned().collect();
    let again = detail(&of_year, &rules);
    let before: Vec<_> =
        all.iter().filter(|c| &*c.county == "450804" && c.school_year == SchoolYear(2020)).cloned().collect();
    assert_eq!(again, before);
}

// Guards what the preview's memory relies on: a county's results depend on its own rows only,
// so computing county by county and putting the results together equals computing all at once.
#[test]
fn a_county_computed_alone_gives_its_results_within_the_site() {
    let rules = Rules::default();
    let mut rows = Vec::new();
    for county in ["450802", "450803", "450804"] {
        for year in [2019, 2020] {
            for (id, students, area) in [("a", 300, 1500.0), ("b", 500, 1800.0)] {
                let mut r = row(&format!("{county}{id}"), Level::Primary, "primary", students, area, 20.0);
                r.county = county.into();
                r.school_year = SchoolYear(year);
                rows.push(r);
            }
        }
    }
    for audit in [AuditYears::Latest, AuditYears::All] {
        let all = compute_with(&rows, &rules, audit);
        let alone: Vec<Computed> =
            rows.chunk_by(|a, b| a.county == b.county).flat_map(|c| compute_with(c, &rules, audit)).collect();
        assert_eq!(alone, all);
        let latest = all.iter().filter(|c| c.school_year == SchoolYear(2020)).count();
        assert_eq!(all.iter().filter(|c| c.audited).count(), if audit == AuditYears::All { all.len() } else { latest });
    }
}
