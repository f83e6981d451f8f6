//! A page context handed to templates without converting it: templates read the
//! `serde_json::Value` a view built, in place, and the template values set beside it.
//!
//! Converting a context into template values (serialising it into minijinja's own maps) cost
//! as much as rendering the page at national scale. [`to_template`] instead wraps the context
//! in an [`Object`] whose nodes point into it: a lookup reads the JSON map, a loop walks the
//! JSON array, and only scalars that a template actually reads become template values.
//!
//! The largest tables (a county's audit trail: schools × indicators) are not JSON at all: a
//! view sets them beside the JSON as template values made of [`Record`]s and typed objects,
//! which cost one allocation each to build and a comparison of a few keys to read, where a
//! JSON object costs a hash map, its keys' strings and a hash of every key.

use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectExt, ObjectRepr, Value};
use serde_json::Value as Json;

/// A page's context: the JSON object its view built, and template values beside it, at the
/// top level.
#[derive(Debug, Default, serde::Serialize)]
pub struct Context {
    /// The view's JSON object.
    pub json: Json,
    /// Template values read as if they were keys of `json` (looked up first).
    pub values: Vec<(&'static str, Value)>,
}

impl From<Json> for Context {
    fn from(json: Json) -> Self {
        Context { json, values: Vec::new() }
    }
}

/// The context `ctx` as a template value.
pub(crate) fn to_template(ctx: impl Into<Context>) -> Value {
    let Context { json, values } = ctx.into();
    let root = Arc::new(Root { json, values });
    let node = std::ptr::NonNull::from(&root.json);
    value_of(&Node { root, node }, node)
}

/// What the nodes of one context share.
#[derive(Debug)]
struct Root {
    json: Json,
    values: Vec<(&'static str, Value)>,
}

/// A container (array or object) of a context, shared with the templates reading it.
#[derive(Debug)]
struct Node {
    /// The whole context: never mutated once wrapped, kept alive by every node.
    root: Arc<Root>,
    /// This node, inside `root`.
    node: std::ptr::NonNull<Json>,
}

// SAFETY: `node` points into the tree owned by `root`, which is immutable from the moment it
// is wrapped (only shared references are ever made) and lives as long as any node holds the
// `Arc`; `serde_json::Value` itself is `Send + Sync`.
unsafe impl Send for Node {}
// SAFETY: as above; nodes only read.
unsafe impl Sync for Node {}

impl Node {
    fn json(&self) -> &Json {
        // SAFETY: see the `Send` implementation: the pointee is alive and never mutated.
        unsafe { self.node.as_ref() }
    }

