//! The preview's memory (`junheng::incremental`): what each kind of edit makes again, what it
//! reuses, and that a render after any sequence of edits equals a clean one.

use crate::support::{SiteTest, edit, save};

/// One edit of a random sequence: (kind, a number choosing where and what). Returns the
/// site-relative path edited, as the watcher reports it.
fn apply_edit(t: &SiteTest, kind: u8, n: u32) -> &'static str {
    let replace_line = |rel: &str, f: &dyn Fn(usize, &str) -> Option<String>| {
        let path = t.site.join(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let i = 1 + n as usize % (lines.len() - 1);
        let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        match f(i, lines[i]) {
            Some(l) => out[i] = l,
            None => {
                out.remove(i);
            }
        }
        std::fs::write(&path, out.join("\n") + "\n").unwrap();
    };
    match kind % 13 {
        // A published coefficient.
        0 => {
            replace_line("data/indicators.csv", &|_, l| {
                let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
                f[6] = format!("0.{:02}", 10 + n % 80);
                Some(f.join(","))
            });
            "data/indicators.csv"
        }
        // A school's enrolment.
        1 => {
            replace_line("data/schools.csv", &|_, l| {
                let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
                f[6] = (100 + n % 3000).to_string();
                Some(f.join(","))
            });
            "data/schools.csv"
        }
        // A narrative (title and text).
        2 => {
            let p = t.site.join("content/counties/450804.md");
            let text = std::fs::read_to_string(&p).unwrap().replacen("title = \"", &format!("title = \"{n}"), 1);
            std::fs::write(&p, format!("{text}\n追加的段落 {n}。\n")).unwrap();
            "content/counties/450804.md"
        }
        // A template.
        3 => {
            t.own_theme_file("templates/base.html");
            edit(t, "themes/default/templates/base.html", "</footer>", &format!("<p>m{n}</p></footer>"));
            "themes/default/templates/base.html"
        }
        // A UI string.
        4 => {
            let p = t.own_theme_file("i18n/en.toml");
            let text = std::fs::read_to_string(&p).unwrap();
            std::fs::write(&p, text.replacen("Coefficients over time", &format!("Coefficients over time {n}"), 1))
                .unwrap();
            "themes/default/i18n/en.toml"
        }
        // A milestone removed.
        5 => {
            replace_line("data/milestones.csv", &|_, _| None);
            "data/milestones.csv"
        }
        // A county renamed.
        6 => {
            replace_line("data/counties.csv", &|_, l| {
                let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
                f[1] = format!("{}{n}", f[1]);
                Some(f.join(","))
            });
            "data/counties.csv"
        }
        // A source retitled.
        7 => {
            replace_line("data/sources.csv", &|_, l| {
                let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
                f[1] = format!("{} {n}", f[1]);
                Some(f.join(","))
            });
            "data/sources.csv"
        }
        // A metric's value (national and county rows).
        8 => {
            replace_line("data/metrics.csv", &|_, l| {
                let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
                f[3] = (1 + n % 900).to_string();
                Some(f.join(","))
            });
            "data/metrics.csv"
        }
        // A news page (title and text).
        9 => {
            let p = t.site.join("content/news/basic-2020.md");
            let text = std::fs::read_to_string(&p).unwrap().replacen("title = \"", &format!("title = \"{n}"), 1);
            std::fs::write(&p, format!("{text}\n又一段 {n}。\n")).unwrap();
            "content/news/basic-2020.md"
        }
        // A news page added, or removed if it was there (the lists, the sitemap, the feed).
        10 => {
            let rel: &'static str = ["content/news/added-0.md", "content/news/added-1.md"][n as usize % 2];
            let p = t.site.join(rel);
            if p.exists() {
                std::fs::remove_file(&p).unwrap();
            } else {
                let text =
                    format!("+++\ntitle = \"新增 {n}\"\ndate = \"2023-0{}\"\n+++\n\n新的一段 {n}。\n", 1 + n % 9);
                std::fs::write(&p, text).unwrap();
            }
            rel
        }
        // The site title.
        11 => {
            edit(t, "site.toml", "title = { zh-CN = \"", &format!("title = {{ zh-CN = \"{n}"));
            "site.toml"
        }
        // A stylesheet (every page links it with its version).
        _ => {
            let p = t.own_theme_file("css/site.css");
            let text = std::fs::read_to_string(&p).unwrap();
            std::fs::write(&p, format!("{text}\n.edit-{n} {{ color: #{:06x}; }}\n", n % 0x1000000)).unwrap();
            "themes/default/css/site.css"
        }
    }
}

