//! Downloads: CSV round trip to the model, workbooks as openpyxl reads them, the data package as
//! the Frictionless validator sees it, parts of large tables, SHA256SUMS, the API.

use std::collections::BTreeSet;

use crate::support::{SiteTest, frictionless, python, python_tool, tree};

fn model_of(site: &std::path::Path) -> junheng::engine::Analysed {
    junheng::pipeline::analyse(site).unwrap_or_else(|e| panic!("{e}"))
}

// Guards the round trip: downloaded CSV tables read back as the same model.
#[test]
fn csv_downloads_round_trip() {
    let t = crate::support::with_standards(SiteTest::demo());
    t.build();
    let original = model_of(&t.site);
    let copy = SiteTest::demo();
    for table in INPUT_TABLES {
        let bytes = std::fs::read(t.output().join(format!("data/{table}.csv"))).unwrap();
        assert!(!bytes.starts_with(b"\xef\xbb\xbf"), "{table}: plain CSV has no BOM");
        std::fs::write(copy.site.join(format!("data/{table}.csv")), bytes).unwrap();
    }
    assert_same_inputs(&model_of(&copy.site), &original);
}

// Guards the words of the vocabulary columns: input tables that name levels, regimes,
// indicators, events and school types by their Chinese or English names (as a person fills in a
// workbook, in any case) read as the tables of ids do.
#[test]
fn words_read_in_either_language() {
    let t = crate::support::with_standards(SiteTest::demo());
    let original = model_of(&t.site);
    for language in ["zh", "en"] {
        let copy = crate::support::with_standards(SiteTest::demo());
        for spec in junheng::format::INPUT_FILES {
            let path = copy.site.join(spec.file);
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            let mut rows = csv::Reader::from_reader(text.as_bytes());
            let headers = rows.headers().unwrap().clone();
            let scheme_at = headers.iter().position(|h| h == "scheme");
            let mut out = csv::Writer::from_writer(Vec::new());
            out.write_record(&headers).unwrap();
            for row in rows.records() {
                let row = row.unwrap();
                let scheme = scheme_at.map(|i| {
                    if &row[i] == "basic" { junheng::model::Scheme::Basic } else { junheng::model::Scheme::Quality }
                });
                let cells = headers.iter().zip(row.iter()).map(|(h, cell)| {
                    let Some(vocab) = junheng::format::vocab(h) else { return cell.to_string() };
                    let term =
                        vocab.terms().iter().find(|t| t.id == cell && (t.scheme.is_none() || t.scheme == scheme));
                    let term = term.unwrap_or_else(|| panic!("{h}: {cell} is a word"));
                    if language == "zh" { term.zh.clone() } else { term.en.to_uppercase() }
                });
                out.write_record(cells.collect::<Vec<_>>()).unwrap();
            }
            std::fs::write(&path, out.into_inner().unwrap()).unwrap();
        }
        let written = std::fs::read_to_string(copy.site.join("data/indicators.csv")).unwrap();
        let word =
            if language == "zh" { "基本均衡,综合差异系数" } else { "BASIC BALANCE,COMPOSITE COEFFICIENT" };
        assert!(written.contains(word), "{written}");
        assert_same_inputs(&model_of(&copy.site), &original);
    }
}

/// Asserts that two sites read the same input tables (and so compute the same sheets).
fn assert_same_inputs(again: &junheng::engine::Analysed, original: &junheng::engine::Analysed) {
    assert_eq!(again.counties, original.counties);
    assert_eq!(again.reported, original.reported);
    assert_eq!(again.sheets, original.sheets);
    assert_eq!(again.milestones, original.milestones);
    assert_eq!(again.metrics, original.metrics);
    assert_eq!(again.sources, original.sources);
    assert_eq!(again.schools, original.schools);
    assert_eq!(again.standards, original.standards);
}

// Guards what each reader gets: a CSV file (programs) and a workbook (spreadsheets) per table, no
// byte-order-mark twin and no national JSON array (the per-county API serves JSON readers).
#[test]
fn one_format_per_kind_of_reader() {
    let t = crate::support::with_standards(SiteTest::demo());
    t.build();
    let files: BTreeSet<String> = tree(&t.output().join("data")).into_iter().map(|(p, _)| p).collect();
    // Every national table but the revisions (the demo has no history).
    for table in tables().into_iter().filter(|t| *t != "changes") {
        assert!(files.contains(&format!("{table}.csv")), "{table}.csv");
        assert!(files.contains(&format!("{table}.xlsx")), "{table}.xlsx");
    }
    assert!(files.contains("counties/450804.xlsx") && files.contains("counties/450802.xlsx"));
    assert!(
        !files.iter().any(|f| f.starts_with("counties/") && !f.ends_with(".xlsx")),
        "a county's own data is one workbook"
    );
    let twins: Vec<&String> = files
        .iter()
        .filter(|f| {
            let json = f.ends_with(".json") && !f.starts_with("schemas/") && !f.ends_with(".metadata.json");
            f.ends_with("-excel.csv") || json && *f != "datapackage.json"
        })
        .collect();
    assert!(twins.is_empty(), "files no reader needs: {twins:?}");
}

// Guards `[downloads] formats`: a site gets exactly the formats it lists, the data package is
// written with the CSV files and validates, the checksums cover what is written, and no page
// links a file that is not there.
#[test]
fn a_site_writes_only_the_formats_it_chooses() {
    let files_of = |formats: &str| {
        let t = SiteTest::demo();
        let toml = std::fs::read_to_string(t.site.join("site.toml")).unwrap();
        t.write("site.toml", &format!("{toml}\n[downloads]\nformats = [{formats}]\n"));
        t.build();
        let files: BTreeSet<String> = tree(&t.output()).into_iter().map(|(p, _)| p).collect();
        (t, files)
    };
    let (t, csv) = files_of("\"csv\"");
    let kinds = |files: &BTreeSet<String>, end: &str| files.iter().filter(|f| f.ends_with(end)).count();
    assert_eq!(kinds(&csv, ".xlsx") + kinds(&csv, ".sqlite") + kinds(&csv, ".sqlite.gz"), 0, "{csv:?}");
    assert!(!csv.iter().any(|f| f.starts_with("api/")), "{csv:?}");
    assert!(csv.contains("data/schools.csv") && csv.contains("data/datapackage.json"));
    let report = frictionless(&t.output().join("data"));
    assert_eq!(report["valid"], true, "{report:#}");
    let page = t.read_output("downloads/index.html");
    assert!(!page.contains(".xlsx") && !page.contains("api/") && !page.contains(".sqlite"), "{page}");
    assert!(!t.read_output("county/450804/computation/2019-2020/index.html").contains(".xlsx"));
    assert_links_resolve(&t);

    let (t, books) = files_of("\"xlsx\", \"api\"");
    assert_eq!(kinds(&books, ".csv") + kinds(&books, ".csv.gz") + kinds(&books, ".sqlite"), 0, "{books:?}");
    assert!(!books.contains("data/datapackage.json") && !books.iter().any(|f| f.starts_with("data/schemas/")));
    assert!(books.contains("data/counties/450802.xlsx") && books.contains("api/counties/450802.json"));
    let sums = t.read_output("data/SHA256SUMS");
    assert_eq!(sums.lines().count(), kinds(&books, ".xlsx"), "{sums}");
    // As a reader checks them.
    let checked = std::process::Command::new("sha256sum")
        .args(["--check", "--strict", "SHA256SUMS"])
        .current_dir(t.output().join("data"))
        .output()
        .unwrap();
    assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stdout));
    assert!(t.read_output("county/450804/computation/2019-2020/index.html").contains("450804.xlsx"));
    assert_links_resolve(&t);
}

