//! A site folder is untrusted input: each test here is a careless or hostile contributor's
//! change to a copy of the demo (generated here; nothing large is committed), built by the
//! binary within 10 s and 500 MiB (the process's own peak, from `wait4`), with no panic or
//! abort, the previous output intact, and nothing from outside the site read or printed.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::SiteTest;

/// What a bounded run of the binary did.
struct Bounded {
    code: Option<i32>,
    stderr: String,
    stdout: String,
    peak_mib: u64,
    took: Duration,
}

const MAX_TIME: Duration = Duration::from_secs(10);
const MAX_MIB: u64 = 500;

/// Runs `cmd`, killing it past [`MAX_TIME`], and measures its peak memory.
fn bounded(mut cmd: Command) -> Bounded {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));
    cmd.stdout(std::fs::File::create(&out).unwrap()).stderr(std::fs::File::create(&err).unwrap()).stdin(Stdio::null());
    let start = Instant::now();
    let child = cmd.spawn().unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data, filled in by the kernel.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: waits for our own child, with valid pointers.
        let done = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if done == pid {
            break;
        }
        if start.elapsed() > MAX_TIME + Duration::from_secs(20) {
            // SAFETY: kills our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    std::mem::forget(child);
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    Bounded {
        code,
        stderr: std::fs::read_to_string(err).unwrap_or_default(),
        stdout: std::fs::read_to_string(out).unwrap_or_default(),
        peak_mib: usage.ru_maxrss as u64 / 1024,
        took: start.elapsed(),
    }
}

impl Bounded {
    /// Asserts the run ended as a site error (exit 1) within the bounds, its report naming
    /// each of `expected`, and printing nothing of `/etc/passwd` or the environment.
    fn refused(&self, expected: &[&str]) -> &Self {
        assert_eq!(self.code, Some(1), "expected exit 1, got {:?}:\n{}", self.code, self.stderr);
        self.within_bounds();
        for e in expected {
            assert!(self.stderr.contains(e), "expected `{e}` in:\n{}", self.stderr);
        }
        self
    }

    fn within_bounds(&self) {
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        assert!(self.took < MAX_TIME, "took {:?}", self.took);
        assert!(self.peak_mib < MAX_MIB, "peak {} MiB", self.peak_mib);
        for leak in ["root:x:0:0", "PATH=", "CARGO_"] {
            assert!(!self.stderr.contains(leak) && !self.stdout.contains(leak), "`{leak}` printed");
        }
        assert!(self.stderr.len() < 64 << 10, "a report of {} bytes", self.stderr.len());
    }
}

/// The demo built once, so that a failed build can be checked to leave it as it was.
fn built_demo() -> (SiteTest, Vec<(String, Vec<u8>)>) {
    let site = SiteTest::demo();
    let out = bounded(site.cmd(&["build"]));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let before = crate::support::tree(&site.output());
    (site, before)
}

/// Builds `site` (expecting failure) and checks the previous output is intact.
fn build_refused(site: &SiteTest, before: &[(String, Vec<u8>)], expected: &[&str]) {
    bounded(site.cmd(&["build"])).refused(expected);
    assert!(crate::support::tree(&site.output()) == before, "the previous output changed");
}

fn symlink(target: &str, link: &Path) {
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(link);
    std::os::unix::fs::symlink(target, link).unwrap();
}

// Guards that no link in the site is followed: a theme's static file, a template, a data
// table, a page and a whole folder linked to files outside the site (secrets, devices) are
// refused by name, unread; so are a pipe and a link to /dev/zero.
#[test]
fn links_pipes_and_devices_are_refused_unread() {
    let (site, before) = built_demo();
    let cases: [(&str, &str); 7] = [
        ("themes/default/static/passwd.txt", "/etc/passwd"),
        ("themes/default/static/env.txt", "/proc/self/environ"),
        ("themes/default/templates/base.html", "/etc/passwd"),
        ("data/sources.csv", "/etc/passwd"),
        ("content/news/leak.md", "/proc/self/environ"),
        ("content/etc", "/etc"),
        ("themes/default/static/zero.bin", "/dev/zero"),
    ];
    for (rel, target) in cases {
        let link = site.site.join(rel);
        let saved = std::fs::read(&link).ok();
        symlink(target, &link);
        build_refused(&site, &before, &[rel, "found a symbolic link"]);
        std::fs::remove_file(&link).unwrap();
        if let Some(bytes) = saved {
            std::fs::write(&link, bytes).unwrap();
        }
    }
    let fifo = site.site.join("themes/default/static/pipe");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    build_refused(&site, &before, &["themes/default/static/pipe", "found a named pipe"]);
    std::fs::remove_file(&fifo).unwrap();
    // And `check` and `serve` read the site the same way (serve reports and keeps going).
    symlink("/etc/passwd", &site.site.join("data/sources.csv"));
    bounded(site.cmd(&["check"])).refused(&["data/sources.csv", "found a symbolic link"]);
}

