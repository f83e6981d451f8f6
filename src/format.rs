//! The data format, declared once: each input file with its columns (name, the Chinese header
//! the workbooks write, the other headers the loader accepts, type, unit, whether it is
//! required), the column its rows belong to an area by, and its primary key.
//!
//! Everything that reads or writes a table takes what it needs from here: reading CSV files
//! and workbooks (headers in either language), the revision history (areas), the school
//! figures the model and the engine hold, and the downloads (the columns and types of the
//! tables written in the input format, their Table Schemas, the database, the workbooks'
//! headers and the downloads page). A column added here is read, kept (a school figure),
//! written and described; its meaning is a UI string (`column.<name>` in the theme's language
//! files). `docs/data-format.md` describes the format for the people who write it.

/// The type of a column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ty {
    /// Text.
    Str,
    /// A date of the precision given (`2016`, `2016-01`, `2016-01-05`): text in CSV and in the
    /// Table Schema, a date in a workbook when it is whole.
    Date,
    /// A number.
    Num,
    /// A whole number.
    Int,
    /// True or false.
    Bool,
}

impl Ty {
    /// The Table Schema's name of the type.
    pub fn name(self) -> &'static str {
        match self {
            Ty::Str | Ty::Date => "string",
            Ty::Num => "number",
            Ty::Int => "integer",
            Ty::Bool => "boolean",
        }
    }
}

/// A vocabulary: the column's values are ids of a fixed list, each with a Chinese and an English
/// name that a cell may hold instead ([`crate::model::vocab`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Vocab {
    /// `primary`, `junior`.
    Level,
    /// `basic`, `quality`.
    Scheme,
    /// The indicators of the row's regime (and the basic composite).
    Indicator,
    /// The milestone events.
    Event,
    /// The school types.
    SchoolType,
}

impl Vocab {
    /// Every vocabulary.
    pub const ALL: [Vocab; 5] = [Vocab::Level, Vocab::Scheme, Vocab::Indicator, Vocab::Event, Vocab::SchoolType];

    /// The first column of the input files with this vocabulary (its name and headers).
    pub fn column(self) -> &'static Column {
        INPUT_FILES
            .iter()
            .flat_map(|f| f.columns)
            .find(|c| c.vocab == Some(self))
            .expect("every vocabulary is a column's")
    }
}

/// A column of an input file.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Its name: the header of the CSV files junheng writes.
    pub name: &'static str,
    /// The Chinese header the workbooks write (and the loader reads back).
    pub zh: &'static str,
    /// Other headers the loader accepts.
    pub also: &'static [&'static str],
    /// The type of its values.
    pub ty: Ty,
    /// The unit of its figures, where it has one.
    pub unit: Option<&'static str>,
    /// Whether every file must have it.
    pub required: bool,
    /// A figure of a school row, kept in [`crate::model::SchoolRow::figures`] in the order
    /// declared ([`SCHOOL_FIGURES`]).
    pub figure: bool,
    /// The vocabulary its values are words of, where it has one.
    pub vocab: Option<Vocab>,
    /// A value as a person would fill it in, for the data-entry workbooks (ids of a
    /// vocabulary are shown as their names there); the examples of a file make a row that
    /// builds.
    pub example: &'static str,
    /// An identifier written in digits (a code, a school id): text, whose leading zeros a
    /// number cell would lose.
    pub digits: bool,
}

impl Column {
    /// An optional text column.
    pub const fn new(name: &'static str, zh: &'static str) -> Column {
        Column {
            name,
            zh,
            also: &[],
            ty: Ty::Str,
            unit: None,
            required: false,
            figure: false,
            vocab: None,
            example: "",
            digits: false,
        }
    }

    /// Required.
    pub const fn required(self) -> Column {
        Column { required: true, ..self }
    }

    /// Of type `ty`.
    pub const fn of(self, ty: Ty) -> Column {
        Column { ty, ..self }
    }

