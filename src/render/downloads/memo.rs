//! What a rebuild of the preview keeps of the downloads: each part with the hash of its
//! inputs, and the national tables assembled from each county's encoded run.

use super::*;

/// The download files of the build before, by part (a table, a county's files or API record),
/// with the hash of the part's inputs: a part whose inputs hash as before is handed on as it
/// was instead of being encoded again (the preview server keeps one).
#[derive(Debug, Default)]
pub struct DownloadMemo {
    pub(super) old: HashMap<String, Arc<Part>>,
    pub(super) new: std::sync::Mutex<HashMap<String, Arc<Part>>>,
    /// The tables grouped by county as the build before assembled them, by part.
    pub(super) old_runs: HashMap<String, Arc<Assembled>>,
    pub(super) new_runs: std::sync::Mutex<HashMap<String, Arc<Assembled>>>,
    /// Runs of rows encoded by the last build (the others were copied from the build before).
    pub(super) encoding: AtomicUsize,
    /// What [`DownloadMemo::encoding`] counted, once the build is done.
    pub runs_encoded: usize,
}

/// A table grouped by county as a build assembled it: its files, and where each county's run
/// of rows lies in them with the SHA-256 state of each file before it.
#[derive(Debug)]
pub(super) struct Assembled {
    /// The plain CSV; the Excel variant, when made, is the same bytes behind the mark.
    pub(super) plain: bytes::Bytes,
    pub(super) json: Option<bytes::Bytes>,
    pub(super) runs: Vec<RunAt>,
}

/// One county's run of rows in an [`Assembled`] table.
#[derive(Debug)]
pub(super) struct RunAt {
    pub(super) county: String,
    pub(super) key: u64,
    pub(super) csv: std::ops::Range<usize>,
    pub(super) json: std::ops::Range<usize>,
    /// The hashing state of the plain CSV, the Excel CSV and the JSON at the run's start.
    pub(super) sha256: [Option<Sha256>; 3],
}

/// What a part of the downloads made: its datapackage resources and its files (shared: a
/// part handed on is not copied).
pub(super) type Made = Arc<(Vec<Value>, Vec<Written>)>;

/// One part of the downloads: its inputs' hash, its files and what the package says of them.
#[derive(Debug)]
pub(super) struct Part {
    pub(super) key: u64,
    pub(super) files: Vec<OutputFile>,
    pub(super) made: Made,
}

/// The hashes of each part's inputs (see [`super::deps::Deps::download_key`]).
pub type PartKey<'k> = &'k (dyn Fn(&str) -> u64 + Sync);

impl DownloadMemo {
    /// The part `id` made by `make` (which writes its files into the sink it is given), or
    /// the kept one when `key` is as before; kept for the next build either way.
    pub(super) fn part(
        &self,
        sink: &dyn Sink,
        id: String,
        key: u64,
        make: impl FnOnce(&dyn Sink) -> (Vec<Value>, Vec<Written>),
    ) -> Made {
        let part = match self.old.get(&id).filter(|p| p.key == key) {
            Some(part) => {
                part.files.iter().for_each(|f| sink.put(f.clone()));
                // Its runs still describe its files.
                if let Some(runs) = self.old_runs.get(&id) {
                    lock(&self.new_runs).insert(id.clone(), runs.clone());
                }
                part.clone()
            }
            None => {
                let recorded = crate::output::Collect::default();
                let made = Arc::new(make(&crate::output::Tee(sink, &recorded)));
                Arc::new(Part { key, files: recorded.into_files(), made })
            }
        };
        let made = part.made.clone();
        lock(&self.new).insert(id, part);
        made
    }

    /// [`DownloadMemo::part`] with the key of `part` when there is a memo; else just made.
    pub(super) fn kept_or_made(
        memo: Option<(&DownloadMemo, PartKey)>,
        sink: &dyn Sink,
        id: String,
        part: &str,
        make: impl FnOnce(&dyn Sink) -> (Vec<Value>, Vec<Written>),
    ) -> Made {
        match memo {
            Some((m, key)) => m.part(sink, id, key(part), make),
            None => Arc::new(make(sink)),
        }
    }