// Guards file sizes checked before reading: a data table over its limit (a sparse file of
// 2 GiB) is refused at once, naming the limit.
#[test]
fn files_over_their_limit_are_refused_before_reading() {
    let (site, before) = built_demo();
    let f = std::fs::OpenOptions::new().append(true).open(site.site.join("data/metrics.csv")).unwrap();
    f.set_len(2 << 30).unwrap();
    build_refused(&site, &before, &["data/metrics.csv", "of at most 1 GiB, found 2 GiB"]);
    let f = std::fs::OpenOptions::new().append(true).open(site.site.join("data/metrics.csv")).unwrap();
    f.set_len(0).unwrap();
    site.write("content/news/big.md", &format!("+++\ntitle = \"x\"\n+++\n{}", "a".repeat(5 << 20)));
    build_refused(&site, &before, &["content/news/big.md", "of at most 4 MiB"]);
}

// Guards CSV lines: a 200 MB line is refused in bounded memory with a short report (the line
// is shown around the problem only); NUL and ESC in cells are errors naming line and field;
// a text longer than a workbook cell holds is an error, never a panic of the workbook writer.
#[test]
fn long_lines_control_characters_and_long_texts_in_tables() {
    let (site, before) = built_demo();
    let sources = std::fs::read_to_string(site.site.join("data/sources.csv")).unwrap();
    let mut f = std::fs::OpenOptions::new().append(true).open(site.site.join("data/sources.csv")).unwrap();
    let chunk = "x".repeat(1 << 20);
    write!(f, "long,").unwrap();
    for _ in 0..200 {
        f.write_all(chunk.as_bytes()).unwrap();
    }
    writeln!(f, ",,,").unwrap();
    drop(f);
    build_refused(&site, &before, &["data/sources.csv:", "expected lines of at most 1 MiB, found one of 200 MiB"]);

    site.write("data/sources.csv", &format!("{sources}nul,a\u{0}b,,,,\nesc,\"t\u{1b}[2J\",,,,\n"));
    let lines = sources.lines().count();
    build_refused(
        &site,
        &before,
        &[
            &format!("data/sources.csv:{}:", lines + 1),
            "field `title`: expected text without control characters, found U+0000",
            "found U+001B",
        ],
    );

    let schools = std::fs::read_to_string(site.site.join("data/schools.csv")).unwrap();
    let long = "校".repeat(40_000);
    site.write("data/sources.csv", &sources);
    site.write("data/schools.csv", &schools.replacen("覃塘区城区第一小学", &long, 1));
    build_refused(&site, &before, &["field `school_name`: expected a text of at most 32767 characters", "found 40000"]);
    bounded(site.cmd(&["check"])).refused(&["found 40000"]);
}

/// A workbook of `rows` written with rust_xlsxwriter (`(row, column, text)`), as `path`.
fn workbook(path: &Path, cells: &[(u32, u16, &str)]) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, c, text) in cells {
        ws.write_string(*r, *c, *text).unwrap();
    }
    wb.save(path).unwrap();
}

// Guards workbooks: a stray cell at the last address Excel allows, or far right of the
// table, costs one cell and one error (not a grid of billions of cells); parts that unpack
// past the limit (a zip bomb) are refused before they are unpacked.
#[test]
fn workbooks_are_bounded() {
    let (site, before) = built_demo();
    std::fs::remove_file(site.site.join("data/sources.csv")).unwrap();
    let book = site.site.join("data/sources.xlsx");
    let header = [(0, 0, "id"), (0, 1, "title"), (1, 0, "a"), (1, 1, "A source")];
    workbook(&book, &[&header[..], &[(1_048_575, 16_383, "x")]].concat());
    build_refused(&site, &before, &["data/sources.xlsx: sheet Sheet1, cell XFD1048576", "outside the table's columns"]);
    workbook(&book, &[&header[..], &[(1_048_575, 51, "x"), (1_048_575, 52, "y")]].concat());
    let out = bounded(site.cmd(&["build"]));
    out.refused(&["cell AZ1048576"]);
    assert_eq!(out.stderr.matches("outside the table's columns").count(), 1, "{}", out.stderr);

    // A row past the last one a sheet has (no spreadsheet writes it: the sheet is edited).
    workbook(&book, &[&header[..], &[(2, 0, "b")]].concat());
    let bytes = std::fs::read(&book).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::fs::File::create(&book).unwrap());
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).unwrap();
        let name = part.name().unwrap().to_string();
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut part, &mut text).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            let xml = String::from_utf8(text)
                .unwrap()
                .replace(r#"r="3""#, r#"r="1048577""#)
                .replace(r#"r="A3""#, r#"r="A1048577""#);
            assert!(xml.contains("A1048577"), "{xml}");
            text = xml.into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(&text).unwrap();
    }
    out.finish().unwrap();
    build_refused(&site, &before, &["cell A1048577", "expected rows up to 1048576"]);

    // A part of 300 MiB of zeros: a few hundred KiB zipped.
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&book).unwrap());
    let deflated =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).large_file(false);
    zip.start_file("xl/sharedStrings.xml", deflated).unwrap();
    let zeros = vec![b'0'; 1 << 20];
    for _ in 0..300 {
        zip.write_all(&zeros).unwrap();
    }
    zip.finish().unwrap();
    build_refused(
        &site,
        &before,
        &[
            "data/sources.xlsx",
            "part other than a sheet of a workbook to unpack to at most 256 MiB, found `xl/sharedStrings.xml` of 300 MiB",
        ],
    );
}

