//! Downloads: CSV/JSON round-trip to the model, datapackage.json, SHA256SUMS, the API.

use std::collections::BTreeSet;

use crate::support::{SiteTest, tree};

fn model_of(site: &std::path::Path) -> junheng::engine::Analysed {
    let mut diags = junheng::Diagnostics::new();
    let mut loaded = junheng::load::load_site(site, &mut diags).unwrap();
    let model = junheng::model::build::build_site(&mut loaded, &mut diags);
    assert!(!diags.has_errors(), "{diags}");
    junheng::engine::analyse(model)
}

// Guards the round trip: downloaded tables (plain and Excel CSV) read back as the same model.
#[test]
fn csv_downloads_round_trip() {
    let t = SiteTest::demo();
    t.build();
    let original = model_of(&t.site);
    for variant in ["", "-excel"] {
        let copy = SiteTest::demo();
        for table in ["counties", "indicators", "milestones", "metrics", "sources", "schools"] {
            let bytes = std::fs::read(t.output().join(format!("data/{table}{variant}.csv"))).unwrap();
            if variant == "-excel" {
                assert!(bytes.starts_with(b"\xef\xbb\xbf"), "{table}: Excel CSV needs a BOM");
            } else {
                assert!(!bytes.starts_with(b"\xef\xbb\xbf"), "{table}: plain CSV has no BOM");
            }
            std::fs::write(copy.site.join(format!("data/{table}.csv")), bytes).unwrap();
        }
        let again = model_of(&copy.site);
        assert_eq!(again.counties, original.counties);
        assert_eq!(again.reported, original.reported);
        assert_eq!(again.sheets, original.sheets);
        assert_eq!(again.milestones, original.milestones);
        assert_eq!(again.metrics, original.metrics);
        assert_eq!(again.sources, original.sources);
        assert_eq!(again.schools, original.schools);
    }
}

// Guards the JSON downloads: the same rows as the CSV, with exact numbers.
#[test]
fn json_matches_csv() {
    let t = SiteTest::demo();
    t.build();
    let json: Vec<serde_json::Value> = serde_json::from_str(&t.read_output("data/schools.json")).unwrap();
    let mut reader = csv::Reader::from_path(t.output().join("data/schools.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(json.len(), rows.len());
    for (obj, row) in json.iter().zip(&rows) {
        for (h, cell) in headers.iter().zip(row.iter()) {
            match &obj[h] {
                serde_json::Value::Null => assert_eq!(cell, "", "column {h}"),
                serde_json::Value::String(s) => assert_eq!(s, cell, "column {h}"),
                // Numbers are equal as numbers: JSON writes 8450.0 where CSV writes 8450.
                serde_json::Value::Number(n) => {
                    assert_eq!(n.as_f64().unwrap(), cell.parse::<f64>().unwrap(), "column {h}")
                }
                other => assert_eq!(other.to_string(), cell, "column {h}"),
            }
        }
    }
}

// Guards datapackage.json: it describes every file of data/, with matching sizes, hashes and headers.
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
        .filter(|p| p != "datapackage.json" && p != "SHA256SUMS" && !p.starts_with("schemas/"))
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

// Guards CSV formula injection: a school named `=cmd…` is neutralised in both CSVs, exact in JSON.
#[test]
fn formulas_are_neutralised_in_csv_only() {
    let t = SiteTest::demo();
    let schools = std::fs::read_to_string(t.site.join("data/schools.csv")).unwrap();
    let evil = "=cmd|' /C calc'!A0";
    let quoted = format!("\"{}\"", evil.replace('"', "\"\""));
    t.write("data/schools.csv", &schools.replacen("覃塘区城区第一小学", &quoted, 1));
    t.build();
    for file in ["data/schools.csv", "data/schools-excel.csv", "data/counties/450804-schools.csv"] {
        let text = t.read_output(file);
        assert!(text.contains(&format!("'{evil}")), "{file} is not neutralised");
        assert!(!text.contains(&format!(",{evil}")), "{file} has the raw formula");
    }
    let json = t.read_output("data/schools.json");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert!(rows.iter().any(|r| r["school_name"] == evil));
}
