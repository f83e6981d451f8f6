//! Every page of the demo build: valid HTML (Nu HTML Checker) and no console errors in
//! headless Chromium. Both tools are required; install them with `scripts/test-deps`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::{Browser, LaunchOptions};

use crate::support::{SiteTest, repo_root, tree};

fn vnu_jar() -> PathBuf {
    let jar = repo_root().join(".tools/node_modules/vnu-jar/build/dist/vnu.jar");
    assert!(jar.is_file(), "the Nu HTML Checker is missing: run `scripts/test-deps` (expected {})", jar.display());
    jar
}

fn chromium() -> PathBuf {
    let path = std::env::var_os("CHROMIUM").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(path.is_file(), "Chromium is missing: run `scripts/test-deps` (expected {})", path.display());
    path
}

fn html_pages(out: &Path) -> Vec<String> {
    tree(out).into_iter().map(|(p, _)| p).filter(|p| p.ends_with(".html")).collect()
}

// Guards HTML validity of every page of the demo build, in both languages, and of the pages of
// a revision history (the demo with three releases).
#[test]
fn demo_pages_are_valid_html() {
    let t = SiteTest::demo();
    t.build();
    let history = crate::revisions::three_releases();
    history.build();
    assert!(history.output().join("changes/v3/index.html").is_file());
    let out = std::process::Command::new("java")
        .args(["-Xss4m", "-jar"])
        .arg(vnu_jar())
        .args(["--errors-only", "--skip-non-html", "--format", "text"])
        .arg(t.output())
        .arg(history.output().join("changes"))
        .arg(history.output().join("county"))
        .arg(history.output().join("en/changes"))
        .output()
        .expect("java runs (the Nu HTML Checker needs a JRE)");
    let report = String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "HTML validation failed:\n{report}");
    assert!(html_pages(&t.output()).len() > 50);
}

