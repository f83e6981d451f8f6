//! Charts drawn at build time: SVG named by its figure's caption (a title and a one-sentence
//! summary in the page's language), beside a table of their data. Snapshots of every kind, in both languages.

use crate::support::{SiteTest, main_of};

/// The chart figures of a page, in order.
fn figures(html: &str) -> Vec<&str> {
    html.match_indices("<figure class=\"chart-fig\">")
        .map(|(start, _)| {
            let end = start + html[start..].find("</figure>").expect("figure closed") + "</figure>".len();
            &html[start..end]
        })
        .collect()
}

// Guards each kind of chart and its summary, in Chinese and English: trends of coefficients
// against thresholds and the metric bars (覃塘区), milestones (尧都区), counties recognised
// per year (贵港市) and every school as a dot against the mean and the standard (audit trail).
#[test]
fn chart_snapshots_in_both_languages() {
    let t = SiteTest::demo();
    t.build();
    for (name, page, keep) in [
        ("trends", "county/450804/index.html", usize::MAX),
        ("milestones", "county/141002/index.html", usize::MAX),
        ("recognised", "prefecture/450800/index.html", 1),
        ("schools", "county/450804/computation/2019-2020/index.html", usize::MAX),
    ] {
        for lang in ["zh", "en"] {
            let path = if lang == "en" { format!("en/{page}") } else { page.to_string() };
            let html = t.read_output(&path);
            let all = figures(&html);
            assert!(!all.is_empty(), "{path} has no chart");
            // The audit trail has one strip chart per sheet: keep the primary ones of each regime.
            let chosen: Vec<&str> = if name == "schools" {
                let basic = all.iter().find(|f| f.contains("strips-primary-basic")).unwrap();
                let quality = all.iter().find(|f| f.contains("strips-primary-quality")).unwrap();
                vec![basic, quality]
            } else {
                all.into_iter().take(keep).collect()
            };
            for f in &chosen {
                // Colour never alone: every chart is named by its caption, which holds its title
                // and summary (one copy of the text, seen by everyone).
                let caption = f.split("<figcaption id=\"").nth(1).and_then(|c| c.split('"').next()).expect(f);
                assert!(f.contains(&format!("role=\"img\" aria-labelledby=\"{caption}\"")), "{f}");
                assert!(f.contains("class=\"chart-title\"") && !f.contains("<title"), "{f}");
            }
            insta::assert_snapshot!(format!("{name}_{lang}"), chosen.join("\n"));
        }
    }
}

// Guards the data beside each trend chart: a table of the same coefficients and threshold.
#[test]
fn trend_charts_have_their_data_as_a_table() {
    let t = SiteTest::demo();
    t.build();
    let html = t.read_output("county/450804/index.html");
    let trends = &html[html.find("id=\"trends-h\"").expect("a trends section")..];
    let trends = &trends[..trends.find("</section>").unwrap()];
    // Two levels × two regimes, each with its table of school years.
    assert_eq!(trends.matches("<table class=\"trend\">").count(), 4);
    assert_eq!(trends.matches("<th scope=\"col\">2020-2021<").count(), 4);
    // Basic balance: the composite only (one chart per level); quality: seven per level.
    assert_eq!(trends.matches("<figcaption id=\"trend-primary-basic-composite\"").count(), 1);
    assert_eq!(trends.matches("<svg class=\"chart\"").count(), 2 * (1 + 7));
}

// Guards the compact county page: only the latest school year is shown in full; earlier years
// stay in the trend tables (every basic indicator, judged or not, and any published figure
// that disagrees), with links to their audit pages.
#[test]
fn earlier_years_live_in_the_trend_tables() {
    let t = SiteTest::demo();
    let indicators = std::fs::read_to_string(t.site.join("data/indicators.csv")).unwrap();
    // A published composite for 2019-2020 far from the recomputed 0.342.
    t.write(
        "data/indicators.csv",
        &format!("{indicators}450804,2019-2020,primary,basic,composite,,0.50,guigang-2021\n"),
    );
    t.build();
    let html = t.read_output("county/450804/index.html");
    let main = main_of(&html);
    assert!(main.contains("id=\"y-2020-2021\"") && !main.contains("id=\"y-2019-2020\""));
    let trends = &main[main.find("id=\"trends-h\"").unwrap()..];
    let trends = &trends[..trends.find("</section>").unwrap()];
    let basic = &trends[trends.find("<table class=\"trend\">").unwrap()..trends.find("</table>").unwrap()];
    // The composite (judged against the threshold) and the eight indicators (not judged).
    assert_eq!(basic.matches("<tr><th scope=\"row\">").count(), 1 + 8);
    assert_eq!(basic.matches("≤ 0.65").count(), 1);
    let composite = &basic[basic.find("<tr><th scope=\"row\">").unwrap()..];
    // Rows end where the next begins (end tags are left out).
    let composite = &composite[..composite[1..].find("<tr>").unwrap() + 1];
    assert!(composite.contains("0.342 <strong class=\"bad\">≠ 与计算值不符</strong>"), "{composite}");
    assert!(
        trends.contains("以前学年的计算过程： <a href=\"../../county/450804/computation/2019-2020/\">2019-2020</a>")
    );
}
