//! `junheng new`: the starter site builds, and the embedded theme matches `themes/default`.

use crate::support::{SiteTest, repo_root};

// Guards that a new site builds with zero diagnostics.
#[test]
fn starter_site_builds() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("mysite");
    junheng::new::new_site(&site).unwrap();
    let report =
        junheng::build(&junheng::BuildOptions { site: site.clone(), output: None, deny_warnings: false }).unwrap();
    assert!(report.diagnostics.is_empty(), "{}", report.diagnostics);
    assert!(site.join("public/county/450804/index.html").is_file());
    // A second `new` into the same folder is refused.
    assert!(matches!(junheng::new::new_site(&site), Err(junheng::Error::Usage(_))));
}

// Guards the embedded copy of the default theme against drift from `themes/default`.
#[test]
fn embedded_theme_matches_the_folder() {
    let root = repo_root().join("themes/default");
    let on_disk = junheng::util::fs::walk_files(&root).unwrap();
    let embedded: Vec<String> = junheng::new::DEFAULT_THEME.iter().map(|(p, _)| p.to_string()).collect();
    assert_eq!(embedded, on_disk, "update DEFAULT_THEME in src/new.rs");
    for (path, bytes) in junheng::new::DEFAULT_THEME {
        assert_eq!(std::fs::read(root.join(path)).unwrap(), *bytes, "{path}");
    }
}

// Guards the binary's `new` command output.
#[test]
fn new_command() {
    let t = SiteTest::from_fixture("build/minimal");
    let out = t.run(&["new", "fresh"]);
    assert!(out.status.success());
    assert!(t.site.join("fresh/site.toml").is_file());
}
