//! The school rows of `data/schools.csv`, read and checked: each row's cells, the facility
//! figures that rows of one school must share, ids other than ten digits (leading zeros lost).

use super::*;

/// Rows of one school and school year must agree on what describes the whole school: its
/// type, its senior-high enrolment and the facility figures the engine apportions.
/// Warns of school ids other than ten digits (a 学校标识码 always has ten): shorter ones a
/// spreadsheet probably stripped of their leading zeros, which nothing can restore. One warning
/// names the first and counts the others.
fn check_school_ids(t: &Table, rows: &[(&Row, SchoolRow)], diags: &mut Diagnostics) {
    let ten_digits = |id: &str| id.len() == 10 && id.bytes().all(|b| b.is_ascii_digit());
    let odd: Vec<&(&Row, SchoolRow)> = rows.iter().filter(|(_, r)| !ten_digits(&r.school_id)).collect();
    let Some((row, r)) = odd.first() else { return };
    let others = more_rows(odd.len() - 1);
    let id = &r.school_id;
    let why = if id.len() < 10 && id.bytes().all(|b| b.is_ascii_digit()) {
        "a spreadsheet drops the leading zeros of numbers, and they cannot be restored: type the ids again as text (a workbook, data/schools.xlsx, keeps them so; or format the column as text)"
    } else {
        "check it against the school's record"
    };
    let d = Diagnostic::warning(
        &t.file,
        format!(
            "found `{id}` ({} characters){others}: expected a school identifier (学校标识码) of 10 digits; {why}",
            id.chars().count()
        ),
    );
    diags.push(t.cell_diag(row, "school_id", d));
}

fn check_whole_school_figures(t: &Table, rows: &[(&Row, SchoolRow)], diags: &mut Diagnostics) {
    first_of_each_key(
        rows,
        |(_, r)| (&*r.school_id, r.school_year),
        |i, first| {
            let ((row, r), (first_row, f)) = (&rows[i], &rows[first]);
            // Values are compared as read; only a difference is written out for the message.
            let mut differ = |field: &str, same: bool, a: &dyn Fn() -> String, b: &dyn Fn() -> String| {
                if !same {
                    let shown = |v: String| if v.is_empty() { "an empty cell".to_string() } else { format!("`{v}`") };
                    let d = Diagnostic::error(
                        &t.file,
                        format!(
                            "expected {} as on line {} for the same school and school year (whole-school figures are repeated on each level's row), found {}",
                            shown(b()),
                            first_row.line,
                            shown(a())
                        ),
                    );
                    diags.push(t.cell_diag(row, field, d));
                }
            };
            differ("school_type", r.school_type == f.school_type, &|| r.school_type.to_string(), &|| {
                f.school_type.to_string()
            });
            let opt = |v: Option<u32>| v.map_or(String::new(), |v| v.to_string());
            differ("senior_students", r.senior_students == f.senior_students, &|| opt(r.senior_students), &|| {
                opt(f.senior_students)
            });
            for ((col, a), b) in SCHOOL_FIGURES.iter().zip(r.figures.iter()).zip(f.figures.iter()) {
                if crate::model::rules::FACILITY_COLUMNS.contains(col) {
                    let num = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
                    differ(col, a == b, &|| num(a), &|| num(b));
                }
            }
        },
    );
}

/// Texts kept once for the rows of a chunk of `schools.csv`: a school's id and name recur in
/// every school year (ten times in a national file, usually close together).
#[derive(Default)]
struct Interned<'t>(rustc_hash::FxHashMap<&'t str, Arc<str>>);

impl<'t> Interned<'t> {
    fn get(&mut self, text: &'t str) -> Arc<str> {
        self.0.entry(text).or_insert_with(|| Arc::from(text)).clone()
    }
}

