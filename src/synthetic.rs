//! A synthetic national site for benchmarks and scale tests: every county of the national list
//! (2,854; or `scale` times as many, the extra ones invented and attached to real prefectures),
//! ten school years of school-level rows with realistic shapes (~70 schools per county: primary
//! and junior schools, nine-year schools with a row per level, teaching points attached to a
//! central school), basic- and quality-balance milestones, a metric series and a ~2 KB narrative
//! per county. Deterministic: the same options give byte-identical files.
//!
//! Run it with `cargo run --release --example national -- DIR [--scale N] [--seed N]`.

use std::collections::HashSet;
use std::io::{BufWriter, Write};
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

use std::io::Result;

/// The start year of the last school year written (2023-2024).
pub const LAST_YEAR: u16 = 2023;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Copies of the national list (1 = the 2,854 real counties; 10 = ten times as many).
    pub scale: usize,
    /// Random seed.
    pub seed: u64,
    /// School years, ending with 2023-2024.
    pub years: u16,
    /// Mean number of schools per county.
    pub schools_per_county: usize,
    /// Published coefficients instead of school-level data: for each county, school year and
    /// level, the 8 basic indicators and the composite in `indicators.csv`, and no
    /// `schools.csv` (the shape of a portal that publishes the reported figures only).
    pub published_only: bool,
    /// Chinese pages only (no English).
    pub one_language: bool,
    /// Every how many counties of the national list one is kept (1: all; 40: 72 counties across
    /// every province, the benchmark's smoke size).
    pub every: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            scale: 1,
            seed: 2024,
            years: 10,
            schools_per_county: 70,
            published_only: false,
            one_language: false,
            every: 1,
        }
    }
}

/// What was generated.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    /// Counties.
    pub counties: usize,
    /// Rows of `schools.csv`.
    pub school_rows: usize,
}

struct County {
    code: String,
    name: String,
    prefecture_code: String,
    prefecture: String,
    province_code: String,
    province: String,
}

/// The counties: the national list (every `every`-th of it), then invented ones for
/// `scale > 1` (codes not in use).
fn counties(scale: usize, every: usize) -> Vec<County> {
    let base: Vec<County> = crate::model::validate::NATIONAL_COUNTIES
        .lines()
        .skip(1)
        .step_by(every.max(1))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f.len() >= 6).then(|| County {
                code: f[0].into(),
                name: f[1].into(),
                prefecture_code: f[2].into(),
                prefecture: f[3].into(),
                province_code: f[4].into(),
                province: f[5].into(),
            })
        })
        .collect();
    let mut used: HashSet<String> = base.iter().map(|c| c.code.clone()).collect();
    let mut out = Vec::with_capacity(base.len() * scale);
    for copy in 1..scale {
        for (i, c) in base.iter().enumerate() {
            // Same province (first two digits); a free code in its range.
            let mut n = (copy * base.len() + i) % 10_000;
            let code = loop {
                let candidate = format!("{}{:04}", &c.province_code[..2], n);
                if !used.contains(&candidate) && !candidate.ends_with("00") {
                    break candidate;
                }
                n = (n + 1) % 10_000;
            };
            used.insert(code.clone());
            out.push(County {
                code,
                name: format!("{}{copy}", c.name),
                prefecture_code: c.prefecture_code.clone(),
                prefecture: c.prefecture.clone(),
                province_code: c.province_code.clone(),
                province: c.province.clone(),
            });
        }
    }
    let mut all = base;
    all.extend(out);
    all.sort_by(|a, b| a.code.cmp(&b.code));
    all
}