    /// Keeps what this build made, for the next.
    pub(super) fn turn(&mut self) {
        self.old = std::mem::take(self.new.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner));
        self.old_runs = std::mem::take(self.new_runs.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner));
        self.runs_encoded = std::mem::take(self.encoding.get_mut());
    }

    /// [`table_files`] of a table grouped by county (its `runs`), for the part `id`: a run
    /// whose county's key is as in the build before is copied from that build's files instead
    /// of being encoded again, and each file's SHA-256 resumes from its state before the first
    /// run that is not as before. The files are the same as [`table_files`] makes.
    pub(super) fn table_files_by_run(
        &self,
        sink: &dyn Sink,
        t: &DataTable,
        id: &str,
        stem: &str,
        title: &str,
        key: PartKey,
    ) -> (Vec<Value>, Vec<Written>) {
        use rayon::prelude::*;
        let excel = fits_excel(t.rows.len());
        let with_json = excel && !stem.starts_with("counties/");
        let runs = t.runs.as_ref().map_or_else(Vec::new, |runs| runs());
        let keys: Vec<u64> = runs.iter().map(|(county, _)| key(county)).collect();
        // The build before's runs, by county; none when a county had two (the model keeps
        // rows sorted by county, so it does not happen).
        let old = self.old_runs.get(id).filter(|o| o.json.is_some() == with_json);
        let old_at: HashMap<&str, &RunAt> =
            old.map(|o| o.runs.iter().map(|r| (r.county.as_str(), r)).collect()).unwrap_or_default();
        let old = old.filter(|o| old_at.len() == o.runs.len());
        let json_keys = json_keys(t);
        let chunks: Vec<(bytes::Bytes, bytes::Bytes)> = runs
            .par_iter()
            .zip(&keys)
            .map(|((county, rows), key)| {
                if let Some((o, r)) = old.and_then(|o| old_at.get(county).filter(|r| r.key == *key).map(|r| (o, r))) {
                    let json = o.json.as_ref().map_or_else(bytes::Bytes::new, |j| j.slice(r.json.clone()));
                    return (o.plain.slice(r.csv.clone()), json);
                }
                self.encoding.fetch_add(1, Ordering::Relaxed);
                let mut w = csv_writer(Vec::new());
                write_csv_rows(rows, &mut w);
                let csv = w.into_inner().expect(FAILS);
                let mut json = Vec::new();
                if with_json {
                    write_json_rows(&json_keys, rows, &mut json, &mut |_| {});
                }
                (csv.into(), json.into())
            })
            .collect();
        // The runs before the first that is not as before start at the same bytes as then.
        let same = old.map_or(0, |o| {
            runs.iter().zip(&keys).zip(&o.runs).take_while(|(((c, _), k), r)| r.county == *c && r.key == **k).count()
        });
        let csv = || {
            let mut header = csv_writer(Vec::new());
            header.write_record(t.columns.iter().map(|c| c.0)).expect(FAILS);
            let header = header.into_inner().expect(FAILS);
            let mut out =
                Vec::with_capacity(BOM.len() + header.len() + chunks.iter().map(|c| c.0.len()).sum::<usize>());
            out.extend_from_slice(BOM);
            out.extend_from_slice(&header);
            let ranges: Vec<_> = chunks
                .iter()
                .map(|(c, _)| {
                    let start = out.len() - BOM.len();
                    out.extend_from_slice(c);
                    start..start + c.len()
                })
                .collect();
            (bytes::Bytes::from(out), ranges)
        };
        let json = || {
            with_json.then(|| {
                let mut out = Vec::with_capacity(8 + chunks.iter().map(|c| c.1.len() + 1).sum::<usize>());
                out.push(b'[');
                let mut any = false;
                let ranges: Vec<_> = chunks
                    .iter()
                    .map(|(_, c)| {
                        if any && !c.is_empty() {
                            out.push(b',');
                        }
                        any |= !c.is_empty();
                        let start = out.len();
                        out.extend_from_slice(c);
                        start..out.len()
                    })
                    .collect();
                out.extend_from_slice(b"\n]\n");
                (bytes::Bytes::from(out), ranges)
            })
        };
        let ((excel_bytes, csv_at), json) = rayon::join(csv, json);
        let plain = excel_bytes.slice(BOM.len()..);
        // Each file hashed from the state before the first run not as before.
        let resume =
            |which: usize| old.map(|o| (same, o.runs.iter().map(|r| r.sha256[which].clone()).collect::<Vec<_>>()));
        let plain_starts: Vec<usize> = csv_at.iter().map(|r| r.start).collect();
        let hash_plain = || sha256_resuming(&plain, &plain_starts, resume(0));
        let hash_excel = || {
            excel.then(|| {
                let starts: Vec<usize> = plain_starts.iter().map(|s| s + BOM.len()).collect();
                sha256_resuming(&excel_bytes, &starts, resume(1))
            })
        };
        let hash_json = || {
            json.as_ref().map(|(bytes, ranges)| {
                let starts: Vec<usize> = ranges.iter().map(|r| r.start).collect();
                sha256_resuming(bytes, &starts, resume(2))
            })
        };
        let ((plain_sha, excel_sha), json_sha) = rayon::join(|| rayon::join(hash_plain, hash_excel), hash_json);
        let put = |suffix: &str, bytes: bytes::Bytes, sha256: String| {
            let path = format!("data/{stem}{suffix}");
            let info = FileInfo { path: path.clone(), bytes: bytes.len() };
            sink.put(OutputFile::new(path, bytes));
            Written { info, sha256 }
        };
        let mut states: Vec<[Option<Sha256>; 3]> = vec![Default::default(); runs.len()];
        for (which, hashed) in [Some(&plain_sha), excel_sha.as_ref(), json_sha.as_ref()].into_iter().enumerate() {
            for (state, s) in states.iter_mut().zip(hashed.iter().flat_map(|h| &h.1)) {
                state[which] = Some(s.clone());
            }
        }
        let written = [
            Some(put(".csv", plain.clone(), plain_sha.0)),
            excel_sha.map(|(sha, _)| put("-excel.csv", excel_bytes, sha)),
            json.as_ref().zip(json_sha).map(|((bytes, _), (sha, _))| put(".json", bytes.clone(), sha)),
        ];
        let runs = runs
            .iter()
            .zip(keys)
            .zip(csv_at)
            .zip(states)
            .enumerate()
            .map(|(i, ((((county, _), key), csv), sha256))| RunAt {
                county: county.to_string(),
                key,
                csv,
                json: json.as_ref().map_or(0..0, |(_, ranges)| ranges[i].clone()),
                sha256,
            })
            .collect();
        let assembled = Assembled { plain, json: json.map(|(bytes, _)| bytes), runs };
        lock(&self.new_runs).insert(id.to_string(), Arc::new(assembled));
        described(t, stem, title, written)
    }
}

/// A lock, taken even if a thread panicked holding it.
pub(super) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
