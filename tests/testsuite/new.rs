//! `junheng new` and `junheng eject`: the starter site builds with the built-in theme, which
//! matches `src/theme/`.

use crate::support::{SiteTest, repo_root};

// Guards the starter: every table with its header row and every folder; it builds, warning of
// the placeholders to replace (address and publisher) until they are, then with none.
#[test]
fn starter_site_builds() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("mysite");
    junheng::new::new_site(&site).unwrap();
    for spec in junheng::format::INPUT_FILES {
        let text = std::fs::read_to_string(site.join(spec.file)).unwrap();
        assert!(text.starts_with(spec.columns[0].name), "{}: {text}", spec.file);
    }
    assert!(site.join("content/counties/450804.md").is_file());
    let build = || junheng::build(&junheng::BuildOptions { site: site.clone(), output: None, deny_warnings: false });
    let report = build().unwrap();
    let shown = report.diagnostics.to_string();
    assert_eq!((report.diagnostics.error_count(), report.diagnostics.warning_count()), (0, 2), "{shown}");
    assert!(shown.contains("field `base_url`: still `https://example.org/`, the placeholder"), "{shown}");
    assert!(shown.contains("field `publisher`: still `示例县教育局`"), "{shown}");
    let toml = std::fs::read_to_string(site.join("site.toml")).unwrap();
    let own = toml
        .replace("https://example.org/", "https://jyj.jiujiang.example.gov.cn/")
        .replace("示例县教育局", "覃塘区教育局")
        .replace("Example County Education Bureau", "Qintang District Education Bureau");
    std::fs::write(site.join("site.toml"), own).unwrap();
    let report = build().unwrap();
    assert!(report.diagnostics.is_clean(), "{}", report.diagnostics);
    assert!(site.join("public/county/450804/index.html").is_file());
    assert!(!site.join("themes").exists(), "no copy of the theme unless asked");
    // A second `new` into the same folder is refused.
    assert!(matches!(junheng::new::new_site(&site), Err(junheng::Error::Usage(_))));
}

// Guards the built-in theme's list of files against drift from `src/theme/`.
#[test]
fn built_in_theme_matches_the_folder() {
    let root = repo_root().join("src/theme");
    let on_disk = junheng::util::fs::walk_files(&root, "site").unwrap();
    let embedded: Vec<String> = junheng::load::theme::BUILT_IN.iter().map(|(p, _)| p.to_string()).collect();
    assert_eq!(embedded, on_disk, "update BUILT_IN in src/load/theme.rs");
    for (path, bytes) in junheng::load::theme::BUILT_IN {
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

// Guards `junheng eject` and `new --eject`: the built-in theme's files written into the site,
// the site's own files kept, and the site building the same with them.
// See: #24
#[test]
fn eject_writes_the_theme_and_keeps_the_sites_files() {
    let t = SiteTest::from_fixture("build/minimal");
    t.build();
    let before = crate::support::tree(&t.output());
    let own = t.own_theme_file("templates/404.html");
    std::fs::write(&own, "{% extends \"base.html\" %}{% block main %}own{% endblock %}").unwrap();
    let out = t.run(&["eject", "--site", t.site.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("kept themes/default/templates/404.html"), "{printed}");
    assert!(printed.contains("wrote themes/default/css/site.css"), "{printed}");
    assert!(std::fs::read_to_string(&own).unwrap().contains("own"), "the site's own file is kept");
    for (path, _) in junheng::load::theme::BUILT_IN {
        assert!(t.site.join("themes/default").join(path).is_file(), "{path}");
    }
    std::fs::remove_file(&own).unwrap();
    t.build();
    assert_eq!(crate::support::tree(&t.output()), before, "an ejected theme builds the same site");
    let fresh = t.site.join("fresh");
    assert!(t.run(&["new", "--eject", fresh.to_str().unwrap()]).status.success());
    assert!(fresh.join("themes/default/templates/county.html").is_file());
    // A site naming its own theme folder gets the files there.
    let toml = std::fs::read_to_string(t.site.join("site.toml")).unwrap();
    t.write("site.toml", &format!("theme = \"mine\"\n{toml}"));
    assert!(t.run(&["eject", "--site", t.site.to_str().unwrap()]).status.success());
    assert!(t.site.join("themes/mine/css/site.css").is_file());
    t.build();
}
