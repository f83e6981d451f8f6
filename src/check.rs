//! `junheng check`: load → model → render in memory, nothing written; every diagnostic.

use std::path::Path;

use crate::diag::Diagnostics;
use crate::error::{Error, Result};

/// What `check` found in a publishable site.
#[derive(Debug)]
pub struct CheckReport {
    /// Warnings.
    pub diagnostics: Diagnostics,
    /// Each data and content file with the encoding it was read as.
    pub encodings: Vec<(String, &'static str)>,
}

/// Checks the site at `site_root`; `Ok` carries the warnings of a publishable site.
pub fn check(site_root: &Path, deny_warnings: bool) -> Result<CheckReport> {
    if !site_root.is_dir() {
        return Err(Error::Usage(format!("the site folder `{}` does not exist", site_root.display())));
    }
    crate::build::check_site(site_root, deny_warnings)
        .map(|(diagnostics, encodings)| CheckReport { diagnostics, encodings })
}
