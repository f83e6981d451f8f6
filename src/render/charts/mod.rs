//! Charts drawn at build time as inline SVG (no chart JavaScript). Each chart has a `<title>`,
//! a `<desc>` holding a one-sentence summary in the page's language, and sits beside a table of
//! its data. Every mark carries its value as text and reference lines are labelled and dashed,
//! so colour never carries meaning alone.
//!
//! Kinds: bars of a series ([`bar_chart`]: metrics, counties recognised per year), a trend of
//! a coefficient against its threshold ([`trend_chart`]), every school of a sheet as a dot
//! against the county mean and the standard ([`school_strips`]) and milestones on a time axis ([`milestone_chart`]).
//! The functions named after a page (`county_trends`, `milestones`, `recognitions`,
//! `computation`) turn that page's view into charts, summaries and data tables.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{Value, json};

use super::context::object;
use super::context::record;
use super::templates::{Strings, escape_html, format_cv, format_number, format_partial_date, write_escaped};
use crate::engine::Sheet;
use crate::model::rules::Rules;
use crate::model::{Level, PartialDate, Scheme};

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 12.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 22.0;

/// UI strings the chart summaries use; the theme must define them (checked before rendering).
pub const KEYS: &[&str] = &[
    "chart.summary",
    "chart.summary_one",
    "chart.composite_summary",
    "chart.cv_summary",
    "chart.cmp_below",
    "chart.cmp_above",
    "chart.cmp_equal",
    "chart.change_down",
    "chart.change_up",
    "chart.change_same",
    "chart.previous_year",
    "chart.level.primary",
    "chart.level.junior",
    "chart.composite",
    "chart.cv_title",
    "chart.threshold_label",
    "chart.trend_caption",
    "chart.strips_title",
    "chart.strips_summary",
    "chart.strips_standard_part",
    "chart.strips_mean",
    "chart.milestones_title",
    "chart.milestones_summary",
    "chart.recognised_title",
    "chart.recognised_summary",
    "chart.recognised_caption",
];

/// UI strings of one language, for text built outside templates.
#[derive(Clone, Copy)]
pub struct Tr<'a> {
    strings: &'a Strings,
    lang: &'a str,
}

impl<'a> Tr<'a> {
    /// The strings of `lang`.
    pub fn new(strings: &'a Strings, lang: &'a str) -> Tr<'a> {
        Tr { strings, lang }
    }

    /// The string `key`; the theme check guarantees the keys of [`KEYS`] exist.
    pub fn t(&self, key: &str) -> String {
        self.strings.get(self.lang).and_then(|m| m.get(key)).cloned().unwrap_or_default()
    }

    /// A partial date (`2016`, `2016-01`, `2016-01-05`) in this language.
    pub fn date(&self, text: &str) -> String {
        format_partial_date(text, |k| Ok::<_, ()>(self.t(k))).unwrap_or_default()
    }
}

/// Rounds a coordinate to one decimal, without a `-0`.
fn r1(v: f64) -> f64 {
    let r = (v * 10.0).round() / 10.0;
    if r == 0.0 { 0.0 } else { r }
}

/// A coordinate rounded by [`r1`], displayed as `{}` displays it (`104`, `96.5`, `-3.5`) from
/// its whole number of tenths, without the general float formatter: charts print thousands.
struct Tenths(f64);

impl std::fmt::Display for Tenths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match tenths_of(self.0) {
            Some((sign, whole, 0)) => write!(f, "{sign}{whole}"),
            Some((sign, whole, tenth)) => write!(f, "{sign}{whole}.{tenth}"),
            None => write!(f, "{}", self.0),
        }
    }
}

/// r1's values are k / 10 for a whole k, whose shortest text is k's digits with a point before
/// the last: the sign, the whole part and the tenth of `v`, or `None` for any other value (or
/// one far larger), which goes to the general formatter.
fn tenths_of(v: f64) -> Option<(&'static str, u64, u64)> {
    let tenths = (v * 10.0).round();
    if !tenths.is_finite() || tenths.abs() >= 1e15 || tenths / 10.0 != v {
        return None;
    }
    let n = tenths as i64;
    Some((if n < 0 { "-" } else { "" }, n.unsigned_abs() / 10, n.unsigned_abs() % 10))
}

