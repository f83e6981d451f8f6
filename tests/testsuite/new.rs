//! `junheng new` and `junheng eject`: the starter site builds with the built-in theme, which
//! matches `src/theme/`.

use crate::support::{SiteTest, repo_root};

// Guards the starter: every table as a data-entry workbook (a few starter rows in some) and
// every folder; it builds, warning of the placeholders to replace (address and publisher) until
// they are, then with none. With `--csv`, the same tables as CSV files build the same site.
#[test]
fn starter_site_builds() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("mysite");
    junheng::new::new_site(&site, junheng::new::Tables::Workbooks).unwrap();
    for spec in junheng::format::INPUT_FILES {
        assert!(!site.join(spec.file).exists(), "{}: no CSV beside the workbook", spec.file);
        let book = site.join(spec.file.replace(".csv", ".xlsx"));
        assert!(std::fs::read(&book).unwrap().starts_with(b"PK"), "{}", book.display());
    }
    assert!(site.join("content/counties/450804.md").is_file());
    let build = |site: &std::path::Path| {
        junheng::build(&junheng::BuildOptions { site: site.to_path_buf(), output: None, deny_warnings: false })
    };
    let report = build(&site).unwrap();
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
    let report = build(&site).unwrap();
    assert!(report.diagnostics.is_clean(), "{}", report.diagnostics);
    assert!(site.join("public/county/450804/index.html").is_file());
    assert!(!site.join("themes").exists(), "no copy of the theme unless asked");
    // A second `new` into the same folder is refused.
    assert!(matches!(junheng::new::new_site(&site, junheng::new::Tables::Csv), Err(junheng::Error::Usage(_))));
    // The same starter as CSV files: each with its header row, and the same site.
    let csv = dir.path().join("csv");
    junheng::new::new_site(&csv, junheng::new::Tables::Csv).unwrap();
    for spec in junheng::format::INPUT_FILES {
        let text = std::fs::read_to_string(csv.join(spec.file)).unwrap();
        assert!(text.starts_with(spec.columns[0].name), "{}: {text}", spec.file);
    }
    std::fs::copy(site.join("site.toml"), csv.join("site.toml")).unwrap();
    assert!(build(&csv).unwrap().diagnostics.is_clean());
    let page = |site: &std::path::Path| std::fs::read(site.join("public/api/counties/450804.json")).unwrap();
    assert_eq!(page(&csv), page(&site), "the workbooks read as the CSV files");
}

// Guards `junheng template`: an empty data-entry workbook per table, each explaining its
// columns with an example row; the example rows, typed into the data sheets as a person would
// (codes as text, figures as numbers, words from the drop-downs) and saved by LibreOffice, make
// a site that builds.
// Workbooks already in the folder are kept.
#[test]
fn filled_in_templates_build() {
    let t = SiteTest::from_fixture("build/minimal");
    let out = t.run(&["template", "entry"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dir = t.site.join("entry");
    let script = r#"
import json, sys, openpyxl
report = {}
for table in sys.argv[3].split(","):
    wb = openpyxl.load_workbook(f"{sys.argv[1]}/{table}.xlsx")
    data, about = wb.worksheets[0], wb.worksheets[-1]
    rows = [r for r in about.iter_rows(values_only=True)]
    assert data.max_row == 1, (table, "the data sheet is empty")
    headers = [c.value for c in data[1]]
    # The explanation: a row per column (header, field, required, type, …, example); the
    # example row last, under a copy of the headers.
    types = {r[0]: r[3] for r in rows if r[0] in headers and r[1]}
    assert rows[-2] == tuple(headers) + (None,) * (len(rows[-2]) - len(headers)), (table, rows[-2])
    for j, value in enumerate(rows[-1][: len(headers)]):
        if value is None:
            continue
        if types[headers[j]] in ("数字", "整数"):
            value = float(value) if "." in value else int(value)
        data.cell(row=2, column=j + 1, value=value)
    report[table] = {
        "headers": headers,
        "drop_downs": sorted(str(v.sqref) for v in data.data_validations.dataValidation),
        "text_columns": [c.value for c in data[1] if data.column_dimensions[c.column_letter].number_format == "@"],
        "about": [list(filter(None, r)) for r in rows],
    }
    wb.save(f"{sys.argv[2]}/{table}.xlsx")
print(json.dumps(report, ensure_ascii=False))
"#;
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir(site.path().join("data")).unwrap();
    let tables: Vec<&str> = junheng::format::INPUT_FILES.iter().map(|f| f.name).collect();
    let report: serde_json::Value = serde_json::from_str(&crate::support::python(
        script,
        &[dir.as_os_str(), site.path().join("data").as_os_str(), tables.join(",").as_ref()],
    ))
    .unwrap();
    let schools = &report["schools"];
    assert_eq!(schools["headers"][0], "学校标识码");
    assert_eq!(schools["drop_downs"], serde_json::json!(["E2:E1048576", "F2:F1048576"]));
    assert!(schools["text_columns"].as_array().unwrap().contains(&"学校标识码".into()), "{schools}");
    let about: Vec<String> = schools["about"].as_array().unwrap().iter().map(|r| r.to_string()).collect();
    assert!(
        about.iter().any(|r| r.contains("\"学段\",\"level\",\"是\"") && r.contains("小学（primary）、初中（junior）")),
        "{about:?}"
    );
    assert!(about.iter().any(|r| r.starts_with("[\"在校生数\",\"students\",\"是\",\"整数\",\"个\",")), "{about:?}");
    // Saved again by a spreadsheet (LibreOffice, headless), as a person filling it in would.
    let saved = tempfile::tempdir().unwrap();
    let books: Vec<std::path::PathBuf> =
        tables.iter().map(|n| site.path().join("data").join(format!("{n}.xlsx"))).collect();
    crate::support::save_with_libreoffice(&books, saved.path());
    for (n, book) in tables.iter().zip(&books) {
        std::fs::copy(saved.path().join(format!("{n}.xlsx")), book).unwrap();
    }
    std::fs::write(
        site.path().join("site.toml"),
        "title = \"t\"\nbase_url = \"https://jyj.example.gov.cn/\"\npublisher = \"贵港市教育局\"\n",
    )
    .unwrap();
    let report =
        junheng::build(&junheng::BuildOptions { site: site.path().to_path_buf(), output: None, deny_warnings: true })
            .unwrap_or_else(|e| panic!("{e}"));
    assert!(report.diagnostics.is_clean(), "{}", report.diagnostics);
    let county = std::fs::read_to_string(site.path().join("public/api/counties/450802.json")).unwrap();
    assert!(county.contains("teachers_backbone") && county.contains("2145080201"), "{county}");
    // A second run keeps what is there.
    let out = t.run(&["template", "entry", "--lang", "en"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("kept"), "{}", String::from_utf8_lossy(&out.stdout));
    let out = t.run(&["template", "other", "--lang", "fr"]);
    assert_eq!(out.status.code(), Some(2), "an unknown language is a usage error");
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
