//! The parents' view: every school on the record, reachable from its county page and the
//! computation page, and its page saying in words what the engine decided.

use std::path::Path;

use crate::support::{SiteTest, main_of};

/// The `href`s of a page that end in `#<id>`, resolved against the page's own path.
fn links_to(page: &str, html: &str, id: &str) -> Vec<String> {
    let dir = Path::new(page).parent().unwrap_or(Path::new(""));
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| href.ends_with(&format!("#{id}")))
        .map(|href| {
            let (path, _) = href.split_once('#').unwrap();
            let mut parts: Vec<&str> = dir.iter().map(|p| p.to_str().unwrap()).collect();
            for seg in path.split('/').filter(|s| !s.is_empty()) {
                if seg == ".." {
                    parts.pop();
                } else {
                    parts.push(seg);
                }
            }
            format!("{}/index.html", parts.join("/"))
        })
        .collect()
}

// Guards item 1 of the parents' view on the demo: every school of `data/schools.csv` has a
// section at the anchor of its 学校标识码, linked from its county page and from the computation
// page of each school year it is in, in both languages; each page of schools weighs at most
// 30 KB gzipped.
#[test]
fn every_school_of_the_demo_is_reachable_from_its_county_page() {
    let t = SiteTest::demo();
    t.build();
    let csv = std::fs::read_to_string(t.site.join("data/schools.csv")).unwrap();
    let mut schools: Vec<(String, String, String)> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[2].to_string(), f[3].to_string())
        })
        .collect();
    schools.sort();
    schools.dedup();
    assert!(schools.len() > 30, "{}", schools.len());
    for lang in ["", "en/"] {
        for (id, county, year) in &schools {
            for page in [
                format!("{lang}county/{county}/index.html"),
                format!("{lang}county/{county}/computation/{year}/index.html"),
            ] {
                let targets = links_to(&page, &t.read_output(&page), id);
                assert!(!targets.is_empty(), "{page} does not link school {id}");
                for target in targets {
                    let html = t.read_output(&target);
                    assert!(
                        html.contains(&format!("<section class=\"school\" id=\"{id}\"")),
                        "{target} has no section {id}"
                    );
                }
            }
        }
    }
    // The finder's index of the province has each school, pointing at its page of schools.
    let index: serde_json::Value = serde_json::from_str(&t.read_output("search/450000.json")).unwrap();
    for (id, county, _) in &schools {
        let entry = index["schools"].as_array().unwrap().iter().find(|s| s[0] == id.as_str());
        let entry = entry.unwrap_or_else(|| panic!("{id} is not in the finder's index"));
        assert_eq!(entry[2], county.as_str());
        let page = entry[3].as_u64().unwrap();
        let path = if page == 1 {
            format!("county/{county}/schools/index.html")
        } else {
            format!("county/{county}/schools/{page}/index.html")
        };
        assert!(t.read_output(&path).contains(&format!("<section class=\"school\" id=\"{id}\"")), "{path}: {id}");
    }
    let mut pages = 0;
    for (path, bytes) in crate::support::tree(&t.output()) {
        if path.contains("/schools/") && path.ends_with(".html") {
            use std::io::Write;
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            gz.write_all(&bytes).unwrap();
            let size = gz.finish().unwrap().len();
            assert!(size <= 30 * 1024, "{path}: {size} bytes gzipped");
            pages += 1;
        }
    }
    assert!(pages >= 2, "{pages}");
}

/// A primary school row of 1,000 pupils for county 450804 in 2020-2021 with teaching space
/// `area` m², backbone teachers `backbone` and multimedia rooms `rooms`; every other quality
/// standard met.
fn school(id: &str, name: &str, area: u32, backbone: u32, rooms: u32) -> String {
    format!(
        "{id},{name},450804,2020-2021,primary,primary,1000,{area},8000,2500000,100,30000,{rooms},60,50,30,{backbone},10,,,demo-schools,,,\n"
    )
}

/// The demo with its school data replaced by four primary schools of 450804 in 2020-2021,
/// one at each state: 甲 meets every standard, 乙 has one at 87 % (near), 丙 two below 85 %, and
/// 丁 is a teaching point of 30 pupils (left out of quality balance, merged into 甲 in basic).
fn four_schools() -> SiteTest {
    let t = SiteTest::demo();
    let mut csv = std::fs::read_to_string(t.site.join("data/schools.csv")).unwrap().lines().next().unwrap().to_string();
    csv.push('\n');
    csv += &school("1145080001", "甲小学", 5000, 12, 25).replace(",,,\n", ",甲镇,24,2\n");
    csv += &school("1145080002", "乙小学", 6000, 12, 20);
    csv += &school("1145080003", "丙小学", 7000, 8, 19);
    csv += "1145080004,丁教学点,450804,2020-2021,primary,teaching_point,30,200,300,60000,3,900,1,2,2,1,0,0,,1145080001,demo-schools,,,\n";
    t.write("data/schools.csv", &csv);
    t.build();
    t
}

