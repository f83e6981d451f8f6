//! Checks on text from the site: control characters (which make a page or feed invalid XML and
//! can hide text in a terminal) and URLs that may go into a link (no script from data).

/// Each control character of `s` other than tab, line feed and carriage return (C0, DEL, C1),
/// with its byte offset. Blocks of 64 bytes in which no byte can start one are skipped at
/// once, so a clean table of hundreds of megabytes costs a fraction of reading it.
///
/// ```
/// let found: Vec<_> = junheng::util::text::controls("a\tb\u{0}c°\u{1b}").collect();
/// assert_eq!(found, [(3, '\u{0}'), (7, '\u{1b}')]);
/// ```
pub fn controls(s: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    const BLOCK: usize = 64;
    // A byte that is, or starts, a control character: C0 (but tab and line ends), DEL, or the
    // lead byte of C1 (U+0080–U+009F are `C2 80`–`C2 9F` in UTF-8).
    let suspect = |b: u8| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) | (b == 0x7f) | (b == 0xc2);
    let bytes = s.as_bytes();
    (0..bytes.len().div_ceil(BLOCK))
        .filter(move |k| {
            bytes[k * BLOCK..((k + 1) * BLOCK).min(bytes.len())].iter().fold(false, |a, &b| a | suspect(b))
        })
        .flat_map(move |k| {
            // The block's characters: those that start in it.
            let mut start = k * BLOCK;
            while !s.is_char_boundary(start) {
                start += 1;
            }
            let end = ((k + 1) * BLOCK).min(bytes.len());
            s[start..].char_indices().take_while(move |(i, _)| start + i < end).filter_map(move |(i, c)| {
                (c.is_control() && !matches!(c, '\t' | '\n' | '\r')).then_some((start + i, c))
            })
        })
}

/// How a control character is named in a message: `U+001B`.
pub fn code_point(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// The message for a control character found in a text of the site.
///
/// ```
/// assert_eq!(junheng::util::text::control_message('\u{1b}'), "expected text without control characters, found U+001B");
/// ```
pub fn control_message(c: char) -> String {
    format!("expected text without control characters, found {}", code_point(c))
}

/// True when `url` may be the target of a link or image made from the site's text: an `http`,
/// `https` or `mailto` address, or a path or fragment without a scheme (`../a/`, `#notes`).
/// `javascript:`, `data:`, `vbscript:` and every other scheme are refused, however they are
/// spelled (`JavaScript:`, `java\tscript:`, `&#106;avascript:` decoded by the Markdown parser).
///
/// ```
/// use junheng::util::text::is_safe_url;
/// assert!(is_safe_url("https://jyt.gxzf.gov.cn/") && is_safe_url("../450802/") && is_safe_url("#a"));
/// assert!(is_safe_url("mailto:jyj@example.gov.cn") && is_safe_url("a/b:c"));
/// assert!(!is_safe_url("javascript:alert(1)") && !is_safe_url(" JavaScript:x") && !is_safe_url("data:text/html,x"));
/// assert!(!is_safe_url("java\tscript:x") && !is_safe_url("//evil.example/"));
/// ```
pub fn is_safe_url(url: &str) -> bool {
    // Browsers drop tabs and line breaks anywhere in a URL and spaces around it.
    let url: String = url.trim().chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    if url.chars().any(char::is_control) {
        return false;
    }
    // A protocol-relative address (`//host/`) leaves the site without saying how.
    if url.starts_with("//") || url.starts_with("\\\\") || url.starts_with("/\\") {
        return false;
    }
    match scheme(&url) {
        None => true,
        Some(s) => ["http", "https", "mailto"].iter().any(|ok| s.eq_ignore_ascii_case(ok)),
    }
}

/// True when `url` is an absolute `http` or `https` address.
///
/// ```
/// assert!(junheng::util::text::is_web_url("https://e.org/a"));
/// assert!(!junheng::util::text::is_web_url("javascript:x") && !junheng::util::text::is_web_url("e.org"));
/// ```
pub fn is_web_url(url: &str) -> bool {
    let url = url.trim();
    is_safe_url(url)
        && matches!(scheme(url), Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https"))
        && url.split_once("://").is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with('/'))
}

/// The scheme of a URL (`https` of `https://…`), if it has one: letters, digits, `+`, `-` and
/// `.` before the first `:`, which comes before any `/`, `?` or `#`.
fn scheme(url: &str) -> Option<&str> {
    let end = url.find([':', '/', '?', '#'])?;
    let s = &url[..end];
    (url[end..].starts_with(':')
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Guards the control-character scan against a plain char-by-char one, across block edges
    // and multi-byte characters.
    #[test]
    fn controls_match_a_plain_scan() {
        let parts = ["a", "港", "\u{0}", "\u{7}", "\u{1b}", "\u{7f}", "\u{85}", "°", "\t", "\r\n", "é"];
        for seed in 0..300u64 {
            let mut s = String::new();
            let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            for _ in 0..(seed % 200) {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                // Mostly plain text, so that whole clean blocks are skipped too.
                let i = (x >> 33) as usize % (parts.len() * 8);
                s.push_str(if i < parts.len() { parts[i] } else { "ab" });
            }
            let plain: Vec<(usize, char)> =
                s.char_indices().filter(|(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r')).collect();
            assert_eq!(controls(&s).collect::<Vec<_>>(), plain, "{s:?}");
        }
    }

    // Guards links that would run a script however they are written.
    #[test]
    fn unsafe_urls() {
        for bad in [
            "javascript:alert(1)",
            "JAVASCRIPT:x",
            "  javascript:x",
            "java\nscript:x",
            "vbscript:x",
            "data:x",
            "file:///etc/passwd",
            "jar:x",
            "//e.org",
            "\u{1}javascript:x",
        ] {
            assert!(!is_safe_url(bad), "{bad:?}");
        }
        for good in [
            "http://e.org",
            "HTTPS://e.org",
            "mailto:a@b",
            "a.html",
            "/county/450802/",
            "?q=1",
            "#x",
            "",
            "港北区.html",
            "x/y:z",
        ] {
            assert!(is_safe_url(good), "{good:?}");
        }
    }
}
