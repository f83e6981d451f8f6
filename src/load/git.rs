//! The site's releases, read from the git repository it lives in (with gix: no `git` program
//! needed). What is read here is where each release's files are; their bytes are read one at a
//! time when the history is made ([`History::read`]), so that a national site's ten releases
//! never sit in memory together.

use std::path::{Path, PathBuf};

use crate::config::ReleasesOf;
use crate::error::{Error, Result};
use crate::limits::FileKind;
use crate::util::fs;

/// A release: a tagged commit (or, with `releases = "commits"`, a commit that changed `data/`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReleaseRef {
    /// The tag's name, or the commit's short id.
    pub name: String,
    /// The commit, in full hex.
    pub commit: String,
    /// Commit time, seconds since 1970 (UTC).
    pub seconds: i64,
    /// The committer's offset from UTC, in seconds: the release's date is the committer's.
    pub offset: i32,
    /// The annotated tag's message, else the commit's, trimmed.
    pub message: String,
    tree: gix::ObjectId,
}

/// Where a file of a snapshot is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FileRef {
    /// A blob of a release.
    Blob {
        /// The blob.
        id: gix::ObjectId,
        /// Site-relative path (`data/schools.csv`).
        path: String,
    },
    /// A file of the site folder as it is now.
    Disk {
        /// Site-relative path.
        path: String,
    },
}

impl FileRef {
    /// The site-relative path.
    pub fn path(&self) -> &str {
        match self {
            FileRef::Blob { path, .. } | FileRef::Disk { path } => path,
        }
    }

    /// True when both are the same blob (so the same bytes, unread).
    pub fn same_blob(&self, other: &FileRef) -> bool {
        matches!((self, other), (FileRef::Blob { id: a, .. }, FileRef::Blob { id: b, .. }) if a == b)
    }
}

/// The files of one snapshot of the site: `site.toml` and each data table (in the order of
/// [`crate::format::INPUT_FILES`]; a table's CSV file, else its workbook).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Files {
    /// `site.toml`.
    pub config: Option<FileRef>,
    /// Each table of [`crate::format::INPUT_FILES`].
    pub tables: Vec<Option<FileRef>>,
}

/// The repository of a site, and its releases oldest first.
pub struct History {
    repo: gix::ThreadSafeRepository,
    /// The site folder relative to the repository's work tree, `/`-separated, with a trailing
    /// `/` (empty at the top).
    prefix: String,
    /// The site folder.
    root: PathBuf,
    /// The releases, oldest first.
    pub releases: Vec<ReleaseRef>,
    /// What identifies the state read: HEAD and every tag (the preview reads the history again
    /// when it changes).
    pub state: Vec<(String, String)>,
    /// What could not be read of the repository (a tag, an object), each left out of the
    /// history: warnings, so that `--deny-warnings` fails.
    pub warnings: Vec<String>,
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("History").field("prefix", &self.prefix).field("releases", &self.releases).finish()
    }
}

/// Why a site has no revision history: a note when it simply has none (no repository, a
/// shallow clone, no release yet), a warning when the repository cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Unavailable {
    /// The sentence to show.
    pub why: String,
    /// True when something is wrong (shown as a warning).
    pub warning: bool,
}

impl Unavailable {
    /// Nothing is wrong: the site has no history.
    pub fn note(why: impl Into<String>) -> Self {
        Unavailable { why: why.into(), warning: false }
    }

    /// The history cannot be read.
    pub fn warning(why: impl Into<String>) -> Self {
        Unavailable { why: why.into(), warning: true }
    }

    /// As a diagnostic of the site.
    pub fn diagnostic(&self) -> crate::diag::Diagnostic {
        if self.warning {
            crate::diag::Diagnostic::warning("", &self.why)
        } else {
            crate::diag::Diagnostic::note("", &self.why)
        }
    }
}