    /// Also read under `headers`.
    pub const fn also(self, headers: &'static [&'static str]) -> Column {
        Column { also: headers, ..self }
    }

    /// A school figure counted in `unit`.
    pub const fn figure(self, unit: &'static str) -> Column {
        Column { ty: Ty::Num, unit: Some(unit), figure: true, ..self }
    }

    /// Of the vocabulary `vocab`.
    pub const fn words(self, vocab: Vocab) -> Column {
        Column { vocab: Some(vocab), ..self }
    }

    /// An identifier written in digits.
    pub const fn digits(self) -> Column {
        Column { digits: true, ..self }
    }

    /// With `example` as the value a person would fill in.
    pub const fn eg(self, example: &'static str) -> Column {
        Column { example, ..self }
    }

    /// A whole number of people.
    pub const fn count(self) -> Column {
        Column { ty: Ty::Int, unit: Some("count"), ..self }
    }
}

/// An input file of the format.
#[derive(Debug, Clone, Copy)]
pub struct InputFile {
    /// The table's name (`schools`).
    pub name: &'static str,
    /// Site-relative file name, e.g. `data/counties.csv` (or its workbook, `data/counties.xlsx`).
    pub file: &'static str,
    /// The columns, in the order junheng writes them.
    pub columns: &'static [Column],
    /// The column each row belongs to an area by (the revision history compares a table area
    /// by area); none: read whole.
    pub area: Option<&'static str>,
    /// The columns that identify a row.
    pub primary_key: &'static [&'static str],
}

