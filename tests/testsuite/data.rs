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

// Guards pages that say what they do not know, and where figures come from: a county without
// school data says its school-level data are not published; a county with quality-balance
// figures only shows its latest school year and its quality verdict in the summaries; the
// computation page cites the sources of its school rows, as the county page cites them beside
// the computed figures.
#[test]
fn pages_say_what_they_do_not_know() {
    let t = SiteTest::demo();
    let quality: String = [
        "teachers_above_degree",
        "teachers_backbone",
        "teachers_pe_art",
        "teaching_area",
        "sports_area",
        "equipment_value",
        "multimedia_rooms",
    ]
    .iter()
    .map(|i| format!("141002,2022-2023,primary,quality,{i},,0.21,yaodu-2018\n"))
    .collect();
    let indicators = std::fs::read_to_string(t.site.join("data/indicators.csv")).unwrap() + &quality;
    t.write("data/indicators.csv", &indicators);
    t.build();
    let county = t.read_output("county/450802/index.html");
    assert!(county.contains("本县未公开学校层面的数据"), "no school data, said");
    assert!(!t.read_output("county/450804/index.html").contains("本县未公开学校层面的数据"));
    // The quality-only county in the home page's summary: its year and verdict, not dashes.
    let home = t.read_output("index.html");
    let row = home.split("<tr>").find(|r| r.contains("141002")).unwrap();
    assert!(row.contains("2022-2023"), "{row}");
    assert!(row.matches("优质均衡 <span class=\"ok\">✓").count() == 1, "primary's verdict: {row}");
    let en = t.read_output("en/index.html");
    let row = en.split("<tr>").find(|r| r.contains("141002")).unwrap();
    assert!(row.contains("Quality balance <span class=\"ok\">"), "{row}");
    // The computation page names where its school data come from.
    let audit = t.read_output("county/450804/computation/2020-2021/index.html");
    assert!(audit.contains("学校数据来源：<a class=\"cite\" href=\"#src-1\""), "the sources are cited");
    assert!(audit.contains("示例学校数据（虚构"), "and listed");
    let county = t.read_output("county/450804/index.html");
    let note = county.split("class=\"note\"").nth(1).unwrap();
    assert!(note.split("</p>").next().unwrap().contains("class=\"cite\""), "computed figures cite their school data");
}

// Guards illustrative data: a source marked `illustrative` in sources.csv labels every page that
// shows its figures (the county's pages, the summaries and rankings that list the county, with
// a tag beside it), and no other page.
#[test]
fn illustrative_data_is_labelled_wherever_shown() {
    let t = SiteTest::demo();
    t.build();
    let banner = "class=\"illustrative\" role=\"note\"";
    for page in [
        "county/450804/index.html",
        "county/450804/computation/2020-2021/index.html",
        "county/450804/schools/index.html",
        "index.html",
        "prefecture/450800/index.html",
        "province/450000/index.html",
        "indicators/basic/books/index.html",
        "en/county/450804/index.html",
    ] {
        assert!(t.read_output(page).contains(banner), "{page} is labelled");
    }
    for page in ["county/450802/index.html", "province/610000/index.html", "timeline/index.html"] {
        assert!(!t.read_output(page).contains(banner), "{page} shows no illustrative figure");
    }
    let home = t.read_output("index.html");
    let row = home.split("<tr>").find(|r| r.contains("450804")).unwrap();
    assert!(row.contains("<span class=\"tag-illustrative\">示例</span>"), "{row}");
    // Without the flag, nothing is labelled.
    let sources = std::fs::read_to_string(t.site.join("data/sources.csv")).unwrap();
    t.write("data/sources.csv", &sources.replace(",true\n", ",false\n"));
    t.build();
    assert!(!t.read_output("county/450804/index.html").contains(banner));
    assert!(!t.read_output("index.html").contains("tag-illustrative"));
}
