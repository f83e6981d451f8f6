//! Error fixtures: `tests/fixtures/errors/<case>/`, one mistake each; the full stderr of
//! `junheng check` is snapshotted, so the presentation is what is tested.

use crate::support::{SiteTest, redactions, repo_root};

/// The cases of `tests/fixtures/<kind>/`, by name.
fn fixtures(kind: &str) -> Vec<String> {
    let root = repo_root().join("tests/fixtures").join(kind);
    let mut cases: Vec<_> =
        std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    cases.sort();
    cases
}

// Guards every error fixture's diagnostics (file:line:column, field, expected/found, snippet).
#[test]
fn error_fixtures() {
    let cases = fixtures("errors");
    assert!(!cases.is_empty());
    for case in cases {
        let t = SiteTest::from_fixture(&format!("errors/{case}"));
        let out = t.run(&["check"]);
        assert_eq!(out.status.code(), Some(1), "{case} should fail with exit code 1");
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        redactions(&t.site).bind(|| insta::assert_snapshot!(format!("error_{case}"), stderr));
    }
}

// Guards every warning fixture (`tests/fixtures/warnings/<case>/`, one slip each that a site
// can publish but should not: school ids of other than ten digits, a coefficient typed as a
// percentage, county codes not in the national list or not matching their prefecture and
// province, figures without a source): `check` passes and names the file, line, column and
// field; `check --deny-warnings` fails on it.
#[test]
fn warning_fixtures() {
    let cases = fixtures("warnings");
    assert!(cases.len() >= 5);
    for case in cases {
        let t = SiteTest::from_fixture(&format!("warnings/{case}"));
        let out = t.run(&["check"]);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(0), "{case} should pass with a warning: {stderr}");
        assert!(stderr.contains("warning: data/"), "{case}: {stderr}");
        redactions(&t.site).bind(|| insta::assert_snapshot!(format!("warning_{case}"), stderr));
        let denied = t.run(&["check", "--deny-warnings"]);
        assert_eq!(denied.status.code(), Some(1), "{case} should fail with --deny-warnings");
    }
}