/// Reads the releases of the repository `root` is in, oldest first: their order is their
/// place on HEAD's first-parent history, never their dates (two releases tagged in the same
/// second, or a clock set wrong, cannot reverse the history). A tag or object that cannot be
/// read is left out with a warning; `Err` says why the site has no history at all.
pub fn open(root: &Path, of: ReleasesOf) -> std::result::Result<History, Unavailable> {
    use gix::discover::upwards::Error as NotFound;
    if let Err(e) = gix::discover::upwards(root)
        && let Some(
            NotFound::NoGitRepository { .. }
            | NotFound::NoGitRepositoryWithinCeiling { .. }
            | NotFound::NoGitRepositoryWithinFs { .. },
        ) = e.downcast_any_ref::<NotFound>()
    {
        return Err(Unavailable::note(
            "the site folder is not in a git repository, so no revision history is shown (`git init`, commit the site and tag a release: `git tag -a v1 -m …`)",
        ));
    }
    let repo = gix::ThreadSafeRepository::discover(root).map_err(|e| {
        Unavailable::warning(format!("the site's git repository cannot be read ({e}), so no revision history is shown"))
    })?;
    let local = repo.to_thread_local();
    if local.is_shallow().unwrap_or(false) {
        return Err(Unavailable::note(
            "the site is a shallow clone of its git repository: its history is incomplete, so no revision history is shown (`git fetch --unshallow` fetches it)",
        ));
    }
    let Some(workdir) = local.workdir() else {
        return Err(Unavailable::note("the site's git repository has no work tree, so no revision history is shown"));
    };
    let prefix = match (std::fs::canonicalize(workdir), std::fs::canonicalize(root)) {
        (Ok(w), Ok(r)) => match r.strip_prefix(&w) {
            Ok(rel) => rel.components().map(|c| format!("{}/", c.as_os_str().to_string_lossy())).collect(),
            Err(_) => {
                return Err(Unavailable::note(
                    "the site folder lies outside its repository's work tree, so no revision history is shown",
                ));
            }
        },
        _ => {
            return Err(Unavailable::note("the site's git work tree cannot be found, so no revision history is shown"));
        }
    };
    let mut warnings = Vec::new();
    let mut read = || -> std::result::Result<(Vec<ReleaseRef>, State), Failure> {
        let head = match local.head_commit() {
            Ok(head) => head,
            // No commit yet: no release yet.
            Err(_) if local.head().is_ok_and(|h| h.is_unborn()) => return Ok((Vec::new(), Vec::new())),
            Err(e) => return Err(e.into()),
        };
        let mut state = vec![("HEAD".to_string(), head.id.to_string())];
        let releases = match of {
            ReleasesOf::Tags => tags(&local, head.id, &mut state, &mut warnings)?,
            ReleasesOf::Commits => commits(&local, head.id, &format!("{prefix}data"))?,
        };
        Ok((releases, state))
    };
    let (mut releases, state) = read().map_err(|e| {
        Unavailable::warning(format!("the site's git history cannot be read ({e}), so no revision history is shown"))
    })?;
    releases.dedup_by(|later, earlier| later.commit == earlier.commit);
    for r in &mut releases {
        let found = crate::util::text::controls(&r.message).next();
        if let Some((_, c)) = found {
            warnings.push(format!(
                "the message of release `{}` holds the control character {}: shown as `U+FFFD`",
                r.name,
                crate::util::text::code_point(c)
            ));
            r.message = r
                .message
                .chars()
                .map(|c| if c.is_control() && !matches!(c, '\n' | '\t') { '\u{fffd}' } else { c })
                .collect();
        }
    }
    if releases.is_empty() {
        let why = match of {
            ReleasesOf::Tags => {
                "the site's repository has no release yet: tag a commit (`git tag -a v1 -m …`) to start its revision history"
            }
            ReleasesOf::Commits => {
                "no commit of the site's repository changes `data/` yet, so there is no revision history"
            }
        };
        return Err(match warnings.first() {
            Some(w) => Unavailable::warning(format!("{w}, and no other release can be read")),
            None => Unavailable::note(why),
        });
    }
    Ok(History { repo, prefix, root: root.to_path_buf(), releases, state, warnings })
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// HEAD and each tag, with the object each points to.
type State = Vec<(String, String)>;

/// The tags whose commit is HEAD or one of its ancestors, each as a release, in the order of
/// their commits' [`places`]. A tag that cannot be read is left out with a warning.
fn tags(
    repo: &gix::Repository,
    head: gix::ObjectId,
    state: &mut Vec<(String, String)>,
    warnings: &mut Vec<String>,
) -> std::result::Result<Vec<ReleaseRef>, Failure> {
    let places = places(repo, head)?;
    let mut releases = Vec::new();
    for reference in repo.references()?.tags()? {
        let mut reference = match reference {
            Ok(r) => r,
            Err(e) => {
                warnings.push(format!(
                    "a tag of the site's repository cannot be read ({e}): it is left out of the revision history"
                ));
                continue;
            }
        };
        let name = reference.name().shorten().to_string();
        let target = reference.id().detach();
        state.push((name.clone(), target.to_string()));
        let mut one = || -> std::result::Result<Option<(usize, ReleaseRef)>, Failure> {
            let tag_message = match repo.find_object(target)?.try_into_tag() {
                Ok(tag) => Some(tag.decode()?.message.to_string()),
                Err(_) => None,
            };
            let Ok(commit) = reference.peel_to_commit() else { return Ok(None) };
            let Some(&place) = places.get(&commit.id) else { return Ok(None) };
            Ok(Some((place, release(name.clone(), &commit, tag_message)?)))
        };
        match one() {
            Ok(found) => releases.extend(found),
            Err(e) => warnings.push(format!(
                "tag `{}` cannot be read ({e}): it is left out of the revision history",
                crate::diag::shorten(&name, 80)
            )),
        }
    }
    state.sort();
    releases.sort_by(|(a, ra), (b, rb)| (a, ra.seconds, &ra.name).cmp(&(b, rb.seconds, &rb.name)));
    Ok(releases.into_iter().map(|(_, r)| r).collect())
}

/// The place of each commit of HEAD's history: the first-parent commits numbered oldest
/// first (twice their index, plus one), and each commit a merge brought in just before the
/// merge that brought it (twice the merge's index; among themselves, releases on such commits
/// go by date).
fn places(
    repo: &gix::Repository,
    head: gix::ObjectId,
) -> std::result::Result<std::collections::HashMap<gix::ObjectId, usize>, Failure> {
    let chain: Vec<gix::ObjectId> = repo
        .rev_walk([head])
        .first_parent_only()
        .all()?
        .map(|info| info.map(|i| i.id))
        .collect::<std::result::Result<_, _>>()?;
    let mut places = std::collections::HashMap::new();
    for (k, &id) in chain.iter().rev().enumerate() {
        places.insert(id, 2 * k + 1);
        let mut stack: Vec<gix::ObjectId> = repo.find_commit(id)?.parent_ids().skip(1).map(|p| p.detach()).collect();
        while let Some(c) = stack.pop() {
            if places.contains_key(&c) {
                continue;
            }
            places.insert(c, 2 * k);
            stack.extend(repo.find_commit(c)?.parent_ids().map(|p| p.detach()).filter(|p| !places.contains_key(p)));
        }
    }
    Ok(places)
}

/// The commits of HEAD's first-parent history that changed the folder `data` (site-relative
/// path in the repository), oldest first.
fn commits(repo: &gix::Repository, head: gix::ObjectId, data: &str) -> std::result::Result<Vec<ReleaseRef>, Failure> {
    let data_of = |commit: &gix::Commit<'_>| -> std::result::Result<Option<gix::ObjectId>, Failure> {
        Ok(commit.tree()?.lookup_entry_by_path(data)?.map(|e| e.object_id()))
    };
    let mut releases = Vec::new();
    for info in repo.rev_walk([head]).first_parent_only().all()? {
        let commit = repo.find_commit(info?.id)?;
        let here = data_of(&commit)?;
        let before = match commit.parent_ids().next() {
            Some(parent) => data_of(&repo.find_commit(parent)?)?,
            None => None,
        };
        if here.is_some() && here != before {
            let short = commit.id.to_hex_with_len(10).to_string();
            releases.push(release(short, &commit, None)?);
        }
    }
    releases.reverse();
    Ok(releases)
}

