//! `junheng check`: the pipeline run with every file made and dropped, nothing written; every
//! diagnostic.

use std::path::Path;

use crate::diag::Diagnostics;
use crate::error::{Error, Result};
use crate::pipeline::{Keep, Pipeline, To};

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
    let outcome = Pipeline::new(site_root, Keep::Nothing).run(To::Nowhere, deny_warnings)?;
    Ok(CheckReport { diagnostics: outcome.diagnostics, encodings: outcome.encodings })
}
