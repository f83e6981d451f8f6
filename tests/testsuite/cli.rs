//! The command line: help, exit codes, output of build and check.

use insta_cmd::assert_cmd_snapshot;

use crate::support::{SiteTest, redactions};

// Guards `--help`, which documents the exit codes.
#[test]
fn help() {
    let t = SiteTest::from_fixture("build/minimal");
    assert_cmd_snapshot!(t.cmd(&["--help"]));
    assert_cmd_snapshot!(t.cmd(&["build", "--help"]));
}

// Guards a successful build's summary line and exit code 0.
#[test]
fn build_success() {
    let t = SiteTest::from_fixture("build/minimal");
    redactions(&t.site).bind(|| assert_cmd_snapshot!(t.cmd(&["build"])));
}

// Guards exit code 1 and the diagnostic of a data error.
#[test]
fn build_with_data_error() {
    let t = SiteTest::from_fixture("build/minimal");
    t.write("data/counties.csv", "code,name,prefecture_code,prefecture,province_code,province\n45080,港北区,450800,贵港市,450000,广西壮族自治区\n");
    redactions(&t.site).bind(|| assert_cmd_snapshot!(t.cmd(&["build"])));
    assert!(!t.output().exists());
}

// Guards `check` reporting several errors at once, sorted by file and line.
#[test]
fn check_reports_every_error() {
    let t = SiteTest::from_fixture("build/minimal");
    t.write(
        "data/indicators.csv",
        "county,school_year,level,scheme,indicator,value,cv,source\n450802,2020-2022,primary,basic,books,1,0.2,r1\n450802,2020-2021,middle,basic,books,1,0.2,r9\n450802,2020-2021,primary,quality,composite,,0.2,r1\n",
    );
    t.write("data/milestones.csv", "area,date,event,title,source\n450802,2018-02-30,national_recognition,x,r1\n");
    redactions(&t.site).bind(|| assert_cmd_snapshot!(t.cmd(&["check"])));
}

// Guards exit code 2 for an unknown flag and for a missing site folder.
#[test]
fn usage_errors() {
    let t = SiteTest::from_fixture("build/minimal");
    assert_cmd_snapshot!(t.cmd(&["build", "--colour"]));
    let out = t.run(&["build", "--site", "no-such-folder"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`no-such-folder` does not exist"));
}

// Guards warnings: printed with a summary, exit 0; `--deny-warnings` makes them errors (exit 1,
// nothing written).
#[test]
fn warnings_and_deny_warnings() {
    let t = SiteTest::from_fixture("build/minimal");
    t.write(
        "data/schools.csv",
        "school_id,school_name,county,school_year,level,school_type,students,teachers\n2145080201,港北区第一小学,450802,2020-2021,primary,primary,120,1300\n",
    );
    redactions(&t.site).bind(|| assert_cmd_snapshot!("warning_build", t.cmd(&["build"])));
    std::fs::remove_dir_all(t.output()).unwrap();
    redactions(&t.site).bind(|| assert_cmd_snapshot!("warning_denied", t.cmd(&["build", "--deny-warnings"])));
    assert!(!t.output().exists());
}
