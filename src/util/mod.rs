//! Small helpers shared by the stages.

pub mod fs;
