//! The write stage (the last): output files → the output folder, atomically.
//!
//! Files are written into a staging folder beside the target; only when every file is written
//! is the previous output moved aside and the staging folder renamed into place. A manifest
//! (`.junheng-manifest`) records what the generator wrote, so a folder holding anything else
//! (the site's own sources, files a user put there) is refused rather than deleted.
//!
//! The manifest also records a fingerprint of each file. A file whose bytes did not change
//! since the previous build is hard-linked from it into the staging folder instead of being
//! written again (old files are never modified in place, so sharing them is safe); changed
//! files are written in parallel. The swap stays one atomic step.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::error::{Error, Result};
use crate::output::{OutputFile, Sink};
use crate::util::fs;
use xxhash_rust::xxh3::Xxh3;

/// Name of the manifest written at the output root.
pub const MANIFEST: &str = ".junheng-manifest";
const MANIFEST_HEADER: &str = "# written by junheng; files listed here are replaced on each build\n";

/// Checks that `output` may be written for the site at `site_root`.
pub fn check_output_dir(site_root: &Path, output: &Path) -> Result<()> {
    let site = absolute(site_root)?;
    let out = absolute(output)?;
    if out == site {
        return Err(Error::Usage(format!(
            "the output folder `{}` is the site folder itself: choose another, e.g. `public`",
            output.display()
        )));
    }
    if site.starts_with(&out) {
        return Err(Error::Usage(format!(
            "the output folder `{}` contains the site folder: choose a folder inside or beside it",
            output.display()
        )));
    }
    for source in ["data", "content", "themes", "site.toml"] {
        if out == site.join(source) || out.starts_with(site.join(source)) {
            return Err(Error::Usage(format!(
                "the output folder `{}` is inside the site's `{source}`: choose another, e.g. `public`",
                output.display()
            )));
        }
    }
    if !out.exists() {
        return Ok(());
    }
    if !out.is_dir() {
        return Err(Error::Usage(format!("the output path `{}` is a file, not a folder", output.display())));
    }
    let present = fs::walk_files(&out, &output.display().to_string())?;
    if present.is_empty() {
        return Ok(());
    }
    let manifest_path = out.join(MANIFEST);
    let Ok(manifest) = std::fs::read_to_string(&manifest_path) else {
        return Err(Error::Usage(format!(
            "refusing to replace `{}`: it is not empty and was not written by junheng (no `{MANIFEST}`); empty it or choose another output folder",
            output.display()
        )));
    };
    let ours: std::collections::HashSet<&str> =
        manifest.lines().filter(|l| !l.starts_with('#')).map(|l| l.split('\t').next().unwrap_or(l)).collect();
    let unknown: Vec<&String> =
        present.iter().filter(|p| p.as_str() != MANIFEST && !ours.contains(p.as_str())).collect();
    if let Some(first) = unknown.first() {
        let more = if unknown.len() > 1 { format!(" (and {} more)", unknown.len() - 1) } else { String::new() };
        return Err(Error::Usage(format!(
            "refusing to replace `{}`: it holds `{first}`{more}, which junheng did not write; move it away or choose another output folder",
            output.display()
        )));
    }
    Ok(())
}

fn absolute(p: &Path) -> Result<PathBuf> {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().map_err(|e| Error::io("read the current folder", p, e))?.join(p)
    };
    // Resolve symlinks of the existing part, then normalise the rest lexically.
    let mut existing = abs.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize().unwrap_or(existing);
    for part in rest.into_iter().rev() {
        out.push(part);
    }
    let mut norm = PathBuf::new();
    for c in out.components() {
        match c {
            Component::ParentDir => {
                norm.pop();
            }
            Component::CurDir => {}
            c => norm.push(c),
        }
    }
    Ok(norm)
}

/// True when `rel` is a safe relative output path: no `..`, no absolute path, no NUL.
pub fn is_safe_relative(rel: &str) -> bool {
    !rel.is_empty()
        && !rel.starts_with('/')
        && !rel.contains('\\')
        && !rel.contains('\0')
        && rel.split('/').all(|seg| !seg.is_empty() && seg != ".." && seg != ".")
}

