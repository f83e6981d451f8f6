//! The static county API: one JSON record per county, and its JSON Schema.

use super::*;

/// `api/counties/<code>.json`: everything known for one county (its schema is `schema/county.schema.json`).
pub fn county_api(scope: &Scope, code: &str) -> Vec<u8> {
    let c = scope.county(code).expect("API files are made for known counties");
    // Sheets are the bulk of a record: written straight from the model (fields in the order
    // of the schema), not through `serde_json` maps.
    let sheets: Vec<ApiSheet> = scope
        .sheets_of(code)
        .iter()
        .map(|sh| {
            let basic = sh.scheme == Scheme::Basic;
            ApiSheet {
                school_year: sh.school_year.to_string(),
                level: sh.level,
                scheme: sh.scheme,
                rules: sh.rules,
                schools: sh.schools,
                indicators: sh.rows.iter().map(ApiRow).collect(),
                failing_schools: (!basic).then_some(sh.failing_schools),
                composite: basic.then(|| match &sh.composite {
                    Some(c) => ApiComposite {
                        cv: Some(c.cv),
                        basis: Some(c.basis),
                        reported_cv: c.reported_cv,
                        computed_cv: c.computed_cv,
                        disagrees: c.disagrees,
                        reported_mean: c.reported_mean,
                        departs_from_mean: c.departs_from_mean,
                        threshold: c.threshold,
                        meets: Some(c.meets),
                        source: c.source.as_deref(),
                    },
                    None => ApiComposite {
                        cv: None,
                        basis: None,
                        reported_cv: None,
                        computed_cv: None,
                        disagrees: None,
                        reported_mean: None,
                        departs_from_mean: None,
                        threshold: scope.rules().basic.threshold(sh.level),
                        meets: None,
                        source: None,
                    },
                }),
                meets_all: (!basic).then_some(sh.meets_all),
            }
        })
        .collect();
    let milestones: Vec<Value> = scope
        .milestones_of(code)
        .iter()
        .map(|m| {
            json!({
                "date": m.date.to_string(), "event": m.event.id(), "title": m.title, "source": m.source,
            })
        })
        .collect();
    let metrics: Vec<Value> = scope
        .metrics_of(code)
        .iter()
        .map(|m| {
            json!({
                "period": m.period, "metric": m.metric, "value": m.value, "unit": m.unit, "source": m.source,
            })
        })
        .collect();
    let mut cited: Vec<&str> = scope
        .sheets_of(code)
        .iter()
        .flat_map(|sh| {
            sh.rows
                .iter()
                .filter_map(|r| r.source.as_deref())
                .chain(sh.composite.iter().filter_map(|c| c.source.as_deref()))
        })
        .chain(scope.milestones_of(code).iter().filter_map(|m| m.source.as_deref()))
        .chain(scope.metrics_of(code).iter().filter_map(|m| m.source.as_deref()))
        .collect();
    cited.sort();
    cited.dedup();
    let sources: Vec<Value> = cited.iter().filter_map(|id| scope.source(id)).map(|s| json!(s)).collect();
    let status = |scheme| match scope.status(code, scheme) {
        Some((step, m)) => {
            json!({ "step": step, "event": m.event.id(), "date": m.date.to_string() })
        }
        None => Value::Null,
    };
    let releases = scope.releases();
    let revisions: Vec<Value> = scope
        .revisions_of(code)
        .iter()
        .map(|c| {
            let (r, k) = (&releases[c.release], &c.key);
            json!({
                "release": r.commit.as_ref().map(|_| &r.name), "commit": r.commit, "date": r.date,
                "school_year": k.school_year.map(|y| y.to_string()), "level": k.level, "scheme": k.scheme,
                "indicator": k.item, "field": k.field, "old": c.old, "new": c.new,
            })
        })
        .collect();
    let rows = scope.schools_of(code);
    let schools: Vec<Value> = scope
        .audited_years(code)
        .into_iter()
        .flat_map(|year| school_results(crate::model::year_rows(rows, year), &scope.detail_of(code, year), &scope.standards()))
        .map(|r| {
            let standards: Vec<Value> = r
                .checks
                .iter()
                .map(|(scheme, indicator, standard, value, state)| {
                    json!({ "scheme": scheme, "indicator": indicator, "value": value, "standard": standard, "state": state })
                })
                .collect();
            json!({
                "school_id": r.row.school_id, "school_name": r.row.school_name,
                "school_year": r.row.school_year.to_string(), "level": r.row.level, "school_type": r.row.school_type,
                "verdict": r.verdict, "standards_met": r.met, "school_students": r.pupils,
                "size_limit": r.limit, "over_size_limit": r.pupils > r.limit, "standards": standards,
            })
        })
        .collect();
    let record = ApiCounty {
        schema: "../schema/county.schema.json",
        schema_version: 1,
        county: c,
        status: ApiStatus { basic: status(Scheme::Basic), quality: status(Scheme::Quality) },
        sheets,
        milestones,
        metrics,
        sources,
        revisions,
        schools,
    };
    let mut out = serde_json::to_vec(&record).expect("JSON of plain values");
    out.push(b'\n');
    out
}

