//! `junheng serve`: started on port 0 and driven with real file edits and raw HTTP requests.
//! After every sequence of edits the served site must equal a clean build of the same inputs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use crate::support::{SiteTest, edit, save};

/// A running `junheng serve` and the lines it prints (on standard error: `stderr: ` first).
pub struct Served {
    child: Child,
    pub addr: String,
    lines: Receiver<String>,
    /// Every line received so far.
    pub seen: Vec<String>,
}

impl Served {
    /// Starts `serve --port 0` on the site of `t` and waits for its address.
    pub fn start(t: &SiteTest) -> Served {
        let mut child = t
            .cmd(&["serve", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("junheng serve starts");
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = channel();
        let err = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if err.send(format!("stderr: {line}")).is_err() {
                    break;
                }
            }
        });
        let mut s = Served { child, addr: String::new(), lines, seen: Vec::new() };
        let line = s.wait_for("serving ");
        let start = line.find("http://").unwrap() + "http://".len();
        s.addr = line[start..].split('/').next().unwrap().to_string();
        s
    }

    /// Waits for a printed line starting with `prefix` (skipping others).
    pub fn wait_for(&mut self, prefix: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.starts_with(prefix) {
                        return line;
                    }
                }
                Err(_) => panic!("serve never printed a line starting with {prefix:?}"),
            }
        }
    }

    /// Waits for the next rebuild (success or failure) and returns its line.
    pub fn next_build(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.starts_with("rebuilt") || line.starts_with("build failed") {
                        return line;
                    }
                }
                Err(_) => panic!("no rebuild was reported"),
            }
        }
    }

    /// Polls `path` until `ok` holds for its body (rebuilds are asynchronous), or panics.
    pub fn wait_page(&self, path: &str, what: &str, ok: impl Fn(u16, &str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (status, _, body) = self.request("GET", path);
            let body = String::from_utf8_lossy(&body).to_string();
            if ok(status, &body) {
                return body;
            }
            assert!(Instant::now() < deadline, "{what}: GET {path} never matched");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// GET (or another method) with a raw request line: status, headers and body.
    pub fn request(&self, method: &str, target: &str) -> (u16, String, Vec<u8>) {
        raw_request(&self.addr, &format!("{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
    }

    /// GET a page as text, expecting 200.
    pub fn get(&self, path: &str) -> String {
        let (status, _, body) = self.request("GET", path);
        assert_eq!(status, 200, "GET {path}");
        String::from_utf8(body).unwrap()
    }

    /// Served files and their SHA-256 (the manifest endpoint).
    pub fn manifest(&self) -> Vec<(String, String)> {
        let (status, _, body) = self.request("GET", "/__junheng/manifest");
        assert_eq!(status, 200);
        serde_json::from_slice(&body).unwrap()
    }

    /// Sends SIGINT (Ctrl-C) and waits for the exit status.
    pub fn interrupt(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let pid = self.child.id().to_string();
        std::process::Command::new("kill").args(["-INT", &pid]).status().unwrap();
        let status = self.child.wait().unwrap();
        let rest: Vec<String> = self.lines.try_iter().collect();
        (status, rest)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `request` as is and reads the whole answer.
pub fn raw_request(addr: &str, request: &str) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    let split = all.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete head");
    let head = String::from_utf8_lossy(&all[..split]).to_string();
    let body = all[split + 4..].to_vec();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head, body)
}

/// The files of a clean build of the same site, with their SHA-256.
fn clean_build(t: &SiteTest) -> Vec<(String, String)> {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("out");
    junheng::build(&junheng::BuildOptions { site: t.site.clone(), output: Some(target.clone()), deny_warnings: false })
        .unwrap_or_else(|e| panic!("clean build failed: {e:?}"));
    crate::support::tree(&target)
        .into_iter()
        .filter(|(p, _)| p != ".junheng-manifest")
        .map(|(p, b)| (p, junheng::render::downloads::sha256_hex(&b)))
        .collect()
}

// Guards the preview loop end to end: a CSV edit, a Markdown edit, a template edit, a broken
// CSV (overlay over the previous page) and its fix, a new county row, a deleted narrative; after
// each step the served site equals a clean build of the same inputs.
#[test]
fn edits_rebuild_and_equal_a_clean_build() {
    let t = SiteTest::demo();
    let mut s = Served::start(&t);
    assert_eq!(s.manifest(), clean_build(&t), "first build");

    // A published figure: the county page changes, most pages are reused.
    edit(
        &t,
        "data/indicators.csv",
        "450802,2020-2021,primary,basic,composite,,0.21,",
        "450802,2020-2021,primary,basic,composite,,0.23,",
    );
    let line = s.next_build();
    assert!(line.contains("/county/450802/") && line.contains("reused"), "{line}");
    s.wait_page("/county/450802/", "CSV edit", |_, b| b.contains("0.23"));
    assert_eq!(s.manifest(), clean_build(&t), "after a CSV edit");

    // A narrative.
    edit(&t, "content/counties/450804.md", "覃塘", "覃塘（已修订）");
    s.wait_page("/county/450804/", "Markdown edit", |_, b| b.contains("覃塘（已修订）"));

    // A template of the site's own over the built-in one: every page.
    let base = std::fs::read_to_string(crate::support::repo_root().join("src/theme/templates/base.html")).unwrap();
    save(&t, "themes/default/templates/base.html", &base.replace("</footer>", "<p>preview-marker</p></footer>"));
    s.wait_page("/", "template edit", |_, b| b.contains("preview-marker"));
    s.wait_page("/en/about/", "template edit", |_, b| b.contains("preview-marker"));
    assert_eq!(s.manifest(), clean_build(&t), "after a template edit");

    // A broken CSV: the previous page stays, with the overlay naming file, line and column.
    let good = std::fs::read_to_string(t.site.join("data/milestones.csv")).unwrap();
    save(&t, "data/milestones.csv", &format!("{good}450802,2019-13-01,plan,坏日期,guigang-2021\n"));
    let lines = good.lines().count() + 1;
    let page = s.wait_page("/county/450802/", "overlay", |_, b| b.contains("id=\"junheng-overlay\""));
    assert!(page.contains("0.23"), "the last good page is still served");
    assert!(page.contains(&format!("data/milestones.csv:{lines}:")), "overlay with file and line");
    assert!(s.get("/en/").contains("id=\"junheng-overlay\""), "the overlay is on every page");
    save(&t, "data/milestones.csv", &good);
    s.wait_page("/county/450802/", "fix", |_, b| !b.contains("id=\"junheng-overlay\""));

    // A new county row gets its page; a deleted narrative disappears.
    let counties = std::fs::read_to_string(t.site.join("data/counties.csv")).unwrap();
    let row = counties.lines().find(|l| l.starts_with("450802,")).unwrap();
    let new_row = row.replacen("450802,", "450822,", 1).replacen("港北区", "新测试县", 1);
    save(&t, "data/counties.csv", &format!("{counties}{new_row}\n"));
    s.wait_page("/county/450822/", "new county", |status, _| status == 200);
    std::fs::remove_file(t.site.join("content/reports/guigang-2021.md")).unwrap();
    std::fs::remove_file(t.site.join("content/reports/guigang-2021.en.md")).unwrap();
    s.wait_page("/reports/guigang-2021/", "deleted page", |status, _| status == 404);
    assert_eq!(s.manifest(), clean_build(&t), "after adding a county and deleting a page");
}

// Guards the preview's output: a note that holds at every rebuild (the site is not in a git
// repository) is printed once a run, not after every rebuild.
#[test]
fn a_note_is_printed_once_a_run() {
    let t = SiteTest::demo();
    let mut s = Served::start(&t);
    edit(&t, "content/counties/450804.md", "覃塘", "覃塘（一）");
    s.next_build();
    edit(&t, "content/counties/450804.md", "覃塘（一）", "覃塘（二）");
    s.next_build();
    // Standard error is read by its own thread: what it printed before the last rebuild's line.
    std::thread::sleep(Duration::from_millis(500));
    s.seen.extend(s.lines.try_iter());
    let notes = s.seen.iter().filter(|l| l.starts_with("stderr: note:") && l.contains("not in a git repository"));
    assert_eq!(notes.count(), 1, "{:#?}", s.seen);
}

// Guards path safety with raw requests: `..` in every spelling, backslashes, NUL and invalid
// UTF-8 are refused; absolute-looking paths are looked up inside the site only.
#[test]
fn path_traversal_is_refused() {
    let t = SiteTest::demo();
    std::fs::write(t.site.parent().unwrap().join("secret.txt"), "secret").unwrap();
    let s = Served::start(&t);
    for target in [
        "/../secret.txt",
        "/../site/site.toml",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2e%2e/secret.txt",
        "/county/..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/county\\..\\..\\secret.txt",
        "/%00",
        "/%ff%fe",
    ] {
        let (status, _, body) = s.request("GET", target);
        assert_eq!(status, 400, "{target}");
        assert!(!String::from_utf8_lossy(&body).contains("secret"), "{target}");
    }
    for target in ["//etc/passwd", "/site.toml", "/data/../../secret.txt/", "http://x/../../secret.txt"] {
        let (status, _, body) = s.request("GET", target);
        assert!(status == 404 || status == 400, "{target}: {status}");
        assert!(!String::from_utf8_lossy(&body).contains("secret"), "{target}");
    }
}

// Guards HTTP behaviour: content types with UTF-8, index.html for folders, a redirect to add
// the slash, the site's 404 page with status 404, HEAD without a body, 405 for other methods,
// and the reload script injected into HTML responses only.
#[test]
fn http_basics() {
    let t = SiteTest::demo();
    let s = Served::start(&t);
    let (status, head, body) = s.request("GET", "/county/450802/");
    assert_eq!(status, 200);
    assert!(head.contains("Content-Type: text/html; charset=utf-8"), "{head}");
    assert!(String::from_utf8_lossy(&body).contains("data-junheng-serve"));
    let (status, head, body) = s.request("GET", "/assets/site.css");
    assert_eq!(status, 200);
    assert!(head.contains("text/css; charset=utf-8"));
    assert!(!String::from_utf8_lossy(&body).contains("junheng-serve"));
    let (_, head, _) = s.request("GET", "/data/indicators.csv");
    assert!(head.contains("text/csv; charset=utf-8"), "{head}");
    let (status, head, _) = s.request("GET", "/county/450802?x=1");
    assert_eq!(status, 301);
    assert!(head.contains("Location: /county/450802/?x=1"), "{head}");
    let (status, _, body) = s.request("GET", "/no/such/page/");
    assert_eq!(status, 404);
    assert!(String::from_utf8_lossy(&body).contains("页面不存在"), "the site's own 404 page");
    let (status, head, body) = s.request("HEAD", "/");
    assert_eq!(status, 200);
    assert!(body.is_empty() && head.to_lowercase().contains("content-length:"), "{head}");
    assert_eq!(s.request("POST", "/").0, 405);
    // `build` output never has the script.
    t.build();
    assert!(!t.read_output("county/450802/index.html").contains("junheng-serve"));
}

// Guards concurrency: many open event streams (tabs) do not stall page requests.
#[test]
fn many_event_streams_do_not_stall_pages() {
    let t = SiteTest::demo();
    let s = Served::start(&t);
    let streams: Vec<TcpStream> = (0..40)
        .map(|_| {
            let mut c = TcpStream::connect(&s.addr).unwrap();
            c.write_all(b"GET /__junheng/events HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            c
        })
        .collect();
    let start = Instant::now();
    let handles: Vec<_> = (0..20)
        .map(|_| {
            let addr = s.addr.clone();
            std::thread::spawn(move || raw_request(&addr, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").0)
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 200);
    }
    assert!(start.elapsed() < Duration::from_secs(60), "pages stalled behind event streams");
    // Each stream received its header and the retry line.
    let mut first = streams.into_iter().next().unwrap();
    first.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 256];
    let n = first.read(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.contains("text/event-stream"), "{text}");
}

// Guards the event stream: a stale page learns it on connect; a rebuild sends one event with
// what changed, after the new site is complete (the page served then has the new value).
#[test]
fn events_announce_complete_rebuilds() {
    let t = SiteTest::demo();
    let mut s = Served::start(&t);
    let mut stream = TcpStream::connect(&s.addr).unwrap();
    stream.write_all(b"GET /__junheng/events?build=old HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut reader = BufReader::new(stream);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = String::new();
    while !seen.contains("\"kind\":\"stale\"") {
        assert!(Instant::now() < deadline, "no stale event: {seen}");
        let mut line = String::new();
        assert!(reader.read_line(&mut line).unwrap() > 0);
        seen.push_str(&line);
    }
    edit(
        &t,
        "data/indicators.csv",
        "450802,2020-2021,junior,basic,composite,,0.31,",
        "450802,2020-2021,junior,basic,composite,,0.33,",
    );
    let mut event = String::new();
    while !event.contains("\"kind\":\"reload\"") {
        assert!(Instant::now() < deadline, "no reload event: {event}");
        let mut line = String::new();
        assert!(reader.read_line(&mut line).unwrap() > 0);
        event.push_str(&line);
    }
    assert!(event.contains("\"/county/450802/\""), "{event}");
    assert!(event.contains("\"focus\":{\"\":\"/county/450802/\""), "{event}");
    // Sent after the new site is complete: the page already has the new value.
    assert!(s.get("/county/450802/").contains("0.33"));
    s.next_build();
}

// Guards Ctrl-C: the server stops with status 0 and leaves nothing behind in the site folder.
#[test]
fn ctrl_c_stops_cleanly_without_files() {
    let t = SiteTest::demo();
    let before = crate::support::tree(&t.site);
    let s = Served::start(&t);
    // An open event stream must not keep the server alive.
    let mut c = TcpStream::connect(&s.addr).unwrap();
    c.write_all(b"GET /__junheng/events HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let (status, rest) = s.interrupt();
    assert!(status.success(), "{status:?}");
    assert!(rest.iter().any(|l| l == "stopped"), "{rest:?}");
    assert_eq!(crate::support::tree(&t.site), before, "serve wrote into the site folder");
}

// Guards the server under a flood: 5,000 idle connections (more than the usual limit of open
// files) neither kill it nor stall it: a page is answered within a second afterwards, and again
// once the idle connections were shed.
#[test]
fn a_flood_of_idle_connections_is_shed() {
    // The test process holds the other end of every connection.
    // SAFETY: plain data, filled in and read by the kernel.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
    }
    let t = SiteTest::demo();
    let s = Served::start(&t);
    let idle: Vec<TcpStream> = (0..5_000).filter_map(|_| TcpStream::connect(&s.addr).ok()).collect();
    assert!(idle.len() > 4_000, "only {} connections opened", idle.len());
    let start = Instant::now();
    let (status, _, _) = s.request("GET", "/");
    assert_eq!(status, 200);
    assert!(start.elapsed() < Duration::from_secs(1), "answered in {:?}", start.elapsed());
    drop(idle);
    let (status, _, _) = s.request("GET", "/county/450802/");
    assert_eq!(status, 200);
}

// Guards the preview against what used to kill it: a text longer than a workbook cell holds,
// saved while serving, is an error in the overlay; the last good site is still served and the
// fix is picked up.
#[test]
fn a_failed_rebuild_keeps_serving() {
    let t = SiteTest::demo();
    let mut s = Served::start(&t);
    // HTTP/1.0: the whole page, not in chunks.
    let page = |s: &Served| {
        String::from_utf8(raw_request(&s.addr, "GET /county/450804/computation/2019-2020/ HTTP/1.0\r\n\r\n").2).unwrap()
    };
    let before = page(&s);
    let schools = std::fs::read_to_string(t.site.join("data/schools.csv")).unwrap();
    save(&t, "data/schools.csv", &schools.replacen("覃塘区城区第一小学", &"校".repeat(40_000), 1));
    assert!(s.next_build().starts_with("build failed"));
    let after = page(&s);
    assert!(after.contains("expected a text of at most 32767 characters"), "the overlay shows the error");
    assert!(after.contains("覃塘区城区第一小学") && before.contains("覃塘区城区第一小学"));
    save(&t, "data/schools.csv", &schools);
    assert!(s.next_build().starts_with("rebuilt"));
}