/// Starts headless Chromium with the flags this machine needs (no background networking).
fn launch() -> (Browser, tempfile::TempDir) {
    let profile = tempfile::tempdir().unwrap();
    let args: Vec<&std::ffi::OsStr> = [
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    .iter()
    .map(std::ffi::OsStr::new)
    .collect();
    let browser = Browser::new(
        LaunchOptions::default_builder()
            .path(Some(chromium()))
            .sandbox(false)
            .headless(true)
            .user_data_dir(Some(profile.path().to_path_buf()))
            .args(args)
            .idle_browser_timeout(std::time::Duration::from_secs(120))
            .build()
            .unwrap(),
    )
    .expect("Chromium starts");
    (browser, profile)
}

/// Builds the demo (in a git repository with three releases and an edit not released yet, so
/// that the pages show a revision history), serves it on loopback and runs `test` with a
/// Chromium tab; tears all down.
fn with_demo_in_browser(test: impl FnOnce(&SiteTest, &str, &headless_chrome::Tab)) {
    let t = crate::revisions::three_releases();
    t.build();
    let (base, handle, server) = serve(t.output());
    let (browser, _profile) = launch();
    let tab = browser.new_tab().unwrap();
    test(&t, &base, &tab);
    drop(tab);
    drop(browser);
    server.unblock();
    handle.join().unwrap();
}

/// Serves `root` on a free loopback port until the returned guard is dropped.
fn serve(root: PathBuf) -> (String, std::thread::JoinHandle<()>, Arc<tiny_http::Server>) {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let port = server.server_addr().to_ip().unwrap().port();
    let s = server.clone();
    let handle = std::thread::spawn(move || {
        for req in s.incoming_requests() {
            let path = req.url().split(['?', '#']).next().unwrap_or("/").trim_start_matches('/').to_string();
            let mut file = root.join(&path);
            if path.is_empty() || path.ends_with('/') {
                file = file.join("index.html");
            }
            let ty = match file.extension().and_then(|e| e.to_str()) {
                Some("html") => "text/html; charset=utf-8",
                Some("css") => "text/css; charset=utf-8",
                Some("js") => "text/javascript; charset=utf-8",
                Some("svg") => "image/svg+xml",
                Some("json") => "application/json",
                _ => "application/octet-stream",
            };
            let resp = match std::fs::read(&file) {
                Ok(bytes) => tiny_http::Response::from_data(bytes)
                    .with_header(tiny_http::Header::from_bytes("Content-Type", ty).unwrap())
                    .boxed(),
                Err(_) => tiny_http::Response::from_string("not found").with_status_code(404).boxed(),
            };
            let _ = req.respond(resp);
        }
    });
    (format!("http://127.0.0.1:{port}/"), handle, server)
}

// Guards that every page renders in Chromium without console errors or failed loads.
#[test]
fn demo_pages_have_no_console_errors() {
    with_demo_in_browser(|t, base, tab| {
        let problems: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = problems.clone();
        tab.enable_log().unwrap();
        tab.enable_runtime().unwrap();
        tab.add_event_listener(Arc::new(move |event: &Event| {
            let msg = match event {
                Event::LogEntryAdded(e) => {
                    let entry = &e.params.entry;
                    (format!("{:?}", entry.level) == "Error")
                        .then(|| format!("{}: {}", entry.url.clone().unwrap_or_default(), entry.text))
                }
                Event::RuntimeExceptionThrown(e) => Some(format!("exception: {}", e.params.exception_details.text)),
                Event::RuntimeConsoleAPICalled(e) => (format!("{:?}", e.params.Type) == "Error")
                    .then(|| format!("console.error: {:?}", e.params.args.first().and_then(|a| a.value.clone()))),
                _ => None,
            };
            if let Some(m) = msg {
                sink.lock().unwrap().push(m);
            }
        }))
        .unwrap();
        let pages = html_pages(&t.output());
        for page in &pages {
            if page.ends_with("404.html") {
                continue; // its links are absolute to the published base path
            }
            let url = format!("{base}{}", page.trim_end_matches("index.html"));
            tab.navigate_to(&url).unwrap().wait_until_navigated().unwrap();
            let title = tab.get_title().unwrap();
            assert!(!title.is_empty(), "{url} has no title");
            let found = std::mem::take(&mut *problems.lock().unwrap());
            assert!(found.is_empty(), "{url}: {found:#?}");
        }
        // A county page prints as an A4 report (the theme's `@page` size).
        printed_on_a4(tab, &format!("{base}county/450804/"), "county-450804.pdf");
        // The page of a county's schools prints on A4 too, each school from a new page.
        let (sections, pages) = printed_on_a4(tab, &format!("{base}county/450804/schools/"), "schools-450804.pdf");
        assert!(sections > 30 && pages >= sections, "{pages} printed pages for {sections} schools");
    });
}

/// Prints `url` to PDF with the page's own `@page` size, asserts it is A4 and keeps it in
/// `target/test-artifacts/<name>`; returns the page's school sections and the PDF's pages.
fn printed_on_a4(tab: &headless_chrome::Tab, url: &str, name: &str) -> (usize, usize) {
    tab.navigate_to(url).unwrap().wait_until_navigated().unwrap();
    let sections = tab.evaluate("document.querySelectorAll('section.school').length", false).unwrap();
    let sections = sections.value.and_then(|v| v.as_u64()).unwrap_or(0) as usize;
    let pdf = tab
        .print_to_pdf(Some(headless_chrome::types::PrintToPdfOptions {
            prefer_css_page_size: Some(true),
            print_background: Some(false),
            ..Default::default()
        }))
        .unwrap();
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("/MediaBox [0 0 594.9") && text.contains(" 841.9"), "{url}: not A4");
    let pages = ["/Type /Page\n", "/Type /Page/", "/Type /Page "].iter().map(|p| text.matches(p).count()).sum();
    let artifacts = crate::support::repo_root().join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    std::fs::write(artifacts.join(name), &pdf).unwrap();
    (sections, pages)
}

