//! The minijinja environment: theme templates compiled once, plus the helpers templates use.
//!
//! Helpers: `t(key)` (UI string of the page's language; unknown keys are errors),
//! `url(path)` (relative link to a page of the current language), `url_in(lang, path)`,
//! `asset(path)` (relative link to a file outside the language tree), and the filters
//! `num(decimals)`, `date` (partial dates in the page's language) and `cv`.

use std::collections::BTreeMap;
use std::sync::Arc;

use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, UndefinedBehavior};

use crate::diag::Diagnostic;
use crate::load::theme::{Theme, ThemeFiles};

/// UI strings per language, shared by the helpers.
pub type Strings = Arc<BTreeMap<String, BTreeMap<String, String>>>;

/// Builds the environment; template syntax errors become diagnostics.
pub fn environment(
    theme: &Theme,
    strings: Strings,
    default_lang: String,
) -> Result<Environment<'static>, Vec<Diagnostic>> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // A theme is part of the untrusted site: what one page may cost is bounded (a loop of
    // loops, a string doubled in a macro run out of fuel; see `render_page` for the output).
    env.set_fuel(Some(crate::limits::TEMPLATE_FUEL));
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") || name.ends_with(".xml") || name.ends_with(".svg") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("the default delimiters are valid"),
    );
    // HTML-escape text without touching `/` (minijinja's default writes `&#x2f;` for every
    // slash: valid, but it bloats pages and garbles copied URLs in some viewers).
    // Text is escaped straight into the page, not into a copy first: pages print thousands of
    // values.
    env.set_formatter(|out, state, value| match (state.auto_escape(), value.as_str()) {
        (AutoEscape::Html, Some(text)) if !value.is_safe() => {
            write_escaped(out, text).map_err(|_| Error::new(ErrorKind::WriteFailure, "writing output failed"))
        }
        _ => minijinja::escape_formatter(out, state, value),
    });
    let mut errors = Vec::new();
    for (name, source) in &theme.templates {
        if let Err(e) = env.add_template_owned(name.clone(), source.clone()) {
            errors.push(template_diag(&theme.files, &theme.templates, &e, name));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // The strings as template values, in hash maps: `t()` runs hundreds of times per page.
    let values: rustc_hash::FxHashMap<String, rustc_hash::FxHashMap<String, Value>> = strings
        .iter()
        .map(|(lang, m)| (lang.clone(), m.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect()))
        .collect();
    let dl = default_lang.clone();
    env.add_function("t", move |state: &State, key: &str| -> Result<Value, Error> {
        let lang = state.lookup("lang");
        let lang = lang.as_ref().and_then(Value::as_str).unwrap_or(&dl);
        values.get(lang).and_then(|m| m.get(key)).cloned().ok_or_else(|| {
            Error::new(ErrorKind::UndefinedError, format!("missing UI string `{key}` for language `{lang}`"))
        })
    });
    let s = strings.clone();
    let dl = default_lang.clone();
    env.add_filter("date", move |state: &State, value: Value| -> Result<String, Error> {
        let Some(text) = value.as_str() else {
            return Ok(String::new());
        };
        format_date(&s, &dl, state, text)
    });
    env.add_function("url", |state: &State, path: &str| -> Result<Value, Error> {
        let (root, lang_prefix) = (var(state, "root")?, var(state, "lang_prefix")?);
        Ok(safe_url(&[str_of(&root), str_of(&lang_prefix), path]))
    });
    let dl = default_lang;
    env.add_function("url_in", move |state: &State, lang: &str, path: &str| -> Result<Value, Error> {
        let prefix = if lang == dl { String::new() } else { format!("{}/", lang.to_lowercase()) };
        Ok(safe_url(&[str_of(&var(state, "root")?), &prefix, path]))
    });
    env.add_function("asset", |state: &State, path: &str| -> Result<Value, Error> {
        Ok(safe_url(&[str_of(&var(state, "root")?), path]))
    });
    env.add_filter("num", |value: Value, decimals: Option<u32>| -> String {
        match f64::try_from(value.clone()) {
            Ok(v) if !value.is_none() && !value.is_undefined() => format_number(v, decimals.unwrap_or(2) as usize),
            _ => "—".to_string(),
        }
    });
    // A coefficient, with the decimals it was published with where given.
    env.add_filter("cv", |value: Value, decimals: Option<u8>| -> String {
        match f64::try_from(value.clone()) {
            Ok(v) if !value.is_none() && !value.is_undefined() => format_cv_as(v, decimals),
            _ => "—".to_string(),
        }
    });
    env.add_filter("css_string", |text: &str| css_string(text));
    Ok(env)
}

/// `text` as a CSS string literal, for labels a stylesheet shows (`content: var(--label)`):
/// quotes, backslashes and line breaks escaped.
///
/// ```
/// assert_eq!(junheng::render::templates::css_string("a \"b\" \\ c\nd"), r#""a \"b\" \\ c\a d""#);
/// ```
pub fn css_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push_str("\\a "),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Renders one page or feed with `template`, refusing output over
/// [`crate::limits::PAGE_OUTPUT_BYTES`] (the error names the limit).
pub fn render_page(template: &minijinja::Template<'_, '_>, ctx: Value) -> Result<String, Error> {
    struct Capped(Vec<u8>, bool);
    impl std::io::Write for Capped {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.0.len() + buf.len() > crate::limits::PAGE_OUTPUT_BYTES {
                self.1 = true;
                return Err(std::io::Error::other("over the limit"));
            }
            self.0.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut out = Capped(Vec::with_capacity(64 << 10), false);
    match template.render_captured_to(ctx, &mut out) {
        Ok(_) => Ok(String::from_utf8(out.0).expect("templates write text")),
        Err(_) if out.1 => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "the template wrote more than {}, the limit for one page",
                crate::limits::bytes(crate::limits::PAGE_OUTPUT_BYTES as u64)
            ),
        )),
        Err(e) => Err(e),
    }
}