/// `api/counties/<code>.json` (see [`county_schema`]).
#[derive(serde::Serialize)]
pub(super) struct ApiCounty<'a> {
    #[serde(rename = "$schema")]
    pub(super) schema: &'static str,
    pub(super) schema_version: u32,
    pub(super) county: &'a crate::model::County,
    pub(super) status: ApiStatus,
    pub(super) sheets: Vec<ApiSheet<'a>>,
    pub(super) milestones: Vec<Value>,
    pub(super) metrics: Vec<Value>,
    pub(super) sources: Vec<Value>,
    pub(super) revisions: Vec<Value>,
    pub(super) schools: Vec<Value>,
}

#[derive(serde::Serialize)]
pub(super) struct ApiStatus {
    pub(super) basic: Value,
    pub(super) quality: Value,
}

/// One sheet of an API record: quality sheets end with `failing_schools` and `meets_all`,
/// basic ones with `composite`.
#[derive(serde::Serialize)]
pub(super) struct ApiSheet<'a> {
    pub(super) school_year: String,
    pub(super) level: crate::model::Level,
    pub(super) scheme: Scheme,
    pub(super) rules: &'static str,
    pub(super) schools: Option<usize>,
    pub(super) indicators: Vec<ApiRow<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) failing_schools: Option<Option<usize>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) composite: Option<ApiComposite<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) meets_all: Option<Option<bool>>,
}

#[derive(serde::Serialize)]
pub(super) struct ApiComposite<'a> {
    pub(super) cv: Option<f64>,
    pub(super) basis: Option<crate::engine::Basis>,
    pub(super) reported_cv: Option<f64>,
    pub(super) computed_cv: Option<f64>,
    pub(super) disagrees: Option<bool>,
    pub(super) reported_mean: Option<f64>,
    pub(super) departs_from_mean: Option<bool>,
    pub(super) threshold: f64,
    pub(super) meets: Option<bool>,
    pub(super) source: Option<&'a str>,
}

/// An indicator row of an API record: the public fields of a [`crate::engine::SheetRow`].
pub(super) struct ApiRow<'a>(pub(super) &'a crate::engine::SheetRow);

impl serde::Serialize for ApiRow<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let r = self.0;
        let mut s = serializer.serialize_struct("ApiRow", 12)?;
        s.serialize_field("indicator", r.indicator)?;
        s.serialize_field("value", &r.value)?;
        s.serialize_field("reported_value", &r.reported_value)?;
        s.serialize_field("computed_value", &r.computed_value)?;
        s.serialize_field("cv", &r.cv)?;
        s.serialize_field("reported_cv", &r.reported_cv)?;
        s.serialize_field("computed_cv", &r.computed_cv)?;
        s.serialize_field("disagrees", &r.disagrees)?;
        s.serialize_field("threshold", &r.threshold)?;
        s.serialize_field("standard", &r.standard)?;
        s.serialize_field("meets", &r.meets)?;
        s.serialize_field("source", &r.source)?;
        s.end()
    }
}

