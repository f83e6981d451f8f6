//! The cells and rows of a download table, as the encoders read them: typed cells (text, numbers
//! at full precision, fixed decimals, booleans), texts a spreadsheet would take for a formula
//! neutralized.

use super::*;

pub(super) use crate::format::Ty;

/// A table of the downloads: name, columns and rows.
pub(super) struct DataTable<'a> {
    pub(super) name: &'static str,
    pub(super) columns: Vec<(&'static str, Ty)>,
    pub(super) primary_key: &'static [&'static str],
    pub(super) rows: Rows<'a>,
}

/// A row iterator made from the model.
pub(super) type RowIter<'a> = Box<dyn Iterator<Item = Vec<Cell<'a>>> + 'a>;

/// The rows of a table: held, or made anew from the model for each format written, so that a
/// national table (millions of school rows) is never held whole.
pub(super) enum Rows<'a> {
    Held(Vec<Vec<Cell<'a>>>),
    Made(usize, Box<dyn Fn() -> RowIter<'a> + Send + Sync + 'a>),
}

impl<'a> Rows<'a> {
    /// Rows made by `make`, which yields `len` rows each time.
    pub(super) fn made(len: usize, make: impl Fn() -> RowIter<'a> + Send + Sync + 'a) -> Self {
        Rows::Made(len, Box::new(make))
    }

    pub(super) fn len(&self) -> usize {
        match self {
            Rows::Held(rows) => rows.len(),
            Rows::Made(len, _) => *len,
        }
    }

    /// The rows `keep` keeps.
    pub(super) fn filtered(self, keep: impl Fn(&[Cell<'a>]) -> bool + Send + Sync + 'a) -> Self {
        match self {
            Rows::Held(mut rows) => {
                rows.retain(|r| keep(r));
                Rows::Held(rows)
            }
            Rows::Made(_, make) => {
                let keep = std::sync::Arc::new(keep);
                let len = make().filter(|r| keep(r)).count();
                Rows::made(len, move || {
                    let keep = keep.clone();
                    Box::new(make().filter(move |r| keep(r)))
                })
            }
        }
    }

    pub(super) fn each(&self, mut f: impl FnMut(&[Cell<'a>])) {
        match self {
            Rows::Held(rows) => rows.iter().for_each(|r| f(r)),
            Rows::Made(_, make) => make().for_each(|r| f(&r)),
        }
    }
}

/// One cell of a download; text borrows from the model where it can.
#[derive(Debug, Clone)]
pub(super) enum Cell<'a> {
    Null,
    Text(Cow<'a, str>),
    /// A number written in its shortest exact form.
    Num(f64),
    /// A published number, written in CSV with the decimals it was published with.
    Fixed(f64, Option<u8>),
    Int(u64),
    Bool(bool),
}

impl Cell<'_> {
    /// Writes the cell's CSV text into `buf` (cleared first).
    pub(super) fn write_csv(&self, buf: &mut String) {
        use std::fmt::Write as _;
        buf.clear();
        let _ = match self {
            Cell::Null => Ok(()),
            Cell::Text(s) => {
                if needs_neutralizing(s) {
                    buf.push('\'');
                }
                buf.push_str(s);
                Ok(())
            }
            Cell::Fixed(v, Some(d)) => {
                crate::render::templates::write_fixed(buf, *v, *d as usize);
                Ok(())
            }
            Cell::Num(v) | Cell::Fixed(v, None) => {
                crate::render::templates::write_shortest(buf, *v);
                Ok(())
            }
            Cell::Int(v) => write!(buf, "{v}"),
            Cell::Bool(b) => write!(buf, "{b}"),
        };
    }
}

/// Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a
/// leading `'`, which Excel and LibreOffice show as text; the JSON keeps the exact value.
///
/// ```text
/// =HYPERLINK("…")  →  '=HYPERLINK("…")
/// ```
pub(super) fn needs_neutralizing(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

pub(super) fn s<'a>(v: impl Into<Cow<'a, str>>) -> Cell<'a> {
    Cell::Text(v.into())
}
pub(super) fn opt_s(v: &Option<impl std::ops::Deref<Target = str>>) -> Cell<'_> {
    v.as_deref().map_or(Cell::Null, s)
}
pub(super) fn num<'a>(v: Option<f64>) -> Cell<'a> {
    v.map_or(Cell::Null, Cell::Num)
}
pub(super) fn fixed(v: Option<f64>, decimals: Option<u8>) -> Cell<'static> {
    v.map_or(Cell::Null, |v| Cell::Fixed(v, decimals))
}
pub(super) fn opt_bool(v: Option<bool>) -> Cell<'static> {
    v.map_or(Cell::Null, Cell::Bool)
}
