//! The revision history: releases read from the site's git repository (made here with the
//! `git` program; junheng reads them with gix), what each changed, figure by figure.

use std::path::Path;
use std::process::Command;

use crate::support::{SiteTest, main_of};

/// Runs git in `dir` with a fixed identity and date, and no user or system configuration.
fn git(dir: &Path, date: &str, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "教育局")
        .env("GIT_AUTHOR_EMAIL", "data@example.org")
        .env("GIT_COMMITTER_NAME", "教育局")
        .env("GIT_COMMITTER_EMAIL", "data@example.org")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .output()
        .expect("git runs (scripts/test-deps installs it)");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Replaces `from` by `to` in a file of the site (exactly once).
fn edit(t: &SiteTest, rel: &str, from: &str, to: &str) {
    let path = t.site.join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches(from).count(), 1, "`{from}` once in {rel}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// Commits everything and tags it (annotated, with `message`).
fn release(t: &SiteTest, date: &str, tag: &str, message: &str) {
    git(&t.site, date, &["add", "-A"]);
    git(&t.site, date, &["commit", "-q", "-m", &format!("data for {tag}")]);
    git(&t.site, date, &["tag", "-a", tag, "-m", message]);
}

/// The demo site with three releases and an edit not released yet:
/// - v1: the demo as it is;
/// - v2: 港北区's published primary composite of 2020-2021 corrected from 0.21 to 0.23;
/// - v3: a school row of 覃塘区 corrected (its computed coefficients move), 石泉县 added with a
///   published composite, 港北区's recognition milestone removed;
/// - not released: 港南区's recognition milestone retitled.
pub(crate) fn three_releases() -> SiteTest {
    // With school standards, so that its downloads hold every table.
    let t = crate::support::with_standards(SiteTest::demo());
    git(&t.site, "2024-01-10T10:00:00+08:00", &["init", "-q", "-b", "main"]);
    release(&t, "2024-01-10T10:00:00+08:00", "v1", "首次发布");
    edit(
        &t,
        "data/indicators.csv",
        "450802,2020-2021,primary,basic,composite,,0.21,",
        "450802,2020-2021,primary,basic,composite,,0.23,",
    );
    release(&t, "2024-03-05T09:30:00+08:00", "v2", "更正港北区小学综合差异系数");
    edit(
        &t,
        "data/schools.csv",
        "覃塘区城区第一小学,450804,2019-2020,primary,primary,2600,",
        "覃塘区城区第一小学,450804,2019-2020,primary,primary,2900,",
    );
    edit(
        &t,
        "data/counties.csv",
        "610921,汉阴县",
        "610922,石泉县,610900,安康市,610000,陕西省,Shiquan County\n610921,汉阴县",
    );
    let mut indicators = std::fs::read_to_string(t.site.join("data/indicators.csv")).unwrap();
    indicators.push_str("610922,2020-2021,primary,basic,composite,,0.35,guigang-2021\n");
    t.write("data/indicators.csv", &indicators);
    edit(
        &t,
        "data/milestones.csv",
        "450802,2017-12,national_recognition,通过国家义务教育基本均衡发展评估认定,guigang-2021\n",
        "",
    );
    release(&t, "2024-06-01T16:00:00+08:00", "v3", "更正覃塘区学校数据；增加石泉县");
    edit(
        &t,
        "data/milestones.csv",
        "450803,2017-12,national_recognition,通过国家义务教育基本均衡发展评估认定",
        "450803,2017-12,national_recognition,通过国家义务教育基本均衡发展评估认定（复核）",
    );
    t
}

/// The rows of the changes table, each as its cells joined by `|`.
fn change_rows(t: &SiteTest) -> Vec<String> {
    let csv = t.read_output("data/changes.csv");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["release", "commit", "date", "area", "school_year", "level", "scheme", "indicator", "field", "old", "new"]
    );
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            // The commit is checked apart: its id depends on git's object format only.
            assert!(r[1].is_empty() || r[1].len() == 40, "a full commit id: {:?}", &r[1]);
            [0, 2, 3, 4, 5, 6, 7, 8, 9, 10].iter().map(|&i| &r[i]).collect::<Vec<_>>().join("|")
        })
        .collect()
}

