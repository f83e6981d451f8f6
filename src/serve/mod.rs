//! `junheng serve`: a watch-mode preview that never lies.
//!
//! Threads: the main thread runs the watch loop and rebuilds; one thread takes HTTP requests
//! from tiny_http and hands page requests to a fixed pool of workers, each event stream to a
//! thread of its own (up to a limit), so long-lived event streams never stall page requests
//! and a flood of connections is shed, never fatal (see [`serve_http`]). They share a [`State`]: the current site in memory, its
//! build id and `generation` (a `Mutex` + `Condvar` that event streams wait on) and the
//! diagnostics of a failed build.
//!
//! The site is rendered to memory and swapped in whole once complete, so a request never sees
//! a half-built site and serving writes nothing to disk (Ctrl-C leaves no partial files).
//! Rebuilds run the pipeline ([`crate::pipeline::Pipeline`]) keeping its values, so a rebuild
//! makes again only what an edit changed; the result equals a clean build, which the tests
//! check after sequences of edits (and `JUNHENG_VERIFY=1` checks at every rebuild).

mod http;
mod watch;

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::diag::Diagnostics;
use crate::error::{Error, Result};
use crate::pipeline::{Keep, Outcome, Pipeline, To};

/// Options of `junheng serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The site folder.
    pub site: PathBuf,
    /// Address to bind (`127.0.0.1` by default).
    pub bind: String,
    /// Port; 0 picks a free one.
    pub port: u16,
    /// Open the site in the default browser once it is served.
    pub open: bool,
}

/// The served site: files by output path.
type Files = Arc<HashMap<String, bytes::Bytes>>;

/// What request threads read and event streams wait on.
pub(crate) struct State {
    current: Mutex<Current>,
    changed: Condvar,
}

#[derive(Clone)]
pub(crate) struct Current {
    /// Bumped whenever what is served changes (new files, a failed build, its fix).
    pub generation: u64,
    /// Identifies what is served: pages carry it and report it when their stream (re)connects.
    pub build_id: String,
    pub files: Files,
    /// The diagnostics of the last build when it failed (the overlay shows them).
    pub errors: Option<Arc<Vec<OverlayItem>>>,
    /// The event announcing this generation (JSON).
    pub event: String,
    /// Set on Ctrl-C: event streams end.
    pub stopping: bool,
}

/// One diagnostic as the overlay lists it: as the terminal prints it (file:line:column,
/// message, the source line with a caret).
#[derive(Debug, Clone)]
pub(crate) struct OverlayItem {
    pub severity: &'static str,
    pub text: String,
}

impl State {
    fn new(nonce: &str) -> State {
        State {
            current: Mutex::new(Current {
                generation: 0,
                build_id: format!("{nonce}-0"),
                files: Arc::new(HashMap::new()),
                errors: None,
                event: String::new(),
                stopping: false,
            }),
            changed: Condvar::new(),
        }
    }

