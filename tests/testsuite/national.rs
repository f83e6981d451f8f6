//! The national county list (2,854 units) builds as a site.

use crate::support::SiteTest;

// Guards the national list: every county gets a page and every province a roll-up.
#[test]
fn national_county_list_builds() {
    let t = SiteTest::from_fixture("national");
    let report = t.build();
    assert!(report.diagnostics.is_clean(), "{}", report.diagnostics);
    let counties = std::fs::read_dir(t.output().join("county")).unwrap().count();
    assert_eq!(counties, 2854);
    let provinces = std::fs::read_dir(t.output().join("province")).unwrap().count();
    assert_eq!(provinces, 31);
    // 市辖区 placeholders show their province's name.
    assert!(t.read_output("prefecture/110100/index.html").contains("<h1>北京市</h1>"));
}

// Guards the preview's memory at national size: one county's published row, milestone,
// metric and narrative edited in turn, then a county renamed, each rebuilt in verify mode
// (whatever a rebuild reuses is made again and compared); an edit of a data row does not
// read the areas again; the last rebuild equals a clean render, file for file.
// See: #22
#[test]
fn preview_rebuilds_in_verify_mode_at_national_size() {
    let t = SiteTest::from_fixture("national");
    let files = [
        (
            "data/indicators.csv",
            "county,school_year,level,scheme,indicator,value,cv,source\n450802,2020-2021,primary,basic,composite,,0.412,r1\n",
            "0.412",
        ),
        ("data/milestones.csv", "area,date,event,title,source\n450802,2015-12,national_recognition,认定,\n", "2015-12"),
        ("data/metrics.csv", "area,period,metric,value,unit,source\n450802,2020,big_classes,3,班,r1\n", ",3,"),
        ("content/counties/450802.md", "+++\ntitle = \"港北区\"\n+++\n\n港北区的说明。\n", "说明"),
    ];
    for (rel, text, _) in files {
        t.write(rel, text);
    }
    t.write("data/sources.csv", "id,title,publisher,date,url\nr1,测试报告,测试局,2021,\n");
    let mut preview = junheng::pipeline::Pipeline::new(&t.site, junheng::pipeline::Keep::Verified);
    preview.run(junheng::pipeline::To::Memory, false).unwrap();
    preview.counts();
    for (rel, text, from) in files {
        let edited = match from {
            "0.412" => "0.398",
            "2015-12" => "2016-01",
            ",3," => ",4,",
            _ => "介绍",
        };
        t.write(rel, &text.replace(from, edited));
        preview.forget(&[rel.to_string()]);
        let rendered = preview.run(junheng::pipeline::To::Memory, false).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert!(rendered.diagnostics.is_clean(), "{rel}: {}", rendered.diagnostics);
        let counts = preview.counts();
        let made = |part: &str| counts.iter().find(|(name, ..)| *name == part).map_or(0, |(_, made, _)| *made);
        assert_eq!(made("register"), 0, "{rel}: the areas are not read again");
    }
    let counties = std::fs::read_to_string(t.site.join("data/counties.csv")).unwrap();
    t.write("data/counties.csv", &counties.replace("110101,东城区", "110101,东城"));
    preview.forget(&["data/counties.csv".to_string()]);
    let cached = preview.run(junheng::pipeline::To::Memory, false).unwrap().files;
    let clean = junheng::pipeline::in_memory(&t.site, false).unwrap().files;
    assert!(cached.len() == clean.len() && cached == clean, "the cached render differs from a clean one");
    let page = cached.iter().find(|f| f.path == "county/110101/index.html").unwrap();
    let page = String::from_utf8_lossy(&page.bytes);
    assert!(page.contains("<h1>东城") && !page.contains("东城区"), "the renamed county");
}

// Guards the downloads of a national portal as the readers' tools see them: the tiny synthetic
// national site (two schools per county, one school year), its large tables in parts per
// province, builds with no diagnostics and no file over 25 MiB; `frictionless validate`
// accepts its package and the `jsonschema` validator every county's API record.
// See: #23
#[test]
fn national_downloads_are_valid_in_the_readers_tools() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let opts = junheng::synthetic::Options { years: 1, schools_per_county: 2, ..Default::default() };
    junheng::synthetic::generate(&site, &opts).unwrap();
    let toml = std::fs::read_to_string(site.join("site.toml")).unwrap();
    std::fs::write(site.join("site.toml"), toml.replace("[settings]", "[settings]\nsplit_rows = 2000")).unwrap();
    let out = dir.path().join("out");
    let report =
        junheng::build(&junheng::BuildOptions { site: site.clone(), output: Some(out.clone()), deny_warnings: false })
            .unwrap();
    assert!(report.diagnostics.is_clean(), "{}", report.diagnostics);
    let files = crate::support::tree(&out);
    let largest = files.iter().map(|(p, _)| (std::fs::metadata(out.join(p)).unwrap().len(), p)).max().unwrap();
    assert!(largest.0 <= 25 << 20, "{largest:?}");
    assert!(out.join("data/schools/510000.csv.gz").is_file() && out.join("data/sqlite/510000.sqlite.gz").is_file());
    let report = crate::support::frictionless(&out.join("data"));
    assert_eq!(report["valid"], true, "{}", serde_json::to_string_pretty(&report["errors"]).unwrap());
    let script = r#"