fn axe_source() -> String {
    let path = repo_root().join(".tools/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("axe-core is missing: run `scripts/test-deps` (expected {})", path.display()))
}

// Guards WCAG 2.1 AA: axe-core finds no violation on any page template, in both languages.
#[test]
fn pages_pass_axe_core() {
    with_demo_in_browser(|_, base, tab| {
        let axe = axe_source();
        let pages = [
            "",
            "county/450804/",
            "county/450802/",
            "county/141002/",
            "county/450804/computation/2020-2021/",
            "county/450804/schools/",
            "prefecture/450800/",
            "province/450000/",
            "indicators/",
            "indicators/quality/sports_area/",
            "timeline/",
            "timeline/450000/",
            "reports/",
            "reports/guigang-2021/",
            "about/",
            "downloads/",
            "changes/",
            "changes/v3/",
            "changes/unreleased/",
        ];
        let mut report = Vec::new();
        for lang in ["", "en/"] {
            for page in pages {
                let url = format!("{base}{lang}{page}");
                tab.navigate_to(&url).unwrap().wait_until_navigated().unwrap();
                tab.evaluate(&axe, false).unwrap();
                let result = tab
                .evaluate(
                    "axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })\
                       .then(r => JSON.stringify(r.violations.map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))))",
                    true,
                )
                .unwrap();
                let found: Vec<String> =
                    serde_json::from_str(result.value.as_ref().and_then(|v| v.as_str()).unwrap()).unwrap();
                if !found.is_empty() {
                    report.push(format!("{url}: {found:#?}"));
                }
            }
        }
        assert!(report.is_empty(), "{}", report.join("\n"));
    });
}

/// A screen of `width` × `height` CSS pixels, a phone's (touch, mobile) below 800 px.
fn viewport(width: u32, height: u32) -> headless_chrome::protocol::cdp::Emulation::SetDeviceMetricsOverride {
    headless_chrome::protocol::cdp::Emulation::SetDeviceMetricsOverride {
        width,
        height,
        device_scale_factor: 1.0,
        mobile: width < 800,
        scale: None,
        screen_width: None,
        screen_height: None,
        position_x: None,
        position_y: None,
        dont_set_visible_size: None,
        screen_orientation: None,
        viewport: None,
        display_feature: None,
        device_posture: None,
    }
}

// Guards phone layouts: no page-wide horizontal scrolling from 320 px wide (wide tables scroll
// inside their own box); screenshots at 360 px and 1280 px go to target/test-artifacts/.
#[test]
fn responsive_from_320_px() {
    use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
    with_demo_in_browser(|_, base, tab| {
        let artifacts = repo_root().join("target/test-artifacts");
        std::fs::create_dir_all(&artifacts).unwrap();
        for width in [320, 360, 1280] {
            tab.call_method(viewport(width, 900)).unwrap();
            for page in [
                "",
                "county/450804/",
                "county/450802/",
                "county/450804/computation/2020-2021/",
                "province/450000/",
                "downloads/",
                "changes/",
                "changes/v3/",
            ] {
                tab.navigate_to(&format!("{base}{page}")).unwrap().wait_until_navigated().unwrap();
                let fits =
                    tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1", false).unwrap();
                assert_eq!(fits.value, Some(serde_json::Value::Bool(true)), "{page} overflows at {width} px");
            }
            if width != 320 {
                tab.navigate_to(&format!("{base}county/450804/")).unwrap().wait_until_navigated().unwrap();
                let png = tab.capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true).unwrap();
                std::fs::write(artifacts.join(format!("county-450804-{width}px.png")), png).unwrap();
            }
        }
    });
}