    pub(crate) fn snapshot(&self) -> Current {
        self.current.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits until the generation differs from `seen` (or the server stops, or `timeout`).
    pub(crate) fn wait_change(&self, seen: u64, timeout: Duration) -> Current {
        let guard = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = self
            .changed
            .wait_timeout_while(guard, timeout, |c| c.generation == seen && !c.stopping)
            .unwrap_or_else(|e| e.into_inner());
        guard.clone()
    }

    fn publish(&self, update: impl FnOnce(&mut Current)) {
        let mut guard = self.current.lock().unwrap_or_else(|e| e.into_inner());
        update(&mut guard);
        drop(guard);
        self.changed.notify_all();
    }
}

/// Runs the preview server until Ctrl-C.
pub fn serve(opts: &ServeOptions) -> Result<()> {
    let site = opts
        .site
        .canonicalize()
        .map_err(|_| Error::Usage(format!("the site folder `{}` does not exist", opts.site.display())))?;
    if !site.join("site.toml").is_file() {
        return Err(Error::Usage(format!("no `site.toml` in `{}`: is it a junheng site?", site.display())));
    }
    let listener = std::net::TcpListener::bind((opts.bind.as_str(), opts.port))
        .map_err(|e| Error::Usage(format!("cannot listen on {}:{}: {e}", opts.bind, opts.port)))?;
    let addr = match listener.local_addr() {
        Ok(a) if a.ip().is_unspecified() => format!("127.0.0.1:{}", a.port()),
        Ok(a) => a.to_string(),
        Err(_) => format!("{}:{}", opts.bind, opts.port),
    };
    let nonce = format!(
        "{:x}",
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis()
    );
    let state = Arc::new(State::new(&nonce));

    let (tx, rx) = std::sync::mpsc::channel::<watch::Message>();
    let stop_tx = tx.clone();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(watch::Message::Stop);
    })
    .map_err(|e| Error::Usage(format!("cannot handle Ctrl-C: {e}")))?;

    let keep = if std::env::var_os("JUNHENG_VERIFY").is_some_and(|v| v == "1") { Keep::Verified } else { Keep::Values };
    let mut builder = Builder {
        site: site.clone(),
        preview: Pipeline::new(&site, keep),
        keep,
        nonce,
        notes_shown: Default::default(),
    };
    builder.rebuild(&state, &[]);
    let output_dir = builder.output_dir();

    // Watch before announcing the address: an edit made right after it is never missed.
    let _watcher = watch::start(&site, output_dir.as_deref(), tx)?;
    serve_http(listener, state.clone());
    // tiny_http hands each connection to a thread pool whose wake-up can be lost when two
    // connections arrive together; a queued connection then waits until the next connection
    // makes the pool add a thread. Event streams keep pool threads busy for good, so in a quiet
    // moment that wait could last forever. A connection to ourselves every 500 ms bounds it.
    let poke_state = state.clone();
    let poke_addr = addr.clone();
    std::thread::spawn(move || {
        while !poke_state.snapshot().stopping {
            std::thread::sleep(Duration::from_millis(500));
            let _ = std::net::TcpStream::connect(&poke_addr);
        }
    });
    println!("serving `{}` at http://{addr}/ (Ctrl-C to stop)", site.display());
    let _ = std::io::stdout().flush();
    if opts.open
        && let Err(e) = opener::open(format!("http://{addr}/"))
    {
        eprintln!("warning: could not open a browser: {e}");
    }

    while let Ok(message) = rx.recv() {
        match message {
            watch::Message::Stop => break,
            watch::Message::Changed(mut paths) => {
                // Drain what else arrived: one rebuild for a burst.
                while let Ok(m) = rx.try_recv() {
                    match m {
                        watch::Message::Changed(more) => paths.extend(more),
                        watch::Message::Stop => {
                            paths.clear();
                            state.publish(|c| c.stopping = true);
                            break;
                        }
                    }
                }
                if state.snapshot().stopping {
                    break;
                }
                let paths: Vec<String> = paths.into_iter().collect::<BTreeSet<_>>().into_iter().collect();
                if !paths.is_empty() {
                    builder.rebuild(&state, &paths);
                }
            }
        }
    }
    state.publish(|c| c.stopping = true);
    println!("stopped");
    Ok(())
}

/// How long a connection may stay silent before it is closed: an idle or stalled client
/// never holds the server's threads for long.
const IDLE: Duration = Duration::from_secs(10);
/// Threads answering page requests.
const WORKERS: usize = 8;
/// Page requests waiting for a worker; past this a request is answered 503 at once.
const QUEUE: usize = 256;
/// Event streams (open preview tabs) at once; past this a stream is answered 503 (the page's
/// script tries again).
const STREAMS: usize = 64;