// Guards what each page kind declares it is made from (`render::deps`): every kind of edit, one
// after another, and after each the cached render equals a clean one.
#[test]
fn every_kind_of_edit_rebuilds_like_a_clean_render() {
    let t = SiteTest::demo();
    let mut memo = junheng::pipeline::Pipeline::new(&t.site, junheng::pipeline::Keep::Verified);
    memo.run(junheng::pipeline::To::Memory, false).unwrap();
    for kind in 0..13u8 {
        let path = apply_edit(&t, kind, 37 * u32::from(kind) + 5);
        memo.forget(&[path.to_string()]);
        let cached = memo.run(junheng::pipeline::To::Memory, false).unwrap();
        let clean = junheng::pipeline::in_memory(&t.site, false).unwrap();
        let differing: Vec<&str> =
            clean.files.iter().zip(&cached.files).filter(|(a, b)| a != b).map(|(a, _)| a.path.as_str()).collect();
        assert!(cached.files.len() == clean.files.len() && differing.is_empty(), "edit {kind} ({path}): {differing:?}");
        assert_eq!(cached.diagnostics.summary(), clean.diagnostics.summary(), "edit {kind} ({path})");
        assert!(cached.diagnostics.sorted() == clean.diagnostics.sorted(), "edit {kind} ({path}): diagnostics");
    }
}

// Guards the layer's bookkeeping of pages and feeds: a rebuild with nothing changed makes
// none; an edit makes its pages, which the next rebuild reuses; a page removed is no longer
// kept (the layer holds what a fresh preview of the same site holds).
#[test]
fn the_layer_keeps_what_the_last_render_made() {
    let t = SiteTest::demo();
    let mut memo = junheng::pipeline::Pipeline::new(&t.site, junheng::pipeline::Keep::Verified);
    let first = memo.run(junheng::pipeline::To::Memory, false).unwrap();
    assert!(memo.pages_made_and_reused().0 > 0 && memo.pages_kept() <= first.files.len());
    memo.run(junheng::pipeline::To::Memory, false).unwrap();
    let (made, reused) = memo.pages_made_and_reused();
    assert_eq!((made, reused > 0), (0, true), "nothing changed, nothing made");
    let path = apply_edit(&t, 9, 1);
    memo.forget(&[path.to_string()]);
    memo.run(junheng::pipeline::To::Memory, false).unwrap();
    assert!(memo.pages_made_and_reused().0 > 0, "the edited page is made");
    memo.run(junheng::pipeline::To::Memory, false).unwrap();
    assert_eq!(memo.pages_made_and_reused().0, 0, "the edited page is kept as made");
    let kept_before = memo.pages_kept();
    // Added, then removed again.
    for _ in 0..2 {
        let path = apply_edit(&t, 10, 2);
        memo.forget(&[path.to_string()]);
        memo.run(junheng::pipeline::To::Memory, false).unwrap();
    }
    let mut fresh = junheng::pipeline::Pipeline::new(&t.site, junheng::pipeline::Keep::Verified);
    fresh.run(junheng::pipeline::To::Memory, false).unwrap();
    assert_eq!(memo.pages_kept(), fresh.pages_kept(), "the removed page is not kept");
    assert_eq!(memo.pages_kept(), kept_before);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 12, failure_persistence: None, ..Default::default() })]

    // Guards the incremental layer: after any sequence of edits, rendering with the layer kept across
    // rebuilds gives exactly the files of a render from scratch.
    #[test]
    fn cached_rebuilds_equal_clean_renders(edits in proptest::collection::vec((0u8..13, 0u32..10_000), 1..5)) {
        let t = SiteTest::demo();
        let mut memo = junheng::pipeline::Pipeline::new(&t.site, junheng::pipeline::Keep::Verified);
        memo.run(junheng::pipeline::To::Memory, false).unwrap();
        for (kind, n) in edits {
            let path = apply_edit(&t, kind, n);
            memo.forget(&[path.to_string()]);
            let cached = memo.run(junheng::pipeline::To::Memory, false);
            let clean = junheng::pipeline::in_memory(&t.site, false);
            match (cached, clean) {
                (Ok(a), Ok(b)) => {
                    proptest::prop_assert!(a.files == b.files, "edit {kind}/{n}: cached render differs");
                    proptest::prop_assert_eq!(a.diagnostics.summary(), b.diagnostics.summary());
                }
                (Err(a), Err(b)) => proptest::prop_assert_eq!(a.to_string(), b.to_string()),
                _ => proptest::prop_assert!(false, "edit {kind}/{n}: one render failed and the other did not"),
            }
        }
    }
}

