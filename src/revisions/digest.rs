//! Which areas a table's rows belong to, line by line, with a fingerprint of each area's
//! lines: two snapshots of a table differ for exactly the areas whose fingerprints differ, and
//! a snapshot's rows of some areas are cut out of its bytes without parsing the rest.

use rustc_hash::FxHashMap;

use crate::load::data::{InputFile, Table};

/// A 6-digit area code.
pub type Code = [u8; 6];

/// A table's lines by area.
#[derive(Debug, Default)]
pub struct Digest {
    /// Where the data lines start (after the header line).
    header_end: usize,
    /// Each area's code and the fingerprint of its lines, in the order first seen.
    areas: Vec<(Code, u64)>,
    /// Each data line: the index of its area in `areas`, and where it lies.
    lines: Vec<(u32, u32, u32)>,
}

/// Reads `bytes` (the file of `spec`, in `encoding` if named) by the area in column `key`:
/// `None` when that cannot be done line by line safely (a workbook, a UTF-16 file, a file over
/// 4 GiB, an area that is not 6 ASCII digits as written, an unreadable header); the caller
/// then reads the whole table.
pub fn digest(
    spec: &InputFile,
    key: &str,
    bytes: &[u8],
    encoding: Option<&'static encoding_rs::Encoding>,
) -> Option<Digest> {
    let ascii_safe = encoding.is_none_or(|e| e.is_ascii_compatible());
    if !ascii_safe
        || bytes.starts_with(&[0xFF, 0xFE])
        || bytes.starts_with(&[0xFE, 0xFF])
        || bytes.len() > u32::MAX as usize
    {
        return None;
    }
    let header_end = memchr::memchr(b'\n', bytes).map_or(bytes.len(), |i| i + 1);
    let mut scratch = crate::diag::Diagnostics::new();
    let header = Table::parse(spec, &bytes[..header_end], encoding, &mut scratch)?;
    let column = header.column(key)?;
    let mut digest = Digest { header_end, ..Digest::default() };
    let mut index: FxHashMap<Code, u32> = FxHashMap::default();
    let mut add = |digest: &mut Digest, field: &[u8], start: usize, end: usize| -> Option<()> {
        let code: Code = field.trim_ascii().try_into().ok().filter(|c: &Code| c.iter().all(u8::is_ascii_digit))?;
        let area = *index.entry(code).or_insert_with(|| {
            digest.areas.push((code, 0));
            (digest.areas.len() - 1) as u32
        });
        let line = xxhash_rust::xxh3::xxh3_64(bytes[start..end].trim_ascii_end());
        let h = &mut digest.areas[area as usize].1;
        *h = (*h ^ line).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
        digest.lines.push((area, start as u32, end as u32));
        Some(())
    };
    let body = &bytes[header_end..];
    if memchr::memchr(b'"', body).is_none() {
        // No quotes: a record is a line and its fields are split by commas.
        let mut start = header_end;
        while start < bytes.len() {
            let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i + 1);
            let line = &bytes[start..end];
            if !line.trim_ascii().is_empty() {
                add(&mut digest, line.split(|b| *b == b',').nth(column)?, start, end)?;
            }
            start = end;
        }
    } else {
        // A quoted cell may hold commas and line breaks: the csv reader finds the records, and
        // each runs to where the next one starts.
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(body);
        let mut records: Vec<(Vec<u8>, usize)> = Vec::new();
        let mut record = csv::ByteRecord::new();
        while reader.read_byte_record(&mut record).ok()? {
            let start = header_end + record.position().map_or(0, |p| p.byte() as usize);
            records.push((record.get(column)?.to_vec(), start));
        }
        for (i, (field, start)) in records.iter().enumerate() {
            let end = records.get(i + 1).map_or(bytes.len(), |next| next.1);
            add(&mut digest, field, *start, end)?;
        }
    }
    Some(digest)
}

impl Digest {
    /// Each area with its fingerprint, sorted by code.
    pub fn fingerprints(&self) -> Vec<(Code, u64)> {
        let mut areas = self.areas.clone();
        areas.sort_unstable();
        areas
    }

    /// Whether any area with lines is one `keep` lets through.
    pub fn has_any(&self, keep: impl Fn(&Code) -> bool) -> bool {
        self.areas.iter().any(|(c, _)| keep(c))
    }

    /// The header and the lines of the areas `keep` lets through, as a file of their own.
    pub fn cut(&self, bytes: &[u8], keep: impl Fn(&Code) -> bool) -> Vec<u8> {
        let wanted: Vec<bool> = self.areas.iter().map(|(c, _)| keep(c)).collect();
        let mut out = bytes[..self.header_end].to_vec();
        if !out.ends_with(b"\n") {
            out.push(b'\n');
        }
        for &(area, start, end) in &self.lines {
            if wanted[area as usize] {
                out.extend_from_slice(&bytes[start as usize..end as usize]);
                if !out.ends_with(b"\n") {
                    out.push(b'\n');
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format;

    #[test]
    fn areas_are_found_with_and_without_quotes() {
        let plain = b"county,school_year,level,scheme,indicator,value,cv\n450802,2020-2021,primary,basic,composite,,0.41\n450803,2020-2021,primary,basic,composite,,0.38\n450802,2021-2022,primary,basic,composite,,0.40\n";
        let d = digest(&format::INDICATORS, "county", plain, None).expect("a plain file");
        assert_eq!(d.fingerprints().len(), 2);
        let cut = d.cut(plain, |c| c == b"450802");
        assert_eq!(
            String::from_utf8(cut).unwrap(),
            "county,school_year,level,scheme,indicator,value,cv\n450802,2020-2021,primary,basic,composite,,0.41\n450802,2021-2022,primary,basic,composite,,0.40\n"
        );
        // A quoted cell with a comma and a line break: the record is found whole.
        let quoted = "area,date,event,title\n450802,2016-01,plan,\"规划，\n两行\"\n450803,2017,other,x".as_bytes();
        let d = digest(&format::MILESTONES, "area", quoted, None).expect("a quoted file");
        assert_eq!(
            String::from_utf8(d.cut(quoted, |c| c == b"450802")).unwrap(),
            "area,date,event,title\n450802,2016-01,plan,\"规划，\n两行\"\n"
        );
        assert_eq!(
            String::from_utf8(d.cut(quoted, |c| c == b"450803")).unwrap(),
            "area,date,event,title\n450803,2017,other,x\n"
        );
        // An area written otherwise than as 6 digits: the table is read whole.
        assert!(digest(&format::MILESTONES, "area", b"area,date,event,title\n0,2016,plan,x\n", None).is_none());
    }

    #[test]
    fn fingerprints_change_with_the_lines_of_their_area_only() {
        let a = b"area,date,event,title\n450802,2016,plan,x\n450803,2017,plan,y\n";
        let b = b"area,date,event,title\n450802,2016,plan,x\n450803,2017,plan,z\n";
        let (fa, fb) = (
            digest(&format::MILESTONES, "area", a, None).unwrap(),
            digest(&format::MILESTONES, "area", b, None).unwrap(),
        );
        let (fa, fb) = (fa.fingerprints(), fb.fingerprints());
        assert_eq!(fa[0], fb[0]);
        assert_ne!(fa[1], fb[1]);
    }
}