/// The JSON Schema of `api/counties/<code>.json` (version 1; additions only): strict, as a
/// program reading the records may rely on it. No key beyond those listed, the vocabularies
/// (levels, schemes, indicators, events, bases) as enums, codes and dates as patterns, figures
/// and coefficients never negative.
pub fn county_schema() -> Value {
    let rules = crate::model::rules::Rules::default();
    let mut indicators: Vec<&str> =
        Scheme::ALL.iter().flat_map(|&s| rules.of(s).indicators.iter().map(|i| i.id)).collect();
    indicators.sort_unstable();
    indicators.dedup();
    let figure = json!({ "type": ["number", "null"], "minimum": 0 });
    let text_or_null = json!({ "type": ["string", "null"] });
    let bool_or_null = json!({ "type": ["boolean", "null"] });
    let code = json!({ "type": "string", "pattern": "^[0-9]{6}$" });
    let date = json!({ "type": "string", "pattern": "^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$" });
    let events = json!({ "enum": crate::model::Event::IDS });
    // An object of exactly these properties, the `required` ones always present.
    let object = |required: &[&str], properties: Value| json!({ "type": "object", "additionalProperties": false, "required": required, "properties": properties });
    let status = json!({ "oneOf": [{ "type": "null" }, object(&["step", "event", "date"], json!({
        "step": { "type": "integer", "minimum": 1, "maximum": 4 }, "event": events, "date": date,
    }))] });
    let indicator = object(
        &[
            "indicator",
            "value",
            "reported_value",
            "computed_value",
            "cv",
            "reported_cv",
            "computed_cv",
            "disagrees",
            "threshold",
            "standard",
            "meets",
            "source",
        ],
        json!({
            "indicator": { "enum": indicators }, "value": figure, "reported_value": figure,
            "computed_value": figure, "cv": figure, "reported_cv": figure, "computed_cv": figure,
            "disagrees": bool_or_null, "threshold": figure, "standard": figure, "meets": bool_or_null,
            "source": text_or_null,
        }),
    );
    let composite = object(
        &[
            "cv",
            "basis",
            "reported_cv",
            "computed_cv",
            "disagrees",
            "reported_mean",
            "departs_from_mean",
            "threshold",
            "meets",
            "source",
        ],
        json!({
            "cv": figure, "basis": { "enum": ["computed", "reported", "mean_of_reported", null] },
            "reported_cv": figure, "computed_cv": figure, "disagrees": bool_or_null,
            "reported_mean": { "type": ["number", "null"], "minimum": 0, "description": "with a published composite and all its published coefficients: their mean" },
            "departs_from_mean": { "type": ["boolean", "null"], "description": "the published composite departs from reported_mean beyond their rounding" },
            "threshold": { "type": "number", "minimum": 0 }, "meets": bool_or_null, "source": text_or_null,
        }),
    );
    let sheet = object(
        &["school_year", "level", "scheme", "rules", "schools", "indicators"],
        json!({
            "school_year": { "type": "string", "pattern": "^[0-9]{4}-[0-9]{4}$" },
            "level": { "enum": ["primary", "junior"] },
            "scheme": { "enum": ["basic", "quality"] },
            "rules": { "type": "string" },
            "schools": { "type": ["integer", "null"], "minimum": 0, "description": "schools counted by the engine; null without school data" },
            "indicators": { "type": "array", "items": indicator },
            "failing_schools": { "type": ["integer", "null"], "minimum": 0, "description": "quality balance: schools failing the per-school rule" },
            "composite": composite,
            "meets_all": bool_or_null,
        }),
    );
    let milestone = object(
        &["date", "event", "title", "source"],
        json!({
            "date": date, "event": events, "title": { "type": "string", "minLength": 1 }, "source": text_or_null,
        }),
    );
    let metric = object(
        &["period", "metric", "value", "unit", "source"],
        json!({
            "period": { "type": "string", "pattern": "^[0-9]{4}(-[0-9]{4}|/[0-9]{4})?$" },
            "metric": { "type": "string", "minLength": 1 }, "value": { "type": "number" },
            "unit": text_or_null, "source": text_or_null,
        }),
    );
    let source = object(
        &["id", "title", "publisher", "date", "url", "illustrative"],
        json!({
            "id": { "type": "string", "minLength": 1 }, "title": { "type": "string", "minLength": 1 },
            "publisher": text_or_null, "date": { "oneOf": [date, { "type": "null" }] },
            "url": { "type": ["string", "null"], "format": "uri" }, "illustrative": { "type": "boolean" },
        }),
    );
    let mut items: Vec<&str> = indicators.clone();
    items.extend(["composite", crate::model::revisions::ALL_INDICATORS]);
    items.extend(crate::model::Event::IDS);
    let revision = object(
        &["release", "commit", "date", "school_year", "level", "scheme", "indicator", "field", "old", "new"],
        json!({
            "release": { "type": ["string", "null"], "description": "the release (git tag) that made the change; null: not released yet" },
            "commit": { "type": ["string", "null"], "pattern": "^[0-9a-f]{40}$" },
            "date": { "oneOf": [date, { "type": "null" }] },
            "school_year": { "type": ["string", "null"], "pattern": "^[0-9]{4}-[0-9]{4}$" },
            "level": { "enum": ["primary", "junior", null] },
            "scheme": { "enum": ["basic", "quality", null] },
            "indicator": { "enum": items, "description": "indicator id, composite, all (the verdict on every quality indicator) or a milestone's event" },
            "field": { "enum": crate::model::revisions::Field::ALL.iter().map(|f| f.id()).collect::<Vec<_>>() },
            "old": { "type": ["string", "null"], "description": "before; null: added" },
            "new": { "type": ["string", "null"], "description": "after; null: removed" },
        }),
    );
    let school = object(
        &[
            "school_id",
            "school_name",
            "school_year",
            "level",
            "school_type",
            "verdict",
            "standards_met",
            "school_students",
            "size_limit",
            "over_size_limit",
            "standards",
        ],
        json!({
            "school_id": { "type": "string", "pattern": "^\\S+$" }, "school_name": { "type": "string", "minLength": 1 },
            "school_year": { "type": "string", "pattern": "^[0-9]{4}-[0-9]{4}$" },
            "level": { "enum": ["primary", "junior"] },
            "school_type": { "enum": crate::model::SCHOOL_TYPES },
            "verdict": { "enum": ["meets", "falls_short", "merged", "not_assessed", null], "description": "the school's verdict under the quality-balance rule; merged: a teaching point counted with its central school (whose figures it has); not_assessed: a teaching point under the minimum of pupils; null: no pupils at this level" },
            "standards_met": { "type": ["integer", "null"], "minimum": 0, "maximum": 7 },
            "school_students": { "type": "integer", "minimum": 0, "description": "pupils of the whole school (its compulsory levels) that school year" },
            "size_limit": { "type": "integer", "minimum": 0 },
            "over_size_limit": { "type": "boolean" },
            "standards": { "type": "array", "items": object(&["scheme", "indicator", "value", "standard", "state"], json!({
                "scheme": { "enum": ["basic", "quality"] },
                "indicator": { "enum": indicators },
                "value": figure,
                "standard": { "type": "number", "minimum": 0 },
                "state": { "enum": ["meets", "near", "below", "short", "unknown", null], "description": "quality: near is below the standard but at least 85 % of it, below under 85 %; a basic-balance standard the site declares: short is under it; null: not assessed" },
            })) },
        }),
    );
    let county = object(
        &["code", "name", "name_en", "prefecture_code", "prefecture", "province_code", "province"],
        json!({
            "code": code, "name": { "type": "string", "minLength": 1 }, "name_en": text_or_null,
            "prefecture_code": code, "prefecture": { "type": "string" }, "province_code": code, "province": { "type": "string" },
        }),
    );
    let schema = object(
        &[
            "$schema",
            "schema_version",
            "county",
            "status",
            "sheets",
            "milestones",
            "metrics",
            "sources",
            "revisions",
            "schools",
        ],
        json!({
            "$schema": { "type": "string" },
            "schema_version": { "const": 1 },
            "county": county,
            "status": object(&["basic", "quality"], json!({ "basic": status, "quality": status })),
            "sheets": { "type": "array", "items": sheet },
            "milestones": { "type": "array", "items": milestone },
            "metrics": { "type": "array", "items": metric },
            "sources": { "type": "array", "items": source },
            "revisions": { "type": "array", "items": revision, "description": "the county's figures revised in each release of the site's data" },
            "schools": { "type": "array", "items": school, "description": "each school's quality-balance results in the school years published school by school (the table school_results)" },
        }),
    );
    let mut head = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "county.schema.json",
        "title": "junheng county record",
        "description": "Everything known for one county: indicators per school year, level and scheme with verdicts, milestones, metrics and sources.",
    });
    for (k, v) in schema.as_object().expect("an object") {
        head[k] = v.clone();
    }
    head
}