/// The site's `site.toml`: both languages, or Chinese only.
fn site_toml(one_language: bool) -> String {
    let text = |zh: &str, en: &str| {
        if one_language { format!(r#"{{ zh-CN = "{zh}" }}"#) } else { format!(r#"{{ zh-CN = "{zh}", en = "{en}" }}"#) }
    };
    format!(
        r#"# A synthetic national site (junheng::synthetic): invented figures for benchmarks.
title = {title}
base_url = "https://example.org/national/"
languages = {languages}
publisher = {publisher}
theme = "default"

[metrics.big_classes]
name = {big_classes}

# A national portal publishes the school-by-school audit of the latest school year only
# (coefficients of every year are still computed and shown).
[settings]
audit_years = "latest"
"#,
        title = text("全国县域义务教育均衡发展（合成数据）", "County education balance, national (synthetic data)"),
        languages = if one_language { r#"["zh-CN"]"# } else { r#"["zh-CN", "en"]"# },
        publisher = text("junheng 合成数据", "junheng synthetic data"),
        big_classes = text("大班额班级数（55人以上）", "Big classes (more than 55 pupils)"),
    )
}

/// Writes the synthetic site into `dir` (which must not hold a site yet); it uses the built-in theme.
pub fn generate(dir: &Path, opts: &Options) -> Result<Summary> {
    let mut rng = Pcg64Mcg::seed_from_u64(opts.seed);
    let counties = counties(opts.scale.max(1), opts.every);
    std::fs::create_dir_all(dir.join("data"))?;
    std::fs::create_dir_all(dir.join("content/counties"))?;
    std::fs::write(dir.join("site.toml"), site_toml(opts.one_language))?;
    std::fs::write(
        dir.join("data/sources.csv"),
        "id,title,publisher,date,url\nsynthetic,合成数据（虚构，仅用于性能测试）,junheng,2024,\n",
    )?;

    let file = |name: &str| -> Result<BufWriter<std::fs::File>> {
        Ok(BufWriter::with_capacity(1 << 20, std::fs::File::create(dir.join("data").join(name))?))
    };
    let mut w = file("counties.csv")?;
    writeln!(w, "code,name,prefecture_code,prefecture,province_code,province,name_en")?;
    for c in &counties {
        writeln!(
            w,
            "{},{},{},{},{},{},",
            c.code, c.name, c.prefecture_code, c.prefecture, c.province_code, c.province
        )?;
    }
    w.flush()?;

    let last_year = LAST_YEAR;
    let first_year = last_year + 1 - opts.years.max(1);
    let mut milestones = file("milestones.csv")?;
    writeln!(milestones, "area,date,event,title,source")?;
    let mut metrics = file("metrics.csv")?;
    writeln!(metrics, "area,period,metric,value,unit,source")?;
    let mut indicators = file("indicators.csv")?;
    writeln!(indicators, "county,school_year,level,scheme,indicator,value,cv,source")?;
    let mut schools = (!opts.published_only).then(|| file("schools.csv")).transpose()?;
    if let Some(schools) = schools.as_mut() {
        writeln!(
            schools,
            "school_id,school_name,county,school_year,level,school_type,students,teaching_area_m2,sports_area_m2,equipment_yuan,computers,books,multimedia_rooms,teachers,teachers_above_degree,teachers_mid_title,teachers_backbone,teachers_pe_art,senior_students,parent_school_id,source"
        )?;
    }
    let mut summary = Summary { counties: counties.len(), school_rows: 0 };
    let mut line = String::with_capacity(256);
    for c in &counties {
        let plan = write_milestones(&mut milestones, &mut rng, c)?;
        write_metrics(&mut metrics, &mut rng, c)?;
        let n = (opts.schools_per_county as f64 * rng.random_range(0.7..1.3)).round() as usize;
        match schools.as_mut() {
            Some(schools) => {
                let years = first_year..=last_year;
                summary.school_rows += write_schools(schools, &mut rng, c, n, years, &mut line)?;
            }
            None => write_published(&mut indicators, &mut rng, c, first_year..=last_year)?,
        }
        write_narrative(dir, c, n, plan, last_year)?;
    }
    milestones.flush()?;
    metrics.flush()?;
    indicators.flush()?;
    if let Some(mut schools) = schools {
        schools.flush()?;
    }
    Ok(summary)
}

/// The output files of the generator.
type Out = BufWriter<std::fs::File>;

/// A county's milestones: plan → provincial assessment → national inspection → recognition,
/// and for some the quality-balance plan and recognition. Returns the plan's year.
fn write_milestones(w: &mut Out, rng: &mut Pcg64Mcg, c: &County) -> Result<u16> {
    let plan = rng.random_range(2012..=2015);
    let assess = plan + rng.random_range(1..=4);
    let m1 = rng.random_range(1..=9);
    writeln!(w, "{},{plan},plan,{}县域义务教育均衡发展规划,synthetic", c.code, c.name)?;
    writeln!(w, "{},{assess}-{m1:02},provincial_assessment,通过省级督导评估,synthetic", c.code)?;
    writeln!(
        w,
        "{},{assess}-{:02}-{:02},national_inspection,国家督导检查组实地检查,synthetic",
        c.code,
        m1 + 2,
        rng.random_range(1..=28)
    )?;
    writeln!(w, "{},{assess}-{:02},national_recognition,通过国家义务教育基本均衡发展认定,synthetic", c.code, m1 + 3)?;
    if rng.random_bool(0.3) {
        writeln!(w, "{},{},quality_plan,优质均衡发展规划,synthetic", c.code, rng.random_range(2020..=2022))?;
        if rng.random_bool(0.15) {
            writeln!(
                w,
                "{},2024-{:02},quality_recognition,通过优质均衡发展国家认定,synthetic",
                c.code,
                rng.random_range(1..=6)
            )?;
        }
    }
    Ok(plan)
}

/// A county's big classes over the last five years.
fn write_metrics(w: &mut Out, rng: &mut Pcg64Mcg, c: &County) -> Result<()> {
    let mut big = rng.random_range(20.0..400.0_f64);
    for year in (LAST_YEAR - 4)..=LAST_YEAR {
        writeln!(w, "{},{year},big_classes,{},个,synthetic", c.code, big.round())?;
        big *= rng.random_range(0.4..0.9);
    }
    Ok(())
}

/// Published coefficients: the 8 basic indicators and the composite per level and school year.
fn write_published(w: &mut Out, rng: &mut Pcg64Mcg, c: &County, years: std::ops::RangeInclusive<u16>) -> Result<()> {
    for year in years {
        for level in ["primary", "junior"] {
            let mut composite = 0.0;
            for ind in crate::model::rules::BASIC_INDICATORS {
                let cv: f64 = rng.random_range(0.12..0.75);
                composite += cv / 8.0;
                let value: f64 = rng.random_range(1.0..30.0);
                writeln!(w, "{},{year}-{},{level},basic,{},{value:.2},{cv:.3},synthetic", c.code, year + 1, ind.id)?;
            }
            writeln!(w, "{},{year}-{},{level},basic,composite,,{composite:.3},synthetic", c.code, year + 1)?;
        }
    }
    Ok(())
}

/// One school of a county's stable list.
struct School {
    ty: &'static str,
    students: f64,
    factor: f64,
    parent: Option<usize>,
}

/// A county's `n` schools: primary and junior schools, nine-year schools, teaching points
/// attached to a central primary school.
fn school_list(rng: &mut Pcg64Mcg, n: usize) -> Vec<School> {
    let mut list: Vec<School> = Vec::with_capacity(n);
    for i in 0..n {
        let r: f64 = rng.random();
        let (ty, students) = if r < 0.62 {
            ("primary", rng.random_range(150.0..2600.0))
        } else if r < 0.80 {
            ("junior", rng.random_range(300.0..3200.0))
        } else if r < 0.88 {
            ("nine_year", rng.random_range(400.0..2400.0))
        } else {
            ("teaching_point", rng.random_range(8.0..95.0))
        };
        let parent =
            (ty == "teaching_point" && i > 0).then(|| rng.random_range(0..i)).filter(|p| list[*p].ty == "primary");
        let ty = if ty == "teaching_point" && parent.is_none() { "primary" } else { ty };
        list.push(School { ty, students, factor: rng.random_range(0.55..1.5), parent });
    }
    list
}

/// A county's school rows over `years`: a stable list of `n` schools whose enrolment and
/// resources drift year to year. Returns the number of rows.
fn write_schools(
    w: &mut Out,
    rng: &mut Pcg64Mcg,
    c: &County,
    n: usize,
    years: std::ops::RangeInclusive<u16>,
    line: &mut String,
) -> Result<usize> {
    let wealth = rng.random_range(0.7..1.4);
    let mut list = school_list(rng, n);
    let first_year = *years.start();
    let mut rows = 0;
    for year in years {
        let growth = 1.0 + 0.04 * f64::from(year - first_year);
        let school_year = format!("{year}-{}", year + 1);
        for (i, s) in list.iter_mut().enumerate() {
            s.students = (s.students * rng.random_range(0.95..1.05)).max(5.0);
            // Schools converge towards the county's level over the years.
            s.factor = 1.0 + (s.factor - 1.0) * 0.97;
            let levels: &[(&str, f64)] = match s.ty {
                "nine_year" => &[("primary", 0.62), ("junior", 0.38)],
                "junior" => &[("junior", 1.0)],
                _ => &[("primary", 1.0)],
            };
            let whole = s.students;
            let k = wealth * s.factor * growth;
            let facilities = [
                (whole * 5.2 * k).round(),
                (whole * 9.0 * k).round(),
                (whole * 2300.0 * k).round(),
                (whole * 0.12 * k).round(),
                (whole * 32.0 * k).round(),
                (whole * 0.028 * k).round().max(1.0),
            ];
            let parent = s.parent.map(|p| format!("{}{p:04}", c.code)).unwrap_or_default();
            for (level, share) in levels {
                let p = (whole * share).round().max(1.0);
                let teachers = (p / rng.random_range(13.0..19.0)).round().max(1.0);
                let mut part = |f: f64| (teachers * f * rng.random_range(0.7..1.2)).round().min(teachers);
                line.clear();
                use std::fmt::Write as _;
                let _ = write!(
                    line,
                    "{code}{i:04},{name}第{i}{kind},{code},{school_year},{level},{ty},{p},{},{},{},{},{},{},{teachers},{},{},{},{},,{parent},synthetic",
                    facilities[0],
                    facilities[1],
                    facilities[2],
                    facilities[3],
                    facilities[4],
                    facilities[5],
                    part(0.92),
                    part(0.45),
                    part(0.15),
                    part(0.12),
                    code = c.code,
                    name = c.name,
                    kind = if s.ty == "teaching_point" { "教学点" } else { "学校" },
                    ty = s.ty,
                );
                writeln!(w, "{line}")?;
                rows += 1;
            }
        }
    }
    Ok(rows)
}

/// A narrative of about 2 KB for county `c` (of `n` schools).
fn write_narrative(dir: &Path, c: &County, n: usize, plan: u16, last_year: u16) -> Result<()> {
    let mut text = format!(
        "+++\ntitle = \"{name}义务教育均衡发展概况\"\ndate = \"{last_year}\"\nsources = [\"synthetic\"]\n+++\n\n",
        name = c.name
    );
    for p in 0..6 {
        text.push_str(&format!(
        "{name}共有义务教育学校{n}所。{year}年以来，{name}持续改善办学条件，新建和改扩建校舍，补充教学仪器设备和图书，推进教师县管校聘和城乡教师交流轮岗，第{p}项重点工作按计划推进，各项指标的校际差异逐年缩小。\n\n",
        name = c.name,
        year = plan + p,
        ));
    }
    text.push_str("本页数据为合成数据，仅用于性能测试。\n");
    std::fs::write(dir.join("content/counties").join(format!("{}.md", c.code)), text)
}
