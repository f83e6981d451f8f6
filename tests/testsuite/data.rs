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