import glob, json, sys, jsonschema
api = sys.argv[1]
v = jsonschema.Draft202012Validator(json.load(open(f"{api}/schema/county.schema.json")))
records = glob.glob(f"{api}/counties/*.json")
bad = [(p, e.message) for p in records for e in v.iter_errors(json.load(open(p)))]
print(len(records), bad[:3])
"#;
    let checked = crate::support::python(script, &[out.join("api").as_os_str()]);
    assert_eq!(checked.trim(), "2854 []");
    // A phone's pages stay light: no page over 60 KB gzipped; the home page lists the provinces
    // (each lists its counties), and each ranking comes in pages of 1,000 ranks.
    let gzipped = |bytes: &[u8]| {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap().len()
    };
    let heavy: Vec<(String, usize)> = files
        .iter()
        .filter(|(p, _)| p.ends_with(".html"))
        .map(|(p, b)| (p.clone(), gzipped(b)))
        .filter(|(_, n)| *n > 60 * 1024)
        .collect();
    assert!(heavy.is_empty(), "pages over 60 KB gzipped: {heavy:?}");
    let home = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(home.contains("<table class=\"cards provinces\">") && home.contains("href=\"province/450000/\""));
    assert!(!home.contains("href=\"county/450804/\""), "the home page lists provinces, not 2,854 counties");
    assert!(!home.contains("按省份查看："), "the provinces once, in their table");
    let second = std::fs::read_to_string(out.join("indicators/basic/teaching_area/2/index.html")).unwrap();
    assert!(second.contains("<td class=\"num\">1001</td>"), "the second page ranks from 1,001");
    assert!(!second.contains("<td class=\"num\">1000</td>"));
    let nav =
        second.split("<nav class=\"pages\"").nth(1).unwrap_or_default().split("</nav>").next().unwrap_or_default();
    assert!(nav.contains("<span aria-current=\"page\">第1001–2000名</span>") && nav.contains(">第2001–"), "{nav}");
    assert!(out.join("indicators/basic/teaching_area/3/index.html").is_file());
    assert!(!out.join("indicators/basic/teaching_area/4/index.html").exists());
    // Every school is in its province's finder index, each index under 200 KB gzipped.
    let mut indexed = 0;
    for (p, bytes) in files.iter().filter(|(p, _)| p.starts_with("search/")) {
        assert!(gzipped(bytes) <= 200 * 1024, "{p}: {} bytes gzipped", gzipped(bytes));
        let index: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        indexed += index["schools"].as_array().unwrap().len();
    }
    let schools: std::collections::BTreeSet<String> = csv::Reader::from_path(site.join("data/schools.csv"))
        .unwrap()
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    assert_eq!(indexed, schools.len());
}

// Guards the whole site's database when it is larger than static hosts take in one file: a
// national portal of published figures kept in one part gets `data/junheng.sqlite.gz` (under
// 25 MiB), named so by the downloads page, and sound once unzipped.
// See: #23
#[test]
fn a_large_database_is_gzipped() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let opts = junheng::synthetic::Options { years: 4, published_only: true, one_language: true, ..Default::default() };
    junheng::synthetic::generate(&site, &opts).unwrap();
    let toml = std::fs::read_to_string(site.join("site.toml")).unwrap();
    std::fs::write(site.join("site.toml"), toml.replace("[settings]", "[settings]\nsplit_rows = 10000000")).unwrap();
    let out = dir.path().join("out");
    let report =
        junheng::build(&junheng::BuildOptions { site: site.clone(), output: Some(out.clone()), deny_warnings: false })
            .unwrap();
    assert!(report.diagnostics.is_clean(), "{}", report.diagnostics);
    assert!(!out.join("data/junheng.sqlite").exists() && !out.join("data/sqlite").exists());
    let gz = std::fs::read(out.join("data/junheng.sqlite.gz")).unwrap();
    assert!(gz.len() <= 25 << 20, "{} bytes", gz.len());
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut bytes).unwrap();
    assert!(bytes.len() > 20 << 20, "only a database over 20 MiB is gzipped: {} bytes", bytes.len());
    let db = dir.path().join("junheng.sqlite");
    std::fs::write(&db, bytes).unwrap();
    let check = std::process::Command::new("sqlite3").arg(&db).arg("PRAGMA integrity_check;").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&check.stdout), "ok\n");
    let page = std::fs::read_to_string(out.join("downloads/index.html")).unwrap();
    assert!(page.contains("junheng.sqlite.gz"), "the downloads page names the gzipped file");
}