fn release(
    name: String,
    commit: &gix::Commit<'_>,
    tag_message: Option<String>,
) -> std::result::Result<ReleaseRef, Failure> {
    let time = commit.time()?;
    let message = match tag_message {
        Some(m) if !m.trim().is_empty() => m,
        _ => commit.message_raw()?.to_string(),
    };
    Ok(ReleaseRef {
        name,
        commit: commit.id.to_string(),
        seconds: time.seconds,
        offset: time.offset,
        message: message.trim().to_string(),
        tree: commit.tree_id()?.detach(),
    })
}

impl History {
    /// The files of a release.
    pub fn files_of(&self, release: &ReleaseRef) -> Result<Files> {
        let repo = self.repo.to_thread_local();
        let tree = repo.find_tree(release.tree).map_err(|e| self.error(e))?;
        let blob = |path: &str| -> Result<Option<FileRef>> {
            let entry = tree.lookup_entry_by_path(format!("{}{path}", self.prefix)).map_err(|e| self.error(e))?;
            if entry.as_ref().is_some_and(|e| e.mode().is_link()) {
                return Err(Error::refused(
                    path,
                    "expected a regular file, found a symbolic link: junheng reads only regular files, never what a link points to",
                ));
            }
            Ok(entry
                .filter(|e| e.mode().is_blob())
                .map(|e| FileRef::Blob { id: e.object_id(), path: path.to_string() }))
        };
        let mut tables = Vec::new();
        for spec in crate::format::INPUT_FILES {
            let book = super::workbook_of(spec.file);
            tables.push(match blob(spec.file)? {
                Some(f) => Some(f),
                None => blob(&book)?,
            });
        }
        Ok(Files { config: blob(crate::config::CONFIG_FILE)?, tables })
    }

