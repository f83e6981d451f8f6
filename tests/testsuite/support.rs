//! `SiteTest`: copies a fixture site to a temp dir, runs junheng (library or binary) on it
//! and checks the output. Modelled on mdBook's `BookTest`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (also the demo site).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture copied to a temporary folder.
pub struct SiteTest {
    /// Keeps the folder alive.
    pub _dir: tempfile::TempDir,
    /// The site folder.
    pub site: PathBuf,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

impl SiteTest {
    /// Copies `tests/fixtures/<name>` (sites without `themes/` use the built-in theme).
    pub fn from_fixture(name: &str) -> SiteTest {
        let src = repo_root().join("tests/fixtures").join(name);
        assert!(src.is_dir(), "no fixture {}", src.display());
        Self::from_dir(&src)
    }

    /// Copies the demo site at the repository root (without its output).
    pub fn demo() -> SiteTest {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        for part in ["site.toml", "data", "content"] {
            let from = repo_root().join(part);
            if from.is_dir() {
                copy_dir(&from, &site.join(part));
            } else {
                std::fs::create_dir_all(&site).unwrap();
                std::fs::copy(&from, site.join(part)).unwrap();
            }
        }
        SiteTest { _dir: dir, site }
    }

    fn from_dir(src: &Path) -> SiteTest {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        copy_dir(src, &site);
        // `theme-overlay/` holds the site's own files over the built-in theme (a broken
        // template, say).
        let overlay = site.join("theme-overlay");
        if overlay.is_dir() {
            copy_dir(&overlay, &site.join("themes/default"));
            std::fs::remove_dir_all(&overlay).unwrap();
        }
        SiteTest { _dir: dir, site }
    }

    /// Writes the built-in theme's file `rel` (`templates/base.html`) into the site's
    /// `themes/default/`, as the site's own, to be edited (unless the site has it already).
    pub fn own_theme_file(&self, rel: &str) -> PathBuf {
        let path = self.site.join("themes/default").join(rel);
        if !path.exists() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::copy(repo_root().join("src/theme").join(rel), &path).unwrap();
        }
        path
    }

    /// The default output folder.
    pub fn output(&self) -> PathBuf {
        self.site.join("public")
    }

    /// Writes a file of the site.
    pub fn write(&self, rel: &str, text: &str) -> &Self {
        let p = self.site.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
        self
    }

    /// Builds with the library; panics with the diagnostics on failure.
    pub fn build(&self) -> junheng::BuildReport {
        match junheng::build(&junheng::BuildOptions { site: self.site.clone(), output: None, deny_warnings: false }) {
            Ok(r) => r,
            Err(junheng::Error::Site(d)) => panic!("build failed:\n{d}"),
            Err(e) => panic!("build failed: {e}"),
        }
    }

    /// Builds with the library, expecting failure.
    pub fn build_err(&self) -> junheng::Error {
        junheng::build(&junheng::BuildOptions { site: self.site.clone(), output: None, deny_warnings: false })
            .expect_err("the build should fail")
    }

    /// Reads an output file as text.
    pub fn read_output(&self, rel: &str) -> String {
        std::fs::read_to_string(self.output().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    /// Runs the binary in the site folder.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_junheng"));
        c.args(args).current_dir(&self.site).env("NO_COLOR", "1");
        c
    }

    /// Runs the binary and returns its output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }
}

/// The `<main>` element of a page.
pub fn main_of(html: &str) -> &str {
    let start = html.find("<main").expect("page has <main>");
    let end = html.find("</main>").expect("page has </main>") + "</main>".len();
    &html[start..end]
}

/// Every file below `root` with its bytes, sorted by relative path.
pub fn tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    junheng::util::fs::walk_files(root, "output")
        .unwrap()
        .into_iter()
        .map(|rel| {
            let bytes = std::fs::read(root.join(&rel)).unwrap();
            (rel, bytes)
        })
        .collect()
}