/// A coefficient as shown: with the decimals it was published with when given (a published
/// figure is shown as published: `0.290`), else by [`format_cv`], the rule of computed ones.
///
/// ```
/// use junheng::render::templates::format_cv_as;
/// assert_eq!(format_cv_as(0.29, Some(3)), "0.290");
/// assert_eq!(format_cv_as(0.29, None), "0.29");
/// ```
pub fn format_cv_as(v: f64, published_decimals: Option<u8>) -> String {
    match published_decimals {
        Some(d) => fixed(v, usize::from(d)),
        None => format_cv(v),
    }
}

/// Formats a difference coefficient: 3 decimals as official tables print them, without
/// trailing zeros beyond the second, so a coefficient published as `0.21` is not shown with
/// a precision its source never gave.
///
/// ```
/// use junheng::render::templates::format_cv;
/// assert_eq!(format_cv(0.21), "0.21");
/// assert_eq!(format_cv(0.393), "0.393");
/// assert_eq!(format_cv(0.35925), "0.359");
/// assert_eq!(format_cv(1.3), "1.30");
/// ```
pub fn format_cv(v: f64) -> String {
    let mut s = fixed(v, 3);
    if s.ends_with('0') {
        s.pop();
    }
    s
}

/// `format!("{v:.decimals$}")`, byte for byte, without the general formatter for the common
/// case (a non-negative number well below 2⁵³ and not on a rounding tie): pages print
/// hundreds of thousands of numbers.
///
/// ```
/// use junheng::render::templates::fixed;
/// assert_eq!(fixed(2.675, 2), "2.67"); // 2.674999… in binary
/// assert_eq!(fixed(0.125, 2), format!("{:.2}", 0.125)); // a tie: the general formatter decides
/// assert_eq!(fixed(1234.5, 0), format!("{:.0}", 1234.5));
/// ```
pub fn fixed(v: f64, decimals: usize) -> String {
    let mut out = String::new();
    write_fixed(&mut out, v, decimals);
    out
}

