//! Stage 1 for the theme: `themes/<name>/` → [`Theme`]: templates, stylesheets, static files
//! and UI strings per language (`i18n/<lang>.toml`, nested tables flattened to dotted keys).

use std::collections::BTreeMap;
use std::path::Path;

use crate::config::toml_diagnostic;
use crate::diag::{Diagnostic, Diagnostics};
use crate::error::{Error, Result};
use crate::util::fs;

/// A theme as read from disk.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Theme {
    /// Site-relative folder (`themes/default`).
    pub dir: String,
    /// Templates: name (relative to `templates/`) → source.
    pub templates: BTreeMap<String, String>,
    /// Stylesheets: name (relative to `css/`) → source.
    pub css: BTreeMap<String, String>,
    /// Static files: output path → bytes.
    pub static_files: BTreeMap<String, Vec<u8>>,
    /// UI strings: language → dotted key → text.
    pub strings: BTreeMap<String, BTreeMap<String, String>>,
}

/// Reads the theme `name` of the site at `root`.
pub fn load(root: &Path, name: &str, languages: &[String], diags: &mut Diagnostics) -> Result<Theme> {
    let rel = format!("themes/{name}");
    let dir = root.join("themes").join(name);
    if !dir.is_dir() {
        return Err(Error::Usage(format!("theme `{name}` not found: expected a folder `{rel}` beside `site.toml`")));
    }
    let mut theme = Theme { dir: rel.clone(), ..Theme::default() };
    for (sub, ext) in [("templates", ".html"), ("templates", ".xml"), ("templates", ".txt")] {
        let d = dir.join(sub);
        if d.is_dir() {
            for f in fs::walk_files(&d)? {
                if f.ends_with(ext) {
                    let text = read_text(&d.join(&f), &format!("{rel}/{sub}/{f}"), diags)?;
                    theme.templates.insert(f, text);
                }
            }
        }
    }
    let css_dir = dir.join("css");
    if css_dir.is_dir() {
        for f in fs::walk_files(&css_dir)? {
            if f.ends_with(".css") {
                let text = read_text(&css_dir.join(&f), &format!("{rel}/css/{f}"), diags)?;
                theme.css.insert(f, text);
            }
        }
    }
    let static_dir = dir.join("static");
    if static_dir.is_dir() {
        for f in fs::walk_files(&static_dir)? {
            theme.static_files.insert(f.clone(), fs::read(&static_dir.join(&f))?);
        }
    }
    for lang in languages {
        let file = format!("{rel}/i18n/{lang}.toml");
        let path = dir.join("i18n").join(format!("{lang}.toml"));
        if !path.is_file() {
            diags.push(Diagnostic::error(&file, format!("missing language file: the site lists language `{lang}`")));
            continue;
        }
        let text = read_text(&path, &file, diags)?;
        match toml::from_str::<toml::Table>(&text) {
            Ok(table) => {
                let mut flat = BTreeMap::new();
                flatten("", &toml::Value::Table(table), &mut flat, &file, diags);
                theme.strings.insert(lang.clone(), flat);
            }
            Err(e) => diags.push(toml_diagnostic(&file, &text, &e, 0)),
        }
    }
    check_string_sets(&theme, languages, diags);
    Ok(theme)
}

fn read_text(path: &Path, file: &str, diags: &mut Diagnostics) -> Result<String> {
    let bytes = fs::read(path)?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(s)),
        Err(e) => {
            let off = e.utf8_error().valid_up_to();
            diags.push(Diagnostic::error(file, format!("expected UTF-8 text, found an invalid byte at offset {off}")));
            Ok(String::new())
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
        let file = format!("{}/i18n/{lang}.toml", theme.dir);
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