// Guards the phone layout of the pages parents read: at 390×844, in both languages, every cell
// of the county page's indicator tables and of the home page's county list lies within the
// screen (each row a card), and nothing scrolls sideways; at 1280 px the tables are tables.
// See: #24
#[test]
fn phone_cards_show_every_figure_at_390_px() {
    with_demo_in_browser(|_, base, tab| {
        // The cells of the card tables: how many, and those that are not wholly on screen.
        let check = r#"(() => {
            const cells = [...document.querySelectorAll('table.cards tbody tr > *, table.cards tfoot tr > *')]
                .filter(c => c.textContent.trim() !== '');
            const off = cells.filter(c => { const r = c.getBoundingClientRect();
                return r.width === 0 || r.left < 0 || r.right > window.innerWidth + 0.5; });
            const rows = [...document.querySelectorAll('table.cards tbody tr')].map(r => getComputedStyle(r).display);
            return JSON.stringify({ cells: cells.length, off: off.map(c => c.textContent.trim()).slice(0, 3),
                page: document.documentElement.scrollWidth <= window.innerWidth, rows: [...new Set(rows)] });
        })()"#;
        let pages = [
            "",
            "county/450804/",
            "county/450802/",
            "en/",
            "en/county/450804/",
            "county/450804/schools/",
            "en/county/450804/schools/",
        ];
        for (width, display) in [(390, "grid"), (1280, "table-row")] {
            tab.call_method(viewport(width, 844)).unwrap();
            for page in pages {
                tab.navigate_to(&format!("{base}{page}")).unwrap().wait_until_navigated().unwrap();
                let v = tab.evaluate(check, false).unwrap().value.unwrap();
                let r: serde_json::Value = serde_json::from_str(v.as_str().unwrap()).unwrap();
                assert!(r["cells"].as_u64().unwrap() >= 6, "{page}: {r}");
                assert_eq!(r["rows"], serde_json::json!([display]), "{page} at {width} px");
                if width == 390 {
                    assert_eq!(r["off"], serde_json::json!([]), "{page}: cells off the screen at 390 px");
                    assert_eq!(r["page"], true, "{page} scrolls sideways at 390 px");
                }
            }
        }
    });
}

// Guards the phone layout of every kind of page: at 320 and 390 px, in both languages, no page
// of the demo (with its revision history) scrolls sideways: wide code blocks, trend tables and
// charts scroll within their own box. One page of each kind: the first of each path with its
// codes and years taken out (the first county, 450802, has the most on its pages).
#[test]
fn no_page_scrolls_sideways_on_a_phone() {
    with_demo_in_browser(|t, base, tab| {
        let mut kinds = std::collections::BTreeSet::new();
        let pages: Vec<String> = crate::support::tree(&t.output())
            .into_iter()
            .map(|(p, _)| p)
            .filter(|p| p.ends_with("index.html") || p == "404.html")
            .filter(|p| {
                let kind: String = p.chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect();
                kinds.insert(kind)
            })
            .map(|p| p.trim_end_matches("index.html").to_string())
            .collect();
        assert!(pages.len() > 20, "{}", pages.len());
        let check = r#"(() => {
            const w = window.innerWidth;
            const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 0.5
                && getComputedStyle(e).position !== 'fixed' && !e.closest('.table-wrap, pre, .chart, .skip'))
                .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')).slice(0, 3);
            return JSON.stringify({ fits: document.documentElement.scrollWidth <= w, wide });
        })()"#;
        let mut sideways = Vec::new();
        for page in &pages {
            tab.call_method(viewport(320, 800)).unwrap();
            tab.navigate_to(&format!("{base}{page}")).unwrap().wait_until_navigated().unwrap();
            for width in [320, 390] {
                // The layout follows the new width at the next query.
                tab.call_method(viewport(width, 800)).unwrap();
                let v = tab.evaluate(check, false).unwrap().value.unwrap();
                let r: serde_json::Value = serde_json::from_str(v.as_str().unwrap()).unwrap();
                if r["fits"] != true {
                    sideways.push(format!("{page} at {width} px: {}", r["wide"]));
                }
            }
        }
        assert!(sideways.is_empty(), "pages that scroll sideways:\n{}", sideways.join("\n"));
    });
}