/// `format!("{v}")` (the shortest text that reads back as `v`, never in exponent form),
/// appended to `out`, by the Żmij algorithm (as `serde_json` writes JSON numbers) when its
/// text has no exponent; the general formatter otherwise. Downloads print millions of them.
///
/// The two agree except when two shortest texts are equally near `v` (Żmij then takes the
/// even last digit, the general formatter need not); such values go to the
/// general formatter (see [`may_be_a_tie`]).
///
/// ```
/// let mut s = String::new();
/// junheng::render::templates::write_shortest(&mut s, 0.269198);
/// junheng::render::templates::write_shortest(&mut s, 1250.0);
/// junheng::render::templates::write_shortest(&mut s, -111_751_209_041_864.125); // a tie
/// assert_eq!(s, "0.2691981250-111751209041864.13");
/// ```
pub fn write_shortest(out: &mut String, v: f64) {
    if v.is_finite() && !may_be_a_tie(v) {
        let mut buffer = zmij::Buffer::new();
        let text = buffer.format_finite(v);
        if !text.contains(['e', 'E']) {
            out.push_str(text.strip_suffix(".0").unwrap_or(text));
            return;
        }
    }
    use std::fmt::Write;
    let _ = write!(out, "{v}");
}

/// Whether two shortest decimal texts of the finite `v` can be equally near it.
///
/// A tie between two n-digit texts puts `v` exactly halfway between them, so `v`'s exact
/// decimal expansion has n + 1 significant digits, the last a 5. Both texts read back as `v`
/// only if half an ulp reaches half a unit of their last digit, which takes n ≥ 16 (2⁻⁵³ of a
/// value against 5 × 10⁻ⁿ⁻¹ of it); and a shortest text has at most 17 digits. So a tie needs
/// an exact expansion of 17 or 18 digits. `v` = m × 2ᵉ with m odd: for e ≥ 0 an integer below
/// 10¹⁶ has at most 16 digits (larger ones are printed by the general formatter anyway); for
/// e < 0 the expansion is m × 5⁻ᵉ over 10⁻ᵉ, whose digits are those of m × 5⁻ᵉ.
fn may_be_a_tie(v: f64) -> bool {
    let bits = v.to_bits();
    let field = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (mantissa, exponent) = if field == 0 { (fraction, -1074) } else { (fraction | 1 << 52, field - 1075) };
    if mantissa == 0 {
        return false;
    }
    let zeros = mantissa.trailing_zeros();
    let (odd, exponent) = (mantissa >> zeros, exponent + zeros as i32);
    if exponent >= 0 {
        return v.abs() >= 1e16;
    }
    // 5²⁸ > 10¹⁹: longer expansions cannot tie. m < 2⁵³ and 5²⁷ < 2⁶³, so no overflow.
    let Ok(fives) = u32::try_from(-exponent) else {
        return false;
    };
    if fives > 27 {
        return false;
    }
    let digits = u128::from(odd) * 5u128.pow(fives);
    (10u128.pow(16)..10u128.pow(18)).contains(&digits)
}