/// Asserts that every link of the downloads page and of each computation page to a file of
/// `data/` or `api/` is to a file that was written.
fn assert_links_resolve(t: &SiteTest) {
    let out = t.output();
    let pages = tree(&out).into_iter().map(|(p, _)| p).filter(|p| p.ends_with("index.html"));
    let mut checked = 0;
    for page in pages.filter(|p| p.contains("downloads/") || p.contains("computation/")) {
        let html = t.read_output(&page);
        let dir = out.join(&page).parent().unwrap().to_path_buf();
        for link in html.split("href=\"").skip(1).map(|rest| &rest[..rest.find('"').unwrap()]) {
            if link.contains("data/") || link.contains("api/") {
                assert!(dir.join(link).is_file(), "{page} links `{link}`, which was not written");
                checked += 1;
            }
        }
    }
    assert!(checked > 10, "only {checked} links to downloads found");
}

// Guards the workbooks as openpyxl reads them: the rows of the CSV, codes and ids as text
// (leading zeros kept), figures as numbers equal to the CSV's, whole dates as dates, a frozen
// header row with filters, Chinese headers the loader reads back, and the explanation sheet.
#[test]
fn workbooks_hold_the_csv_rows_with_typed_cells() {
    // The demo with a revision history, for the changes table.
    let t = crate::revisions::three_releases();
    let schools = std::fs::read_to_string(t.site.join("data/schools.csv")).unwrap();
    // A school id with a leading zero, as real 学校标识码 may have.
    t.write("data/schools.csv", &schools.replace("2145080401", "0145080401"));
    t.build();
    let script = r#"
import csv, datetime, json, sys, openpyxl
data = sys.argv[1]
names = json.loads(sys.argv[3])
report = {}
for table in sys.argv[2].split(","):
    wb = openpyxl.load_workbook(f"{data}/{table}.xlsx")
    ws = wb.worksheets[0]
    cells = list(ws.iter_rows())
    rows = [[c.value for c in row] for row in cells]
    with open(f"{data}/{table}.csv", newline="", encoding="utf-8") as f:
        records = list(csv.reader(f))
    assert len(rows) == len(records), (table, len(rows), len(records))
    assert ws.freeze_panes == "A2", (table, ws.freeze_panes)
    assert ws.auto_filter.ref is not None and ws.auto_filter.ref.startswith("A1:"), table
    fields = records[0]
    for row, record in zip(cells[1:], records[1:]):
        scheme = dict(zip(fields, record)).get("scheme", "")
        for cell, text, field in zip(row, record, fields):
            value = cell.value
            # A word of a vocabulary shows its Chinese name (an id the vocabulary lacks, its id).
            if field in names:
                text = names[field].get(f"{scheme}/{text}", names[field].get(text, text))
            if text == "":
                assert value is None, (table, field, value)
            elif isinstance(value, bool):
                assert str(value).lower() == text, (table, field, value, text)
            elif isinstance(value, (int, float)):
                assert abs(value - float(text)) <= 1e-12 * max(1.0, abs(value)), (table, field, value, text)
                # Coefficients show three decimals, or the decimals they were published with.
                if field in ("cv", "reported_cv", "computed_cv", "threshold"):
                    shown = {"0.000", "0." + "0" * len(text.partition(".")[2])}
                    assert cell.number_format in shown, (table, field, value, cell.number_format)
            elif isinstance(value, datetime.datetime):
                assert value.strftime("%Y-%m-%d") == text, (table, field, value, text)
            else:
                assert isinstance(value, str), (table, field, value)
                assert value == text.removeprefix("'") or value == text, (table, field, value, text)
                # A code typed again into its cell stays text (keeps its zeros).
                if value[:1].isdigit():
                    assert cell.number_format == "@", (table, field, value, cell.number_format)
    drop_downs = {str(v.sqref): v.formula1 for v in ws.data_validations.dataValidation}
    lists = [[c for c in col if c is not None] for col in wb["选项"].iter_cols(values_only=True)] if "选项" in wb.sheetnames else []
    report[table] = {"headers": list(rows[0]), "sheets": wb.sheetnames, "first": [str(v) for v in rows[1]] if len(rows) > 1 else [], "drop_downs": drop_downs, "lists": lists}
print(json.dumps(report, ensure_ascii=False))
"#;
    // Each vocabulary column's ids and their Chinese names (an indicator's by its regime).
    let mut names = serde_json::Map::new();
    for vocab in junheng::format::Vocab::ALL {
        let words: serde_json::Map<String, serde_json::Value> = vocab
            .terms()
            .iter()
            .flat_map(|t| {
                let by_scheme = t.scheme.map(|s| (format!("{}/{}", s.id(), t.id), t.zh.clone().into()));
                by_scheme.into_iter().chain([(t.id.to_string(), t.zh.clone().into())])
            })
            .collect();
        names.insert(vocab.column().name.to_string(), words.into());
    }
    let names = serde_json::Value::from(names).to_string();
    let report: serde_json::Value = serde_json::from_str(&python(
        script,
        &[t.output().join("data").as_os_str(), tables().join(",").as_ref(), names.as_ref()],
    ))
    .unwrap();
    assert_eq!(report["schools"]["sheets"], serde_json::json!(["数据", "选项", "说明"]));
    assert_eq!(report["schools"]["first"][4], "小学", "a level shows its Chinese name");
    // The vocabulary columns of an input table offer their words in a drop-down, listed on
    // the lists' sheet; the words of the indicators are those of both regimes, each once.
    assert_eq!(
        report["schools"]["drop_downs"],
        serde_json::json!({"E2:E1048576": "'选项'!$A$2:$A$3", "F2:F1048576": "'选项'!$B$2:$B$7"})
    );
    assert_eq!(report["schools"]["lists"][1][0], "办学类型");
    assert_eq!(report["schools"]["lists"][1][3], "九年一贯制学校");
    let indicators = &report["indicators"]["lists"][2];
    assert_eq!(indicators[0], "指标");
    assert_eq!(indicators.as_array().unwrap().len(), 1 + 13, "{indicators}");
    assert_eq!(
        report["milestones"]["lists"],
        serde_json::json!([[
            "事件",
            "规划",
            "省级督导评估",
            "国家督导检查",
            "国家认定",
            "优质均衡规划",
            "优质均衡省级评估",
            "优质均衡国家督导检查",
            "优质均衡国家认定",
            "其他"
        ]])
    );
    assert_eq!(report["results"]["drop_downs"], serde_json::json!({}), "an output table offers no drop-down");
    assert_eq!(report["schools"]["headers"][0], "学校标识码");
    assert_eq!(report["schools"]["headers"][7], "教学及辅助用房面积（平方米）");
    assert_eq!(report["schools"]["first"][0], "0145080401", "the school id keeps its zero");
    assert_eq!(report["counties"]["headers"][0], "代码");
    assert_eq!(report["results"]["headers"][6], "差异系数");
    assert_eq!(
        report["changes"]["headers"],
        serde_json::json!([
            "发布",
            "版本",
            "日期",
            "地区代码",
            "学年",
            "学段",
            "评估类型",
            "指标",
            "数字",
            "原值",
            "新值"
        ])
    );
    // Every header of an input table is one the loader accepts.
    for spec in junheng::format::INPUT_FILES {
        for h in report[spec.name]["headers"].as_array().unwrap() {
            let h = h.as_str().unwrap();
            assert!(
                spec.canonical(h).is_some_and(|c| spec.column(c).unwrap().zh == h),
                "{}: header {h} is not one the loader reads",
                spec.name
            );
        }
    }
}