impl InputFile {
    /// The column a header names: its name (in any case), its Chinese header, or another
    /// header accepted for it.
    pub fn canonical(&self, header: &str) -> Option<&'static str> {
        let h = header.trim();
        let column = self.columns.iter().find(|c| c.name.eq_ignore_ascii_case(h) || c.zh == h || c.also.contains(&h));
        column.map(|c| c.name)
    }

    /// The required columns.
    pub fn required(&self) -> impl Iterator<Item = &'static str> {
        self.columns.iter().filter(|c| c.required).map(|c| c.name)
    }

    /// Every column's name, for a message: `` `code`, `name`, … ``.
    pub fn allowed(&self) -> String {
        self.columns.iter().map(|c| format!("`{}`", c.name)).collect::<Vec<_>>().join(", ")
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// `data/counties.csv`.
pub const COUNTIES: InputFile = InputFile {
    name: "counties",
    file: "data/counties.csv",
    columns: &[
        Column::new("code", "代码").digits().required().also(&["区划代码"]).eg("450802"),
        Column::new("name", "名称").required().also(&["县区"]).eg("港北区"),
        Column::new("prefecture_code", "地市代码").digits().required().eg("450800"),
        Column::new("prefecture", "地市").required().eg("贵港市"),
        Column::new("province_code", "省份代码").digits().required().eg("450000"),
        Column::new("province", "省份").required().eg("广西壮族自治区"),
        Column::new("name_en", "英文名").eg("Gangbei District"),
    ],
    area: Some("code"),
    primary_key: &["code"],
};

/// `data/indicators.csv`.
pub const INDICATORS: InputFile = InputFile {
    name: "indicators",
    file: "data/indicators.csv",
    columns: &[
        Column::new("county", "县区代码").digits().required().eg("450802"),
        Column::new("school_year", "学年").required().eg("2020-2021"),
        Column::new("level", "学段").required().words(Vocab::Level).eg("primary"),
        Column::new("scheme", "评估类型").required().words(Vocab::Scheme).eg("quality"),
        Column::new("indicator", "指标").required().words(Vocab::Indicator).eg("teachers_backbone"),
        Column::new("value", "全县平均值").of(Ty::Num).eg("1.52"),
        Column::new("cv", "差异系数").of(Ty::Num).eg("0.321"),
        Column::new("source", "来源").eg("report-2021"),
    ],
    area: Some("county"),
    primary_key: &["county", "school_year", "level", "scheme", "indicator"],
};

/// `data/schools.csv`.
pub const SCHOOLS: InputFile = InputFile {
    name: "schools",
    file: "data/schools.csv",
    columns: &[
        Column::new("school_id", "学校标识码").digits().required().eg("2145080201"),
        Column::new("school_name", "学校名称").required().eg("港北区第一小学"),
        Column::new("county", "县区代码").digits().required().eg("450802"),
        Column::new("school_year", "学年").required().eg("2020-2021"),
        Column::new("level", "学段").required().words(Vocab::Level).eg("primary"),
        Column::new("school_type", "办学类型").required().words(Vocab::SchoolType).eg("primary"),
        Column::new("students", "在校生数").required().count().eg("1250"),
        Column::new("teaching_area_m2", "教学及辅助用房面积（平方米）").figure("m²").eg("6000"),
        Column::new("sports_area_m2", "体育运动场馆面积（平方米）").figure("m²").eg("9500"),
        Column::new("equipment_yuan", "教学仪器设备值").figure("yuan").eg("2600000"),
        Column::new("computers", "计算机台数").figure("count").eg("140"),
        Column::new("books", "图书册数").figure("count").eg("42000"),
        Column::new("multimedia_rooms", "网络多媒体教室数").figure("count").eg("30"),
        Column::new("teachers", "专任教师数").figure("count").eg("68"),
        Column::new("teachers_above_degree", "高于规定学历教师数").figure("count").eg("60"),
        Column::new("teachers_mid_title", "中级及以上职称教师数").figure("count").eg("35"),
        Column::new("teachers_backbone", "县级以上骨干教师数").figure("count").eg("14"),
        Column::new("teachers_pe_art", "体育艺术专任教师数").figure("count").eg("12"),
        Column::new("senior_students", "高中在校生数").count(),
        Column::new("parent_school_id", "中心校标识码").digits(),
        Column::new("source", "来源").eg("report-2021"),
        Column::new("town", "乡镇").eg("港城街道"),
        Column::new("classes", "班级数").count().eg("28"),
        Column::new("large_classes", "大班额班级数").count().eg("2"),
    ],
    area: Some("county"),
    primary_key: &["school_id", "school_year", "level"],
};

/// `data/milestones.csv`.
pub const MILESTONES: InputFile = InputFile {
    name: "milestones",
    file: "data/milestones.csv",
    columns: &[
        Column::new("area", "地区代码").digits().required().eg("450802"),
        Column::new("date", "日期").required().of(Ty::Date).eg("2016-12"),
        Column::new("event", "事件").required().words(Vocab::Event).eg("national_recognition"),
        Column::new("title", "标题").required().eg("通过国家义务教育基本均衡发展认定"),
        Column::new("source", "来源").eg("report-2021"),
    ],
    area: Some("area"),
    primary_key: &[],
};

/// `data/metrics.csv`.
pub const METRICS: InputFile = InputFile {
    name: "metrics",
    file: "data/metrics.csv",
    columns: &[
        Column::new("area", "地区代码").digits().required().eg("450802"),
        Column::new("period", "时期").required().eg("2020-2021"),
        Column::new("metric", "指标").required().eg("large_class_share"),
        Column::new("value", "数值").required().of(Ty::Num).eg("3.5"),
        Column::new("unit", "单位").eg("%"),
        Column::new("source", "来源").eg("report-2021"),
    ],
    area: Some("area"),
    primary_key: &["area", "period", "metric"],
};

/// `data/standards.csv` (optional): a province's school standards of basic balance
/// (办学基本标准), or a county's own.
pub const STANDARDS: InputFile = InputFile {
    name: "standards",
    file: "data/standards.csv",
    columns: &[
        Column::new("area", "地区代码").digits().required().eg("450000"),
        Column::new("scheme", "评估类型").required().words(Vocab::Scheme).eg("basic"),
        Column::new("level", "学段").required().words(Vocab::Level).eg("primary"),
        Column::new("indicator", "指标").required().words(Vocab::Indicator).eg("teaching_area"),
        Column::new("standard", "标准值").required().of(Ty::Num).eg("4.5"),
        Column::new("source", "来源").eg("report-2021"),
    ],
    area: Some("area"),
    primary_key: &["area", "scheme", "level", "indicator"],
};

/// `data/sources.csv`.
pub const SOURCES: InputFile = InputFile {
    name: "sources",
    file: "data/sources.csv",
    columns: &[
        Column::new("id", "编号").required().eg("report-2021"),
        Column::new("title", "标题").required().eg("2021年县域义务教育均衡发展督导评估报告"),
        Column::new("publisher", "发布者").eg("贵港市教育局"),
        Column::new("date", "日期").of(Ty::Date).eg("2021-09"),
        Column::new("url", "网址").eg("https://example.org/report-2021.pdf"),
        Column::new("illustrative", "示例数据").of(Ty::Bool).eg("false"),
    ],
    area: None,
    primary_key: &["id"],
};

/// The input files, in the order they are reported.
pub const INPUT_FILES: [&InputFile; 7] =
    [&COUNTIES, &INDICATORS, &SCHOOLS, &MILESTONES, &METRICS, &STANDARDS, &SOURCES];

/// The input file of a table's name.
pub fn input_file(name: &str) -> Option<&'static InputFile> {
    INPUT_FILES.iter().find(|f| f.name == name).copied()
}