// Guards the whole history: each release's changes, figure by figure, in the changes table,
// on the county pages, the changes pages, the API records and the county feeds.
#[test]
fn three_releases_say_exactly_what_changed() {
    let t = three_releases();
    let report = t.build();
    let found: Vec<String> = report.diagnostics.sorted().iter().map(|d| d.headline()).collect();
    assert_eq!(
        found,
        ["note: 1 figure differs from the latest release `v3`: shown as not yet released until a release is tagged"]
    );
    let rows = change_rows(&t);
    let of = |prefix: &str| rows.iter().filter(|r| r.starts_with(prefix)).cloned().collect::<Vec<_>>();
    // v2: the published composite, nothing else (its verdict stays: 0.23 ≤ 0.65).
    assert_eq!(of("v2|"), ["v2|2024-03-05|450802|2020-2021|primary|basic|composite|cv|0.21|0.23"]);
    // v3: 覃塘区's computed figures moved (a coefficient and the composite among them), 石泉县's
    // composite and verdict were added, 港北区's milestone removed.
    let v3 = of("v3|2024-06-01|");
    assert!(
        v3.iter().any(|r| r.starts_with("v3|2024-06-01|450804|2019-2020|primary|basic|books|computed_cv|0.33")),
        "{v3:#?}"
    );
    assert!(v3.iter().any(|r| r.contains("|450804|2019-2020|primary|basic|composite|computed_cv|")), "{v3:#?}");
    assert!(v3.iter().all(|r| !r.contains("|450804|2020-2021|")), "only the corrected school year moves: {v3:#?}");
    assert!(v3.contains(&"v3|2024-06-01|610922|2020-2021|primary|basic|composite|cv||0.35".to_string()), "{v3:#?}");
    assert!(v3.contains(&"v3|2024-06-01|610922|2020-2021|primary|basic|composite|meets||true".to_string()), "{v3:#?}");
    assert!(
        v3.contains(
            &"v3|2024-06-01|450802||||national_recognition|milestone|2017-12 通过国家义务教育基本均衡发展评估认定|"
                .to_string()
        ),
        "{v3:#?}"
    );
    let areas: std::collections::BTreeSet<&str> = v3.iter().map(|r| r.split('|').nth(2).unwrap()).collect();
    assert_eq!(areas.into_iter().collect::<Vec<_>>(), ["450802", "450804", "610922"]);
    // Not released: the retitled milestone, with no release, commit or date.
    assert_eq!(
        of("|"),
        [
            "||450803||||national_recognition|milestone|2017-12 通过国家义务教育基本均衡发展评估认定|2017-12 通过国家义务教育基本均衡发展评估认定（复核）"
        ]
    );
    assert!(of("v1|").is_empty(), "the first release is where the comparison starts");

    // 港北区's page: the composite carries the mark, the history lists both releases.
    let page = t.read_output("county/450802/index.html");
    let main = main_of(&page);
    let revised_rows: Vec<&str> = main.split("<tr").filter(|row| row.contains("class=\"revised\"")).collect();
    assert_eq!(revised_rows.len(), 1, "one revised figure on the sheets: the composite");
    assert!(revised_rows[0].contains("综合差异系数"), "{}", revised_rows[0]);
    let history = &main[main.find("id=\"revisions-h\"").expect("a revisions section")..];
    for expected in ["v2 (2024-03-05)", "更正港北区小学综合差异系数", "0.21", "0.23", "v3 (2024-06-01)", "（删除）"]
    {
        assert!(history.contains(expected), "`{expected}` in the county's revisions");
    }
    assert!(!t.read_output("county/450881/index.html").contains("revisions-h"), "an unrevised county has no history");
    let en = t.read_output("en/county/450802/index.html");
    assert!(main_of(&en).contains("<h2 id=\"revisions-h\">Revisions</h2>"), "the English page is in English");

    // The changes pages: the index lists every release newest first; each release its areas.
    let index = t.read_output("changes/index.html");
    let order: Vec<usize> = ["尚未发布", "v3 (2024-06-01)", "v2 (2024-03-05)", "v1 (2024-01-10)"]
        .iter()
        .map(|s| main_of(&index).find(s).unwrap_or_else(|| panic!("`{s}` on the changes index")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "newest first: {order:?}");
    let v2 = t.read_output("changes/v2/index.html");
    for expected in ["广西壮族自治区", "港北区", "0.21", "0.23", "共 1 处修订，涉及 1 个地区"] {
        assert!(main_of(&v2).contains(expected), "`{expected}` on the v2 page");
    }
    let v3 = t.read_output("changes/v3/index.html");
    for expected in ["陕西省", "石泉县", "覃塘区", "（新增）"] {
        assert!(main_of(&v3).contains(expected), "`{expected}` on the v3 page");
    }
    assert!(t.output().join("changes/unreleased/index.html").is_file());
    assert!(!t.output().join("changes/v1").exists(), "the first release changed nothing");
    assert!(t.read_output("index.html").contains("href=\"changes/\""), "the navigation links the history");

    // The API: 覃塘区's record carries its revisions (the schema requires them).
    let api: serde_json::Value = serde_json::from_str(&t.read_output("api/counties/450804.json")).unwrap();
    let revisions = api["revisions"].as_array().unwrap();
    assert!(!revisions.is_empty() && revisions.iter().all(|r| r["release"] == "v3" && r["date"] == "2024-06-01"));
    assert!(revisions.iter().any(|r| r["indicator"] == "books" && r["field"] == "computed_cv"));
    let api: serde_json::Value = serde_json::from_str(&t.read_output("api/counties/450881.json")).unwrap();
    assert_eq!(api["revisions"], serde_json::json!([]));

    // The feed of 港北区: one entry per release that revised it, dated by the release.
    let feed = t.read_output("county/450802/atom.xml");
    assert!(feed.contains("<id>https://junheng.example.org/county/450802/#revisions-v2</id>"), "{feed}");
    assert!(feed.contains("<updated>2024-03-05T09:30:00+08:00</updated>"), "{feed}");
    assert!(feed.contains("#revisions-v3</id>"));
    assert!(!feed.contains("#revisions-unreleased"), "what is not released is no feed entry");

    // The same repository gives the same bytes.
    let first = crate::support::tree(&t.output());
    std::fs::remove_dir_all(t.output()).unwrap();
    t.build();
    assert!(first == crate::support::tree(&t.output()), "a second build gives the same files");

    // A tag named in Chinese: its page goes under the commit's short id, its name is shown.
    release(&t, "2024-09-01T12:00:00+08:00", "复核版", "复核港南区");
    t.build();
    let index = t.read_output("changes/index.html");
    let hrefs: Vec<&str> = main_of(&index).split("href=\"").skip(1).map(|h| h.split('"').next().unwrap()).collect();
    let slug = hrefs
        .iter()
        .filter_map(|h| h.trim_end_matches('/').rsplit('/').next())
        .find(|s| s.len() == 10 && s.chars().all(|c| c.is_ascii_hexdigit()))
        .unwrap_or_else(|| panic!("a release page under a short commit id: {hrefs:?}"));
    assert!(main_of(&t.read_output(&format!("changes/{slug}/index.html"))).contains("复核版"));
}

// Guards the notes: a site outside git, a shallow clone, a repository with no release yet.
#[test]
fn without_a_history_the_site_builds_with_a_note() {
    let notes = |t: &SiteTest| {
        let report = t.build();
        assert!(t.output().join("county/450802/index.html").is_file());
        assert!(!t.output().join("changes").exists(), "no history, no changes pages");
        assert!(!t.read_output("index.html").contains("href=\"changes/\""));
        report.diagnostics.sorted().into_iter().map(|d| d.headline()).collect::<Vec<_>>()
    };
    let t = SiteTest::demo();
    let found = notes(&t);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("note: the site folder is not in a git repository"), "{found:?}");

    git(&t.site, "2024-01-10T10:00:00+08:00", &["init", "-q", "-b", "main"]);
    git(&t.site, "2024-01-10T10:00:00+08:00", &["add", "-A"]);
    git(&t.site, "2024-01-10T10:00:00+08:00", &["commit", "-q", "-m", "first"]);
    let found = notes(&t);
    assert!(found[0].starts_with("note: the site's repository has no release yet"), "{found:?}");

    git(&t.site, "2024-01-10T10:00:00+08:00", &["tag", "v1"]);
    edit(&t, "data/indicators.csv", ",0.21,", ",0.23,");
    git(&t.site, "2024-02-10T10:00:00+08:00", &["commit", "-q", "-am", "second"]);
    git(&t.site, "2024-02-10T10:00:00+08:00", &["tag", "v2"]);
    let shallow = t._dir.path().join("shallow");
    let url = format!("file://{}", t.site.display());
    git(t._dir.path(), "2024-02-10T10:00:00+08:00", &["clone", "-q", "--depth", "1", &url, shallow.to_str().unwrap()]);
    let report = junheng::build(&junheng::BuildOptions { site: shallow.clone(), output: None, deny_warnings: true })
        .expect("a note is no warning: --deny-warnings builds");
    let found: Vec<String> = report.diagnostics.sorted().into_iter().map(|d| d.headline()).collect();
    assert!(found[0].starts_with("note: the site is a shallow clone"), "{found:?}");
    assert!(!shallow.join("public/changes").exists());
}

