//! Building fixture sites: pages, determinism, atomic output, ownership of the output folder.

use crate::support::{SiteTest, main_of, tree};

// Guards the county page: indicator table, composite verdict, timeline, narrative, sources.
#[test]
fn county_page_main_content() {
    let t = SiteTest::from_fixture("build/minimal");
    t.build();
    let html = t.read_output("county/450802/index.html");
    insta::assert_snapshot!("county_450802_zh", main_of(&html));
    let html = t.read_output("en/county/450802/index.html");
    insta::assert_snapshot!("county_450802_en", main_of(&html));
}

// Guards roll-up pages: prefecture and province list their counties with latest composites.
#[test]
fn rollup_pages() {
    let t = SiteTest::from_fixture("build/minimal");
    t.build();
    insta::assert_snapshot!("prefecture_450800", main_of(&t.read_output("prefecture/450800/index.html")));
    // A placeholder prefecture (市辖区) is shown with the province's name.
    let beijing = t.read_output("prefecture/110100/index.html");
    assert!(main_of(&beijing).contains("<h1>北京市</h1>"));
}

// Guards the indicator page ranking and the home page summary.
#[test]
fn indicator_and_home_pages() {
    let t = SiteTest::from_fixture("build/minimal");
    t.build();
    insta::assert_snapshot!(
        "indicator_quality_sports_area",
        main_of(&t.read_output("indicators/quality/sports_area/index.html"))
    );
    insta::assert_snapshot!("home_zh", main_of(&t.read_output("index.html")));
    // Page titles are translated names, never ids.
    let title = |p: &str| {
        let html = t.read_output(p);
        html[html.find("<title>").unwrap() + 7..html.find("</title>").unwrap()].to_string()
    };
    assert_eq!(title("indicators/quality/sports_area/index.html"), "生均体育运动场馆面积 (优质均衡) · 测试平台");
    assert_eq!(
        title("en/indicators/quality/sports_area/index.html"),
        "Sports area per student (Quality balance) · Test portal"
    );
    assert_eq!(title("en/county/450802/index.html"), "Gangbei District · Test portal");
    assert_eq!(title("downloads/index.html"), "数据下载 · 测试平台");
    // The home page's title is the site's name, once.
    assert_eq!(title("index.html"), "测试平台");
    assert_eq!(title("en/index.html"), "Test portal");
}

// Guards that every expected page and feed exists in both languages.
#[test]
fn site_map_of_outputs() {
    let t = SiteTest::from_fixture("build/minimal");
    t.build();
    for lang in ["", "en/"] {
        for page in [
            "index.html",
            "county/450802/index.html",
            "county/450804/index.html",
            "county/110101/index.html",
            "prefecture/450800/index.html",
            "province/450000/index.html",
            "indicators/index.html",
            "indicators/basic/teaching_area/index.html",
            "timeline/index.html",
            "timeline/450000/index.html",
            "downloads/index.html",
            "404.html",
            "atom.xml",
        ] {
            assert!(t.output().join(format!("{lang}{page}")).is_file(), "missing {lang}{page}");
        }
    }
    for f in [
        "sitemap.xml",
        "robots.txt",
        "assets/site.css",
        "data/datapackage.json",
        "data/SHA256SUMS",
        "api/counties/450802.json",
        "api/schema/county.schema.json",
    ] {
        assert!(t.output().join(f).is_file(), "missing {f}");
    }
    let sitemap = t.read_output("sitemap.xml");
    assert!(sitemap.contains("<loc>https://example.org/portal/county/450802/</loc>"));
    assert!(sitemap.contains("hreflang=\"en\" href=\"https://example.org/portal/en/county/450802/\""));
    let feed = t.read_output("atom.xml");
    assert!(feed.contains("<updated>2022-03-05T00:00:00Z</updated>"), "{feed}");
}

// Guards relative links: every page links its stylesheet at the right depth.
#[test]
fn links_are_relative_to_the_page() {
    let t = SiteTest::from_fixture("build/minimal");
    t.build();
    assert!(t.read_output("index.html").contains("href=\"assets/site.css?v="));
    assert!(t.read_output("county/450802/index.html").contains("href=\"../../assets/site.css?v="));
    assert!(t.read_output("en/county/450802/index.html").contains("href=\"../../../assets/site.css?v="));
    assert!(t.read_output("en/county/450802/index.html").contains("href=\"../../../en/timeline/\""));
    // The 404 page is served at any depth: its links start at the site's path.
    assert!(t.read_output("404.html").contains("href=\"/portal/assets/site.css?v="));
}

