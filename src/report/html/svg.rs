//! A small SVG chart renderer for the HTML reports: horizontal bars, columns and a scatter plot,
//! as inline `<svg>` text that needs no script, font file or network to display.
//!
//! Invariants: every text is XML-escaped; a bar without a value is drawn as its label and a note
//! (`n/a`), never as a zero-length bar; geometry is computed in f64 from the exact values (pixels
//! only: the figures printed beside the bars are the exact values formatted by the caller).

use std::fmt::Write;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// XML-escape text for an SVG or HTML text node or attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One bar: its label, its value (None: no data), and the text shown beside it.
pub struct Bar {
    pub label: String,
    pub value: Option<Decimal>,
    pub text: String,
}

const PALETTE: [&str; 6] = [
    "#3b6ea8", "#e07b39", "#4f9d69", "#b5485d", "#7a5ea8", "#8c8c3c",
];

fn px(v: Decimal) -> f64 {
    v.to_f64().unwrap_or(0.0)
}

/// Horizontal bars, one per row, scaled to the largest value (or `reference`, drawn as a dashed
/// line, e.g. 100%).
pub fn hbars(bars: &[Bar], reference: Option<(Decimal, &str)>) -> String {
    let (label_w, bar_w, row_h, text_w) = (170.0, 420.0, 22.0, 150.0);
    let height = row_h * bars.len().max(1) as f64 + 24.0;
    let width = label_w + bar_w + text_w;
    let max = bars
        .iter()
        .filter_map(|b| b.value)
        .chain(reference.map(|r| r.0))
        .fold(Decimal::ZERO, Decimal::max);
    let scale = |v: Decimal| {
        if max.is_zero() {
            0.0
        } else {
            px(v.max(Decimal::ZERO)) / px(max) * bar_w
        }
    };
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">"#
    );
    for (i, b) in bars.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end" class="label">{}</text>"#,
            label_w - 8.0,
            y + 14.0,
            escape(&b.label)
        );
        match b.value {
            Some(v) => {
                let w = scale(v);
                let _ = write!(
                    s,
                    r#"<rect x="{label_w}" y="{y}" width="{w:.1}" height="{}" fill="{}"/>"#,
                    row_h - 6.0,
                    PALETTE[0]
                );
                let _ = write!(
                    s,
                    r#"<text x="{:.1}" y="{}" class="value">{}</text>"#,
                    label_w + w + 6.0,
                    y + 14.0,
                    escape(&b.text)
                );
            }
            None => {
                let _ = write!(
                    s,
                    r#"<text x="{}" y="{}" class="na">{}</text>"#,
                    label_w + 6.0,
                    y + 14.0,
                    escape(&b.text)
                );
            }
        }
    }
    if let Some((r, name)) = reference.filter(|_| !max.is_zero()) {
        let x = label_w + scale(r);
        let _ = write!(
            s,
            r#"<line x1="{x:.1}" y1="0" x2="{x:.1}" y2="{}" class="reference"/><text x="{:.1}" y="{}" class="label">{}</text>"#,
            height - 18.0,
            x + 3.0,
            height - 6.0,
            escape(name)
        );
    }
    s.push_str("</svg>");
    s
}

/// Vertical columns (a histogram of counts), labels below.
pub fn columns(bars: &[Bar]) -> String {
    let (col_w, gap, plot_h) = (90.0, 18.0, 180.0);
    let width = (col_w + gap) * bars.len().max(1) as f64 + gap;
    let height = plot_h + 50.0;
    let max = bars
        .iter()
        .filter_map(|b| b.value)
        .fold(Decimal::ZERO, Decimal::max);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">"#
    );
    for (i, b) in bars.iter().enumerate() {
        let x = gap + i as f64 * (col_w + gap);
        let v = b.value.unwrap_or_default();
        let h = if max.is_zero() {
            0.0
        } else {
            px(v) / px(max) * plot_h
        };
        let y = plot_h - h + 20.0;
        let _ = write!(
            s,
            r#"<rect x="{x}" y="{y:.1}" width="{col_w}" height="{h:.1}" fill="{}"/>"#,
            PALETTE[i % PALETTE.len()]
        );
        let _ = write!(
            s,
            r#"<text x="{}" y="{:.1}" text-anchor="middle" class="value">{}</text>"#,
            x + col_w / 2.0,
            y - 4.0,
            escape(&b.text)
        );
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle" class="label">{}</text>"#,
            x + col_w / 2.0,
            plot_h + 38.0,
            escape(&b.label)
        );
    }
    s.push_str("</svg>");
    s
}

