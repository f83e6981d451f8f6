//! The load stage for the theme: the built-in theme (`src/theme/`, compiled in) with the site's own
//! `themes/<name>/` files over it → [`Theme`]: templates, stylesheets, static files and UI
//! strings per language (`i18n/<lang>.toml`, nested tables flattened to dotted keys).

use std::collections::BTreeMap;
use std::path::Path;

use crate::config::toml_diagnostic;
use crate::diag::{Diagnostic, Diagnostics};
use crate::error::{Error, Result};
use crate::limits::FileKind;
use crate::util::fs;

/// The theme built into junheng (`src/theme/`), so a site needs no theme folder.
/// `tests/testsuite/new.rs` checks this list against `src/theme/`.
pub const BUILT_IN: &[(&str, &[u8])] = &[
    ("css/site.css", include_bytes!("../theme/css/site.css")),
    ("i18n/en.toml", include_bytes!("../theme/i18n/en.toml")),
    ("i18n/zh-CN.toml", include_bytes!("../theme/i18n/zh-CN.toml")),
    ("static/favicon.svg", include_bytes!("../theme/static/favicon.svg")),
    ("static/finder.js", include_bytes!("../theme/static/finder.js")),
    ("static/sort.js", include_bytes!("../theme/static/sort.js")),
    ("templates/404.html", include_bytes!("../theme/templates/404.html")),
    ("templates/area.html", include_bytes!("../theme/templates/area.html")),
    ("templates/base.html", include_bytes!("../theme/templates/base.html")),
    ("templates/changes.html", include_bytes!("../theme/templates/changes.html")),
    ("templates/computation.html", include_bytes!("../theme/templates/computation.html")),
    ("templates/county.html", include_bytes!("../theme/templates/county.html")),
    ("templates/downloads.html", include_bytes!("../theme/templates/downloads.html")),
    ("templates/index.html", include_bytes!("../theme/templates/index.html")),
    ("templates/indicator.html", include_bytes!("../theme/templates/indicator.html")),
    ("templates/indicators.html", include_bytes!("../theme/templates/indicators.html")),
    ("templates/macros.html", include_bytes!("../theme/templates/macros.html")),
    ("templates/page.html", include_bytes!("../theme/templates/page.html")),
    ("templates/schools.html", include_bytes!("../theme/templates/schools.html")),
    ("templates/section.html", include_bytes!("../theme/templates/section.html")),
    ("templates/timeline.html", include_bytes!("../theme/templates/timeline.html")),
];

/// How diagnostics name a file of the built-in theme.
pub const BUILT_IN_DIR: &str = "(built-in theme)";

/// Where each file of a theme came from: the site's folder overrides single files of the
/// built-in theme.
#[derive(Debug, Clone, Default, PartialEq, Hash)]
pub struct ThemeFiles {
    /// Site-relative folder of the site's own files (`themes/default`).
    pub dir: String,
    /// The files taken from that folder (`templates/county.html`, `i18n/en.toml` …).
    pub overrides: std::collections::BTreeSet<String>,
}

impl ThemeFiles {
    /// The path diagnostics give for the theme file `rel` (`templates/county.html`).
    pub fn path(&self, rel: &str) -> String {
        match self.overrides.contains(rel) {
            true => format!("{}/{rel}", self.dir),
            false => format!("{BUILT_IN_DIR}/{rel}"),
        }
    }
}

/// A theme: the built-in one with the site's own files over it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Theme {
    /// Where each file came from.
    pub files: ThemeFiles,
    /// Templates: name (relative to `templates/`) → source.
    pub templates: BTreeMap<String, String>,
    /// Stylesheets: name (relative to `css/`) → source.
    pub css: BTreeMap<String, String>,
    /// Static files: output path → bytes.
    pub static_files: BTreeMap<String, Vec<u8>>,
    /// UI strings: language → dotted key → text.
    pub strings: BTreeMap<String, BTreeMap<String, String>>,
}