// Guards raw HTML in a narrative: sanitized by default (the script is gone, the text stays),
// shown as text with `raw_html = "escape"`; never executed.
#[test]
fn narrative_html_is_safe() {
    let t = SiteTest::from_fixture("build/minimal");
    t.build();
    let html = t.read_output("county/450802/index.html");
    assert!(!html.contains("<script>alert") && !html.contains("alert(\"x\")"));
    assert!(html.contains("港北区的<em>叙述</em>"));
    let toml = std::fs::read_to_string(t.site.join("site.toml")).unwrap();
    t.write("site.toml", &format!("{toml}\n[settings]\nraw_html = \"escape\"\n"));
    t.build();
    let html = t.read_output("county/450802/index.html");
    assert!(!html.contains("<script>alert"));
    assert!(html.contains("&lt;script&gt;alert"));
}

// Guards determinism: two builds of the same input are byte-identical (workbooks and the
// database included: the demo has them all).
#[test]
fn builds_are_byte_identical() {
    for t in [SiteTest::from_fixture("build/minimal"), SiteTest::demo()] {
        t.build();
        let first = tree(&t.output());
        // From scratch, not hard-linked from the first build.
        std::fs::remove_dir_all(t.output()).unwrap();
        t.build();
        let second = tree(&t.output());
        assert_eq!(first.len(), second.len());
        for (a, b) in first.iter().zip(&second) {
            assert!(a == b, "{} differs between builds", a.0);
        }
    }
}

// Guards atomic output: a failing build leaves the previous output untouched.
#[test]
fn failed_build_keeps_previous_output() {
    let t = SiteTest::from_fixture("build/minimal");
    t.build();
    let before = tree(&t.output());
    t.write(
        "data/indicators.csv",
        "county,school_year,level,scheme,indicator,value,cv,source\n450802,2020-2021,primary,basic,books,abc,0.2,r1\n",
    );
    assert!(matches!(t.build_err(), junheng::Error::Site(_)));
    assert_eq!(tree(&t.output()), before);
    // A template error (found while rendering) leaves it untouched too.
    t.write("data/indicators.csv", "county,school_year,level,scheme,indicator,value,cv,source\n");
    t.write(
        "themes/default/templates/404.html",
        "{% extends \"base.html\" %}{% block main %}{{ missing.value }}{% endblock %}",
    );
    assert!(matches!(t.build_err(), junheng::Error::Site(_)));
    assert_eq!(tree(&t.output()), before);
    // No staging folder is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&t.site)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("junheng"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

// Guards the output folder's ownership: unknown files and the site itself are refused.
#[test]
fn refuses_foreign_output_folders() {
    let t = SiteTest::from_fixture("build/minimal");
    t.build();
    t.write("public/notes.txt", "mine");
    let err = t.build_err().to_string();
    assert!(err.contains("`notes.txt`") && err.contains("did not write"), "{err}");
    assert_eq!(std::fs::read_to_string(t.output().join("notes.txt")).unwrap(), "mine");
    for out in [".", "data", "content/x", ".."] {
        let r = junheng::build(&junheng::BuildOptions {
            site: t.site.clone(),
            output: Some(t.site.join(out)),
            deny_warnings: false,
        });
        assert!(matches!(r, Err(junheng::Error::Usage(_))), "output {out} was accepted");
    }
    assert!(t.site.join("site.toml").is_file());
    // A non-empty folder without a manifest is refused.
    let other = t.site.parent().unwrap().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("index.html"), "x").unwrap();
    let r = junheng::build(&junheng::BuildOptions {
        site: t.site.clone(),
        output: Some(other.clone()),
        deny_warnings: false,
    });
    assert!(matches!(r, Err(junheng::Error::Usage(_))));
    assert_eq!(std::fs::read_to_string(other.join("index.html")).unwrap(), "x");
}

// Guards stale files: a page removed from the input disappears from the output.
#[test]
fn removed_pages_disappear() {
    let t = SiteTest::from_fixture("build/minimal");
    t.build();
    assert!(t.output().join("county/450804/index.html").is_file());
    t.write("data/counties.csv", "code,name,prefecture_code,prefecture,province_code,province\n450802,港北区,450800,贵港市,450000,广西壮族自治区\n");
    t.write("data/indicators.csv", "county,school_year,level,scheme,indicator,value,cv,source\n");
    t.write("data/milestones.csv", "area,date,event,title,source\n");
    t.build();
    assert!(!t.output().join("county/450804/index.html").exists());
}

