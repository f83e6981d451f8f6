//! Small helpers shared by the stages.

pub mod alloc;
pub mod fs;
pub mod hash;
pub mod markdown;
pub mod text;
pub mod timing;
