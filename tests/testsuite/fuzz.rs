//! Fuzzing with proptest generators: no input makes junheng panic. Each property runs a
//! bounded number of cases here; `scripts/fuzz` runs them longer (PROPTEST_CASES).

use proptest::prelude::*;

use junheng::format;
use junheng::load::data::Table;

use crate::support::SiteTest;

/// Cases per property: `default` in the test suite, `JUNHENG_FUZZ_CASES` for longer runs.
fn cases(default: u32) -> u32 {
    std::env::var("JUNHENG_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Cells that bureau spreadsheets really contain, valid and not.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("—".to_string()),
        Just("-".to_string()),
        Just("450802".to_string()),
        Just("450804".to_string()),
        Just("2020-2021".to_string()),
        Just("2018-02-30".to_string()),
        Just("2016年1月".to_string()),
        Just("primary".to_string()),
        Just("小学".to_string()),
        Just("basic".to_string()),
        Just("quality".to_string()),
        Just("composite".to_string()),
        Just("books".to_string()),
        Just("nine_year".to_string()),
        Just("teaching_point".to_string()),
        Just("r1".to_string()),
        Just("1,234.5".to_string()),
        Just("１２．５".to_string()),
        Just("1e309".to_string()),
        Just("NaN".to_string()),
        Just("-0".to_string()),
        Just("0".to_string()),
        Just("=cmd|' /C calc'!A0".to_string()),
        Just("../../etc".to_string()),
        Just("\"quoted, with comma\"".to_string()),
        "[0-9]{1,7}(\\.[0-9]{0,4})?",
        "\\PC{0,12}",
    ]
}

fn csv_text(header: &'static str, rows: Vec<Vec<String>>) -> String {
    let mut out = format!("{header}\n");
    for r in rows {
        out.push_str(&r.join(","));
        out.push('\n');
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(128), failure_persistence: None, ..ProptestConfig::default() })]

    // Guards the CSV loaders against arbitrary bytes.
    #[test]
    fn csv_loaders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        for spec in format::INPUT_FILES {
            let mut diags = junheng::Diagnostics::new();
            let _ = Table::parse(spec, bytes.as_slice(), None, &mut diags);
        }
    }

    // Guards front matter and Markdown parsing against arbitrary text.
    #[test]
    fn front_matter_never_panics(body in "\\PC{0,200}", front in "\\PC{0,80}") {
        let mut diags = junheng::Diagnostics::new();
        let text = format!("+++\n{front}\n+++\n{body}");
        let _ = junheng::load::content::parse_page("content/a.md", "news".into(), "a".into(), "zh-CN".into(), text, &mut diags);
        let _ = junheng::render::markdown::to_html(&body, 2, junheng::config::RawHtml::Sanitize);
        let _ = junheng::render::markdown::to_html(&body, 2, junheng::config::RawHtml::Escape);
    }

    // Guards site.toml parsing against arbitrary text.
    #[test]
    fn config_never_panics(text in "\\PC{0,200}") {
        let _ = junheng::config::Config::parse(&text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(24), failure_persistence: None, ..ProptestConfig::default() })]

    // Guards the whole pipeline on generated sites: it succeeds or reports diagnostics, never panics.
    #[test]
    fn whole_build_never_panics(
        indicators in prop::collection::vec(prop::collection::vec(cell(), 8), 0..12),
        schools in prop::collection::vec(prop::collection::vec(cell(), 10), 0..12),
        milestones in prop::collection::vec(prop::collection::vec(cell(), 5), 0..6),
        metrics in prop::collection::vec(prop::collection::vec(cell(), 6), 0..6),
    ) {
        let t = SiteTest::from_fixture("build/minimal");
        t.write("data/indicators.csv", &csv_text("county,school_year,level,scheme,indicator,value,cv,source", indicators));
        t.write("data/schools.csv", &csv_text("school_id,school_name,county,school_year,level,school_type,students,teaching_area_m2,teachers,parent_school_id", schools));
        t.write("data/milestones.csv", &csv_text("area,date,event,title,source", milestones));
        t.write("data/metrics.csv", &csv_text("area,period,metric,value,unit,source", metrics));
        match junheng::check::check(&t.site, false) {
            Ok(_) | Err(junheng::Error::Site(_)) => {}
            Err(e) => prop_assert!(false, "unexpected error kind: {e}"),
        }
    }
}

/// A school row that passes validation, with extreme but legal numbers.
fn school_row() -> impl Strategy<Value = String> {
    let num = prop_oneof![
        Just(String::new()),
        Just("0".to_string()),
        (0u32..100_000).prop_map(|n| n.to_string()),
        Just("1e12".to_string())
    ];
    let ty = prop_oneof![
        Just("primary"),
        Just("junior"),
        Just("nine_year"),
        Just("teaching_point"),
        Just("twelve_year"),
        Just("complete_secondary")
    ];
    (0u8..6, ty, prop_oneof![Just("primary"), Just("junior")], 0u32..3000, prop::collection::vec(num, 12), 0u8..6)
        .prop_map(|(id, ty, level, students, figs, parent)| {
            format!(
                "214508020{id},学校{id},450802,2020-2021,{level},{ty},{students},{},2145080{parent:02},",
                figs.join(",")
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(24), failure_persistence: None, ..ProptestConfig::default() })]

    // Guards the engine and renderer on legal but extreme school data: the build succeeds or
    // reports diagnostics, and no NaN or infinity ever reaches a page or a download.
    #[test]
    fn extreme_school_data_never_gives_nan(rows in prop::collection::vec(school_row(), 1..14)) {
        let t = SiteTest::from_fixture("build/minimal");
        let header = "school_id,school_name,county,school_year,level,school_type,students,teaching_area_m2,sports_area_m2,equipment_yuan,computers,books,multimedia_rooms,teachers,teachers_above_degree,teachers_mid_title,teachers_backbone,teachers_pe_art,senior_students,parent_school_id,source";
        t.write("data/schools.csv", &format!("{header}\n{}\n", rows.join("\n")));
        match junheng::build(&junheng::BuildOptions { site: t.site.clone(), output: None, deny_warnings: false }) {
            Ok(_) => {
                for (path, bytes) in crate::support::tree(&t.output()).into_iter().filter(|(p, _)| !p.starts_with("assets/")) {
                    let text = String::from_utf8_lossy(&bytes);
                    prop_assert!(!text.contains("NaN") && !text.contains("inf,") && !text.contains(">inf<"), "{path}");
                }
            }
            Err(junheng::Error::Site(_)) => {}
            Err(e) => prop_assert!(false, "unexpected error kind: {e}"),
        }
    }
}

