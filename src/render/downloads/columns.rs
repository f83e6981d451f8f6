//! What the downloads say of each column beyond its name and type: the Chinese header of the
//! workbooks (for the input tables, the one their declaration gives, which the loader reads
//! back), the unit, and the Table Schema constraints.

use super::*;

/// Headers of the columns only the downloads have (results and school values).
const OUTPUT_HEADERS: &[(&str, &str)] = &[
    ("county", "县区代码"),
    ("school_year", "学年"),
    ("level", "学段"),
    ("scheme", "评估类型"),
    ("indicator", "指标"),
    ("value", "全县平均值"),
    ("cv", "差异系数"),
    ("reported_cv", "公布的差异系数"),
    ("computed_cv", "计算的差异系数"),
    ("disagrees", "公布与计算不符"),
    ("threshold", "差异系数上限"),
    ("standard", "标准值"),
    ("meets", "是否达标"),
    ("rules", "评估办法"),
    ("source", "来源"),
    ("school_id", "学校标识码"),
    ("school_name", "学校名称"),
    ("school_type", "办学类型"),
    ("students", "在校生数"),
    ("facility_share", "设施分摊比例"),
    ("standards_met", "达标项数"),
    ("passes", "是否达到优质均衡要求"),
    ("school_value", "本校数值"),
    ("state", "达标情况"),
    ("verdict", "本校结论"),
    ("school_students", "全校在校生数"),
    ("size_limit", "规模上限（人）"),
    ("over_size_limit", "是否超过规模上限"),
    ("basic_teaching_area", "基本·生均教学及辅助用房面积"),
    ("basic_sports_area", "基本·生均体育运动场馆面积"),
    ("basic_equipment_value", "基本·生均教学仪器设备值"),
    ("basic_computers", "基本·每百名学生拥有计算机台数"),
    ("basic_books", "基本·生均图书册数"),
    ("basic_teacher_ratio", "基本·师生比"),
    ("basic_teachers_above_degree", "基本·生均高于规定学历教师数"),
    ("basic_teachers_mid_title", "基本·生均中级及以上职称教师数"),
    ("quality_teachers_above_degree", "优质·每百名学生拥有高于规定学历教师数"),
    ("quality_teachers_backbone", "优质·每百名学生拥有县级以上骨干教师数"),
    ("quality_teachers_pe_art", "优质·每百名学生拥有体育艺术专任教师数"),
    ("quality_teaching_area", "优质·生均教学及辅助用房面积"),
    ("quality_sports_area", "优质·生均体育运动场馆面积"),
    ("quality_equipment_value", "优质·生均教学仪器设备值"),
    ("quality_multimedia_rooms", "优质·每百名学生拥有网络多媒体教室数"),
    ("release", "发布"),
    ("commit", "版本"),
    ("date", "日期"),
    ("area", "地区代码"),
    ("field", "数字"),
    ("old", "原值"),
    ("new", "新值"),
];

/// The Chinese header of a column of `table`: for an input table, the first alias the
/// loader accepts for it (so that a workbook saved back into `data/` reads as the CSV does).
pub(super) fn zh_header(table: &str, column: &'static str) -> &'static str {
    match crate::format::input_file(table) {
        Some(file) => file.column(column).map_or(column, |c| c.zh),
        None => OUTPUT_HEADERS.iter().find(|(c, _)| *c == column).map_or(column, |(_, h)| h),
    }
}

/// The unit of a column's figures, where it has one.
pub(super) fn unit(column: &str) -> Option<&'static str> {
    crate::format::unit(column)
}

/// The Table Schema constraints of a column of `table` (a name means the same in every table).
pub(super) fn constraints(table: &str, column: &str, ty: Ty) -> Option<Value> {
    let enumeration = |values: Vec<&str>| json!({ "enum": values });
    Some(match column {
        "code" | "county" | "prefecture_code" | "province_code" => json!({ "pattern": "[0-9]{6}" }),
        "area" => json!({ "pattern": "[0-9]{6}" }),
        "school_year" => json!({ "pattern": "[0-9]{4}-[0-9]{4}" }),
        "level" => enumeration(crate::model::Level::ALL.iter().map(|l| l.id()).collect()),
        "scheme" => enumeration(Scheme::ALL.iter().map(|s| s.id()).collect()),
        "indicator" => {
            let rules = crate::model::rules::Rules::default();
            let mut ids: Vec<&str> =
                Scheme::ALL.iter().flat_map(|&s| rules.of(s).indicators.iter().map(|i| i.id)).collect();
            ids.push(IndicatorRef::Composite.id());
            if table == "changes" {
                ids.push(crate::model::revisions::ALL_INDICATORS);
                ids.extend(crate::model::Event::IDS);
            }
            ids.sort_unstable();
            ids.dedup();
            enumeration(ids)
        }
        "event" => enumeration(crate::model::Event::IDS.to_vec()),
        "field" => enumeration(crate::model::revisions::Field::ALL.iter().map(|f| f.id()).collect()),
        "commit" => json!({ "pattern": "[0-9a-f]{40}" }),
        "school_type" => enumeration(crate::model::SCHOOL_TYPES.to_vec()),
        "state" => enumeration(vec!["meets", "near", "below", "short", "unknown"]),
        "verdict" => enumeration(vec!["meets", "falls_short", "merged", "not_assessed"]),
        "date" => json!({ "pattern": "[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?" }),
        "school_id" | "parent_school_id" => json!({ "pattern": "\\S+" }),
        // Figures and coefficients are never negative (a metric may be: a change).
        _ if matches!(ty, Ty::Num | Ty::Int) && !(table == "metrics" && column == "value") => json!({ "minimum": 0 }),
        _ => return None,
    })
}
