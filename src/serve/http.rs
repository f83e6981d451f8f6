//! Answering one request: the site from memory, the event stream, nothing else.
//!
//! Paths are percent-decoded and normalized; any `..` segment, backslash or NUL is refused,
//! and files are looked up in the in-memory site only, so nothing outside the output can be
//! served (there is no file system access at all). Folders answer with their `index.html`,
//! a folder without its trailing slash is redirected to it (relative links need it), misses get
//! the site's own 404 page. HTML responses get the live-reload script and, after a failed
//! build, the error overlay, inserted at response time: `build` output never contains them.

use std::io::Write;
use std::time::Duration;

use percent_encoding::percent_decode_str;
use tiny_http::{Header, Method, Request, Response};

use super::{Current, State};
use crate::render::templates::escape_html;

/// The event stream's path.
pub(crate) const EVENTS: &str = "/__junheng/events";
/// A JSON list of the served files and their SHA-256 (for tools and tests).
pub(crate) const MANIFEST: &str = "/__junheng/manifest";

/// The live-reload script (see `reload.js`).
const RELOAD_JS: &str = include_str!("reload.js");

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("header names and values are ASCII")
}

/// Answers `request`; errors writing to a closed connection are ignored.
pub(crate) fn handle(request: Request, state: &State) {
    if !matches!(request.method(), Method::Get | Method::Head) {
        let r = Response::from_string("method not allowed\n")
            .with_status_code(405)
            .with_header(header("Allow", "GET, HEAD"))
            .with_header(header("Content-Type", "text/plain; charset=utf-8"));
        let _ = request.respond(r);
        return;
    }
    let url = request.url().to_string();
    let (raw_path, query) = url.split_once('?').unwrap_or((&url, ""));
    let raw_path = raw_path.split('#').next().unwrap_or_default();
    if raw_path == EVENTS {
        events(request, state, query);
        return;
    }
    let current = state.snapshot();
    if raw_path == MANIFEST {
        let mut list: Vec<(&String, String)> =
            current.files.iter().map(|(p, b)| (p, crate::render::downloads::sha256_hex(b))).collect();
        list.sort();
        let body = serde_json::to_string(&list.iter().map(|(p, h)| serde_json::json!([p, h])).collect::<Vec<_>>())
            .unwrap_or_default();
        let _ = request.respond(plain(200, "application/json", body.into_bytes()));
        return;
    }
    let response = match resolve(raw_path) {
        Err(status) => plain(status, "text/plain; charset=utf-8", format!("{}\n", reason(status)).into_bytes()),
        Ok(rel) => lookup(&current, &rel, raw_path, query),
    };
    let _ = request.respond(response);
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "bad request: the path is not a valid site path",
        404 => "not found",
        _ => "error",
    }
}

fn plain(status: u16, content_type: &str, body: Vec<u8>) -> Response<std::io::Cursor<Vec<u8>>> {
    Response::from_data(body)
        .with_status_code(status)
        .with_header(header("Content-Type", content_type))
        .with_header(header("Cache-Control", "no-store"))
}

/// The output path a request path names: percent-decoded, `.` and empty segments dropped,
/// folders mapped to their `index.html`. `..`, backslashes and NUL are refused (400).
pub(crate) fn resolve(raw_path: &str) -> Result<String, u16> {
    let decoded = percent_decode_str(raw_path).decode_utf8().map_err(|_| 400u16)?;
    if decoded.contains('\\') || decoded.contains('\0') || !decoded.starts_with('/') {
        return Err(400);
    }
    let mut segments = Vec::new();
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => return Err(400),
            s => segments.push(s),
        }
    }
    let rel = segments.join("/");
    if decoded.ends_with('/') || rel.is_empty() {
        Ok(if rel.is_empty() { "index.html".to_string() } else { format!("{rel}/index.html") })
    } else {
        Ok(rel)
    }
}

fn lookup(current: &Current, rel: &str, raw_path: &str, query: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    if let Some(bytes) = current.files.get(rel) {
        let ct = content_type(rel);
        let body = if ct.starts_with("text/html") { inject(bytes, current) } else { bytes.to_vec() };
        return plain(200, &ct, body);
    }
    // `county/450802` → `county/450802/`: relative links of the page need the slash.
    if current.files.contains_key(&format!("{rel}/index.html")) {
        let q = if query.is_empty() { String::new() } else { format!("?{query}") };
        let location = format!("{raw_path}/{q}");
        // Raw non-ASCII bytes cannot go into a header: refuse rather than panic.
        if !location.is_ascii() {
            return plain(400, "text/plain; charset=utf-8", format!("{}\n", reason(400)).into_bytes());
        }
        return plain(301, "text/plain; charset=utf-8", Vec::new()).with_header(header("Location", &location));
    }
    let body = match current.files.get("404.html") {
        Some(page) => inject(page, current),
        None => inject(b"<!DOCTYPE html><title>404</title><body><p>404</p></body>", current),
    };
    plain(404, "text/html; charset=utf-8", body)
}