/// The unit of the figures of a column called `name` in any input file, where it has one.
pub fn unit(name: &str) -> Option<&'static str> {
    named(name).and_then(|c| c.unit)
}

/// The first column called `name` in the input files (a name means the same in every table,
/// the downloads' own included).
fn named(name: &str) -> Option<&'static Column> {
    INPUT_FILES.iter().flat_map(|f| f.columns).find(|c| c.name == name)
}

/// Whether a column called `name` in any input file holds identifiers in digits (codes and
/// school ids, kept as text: a name means the same in every table, the downloads' own included).
pub fn digits(name: &str) -> bool {
    named(name).is_some_and(|c| c.digits)
}

/// The vocabulary of a column called `name` in any input file, where it has one (a name means
/// the same in every table, the downloads' own included).
pub fn vocab(name: &str) -> Option<Vocab> {
    named(name).and_then(|c| c.vocab)
}

const fn figure_count(columns: &[Column]) -> usize {
    let (mut i, mut n) = (0, 0);
    while i < columns.len() {
        if columns[i].figure {
            n += 1;
        }
        i += 1;
    }
    n
}

const fn figure_names<const N: usize>(columns: &[Column]) -> [&'static str; N] {
    let mut names = [""; N];
    let (mut i, mut n) = (0, 0);
    while i < columns.len() {
        if columns[i].figure {
            names[n] = columns[i].name;
            n += 1;
        }
        i += 1;
    }
    names
}

/// The figure columns of `schools.csv`, in order: what a school row holds besides its
/// students.
pub const SCHOOL_FIGURES: [&str; figure_count(SCHOOLS.columns)] = figure_names(SCHOOLS.columns);

#[cfg(test)]
mod tests {
    use super::*;

    // Guards the declarations: names and headers unique within a file, every primary-key and
    // area column declared, the school figures in the order declared.
    #[test]
    fn every_file_is_declared_consistently() {
        for f in INPUT_FILES {
            let mut headers: Vec<&str> =
                f.columns.iter().flat_map(|c| [c.name, c.zh].into_iter().chain(c.also.iter().copied())).collect();
            let all = headers.len();
            headers.sort_unstable();
            headers.dedup();
            assert_eq!(headers.len(), all, "{}: a header names two columns", f.name);
            for key in f.primary_key.iter().chain(&f.area) {
                assert!(f.column(key).is_some(), "{}: `{key}` is not a column", f.name);
            }
            for c in f.columns {
                assert_eq!(f.canonical(&format!(" {} ", c.zh)), Some(c.name), "{}: {}", f.name, c.zh);
            }
        }
        assert_eq!(SCHOOL_FIGURES.len(), 11);
        assert_eq!((SCHOOL_FIGURES[0], SCHOOL_FIGURES[10]), ("teaching_area_m2", "teachers_pe_art"));
        assert_eq!(unit("equipment_yuan"), Some("yuan"));
        assert_eq!(SCHOOLS.canonical("区划代码"), None);
        assert_eq!(COUNTIES.canonical("区划代码"), Some("code"));
    }
}
