//! Small helpers shared by the stages.

pub mod fs;
pub mod hash;
pub mod timing;