// Guards the school-results table as the readers' tools read it, on the four schools at each
// state: pandas (codes as text) gets each school's states, standards met, verdict and size;
// the database has the same rows with its keys sound; the county's API record (strict schema)
// and the workbook say the same.
#[test]
fn the_school_results_say_the_same_in_every_readers_tool() {
    let t = four_schools();
    let data = t.output().join("data");
    let script = r#"
import json, sys, sqlite3, openpyxl, pandas as pd
data, api = sys.argv[1], sys.argv[2]
df = pd.read_csv(f"{data}/school_results.csv", dtype={"school_id": str, "county": str})
out = {}
for sid, g in df.groupby("school_id"):
    states = g["state"].dropna().value_counts().to_dict()
    met = g["standards_met"].dropna().unique().tolist()
    out[sid] = [g["verdict"].iloc[0], [int(m) for m in met], states, int(g["school_students"].iloc[0]),
                bool(g["over_size_limit"].iloc[0]), len(g)]
db = sqlite3.connect(f"{data}/junheng.sqlite")
db.execute("PRAGMA foreign_keys = ON")
keys = db.execute("PRAGMA foreign_key_check").fetchall()
rows = db.execute("SELECT school_id, verdict, count(*) FROM school_results GROUP BY school_id, verdict ORDER BY school_id").fetchall()
record = json.load(open(f"{api}/counties/450804.json"))
book = openpyxl.load_workbook(f"{data}/school_results.xlsx", read_only=True)
sheet = book.worksheets[0]
header = [c.value for c in next(sheet.iter_rows(max_row=1))]
print(json.dumps({"pandas": out, "keys": keys, "db": rows, "header": header,
                  "api": {s["school_id"]: [s["verdict"], s["standards_met"], [x["state"] for x in s["standards"]]] for s in record["schools"]}}))
"#;
    let out = crate::support::python(script, &[data.as_os_str(), t.output().join("api").as_os_str()]);
    let out: serde_json::Value = serde_json::from_str(&out).unwrap();
    let j = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
    assert_eq!(out["pandas"]["1145080001"], j(r#"["meets", [7], {"meets": 7}, 1000, false, 7]"#));
    assert_eq!(out["pandas"]["1145080002"], j(r#"["meets", [6], {"meets": 6, "near": 1}, 1000, false, 7]"#));
    assert_eq!(out["pandas"]["1145080003"], j(r#"["falls_short", [5], {"meets": 5, "below": 2}, 1000, false, 7]"#));
    assert_eq!(out["pandas"]["1145080004"], j(r#"["not_assessed", [], {}, 30, false, 7]"#));
    assert_eq!(out["keys"], j("[]"));
    assert_eq!(
        out["db"],
        j(
            r#"[["1145080001", "meets", 7], ["1145080002", "meets", 7], ["1145080003", "falls_short", 7], ["1145080004", "not_assessed", 7]]"#
        )
    );
    assert_eq!(
        out["api"]["1145080002"],
        j(r#"["meets", 6, ["meets", "meets", "meets", "meets", "meets", "meets", "near"]]"#)
    );
    assert_eq!(out["api"]["1145080004"][0], "not_assessed");
    assert_eq!(out["header"][0], "学校标识码");
    assert!(out["header"].as_array().unwrap().contains(&j(r#""本校结论""#)), "{}", out["header"]);
}

// Guards what a parent reads on the school page and in the county's list, on schools made to
// sit at each state: one meets everything; one has a standard at 87 % (near: it still meets the
// rule); one has two standards below (it falls short on 2); a teaching point of 30 pupils is
// not assessed. The coefficient without a school is the one worked by hand: teaching space 5,
// 6 and 7 m² per pupil for 1,000 pupils each has CV √(2/3) ÷ 6 = 0.136, and without the second
// √1 ÷ 6 = 0.167, the largest change that school makes to a quality-balance coefficient.
#[test]
fn a_parent_reads_each_standard_and_the_verdict_in_words() {
    let t = four_schools();
    t.build();
    let mut csv = std::fs::read_to_string(t.site.join("data/schools.csv")).unwrap().lines().next().unwrap().to_string();
    csv.push('\n');
    csv += &school("1145080001", "甲小学", 5000, 12, 25);
    csv += &school("1145080002", "乙小学", 6000, 12, 20);
    csv += &school("1145080003", "丙小学", 7000, 8, 19);
    let list = t.read_output("county/450804/index.html");
    let row = |name: &str| {
        let at = list.find(&format!(">{name}</a>")).unwrap_or_else(|| panic!("{name} is not listed"));
        list[at..].split('\n').next().unwrap().to_string() // a row is a line
    };
    assert!(row("甲小学").contains("✓ 达到每校要求"), "{}", row("甲小学"));
    assert!(row("乙小学").contains("✓ 达到每校要求"), "{}", row("乙小学"));
    assert!(row("丙小学").contains("✗ 2项未达标"), "{}", row("丙小学"));
    assert!(row("丁教学点").contains("不参评（学生不足50人的教学点）"), "{}", row("丁教学点"));
    // Sorted by name in pinyin order (bing, ding, jia, yi), not by any figure.
    let order: Vec<usize> =
        ["丙小学", "丁教学点", "甲小学", "乙小学"].iter().map(|n| list.find(&format!(">{n}</a>")).unwrap()).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");

    let page = t.read_output("county/450804/schools/index.html");
    let section = |id: &str| {
        let main = main_of(&page);
        let at = main.find(&format!("<section class=\"school\" id=\"{id}\"")).unwrap();
        main[at..].split("</section>").next().unwrap().to_string()
    };
    let near = section("1145080002");
    assert!(near.contains("本校达到优质均衡的每校要求"), "{near}");
    assert!(near.contains("<td class=\"near\">! 未达标，但不低于85%"), "{near}");
    let short = section("1145080003");
    assert!(short.contains("有2项未达标"), "{short}");
    assert_eq!(short.matches("<td class=\"below\">✗ 低于标准的85%").count(), 2, "{short}");
    assert_eq!(short.matches("<td class=\"meets\">✓ 达标").count(), 5, "{short}");
    // Teaching space, quality balance: the county's coefficient and the one without this school.
    assert!(
        near.contains("本校对教学用房的全县差异系数影响最大：不计本校，该差异系数将是0.167，而不是0.136。"),
        "{near}"
    );
    // The town and the classes where given: 1,000 pupils in 24 classes, 2 of them large.
    let first = section("1145080001");
    assert!(first.contains("<dt>所在乡镇<dd>甲镇</div>"), "{first}");
    assert!(first.contains("<dd>24个班，平均每班42人；超过45人的大班额2个</div>"), "{first}");
    let point = section("1145080004");
    assert!(point.contains("不参评：学生不足50人的教学点"), "{point}");
    assert!(!point.contains("本校未达到"), "a teaching point left out never 'fails': {point}");
    // Basic balance merges the teaching point into its central school, and says so.
    assert!(point.contains("本教学点与中心校“甲小学”合并计算"), "{point}");
    let en = t.read_output("en/county/450804/schools/index.html");
    assert!(en.contains("✗ below 85 %") && en.contains("Not assessed: teaching points with fewer than 50 pupils"));
}

// Guards the basic-balance school standards a site declares (`standards.csv`): a province's
// standard applies to its counties, a county's own replaces it; each shows beside the school's
// figure with whether it is met (no 85 % band: that is quality balance's rule), with its source;
// an indicator without one shows the county only; the results table and the standards table
// carry them. The figures here are a test's, not any province's.
#[test]
fn declared_basic_standards_are_shown_and_published() {
    let t = four_schools();
    t.write(
        "data/standards.csv",
        "area,scheme,level,indicator,standard,source\n450000,basic,primary,teaching_area,5.5,demo-schools\n450000,basic,primary,books,40,demo-schools\n450804,basic,primary,books,20,demo-schools\n",
    );
    t.build();
    let page = t.read_output("county/450804/schools/index.html");
    let main = main_of(&page);
    let section = |id: &str| {
        let at = main.find(&format!("<section class=\"school\" id=\"{id}\"")).unwrap();
        main[at..].split("</section>").next().unwrap().to_string()
    };
    let basic = |id: &str| {
        section(id)
            .split("<table class=\"cards figs b bs\">")
            .nth(1)
            .unwrap()
            .split("</table>")
            .next()
            .unwrap()
            .to_string()
    };
    // 甲 (with its teaching point merged in basic balance): 5,200 m² for 1,030 pupils, 5.05 < 5.5.
    let first = basic("1145080001");
    assert!(first.contains("<tr><th>教学用房<td>5.05 ㎡<td>6.01 ㎡<td>≥ 5.50<td class=\"below\">✗ 未达标"), "{first}");
    // The county's own standard for books (20) replaces the province's (40): 30,900 ÷ 1,030 = 30.
    assert!(first.contains("<td>≥ 20.00<td class=\"meets\">✓ 达标"), "{first}");
    assert!(first.contains("<tr><th>计算机<td>"), "{first}");
    assert!(first.contains("<td>—<td>—"), "an indicator without a standard: {first}");
    let third = basic("1145080003");
    assert!(third.contains("<td>≥ 5.50<td class=\"meets\">✓ 达标"), "{third}");
    assert!(page.contains("本页的基本均衡标准取自本站公布的标准"));
    // The results table: a basic row per declared standard, the standards table in the downloads.
    let results = t.read_output("data/school_results.csv");
    let row = results.lines().find(|l| l.starts_with("1145080001,") && l.contains(",basic,teaching_area,")).unwrap();
    assert!(row.contains(",5.5,short,"), "{row}");
    assert_eq!(results.lines().filter(|l| l.contains(",basic,")).count(), 8, "two standards for each of four schools");
    let standards = t.read_output("data/standards.csv");
    assert!(
        standards.starts_with("area,scheme,level,indicator,standard,source")
            && standards.contains("450804,basic,primary,books,20,demo-schools")
    );
    let report = crate::support::frictionless(&t.output().join("data"));
    assert_eq!(report["valid"], true, "{report:#}");
}
