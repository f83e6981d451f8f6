//! A unit of work a stage hands out instead of doing it at once: what it makes (a slot, such
//! as a page's path) and a plain function of an inputs struct.
//!
//! [`Job::run`] calls the function: that is all a build does with a job. The preview's memory
//! ([`crate::pipeline`]) instead keeps what a job made under the key of its inputs ([`Job::key`]) and runs it again
//! only when that key changes. The function is a `fn` pointer, which cannot capture, so it reads
//! nothing but its inputs: the key is computed from exactly what the job is made of, by the same
//! value that makes it. A job writes its files into the sink it is run with (a build streams
//! them to disk; the memory also records them, to hand them on when the job is reused).

use std::fmt::Debug;
use std::hash::{Hash, Hasher};

use crate::output::Sink;

/// A job making a `V` (and files) from inputs that derive `Hash`.
pub struct Job<'a, V> {
    slot: String,
    work: Box<dyn Work<V> + 'a>,
}

/// A function with its inputs, type-erased.
trait Work<V>: Send + Sync {
    fn run(&self, sink: &dyn Sink) -> V;
    fn key(&self) -> u64;
    fn describe(&self) -> String;
}

struct Call<I, V> {
    inputs: I,
    make: fn(&I, &dyn Sink) -> V,
}

impl<I: Hash + Debug + Send + Sync, V> Work<V> for Call<I, V> {
    fn run(&self, sink: &dyn Sink) -> V {
        (self.make)(&self.inputs, sink)
    }

    fn key(&self) -> u64 {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        // The function, by its address (the same in one process), and its inputs.
        (self.make as usize).hash(&mut h);
        self.inputs.hash(&mut h);
        h.finish()
    }

    fn describe(&self) -> String {
        format!("{:?}", self.inputs)
    }
}

impl<'a, V> Job<'a, V> {
    /// The job making `slot` with `make` from `inputs`.
    pub fn new<I: Hash + Debug + Send + Sync + 'a>(
        slot: impl Into<String>,
        inputs: I,
        make: fn(&I, &dyn Sink) -> V,
    ) -> Self
    where
        V: 'a,
    {
        Job { slot: slot.into(), work: Box::new(Call { inputs, make }) }
    }

    /// What the job makes (a page's path, a download's name).
    pub fn slot(&self) -> &str {
        &self.slot
    }

    /// Does the job: its files go to `sink`.
    pub fn run(&self, sink: &dyn Sink) -> V {
        self.work.run(sink)
    }

    /// The hash of the job's inputs.
    pub fn key(&self) -> u64 {
        self.work.key()
    }

    /// The job's inputs, as `Debug` shows them (verify mode names them on a mismatch).
    pub fn describe(&self) -> String {
        self.work.describe()
    }
}

impl<V> Debug for Job<'_, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "job `{}`", self.slot)
    }
}