/// An output being written: files go into a staging folder as they are rendered (from any
/// thread), and [`Staging::commit`] swaps it in once all are there. Dropped without a commit,
/// the staging folder is removed and the previous output stays as it was.
pub struct Staging {
    output: PathBuf,
    staging: PathBuf,
    old: PathBuf,
    /// Fingerprints of the previous build, from its manifest (`path<TAB>fingerprint`).
    previous: HashMap<String, String>,
    /// When the previous build finished (its manifest's time).
    built_at: Option<std::time::SystemTime>,
    lines: Mutex<Vec<String>>,
    error: Mutex<Option<Error>>,
    committed: bool,
}

impl Staging {
    /// Prepares a staging folder beside `output`.
    pub fn begin(output: &Path) -> Result<Staging> {
        let parent = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = output
            .file_name()
            .ok_or_else(|| Error::Usage(format!("the output path `{}` has no folder name", output.display())))?
            .to_string_lossy()
            .to_string();
        fs::create_dir_all(parent)?;
        let staging = parent.join(format!(".{name}.junheng-staging"));
        let old = parent.join(format!(".{name}.junheng-old"));
        // Left over by an interrupted build: removed when junheng's manifest says they are ours.
        remove_leftover(&staging)?;
        remove_leftover(&old)?;
        fs::create_dir_all(&staging)?;
        // Marks the staging folder as junheng's until the full manifest replaces this one
        // (written beside and renamed: a kill never leaves a half-written marker).
        let part = staging.join(format!("{MANIFEST}.part"));
        fs::write(&part, MANIFEST_HEADER.as_bytes())?;
        fs::rename(&part, &staging.join(MANIFEST))?;
        let previous = std::fs::read_to_string(output.join(MANIFEST))
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('\t').map(|(p, h)| (p.to_string(), h.to_string())))
            .collect();
        let built_at = std::fs::metadata(output.join(MANIFEST)).and_then(|m| m.modified()).ok();
        Ok(Staging {
            output: output.to_path_buf(),
            staging,
            old,
            previous,
            built_at,
            lines: Mutex::default(),
            error: Mutex::default(),
            committed: false,
        })
    }

    /// Places one file: hard-linked from the previous build when its bytes did not change and
    /// nobody touched it since, written otherwise.
    fn place(&self, f: &OutputFile) -> Result<String> {
        let target = self.target(&f.path)?;
        let print = fingerprint(&f.bytes);
        if !self.link_previous(&f.path, &print, f.bytes.len() as u64, &target) {
            fs::write(&target, &f.bytes)?;
        }
        Ok(manifest_line(&f.path, &print))
    }

    /// Where `path` goes in the staging folder, once it is known to stay inside it.
    fn target(&self, path: &str) -> Result<PathBuf> {
        if !is_safe_relative(path) {
            return Err(Error::Usage(format!("refusing to write `{path}`: it would land outside the output folder")));
        }
        Ok(self.staging.join(path))
    }

    /// Hard-links `path` of the previous build to `target` when it holds the same bytes
    /// ([`Staging::unchanged`]). False when not linked.
    fn link_previous(&self, path: &str, print: &str, len: u64, target: &Path) -> bool {
        self.unchanged(path, print, len)
            && target.parent().is_none_or(|dir| fs::create_dir_all(dir).is_ok())
            && std::fs::hard_link(self.output.join(path), target).is_ok()
    }

    /// True when the previous build wrote `path` with the same bytes (`print`, `len`) and
    /// nobody changed the file since (a file newer than its manifest is written again).
    fn unchanged(&self, path: &str, print: &str, len: u64) -> bool {
        self.previous.get(path).is_some_and(|p| p == print)
            && std::fs::symlink_metadata(self.output.join(path)).is_ok_and(|m| {
                m.is_file() && m.len() == len && m.modified().ok().zip(self.built_at).is_some_and(|(t, b)| t <= b)
            })
    }

    /// Keeps the first error; the build fails when it commits.
    fn fail(&self, e: Error) {
        self.error.lock().unwrap_or_else(PoisonError::into_inner).get_or_insert(e);
    }

    /// Writes the manifest and swaps the staging folder in, in one step where the system can.
    pub fn commit(mut self) -> Result<()> {
        self.committed = true;
        if let Some(e) = self.error.lock().unwrap_or_else(PoisonError::into_inner).take() {
            let _ = remove_ours(&self.staging);
            return Err(e);
        }
        let mut lines = std::mem::take(&mut *self.lines.lock().unwrap_or_else(PoisonError::into_inner));
        lines.sort_unstable();
        let mut manifest = String::from(MANIFEST_HEADER);
        lines.iter().for_each(|l| manifest.push_str(l));
        // Written beside the marker and renamed over it: a build killed while writing leaves
        // the marker whole (the next build then knows the folder as junheng's).
        let part = self.staging.join(format!("{MANIFEST}.part"));
        fs::write(&part, manifest.as_bytes())?;
        fs::rename(&part, &self.staging.join(MANIFEST))?;
        let (staging, output, old) = (&self.staging, &self.output, &self.old);
        if !output.exists() {
            return fs::rename(staging, output);
        }
        // At every instant the output folder is either the complete previous build or the
        // complete new one, even if the process is killed.
        if exchange(staging, output).is_ok() {
            return remove_ours(staging);
        }
        fs::rename(output, old)?;
        if let Err(e) = fs::rename(staging, output) {
            // Put the previous output back before reporting.
            let _ = std::fs::rename(old, output);
            return Err(e);
        }
        remove_ours(old)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = remove_ours(&self.staging);
        }
    }
}

