//! The national county list (2,854 units) builds as a site.

use crate::support::SiteTest;

// Guards the national list: every county gets a page and every province a roll-up.
#[test]
fn national_county_list_builds() {
    let t = SiteTest::from_fixture("national");
    let report = t.build();
    assert!(report.diagnostics.is_empty(), "{}", report.diagnostics);
    let counties = std::fs::read_dir(t.output().join("county")).unwrap().count();
    assert_eq!(counties, 2854);
    let provinces = std::fs::read_dir(t.output().join("province")).unwrap().count();
    assert_eq!(provinces, 31);
    // 市辖区 placeholders show their province's name.
    assert!(t.read_output("prefecture/110100/index.html").contains("<h1>北京市</h1>"));
}

// Guards the incremental layer at national size: one county's published row, milestone,
// metric and narrative edited in turn, then a county renamed, each rebuilt in verify mode
// (whatever a rebuild reuses is made again and compared); an edit of a data row does not
// read the areas again; the last rebuild equals a clean render, file for file.
// See: #22
#[test]
fn issue_22_preview_rebuilds_in_verify_mode_at_national_size() {
    let t = SiteTest::from_fixture("national");
    let files = [
        (
            "data/indicators.csv",
            "county,school_year,level,scheme,indicator,value,cv,source\n450802,2020-2021,primary,basic,composite,,0.412,\n",
            "0.412",
        ),
        ("data/milestones.csv", "area,date,event,title,source\n450802,2015-12,national_recognition,认定,\n", "2015-12"),
        ("data/metrics.csv", "area,period,metric,value,unit,source\n450802,2020,big_classes,3,班,\n", ",3,"),
        ("content/counties/450802.md", "+++\ntitle = \"港北区\"\n+++\n\n港北区的说明。\n", "说明"),
    ];
    for (rel, text, _) in files {
        t.write(rel, text);
    }
    let mut preview = junheng::incremental::Preview::new(&t.site, true);
    preview.render().unwrap();
    preview.counts();
    for (rel, text, from) in files {
        let edited = match from {
            "0.412" => "0.398",
            "2015-12" => "2016-01",
            ",3," => ",4,",
            _ => "介绍",
        };
        t.write(rel, &text.replace(from, edited));
        preview.forget(&[rel.to_string()]);
        let rendered = preview.render().unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert!(rendered.diagnostics.is_empty(), "{rel}: {}", rendered.diagnostics);
        let counts = preview.counts();
        let made = |part: &str| counts.iter().find(|(name, ..)| *name == part).map_or(0, |(_, made, _)| *made);
        assert_eq!(made("register"), 0, "{rel}: the areas are not read again");
    }
    let counties = std::fs::read_to_string(t.site.join("data/counties.csv")).unwrap();
    t.write("data/counties.csv", &counties.replace("110101,东城区", "110101,东城"));
    preview.forget(&["data/counties.csv".to_string()]);
    let cached = preview.render().unwrap().files;
    let clean = junheng::build::render_site(&t.site, false).unwrap().files;
    assert!(cached.len() == clean.len() && cached == clean, "the cached render differs from a clean one");
    let page = cached.iter().find(|f| f.path == "county/110101/index.html").unwrap();
    let page = String::from_utf8_lossy(&page.bytes);
    assert!(page.contains("<h1>东城") && !page.contains("东城区"), "the renamed county");
}