// Guards the per-county Atom feed ("subscribe to my county") and its link from the page.
#[test]
fn county_feeds() {
    let t = SiteTest::from_fixture("build/minimal");
    t.build();
    let feed = t.read_output("county/450802/atom.xml");
    assert!(feed.contains("<title>港北区 · 本县更新</title>"));
    assert!(feed.contains("<id>https://example.org/portal/county/450802/#narrative</id>"));
    assert!(feed.contains("<title>港北区 · 2020-2021学年指标数据</title>"));
    assert!(feed.contains("通过国家认定"));
    assert!(!feed.contains("覃塘区"), "another county's news in this feed");
    let en = t.read_output("en/county/450802/atom.xml");
    assert!(en.contains("xml:lang=\"en\"") && en.contains("Gangbei District · indicators for 2020-2021"));
    let page = t.read_output("county/450802/index.html");
    assert!(page.contains("<link rel=\"alternate\" type=\"application/atom+xml\" href=\"atom.xml\""));
}

// Guards citations: a permalink by code, GB/T 7714-2015 and BibTeX forms on every county page.
#[test]
fn county_citations() {
    let t = SiteTest::from_fixture("build/minimal");
    t.build();
    let page = t.read_output("county/450802/index.html");
    assert!(page.contains("<a href=\"https://example.org/portal/county/450802/\">"));
    assert!(page.contains(
        "测试局. 港北区义务教育均衡发展数据[EB/OL]. (2021-03) [引用日期]. https://example.org/portal/county/450802/."
    ));
    assert!(page.contains("@misc{junheng-450802,\n  author = {{测试局}},"));
    assert!(page.contains("  year = {2021},\n"));
    let en = t.read_output("en/county/450802/index.html");
    assert!(en.contains("Compulsory-education balance data: Gangbei District[EB/OL]"));
}

// Guards the site feed's length and order: the newest 50 entries of pages and milestones,
// newest first and by id within a date, with a tie across the cut broken by id.
#[test]
fn site_feed_holds_the_newest_entries() {
    let t = SiteTest::from_fixture("build/minimal");
    let events = ["plan", "provincial_assessment", "national_inspection", "national_recognition"];
    let mut csv = String::from("area,date,event,title,source\n");
    let mut dates = Vec::new();
    for i in 0..90u32 {
        // A month each from 2001-01, and a run of eight on one day (distinct by area and event)
        // that straddles the cut.
        let tie = (36..44).contains(&i);
        let date = if tie { "2004-05-15".to_string() } else { format!("{}-{:02}", 2001 + i / 12, 1 + i % 12) };
        let (area, event) = (if i % 2 == 0 { "450802" } else { "450804" }, events[(i as usize / 2) % 4]);
        csv.push_str(&format!("{area},{date},{event},事件{i},\n"));
        dates.push(date);
    }
    t.write("data/milestones.csv", &csv);
    t.build();
    let feed = t.read_output("atom.xml");
    let entries: Vec<(String, String)> = feed
        .split("<entry>")
        .skip(1)
        .map(|e| {
            let field = |tag: &str| e.split(&format!("<{tag}>")).nth(1).unwrap().split('<').next().unwrap().to_string();
            (field("updated"), field("id"))
        })
        .collect();
    assert_eq!(entries.len(), 50);
    assert!(entries.windows(2).all(|w| w[0].0 > w[1].0 || (w[0].0 == w[1].0 && w[0].1 < w[1].1)), "order: {entries:?}");
    // Every milestone left out is older than the last entry, or as old with a later id.
    let last = entries.last().unwrap().clone();
    assert!(last.0.starts_with("2004-05-15"), "the cut falls within the tie: {last:?}");
    let in_feed = entries.iter().filter(|(d, _)| d.starts_with("2004-05-15")).count();
    assert!(in_feed > 0 && in_feed < 8, "part of the tie is in the feed: {in_feed}");
    let starts = |d: &str| {
        let mut parts = d.split('-').chain(["01", "01"]);
        format!("{}-{}-{}T00:00:00Z", parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap())
    };
    let newer = dates.iter().filter(|d| starts(d) > last.0).count();
    let milestones_newer = entries.iter().filter(|(d, id)| *d > last.0 && !id.ends_with("#narrative")).count();
    assert_eq!(milestones_newer, newer, "every newer milestone is in the feed");
    assert!(feed.contains("county/450802/#narrative"), "the dated narrative (2021) is in the feed");
}

