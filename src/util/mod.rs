//! Small helpers shared by the stages.

pub mod alloc;
pub mod fs;
pub mod hash;
pub mod timing;