/// [`fixed`], appended to `out`.
pub fn write_fixed(out: &mut String, v: f64, decimals: usize) {
    use std::fmt::Write;
    const POWERS: [f64; 7] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6];
    if let Some(&scale) = POWERS.get(decimals) {
        // The product is rounded once (the power is exact), so it is within half an ulp of
        // v × 10ᵈ: when its fraction is clearly away from one half, rounding it rounds the
        // exact decimal value the same way.
        let p = v * scale;
        if v.is_sign_positive() && p < 4.5e15 {
            let floor = p.floor();
            let frac = p - floor;
            if (frac - 0.5).abs() > p * 1e-15 + 1e-300 {
                let n = floor as u64 + u64::from(frac > 0.5);
                // The digits, zero-padded to one more than the decimals, with the point before
                // the last `decimals` (written without the formatting machinery: pages print
                // millions of figures).
                let mut buffer = itoa::Buffer::new();
                let digits = buffer.format(n).as_bytes();
                let width = digits.len().max(decimals + 1);
                let (pad, point) = (width - digits.len(), width - decimals);
                out.reserve(width + 1);
                for i in 0..width {
                    if i == point {
                        out.push('.');
                    }
                    out.push(if i < pad { '0' } else { char::from(digits[i - pad]) });
                }
                return;
            }
        }
    }
    let _ = write!(out, "{v:.decimals$}");
}

/// Escapes text for HTML content and quoted attributes.
///
/// ```
/// assert_eq!(junheng::render::templates::escape_html("a/b <c> & \"d\" 'e'"), "a/b &lt;c&gt; &amp; &quot;d&quot; &#39;e&#39;");
/// ```
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let _ = write_escaped(&mut out, text);
    out
}

/// Writes `text` escaped as [`escape_html`] does to `out`: the runs between the characters
/// to escape are written as they are.
pub fn write_escaped(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        // The five characters are ASCII, so `i` is a character boundary.
        out.write_str(&text[start..i])?;
        out.write_str(entity)?;
        start = i + 1;
    }
    out.write_str(&text[start..])
}

/// A URL for an attribute, from its parts: escaped for HTML here, marked safe.
fn safe_url(parts: &[&str]) -> Value {
    let mut url = String::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>() + 8);
    for part in parts {
        let _ = write_escaped(&mut url, part);
    }
    Value::from_safe_string(url)
}

/// A variable of the page that must be set (its text read with [`str_of`]).
fn var(state: &State, name: &str) -> Result<Value, Error> {
    state
        .lookup(name)
        .filter(|v| v.as_str().is_some())
        .ok_or_else(|| Error::new(ErrorKind::UndefinedError, format!("`{name}` is not set for this page")))
}

/// The text of a value [`var`] returned.
fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn lookup(strings: &Strings, default_lang: &str, state: &State, key: &str) -> Result<String, Error> {
    let lang = var(state, "lang").ok();
    let lang = lang.as_ref().map_or(default_lang, str_of);
    strings.get(lang).and_then(|m| m.get(key)).cloned().ok_or_else(|| {
        Error::new(ErrorKind::UndefinedError, format!("missing UI string `{key}` for language `{lang}`"))
    })
}

/// Formats a partial date with the language's patterns `date.year`, `date.month`, `date.day`
/// (placeholders `{y}`, `{m}`, `{d}`, `{month}` for the month's name `month.N`).
fn format_date(strings: &Strings, dl: &str, state: &State, text: &str) -> Result<String, Error> {
    format_partial_date(text, |key| lookup(strings, dl, state, key))
}

/// [`format_date`] with any lookup of UI strings; text that is not a date is returned as is.
pub fn format_partial_date<E>(text: &str, t: impl Fn(&str) -> Result<String, E>) -> Result<String, E> {
    let Some(d) = crate::model::PartialDate::parse(text) else {
        return Ok(text.to_string());
    };
    let key = match (d.month, d.day) {
        (None, _) => "date.year",
        (Some(_), None) => "date.month",
        (Some(_), Some(_)) => "date.day",
    };
    let pattern = t(key)?;
    let month_name = match d.month {
        Some(m) => t(&format!("month.{m}"))?,
        None => String::new(),
    };
    Ok(pattern
        .replace("{y}", &d.year.to_string())
        .replace("{m}", &d.month.map_or(String::new(), |m| m.to_string()))
        .replace("{d}", &d.day.map_or(String::new(), |d| d.to_string()))
        .replace("{month}", &month_name))
}