// Guards the explanation sheet of a workbook: the table's description, license and citation,
// and one row per column with its field name, type, unit and meaning in both languages.
#[test]
fn workbooks_explain_their_columns() {
    let t = SiteTest::demo();
    t.build();
    let script = r#"
import json, sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1]).worksheets[-1]
print(json.dumps([[c for c in row] for row in ws.iter_rows(values_only=True)], ensure_ascii=False, default=str))
"#;
    let rows: Vec<Vec<serde_json::Value>> =
        serde_json::from_str(&python(script, &[t.output().join("data/schools.xlsx").as_os_str()])).unwrap();
    let text = |r: &Vec<serde_json::Value>| r.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join("|");
    let all: Vec<String> = rows.iter().map(text).collect();
    assert!(all.contains(&"学校数据".to_string()), "{all:?}");
    assert!(all.iter().any(|r| r.starts_with("许可|CC-BY-4.0")), "{all:?}");
    assert!(all.iter().any(|r| r.starts_with("引用|")), "{all:?}");
    assert!(all.contains(&"表头|字段名|类型|单位|含义 (zh-CN)|Meaning (en)".to_string()), "{all:?}");
    assert!(all.iter().any(|r| r.starts_with("教学及辅助用房面积（平方米）|teaching_area_m2|number|m²|")), "{all:?}");
    // A county's workbook: its indicators, its schools as computed, and the explanation of both.
    let script = r#"
import json, sys, openpyxl
print(json.dumps(openpyxl.load_workbook(sys.argv[1]).sheetnames, ensure_ascii=False))
"#;
    let sheets = python(script, &[t.output().join("data/counties/450804.xlsx").as_os_str()]);
    assert_eq!(sheets.trim(), r#"["指标与判定", "学校计算明细", "说明"]"#);
    let sheets = python(script, &[t.output().join("data/counties/450802.xlsx").as_os_str()]);
    assert_eq!(sheets.trim(), r#"["指标与判定", "说明"]"#, "no school data, no school sheet");
}

// Guards datapackage.json: it describes every CSV file of data/, with matching sizes, hashes and
// headers.
#[test]
fn datapackage_describes_every_file() {
    let t = SiteTest::demo();
    t.build();
    let pkg: serde_json::Value = serde_json::from_str(&t.read_output("data/datapackage.json")).unwrap();
    assert_eq!(pkg["profile"], "tabular-data-package");
    // A source's `path` is a string or absent, never null (the package profile's rule; the demo's
    // sources have no URL).
    for source in pkg["sources"].as_array().unwrap() {
        assert!(source["title"].is_string(), "{source}");
        assert!(source.get("path").is_none_or(serde_json::Value::is_string), "{source}");
    }
    let resources = pkg["resources"].as_array().unwrap();
    let described: BTreeSet<String> = resources.iter().map(|r| r["path"].as_str().unwrap().to_string()).collect();
    let present: BTreeSet<String> = tree(&t.output().join("data"))
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.ends_with(".csv") || p.ends_with(".csv.gz"))
        .collect();
    assert_eq!(described, present);
    let names: BTreeSet<&str> = resources.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), resources.len(), "resource names must be unique");
    for r in resources {
        let path = r["path"].as_str().unwrap();
        let bytes = std::fs::read(t.output().join("data").join(path)).unwrap();
        assert_eq!(r["bytes"].as_u64().unwrap() as usize, bytes.len(), "{path}");
        assert_eq!(r["hash"].as_str().unwrap(), format!("sha256:{}", junheng::render::downloads::sha256_hex(&bytes)));
        // Schemas are shared files, referenced by path from the package.
        let schema: serde_json::Value =
            serde_json::from_str(&t.read_output(&format!("data/{}", r["schema"].as_str().unwrap()))).unwrap();
        let fields: Vec<&str> =
            schema["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
        if path.ends_with(".csv") {
            let mut reader = csv::Reader::from_reader(bytes.strip_prefix(b"\xef\xbb\xbf".as_slice()).unwrap_or(&bytes));
            let headers: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
            assert_eq!(headers, fields, "{path}");
        }
        let name = r["name"].as_str().unwrap();
        assert!(name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-._".contains(c)), "{name}");
    }
}

// Guards SHA256SUMS: one correct line per file of data/.
#[test]
fn checksums_are_correct() {
    let t = SiteTest::demo();
    t.build();
    let sums = t.read_output("data/SHA256SUMS");
    let files = tree(&t.output().join("data"));
    assert_eq!(sums.lines().count(), files.len() - 1);
    for line in sums.lines() {
        let (hash, path) = line.split_once("  ").unwrap();
        let bytes = std::fs::read(t.output().join("data").join(path)).unwrap();
        assert_eq!(hash, junheng::render::downloads::sha256_hex(&bytes), "{path}");
    }
}

// Guards the county API: required fields, verdicts and the composite derived from eight CVs.
#[test]
fn county_api_record() {
    let t = SiteTest::from_fixture("build/minimal");
    t.build();
    let v: serde_json::Value = serde_json::from_str(&t.read_output("api/counties/450802.json")).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["county"]["code"], "450802");
    assert_eq!(v["status"]["basic"]["event"], "national_recognition");
    let sheets = v["sheets"].as_array().unwrap();
    let primary = sheets.iter().find(|s| s["school_year"] == "2020-2021" && s["level"] == "primary").unwrap();
    let c = &primary["composite"];
    assert_eq!(c["basis"], "mean_of_reported");
    assert!((c["cv"].as_f64().unwrap() - 0.35925).abs() < 1e-9);
    assert_eq!(c["threshold"], 0.65);
    assert_eq!(c["meets"], true);
    let junior = sheets.iter().find(|s| s["school_year"] == "2020-2021" && s["level"] == "junior").unwrap();
    assert_eq!(junior["composite"]["meets"], false, "0.58 > 0.55");
    let quality = sheets.iter().find(|s| s["scheme"] == "quality").unwrap();
    let sports = quality["indicators"].as_array().unwrap().iter().find(|i| i["indicator"] == "sports_area").unwrap();
    assert_eq!(sports["meets"], false);
    assert_eq!(sports["standard"], 7.5);
    assert_eq!(sports["threshold"], 0.5);
    for i in quality["indicators"].as_array().unwrap() {
        for key in ["indicator", "value", "cv", "reported_cv", "computed_cv", "threshold", "standard", "meets"] {
            assert!(i.get(key).is_some(), "missing {key}");
        }
    }
    let schema: serde_json::Value = serde_json::from_str(&t.read_output("api/schema/county.schema.json")).unwrap();
    for key in schema["required"].as_array().unwrap() {
        assert!(v.get(key.as_str().unwrap()).is_some(), "record lacks required {key}");
    }
}