/// The parts of the incremental layer that made a value in the last rebuild.
fn made(preview: &junheng::pipeline::Pipeline) -> Vec<&'static str> {
    preview.counts().into_iter().filter(|(_, made, _)| *made > 0).map(|(name, _, _)| name).collect()
}

// Guards the reuse of school rows across rebuilds: an edit elsewhere does not read or check
// them again; an edit of `schools.csv` does, even when no watcher reports it (its stamp
// changed), and the result is still that of a clean render.
#[test]
fn school_rows_are_reused_until_their_inputs_change() {
    let t = SiteTest::demo();
    let mut memo = junheng::pipeline::Pipeline::new(&t.site, junheng::pipeline::Keep::Verified);
    let stages = |memo: &mut junheng::pipeline::Pipeline| {
        let rendered = memo.run(junheng::pipeline::To::Memory, false).unwrap();
        (made(memo), rendered.files)
    };
    assert!(stages(&mut memo).0.contains(&"schools"));
    let edited = apply_edit(&t, 2, 1);
    memo.forget(&[edited.to_string()]);
    let (after_narrative, files) = stages(&mut memo);
    assert!(
        !after_narrative.contains(&"schools") && !after_narrative.contains(&"county results"),
        "{after_narrative:?}"
    );
    assert!(files == junheng::pipeline::in_memory(&t.site, false).unwrap().files);
    apply_edit(&t, 1, 7);
    let (after_schools, files) = stages(&mut memo);
    assert!(after_schools.contains(&"schools") && after_schools.contains(&"county results"), "{after_schools:?}");
    assert!(files == junheng::pipeline::in_memory(&t.site, false).unwrap().files);
}

// Guards the reuse of the sheets (published rows merged with the engine's results) on a site
// of published figures only, the usual portal: a narrative edit neither reads school rows nor
// merges the sheets again; an edit of a published figure, or a rewrite of the data that keeps
// the published rows, is still rendered as a clean render would.
#[test]
fn sheets_are_reused_on_a_site_without_school_rows() {
    let t = SiteTest::demo();
    std::fs::remove_file(t.site.join("data/schools.csv")).unwrap();
    let mut memo = junheng::pipeline::Pipeline::new(&t.site, junheng::pipeline::Keep::Verified);
    let stages = |memo: &mut junheng::pipeline::Pipeline| {
        let rendered = memo.run(junheng::pipeline::To::Memory, false).unwrap();
        let stages = made(memo);
        assert!(rendered.files == junheng::pipeline::in_memory(&t.site, false).unwrap().files, "{stages:?}");
        stages
    };
    assert!(stages(&mut memo).contains(&"sheets"));
    for (kind, merged) in [(2, false), (0, true), (8, false), (2, false)] {
        let edited = apply_edit(&t, kind, 3);
        memo.forget(&[edited.to_string()]);
        let stages = stages(&mut memo);
        assert!(!stages.contains(&"schools"), "{edited}: {stages:?}");
        assert_eq!(stages.contains(&"sheets"), merged, "{edited}: {stages:?}");
    }
}

// Guards what a county narrative is an input of: its county's page in each language, not the
// county's audit trail (which shows no narrative).
#[test]
fn a_narrative_edit_renders_its_county_page_only() {
    let t = SiteTest::demo();
    let mut memo = junheng::pipeline::Pipeline::new(&t.site, junheng::pipeline::Keep::Verified);
    memo.run(junheng::pipeline::To::Memory, false).unwrap();
    let path = apply_edit(&t, 2, 1);
    memo.forget(&[path.to_string()]);
    let cached = memo.run(junheng::pipeline::To::Memory, false).unwrap();
    assert!(cached.files == junheng::pipeline::in_memory(&t.site, false).unwrap().files);
    assert!(cached.files.iter().any(|f| f.path.starts_with("county/450804/computation/")), "an audited county");
    assert_eq!(
        memo.pages_made_and_reused().0,
        6,
        "the county page, its feed and the site's feed, each in zh-CN and en"
    );
}

