//! What a render produces and where it goes: [`OutputFile`]s handed to a [`Sink`] (memory,
//! nothing, or the output's staging folder). Both `render` (which makes files) and `write`
//! (which stores them) use these types; neither imports the other for them.

use rayon::prelude::*;

/// One file of the output, path relative to the output root with `/` separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Relative path.
    pub path: String,
    /// Content (shared, not copied, when a rebuild reuses it).
    pub bytes: bytes::Bytes,
}

impl OutputFile {
    /// A new output file.
    pub fn new(path: impl Into<String>, bytes: impl Into<bytes::Bytes>) -> Self {
        OutputFile { path: path.into(), bytes: bytes.into() }
    }
}

/// Where rendered files go as they are made: into memory (the preview server, `check`, tests)
/// or straight into the output's staging folder (a build), so a national site is never held
/// whole in memory. Files arrive from several threads in no particular order.
pub trait Sink: Sync {
    /// Takes one finished file.
    fn put(&self, file: OutputFile);

    /// Takes finished files (those a reused job made): [`Sink::put`] for each, unless the
    /// sink takes them at once.
    fn put_all(&self, files: &[OutputFile]) {
        files.iter().for_each(|f| self.put(f.clone()));
    }
}

/// A sink that keeps nothing (`check`: render everything, so every template error is found,
/// without holding the output).
#[derive(Debug, Default)]
pub struct Discard;

impl Sink for Discard {
    fn put(&self, _file: OutputFile) {}
}

/// A sink that keeps every file.
#[derive(Debug, Default)]
pub struct Collect(std::sync::Mutex<Vec<OutputFile>>);

impl Collect {
    /// A sink with room for `files` files.
    pub fn with_capacity(files: usize) -> Self {
        Collect(std::sync::Mutex::new(Vec::with_capacity(files)))
    }

    /// The files, sorted by path.
    pub fn into_files(self) -> Vec<OutputFile> {
        let mut files = self.0.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Paths are unique in a site that renders (two outputs on one path are an error).
        files.par_sort_unstable_by(|a, b| a.path.cmp(&b.path));
        files
    }
}

impl Sink for Collect {
    fn put(&self, file: OutputFile) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(file);
    }

    fn put_all(&self, files: &[OutputFile]) {
        // Copied before the lock is taken: the lock is held for a move.
        let mut files = files.to_vec();
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).append(&mut files);
    }
}

/// What a render produced, beside the files given to the sink.
#[derive(Debug, Default, Clone, Copy)]
pub struct Produced {
    /// Number of files.
    pub files: usize,
    /// Their total size.
    pub bytes: usize,
}

/// Hands each file to two sinks.
pub struct Tee<'a>(pub &'a dyn Sink, pub &'a dyn Sink);

impl Sink for Tee<'_> {
    fn put(&self, file: OutputFile) {
        self.1.put(file.clone());
        self.0.put(file);
    }
}

/// Counts what passes through to another sink, and remembers every path (two outputs on one
/// path are an error found at the end).
pub struct Counting<'a> {
    /// Where the files go.
    pub inner: &'a dyn Sink,
    /// Every path handed on.
    pub paths: std::sync::Mutex<Vec<String>>,
    /// The bytes handed on.
    pub bytes: std::sync::atomic::AtomicUsize,
}

impl Sink for Counting<'_> {
    fn put(&self, file: OutputFile) {
        self.bytes.fetch_add(file.bytes.len(), std::sync::atomic::Ordering::Relaxed);
        self.paths.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(file.path.clone());
        self.inner.put(file);
    }

    fn put_all(&self, files: &[OutputFile]) {
        let bytes = files.iter().map(|f| f.bytes.len()).sum();
        self.bytes.fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
        let paths = files.iter().map(|f| f.path.clone());
        self.paths.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend(paths);
        self.inner.put_all(files);
    }
}
