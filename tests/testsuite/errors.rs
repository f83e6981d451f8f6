//! Error fixtures: `tests/fixtures/errors/<case>/`, one mistake each; the full stderr of
//! `junheng check` is snapshotted, so the presentation is what is tested.

use crate::support::{SiteTest, redactions, repo_root};

// Guards every error fixture's diagnostics (file:line:column, field, expected/found, snippet).
#[test]
fn error_fixtures() {
    let root = repo_root().join("tests/fixtures/errors");
    let mut cases: Vec<_> =
        std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    cases.sort();
    assert!(!cases.is_empty());
    for case in cases {
        let t = SiteTest::from_fixture(&format!("errors/{case}"));
        let out = t.run(&["check"]);
        assert_eq!(out.status.code(), Some(1), "{case} should fail with exit code 1");
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        redactions(&t.site).bind(|| insta::assert_snapshot!(format!("error_{case}"), stderr));
    }
}
