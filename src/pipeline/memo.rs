//! One memoized function: [`Memo::get`] keys a value by the inputs it is made from, and the
//! function that makes it is a plain `fn` of those inputs only.
//!
//! A `fn` pointer cannot capture anything, so the function can read nothing but its inputs
//! (and constants): the key is computed from exactly what the value is made of, by the same
//! call that makes it. There is no second list of dependencies to keep in sync, and so no way
//! to declare one wrongly. Inputs are hashed with `derive(Hash)`; a value this layer made
//! ([`Made`]) enters its users' inputs as its own key, so a chain of memoized functions hashes
//! a few integers per step, not the data.

use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rustc_hash::FxHashMap;
use std::sync::Arc;

use crate::job::Job;
use crate::output::{Collect, OutputFile, Sink};

/// A value made by a [`Memo`], with the key of what it was made from: hashing it hashes the key.
#[derive(Clone, PartialEq)]
pub struct Made<V> {
    key: u64,
    value: V,
}

impl<V> Made<V> {
    /// The key of the inputs the value was made from.
    pub fn key(&self) -> u64 {
        self.key
    }
}

impl<V> std::ops::Deref for Made<V> {
    type Target = V;

    fn deref(&self) -> &V {
        &self.value
    }
}

impl<V> Hash for Made<V> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.key.hash(h);
    }
}

impl<V> Debug for Made<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{:016x}", self.key)
    }
}

/// A borrowed input hashed through its JSON form (configuration and rules, which hold
/// floats), when it is hashed: never in a build.
pub struct Serialized<'a, T: ?Sized>(pub &'a T);

impl<T: serde::Serialize + ?Sized> Hash for Serialized<'_, T> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        let mut inner = std::hash::DefaultHasher::new();
        crate::util::hash::add(&mut inner, self.0);
        inner.finish().hash(h);
    }
}

impl<T: ?Sized> Debug for Serialized<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("(serialized)")
    }
}

/// The hash of `value`: a key.
fn key_of(value: &(impl Hash + ?Sized)) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// A value kept under a slot.
struct Entry<V> {
    key: u64,
    value: V,
    /// Asked for since the last [`Memo::sweep`].
    used: bool,
}

/// The values one function made, one per slot (a file, a county, a page), each with the key
/// of its inputs. Safe to share between threads.
pub struct Memo<V> {
    name: &'static str,
    keep: Keep,
    /// The slots, in shards by the slot's hash (rendering asks from every thread at once).
    slots: [Mutex<FxHashMap<String, Entry<V>>>; SHARDS],
    /// How often each slot was forgotten: part of its key, so that a value made again after
    /// a watcher's report never shares its key with the one before (a file rewritten within
    /// one tick at the same size has the same stamp, and so the same inputs).
    forgotten: Mutex<FxHashMap<String, u64>>,
    made: AtomicUsize,
    reused: AtomicUsize,
}

/// What a [`Memo`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Nothing: every value is made by calling its function, its inputs never hashed (a build,
    /// `check`, the figures of a release).
    Nothing,
    /// Each value under the key of its inputs (the preview).
    Values,
    /// [`Keep::Values`], and every value reused is also made again and must equal the one kept
    /// (tests: a missing input fails at once, naming the function, the slot and the inputs).
    Verified,
}

impl<V: Clone + PartialEq> Memo<V> {
    /// An empty memo of the function called `name`, keeping what `keep` says.
    pub fn new(name: &'static str, keep: Keep) -> Self {
        Memo {
            name,
            keep,
            slots: Default::default(),
            forgotten: Mutex::default(),
            made: AtomicUsize::new(0),
            reused: AtomicUsize::new(0),
        }
    }

    /// The value of `slot` made by `make` from `inputs`: the one kept when it was made from
    /// inputs with the same key, else made now and kept.
    pub fn get<I: Hash + Debug>(&self, slot: &str, inputs: I, make: fn(&I) -> V) -> Made<V> {
        if self.keep == Keep::Nothing {
            return Made { key: 0, value: make(&inputs) };
        }
        let key = key_of(&(&inputs, self.forgotten_of(slot)));
        match self.fetch(slot, key, &|| format!("{inputs:?}"), || Ok::<V, std::convert::Infallible>(make(&inputs))) {
            Ok(made) => made,
        }
    }

    /// [`Memo::get`] for a function that can fail: a failure is returned and nothing is kept.
    pub fn try_get<I: Hash + Debug, E>(
        &self,
        slot: &str,
        inputs: I,
        make: fn(&I) -> Result<V, E>,
    ) -> Result<Made<V>, E> {
        if self.keep == Keep::Nothing {
            return make(&inputs).map(|value| Made { key: 0, value });
        }
        let key = key_of(&(&inputs, self.forgotten_of(slot)));
        self.fetch(slot, key, &|| format!("{inputs:?}"), || make(&inputs))
    }

    fn forgotten_of(&self, slot: &str) -> Option<u64> {
        self.forgotten.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(slot).copied()
    }