/// Serves `listener` until the process stops: tiny_http reads the requests; page requests go
/// to a fixed pool of workers through a bounded queue, event streams to threads of their own,
/// up to a limit. Idle connections are closed after [`IDLE`] (the accepted sockets inherit the
/// listener's receive timeout). When tiny_http stops accepting (the process ran out of file
/// handles under a flood of connections), it is started again on the same socket.
fn serve_http(listener: std::net::TcpListener, state: Arc<State>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::net::sockopt::set_socket_timeout(&listener, rustix::net::sockopt::Timeout::Recv, Some(IDLE));
        raise_file_limit();
    }
    let (tx, rx) = std::sync::mpsc::sync_channel::<tiny_http::Request>(QUEUE);
    let rx = Arc::new(Mutex::new(rx));
    for _ in 0..WORKERS {
        let (rx, state) = (rx.clone(), state.clone());
        std::thread::spawn(move || {
            loop {
                let next = rx.lock().unwrap_or_else(std::sync::PoisonError::into_inner).recv();
                let Ok(request) = next else { return };
                http::handle(request, &state);
            }
        });
    }
    let streams = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        let busy = |request: tiny_http::Request| {
            let _ = request.respond(tiny_http::Response::from_string("busy: try again\n").with_status_code(503));
        };
        loop {
            let Ok(socket) = listener.try_clone() else { return };
            let Ok(server) = tiny_http::Server::from_listener(socket, None) else { return };
            for request in server.incoming_requests() {
                let stream = request.url().split('?').next() == Some(http::EVENTS);
                if !stream {
                    if let Err(std::sync::mpsc::TrySendError::Full(request)) = tx.try_send(request) {
                        busy(request);
                    }
                    continue;
                }
                if streams.fetch_add(1, Ordering::SeqCst) >= STREAMS {
                    streams.fetch_sub(1, Ordering::SeqCst);
                    busy(request);
                    continue;
                }
                let (st, open) = (state.clone(), streams.clone());
                let spawned = std::thread::Builder::new().spawn(move || {
                    http::handle(request, &st);
                    open.fetch_sub(1, Ordering::SeqCst);
                });
                if spawned.is_err() {
                    streams.fetch_sub(1, Ordering::SeqCst);
                }
            }
            if state.snapshot().stopping {
                return;
            }
            // tiny_http's accept loop ended on an error (out of file handles): a moment for
            // connections to close, then serve again.
            std::thread::sleep(Duration::from_millis(100));
        }
    });
}

/// Lets the preview hold as many connections as the system allows this user (the soft limit
/// on open files is often 1,024, the hard one far higher), so that a flood of connections is
/// shed by the idle timeout rather than refused at accept.
#[cfg(target_os = "linux")]
fn raise_file_limit() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let most = limit.maximum.unwrap_or(1 << 20);
    if limit.current.is_some_and(|c| c < most) {
        let _ = setrlimit(Resource::Nofile, Rlimit { current: Some(most), maximum: limit.maximum });
    }
}

/// Rebuilds on demand, keeping what can be reused between builds.
struct Builder {
    site: PathBuf,
    preview: Pipeline,
    keep: Keep,
    nonce: String,
    /// The notes printed so far: a note (no git repository, say) is printed once a run, not
    /// after every rebuild; errors and warnings every time they hold.
    notes_shown: std::collections::HashSet<String>,
}

impl Builder {
    /// The output folder of `site.toml`, never watched (serving does not write it).
    fn output_dir(&self) -> Option<PathBuf> {
        self.preview.config().map(|c| self.site.join(&c.output_dir))
    }