/// Reads the theme `name` of the site at `root`: the built-in theme, then each file of the
/// site's `themes/<name>/` in place of the built-in file of the same path (a UI-string file
/// replaces the strings it gives, key by key). A theme other than `default` must have its
/// folder.
pub fn load(root: &Path, name: &str, languages: &[String], diags: &mut Diagnostics) -> Result<Theme> {
    let rel = format!("themes/{name}");
    let present = fs::site_dir(root, &rel)?;
    if name != "default" && !present {
        return Err(Error::Usage(format!(
            "theme `{name}` not found: expected a folder `{rel}` beside `site.toml` (or no `theme` setting, for the built-in theme)"
        )));
    }
    let mut own: Vec<(String, Vec<u8>)> = Vec::new();
    if present {
        for f in fs::walk_files(&root.join(&rel), &rel)? {
            let kind = if f.starts_with("static/") { FileKind::Static } else { FileKind::ThemeText };
            let bytes = fs::read_site_file(root, &format!("{rel}/{f}"), kind)?;
            own.push((f, bytes));
        }
    }
    let mut theme = Theme { files: ThemeFiles { dir: rel, ..ThemeFiles::default() }, ..Theme::default() };
    let built_in = BUILT_IN.iter().map(|(f, b)| (f.to_string(), b.to_vec()));
    // The built-in files first, so that each of the site's replaces its namesake.
    for (sites_own, (f, bytes)) in built_in.map(|x| (false, x)).chain(own.into_iter().map(|x| (true, x))) {
        if sites_own {
            theme.files.overrides.insert(f.clone());
        }
        add_file(&mut theme, &f, bytes, languages, diags);
    }
    check_string_sets(&theme, languages, diags);
    Ok(theme)
}

/// The UI strings of the built-in theme in `languages` (for what junheng writes outside a
/// site's build: the data-entry workbooks).
pub fn built_in_strings(languages: &[String]) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut theme = Theme::default();
    let mut diags = Diagnostics::new();
    for (f, bytes) in BUILT_IN.iter().filter(|(f, _)| f.starts_with("i18n/")) {
        add_file(&mut theme, f, bytes.to_vec(), languages, &mut diags);
    }
    theme.strings
}

/// Adds the theme file `f` (relative to the theme's folder) to `theme`.
fn add_file(theme: &mut Theme, f: &str, bytes: Vec<u8>, languages: &[String], diags: &mut Diagnostics) {
    let file = theme.files.path(f);
    let Some((sub, name)) = f.split_once('/') else {
        return;
    };
    match sub {
        "templates" if [".html", ".xml", ".txt"].iter().any(|e| name.ends_with(e)) => {
            theme.templates.insert(name.to_string(), text_of(bytes, &file, diags));
        }
        "css" if name.ends_with(".css") => {
            theme.css.insert(name.to_string(), text_of(bytes, &file, diags));
        }
        "static" => {
            theme.static_files.insert(name.to_string(), bytes);
        }
        "i18n" => {
            let Some(lang) = name.strip_suffix(".toml").filter(|l| languages.iter().any(|x| x == l)) else {
                return;
            };
            let text = text_of(bytes, &file, diags);
            match toml::from_str::<toml::Table>(&text) {
                Ok(table) => {
                    let strings = theme.strings.entry(lang.to_string()).or_default();
                    flatten("", &toml::Value::Table(table), strings, &file, diags);
                }
                Err(e) => diags.push(toml_diagnostic(&file, &text, &e, 0)),
            }
        }
        _ => {}
    }
}

fn text_of(bytes: Vec<u8>, file: &str, diags: &mut Diagnostics) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => {
            // What a template writes as it is would make its pages invalid HTML and XML.
            if let Some((at, c)) = crate::util::text::controls(&s).next() {
                let msg = crate::util::text::control_message(c);
                diags.push(Diagnostic::error(file, msg).at_span(&s, at, at + c.len_utf8()));
            }
            s.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(s)
        }
        Err(e) => {
            let off = e.utf8_error().valid_up_to();
            diags.push(Diagnostic::error(file, format!("expected UTF-8 text, found an invalid byte at offset {off}")));
            String::new()
        }
    }
}

fn flatten(prefix: &str, v: &toml::Value, out: &mut BTreeMap<String, String>, file: &str, diags: &mut Diagnostics) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, v, out, file, diags);
            }
        }
        toml::Value::String(s) => {
            if let Some((_, c)) = crate::util::text::controls(s).next() {
                let msg = crate::util::text::control_message(c);
                diags.push(Diagnostic::error(file, msg).field(prefix));
            }
            out.insert(prefix.to_string(), s.clone());
        }
        _ => diags.push(Diagnostic::error(file, "expected a text").field(prefix)),
    }
}

/// Every language must have the keys of the default language, and no others.
fn check_string_sets(theme: &Theme, languages: &[String], diags: &mut Diagnostics) {
    let Some(default) = languages.first().and_then(|l| theme.strings.get(l)) else {
        return;
    };
    for lang in &languages[1..] {
        let Some(other) = theme.strings.get(lang) else {
            continue;
        };
        let file = theme.files.path(&format!("i18n/{lang}.toml"));
        for key in default.keys().filter(|k| !other.contains_key(*k)) {
            diags.push(
                Diagnostic::error(&file, format!("missing UI string `{key}` (present in `{}`)", languages[0]))
                    .field(key),
            );
        }
        for key in other.keys().filter(|k| !default.contains_key(*k)) {
            diags.push(
                Diagnostic::error(&file, format!("UI string `{key}` is not in `{}`: a typo?", languages[0])).field(key),
            );
        }
    }
}