    /// The template values set beside the JSON, when this node is the context's top level.
    fn values(&self) -> &[(&'static str, Value)] {
        if std::ptr::eq(self.node.as_ptr(), &self.root.json) { &self.root.values } else { &[] }
    }

    /// The keys of this node's JSON object that no value beside it shadows.
    fn json_keys(&self) -> impl Iterator<Item = &String> {
        let map = match self.json() {
            Json::Object(map) => Some(map),
            _ => None,
        };
        map.into_iter().flat_map(|m| m.keys()).filter(|k| !self.values().iter().any(|(v, _)| v == k))
    }
}

/// A JSON value inside `owner`'s tree as a template value: scalars by value, containers as
/// nodes sharing the tree.
fn value_of(owner: &Node, at: std::ptr::NonNull<Json>) -> Value {
    // SAFETY: `at` points into `owner.root` (it was derived from it).
    let json = unsafe { at.as_ref() };
    match json {
        Json::Null => Value::from(()),
        Json::Bool(b) => Value::from(*b),
        Json::Number(n) => {
            if let Some(v) = n.as_u64() {
                Value::from(v)
            } else if let Some(v) = n.as_i64() {
                Value::from(v)
            } else {
                Value::from(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(_) | Json::Object(_) => Value::from_object(Node { root: owner.root.clone(), node: at }),
    }
}

/// The value of `key` in `map`. Page objects are small, and templates look keys up one
/// attribute access at a time: comparing a few keys costs less than hashing the key with the
/// map's (SipHash) hasher, so small objects are scanned.
fn find<'m>(map: &'m serde_json::Map<String, Json>, key: &str) -> Option<&'m Json> {
    if map.len() <= 16 { map.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v) } else { map.get(key) }
}

impl Object for Node {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        match self.json() {
            Json::Array(_) => ObjectRepr::Seq,
            _ => ObjectRepr::Map,
        }
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match self.json() {
            Json::Array(items) => items.get(key.as_usize()?).map(|v| value_of(self, v.into())),
            Json::Object(_) => self.get_value_by_str(key.as_str()?),
            _ => None,
        }
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        if let Some((_, v)) = self.values().iter().find(|(k, _)| *k == key) {
            return Some(v.clone());
        }
        match self.json() {
            Json::Object(map) => find(map, key).map(|v| value_of(self, v.into())),
            _ => self.get_value(&Value::from(key)),
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        match self.json() {
            Json::Array(items) => Enumerator::Seq(items.len()),
            Json::Object(_) => self.mapped_enumerator(|this| {
                Box::new(
                    this.values()
                        .iter()
                        .map(|(k, _)| Value::from(*k))
                        .chain(this.json_keys().map(|k| Value::from(k.as_str()))),
                )
            }),
            _ => Enumerator::Empty,
        }
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        match self.json() {
            Json::Array(items) => Some(items.len()),
            // Without values beside it (every node but the top), a map's length (truthiness
            // tests ask for it) is read, not counted.
            Json::Object(map) if self.values().is_empty() => Some(map.len()),
            Json::Object(_) => Some(self.values().len() + self.json_keys().count()),
            _ => Some(0),
        }
    }
}

/// A map made for templates: fixed keys and template values, read by comparing keys (a
/// record has a few), enumerated in the order given.
#[derive(Debug)]
pub(crate) struct Record(Box<[(&'static str, Value)]>);

/// A [`Record`] of `fields` as a template value.
pub(crate) fn record<const N: usize>(fields: [(&'static str, Value); N]) -> Value {
    Value::from_object(Record(Box::new(fields)))
}

impl Object for Record {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        self.mapped_enumerator(|this| Box::new(this.0.iter().map(|(k, _)| Value::from(*k))))
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.0.len())
    }
}

/// A JSON object from key–value pairs, moving the values in. (`json!` serialises a copy of
/// every value it is given, which for nested arrays of objects doubles the work per level.)
pub(crate) fn object<const N: usize>(pairs: [(&str, Json); N]) -> Json {
    Json::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

#[cfg(test)]
mod tests {
    use minijinja::Environment;
    use serde_json::json;

    use super::*;

    // Guards the in-place context: a template reads it exactly as it reads the same context
    // converted to template values (lookups, loops, lengths, truthiness, filters, none).
    #[test]
    fn templates_read_the_context_as_if_converted() {
        let context = json!({
            "name": "港北区", "n": 3, "x": 0.25, "neg": -2, "none": null, "yes": true,
            "empty": [], "rows": [{ "id": "a", "v": 1.5, "full": true }, { "id": "b", "v": null, "full": false }],
            "map": { "z": 1, "a": 2 }, "html": "<b>",
        });
        let source = "{{ name }} {{ n + 1 }} {{ x }} {{ neg }} {{ none is none }} {{ yes }} \
            {{ empty | length }}{% if empty %}!{% endif %}{% if rows %}+{% endif %} \
            {% for r in rows %}{{ loop.index }}{{ r.id }}={{ r.v }};{% endfor %} \
            {{ rows | selectattr('full') | map(attribute='id') | join(',') }} \
            {{ rows | rejectattr('full') | list | length }} {{ rows[1].id }} {{ rows | last | attr('id') }} \
            {% for k in map %}{{ k }}{% endfor %} {% for k, v in map | items %}{{ k }}{{ v }}{% endfor %} \
            {{ map.a }} {{ map['z'] }} {{ map.missing is undefined }} {{ html }} {{ 'a' in map }}";
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        env.add_template("t.html", source).unwrap();
        let t = env.get_template("t.html").unwrap();
        let converted = t.render(Value::from(minijinja::value::Serde(&context))).unwrap();
        let in_place = t.render(to_template(context)).unwrap();
        assert_eq!(in_place, converted);
        assert_eq!(in_place, "港北区 4 0.25 -2 True True 0+ 1a=1.5;2b=None; a 1 b b za z1a2 2 1 True &lt;b&gt; True");
    }

    // Guards the typed values beside the JSON: a template reads records and values set at the
    // top level exactly as it reads the same context written as JSON (lookups, loops, lengths,
    // items, none, a key of the JSON shadowed by a value).
    #[test]
    fn typed_values_read_as_json_does() {
        let as_json = json!({
            "title": "审核", "shadowed": "typed",
            "sheets": [{ "level": "primary", "schools": [{ "name": "甲", "v": 1.5 }, { "name": "乙", "v": null }], "none": null }],
        });
        let typed = Context {
            json: json!({ "title": "审核", "shadowed": "json" }),
            values: vec![
                ("shadowed", Value::from("typed")),
                (
                    "sheets",
                    Value::from(vec![record([
                        ("level", Value::from("primary")),
                        (
                            "schools",
                            Value::from(vec![
                                record([("name", Value::from("甲")), ("v", Value::from(1.5))]),
                                record([("name", Value::from("乙")), ("v", Value::from(None::<f64>))]),
                            ]),
                        ),
                        ("none", Value::from(())),
                    ])]),
                ),
            ],
        };
        let source = "{{ title }} {{ shadowed }} {% for s in sheets %}{{ s.level }} {{ s.schools | length }} \
            {% for u in s.schools %}{{ loop.index }}{{ u.name }}={{ u.v }}{% if u.v is none %}!{% endif %};{% endfor %} \
            {{ s.none is none }} {{ s.missing is undefined }} {{ s['level'] }} \
            {% for k, v in s.schools[0] | items %}{{ k }}:{{ v }},{% endfor %}{% endfor %}";
        let mut env = Environment::new();
        env.add_template("t.html", source).unwrap();
        let t = env.get_template("t.html").unwrap();
        let expected = t.render(Value::from(minijinja::value::Serde(&as_json))).unwrap();
        assert_eq!(t.render(to_template(typed)).unwrap(), expected);
        assert_eq!(expected, "审核 typed primary 2 1甲=1.5;2乙=None!; True True primary name:甲,v:1.5,");
    }
}