pub(super) fn schools(t: &Table, refs: &Refs, diags: &mut Diagnostics) -> Vec<SchoolRow> {
    // Two million rows share a few thousand counties and sources: one allocation each.
    let shared: HashMap<&str, Arc<str>> =
        refs.counties.iter().chain(refs.sources.iter()).map(|v| (*v, Arc::from(*v))).collect();
    let share = |v: &str| shared.get(v).cloned().unwrap_or_else(|| Arc::from(v));
    let col = |name| Resolved::of(t, name);
    let [id_col, name_col, county_col, year_col, level_col, type_col, students_col, senior_col, parent_col, source_col] =
        [
            "school_id",
            "school_name",
            "county",
            "school_year",
            "level",
            "school_type",
            "students",
            "senior_students",
            "parent_school_id",
            "source",
        ]
        .map(col);
    let [town_col, classes_col, large_col] = ["town", "classes", "large_classes"].map(col);
    let figure_cols = SCHOOL_FIGURES.map(col);
    let rows = each_row_par(t, diags, |texts: &mut Interned, c| {
        let school_id = c.text_str(id_col, "a 10-digit school identifier (学校标识码)");
        if !school_id.is_empty() && !school_id.chars().all(|ch| ch.is_ascii_alphanumeric()) {
            c.fail(id_col, "a school identifier of digits (keep it as text in Excel)");
        }
        let school_name = c.text_str(name_col, "the school's name");
        let county = share(c.county_str(county_col, refs));
        let school_year = c.school_year(year_col);
        let level = c.term(level_col, Vocab::Level, None).and_then(Level::parse);
        let school_type = c.term(type_col, Vocab::SchoolType, None);
        // Pupils of one school: far fewer than four billion (kept in four bytes).
        let pupils = "a number of pupils up to 4,294,967,295";
        let (students, senior_students) = (c.count_in(students_col, pupils), c.count_in(senior_col, pupils));
        if students.is_none() && c.ok {
            c.fail(students_col, "a whole number like `1250`");
        }
        let figures = figure_cols.map(|f| c.non_negative(f));
        let teachers = SCHOOL_FIGURES.iter().position(|f| *f == "teachers").and_then(|i| figures[i]);
        if let (Some(p), Some(teachers)) = (students, teachers)
            && teachers > p as f64 * 10.0
        {
            let d = Diagnostic::warning(
                &c.table.file,
                format!(
                    "found {teachers} teachers for {p} students: expected fewer teachers than ten per student; is a column shifted?"
                ),
            );
            c.diags.push(c.table.cell_diag(c.row, "teachers", d));
        }
        let parent_school_id = c.opt_str(parent_col).map(|v| texts.get(v));
        let source = c.source_in(refs, source_col).map(share);
        let town = c.opt_str(town_col).map(|v| texts.get(v));
        // A school's classes of one level: a few dozen, at most 65,535.
        let most = "a number of classes up to 65,535";
        let (classes, large_classes) = (c.count_in(classes_col, most), c.count_in(large_col, most));
        if let (Some(all), Some(large)) = (classes, large_classes)
            && large > all
        {
            c.fail(large_col, &format!("at most the number of classes ({all})"));
        }
        Some(SchoolRow {
            school_id: texts.get(school_id),
            school_name: texts.get(school_name),
            county,
            school_year: school_year?,
            level: level?,
            school_type: school_type?,
            students: students?,
            figures: figures.into(),
            senior_students,
            parent_school_id,
            source,
            town,
            classes,
            large_classes,
        })
    });
    check_whole_school_figures(t, &rows, diags);
    check_school_ids(t, &rows, diags);
    check_sources_given(t, &rows, |r: &SchoolRow| r.source.is_none(), diags);
    let mut v = reject_duplicates(t, rows, "this school, school year and level are", diags);
    // Keys are unique after the duplicate check, so an unstable (in-place) sort is exact.
    v.sort_unstable_by(|a, b| {
        (&a.county, a.school_year, &a.school_id, a.level).cmp(&(&b.county, b.school_year, &b.school_id, b.level))
    });
    v
}
