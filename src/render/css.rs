//! Stylesheets through lightningcss: parsed, minified and lowered for the site's browsers.

use lightningcss::stylesheet::{MinifyOptions, ParserOptions, PrinterOptions, StyleSheet};
use lightningcss::targets::{Browsers, Targets};

use crate::diag::Diagnostic;

/// Minifies `source` (named `file` in diagnostics) for the browsers of `query`.
pub fn process(file: &str, source: &str, query: &str) -> Result<String, Diagnostic> {
    let browsers = Browsers::from_browserslist([query]).map_err(|e| {
        Diagnostic::error("site.toml", format!("expected a browserslist query, found `{query}`: {e}"))
            .field("settings.browsers")
    })?;
    let targets = Targets::from(browsers);
    let options = ParserOptions { filename: file.to_string(), ..ParserOptions::default() };
    let mut sheet = StyleSheet::parse(source, options)
        .map_err(|e| css_diag(file, source, &e.kind.to_string(), e.loc.as_ref().map(|l| (l.line, l.column))))?;
    sheet
        .minify(MinifyOptions { targets, ..MinifyOptions::default() })
        .map_err(|e| css_diag(file, source, &e.kind.to_string(), e.loc.as_ref().map(|l| (l.line, l.column))))?;
    let out = sheet
        .to_css(PrinterOptions { minify: true, targets, ..PrinterOptions::default() })
        .map_err(|e| css_diag(file, source, &e.kind.to_string(), e.loc.as_ref().map(|l| (l.line, l.column))))?;
    Ok(out.code)
}

/// lightningcss lines are 0-based and columns 1-based (converted here to 1-based lines and columns).
fn css_diag(file: &str, source: &str, message: &str, loc: Option<(u32, u32)>) -> Diagnostic {
    let d = Diagnostic::error(file, format!("invalid CSS: {message}"));
    match loc {
        Some((line, column)) => {
            let line = line + 1;
            let index = crate::diag::LineIndex::new(source);
            let text = index.line_text(source, line).to_string();
            d.at(line, column).snippet(text, 1)
        }
        None => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Guards minification and the conversion of lightningcss positions to 1-based lines.
    #[test]
    fn minifies_and_reports_positions() {
        let q = "chrome >= 69";
        assert_eq!(process("a.css", "a {\n  color: #ff0000;\n}\n", q).unwrap(), "a{color:red}");
        let d = process("a.css", "a {\n  color: red;\n}\n}\n b{", q).unwrap_err();
        assert_eq!(d.file, "a.css");
        assert!(d.line >= 1, "{d}");
    }
}
