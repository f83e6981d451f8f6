//! `junheng serve`: started on port 0 and driven with real file edits and raw HTTP requests.
//! After every sequence of edits the served site must equal a clean build of the same inputs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use crate::support::SiteTest;

/// A running `junheng serve` and the lines it prints.
pub struct Served {
    child: Child,
    pub addr: String,
    lines: Receiver<String>,
}

impl Served {
    /// Starts `serve --port 0` on the site of `t` and waits for its address.
    pub fn start(t: &SiteTest) -> Served {
        let mut child = t
            .cmd(&["serve", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("junheng serve starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut s = Served { child, addr: String::new(), lines };
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
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(_) => {}
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
                Ok(line) if line.starts_with("rebuilt") || line.starts_with("build failed") => return line,
                Ok(_) => {}
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

/// Saves a file as editors do: a temporary file renamed over the old one.
fn save(t: &SiteTest, rel: &str, text: &str) {
    let path = t.site.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let tmp = path.with_extension("junheng-test.tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
}

fn edit(t: &SiteTest, rel: &str, from: &str, to: &str) {
    let text = std::fs::read_to_string(t.site.join(rel)).unwrap();
    assert!(text.contains(from), "{rel} has no {from:?}");
    save(t, rel, &text.replacen(from, to, 1));
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

/// One edit of a random sequence: (kind, a number choosing where and what). Returns the
/// site-relative path edited, as the watcher reports it.
fn apply_edit(t: &SiteTest, kind: u8, n: u32) -> &'static str {
    let replace_line = |rel: &str, f: &dyn Fn(usize, &str) -> Option<String>| {
        let path = t.site.join(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let i = 1 + n as usize % (lines.len() - 1);
        let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        match f(i, lines[i]) {
            Some(l) => out[i] = l,
            None => {
                out.remove(i);
            }
        }
        std::fs::write(&path, out.join("\n") + "\n").unwrap();
    };
    match kind % 13 {
        // A published coefficient.
        0 => {
            replace_line("data/indicators.csv", &|_, l| {
                let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
                f[6] = format!("0.{:02}", 10 + n % 80);
                Some(f.join(","))
            });
            "data/indicators.csv"
        }
        // A school's enrolment.
        1 => {
            replace_line("data/schools.csv", &|_, l| {
                let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
                f[6] = (100 + n % 3000).to_string();
                Some(f.join(","))
            });
            "data/schools.csv"
        }
        // A narrative (title and text).
        2 => {
            let p = t.site.join("content/counties/450804.md");
            let text = std::fs::read_to_string(&p).unwrap().replacen("title = \"", &format!("title = \"{n}"), 1);
            std::fs::write(&p, format!("{text}\n追加的段落 {n}。\n")).unwrap();
            "content/counties/450804.md"
        }
        // A template.
        3 => {
            t.own_theme_file("templates/base.html");
            edit(t, "themes/default/templates/base.html", "</footer>", &format!("<p>m{n}</p></footer>"));
            "themes/default/templates/base.html"
        }
        // A UI string.
        4 => {
            let p = t.own_theme_file("i18n/en.toml");
            let text = std::fs::read_to_string(&p).unwrap();
            std::fs::write(&p, text.replacen("Coefficients over time", &format!("Coefficients over time {n}"), 1))
                .unwrap();
            "themes/default/i18n/en.toml"
        }
        // A milestone removed.
        5 => {
            replace_line("data/milestones.csv", &|_, _| None);
            "data/milestones.csv"
        }
        // A county renamed.
        6 => {
            replace_line("data/counties.csv", &|_, l| {
                let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
                f[1] = format!("{}{n}", f[1]);
                Some(f.join(","))
            });
            "data/counties.csv"
        }
        // A source retitled.
        7 => {
            replace_line("data/sources.csv", &|_, l| {
                let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
                f[1] = format!("{} {n}", f[1]);
                Some(f.join(","))
            });
            "data/sources.csv"
        }
        // A metric's value (national and county rows).
        8 => {
            replace_line("data/metrics.csv", &|_, l| {
                let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
                f[3] = (1 + n % 900).to_string();
                Some(f.join(","))
            });
            "data/metrics.csv"
        }
        // A news page (title and text).
        9 => {
            let p = t.site.join("content/news/basic-2020.md");
            let text = std::fs::read_to_string(&p).unwrap().replacen("title = \"", &format!("title = \"{n}"), 1);
            std::fs::write(&p, format!("{text}\n又一段 {n}。\n")).unwrap();
            "content/news/basic-2020.md"
        }
        // A news page added, or removed if it was there (the lists, the sitemap, the feed).
        10 => {
            let rel: &'static str = ["content/news/added-0.md", "content/news/added-1.md"][n as usize % 2];
            let p = t.site.join(rel);
            if p.exists() {
                std::fs::remove_file(&p).unwrap();
            } else {
                let text =
                    format!("+++\ntitle = \"新增 {n}\"\ndate = \"2023-0{}\"\n+++\n\n新的一段 {n}。\n", 1 + n % 9);
                std::fs::write(&p, text).unwrap();
            }
            rel
        }
        // The site title.
        11 => {
            edit(t, "site.toml", "title = { zh-CN = \"", &format!("title = {{ zh-CN = \"{n}"));
            "site.toml"
        }
        // A stylesheet (every page links it with its version).
        _ => {
            let p = t.own_theme_file("css/site.css");
            let text = std::fs::read_to_string(&p).unwrap();
            std::fs::write(&p, format!("{text}\n.edit-{n} {{ color: #{:06x}; }}\n", n % 0x1000000)).unwrap();
            "themes/default/css/site.css"
        }
    }
}

// Guards what each page kind declares it is made from (`render::deps`): every kind of edit, one
// after another, and after each the cached render equals a clean one.
#[test]
fn every_kind_of_edit_rebuilds_like_a_clean_render() {
    let t = SiteTest::demo();
    let mut memo = junheng::incremental::Preview::new(&t.site, true);
    memo.render().unwrap();
    for kind in 0..13u8 {
        let path = apply_edit(&t, kind, 37 * u32::from(kind) + 5);
        memo.forget(&[path.to_string()]);
        let cached = memo.render().unwrap();
        let clean = junheng::build::render_site(&t.site, false).unwrap();
        let differing: Vec<&str> =
            clean.files.iter().zip(&cached.files).filter(|(a, b)| a != b).map(|(a, _)| a.path.as_str()).collect();
        assert!(cached.files.len() == clean.files.len() && differing.is_empty(), "edit {kind} ({path}): {differing:?}");
        assert_eq!(cached.diagnostics.summary(), clean.diagnostics.summary(), "edit {kind} ({path})");
        assert!(cached.diagnostics.sorted() == clean.diagnostics.sorted(), "edit {kind} ({path}): diagnostics");
    }
}

// Guards the layer's bookkeeping of pages and feeds: a rebuild with nothing changed makes
// none; an edit makes its pages, which the next rebuild reuses; a page removed is no longer
// kept (the layer holds what a fresh preview of the same site holds).
#[test]
fn the_layer_keeps_what_the_last_render_made() {
    let t = SiteTest::demo();
    let mut memo = junheng::incremental::Preview::new(&t.site, true);
    let first = memo.render().unwrap();
    assert!(memo.pages_made_and_reused().0 > 0 && memo.pages_kept() <= first.files.len());
    memo.render().unwrap();
    let (made, reused) = memo.pages_made_and_reused();
    assert_eq!((made, reused > 0), (0, true), "nothing changed, nothing made");
    let path = apply_edit(&t, 9, 1);
    memo.forget(&[path.to_string()]);
    memo.render().unwrap();
    assert!(memo.pages_made_and_reused().0 > 0, "the edited page is made");
    memo.render().unwrap();
    assert_eq!(memo.pages_made_and_reused().0, 0, "the edited page is kept as made");
    let kept_before = memo.pages_kept();
    // Added, then removed again.
    for _ in 0..2 {
        let path = apply_edit(&t, 10, 2);
        memo.forget(&[path.to_string()]);
        memo.render().unwrap();
    }
    let mut fresh = junheng::incremental::Preview::new(&t.site, true);
    fresh.render().unwrap();
    assert_eq!(memo.pages_kept(), fresh.pages_kept(), "the removed page is not kept");
    assert_eq!(memo.pages_kept(), kept_before);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 12, failure_persistence: None, ..Default::default() })]

    // Guards the incremental layer: after any sequence of edits, rendering with the layer kept across
    // rebuilds gives exactly the files of a render from scratch.
    #[test]
    fn cached_rebuilds_equal_clean_renders(edits in proptest::collection::vec((0u8..13, 0u32..10_000), 1..5)) {
        let t = SiteTest::demo();
        let mut memo = junheng::incremental::Preview::new(&t.site, true);
        memo.render().unwrap();
        for (kind, n) in edits {
            let path = apply_edit(&t, kind, n);
            memo.forget(&[path.to_string()]);
            let cached = memo.render();
            let clean = junheng::build::render_site(&t.site, false);
            match (cached, clean) {
                (Ok(a), Ok(b)) => {
                    proptest::prop_assert!(a.files == b.files, "edit {kind}/{n}: cached render differs");
                    proptest::prop_assert_eq!(a.diagnostics.summary(), b.diagnostics.summary());
                }
                (Err(a), Err(b)) => proptest::prop_assert_eq!(a.to_string(), b.to_string()),
                _ => proptest::prop_assert!(false, "edit {kind}/{n}: one render failed and the other did not"),
            }
        }
    }
}

/// The parts of the incremental layer that made a value in the last rebuild.
fn made(preview: &junheng::incremental::Preview) -> Vec<&'static str> {
    preview.counts().into_iter().filter(|(_, made, _)| *made > 0).map(|(name, _, _)| name).collect()
}

// Guards the reuse of school rows across rebuilds: an edit elsewhere does not read or check
// them again; an edit of `schools.csv` does, even when no watcher reports it (its stamp
// changed), and the result is still that of a clean render.
#[test]
fn school_rows_are_reused_until_their_inputs_change() {
    let t = SiteTest::demo();
    let mut memo = junheng::incremental::Preview::new(&t.site, true);
    let stages = |memo: &mut junheng::incremental::Preview| {
        let rendered = memo.render().unwrap();
        (made(memo), rendered.files)
    };
    assert!(stages(&mut memo).0.contains(&"schools"));
    let edited = apply_edit(&t, 2, 1);
    memo.forget(&[edited.to_string()]);
    let (after_narrative, files) = stages(&mut memo);
    assert!(
        !after_narrative.contains(&"schools") && !after_narrative.contains(&"county results"),
        "{after_narrative:?}"
    );
    assert!(files == junheng::build::render_site(&t.site, false).unwrap().files);
    apply_edit(&t, 1, 7);
    let (after_schools, files) = stages(&mut memo);
    assert!(after_schools.contains(&"schools") && after_schools.contains(&"county results"), "{after_schools:?}");
    assert!(files == junheng::build::render_site(&t.site, false).unwrap().files);
}

// Guards the reuse of the sheets (published rows merged with the engine's results) on a site
// of published figures only, the usual portal: a narrative edit neither reads school rows nor
// merges the sheets again; an edit of a published figure, or a rewrite of the data that keeps
// the published rows, is still rendered as a clean render would.
#[test]
fn sheets_are_reused_on_a_site_without_school_rows() {
    let t = SiteTest::demo();
    std::fs::remove_file(t.site.join("data/schools.csv")).unwrap();
    let mut memo = junheng::incremental::Preview::new(&t.site, true);
    let stages = |memo: &mut junheng::incremental::Preview| {
        let rendered = memo.render().unwrap();
        let stages = made(memo);
        assert!(rendered.files == junheng::build::render_site(&t.site, false).unwrap().files, "{stages:?}");
        stages
    };
    assert!(stages(&mut memo).contains(&"sheets"));
    for (kind, merged) in [(2, false), (0, true), (8, false), (2, false)] {
        let edited = apply_edit(&t, kind, 3);
        memo.forget(&[edited.to_string()]);
        let stages = stages(&mut memo);
        assert!(!stages.contains(&"schools"), "{edited}: {stages:?}");
        assert_eq!(stages.contains(&"sheets"), merged, "{edited}: {stages:?}");
    }
}

// Guards what a county narrative is an input of: its county's page in each language, not the
// county's audit trail (which shows no narrative).
#[test]
fn a_narrative_edit_renders_its_county_page_only() {
    let t = SiteTest::demo();
    let mut memo = junheng::incremental::Preview::new(&t.site, true);
    memo.render().unwrap();
    let path = apply_edit(&t, 2, 1);
    memo.forget(&[path.to_string()]);
    let cached = memo.render().unwrap();
    assert!(cached.files == junheng::build::render_site(&t.site, false).unwrap().files);
    assert!(cached.files.iter().any(|f| f.path.starts_with("county/450804/computation/")), "an audited county");
    assert_eq!(
        memo.pages_made_and_reused().0,
        6,
        "the county page, its feed and the site's feed, each in zh-CN and en"
    );
}

// Guards the data kept table by table: an edit of the metrics checks only the metrics again
// and takes over the published rows with their problems (reported as a clean render reports
// them); an edit of the county list checks every table again.
#[test]
fn data_tables_are_checked_again_only_when_changed() {
    let t = SiteTest::demo();
    let mut memo = junheng::incremental::Preview::new(&t.site, true);
    let mut render = |rel: &str| {
        memo.forget(&[rel.to_string()]);
        let cached = memo.render();
        let stages = made(&memo);
        let clean = junheng::build::render_site(&t.site, false);
        let problems = |r: &Result<junheng::build::Rendered, junheng::Error>| match r {
            Err(junheng::Error::Site(d)) => {
                Some(d.sorted().iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))
            }
            _ => None,
        };
        match (&cached, &clean) {
            (Ok(a), Ok(b)) => assert!(a.files == b.files, "{rel}: the cached render differs"),
            (Err(_), Err(_)) => assert_eq!(problems(&cached), problems(&clean), "{rel}"),
            _ => panic!("{rel}: one render failed and the other did not"),
        }
        let tables = ["published rows", "milestones", "metrics"];
        (tables.map(|s| stages.contains(&s)), problems(&cached))
    };
    assert_eq!(render("").0, [true; 3]);
    // A published row citing an unknown source: an error, still reported after a metric edit.
    let text = std::fs::read_to_string(t.site.join("data/indicators.csv")).unwrap();
    save(&t, "data/indicators.csv", &format!("{text}450802,2019-2020,junior,basic,composite,,0.3,no-such-source\n"));
    let (checked, error) = render("data/indicators.csv");
    assert_eq!(checked, [true, false, false]);
    assert!(error.as_deref().is_some_and(|e| e.contains("no-such-source")), "{error:?}");
    apply_edit(&t, 8, 4);
    let (checked, error) = render("data/metrics.csv");
    assert_eq!(checked, [false, false, true]);
    assert!(error.as_deref().is_some_and(|e| e.contains("no-such-source")), "{error:?}");
    save(&t, "data/indicators.csv", &text);
    assert_eq!(render("data/indicators.csv"), ([true, false, false], None));
    apply_edit(&t, 6, 5);
    assert_eq!(render("data/counties.csv").0, [true; 3]);
}

// Guards what an indicator's page is keyed by (each county's latest row of that indicator):
// a published coefficient edited alone (its value as before) renders that indicator's page
// again, and only that one of the indicator pages.
#[test]
fn an_indicator_page_follows_its_ranking_only() {
    let t = SiteTest::demo();
    let rows = "450802,2020-2021,primary,basic,teaching_area,5.1,0.30,guigang-2021\n\
                450802,2019-2020,primary,basic,teaching_area,5.0,0.33,guigang-2021\n\
                450802,2020-2021,primary,basic,books,30,0.20,guigang-2021\n";
    let text = std::fs::read_to_string(t.site.join("data/indicators.csv")).unwrap();
    save(&t, "data/indicators.csv", &format!("{text}{rows}"));
    let mut memo = junheng::incremental::Preview::new(&t.site, true);
    let mut render = |from: &str, to: &str| {
        edit(&t, "data/indicators.csv", from, to);
        memo.forget(&["data/indicators.csv".to_string()]);
        let cached = memo.render().unwrap().files;
        let clean = junheng::build::render_site(&t.site, false).unwrap().files;
        let page = |path: &str| cached.iter().find(|f| f.path == path).unwrap().bytes.clone();
        assert!(cached == clean, "{to}: the cached render differs");
        (
            page("indicators/basic/teaching_area/index.html"),
            page("indicators/basic/books/index.html"),
            memo.pages_made_and_reused().0,
        )
    };
    let (area, books, _) = render("", "");
    // An earlier school year: not in the ranking.
    let (area_then, books_then, _) = render("5.0,0.33", "5.0,0.34");
    assert!(area_then == area && books_then == books);
    // The latest: that page changes, with the county's own pages and roll-ups, not the rest.
    let (area_now, books_now, rendered) = render("5.1,0.30", "5.1,0.35");
    assert!(area_now != area && books_now == books);
    assert!(rendered < 16, "{rendered} pages rendered again");
}

// Guards the theme kept across rebuilds (its files as read, its compiled templates and
// processed stylesheets): a template, a UI string or a stylesheet edited, a static file added,
// each seen by its stamp alone (no watcher report), the cached render equal to a clean one.
#[test]
fn theme_files_are_read_again_when_changed() {
    let t = SiteTest::demo();
    let mut memo = junheng::incremental::Preview::new(&t.site, true);
    let render = |memo: &mut junheng::incremental::Preview| memo.render().unwrap();
    render(&mut memo);
    let base = std::fs::read_to_string(crate::support::repo_root().join("src/theme/templates/base.html")).unwrap();
    let steps: [(&str, &dyn Fn()); 7] = [
        ("a template's override created", &|| {
            save(&t, "themes/default/templates/base.html", &base.replace("</footer>", "<p>theme-marker</p></footer>"))
        }),
        ("a template's override edited", &|| {
            edit(&t, "themes/default/templates/base.html", "theme-marker", "theme-marker-2")
        }),
        ("a UI string overridden", &|| save(&t, "themes/default/i18n/zh-CN.toml", "[nav]\nhome = \"新首页\"\n")),
        ("a stylesheet overridden", &|| {
            let css = std::fs::read_to_string(t.own_theme_file("css/site.css")).unwrap();
            save(&t, "themes/default/css/site.css", &css.replace("--fg: #1a1a1a;", "--fg: #1b1b1b;"))
        }),
        ("a static file added", &|| save(&t, "themes/default/static/added.txt", "added")),
        ("a template's override removed", &|| {
            std::fs::remove_file(t.site.join("themes/default/templates/base.html")).unwrap()
        }),
        ("every override removed", &|| std::fs::remove_dir_all(t.site.join("themes")).unwrap()),
    ];
    for (what, step) in steps {
        step();
        let cached = render(&mut memo).files;
        assert!(cached == junheng::build::render_site(&t.site, false).unwrap().files, "{what}: cached render differs");
        let added = cached.iter().any(|f| f.path == "assets/added.txt");
        let marked =
            cached.iter().any(|f| f.path == "index.html" && String::from_utf8_lossy(&f.bytes).contains("theme-marker"));
        let expected = match what {
            "a template's override created" | "a template's override edited" | "a UI string overridden" => {
                (false, true)
            }
            "a stylesheet overridden" | "a static file added" => (what == "a static file added", true),
            "a template's override removed" => (true, false),
            _ => (false, false),
        };
        assert_eq!((added, marked), expected, "{what}: (static file, own template)");
    }
}

// Guards the files kept across rebuilds (Markdown files; the data files but `schools.csv`): an
// edited file is read again by its stamp without the watcher's report; a rewrite that keeps
// the stamp (same size and time) is kept until the watcher reports it, and then read again.
#[test]
fn files_are_read_again_when_changed_or_reported() {
    // A narrative, a metric, a milestone, a source's title.
    for (kind, from, to) in [(2, "追加的段落 1", "追加的段落 7"), (8, ",2,", ",7,"), (5, "", ""), (7, " 1,", " 7,")]
    {
        let t = SiteTest::demo();
        let mut memo = junheng::incremental::Preview::new(&t.site, false);
        let render = |memo: &mut junheng::incremental::Preview| memo.render().unwrap();
        let clean = || junheng::build::render_site(&t.site, false).unwrap().files;
        render(&mut memo);
        let rel = apply_edit(&t, kind, 1);
        assert!(render(&mut memo).files == clean(), "{rel}: an edit seen by its stamp alone");
        if from.is_empty() {
            continue;
        }
        let before = render(&mut memo).files;
        let path = t.site.join(rel);
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let same_size = text.replacen(from, to, 1);
        assert!(same_size.len() == text.len() && same_size != text, "{rel}: an edit of the same size");
        std::fs::write(&path, same_size).unwrap();
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(modified).unwrap();
        assert!(render(&mut memo).files == before, "{rel}: a file with its stamp unchanged is not read again");
        memo.forget(&[rel.to_string()]);
        let after = render(&mut memo).files;
        assert!(after != before && after == clean(), "{rel}: a reported file is read again");
    }
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