// Guards `releases = "commits"`: every commit that changed `data/` is a release, others not.
#[test]
fn every_commit_that_changed_the_data_can_be_a_release() {
    let t = SiteTest::demo();
    let config = std::fs::read_to_string(t.site.join("site.toml")).unwrap();
    t.write("site.toml", &format!("{config}\n[settings]\nreleases = \"commits\"\n"));
    git(&t.site, "2024-01-10T10:00:00+08:00", &["init", "-q", "-b", "main"]);
    git(&t.site, "2024-01-10T10:00:00+08:00", &["add", "-A"]);
    git(&t.site, "2024-01-10T10:00:00+08:00", &["commit", "-q", "-m", "first"]);
    edit(
        &t,
        "data/indicators.csv",
        "450802,2020-2021,primary,basic,composite,,0.21,",
        "450802,2020-2021,primary,basic,composite,,0.23,",
    );
    git(&t.site, "2024-02-10T10:00:00+08:00", &["commit", "-q", "-am", "corrected"]);
    t.write("content/news/x.md", "+++\ntitle = \"x\"\n+++\ntext\n");
    git(&t.site, "2024-03-10T10:00:00+08:00", &["add", "-A"]);
    git(&t.site, "2024-03-10T10:00:00+08:00", &["commit", "-q", "-m", "a page only"]);
    t.build();
    let rows = change_rows(&t);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].ends_with("|2024-02-10|450802|2020-2021|primary|basic|composite|cv|0.21|0.23"), "{rows:?}");
    let index = t.read_output("changes/index.html");
    assert_eq!(main_of(&index).matches("<tr>").count(), 1 + 2, "two releases: the page-only commit is none");
}

