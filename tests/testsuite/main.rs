//! Integration tests: one binary, a module per feature (see README.md beside this file).

mod browser;
mod build;
mod charts;
mod cli;
mod data;
mod demo;
mod downloads;
mod engine;
mod errors;
mod fuzz;
mod hostile;
mod incremental;
mod national;
mod new;
mod publish;
mod revisions;
mod schools;
mod serve;
mod support;
mod theme;