    /// The value of `slot` kept under `key`, or made by `make` and kept (verify mode makes a
    /// kept value again and compares).
    fn fetch<E>(
        &self,
        slot: &str,
        key: u64,
        describe: &dyn Fn() -> String,
        make: impl Fn() -> Result<V, E>,
    ) -> Result<Made<V>, E> {
        let kept = {
            let mut slots = self.lock(slot);
            slots.get_mut(slot).filter(|e| e.key == key).map(|e| {
                e.used = true;
                e.value.clone()
            })
        };
        if let Some(value) = kept {
            self.reused.fetch_add(1, Ordering::Relaxed);
            if self.keep == Keep::Verified {
                let fresh = make()?;
                if fresh != value {
                    let mut shown = describe();
                    if shown.len() > 2000 {
                        let end = (0..=2000).rev().find(|i| shown.is_char_boundary(*i)).unwrap_or(0);
                        shown.truncate(end);
                        shown.push('…');
                    }
                    panic!(
                        "the preview's memory, verify mode: `{}` of `{slot}` was reused, but making it again gives \
                         something else: it reads something its inputs do not hold. Keyed on: {shown}",
                        self.name
                    );
                }
            }
            return Ok(Made { key, value });
        }
        let value = make()?;
        self.made.fetch_add(1, Ordering::Relaxed);
        self.lock(slot).insert(slot.to_string(), Entry { key, value: value.clone(), used: true });
        Ok(Made { key, value })
    }

    /// Forgets the value of `slot` (its file was reported changed: a file rewritten within one
    /// tick of the file system's clock at the same size keeps its stamp).
    pub fn forget(&self, slot: &str) {
        if self.lock(slot).remove(slot).is_some() {
            *self
                .forgotten
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .entry(slot.to_string())
                .or_default() += 1;
        }
    }

    /// The value kept for `slot`, whatever it was made from.
    pub fn kept(&self, slot: &str) -> Option<V> {
        self.lock(slot).get(slot).map(|e| e.value.clone())
    }

    /// Drops the values not asked for since the last sweep (pages no longer made, files gone).
    pub fn sweep(&self) {
        for shard in &self.slots {
            lock(shard).retain(|_, e| std::mem::take(&mut e.used));
        }
    }

    /// How many values were made and how many reused since the last call.
    pub fn counts(&self) -> (usize, usize) {
        (self.made.swap(0, Ordering::Relaxed), self.reused.swap(0, Ordering::Relaxed))
    }

    /// How many values are kept.
    pub fn len(&self) -> usize {
        self.slots.iter().map(|shard| lock(shard).len()).sum()
    }

    /// Whether no value is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The function's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    fn lock(&self, slot: &str) -> std::sync::MutexGuard<'_, FxHashMap<String, Entry<V>>> {
        use std::hash::BuildHasher;
        let shard = rustc_hash::FxBuildHasher.hash_one(slot) as usize % SHARDS;
        lock(&self.slots[shard])
    }
}

/// How many shards a memo's slots are kept in.
const SHARDS: usize = 16;

/// A lock, taken even if a thread panicked holding it.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What a [`Job`] made: its value and the files it wrote.
pub(crate) type Ran<V> = (V, Arc<Vec<OutputFile>>);

impl<V: Clone + PartialEq> Memo<Ran<V>> {
    /// Runs `job` into `sink`, or hands on the value and files it made from inputs with the
    /// same key.
    pub fn run(&self, job: &Job<V>, sink: &dyn Sink) -> V {
        if self.keep == Keep::Nothing {
            return job.run(sink);
        }
        match self.ran(job, sink, |s| Ok::<V, std::convert::Infallible>(job.run(s))) {
            Ok(value) => value,
        }
    }

    /// [`Memo::run`] for a job that can fail: a failure is returned and nothing is kept.
    pub fn try_run<E>(&self, job: &Job<Result<V, E>>, sink: &dyn Sink) -> Result<V, E> {
        if self.keep == Keep::Nothing {
            return job.run(sink);
        }
        self.ran(job, sink, |s| job.run(s))
    }

    fn ran<J, E>(&self, job: &Job<J>, sink: &dyn Sink, run: impl Fn(&dyn Sink) -> Result<V, E>) -> Result<V, E> {
        // A job reads no file, so it is never forgotten: its key is its inputs'.
        let made = self.fetch(job.slot(), job.key(), &|| job.describe(), || {
            let recorded = Collect::default();
            let value = run(&recorded)?;
            Ok((value, Arc::new(recorded.into_files())))
        })?;
        if !made.value.1.is_empty() {
            sink.put_all(&made.value.1);
        }
        Ok(made.value.0)
    }
}

/// What the pipeline does with every memo alike, whatever its values.
pub(crate) trait AnyMemo: Sync {
    /// [`Memo::sweep`].
    fn sweep(&self);
    /// The function's name, and [`Memo::counts`].
    fn counts(&self) -> (&'static str, usize, usize);
}

impl<V: Clone + PartialEq + Send> AnyMemo for Memo<V> {
    fn sweep(&self) {
        Memo::sweep(self);
    }