// Guards the county finder: name, full pinyin, initials, code, prefecture and English name each
// find the right county as the first result.
#[test]
fn county_finder_finds_by_name_pinyin_initials_and_code() {
    with_demo_in_browser(|_, base, tab| {
        let cases = [
            ("", "港北", "county/450802/"),
            ("", "gangbei", "county/450802/"),
            ("", "gbq", "county/450802/"),
            ("", "450804", "county/450804/"),
            ("", "qintang", "county/450804/"),
            ("", "yaodu", "county/141002/"),
            ("", "hanyin", "county/610921/"),
            ("", "贵港", "county/4508"),
            ("en/", "Guiping", "en/county/450881/"),
        ];
        for (lang, query, want) in cases {
            tab.navigate_to(&format!("{base}{lang}")).unwrap().wait_until_navigated().unwrap();
            let input = tab.wait_for_element("#finder-input").unwrap();
            input.click().unwrap();
            tab.type_str(query).unwrap();
            tab.wait_for_element("#finder-results a").unwrap();
            let resolved = tab.evaluate("document.querySelector('#finder-results a').href", false).unwrap();
            let href = resolved.value.and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            assert!(href.starts_with(&format!("{base}{want}")), "{query:?}: first result {href}");
        }
        // Enter jumps to the first result.
        tab.navigate_to(base).unwrap().wait_until_navigated().unwrap();
        tab.wait_for_element("#finder-input").unwrap().click().unwrap();
        tab.type_str("gnq").unwrap();
        tab.wait_for_element("#finder-results a").unwrap();
        tab.press_key("Enter").unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !tab.get_url().ends_with("county/450803/") && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(tab.get_url().ends_with("county/450803/"), "{}", tab.get_url());
    });
}

// Guards the schools finder as a parent uses it on a phone (390 px): a school's name, its
// pinyin initials or its id typed on the home page lead to its section; on the county page the
// county's province is the one searched; where two provinces have schools (two schools added
// in 陕西 here), the reader picks the province first, and a school of the other is not found.
#[test]
fn a_parent_types_a_school_name_on_a_phone_and_lands_on_it() {
    let t = crate::revisions::three_releases();
    let mut schools = std::fs::read_to_string(t.site.join("data/schools.csv")).unwrap();
    schools += "6161092101,汉阴县城关第一小学,610921,2020-2021,primary,primary,900,4000,7000,2000000,90,25000,22,55,45,25,10,9,,,demo-schools,城关镇,20,0\n";
    schools += "6161092102,汉阴县涧池镇中心小学,610921,2020-2021,primary,primary,600,3000,5000,1300000,60,18000,15,36,30,15,7,6,,,demo-schools,涧池镇,14,0\n";
    t.write("data/schools.csv", &schools);
    t.build();
    let (base, handle, server) = serve(t.output());
    let (browser, _profile) = launch();
    let tab = browser.new_tab().unwrap();
    tab.call_method(viewport(390, 844)).unwrap();
    let first = |page: &str, province: Option<&str>, query: &str| -> String {
        tab.navigate_to(&format!("{base}{page}")).unwrap().wait_until_navigated().unwrap();
        if let Some(p) = province {
            tab.evaluate(&format!("(() => {{ const s = document.getElementById('finder-province'); s.value = '{p}'; s.dispatchEvent(new Event('change')); }})()"), false).unwrap();
        }
        tab.wait_for_element("#finder-input").unwrap().click().unwrap();
        tab.type_str(query).unwrap();
        tab.wait_for_element("#finder-results li").unwrap();
        wait_true(&tab, "document.querySelector('#finder-results li') !== null", "results");
        std::thread::sleep(std::time::Duration::from_millis(300));
        let v = tab.evaluate("(document.querySelector('#finder-results a') || {}).href || document.querySelector('#finder-results li').textContent", false).unwrap();
        v.value.and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
    };
    let school = |href: &str, want: &str| href.ends_with(&format!("county/450804/schools/#{want}"));
    // The home page lists two provinces with schools: a school of 广西 is found once 广西 is picked.
    let hit = first("", Some("450000"), "城区第一小学");
    assert!(school(&hit, "2145080401"), "{hit}");
    let hit = first("", Some("450000"), "dlzzx");
    assert!(school(&hit, "2145080402"), "initials: {hit}");
    let hit = first("", Some("450000"), "2145080403");
    assert!(school(&hit, "2145080403"), "id: {hit}");
    let hit = first("", Some("450000"), "覃塘街道");
    assert!(school(&hit, "2145080401"), "town: {hit}");
    let hit = first("", Some("610000"), "城关第一");
    assert!(hit.ends_with("county/610921/schools/#6161092101"), "{hit}");
    let hit = first("", Some("610000"), "东龙镇");
    assert!(!hit.contains("/schools/"), "a school of another province: {hit}");
    // The county page searches its own province's schools; Enter lands on the school.
    let hit = first("county/450804/", None, "三里镇中心");
    assert!(school(&hit, "2145080403"), "{hit}");
    tab.press_key("Enter").unwrap();
    wait_true(&tab, "location.hash === '#2145080403'", "the school's section");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let rect = tab
        .evaluate("JSON.stringify(Object.assign({ scroll: window.scrollY }, document.getElementById('2145080403').getBoundingClientRect().toJSON()))", false)
        .unwrap()
        .value
        .unwrap();
    let rect: serde_json::Value = serde_json::from_str(rect.as_str().unwrap()).unwrap();
    let (top, width) = (rect["top"].as_f64().unwrap(), rect["width"].as_f64().unwrap());
    // Scrolled to (it is far down the page): its top on the first screen, one column wide.
    assert!(rect["scroll"].as_f64().unwrap() > 1000.0, "{rect}");
    assert!((-1.0..200.0).contains(&top) && width <= 390.0, "the school's section on a 390 px screen: {rect}");
    let en = first("en/county/450804/", None, "huanglian");
    assert!(en.ends_with("en/county/450804/schools/#2145080404"), "{en}");
    drop(tab);
    drop(browser);
    server.unblock();
    handle.join().unwrap();
}

