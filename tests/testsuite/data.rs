//! Reading data as bureaus save it: encodings, and what `check` says about them.

use crate::support::SiteTest;

// Guards GBK, UTF-16 and named encodings: the site builds, and `check` names each file's encoding.
#[test]
fn gbk_and_utf16_files_are_read() {
    let t = SiteTest::from_fixture("encodings/gbk");
    let out = t.run(&["check"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in [
        "read `data/counties.csv` as GB18030",
        "read `data/metrics.csv` as UTF-16LE",
        "read `data/sources.csv` as GBK",
        "read `content/counties/450802.md` as GB18030",
        "read `data/indicators.csv` as UTF-8",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
    }
    t.build();
    let html = t.read_output("county/450802/index.html");
    assert!(html.contains("港北区") && html.contains("测试报告") && html.contains("港北区概况"));
}

// Guards figures as published: a coefficient published as 0.290 and a value published as 4.80
// keep their decimals on the county page, its trend table and chart, the home page's summary,
// the indicator ranking and the CSV (a computed figure keeps the display rule: 0.3 → "0.30").
#[test]
fn a_published_figure_keeps_its_decimals() {
    let t = SiteTest::demo();
    let indicators = std::fs::read_to_string(t.site.join("data/indicators.csv")).unwrap();
    let indicators = indicators
        .replace("450802,2020-2021,primary,basic,composite,,0.21,", "450802,2020-2021,primary,basic,composite,,0.290,")
        + "450802,2019-2020,primary,basic,composite,,0.300,guigang-2021\n"
        + "450802,2020-2021,primary,quality,teaching_area,4.80,0.250,guigang-2021\n";
    t.write("data/indicators.csv", &indicators);
    t.build();
    let county = t.read_output("county/450802/index.html");
    assert!(county.contains(">0.290<") || county.contains("0.290 "), "the composite as published");
    assert!(!county.contains("0.29<") && !county.contains("0.29 "), "never shortened");
    assert!(county.contains(">0.300<"), "the trend table's earlier year as published");
    assert!(county.contains(">4.80<") && county.contains(">0.250<"), "a quality row as published");
    let home = t.read_output("index.html");
    assert!(home.contains("0.290"), "the home page's latest composite");
    let ranking = t.read_output("indicators/quality/teaching_area/index.html");
    assert!(ranking.contains(">0.250<"), "the ranking");
    let csv = t.read_output("data/results.csv");
    assert!(csv.contains("450802,2020-2021,primary,basic,composite,,0.290,0.290,"), "{csv}");
    assert!(csv.contains("450802,2020-2021,primary,quality,teaching_area,4.80,0.250,0.250,"), "{csv}");
}