    fn counts(&self) -> (&'static str, usize, usize) {
        let (made, reused) = Memo::counts(self);
        (self.name, made, reused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Hash)]
    struct Sum<'a> {
        numbers: &'a [u32],
    }

    fn sum(i: &Sum) -> u32 {
        i.numbers.iter().sum()
    }

    // Guards reuse: the same inputs give the kept value without calling the function, other
    // inputs make a new one, and a forgotten slot is made again.
    #[test]
    fn values_are_kept_by_the_key_of_their_inputs() {
        let memo = Memo::new("sum", Keep::Values);
        assert_eq!(*memo.get("a", Sum { numbers: &[1, 2] }, sum), 3);
        assert_eq!(*memo.get("a", Sum { numbers: &[1, 2] }, sum), 3);
        assert_eq!(memo.counts(), (1, 1));
        assert_eq!(*memo.get("a", Sum { numbers: &[1, 3] }, sum), 4);
        let before = memo.get("a", Sum { numbers: &[1, 3] }, sum).key();
        memo.forget("a");
        let again = memo.get("a", Sum { numbers: &[1, 3] }, sum);
        assert_eq!(*again, 4);
        assert_ne!(again.key(), before, "a value made after its slot was forgotten has a key of its own");
        assert_eq!(memo.counts(), (2, 1));
    }

    // Guards the sweep: a slot not asked for since the last sweep is dropped.
    #[test]
    fn a_sweep_drops_what_was_not_asked_for() {
        let memo = Memo::new("sum", Keep::Values);
        memo.get("a", Sum { numbers: &[1] }, sum);
        memo.get("b", Sum { numbers: &[2] }, sum);
        memo.sweep();
        memo.get("a", Sum { numbers: &[1] }, sum);
        memo.sweep();
        memo.counts();
        memo.get("b", Sum { numbers: &[2] }, sum);
        memo.get("a", Sum { numbers: &[1] }, sum);
        assert_eq!(memo.counts(), (1, 1));
    }

    /// Inputs that leave out what the function reads: the offset is read but not hashed.
    #[derive(Debug)]
    struct Wrong<'a> {
        numbers: &'a [u32],
        offset: u32,
    }

    impl Hash for Wrong<'_> {
        fn hash<H: Hasher>(&self, h: &mut H) {
            self.numbers.hash(h);
        }
    }

    fn shifted(i: &Wrong) -> u32 {
        i.numbers.iter().sum::<u32>() + i.offset
    }

    // Guards the verify mode: a dependency missing from the key is caught on the first reuse
    // that would have been stale, naming the function, the slot and the key's inputs.
    #[test]
    fn verify_mode_catches_a_missing_dependency() {
        let memo = Memo::new("shifted", Keep::Verified);
        memo.get("page/1/", Wrong { numbers: &[1, 2], offset: 0 }, shifted);
        let stale = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            memo.get("page/1/", Wrong { numbers: &[1, 2], offset: 5 }, shifted);
        }));
        let message = *stale.expect_err("a stale value must fail").downcast::<String>().expect("a message");
        assert!(message.contains("`shifted` of `page/1/`"), "{message}");
        assert!(message.contains("numbers: [1, 2]"), "{message}");
        // Without verify the same memo would have served the stale 3.
        let lax = Memo::new("shifted", Keep::Values);
        lax.get("p", Wrong { numbers: &[1, 2], offset: 0 }, shifted);
        assert_eq!(*lax.get("p", Wrong { numbers: &[1, 2], offset: 5 }, shifted), 3);
    }

    /// Inputs that must never be hashed.
    #[derive(Debug)]
    struct Unhashable(u32);

    impl Hash for Unhashable {
        fn hash<H: Hasher>(&self, _: &mut H) {
            panic!("hashed");
        }
    }

    // Guards a build's memory: it keeps nothing and hashes nothing, calling the function each
    // time.
    #[test]
    fn keeping_nothing_calls_the_function_without_hashing() {
        fn double(i: &Unhashable) -> u32 {
            i.0 * 2
        }
        let memo = Memo::new("double", Keep::Nothing);
        assert_eq!(*memo.get("a", Unhashable(2), double), 4);
        assert_eq!(*memo.get("a", Unhashable(3), double), 6);
        assert!(memo.is_empty());
        assert_eq!(memo.counts(), (0, 0));
    }

    // Guards failures: an error is returned and nothing is kept.
    #[test]
    fn failures_are_not_kept() {
        fn fails(n: &u32) -> Result<u32, String> {
            if *n == 0 { Err("zero".into()) } else { Ok(*n) }
        }
        let memo = Memo::new("fails", Keep::Values);
        assert!(memo.try_get("x", 0, fails).is_err());
        assert_eq!(*memo.try_get("x", 2, fails).unwrap(), 2);
        assert_eq!(memo.counts(), (1, 0));
    }
}