/// A workbook of `cells` (row, column, text) written with rust_xlsxwriter, as bytes.
fn workbook_bytes(cells: &[(u32, u16, String)]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, c, text) in cells {
        let _ = ws.write_string(*r, *c, text);
    }
    wb.save_to_buffer().unwrap()
}

/// Where a bureau's (or a hostile contributor's) cells land: the table's corner, its rows, and
/// the far edges of a sheet.
fn cell_place() -> impl Strategy<Value = (u32, u16)> {
    prop_oneof![
        (0u32..6, 0u16..8),
        (0u32..3, 0u16..30),
        Just((1_048_575, 16_383)),
        Just((1_048_575, 0)),
        Just((0, 16_383)),
        (0u32..1_048_576, 0u16..16_384),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(48), failure_persistence: None, ..ProptestConfig::default() })]

    // Guards the workbook reader: any cells anywhere in a sheet, and any corruption of a
    // workbook's bytes, give a table or diagnostics, in bounded time and memory, never a panic.
    #[test]
    fn workbook_reader_never_panics(
        cells in prop::collection::vec((cell_place(), cell()), 0..12),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
    ) {
        let mut all: Vec<(u32, u16, String)> = vec![(0, 0, "id".into()), (0, 1, "title".into())];
        all.extend(cells.into_iter().map(|((r, c), text)| (r, c, text)));
        let mut bytes = workbook_bytes(&all);
        let start = std::time::Instant::now();
        let mut diags = junheng::Diagnostics::new();
        let _ = junheng::load::workbook::table(&format::SOURCES, "data/sources.xlsx", bytes.clone(), &mut diags);
        for (at, byte) in flips {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        let _ = junheng::load::workbook::table(&format::SOURCES, "data/sources.xlsx", bytes, &mut diags);
        prop_assert!(start.elapsed() < std::time::Duration::from_secs(5), "took {:?}", start.elapsed());
    }

    // Guards the Markdown path on nested, linked and raw-HTML text: no panic, no script link in
    // either mode, and bounded time.
    #[test]
    fn markdown_path_never_panics(parts in prop::collection::vec(prop_oneof![
        Just("> ".to_string()), Just("- ".to_string()), Just("1. ".to_string()), Just("<div>".to_string()),
        Just("</div>".to_string()), Just("[x](javascript:alert(1))".to_string()), Just("![i](data:x)".to_string()),
        Just("<javascript:x>".to_string()), Just("[r][a]\n\n[a]: JavaScript:x".to_string()), Just("\n".to_string()),
        Just("<a href=\"javascript:x\">a</a>".to_string()), Just("[ok](https://e.org)".to_string()), "\\PC{0,12}",
    ], 0..200), repeat in 1usize..300) {
        let body = parts.concat().repeat(repeat.min(20_000 / (parts.concat().len() + 1) + 1));
        let start = std::time::Instant::now();
        let mut diags = junheng::Diagnostics::new();
        let _ = junheng::load::content::parse_page("content/a.md", "news".into(), "a".into(), "zh-CN".into(), format!("+++\ntitle = \"a\"\n+++\n{body}"), &mut diags);
        for mode in [junheng::config::RawHtml::Sanitize, junheng::config::RawHtml::Escape] {
            let html = junheng::render::markdown::to_html(&body, 2, mode).to_ascii_lowercase();
            // The tags of the page (text shows `<` as `&lt;`): none links to a script.
            let tags = html.split('<').skip(1).map(|t| t.split('>').next().unwrap_or(""));
            for tag in tags.filter(|t| t.starts_with("a ") || t.starts_with("img ")) {
                prop_assert!(!tag.contains("javascript:") && !tag.contains("data:"), "{tag}");
            }
        }
        prop_assert!(start.elapsed() < std::time::Duration::from_secs(5), "took {:?}", start.elapsed());
    }
}

// Guards the seeds of the hostile cases, always run: a stray cell at the last address a sheet
// has, raw HTML nested 50,000 deep, and every way of writing a script link.
#[test]
fn hostile_seeds_are_handled() {
    let book = workbook_bytes(&[(0, 0, "id".into()), (0, 1, "title".into()), (1_048_575, 16_383, "x".into())]);
    let mut diags = junheng::Diagnostics::new();
    let table = junheng::load::workbook::table(&format::SOURCES, "data/sources.xlsx", book, &mut diags);
    assert!(table.is_some() && diags.has_errors());
    let deep = format!("{}x{}", "<div>".repeat(50_000), "</div>".repeat(50_000));
    let start = std::time::Instant::now();
    let html = junheng::render::markdown::to_html(&deep, 2, junheng::config::RawHtml::Sanitize);
    assert!(start.elapsed() < std::time::Duration::from_secs(5) && !html.contains("<div>"));
}
