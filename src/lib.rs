//! junheng (均衡): a static-site generator for public transparency portals on county-level
//! compulsory-education balance (县域义务教育均衡发展).
//!
//! The stages pass plain values: [`load`] (read the site folder, keep positions) → [`model`]
//! (typed, validated, cross-referenced [`model::Site`]; the revision history, [`revisions`], is
//! a step of its own) → [`engine`] (coefficients from school rows, verdicts:
//! [`engine::Analysed`]) → [`render`] (pages and downloads into a [`output::Sink`]) →
//! [`write`] (atomic swap into the output folder). [`pipeline`] runs them, written once, for
//! [`build::build`], [`check::check`], the preview ([`serve`]) and each release of the
//! history, with the memos that keep the preview's values between runs.
#![warn(missing_docs, unreachable_pub)]
// The JSON Schema of the county API is one large `json!` literal.
#![recursion_limit = "256"]

pub mod build;
pub mod check;
pub mod config;
pub mod diag;
pub mod engine;
pub mod error;
pub mod format;
pub mod job;
pub mod limits;
pub mod load;
pub mod model;
pub mod new;
pub mod output;
pub mod pipeline;
pub mod render;
pub mod revisions;
pub mod serve;
#[cfg(feature = "synthetic")]
pub mod synthetic;
pub mod util;
pub mod write;

pub use build::{BuildOptions, BuildReport, build};
pub use diag::{Diagnostic, Diagnostics, Severity};
pub use error::{Error, Result};
