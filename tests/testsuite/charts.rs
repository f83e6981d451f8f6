//! Charts drawn at build time: SVG with a title, a description and a one-sentence summary in
//! the page's language, beside a table of their data. Snapshots of every kind, in both languages.

use crate::support::SiteTest;

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
// per year (贵港市) and per-school bars against the mean and the standard (audit trail).
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
            // The audit trail has one chart per coefficient: keep the first of each regime.
            let chosen: Vec<&str> = if name == "schools" {
                let basic = all.iter().find(|f| f.contains("bars-primary-basic-")).unwrap();
                let quality = all.iter().find(|f| f.contains("bars-primary-quality-")).unwrap();
                vec![basic, quality]
            } else {
                all.into_iter().take(keep).collect()
            };
            for f in &chosen {
                // Colour never alone: every chart has an accessible name and description.
                assert!(f.contains("role=\"img\"") && f.contains("<title id=") && f.contains("<desc id="), "{f}");
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
    assert_eq!(trends.matches("<table>").count(), 4);
    assert_eq!(trends.matches("<th scope=\"col\" class=\"num\">2020-2021</th>").count(), 4);
    // Basic balance: the composite only (one chart per level); quality: seven per level.
    assert_eq!(trends.matches("id=\"trend-primary-basic-composite-t\"").count(), 1);
    assert_eq!(trends.matches("<svg class=\"chart\"").count(), 2 * (1 + 7));
}
