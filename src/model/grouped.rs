//! [`Grouped`]: the rows of one table sorted by the area they belong to, with each area's run
//! found by binary search and hashed on first use.
//!
//! The hashes are made once per table value (all areas in one parallel pass) and kept with
//! the rows: a rebuild that keeps the table (the preview's memory hands on the same
//! `Arc`) keeps them too, and a build that never asks (`junheng build`) never makes them.

use std::hash::{DefaultHasher, Hasher};
use std::sync::OnceLock;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

/// A row that belongs to one area and can be fingerprinted.
pub trait AreaRow: Sync + Serialize {
    /// The code of the area (county, prefecture, province or the country) the row belongs to.
    fn area(&self) -> &str;
    /// Adds everything the row holds to `h`: by default through its JSON form (rows with
    /// floats have no `Hash`); rows with `Hash` use it, which is faster.
    fn fingerprint(&self, h: &mut DefaultHasher) {
        crate::util::hash::add(h, self);
    }
}

/// Rows sorted by [`AreaRow::area`] (and within an area as the table sorts them).
#[derive(Default)]
pub struct Grouped<T> {
    rows: Vec<T>,
    /// Each area's run, in order: made on first use.
    runs: OnceLock<Vec<(String, std::ops::Range<usize>)>>,
    hashes: OnceLock<FxHashMap<String, u64>>,
}

impl<T: AreaRow> Grouped<T> {
    /// `rows`, which must be sorted by area.
    pub fn new(rows: Vec<T>) -> Self {
        debug_assert!(rows.windows(2).all(|w| w[0].area() <= w[1].area()), "rows sorted by area");
        Grouped { rows, runs: OnceLock::new(), hashes: OnceLock::new() }
    }

    /// The rows of `area`.
    pub fn of(&self, area: &str) -> &[T] {
        &self.rows[self.range_of(area)]
    }

    /// Where [`Grouped::of`]'s run lies (empty at the run's place in order, for an area
    /// without rows). Searched in the runs, not the rows: a national table's two million rows
    /// would cost a cache miss a step, and pages ask tens of thousands of times.
    pub fn range_of(&self, area: &str) -> std::ops::Range<usize> {
        let runs = self.runs();
        match runs.binary_search_by(|(a, _)| a.as_str().cmp(area)) {
            Ok(i) => runs[i].1.clone(),
            Err(i) => {
                let at = runs.get(i).map_or(self.rows.len(), |r| r.1.start);
                at..at
            }
        }
    }

    /// Each area with rows and where its run lies, in order (made once, on first use).
    pub fn runs(&self) -> &[(String, std::ops::Range<usize>)] {
        self.runs.get_or_init(|| {
            let mut start = 0;
            self.rows
                .chunk_by(|a, b| a.area() == b.area())
                .map(|run| {
                    start += run.len();
                    (run[0].area().to_string(), start - run.len()..start)
                })
                .collect()
        })
    }

    /// The hash of everything the rows of `area` hold (that of no rows for an area without).
    pub fn hash_of(&self, area: &str) -> u64 {
        let hashes = self.hashes.get_or_init(|| {
            self.runs()
                .par_iter()
                .map(|(area, range)| {
                    let mut h = DefaultHasher::new();
                    self.rows[range.clone()].iter().for_each(|r| r.fingerprint(&mut h));
                    (area.clone(), h.finish())
                })
                .collect()
        });
        hashes.get(area).copied().unwrap_or_else(|| DefaultHasher::new().finish())
    }
}

/// The rows of one area of a [`Grouped`]: hashing it hashes them ([`Grouped::hash_of`], made
/// once for every area and kept with the rows), so nothing is hashed unless it is asked for.
pub struct AreaOf<'a, T> {
    /// The table.
    pub grouped: &'a Grouped<T>,
    /// The area.
    pub area: &'a str,
}

impl<T: AreaRow> AreaOf<'_, T> {
    /// The rows.
    pub fn rows(&self) -> &[T] {
        self.grouped.of(self.area)
    }
}

impl<T: AreaRow> std::hash::Hash for AreaOf<'_, T> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.grouped.hash_of(self.area).hash(h);
    }
}

impl<T> std::fmt::Debug for AreaOf<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rows of {}", self.area)
    }
}

impl<T> std::ops::Deref for Grouped<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.rows
    }
}

impl<T: AreaRow> From<Vec<T>> for Grouped<T> {
    fn from(rows: Vec<T>) -> Self {
        Grouped::new(rows)
    }
}

impl<T: PartialEq> PartialEq for Grouped<T> {
    fn eq(&self, other: &Self) -> bool {
        self.rows == other.rows
    }
}

impl<T: Clone> Clone for Grouped<T> {
    fn clone(&self) -> Self {
        Grouped { rows: self.rows.clone(), runs: self.runs.clone(), hashes: self.hashes.clone() }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Grouped<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.rows.fmt(f)
    }
}

impl<T: Serialize> Serialize for Grouped<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.rows.serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::Hash;

    #[derive(Debug, Clone, PartialEq, Hash, Serialize)]
    struct Row(&'static str, u32);

    impl AreaRow for Row {
        fn area(&self) -> &str {
            self.0
        }

        fn fingerprint(&self, h: &mut DefaultHasher) {
            self.hash(h);
        }
    }

    // Guards the runs and their hashes: each area's rows, an area's hash changes with its rows
    // only, an area without rows hashes as no rows.
    #[test]
    fn runs_and_hashes_by_area() {
        let a = Grouped::new(vec![Row("1", 1), Row("1", 2), Row("2", 3)]);
        let b = Grouped::new(vec![Row("1", 1), Row("1", 2), Row("2", 4), Row("3", 5)]);
        assert_eq!(a.of("1"), &[Row("1", 1), Row("1", 2)]);
        assert!(a.of("3").is_empty());
        assert_eq!(a.runs(), &[("1".to_string(), 0..2), ("2".to_string(), 2..3)]);
        assert_eq!(a.hash_of("1"), b.hash_of("1"));
        assert_ne!(a.hash_of("2"), b.hash_of("2"));
        assert_eq!(a.hash_of("3"), Grouped::<Row>::new(Vec::new()).hash_of("3"));
        assert_ne!(b.hash_of("3"), a.hash_of("3"));
    }
}
