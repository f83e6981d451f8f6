//! Reading one CSV cell the way Chinese spreadsheets write it.
//!
//! - surrounding ASCII, full-width (U+3000) and no-break spaces are trimmed;
//! - empty, `—`, `——`, `-`, `－`, `–` mean "missing";
//! - full-width digits, signs and points (`１２．５`) are read as ASCII;
//! - thousands separators (`12,345.6`, `12，345`) are accepted when the groups are of three.

/// A cell with surrounding spaces (ASCII, full-width, no-break) removed.
pub fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}' || c == '\u{a0}' || c == '\u{feff}')
}

/// True when the cell means "no value".
pub fn is_missing(s: &str) -> bool {
    matches!(trim(s), "" | "—" | "——" | "-" | "－" | "–" | "/")
}

/// Parses a decimal number; `Ok(None)` for a missing value, `Err(expected)` otherwise.
///
/// ```
/// use junheng::load::cell::parse_decimal;
/// assert_eq!(parse_decimal("１２．５"), Ok(Some(12.5)));
/// assert_eq!(parse_decimal("12,345.6"), Ok(Some(12345.6)));
/// assert_eq!(parse_decimal("—"), Ok(None));
/// assert!(parse_decimal("twelve").is_err());
/// ```
pub fn parse_decimal(s: &str) -> Result<Option<f64>, &'static str> {
    // The common cell, plain ASCII digits with at most a point, is read as it is.
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') && s.bytes().any(|b| b.is_ascii_digit()) {
        return match s.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            _ => Err("a decimal number like `12.50`"),
        };
    }
    if is_missing(s) {
        return Ok(None);
    }
    let ascii: String = trim(s)
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '．' => '.',
            '－' | '−' => '-',
            '＋' => '+',
            '，' => ',',
            c => c,
        })
        .collect();
    let plain = strip_thousands(&ascii).ok_or("a decimal number like `12.50`")?;
    let valid = !plain.is_empty()
        && plain.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
        && plain.chars().any(|c| c.is_ascii_digit());
    if !valid {
        return Err("a decimal number like `12.50`");
    }
    match plain.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err("a decimal number like `12.50`"),
    }
}

/// Removes thousands separators if they are well placed; `None` if a comma is misplaced.
fn strip_thousands(s: &str) -> Option<String> {
    if !s.contains(',') {
        return Some(s.to_string());
    }
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = int.trim_start_matches(['-', '+']);
    let groups: Vec<&str> = digits.split(',').collect();
    let ok = !groups[0].is_empty()
        && groups[0].len() <= 3
        && groups[1..].iter().all(|g| g.len() == 3)
        && frac.is_none_or(|f| !f.contains(','));
    if !ok {
        return None;
    }
    let mut out = int.replace(',', "");
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    Some(out)
}

/// Decimals written in a number cell (`0.270` → 3, `12` → 0); `None` when missing.
///
/// ```
/// use junheng::load::cell::decimals;
/// assert_eq!(decimals("0.270"), Some(3));
/// assert_eq!(decimals("１２．５"), Some(1));
/// assert_eq!(decimals("3,415"), Some(0));
/// assert_eq!(decimals("—"), None);
/// ```
pub fn decimals(s: &str) -> Option<u8> {
    if is_missing(s) {
        return None;
    }
    let t = trim(s);
    Some(match t.find(['.', '．']) {
        Some(i) => {
            t[i..].chars().skip(1).take_while(|c| c.is_ascii_digit() || ('０'..='９').contains(c)).count().min(20) as u8
        }
        None => 0,
    })
}

/// Parses a whole number of things (students, teachers, books).
pub fn parse_count(s: &str) -> Result<Option<u64>, &'static str> {
    const EXPECTED: &str = "a whole number like `1250`";
    match parse_decimal(s).map_err(|_| EXPECTED)? {
        None => Ok(None),
        Some(v) if v >= 0.0 && v.fract() == 0.0 && v < 1e15 => Ok(Some(v as u64)),
        Some(_) => Err(EXPECTED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Guards the spreadsheet habits documented above, one row each.
    #[test]
    fn decimals() {
        let cases: &[(&str, Result<Option<f64>, ()>)] = &[
            ("0.21", Ok(Some(0.21))),
            (" 0.21\u{3000}", Ok(Some(0.21))),
            ("１２．５", Ok(Some(12.5))),
            ("1,234", Ok(Some(1234.0))),
            ("1，234，567.5", Ok(Some(1234567.5))),
            ("-3", Ok(Some(-3.0))),
            ("", Ok(None)),
            ("—", Ok(None)),
            ("-", Ok(None)),
            ("12,34", Err(())),
            ("1.2.3", Err(())),
            ("1.", Ok(Some(1.0))),
            (".5", Ok(Some(0.5))),
            ("..", Err(())),
            ("007", Ok(Some(7.0))),
            ("abc", Err(())),
            ("NaN", Err(())),
            ("inf", Err(())),
        ];
        for (input, want) in cases {
            assert_eq!(parse_decimal(input).map_err(|_| ()), *want, "{input:?}");
        }
    }

    // Guards whole-number parsing.
    #[test]
    fn counts() {
        assert_eq!(parse_count("1,250"), Ok(Some(1250)));
        assert_eq!(parse_count("—"), Ok(None));
        assert!(parse_count("12.5").is_err());
        assert!(parse_count("-1").is_err());
    }
}