/// A point of a scatter plot: its series (colour and legend), x, y and its label.
pub struct Point {
    pub series: String,
    pub x: Decimal,
    pub y: Decimal,
    pub label: String,
}

/// A line of a series in a scatter plot (a plan's payout curve), with its legend text.
pub struct Polyline {
    pub series: String,
    pub legend: String,
    /// (x, y), by x.
    pub points: Vec<(Decimal, Decimal)>,
}

/// A scatter plot with axes from zero, a legend of the series and the axis names.
pub fn scatter(points: &[Point], x_name: &str, y_name: &str) -> String {
    scatter_with_lines(points, &[], x_name, y_name)
}

/// [`scatter`] with a line per series drawn under its points, in the series' colour; the axes
/// cover the lines too.
pub fn scatter_with_lines(
    points: &[Point],
    lines: &[Polyline],
    x_name: &str,
    y_name: &str,
) -> String {
    let (left, bottom, plot_w, plot_h) = (70.0, 40.0, 560.0, 300.0);
    let legend_w = if lines.is_empty() { 160.0 } else { 330.0 };
    let (width, height) = (left + plot_w + legend_w, plot_h + bottom + 20.0);
    let line_points = || lines.iter().flat_map(|l| l.points.iter().copied());
    let max_x = points
        .iter()
        .map(|p| p.x)
        .chain(line_points().map(|p| p.0))
        .fold(Decimal::ONE, Decimal::max);
    let max_y = points
        .iter()
        .map(|p| p.y)
        .chain(line_points().map(|p| p.1))
        .fold(Decimal::ZERO, Decimal::max);
    let sx = |v: Decimal| left + px(v.max(Decimal::ZERO)) / px(max_x) * plot_w;
    let sy = |v: Decimal| {
        let f = if max_y.is_zero() {
            0.0
        } else {
            px(v.max(Decimal::ZERO)) / px(max_y)
        };
        20.0 + plot_h - f * plot_h
    };
    let mut series: Vec<&str> = points
        .iter()
        .map(|p| p.series.as_str())
        .chain(lines.iter().map(|l| l.series.as_str()))
        .collect();
    series.sort();
    series.dedup();
    let colour =
        |name: &str| PALETTE[series.iter().position(|s| *s == name).unwrap_or(0) % PALETTE.len()];
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">"#
    );
    let _ = write!(
        s,
        r#"<line x1="{left}" y1="{}" x2="{}" y2="{}" class="axis"/><line x1="{left}" y1="20" x2="{left}" y2="{}" class="axis"/>"#,
        20.0 + plot_h,
        left + plot_w,
        20.0 + plot_h,
        20.0 + plot_h
    );
    let x100 = sx(Decimal::ONE);
    let _ = write!(
        s,
        r#"<line x1="{x100:.1}" y1="20" x2="{x100:.1}" y2="{}" class="reference"/>"#,
        20.0 + plot_h
    );
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle" class="label">{}</text>"#,
        left + plot_w / 2.0,
        height - 4.0,
        escape(x_name)
    );
    let _ = write!(
        s,
        r#"<text x="12" y="{}" class="label" transform="rotate(-90 12 {})" text-anchor="middle">{}</text>"#,
        20.0 + plot_h / 2.0,
        20.0 + plot_h / 2.0,
        escape(y_name)
    );
    for l in lines {
        let coords: Vec<String> = l
            .points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
            .collect();
        let _ = write!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2" class="curve"><title>{}</title></polyline>"#,
            coords.join(" "),
            colour(&l.series),
            escape(&l.legend)
        );
    }
    for p in points {
        let _ = write!(
            s,
            r#"<circle cx="{:.1}" cy="{:.1}" r="5" fill="{}"><title>{}</title></circle>"#,
            sx(p.x),
            sy(p.y),
            colour(&p.series),
            escape(&p.label)
        );
    }
    for (i, name) in series.iter().enumerate() {
        let y = 30.0 + i as f64 * 18.0;
        let text = lines
            .iter()
            .find(|l| l.series == *name)
            .map_or(name.to_string(), |l| l.legend.clone());
        let _ = write!(
            s,
            r#"<rect x="{}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{}" class="label">{}</text>"#,
            left + plot_w + 20.0,
            y - 9.0,
            PALETTE[i % PALETTE.len()],
            left + plot_w + 36.0,
            y,
            escape(&text)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: Option<i64>) -> Bar {
        Bar {
            label: label.into(),
            value: value.map(Decimal::from),
            text: value.map_or("n/a".into(), |v| v.to_string()),
        }
    }

    #[test]
    fn bars_scale_to_the_largest_value_and_escape_labels() {
        let svg = hbars(
            &[
                bar("A<1>", Some(50)),
                bar("B & co", Some(100)),
                bar("C", None),
            ],
            None,
        );
        // 50 of 100 over 420 px: 210 px; the largest fills the width.
        assert!(svg.contains(r#"width="210.0""#), "{svg}");
        assert!(svg.contains(r#"width="420.0""#), "{svg}");
        assert!(svg.contains("A&lt;1&gt;") && svg.contains("B &amp; co"));
        // No data: the note, no bar.
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains(r#"class="na">n/a<"#));
    }

    #[test]
    fn a_reference_line_extends_the_scale() {
        // 50 against a reference of 200: 105 px of 420.
        let svg = hbars(&[bar("A", Some(50))], Some((Decimal::from(200), "100%")));
        assert!(svg.contains(r#"width="105.0""#), "{svg}");
        assert!(svg.contains("class=\"reference\""));
    }

    #[test]
    fn columns_and_scatter_draw_one_shape_per_value() {
        let svg = columns(&[bar("<50%", Some(1)), bar("50–75%", Some(2))]);
        assert_eq!(svg.matches("<rect").count(), 2);
        // The larger column is 180 px high, the other half.
        assert!(svg.contains(r#"height="180.0""#) && svg.contains(r#"height="90.0""#));
        let p = |x: i64, y: i64| Point {
            series: "ae".into(),
            x: Decimal::new(x, 2),
            y: Decimal::from(y),
            label: "r".into(),
        };
        let svg = scatter(&[p(50, 10), p(150, 30)], "attainment", "payable");
        assert_eq!(svg.matches("<circle").count(), 2);
        // x: 150% is the widest (560 px from 70); y: 30 is the top (20).
        assert!(svg.contains(r#"cx="630.0" cy="20.0""#), "{svg}");
    }

    #[test]
    fn lines_are_drawn_at_their_coordinates_in_their_series_colour() {
        let line = Polyline {
            series: "ae".into(),
            legend: "ae: mean quota 1,000".into(),
            // 0–100% at 10%, above at 20% (marginal), quota 1,000: 0 → 0, 100% → 100, 150% → 200.
            points: vec![
                (Decimal::ZERO, Decimal::ZERO),
                (Decimal::ONE, Decimal::from(100)),
                (Decimal::new(15, 1), Decimal::from(200)),
            ],
        };
        let dot = Point {
            series: "ae".into(),
            x: Decimal::ONE,
            y: Decimal::from(100),
            label: "A1".into(),
        };
        let svg = scatter_with_lines(&[dot], &[line], "attainment", "payable");
        // x: 70 + a ÷ 1.5 × 560 (100% → 443.3, 150% → 630); y: 320 − v ÷ 200 × 300.
        assert!(
            svg.contains(r#"points="70.0,320.0 443.3,170.0 630.0,20.0""#),
            "{svg}"
        );
        // The rep on the curve, in its colour; the legend names what the line is drawn for.
        assert!(
            svg.contains(r##"cx="443.3" cy="170.0" r="5" fill="#3b6ea8""##),
            "{svg}"
        );
        assert!(svg.contains(r##"stroke="#3b6ea8""##) && svg.contains(">ae: mean quota 1,000<"));
    }

    #[test]
    fn zero_values_draw_nothing_and_divide_by_nothing() {
        let svg = hbars(&[bar("A", Some(0))], None);
        assert!(svg.contains(r#"width="0.0""#));
        let svg = columns(&[bar("A", Some(0))]);
        assert!(svg.contains(r#"height="0.0""#));
    }
}
