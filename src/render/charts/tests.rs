//! Tests of the charts and their text summaries.

use std::sync::Arc;

use super::*;

fn strings() -> Strings {
    let mut zh = BTreeMap::new();
    zh.insert(
        "chart.summary".to_string(),
        "{first}至{last_period}，最高为{max_period}的{max}{unit}，最近为{last_period}的{last}{unit}。".to_string(),
    );
    zh.insert("chart.summary_one".to_string(), "{last_period}为{last}{unit}。".to_string());
    let mut en = BTreeMap::new();
    en.insert(
        "chart.summary".to_string(),
        "From {first} to {last_period}: highest {max} {unit} in {max_period}; latest {last} {unit} in {last_period}."
            .to_string(),
    );
    en.insert("chart.summary_one".to_string(), "{last} {unit} in {last_period}.".to_string());
    Arc::new(BTreeMap::from([("zh-CN".to_string(), zh), ("en".to_string(), en)]))
}

fn big_classes() -> Vec<(String, f64)> {
    vec![("2013".into(), 4575.0), ("2018".into(), 1100.0), ("2021".into(), 190.0)]
}

// Guards the summary sentences in both languages.
#[test]
fn summaries() {
    let s = strings();
    assert_eq!(summary(&big_classes(), "个", "zh-CN", &s), "2013至2021，最高为2013的4,575个，最近为2021的190个。");
    assert_eq!(
        summary(&big_classes(), "classes", "en", &s),
        "From 2013 to 2021: highest 4,575 classes in 2013; latest 190 classes in 2021."
    );
    assert_eq!(summary(&[("2016/2018".into(), 17.99)], "亿元", "zh-CN", &s), "2016/2018为17.99亿元。");
}

// Guards the SVG: named by its caption (no second copy of the text inside), one bar and two
// labels per point, and exact geometry (a snapshot of the markup).
#[test]
fn bar_chart_svg() {
    let svg = bar_chart("c1", &big_classes());
    assert!(svg.starts_with("<svg class=\"chart\" role=\"img\" aria-labelledby=\"c1\""));
    assert!(!svg.contains("<title") && !svg.contains("<desc"));
    assert_eq!(svg.matches("<rect").count(), 3);
    assert_eq!(svg.matches("class=\"val\"").count(), 3);
    // The tallest bar fills the plot height (220 − 22 − 28 = 170).
    assert!(svg.contains("y=\"22\" width=\"60.0\" height=\"170\""), "{svg}");
    assert!(svg.contains(">4,575</text>") && svg.contains(">2021</text>"));
}

fn theme_strings() -> Strings {
    let mut diags = crate::diag::Diagnostics::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let langs = ["zh-CN".to_string(), "en".to_string()];
    let theme = crate::load::theme::load(root, "default", &langs, &mut diags).unwrap();
    Arc::new(theme.strings)
}

/// The primary basic-balance sheets of one county with these published composites.
fn composite_years(cvs: &[(&str, f64)]) -> Vec<Sheet> {
    cvs.iter()
        .map(|(y, cv)| Sheet {
            county: "450802".into(),
            school_year: crate::model::SchoolYear::parse(y).unwrap(),
            level: Level::Primary,
            scheme: Scheme::Basic,
            rules: "2012",
            rows: Vec::new(),
            composite: Some(crate::engine::Composite {
                cv: *cv,
                basis: crate::engine::Basis::Reported,
                reported_cv: Some(*cv),
                reported_cv_decimals: Some(2),
                computed_cv: None,
                disagrees: None,
                reported_mean: None,
                departs_from_mean: None,
                threshold: 0.65,
                meets: *cv <= 0.65,
                source: None,
            }),
            meets_all: None,
            schools: None,
            school_sources: None,
            failing_schools: None,
        })
        .collect()
}

fn composite_summary(cvs: &[(&str, f64)], lang: &str) -> String {
    let s = theme_strings();
    let v = county_trends(&composite_years(cvs), &Rules::default(), Tr::new(&s, lang));
    let summary = v.get_item_by_index(0).and_then(|g| g.get_attr("charts")?.get_item_by_index(0)?.get_attr("summary"));
    summary.unwrap().as_str().unwrap().to_string()
}

// Guards the trend sentence with the default theme's strings: the wording of the issue's
// example, the previous school year named when there is a gap, and each comparison.
#[test]
fn trend_summaries_in_both_languages() {
    let pair = [("2019-2020", 0.24), ("2020-2021", 0.21)];
    assert_eq!(
        composite_summary(&pair, "zh-CN"),
        "2020-2021学年小学综合差异系数为0.21，低于0.65的标准，比上一学年下降0.03。"
    );
    assert_eq!(
        composite_summary(&pair, "en"),
        "In 2020-2021, the primary composite CV was 0.21, below the 0.65 threshold, down 0.03 from the previous school year."
    );
    let gap = [("2017-2018", 0.6), ("2020-2021", 0.7)];
    assert_eq!(
        composite_summary(&gap, "zh-CN"),
        "2020-2021学年小学综合差异系数为0.70，高于0.65的标准，比2017-2018学年上升0.10。"
    );
    let same = [("2019-2020", 0.65), ("2020-2021", 0.65)];
    assert_eq!(
        composite_summary(&same, "en"),
        "In 2020-2021, the primary composite CV was 0.65, equal to the 0.65 threshold, unchanged from the previous school year."
    );
    // One school year: a sentence without a comparison, and no chart.
    let s = theme_strings();
    let v = county_trends(
        &composite_years(&[("2020-2021", 0.3), ("2021-2022", 0.2)]),
        &Rules::default(),
        Tr::new(&s, "zh-CN"),
    );
    let svg = v.get_item_by_index(0).and_then(|g| g.get_attr("charts")?.get_item_by_index(0)?.get_attr("svg"));
    assert!(svg.unwrap().as_str().unwrap().contains("class=\"ref\" stroke-dasharray"));
    let one = county_trends(&composite_years(&[("2020-2021", 0.3)]), &Rules::default(), Tr::new(&s, "zh-CN"));
    assert_eq!(one.len(), Some(0));
}