/// insta settings redacting the temp root and timings.
pub fn redactions(root: &Path) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(&regex_escape(&root.display().to_string()), "[ROOT]");
    s.add_filter(r"in \d+ ms", "in [ELAPSED]");
    s.add_filter(r"\(\d+ KiB\)", "([SIZE])");
    s.add_filter(&format!(r"\b{}\b", regex_escape(env!("CARGO_PKG_VERSION"))), "[VERSION]");
    s
}

fn regex_escape(s: &str) -> String {
    s.chars().map(|c| if "\\.+*?()|[]{}^$".contains(c) { format!("\\{c}") } else { c.to_string() }).collect()
}

/// `frictionless validate` of the data package in `data`: its report.
pub fn frictionless(data: &Path) -> serde_json::Value {
    let out = Command::new(python_tool("frictionless"))
        .args(["validate", "--json", "datapackage.json"])
        .current_dir(data)
        .output()
        .expect("frictionless runs");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// A Python tool of the test environment (`.tools/venv/bin/<name>`, installed by
/// `scripts/test-deps` from `scripts/test-requirements.txt`).
pub fn python_tool(name: &str) -> PathBuf {
    let path = repo_root().join(".tools/venv/bin").join(name);
    assert!(path.is_file(), "{name} is missing: run `scripts/test-deps` (expected {})", path.display());
    path
}

/// Runs a Python script with the test environment's Python; returns its standard output, or
/// panics with what it printed.
pub fn python(script: &str, args: &[&std::ffi::OsStr]) -> String {
    let out = std::process::Command::new(python_tool("python"))
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("Python runs");
    assert!(
        out.status.success(),
        "the Python script failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The rows of a sheet of a downloaded workbook as openpyxl reads them, keyed by field name (the
/// workbook's explanation sheet maps each header to its field).
pub fn workbook_rows(path: &Path, sheet: &str) -> Vec<std::collections::BTreeMap<String, serde_json::Value>> {
    let script = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
about = wb.worksheets[-1]
fields = {}
for row in about.iter_rows(values_only=True):
    if len(row) > 2 and isinstance(row[0], str) and isinstance(row[1], str) and row[2] in ("string", "number", "integer", "boolean"):
        fields[row[0]] = row[1]
rows = list(wb[sys.argv[2]].iter_rows(values_only=True))
header = [fields[h] for h in rows[0]]
print(json.dumps([dict(zip(header, r)) for r in rows[1:]], ensure_ascii=False, default=str))
"#;
    serde_json::from_str(&python(script, &[path.as_os_str(), std::ffi::OsStr::new(sheet)])).unwrap()
}

/// Saves a file as editors do: a temporary file renamed over the old one.
pub fn save(t: &SiteTest, rel: &str, text: &str) {
    let path = t.site.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let tmp = path.with_extension("junheng-test.tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
}

/// Replaces the first `from` by `to` in a file of the site, saved as an editor does.
pub fn edit(t: &SiteTest, rel: &str, from: &str, to: &str) {
    let text = std::fs::read_to_string(t.site.join(rel)).unwrap();
    assert!(text.contains(from), "{rel} has no {from:?}");
    save(t, rel, &text.replacen(from, to, 1));
}

/// `t` with basic-balance school standards for 广西 and one county's own (a test's figures, not
/// any province's), so that every table of the input format is written and read back.
pub fn with_standards(t: SiteTest) -> SiteTest {
    t.write(
        "data/standards.csv",
        "area,scheme,level,indicator,standard,source\n450000,basic,primary,teaching_area,4.5,guigang-2021\n450804,basic,junior,books,25.5,\n",
    );
    t
}

/// Opens each workbook in LibreOffice (headless) and saves it again as `.xlsx` into `out`, as a
/// person editing it in a spreadsheet would.
pub fn save_with_libreoffice(files: &[PathBuf], out: &std::path::Path) {
    let status = std::process::Command::new("soffice")
        .args(["--headless", "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir"])
        .arg(out)
        .args(files)
        .env("HOME", out)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("LibreOffice is installed (scripts/test-deps)");
    assert!(status.success());
}
