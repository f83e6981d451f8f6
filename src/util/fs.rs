//! File-system wrappers whose errors name the path (after mdBook's `utils/fs.rs`).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::limits::{self, FileKind};

/// Reads a whole file as bytes.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|e| Error::io("read", path, e))
}

/// Writes bytes to a file, creating its parent folders.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        create_dir_all(parent)?;
    }
    fs::write(path, bytes).map_err(|e| Error::io("write", path, e))
}

/// Creates a folder and its parents.
pub fn create_dir_all(path: &Path) -> Result<()> {
    fs::create_dir_all(path).map_err(|e| Error::io("create folder", path, e))
}

/// Removes a folder and everything in it; a missing folder is fine.
pub fn remove_dir_all(path: &Path) -> Result<()> {
    match fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io("remove", path, e)),
        _ => Ok(()),
    }
}

/// Renames a file or folder.
pub fn rename(from: &Path, to: &Path) -> Result<()> {
    fs::rename(from, to).map_err(|e| Error::io("rename", from, e))
}

/// Every file below `root`, as `/`-separated paths relative to it, sorted. Anything but a
/// regular file or a folder (a symbolic link, a pipe, a device) is refused, naming it as
/// `shown` (how the user knows the folder: `content`, the output folder) and its path below.
pub fn walk_files(root: &Path, shown: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    walk(root, "", shown, &mut out)?;
    out.sort();
    Ok(out)
}

/// Adds the files below `dir` to `out`, each as `prefix` and its path below `dir`.
fn walk(dir: &Path, prefix: &str, shown: &str, out: &mut Vec<String>) -> Result<()> {
    if prefix.matches('/').count() >= limits::FOLDER_DEPTH {
        return Err(Error::refused(
            format!("{shown}/{}", prefix.trim_end_matches('/')),
            format!("expected folders at most {} deep, found deeper ones", limits::FOLDER_DEPTH),
        ));
    }
    let entries = fs::read_dir(dir).map_err(|e| Error::io("read folder", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("read folder", dir, e))?;
        let name = entry.file_name();
        let rel = format!("{prefix}{}", name.to_string_lossy());
        let kind = entry.file_type().map_err(|e| Error::io("read", entry.path(), e))?;
        if kind.is_dir() {
            walk(&dir.join(&name), &format!("{rel}/"), shown, out)?;
        } else if kind.is_file() {
            out.push(rel);
        } else {
            return Err(not_regular(&format!("{shown}/{rel}"), &kind));
        }
    }
    Ok(())
}

/// What a path inside the site folder is, found without following a symbolic link at any
/// step of the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// Nothing is there (or a step of the path is not a folder).
    Missing,
    /// A regular file.
    File,
    /// A folder.
    Dir,
    /// Something junheng does not read: a symbolic link, a pipe, a socket or a device (the
    /// path's first such step, site-relative, and what it is).
    Refused(&'static str),
}

/// What `rel` (`/`-separated, relative to the site folder `root`) is. Each step is looked at
/// itself: a link to a folder outside the site is refused, never entered.
pub fn site_entry(root: &Path, rel: &str) -> Entry {
    let mut path = root.to_path_buf();
    let steps: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
    for (i, step) in steps.iter().enumerate() {
        path.push(step);
        let Ok(meta) = fs::symlink_metadata(&path) else { return Entry::Missing };
        let kind = meta.file_type();
        let last = i + 1 == steps.len();
        if kind.is_dir() {
            if last {
                return Entry::Dir;
            }
        } else if kind.is_file() {
            return if last { Entry::File } else { Entry::Missing };
        } else {
            return Entry::Refused(kind_name(&kind));
        }
    }
    Entry::Dir
}

/// True when `rel` is a folder of the site, false when nothing is there; a link or another
/// thing in its place is refused.
pub fn site_dir(root: &Path, rel: &str) -> Result<bool> {
    match site_entry(root, rel) {
        Entry::Dir => Ok(true),
        Entry::Missing | Entry::File => Ok(false),
        Entry::Refused(what) => Err(refusal(&refused_step(root, rel), what)),
    }
}

/// The site-relative path of the first step of `rel` that is not a regular file or folder.
fn refused_step(root: &Path, rel: &str) -> String {
    let steps: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
    (1..=steps.len())
        .map(|n| steps[..n].join("/"))
        .find(|p| matches!(site_entry(root, p), Entry::Refused(_)))
        .unwrap_or_else(|| rel.to_string())
}

/// Reads the regular file `rel` of the site folder `root`, at most the limit of its `kind`.
/// A symbolic link (at any step of the path), a pipe, a socket or a device is refused unread;
/// so is a file over the limit, before it is read.
pub fn read_site_file(root: &Path, rel: &str, kind: FileKind) -> Result<Vec<u8>> {
    let path: PathBuf = root.join(rel);
    match site_entry(root, rel) {
        Entry::File => {}
        Entry::Refused(what) => return Err(refusal(&refused_step(root, rel), what)),
        Entry::Missing | Entry::Dir => {
            return Err(Error::io("read", &path, std::io::Error::from(std::io::ErrorKind::NotFound)));
        }
    }
    let mut file = open_no_follow(&path).map_err(|e| Error::io("read", &path, e))?;
    let meta = file.metadata().map_err(|e| Error::io("read", &path, e))?;
    if !meta.is_file() {
        return Err(not_regular(rel, &meta.file_type()));
    }
    let max = kind.max_bytes();
    let too_big = |len: u64| {
        Error::refused(
            rel,
            format!(
                "expected {} of at most {}, found {}: this is the limit for such a file",
                kind.noun(),
                limits::bytes(max),
                limits::bytes(len)
            ),
        )
    };
    if meta.len() > max {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    (&mut file).take(max + 1).read_to_end(&mut bytes).map_err(|e| Error::io("read", &path, e))?;
    if bytes.len() as u64 > max {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Opens a file for reading without following a final symbolic link and without waiting on a
/// pipe.
fn open_no_follow(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
        options.custom_flags(flags.bits() as i32);
    }
    options.open(path)
}

fn kind_name(kind: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    if kind.is_symlink() { "a symbolic link" } else { "neither a file nor a folder" }
}

fn not_regular(rel: &str, kind: &fs::FileType) -> Error {
    refusal(rel, kind_name(kind))
}

fn refusal(rel: &str, what: &str) -> Error {
    Error::refused(
        rel,
        format!(
            "expected a regular file or folder, found {what}: junheng reads only regular files and folders, never what a link points to (put the file itself in its place)"
        ),
    )
}

/// What identifies a file's version without reading it: its size, modification time and inode.
/// Equal stamps are taken to mean equal contents, as build tools do (see [`stamp`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    inode: u64,
}

/// The [`Stamp`] of the file at `path`, `None` if there is none. A file rewritten within one
/// tick of the file system's clock at the same size keeps its stamp: the preview server also
/// forgets what it keeps of a file whenever the watcher reports it.
pub fn stamp(path: &Path) -> Option<Stamp> {
    let meta = fs::symlink_metadata(path).ok().filter(fs::Metadata::is_file)?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some(Stamp { len: meta.len(), modified: meta.modified().ok(), inode })
}
