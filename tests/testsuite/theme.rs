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

// Guards the English pages' names of provinces and prefectures: the county page's breadcrumb,
// the province and prefecture pages' titles and the province timeline name them in English
// (the built-in list), the Chinese name beside the English heading marked as Chinese.
#[test]
fn english_pages_name_provinces_and_prefectures_in_english() {
    let t = SiteTest::demo();
    t.build();
    let county = t.read_output("en/county/450804/index.html");
    let crumbs = county.split("<nav class=\"crumbs\"").nth(1).unwrap().split("</nav>").next().unwrap();
    assert!(crumbs.contains(">Guangxi Zhuang Autonomous Region</a>") && crumbs.contains(">Guigang</a>"), "{crumbs}");
    assert!(!crumbs.contains("广西") && !crumbs.contains("贵港"), "{crumbs}");
    let province = t.read_output("en/province/450000/index.html");
    assert!(province.contains("<title>Guangxi Zhuang Autonomous Region · "), "English title");
    assert!(province.contains("<h1>Guangxi Zhuang Autonomous Region <span lang=\"zh-CN\">广西壮族自治区</span></h1>"));
    assert!(t.read_output("en/prefecture/450800/index.html").contains("<title>Guigang · "));
    assert!(
        t.read_output("en/timeline/450000/index.html")
            .contains("<h1>Progress in Guangxi Zhuang Autonomous Region</h1>")
    );
    let zh = t.read_output("county/450804/index.html");
    assert!(zh.contains(">广西壮族自治区</a>") && !zh.contains("Guangxi Zhuang"), "Chinese pages stay Chinese");
}