/// Formats a number with `decimals` decimals and thousands separators.
///
/// ```
/// assert_eq!(junheng::render::templates::format_number(1234567.891, 2), "1,234,567.89");
/// assert_eq!(junheng::render::templates::format_number(-1234.56, 1), "-1,234.6");
/// ```
pub fn format_number(v: f64, decimals: usize) -> String {
    let s = fixed(v, decimals);
    let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |r| ("-", r));
    let int = digits.split_once('.').map_or(digits, |(i, _)| i);
    if int.len() <= 3 {
        return s;
    }
    let mut out = String::with_capacity(s.len() + int.len() / 3);
    out.push_str(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out.push_str(&digits[int.len()..]);
    out
}

/// Converts a minijinja error into a diagnostic naming the template file and line (`page`, the
/// template the page is rendered with, when the error names none: output over the limit).
pub fn template_diag(files: &ThemeFiles, sources: &BTreeMap<String, String>, e: &Error, page: &str) -> Diagnostic {
    let name = e.name().unwrap_or(page);
    let rel = format!("templates/{name}");
    let file = files.path(&rel);
    let mut message = format!("template error: {}", e.detail().unwrap_or(&e.kind().to_string()));
    if e.kind() == ErrorKind::UndefinedError {
        // The expression that has no value (`county.old_population`), from the template's text.
        if let Some(text) = e.range().and_then(|r| sources.get(name)?.get(r)) {
            message = format!("template error: `{text}` has no value");
        }
        if files.overrides.contains(&rel) {
            message.push_str(
                " (this template is the site's own, in place of the built-in one: it may be written for another version of junheng; compare it with the built-in one, which `junheng new --eject DIR` writes out)",
            );
        }
    }
    let d = Diagnostic::error(file, message);
    match (e.line(), sources.get(name)) {
        (Some(line), Some(src)) => {
            if let Some(range) = e.range() {
                d.at_span(src, range.start, range.end)
            } else {
                let index = crate::diag::LineIndex::new(src);
                d.at(line as u32, 1).snippet(index.line_text(src, line as u32), 1)
            }
        }
        (Some(line), None) => d.at(line as u32, 1),
        _ => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Values for the formatter tests: anything, everyday figures, exact thousandths and
    /// eighths (rounding ties), zeros and non-finite values.
    fn numbers() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>(),
            0.0f64..2.0,
            0.0f64..1e7,
            (0u64..2_000_000).prop_map(|n| n as f64 / 1000.0),
            (0u64..200_000).prop_map(|n| n as f64 / 8.0),
            Just(0.0),
            Just(-0.0),
            Just(f64::NAN),
            Just(f64::INFINITY),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 20_000, failure_persistence: None, ..ProptestConfig::default() })]

        // Guards the fast formatters: the same bytes as `format!` for any value,
        // including ties, values with many digits, negatives, zeros and non-finite ones.
        #[test]
        fn shortest_is_display(
            v in prop_oneof![
                numbers(),
                (0u64..1u64 << 53).prop_map(|n| n as f64),
                // Large values with few fractional bits: their exact decimal expansions have
                // 17 or 18 digits, so two shortest candidates can be equally near.
                (1u64 << 40..1u64 << 53, 1i32..8, any::<bool>())
                    .prop_map(|(n, s, negative)| {
                        let v = n as f64 / f64::from(1 << s);
                        if negative { -v } else { v }
                    }),
                Just(-111_751_209_041_864.13), Just(1e15), Just(1e16), Just(1e-7), Just(f64::MAX), Just(f64::MIN_POSITIVE),
            ],
        ) {
            let mut s = String::new();
            write_shortest(&mut s, v);
            prop_assert_eq!(s, format!("{v}"));
        }

        #[test]
        fn fixed_is_format(
            v in prop_oneof![numbers(), Just(4.5e15), Just(1e300)],
            d in 0usize..8,
        ) {
            prop_assert_eq!(fixed(v, d), format!("{v:.d$}"));
        }
    }
}
