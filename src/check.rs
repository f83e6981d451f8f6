//! `junheng check`: load → model → render in memory, nothing written; every diagnostic.

use std::path::Path;

use crate::diag::Diagnostics;
use crate::error::{Error, Result};

/// Checks the site at `site_root`; `Ok` carries the warnings of a publishable site.
pub fn check(site_root: &Path) -> Result<Diagnostics> {
    if !site_root.is_dir() {
        return Err(Error::Usage(format!("the site folder `{}` does not exist", site_root.display())));
    }
    crate::build::render_site(site_root).map(|(_, diags, _)| diags)
}
