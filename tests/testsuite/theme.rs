//! The built-in theme and a site's own theme files over it.

use crate::support::SiteTest;

// Guards overrides: a site's own template and its own UI string are used, the built-in theme
// gives everything else (other templates, the other strings, the stylesheet, static files).
// See: #24
#[test]
fn a_sites_own_template_and_string_replace_the_built_in_ones() {
    let t = SiteTest::from_fixture("build/minimal");
    assert!(!t.site.join("themes").exists(), "the fixture has no theme folder");
    t.build();
    let built_in = t.read_output("en/index.html");
    assert!(built_in.contains(">Home<"), "the built-in English string");
    let base = t.own_theme_file("templates/base.html");
    let text = std::fs::read_to_string(&base).unwrap();
    std::fs::write(&base, text.replace("</footer>", "<p class=\"own-footer\">own footer</p></footer>")).unwrap();
    t.write("themes/default/i18n/en.toml", "[nav]\nhome = \"Start page\"\n");
    t.build();
    let page = t.read_output("en/index.html");
    assert!(page.contains("own footer") && page.contains(">Start page<"), "the site's own template and string");
    assert!(page.contains(">Indicators<"), "the other strings are the built-in ones");
    assert!(t.read_output("county/450802/index.html").contains("own footer"), "every page extends the own base");
    assert!(t.read_output("index.html").contains("首页"), "the Chinese strings are untouched");
    assert!(t.output().join("assets/finder.js").is_file(), "the built-in static files");
}

// Guards an override that no longer fits this junheng (a value renamed or removed): the build
// fails naming the site's template file, its line and the missing value.
// See: #24
#[test]
fn an_outdated_override_names_its_file_line_and_value() {
    let t = SiteTest::from_fixture("build/minimal");
    let county = t.own_theme_file("templates/county.html");
    let text = std::fs::read_to_string(&county).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(5, "<p>{{ county.old_population }}</p>");
    std::fs::write(&county, lines.join("\n")).unwrap();
    let out = t.run(&["build", "--site", t.site.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("themes/default/templates/county.html:6:"), "{err}");
    assert!(err.contains("county.old_population"), "{err}");
}
