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