/// Polls `expr` in `tab` until it is true (or panics with `what` after 20 s).
fn wait_true(tab: &headless_chrome::Tab, expr: &str, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        if let Ok(r) = tab.evaluate(expr, false)
            && r.value == Some(serde_json::Value::Bool(true))
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{what}: `{expr}` never became true");
}

// Guards live reload in a real browser: a data edit reloads the open county page with the new
// value; a CSS edit changes the style without a navigation (a marker set on the page survives).
#[test]
fn serve_reloads_the_page_and_swaps_css() {
    let t = SiteTest::demo();
    // The site's own stylesheet over the built-in one, to be edited below.
    let css = t.own_theme_file("css/site.css");
    let mut served = crate::serve::Served::start(&t);
    let (browser, _profile) = launch();
    let tab = browser.new_tab().unwrap();
    tab.navigate_to(&format!("http://{}/county/450802/", served.addr)).unwrap().wait_until_navigated().unwrap();
    // The page's event stream is open before the edit.
    std::thread::sleep(std::time::Duration::from_millis(500));
    tab.evaluate("window.__marker = 'before'", false).unwrap();
    let path = t.site.join("data/indicators.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen(
            "450802,2020-2021,primary,basic,composite,,0.21,",
            "450802,2020-2021,primary,basic,composite,,0.29,",
            1,
        ),
    )
    .unwrap();
    served.next_build();
    wait_true(
        &tab,
        "window.__marker === undefined && document.querySelector('main').innerText.includes('0.29')",
        "reload",
    );

    tab.evaluate("window.__marker = 'kept'", false).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let text = std::fs::read_to_string(&css).unwrap();
    std::fs::write(&css, format!("{text}\nmain {{ outline: 7px solid #123456; }}\n")).unwrap();
    assert!(served.next_build().starts_with("rebuilt"));
    wait_true(&tab, "getComputedStyle(document.querySelector('main')).outlineWidth === '7px'", "CSS swap");
    let kept = tab.evaluate("window.__marker === 'kept'", false).unwrap();
    assert_eq!(kept.value, Some(serde_json::Value::Bool(true)), "the CSS change navigated");
}
