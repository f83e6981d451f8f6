//! The indicator engine end to end: coefficients from `schools.csv`, shown beside the
//! published ones, with an audit trail a journalist can redo from the downloads.

use std::collections::{BTreeMap, BTreeSet};

use crate::support::{SiteTest, main_of, workbook_rows};

// Guards the demo: 覃塘区's coefficients are computed from school data and agree with the
// published composites within their rounding.
#[test]
fn demo_county_is_recomputed() {
    let t = SiteTest::demo();
    t.build();
    let api: serde_json::Value = serde_json::from_str(&t.read_output("api/counties/450804.json")).unwrap();
    let basic: Vec<&serde_json::Value> = api["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["scheme"] == "basic" && s["school_year"] == "2020-2021")
        .collect();
    assert_eq!(basic.len(), 2);
    for s in basic {
        let c = &s["composite"];
        assert_eq!(c["basis"], "computed");
        assert_eq!(c["disagrees"], false, "{c}");
        assert!(c["reported_cv"].is_number() && c["computed_cv"].is_number());
        assert!(s["schools"].as_u64().unwrap() >= 10);
    }
    let html = t.read_output("county/450804/index.html");
    let main = main_of(&html);
    assert!(main.contains("差异系数（计算）") && main.contains("公布值"));
    assert!(main.contains("county/450804/computation/2020-2021/"));
    let audit = t.read_output("county/450804/computation/2020-2021/index.html");
    assert!(audit.contains("S = √") && audit.contains("CV = S ÷ x̄"));
    // Each computed coefficient links to its own step-by-step table.
    assert!(main.contains("computation/2020-2021/#junior-quality-sports_area"));
    assert!(audit.contains("id=\"junior-quality-sports_area\""));
    assert!(t.output().join("en/county/450804/computation/2020-2021/index.html").is_file());
}

// Guards the audit trail: every computed CV can be redone from the county workbook's schools
// with the weighted formula (x̄ = Σ Pᵢxᵢ / Σ Pᵢ, weighted population SD).
#[test]
fn coefficients_redo_from_the_school_download() {
    let t = SiteTest::demo();
    t.build();
    let api: serde_json::Value = serde_json::from_str(&t.read_output("api/counties/450804.json")).unwrap();
    // The county workbook's sheet of schools as computed, as openpyxl reads it.
    let rows = workbook_rows(&t.output().join("data/counties/450804.xlsx"), "学校计算明细");
    // One row per school: its students Pᵢ and its value xᵢ of each indicator (`<scheme>_<id>`).
    // (school year, level, regime, indicator) → (Pᵢ, xᵢ) of each school.
    type Key = (String, String, String, String);
    let mut groups: BTreeMap<Key, Vec<(f64, f64)>> = BTreeMap::new();
    let text = |v: &serde_json::Value| v.as_str().unwrap().to_string();
    // The workbook names levels and regimes in Chinese: read back as ids.
    let id =
        |vocab: junheng::format::Vocab, v: &serde_json::Value| vocab.id(v.as_str().unwrap(), None).unwrap().to_string();
    for r in &rows {
        let scheme = id(junheng::format::Vocab::Scheme, &r["scheme"]);
        for (column, value) in r.iter().filter(|(c, v)| c.starts_with(&format!("{scheme}_")) && !v.is_null()) {
            let key = (
                text(&r["school_year"]),
                id(junheng::format::Vocab::Level, &r["level"]),
                scheme.clone(),
                column[scheme.len() + 1..].to_string(),
            );
            groups.entry(key).or_default().push((r["students"].as_f64().unwrap(), value.as_f64().unwrap()));
        }
    }
    let mut checked = 0;
    for s in api["sheets"].as_array().unwrap() {
        for i in s["indicators"].as_array().unwrap() {
            let key = (
                s["school_year"].as_str().unwrap().to_string(),
                s["level"].as_str().unwrap().to_string(),
                s["scheme"].as_str().unwrap().to_string(),
                i["indicator"].as_str().unwrap().to_string(),
            );
            let rows = &groups[&key];
            let p: f64 = rows.iter().map(|r| r.0).sum();
            let mean = rows.iter().map(|(pi, xi)| pi * xi).sum::<f64>() / p;
            let var: f64 = rows.iter().map(|(pi, xi)| pi / p * (xi - mean).powi(2)).sum();
            let cv = var.sqrt() / mean;
            assert!((cv - i["computed_cv"].as_f64().unwrap()).abs() < 1e-9, "{key:?}");
            assert!((mean - i["computed_value"].as_f64().unwrap()).abs() < 1e-9, "{key:?}");
            checked += 1;
        }
    }
    // Two school years × two levels × (8 basic + 7 quality indicators).
    assert_eq!(checked, 2 * 2 * (8 + 7));
}

// Guards a missing school figure in the audit trail: its cell shows a dash (not a number,
// not an empty cell), the school is named as missing, and the other schools' values stay.
#[test]
fn a_missing_school_figure_is_shown_as_missing_in_the_audit() {
    let t = SiteTest::demo();
    let schools = std::fs::read_to_string(t.site.join("data/schools.csv")).unwrap();
    let row = "2145080401,覃塘区城区第一小学,450804,2020-2021,primary,primary,2600,8450,21285,";
    assert!(schools.contains(row), "the demo row the test edits");
    t.write(
        "data/schools.csv",
        &schools.replacen(row, "2145080401,覃塘区城区第一小学,450804,2020-2021,primary,primary,2600,8450,,", 1),
    );
    t.build();
    let audit = t.read_output("county/450804/computation/2020-2021/index.html");
    // The basic and the quality sheet of primary schools: one dash each, the other values
    // printed (some marked below the standard); then the quality sheet's list of gaps.
    // (End tags are left out: a row ends where the next begins.)
    let rows: Vec<&str> = audit.split(">覃塘区城区第一小学</a>").skip(1).take(2).collect();
    assert_eq!(rows.len(), 2);
    for row in rows {
        let row = &row[..row.find("<tr>").or_else(|| row.find("</tbody>")).unwrap()];
        // Each cell's text, after its tag (`<td>`, or `<td class="bad">` below the standard).
        let cells: Vec<&str> = row.split("<td").skip(3).map(|c| &c[c.find('>').unwrap() + 1..]).collect();
        assert_eq!(cells.iter().filter(|c| **c == "—").count(), 1, "a dash for the missing sports area: {cells:?}");
        let value = |c: &&str| c.starts_with(|ch: char| ch.is_ascii_digit());
        assert!(cells.iter().filter(|c| **c != "—").all(value), "{cells:?}");
    }
    assert!(audit.contains("以下学校缺少该项数据，未计入： 覃塘区城区第一小学"), "the school is named as missing");
}

// Guards rules as data: a site override of an [S] rule changes the verdict and is stated.
#[test]
fn rule_overrides_change_verdicts_and_are_stated() {
    let t = SiteTest::demo();
    let toml = std::fs::read_to_string(t.site.join("site.toml")).unwrap();
    t.write("site.toml", &format!("{toml}\n[rules]\nbasic_composite_threshold = [0.25, 0.15]\n"));
    t.build();
    let api: serde_json::Value = serde_json::from_str(&t.read_output("api/counties/450804.json")).unwrap();
    let primary =
        api["sheets"].as_array().unwrap().iter().find(|s| s["scheme"] == "basic" && s["level"] == "primary").unwrap();
    assert_eq!(primary["composite"]["threshold"], 0.25);
    assert_eq!(primary["composite"]["meets"], false);
    let audit = t.read_output("county/450804/computation/2020-2021/index.html");
    assert!(audit.contains("basic_composite_threshold = [0.25, 0.15]"));
    assert!(t.read_output("county/450804/index.html").contains("本站调整了评估办法中部分未经核实的规则"));
    // An unknown rule key is refused with the allowed ones listed.
    t.write("site.toml", &format!("{toml}\n[rules]\nsplit_weights = 1\n"));
    let err = t.build_err();
    let junheng::Error::Site(d) = err else { panic!("expected site errors") };
    let d = &d.sorted()[0];
    assert_eq!(d.field.as_deref(), Some("split_weights"));
    assert!(d.message.contains("`basic_composite_threshold`"), "{}", d.message);
}

// Guards the equipment unit setting: 万元 figures are multiplied by 10,000.
#[test]
fn equipment_in_wan_yuan() {
    let t = SiteTest::demo();
    t.build();
    let value = |t: &SiteTest| -> f64 {
        let api: serde_json::Value = serde_json::from_str(&t.read_output("api/counties/450804.json")).unwrap();
        let s = api["sheets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["scheme"] == "basic" && s["level"] == "junior")
            .unwrap()
            .clone();
        s["indicators"].as_array().unwrap().iter().find(|i| i["indicator"] == "equipment_value").unwrap()["computed_value"].as_f64().unwrap()
    };
    let yuan = value(&t);
    let toml = std::fs::read_to_string(t.site.join("site.toml")).unwrap();
    t.write("site.toml", &format!("{toml}\n[rules]\nequipment_unit = \"wan_yuan\"\n"));
    t.build();
    assert!((value(&t) - yuan * 10_000.0).abs() < 1e-6 * yuan * 10_000.0);
}

// Guards `[settings] audit_years = "latest"`: only the latest school year is published school
// by school (page, download rows, links), while every year's coefficients are still shown.
#[test]
fn audit_years_latest_publishes_the_latest_year_only() {
    let t = SiteTest::demo();
    let config = std::fs::read_to_string(t.site.join("site.toml")).unwrap();
    t.write("site.toml", &format!("{config}\n[settings]\naudit_years = \"latest\"\n"));
    t.build();
    let audits = |root: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(t.output().join(root))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(audits("county/450804/computation"), ["2020-2021"]);
    assert_eq!(audits("en/county/450804/computation"), ["2020-2021"]);
    let rows = workbook_rows(&t.output().join("data/counties/450804.xlsx"), "学校计算明细");
    let years: BTreeSet<String> = rows.iter().map(|r| r["school_year"].as_str().unwrap().to_string()).collect();
    assert_eq!(years.into_iter().collect::<Vec<_>>(), ["2020-2021"]);
    let page = t.read_output("county/450804/index.html");
    assert!(page.contains("computation/2020-2021/"));
    assert!(!page.contains("computation/2019-2020/"), "no link to an unpublished audit page");
    // The earlier year's computed coefficients are still on the page.
    assert!(page.contains("2019-2020"));
}