// Guards the data kept table by table: an edit of the metrics checks only the metrics again
// and takes over the published rows with their problems (reported as a clean render reports
// them); an edit of the county list checks every table again.
#[test]
fn data_tables_are_checked_again_only_when_changed() {
    let t = SiteTest::demo();
    let mut memo = junheng::pipeline::Pipeline::new(&t.site, junheng::pipeline::Keep::Verified);
    let mut render = |rel: &str| {
        memo.forget(&[rel.to_string()]);
        let cached = memo.run(junheng::pipeline::To::Memory, false);
        let stages = made(&memo);
        let clean = junheng::pipeline::in_memory(&t.site, false);
        let problems = |r: &Result<junheng::pipeline::Outcome, junheng::Error>| match r {
            Err(junheng::Error::Site(d)) => {
                Some(d.sorted().iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))
            }
            _ => None,
        };
        match (&cached, &clean) {
            (Ok(a), Ok(b)) => assert!(a.files == b.files, "{rel}: the cached render differs"),
            (Err(_), Err(_)) => assert_eq!(problems(&cached), problems(&clean), "{rel}"),
            _ => panic!("{rel}: one render failed and the other did not"),
        }
        let tables = ["published rows", "milestones", "metrics"];
        (tables.map(|s| stages.contains(&s)), problems(&cached))
    };
    assert_eq!(render("").0, [true; 3]);
    // A published row citing an unknown source: an error, still reported after a metric edit.
    let text = std::fs::read_to_string(t.site.join("data/indicators.csv")).unwrap();
    save(&t, "data/indicators.csv", &format!("{text}450802,2019-2020,junior,basic,composite,,0.3,no-such-source\n"));
    let (checked, error) = render("data/indicators.csv");
    assert_eq!(checked, [true, false, false]);
    assert!(error.as_deref().is_some_and(|e| e.contains("no-such-source")), "{error:?}");
    apply_edit(&t, 8, 4);
    let (checked, error) = render("data/metrics.csv");
    assert_eq!(checked, [false, false, true]);
    assert!(error.as_deref().is_some_and(|e| e.contains("no-such-source")), "{error:?}");
    save(&t, "data/indicators.csv", &text);
    assert_eq!(render("data/indicators.csv"), ([true, false, false], None));
    apply_edit(&t, 6, 5);
    assert_eq!(render("data/counties.csv").0, [true; 3]);
}

// Guards what an indicator's page is keyed by (each county's latest row of that indicator):
// a published coefficient edited alone (its value as before) renders that indicator's page
// again, and only that one of the indicator pages.
#[test]
fn an_indicator_page_follows_its_ranking_only() {
    let t = SiteTest::demo();
    let rows = "450802,2020-2021,primary,basic,teaching_area,5.1,0.30,guigang-2021\n\
                450802,2019-2020,primary,basic,teaching_area,5.0,0.33,guigang-2021\n\
                450802,2020-2021,primary,basic,books,30,0.20,guigang-2021\n";
    let text = std::fs::read_to_string(t.site.join("data/indicators.csv")).unwrap();
    save(&t, "data/indicators.csv", &format!("{text}{rows}"));
    let mut memo = junheng::pipeline::Pipeline::new(&t.site, junheng::pipeline::Keep::Verified);
    let mut render = |from: &str, to: &str| {
        edit(&t, "data/indicators.csv", from, to);
        memo.forget(&["data/indicators.csv".to_string()]);
        let cached = memo.run(junheng::pipeline::To::Memory, false).unwrap().files;
        let clean = junheng::pipeline::in_memory(&t.site, false).unwrap().files;
        let page = |path: &str| cached.iter().find(|f| f.path == path).unwrap().bytes.clone();
        assert!(cached == clean, "{to}: the cached render differs");
        (
            page("indicators/basic/teaching_area/index.html"),
            page("indicators/basic/books/index.html"),
            memo.pages_made_and_reused().0,
        )
    };
    let (area, books, _) = render("", "");
    // An earlier school year: not in the ranking.
    let (area_then, books_then, _) = render("5.0,0.33", "5.0,0.34");
    assert!(area_then == area && books_then == books);
    // The latest: that page changes, with the county's own pages and roll-ups, not the rest.
    let (area_now, books_now, rendered) = render("5.1,0.30", "5.1,0.35");
    assert!(area_now != area && books_now == books);
    assert!(rendered < 16, "{rendered} pages rendered again");
}