// Guards the preview: the history is kept across rebuilds (a narrative edit makes none of it
// again), a data edit shows as not released yet, a new tag turns it into a release; after
// each step the preview equals a clean build.
#[test]
fn the_preview_keeps_the_history_until_the_repository_moves() {
    let t = three_releases();
    let mut memo = junheng::pipeline::Pipeline::new(&t.site, junheng::pipeline::Keep::Verified);
    let same_as_clean = |cached: &junheng::pipeline::Outcome, step: &str| {
        let clean = junheng::pipeline::in_memory(&t.site, false).unwrap();
        let differing: Vec<&str> =
            clean.files.iter().zip(&cached.files).filter(|(a, b)| a != b).map(|(a, _)| a.path.as_str()).collect();
        assert!(cached.files.len() == clean.files.len() && differing.is_empty(), "{step}: {differing:?}");
        assert!(cached.diagnostics.sorted() == clean.diagnostics.sorted(), "{step}: diagnostics");
    };
    let made = |memo: &junheng::pipeline::Pipeline, part: &str| {
        memo.counts().iter().find(|c| c.0 == part).map(|c| c.1).unwrap_or_else(|| panic!("a part `{part}`"))
    };
    let first = memo.run(junheng::pipeline::To::Memory, false).unwrap();
    same_as_clean(&first, "first render");
    assert_eq!(made(&memo, "released history"), 1);

    edit(&t, "content/counties/450802.md", "港北区是贵港市", "港北区是广西贵港市");
    memo.forget(&["content/counties/450802.md".to_string()]);
    let rendered = memo.run(junheng::pipeline::To::Memory, false).unwrap();
    same_as_clean(&rendered, "narrative");
    assert_eq!(
        (made(&memo, "released history"), made(&memo, "unreleased changes")),
        (0, 0),
        "a narrative edit reads no history"
    );

    edit(
        &t,
        "data/indicators.csv",
        "450803,2020-2021,primary,basic,composite,,0.39,",
        "450803,2020-2021,primary,basic,composite,,0.40,",
    );
    memo.forget(&["data/indicators.csv".to_string()]);
    let rendered = memo.run(junheng::pipeline::To::Memory, false).unwrap();
    same_as_clean(&rendered, "data");
    assert_eq!((made(&memo, "released history"), made(&memo, "unreleased changes")), (0, 1));
    let page = rendered
        .files
        .iter()
        .find(|f| f.path == "changes/unreleased/index.html")
        .expect("a page of what is not released");
    assert!(String::from_utf8_lossy(&page.bytes).contains("0.40"));

    release(&t, "2024-09-01T12:00:00+08:00", "v4", "复核港南区");
    let rendered = memo.run(junheng::pipeline::To::Memory, false).unwrap();
    same_as_clean(&rendered, "tag");
    assert_eq!(made(&memo, "released history"), 1, "a new tag reads the history again");
    assert!(rendered.files.iter().any(|f| f.path == "changes/v4/index.html"));
    assert!(!rendered.files.iter().any(|f| f.path == "changes/unreleased/index.html"), "everything is released");
}

