//! Decoding files the way Chinese offices save them: a BOM (UTF-8 or UTF-16) wins, then
//! strict UTF-8, then strict GB18030 (which covers GBK: Excel's "CSV (逗号分隔)" on Chinese
//! Windows). A file that none of these read is an error naming the byte offset, line and
//! column; `site.toml` `[encodings]` can name a file's encoding instead of sniffing.

use encoding_rs::{DecoderResult, Encoding, GB18030, UTF_8};

use crate::diag::Diagnostic;

/// Decodes `bytes` of `file`; `forced` skips sniffing. Returns the text and the encoding's
/// name as `check` reports it.
pub fn decode(
    file: &str,
    bytes: impl Into<Vec<u8>>,
    forced: Option<&'static Encoding>,
) -> Result<(String, &'static str), Diagnostic> {
    let bytes = bytes.into();
    if let Some(enc) = forced {
        let body = match Encoding::for_bom(&bytes) {
            Some((bom_enc, len)) if bom_enc == enc => &bytes[len..],
            _ => &bytes[..],
        };
        return strict(enc, body).map(|t| (t, enc.name())).map_err(|at| malformed(file, body, at, enc.name()));
    }
    if let Some((enc, len)) = Encoding::for_bom(&bytes) {
        let name = if enc == UTF_8 { "UTF-8 with BOM" } else { enc.name() };
        return strict(enc, &bytes[len..]).map(|t| (t, name)).map_err(|at| malformed(file, &bytes[len..], at, name));
    }
    // UTF-8 without a BOM (the common case) becomes the text without a copy.
    let (bytes, valid) = match String::from_utf8(bytes) {
        Ok(text) => return Ok((text, "UTF-8")),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            (e.into_bytes(), valid)
        }
    };
    // Chinese text written as UTF-8 before the bad byte: a UTF-8 file with one line saved in
    // another encoding (read as GB18030 it would be garbage, or fail somewhere else).
    let multibyte = bytes[..valid].iter().filter(|&&b| b >= 0xC0).count();
    if multibyte >= 2 {
        return Err(malformed(file, &bytes, valid, "UTF-8"));
    }
    strict(GB18030, &bytes).map(|t| (t, "GB18030")).map_err(|at| malformed(file, &bytes, at, "UTF-8 or GB18030/GBK"))
}

/// Decodes without replacement; on failure, the byte offset where the bad sequence starts.
fn strict(enc: &'static Encoding, bytes: &[u8]) -> Result<String, usize> {
    let mut decoder = enc.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(
        decoder.max_utf8_buffer_length_without_replacement(bytes.len()).unwrap_or(bytes.len() * 3),
    );
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    match result {
        DecoderResult::InputEmpty => Ok(out),
        DecoderResult::Malformed(bad, extra) => Err(read - extra as usize - bad as usize),
        DecoderResult::OutputFull => Err(read),
    }
}

fn malformed(file: &str, bytes: &[u8], at: usize, expected: &str) -> Diagnostic {
    let line_start = bytes[..at].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let line = bytes[..at].iter().filter(|b| **b == b'\n').count() as u32 + 1;
    // Characters before the bad byte on its line, read leniently.
    let (prefix, _) = GB18030.decode_without_bom_handling(&bytes[line_start..at]);
    let column = prefix.chars().count() as u32 + 1;
    let line_end = bytes[at..].iter().position(|b| *b == b'\n').map_or(bytes.len(), |i| at + i);
    let (shown, _) = UTF_8.decode_without_bom_handling(&bytes[line_start..line_end]);
    Diagnostic::error(
        file,
        format!(
            "expected {expected} text, found byte 0x{:02X} at byte offset {at} that it cannot read; save the file as UTF-8, or name its encoding in `site.toml` under `[encodings]`",
            bytes[at]
        ),
    )
    .at(line, column)
    .snippet(shown.trim_end_matches('\r'), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Guards sniffing: UTF-8, UTF-8 with BOM, UTF-16LE with BOM and GBK give the same text.
    #[test]
    fn sniffs_encodings() {
        let text = "代码,名称\n450802,港北区\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (text.as_bytes().to_vec(), "UTF-8"),
            ([b"\xef\xbb\xbf".as_slice(), text.as_bytes()].concat(), "UTF-8 with BOM"),
            (utf16, "UTF-16LE"),
            (gbk.into_owned(), "GB18030"),
        ];
        for (bytes, name) in cases {
            assert_eq!(decode("f", &*bytes, None).unwrap(), (text.to_string(), name));
        }
    }

    // Guards the error for a file that is neither UTF-8 nor GB18030 (Latin-1 here).
    #[test]
    fn rejects_latin1_with_its_position() {
        let bytes = b"code,name\n450802,caf\xe9,x\n";
        let d = decode("data/counties.csv", bytes, None).unwrap_err();
        assert_eq!((d.line, d.column), (2, 11));
        assert!(d.message.contains("byte 0xE9 at byte offset 20"), "{}", d.message);
    }

    // Guards a UTF-8 file with one line saved as GBK: the error is on that line, not wherever
    // reading the whole file as GB18030 happens to fail.
    #[test]
    fn one_gbk_line_in_a_utf8_file_is_found() {
        let (gbk, _, _) = encoding_rs::GBK.encode("450803,港南区\n");
        let bytes = ["代码,名称\n450802,港北区\n".as_bytes(), &gbk, "450804,覃塘区\n".as_bytes()].concat();
        let d = decode("data/counties.csv", bytes, None).unwrap_err();
        assert_eq!((d.line, d.column), (3, 8), "{}", d.message);
        assert!(d.message.starts_with("expected UTF-8 text"), "{}", d.message);
    }

    // Guards a forced encoding: used as given, and strict.
    #[test]
    fn forced_encoding() {
        let (gbk, _, _) = encoding_rs::GBK.encode("港北区");
        assert_eq!(decode("f", &*gbk, Some(encoding_rs::GBK)).unwrap().0, "港北区");
        assert!(decode("f", b"\xff\xfe\x00", Some(encoding_rs::UTF_8)).is_err());
    }
}