// Guards Markdown: raw HTML nested 50,000 deep is an error found in linear time (the
// sanitizer never sees it); links and images to scripts never reach a page in either
// raw-HTML mode, with a warning naming the line.
#[test]
fn markdown_nesting_and_script_links() {
    let (site, before) = built_demo();
    site.write("content/news/deep.md", &format!("+++\ntitle = \"x\"\n+++\n{}", "<div>".repeat(50_000)));
    build_refused(&site, &before, &["content/news/deep.md:4:", "nested at most 64 deep"]);
    std::fs::remove_file(site.site.join("content/news/deep.md")).unwrap();
    let md = "+++\ntitle = \"x\"\n+++\n[a](javascript:alert('md')) <javascript:alert(1)> [r][ref] ![i](javascript:alert(2))\n\n[ref]: javascript:alert(3)\n";
    site.write("content/news/links.md", md);
    let config = std::fs::read_to_string(site.site.join("site.toml")).unwrap();
    for mode in ["escape", "sanitize"] {
        site.write("site.toml", &format!("{config}\n[settings]\nraw_html = \"{mode}\"\n"));
        let out = bounded(site.cmd(&["build"]));
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        out.within_bounds();
        assert!(
            out.stderr.contains("content/news/links.md:4:1: link to `javascript:alert('md')` removed"),
            "{}",
            out.stderr
        );
        let page = site.read_output("news/links/index.html").to_ascii_lowercase();
        assert!(!page.contains("=\"javascript:") && !page.contains("=javascript:"), "{mode}: {page}");
    }
    let before = crate::support::tree(&site.output());
    site.write("site.toml", &config.replace("https://creativecommons.org/licenses/by/4.0/", "javascript:alert(1)"));
    build_refused(&site, &before, &["site.toml:", "field `license_url`"]);
}

// Guards templates of the site's theme: loops of loops and a string doubled in a macro run
// out of fuel, a flood of output stops at the page limit; each is an error naming the
// template, not a hang or an abort.
#[test]
fn templates_are_bounded() {
    let (site, before) = built_demo();
    let path = site.own_theme_file("templates/index.html");
    let original = std::fs::read_to_string(&path).unwrap();
    let cases = [
        "{% for a in range(100000) %}{% for b in range(100000) %}{% for c in range(100000) %}{% endfor %}{% endfor %}{% endfor %}",
        "{% macro d(s, n) %}{% if n > 0 %}{{ d(s ~ s, n - 1) }}{% else %}{{ s|length }}{% endif %}{% endmacro %}{{ d('xxxxxxxx', 40) }}",
        "{% for a in range(100000) %}{% for b in range(1000) %}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{% endfor %}{% endfor %}",
    ];
    for case in cases {
        std::fs::write(&path, original.replacen("{% block main %}", &format!("{{% block main %}}{case}"), 1)).unwrap();
        build_refused(&site, &before, &["themes/default/templates/index.html"]);
    }
}

// Guards the folders beside the output: a leftover staging or previous-output folder is
// removed only when junheng's manifest marks it, else the build refuses to touch it.
#[test]
fn leftover_folders_are_removed_only_when_ours() {
    let (site, _) = built_demo();
    for name in [".public.junheng-old", ".public.junheng-staging"] {
        let dir = site.site.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("mine.txt"), "a user's file").unwrap();
        let out = bounded(site.cmd(&["build"]));
        assert_eq!(out.code, Some(2), "{}", out.stderr);
        assert!(out.stderr.contains("refusing to remove") && out.stderr.contains(name), "{}", out.stderr);
        assert!(dir.join("mine.txt").is_file());
        std::fs::remove_dir_all(&dir).unwrap();
        // A staging folder left by a build that was killed is junheng's: it goes.
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(".junheng-manifest"),
            "# written by junheng; files listed here are replaced on each build\n",
        )
        .unwrap();
        std::fs::write(dir.join("index.html"), "half written").unwrap();
        let out = bounded(site.cmd(&["build"]));
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        assert!(!dir.exists());
        // So is an empty one (a build killed before it marked its folder).
        std::fs::create_dir_all(&dir).unwrap();
        let out = bounded(site.cmd(&["build"]));
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        assert!(!dir.exists());
    }
}

// Guards every feed and sitemap of the demo as well-formed XML for a strict parser (expat).
#[test]
fn feeds_and_sitemaps_are_well_formed_xml() {
    let (site, _) = built_demo();
    let files: Vec<String> = crate::support::tree(&site.output())
        .into_iter()
        .filter(|(rel, _)| rel.ends_with(".xml"))
        .map(|(rel, _)| site.output().join(rel).display().to_string())
        .collect();
    assert!(files.len() > 10, "{files:?}");
    let out = Command::new("python3")
        .arg("-c")
        .arg("import sys, xml.dom.minidom\nfor f in sys.argv[1:]:\n    xml.dom.minidom.parse(f)\nprint(len(sys.argv) - 1)")
        .args(&files)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