// Guards `junheng serve` with a repository: a commit and a tag made while serving rebuild the
// site (no file of the site changed) and the new release's page appears.
#[test]
fn a_tag_made_while_serving_shows_its_release() {
    let t = three_releases();
    let mut s = crate::serve::Served::start(&t);
    s.wait_page("/changes/unreleased/", "what is not released yet", |status, _| status == 200);
    release(&t, "2024-09-01T12:00:00+08:00", "v4", "复核港南区");
    let line = s.next_build();
    assert!(line.contains("(git)"), "the repository's move is what rebuilt: {line}");
    s.wait_page("/changes/v4/", "the new release's page", |status, body| status == 200 && body.contains("复核港南区"));
    s.wait_page("/changes/unreleased/", "no page of what is not released", |status, _| status == 404);
}

// Guards the revisions as programs read them: pandas reads the changes table (gzip or not) with
// its codes as text, and every county record, revisions included, is valid against the
// county JSON Schema (`jsonschema`, draft 2020-12, formats checked).
#[test]
fn the_revisions_read_in_pandas_and_validate_against_the_schema() {
    let t = three_releases();
    t.build();
    let script = r#"
import glob, json, sys
import jsonschema, pandas
out = sys.argv[1]
changes = pandas.read_csv(f"{out}/data/changes.csv", dtype=str, keep_default_na=False)
assert list(changes.columns) == ["release", "commit", "date", "area", "school_year", "level", "scheme", "indicator", "field", "old", "new"], list(changes.columns)
v2 = changes[changes["release"] == "v2"]
assert v2[["area", "old", "new"]].values.tolist() == [["450802", "0.21", "0.23"]], v2
schema = json.load(open(f"{out}/api/schema/county.schema.json"))
v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
revised = 0
for path in sorted(glob.glob(f"{out}/api/counties/*.json")):
    record = json.load(open(path))
    errors = [e.message for e in v.iter_errors(record)]
    assert not errors, (path, errors)
    revised += len(record["revisions"])
record = json.load(open(f"{out}/api/counties/450802.json"))
record["revisions"][0]["field"] = "mood"
print(json.dumps({"rows": len(changes), "revised": revised, "bad_field": [e.message for e in v.iter_errors(record)]}))
"#;
    let out: serde_json::Value =
        serde_json::from_str(&crate::support::python(script, &[t.output().as_os_str()])).unwrap();
    assert_eq!(out["rows"], out["revised"], "every change is in its county's record: {out}");
    assert!(out["bad_field"].to_string().contains("mood"), "an unknown field is rejected: {out}");
}