    /// The site folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The bytes of a snapshot's file, bounded as the site folder's files are.
    pub fn read(&self, file: &FileRef) -> Result<Vec<u8>> {
        match file {
            FileRef::Blob { id, path } => {
                let repo = self.repo.to_thread_local();
                // Bounded as the site folder's files are, before the blob is unpacked.
                let kind = file_kind(path);
                let size = repo.find_header(*id).map_err(|e| self.error(e))?.size();
                if size > kind.max_bytes() {
                    return Err(Error::refused(
                        path.as_str(),
                        format!(
                            "expected {} of at most {}, found {}",
                            kind.noun(),
                            crate::limits::bytes(kind.max_bytes()),
                            crate::limits::bytes(size)
                        ),
                    ));
                }
                Ok(repo.find_blob(*id).map_err(|e| self.error(e))?.take_data())
            }
            FileRef::Disk { path } => fs::read_site_file(&self.root, path, file_kind(path)),
        }
    }

    fn error(&self, e: impl std::fmt::Display) -> Error {
        Error::Usage(format!("the site's git repository cannot be read: {e}"))
    }
}

/// The kind of a snapshot's file, for its size limit.
fn file_kind(path: &str) -> FileKind {
    match path {
        crate::config::CONFIG_FILE => FileKind::Config,
        p if p.ends_with(".xlsx") => FileKind::Workbook,
        _ => FileKind::Table,
    }
}

/// The git folder of the repository `root` is in, if any (the preview watches its `HEAD`, tags
/// and branches).
pub fn git_dir(root: &Path) -> Option<PathBuf> {
    gix::discover::upwards(root).ok().map(|(path, _)| path.into_repository_and_work_tree_directories().0)
}

/// The files of the site folder as it is now.
pub fn working_files(root: &Path) -> Files {
    let disk = |path: &str| super::is_present(root, path).then(|| FileRef::Disk { path: path.to_string() });
    let tables = crate::format::INPUT_FILES
        .iter()
        .map(|spec| disk(spec.file).or_else(|| disk(&super::workbook_of(spec.file))))
        .collect();
    Files { config: disk(crate::config::CONFIG_FILE), tables }
}
