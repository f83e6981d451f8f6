//! National tables grouped by county assembled from each county's run of rows, encoded apart:
//! the preview encodes again only the runs of counties whose rows changed. The files are the
//! bytes the table made whole gives (a test compares them).

use super::*;

/// One county's run of a national table, encoded: its CSV records, and its JSON objects (when
/// the table has a JSON file), each object on a line of its own after a newline.
#[derive(Debug, PartialEq)]
pub struct Run {
    csv: bytes::Bytes,
    json: bytes::Bytes,
    /// The hash of both (an assembly's key hashes its runs by it).
    hash: u64,
}

impl Hash for Run {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.hash.hash(h);
    }
}

#[derive(Hash, Debug)]
struct RunInputs<'r, 's> {
    scope: Scope<'r, 's>,
    /// The table's index in [`NATIONAL`].
    table: usize,
    code: String,
    json: bool,
}

fn run(i: &RunInputs, _: &dyn Sink) -> Arc<Run> {
    let t = (NATIONAL[i.table].make)(&i.scope, Some(&i.code)).expect("runs are planned for tables that exist");
    let mut w = csv_writer(Vec::new());
    write_csv_rows(&t.rows, &mut w);
    let csv = w.into_inner().expect(FAILS);
    let mut json = Vec::new();
    if i.json {
        write_json_rows(&json_keys(&t), &t.rows, &mut json, &mut |_| {});
    }
    let mut h = std::hash::DefaultHasher::new();
    (&csv, &json).hash(&mut h);
    Arc::new(Run { csv: csv.into(), json: json.into(), hash: h.finish() })
}

/// The national tables grouped by county, by their index in [`NATIONAL`], each with a job per
/// county with rows in it.
pub fn run_jobs<'r, 's>(reading: &'r Reading<'s>) -> Vec<(usize, Vec<Job<'r, Arc<Run>>>)> {
    let site = reading.site();
    NATIONAL
        .iter()
        .enumerate()
        .filter(|(_, n)| n.grouped)
        .filter_map(|(table, n)| {
            let scope = reading.everywhere(n.reads);
            let rows = n.rows.map(|rows| rows(&scope));
            // A table with no rows that is not made at all (no school rows: no school table).
            if rows == Some(0) && (n.make)(&scope, None).is_none() {
                return None;
            }
            // Runs encode their JSON objects unless the table is known to be too long for a JSON
            // file (when it is, the assembly leaves them out).
            let json = rows.is_none_or(fits_excel);
            let jobs = site
                .counties
                .iter()
                .map(|c| {
                    let inputs =
                        RunInputs { scope: reading.scope_of(&c.code, n.reads), table, code: c.code.clone(), json };
                    Job::new(format!("table {} of {}", n.name, c.code), inputs, run)
                })
                .collect();
            Some((table, jobs))
        })
        .collect()
}

#[derive(Hash, Debug)]
struct Assembly<'r, 's> {
    scope: Scope<'r, 's>,
    table: usize,
    runs: Vec<Arc<Run>>,
}

/// The job writing the national table at `table` of [`NATIONAL`] from its counties' `runs`
/// (those of [`run_jobs`], in order): the part the table's own job makes.
pub fn assembled_job<'r, 's>(reading: &'r Reading<'s>, table: usize, runs: Vec<Arc<Run>>) -> PartJob<'r> {
    let n = &NATIONAL[table];
    Job::new(format!("table {}", n.name), Assembly { scope: reading.everywhere(n.reads), table, runs }, assembled)
}

fn assembled(i: &Assembly, sink: &dyn Sink) -> Arc<Part> {
    let National { name, make, .. } = NATIONAL[i.table];
    let Some(t) = make(&i.scope, None) else { return Arc::default() };
    let fits = fits_excel(t.rows.len());
    let csv = || {
        let mut header = csv_writer(Vec::new());
        header.write_record(t.columns.iter().map(|c| c.0)).expect(FAILS);
        let header = header.into_inner().expect(FAILS);
        let mut out = Vec::with_capacity(BOM.len() + header.len() + i.runs.iter().map(|r| r.csv.len()).sum::<usize>());
        out.extend_from_slice(BOM);
        out.extend_from_slice(&header);
        i.runs.iter().for_each(|r| out.extend_from_slice(&r.csv));
        let excel = bytes::Bytes::from(out);
        let plain = excel.slice(BOM.len()..);
        let (plain, excel) = rayon::join(
            || emit(sink, format!("data/{name}.csv"), plain),
            || fits.then(|| emit(sink, format!("data/{name}-excel.csv"), excel)),
        );
        (plain, excel)
    };
    let json = || {
        fits.then(|| {
            let mut out = Vec::with_capacity(8 + i.runs.iter().map(|r| r.json.len() + 1).sum::<usize>());
            out.push(b'[');
            // The objects of a table are its runs' objects joined with a comma.
            let mut any = false;
            for r in i.runs.iter().filter(|r| !r.json.is_empty()) {
                if any {
                    out.push(b',');
                }
                any = true;
                out.extend_from_slice(&r.json);
            }
            out.extend_from_slice(b"\n]\n");
            emit(sink, format!("data/{name}.json"), out)
        })
    };
    let ((plain, excel), json) = rayon::join(csv, json);
    let made = described(&t, name, name, [Some(plain), excel, json]);
    let doc = table_doc(&t, &made.1, true);
    Part::new(made, Some(doc), None, Some((t.name, table_schema(&t))))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Guards the tables assembled from runs (the preview's national tables): each gives the
    // files, sizes, SHA-256 sums and package entries of the table made whole, with counties
    // without rows among the runs.
    #[test]
    fn tables_assembled_from_runs_equal_tables_made_whole() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut diags = crate::diag::Diagnostics::new();
        let mut loaded = crate::load::load_site(root, &mut diags).expect("the demo site loads");
        let site = crate::engine::analyse(crate::model::build::build_site(&mut loaded, &mut diags));
        let reading = Reading::new(&site);
        let (national, _) = part_jobs(&reading);
        let grouped = run_jobs(&reading);
        assert_eq!(grouped.len(), 3, "published rows, results and school rows");
        for (table, jobs) in grouped {
            let runs: Vec<Arc<Run>> = jobs.iter().map(|j| j.run(&crate::output::Discard)).collect();
            assert!(runs.iter().any(|r| r.csv.is_empty()), "a county without rows");
            let (whole, assembled) = (crate::output::Collect::default(), crate::output::Collect::default());
            let made_whole = national[table].run(&whole);
            let made_of_runs = assembled_job(&reading, table, runs).run(&assembled);
            assert_eq!(made_whole, made_of_runs, "{}", NATIONAL[table].name);
            assert!(whole.into_files() == assembled.into_files(), "{}", NATIONAL[table].name);
        }
    }
}