// Guards a long changes table (a release that brings a whole school year of a national
// portal): beyond `split_rows` it goes out in parts, one gzipped CSV and workbook per province,
// which together hold every change once, and the package stays valid.
#[test]
fn a_long_changes_table_goes_out_per_province() {
    let t = three_releases();
    let toml = std::fs::read_to_string(t.site.join("site.toml")).unwrap();
    t.write("site.toml", &format!("{toml}\n[settings]\nsplit_rows = 10\n"));
    let whole = three_releases();
    whole.build();
    t.build();
    let data = t.output().join("data");
    assert!(!data.join("changes.csv").exists());
    let mut joined: Vec<String> = Vec::new();
    for province in ["450000", "610000"] {
        assert!(data.join(format!("changes/{province}.xlsx")).is_file());
        let gz = std::fs::read(data.join(format!("changes/{province}.csv.gz"))).unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text).unwrap();
        joined.extend(text.lines().skip(1).map(str::to_string));
    }
    // The whole table's rows (the setting added to `site.toml` changes no figure).
    let mut expected: Vec<String> = whole.read_output("data/changes.csv").lines().skip(1).map(str::to_string).collect();
    joined.sort();
    expected.sort();
    assert_eq!(joined, expected, "the parts hold every change once");
    let report = crate::support::frictionless(&data);
    assert_eq!(report["valid"], true, "{report:#}");
}