impl Sink for Staging {
    fn put(&self, file: OutputFile) {
        if self.error.lock().unwrap_or_else(PoisonError::into_inner).is_some() {
            return;
        }
        match self.place(&file) {
            Ok(line) => self.lines.lock().unwrap_or_else(PoisonError::into_inner).push(line),
            Err(e) => self.fail(e),
        }
    }
}

/// Removes a staging or previous-output folder left beside the output, only when it is
/// junheng's: a folder whose manifest starts as junheng writes it, or an empty one. A folder of that name that
/// is anything else (a user's own, a link) is refused, never deleted.
fn remove_leftover(dir: &Path) -> Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(dir) else { return Ok(()) };
    let manifest = dir.join(MANIFEST);
    // Empty: made by a build killed before it marked the folder (it holds nothing of anyone's).
    let empty = meta.is_dir() && std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_none());
    let ours = empty
        || meta.is_dir()
            && std::fs::symlink_metadata(&manifest).is_ok_and(|m| m.is_file())
            && std::fs::File::open(&manifest).is_ok_and(|f| {
                use std::io::Read;
                let mut head = Vec::new();
                f.take(MANIFEST_HEADER.len() as u64).read_to_end(&mut head).is_ok()
                    && head == MANIFEST_HEADER.as_bytes()
            });
    if !ours {
        return Err(Error::Usage(format!(
            "refusing to remove `{}`: junheng keeps its unfinished and previous output under this name, but this is not junheng's (no `{MANIFEST}`); move it away",
            dir.display()
        )));
    }
    remove_ours(dir)
}

/// Removes a folder junheng wrote, its manifest last: a removal stopped half way (a killed
/// build) leaves the folder still marked as junheng's, and the next build removes the rest.
fn remove_ours(dir: &Path) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io("remove", dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("remove", dir, e))?;
        if entry.file_name() == MANIFEST {
            continue;
        }
        let path = entry.path();
        // A link is removed itself, never followed.
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path).map_err(|e| Error::io("remove", &path, e))?;
        }
    }
    fs::remove_dir_all(dir)
}

/// Length and 64-bit XXH3 of a file's bytes, as hex: equal fingerprints mean an unchanged
/// file. (XXH3 hashes the 2.7 GB of a national build several times faster than SipHash did;
/// a manifest of SipHash fingerprints only makes the next build write every file once.)
fn fingerprint(bytes: &[u8]) -> String {
    let mut h = Xxh3::new();
    h.update(bytes);
    fingerprint_of(bytes.len() as u64, &h)
}

/// The fingerprint of `len` bytes fed to `h` (at once or in pieces: XXH3 gives the same).
fn fingerprint_of(len: u64, h: &Xxh3) -> String {
    format!("{len}-{:016x}", h.digest())
}

/// A file's line in the manifest.
fn manifest_line(path: &str, print: &str) -> String {
    format!("{path}\t{print}\n")
}

/// Atomically exchanges two folders (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
}

/// Elsewhere the two-rename fallback is used.
#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Guards the path-safety predicate used before every write.
    #[test]
    fn safe_relative_paths() {
        for ok in ["index.html", "county/450802/index.html", "data/a.csv"] {
            assert!(is_safe_relative(ok), "{ok}");
        }
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "a//b", "a\\b", "a\0b", "./a"] {
            assert!(!is_safe_relative(bad), "{bad:?}");
        }
    }
}