// Guards front matter as Zola, Hugo and Markdown editors write it: a TOML date, a TOML
// date-time and YAML between `---` lines build, and each page shows its date.
// See: #24
#[test]
fn toml_dates_and_yaml_front_matter_build_and_show_the_date() {
    let t = SiteTest::from_fixture("build/minimal");
    t.write("content/reports/a.md", "+++\ntitle = \"甲\"\ndate = 2024-06-01\n+++\n\n正文\n");
    t.write("content/reports/b.md", "+++\ntitle = \"乙\"\ndate = 2024-05-02T09:30:00+08:00\n+++\n\n正文\n");
    t.write("content/reports/c.md", "---\ntitle: 丙\ndate: 2024-04-03\nsummary: 摘要\n---\n\n正文\n");
    t.build();
    for (page, date) in [("a", "2024-06-01"), ("b", "2024-05-02"), ("c", "2024-04-03")] {
        let html = t.read_output(&format!("reports/{page}/index.html"));
        assert!(html.contains(&format!("<time datetime=\"{date}\"")), "{page}: no date {date}");
    }
    assert!(t.read_output("reports/c/index.html").contains("<h1>丙</h1>"));
}

// Guards the sitemap: every page of every language as its own `<url>`, each with the complete
// set of alternates (every language, itself included, and `x-default`: the default language).
// See: #24
#[test]
fn sitemap_lists_every_language_with_all_alternates() {
    let t = SiteTest::demo();
    t.build();
    let sitemap = t.read_output("sitemap.xml");
    let urls: Vec<&str> = sitemap.split("<url>").skip(1).collect();
    let base = "https://junheng.example.org/";
    let locs: Vec<&str> =
        urls.iter().map(|u| u.split("<loc>").nth(1).unwrap().split("</loc>").next().unwrap()).collect();
    let english = locs.iter().filter(|l| l.starts_with(&format!("{base}en/"))).count();
    assert_eq!(english * 2, locs.len(), "as many English pages as Chinese");
    for (url, loc) in urls.iter().zip(&locs) {
        let path = loc.strip_prefix(base).unwrap();
        let path = path.strip_prefix("en/").unwrap_or(path);
        for (lang, href) in [
            ("zh-CN", format!("{base}{path}")),
            ("en", format!("{base}en/{path}")),
            ("x-default", format!("{base}{path}")),
        ] {
            let alt = format!("<xhtml:link rel=\"alternate\" hreflang=\"{lang}\" href=\"{href}\"/>");
            assert!(url.contains(&alt), "{loc} lacks {alt}");
        }
        assert_eq!(url.matches("<xhtml:link").count(), 3, "{loc}");
    }
    // Every page that was written is listed (the 404 page aside).
    for (file, _) in crate::support::tree(&t.output()) {
        if let Some(dir) = file.strip_suffix("index.html") {
            assert!(locs.contains(&format!("{base}{dir}").as_str()), "{file} is not in the sitemap");
        }
    }
}

// Guards published figures checked against each other: a composite 0.05 above the mean of the
// eight coefficients published beside it is flagged on the county page, in the API record
// (the mean beside it) and by `junheng check` (file, line, field); one within rounding is not.
// See: #24
#[test]
fn a_composite_far_from_the_mean_of_its_coefficients_is_flagged() {
    let t = SiteTest::from_fixture("build/minimal");
    let csv = std::fs::read_to_string(t.site.join("data/indicators.csv")).unwrap();
    // The eight primary coefficients of 2020-2021 average 0.35925.
    let with = |composite: &str| format!("{csv}450802,2020-2021,primary,basic,composite,,{composite},r1\n");
    t.write("data/indicators.csv", &with("0.409"));
    let out = t.run(&["check", "--site", t.site.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "a warning, not an error: {err}");
    assert!(err.contains("warning: data/indicators.csv:14:"), "{err}");
    assert!(err.contains("field `cv`") && err.contains("0.409 differs from 0.359"), "{err}");
    t.build();
    let api: serde_json::Value = serde_json::from_str(&t.read_output("api/counties/450802.json")).unwrap();
    let sheet = api["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["school_year"] == "2020-2021" && s["level"] == "primary")
        .unwrap();
    assert_eq!(sheet["composite"]["reported_cv"], 0.409);
    assert!((sheet["composite"]["reported_mean"].as_f64().unwrap() - 0.35925).abs() < 1e-9);
    assert_eq!(sheet["composite"]["departs_from_mean"], true);
    let page = t.read_output("county/450802/index.html");
    assert!(page.contains("与所列差异系数的均值不符，均值 0.359"), "the county page flags it");

    t.write("data/indicators.csv", &with("0.359"));
    let out = t.run(&["check", "--site", t.site.to_str().unwrap()]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("differs from"), "within rounding");
    t.build();
    assert!(!t.read_output("county/450802/index.html").contains("均值不符"));
    let api: serde_json::Value = serde_json::from_str(&t.read_output("api/counties/450802.json")).unwrap();
    assert!(api["sheets"].as_array().unwrap().iter().all(|s| s["composite"]["departs_from_mean"] != true));
}