    /// Builds the site and publishes the result (or the diagnostics, keeping the last good site).
    fn rebuild(&mut self, state: &State, changed_inputs: &[String]) {
        let start = Instant::now();
        let what = describe_inputs(changed_inputs);
        self.preview.forget(changed_inputs);
        // A bug that panics must not take the preview down: the last good site stays served with
        // the failure over it, and the next rebuild starts from nothing (what the preview kept
        // may be half updated).
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.preview.run(To::Memory, false)))
            .unwrap_or_else(|panic| {
                self.preview = Pipeline::new(&self.site, self.keep);
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(Error::Usage(format!(
                    "junheng failed while rebuilding (a bug: please report it with the change you made): {what}"
                )))
            });
        let ms = start.elapsed().as_millis();
        let before = state.snapshot();
        match result {
            Ok(Outcome { files, mut diagnostics, .. }) => {
                let shown = &mut self.notes_shown;
                diagnostics.retain(|d| d.severity != crate::diag::Severity::Note || shown.insert(d.to_string()));
                eprint!("{diagnostics}");
                let new: HashMap<String, bytes::Bytes> = files.into_iter().map(|f| (f.path, f.bytes)).collect();
                let mut changed: Vec<&String> = new
                    .iter()
                    // A reused file shares its bytes with the one served: no need to compare them.
                    .filter(|(p, b)| {
                        before
                            .files
                            .get(*p)
                            .is_none_or(|old| !(old.as_ptr() == b.as_ptr() && old.len() == b.len()) && old != *b)
                    })
                    .map(|(p, _)| p)
                    .collect();
                let removed: Vec<&String> = before.files.keys().filter(|p| !new.contains_key(*p)).collect();
                changed.sort();
                let recovered = before.errors.is_some();
                if changed.is_empty() && removed.is_empty() && !recovered && before.generation > 0 {
                    println!("rebuilt in {ms} ms{what}: no output changed");
                    return;
                }
                let css_only = !recovered
                    && !changed_inputs.is_empty()
                    && changed_inputs
                        .iter()
                        .all(|p| p.starts_with("themes/") && p.contains("/css/") && p.ends_with(".css"));
                let urls: Vec<String> = changed.iter().chain(removed.iter()).map(|p| url_of(p)).collect();
                let focus = focus_of(&changed);
                let (rendered, reused) = self.preview.pages_made_and_reused();
                // Printed once the new site is served: whoever reads the line finds it there.
                let line = format!(
                    "rebuilt in {ms} ms{what}: {} changed, {} removed ({} pages and feeds made, {} reused){}",
                    changed.len(),
                    removed.len(),
                    rendered,
                    reused,
                    preview(&urls)
                );
                let kind = if css_only { "css" } else { "reload" };
                let generation = before.generation + 1;
                let build_id = format!("{}-{generation}", self.nonce);
                let event =
                    json!({ "build": build_id, "kind": kind, "changed": urls.iter().take(200).collect::<Vec<_>>(),
                                    "focus": focus })
                    .to_string();
                let files = Arc::new(new);
                state.publish(move |c| {
                    c.generation = generation;
                    c.build_id = build_id;
                    c.files = files;
                    c.errors = None;
                    c.event = event;
                });
                println!("{line}");
            }
            Err(e) => {
                let items = match &e {
                    Error::Site(diags) => {
                        eprint!("{diags}");
                        overlay_items(diags)
                    }
                    other => {
                        eprintln!("error: {other}");
                        vec![OverlayItem { severity: "error", text: format!("error: {other}") }]
                    }
                };
                // Printed once the errors are served (as above).
                let line = format!(
                    "build failed in {ms} ms{what}: {} problem(s); still serving the last good site, with the errors over every page",
                    items.len()
                );
                let generation = before.generation + 1;
                let build_id = format!("{}-{generation}", self.nonce);
                let event = json!({ "build": build_id, "kind": "error", "changed": [], "focus": null }).to_string();
                state.publish(move |c| {
                    c.generation = generation;
                    c.build_id = build_id;
                    c.errors = Some(Arc::new(items));
                    c.event = event;
                });
                println!("{line}");
            }
        }
        let _ = std::io::stdout().flush();
    }
}

fn describe_inputs(paths: &[String]) -> String {
    match paths {
        [] => String::new(),
        [one] => format!(" ({one})"),
        [first, rest @ ..] => format!(" ({first} and {} more)", rest.len()),
    }
}

fn preview(urls: &[String]) -> String {
    if urls.is_empty() {
        return String::new();
    }
    let shown: Vec<&str> = urls.iter().take(5).map(String::as_str).collect();
    let more = if urls.len() > 5 { format!(" …and {} more", urls.len() - 5) } else { String::new() };
    format!(": {}{more}", shown.join(" "))
}

/// The URL of an output path (`county/450802/index.html` → `/county/450802/`).
fn url_of(path: &str) -> String {
    match path.strip_suffix("index.html") {
        Some(dir) => format!("/{dir}"),
        None => format!("/{path}"),
    }
}

/// When the pages of exactly one county changed: its page per language prefix, so a browser
/// showing an unchanged page can jump to it.
fn focus_of(changed: &[&String]) -> serde_json::Value {
    let mut codes = BTreeSet::new();
    let mut pages = serde_json::Map::new();
    for p in changed {
        let Some(i) = p.find("county/") else { continue };
        let (prefix, rest) = p.split_at(i);
        let Some(code) = rest.strip_prefix("county/").and_then(|r| r.strip_suffix("/index.html")) else { continue };
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) && !prefix.contains("county/") {
            codes.insert(code.to_string());
            pages.insert(prefix.to_string(), json!(format!("/{prefix}county/{code}/")));
        }
    }
    if codes.len() == 1 { serde_json::Value::Object(pages) } else { serde_json::Value::Null }
}

