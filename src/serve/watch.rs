//! Watching the site's inputs with notify: `site.toml`, `content/`, `data/`, `themes/`
//! (recursively, including folders created later), never the output folder. Events are
//! debounced (100 ms of quiet, notify-debouncer-full); reads (access events, such as the build's own) are ignored so an editor's atomic save or a `git checkout` of
//! many files gives one rebuild; deleted and renamed files arrive as changed paths and the
//! rebuild reads the folder as it now is. In a git repository, its `HEAD`, `packed-refs` and
//! `refs/` are watched too: a new commit or tag rebuilds (the revision history moves).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer_opt};

use crate::error::{Error, Result};

/// What the watch loop receives.
pub(crate) enum Message {
    /// Site inputs changed (relative paths).
    Changed(Vec<String>),
    /// Ctrl-C.
    Stop,
}

/// The input folders, watched recursively when they exist.
const FOLDERS: [&str; 3] = ["content", "data", "themes"];

/// Keeps the watcher alive.
pub(crate) struct Watch {
    _debouncer: Arc<Mutex<Debouncer<notify::RecommendedWatcher, RecommendedCache>>>,
}

/// A folder, not a link to one: links are never followed (the build refuses them).
fn is_real_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// Starts watching `site`; changed inputs are sent to `tx`.
pub(crate) fn start(site: &Path, output: Option<&Path>, tx: Sender<Message>) -> Result<Watch> {
    let site_buf = site.to_path_buf();
    let output_buf: Option<PathBuf> = output.map(Path::to_path_buf);
    let git = crate::load::git::git_dir(site);
    let git_buf = git.clone();
    // Folders created after the start are watched when the site folder reports them.
    let watched: Arc<Mutex<BTreeSet<String>>> = Arc::new(Mutex::new(BTreeSet::new()));
    type Shared = Arc<Mutex<Debouncer<notify::RecommendedWatcher, RecommendedCache>>>;
    let debouncer_slot: Arc<Mutex<Option<Shared>>> = Arc::new(Mutex::new(None));
    let slot = debouncer_slot.clone();
    let watched_in_handler = watched.clone();
    let debouncer = new_debouncer_opt::<_, notify::RecommendedWatcher, RecommendedCache>(
        Duration::from_millis(100),
        Some(Duration::from_millis(20)),
        move |result: DebounceEventResult| {
            let events = match result {
                Ok(events) => events,
                Err(errors) => {
                    errors.iter().for_each(|e| eprintln!("warning: watching failed: {e}"));
                    return;
                }
            };
            let mut changed = BTreeSet::new();
            for event in events.iter().filter(|e| !matches!(e.kind, EventKind::Access(_))) {
                for path in &event.paths {
                    if let Some(rel) = git_buf.as_deref().and_then(|g| path.strip_prefix(g).ok()) {
                        let rel = rel.to_string_lossy().replace('\\', "/");
                        let refs = rel == "HEAD" || rel == "packed-refs" || rel.starts_with("refs/");
                        if refs && !rel.ends_with(".lock") {
                            changed.insert(format!("(git) {rel}"));
                        }
                        continue;
                    }
                    if let Some(rel) = super::input_path(&site_buf, output_buf.as_deref(), path) {
                        changed.insert(rel);
                    }
                    // A watched folder (re)created: watch it (and its subfolders) from now on.
                    if let Some(name) = path.strip_prefix(&site_buf).ok().and_then(|r| r.to_str())
                        && FOLDERS.contains(&name)
                        && is_real_dir(path)
                    {
                        let mut set = watched_in_handler.lock().unwrap_or_else(|e| e.into_inner());
                        if let Some(d) = slot.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
                            let mut d = d.lock().unwrap_or_else(|e| e.into_inner());
                            if d.watch(path, RecursiveMode::Recursive).is_ok() {
                                set.insert(name.to_string());
                                changed.insert(format!("{name}/"));
                            }
                        }
                    }
                }
            }
            if !changed.is_empty() {
                let _ = tx.send(Message::Changed(changed.into_iter().collect()));
            }
        },
        RecommendedCache::new(),
        notify::Config::default().with_follow_symlinks(false),
    )
    .map_err(|e| Error::Usage(format!("cannot watch `{}`: {e}", site.display())))?;
    let debouncer = Arc::new(Mutex::new(debouncer));
    {
        let mut d = debouncer.lock().unwrap_or_else(|e| e.into_inner());
        // The site folder itself, not recursively: `site.toml` and new input folders.
        d.watch(site, RecursiveMode::NonRecursive)
            .map_err(|e| Error::Usage(format!("cannot watch `{}`: {e}", site.display())))?;
        let mut set = watched.lock().unwrap_or_else(|e| e.into_inner());
        for folder in FOLDERS {
            let path = site.join(folder);
            if is_real_dir(&path) {
                d.watch(&path, RecursiveMode::Recursive)
                    .map_err(|e| Error::Usage(format!("cannot watch `{}`: {e}", path.display())))?;
                set.insert(folder.to_string());
            }
        }
    }
    if let Some(git) = &git {
        // The repository's references: best effort (a repository without them has no history).
        let mut d = debouncer.lock().unwrap_or_else(|e| e.into_inner());
        let _ = d.watch(git, RecursiveMode::NonRecursive);
        let _ = d.watch(git.join("refs"), RecursiveMode::Recursive);
    }
    *debouncer_slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(debouncer.clone());
    Ok(Watch { _debouncer: debouncer })
}