// Guards the theme kept across rebuilds (its files as read, its compiled templates and
// processed stylesheets): a template, a UI string or a stylesheet edited, a static file added,
// each seen by its stamp alone (no watcher report), the cached render equal to a clean one.
#[test]
fn theme_files_are_read_again_when_changed() {
    let t = SiteTest::demo();
    let mut memo = junheng::pipeline::Pipeline::new(&t.site, junheng::pipeline::Keep::Verified);
    let render = |memo: &mut junheng::pipeline::Pipeline| memo.run(junheng::pipeline::To::Memory, false).unwrap();
    render(&mut memo);
    let base = std::fs::read_to_string(crate::support::repo_root().join("src/theme/templates/base.html")).unwrap();
    let steps: [(&str, &dyn Fn()); 7] = [
        ("a template's override created", &|| {
            save(&t, "themes/default/templates/base.html", &base.replace("</footer>", "<p>theme-marker</p></footer>"))
        }),
        ("a template's override edited", &|| {
            edit(&t, "themes/default/templates/base.html", "theme-marker", "theme-marker-2")
        }),
        ("a UI string overridden", &|| save(&t, "themes/default/i18n/zh-CN.toml", "[nav]\nhome = \"新首页\"\n")),
        ("a stylesheet overridden", &|| {
            let css = std::fs::read_to_string(t.own_theme_file("css/site.css")).unwrap();
            save(&t, "themes/default/css/site.css", &css.replace("--fg: #1a1a1a;", "--fg: #1b1b1b;"))
        }),
        ("a static file added", &|| save(&t, "themes/default/static/added.txt", "added")),
        ("a template's override removed", &|| {
            std::fs::remove_file(t.site.join("themes/default/templates/base.html")).unwrap()
        }),
        ("every override removed", &|| std::fs::remove_dir_all(t.site.join("themes")).unwrap()),
    ];
    for (what, step) in steps {
        step();
        let cached = render(&mut memo).files;
        assert!(cached == junheng::pipeline::in_memory(&t.site, false).unwrap().files, "{what}: cached render differs");
        let added = cached.iter().any(|f| f.path == "assets/added.txt");
        let marked =
            cached.iter().any(|f| f.path == "index.html" && String::from_utf8_lossy(&f.bytes).contains("theme-marker"));
        let expected = match what {
            "a template's override created" | "a template's override edited" | "a UI string overridden" => {
                (false, true)
            }
            "a stylesheet overridden" | "a static file added" => (what == "a static file added", true),
            "a template's override removed" => (true, false),
            _ => (false, false),
        };
        assert_eq!((added, marked), expected, "{what}: (static file, own template)");
    }
}

// Guards the files kept across rebuilds (Markdown files; the data files but `schools.csv`): an
// edited file is read again by its stamp without the watcher's report; a rewrite that keeps
// the stamp (same size and time) is kept until the watcher reports it, and then read again.
#[test]
fn files_are_read_again_when_changed_or_reported() {
    // A narrative, a metric, a milestone, a source's title.
    for (kind, from, to) in [(2, "追加的段落 1", "追加的段落 7"), (8, ",2,", ",7,"), (5, "", ""), (7, " 1,", " 7,")]
    {
        let t = SiteTest::demo();
        let mut memo = junheng::pipeline::Pipeline::new(&t.site, junheng::pipeline::Keep::Values);
        let render = |memo: &mut junheng::pipeline::Pipeline| memo.run(junheng::pipeline::To::Memory, false).unwrap();
        let clean = || junheng::pipeline::in_memory(&t.site, false).unwrap().files;
        render(&mut memo);
        let rel = apply_edit(&t, kind, 1);
        assert!(render(&mut memo).files == clean(), "{rel}: an edit seen by its stamp alone");
        if from.is_empty() {
            continue;
        }
        let before = render(&mut memo).files;
        let path = t.site.join(rel);
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let same_size = text.replacen(from, to, 1);
        assert!(same_size.len() == text.len() && same_size != text, "{rel}: an edit of the same size");
        std::fs::write(&path, same_size).unwrap();
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(modified).unwrap();
        assert!(render(&mut memo).files == before, "{rel}: a file with its stamp unchanged is not read again");
        memo.forget(&[rel.to_string()]);
        let after = render(&mut memo).files;
        assert!(after != before && after == clean(), "{rel}: a reported file is read again");
    }
}
