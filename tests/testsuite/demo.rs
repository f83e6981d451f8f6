//! The demo site at the repository root is a test too: it must build with zero diagnostics.

use crate::support::SiteTest;

// Guards the demo site and the default theme against rot: zero errors, zero warnings.
#[test]
fn demo_builds_without_diagnostics() {
    let t = SiteTest::demo();
    let report = t.build();
    // Copied outside git, it has no revision history: one note says so, and nothing else.
    let found: Vec<String> = report.diagnostics.sorted().iter().map(|d| d.headline()).collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("note: the site folder is not in a git repository"), "{found:?}");
    // The seven counties of the demo each have a page in both languages.
    for code in ["450802", "450803", "450804", "450821", "450881", "141002", "610921"] {
        assert!(t.output().join(format!("county/{code}/index.html")).is_file());
        assert!(t.output().join(format!("en/county/{code}/index.html")).is_file());
    }
    // Real published composites appear on the county pages with their source.
    let html = t.read_output("county/450803/index.html");
    assert!(html.contains("0.39<a class=\"cite\"") && html.contains("2021年贵港市县域义务教育基本均衡发展工作总结"));
    // A prefecture page shows the prefecture's own series and milestones (贵港's big classes).
    let html = t.read_output("prefecture/450800/index.html");
    assert!(html.contains("4,575") && html.contains("贵港市县域义务教育均衡发展工作规划"));
}

// Guards that `junheng check` on the demo reports a clean site.
#[test]
fn demo_checks_clean() {
    let t = SiteTest::demo();
    let out = t.run(&["check"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 errors, 0 warnings"));
}

// Guards the phone budget: a county page's HTML + CSS under 60 KB gzip-compressed, with no
// script required and nothing from other hosts.
#[test]
fn county_page_weight_budget() {
    use std::io::Write;
    let t = SiteTest::demo();
    t.build();
    let gz = |bytes: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap().len()
    };
    let css = std::fs::read(t.output().join("assets/site.css")).unwrap();
    for code in ["450804", "450802", "141002"] {
        let html = t.read_output(&format!("county/{code}/index.html"));
        let total = gz(html.as_bytes()) + gz(&css);
        assert!(total < 60 * 1024, "county {code}: {total} bytes compressed");
        // Every src/href stays on this site (relative) except citations' own permalinks and sources.
        for attr in ["src=\"http", "<link rel=\"stylesheet\" href=\"http", "<script src=\"http"] {
            assert!(!html.contains(attr), "county {code} loads `{attr}…` from another host");
        }
    }
}