// Guards CSV formula injection: a school named `=cmd…` is neutralised in the CSV, exact in the
// workbooks (a text cell runs nothing).
#[test]
fn formulas_are_neutralised_in_csv_only() {
    let t = SiteTest::demo();
    let schools = std::fs::read_to_string(t.site.join("data/schools.csv")).unwrap();
    let evil = "=cmd|' /C calc'!A0";
    let quoted = format!("\"{}\"", evil.replace('"', "\"\""));
    t.write("data/schools.csv", &schools.replacen("覃塘区城区第一小学", &quoted, 1));
    t.build();
    let text = t.read_output("data/schools.csv");
    assert!(text.contains(&format!("'{evil}")), "the CSV is not neutralised");
    assert!(!text.contains(&format!(",{evil}")), "the CSV has the raw formula");
    let script = r#"
import sys, openpyxl
for path in sys.argv[1:]:
    cells = [c for ws in openpyxl.load_workbook(path).worksheets for row in ws.iter_rows() for c in row]
    evil = [c for c in cells if isinstance(c.value, str) and "calc" in c.value]
    assert evil and all(c.data_type == "s" and c.value == "=cmd|' /C calc'!A0" for c in evil), [(c.value, c.data_type) for c in evil]
"#;
    let data = t.output().join("data");
    python(script, &[data.join("schools.xlsx").as_os_str(), data.join("counties/450804.xlsx").as_os_str()]);
}

// Guards the package as the Frictionless validator sees it: valid for the demo (types,
// constraints, primary and foreign keys, sizes and hashes), invalid once a file is changed.
#[test]
fn frictionless_validates_the_package() {
    // The demo with a revision history: its changes table is part of the package.
    let t = crate::revisions::three_releases();
    t.build();
    let validate = frictionless;
    let report = validate(&t.output().join("data"));
    assert_eq!(report["valid"], true, "{report:#}");
    let checked: Vec<&str> = report["tasks"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(checked, tables());
    // A county code changed by hand: the package no longer matches its file.
    let results = t.output().join("data/results.csv");
    let text = std::fs::read_to_string(&results).unwrap();
    std::fs::write(&results, text.replacen("450802", "450899", 1)).unwrap();
    let report = validate(&t.output().join("data"));
    assert_eq!(report["valid"], false);
    let errors = report.to_string();
    assert!(errors.contains("hash-count") || errors.contains("foreign-key"), "{errors}");
}

// Guards the parts of a large table: with `split_rows` below its rows, the school rows go out as
// one gzipped CSV and one workbook per province, the package lists each part (compression
// `gz`) and the validator accepts it; the parts hold every row once.
#[test]
fn large_tables_go_out_per_province() {
    let t = SiteTest::demo();
    let toml = std::fs::read_to_string(t.site.join("site.toml")).unwrap();
    assert!(!toml.contains("[settings]"));
    t.write("site.toml", &format!("{toml}\n[settings]\nsplit_rows = 10\n"));
    t.build();
    let files: BTreeSet<String> = tree(&t.output().join("data")).into_iter().map(|(p, _)| p).collect();
    assert!(!files.contains("schools.csv"));
    let parts: Vec<&String> = files.iter().filter(|f| f.starts_with("schools/")).collect();
    assert_eq!(parts, ["schools/450000.csv.gz", "schools/450000.xlsx"], "the demo's school rows are all in 广西");
    assert!(files.contains("results/450000.csv.gz") && files.contains("results/450000.xlsx"));
    assert!(!files.iter().any(|f| f.starts_with("results/610000")), "a province without results has no part");
    assert!(
        files.contains("counties.csv") && files.contains("milestones.csv"),
        "tables not grouped by county stay whole"
    );
    let pkg: serde_json::Value = serde_json::from_str(&t.read_output("data/datapackage.json")).unwrap();
    let part = pkg["resources"].as_array().unwrap().iter().find(|r| r["path"] == "schools/450000.csv.gz").unwrap();
    assert_eq!(part["compression"], "gz");
    assert_eq!(part["name"], "schools-450000");
    let report = frictionless(&t.output().join("data"));
    assert_eq!(report["valid"], true, "{report:#}");
    // The results' parts together hold the rows of the whole table, once each.
    let whole = SiteTest::demo();
    whole.build();
    let mut joined = String::new();
    for p in files.iter().filter(|f| f.starts_with("results/") && f.ends_with(".csv.gz")) {
        let gz = std::fs::read(t.output().join("data").join(p)).unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text).unwrap();
        let body = text.split_once("\r\n").unwrap().1;
        joined.push_str(body);
    }
    let whole_text = whole.read_output("data/results.csv");
    assert_eq!(joined, whole_text.split_once("\r\n").unwrap().1);
    // A national portal (`audit_years = "latest"`): the province's school workbook holds each
    // county's latest school year, the CSV every year.
    t.write("site.toml", &format!("{toml}\n[settings]\nsplit_rows = 10\naudit_years = \"latest\"\n"));
    t.build();
    let script = r#"
import json, sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1]).worksheets[0]
print(json.dumps(sorted({row[3] for row in ws.iter_rows(min_row=2, values_only=True)})))
"#;
    let years = python(script, &[t.output().join("data/schools/450000.xlsx").as_os_str()]);
    assert_eq!(years.trim(), r#"["2020-2021"]"#);
    let gz = std::fs::read(t.output().join("data/schools/450000.csv.gz")).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text).unwrap();
    assert!(text.contains(",2019-2020,") && text.contains(",2020-2021,"));
}

