//! The incremental layer: the preview's memory of what the last build made, on top of the
//! plain stages (load → model → engine → render). No stage knows of it.
//!
//! Each part of a build is a stage function called through a [`Memo`]: its inputs are a
//! struct that derives `Hash`, and the function is a `fn` pointer of those inputs only, so
//! the key a value is kept under is computed from exactly what the value is made of
//! (dependencies are recorded by the call, never declared beside it). Files enter by their
//! [`crate::util::fs::Stamp`] and are forgotten when the watcher reports them; a value made
//! by the layer enters its users' keys as its own key ([`Made`]), so a rebuild that changed
//! one narrative hashes a few integers per part, not the data.
//!
//! In verify mode (the tests) every value reused is also made again and must be equal; a
//! mismatch fails naming the function, the slot and what it was keyed on.
//!
//! Why not salsa: a spike with salsa 0.28 (2,854 county inputs, a page per county and
//! language, a per-county download, a national table and a home page reading every county)
//! revalidated all 11,400 queries after a one-county edit in 2–13 ms, so speed was not the
//! question. But salsa sets inputs, it does not compare them: the layer would still have to
//! find which counties an edit of a national file changed, which is the work of the keys here;
//! its database handles are not `Sync`, so rendering on rayon needs a handle per thread; and
//! its tracked functions take salsa structs, not the plain values the stages pass. A `fn`
//! pointer over a hashed inputs struct gives the same guarantee (nothing read goes unrecorded)
//! with plain values and no new dependency.

mod memo;
mod preview;

pub use memo::{Hashed, Made, Memo};
pub use preview::Preview;