fn overlay_items(diags: &Diagnostics) -> Vec<OverlayItem> {
    let failed = diags.has_errors();
    diags
        .sorted()
        .into_iter()
        .filter(|d| !(failed && d.severity == crate::diag::Severity::Note))
        .map(|d| OverlayItem {
            severity: match d.severity {
                crate::diag::Severity::Error => "error",
                crate::diag::Severity::Warning => "warning",
                crate::diag::Severity::Note => "note",
            },
            text: d.to_string(),
        })
        .collect()
}

/// Relative path of `path` in `site` with `/` separators, if it is a site input the preview
/// watches (`site.toml`, the CSV files of `data/`, `content/`, `themes/`) and
/// not an editor's temporary file (`sed -i`, for one, writes `data/sedXXXXXX` first).
pub(crate) fn input_path(site: &Path, output: Option<&Path>, path: &Path) -> Option<String> {
    if output.is_some_and(|o| path.starts_with(o)) {
        return None;
    }
    let rel = path.strip_prefix(site).ok()?;
    let rel = rel.to_str()?.replace('\\', "/");
    let watched = rel == "site.toml"
        || (rel.starts_with("data/") && (rel.ends_with(".csv") || rel.ends_with(".xlsx")))
        || rel.starts_with("content/")
        || rel.starts_with("themes/");
    let name = rel.rsplit('/').next().unwrap_or(&rel);
    (watched && !is_temp_file(name)).then_some(rel)
}

/// Editors' temporary and backup files (after Zola's `is_temp_file`).
fn is_temp_file(name: &str) -> bool {
    name.starts_with(".#")
        || (name.starts_with('#') && name.ends_with('#'))
        || name.ends_with('~')
        || name == "4913"
        || name.starts_with(".goutputstream-")
        || name == ".DS_Store"
        || [".swp", ".swx", ".swo", ".tmp", ".bak", ".part", ".crdownload"].iter().any(|ext| name.ends_with(ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Guards the watch filter: inputs only, never the output folder nor editors' temp files.
    #[test]
    fn watched_inputs() {
        let site = Path::new("/s");
        let out = Some(Path::new("/s/public"));
        assert_eq!(input_path(site, out, Path::new("/s/data/indicators.csv")).as_deref(), Some("data/indicators.csv"));
        assert_eq!(input_path(site, out, Path::new("/s/site.toml")).as_deref(), Some("site.toml"));
        assert_eq!(input_path(site, out, Path::new("/s/data/schools.xlsx")).as_deref(), Some("data/schools.xlsx"));
        assert_eq!(
            input_path(site, out, Path::new("/s/themes/default/css/site.css")).as_deref(),
            Some("themes/default/css/site.css")
        );
        for ignored in [
            "/s/public/index.html",
            "/s/target/debug/junheng",
            "/s/content/.#about.md",
            "/s/content/about.md~",
            "/s/content/.about.md.swp",
            "/s/data/4913",
            "/s/data/sedUBGll2",
            "/s/content/#about.md#",
            "/s/README.md",
        ] {
            assert_eq!(input_path(site, out, Path::new(ignored)), None, "{ignored}");
        }
    }

    // Guards the jump target: one county's pages changed → its page in each language.
    #[test]
    fn focus_on_one_changed_county() {
        let a = "county/450804/index.html".to_string();
        let b = "en/county/450804/index.html".to_string();
        let c = "index.html".to_string();
        let d = "county/450802/index.html".to_string();
        assert_eq!(focus_of(&[&a, &b, &c]), json!({ "": "/county/450804/", "en/": "/en/county/450804/" }));
        assert_eq!(focus_of(&[&a, &d]), serde_json::Value::Null);
        assert_eq!(url_of("en/county/450804/index.html"), "/en/county/450804/");
        assert_eq!(url_of("assets/site.css"), "/assets/site.css");
    }
}