/// Runs the `sqlite3` command on `db` with `sql`; returns what it printed.
fn sqlite3(db: &std::path::Path, sql: &str) -> String {
    let out = std::process::Command::new("sqlite3")
        .arg(db)
        .arg(sql)
        .output()
        .expect("sqlite3 is installed (scripts/test-deps)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

// Guards the database as the sqlite3 command sees it: sound (integrity and foreign keys), every
// table with the rows of its CSV, the latest figures in the view, the license inside.
#[test]
fn sqlite_database_is_sound_and_complete() {
    // The demo with a revision history: its changes are a table of the database.
    let t = crate::revisions::three_releases();
    t.build();
    let db = t.output().join("data/junheng.sqlite");
    assert_eq!(sqlite3(&db, "PRAGMA integrity_check;"), "ok\n");
    assert_eq!(sqlite3(&db, "PRAGMA foreign_key_check;"), "");
    for table in tables() {
        let rows = csv::Reader::from_path(t.output().join(format!("data/{table}.csv"))).unwrap().records().count();
        assert_eq!(sqlite3(&db, &format!("SELECT count(*) FROM {table};")).trim(), rows.to_string(), "{table}");
    }
    // Types as declared: a school id keeps its text, figures are numbers.
    assert_eq!(sqlite3(&db, "SELECT DISTINCT typeof(school_id), typeof(students) FROM schools;"), "text|integer\n");
    let latest = sqlite3(
        &db,
        "SELECT school_year, round(cv, 3) FROM latest_results WHERE county = '450804' AND level = 'primary' AND indicator = 'composite';",
    );
    assert_eq!(latest, "2020-2021|0.271\n");
    assert!(sqlite3(&db, "SELECT value FROM _about WHERE key = 'license';").starts_with("CC-BY-4.0"));
    assert_eq!(
        sqlite3(
            &db,
            "SELECT header, unit FROM _columns WHERE \"table\" = 'schools' AND \"column\" = 'teaching_area_m2';"
        ),
        "教学及辅助用房面积（平方米）|m²\n"
    );
    assert_eq!(sqlite3(&db, "SELECT area, old, new FROM changes WHERE release = 'v2';"), "450802|0.21|0.23\n");
    let plan =
        sqlite3(&db, "EXPLAIN QUERY PLAN SELECT * FROM results WHERE school_year = '2020-2021' AND level = 'primary';");
    assert!(plan.contains("USING INDEX results_by_school_year"), "{plan}");
}

// Guards the database as Datasette serves it: with its metadata, on 127.0.0.1, answering a
// table request and a SQL query over HTTP.
#[test]
fn datasette_serves_the_database() {
    // The demo with a revision history: its changes are served too.
    let t = crate::revisions::three_releases();
    t.build();
    let data = t.output().join("data");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = std::process::Command::new(python_tool("datasette"))
        .args(["serve", "junheng.sqlite", "-m", "junheng.metadata.json", "--host", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .current_dir(&data)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let addr = format!("127.0.0.1:{port}");
    let get = |target: &str| {
        let request = format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let (status, head, body) = crate::serve::raw_request(&addr, &request);
        let chunked = head.to_ascii_lowercase().contains("transfer-encoding: chunked");
        (status, head, if chunked { unchunked(&body) } else { body })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(std::time::Instant::now() < deadline, "Datasette did not start");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let (status, _, body) = get("/junheng/latest_results.json?_shape=array&county=450804&indicator=composite");
    let (sql_status, _, sql_body) = get("/junheng.json?_shape=array&sql=select+count(*)+as+n+from+schools");
    let (meta_status, _, meta_body) = get("/-/metadata.json");
    let (changes_status, _, changes_body) = get("/junheng/changes.json?_shape=array&release=v2");
    let (school_status, _, school_body) = get(
        "/junheng/school_results.json?_shape=array&school_id=2145080401&school_year=2019-2020&level=primary&scheme=quality",
    );
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
    assert_eq!(rows.len(), 2, "primary and junior composites");
    assert!(rows.iter().all(|r| r["school_year"] == "2020-2021"));
    assert_eq!(sql_status, 200);
    let n: Vec<serde_json::Value> = serde_json::from_slice(&sql_body).unwrap();
    assert_eq!(n[0]["n"], 70);
    assert_eq!(meta_status, 200);
    let meta: serde_json::Value = serde_json::from_slice(&meta_body).unwrap();
    assert_eq!(meta["license"], "CC-BY-4.0");
    assert_eq!(meta["databases"]["junheng"]["tables"]["schools"]["title"], "学校数据");
    assert_eq!(changes_status, 200, "{}", String::from_utf8_lossy(&changes_body));
    assert_eq!(school_status, 200, "{}", String::from_utf8_lossy(&school_body));
    let school: Vec<serde_json::Value> = serde_json::from_slice(&school_body).unwrap();
    assert_eq!(school.len(), 7, "a row per quality standard");
    assert!(school.iter().all(|r| r["verdict"] == "falls_short" && r["over_size_limit"] == 1), "{school:?}");
    let changes: Vec<serde_json::Value> = serde_json::from_slice(&changes_body).unwrap();
    assert_eq!(
        (changes.len(), &changes[0]["old"], &changes[0]["new"]),
        (1, &serde_json::json!("0.21"), &serde_json::json!("0.23"))
    );
}

/// The body of a chunked HTTP response.
fn unchunked(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line = body.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&body[..line]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[line + 2..line + 2 + size]);
        body = &body[line + 4 + size..];
    }
}

// Guards the databases of a large site: one gzipped database per province, each sound, together
// holding every row once.
#[test]
fn large_sites_get_a_database_per_province() {
    let t = SiteTest::demo();
    let toml = std::fs::read_to_string(t.site.join("site.toml")).unwrap();
    t.write("site.toml", &format!("{toml}\n[settings]\nsplit_rows = 10\n"));
    t.build();
    let dir = t.output().join("data/sqlite");
    let mut schools = 0;
    let mut counties = 0;
    for code in ["140000", "450000", "610000"] {
        let gz = std::fs::read(dir.join(format!("{code}.sqlite.gz"))).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut bytes).unwrap();
        let db = dir.join(format!("{code}.sqlite"));
        std::fs::write(&db, bytes).unwrap();
        assert_eq!(sqlite3(&db, "PRAGMA integrity_check;"), "ok\n");
        assert_eq!(sqlite3(&db, "PRAGMA foreign_key_check;"), "");
        assert_eq!(sqlite3(&db, &format!("SELECT count(*) FROM counties WHERE province_code <> '{code}';")), "0\n");
        schools += sqlite3(&db, "SELECT count(*) FROM schools;").trim().parse::<usize>().unwrap();
        counties += sqlite3(&db, "SELECT count(*) FROM counties;").trim().parse::<usize>().unwrap();
        assert!(dir.join(format!("{code}.metadata.json")).is_file());
    }
    assert_eq!(schools, 70);
    assert_eq!(counties, 7);
    assert!(!t.output().join("data/junheng.sqlite").exists());
}

// Guards the county JSON Schema as the `jsonschema` validator applies it (draft 2020-12, formats
// checked): every record of the demo is valid, and records broken in the ways a program would
// trip on are rejected, each for its own reason.
#[test]
fn county_schema_is_strict() {
    let t = SiteTest::demo();
    t.build();
    let script = r#"
import copy, glob, json, sys, jsonschema
api = sys.argv[1]
schema = json.load(open(f"{api}/schema/county.schema.json"))
v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
records = sorted(glob.glob(f"{api}/counties/*.json"))
assert len(records) == 7, records
for path in records:
    errors = list(v.iter_errors(json.load(open(path))))
    assert not errors, (path, [e.message for e in errors])
records = [json.load(open(f"{api}/counties/{c}.json")) for c in ("450804", "141002")]
def broken(change, record=records[0]):
    r = copy.deepcopy(record)
    change(r)
    return [e.message for e in v.iter_errors(r)]
out = {}
def indicator(r):
    return next(s for s in r["sheets"] if s["indicators"])["indicators"][0]
out["negative cv"] = broken(lambda r: indicator(r).update(cv=-0.1))
out["unknown top key"] = broken(lambda r: r.update(extra=1))
out["unknown indicator key"] = broken(lambda r: indicator(r).update(note="x"))
out["unknown indicator"] = broken(lambda r: indicator(r).update(indicator="happiness"))
out["milestone date"] = broken(lambda r: r["milestones"][0].update(date="yesterday"))
out["metric value as text"] = broken(lambda r: r["metrics"][0].update(value="12"), records[1])
out["missing county name"] = broken(lambda r: r["county"].pop("name"))
out["bad level"] = broken(lambda r: r["sheets"][0].update(level="senior"))
out["school state"] = broken(lambda r: r["schools"][0]["standards"][0].update(state="fine"))
out["school verdict"] = broken(lambda r: r["schools"][0].update(verdict="passes"))
print(json.dumps(out))
"#;
    let out: serde_json::Value = serde_json::from_str(&python(script, &[t.output().join("api").as_os_str()])).unwrap();
    for (case, errors) in out.as_object().unwrap() {
        assert!(!errors.as_array().unwrap().is_empty(), "{case}: accepted");
    }
    assert!(out["negative cv"].to_string().contains("less than the minimum of 0"), "{out}");
    assert!(out["unknown top key"].to_string().contains("Additional properties"), "{out}");
    assert!(out["unknown indicator"].to_string().contains("happiness"), "{out}");
    assert!(out["milestone date"].to_string().contains("yesterday"), "{out}");
    assert!(out["metric value as text"].to_string().contains("is not of type"), "{out}");
    assert!(out["school state"].to_string().contains("fine"), "{out}");
}

/// Opens each CSV file in LibreOffice (headless) as a person opening it in a spreadsheet would,
/// and saves it again as CSV (UTF-8): numbers-looking codes become numbers.
fn through_libreoffice(files: &[std::path::PathBuf], out: &std::path::Path) {
    let status = std::process::Command::new("soffice")
        .args([
            "--headless",
            "--infilter=CSV:44,34,76,1",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1",
            "--outdir",
        ])
        .arg(out)
        .args(files)
        .env("HOME", out)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("LibreOffice is installed (scripts/test-deps)");
    assert!(status.success());
}

// Guards CSV downloads that went through a spreadsheet (LibreOffice, as Excel and WPS do): the
// national code `0` is read as `000000` with a warning naming the cause, the `'` guarding a
// formula-like school name is removed, and a school id that lost its leading zero gets a warning
// pointing to the workbook; the site builds.
#[test]
fn csv_saved_by_a_spreadsheet_reads_back() {
    let t = SiteTest::demo();
    let schools = std::fs::read_to_string(t.site.join("data/schools.csv")).unwrap();
    let evil = "=cmd|' /C calc'!A0";
    let schools =
        schools.replace("2145080401,覃塘区城区第一小学", &format!("0145080401,\"{}\"", evil.replace('"', "\"\"")));
    t.write("data/schools.csv", &schools);
    t.build();
    let saved = tempfile::tempdir().unwrap();
    let files: Vec<std::path::PathBuf> =
        ["metrics", "schools", "milestones"].iter().map(|n| t.output().join(format!("data/{n}.csv"))).collect();
    through_libreoffice(&files, saved.path());
    let metrics = std::fs::read_to_string(saved.path().join("metrics.csv")).unwrap();
    assert!(metrics.lines().nth(1).unwrap().starts_with("0,"), "the spreadsheet made the code a number: {metrics}");
    let copy = SiteTest::demo();
    for n in ["metrics", "schools", "milestones"] {
        std::fs::copy(saved.path().join(format!("{n}.csv")), copy.site.join(format!("data/{n}.csv"))).unwrap();
    }
    let report = copy.build();
    let text = report.diagnostics.to_string();
    assert!(!report.diagnostics.has_errors(), "{text}");
    assert!(text.contains("read `0` as `000000`: a spreadsheet dropped the leading zeros"), "{text}");
    assert!(text.contains("found `145080401` (9 characters)"), "{text}");
    assert!(
        text.contains("expected a school identifier (学校标识码) of 10 digits; a spreadsheet drops the leading zeros"),
        "{text}"
    );
    assert!(text.contains("data/schools.xlsx"), "{text}");
    let model = model_of(&copy.site);
    assert!(model.schools.iter().any(|r| &*r.school_name == evil), "the formula guard is removed");
    assert_eq!(model.metrics, model_of(&t.site).metrics, "the national rows are back");
}

/// The tables of the input format, as declared.
const INPUT_TABLES: [&str; 7] = {
    let files = junheng::format::INPUT_FILES;
    let mut names = [""; 7];
    let mut i = 0;
    while i < files.len() {
        names[i] = files[i].name;
        i += 1;
    }
    names
};

/// The national tables, as declared.
fn tables() -> Vec<&'static str> {
    junheng::render::downloads::table_names().collect()
}

/// The demo with a school id starting with `0` and school names starting with `=`, `-` and `@`.
fn demo_with_awkward_schools() -> SiteTest {
    let t = crate::support::with_standards(SiteTest::demo());
    let schools = std::fs::read_to_string(t.site.join("data/schools.csv")).unwrap();
    let schools = schools
        .replace("2145080401,覃塘区城区第一小学", "0145080401,\"=cmd|' /C calc'!A0\"")
        .replace(",东龙镇中心小学,", ",-东龙镇中心小学,")
        .replace(",覃塘镇中心小学,", ",@覃塘镇中心小学,");
    t.write("data/schools.csv", &schools);
    t
}

/// Builds a copy of the demo whose input tables are the workbooks in `books` (a folder holding
/// `<table>.xlsx`); asserts its API records equal those of `t`'s build.
fn assert_same_records_from_workbooks(t: &SiteTest, books: &std::path::Path) {
    let copy = SiteTest::demo();
    for table in INPUT_TABLES {
        // The demo has no standards: the workbook brings them.
        let _ = std::fs::remove_file(copy.site.join(format!("data/{table}.csv")));
        std::fs::copy(books.join(format!("{table}.xlsx")), copy.site.join(format!("data/{table}.xlsx"))).unwrap();
    }
    let report = copy.build();
    assert!(report.diagnostics.is_clean(), "{}", report.diagnostics);
    assert_same_inputs(&model_of(&copy.site), &model_of(&t.site));
    for (path, _) in tree(&t.output().join("api/counties")) {
        let other = std::fs::read(copy.output().join("api/counties").join(&path)).unwrap();
        assert!(other == std::fs::read(t.output().join("api/counties").join(&path)).unwrap(), "{path} differs");
    }
}

// Guards the loop a bureau lives in: the downloaded workbooks, saved into `data/` in place of
// the CSV files, give the same county records (school ids with leading zeros and names that
// look like formulas included).
#[test]
fn workbooks_round_trip() {
    let t = demo_with_awkward_schools();
    t.build();
    assert_same_records_from_workbooks(&t, &t.output().join("data"));
}

// Guards the same loop through a spreadsheet: each workbook opened and saved again by
// LibreOffice (headless), as a person editing it in Excel or WPS would, reads back unchanged.
#[test]
fn workbooks_saved_by_libreoffice_round_trip() {
    let t = demo_with_awkward_schools();
    t.build();
    let saved = tempfile::tempdir().unwrap();
    let files: Vec<std::path::PathBuf> =
        INPUT_TABLES.iter().map(|n| t.output().join(format!("data/{n}.xlsx"))).collect();
    crate::support::save_with_libreoffice(&files, saved.path());
    assert_same_records_from_workbooks(&t, saved.path());
}

// Guards diagnostics of a workbook: they name the file, the sheet and the cell, and the field;
// a table given both as CSV and as a workbook is an error naming both.
#[test]
fn workbook_errors_name_sheet_and_cell() {
    let t = SiteTest::demo();
    t.build();
    let copy = SiteTest::demo();
    std::fs::remove_file(copy.site.join("data/schools.csv")).unwrap();
    let script = r#"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
wb.worksheets[0]["G3"] = "many"
wb.save(sys.argv[2])
"#;
    python(
        script,
        &[t.output().join("data/schools.xlsx").as_os_str(), copy.site.join("data/schools.xlsx").as_os_str()],
    );
    let diagnostics = |t: &SiteTest| match t.build_err() {
        junheng::Error::Site(d) => d.to_string(),
        e => panic!("{e}"),
    };
    let err = diagnostics(&copy);
    assert!(
        err.contains("error: data/schools.xlsx: sheet 数据, cell G3: field `students`: expected a whole number like `1250`, found `many`"),
        "{err}"
    );
    std::fs::copy(t.site.join("data/schools.csv"), copy.site.join("data/schools.csv")).unwrap();
    let err = diagnostics(&copy);
    assert!(err.contains("found both `data/schools.csv` and `data/schools.xlsx`: keep one"), "{err}");
}

// Guards a workbook's own mistakes, each named as such with its sheet and cell: identifiers
// stored as numbers (a warning even when every id still has its ten digits, which
// `--deny-warnings` makes an error), a formula without a saved result, merged cells, a stray
// cell that widened the header row, and a lone value far below the table.
#[test]
fn workbook_mistakes_are_named() {
    let t = SiteTest::demo();
    t.build();
    let script = r#"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.worksheets[0]
case = sys.argv[3]
if case == "numbers":
    for row in ws.iter_rows(min_row=2):
        row[0].value = int(row[0].value)
elif case == "formula":
    ws["G3"] = "=1000+250"
    ws["G4"] = "=SUM(1,2)"
elif case == "merged":
    ws.merge_cells("C3:C5")
elif case == "stray_header":
    ws["AZ1"] = "备注"
elif case == "stray_below":
    ws["A60000"] = "x"
wb.save(sys.argv[2])
"#;
    let cases = [
        (
            "numbers",
            "warning: data/schools.xlsx: sheet 数据, cell A2: field `school_id`: found the number 2145080401 (and 69 more like it): an identifier stored as a number loses its leading zeros",
        ),
        (
            "formula",
            "error: data/schools.xlsx: sheet 数据, cell G3: expected a value, found a formula without a saved result (and 1 more like it): the workbook was written by a program that does not compute formulas; open it in Excel, WPS or LibreOffice and save it again",
        ),
        (
            "merged",
            "warning: data/schools.xlsx: sheet 数据, cells C3:C5: merged cells: a merged cell keeps its value in its first cell (C3) only",
        ),
        (
            "stray_header",
            "error: data/schools.xlsx: sheet 数据, cell AZ1: expected the header row to end at its first empty cell (Y1), found `备注` beyond it",
        ),
        (
            "stray_below",
            "error: data/schools.xlsx: sheet 数据, cell A60000: expected a row of the table, found a lone value `x` 59928 empty rows below it",
        ),
    ];
    for (case, expected) in cases {
        let copy = SiteTest::demo();
        std::fs::remove_file(copy.site.join("data/schools.csv")).unwrap();
        let book = copy.site.join("data/schools.xlsx");
        python(script, &[t.output().join("data/schools.xlsx").as_os_str(), book.as_os_str(), case.as_ref()]);
        let (shown, errors) = match junheng::check::check(&copy.site, false) {
            Ok(report) => (report.diagnostics.to_string(), 0),
            Err(junheng::Error::Site(d)) => (d.to_string(), d.error_count()),
            Err(e) => panic!("{e}"),
        };
        assert!(shown.contains(expected), "{case}: {shown}");
        match expected.starts_with("warning") {
            // The ids are all there: a warning, which `--deny-warnings` refuses.
            true if case == "numbers" => {
                assert_eq!(errors, 0, "{shown}");
                let denied = junheng::build(&junheng::BuildOptions {
                    site: copy.site.clone(),
                    output: None,
                    deny_warnings: true,
                });
                assert!(denied.is_err(), "{case}: --deny-warnings fails");
            }
            _ => assert!(errors >= 1, "{case}: {shown}"),
        }
        // One problem, one message: no cascade of per-field errors from the stray cells.
        if case.starts_with("stray") {
            assert_eq!(errors, 1, "{case}: {shown}");
        }
    }
}

// Guards the downloads page's lines for pandas and R: each table's line, run as given (the
// site's address pointing at the built files), reads every code and id column as text equal to
// the CSV's (`000000` and a school id with a leading zero kept), for a whole file and for a
// province's gzipped part.
#[test]
fn the_pandas_and_r_lines_read_codes_as_text() {
    let whole = demo_with_awkward_schools();
    let parts = demo_with_awkward_schools();
    let toml = std::fs::read_to_string(parts.site.join("site.toml")).unwrap();
    parts.write("site.toml", &format!("{toml}\n[settings]\nsplit_rows = 10\n"));
    for t in [&whole, &parts] {
        t.build();
        let page = t.read_output("downloads/index.html");
        let base = "https://junheng.example.org/";
        let local = format!("file://{}/", t.output().display());
        let lines = |class: &str| -> Vec<String> {
            page.split(&format!("<code class=\"{class}\">"))
                .skip(1)
                .map(|s| {
                    s.split("</code>")
                        .next()
                        .unwrap()
                        .replace("&#34;", "\"")
                        .replace("&quot;", "\"")
                        .replace(base, &local)
                })
                .collect()
        };
        let (pandas, r) = (lines("pandas"), lines("r"));
        assert_eq!(pandas.len(), r.len());
        assert!(pandas.len() >= 8, "a line per table: {pandas:?}");
        assert!(pandas.iter().any(|l| l.contains("\"school_id\": str")), "{pandas:?}");
        let gz = pandas.iter().filter(|l| l.contains(".csv.gz")).count();
        assert_eq!(gz > 0, std::ptr::eq(t, &parts), "parts are read from their gzipped files");
        // Each line's text columns, as its own reader gives them, against the file read as text.
        let script = r#"
import json, sys, pandas
for line in json.loads(sys.argv[1]):
    df = eval(line)
    path = line.split('"')[1]
    text = pandas.read_csv(path, dtype=str, keep_default_na=False)
    columns = [c for c in df.columns if line.count(f'"{c}": str')]
    for c in columns:
        got = df[c]
        assert all(isinstance(v, str) for v in got.dropna()), (line, c)
        assert list(got.fillna("")) == list(text[c]), (line, c)
print("ok")
"#;
        let out = python(script, &[serde_json::to_string(&pandas).unwrap().as_ref()]);
        assert_eq!(out.trim(), "ok");
        for line in &r {
            let path = line.split('"').nth(1).unwrap();
            // A table without codes has no text columns: its first column is compared.
            let columns: Vec<&str> = match line.split("colClasses = c(").nth(1) {
                Some(classes) => classes.split(", ").map(|c| c.split(' ').next().unwrap()).collect(),
                None => vec!["id"],
            };
            let reread = match path.ends_with(".gz") {
                true => format!("textConnection(readLines(gzcon(url(\"{path}\", \"rb\")), encoding = \"UTF-8\"))"),
                false => format!("\"{path}\", encoding = \"UTF-8\""),
            };
            let checks: String = columns
                .iter()
                .map(|c| format!("stopifnot(is.character(df${c}), identical(df${c}, text${c}));"))
                .collect();
            let program = format!(
                "df <- {line}; text <- read.csv({reread}, colClasses = \"character\"); {checks} cat(df${}[1])",
                columns[0]
            );
            let out = std::process::Command::new("Rscript")
                .args(["--vanilla", "-e", &program])
                .output()
                .expect("R is installed (scripts/test-deps)");
            assert!(out.status.success(), "{line}\n{}", String::from_utf8_lossy(&out.stderr));
        }
        let r_schools = r.iter().find(|l| l.contains("school_id = \"character\"")).unwrap();
        let program = format!("df <- {r_schools}; cat(sort(df$school_id)[1])");
        let out = std::process::Command::new("Rscript").args(["--vanilla", "-e", &program]).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "0145080401", "the leading zero is kept");
    }
}