// Guards a history that is right or says why not: releases in the order of HEAD's first-parent
// history even when tagged in the same second under names that sort the other way; a tag
// message with control characters shown without them (feeds stay valid XML) and warned of; a
// tag name too long for a folder paged under its commit; an unreadable tag, a tag of a missing
// object and a release with a link in its tree each left out with a warning, the rest read.
#[test]
fn odd_and_broken_histories_are_read_in_order_or_warned_of() {
    let t = SiteTest::demo();
    let same_second = "2024-01-10T10:00:00+08:00";
    git(&t.site, same_second, &["init", "-q", "-b", "main"]);
    release(&t, same_second, "z-first", "首次发布\u{1b}[2J\u{7}");
    edit(&t, "data/indicators.csv", ",0.21,", ",0.23,");
    let long = format!("a-{}", "x".repeat(200));
    release(&t, same_second, &long, "更正");
    let report = t.build();
    let found: Vec<String> = report.diagnostics.sorted().iter().map(|d| d.headline()).collect();
    assert_eq!(found.len(), 1, "no unreleased changes, one warning: {found:?}");
    assert!(
        found[0].starts_with("warning: the message of release `z-first` holds the control character U+001B"),
        "{found:?}"
    );
    let rows = change_rows(&t);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].ends_with("|450802|2020-2021|primary|basic|composite|cv|0.21|0.23"), "{rows:?}");
    let pages: Vec<String> = std::fs::read_dir(t.output().join("changes"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(pages.iter().all(|p| p.len() <= 40), "{pages:?}");
    for feed in ["county/450802/atom.xml", "atom.xml"] {
        let xml = t.read_output(feed);
        assert!(!xml.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r')), "{feed}");
    }

    // A loose tag that is not a reference, and a tag of an object the repository lacks.
    std::fs::write(t.site.join(".git/refs/tags/broken"), "not an object id\n").unwrap();
    std::fs::write(t.site.join(".git/refs/tags/ghost"), format!("{}\n", "e".repeat(40))).unwrap();
    let report = t.build();
    let found: Vec<String> = report.diagnostics.sorted().iter().map(|d| d.headline()).collect();
    assert!(found.iter().any(|w| w.starts_with("warning: a tag of the site's repository cannot be read")), "{found:?}");
    assert!(found.iter().any(|w| w.starts_with("warning: tag `ghost` cannot be read")), "{found:?}");
    assert_eq!(change_rows(&t).len(), 1, "the rest of the history is read");
    let denied = junheng::build(&junheng::BuildOptions { site: t.site.clone(), output: None, deny_warnings: true });
    assert!(denied.is_err(), "--deny-warnings fails on an unreadable tag");
    std::fs::remove_file(t.site.join(".git/refs/tags/broken")).unwrap();
    std::fs::remove_file(t.site.join(".git/refs/tags/ghost")).unwrap();

    // A release whose data file is a link (git stores links): left out, never followed.
    std::fs::remove_file(t.site.join("data/sources.csv")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", t.site.join("data/sources.csv")).unwrap();
    git(&t.site, "2024-02-10T10:00:00+08:00", &["add", "-A"]);
    git(&t.site, "2024-02-10T10:00:00+08:00", &["commit", "-q", "-m", "a link"]);
    git(&t.site, "2024-02-10T10:00:00+08:00", &["tag", "v3"]);
    git(&t.site, "2024-02-10T10:00:00+08:00", &["rm", "-q", "data/sources.csv"]);
    git(&t.site, "2024-02-10T10:00:00+08:00", &["checkout", "-q", "HEAD~1", "--", "data/sources.csv"]);
    git(&t.site, "2024-02-11T10:00:00+08:00", &["commit", "-q", "-m", "the file again"]);
    let report = t.build();
    let found: Vec<String> = report.diagnostics.sorted().iter().map(|d| d.headline()).collect();
    assert!(
        found.iter().any(|w| w.starts_with("warning: release `v3` is left out of the revision history: data/sources.csv: expected a regular file, found a symbolic link")),
        "{found:?}"
    );
    assert!(!t.read_output("data/changes.csv").contains("root:"));
}

// Guards what an old release can hold: a workbook with a cell at the last address a sheet has
// (which once aborted every build until the tag was deleted) is read in bounded memory, and an
// unreadable `packed-refs` is a warning, never a silent "no release yet" note.
#[test]
fn hostile_files_in_old_releases_are_bounded() {
    let t = SiteTest::demo();
    git(&t.site, "2024-01-10T10:00:00+08:00", &["init", "-q", "-b", "main"]);
    // The sources as a workbook, with a stray cell at `XFD1048576` in the first release.
    let sources = std::fs::read_to_string(t.site.join("data/sources.csv")).unwrap();
    std::fs::remove_file(t.site.join("data/sources.csv")).unwrap();
    let book = |stray: bool| {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (r, record) in
            csv::ReaderBuilder::new().has_headers(false).from_reader(sources.as_bytes()).records().enumerate()
        {
            for (c, cell) in record.unwrap().iter().enumerate() {
                ws.write_string(r as u32, c as u16, cell).unwrap();
            }
        }
        if stray {
            ws.write_string(1_048_575, 16_383, "x").unwrap();
        }
        wb.save(t.site.join("data/sources.xlsx")).unwrap();
    };
    book(true);
    release(&t, "2024-01-10T10:00:00+08:00", "v1", "a stray cell");
    book(false);
    edit(&t, "data/indicators.csv", ",0.21,", ",0.23,");
    release(&t, "2024-02-10T10:00:00+08:00", "v2", "fixed");
    let out = t.run(&["build"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(change_rows(&t).iter().any(|r| r.ends_with("|cv|0.21|0.23")));

    let packed = t.site.join(".git/packed-refs");
    std::fs::write(&packed, format!("# pack-refs with: peeled\n{} refs/tags/bad\u{7}name\n", "e".repeat(40))).unwrap();
    let report = t.build();
    let found: Vec<String> = report.diagnostics.sorted().iter().map(|d| d.headline()).collect();
    assert!(found.iter().any(|d| d.starts_with("warning: the site's git history cannot be read")), "{found:?}");
    assert!(!found.iter().any(|d| d.contains("no release yet")), "{found:?}");
}
