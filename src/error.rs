//! The library's error type: I/O and configuration trouble abort at once; problems in the
//! user's data are collected as [`Diagnostics`] and returned together.

use std::path::PathBuf;

use crate::diag::Diagnostics;

/// Everything that can stop a build.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("failed to {action} `{}`: {source}", path.display())]
    Io {
        /// What was being done ("read", "write", "create folder", ...).
        action: &'static str,
        /// The path concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The environment or the command line is not usable (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// The site has errors (exit code 1); every diagnostic is included.
    #[error("the site has {}", .0.summary())]
    Site(Diagnostics),
}

impl Error {
    /// Wraps an I/O error with the action and path it concerns.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { action, path: path.into(), source }
    }

    /// A file of the site that junheng will not read (a link, a pipe, a file over its limit):
    /// an error of the site, naming the file (site-relative) and why.
    pub fn refused(file: impl Into<String>, message: impl Into<String>) -> Self {
        let mut diags = Diagnostics::new();
        diags.push(crate::diag::Diagnostic::error(file, message));
        Error::Site(diags)
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