// Guards the coordinates' text: `Tenths` and `push_tenths` write what `{}` writes for
// every value `r1` returns (whole, negative, tenths, large), and fall back for values that
// are not tenths.
#[test]
fn tenths_display_as_the_float_formatter_does() {
    let mut values: Vec<f64> = (-3000..3000).map(|k| r1(f64::from(k) * 0.137 + 0.05)).collect();
    values.extend([0.0, 0.1, -0.1, 544.0, 1e6 + 0.3, 123_456_789.9, 37.3 - 9.0, 0.1 + 0.2, 1e300, f64::NAN]);
    for v in values {
        assert_eq!(Tenths(v).to_string(), format!("{v}"), "{v:?}");
        let mut pushed = String::from("M");
        push_tenths(&mut pushed, v);
        assert_eq!(pushed, format!("M{v}"), "{v:?}");
    }
}

// Guards the trend geometry: values above the threshold are squares (shape, not colour,
// tells them apart), a missing school year leaves a gap on the axis.
#[test]
fn trend_chart_marks_values_above_the_threshold_by_shape() {
    let points = [
        TrendPoint { slot: 0, label: "2018-2019".into(), value: 0.7, decimals: None },
        TrendPoint { slot: 2, label: "2020-2021".into(), value: 0.5, decimals: Some(3) },
    ];
    let line = RefLine { label: "标准 ≤ 0.65".into(), value: 0.65, dashed: true };
    let svg = trend_chart("t", &points, 3, &line);
    // One path of points of each kind: a circle below the threshold, a square above it.
    assert!(svg.contains("<path class=\"pt\" d=\"M456 "), "{svg}");
    assert!(svg.contains("<path class=\"pt over\" d=\"M104 "), "{svg}");
    assert_eq!(svg.matches("h0").count(), 2);
    assert_eq!(svg.matches("<text").count(), 5);
    // Three slots of (560 − 32) / 3 = 176: points at the first and third slot centres.
    assert!(svg.contains("<polyline points=\"104,"), "{svg}");
    assert!(svg.contains(" 456,"), "{svg}");
    assert!(svg.contains(">标准 ≤ 0.65</text>"));
}

// Guards the strip chart: one path of dots per row, rings below the standard (not only a
// colour), the mean labelled, long names cut with an ellipsis, far values at the axis end.
#[test]
fn school_strips_against_mean_and_standard() {
    let rows = [
        Strip {
            label: "一项名字非常非常非常非常长的指标".into(), ratios: vec![0.5, 1.0, 1.5], standard: None
        },
        Strip { label: "乙".into(), ratios: vec![0.2, 1.1, 9.0], standard: Some(0.8) },
    ];
    let svg = school_strips("s", &rows, "县域均值");
    // One path of dots per row and kind; the school below the standard in its own path (drawn
    // as squares by the style sheet: a shape, not only a colour), once.
    assert_eq!(svg.matches("class=\"dots\"").count(), 2);
    assert_eq!(svg.matches("class=\"dots low\"").count(), 1);
    assert!(!svg.contains("hole"));
    assert_eq!(svg.matches("stroke-dasharray").count(), 1);
    assert!(svg.contains(">县域均值</text>") && svg.contains("…</text>") && svg.contains(">乙</text>"));
    // The axis ends at four times the mean; a value beyond sits at the edge.
    assert!(svg.contains(">400%</text>") && !svg.contains(">450%</text>"));
    // Dots left to right, each a move from the last: 1.1 × the mean at 266.7, then 9 × at the
    // edge, 548.
    assert!(svg.contains("M266.7 ") && svg.contains("h0m281.3 0h0\""), "{svg}");
    // The same strips drawn once as a group for charts of single schools: each marks its school
    // on every row where it has a value, at the same scale (the mean at 257).
    let (group, scale) = strips_group("g-1", &rows, "县域均值");
    assert!(group.starts_with("<g id=\"g-1\" class=\"strips\">") && group.contains("h0m281.3 0h0\""));
    let marked = marked_strips("cap", "g-1", &scale, &[Some(1.0), None]);
    assert!(marked.contains("aria-labelledby=\"cap\"") && marked.contains("<use href=\"#g-1\"/>"));
    assert!(marked.contains("d=\"M257 27v20\""), "{marked}");
}

// Guards the recognitions: years without a recognition count as zero, the running total.
#[test]
fn recognitions_per_year_with_running_total() {
    let s = theme_strings();
    let v = recognitions(&[(2016, "basic"), (2018, "basic"), (2018, "basic")], "贵港市", Tr::new(&s, "zh-CN"));
    let rows = &v[0]["rows"];
    assert_eq!(rows.as_array().unwrap().len(), 3);
    assert_eq!((rows[1]["count"].as_u64(), rows[2]["total"].as_u64()), (Some(0), Some(3)));
    assert_eq!(v[0]["summary"], "截至2018年，贵港市共有3个县（市、区）通过基本均衡国家认定，2018年最多，为2个。");
}
