//! Publishing safely: a build killed at any moment leaves a complete output (the previous one
//! or the new one, never a mix or nothing), and nothing is ever written outside the output.

use std::time::Duration;

use crate::support::{SiteTest, tree};

// Guards atomic publish: `kill -9` during a national-size build leaves the previous output
// intact (or the complete new one, if the swap already happened).
#[test]
fn killed_build_leaves_a_complete_output() {
    let t = SiteTest::from_fixture("national");
    t.build();
    let old = tree(&t.output());
    let counties = std::fs::read_to_string(t.site.join("data/counties.csv")).unwrap();
    let changed = counties.replace(",东城区,", ",东城区（新）,");
    // The complete new output, built in a copy.
    let other = SiteTest::from_fixture("national");
    other.write("data/counties.csv", &changed);
    other.build();
    let new = tree(&other.output());
    assert_ne!(old, new);
    let mut saw_old = false;
    for delay_ms in [150, 600, 1500, 4000] {
        t.write("data/counties.csv", &counties);
        t.build();
        t.write("data/counties.csv", &changed);
        let mut child =
            t.cmd(&["build"]).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let now = tree(&t.output());
        assert!(now == old || now == new, "after a kill at {delay_ms} ms the output is neither build");
        saw_old |= now == old;
    }
    assert!(saw_old, "no kill landed before the swap: the test proves nothing");
    // The next build cleans up whatever the killed one left.
    t.build();
    assert_eq!(tree(&t.output()), new);
    let leftovers: Vec<String> = std::fs::read_dir(&t.site)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("junheng"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

// Guards path safety: codes, slugs and section names that try to leave the output are refused
// and nothing is written outside the output folder.
#[test]
fn escaping_paths_are_refused() {
    let cases: &[(&str, &str)] = &[
        (
            "data/counties.csv",
            "code,name,prefecture_code,prefecture,province_code,province\n../../x,港北区,450800,贵港市,450000,广西壮族自治区\n",
        ),
        (
            "data/counties.csv",
            "code,name,prefecture_code,prefecture,province_code,province\n450802,港北区,/etc/x,贵港市,450000,广西壮族自治区\n",
        ),
        ("data/sources.csv", "id,title,publisher,date,url\n../r1,t,p,2021,\n"),
        ("data/metrics.csv", "area,period,metric,value,unit,source\n450802,2013,../../big,1,个,\n"),
        ("content/news/a b.md", "+++\ntitle = \"x\"\n+++\n"),
        ("content/..hidden/a.md", "+++\ntitle = \"x\"\n+++\n"),
    ];
    for (file, text) in cases {
        let t = SiteTest::from_fixture("build/minimal");
        t.write(file, text);
        let parent = t.site.parent().unwrap().to_path_buf();
        let before = tree(&parent);
        let err = t.build_err();
        assert!(matches!(err, junheng::Error::Site(_)), "{file}: {err}");
        assert_eq!(tree(&parent), before, "{file}: something was written");
    }
    // NUL cannot be in a file name; output paths are checked for it all the same.
    assert!(!junheng::write::is_safe_relative("a/\u{0}"));
}

// Guards incremental writing: files whose bytes did not change are linked from the previous
// build (same inode), changed ones are written anew, a file edited by hand in the output is
// written again, and the result equals a fresh build.
#[cfg(unix)]
#[test]
fn unchanged_files_are_linked_changed_ones_written() {
    use std::os::unix::fs::MetadataExt;
    let t = SiteTest::demo();
    t.build();
    let ino = |rel: &str| std::fs::metadata(t.output().join(rel)).unwrap().ino();
    let (about, county) = (ino("about/index.html"), ino("county/450802/index.html"));
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(t.output().join("robots.txt"), "tampered").unwrap();
    let path = t.site.join("data/indicators.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen(
            "450802,2020-2021,primary,basic,composite,,0.21,",
            "450802,2020-2021,primary,basic,composite,,0.24,",
            1,
        ),
    )
    .unwrap();
    t.build();
    assert_eq!(ino("about/index.html"), about, "an unchanged page was written again");
    assert_ne!(ino("county/450802/index.html"), county, "a changed page was not written");
    assert!(t.read_output("county/450802/index.html").contains("0.24"));
    assert_ne!(t.read_output("robots.txt"), "tampered", "a hand-edited output file was kept");
    let fresh = tempfile::tempdir().unwrap();
    let target = fresh.path().join("out");
    junheng::build(&junheng::BuildOptions { site: t.site.clone(), output: Some(target.clone()), deny_warnings: false })
        .unwrap();
    let strip = |v: Vec<(String, Vec<u8>)>| -> Vec<(String, Vec<u8>)> {
        v.into_iter().filter(|(p, _)| p != ".junheng-manifest").collect()
    };
    assert!(
        strip(crate::support::tree(&t.output())) == strip(crate::support::tree(&target)),
        "differs from a fresh build"
    );
}