/// Appends `v` as [`Tenths`] displays it, without the formatting machinery: a strip chart
/// writes two coordinates for each of hundreds of schools per chart.
fn push_tenths(out: &mut String, v: f64) {
    let Some((sign, whole, tenth)) = tenths_of(v) else {
        let _ = write!(out, "{v}");
        return;
    };
    out.push_str(sign);
    out.push_str(itoa::Buffer::new().format(whole));
    if tenth != 0 {
        out.push('.');
        out.push(char::from(b'0' + tenth as u8));
    }
}

/// A chart's opening tag. Its text (title and summary) is the element `id`: the figure's
/// caption, which shows it to everyone (the template's `chart` macro), so the chart does not
/// carry a second copy.
fn svg_open(svg: &mut String, id: &str, width: f64, height: f64) {
    let _ = write!(svg, "<svg class=\"chart\" role=\"img\" aria-labelledby=\"{id}\" viewBox=\"0 0 {width} {height}\">");
}

/// Approximate width of `text` at 12 px: CJK characters are square, others about half.
fn text_width(text: &str) -> f64 {
    text.chars().map(|c| if (c as u32) >= 0x2E80 { 12.0 } else { 6.8 }).sum()
}

/// `text` cut to fit `width` (with an ellipsis); the data table beside the chart has it whole.
fn fit(text: &str, width: f64) -> String {
    if text_width(text) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut w = 12.0;
    for c in text.chars() {
        w += text_width(c.encode_utf8(&mut [0; 4]));
        if w > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

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
pub fn bar_chart(id: &str, points: &[(String, f64)]) -> String {
    let values: Vec<f64> = points.iter().map(|p| p.1).collect();
    let d = decimals(&values);
    let max = values.iter().cloned().fold(0.0_f64, f64::max);
    let scale = if max > 0.0 { (HEIGHT - TOP - BOTTOM) / max } else { 0.0 };
    let slot = (WIDTH - 2.0 * LEFT) / points.len().max(1) as f64;
    let bar = (slot * 0.6).min(60.0);
    let mut svg = String::new();
    svg_open(&mut svg, id, WIDTH, HEIGHT);
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

/// Adds `chart` (SVG), its `chart_id` (its caption's) and `summary` to each series of a
/// `views::series` value.
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
        let id = format!("{prefix}-{}", s["id"].as_str().unwrap_or("series"));
        let text = summary(&points, &unit, lang, strings);
        // One point makes no chart: the table says it all.
        s["chart"] = if points.len() >= 2 { Value::String(bar_chart(&id, &points)) } else { Value::Null };
        s["chart_id"] = Value::String(id);
        s["summary"] = Value::String(text);
    }
}

/// A labelled reference line (threshold, mean, standard), drawn dashed or solid.
pub struct RefLine {
    /// Text beside the line (what it is and its value).
    pub label: String,
    /// Where it is drawn.
    pub value: f64,
    /// Dashed (thresholds and standards) or solid (means).
    pub dashed: bool,
}

/// One point of a trend: its slot on the time axis, its label and value.
pub struct TrendPoint {
    /// Position on the time axis (0 = the first period).
    pub slot: usize,
    /// The period (`2020-2021`).
    pub label: String,
    /// The coefficient.
    pub value: f64,
    /// The decimals it was published with (a published figure is shown as published).
    pub decimals: Option<u8>,
}

const TREND_W: f64 = 560.0;
const TREND_H: f64 = 170.0;

/// A coefficient per period against its threshold: a line through labelled points (squares
/// where the value is above the threshold, circles otherwise) and a dashed, labelled threshold
/// line. `slots` is the number of periods on the axis, so missing years stay visible as gaps.
pub fn trend_chart(id: &str, points: &[TrendPoint], slots: usize, threshold: &RefLine) -> String {
    let (left, right, top, bottom) = (16.0, 16.0, 28.0, 30.0);
    let max = points.iter().map(|p| p.value).fold(threshold.value, f64::max);
    let ymax = if max > 0.0 { max * 1.15 } else { 1.0 };
    let plot_h = TREND_H - top - bottom;
    let y = |v: f64| r1(top + plot_h * (1.0 - v.max(0.0) / ymax));
    let slot_w = (TREND_W - left - right) / slots.max(1) as f64;
    let x = |slot: usize| r1(left + slot_w * (slot as f64 + 0.5));
    // Label every k-th period when the axis is crowded (the table lists them all).
    let every = (62.0 / slot_w).ceil().max(1.0) as usize;
    let mut svg = String::with_capacity(2048);
    svg_open(&mut svg, id, TREND_W, TREND_H);
    let base = TREND_H - bottom;
    let _ = write!(svg, "<line x1=\"{left}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" class=\"axis\"/>", TREND_W - right);
    let ty = y(threshold.value);
    let _ = write!(
        svg,
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"ref\" stroke-dasharray=\"6 4\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"ref-label\">",
        Tenths(ty),
        TREND_W - right,
        Tenths(ty),
        TREND_W - right,
        Tenths(r1(ty - 6.0)),
    );
    let _ = write_escaped(&mut svg, &threshold.label);
    svg.push_str("</text>");
    if points.len() > 1 {
        svg.push_str("<polyline points=\"");
        for (i, p) in points.iter().enumerate() {
            let _ = write!(svg, "{}{},{}", if i == 0 { "" } else { " " }, Tenths(x(p.slot)), Tenths(y(p.value)));
        }
        svg.push_str("\" class=\"line\" fill=\"none\"/>");
    }
    // The points as one path of each kind: zero-length strokes, round-capped (circles), or
    // square-capped above the threshold (another shape, not only another colour).
    for (over, class) in [(false, "pt"), (true, "pt over")] {
        let mut marks = points.iter().filter(|p| (p.value > threshold.value) == over).peekable();
        if marks.peek().is_none() {
            continue;
        }
        let _ = write!(svg, "<path class=\"{class}\" d=\"");
        for p in marks {
            let _ = write!(svg, "M{} {}h0", Tenths(x(p.slot)), Tenths(y(p.value)));
        }
        svg.push_str("\"/>");
    }
    // The value above each point, or below it when the threshold label is in the way.
    svg.push_str("<g class=\"val\">");
    for p in points {
        let (px, py) = (x(p.slot), y(p.value));
        let vy = if (py - 10.0 - ty).abs() < 12.0 && py > ty { r1(py + 18.0) } else { r1(py - 10.0) };
        let _ = write!(svg, "<text x=\"{}\" y=\"{}\">", Tenths(px), Tenths(vy));
        let shown = crate::render::templates::format_cv_as(p.value, p.decimals);
        let _ = write_escaped(&mut svg, &shown);
        svg.push_str("</text>");
    }
    svg.push_str("</g><g class=\"lbl\">");
    for (i, p) in points.iter().enumerate() {
        if i % every == 0 || i + 1 == points.len() {
            let _ = write!(svg, "<text x=\"{}\" y=\"{}\">", Tenths(x(p.slot)), base + 19.0);
            let _ = write_escaped(&mut svg, &p.label);
            svg.push_str("</text>");
        }
    }
    svg.push_str("</g></svg>");
    svg
}

const STRIP_W: f64 = 560.0;
const STRIP_ROW: f64 = 22.0;

/// One row of a strip chart: an indicator and where its schools stand.
pub struct Strip {
    /// The indicator's name.
    pub label: String,
    /// Each school's value as a share of the county mean (1 = the mean).
    pub ratios: Vec<f64>,
    /// The per-school standard as a share of the county mean (quality balance).
    pub standard: Option<f64>,
}

/// Where a strip chart puts its rows and values.
pub struct StripScale {
    x0: f64,
    x1: f64,
    end: f64,
    top: f64,
    height: f64,
}

impl StripScale {
    fn of(rows: &[Strip]) -> StripScale {
        let (names_w, top, bottom) = (150.0, 26.0, 24.0);
        let widest = rows.iter().flat_map(|r| r.ratios.iter().copied().chain(r.standard)).fold(2.0_f64, f64::max);
        // Up to four times the mean, in half steps; farther values sit at the edge.
        let end = ((widest * 2.0).ceil() / 2.0).min(4.0);
        StripScale {
            x0: names_w + 10.0,
            x1: STRIP_W - 12.0,
            end,
            top,
            height: top + STRIP_ROW * rows.len() as f64 + bottom,
        }
    }

    fn x(&self, ratio: f64) -> f64 {
        r1(self.x0 + (self.x1 - self.x0) * ratio.clamp(0.0, self.end) / self.end)
    }

    fn row_y(&self, i: usize) -> f64 {
        r1(self.top + STRIP_ROW * i as f64 + STRIP_ROW / 2.0)
    }
}

/// One row per indicator, one dot per school placed at its value as a share of the county
/// mean, so the spread each coefficient measures is seen at a glance for the whole sheet. The
/// mean is a solid line; a standard is a dashed mark on its row and the schools below it are
/// hollow dots. The dots of a row are one path, so a sheet of hundreds of schools stays small;
/// every value is in the table beside the chart.
pub fn school_strips(id: &str, rows: &[Strip], mean_label: &str) -> String {
    let scale = StripScale::of(rows);
    let mut svg = String::with_capacity(4096);
    svg_open(&mut svg, id, STRIP_W, scale.height);
    strips_body(&mut svg, rows, &scale, mean_label);
    svg.push_str("</svg>");
    svg
}

/// The strips of [`school_strips`] drawn once as a group `id` that charts of single schools
/// use ([`marked_strips`]), so a page of many schools of one county draws its dots once, and
/// where they are.
pub fn strips_group(id: &str, rows: &[Strip], mean_label: &str) -> (String, StripScale) {
    let scale = StripScale::of(rows);
    let mut svg = format!("<g id=\"{id}\" class=\"strips\">");
    strips_body(&mut svg, rows, &scale, mean_label);
    svg.push_str("</g>");
    (svg, scale)
}

/// A chart of group `group` ([`strips_group`]) with one school marked: on each row its value
/// (as a share of the county mean), a bar; `None` where it has none. Its text is the element
/// `label` (a figure's caption).
pub fn marked_strips(label: &str, group: &str, scale: &StripScale, marks: &[Option<f64>]) -> String {
    let mut svg = String::with_capacity(256);
    let _ = write!(
        svg,
        "<svg class=\"chart\" role=\"img\" aria-labelledby=\"{label}\" viewBox=\"0 0 {STRIP_W} {}\"><use href=\"#{group}\"/><path class=\"me\" d=\"",
        scale.height
    );
    for (i, r) in marks.iter().enumerate() {
        if let Some(r) = r {
            // Whole pixels: a mark 3.5 units wide needs no tenths.
            svg.push('M');
            push_tenths(&mut svg, scale.x(*r).round());
            svg.push(' ');
            push_tenths(&mut svg, (scale.row_y(i) - 10.0).round());
            svg.push_str("v20");
        }
    }
    svg.push_str("\"/></svg>");
    svg
}

fn strips_body(svg: &mut String, rows: &[Strip], scale: &StripScale, mean_label: &str) {
    let (top, names_w) = (scale.top, scale.x0 - 10.0);
    let base = scale.height - 24.0;
    let x = |ratio: f64| scale.x(ratio);
    let mut tick = 0.0;
    while tick <= scale.end {
        let tx = x(tick);
        let _ = write!(
            svg,
            "<line x1=\"{tx}\" y1=\"{top}\" x2=\"{tx}\" y2=\"{base}\" class=\"grid\"/><text x=\"{tx}\" y=\"{}\" class=\"lbl\">{}%</text>",
            base + 16.0,
            format_number(tick * 100.0, 0)
        );
        tick += 0.5;
    }
    let mx = x(1.0);
    let _ = write!(
        svg,
        "<line x1=\"{mx}\" y1=\"{}\" x2=\"{mx}\" y2=\"{base}\" class=\"ref\"/><text x=\"{mx}\" y=\"{}\" text-anchor=\"start\" class=\"ref-label\">{}</text>",
        top - 4.0,
        top - 8.0,
        escape_html(mean_label)
    );
    for (i, row) in rows.iter().enumerate() {
        let cy = scale.row_y(i);
        let _ = write!(
            svg,
            "<text x=\"{names_w}\" y=\"{}\" text-anchor=\"end\" class=\"name\">{}</text>",
            r1(cy + 4.0),
            escape_html(&fit(&row.label, names_w - 4.0))
        );
        if let Some(s) = row.standard {
            let sx = x(s);
            let _ = write!(
                svg,
                "<line x1=\"{sx}\" y1=\"{}\" x2=\"{sx}\" y2=\"{}\" class=\"ref\" stroke-dasharray=\"3 2\"/>",
                cy - 9.0,
                cy + 9.0
            );
        }
        // Dots as one path per kind: zero-length strokes, each a move relative to the last (in
        // tenths, left to right), round-capped; below the standard square-capped (another
        // shape, not only another colour).
        let tenths = |r: f64| (x(r) * 10.0).round() as i64;
        let (mut met, mut low): (Vec<i64>, Vec<i64>) = (Vec::new(), Vec::new());
        for &r in &row.ratios {
            if row.standard.is_some_and(|s| r < s) { low.push(tenths(r)) } else { met.push(tenths(r)) }
        }
        for (mut xs, class) in [(met, "dots"), (low, "dots low")] {
            if xs.is_empty() {
                continue;
            }
            xs.sort_unstable();
            // Dots at the same place are drawn once.
            xs.dedup();
            let _ = write!(svg, "<path class=\"{class}\" d=\"M");
            push_tenths(svg, xs[0] as f64 / 10.0);
            svg.push(' ');
            push_tenths(svg, cy);
            svg.push_str("h0");
            for w in xs.windows(2) {
                svg.push('m');
                push_tenths(svg, (w[1] - w[0]) as f64 / 10.0);
                svg.push_str(" 0h0");
            }
            svg.push_str("\"/>");
        }
    }
}

/// A milestone on the time axis.
pub struct Mark {
    /// Fractional year (2016.0 = the start of 2016).
    pub when: f64,
    /// The text beside the mark (its date and what happened).
    pub label: String,
}

/// Milestones on a proportional time axis, one row each, so the gaps between plan,
/// assessment, inspection and recognition are seen as well as read.
pub fn milestone_chart(id: &str, marks: &[Mark]) -> String {
    let (left, right, top, row) = (20.0, 20.0, 40.0, 26.0);
    let first = marks.iter().map(|m| m.when).fold(f64::INFINITY, f64::min).floor();
    let last = marks.iter().map(|m| m.when).fold(f64::NEG_INFINITY, f64::max).floor() + 1.0;
    let span = (last - first).max(1.0);
    let x = |when: f64| r1(left + (TREND_W - left - right) * (when - first) / span);
    let height = top + row * marks.len() as f64;
    let mut svg = String::new();
    svg_open(&mut svg, id, TREND_W, height);
    let _ = write!(svg, "<line x1=\"{left}\" y1=\"22\" x2=\"{}\" y2=\"22\" class=\"axis\"/>", TREND_W - right);
    let step = [1, 2, 5, 10].into_iter().find(|s| span / *s as f64 <= 10.0).unwrap_or(20) as f64;
    let mut year = first;
    while year <= last {
        let tx = x(year);
        let _ = write!(
            svg,
            "<line x1=\"{tx}\" y1=\"18\" x2=\"{tx}\" y2=\"{}\" class=\"grid\"/><text x=\"{tx}\" y=\"13\" class=\"lbl\">{year}</text>",
            r1(height - 4.0)
        );
        year += step;
    }
    for (i, m) in marks.iter().enumerate() {
        let mx = x(m.when);
        let my = r1(top + row * i as f64 + 8.0);
        let (tx, anchor) = if mx > TREND_W / 2.0 { (r1(mx - 9.0), "end") } else { (r1(mx + 9.0), "start") };
        let _ = write!(
            svg,
            "<circle cx=\"{mx}\" cy=\"{my}\" r=\"5\" class=\"pt\"/><text x=\"{tx}\" y=\"{}\" text-anchor=\"{anchor}\" class=\"ev\">{}</text>",
            r1(my + 4.5),
            escape_html(&fit(&m.label, TREND_W / 2.0 - 12.0))
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The sentence comparing a coefficient with its threshold and the previous school year, e.g.
/// "2020-2021学年小学综合差异系数为0.21，低于0.65的标准，比上一学年下降0.03。"
fn cv_sentence(
    tr: Tr,
    template: &str,
    level: &str,
    name: &str,
    pts: &[(u16, String, f64, bool, Option<u8>)],
    threshold: f64,
) -> String {
    let Some((year, label, cv, _, decimals)) = pts.last() else { return String::new() };
    let shown = |v: f64| (v * 1000.0).round() as i64;
    let cmp = match shown(*cv).cmp(&shown(threshold)) {
        std::cmp::Ordering::Less => "chart.cmp_below",
        std::cmp::Ordering::Greater => "chart.cmp_above",
        std::cmp::Ordering::Equal => "chart.cmp_equal",
    };
    let change = match pts.len().checked_sub(2).map(|i| &pts[i]) {
        None => String::new(),
        Some((prev_year, prev_label, prev, _, _)) => {
            let prev_text = if prev_year + 1 == *year { tr.t("chart.previous_year") } else { prev_label.clone() };
            let d = shown(*cv) - shown(*prev);
            let key = match d.cmp(&0) {
                std::cmp::Ordering::Less => "chart.change_down",
                std::cmp::Ordering::Greater => "chart.change_up",
                std::cmp::Ordering::Equal => "chart.change_same",
            };
            tr.t(key).replace("{prev}", &prev_text).replace("{d}", &format_cv(d.abs() as f64 / 1000.0))
        }
    };
    tr.t(template)
        .replace("{year}", label)
        .replace("{level}", level)
        .replace("{name}", name)
        .replace("{cv}", &crate::render::templates::format_cv_as(*cv, *decimals))
        .replace("{cmp}", &tr.t(cmp))
        .replace("{threshold}", &format_number(threshold, 2))
        .replace("{change}", &change)
}

/// Trend charts of a county page from its sheets (`Analysed::sheets_of`): per level and regime
/// with two school years or more, the composite (basic balance) or each indicator (quality
/// balance) per school year against its threshold, with one data table per group.
pub fn county_trends(sheets: &[Sheet], rules: &Rules, tr: Tr) -> minijinja::Value {
    use minijinja::Value as T;
    // (level, scheme) → row (the composite first for basic balance) → (indicator id ("composite"
    // for the basic composite), points oldest first). A point: start year, school year, CV,
    // whether a published CV disagrees with it, and the decimals it was published with (a
    // published CV shown as published).
    type Points = Vec<(u16, String, f64, bool, Option<u8>)>;
    // Per group: level, regime, threshold and the series by row.
    type Group = (Level, Scheme, f64, BTreeMap<usize, (&'static str, Points)>);
    let mut groups: BTreeMap<(u8, u8), Group> = BTreeMap::new();
    let mut oldest_first: Vec<&Sheet> = sheets.iter().collect();
    oldest_first.sort_by_key(|s| s.school_year);
    for s in oldest_first {
        let (start, label) = (s.school_year.0, s.school_year.to_string());
        let threshold = rules.of(s.scheme).threshold(s.level);
        let entry = groups
            .entry((s.level as u8, s.scheme as u8))
            .or_insert_with(|| (s.level, s.scheme, threshold, BTreeMap::new()));
        let mut push = |i: usize, id: &'static str, cv: Option<f64>, disagrees: Option<bool>, decimals: Option<u8>| {
            if let Some(cv) = cv {
                let point = (start, label.clone(), cv, disagrees == Some(true), decimals);
                entry.3.entry(i).or_insert_with(|| (id, Vec::new())).1.push(point);
            }
        };
        // Basic balance: the composite first (judged and charted), then each indicator.
        let first = usize::from(s.scheme == Scheme::Basic);
        if s.scheme == Scheme::Basic {
            let c = s.composite.as_ref();
            push(0, "composite", c.map(|c| c.cv), c.and_then(|c| c.disagrees), c.and_then(|c| c.cv_decimals()));
        }
        for (i, r) in s.rows.iter().enumerate() {
            push(first + i, r.indicator, r.cv, r.disagrees, r.cv_decimals());
        }
    }
    let mut out = Vec::new();
    for (level, scheme, threshold, series) in groups.into_values() {
        let (level_id, scheme_id) = (level.id(), scheme.id());
        let level_text = tr.t(&format!("chart.level.{level_id}"));
        let mut all_years: Vec<(u16, String)> =
            series.values().flat_map(|(_, pts)| pts.iter().map(|p| (p.0, p.1.clone()))).collect();
        all_years.sort();
        all_years.dedup();
        if all_years.len() < 2 {
            continue;
        }
        let first = all_years[0].0;
        let slots = (all_years[all_years.len() - 1].0 - first + 1) as usize;
        let threshold_label = tr.t("chart.threshold_label").replace("{t}", &format_number(threshold, 2));
        let mut charts = Vec::new();
        let mut rows = Vec::new();
        for &(id, ref pts) in series.values() {
            // Basic balance judges (and charts) the composite only; quality each indicator.
            let judged = scheme_id == "quality" || id == "composite";
            let name =
                if id == "composite" { tr.t("chart.composite") } else { tr.t(&format!("ind.{scheme_id}.{id}.name")) };
            if judged {
                let template = if id == "composite" { "chart.composite_summary" } else { "chart.cv_summary" };
                let summary = cv_sentence(tr, template, &level_text, &name, pts, threshold);
                let title = tr.t("chart.cv_title").replace("{level}", &level_text).replace("{name}", &name);
                let chart_id = format!("trend-{level_id}-{scheme_id}-{id}");
                let chart = (pts.len() >= 2).then(|| {
                    let points: Vec<TrendPoint> = pts
                        .iter()
                        .map(|p| TrendPoint {
                            slot: (p.0 - first) as usize,
                            label: p.1.clone(),
                            value: p.2,
                            decimals: p.4,
                        })
                        .collect();
                    let line = RefLine { label: threshold_label.clone(), value: threshold, dashed: true };
                    trend_chart(&chart_id, &points, slots, &line)
                });
                charts.push(record([
                    ("indicator", T::from(id)),
                    ("id", T::from(chart_id)),
                    ("svg", chart.map_or(T::from(()), T::from)),
                    ("title", T::from(title)),
                    ("summary", T::from(summary)),
                ]));
            }
            let cells: Vec<T> = all_years
                .iter()
                .map(|(y, _)| {
                    pts.iter().find(|p| p.0 == *y).map_or(T::from(()), |p| {
                        T::from_object(TrendCell {
                            cv: p.2,
                            decimals: p.4,
                            fails: judged && p.2 > threshold,
                            differs: p.3,
                        })
                    })
                })
                .collect();
            rows.push(record([
                ("indicator", T::from(id)),
                ("name", T::from(name)),
                ("values", T::from(cells)),
                ("judged", T::from(judged)),
            ]));
        }
        let caption = tr.t("chart.trend_caption").replace("{level}", &level_text);
        out.push(record([
            ("level", T::from(level_id)),
            ("scheme", T::from(scheme_id)),
            ("threshold", T::from(threshold)),
            ("charts", T::from(charts)),
            ("caption", T::from(caption)),
            ("years", all_years.into_iter().map(|y| T::from(y.1)).collect()),
            ("rows", T::from(rows)),
        ]));
    }
    T::from(out)
}

/// One school year's cell of a trend table: the CV, whether it fails the threshold (judged
/// rows only), whether a published CV disagrees with it.
#[derive(Debug)]
struct TrendCell {
    cv: f64,
    /// The decimals a published CV was given with.
    decimals: Option<u8>,
    fails: bool,
    differs: bool,
}

impl minijinja::value::Object for TrendCell {
    fn repr(self: &std::sync::Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Map
    }

    fn get_value(self: &std::sync::Arc<Self>, key: &minijinja::Value) -> Option<minijinja::Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &std::sync::Arc<Self>, key: &str) -> Option<minijinja::Value> {
        match key {
            "cv" => Some(self.cv.into()),
            "decimals" => Some(self.decimals.into()),
            "fails" => Some(self.fails.into()),
            "differs" => Some(self.differs.into()),
            _ => None,
        }
    }

    fn enumerate(self: &std::sync::Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Str(&["cv", "decimals", "fails", "differs"])
    }
}

/// Fractional year of a partial date (`2016-07` → 2016.5).
fn fractional_year(date: &str) -> Option<f64> {
    let d = PartialDate::parse(date)?;
    let month = d.month.map_or(0.0, |m| f64::from(m - 1));
    let day = d.day.map_or(0.0, |d| f64::from(d - 1));
    Some(f64::from(d.year) + (month + day / 31.0) / 12.0)
}

/// The milestone chart of a `views::timeline` value with two dated events or more.
pub fn milestones(timeline: &Value, id: &str, tr: Tr) -> Value {
    let items: Vec<(&Value, f64)> = timeline
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| Some((m, fractional_year(m["date"].as_str()?)?)))
        .collect();
    if items.len() < 2 {
        return Value::Null;
    }
    let what = |m: &Value| {
        if m["is_other"].as_bool() == Some(true) {
            m["title"].as_str().unwrap_or_default().to_string()
        } else {
            tr.t(&format!("event.{}", m["event"].as_str().unwrap_or_default()))
        }
    };
    let marks: Vec<Mark> = items
        .iter()
        .map(|(m, when)| Mark {
            when: *when,
            label: format!("{} {}", tr.date(m["date"].as_str().unwrap_or_default()), what(m)),
        })
        .collect();
    let (first, last) = (items[0], items[items.len() - 1]);
    let months = ((last.1 - first.1) * 12.0).round() as i64;
    let summary = tr
        .t("chart.milestones_summary")
        .replace("{n}", &items.len().to_string())
        .replace("{months}", &months.to_string())
        .replace("{first_date}", &tr.date(first.0["date"].as_str().unwrap_or_default()))
        .replace("{first_event}", &what(first.0))
        .replace("{last_date}", &tr.date(last.0["date"].as_str().unwrap_or_default()))
        .replace("{last_event}", &what(last.0));
    let title = tr.t("chart.milestones_title");
    json!({ "svg": milestone_chart(id, &marks), "id": id, "title": title, "summary": summary })
}

/// Counties recognised per year, per regime, from `(year, scheme id)` recognitions of an
/// area's counties: a bar chart per regime (years without one shown as 0), its summary and a
/// table with the running total.
pub fn recognitions(recognised: &[(i32, &str)], area: &str, tr: Tr) -> Value {
    let mut out = Vec::new();
    for scheme in ["basic", "quality"] {
        let years: Vec<i32> = recognised.iter().filter(|r| r.1 == scheme).map(|r| r.0).collect();
        let (Some(&first), Some(&last)) = (years.iter().min(), years.iter().max()) else { continue };
        let mut total = 0;
        let mut rows = Vec::new();
        let mut points = Vec::new();
        for year in first..=last {
            let n = years.iter().filter(|y| **y == year).count();
            total += n;
            rows.push(json!({ "year": year, "count": n, "total": total }));
            points.push((year.to_string(), n as f64));
        }
        let max = points.iter().fold(&points[0], |m, p| if p.1 > m.1 { p } else { m });
        let scheme_name = tr.t(&format!("scheme.{scheme}"));
        let summary = tr
            .t("chart.recognised_summary")
            .replace("{area}", area)
            .replace("{scheme}", &scheme_name)
            .replace("{last}", &last.to_string())
            .replace("{total}", &total.to_string())
            .replace("{max_year}", &max.0)
            .replace("{max}", &format_number(max.1, 0));
        let title = tr.t("chart.recognised_title").replace("{scheme}", &scheme_name);
        let id = format!("recognised-{scheme}");
        let svg = bar_chart(&id, &points);
        out.push(json!({ "scheme": scheme, "svg": svg, "id": id, "title": title, "summary": summary, "rows": rows,
                         "caption": tr.t("chart.recognised_caption").replace("{scheme}", &scheme_name) }));
    }
    Value::Array(out)
}

/// The strip chart of an audit sheet (`views::computation`): where its schools' values lie
/// against the county mean, one row per indicator with a mean, and its summary; `None` when
/// no indicator has a mean or there are no schools. `coefficients` are the sheet's JSON
/// coefficients, `values` each school's value of each of them.
pub fn computation(
    level: Level,
    scheme: Scheme,
    coefficients: &[Value],
    values: &[Vec<Option<f64>>],
    tr: Tr,
) -> Option<Value> {
    let (level, scheme) = (level.id(), scheme.id());
    let mut strips = Vec::new();
    // (CV, name) of the widest and narrowest spread.
    let mut spreads: Vec<(f64, String)> = Vec::new();
    for (k, c) in coefficients.iter().enumerate() {
        let Some(mean) = c["mean"].as_f64().filter(|m| *m > 0.0) else { continue };
        let label = tr.t(&format!("ind.{scheme}.{}.name", c["indicator"].as_str().unwrap_or_default()));
        let ratios = values.iter().filter_map(|row| *row.get(k)?).map(|v| v / mean).collect();
        let standard = c["standard"].as_f64().filter(|_| scheme == "quality").map(|s| s / mean);
        if let Some(cv) = c["cv"].as_f64() {
            spreads.push((cv, label.clone()));
        }
        strips.push(Strip { label, ratios, standard });
    }
    if strips.is_empty() || values.is_empty() {
        return None;
    }
    spreads.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let (low, high) = (spreads.first()?, spreads.last()?);
    let standard_part =
        if strips.iter().any(|s| s.standard.is_some()) { tr.t("chart.strips_standard_part") } else { String::new() };
    let summary = tr
        .t("chart.strips_summary")
        .replace("{n}", &values.len().to_string())
        .replace("{standard_part}", &standard_part)
        .replace("{widest}", &high.1)
        .replace("{widest_cv}", &format_cv(high.0))
        .replace("{narrowest}", &low.1)
        .replace("{narrowest_cv}", &format_cv(low.0));
    let title = tr
        .t("chart.strips_title")
        .replace("{level}", &tr.t(&format!("level.{level}")))
        .replace("{scheme}", &tr.t(&format!("scheme.{scheme}")));
    let id = format!("strips-{level}-{scheme}");
    let svg = school_strips(&id, &strips, &tr.t("chart.strips_mean"));
    Some(object([
        ("svg", Value::String(svg)),
        ("id", Value::String(id)),
        ("title", Value::String(title)),
        ("summary", Value::String(summary)),
    ]))
}

#[cfg(test)]
mod tests;