/// The content type of an output file, with `charset=utf-8` for text.
pub(crate) fn content_type(path: &str) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let text = mime.type_() == mime_guess::mime::TEXT
        || matches!(mime.subtype().as_str(), "json" | "xml" | "javascript" | "atom+xml" | "svg+xml")
        || mime.suffix().is_some_and(|s| s == "xml" || s == "json");
    let base =
        if path.ends_with("atom.xml") { "application/atom+xml".to_string() } else { mime.essence_str().to_string() };
    if text { format!("{base}; charset=utf-8") } else { base }
}

/// The page with the reload script and, after a failed build, the overlay before `</body>`.
fn inject(page: &[u8], current: &Current) -> Vec<u8> {
    let mut extra = String::new();
    if let Some(errors) = &current.errors {
        extra.push_str(&overlay(errors));
    }
    extra.push_str(&format!(
        "<script data-junheng-serve>{}</script>",
        RELOAD_JS.replace("__BUILD__", &current.build_id).replace("__EVENTS__", EVENTS)
    ));
    let text = String::from_utf8_lossy(page);
    let at = text.rfind("</body>").unwrap_or(text.len());
    let mut out = String::with_capacity(text.len() + extra.len());
    out.push_str(&text[..at]);
    out.push_str(&extra);
    out.push_str(&text[at..]);
    out.into_bytes()
}

/// The error overlay: every diagnostic as the terminal shows it. Bilingual, because it must
/// work when the theme and its language files are what failed to load.
fn overlay(errors: &[super::OverlayItem]) -> String {
    let mut html = String::from(
        "<div id=\"junheng-overlay\" role=\"alert\" style=\"position:fixed;inset:0;z-index:2147483647;overflow:auto;background:rgba(255,255,255,.97);color:#1a1a1a;padding:1.5rem;font:16px/1.5 system-ui,sans-serif\">\
<h2 style=\"color:#b71c1c;margin-top:0\">构建失败 · Build failed</h2>\
<p>仍在显示上一次成功构建的页面；修正以下问题并保存后，页面会自动刷新。<br>The last good site is still served; fix these and save, and the page reloads.</p><ol>",
    );
    for e in errors {
        let colour = if e.severity == "error" { "#b71c1c" } else { "#7a4d00" };
        html.push_str(&format!(
            "<li><pre style=\"white-space:pre-wrap;border-left:4px solid {colour};padding:.5rem;background:#f4f4f4;font:14px/1.4 ui-monospace,monospace\">{}</pre></li>",
            escape_html(&e.text)
        ));
    }
    html.push_str("</ol></div>");
    html
}

/// The Server-Sent Events stream: written by hand on the raw connection, because tiny_http's
/// chunked responses buffer 8 KiB before sending anything. On connect the page's build id is
/// compared with the current one (stale pages reload); then one event per new generation, and
/// a comment every 15 s that also detects closed connections.
fn events(request: Request, state: &State, query: &str) {
    let reported = query.split('&').find_map(|kv| kv.strip_prefix("build=")).unwrap_or_default().to_string();
    let mut w = request.into_writer();
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
    let current = state.snapshot();
    let mut first = String::from("retry: 500\n\n");
    if !reported.is_empty() && reported != current.build_id && !current.event.is_empty() {
        let stale = serde_json::json!({ "build": current.build_id, "kind": "stale", "changed": [], "focus": null });
        first.push_str(&format!("event: build\ndata: {stale}\n\n"));
    }
    if w.write_all(head.as_bytes()).and_then(|_| w.write_all(first.as_bytes())).and_then(|_| w.flush()).is_err() {
        return;
    }
    let mut seen = current.generation;
    loop {
        let now = state.wait_change(seen, Duration::from_secs(15));
        if now.stopping {
            return;
        }
        let message = if now.generation != seen {
            format!("event: build\ndata: {}\n\n", now.event)
        } else {
            ": ping\n\n".to_string()
        };
        seen = now.generation;
        if w.write_all(message.as_bytes()).and_then(|_| w.flush()).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Guards path safety: decoding, normalization and refusal of every way out.
    #[test]
    fn request_paths() {
        assert_eq!(resolve("/"), Ok("index.html".into()));
        assert_eq!(resolve("/county/450802/"), Ok("county/450802/index.html".into()));
        assert_eq!(resolve("/assets/site.css"), Ok("assets/site.css".into()));
        assert_eq!(resolve("//county/./450802/"), Ok("county/450802/index.html".into()));
        assert_eq!(resolve("/%E4%B8%AD.txt"), Ok("中.txt".into()));
        for bad in
            ["/../etc/passwd", "/%2e%2e/secret", "/a/%2E%2E/%2E%2E/b", "/a\\b", "/%5c..%5cb", "/a%00", "/%ff", "x"]
        {
            assert_eq!(resolve(bad), Err(400), "{bad}");
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("assets/site.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("data/x.csv"), "text/csv; charset=utf-8");
        assert_eq!(content_type("api/counties/450802.json"), "application/json; charset=utf-8");
        assert_eq!(content_type("atom.xml"), "application/atom+xml; charset=utf-8");
        assert_eq!(content_type("assets/favicon.svg"), "image/svg+xml; charset=utf-8");
        assert_eq!(content_type("assets/finder.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("a.png"), "image/png");
    }
}
