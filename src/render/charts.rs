//! Charts drawn at build time as inline SVG (no chart JavaScript). Each chart has a `<title>`,
//! a `<desc>` holding a one-sentence summary in the page's language, and sits beside a table of
//! its data. Bars carry their value as text, so colour never carries meaning alone.

use std::fmt::Write;

use serde_json::Value;

use super::templates::{Strings, escape_html, format_number};

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 12.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 22.0;

fn decimals(values: &[f64]) -> usize {
    if values.iter().all(|v| v.fract() == 0.0) { 0 } else { 2 }
}

/// The summary sentence of a series: first and last periods, the highest and the latest value.
pub fn summary(points: &[(String, f64)], unit: &str, lang: &str, strings: &Strings) -> String {
    let t = |k: &str| strings.get(lang).and_then(|m| m.get(k)).cloned().unwrap_or_default();
    let d = decimals(&points.iter().map(|p| p.1).collect::<Vec<_>>());
    let (Some(first), Some(last)) = (points.first(), points.last()) else { return String::new() };
    let max = points.iter().fold(first, |m, p| if p.1 > m.1 { p } else { m });
    let key = if points.len() == 1 { "chart.summary_one" } else { "chart.summary" };
    t(key)
        .replace("{first}", &first.0)
        .replace("{last_period}", &last.0)
        .replace("{last}", &format_number(last.1, d))
        .replace("{max_period}", &max.0)
        .replace("{max}", &format_number(max.1, d))
        .replace("{unit}", unit)
}

/// A bar chart of `points` (label, value), as inline SVG.
pub fn bar_chart(id: &str, title: &str, summary: &str, points: &[(String, f64)]) -> String {
    let values: Vec<f64> = points.iter().map(|p| p.1).collect();
    let d = decimals(&values);
    let max = values.iter().cloned().fold(0.0_f64, f64::max);
    let scale = if max > 0.0 { (HEIGHT - TOP - BOTTOM) / max } else { 0.0 };
    let slot = (WIDTH - 2.0 * LEFT) / points.len().max(1) as f64;
    let bar = (slot * 0.6).min(60.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"chart\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        escape_html(title),
        escape_html(summary)
    );
    let base = HEIGHT - BOTTOM;
    let _ = write!(svg, "<line x1=\"{LEFT}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" class=\"axis\"/>", WIDTH - LEFT);
    for (i, (label, value)) in points.iter().enumerate() {
        let h = (value.max(0.0) * scale * 10.0).round() / 10.0;
        let x = ((LEFT + slot * i as f64 + (slot - bar) / 2.0) * 10.0).round() / 10.0;
        let cx = ((LEFT + slot * (i as f64 + 0.5)) * 10.0).round() / 10.0;
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"{}\" width=\"{:.1}\" height=\"{h}\" class=\"bar\"/><text x=\"{cx}\" y=\"{}\" class=\"val\">{}</text><text x=\"{cx}\" y=\"{}\" class=\"lbl\">{}</text>",
            ((base - h) * 10.0).round() / 10.0,
            bar,
            ((base - h - 5.0) * 10.0).round() / 10.0,
            escape_html(&format_number(*value, d)),
            base + 18.0,
            escape_html(label)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Adds `chart` (SVG) and `summary` to each series of a `views::series` value.
pub fn attach(series: &mut Value, prefix: &str, lang: &str, strings: &Strings) {
    let Some(list) = series.as_array_mut() else { return };
    for s in list {
        let points: Vec<(String, f64)> = s["points"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| Some((p["period"].as_str()?.to_string(), p["value"].as_f64()?)))
            .collect();
        let unit = s["points"][0]["unit"].as_str().unwrap_or("").to_string();
        let title = s["name"].as_str().unwrap_or("").to_string();
        let id = format!("{prefix}-{}", s["id"].as_str().unwrap_or("series"));
        let text = summary(&points, &unit, lang, strings);
        // One point makes no chart: the table says it all.
        s["chart"] =
            if points.len() >= 2 { Value::String(bar_chart(&id, &title, &text, &points)) } else { Value::Null };
        s["summary"] = Value::String(text);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use super::*;

    fn strings() -> Strings {
        let mut zh = BTreeMap::new();
        zh.insert(
            "chart.summary".to_string(),
            "{first}至{last_period}，最高为{max_period}的{max}{unit}，最近为{last_period}的{last}{unit}。".to_string(),
        );
        zh.insert("chart.summary_one".to_string(), "{last_period}为{last}{unit}。".to_string());
        let mut en = BTreeMap::new();
        en.insert("chart.summary".to_string(), "From {first} to {last_period}: highest {max} {unit} in {max_period}; latest {last} {unit} in {last_period}.".to_string());
        en.insert("chart.summary_one".to_string(), "{last} {unit} in {last_period}.".to_string());
        Arc::new(BTreeMap::from([("zh-CN".to_string(), zh), ("en".to_string(), en)]))
    }

    fn big_classes() -> Vec<(String, f64)> {
        vec![("2013".into(), 4575.0), ("2018".into(), 1100.0), ("2021".into(), 190.0)]
    }

    // Guards the summary sentences in both languages.
    #[test]
    fn summaries() {
        let s = strings();
        assert_eq!(summary(&big_classes(), "个", "zh-CN", &s), "2013至2021，最高为2013的4,575个，最近为2021的190个。");
        assert_eq!(
            summary(&big_classes(), "classes", "en", &s),
            "From 2013 to 2021: highest 4,575 classes in 2013; latest 190 classes in 2021."
        );
        assert_eq!(summary(&[("2016/2018".into(), 17.99)], "亿元", "zh-CN", &s), "2016/2018为17.99亿元。");
    }

    // Guards the SVG: accessible name and description, one bar and two labels per point, and
    // exact geometry (a snapshot of the markup).
    #[test]
    fn bar_chart_svg() {
        let svg = bar_chart("c1", "大班额 <55+>", "摘要", &big_classes());
        assert!(svg.starts_with("<svg class=\"chart\" role=\"img\" aria-labelledby=\"c1-t c1-d\""));
        assert!(svg.contains("<title id=\"c1-t\">大班额 &lt;55+&gt;</title><desc id=\"c1-d\">摘要</desc>"));
        assert_eq!(svg.matches("<rect").count(), 3);
        assert_eq!(svg.matches("class=\"val\"").count(), 3);
        // The tallest bar fills the plot height (220 − 22 − 28 = 170).
        assert!(svg.contains("y=\"22\" width=\"60.0\" height=\"170\""), "{svg}");
        assert!(svg.contains(">4,575</text>") && svg.contains(">2021</text>"));
    }
}
